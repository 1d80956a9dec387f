"""A small blocking HTTP client over `wasi:http/outgoing-handler`.

The sandbox grants no sockets, so Python's `urllib`, `http.client` and `requests` cannot
connect; this module speaks `wasi:http` directly (the host allows only the manifest's hosts):

    from junction_sdk import http
    response = http.get("https://feeds.example.com/items.csv", headers={"x-api-key": key})
    response.ok()          # raises the matching contract error for non-2xx answers
    rows = response.text()

Every failure is already a contract error (`componentize_py_types.Err`): no answer is
`transport`, `ok()` maps error statuses (see `junction_sdk.errors`), `json()` turns a body
that is not JSON into `upstream`. Calls block the (single-threaded) component until the
whole answer is read, up to `max_body_bytes`; the host bounds a call's total time.
"""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import urlsplit

from componentize_py_types import Err
from wit_world.imports import outgoing_handler
from wit_world.imports import wasi_http_types as w
from wit_world.imports.streams import StreamError_Closed

from . import errors

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
READ_CHUNK = 64 * 1024
WRITE_CHUNK = 4096  # `blocking-write-and-flush` takes at most 4096 bytes per call.
USER_AGENT = b"junction-sdk-python/0.1"

_METHODS = {
    "GET": w.Method_Get(),
    "HEAD": w.Method_Head(),
    "POST": w.Method_Post(),
    "PUT": w.Method_Put(),
    "PATCH": w.Method_Patch(),
    "DELETE": w.Method_Delete(),
    "OPTIONS": w.Method_Options(),
}


@dataclass
class Response:
    """A complete answer: status, headers (lowercase name -> values) and body bytes."""

    status: int
    headers: Dict[str, List[str]] = field(default_factory=dict)
    body: bytes = b""
    url: str = ""

    def header(self, name: str) -> Optional[str]:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def ok(self) -> "Response":
        """This response when 2xx; otherwise raises the mapped contract error."""
        if 200 <= self.status <= 299:
            return self
        raise errors.status_error(self.status, self.headers, self.body)

    def text(self) -> str:
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise errors.upstream(self.status, f"response body is not UTF-8: {e}")

    def json(self) -> Any:
        try:
            return _json.loads(self.body)
        except ValueError as e:
            start = " ".join(self.body[:80].decode("utf-8", errors="replace").split())
            raise errors.upstream(
                self.status, f"invalid JSON from upstream: {e}; body starts with {start!r}"
            )


def _describe(code: Any) -> str:
    """A wasi:http error code as words (the class name says what it is)."""
    name = type(code).__name__.removeprefix("ErrorCode_")
    if name == "HttpRequestDenied":
        return "egress denied by the host: the destination is not among the connector's allowed hosts"
    if name == "DestinationIpProhibited":
        return "egress denied by the host: the destination address is prohibited"
    value = getattr(code, "value", None)
    return f"{name} ({value})" if value is not None else name


def _shown(url: str) -> str:
    return url.split("?", 1)[0]


def request(
    method: str,
    url: str,
    headers: Optional[Mapping[str, str]] = None,
    body: Optional[bytes] = None,
    timeout_ms: Optional[int] = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Response:
    """Sends one request and reads the whole answer (any status)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.internal(f"invalid request URL {url!r}")
    entries = [(k.lower(), v.encode()) for k, v in (headers or {}).items()]
    names = {k for k, _ in entries}
    if "user-agent" not in names:
        entries.append(("user-agent", USER_AGENT))
    if body is not None and "content-length" not in names:
        entries.append(("content-length", str(len(body)).encode()))
    try:
        fields = w.Fields.from_list(entries)
    except Err as e:
        raise errors.internal(f"request headers refused: {e.value}")
    outgoing = w.OutgoingRequest(fields)
    outgoing.set_method(_METHODS.get(method.upper()) or w.Method_Other(method.upper()))
    outgoing.set_scheme(w.Scheme_Https() if parts.scheme == "https" else w.Scheme_Http())
    outgoing.set_authority(parts.netloc)
    outgoing.set_path_with_query((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))

    options = w.RequestOptions()
    if timeout_ms is not None:
        nanos = timeout_ms * 1_000_000
        for setter in (options.set_connect_timeout, options.set_first_byte_timeout, options.set_between_bytes_timeout):
            try:
                setter(nanos)
            except Err:
                pass  # The host refuses to set it: its own limit applies.

    outgoing_body = outgoing.body()
    try:
        future = outgoing_handler.handle(outgoing, options)
    except Err as e:
        raise errors.transport(f"{_describe(e.value)} ({_shown(url)})")
    with future:
        _write_body(outgoing_body, body, url)
        incoming = _wait(future, url)
        return _read(incoming, url, max_body_bytes)


def _write_body(outgoing_body: w.OutgoingBody, body: Optional[bytes], url: str) -> None:
    if body:
        with outgoing_body.write() as stream:
            for at in range(0, len(body), WRITE_CHUNK):
                try:
                    stream.blocking_write_and_flush(body[at : at + WRITE_CHUNK])
                except Err as e:
                    raise errors.transport(f"sending the request body failed: {e.value} ({_shown(url)})")
    try:
        w.OutgoingBody.finish(outgoing_body, None)
    except Err as e:
        raise errors.transport(f"{_describe(e.value)} ({_shown(url)})")


def _wait(future: w.FutureIncomingResponse, url: str) -> w.IncomingResponse:
    while True:
        ready = future.get()
        if ready is None:
            with future.subscribe() as pollable:
                pollable.block()
            continue
        if isinstance(ready, Err):
            raise errors.internal("response already taken")
        inner = ready.value
        if isinstance(inner, Err):
            raise errors.transport(f"{_describe(inner.value)} ({_shown(url)})")
        return inner.value


def _read(incoming: w.IncomingResponse, url: str, max_body_bytes: int) -> Response:
    with incoming:
        status = incoming.status()
        headers: Dict[str, List[str]] = {}
        with incoming.headers() as fields:
            for name, value in fields.entries():
                headers.setdefault(name.lower(), []).append(value.decode("latin-1").strip())
        declared = headers.get("content-length", [None])[0]
        if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
            raise errors.upstream(status, f"response body of {declared} bytes exceeds {max_body_bytes}")
        chunks: List[bytes] = []
        size = 0
        # Child resources go first: the stream, then the body (dropping it finishes it).
        with incoming.consume() as body, body.stream() as stream:
            while True:
                try:
                    chunk = stream.blocking_read(READ_CHUNK)
                except Err as e:
                    if isinstance(e.value, StreamError_Closed):
                        break
                    raise errors.transport(
                        f"incomplete response (connection dropped) ({_shown(url)})"
                    )
                size += len(chunk)
                if size > max_body_bytes:
                    raise errors.upstream(status, f"response body exceeds {max_body_bytes} bytes")
                chunks.append(chunk)
        return Response(status, headers, b"".join(chunks), url)


def get(url: str, headers: Optional[Mapping[str, str]] = None, **kwargs: Any) -> Response:
    """A `GET` (any status; call `.ok()` to map error statuses)."""
    return request("GET", url, headers=headers, **kwargs)
