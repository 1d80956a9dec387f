// Unit tests of lib/url.js, the cases of the Rust SDK's `url` tests (run by `node --test`).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { UrlError, appendQueryPair, encodeSegment, parseUrl, pushSegment, queryPairs } from '../lib/url.js';

test('a URL parses into its parts, normalised', () => {
  const u = parseUrl('HTTPS://User:P%40ss@Shop.Example.COM:8443/wp-json/wc/v3/?a=1&b=x y#frag');
  assert.equal(u.protocol, 'https:');
  assert.equal(u.username, 'User');
  assert.equal(u.password, 'P%40ss');
  assert.equal(u.hostname, 'shop.example.com');
  assert.equal(u.port, '8443');
  assert.equal(u.pathname, '/wp-json/wc/v3/');
  assert.equal(u.search, '?a=1&b=x%20y');
  assert.equal(u.href, 'https://User:P%40ss@shop.example.com:8443/wp-json/wc/v3/?a=1&b=x%20y#frag');
  assert.equal(parseUrl('http://127.0.0.1:80').href, 'http://127.0.0.1/');
  assert.equal(parseUrl('http://[::1]:8090/x').host, '[::1]:8090');
  assert.equal(parseUrl('https://h:443/').host, 'h');
  assert.equal(parseUrl('http://h/a/./b/../c').pathname, '/a/c');
  assert.equal(parseUrl('http://h/../../x').pathname, '/x');
  assert.equal(parseUrl('http://h/a b/é').pathname, '/a%20b/%C3%A9');
  assert.equal(parseUrl('http://h/a%2Fb').pathname, '/a%2Fb');
});

test('what is not an absolute URL is refused', () => {
  for (const bad of ['', 'shop.example.com', '/relative', 'http://', 'http:///path', 'http:host', 'http://exa mple.com/', 'http://h:99999/', 'http://h:8o/', 'http://[::1/', 'http://[zz]/', '1http://h/']) {
    assert.throws(() => parseUrl(bad), UrlError, JSON.stringify(bad));
  }
  assert.throws(() => parseUrl('nope'), { reason: 'not an absolute URL (expected scheme://host/...)' });
});

test('segments are encoded whole, so an id cannot change the shape of a URL', () => {
  const u = parseUrl('https://shop.example.com/wp-json/wc/v3/');
  pushSegment(u, 'orders');
  pushSegment(u, '../x?y#z/%');
  assert.equal(u.pathname, '/wp-json/wc/v3/orders/..%2Fx%3Fy%23z%2F%25');
  assert.equal(encodeSegment("a b!$'()*,:@~&=+;"), "a%20b!$'()*,:@~%26%3D%2B%3B");
  assert.equal(encodeSegment('é'), '%C3%A9');
  for (const dots of ['.', '..']) {
    assert.throws(() => pushSegment(u, dots), (e) => e.tag === 'invalid-request', dots);
  }
  assert.equal(pushSegment(parseUrl('http://h/base'), 'a').pathname, '/base/a');
});

test('query pairs are appended form-urlencoded and read back decoded', () => {
  const u = parseUrl('https://shop.example.com/x?keep=a%20b');
  appendQueryPair(u, 'modified_after', '2025-01-02T03:04:05');
  appendQueryPair(u, 'search', 'a b&c=d/é*~');
  assert.equal(u.search, '?keep=a%20b&modified_after=2025-01-02T03%3A04%3A05&search=a+b%26c%3Dd%2F%C3%A9*%7E');
  assert.deepEqual(queryPairs(u), [
    ['keep', 'a b'],
    ['modified_after', '2025-01-02T03:04:05'],
    ['search', 'a b&c=d/é*~'],
  ]);
  const empty = parseUrl('http://h/');
  assert.deepEqual(queryPairs(empty), []);
  assert.equal(appendQueryPair(empty, 'page', 2).href, 'http://h/?page=2');
});
