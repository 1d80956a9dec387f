// A Junction connector in JavaScript: copy this folder, rename, edit.
//
// It reads products from an example JSON API:
//   GET {base_url}/items?page=N&per_page=M[&updated_since=RFC3339]   (X-API-Key header)
//   -> {"items": [{"id", "name", "price", "updated_at"}], "has_more": true|false}
//   GET {base_url}/items/{id} -> one item
//
// Build (from the repository root, after `cargo xtask plugins` installed the toolchain):
//   target/polyglot/js/node_modules/.bin/componentize-js --wit wit --world-name plugin \
//     -o my-connector.wasm sdk/javascript/template/connector.js
//
// WIT in JavaScript: records are objects with camelCase fields, variants `{ tag, val }`,
// enums kebab-case strings, options `undefined`, u64/s64 BigInt; an export returning
// `result<T, E>` returns T and throws E (see ../lib/errors.js).

import { log } from 'junction:connector/host@0.2.0';

import { writeEach } from '../lib/batch.js';
import { asConnectorError, invalidConfig, invalidRequest, unsupported, upstream } from '../lib/errors.js';
import { getJson } from '../lib/http.js';
import { page } from '../lib/pages.js';

const CONFIG_SCHEMA = {
  type: 'object',
  required: ['base_url', 'api_key'],
  properties: {
    base_url: { type: 'string', format: 'uri' },
    // writeOnly: the host seals it at rest and never shows it again.
    api_key: { type: 'string', writeOnly: true },
  },
};

/** Every exception leaves as a contract error (bugs as `internal`). */
async function guarded(body) {
  try {
    return await body();
  } catch (e) {
    throw asConnectorError(e);
  }
}

function parseConfig(configJson) {
  const config = JSON.parse(configJson);
  if (!/^https?:\/\//.test(config.base_url ?? '')) {
    throw invalidConfig('base_url', 'must be an absolute http(s) URL');
  }
  return config;
}

function fetchJson(config, path, query) {
  const url = config.base_url.replace(/\/+$/, '') + path + (query ? `?${new URLSearchParams(query)}` : '');
  return getJson(url, { 'x-api-key': config.api_key });
}

function toEntity(item) {
  return {
    tag: 'product',
    val: {
      externalId: String(item.id),
      name: item.name,
      price: item.price ?? undefined,
      regularPrice: item.price ?? undefined,
      hasVariations: false,
      createdAt: item.updated_at,
      modifiedAt: item.updated_at,
      raw: JSON.stringify(item),
    },
  };
}

export const connector = {
  manifest() {
    return {
      key: 'template-js',
      name: 'Example API (JavaScript template)',
      version: '0.1.0',
      description: 'Products from an example JSON API.',
      resources: ['products'],
      writes: [],
      configSchema: JSON.stringify(CONFIG_SCHEMA),
      hosts: ['config:base_url'],
      // How deletions are found, per resource; none listed: the host reconciles.
      deletions: [],
    };
  },

  async check(configJson) {
    return guarded(async () => {
      await fetchJson(parseConfig(configJson), '/items', { per_page: '1' });
      return { message: 'example API reachable' };
    });
  },

  async list(configJson, request) {
    return guarded(async () => {
      if (request.resource !== 'products') throw unsupported('products only');
      const cursor = request.cursor ?? '1';
      if (!/^\d+$/.test(cursor)) throw invalidRequest(`cursor ${JSON.stringify(cursor)} was not issued by this connector`);
      const query = { page: cursor, per_page: String(Math.min(request.pageSize, 100)) };
      if (request.updatedSince) query.updated_since = request.updatedSince;
      const answer = await fetchJson(parseConfig(configJson), '/items', query);
      if (!Array.isArray(answer.items)) throw upstream(200, 'invalid JSON from upstream (unexpected shape): no items array');
      log('debug', 'listed items', [['count', String(answer.items.length)]]);
      return page(answer.items.map(toEntity), answer.has_more ? String(Number(cursor) + 1) : undefined);
    });
  },

  async get(configJson, _resource, id, _parentId) {
    return guarded(async () => toEntity(await fetchJson(parseConfig(configJson), `/items/${encodeURIComponent(id)}`)));
  },

  async write(_configJson, _op) {
    throw unsupported('read-only');
  },

  // One result per op, in order. A system with a batch endpoint would send the ops in one
  // request here; without one, the shared default performs them one by one.
  async writeBatch(configJson, ops) {
    return writeEach(ops, (op) => connector.write(configJson, op));
  },
};
