// Contract errors for Junction connectors in JavaScript (the WIT `connector-error` variant)
// and the mapping of HTTP answers onto them. A value thrown from an export that returns
// `result<_, connector-error>` becomes its `err`, so each helper returns a `{ tag, val }` to `throw`.

/** The wait for a 429 that does not say when to come back. */
export const DEFAULT_RETRY_AFTER_MS = 1000;
/** The longest wait honoured (one day). */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
const MAX_MESSAGE_CHARS = 300;

export const unauthorized = (message) => ({ tag: 'unauthorized', val: message });
export const notFound = (message) => ({ tag: 'not-found', val: message });
export const invalidRequest = (message) => ({ tag: 'invalid-request', val: message });
export const unsupported = (message) => ({ tag: 'unsupported', val: message });
export const transport = (message) => ({ tag: 'transport', val: message });
export const internal = (message) => ({ tag: 'internal', val: message });
export const invalidConfig = (field, message) => ({
  tag: 'invalid-config',
  val: { field, message },
});
export const upstream = (status, message) => ({ tag: 'upstream', val: { status, message } });
export const rateLimited = (retryAfterMs, message) => ({
  // u64 in WIT is a BigInt in JavaScript.
  tag: 'rate-limited',
  val: { retryAfterMs: BigInt(retryAfterMs), message },
});

/** Whether a thrown value is already a contract error (and not a JavaScript exception). */
export function isConnectorError(value) {
  return typeof value === 'object' && value !== null && typeof value.tag === 'string' && 'val' in value;
}

/** Any thrown value as a contract error: bugs (TypeError, ...) become `internal`. */
export function asConnectorError(value) {
  if (isConnectorError(value)) return value;
  const message = value instanceof Error ? `${value.name}: ${value.message}` : String(value);
  return internal(message);
}

/** Cuts a string to at most `max` characters, marking the cut with `…`. */
export function truncate(text, max = MAX_MESSAGE_CHARS) {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
}

function nonEmptyString(value) {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Magento's `{"message": "No such entity with %fieldName = %fieldValue", "parameters": {...}}`
 * (or `%1`, `%2` with a list): the placeholders filled in.
 */
function withParameters(message, parameters) {
  if (Array.isArray(parameters)) {
    return message.replace(/%(\d+)/g, (found, n) => (n >= 1 && n <= parameters.length ? String(parameters[n - 1]) : found));
  }
  if (typeof parameters === 'object' && parameters !== null) {
    return message.replace(/%([A-Za-z_][A-Za-z0-9_]*)/g, (found, name) =>
      Object.hasOwn(parameters, name) ? String(parameters[name]) : found,
    );
  }
  return message;
}

// JSON as the Rust SDK writes it: compact, object keys sorted (its maps are ordered by key),
// so a message reads the same in every language.
function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const fields = sortedEntries(value).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value);
}

