// A small HTTP client for Junction connectors on `fetch()`, which componentize-js runs over
// wasi:http (the sandbox's only way out; the host allows only the manifest's hosts). Every
// failure leaves as a contract error: no answer is `transport`, an error status is mapped
// by `statusError` (errors.js), a body that is not JSON is `upstream`.

import { statusError, transport, upstream } from './errors.js';

/** The URL without its query string, for messages (queries may carry tokens). */
function shown(url) {
  return url.split('?')[0];
}

/**
 * Sends one request and reads the whole body as text. Resolves to `{ status, headers, body }`
 * whatever the status; throws `transport` when there is no complete answer (DNS, refused,
 * reset, the host's egress denial or timeouts, a body cut short).
 */
export async function request(url, init = {}) {
  try {
    const response = await fetch(url, init);
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw transport(`request failed: ${reason} (${shown(url)})`);
  }
}

/** The response when 2xx; otherwise throws the mapped contract error. */
export function ok(response) {
  if (response.status < 200 || response.status > 299) {
    throw statusError(response.status, response.headers, response.body);
  }
  return response;
}

/** The body parsed as JSON; `upstream` (with the status and the body's start) when it is not. */
export function json(response) {
  try {
    return JSON.parse(response.body);
  } catch (e) {
    const start = response.body.slice(0, 80).split(/\s+/).join(' ');
    throw upstream(
      response.status,
      `invalid JSON from upstream: ${e.message}; body starts with ${JSON.stringify(start)}`,
    );
  }
}

/** GET `url` with `headers`; resolves to the parsed JSON of a 2xx answer. */
export async function getJson(url, headers = {}) {
  const response = await request(url, {
    method: 'GET',
    headers: { accept: 'application/json', ...headers },
  });
  return json(ok(response));
}
