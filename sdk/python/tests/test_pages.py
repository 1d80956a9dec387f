"""Unit tests of `junction_sdk.pages`, run natively against the bindings componentize-py
generates for the contract (`cargo xtask test` generates them and runs these)."""

import unittest

from wit_world.imports import junction_connector_types as t

from junction_sdk import pages


class PagesTest(unittest.TestCase):
    def test_a_page_fills_the_fields_a_connector_does_not_use(self) -> None:
        page = pages.page([], "2", deleted=[7, "8"])
        self.assertEqual(page.entities, [])
        self.assertEqual(page.next_cursor, "2")
        self.assertEqual(page.deleted, ["7", "8"])
        self.assertEqual(page.ids, [])

    def test_an_ids_only_page_carries_ids_and_no_records(self) -> None:
        page = pages.ids_page([1, 2], None)
        self.assertEqual((page.entities, page.ids, page.next_cursor), ([], ["1", "2"], None))

    def test_manifest_entries_say_how_deletions_are_found(self) -> None:
        both = pages.reported_deletions(t.ResourceKind.ORDERS, also_reconciled=True)
        self.assertEqual(both.resource, t.ResourceKind.ORDERS)
        self.assertTrue(both.detection & t.DeletionDetection.REPORTED)
        self.assertTrue(both.detection & t.DeletionDetection.RECONCILIATION)
        only = pages.reported_deletions(t.ResourceKind.ORDERS)
        self.assertFalse(only.detection & t.DeletionDetection.RECONCILIATION)
        never = pages.never_deleted(t.ResourceKind.ORDERS)
        self.assertFalse(never.detection & t.DeletionDetection.REPORTED)
        self.assertFalse(never.detection & t.DeletionDetection.RECONCILIATION)

    def test_a_listing_splits_into_live_records_and_deleted_ids_in_order(self) -> None:
        rows = [(1, "trash"), (2, "publish"), (3, "trash")]
        live, deleted = pages.split_deleted(rows, lambda r: r[1] == "trash", lambda r: r[0])
        self.assertEqual(live, [(2, "publish")])
        self.assertEqual(deleted, ["1", "3"])


if __name__ == "__main__":
    unittest.main()
