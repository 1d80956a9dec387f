"""The CSV catalogue's shapes and rules: the connection config, the paging cursor, the CSV
rows and their mapping onto the contract's canonical `product` and `variation`."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

from junction_sdk import errors
from wit_world.imports import junction_connector_types as t

MAX_PAGE_SIZE = 500
"""The catalogue serves at most this many rows per page."""
CURSOR_PREFIX = "cat1."
PRODUCT_COLUMNS = ("id", "sku", "name", "price", "sale_price", "currency", "stock", "status",
                   "variant_count", "created_at", "updated_at")
VARIANT_COLUMNS = ("id", "product_id", "sku", "name", "attributes", "price", "stock",
                   "created_at", "updated_at")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_ID = re.compile(r"^\d{1,19}$")


@dataclass
class Config:
    catalog_url: str
    api_key: Optional[str]

    def headers(self) -> Dict[str, str]:
        headers = {"accept": "text/csv"}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        return headers


def parse_config(config_json: str) -> Config:
    """The config JSON; problems name the field."""
    try:
        config = json.loads(config_json)
    except ValueError as e:
        raise errors.invalid_config(None, f"config is not JSON: {e}")
    url = config.get("catalog_url") if isinstance(config, dict) else None
    if not isinstance(url, str) or not re.match(r"^https?://[^/?#]+", url):
        raise errors.invalid_config(
            "catalog_url", "must be an absolute http(s) URL such as https://shop.example.com/catalog"
        )
    api_key = config.get("api_key")
    if api_key is not None and not isinstance(api_key, str):
        raise errors.invalid_config("api_key", "must be a string")
    return Config(url.rstrip("/"), api_key)


def record_id(value: Optional[str], what: str) -> str:
    """An id from the host, checked before it goes into a URL path."""
    if value is None or not _ID.match(value):
        raise errors.invalid_request(f"{what} {value!r} is not a catalogue id (digits)")
    return value


def encode_cursor(offset: int) -> str:
    """Our cursor for a variations page: the row offset in the product's variant list."""
    return f"{CURSOR_PREFIX}{offset}"


def decode_cursor(cursor: Optional[str]) -> int:
    """The row offset inside a variations cursor (0 for the first page)."""
    if cursor is None:
        return 0
    rest = cursor[len(CURSOR_PREFIX):] if cursor.startswith(CURSOR_PREFIX) else ""
    if not rest.isdigit():
        raise errors.invalid_request(f"cursor {cursor!r} was not issued by this connector")
    return int(rest)


@dataclass
class ProductKey:
    """Where a products listing stands: the last row returned (its `updated_at`, normalised
    to UTC, and id), and how many rows with that same `updated_at` were returned so far.

    The catalogue orders by (`updated_at`, id) and filters `updated_since` at-or-after, so
    the next page is "rows after this key": asked for as `updated_since=<updated_at>` with
    room for the `ties` rows already seen, which are then dropped. Unlike a plain offset,
    this never skips a row when another one changes (and moves to the end) between pages.
    """

    updated_at: str
    id: int
    ties: int

    def encode(self) -> str:
        return f"{PRODUCT_CURSOR_PREFIX}{self.updated_at}~{self.id}~{self.ties}"

    @staticmethod
    def decode(cursor: Optional[str]) -> Optional["ProductKey"]:
        if cursor is None:
            return None
        parts = cursor[len(PRODUCT_CURSOR_PREFIX):].split("~") if cursor.startswith(PRODUCT_CURSOR_PREFIX) else []
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            raise errors.invalid_request(f"cursor {cursor!r} was not issued by this connector")
        return ProductKey(parts[0], int(parts[1]), int(parts[2]))

    def after(self, row: Dict[str, str]) -> bool:
        """Whether a row comes after this key in the listing order."""
        return (_utc(row["updated_at"], "updated_at"), int(row["id"])) > (self.updated_at, self.id)

    def following(self, page: List[Dict[str, str]]) -> "ProductKey":
        """The key after a non-empty page that continued from this one (or started)."""
        last = _utc(page[-1]["updated_at"], "updated_at")
        same = sum(1 for row in page if _utc(row["updated_at"], "updated_at") == last)
        earlier = self.ties if last == self.updated_at else 0
        return ProductKey(last, int(page[-1]["id"]), earlier + same)


