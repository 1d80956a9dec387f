"""Unit tests of `junction_sdk.paging`, the cases of the Rust SDK's `paging` tests (and of
lib/paging.js's), run natively."""

import re
import unittest
from typing import Any, Callable

from componentize_py_types import Err
from wit_world.imports import junction_connector_types as t

from junction_sdk import paging


class PagingTest(unittest.TestCase):
    def invalid(self, call: Callable[[], Any]) -> str:
        """The message of the `invalid-request` error `call` raises."""
        with self.assertRaises(Err) as caught:
            call()
        self.assertIsInstance(caught.exception.value, t.ConnectorError_InvalidRequest)
        return caught.exception.value.value

    def test_a_cursor_round_trips_as_url_safe_base64_of_its_compact_json(self) -> None:
        cursor = {"m": 1735689600, "id": 42, "o": 3}
        encoded = paging.encode_cursor(cursor)
        self.assertRegex(encoded, r"^[A-Za-z0-9_-]+$")
        # The same bytes the Rust and JavaScript SDKs write for this cursor.
        self.assertEqual(encoded, "eyJtIjoxNzM1Njg5NjAwLCJpZCI6NDIsIm8iOjN9")
        self.assertEqual(paging.decode_cursor(encoded, ["m", "id"]), cursor)
        self.assertEqual(paging.decode_cursor(encoded + "=="), cursor, "padding is tolerated")
        self.assertEqual(paging.decode_cursor(paging.encode_cursor({"q": "ünï €"})), {"q": "ünï €"})
        self.assertEqual(paging.encode_cursor({"q": "é"}), "eyJxIjoiw6kifQ", "UTF-8, not \\u escapes")
        for length in range(1, 6):
            self.assertEqual(paging.decode_cursor(paging.encode_cursor("x" * length)), "x" * length)

    def test_a_cursor_that_is_not_ours_is_an_invalid_request(self) -> None:
        self.assertTrue(self.invalid(lambda: paging.decode_cursor("%%%")).startswith("invalid cursor"))
        self.assertEqual(
            self.invalid(lambda: paging.decode_cursor(paging.encode_cursor({"x": 1}), ["m"])),
            "invalid cursor: missing field `m`",
        )
        self.invalid(lambda: paging.decode_cursor(paging.encode_cursor([1]), ["m"]))
        self.assertEqual(
            self.invalid(lambda: paging.decode_cursor("A" * (paging.MAX_CURSOR_LEN + 1))),
            "invalid cursor: longer than 4096 characters",
        )
        self.assertIn("length", self.invalid(lambda: paging.decode_cursor("AAAAA")))
        self.assertIn("trailing bits", self.invalid(lambda: paging.decode_cursor("eB")))
        self.assertTrue(self.invalid(lambda: paging.decode_cursor("bm90IGpzb24")).startswith("invalid cursor: "))
        with self.assertRaises(Err) as caught:
            paging.encode_cursor({"n": object()})
        self.assertIsInstance(caught.exception.value, t.ConnectorError_Internal)
        self.assertTrue(caught.exception.value.value.startswith("cannot encode cursor"))

    def test_link_headers(self) -> None:
        wp = '<https://shop/wp-json/wc/v3/orders?page=1>; rel="prev", <https://shop/wp-json/wc/v3/orders?page=3>; rel="next"'
        links = paging.parse_link_header(wp)
        self.assertEqual(len(links), 2)
        self.assertTrue(links[0].has_rel("prev"))
        self.assertEqual(links[1].url, "https://shop/wp-json/wc/v3/orders?page=3")
        self.assertEqual(paging.next_link({"link": [wp]}), "https://shop/wp-json/wc/v3/orders?page=3")

        # Shopify style, unquoted rel, several rels, a comma inside a quoted title.
        value = '<https://a/x?page_info=abc&limit=50>; rel=previous, <https://a/x?page_info=def>; title="a, b"; rel="next last"'
        shopify = paging.parse_link_header(value)
        self.assertEqual(len(shopify), 2)
        self.assertTrue(shopify[0].has_rel("previous"))
        self.assertTrue(shopify[1].has_rel("next") and shopify[1].has_rel("LAST"))
        self.assertEqual(shopify[1].params[0], ("title", "a, b"))
        self.assertEqual(paging.parse_link_header('<u>; title="say \\"hi\\""')[0].params, [("title", 'say "hi"')])

        self.assertEqual(paging.parse_link_header(""), [])
        self.assertEqual(paging.parse_link_header("garbage, more garbage"), [])
        self.assertIsNone(paging.next_link({"link": ["<u>; rel=prev"]}))
        self.assertIsNone(paging.next_link(None))
        # Separate Link header lines, names in any case.
        self.assertEqual(paging.next_link([("link", "<p>; rel=prev"), ("Link", "<n>; rel=next")]), "n")
        self.assertEqual(paging.next_link({"Link": "<n>; rel=next"}), "n")
        self.assertEqual(paging.next_link({"link": ["<p>; rel=prev", "<n>; rel=next"]}), "n")
        self.assertTrue(re.fullmatch(r"[A-Za-z0-9_-]*", paging.encode_cursor({"s": "?&/+"})))


if __name__ == "__main__":
    unittest.main()
