// Unit tests of lib/errors.js: error bodies of common APIs and HTTP statuses mapped onto
// contract errors, the cases of the Rust SDK's `error` tests (run by `node --test`).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DEFAULT_RETRY_AFTER_MS,
  MAX_RETRY_AFTER_MS,
  asConnectorError,
  errorMessage,
  rateLimited,
  resetAfterMs,
  retryAfterMs,
  statusError,
  truncate,
  upstream,
  upstreamMessage,
} from '../lib/errors.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const err = (status, headers, body) => statusError(status, new Headers(headers), body, NOW);

test('statuses map onto contract errors with the body message', () => {
  const wp = '{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.","data":{"status":401}}';
  assert.deepEqual(err(401, {}, wp), {
    tag: 'unauthorized',
    val: 'HTTP 401: Sorry, you cannot list resources. (woocommerce_rest_cannot_view)',
  });
  assert.deepEqual(err(403, {}, ''), { tag: 'unauthorized', val: 'HTTP 403: Forbidden (empty or unreadable error body)' });
  assert.deepEqual(err(404, {}, '{"code":"woocommerce_rest_shop_order_invalid_id","message":"Invalid ID."}'), {
    tag: 'not-found',
    val: 'HTTP 404: Invalid ID. (woocommerce_rest_shop_order_invalid_id)',
  });
  assert.deepEqual(err(410, {}, ''), { tag: 'not-found', val: 'HTTP 410: Gone (empty or unreadable error body)' });
  assert.deepEqual(err(400, {}, '{"error":"bad things"}'), upstream(400, 'bad things'));
  assert.deepEqual(err(422, {}, '{"errors":{"title":["can\'t be blank"]}}'), upstream(422, "title: can't be blank"));
  assert.deepEqual(err(500, {}, '<html><head><title>500 Internal Server Error</title></head></html>'), upstream(500, '500 Internal Server Error'));
  assert.deepEqual(err(502, {}, '  upstream\n  down '), upstream(502, 'upstream down'));
  assert.deepEqual(err(418, {}, ''), upstream(418, 'no error message (empty or unreadable error body)'));
  const redirect = err(301, { Location: 'https://shop/x' }, '');
  assert.equal(redirect.tag, 'upstream');
  assert.equal(redirect.val.status, 301);
  assert.match(redirect.val.message, /^unexpected redirect to https:\/\/shop\/x \(redirects are not followed/);
  assert.match(err(302, {}, '').val.message, /\(no Location header\)/);
});

test('rate limits wait as the answer asks', () => {
  assert.deepEqual(err(429, { 'Retry-After': '7' }, '{"message":"slow down"}'), rateLimited(7000, 'HTTP 429: slow down'));
  assert.deepEqual(
    err(429, {}, ''),
    rateLimited(DEFAULT_RETRY_AFTER_MS, 'HTTP 429: Too Many Requests (empty or unreadable error body)'),
  );
  assert.equal(err(429, { 'retry-after': 'Wed, 01 Jan 2025 00:01:30 GMT' }, '').val.retryAfterMs, 90000n);
  assert.equal(err(429, { 'X-RateLimit-Reset': String(NOW / 1000 + 30) }, '').val.retryAfterMs, 30000n);
  assert.equal(err(429, { 'RateLimit-Reset': '3' }, '').val.retryAfterMs, 3000n);
  assert.equal(err(429, { 'Retry-After': 'soon' }, '').val.retryAfterMs, BigInt(DEFAULT_RETRY_AFTER_MS));
  assert.equal(err(503, { 'Retry-After': '2' }, '').val.retryAfterMs, 2000n);
  assert.equal(err(503, {}, '').tag, 'upstream');
});

test('Retry-After and reset headers in their forms', () => {
  assert.equal(retryAfterMs('0', NOW), DEFAULT_RETRY_AFTER_MS);
  assert.equal(retryAfterMs('1.5', NOW), 1500);
  assert.equal(retryAfterMs('0.0011', NOW), 2, 'rounded up, as the Rust SDK does');
  assert.equal(retryAfterMs('Tue, 31 Dec 2024 00:00:00 GMT', NOW), DEFAULT_RETRY_AFTER_MS);
  assert.equal(retryAfterMs('soon', NOW), undefined);
  assert.equal(retryAfterMs('99999999', NOW), MAX_RETRY_AFTER_MS);
  assert.equal(retryAfterMs(undefined, NOW), undefined);
  assert.equal(resetAfterMs('12', NOW), 12000);
  assert.equal(resetAfterMs(String(NOW + 2500), NOW), 2500);
  assert.equal(resetAfterMs('x', NOW), undefined);
});

test('messages are read from the common error body shapes', () => {
  assert.equal(errorMessage(''), undefined);
  assert.equal(upstreamMessage('  '), '');
  assert.equal(errorMessage('{"error":{"message":"nope","code":42}}'), 'nope (42)');
  assert.equal(errorMessage('{"error":"invalid_grant","error_description":"expired"}'), 'invalid_grant: expired');
  assert.equal(errorMessage('{"error_description":"expired","code":7}'), 'expired (7)');
  assert.equal(errorMessage('{"title":"Too Many","detail":"wait"}'), 'Too Many: wait');
  assert.equal(errorMessage('{"type":"about:blank","title":"Not Found","status":404}'), 'Not Found');
  assert.equal(errorMessage('{"errors":[{"message":"a"},"b"]}'), 'a; b');
  // GraphQL.
  assert.equal(
    errorMessage('{"data":null,"errors":[{"message":"Cannot query field \\"x\\"","locations":[{"line":1,"column":3}]}]}'),
    'Cannot query field "x"',
  );
  assert.equal(errorMessage('{"errors":"not allowed"}'), 'not allowed');
  // WooCommerce: the code is kept beside the message.
  assert.equal(
    errorMessage('{"code":"woocommerce_rest_invalid_id","message":"Invalid ID.","data":{"status":404}}'),
    'Invalid ID. (woocommerce_rest_invalid_id)',
  );
  // Magento: named and numbered placeholders filled from `parameters`.
  assert.equal(
    errorMessage('{"message":"No such entity with %fieldName = %fieldValue","parameters":{"fieldName":"id","fieldValue":7}}'),
    'No such entity with id = 7',
  );
  assert.equal(errorMessage('{"message":"The \\"%1\\" value must be %2.","parameters":["qty","positive"]}'), 'The "qty" value must be positive.');
  assert.equal(errorMessage('{"message":"Keep %1 and %3","parameters":["a"]}'), 'Keep a and %3');
  assert.equal(
    errorMessage('{"message":"Validation failed","errors":[{"message":"%fieldName is required","parameters":{"fieldName":"sku"}}]}'),
    'Validation failed',
  );
  assert.equal(errorMessage('{"errors":[{"message":"%fieldName is required","parameters":{"fieldName":"sku"}}]}'), 'sku is required');
  assert.equal(errorMessage('{"unexpected":[1,2]}'), '{"unexpected":[1,2]}');
  // Keys in order, as the Rust SDK writes them (its JSON maps are sorted).
  assert.equal(errorMessage('{"errors":{"title":["can\'t be blank",3],"sku":"taken","n":5}}'), "n: 5; sku: taken; title: can't be blank, 3");
  assert.equal(errorMessage('{"b":1,"a":{"d":[1,{"f":1,"e":2}],"c":2}}'), '{"a":{"c":2,"d":[1,{"e":2,"f":1}]},"b":1}');
  assert.equal(errorMessage('[]'), '[]');
  const long = 'x'.repeat(1000);
  const cut = errorMessage(long);
  assert.equal([...cut].length, 301);
  assert.ok(cut.endsWith('…'));
  assert.equal(truncate('héllo', 2), 'hé…');
});

test('anything thrown becomes a contract error', () => {
  assert.deepEqual(asConnectorError(new TypeError('x is undefined')), { tag: 'internal', val: 'TypeError: x is undefined' });
  assert.deepEqual(asConnectorError(upstream(500, 'm')), upstream(500, 'm'));
});
