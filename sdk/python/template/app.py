"""A Junction connector in Python: copy this folder, rename, edit.

It reads products from an example JSON API:
    GET {base_url}/items?page=N&per_page=M[&updated_since=RFC3339]   (X-API-Key header)
    -> {"items": [{"id", "name", "price", "updated_at"}], "has_more": true|false}
    GET {base_url}/items/{id} -> one item

Build (from the repository root, after `cargo xtask plugins` installed the toolchain):
    target/polyglot/py-venv/bin/componentize-py -d wit -w plugin componentize \
        -p sdk/python/template -p sdk/python app -o my-connector.wasm
"""

from __future__ import annotations

import json
from typing import Callable, List, Optional, TypeVar
from urllib.parse import quote, urlencode

from componentize_py_types import Result
from junction_sdk import batch, errors, http, pages
from wit_world import exports
from wit_world.imports import junction_connector_types as t

T = TypeVar("T")

CONFIG_SCHEMA = {
    "type": "object",
    "required": ["base_url", "api_key"],
    "properties": {
        "base_url": {"type": "string", "format": "uri"},
        # writeOnly: the host seals it at rest and never shows it again.
        "api_key": {"type": "string", "writeOnly": True},
    },
}


def guarded(body: Callable[[], T]) -> T:
    """Every exception leaves as a contract error (bugs as `internal`)."""
    try:
        return body()
    except Exception as e:  # noqa: BLE001
        raise errors.as_connector_error(e)


def parse_config(config: str) -> dict:
    parsed = json.loads(config)
    if not str(parsed.get("base_url", "")).startswith(("http://", "https://")):
        raise errors.invalid_config("base_url", "must be an absolute http(s) URL")
    return parsed


def fetch(config: dict, path: str, query: Optional[dict] = None) -> http.Response:
    url = config["base_url"].rstrip("/") + path + (f"?{urlencode(query)}" if query else "")
    return http.get(url, headers={"x-api-key": config["api_key"]}, timeout_ms=30_000).ok()


def to_entity(item: dict) -> t.Entity:
    return t.Entity_Product(
        t.Product(
            external_id=str(item["id"]),
            sku=None,
            name=item["name"],
            status=None,
            price=item.get("price"),
            regular_price=item.get("price"),
            sale_price=None,
            currency=None,
            stock_quantity=None,
            has_variations=False,
            created_at=item["updated_at"],
            modified_at=item["updated_at"],
            raw=json.dumps(item),
        )
    )


class Connector(exports.Connector):
    def manifest(self) -> t.Manifest:
        return t.Manifest(
            key="template-py",
            name="Example API (Python template)",
            version="0.1.0",
            description="Products from an example JSON API.",
            resources=[t.ResourceKind.PRODUCTS],
            writes=[],
            config_schema=json.dumps(CONFIG_SCHEMA),
            hosts=["config:base_url"],
            rate_limit=None,
            # How deletions are found, per resource; none listed: the host reconciles.
            deletions=[],
        )

    def check(self, config: str) -> t.CheckInfo:
        def body() -> t.CheckInfo:
            fetch(parse_config(config), "/items", {"per_page": 1})
            return t.CheckInfo("example API reachable")

        return guarded(body)

    def list(self, config: str, request: t.ListRequest) -> t.Page:
        def body() -> t.Page:
            if request.resource != t.ResourceKind.PRODUCTS:
                raise errors.unsupported("products only")
            cursor = request.cursor or "1"
            if not cursor.isdigit():
                raise errors.invalid_request(f"cursor {cursor!r} was not issued by this connector")
            page = int(cursor)
            query = {"page": page, "per_page": min(request.page_size, 100)}
            if request.updated_since:
                query["updated_since"] = request.updated_since
            answer = fetch(parse_config(config), "/items", query).json()
            if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
                raise errors.upstream(200, "invalid JSON from upstream (unexpected shape): no items array")
            entities = [to_entity(item) for item in answer["items"]]
            return pages.page(entities, str(page + 1) if answer.get("has_more") else None)

        return guarded(body)

    def get(self, config: str, resource: t.ResourceKind, id: str, parent_id: Optional[str]) -> t.Entity:
        return guarded(lambda: to_entity(fetch(parse_config(config), f"/items/{quote(id, safe='')}").json()))

    def write(self, config: str, op: t.WriteOp) -> t.WriteOutcome:
        raise errors.unsupported("read-only")

    def write_batch(self, config: str, ops: List[t.WriteOp]) -> List[Result[t.WriteOutcome, t.ConnectorError]]:
        # One result per op, in order. A system with a batch endpoint would send the ops in
        # one request here; without one, the shared default performs them one by one.
        return batch.write_each(ops, lambda op: self.write(config, op))
