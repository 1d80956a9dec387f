"""Absolute `http`/`https` URLs: parsing and building on `urllib.parse`, with the Rust SDK's
`url` module's rules:

- `Url.parse` wants `scheme://host...`; the scheme and host are lowercased, a default port
  (80 for http, 443 for https) is dropped, `.`/`..` segments are resolved, and characters
  that may not appear in a path or query are percent-encoded (valid `%XX` escapes are kept).
  The host is a DNS name, an IPv4 address or an IPv6 address in brackets; an
  internationalised name must be given in its `xn--` form;
- `push_segment` appends one path segment, fully percent-encoded (`/`, `?`, `#`, `%` and dot
  segments included: `..` becomes `%2E%2E`), so an id can never change the shape of a URL;
- `append_query_pair` appends `name=value` form-urlencoded and leaves the existing query as
  written; `query_pairs` reads the pairs back, decoded.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

_ABSOLUTE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://", re.ASCII)
_HOST = re.compile(r"[A-Za-z0-9._-]+", re.ASCII)
_BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# What may stay as it is in a path, and in a query or fragment (RFC 3986 pchar, plus `/`, `?`).
_PATH_SAFE = "/:@!$&'()*+,;=%"
_QUERY_SAFE = _PATH_SAFE + "?"


class UrlError(ValueError):
    """A URL that could not be parsed; `reason` says what is wrong with it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _encoded(text: str, safe: str) -> str:
    # Percent-encode what may not appear, keeping valid `%XX` escapes (a lone `%` is `%25`).
    return quote(_BROKEN_ESCAPE.sub("%25", text), safe=safe)


def _without_dot_segments(path: str) -> str:
    if not any(segment in (".", "..") for segment in path.split("/")):
        return path
    # urljoin resolves `.` and `..` (RFC 3986 §5.2.4) against an absolute base.
    return urlsplit(urljoin("http://h/", path)).path


def encode_segment(segment: str) -> str:
    """Percent-encodes a whole path segment: everything but unreserved characters and a few
    harmless sub-delimiters (`!$'()*,:@`); `.` and `..` become `%2E` and `%2E%2E`."""
    if segment in (".", ".."):
        return "%2E" * len(segment)
    return quote(segment, safe="!$'()*,:@")


class Url:
    """An absolute URL (see the module docs); build one with `Url.parse`."""

    def __init__(
        self,
        scheme: str,
        host: str,
        port: Optional[int],
        path: str,
        query: Optional[str],
        fragment: Optional[str],
        userinfo: str = "",
    ) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
        self.fragment = fragment
        self.userinfo = userinfo

    @staticmethod
    def parse(text: str) -> "Url":
        """Parses an absolute URL (`scheme://host[:port][/path][?query][#fragment]`)."""
        trimmed = (text or "").strip()
        if any(ord(c) < 32 or ord(c) == 127 for c in trimmed):
            raise UrlError("the URL contains control characters")
        if _ABSOLUTE.match(trimmed) is None:
            raise UrlError("not an absolute URL (expected scheme://host/...)")
        try:
            parts = urlsplit(trimmed)
            port = parts.port
        except ValueError as e:
            raise UrlError(f"invalid authority: {e}")
        netloc = parts.netloc
        userinfo, _, hostport = netloc.rpartition("@")
        host = parts.hostname or ""
        if host == "":
            raise UrlError("the URL has no host")
        if hostport.startswith("["):
            host = f"[{host}]"
        elif not host.isascii():
            raise UrlError(f"host {host!r} is not ASCII: give an internationalised domain name in its xn-- form")
        elif _HOST.fullmatch(host) is None or host.startswith(".") or ".." in host:
            raise UrlError(f"invalid host {host!r}")
        if port is not None and port == _DEFAULT_PORTS.get(parts.scheme):
            port = None
        path = _without_dot_segments(_encoded(parts.path, _PATH_SAFE)) if parts.path else "/"
        query = _encoded(parts.query, _QUERY_SAFE) if "?" in trimmed.split("#", 1)[0] else None
        fragment = _encoded(parts.fragment, _QUERY_SAFE) if "#" in trimmed else None
        return Url(parts.scheme, host, port, path, query, fragment, userinfo)

    @property
    def authority(self) -> str:
        """`host[:port]`, as the `Host` header wants it."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def path_with_query(self) -> str:
        """The path and query, as sent in a request line (`/a/b?x=1`)."""
        return self.path if self.query is None else f"{self.path}?{self.query}"

    def push_segment(self, segment: str) -> "Url":
        """Appends one path segment, fully percent-encoded (see `encode_segment`); a trailing
        `/` of the current path is reused rather than producing an empty segment."""
        self.path = (self.path if self.path.endswith("/") else self.path + "/") + encode_segment(segment)
        return self

    def append_query_pair(self, name: str, value: str) -> "Url":
        """Appends a `name=value` query pair, form-urlencoded."""
        # `*` stays and `~` is escaped, as the WHATWG (and the Rust SDK's) form encoding does.
        pair = urlencode([(str(name), str(value))], safe="*").replace("~", "%7E")
        self.query = pair if not self.query else f"{self.query}&{pair}"
        return self

    def query_pairs(self) -> List[Tuple[str, str]]:
        """The query's pairs, form-urldecoded."""
        return parse_qsl(self.query or "", keep_blank_values=True)

    def __str__(self) -> str:
        userinfo = f"{self.userinfo}@" if self.userinfo else ""
        query = "" if self.query is None else f"?{self.query}"
        fragment = "" if self.fragment is None else f"#{self.fragment}"
        return f"{self.scheme}://{userinfo}{self.authority}{self.path}{query}{fragment}"

    def __repr__(self) -> str:
        return f"Url({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Url) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))
