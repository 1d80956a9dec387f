// Unit tests of lib/decimal.js, the cases of the Rust SDK's `decimal` tests (run by `node --test`).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DecimalError,
  add,
  compare,
  fromInt,
  fromJson,
  isDecimal,
  multiply,
  normalize,
  normalizeOpt,
  subtract,
  sum,
} from '../lib/decimal.js';

test('decimals normalize to plain digits and keep their scale', () => {
  const cases = [
    ['9.9', '9.9'],
    ['9.90', '9.90'],
    [' 19.99 ', '19.99'],
    ['+3', '3'],
    ['-3', '-3'],
    ['007.50', '7.50'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['-0.00', '0.00'],
    ['1e3', '1000'],
    ['1.5E-3', '0.0015'],
    ['-2.5e1', '-25'],
    ['1.5e2', '150'],
    ['1.50e1', '15.0'],
    ['1e+2', '100'],
  ];
  for (const [input, expected] of cases) assert.equal(normalize(input), expected, input);
});

test('what is not a decimal is refused, naming it', () => {
  const bad = ['abc', '', ' ', '1,5', '1.2.3', 'NaN', 'inf', '--1', '1e', '1e999', '.', '-', '0x10', '1 000', '-+1', '١'];
  for (const input of bad) assert.throws(() => normalize(input), DecimalError, JSON.stringify(input));
  assert.throws(() => normalize('1,5'), { message: 'not a decimal number: "1,5"', input: '1,5' });
  assert.throws(() => normalize(1.5), DecimalError, 'a number is not a decimal string');
  assert.ok(isDecimal('0'));
  assert.ok(!isDecimal('x'));
  assert.equal(normalizeOpt(''), undefined);
  assert.equal(normalizeOpt('  '), undefined);
  assert.equal(normalizeOpt('12'), '12');
});

test('decimals from JSON values', () => {
  assert.equal(fromJson(9.99), '9.99');
  assert.equal(fromJson(10), '10');
  assert.equal(fromJson(1e-7), '0.0000001');
  assert.equal(fromJson(1e21), '1000000000000000000000');
  assert.equal(fromJson(12345678901234567890n), '12345678901234567890');
  assert.equal(fromJson('12.50'), '12.50');
  assert.equal(fromJson(''), undefined);
  assert.equal(fromJson(null), undefined);
  assert.equal(fromJson(undefined), undefined);
  assert.throws(() => fromJson('abc'), DecimalError);
  assert.throws(() => fromJson(true), { message: 'not a decimal number: "true"' });
  assert.throws(() => fromJson([1]), DecimalError);
  assert.throws(() => fromJson({ a: 1 }), DecimalError);
  assert.throws(() => fromJson(Number.NaN), DecimalError);
  assert.equal(fromInt(-7), '-7');
  assert.equal(fromInt(2n ** 70n), '1180591620717411303424');
  assert.throws(() => fromInt(1.5), DecimalError);
});

test('arithmetic is exact and keeps scales as a decimal type does', () => {
  assert.equal(add('0.1', '0.2'), '0.3');
  assert.equal(add('1.5', '2.25'), '3.75');
  assert.equal(add('-0.05', '0.01'), '-0.04');
  assert.equal(add('99999999999999999999999999999999999999', '1'), '100000000000000000000000000000000000000');
  assert.equal(subtract('10.00', '10.00'), '0.00');
  assert.equal(subtract('10', '12.5'), '-2.5');
  assert.equal(subtract('0.3', '0.1'), '0.2');
  assert.equal(multiply('19.99', '3'), '59.97');
  assert.equal(multiply('1.10', '2.0'), '2.200');
  assert.equal(multiply('-0.5', '0.5'), '-0.25');
  assert.equal(multiply('-0.5', '0'), '0.0');
  assert.equal(multiply('1e2', '0.01'), '1.00');
  assert.throws(() => add('1', 'x'), { message: 'not a decimal number: "x"' });
  assert.throws(() => multiply('1,5', '2'), DecimalError);
});

test('decimals compare by value', () => {
  assert.equal(compare('10.5', '9.99'), 1);
  assert.equal(compare('1.0', '1'), 0);
  assert.equal(compare('-0.00', '0'), 0);
  assert.equal(compare('-2', '-1.5'), -1);
  assert.equal(compare('0.1', '0.10000000000000000001'), -1);
  assert.throws(() => compare('1', ''), DecimalError);
});

test('sums are exact, with the largest scale among the values', () => {
  assert.equal(sum(['1.5', '2.25']), '3.75');
  assert.equal(sum(['0.1', '0.2']), '0.3');
  assert.equal(sum(['10', '-12.5']), '-2.5');
  assert.equal(sum(['-0.05', '0.01']), '-0.04');
  assert.equal(sum([]), '0');
  assert.equal(sum(['1.00', '2']), '3.00');
  assert.throws(() => sum(['1', 'x']), DecimalError);
});
