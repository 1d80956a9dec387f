"""Unit tests of `junction_sdk.time`, the cases of the Rust SDK's `time` tests (and of
lib/time.js's), run natively."""

import time as clock
import unittest
from datetime import datetime, timezone

from componentize_py_types import Err
from wit_world.imports import junction_connector_types as t

from junction_sdk import time


class TimeTest(unittest.TestCase):
    def test_common_forms_normalize_to_the_canonical_utc_string(self) -> None:
        cases = [
            ("2017-03-22T16:28:02", "2017-03-22T16:28:02Z"),
            ("2017-03-22 16:28:02", "2017-03-22T16:28:02Z"),
            ("2017-03-22T16:28:02Z", "2017-03-22T16:28:02Z"),
            ("2017-03-22T18:28:02+02:00", "2017-03-22T16:28:02Z"),
            ("2017-03-22T11:28:02-05:00", "2017-03-22T16:28:02Z"),
            ("2017-03-22 18:28:02+02:00", "2017-03-22T16:28:02Z"),
            ("2017-03-22T16:28:02.500Z", "2017-03-22T16:28:02.5Z"),
            (" 2017-03-22t16:28:02z ", "2017-03-22T16:28:02Z"),
            ("2017-03-22T18:28:02+0200", "2017-03-22T16:28:02Z"),
            ("2017-03-22T16:28:02.123456789Z", "2017-03-22T16:28:02.123456789Z"),
            ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"),
            ("2017-01-01T00:30:00+01:00", "2016-12-31T23:30:00Z"),
            # What the Rust SDK's parser also takes (checked against it, case by case).
            ("2017-03-22T16:28Z", "2017-03-22T16:28:00Z"),
            ("2017-03-22T16Z", "2017-03-22T16:00:00Z"),
            ("2017-03-22T16:28:60Z", "2017-03-22T16:28:59Z"),
            ("2017-03-22T16:28:02,5Z", "2017-03-22T16:28:02.5Z"),
            ("2017-03-22T16:28:02+02", "2017-03-22T14:28:02Z"),
            ("2017-03-22T16:28:02+24:00", "2017-03-21T16:28:02Z"),
            ("2017-03-22T16:28:02+02:00:30", "2017-03-22T14:27:32Z"),
            ("2017-03-22T16:28:02-00:00", "2017-03-22T16:28:02Z"),
            ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"),
        ]
        for given, expected in cases:
            self.assertEqual(time.normalize_utc(given), expected, given)

    def test_what_is_not_a_date_and_a_time_is_refused_saying_what_was_given(self) -> None:
        for bad in ["", "abc", "2017-02-30T00:00:00", "2017-03-22", "2017-03-22T25:00:00", "2023-02-29T00:00:00Z", "2017-13-01T00:00:00", "２０１７-03-22T00:00:00", "2017-03-22T16:28:02.1234567891Z", "9999-12-31T23:59:59Z", "2017-03-22T16:28:02 Z", "20170322T162802Z", "-0001-01-01T00:00:00Z", "2017-3-22T16:28:02Z", "2017-03-22T16:28:02+26:00"]:
            with self.assertRaises(time.TimeError, msg=bad):
                time.normalize_utc(bad)
        with self.assertRaises(time.TimeError) as caught:
            time.parse_utc("2017-03-22")
        self.assertEqual(
            str(caught.exception),
            'invalid timestamp "2017-03-22": expected a date and a time, e.g. 2026-01-31T12:00:00Z',
        )
        with self.assertRaises(time.TimeError) as caught:
            time.parse_utc("  ")
        self.assertEqual(caught.exception.reason, "empty")
        upstream = time.TimeError("x", "empty").into_upstream(200)
        self.assertIsInstance(upstream, Err)
        self.assertEqual(upstream.value, t.ConnectorError_Upstream(t.UpstreamError(200, 'invalid timestamp "x": empty')))

    def test_optional_timestamps_absent_empty_and_the_mysql_zero_date_are_no_value(self) -> None:
        self.assertIsNone(time.normalize_utc_opt(None))
        self.assertIsNone(time.normalize_utc_opt(""))
        self.assertIsNone(time.normalize_utc_opt("0000-00-00 00:00:00"))
        self.assertEqual(time.normalize_utc_opt("2020-01-01T00:00:00"), "2020-01-01T00:00:00Z")
        with self.assertRaises(time.TimeError):
            time.normalize_utc_opt("nope")

    def test_arithmetic_and_formats(self) -> None:
        ts = time.parse_utc("2025-01-01T00:00:00.75Z")
        self.assertEqual(time.format_naive_utc(ts), "2025-01-01T00:00:00")
        self.assertEqual(time.format_naive_utc(time.minus_seconds(ts, 1)), "2024-12-31T23:59:59")
        self.assertEqual(time.format_utc(time.floor_second(ts)), "2025-01-01T00:00:00Z")
        self.assertEqual(str(ts), "2025-01-01T00:00:00.75Z")
        self.assertEqual(time.compare("2025-01-01T00:00:00Z", "2025-01-01T01:00:00+02:00"), 1)
        self.assertEqual(time.compare("2025-01-01T00:00:00Z", "2025-01-01T02:00:00+02:00"), 0)
        self.assertEqual(time.compare("2025-01-01T00:00:00.1Z", "2025-01-01T00:00:00.2Z"), -1)
        self.assertEqual(time.epoch_seconds("1970-01-01T00:01:00"), 60)
        self.assertEqual(time.epoch_seconds("1969-12-31T23:59:59.5Z"), 0, "a fraction is cut towards zero")
        self.assertEqual(time.from_epoch_seconds(60), "1970-01-01T00:01:00Z")
        self.assertEqual(time.from_epoch_seconds(1735689600), "2025-01-01T00:00:00Z")
        for bad in (1.5, 10**15, True):
            with self.assertRaises(time.TimeError, msg=repr(bad)):
                time.from_epoch_seconds(bad)  # type: ignore[arg-type]
        self.assertEqual(time.minus_seconds(time.MIN_TIMESTAMP, 5), time.MIN_TIMESTAMP)
        self.assertEqual(time.format_utc(time.MIN_TIMESTAMP), "-009999-01-02T01:59:59Z")
        self.assertEqual(time.format_utc(time.parse_utc("1900-03-01T00:00:00Z")), "1900-03-01T00:00:00Z")

    def test_datetimes_convert_both_ways(self) -> None:
        ts = time.parse_utc("2025-01-02T03:04:05.123456789Z")
        self.assertEqual(ts.to_datetime(), datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc))
        self.assertEqual(str(time.Timestamp.from_datetime(datetime(2025, 1, 2, 3, 4, 5, 500000))), "2025-01-02T03:04:05.5Z")

    def test_now_is_the_wall_clock(self) -> None:
        before = int(clock.time())
        self.assertTrue(before <= time.now().seconds <= before + 1)


if __name__ == "__main__":
    unittest.main()
