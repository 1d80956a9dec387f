//! The smallest useful connector, and the README's example: products from a JSON feed
//! (`GET {feed_url}` → `[{"id", "name", "price", "updated"}]`), read-only, paged.

use junction_sdk::prelude::*;
use junction_sdk::{config, decimal, paging, time};

#[derive(serde::Deserialize)]
struct Config {
    feed_url: String,
}

#[derive(serde::Deserialize)]
struct FeedItem {
    id: String,
    name: String,
    price: String,
    updated: String,
}

/// Where the next page starts: after this product in (modified, id) order.
#[derive(serde::Serialize, serde::Deserialize)]
struct After {
    modified: String,
    id: String,
}

struct HelloFeed;

impl Connector for HelloFeed {
    fn manifest() -> ConnectorManifest {
        ConnectorManifest {
            key: "hello-feed".into(),
            name: "Hello feed".into(),
            version: "0.1.0".into(),
            description: "Products from a JSON feed.".into(),
            resources: vec![ResourceKind::Products],
            writes: vec![],
            config_schema: r#"{"type": "object", "required": ["feed_url"],
                "properties": {"feed_url": {"type": "string", "format": "uri"}}}"#
                .into(),
            hosts: vec!["config:feed_url".into()],
            rate_limit: None,
            deletions: vec![],
        }
    }

    fn check(config: String) -> Result<CheckInfo, ConnectorError> {
        let items = fetch(&config)?;
        Ok(CheckInfo {
            message: format!("feed has {} products", items.len()),
        })
    }

    fn list(config: String, request: ListRequest) -> Result<Page, ConnectorError> {
        let since = request
            .updated_since
            .as_deref()
            .map(time::parse_utc)
            .transpose()
            .map_err(|e| ConnectorError::InvalidRequest(format!("updated-since: {e}")))?;
        let after = request.cursor.as_deref();
        let after = after.map(paging::decode_cursor::<After>).transpose()?;
        let after = after
            .map(|a| time::parse_utc(&a.modified).map(|modified| (modified, a.id)))
            .transpose()
            .map_err(|e| ConnectorError::InvalidRequest(format!("invalid cursor: {e}")))?;
        let mut products = Vec::new();
        for item in fetch(&config)? {
            let product = to_product(item)?;
            let modified =
                time::parse_utc(&product.modified_at).map_err(|e| e.into_upstream(200))?;
            let key = (modified, product.external_id.clone());
            if since.is_none_or(|s| modified >= s) && after.as_ref().is_none_or(|a| key > *a) {
                products.push((key, product));
            }
        }
        // Oldest change first, ties by id: a stable order the cursor can point into.
        products.sort_by(|a, b| a.0.cmp(&b.0));
        let more = products.len() > request.page_size.max(1) as usize;
        products.truncate(request.page_size.max(1) as usize);
        let next_cursor = match products.last() {
            Some((_, last)) if more => Some(paging::encode_cursor(&After {
                modified: last.modified_at.clone(),
                id: last.external_id.clone(),
            })?),
            _ => None,
        };
        let entities = products.into_iter().map(|(_, p)| Entity::Product(p));
        Ok(Page::of(entities.collect(), next_cursor))
    }

    fn get(
        config: String,
        _: ResourceKind,
        id: String,
        _: Option<String>,
    ) -> Result<Entity, ConnectorError> {
        let item = fetch(&config)?.into_iter().find(|i| i.id == id);
        let item = item.ok_or_else(|| ConnectorError::NotFound(format!("no product {id}")))?;
        Ok(Entity::Product(to_product(item)?))
    }

    fn write(_: String, _: WriteOp) -> Result<WriteOutcome, ConnectorError> {
        Err(ConnectorError::Unsupported("the feed is read-only".into()))
    }
}

fn fetch(config: &str) -> Result<Vec<FeedItem>, ConnectorError> {
    let config: Config = config::parse(config)?;
    let response = Request::get(&config.feed_url)?.send_ok()?;
    response.json()
}

fn to_product(item: FeedItem) -> Result<Product, ConnectorError> {
    let price = decimal::normalize(&item.price).map_err(|e| {
        ConnectorError::Upstream(UpstreamError {
            status: 200,
            message: format!("price: {e}"),
        })
    })?;
    let updated = time::normalize_utc(&item.updated).map_err(|e| e.into_upstream(200))?;
    Ok(Product {
        raw: format!(r#"{{"id":"{}"}}"#, item.id),
        external_id: item.id,
        sku: None,
        name: item.name,
        status: None,
        price: Some(price.clone()),
        regular_price: Some(price),
        sale_price: None,
        currency: None,
        stock_quantity: None,
        has_variations: false,
        created_at: updated.clone(),
        modified_at: updated,
    })
}

junction_sdk::export_connector!(HelloFeed);
