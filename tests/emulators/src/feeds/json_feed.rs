//! The JSON product feed, keyset-paged with an opaque cursor (as Shopify- or Stripe-style
//! APIs do), under `/feed/v1`:
//!
//! - `GET /feed/v1/status` → `{"name", "products"}`;
//! - `GET /feed/v1/products?limit=1..100&updated_since=<RFC 3339>&cursor=<next_cursor>` →
//!   `{"products": [...], "next_cursor": "..." | null}`, ordered by `updated_at`, then `id`,
//!   `updated_since` at-or-after. The cursor is the position after the last product of the
//!   page, so products changed while a client pages move behind it and are neither skipped
//!   nor repeated;
//! - `GET /feed/v1/products/{id}` → one product, or 404 `{"error"}`.
//!
//! A product: `{"id", "sku", "title", "price", "compare_at_price", "currency", "inventory",
//! "status", "variant_count", "created_at", "updated_at"}` with prices as decimal strings and
//! times as RFC 3339 UTC. Errors are `{"error": message}` with 400, 401, 404, 429 or 500.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};

use super::guard::json_error;
use super::params;
use super::store::{FeedProduct, FeedStore, format_time};

/// The largest page the feed serves.
pub const MAX_LIMIT: u64 = 100;

/// The product as the feed shows it.
pub fn product_json(p: &FeedProduct) -> Value {
    json!({
        "id": p.id,
        "sku": p.sku,
        "title": p.name,
        "price": p.sale_price.as_deref().unwrap_or(&p.price),
        "compare_at_price": p.sale_price.as_ref().map(|_| p.price.as_str()),
        "currency": p.currency,
        "inventory": p.stock,
        "status": p.status,
        "variant_count": p.variants.len(),
        "created_at": format_time(p.created_at),
        "updated_at": format_time(p.updated_at),
    })
}

fn encode_cursor(p: &FeedProduct) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}:{}", p.updated_at, p.id))
}

fn decode_cursor(raw: &str) -> Option<(i64, u64)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (updated, id) = text.split_once(':')?;
    Some((updated.parse().ok()?, id.parse().ok()?))
}

async fn status(State(store): State<FeedStore>) -> Response {
    axum::Json(json!({ "name": "Junction demo product feed", "products": store.len() }))
        .into_response()
}

async fn list(
    State(store): State<FeedStore>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let parsed = (|| {
        let limit = params::number(&query, "limit", 25, 1, MAX_LIMIT)?;
        let since = params::updated_since(&query)?;
        let after = query
            .get("cursor")
            .map(|raw| {
                decode_cursor(raw).ok_or_else(|| params::BadParam {
                    name: "cursor",
                    message: "not a cursor this feed issued".to_owned(),
                })
            })
            .transpose()?;
        Ok::<_, params::BadParam>((limit, since, after))
    })();
    let (limit, since, after) = match parsed {
        Ok(p) => p,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let mut rest = store
        .ordered(since)
        .into_iter()
        .filter(|p| after.is_none_or(|key| (p.updated_at, p.id) > key));
    let page: Vec<FeedProduct> = rest.by_ref().take(limit as usize).collect();
    let next_cursor = match (rest.next(), page.last()) {
        (Some(_), Some(last)) => Some(encode_cursor(last)),
        _ => None,
    };
    axum::Json(json!({
        "products": page.iter().map(product_json).collect::<Vec<_>>(),
        "next_cursor": next_cursor,
    }))
    .into_response()
}

async fn one(State(store): State<FeedStore>, Path(id): Path<String>) -> Response {
    match id.parse::<u64>().ok().and_then(|id| store.product(id)) {
        Some(p) => axum::Json(product_json(&p)).into_response(),
        None => json_error(StatusCode::NOT_FOUND, format!("product {id} not found")),
    }
}

/// The feed's routes.
pub(crate) fn router(store: FeedStore) -> Router {
    Router::new()
        .route("/feed/v1/status", get(status))
        .route("/feed/v1/products", get(list))
        .route("/feed/v1/products/{id}", get(one))
        .with_state(store)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        let store = FeedStore::seeded(3, 0, 1);
        let p = store.product(2).unwrap();
        assert_eq!(decode_cursor(&encode_cursor(&p)), Some((p.updated_at, 2)));
        assert_eq!(decode_cursor("!!"), None);
        assert_eq!(decode_cursor("YWJj"), None);
    }
}
