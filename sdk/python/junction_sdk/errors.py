"""The contract's errors, and HTTP answers mapped onto them.

An export that returns `result<T, connector-error>` returns T, or raises
`componentize_py_types.Err(<a ConnectorError_* value>)`. The helpers below build those
exceptions, so connector code reads `raise errors.not_found("no product 7")`.

| answer | error |
|---|---|
| 401, 403 | `unauthorized("HTTP 401: <message>")` |
| 404, 410 | `not-found("HTTP 404: <message>")` |
| 429 (and 503 with `Retry-After`) | `rate-limited` with `Retry-After` in ms (default 1000) |
| 3xx | `upstream(status, "unexpected redirect to ...")` (wasi:http does not follow them) |
| other 4xx, 5xx | `upstream(status, <message>)` |
| no answer (DNS, refused, reset, timeout, egress denied, body cut) | `transport(...)` |
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Mapping, Optional, Sequence

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
    return text if len(text) <= limit else text[:limit] + "…"


def upstream_message(body: bytes) -> str:
    """The message of an error body: `{"error"}`, `{"message"}`, `{"detail"}` or the text."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return ""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        for key in ("error", "message", "detail"):
            value = parsed.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str) and value.strip():
                return truncate(value.strip())
    return truncate(" ".join(text.split()))


def retry_after_ms(value: Optional[str], now: Optional[float] = None) -> Optional[int]:
    """Milliseconds to wait from a `Retry-After` value (seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    raw = value.strip()
    try:
        ms = int(float(raw) * 1000) if raw.replace(".", "", 1).isdigit() else None
    except ValueError:
        ms = None
    if ms is None:
        try:
            at = parsedate_to_datetime(raw).timestamp()
        except (TypeError, ValueError, IndexError):
            return None
        ms = int((at - (time.time() if now is None else now)) * 1000)
    if ms <= 0:
        return DEFAULT_RETRY_AFTER_MS
    return min(ms, MAX_RETRY_AFTER_MS)


def status_error(status: int, headers: Mapping[str, Sequence[str]], body: bytes) -> Err:
    """The contract error for a non-2xx answer."""

    def header(name: str) -> Optional[str]:
        values = headers.get(name, ())
        return values[0] if values else None

    detail = upstream_message(body) or f"HTTP status {status}"
    message = f"HTTP {status}: {detail}"
    if status in (401, 403):
        return unauthorized(message)
    if status in (404, 410):
        return not_found(message)
    wait = retry_after_ms(header("retry-after"))
    if status == 429:
        return rate_limited(wait if wait is not None else DEFAULT_RETRY_AFTER_MS, message)
    if status == 503 and wait is not None:
        return rate_limited(wait, message)
    if 300 <= status < 400:
        return upstream(status, f"unexpected redirect to {header('location') or '(no location)'}")
    return upstream(status, detail)
