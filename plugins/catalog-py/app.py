"""Junction connector for a CSV catalogue served over HTTP (products by keyset over
`updated_since`, variations by `Link`-header paging, `X-API-Key` auth), written in Python and
built into a component by componentize-py. Exports `junction:connector/connector` as the
class `Connector`.

WIT in Python: records are dataclasses with snake_case fields, variants one class per case
(`Entity_Product(value)`), enums `Enum` members, options `None`; an export returning
`result<T, E>` returns T and raises `componentize_py_types.Err(E)`.
"""

from __future__ import annotations

import json
from typing import Callable, List, Optional, TypeVar
from urllib.parse import urlencode

from componentize_py_types import Result
from junction_sdk import batch, errors, http, pages
from wit_world import exports
from wit_world.imports import host
from wit_world.imports import junction_connector_types as t

import catalog

T = TypeVar("T")

CONFIG_SCHEMA = {
    "type": "object",
    "required": ["catalog_url"],
    "additionalProperties": False,
    "properties": {
        "catalog_url": {
            "type": "string",
            "format": "uri",
            "description": "The catalogue root, e.g. https://shop.example.com/catalog",
        },
        "api_key": {
            "type": "string",
            "writeOnly": True,
            "description": "Sent as X-API-Key; leave out for a public catalogue",
        },
    },
}


def guarded(body: Callable[[], T]) -> T:
    """Runs an export body; any exception that is not a contract error becomes `internal`."""
    try:
        return body()
    except Exception as e:  # noqa: BLE001 - everything must leave as a contract error
        raise errors.as_connector_error(e)


def fetch_csv(config: catalog.Config, path: str, query: Optional[dict] = None) -> http.Response:
    url = f"{config.catalog_url}/{path}"
    if query:
        url = f"{url}?{urlencode(query)}"
    return http.get(url, headers=config.headers(), timeout_ms=30_000).ok()


def list_products(config: catalog.Config, request: t.ListRequest, limit: int) -> t.Page:
    key = catalog.ProductKey.decode(request.cursor)
    if key is None:
        query = {"offset": 0, "limit": limit}
        if request.updated_since is not None:
            query["updated_since"] = request.updated_since
    elif key.ties + limit <= catalog.MAX_PAGE_SIZE:
        # Ask again from the key's timestamp, with room for the rows already returned.
        query = {"offset": 0, "limit": key.ties + limit, "updated_since": key.updated_at}
    else:
        # More ties than a page holds (a bulk edit): skip them by position instead.
        query = {"offset": key.ties, "limit": limit, "updated_since": key.updated_at}
    response = fetch_csv(config, "products.csv", query)
    rows = catalog.parse_rows(response.text(), catalog.PRODUCT_COLUMNS)
    if key is not None:
        rows = [row for row in rows if key.after(row)]
    page = rows[:limit]
    more = catalog.next_offset(response.header("link")) is not None or len(rows) > limit
    next_cursor = (key or catalog.START).following(page).encode() if more and page else None
    return pages.page([catalog.to_product(row) for row in page], next_cursor)


def list_variations(config: catalog.Config, request: t.ListRequest, limit: int) -> t.Page:
    parent = catalog.record_id(request.parent_id, "parent-id")
    offset = catalog.decode_cursor(request.cursor)
    response = fetch_csv(config, f"products/{parent}/variants.csv", {"offset": offset, "limit": limit})
    rows = catalog.parse_rows(response.text(), catalog.VARIANT_COLUMNS)
    following = catalog.next_offset(response.header("link"))
    return pages.page(
        [catalog.to_variation(row) for row in rows],
        catalog.encode_cursor(following) if following is not None else None,
    )


def list_page(config: catalog.Config, request: t.ListRequest) -> t.Page:
    limit = max(1, min(request.page_size, catalog.MAX_PAGE_SIZE))
    if request.resource == t.ResourceKind.PRODUCTS:
        page = list_products(config, request, limit)
    elif request.resource == t.ResourceKind.VARIATIONS:
        page = list_variations(config, request, limit)
    else:
        raise errors.unsupported(
            f"the catalogue serves products and variations, not {request.resource.name.lower()}"
        )
    host.log(host.LogLevel.DEBUG, "listed catalogue rows", [("count", str(len(page.entities)))])
    return page


def get_variation(config: catalog.Config, parent: str, wanted: str) -> t.Entity:
    offset: Optional[int] = 0
    while offset is not None:
        response = fetch_csv(config, f"products/{parent}/variants.csv", {"offset": offset, "limit": catalog.MAX_PAGE_SIZE})
        for row in catalog.parse_rows(response.text(), catalog.VARIANT_COLUMNS):
            if row["id"] == wanted:
                return catalog.to_variation(row)
        offset = catalog.next_offset(response.header("link"))
    raise errors.not_found(f"product {parent} has no variation {wanted}")


class Connector(exports.Connector):
    def manifest(self) -> t.Manifest:
        return t.Manifest(
            key="catalog-py",
            name="CSV catalogue (Python)",
            version="0.1.0",
            description="Products and variations from a CSV catalogue served over HTTP; written in Python.",
            resources=[t.ResourceKind.PRODUCTS, t.ResourceKind.VARIATIONS],
            writes=[],
            config_schema=json.dumps(CONFIG_SCHEMA),
            hosts=["config:catalog_url"],
            rate_limit=None,
            deletions=[],
        )

    def check(self, config: str) -> t.CheckInfo:
        def body() -> t.CheckInfo:
            parsed = catalog.parse_config(config)
            response = fetch_csv(parsed, "products.csv", {"limit": 1})
            catalog.parse_rows(response.text(), catalog.PRODUCT_COLUMNS)
            total = response.header("x-total-count") or "?"
            return t.CheckInfo(f"CSV catalogue with {total} products at {parsed.catalog_url}")

        return guarded(body)

    def list(self, config: str, request: t.ListRequest) -> t.Page:
        return guarded(lambda: list_page(catalog.parse_config(config), request))

    def get(self, config: str, resource: t.ResourceKind, id: str, parent_id: Optional[str]) -> t.Entity:
        def body() -> t.Entity:
            parsed = catalog.parse_config(config)
            wanted = catalog.record_id(id, "id")
            if resource == t.ResourceKind.PRODUCTS:
                response = fetch_csv(parsed, f"products/{wanted}.csv")
                rows = catalog.parse_rows(response.text(), catalog.PRODUCT_COLUMNS)
                if len(rows) != 1:
                    raise errors.upstream(200, f"expected one row for product {wanted}, got {len(rows)}")
                return catalog.to_product(rows[0])
            if resource == t.ResourceKind.VARIATIONS:
                return get_variation(parsed, catalog.record_id(parent_id, "parent-id"), wanted)
            raise errors.unsupported(f"the catalogue serves products and variations, not {resource.name.lower()}")

        return guarded(body)

    def write(self, config: str, op: t.WriteOp) -> t.WriteOutcome:
        raise errors.unsupported(f"the catalogue is read-only ({type(op).__name__})")

    def write_batch(self, config: str, ops: List[t.WriteOp]) -> List[Result[t.WriteOutcome, t.ConnectorError]]:
        return batch.write_each(ops, lambda op: self.write(config, op))
