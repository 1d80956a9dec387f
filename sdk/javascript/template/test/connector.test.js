// The connector's own unit tests, run natively in about a second (no component, no host):
//   node --import ../lib/native/register.js --test test/
// (in a connector made by `junction connector new`: `--import ./lib/native/register.js`).
// They call the exports as the host would, against a small example API served here.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { connector } from '../connector.js';

const ITEMS = [1, 2, 3, 4, 5].map((n) => ({
  id: n,
  name: `Item ${n}`,
  price: `${n}.00`,
  updated_at: `2026-01-0${n}T00:00:00Z`,
}));

let server;
let baseUrl;

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (req.headers['x-api-key'] !== 't-key') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad key"}');
      return;
    }
    const page = Number(url.searchParams.get('page') ?? 1);
    const perPage = Number(url.searchParams.get('per_page') ?? 10);
    const items = ITEMS.slice((page - 1) * perPage, page * perPage);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ items, has_more: page * perPage < ITEMS.length }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

const config = (apiKey = 't-key') => JSON.stringify({ base_url: baseUrl, api_key: apiKey });

test('lists every product, page by page', async () => {
  const seen = [];
  let cursor;
  do {
    const page = await connector.list(config(), {
      resource: 'products',
      updatedSince: undefined,
      cursor,
      pageSize: 2,
      parentId: undefined,
      idsOnly: false,
    });
    seen.push(...page.entities.map((e) => e.val.externalId));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  assert.deepEqual(seen, ['1', '2', '3', '4', '5']);
});

test('a refused key is unauthorized', async () => {
  await assert.rejects(connector.check(config('nope')), (e) => e.tag === 'unauthorized');
});

test('the manifest names the connector', () => {
  const manifest = connector.manifest();
  assert.match(manifest.key, /^[a-z][a-z0-9-]*$/);
  assert.ok(JSON.parse(manifest.configSchema).properties.api_key.writeOnly);
});
