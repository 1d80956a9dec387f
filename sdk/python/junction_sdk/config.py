"""Reading the connection config (a JSON object string), as the Rust SDK's `config` module.

The host has already validated the config against the manifest's `config-schema`, so errors
here are rare; when they happen they are `invalid-config` naming the property at fault and
what it accepts:

    cfg = config.parse(config_json, {"base_url": "string", "api_key": "string", "timeout_seconds": "integer?"})
    base = config.http_url("base_url", cfg["base_url"])
    timeout = config.timeout_seconds(cfg["timeout_seconds"])

A field's type is `string`, `integer`, `number`, `boolean`, `array` or `object`; a trailing
`?` makes it optional (absent or `null` gives `None`). Fields not declared are refused (the
Rust SDK's structs deny unknown fields) unless `allow_unknown=True`.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from . import errors
from .url import Url, UrlError

DEFAULT_TIMEOUT_SECONDS = 30
"""The per-request timeout when a config's `timeout_seconds` is absent."""
MAX_TIMEOUT_SECONDS = 300
"""The longest per-request timeout a config may ask for (the host's call limit bounds it too)."""


def _is_integer(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (_is_integer(v) or isinstance(v, float)) and v == v and v not in (float("inf"), float("-inf"))


_TYPES: Dict[str, Tuple[str, Callable[[Any], bool]]] = {
    "string": ("a string", lambda v: isinstance(v, str)),
    "integer": ("an integer", _is_integer),
    "number": ("a number", _is_number),
    "boolean": ("true or false", lambda v: isinstance(v, bool)),
    "array": ("an array", lambda v: isinstance(v, list)),
    "object": ("an object", lambda v: isinstance(v, dict)),
}


def _describe(value: Any) -> str:
    """How a JSON value is named in messages: `the string "ten"`, `null`, `an array`."""
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return f"the string {json.dumps(value, ensure_ascii=False)}"
    if isinstance(value, bool):
        return f"boolean {json.dumps(value)}"
    return f"number {json.dumps(value)}"


def _check_field(config: Mapping[str, Any], name: str, spec: str) -> Any:
    optional = spec.endswith("?")
    kind = _TYPES.get(spec[:-1] if optional else spec)
    if kind is None:
        raise TypeError(f"config field {name}: unknown type {spec!r}")
    value = config.get(name)
    if value is None:
        if optional:
            return None
        if name not in config:
            raise errors.invalid_config(name, f"invalid config: missing field `{name}`")
    accepted, accepts = kind
    if not accepts(value):
        raise errors.invalid_config(name, f"invalid config: {name} must be {accepted}, not {_describe(value)}")
    return value


def parse(config_json: str, fields: Optional[Mapping[str, str]] = None, allow_unknown: bool = False) -> Dict[str, Any]:
    """Parses the config JSON into a dict, checking `fields` (name to type, see the module
    docs) when given. Every failure is `invalid-config` naming the field when there is one."""
    try:
        config = json.loads(config_json)
    except ValueError as e:
        raise errors.invalid_config(None, f"invalid config: {e}")
    if not isinstance(config, dict):
        raise errors.invalid_config(None, f"invalid config: expected a JSON object, not {_describe(config)}")
    if fields is None:
        return config
    if not allow_unknown:
        unknown = next((name for name in config if name not in fields), None)
        if unknown is not None:
            expected = ", ".join(f"`{name}`" for name in fields)
            raise errors.invalid_config(unknown, f"invalid config: unknown field `{unknown}`, expected one of {expected}")
    checked = dict(config)
    for name, spec in fields.items():
        checked[name] = _check_field(config, name, spec)
    return checked


def http_url(field: str, value: Any) -> Url:
    """Checks that a config property holds an absolute `http`/`https` URL with a host and no
    query or fragment, and returns it parsed. Errors are `invalid-config` for `field`."""
    try:
        url = Url.parse(value if isinstance(value, str) else "")
    except UrlError as e:
        raise errors.invalid_config(field, f"{field} is not a valid URL: {e.reason}")
    if url.scheme not in ("http", "https"):
        raise errors.invalid_config(field, f"{field} must be an http or https URL, not {url.scheme}:")
    if url.query is not None or url.fragment is not None:
        raise errors.invalid_config(field, f"{field} must not have a query or fragment")
    return url


def non_empty(field: str, value: Any) -> str:
    """Checks that a required string property is not blank; returns it trimmed."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise errors.invalid_config(field, f"{field} must not be empty")
    return text


def timeout_seconds(value: Optional[int]) -> int:
    """The per-request timeout in seconds from an optional `timeout_seconds` property: the
    default when absent, otherwise 1 to `MAX_TIMEOUT_SECONDS` or `invalid-config` naming the field."""
    seconds = DEFAULT_TIMEOUT_SECONDS if value is None else value
    if not _is_integer(seconds) or not 1 <= seconds <= MAX_TIMEOUT_SECONDS:
        raise errors.invalid_config("timeout_seconds", f"timeout_seconds must be between 1 and {MAX_TIMEOUT_SECONDS}")
    return seconds
