// Junction connector for a JSON product feed (keyset-paged with an opaque `next_cursor`,
// `updated_since` filter, `X-API-Key` auth), written in JavaScript and built into a
// component by componentize-js. Exports the WIT interface `junction:connector/connector`.
//
// WIT in JavaScript: records are objects with camelCase fields, variants `{ tag, val }`,
// enums kebab-case strings, options `undefined`, u64/s64 BigInt; an export returning
// `result<T, E>` returns T and throws E.

import { log } from 'junction:connector/host@0.2.0';

import { writeEach } from '../../../sdk/javascript/lib/batch.js';
import { asConnectorError, invalidRequest, unsupported, upstream } from '../../../sdk/javascript/lib/errors.js';
import {
  MAX_PAGE_SIZE,
  authHeaders,
  parseConfig,
  sinceParam,
  toEntity,
  unwrapCursor,
  wrapCursor,
} from './feed.js';
import { getJson } from '../../../sdk/javascript/lib/http.js';
import { page } from '../../../sdk/javascript/lib/pages.js';

const CONFIG_SCHEMA = {
  type: 'object',
  required: ['feed_url'],
  additionalProperties: false,
  properties: {
    feed_url: {
      type: 'string',
      format: 'uri',
      description: 'The feed root, e.g. https://feeds.example.com/feed/v1',
    },
    api_key: {
      type: 'string',
      writeOnly: true,
      description: 'Sent as X-API-Key; leave out for a public feed',
    },
  },
};

/** Runs an export body, turning every exception into a contract error. */
async function guarded(body) {
  try {
    return await body();
  } catch (e) {
    throw asConnectorError(e);
  }
}

function requireProducts(resource) {
  if (resource !== 'products') {
    throw unsupported(`the feed serves products only, not ${resource}`);
  }
}

export const connector = {
  manifest() {
    return {
      key: 'feed-js',
      name: 'JSON product feed (JavaScript)',
      version: '0.1.0',
      description: 'Products from a JSON product feed with cursor paging and updated-since; written in JavaScript.',
      resources: ['products'],
      writes: [],
      configSchema: JSON.stringify(CONFIG_SCHEMA),
      hosts: ['config:feed_url'],
      rateLimit: undefined,
      // Deletions of products are found by the host's reconciliation (the default).
      deletions: [],
    };
  },

  async check(configJson) {
    return guarded(async () => {
      const config = parseConfig(configJson);
      const status = await getJson(`${config.feedUrl}/status`, authHeaders(config));
      return { message: `${status.name ?? 'feed'} with ${status.products ?? '?'} products at ${config.feedUrl}` };
    });
  },

  async list(configJson, request) {
    return guarded(async () => {
      const config = parseConfig(configJson);
      requireProducts(request.resource);
      const limit = Math.min(Math.max(request.pageSize, 1), MAX_PAGE_SIZE);
      const query = new URLSearchParams({ limit: String(limit) });
      const since = sinceParam(request.updatedSince);
      if (since !== undefined) query.set('updated_since', since);
      const feedCursor = unwrapCursor(request.cursor);
      if (feedCursor !== undefined) query.set('cursor', feedCursor);
      const feedPage = await getJson(`${config.feedUrl}/products?${query}`, authHeaders(config));
      if (!Array.isArray(feedPage.products)) {
        throw upstream(200, 'invalid JSON from upstream (unexpected shape): no products array');
      }
      const entities = feedPage.products.map(toEntity);
      log('debug', 'listed products', [
        ['count', String(entities.length)],
        ['more', String(feedPage.next_cursor != null)],
      ]);
      return page(entities, wrapCursor(feedPage.next_cursor));
    });
  },

  async get(configJson, resource, id, _parentId) {
    return guarded(async () => {
      const config = parseConfig(configJson);
      requireProducts(resource);
      if (!/^\d+$/.test(id)) {
        throw invalidRequest(`product id ${JSON.stringify(id)} is not a number`);
      }
      const item = await getJson(`${config.feedUrl}/products/${id}`, authHeaders(config));
      return toEntity(item);
    });
  },

  async write(_configJson, op) {
    throw unsupported(`the feed is read-only (${op.tag})`);
  },

  async writeBatch(configJson, ops) {
    return writeEach(ops, (op) => connector.write(configJson, op));
  },
};