PRODUCT_CURSOR_PREFIX = "catp1~"
START = ProductKey("", -1, 0)
"""Before the first row (every timestamp sorts after the empty string)."""


def next_offset(link_header: Optional[str]) -> Optional[int]:
    """The `offset` of the `Link: <...>; rel="next"` target, when there is one."""
    if not link_header:
        return None
    for part in link_header.split(","):
        match = re.match(r'\s*<([^>]*)>\s*;(.*)$', part)
        if not match or not re.search(r'rel="?next"?', match.group(2)):
            continue
        offset = parse_qs(urlsplit(match.group(1)).query).get("offset", [None])[0]
        if offset is None or not offset.isdigit():
            raise errors.upstream(200, f"next link without a usable offset: {match.group(1)!r}")
        return int(offset)
    return None


def parse_rows(text: str, columns: Tuple[str, ...]) -> List[Dict[str, str]]:
    """The rows of a CSV body with the expected header; anything else is `upstream`."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise errors.upstream(200, "empty CSV from upstream (no header row)")
    missing = [c for c in columns if c not in header]
    if missing:
        raise errors.upstream(200, f"unexpected CSV header, missing {', '.join(missing)}")
    rows = []
    try:
        for number, fields in enumerate(reader, start=2):
            if not fields:
                continue
            if len(fields) != len(header):
                raise errors.upstream(
                    200, f"invalid CSV from upstream: line {number} has {len(fields)} fields, expected {len(header)}"
                )
            rows.append(dict(zip(header, fields)))
    except csv.Error as e:
        raise errors.upstream(200, f"invalid CSV from upstream: {e}")
    return rows


def _utc(value: str, column: str) -> str:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise errors.upstream(200, f"column {column}: {value!r} is not a timestamp")
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _decimal(value: str, column: str) -> Optional[str]:
    if value == "":
        return None
    if not _DECIMAL.match(value):
        raise errors.upstream(200, f"column {column}: {value!r} is not a decimal")
    return value


def _integer(value: str, column: str) -> Optional[int]:
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise errors.upstream(200, f"column {column}: {value!r} is not a whole number")


def to_product(row: Dict[str, str]) -> t.Entity:
    list_price = _decimal(row["price"], "price")
    sale_price = _decimal(row["sale_price"], "sale_price")
    return t.Entity_Product(
        t.Product(
            external_id=row["id"],
            sku=row["sku"] or None,
            name=row["name"],
            status=row["status"] or None,
            price=sale_price or list_price,
            regular_price=list_price,
            sale_price=sale_price,
            currency=row["currency"] or None,
            stock_quantity=_integer(row["stock"], "stock"),
            has_variations=(_integer(row["variant_count"], "variant_count") or 0) > 0,
            created_at=_utc(row["created_at"], "created_at"),
            modified_at=_utc(row["updated_at"], "updated_at"),
            raw=json.dumps(row, ensure_ascii=False),
        )
    )


def _attributes(value: str) -> List[Tuple[str, str]]:
    pairs = []
    for item in filter(None, value.split(";")):
        name, sep, attr = item.partition("=")
        if not sep:
            raise errors.upstream(200, f"column attributes: {item!r} is not Name=Value")
        pairs.append((name.strip(), attr.strip()))
    return pairs


def to_variation(row: Dict[str, str]) -> t.Entity:
    price = _decimal(row["price"], "price")
    return t.Entity_Variation(
        t.Variation(
            external_id=row["id"],
            product_id=row["product_id"],
            sku=row["sku"] or None,
            name=row["name"] or None,
            attributes=_attributes(row["attributes"]),
            price=price,
            regular_price=price,
            sale_price=None,
            stock_quantity=_integer(row["stock"], "stock"),
            created_at=_utc(row["created_at"], "created_at"),
            modified_at=_utc(row["updated_at"], "updated_at"),
            raw=json.dumps(row, ensure_ascii=False),
        )
    )
