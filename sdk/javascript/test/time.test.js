// Unit tests of lib/time.js, the cases of the Rust SDK's `time` tests (run by `node --test`).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  MIN_TIMESTAMP,
  TimeError,
  compare,
  epochSeconds,
  floorSecond,
  formatNaiveUtc,
  formatUtc,
  fromEpochSeconds,
  minusSeconds,
  normalizeUtc,
  normalizeUtcOpt,
  now,
  parseUtc,
} from '../lib/time.js';

test('common forms normalize to the canonical UTC string', () => {
  const cases = [
    ['2017-03-22T16:28:02', '2017-03-22T16:28:02Z'],
    ['2017-03-22 16:28:02', '2017-03-22T16:28:02Z'],
    ['2017-03-22T16:28:02Z', '2017-03-22T16:28:02Z'],
    ['2017-03-22T18:28:02+02:00', '2017-03-22T16:28:02Z'],
    ['2017-03-22T11:28:02-05:00', '2017-03-22T16:28:02Z'],
    ['2017-03-22 18:28:02+02:00', '2017-03-22T16:28:02Z'],
    ['2017-03-22T16:28:02.500Z', '2017-03-22T16:28:02.5Z'],
    [' 2017-03-22t16:28:02z ', '2017-03-22T16:28:02Z'],
    ['2017-03-22T18:28:02+0200', '2017-03-22T16:28:02Z'],
    ['2017-03-22T16:28:02.123456789Z', '2017-03-22T16:28:02.123456789Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00Z'],
    ['2017-01-01T00:30:00+01:00', '2016-12-31T23:30:00Z'],
    // What the Rust SDK's parser also takes (checked against it, case by case).
    ['2017-03-22T16:28Z', '2017-03-22T16:28:00Z'],
    ['2017-03-22T16Z', '2017-03-22T16:00:00Z'],
    ['2017-03-22T16:28:60Z', '2017-03-22T16:28:59Z'],
    ['2017-03-22T16:28:02,5Z', '2017-03-22T16:28:02.5Z'],
    ['2017-03-22T16:28:02+02', '2017-03-22T14:28:02Z'],
    ['2017-03-22T16:28:02+24:00', '2017-03-21T16:28:02Z'],
    ['2017-03-22T16:28:02+02:00:30', '2017-03-22T14:27:32Z'],
    ['2017-03-22T16:28:02-00:00', '2017-03-22T16:28:02Z'],
    ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00Z'],
  ];
  for (const [input, expected] of cases) assert.equal(normalizeUtc(input), expected, input);
});

test('what is not a date and a time is refused, saying what was given', () => {
  for (const bad of ['', 'abc', '2017-02-30T00:00:00', '2017-03-22', '2017-03-22T25:00:00', '2023-02-29T00:00:00Z', '2017-13-01T00:00:00', '2017-03-22T16:28:02.1234567891Z', '9999-12-31T23:59:59Z', '2017-03-22T16:28:02 Z', '20170322T162802Z', '-0001-01-01T00:00:00Z', '2017-3-22T16:28:02Z', '2017-03-22T16:28:02+26:00']) {
    assert.throws(() => normalizeUtc(bad), TimeError, bad);
  }
  assert.throws(() => parseUtc('2017-03-22'), {
    message: 'invalid timestamp "2017-03-22": expected a date and a time, e.g. 2026-01-31T12:00:00Z',
  });
  assert.throws(() => parseUtc('  '), { reason: 'empty' });
  const upstreamError = new TimeError('x', 'empty').intoUpstream(200);
  assert.deepEqual(upstreamError, { tag: 'upstream', val: { status: 200, message: 'invalid timestamp "x": empty' } });
});

test('optional timestamps: absent, empty and the MySQL zero date are no value', () => {
  assert.equal(normalizeUtcOpt(undefined), undefined);
  assert.equal(normalizeUtcOpt(null), undefined);
  assert.equal(normalizeUtcOpt(''), undefined);
  assert.equal(normalizeUtcOpt('0000-00-00 00:00:00'), undefined);
  assert.equal(normalizeUtcOpt('2020-01-01T00:00:00'), '2020-01-01T00:00:00Z');
  assert.throws(() => normalizeUtcOpt('nope'), TimeError);
});

test('arithmetic and formats', () => {
  const t = parseUtc('2025-01-01T00:00:00.75Z');
  assert.equal(formatNaiveUtc(t), '2025-01-01T00:00:00');
  assert.equal(formatNaiveUtc(minusSeconds(t, 1)), '2024-12-31T23:59:59');
  assert.equal(formatUtc(floorSecond(t)), '2025-01-01T00:00:00Z');
  assert.equal(String(t), '2025-01-01T00:00:00.75Z');
  assert.equal(compare('2025-01-01T00:00:00Z', '2025-01-01T01:00:00+02:00'), 1);
  assert.equal(compare('2025-01-01T00:00:00Z', '2025-01-01T02:00:00+02:00'), 0);
  assert.equal(compare('2025-01-01T00:00:00.1Z', '2025-01-01T00:00:00.2Z'), -1);
  assert.equal(epochSeconds('1970-01-01T00:01:00'), 60);
  assert.equal(epochSeconds('1969-12-31T23:59:59.5Z'), 0, 'a fraction is cut towards zero');
  assert.equal(fromEpochSeconds(60), '1970-01-01T00:01:00Z');
  assert.equal(fromEpochSeconds(1735689600n), '2025-01-01T00:00:00Z');
  assert.throws(() => fromEpochSeconds(1.5), TimeError);
  assert.throws(() => fromEpochSeconds(1e15), TimeError);
  assert.deepEqual(minusSeconds(MIN_TIMESTAMP, 5), MIN_TIMESTAMP);
  assert.equal(formatUtc(MIN_TIMESTAMP), '-009999-01-02T01:59:59Z');
  assert.equal(formatUtc(parseUtc('1900-03-01T00:00:00Z')), '1900-03-01T00:00:00Z');
});

test('now is the wall clock', () => {
  const before = Math.floor(Date.now() / 1000);
  const seconds = now().seconds;
  assert.ok(seconds >= before && seconds <= before + 1);
});
