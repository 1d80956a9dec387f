//! A Junction connector in Rust, made by `junction connector new`: edit it for your system.
//!
//! It reads products from an example JSON API:
//!   GET {base_url}/items?page=N&per_page=M[&updated_since=RFC3339]   (X-API-Key header)
//!   -> {"items": [{"id", "name", "price", "updated_at"}], "has_more": true|false}
//!   GET {base_url}/items/{id} -> one item
//!
//! Build with `junction connector build` (or `cargo build --release --target wasm32-wasip2`);
//! try it with `junction connector call <file>.wasm --config '{...}' list products`.

use junction_sdk::prelude::*;
use junction_sdk::{config, decimal, time};

#[derive(serde::Deserialize)]
struct Config {
    base_url: String,
    api_key: String,
}

#[derive(serde::Deserialize)]
struct Item {
    id: serde_json::Value,
    name: String,
    price: Option<String>,
    updated_at: String,
}

#[derive(serde::Deserialize)]
struct Items {
    items: Vec<Item>,
    has_more: bool,
}

const CONFIG_SCHEMA: &str = r#"{"type": "object", "required": ["base_url", "api_key"],
    "properties": {"base_url": {"type": "string", "format": "uri"},
                   "api_key": {"type": "string", "writeOnly": true}}}"#;

struct Shop;

impl Connector for Shop {
    fn manifest() -> ConnectorManifest {
        ConnectorManifest {
            key: "{{name}}".into(),
            name: "{{title}}".into(),
            version: "0.1.0".into(),
            description: "Products from an example JSON API.".into(),
            resources: vec![ResourceKind::Products],
            writes: vec![],
            config_schema: CONFIG_SCHEMA.into(),
            hosts: vec!["config:base_url".into()],
            rate_limit: None,
            // How deletions are found, per resource; none listed: the host reconciles.
            deletions: vec![],
        }
    }

    fn check(config: String) -> Result<CheckInfo, ConnectorError> {
        client(&config)?
            .get(["items"])
            .query("per_page", 1)
            .send_ok()?;
        Ok(CheckInfo {
            message: "example API reachable".into(),
        })
    }

    fn list(config: String, request: ListRequest) -> Result<Page, ConnectorError> {
        if request.resource != ResourceKind::Products {
            return Err(ConnectorError::Unsupported("products only".into()));
        }
        let page: u32 = match request.cursor.as_deref() {
            None => 1,
            Some(c) => c.parse().map_err(|_| {
                ConnectorError::InvalidRequest(format!(
                    "cursor {c:?} was not issued by this connector"
                ))
            })?,
        };
        let answer: Items = client(&config)?
            .get(["items"])
            .query("page", page)
            .query("per_page", request.page_size.clamp(1, 100))
            .query_opt("updated_since", request.updated_since.as_deref())
            .send_ok()?
            .json()?;
        let entities = answer
            .items
            .into_iter()
            .map(to_entity)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::of(
            entities,
            answer.has_more.then(|| (page + 1).to_string()),
        ))
    }

    fn get(
        config: String,
        _resource: ResourceKind,
        id: String,
        _parent_id: Option<String>,
    ) -> Result<Entity, ConnectorError> {
        let item: Item = client(&config)?
            .get(["items", id.as_str()])
            .send_ok()?
            .json()?;
        to_entity(item)
    }

    fn write(_config: String, _op: WriteOp) -> Result<WriteOutcome, ConnectorError> {
        Err(ConnectorError::Unsupported(
            "this connector writes nothing yet".into(),
        ))
    }
}

fn client(config: &str) -> Result<Client, ConnectorError> {
    let config: Config = config::parse(config)?;
    Ok(Client::new(&config.base_url)?.header("x-api-key", config.api_key))
}

/// The example API's item as a canonical product.
fn to_entity(item: Item) -> Result<Entity, ConnectorError> {
    let id = match &item.id {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let price = item
        .price
        .as_deref()
        .map(decimal::normalize)
        .transpose()
        .map_err(|e| {
            ConnectorError::Upstream(UpstreamError {
                status: 200,
                message: format!("price: {e}"),
            })
        })?;
    let updated = time::normalize_utc(&item.updated_at).map_err(|e| e.into_upstream(200))?;
    Ok(Entity::Product(Product {
        raw: format!(r#"{{"id":{}}}"#, serde_json::Value::String(id.clone())),
        external_id: id,
        sku: None,
        name: item.name,
        status: None,
        price: price.clone(),
        regular_price: price,
        sale_price: None,
        currency: None,
        stock_quantity: None,
        has_variations: false,
        created_at: updated.clone(),
        modified_at: updated,
    }))
}

junction_sdk::export_connector!(Shop);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_maps_to_a_product() {
        let item = Item {
            id: serde_json::json!(7),
            name: "Mug".into(),
            price: Some("9.5".into()),
            updated_at: "2026-01-02T03:04:05Z".into(),
        };
        let Ok(Entity::Product(product)) = to_entity(item) else {
            panic!("not a product");
        };
        assert_eq!(product.external_id, "7");
        assert_eq!(product.modified_at, "2026-01-02T03:04:05Z");
        assert!(product.price.is_some());
    }
}
