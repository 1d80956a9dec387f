// Reading the connection config (a JSON object string), as the Rust SDK's `config` module.
//
// The host has already validated the config against the manifest's `config-schema`, so
// errors here are rare; when they happen they are `invalid-config` naming the property at
// fault and what it accepts:
//
//   const config = parseConfig(configJson, {
//     base_url: 'string', api_key: 'string', timeout_seconds: 'integer?',
//   });
//   const base = httpUrl('base_url', config.base_url);
//   const timeout = timeoutSeconds(config.timeout_seconds);
//
// A field's type is `string`, `integer`, `number`, `boolean`, `array` or `object`; a trailing
// `?` makes it optional (absent or `null` gives `undefined`). Fields not declared are refused
// (the Rust SDK's structs deny unknown fields) unless `{ allowUnknown: true }`.

import { invalidConfig } from './errors.js';
import { UrlError, parseUrl } from './url.js';

/** The per-request timeout when a config's `timeout_seconds` is absent. */
export const DEFAULT_TIMEOUT_SECONDS = 30;
/** The longest per-request timeout a config may ask for (the host's call limit bounds it too). */
export const MAX_TIMEOUT_SECONDS = 300;

const TYPES = {
  string: ['a string', (v) => typeof v === 'string'],
  integer: ['an integer', (v) => Number.isSafeInteger(v)],
  number: ['a number', (v) => typeof v === 'number' && Number.isFinite(v)],
  boolean: ['true or false', (v) => typeof v === 'boolean'],
  array: ['an array', (v) => Array.isArray(v)],
  object: ['an object', (v) => typeof v === 'object' && v !== null && !Array.isArray(v)],
};

/** How a JSON value is named in messages: `the string "ten"`, `null`, `an array`. */
function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

function checkField(config, name, spec) {
  const optional = spec.endsWith('?');
  const type = TYPES[optional ? spec.slice(0, -1) : spec];
  if (type === undefined) throw new TypeError(`config field ${name}: unknown type ${JSON.stringify(spec)}`);
  const value = config[name];
  if (value === undefined || (value === null && optional)) {
    if (optional) return undefined;
    throw invalidConfig(name, `invalid config: missing field \`${name}\``);
  }
  const [accepted, accepts] = type;
  if (!accepts(value)) {
    throw invalidConfig(name, `invalid config: ${name} must be ${accepted}, not ${describe(value)}`);
  }
  return value;
}

/**
 * Parses the config JSON into an object, checking `fields` (name to type, see the module
 * comment) when given. Every failure is `invalid-config` naming the field when there is one.
 */
export function parseConfig(configJson, fields, { allowUnknown = false } = {}) {
  let config;
  try {
    config = JSON.parse(configJson);
  } catch (e) {
    throw invalidConfig(undefined, `invalid config: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw invalidConfig(undefined, `invalid config: expected a JSON object, not ${describe(config)}`);
  }
  if (fields === undefined) return config;
  const declared = Object.keys(fields);
  if (!allowUnknown) {
    const unknown = Object.keys(config).find((name) => !declared.includes(name));
    if (unknown !== undefined) {
      const expected = declared.map((name) => `\`${name}\``).join(', ');
      throw invalidConfig(unknown, `invalid config: unknown field \`${unknown}\`, expected one of ${expected}`);
    }
  }
  const checked = { ...config };
  for (const name of declared) checked[name] = checkField(config, name, fields[name]);
  return checked;
}

/**
 * Checks that a config property holds an absolute `http`/`https` URL with a host and no query
 * or fragment, and returns it as a `URL`. Errors are `invalid-config` for `field`.
 */
export function httpUrl(field, value) {
  const bad = (message) => invalidConfig(field, message);
  let url;
  try {
    url = parseUrl(typeof value === 'string' ? value : '');
  } catch (e) {
    throw bad(`${field} is not a valid URL: ${e instanceof UrlError ? e.reason : String(e)}`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'http' && scheme !== 'https') {
    throw bad(`${field} must be an http or https URL, not ${scheme}:`);
  }
  if (url.hostname === '') throw bad(`${field} has no host`);
  if (url.search !== '' || url.hash !== '') throw bad(`${field} must not have a query or fragment`);
  return url;
}

/** Checks that a required string property is not blank; returns it trimmed. */
export function nonEmpty(field, value) {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') throw invalidConfig(field, `${field} must not be empty`);
  return text;
}

/**
 * The per-request timeout in seconds from an optional `timeout_seconds` property: the
 * default when absent, otherwise 1 to `MAX_TIMEOUT_SECONDS` or `invalid-config` naming the field.
 */
export function timeoutSeconds(value) {
  const seconds = value ?? DEFAULT_TIMEOUT_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
    throw invalidConfig('timeout_seconds', `timeout_seconds must be between 1 and ${MAX_TIMEOUT_SECONDS}`);
  }
  return seconds;
}
