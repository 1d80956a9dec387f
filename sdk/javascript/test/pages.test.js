// Unit tests of the SDK's page and deletion helpers, run natively by `node --test`
// (`cargo xtask test` runs them; they need no component and no host).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { idsPage, neverDeleted, page, reportedDeletions, splitDeleted } from '../lib/pages.js';

test('a page fills the fields a connector does not use', () => {
  assert.deepEqual(page([{ tag: 'product', val: {} }], '2'), {
    entities: [{ tag: 'product', val: {} }],
    nextCursor: '2',
    deleted: [],
    ids: [],
  });
  assert.equal(page([], null).nextCursor, undefined, 'null means the last page');
  assert.deepEqual(page([], undefined, [7, '8']).deleted, ['7', '8']);
});

test('an ids-only page carries ids and no records', () => {
  assert.deepEqual(idsPage([1, 2], 'c'), { entities: [], nextCursor: 'c', deleted: [], ids: ['1', '2'] });
});

test('manifest entries say how deletions are found', () => {
  assert.deepEqual(reportedDeletions('orders', true), {
    resource: 'orders',
    detection: { reported: true, reconciliation: true },
  });
  assert.deepEqual(reportedDeletions('orders').detection, { reported: true, reconciliation: false });
  assert.deepEqual(neverDeleted('orders').detection, { reported: false, reconciliation: false });
});

test('a listing splits into live records and deleted ids, in order', () => {
  const rows = [
    { id: 1, status: 'trash' },
    { id: 2, status: 'publish' },
    { id: 3, status: 'trash' },
  ];
  const [live, deleted] = splitDeleted(rows, (r) => r.status === 'trash', (r) => r.id);
  assert.deepEqual(live, [{ id: 2, status: 'publish' }]);
  assert.deepEqual(deleted, ['1', '3']);
});
