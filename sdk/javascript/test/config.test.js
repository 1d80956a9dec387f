// Unit tests of lib/config.js, the cases of the Rust SDK's `config` tests (run by `node --test`).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DEFAULT_TIMEOUT_SECONDS,
  httpUrl,
  nonEmpty,
  parseConfig,
  timeoutSeconds,
} from '../lib/config.js';

const FIELDS = { base_url: 'string', timeout_seconds: 'integer?' };

/** The `invalid-config` problem of a thrown error (and fails on any other). */
function problem(call) {
  try {
    call();
  } catch (e) {
    assert.equal(e.tag, 'invalid-config', JSON.stringify(e));
    return e.val;
  }
  assert.fail('no error');
}

test('config errors name the field and what it accepts', () => {
  assert.deepEqual(parseConfig('{"base_url":"http://x"}', FIELDS), { base_url: 'http://x', timeout_seconds: undefined });
  assert.equal(parseConfig('{"base_url":"x","timeout_seconds":null}', FIELDS).timeout_seconds, undefined);
  assert.deepEqual(problem(() => parseConfig('{}', FIELDS)), {
    field: 'base_url',
    message: 'invalid config: missing field `base_url`',
  });
  assert.deepEqual(problem(() => parseConfig('{"base_url":"x","timeout_seconds":"ten"}', FIELDS)), {
    field: 'timeout_seconds',
    message: 'invalid config: timeout_seconds must be an integer, not the string "ten"',
  });
  assert.equal(problem(() => parseConfig('{"base_url":null}', FIELDS)).message, 'invalid config: base_url must be a string, not null');
  assert.equal(problem(() => parseConfig('{"base_url":"x","timeout_seconds":1.5}', FIELDS)).field, 'timeout_seconds');
  assert.deepEqual(problem(() => parseConfig('{"base_url":"x","extra":1}', FIELDS)), {
    field: 'extra',
    message: 'invalid config: unknown field `extra`, expected one of `base_url`, `timeout_seconds`',
  });
  assert.equal(parseConfig('{"base_url":"x","extra":1}', FIELDS, { allowUnknown: true }).extra, 1);
  const notJson = problem(() => parseConfig('not json', FIELDS));
  assert.equal(notJson.field, undefined);
  assert.match(notJson.message, /^invalid config: /);
  assert.equal(problem(() => parseConfig('{"base_url":"x"} trailing', FIELDS)).field, undefined);
  assert.equal(problem(() => parseConfig('[1]')).message, 'invalid config: expected a JSON object, not an array');
  assert.deepEqual(parseConfig('{"any":true}'), { any: true }, 'without fields: the object as it is');
  const types = { s: 'string', n: 'number', b: 'boolean?', a: 'array?', o: 'object?' };
  assert.equal(problem(() => parseConfig('{"s":"x","n":"1"}', types)).message, 'invalid config: n must be a number, not the string "1"');
  assert.equal(problem(() => parseConfig('{"s":"x","n":1,"b":1}', types)).message, 'invalid config: b must be true or false, not number 1');
  assert.equal(problem(() => parseConfig('{"s":"x","n":1,"a":{}}', types)).message, 'invalid config: a must be an array, not an object');
  assert.equal(problem(() => parseConfig('{"s":"x","n":1,"o":[]}', types)).message, 'invalid config: o must be an object, not an array');
  assert.throws(() => parseConfig('{}', { x: 'strnig' }), TypeError, 'a typo in the declaration is a bug');
});

test('URLs must be absolute http(s) without query or fragment', () => {
  assert.equal(httpUrl('u', ' https://shop.example/ ').hostname, 'shop.example');
  const cases = [
    ['shop.example', 'base_url is not a valid URL: not an absolute URL (expected scheme://host/...)'],
    ['ftp://shop.example', 'base_url must be an http or https URL, not ftp:'],
    ['http://', 'base_url is not a valid URL: not an absolute URL (expected scheme://host/...)'],
    ['https://x/?a=1', 'base_url must not have a query or fragment'],
    ['https://x/#top', 'base_url must not have a query or fragment'],
  ];
  for (const [bad, message] of cases) {
    assert.deepEqual(problem(() => httpUrl('base_url', bad)), { field: 'base_url', message }, bad);
  }
  assert.equal(problem(() => httpUrl('base_url', 42)).field, 'base_url');
});

test('required strings must not be blank', () => {
  assert.deepEqual(problem(() => nonEmpty('k', '  ')), { field: 'k', message: 'k must not be empty' });
  assert.equal(problem(() => nonEmpty('k', undefined)).field, 'k');
  assert.equal(nonEmpty('k', ' a '), 'a');
});

test('timeouts default and are bounded', () => {
  assert.equal(timeoutSeconds(undefined), DEFAULT_TIMEOUT_SECONDS);
  assert.equal(timeoutSeconds(null), 30);
  assert.equal(timeoutSeconds(300), 300);
  assert.equal(timeoutSeconds(1), 1);
  for (const bad of [0, 301, 1.5, '10']) {
    assert.deepEqual(problem(() => timeoutSeconds(bad)), {
      field: 'timeout_seconds',
      message: 'timeout_seconds must be between 1 and 300',
    });
  }
});
