"""Unit tests of `junction_sdk.config`, the cases of the Rust SDK's `config` tests (and of
lib/config.js's), run natively."""

import unittest
from typing import Any, Callable

from componentize_py_types import Err
from wit_world.imports import junction_connector_types as t

from junction_sdk import config

FIELDS = {"base_url": "string", "timeout_seconds": "integer?"}


class ConfigTest(unittest.TestCase):
    def problem(self, call: Callable[[], Any]) -> t.ConfigProblem:
        """The `invalid-config` problem `call` raises (and fails on any other outcome)."""
        with self.assertRaises(Err) as caught:
            call()
        self.assertIsInstance(caught.exception.value, t.ConnectorError_InvalidConfig)
        return caught.exception.value.value

    def test_config_errors_name_the_field_and_what_it_accepts(self) -> None:
        self.assertEqual(config.parse('{"base_url":"http://x"}', FIELDS), {"base_url": "http://x", "timeout_seconds": None})
        self.assertIsNone(config.parse('{"base_url":"x","timeout_seconds":null}', FIELDS)["timeout_seconds"])
        self.assertEqual(
            self.problem(lambda: config.parse("{}", FIELDS)),
            t.ConfigProblem("base_url", "invalid config: missing field `base_url`"),
        )
        self.assertEqual(
            self.problem(lambda: config.parse('{"base_url":"x","timeout_seconds":"ten"}', FIELDS)),
            t.ConfigProblem("timeout_seconds", 'invalid config: timeout_seconds must be an integer, not the string "ten"'),
        )
        self.assertEqual(
            self.problem(lambda: config.parse('{"base_url":null}', FIELDS)).message,
            "invalid config: base_url must be a string, not null",
        )
        self.assertEqual(self.problem(lambda: config.parse('{"base_url":"x","timeout_seconds":1.5}', FIELDS)).field, "timeout_seconds")
        self.assertEqual(self.problem(lambda: config.parse('{"base_url":"x","timeout_seconds":true}', FIELDS)).field, "timeout_seconds")
        self.assertEqual(
            self.problem(lambda: config.parse('{"base_url":"x","extra":1}', FIELDS)),
            t.ConfigProblem("extra", "invalid config: unknown field `extra`, expected one of `base_url`, `timeout_seconds`"),
        )
        self.assertEqual(config.parse('{"base_url":"x","extra":1}', FIELDS, allow_unknown=True)["extra"], 1)
        not_json = self.problem(lambda: config.parse("not json", FIELDS))
        self.assertIsNone(not_json.field)
        self.assertTrue(not_json.message.startswith("invalid config: "))
        self.assertIsNone(self.problem(lambda: config.parse('{"base_url":"x"} trailing', FIELDS)).field)
        self.assertEqual(
            self.problem(lambda: config.parse("[1]")).message, "invalid config: expected a JSON object, not an array"
        )
        self.assertEqual(config.parse('{"any":true}'), {"any": True}, "without fields: the object as it is")
        types = {"s": "string", "n": "number", "b": "boolean?", "a": "array?", "o": "object?"}
        self.assertEqual(
            self.problem(lambda: config.parse('{"s":"x","n":"1"}', types)).message,
            'invalid config: n must be a number, not the string "1"',
        )
        self.assertEqual(
            self.problem(lambda: config.parse('{"s":"x","n":1,"b":1}', types)).message,
            "invalid config: b must be true or false, not number 1",
        )
        self.assertEqual(
            self.problem(lambda: config.parse('{"s":"x","n":1,"a":{}}', types)).message,
            "invalid config: a must be an array, not an object",
        )
        self.assertEqual(
            self.problem(lambda: config.parse('{"s":"x","n":1,"o":[]}', types)).message,
            "invalid config: o must be an object, not an array",
        )
        with self.assertRaises(TypeError, msg="a typo in the declaration is a bug"):
            config.parse("{}", {"x": "strnig"})

    def test_urls_must_be_absolute_http_s_without_query_or_fragment(self) -> None:
        self.assertEqual(config.http_url("u", " https://shop.example/ ").host, "shop.example")
        cases = [
            ("shop.example", "base_url is not a valid URL: not an absolute URL (expected scheme://host/...)"),
            ("ftp://shop.example", "base_url must be an http or https URL, not ftp:"),
            ("http://", "base_url is not a valid URL: the URL has no host"),
            ("https://x/?a=1", "base_url must not have a query or fragment"),
            ("https://x/#top", "base_url must not have a query or fragment"),
        ]
        for bad, message in cases:
            self.assertEqual(self.problem(lambda: config.http_url("base_url", bad)), t.ConfigProblem("base_url", message), bad)
        self.assertEqual(self.problem(lambda: config.http_url("base_url", 42)).field, "base_url")

    def test_required_strings_must_not_be_blank(self) -> None:
        self.assertEqual(self.problem(lambda: config.non_empty("k", "  ")), t.ConfigProblem("k", "k must not be empty"))
        self.assertEqual(self.problem(lambda: config.non_empty("k", None)).field, "k")
        self.assertEqual(config.non_empty("k", " a "), "a")

    def test_timeouts_default_and_are_bounded(self) -> None:
        self.assertEqual(config.timeout_seconds(None), config.DEFAULT_TIMEOUT_SECONDS)
        self.assertEqual(config.timeout_seconds(300), 300)
        self.assertEqual(config.timeout_seconds(1), 1)
        for bad in (0, 301, 1.5, "10", True):
            self.assertEqual(
                self.problem(lambda: config.timeout_seconds(bad)),  # type: ignore[arg-type]
                t.ConfigProblem("timeout_seconds", "timeout_seconds must be between 1 and 300"),
                repr(bad),
            )


if __name__ == "__main__":
    unittest.main()
