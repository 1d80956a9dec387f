"""Run a connector's module under plain CPython, without a host: unit tests in a second.

    PYTHONPATH=bindings python3 -m unittest discover -s tests

Call `install()` before importing the connector's module. It swaps the two things only a
component has: the host's `log` (lines are kept in `logged`, and printed to stderr when
JUNCTION_NATIVE_LOG is set) and `report_budget` (reports kept in `budget_reports`), and the
transport under `junction_sdk.http.request` — urllib
instead of wasi:http, with the same `Response` and the same contract errors, so the
connector's own code runs unchanged. The contract's types come from the bindings
componentize-py generates for it (`junction connector build` writes them to `bindings/`);
they need Python 3.11 or later, as componentize-py does.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.error
import urllib.request
from typing import Any, Dict, List, Mapping, Optional, Tuple

logged: List[Tuple[Any, str, List[Tuple[str, str]]]] = []
budget_reports: List[Any] = []


def install() -> None:
    """Point the host's log and the HTTP transport at their native stand-ins."""
    from wit_world.imports import host

    from . import http

    host.log = _log
    host.report_budget = budget_reports.append
    http.request = _request


def _log(level: Any, message: str, fields: List[Tuple[str, str]]) -> None:
    logged.append((level, message, fields))
    if os.environ.get("JUNCTION_NATIVE_LOG"):
        print(f"[{getattr(level, 'name', level)}] {message} {dict(fields)}", file=sys.stderr)


def _request(
    method: str,
    url: str,
    headers: Optional[Mapping[str, str]] = None,
    body: Optional[bytes] = None,
    timeout_ms: Optional[int] = None,
    max_body_bytes: int = 0,
) -> Any:
    from . import errors, http

    limit = max_body_bytes or http.DEFAULT_MAX_BODY_BYTES
    sent = urllib.request.Request(url, data=body, method=method.upper(), headers=dict(headers or {}))
    timeout = timeout_ms / 1000 if timeout_ms is not None else None
    try:
        answer = urllib.request.urlopen(sent, timeout=timeout)
    except urllib.error.HTTPError as e:
        # An error status is still an answer: the connector maps it, as in a component.
        answer = e
    except (urllib.error.URLError, socket.timeout, ConnectionError) as e:
        raise errors.transport(f"request failed: {e} ({url.split('?', 1)[0]})")
    with answer:
        found: Dict[str, List[str]] = {}
        for name, value in answer.headers.items():
            found.setdefault(name.lower(), []).append(value.strip())
        data = answer.read(limit + 1)
        if len(data) > limit:
            raise errors.upstream(answer.status, f"response body exceeds {limit} bytes")
        return http.Response(answer.status, found, data, url)
