// Paging helpers: opaque cursors and `Link` headers, as the Rust SDK's `paging` module.
//
// The contract's `cursor` is an opaque string the host hands back unchanged on the next
// `list` call; a connector keeps no state between calls, so the cursor carries whatever the
// next page needs. `encodeCursor` writes a JSON value as base64url (no padding) of its
// compact JSON and `decodeCursor` reads it back — the same encoding in Rust, JavaScript and
// Python, so a cursor means the same in every language. Keep cursor objects small and
// versionable (new fields optional).
//
// `parseLinkHeader` reads RFC 8288 `Link` headers (`<url>; rel="next", <url>; rel="prev"`)
// and `nextLink` finds the `rel="next"` target among a response's headers.

import { internal, invalidRequest } from './errors.js';

/** Longest cursor `decodeCursor` accepts, in characters. */
export const MAX_CURSOR_LEN = 4096;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// Base64url without padding, by hand: componentize-js has no `Buffer`.
function base64url(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c += 1) out += ALPHABET[(n >> (18 - 6 * c)) & 63];
  }
  return out;
}

// The bytes of canonical base64url without padding, or a reason it is not that.
function fromBase64url(text) {
  if (text.length % 4 === 1) return { reason: 'invalid base64url length' };
  const bytes = [];
  let bits = 0;
  let buffer = 0;
  for (const char of text) {
    const value = ALPHABET.indexOf(char);
    if (value < 0) return { reason: `invalid base64url character ${JSON.stringify(char)}` };
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return { reason: 'invalid base64url: trailing bits are not zero' };
  return { bytes: Uint8Array.from(bytes) };
}

/** Encodes a cursor value (anything JSON can hold) as an opaque, URL-safe string. */
export function encodeCursor(value) {
  let json;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    throw internal(`cannot encode cursor: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (json === undefined) throw internal(`cannot encode cursor: ${typeof value} is not JSON`);
  return base64url(new TextEncoder().encode(json));
}

/**
 * Decodes a cursor made by `encodeCursor` (in any of the SDK's languages). A cursor that is
 * not one of ours is `invalid-request` ("invalid cursor: ..."). `requiredFields`: names the
 * decoded object must have (a cursor from another connector version fails here, not later).
 */
export function decodeCursor(cursor, requiredFields = []) {
  const bad = (why) => invalidRequest(`invalid cursor: ${why}`);
  const text = String(cursor);
  if (text.length > MAX_CURSOR_LEN) throw bad(`longer than ${MAX_CURSOR_LEN} characters`);
  const decoded = fromBase64url(text.trim().replace(/=+$/, ''));
  if (decoded.reason !== undefined) throw bad(decoded.reason);
  let value;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(decoded.bytes));
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
  for (const field of requiredFields) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !(field in value)) {
      throw bad(`missing field \`${field}\``);
    }
  }
  return value;
}

/** One link of a `Link` header: its target, relation types (lowercase) and parameters. */
export class Link {
  constructor(url, rels, params) {
    /** The target, as written between `<` and `>`. */
    this.url = url;
    /** The relation types of `rel` (lowercased, split on spaces). */
    this.rels = rels;
    /** All parameters as `[name, value]`, names lowercased, values unquoted. */
    this.params = params;
  }

  /** Whether the link has relation type `rel` (case-insensitive). */
  hasRel(rel) {
    return this.rels.includes(String(rel).toLowerCase());
  }
}

// Reads one parameter value at the start of `rest`: quoted (with `\` escapes) or up to the
// next `;` or `,`. Returns [value, rest after it].
function readParamValue(rest) {
  if (!rest.startsWith('"')) {
    const end = rest.search(/[;,]/);
    const stop = end < 0 ? rest.length : end;
    return [rest.slice(0, stop).trim(), rest.slice(stop)];
  }
  let value = '';
  let i = 1;
  while (i < rest.length) {
    const c = rest[i];
    if (c === '\\') {
      if (i + 1 < rest.length) value += rest[i + 1];
      i += 2;
    } else if (c === '"') {
      return [value, rest.slice(i + 1)];
    } else {
      value += c;
      i += 1;
    }
  }
  return [value, ''];
}

/** Parses one `Link` header value into its links. Malformed parts are skipped. */
export function parseLinkHeader(value) {
  const links = [];
  let rest = String(value ?? '');
  for (;;) {
    rest = rest.replace(/^[\s,]+/, '');
    if (!rest.startsWith('<')) {
      // Skip to the next link, if any.
      const comma = rest.indexOf(',');
      if (comma < 0 || rest === '') break;
      rest = rest.slice(comma + 1);
      continue;
    }
    const end = rest.indexOf('>');
    if (end < 0) break;
    const url = rest.slice(1, end).trim();
    rest = rest.slice(end + 1);
    const params = [];
    // Parameters: `; name=value` or `; name="quoted, value"`, up to the next `,`.
    for (;;) {
      rest = rest.trimStart();
      if (!rest.startsWith(';')) break;
      rest = rest.slice(1).trimStart();
      const nameEnd = rest.search(/[=;,\s]/);
      const stop = nameEnd < 0 ? rest.length : nameEnd;
      const name = rest.slice(0, stop).toLowerCase();
      rest = rest.slice(stop).trimStart();
      let paramValue = '';
      if (rest.startsWith('=')) {
        [paramValue, rest] = readParamValue(rest.slice(1).trimStart());
      }
      if (name !== '') params.push([name, paramValue]);
    }
    const rels = params
      .filter(([name]) => name === 'rel')
      .flatMap(([, v]) => v.split(/\s+/).filter((r) => r !== '').map((r) => r.toLowerCase()));
    links.push(new Link(url, rels, params));
    // Drop anything up to the separating comma.
    const comma = rest.indexOf(',');
    if (comma < 0) break;
    rest = rest.slice(comma + 1);
  }
  return links;
}

// Every `Link` header value among `headers`: a fetch `Headers` (whose `get` joins repeated
// headers with `, `, which the parser reads as separate links), an object of name to value
// (or values), or an array of `[name, value]` pairs.
function linkValues(headers) {
  if (headers == null) return [];
  if (typeof headers.get === 'function') {
    const joined = headers.get('link');
    return joined == null ? [] : [joined];
  }
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  return pairs
    .filter(([name]) => String(name).toLowerCase() === 'link')
    .flatMap(([, v]) => (Array.isArray(v) ? v : [v]))
    .map(String);
}

/** The target of the first `rel="next"` link among all `Link` headers, or `undefined`. */
export function nextLink(headers) {
  for (const value of linkValues(headers)) {
    const next = parseLinkHeader(value).find((link) => link.hasRel('next'));
    if (next !== undefined) return next.url;
  }
  return undefined;
}
