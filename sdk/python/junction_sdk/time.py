"""Timestamps the way the contract wants them: RFC 3339 in UTC with a `Z`
(`2026-01-31T12:00:00Z`), as the Rust SDK's `time` module writes them.

External systems write instants in many shapes. `parse_utc` accepts RFC 3339 with `Z` or an
offset, and also a date-time without a zone, which it reads as UTC (WooCommerce's `*_gmt`
fields look like `2017-03-22T16:28:02`; MySQL-style `2017-03-22 16:28:02` is taken too).
`normalize_utc` turns any of them into the canonical string; `format_naive_utc` goes the
other way for APIs that want a zone-less UTC date-time in queries.

A `Timestamp` keeps whole seconds and nanoseconds (a `datetime` has only microseconds, and
the contract's timestamps may carry more), within the range the Rust SDK can represent, so
the same text gives the same answer in every language; `Timestamp.to_datetime()` gives an
aware `datetime` when one is wanted.
"""

from __future__ import annotations

import re
import time as _clock
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from componentize_py_types import Err

from . import errors

MIN_EPOCH_SECONDS = -377705023201
"""Earliest whole second a timestamp may have (the Rust SDK's range)."""
MAX_EPOCH_SECONDS = 253402207200
"""Latest whole second a timestamp may have."""

_SECONDS_PER_DAY = 86400

# Date, `T`/`t`/space, hours, optional minutes and seconds with a fraction (`.` or `,`),
# optional zone (`Z`, `+HH`, `+HH:MM`, `+HHMM`, `+HH:MM:SS`): what the Rust SDK's parser takes.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"(?:[Zz]|([+-])(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?)?",
    re.ASCII,
)


class TimeError(ValueError):
    """A timestamp that could not be read: `input` is the text given, `reason` why it was refused."""

    def __init__(self, input: object, reason: str) -> None:
        self.input = str(input)
        self.reason = reason
        super().__init__(f"invalid timestamp {_quoted(self.input)}: {reason}")

    def into_upstream(self, status: int) -> Err:
        """This error as the contract's `upstream` error (a timestamp from the external system)."""
        return errors.upstream(status, str(self))


def _quoted(text: str) -> str:
    # The quoting the Rust and JavaScript SDKs use, so messages read the same everywhere.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, order=True)
