//! The CSV catalogue, offset-paged with `Link: <...>; rel="next"` headers (RFC 8288), under
//! `/catalog`:
//!
//! - `GET /catalog/products.csv?offset=0&limit=1..500&updated_since=<RFC 3339>` → the
//!   products ordered by `updated_at`, then `id` (`updated_since` at-or-after), with
//!   `X-Total-Count` and, when more follow, a `Link` to the next page (absolute URL);
//! - `GET /catalog/products/{id}.csv` → the header and that product's row, or 404;
//! - `GET /catalog/products/{id}/variants.csv?offset&limit` → its variants by id, paged the
//!   same way, or 404 when the product does not exist.
//!
//! Products: `id,sku,name,price,sale_price,currency,stock,status,variant_count,created_at,updated_at`;
//! variants: `id,product_id,sku,name,attributes,price,stock,created_at,updated_at` with
//! attributes as `Name=Value;Name=Value`. Fields are quoted per RFC 4180 (names contain
//! commas and quotes); empty means none; times are RFC 3339 UTC. Errors are JSON `{"error"}`
//! with 400, 401, 404, 429 or 500 (the same guard as the JSON feed).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::guard::json_error;
use super::params;
use super::store::{FeedProduct, FeedStore, FeedVariant, format_time};

/// The largest page the catalogue serves.
pub const MAX_LIMIT: u64 = 500;

/// The product columns, in order.
pub const PRODUCT_COLUMNS: &str =
    "id,sku,name,price,sale_price,currency,stock,status,variant_count,created_at,updated_at";
/// The variant columns, in order.
pub const VARIANT_COLUMNS: &str =
    "id,product_id,sku,name,attributes,price,stock,created_at,updated_at";

#[derive(Clone)]
struct CatalogState {
    store: FeedStore,
    /// The emulator's origin, for absolute `Link` URLs.
    base_url: Arc<str>,
}

/// One CSV field, quoted when it must be (RFC 4180).
pub fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) || value.trim() != value {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn row(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// A product as one CSV line (with CRLF).
pub fn product_row(p: &FeedProduct) -> String {
    row(&[
        p.id.to_string(),
        p.sku.clone(),
        p.name.clone(),
        p.price.clone(),
        p.sale_price.clone().unwrap_or_default(),
        p.currency.clone(),
        p.stock.map(|s| s.to_string()).unwrap_or_default(),
        p.status.clone(),
        p.variants.len().to_string(),
        format_time(p.created_at),
        format_time(p.updated_at),
    ])
}

/// A variant as one CSV line (with CRLF).
pub fn variant_row(v: &FeedVariant) -> String {
    let attributes = v
        .attributes
        .iter()
        .map(|(k, val)| format!("{k}={val}"))
        .collect::<Vec<_>>()
        .join(";");
    row(&[
        v.id.to_string(),
        v.product_id.to_string(),
        v.sku.clone(),
        v.name.clone(),
        attributes,
        v.price.clone(),
        v.stock.map(|s| s.to_string()).unwrap_or_default(),
        format_time(v.created_at),
        format_time(v.updated_at),
    ])
}

fn csv_response(body: String, total: usize, next: Option<String>) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert("x-total-count", HeaderValue::from(total));
    if let Some(next) = next
        && let Ok(link) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\""))
    {
        headers.insert(header::LINK, link);
    }
    resp
}

/// A page of rows: (offset, limit) applied, and the next page's URL when more follow.
fn paged<T>(
    items: Vec<T>,
    offset: u64,
    limit: u64,
    next_url: impl FnOnce(u64) -> String,
) -> (Vec<T>, usize, Option<String>) {
    let total = items.len();
    let end = offset.saturating_add(limit);
    let next = (end < total as u64).then(|| next_url(end));
    let page = items
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    (page, total, next)
}

fn query_string(pairs: &[(&str, String)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    q.finish()
}

async fn products(
    State(st): State<CatalogState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let parsed = (|| {
        let offset = params::number(&query, "offset", 0, 0, u64::from(u32::MAX))?;
        let limit = params::number(&query, "limit", 100, 1, MAX_LIMIT)?;
        let since = params::updated_since(&query)?;
        Ok::<_, params::BadParam>((offset, limit, since))
    })();
    let (offset, limit, since) = match parsed {
        Ok(p) => p,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let (page, total, next) = paged(st.store.ordered(since), offset, limit, |next| {
        let mut pairs = vec![("offset", next.to_string()), ("limit", limit.to_string())];
        if let Some(s) = query.get("updated_since") {
            pairs.push(("updated_since", s.clone()));
        }
        format!(
            "{}/catalog/products.csv?{}",
            st.base_url,
            query_string(&pairs)
        )
    });
    let mut body = format!("{PRODUCT_COLUMNS}\r\n");
    body.extend(page.iter().map(product_row));
    csv_response(body, total, next)
}

fn find(store: &FeedStore, id: &str) -> Option<FeedProduct> {
    id.parse::<u64>().ok().and_then(|n| store.product(n))
}

fn product_not_found(id: &str) -> Response {
    json_error(StatusCode::NOT_FOUND, format!("product {id} not found"))
}

async fn product(State(st): State<CatalogState>, Path(file): Path<String>) -> Response {
    let Some(id) = file.strip_suffix(".csv") else {
        return json_error(StatusCode::NOT_FOUND, format!("no such file {file}"));
    };
    match find(&st.store, id) {
        Some(p) => csv_response(format!("{PRODUCT_COLUMNS}\r\n{}", product_row(&p)), 1, None),
        None => product_not_found(id),
    }
}

async fn variants(
    State(st): State<CatalogState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let parsed = (|| {
        let offset = params::number(&query, "offset", 0, 0, u64::from(u32::MAX))?;
        let limit = params::number(&query, "limit", 100, 1, MAX_LIMIT)?;
        Ok::<_, params::BadParam>((offset, limit))
    })();
    let (offset, limit) = match parsed {
        Ok(p) => p,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let Some(product) = find(&st.store, &id) else {
        return product_not_found(&id);
    };
    let (page, total, next) = paged(product.variants, offset, limit, |next| {
        let pairs = [("offset", next.to_string()), ("limit", limit.to_string())];
        format!(
            "{}/catalog/products/{id}/variants.csv?{}",
            st.base_url,
            query_string(&pairs)
        )
    });
    let mut body = format!("{VARIANT_COLUMNS}\r\n");
    body.extend(page.iter().map(variant_row));
    csv_response(body, total, next)
}

/// The catalogue's routes; `base_url` is the emulator's origin.
pub(crate) fn router(store: FeedStore, base_url: &str) -> Router {
    Router::new()
        .route("/catalog/products.csv", get(products))
        .route("/catalog/products/{id}", get(product))
        .route("/catalog/products/{id}/variants.csv", get(variants))
        .with_state(CatalogState {
            store,
            base_url: Arc::from(base_url),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("\"Pro\" mug"), "\"\"\"Pro\"\" mug\"");
        assert_eq!(csv_field(" padded"), "\" padded\"");
        assert_eq!(
            row(&["1".into(), "x,y".into(), String::new()]),
            "1,\"x,y\",\r\n"
        );
    }

    #[test]
    fn pages_link_forward() {
        let (page, total, next) = paged((0..5).collect::<Vec<_>>(), 2, 2, |n| format!("o={n}"));
        assert_eq!((page, total, next.as_deref()), (vec![2, 3], 5, Some("o=4")));
        let (page, _, next) = paged((0..5).collect::<Vec<_>>(), 4, 2, |n| format!("o={n}"));
        assert_eq!((page, next), (vec![4], None));
    }
}
