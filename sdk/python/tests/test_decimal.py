"""Unit tests of `junction_sdk.decimal`, the cases of the Rust SDK's `decimal` tests (and of
lib/decimal.js's), run natively."""

import unittest
from decimal import Decimal

from junction_sdk import decimal


class DecimalTest(unittest.TestCase):
    def test_decimals_normalize_to_plain_digits_and_keep_their_scale(self) -> None:
        cases = [
            ("9.9", "9.9"),
            ("9.90", "9.90"),
            (" 19.99 ", "19.99"),
            ("+3", "3"),
            ("-3", "-3"),
            ("007.50", "7.50"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-0.00", "0.00"),
            ("1e3", "1000"),
            ("1.5E-3", "0.0015"),
            ("-2.5e1", "-25"),
            ("1.5e2", "150"),
            ("1.50e1", "15.0"),
            ("1e+2", "100"),
        ]
        for given, expected in cases:
            self.assertEqual(decimal.normalize(given), expected, given)

    def test_what_is_not_a_decimal_is_refused_naming_it(self) -> None:
        bad = ["abc", "", " ", "1,5", "1.2.3", "NaN", "inf", "--1", "1e", "1e999", ".", "-", "0x10", "1 000", "-+1", "١"]
        for given in bad:
            with self.assertRaises(decimal.DecimalError, msg=repr(given)):
                decimal.normalize(given)
        with self.assertRaises(decimal.DecimalError) as caught:
            decimal.normalize("1,5")
        self.assertEqual(str(caught.exception), 'not a decimal number: "1,5"')
        self.assertEqual(caught.exception.input, "1,5")
        with self.assertRaises(decimal.DecimalError, msg="a float is not a decimal string"):
            decimal.normalize(1.5)  # type: ignore[arg-type]
        self.assertTrue(decimal.is_decimal("0"))
        self.assertFalse(decimal.is_decimal("x"))
        self.assertIsNone(decimal.normalize_opt(""))
        self.assertIsNone(decimal.normalize_opt("  "))
        self.assertEqual(decimal.normalize_opt("12"), "12")

    def test_decimals_from_json_values(self) -> None:
        self.assertEqual(decimal.from_json(9.99), "9.99")
        self.assertEqual(decimal.from_json(10), "10")
        self.assertEqual(decimal.from_json(10.0), "10.0")
        self.assertEqual(decimal.from_json(1e-7), "0.0000001")
        self.assertEqual(decimal.from_json(1e21), "1000000000000000000000")
        self.assertEqual(decimal.from_json(12345678901234567890), "12345678901234567890")
        self.assertEqual(decimal.from_json(Decimal("19.990")), "19.990")
        self.assertEqual(decimal.from_json("12.50"), "12.50")
        self.assertIsNone(decimal.from_json(""))
        self.assertIsNone(decimal.from_json(None))
        with self.assertRaises(decimal.DecimalError):
            decimal.from_json("abc")
        with self.assertRaises(decimal.DecimalError) as caught:
            decimal.from_json(True)
        self.assertEqual(str(caught.exception), 'not a decimal number: "true"')
        for bad in ([1], {"a": 1}, float("nan"), float("inf")):
            with self.assertRaises(decimal.DecimalError, msg=repr(bad)):
                decimal.from_json(bad)
        self.assertEqual(decimal.from_int(-7), "-7")
        self.assertEqual(decimal.from_int(2**70), "1180591620717411303424")
        with self.assertRaises(decimal.DecimalError):
            decimal.from_int(1.5)  # type: ignore[arg-type]

    def test_arithmetic_is_exact_and_keeps_scales_as_a_decimal_type_does(self) -> None:
        self.assertEqual(decimal.add("0.1", "0.2"), "0.3")
        self.assertEqual(decimal.add("1.5", "2.25"), "3.75")
        self.assertEqual(decimal.add("-0.05", "0.01"), "-0.04")
        self.assertEqual(
            decimal.add("99999999999999999999999999999999999999", "1"), "100000000000000000000000000000000000000"
        )
        self.assertEqual(decimal.subtract("10.00", "10.00"), "0.00")
        self.assertEqual(decimal.subtract("10", "12.5"), "-2.5")
        self.assertEqual(decimal.subtract("0.3", "0.1"), "0.2")
        self.assertEqual(decimal.multiply("19.99", "3"), "59.97")
        self.assertEqual(decimal.multiply("1.10", "2.0"), "2.200")
        self.assertEqual(decimal.multiply("-0.5", "0.5"), "-0.25")
        self.assertEqual(decimal.multiply("-0.5", "0"), "0.0")
        self.assertEqual(decimal.multiply("1e2", "0.01"), "1.00")
        with self.assertRaises(decimal.DecimalError) as caught:
            decimal.add("1", "x")
        self.assertEqual(str(caught.exception), 'not a decimal number: "x"')
        with self.assertRaises(decimal.DecimalError):
            decimal.multiply("1,5", "2")

    def test_decimals_compare_by_value(self) -> None:
        self.assertEqual(decimal.compare("10.5", "9.99"), 1)
        self.assertEqual(decimal.compare("1.0", "1"), 0)
        self.assertEqual(decimal.compare("-0.00", "0"), 0)
        self.assertEqual(decimal.compare("-2", "-1.5"), -1)
        self.assertEqual(decimal.compare("0.1", "0.10000000000000000001"), -1)
        with self.assertRaises(decimal.DecimalError):
            decimal.compare("1", "")

    def test_sums_are_exact_with_the_largest_scale_among_the_values(self) -> None:
        self.assertEqual(decimal.sum(["1.5", "2.25"]), "3.75")
        self.assertEqual(decimal.sum(["0.1", "0.2"]), "0.3")
        self.assertEqual(decimal.sum(["10", "-12.5"]), "-2.5")
        self.assertEqual(decimal.sum(["-0.05", "0.01"]), "-0.04")
        self.assertEqual(decimal.sum([]), "0")
        self.assertEqual(decimal.sum(["1.00", "2"]), "3.00")
        with self.assertRaises(decimal.DecimalError):
            decimal.sum(["1", "x"])


if __name__ == "__main__":
    unittest.main()