class Timestamp:
    """An instant: whole `seconds` since the Unix epoch (floored) and `nanos` (0 to 999,999,999) after them."""

    seconds: int
    nanos: int = 0

    def __str__(self) -> str:
        return format_utc(self)

    def to_datetime(self) -> datetime:
        """An aware UTC `datetime` (microseconds: finer digits are cut)."""
        return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=self.seconds, microseconds=self.nanos // 1000)

    @staticmethod
    def from_datetime(value: datetime) -> "Timestamp":
        """The instant of an aware `datetime` (a naive one is read as UTC)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        delta = value - datetime(1970, 1, 1, tzinfo=timezone.utc)
        return Timestamp(delta.days * _SECONDS_PER_DAY + delta.seconds, delta.microseconds * 1000)


MIN_TIMESTAMP = Timestamp(MIN_EPOCH_SECONDS, 0)
"""The earliest instant a timestamp may be (what `minus_seconds` saturates at)."""


def _days_from_civil(year: int, month: int, day: int) -> int:
    # Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    y = year - 1 if month <= 2 else year
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    # The date of a day since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    z = days + 719468
    era = z // 146097
    day_of_era = z - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    mp = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return year_of_era + era * 400 + (1 if month <= 2 else 0), month, day


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _in_range(seconds: int) -> bool:
    return MIN_EPOCH_SECONDS <= seconds <= MAX_EPOCH_SECONDS


def parse_utc(input: str) -> Timestamp:
    """Parses RFC 3339 (`Z` or an offset), or a date-time without zone taken as UTC. `T`, `t`
    or a space may separate date and time; fractional seconds are kept. Raises `TimeError`."""
    text = (input or "").strip()
    if not text:
        raise TimeError(input, "empty")
    if len(text) <= 10 or text[10] not in "Tt ":
        raise TimeError(input, "expected a date and a time, e.g. 2026-01-31T12:00:00Z")
    parts = _DATE_TIME.fullmatch(text)
    if parts is None:
        raise TimeError(input, "not an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z")
    y, mo, d, h, mi, s, fraction, sign, offset_hours, offset_minutes, offset_seconds = parts.groups()
    mi = mi or "00"
    year, month, day, hour, minute = int(y), int(mo), int(d), int(h), int(mi)
    written_second = int(s or "0")
    if not 1 <= month <= 12:
        raise TimeError(input, f"month {mo} is not between 01 and 12")
    if not 1 <= day <= _days_in_month(year, month):
        raise TimeError(input, f"day {d} does not exist in {y}-{mo}")
    if hour > 23:
        raise TimeError(input, f"hour {h} is not between 00 and 23")
    if minute > 59:
        raise TimeError(input, f"minute {mi} is not between 00 and 59")
    if written_second > 60:
        raise TimeError(input, f"second {s} is not between 00 and 59")
    # A leap second is read as the last second of its minute, as the Rust SDK does.
    second = min(written_second, 59)
    offset = 0
    if sign is not None:
        oh, om, os = int(offset_hours), int(offset_minutes or "0"), int(offset_seconds or "0")
        if oh > 25 or om > 59 or os > 59:
            raise TimeError(input, "the offset is out of range (at most ±25:59:59)")
        offset = (-1 if sign == "-" else 1) * (oh * 3600 + om * 60 + os)
    seconds = _days_from_civil(year, month, day) * _SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset
    if not _in_range(seconds):
        raise TimeError(input, "out of the supported range")
    return Timestamp(seconds, int((fraction or "").ljust(9, "0")))


def now() -> Timestamp:
    """The current instant (from the wall clock the host provides)."""
    seconds, nanos = divmod(_clock.time_ns(), 1_000_000_000)
    return Timestamp(seconds, nanos)


def _civil(ts: Timestamp) -> str:
    days, of_day = divmod(ts.seconds, _SECONDS_PER_DAY)
    year, month, day = _civil_from_days(days)
    year_text = f"-{-year:06d}" if year < 0 else f"{year:04d}"
    return f"{year_text}-{month:02d}-{day:02d}T{of_day // 3600:02d}:{of_day % 3600 // 60:02d}:{of_day % 60:02d}"


def format_utc(ts: Timestamp) -> str:
    """The canonical form: `YYYY-MM-DDTHH:MM:SSZ`, with a fraction only when it is not zero."""
    fraction = "" if ts.nanos == 0 else "." + f"{ts.nanos:09d}".rstrip("0")
    return f"{_civil(ts)}{fraction}Z"


def normalize_utc(input: str) -> str:
    """Any form `parse_utc` takes, as the canonical UTC string."""
    return format_utc(parse_utc(input))


def normalize_utc_opt(input: Optional[str]) -> Optional[str]:
    """Like `normalize_utc` for optional fields: `None`, empty strings and MySQL's zero date
    (`0000-00-00 00:00:00`) give `None`."""
    text = (input or "").strip()
    if not text or text.startswith("0000-00-00"):
        return None
    return normalize_utc(text)


def format_naive_utc(ts: Timestamp) -> str:
    """A zone-less UTC date-time with whole seconds, `YYYY-MM-DDTHH:MM:SS` (the fraction is
    dropped), as WooCommerce takes it with `dates_are_gmt=true`."""
    return _civil(ts)


def minus_seconds(ts: Timestamp, seconds: int) -> Timestamp:
    """`ts` minus `seconds`; a result outside the supported range is the earliest instant."""
    result = ts.seconds - seconds
    return Timestamp(result, ts.nanos) if _in_range(result) else MIN_TIMESTAMP


def floor_second(ts: Timestamp) -> Timestamp:
    """`ts` with its fraction of a second dropped (rounded down)."""
    return Timestamp(ts.seconds, 0)


def compare(a: str, b: str) -> int:
    """Compares two timestamps in any form `parse_utc` takes: -1, 0 or 1."""
    x, y = parse_utc(a), parse_utc(b)
    return (x > y) - (x < y)


def epoch_seconds(input: str) -> int:
    """Whole seconds since the Unix epoch of a timestamp in any form `parse_utc` takes (a
    fraction is cut towards zero, as the Rust SDK does)."""
    ts = parse_utc(input)
    return ts.seconds + 1 if ts.seconds < 0 and ts.nanos > 0 else ts.seconds


def from_epoch_seconds(seconds: int) -> str:
    """The canonical string of whole seconds since the Unix epoch."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TimeError(seconds, "not a whole number of seconds")
    if not _in_range(seconds):
        raise TimeError(seconds, "out of the supported range")
    return format_utc(Timestamp(seconds, 0))
