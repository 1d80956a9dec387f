"""Paging helpers: opaque cursors and `Link` headers, as the Rust SDK's `paging` module.

The contract's `cursor` is an opaque string the host hands back unchanged on the next `list`
call; a connector keeps no state between calls, so the cursor carries whatever the next page
needs. `encode_cursor` writes a JSON value as base64url (no padding) of its compact JSON and
`decode_cursor` reads it back — the same encoding in Rust, JavaScript and Python, so a
cursor means the same in every language. Keep cursor dicts small and versionable (new keys
optional).

`parse_link_header` reads RFC 8288 `Link` headers (`<url>; rel="next", <url>; rel="prev"`)
and `next_link` finds the `rel="next"` target among a response's headers.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import errors

MAX_CURSOR_LEN = 4096
"""Longest cursor `decode_cursor` accepts, in characters."""

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*", re.ASCII)


def encode_cursor(value: Any) -> str:
    """Encodes a cursor value (anything `json` can write) as an opaque, URL-safe string."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise errors.internal(f"cannot encode cursor: {e}")
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, required_fields: Sequence[str] = ()) -> Any:
    """Decodes a cursor made by `encode_cursor` (in any of the SDK's languages). A cursor that
    is not one of ours is `invalid-request` ("invalid cursor: ..."). `required_fields`: keys
    the decoded dict must have (a cursor from another connector version fails here, not later)."""

    def bad(why: str) -> Exception:
        return errors.invalid_request(f"invalid cursor: {why}")

    if len(cursor) > MAX_CURSOR_LEN:
        raise bad(f"longer than {MAX_CURSOR_LEN} characters")
    text = cursor.strip().rstrip("=")
    if _BASE64URL.fullmatch(text) is None:
        raise bad("invalid base64url character")
    if len(text) % 4 == 1:
        raise bad("invalid base64url length")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as e:
        raise bad(str(e))
    # Only the canonical encoding is ours (as the Rust SDK's decoder insists).
    if base64.urlsafe_b64encode(data).decode("ascii").rstrip("=") != text:
        raise bad("invalid base64url: trailing bits are not zero")
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise bad(str(e))
    for name in required_fields:
        if not isinstance(value, dict) or name not in value:
            raise bad(f"missing field `{name}`")
    return value


@dataclass
class Link:
    """One link of a `Link` header."""

    url: str
    """The target, as written between `<` and `>`."""
    rels: List[str] = field(default_factory=list)
    """The relation types of `rel` (lowercased, split on spaces)."""
    params: List[Tuple[str, str]] = field(default_factory=list)
    """All parameters, names lowercased, values unquoted."""

    def has_rel(self, rel: str) -> bool:
        """Whether the link has relation type `rel` (case-insensitive)."""
        return rel.lower() in self.rels


def _read_param_value(rest: str) -> Tuple[str, str]:
    # A parameter value at the start of `rest`: quoted (with `\` escapes) or up to the next
    # `;` or `,`. Returns (value, rest after it).
    if not rest.startswith('"'):
        found = re.search(r"[;,]", rest)
        stop = found.start() if found else len(rest)
        return rest[:stop].strip(), rest[stop:]
    value: List[str] = []
    i = 1
    while i < len(rest):
        c = rest[i]
        if c == "\\":
            if i + 1 < len(rest):
                value.append(rest[i + 1])
            i += 2
        elif c == '"':
            return "".join(value), rest[i + 1 :]
        else:
            value.append(c)
            i += 1
    return "".join(value), ""


def parse_link_header(value: str) -> List[Link]:
    """Parses one `Link` header value into its links. Malformed parts are skipped."""
    links: List[Link] = []
    rest = value or ""
    while True:
        while rest[:1].isspace() or rest[:1] == ",":
            rest = rest[1:]
        if not rest.startswith("<"):
            # Skip to the next link, if any.
            comma = rest.find(",")
            if comma < 0 or not rest:
                break
            rest = rest[comma + 1 :]
            continue
        end = rest.find(">")
        if end < 0:
            break
        url = rest[1:end].strip()
        rest = rest[end + 1 :]
        params: List[Tuple[str, str]] = []
        # Parameters: `; name=value` or `; name="quoted, value"`, up to the next `,`.
        while True:
            rest = rest.lstrip()
            if not rest.startswith(";"):
                break
            rest = rest[1:].lstrip()
            found = re.search(r"[=;,\s]", rest)
            stop = found.start() if found else len(rest)
            name = rest[:stop].lower()
            rest = rest[stop:].lstrip()
            param_value = ""
            if rest.startswith("="):
                param_value, rest = _read_param_value(rest[1:].lstrip())
            if name:
                params.append((name, param_value))
        rels = [r.lower() for n, v in params if n == "rel" for r in v.split()]
        links.append(Link(url, rels, params))
        # Drop anything up to the separating comma.
        comma = rest.find(",")
        if comma < 0:
            break
        rest = rest[comma + 1 :]
    return links


Headers = Union[Mapping[str, Union[str, Sequence[str]]], Iterable[Tuple[str, str]]]


def _link_values(headers: Optional[Headers]) -> List[str]:
    # Every `Link` value: from a mapping of name to value(s) (as `http.Response.headers`), or
    # from (name, value) pairs; names in any case.
    if headers is None:
        return []
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    values: List[str] = []
    for name, found in pairs:
        if str(name).lower() != "link":
            continue
        values.extend([found] if isinstance(found, str) else [str(v) for v in found])
    return values


def next_link(headers: Optional[Headers]) -> Optional[str]:
    """The target of the first `rel="next"` link among all `Link` headers (a response's
    `headers`, or `(name, value)` pairs), or `None`."""
    for value in _link_values(headers):
        for link in parse_link_header(value):
            if link.has_rel("next"):
                return link.url
    return None
