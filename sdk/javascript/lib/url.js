// Absolute `http`/`https` URLs: parsing and building on the platform's WHATWG `URL` (which
// componentize-js provides too), with the Rust SDK's `url` module's rules where they differ:
//
// - `parseUrl` wants `scheme://host...` (WHATWG would also read `http:host` or `http:///host`);
//   the scheme and host are lowercased, a default port is dropped, `.`/`..` resolved;
// - `pushSegment` appends one path segment, fully percent-encoded (`/`, `?`, `#`, `%`
//   included), so an id can never change the shape of a URL. WHATWG reads `%2E%2E` as `..`,
//   so a segment that is `.` or `..` is refused here (`invalid-request`) — the Rust SDK
//   sends it as `%2E%2E`;
// - `appendQueryPair` appends `name=value` form-urlencoded and leaves the existing query as
//   it was written; `queryPairs` reads the pairs back, decoded.

import { invalidRequest } from './errors.js';

/** A URL that could not be parsed; `reason` says what is wrong with it. */
export class UrlError extends Error {
  constructor(reason) {
    super(reason);
    this.name = 'UrlError';
    this.reason = reason;
  }
}

const ABSOLUTE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]/;

/** Parses an absolute URL (`scheme://host[:port][/path][?query][#fragment]`) into a `URL`. */
export function parseUrl(text) {
  const trimmed = String(text ?? '').trim();
  if (!ABSOLUTE.test(trimmed)) throw new UrlError('not an absolute URL (expected scheme://host/...)');
  try {
    return new URL(trimmed);
  } catch (e) {
    throw new UrlError(e instanceof Error ? e.message : String(e));
  }
}

/**
 * Percent-encodes a whole path segment: everything but unreserved characters and a few
 * harmless sub-delimiters (`!$'()*,:@`), as the Rust SDK's `encode_segment`.
 */
export function encodeSegment(segment) {
  return encodeURIComponent(String(segment))
    .replace(/%(24|2C|3A|40)/g, (escape) => decodeURIComponent(escape));
}

/**
 * Appends one path segment to `url` (a `URL`, changed in place and returned), fully encoded.
 * A trailing `/` of the current path is reused rather than producing an empty segment.
 */
export function pushSegment(url, segment) {
  const text = String(segment);
  if (text === '.' || text === '..') {
    throw invalidRequest(`path segment ${JSON.stringify(text)} is not allowed (it would move up the path)`);
  }
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  url.pathname = path + encodeSegment(text);
  return url;
}

/** Appends a `name=value` pair, form-urlencoded, to `url`'s query (changed in place and returned). */
export function appendQueryPair(url, name, value) {
  const pair = new URLSearchParams([[String(name), String(value)]]).toString();
  const query = url.search.replace(/^\?/, '');
  url.search = query === '' ? pair : `${query}&${pair}`;
  return url;
}

/** The query's pairs as `[name, value]`, form-urldecoded. */
export function queryPairs(url) {
  return [...url.searchParams];
}
