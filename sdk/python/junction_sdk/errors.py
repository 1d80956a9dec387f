"""The contract's errors, and HTTP answers mapped onto them.

An export that returns `result<T, connector-error>` returns T, or raises
`componentize_py_types.Err(<a ConnectorError_* value>)`. The helpers below build those
exceptions, so connector code reads `raise errors.not_found("no product 7")`.

| answer | error |
|---|---|
| 401, 403 | `unauthorized("HTTP 401: <message>")` |
| 404, 410 | `not-found("HTTP 404: <message>")` |
| 429 (and 503 with `Retry-After`) | `rate-limited` with `Retry-After` (seconds or HTTP date), else `X-RateLimit-Reset` / `RateLimit-Reset`, in ms (default 1000) |
| 3xx | `upstream(status, "unexpected redirect to ...")` (wasi:http does not follow them) |
| other 4xx, 5xx | `upstream(status, <message>)` |
| no answer (DNS, refused, reset, timeout, egress denied, body cut) | `transport(...)` |
"""

from __future__ import annotations

import json
import math
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any, Mapping, Optional, Sequence

from componentize_py_types import Err
from wit_world.imports import junction_connector_types as t

DEFAULT_RETRY_AFTER_MS = 1000
"""The wait for a 429 that does not say when to come back."""
MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000
"""The longest wait honoured (one day)."""
MAX_MESSAGE_CHARS = 300


def unauthorized(message: str) -> Err:
    return Err(t.ConnectorError_Unauthorized(message))


def not_found(message: str) -> Err:
    return Err(t.ConnectorError_NotFound(message))


def rate_limited(retry_after_ms: int, message: str) -> Err:
    return Err(t.ConnectorError_RateLimited(t.RateLimitedInfo(retry_after_ms, message)))


def unsupported(message: str) -> Err:
    return Err(t.ConnectorError_Unsupported(message))


def invalid_request(message: str) -> Err:
    return Err(t.ConnectorError_InvalidRequest(message))


def invalid_config(field: Optional[str], message: str) -> Err:
    return Err(t.ConnectorError_InvalidConfig(t.ConfigProblem(field, message)))


def upstream(status: int, message: str) -> Err:
    return Err(t.ConnectorError_Upstream(t.UpstreamError(status, message)))


def transport(message: str) -> Err:
    return Err(t.ConnectorError_Transport(message))


def internal(message: str) -> Err:
    return Err(t.ConnectorError_Internal(message))


def as_connector_error(error: BaseException) -> Err:
    """Any exception as a contract error: an `Err` passes through, bugs become `internal`."""
    if isinstance(error, Err):
        return error
    return internal(f"{type(error).__name__}: {error}")


