// Unit tests of lib/paging.js, the cases of the Rust SDK's `paging` tests (run by `node --test`).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_CURSOR_LEN, decodeCursor, encodeCursor, nextLink, parseLinkHeader } from '../lib/paging.js';

test('a cursor round-trips as URL-safe base64 of its compact JSON', () => {
  const cursor = { m: 1735689600, id: 42, o: 3 };
  const encoded = encodeCursor(cursor);
  assert.match(encoded, /^[A-Za-z0-9_-]+$/);
  // The same bytes the Rust SDK writes for this struct (base64url of {"m":1735689600,"id":42,"o":3}).
  assert.equal(encoded, 'eyJtIjoxNzM1Njg5NjAwLCJpZCI6NDIsIm8iOjN9');
  assert.deepEqual(decodeCursor(encoded, ['m', 'id']), cursor);
  assert.deepEqual(decodeCursor(`${encoded}==`), cursor, 'padding is tolerated');
  assert.deepEqual(decodeCursor(encodeCursor({ q: 'ünï €' })), { q: 'ünï €' });
  for (const length of [1, 2, 3, 4, 5]) {
    const value = 'x'.repeat(length);
    assert.equal(decodeCursor(encodeCursor(value)), value, 'every length of tail');
  }
});

test('a cursor that is not ours is an invalid request', () => {
  const invalid = (message) => ({ tag: 'invalid-request', val: message });
  assert.throws(() => decodeCursor('%%%'), (e) => e.tag === 'invalid-request' && e.val.startsWith('invalid cursor'));
  assert.throws(() => decodeCursor(encodeCursor({ x: 1 }), ['m']), invalid('invalid cursor: missing field `m`'));
  assert.throws(() => decodeCursor(encodeCursor([1]), ['m']), (e) => e.tag === 'invalid-request');
  assert.throws(() => decodeCursor('A'.repeat(MAX_CURSOR_LEN + 1)), invalid('invalid cursor: longer than 4096 characters'));
  assert.throws(() => decodeCursor('AAAAA'), (e) => e.val.includes('length'));
  assert.throws(() => decodeCursor('eB'), (e) => e.val.includes('trailing bits'), 'non-canonical base64');
  assert.throws(() => decodeCursor('bm90IGpzb24'), (e) => e.val.startsWith('invalid cursor: '), '"not json"');
  assert.throws(() => encodeCursor({ n: 1n }), (e) => e.tag === 'internal' && e.val.startsWith('cannot encode cursor'));
  assert.throws(() => encodeCursor(undefined), (e) => e.tag === 'internal');
});

test('Link headers', () => {
  const wp = '<https://shop/wp-json/wc/v3/orders?page=1>; rel="prev", <https://shop/wp-json/wc/v3/orders?page=3>; rel="next"';
  const links = parseLinkHeader(wp);
  assert.equal(links.length, 2);
  assert.ok(links[0].hasRel('prev'));
  assert.equal(links[1].url, 'https://shop/wp-json/wc/v3/orders?page=3');
  assert.equal(nextLink(new Headers({ Link: wp })), 'https://shop/wp-json/wc/v3/orders?page=3');

  // Shopify style, unquoted rel, several rels, a comma inside a quoted title.
  const v = '<https://a/x?page_info=abc&limit=50>; rel=previous, <https://a/x?page_info=def>; title="a, b"; rel="next last"';
  const shopify = parseLinkHeader(v);
  assert.equal(shopify.length, 2);
  assert.ok(shopify[0].hasRel('previous'));
  assert.ok(shopify[1].hasRel('next') && shopify[1].hasRel('LAST'));
  assert.deepEqual(shopify[1].params[0], ['title', 'a, b']);
  assert.deepEqual(parseLinkHeader('<u>; title="say \\"hi\\""')[0].params, [['title', 'say "hi"']]);

  assert.deepEqual(parseLinkHeader(''), []);
  assert.deepEqual(parseLinkHeader('garbage, more garbage'), []);
  assert.equal(nextLink(new Headers({ link: '<u>; rel=prev' })), undefined);
  assert.equal(nextLink(undefined), undefined);
  // Separate Link header lines.
  const lines = new Headers();
  lines.append('link', '<p>; rel=prev');
  lines.append('Link', '<n>; rel=next');
  assert.equal(nextLink(lines), 'n');
  assert.equal(nextLink([['link', '<p>; rel=prev'], ['Link', '<n>; rel=next']]), 'n');
  assert.equal(nextLink({ link: ['<p>; rel=prev', '<n>; rel=next'] }), 'n');
});
