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

function truncate(text, max = MAX_MESSAGE_CHARS) {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The error message in an upstream body: `{"error"}`, `{"message"}`, or the text itself. */
export function upstreamMessage(body) {
  const text = (body || '').trim();
  if (text === '') return '';
  try {
    const json = JSON.parse(text);
    const found = json && (json.error?.message ?? json.error ?? json.message ?? json.detail);
    if (typeof found === 'string' && found.trim() !== '') return truncate(found.trim());
  } catch (_) {
    // Not JSON: the text is the message.
  }
  return truncate(text.split(/\s+/).join(' '));
}

/** Milliseconds to wait from a `Retry-After` header (seconds or an HTTP date), if usable. */
export function retryAfterMs(value, now = Date.now()) {
  if (value == null || value.trim() === '') return undefined;
  const raw = value.trim();
  let ms;
  if (/^\d+(\.\d+)?$/.test(raw)) {
    ms = Math.ceil(Number(raw) * 1000);
  } else {
    const at = Date.parse(raw);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  if (ms <= 0) return DEFAULT_RETRY_AFTER_MS;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/**
 * The contract error for a non-2xx answer: 401/403 unauthorized, 404/410 not-found, 429 (and
 * 503 with Retry-After) rate-limited, anything else upstream with the status.
 */
export function statusError(status, headers, body) {
  const detail = upstreamMessage(body) || `HTTP status ${status}`;
  const message = `HTTP ${status}: ${detail}`;
  if (status === 401 || status === 403) return unauthorized(message);
  if (status === 404 || status === 410) return notFound(message);
  const wait = retryAfterMs(headers.get('retry-after'));
  if (status === 429) return rateLimited(wait ?? DEFAULT_RETRY_AFTER_MS, message);
  if (status === 503 && wait !== undefined) return rateLimited(wait, message);
  if (status >= 300 && status < 400) {
    return upstream(status, `unexpected redirect to ${headers.get('location') ?? '(no location)'}`);
  }
  return upstream(status, detail);
}