def truncate(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Cuts a string to at most `limit` characters, marking the cut with `…`."""
    return text if len(text) <= limit else text[:limit] + "…"


def _non_empty_str(value: Any) -> Optional[str]:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _with_parameters(message: str, parameters: Any) -> str:
    """Magento's `{"message": "No such entity with %fieldName = %fieldValue", "parameters": {...}}`
    (or `%1`, `%2` with a list): the placeholders filled in."""
    if isinstance(parameters, list):

        def numbered(found: re.Match[str]) -> str:
            n = int(found.group(1))
            return str(parameters[n - 1]) if 1 <= n <= len(parameters) else found.group(0)

        return re.sub(r"%(\d+)", numbered, message)
    if isinstance(parameters, dict):

        def named(found: re.Match[str]) -> str:
            name = found.group(1)
            return str(parameters[name]) if name in parameters else found.group(0)

        return re.sub(r"%([A-Za-z_][A-Za-z0-9_]*)", named, message)
    return message


def _json_text(value: Any) -> str:
    # As the Rust SDK writes JSON: compact, object keys sorted (its maps are ordered by key),
    # so a message reads the same in every language.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _json_message(value: Any) -> Optional[str]:
    """The message of a JSON error object, in the shapes APIs use (see `error_message`)."""
    if not isinstance(value, dict):
        return None
    raw_code = value.get("code")
    code = _non_empty_str(raw_code)
    if code is None and isinstance(raw_code, (int, float)) and not isinstance(raw_code, bool):
        code = _json_text(raw_code)

    def with_code(message: str) -> str:
        return f"{message} ({code})" if code is not None and code != message else message

    message = _non_empty_str(value.get("message"))
    if message is not None:
        return with_code(_with_parameters(message, value.get("parameters")))
    error = value.get("error")
    if _non_empty_str(error) is not None:
        description = _non_empty_str(value.get("error_description"))
        return f"{error.strip()}: {description}" if description is not None else with_code(error.strip())
    inner = _json_message(error)
    if inner is not None:
        return inner
    errors_value = value.get("errors")
    if _non_empty_str(errors_value) is not None:
        return errors_value.strip()
    if isinstance(errors_value, list):
        parts = [item if isinstance(item, str) else _json_message(item) for item in errors_value]
        found = [part for part in parts if part is not None]
        if found:
            return "; ".join(found)
    elif isinstance(errors_value, dict) and errors_value:

        def field_message(v: Any) -> str:
            if isinstance(v, list):
                return ", ".join(x if isinstance(x, str) else _json_text(x) for x in v)
            return v if isinstance(v, str) else _json_text(v)

        return "; ".join(f"{k}: {field_message(v)}" for k, v in sorted(errors_value.items()))
    title = _non_empty_str(value.get("title"))
    detail = _non_empty_str(value.get("detail"))
    if title is not None and detail is not None:
        return f"{title}: {detail}"
    if title is not None or detail is not None:
        return with_code(title or detail or "")
    description = _non_empty_str(value.get("error_description"))
    return with_code(description) if description is not None else None


def _html_title(html: str) -> Optional[str]:
    found = re.search(r"<title[^>]*>(.*?)</title", html, re.IGNORECASE | re.DOTALL)
    title = " ".join(found.group(1).split()) if found else ""
    return title or None


def error_message(body: bytes) -> Optional[str]:
    """A readable message from an error body, or `None` for an empty one. JSON error objects in
    the common shapes: `{"message"}` (with WordPress/WooCommerce's `code` appended, Magento's
    `parameters` filled into `%1`/`%name`), `{"error": "..."}` (OAuth's `error_description`
    appended), `{"error": {...}}`, `{"errors": [...]}` (GraphQL's `errors[].message`, joined
    with `; `), `{"errors": {"field": [...]}}` (fields in key order), problem+json
    `{"title", "detail"}`; other JSON as written (keys sorted); an HTML page's `<title>`;
    otherwise the text. Cut to 300 characters."""
    text = (body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body or "")).strip()
    if not text:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        pass
    else:
        return truncate(_json_message(parsed) or _json_text(parsed))
    if text.startswith("<"):
        title = _html_title(text)
        if title is not None:
            return truncate(title)
    return truncate(" ".join(text.split()))


def upstream_message(body: bytes) -> str:
    """`error_message`, or `""` for an empty body."""
    return error_message(body) or ""


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _default_reason(status: int) -> str:
    return f"{_REASONS.get(status, 'no error message')} (empty or unreadable error body)"


def _capped(ms: int) -> int:
    return DEFAULT_RETRY_AFTER_MS if ms <= 0 else min(ms, MAX_RETRY_AFTER_MS)


_NUMBER = re.compile(r"\d+(\.\d+)?", re.ASCII)


def retry_after_ms(value: Optional[str], now: Optional[float] = None) -> Optional[int]:
    """Milliseconds to wait from a `Retry-After` value (seconds or an HTTP date), if usable."""
    if value is None or not value.strip():
        return None
    raw = value.strip()
    if _NUMBER.fullmatch(raw):
        return _capped(math.ceil(float(raw) * 1000))
    try:
        at = parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return _capped(int((at - (time.time() if now is None else now)) * 1000))


def reset_after_ms(value: Optional[str], now: Optional[float] = None) -> Optional[int]:
    """Milliseconds to wait from an `X-RateLimit-Reset` / `RateLimit-Reset` value: epoch
    milliseconds, epoch seconds, or a delay in seconds when the number is too small to be an
    epoch."""
    if value is None or not _NUMBER.fullmatch(value.strip()):
        return None
    n = math.ceil(float(value.strip()))
    now_ms = int((time.time() if now is None else now) * 1000)
    if n >= 100_000_000_000:
        return _capped(n - now_ms)
    if n >= 1_000_000_000:
        return _capped(n * 1000 - now_ms)
    return _capped(n * 1000)


def status_error(
    status: int, headers: Mapping[str, Sequence[str]], body: bytes, now: Optional[float] = None
) -> Err:
    """The contract error for a non-2xx answer (`headers`: lowercase name to values, as
    `http.Response.headers`)."""

    def header(name: str) -> Optional[str]:
        values = headers.get(name, ())
        return values[0] if values else None

    def wait() -> int:
        retry_after = header("retry-after")
        if retry_after is not None:
            found = retry_after_ms(retry_after, now)
        else:
            found = reset_after_ms(header("x-ratelimit-reset") or header("ratelimit-reset"), now)
        return DEFAULT_RETRY_AFTER_MS if found is None else found

    detail = error_message(body) or _default_reason(status)
    message = f"HTTP {status}: {detail}"
    if status in (401, 403):
        return unauthorized(message)
    if status in (404, 410):
        return not_found(message)
    if status == 429 or (status == 503 and header("retry-after") is not None):
        return rate_limited(wait(), message)
    if 300 <= status < 400:
        to = truncate(header("location") or "(no Location header)")
        return upstream(
            status, f"unexpected redirect to {to} (redirects are not followed; check the URL, e.g. http vs https)"
        )
    return upstream(status, detail)
