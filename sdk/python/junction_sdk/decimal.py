"""Decimal strings for money and quantities: the contract never carries floats. The same
rules as the Rust SDK's `decimal` module; arithmetic is exact, with the standard library's
`decimal` (`add("0.1", "0.2")` is `"0.3"`).

`normalize` validates a decimal given as text and returns it in a plain canonical form: an
optional `-`, digits, and an optional fraction (`"9.9"`, `"-3"`, `"0.50"`). A leading `+` and
superfluous leading zeros are dropped, `".5"` becomes `"0.5"`, `"5."` becomes `"5"`, `-0`
becomes `0`, and exponents (`"1e-3"`, as JSON numbers may be written) are expanded. Trailing
fraction zeros are kept: `"9.90"` stays `"9.90"`, so an amount keeps its scale. Anything else
(`"abc"`, `"1,5"`, `"NaN"`, `""`) is refused with a `DecimalError`.

Results keep scales as a decimal type does: a sum or difference has the larger scale of its
operands (`add("1.5", "2.25")` is `"3.75"`), a product the sum of both
(`multiply("19.99", "3")` is `"59.97"`, `multiply("1.10", "2.0")` is `"2.200"`).
"""

from __future__ import annotations

import decimal as _decimal
import json
import re
from typing import Any, Iterable, Optional

MAX_EXPONENT = 64
"""The longest exponent `normalize` expands; larger ones are refused rather than producing huge strings."""

# Sign, digits with an optional point (at least one digit), optional exponent: the shapes
# the Rust SDK accepts (`re.ASCII`: only 0-9 are digits, as there).
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)

# Exact arithmetic: no rounding ever (Inexact traps), precision far beyond any amount.
_EXACT = _decimal.Context(prec=_decimal.MAX_PREC, Emax=_decimal.MAX_EMAX, Emin=_decimal.MIN_EMIN, traps=[_decimal.Inexact, _decimal.InvalidOperation])


class DecimalError(ValueError):
    """A value that is not a decimal number; `input` is the text (or JSON) given."""

    def __init__(self, input: str) -> None:
        self.input = input
        super().__init__(f"not a decimal number: {json.dumps(input, ensure_ascii=False)}")


def _parse(input: str) -> _decimal.Decimal:
    if not isinstance(input, str):
        raise DecimalError(str(input))
    text = input.strip()
    if _DECIMAL.fullmatch(text) is None:
        raise DecimalError(input)
    at = max(text.find("e"), text.find("E"))
    if at >= 0 and abs(int(text[at + 1 :])) > MAX_EXPONENT:
        raise DecimalError(input)
    # Through the plain text: `1e2` is `100` with scale 0 (as in the other SDKs), not 1E+2.
    return _decimal.Decimal(_text(_decimal.Decimal(text)))


def _text(value: _decimal.Decimal) -> str:
    # Plain digits, the scale kept, never an exponent; `-0` is `0`.
    text = f"{value:f}"
    return text[1:] if text.startswith("-") and value.is_zero() else text


def normalize(input: str) -> str:
    """Validates and normalises a decimal string (see the module docs)."""
    return _text(_parse(input))


def is_decimal(input: str) -> bool:
    """Whether a value is a decimal string `normalize` accepts."""
    try:
        normalize(input)
    except DecimalError:
        return False
    return True


def normalize_opt(input: str) -> Optional[str]:
    """Like `normalize`, but an empty (or all-space) string is `None`: many APIs send `""` for
    "no value" (WooCommerce's `sale_price`, for one)."""
    if isinstance(input, str) and not input.strip():
        return None
    return normalize(input)


def from_json(value: Any) -> Optional[str]:
    """A decimal from a JSON value (as `json.loads` gives it): a number (`9.99` gives `"9.99"`;
    pass `parse_float=decimal.Decimal` to `json.loads` to keep every digit), or a string as
    `normalize_opt` reads it. `None` and `""` are `None`; booleans, lists and dicts are errors."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise DecimalError(json.dumps(value))
    if isinstance(value, (int, float, _decimal.Decimal)):
        return normalize(repr(value) if isinstance(value, float) else str(value))
    if isinstance(value, str):
        return normalize_opt(value)
    raise DecimalError(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str))


def from_int(n: int) -> str:
    """A decimal from an integer."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise DecimalError(str(n))
    return str(n)


def add(a: str, b: str) -> str:
    """The exact sum `a + b`, with the larger scale of the two."""
    return _text(_EXACT.add(_parse(a), _parse(b)))


def subtract(a: str, b: str) -> str:
    """The exact difference `a - b`, with the larger scale of the two."""
    return _text(_EXACT.subtract(_parse(a), _parse(b)))


def multiply(a: str, b: str) -> str:
    """The exact product `a × b`; its scale is the sum of both."""
    return _text(_EXACT.multiply(_parse(a), _parse(b)))


def compare(a: str, b: str) -> int:
    """Compares two decimals by value (`"1.0"` equals `"1"`): -1, 0 or 1."""
    return int(_parse(a).compare(_parse(b)))


def sum(values: Iterable[str]) -> str:  # noqa: A001 - the Rust SDK's name; `decimal.sum` reads well
    """The exact sum of decimal strings, with the largest scale among them (`[]` gives `"0"`)."""
    total = "0"
    for value in values:
        total = add(total, value)
    return total
