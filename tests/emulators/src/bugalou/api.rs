//! The HTTP side of the Bugalou emulator: the documented Orders API.
//!
//! Followed: Bugalou's help page "REST API: Orders & E-commerce"
//! (`https://bugalou.com/en/help/integrations/rest-api-orders-and-ecommerce`, seed 001). It
//! names no API version beyond the `/api/v1` in its paths, documents no rate limit, and gives
//! one answer format for every endpoint; where it is silent, the choices below are the
//! emulator's and are marked as such.
//!
//! - Auth on every route ("include your API key in every request"): `X-API-Key: <key>` or
//!   `Authorization: Bearer <key>`. No key: 401 `{"error":"Missing API key"}`; a wrong key:
//!   403 `{"error":"Invalid or expired API key"}`.
//! - `POST /api/v1/orders`: upsert by `platform` + `orderNumber`; 201
//!   `{"success":true,"order":{...}}` when created, 200 when updated; 400 `{"error":"..."}`
//!   naming the field for invalid input (required `platform`, `orderNumber`, `orderStatus`;
//!   enumerations of `orderStatus` and `paymentStatus`; `items` as `[{name, quantity,
//!   price}]`; decimal strings for `total` and `price`). Fields the documentation does not
//!   list are ignored.
//! - `POST /api/zapier/order` (the Zapier webhook): documented as taking "the same fields";
//!   it writes into the same store with the same upsert, validation, answers and errors,
//!   since the documentation gives it no other format. POST is its only documented method:
//!   any other answers 404 `{"error":"Not found"}`.
//! - `GET /api/v1/orders?page=1&limit=20`: `{"success":true,"orders":[...],
//!   "pagination":{"page","limit","total","totalPages"}}`, oldest order first, `limit` at
//!   most 100. The listing's shape and order are not documented; this is the emulator's
//!   assumption: stable creation order, so new orders never shift earlier pages and an
//!   update does not move an order (a reader cannot stop at a page of unchanged orders).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use super::BugalouConfig;
use super::store::BugalouStore;
use crate::faults::{self, FaultInjector, FaultKind};

/// The order statuses Bugalou accepts.
pub const ORDER_STATUSES: &[&str] = &["processing", "shipped", "delivered", "cancelled"];
/// The payment statuses Bugalou accepts.
pub const PAYMENT_STATUSES: &[&str] = &["paid", "pending", "refunded", "failed"];
/// The largest `limit` of a listing.
pub const MAX_LIMIT: usize = 100;

#[derive(Clone)]
pub(crate) struct AppState {
    pub store: BugalouStore,
    pub config: Arc<BugalouConfig>,
    pub faults: Arc<FaultInjector>,
}

fn reply(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    reply(status, &json!({ "error": message.into() }))
}

fn presented_key(req: &Request) -> Option<String> {
    let headers = req.headers();
    if let Some(k) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(k.trim().to_owned()).filter(|k| !k.is_empty());
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

async fn authenticate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    match presented_key(&req) {
        None => error(StatusCode::UNAUTHORIZED, "Missing API key"),
        Some(k) if k != st.config.api_key => {
            error(StatusCode::FORBIDDEN, "Invalid or expired API key")
        }
        Some(_) => next.run(req).await,
    }
}

async fn inject_faults(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let decision = st.faults.decide();
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.terminal {
        None | Some(FaultKind::Latency { .. }) => next.run(req).await,
        Some(FaultKind::ServerError) => {
            error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
        }
        Some(FaultKind::RateLimited { retry_after_secs }) => {
            let mut resp = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            resp
        }
        Some(FaultKind::MalformedJson) => faults::malformed(next.run(req).await).await,
        Some(FaultKind::DropMidBody) => faults::drop_mid_body(next.run(req).await).await,
    }
}

/// A plain decimal string: `29.99`, `5`, `-1.5`.
pub(crate) fn is_decimal(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

fn optional_text(body: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{field} must be a string")),
    }
}

fn required_text(body: &Map<String, Value>, field: &str) -> Result<String, String> {
    match optional_text(body, field)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(format!("{field} is required")),
    }
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(format!("{field} must be one of: {}", allowed.join(", ")))
    }
}

