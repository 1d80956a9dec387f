"""Unit tests of `junction_sdk.errors`: error bodies of common APIs and HTTP statuses mapped
onto contract errors, the cases of the Rust SDK's `error` tests (and of lib/errors.js's),
run natively."""

import unittest
from calendar import timegm
from typing import Dict, List

from componentize_py_types import Err
from wit_world.imports import junction_connector_types as t

from junction_sdk import errors

NOW = float(timegm((2025, 1, 1, 0, 0, 0)))


def err(status: int, headers: Dict[str, str], body: str) -> t.ConnectorError:
    lowercase: Dict[str, List[str]] = {k.lower(): [v] for k, v in headers.items()}
    return errors.status_error(status, lowercase, body.encode(), now=NOW).value


def upstream(status: int, message: str) -> t.ConnectorError:
    return t.ConnectorError_Upstream(t.UpstreamError(status, message))


class ErrorsTest(unittest.TestCase):
    def test_statuses_map_onto_contract_errors_with_the_body_message(self) -> None:
        wp = '{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.","data":{"status":401}}'
        self.assertEqual(
            err(401, {}, wp),
            t.ConnectorError_Unauthorized("HTTP 401: Sorry, you cannot list resources. (woocommerce_rest_cannot_view)"),
        )
        self.assertEqual(err(403, {}, ""), t.ConnectorError_Unauthorized("HTTP 403: Forbidden (empty or unreadable error body)"))
        self.assertEqual(
            err(404, {}, '{"code":"woocommerce_rest_shop_order_invalid_id","message":"Invalid ID."}'),
            t.ConnectorError_NotFound("HTTP 404: Invalid ID. (woocommerce_rest_shop_order_invalid_id)"),
        )
        self.assertEqual(err(410, {}, ""), t.ConnectorError_NotFound("HTTP 410: Gone (empty or unreadable error body)"))
        self.assertEqual(err(400, {}, '{"error":"bad things"}'), upstream(400, "bad things"))
        self.assertEqual(err(422, {}, '{"errors":{"title":["can\'t be blank"]}}'), upstream(422, "title: can't be blank"))
        self.assertEqual(
            err(500, {}, "<html><head><title>500 Internal Server Error</title></head></html>"),
            upstream(500, "500 Internal Server Error"),
        )
        self.assertEqual(err(502, {}, "  upstream\n  down "), upstream(502, "upstream down"))
        self.assertEqual(err(418, {}, ""), upstream(418, "no error message (empty or unreadable error body)"))
        redirect = err(301, {"Location": "https://shop/x"}, "")
        self.assertIsInstance(redirect, t.ConnectorError_Upstream)
        self.assertEqual(redirect.value.status, 301)
        self.assertTrue(redirect.value.message.startswith("unexpected redirect to https://shop/x (redirects are not followed"))
        self.assertIn("(no Location header)", err(302, {}, "").value.message)

    def test_rate_limits_wait_as_the_answer_asks(self) -> None:
        self.assertEqual(
            err(429, {"Retry-After": "7"}, '{"message":"slow down"}'),
            t.ConnectorError_RateLimited(t.RateLimitedInfo(7000, "HTTP 429: slow down")),
        )
        self.assertEqual(
            err(429, {}, ""),
            t.ConnectorError_RateLimited(
                t.RateLimitedInfo(errors.DEFAULT_RETRY_AFTER_MS, "HTTP 429: Too Many Requests (empty or unreadable error body)")
            ),
        )
        self.assertEqual(err(429, {"retry-after": "Wed, 01 Jan 2025 00:01:30 GMT"}, "").value.retry_after_ms, 90000)
        self.assertEqual(err(429, {"X-RateLimit-Reset": str(int(NOW) + 30)}, "").value.retry_after_ms, 30000)
        self.assertEqual(err(429, {"RateLimit-Reset": "3"}, "").value.retry_after_ms, 3000)
        self.assertEqual(err(429, {"Retry-After": "soon"}, "").value.retry_after_ms, errors.DEFAULT_RETRY_AFTER_MS)
        self.assertEqual(err(503, {"Retry-After": "2"}, "").value.retry_after_ms, 2000)
        self.assertIsInstance(err(503, {}, ""), t.ConnectorError_Upstream)

    def test_retry_after_and_reset_headers_in_their_forms(self) -> None:
        self.assertEqual(errors.retry_after_ms("0", NOW), errors.DEFAULT_RETRY_AFTER_MS)
        self.assertEqual(errors.retry_after_ms("1.5", NOW), 1500)
        self.assertEqual(errors.retry_after_ms("0.0011", NOW), 2, "rounded up, as the Rust SDK does")
        self.assertEqual(errors.retry_after_ms("Tue, 31 Dec 2024 00:00:00 GMT", NOW), errors.DEFAULT_RETRY_AFTER_MS)
        self.assertIsNone(errors.retry_after_ms("soon", NOW))
        self.assertEqual(errors.retry_after_ms("99999999", NOW), errors.MAX_RETRY_AFTER_MS)
        self.assertIsNone(errors.retry_after_ms(None, NOW))
        self.assertEqual(errors.reset_after_ms("12", NOW), 12000)
        self.assertEqual(errors.reset_after_ms(str(int(NOW * 1000) + 2500), NOW), 2500)
        self.assertIsNone(errors.reset_after_ms("x", NOW))

    def test_messages_are_read_from_the_common_error_body_shapes(self) -> None:
        m = errors.error_message
        self.assertIsNone(m(b""))
        self.assertEqual(errors.upstream_message(b"  "), "")
        self.assertEqual(m(b'{"error":{"message":"nope","code":42}}'), "nope (42)")
        self.assertEqual(m(b'{"error":"invalid_grant","error_description":"expired"}'), "invalid_grant: expired")
        self.assertEqual(m(b'{"error_description":"expired","code":7}'), "expired (7)")
        self.assertEqual(m(b'{"title":"Too Many","detail":"wait"}'), "Too Many: wait")
        self.assertEqual(m(b'{"type":"about:blank","title":"Not Found","status":404}'), "Not Found")
        self.assertEqual(m(b'{"errors":[{"message":"a"},"b"]}'), "a; b")
        # GraphQL.
        self.assertEqual(
            m(b'{"data":null,"errors":[{"message":"Cannot query field \\"x\\"","locations":[{"line":1,"column":3}]}]}'),
            'Cannot query field "x"',
        )
        self.assertEqual(m(b'{"errors":"not allowed"}'), "not allowed")
        # WooCommerce: the code is kept beside the message.
        self.assertEqual(
            m(b'{"code":"woocommerce_rest_invalid_id","message":"Invalid ID.","data":{"status":404}}'),
            "Invalid ID. (woocommerce_rest_invalid_id)",
        )
        # Magento: named and numbered placeholders filled from `parameters`.
        self.assertEqual(
            m(b'{"message":"No such entity with %fieldName = %fieldValue","parameters":{"fieldName":"id","fieldValue":7}}'),
            "No such entity with id = 7",
        )
        self.assertEqual(
            m(b'{"message":"The \\"%1\\" value must be %2.","parameters":["qty","positive"]}'),
            'The "qty" value must be positive.',
        )
        self.assertEqual(m(b'{"message":"Keep %1 and %3","parameters":["a"]}'), "Keep a and %3")
        self.assertEqual(
            m(b'{"message":"Validation failed","errors":[{"message":"%fieldName is required","parameters":{"fieldName":"sku"}}]}'),
            "Validation failed",
        )
        self.assertEqual(
            m(b'{"errors":[{"message":"%fieldName is required","parameters":{"fieldName":"sku"}}]}'), "sku is required"
        )
        self.assertEqual(m(b'{"unexpected":[1,2]}'), '{"unexpected":[1,2]}')
        # Keys in order, as the Rust SDK writes them (its JSON maps are sorted).
        self.assertEqual(
            m(b'{"errors":{"title":["can\'t be blank",3],"sku":"taken","n":5}}'), "n: 5; sku: taken; title: can't be blank, 3"
        )
        self.assertEqual(m(b'{"b":1,"a":{"d":[1,{"f":1,"e":2}],"c":2}}'), '{"a":{"c":2,"d":[1,{"e":2,"f":1}]},"b":1}')
        self.assertEqual(m(b"[]"), "[]")
        cut = m(b"x" * 1000)
        assert cut is not None
        self.assertEqual(len(cut), 301)
        self.assertTrue(cut.endswith("…"))
        self.assertEqual(errors.truncate("héllo", 2), "hé…")

    def test_anything_raised_becomes_a_contract_error(self) -> None:
        self.assertEqual(
            errors.as_connector_error(TypeError("x is None")).value, t.ConnectorError_Internal("TypeError: x is None")
        )
        raised = errors.upstream(500, "m")
        self.assertIs(errors.as_connector_error(raised), raised)
        self.assertIsInstance(raised, Err)


if __name__ == "__main__":
    unittest.main()