function sortedEntries(object) {
  return Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

// The message of a JSON error object, in the shapes APIs use (see `errorMessage`).
function jsonMessage(json) {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const code =
    nonEmptyString(json.code) ?? (typeof json.code === 'number' ? String(json.code) : undefined);
  const withCode = (m) => (code !== undefined && code !== m ? `${m} (${code})` : m);
  const message = nonEmptyString(json.message);
  if (message !== undefined) return withCode(withParameters(message, json.parameters));
  const error = json.error;
  if (nonEmptyString(error) !== undefined) {
    const description = nonEmptyString(json.error_description);
    return description !== undefined ? `${error.trim()}: ${description}` : withCode(error.trim());
  }
  const inner = jsonMessage(error);
  if (inner !== undefined) return inner;
  const errors = json.errors;
  if (nonEmptyString(errors) !== undefined) return errors.trim();
  if (Array.isArray(errors)) {
    const parts = errors
      .map((item) => (typeof item === 'string' ? item : jsonMessage(item)))
      .filter((part) => part !== undefined);
    if (parts.length > 0) return parts.join('; ');
  } else if (typeof errors === 'object' && errors !== null) {
    const parts = sortedEntries(errors).map(([field, value]) => {
      if (Array.isArray(value)) {
        return `${field}: ${value.map((x) => (typeof x === 'string' ? x : canonicalJson(x))).join(', ')}`;
      }
      return `${field}: ${typeof value === 'string' ? value : canonicalJson(value)}`;
    });
    if (parts.length > 0) return parts.join('; ');
  }
  const title = nonEmptyString(json.title);
  const detail = nonEmptyString(json.detail);
  if (title !== undefined && detail !== undefined) return `${title}: ${detail}`;
  if (title !== undefined || detail !== undefined) return withCode(title ?? detail);
  const description = nonEmptyString(json.error_description);
  return description === undefined ? undefined : withCode(description);
}

function htmlTitle(html) {
  const found = /<title[^>]*>([\s\S]*?)<\/title/i.exec(html);
  const title = found === null ? '' : found[1].split(/\s+/).filter((w) => w !== '').join(' ');
  return title === '' ? undefined : title;
}

/**
 * A readable message from an error body, or `undefined` for an empty one. JSON error objects
 * in the common shapes: `{"message"}` (with WordPress/WooCommerce's `code` appended, Magento's
 * `parameters` filled into `%1`/`%name`), `{"error": "..."}` (OAuth's `error_description`
 * appended), `{"error": {...}}`, `{"errors": [...]}` (GraphQL's `errors[].message`, joined with
 * `; `), `{"errors": {"field": [...]}}` (fields in key order), problem+json
 * `{"title", "detail"}`; other JSON as written (keys sorted); an HTML page's `<title>`;
 * otherwise the text. Cut to 300 characters.
 */
export function errorMessage(body) {
  const text = (body ?? '').trim();
  if (text === '') return undefined;
  let json;
  let isJson = true;
  try {
    json = JSON.parse(text);
  } catch (_) {
    isJson = false;
  }
  if (isJson) return truncate(jsonMessage(json) ?? canonicalJson(json));
  if (text.startsWith('<')) {
    const title = htmlTitle(text);
    if (title !== undefined) return truncate(title);
  }
  return truncate(text.split(/\s+/).join(' '));
}

/** `errorMessage`, or `''` for an empty body. */
export function upstreamMessage(body) {
  return errorMessage(body) ?? '';
}

const REASONS = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function defaultReason(status) {
  return `${REASONS[status] ?? 'no error message'} (empty or unreadable error body)`;
}

function capped(ms) {
  return ms <= 0 ? DEFAULT_RETRY_AFTER_MS : Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** Milliseconds to wait from a `Retry-After` header (seconds or an HTTP date), if usable. */
export function retryAfterMs(value, now = Date.now()) {
  if (value == null || value.trim() === '') return undefined;
  const raw = value.trim();
  if (/^\d+(\.\d+)?$/.test(raw)) return capped(Math.ceil(Number(raw) * 1000));
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : capped(at - now);
}

/**
 * Milliseconds to wait from an `X-RateLimit-Reset` / `RateLimit-Reset` value: epoch
 * milliseconds, epoch seconds, or a delay in seconds when the number is too small to be an
 * epoch.
 */
export function resetAfterMs(value, now = Date.now()) {
  if (value == null || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  const n = Math.ceil(Number(value.trim()));
  if (n >= 100_000_000_000) return capped(n - now);
  if (n >= 1_000_000_000) return capped(n * 1000 - now);
  return capped(n * 1000);
}

/** The wait a 429 (or 503) answer asks for: `Retry-After`, else a rate-limit reset header. */
function waitFromHeaders(headers, now) {
  const retryAfter = headers.get('retry-after');
  if (retryAfter != null) return retryAfterMs(retryAfter, now);
  return resetAfterMs(headers.get('x-ratelimit-reset') ?? headers.get('ratelimit-reset'), now);
}

/**
 * The contract error for a non-2xx answer (`headers`: a fetch `Headers`, or anything with a
 * case-insensitive `get`): 401/403 unauthorized, 404/410 not-found, 429 (and 503 with
 * Retry-After) rate-limited, a redirect or anything else upstream with the status.
 */
export function statusError(status, headers, body, now = Date.now()) {
  const detail = errorMessage(body) ?? defaultReason(status);
  const message = `HTTP ${status}: ${detail}`;
  if (status === 401 || status === 403) return unauthorized(message);
  if (status === 404 || status === 410) return notFound(message);
  if (status === 429) return rateLimited(waitFromHeaders(headers, now) ?? DEFAULT_RETRY_AFTER_MS, message);
  if (status === 503 && headers.get('retry-after') != null) {
    return rateLimited(waitFromHeaders(headers, now) ?? DEFAULT_RETRY_AFTER_MS, message);
  }
  if (status >= 300 && status < 400) {
    const to = truncate(headers.get('location') ?? '(no Location header)');
    return upstream(
      status,
      `unexpected redirect to ${to} (redirects are not followed; check the URL, e.g. http vs https)`,
    );
  }
  return upstream(status, detail);
}