/// Checks an order body against the documented field reference; the message names the
/// field at fault.
pub(crate) fn validate(body: &Map<String, Value>) -> Result<(), String> {
    required_text(body, "platform")?;
    required_text(body, "orderNumber")?;
    let status = required_text(body, "orderStatus")?;
    one_of("orderStatus", &status, ORDER_STATUSES)?;
    if let Some(email) = optional_text(body, "customerEmail")?
        && (!email.contains('@') || email.contains(' '))
    {
        return Err("customerEmail must be an email address".into());
    }
    optional_text(body, "customerName")?;
    if let Some(total) = optional_text(body, "total")?
        && !is_decimal(&total)
    {
        return Err("total must be a decimal string, e.g. \"29.99\"".into());
    }
    if let Some(currency) = optional_text(body, "currency")?
        && !(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err("currency must be an ISO 4217 code, e.g. \"EUR\"".into());
    }
    optional_text(body, "trackingCode")?;
    optional_text(body, "trackingUrl")?;
    optional_text(body, "paymentMethod")?;
    if let Some(ps) = optional_text(body, "paymentStatus")? {
        one_of("paymentStatus", &ps, PAYMENT_STATUSES)?;
    }
    match body.get("items") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let Some(item) = item.as_object() else {
                    return Err(format!("items[{i}] must be an object"));
                };
                if item
                    .get("name")
                    .and_then(Value::as_str)
                    .is_none_or(|n| n.trim().is_empty())
                {
                    return Err(format!("items[{i}].name is required"));
                }
                if item
                    .get("quantity")
                    .and_then(Value::as_f64)
                    .is_none_or(|q| q <= 0.0)
                {
                    return Err(format!("items[{i}].quantity must be a positive number"));
                }
                if item
                    .get("price")
                    .and_then(Value::as_str)
                    .is_none_or(|p| !is_decimal(p))
                {
                    return Err(format!(
                        "items[{i}].price must be a decimal string, e.g. \"29.99\""
                    ));
                }
            }
        }
        Some(_) => return Err("items must be an array of {name, quantity, price}".into()),
    }
    Ok(())
}

async fn upsert(State(st): State<AppState>, body: Bytes) -> Response {
    let fields = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return error(StatusCode::BAD_REQUEST, "Body must be a JSON object"),
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("Invalid JSON: {e}")),
    };
    if let Err(message) = validate(&fields) {
        return error(StatusCode::BAD_REQUEST, message);
    }
    let (order, created) = st.store.upsert(&fields, &super::now_iso());
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    reply(
        status,
        &json!({ "success": true, "order": order.to_json() }),
    )
}

fn positive(query: &str, name: &str, default: usize) -> Result<usize, String> {
    let mut value = default;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k == name {
            value = v
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("{name} must be a positive integer"))?;
        }
    }
    Ok(value)
}

async fn list(State(st): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    let parsed = positive(&q, "page", 1).and_then(|page| {
        let limit = positive(&q, "limit", 20)?;
        if limit > MAX_LIMIT {
            return Err(format!("limit must be at most {MAX_LIMIT}"));
        }
        Ok((page, limit))
    });
    let (page, limit) = match parsed {
        Ok(p) => p,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let (orders, total) = st.store.page(page, limit);
    let orders: Vec<Value> = orders
        .iter()
        .map(super::store::BugalouOrder::to_json)
        .collect();
    reply(
        StatusCode::OK,
        &json!({
            "success": true,
            "orders": orders,
            "pagination": {
                "page": page,
                "limit": limit,
                "total": total,
                "totalPages": total.div_ceil(limit),
            }
        }),
    )
}

async fn no_route() -> Response {
    error(StatusCode::NOT_FOUND, "Not found")
}

/// The API router.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/orders", post(upsert).get(list))
        .route("/api/zapier/order", post(upsert))
        .fallback(no_route)
        .method_not_allowed_fallback(no_route)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), inject_faults))
        .with_state(state)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn validates_the_documented_fields() {
        let ok = json!({"platform":"custom","orderNumber":"A1","orderStatus":"processing",
            "items":[{"name":"A","quantity":1,"price":"29.99"}],"total":"29.99","currency":"EUR",
            "paymentStatus":"paid"});
        assert_eq!(validate(&body(ok.clone())), Ok(()));
        let cases = [
            ("platform", json!(null), "platform is required"),
            ("orderStatus", json!("done"), "orderStatus must be one of"),
            (
                "paymentStatus",
                json!("free"),
                "paymentStatus must be one of",
            ),
            ("total", json!(29.99), "total must be a string"),
            ("total", json!("29,99"), "total must be a decimal"),
            ("currency", json!("euro"), "currency must be"),
            (
                "items",
                json!([{"name":"A","quantity":1,"price":"x"}]),
                "items[0].price",
            ),
            (
                "items",
                json!([{"quantity":1,"price":"1"}]),
                "items[0].name",
            ),
        ];
        for (field, value, expected) in cases {
            let mut b = body(ok.clone());
            b.insert(field.into(), value);
            let e = validate(&b).unwrap_err();
            assert!(e.contains(expected), "{field}: {e}");
        }
        assert!(is_decimal("5") && is_decimal("-1.50") && !is_decimal("1.") && !is_decimal(""));
    }
}
