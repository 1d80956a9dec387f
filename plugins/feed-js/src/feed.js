// The feed's shapes and rules: the connection config, the paging cursor, and a feed product
// as the contract's canonical `product`.

import { invalidConfig, invalidRequest, upstream } from '../../../sdk/javascript/lib/errors.js';

/** The feed serves at most this many products per page. */
export const MAX_PAGE_SIZE = 100;
/** Prefix of this connector's cursors, so a cursor from another listing is refused. */
const CURSOR_PREFIX = 'feed1.';

/** The config JSON as `{ feedUrl, apiKey }`; problems name the field. */
export function parseConfig(configJson) {
  let config;
  try {
    config = JSON.parse(configJson);
  } catch (e) {
    throw invalidConfig(undefined, `config is not JSON: ${e.message}`);
  }
  const feedUrl = config.feed_url;
  if (typeof feedUrl !== 'string' || !/^https?:\/\/[^/?#]+/.test(feedUrl)) {
    throw invalidConfig('feed_url', 'must be an absolute http(s) URL such as https://feeds.example.com/feed/v1');
  }
  const apiKey = config.api_key;
  if (apiKey !== undefined && typeof apiKey !== 'string') {
    throw invalidConfig('api_key', 'must be a string');
  }
  return { feedUrl: feedUrl.replace(/\/+$/, ''), apiKey };
}

/** Request headers for the config: the API key when there is one. */
export function authHeaders(config) {
  return config.apiKey ? { 'x-api-key': config.apiKey } : {};
}

/** Our cursor for the feed's `next_cursor`. */
export function wrapCursor(feedCursor) {
  return feedCursor == null ? undefined : CURSOR_PREFIX + feedCursor;
}

/** The feed's cursor inside ours; a foreign cursor is an invalid request. */
export function unwrapCursor(cursor) {
  if (cursor == null) return undefined;
  if (!cursor.startsWith(CURSOR_PREFIX) || cursor.length === CURSOR_PREFIX.length) {
    throw invalidRequest(`cursor ${JSON.stringify(cursor)} was not issued by this connector`);
  }
  return cursor.slice(CURSOR_PREFIX.length);
}

/** A timestamp as the contract wants it (RFC 3339 UTC, `Z`, whole seconds kept as given). */
export function utc(value, field) {
  const at = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) {
    throw upstream(200, `product field ${field}: ${JSON.stringify(value)} is not a timestamp`);
  }
  return new Date(at).toISOString().replace(/\.000Z$/, 'Z');
}

/** An updated-since from the host, checked before it is sent. */
export function sinceParam(value) {
  if (value == null) return undefined;
  if (Number.isNaN(Date.parse(value))) {
    throw invalidRequest(`updated-since ${JSON.stringify(value)} is not an RFC 3339 timestamp`);
  }
  return value;
}

function decimal(value, field) {
  if (value == null) return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^-?\d+(\.\d+)?$/.test(text)) {
    throw upstream(200, `product field ${field}: ${JSON.stringify(value)} is not a decimal`);
  }
  return text;
}

/** A feed product as the canonical `entity` (variant `product`). */
export function toEntity(item) {
  if (typeof item !== 'object' || item === null || item.id == null || typeof item.title !== 'string') {
    throw upstream(200, `unexpected product shape: ${JSON.stringify(item).slice(0, 120)}`);
  }
  const compareAt = decimal(item.compare_at_price, 'compare_at_price');
  const price = decimal(item.price, 'price');
  const onSale = compareAt !== undefined;
  return {
    tag: 'product',
    val: {
      externalId: String(item.id),
      sku: item.sku ?? undefined,
      name: item.title,
      status: item.status ?? undefined,
      price,
      regularPrice: onSale ? compareAt : price,
      salePrice: onSale ? price : undefined,
      currency: item.currency ?? undefined,
      // s64 in WIT is a BigInt in JavaScript.
      stockQuantity: Number.isInteger(item.inventory) ? BigInt(item.inventory) : undefined,
      hasVariations: (item.variant_count ?? 0) > 0,
      createdAt: utc(item.created_at, 'created_at'),
      modifiedAt: utc(item.updated_at, 'updated_at'),
      raw: JSON.stringify(item),
    },
  };
}
