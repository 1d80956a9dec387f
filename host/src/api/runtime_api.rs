//! The Runtime API (`/api/v1/api/...`), path for path as the product brief describes it.
//!
//! Reads come from the local copy only — never from the external system. Writes check the
//! connector's capabilities, call the connector, update the local copy with what the
//! external system returned, and replay the first response for a repeated
//! `Idempotency-Key`.

use std::collections::HashMap;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::ApiState;
use super::auth::Caller;
use super::error::ApiError;
use super::params::{ListParams, encode_cursor, parse_list};
use crate::runtime::types::{
    OrderStatusChange, OrderTrackingChange, ProductPriceChange, ProductStockChange, ResourceKind,
    Tracking, VariationPriceChange, VariationStockChange, WriteKind, WriteOp,
};
use crate::store::idempotency::SavedResponse;
use crate::sync::record_json::to_stored;

/// The Runtime API routes, relative to `/api/v1/api`.
pub fn routes() -> axum::Router<ApiState> {
    axum::Router::new()
        .route("/me", get(me))
        .route("/capabilities", get(capabilities))
        .route("/health/connection", get(health))
        .route("/orders", get(list_orders))
        .route("/orders/{id}", get(get_order))
        .route("/orders/{id}/status", post(order_status))
        .route("/orders/{id}/tracking", post(order_tracking))
        .route("/customers", get(list_customers))
        .route("/customers/{id}", get(get_customer))
        .route("/products", get(list_products))
        .route("/products/{id}", get(get_product))
        .route("/products/{id}/stock", post(product_stock))
        .route("/products/{id}/price", post(product_price))
        .route("/products/{id}/variations", get(list_variations))
        .route(
            "/products/{id}/variations/{vid}/stock",
            post(variation_stock),
        )
        .route(
            "/products/{id}/variations/{vid}/price",
            post(variation_price),
        )
}

async fn me(Caller(owner): Caller) -> Json<Value> {
    Json(json!({
        "tenantId": owner.tenant_id,
        "connectionId": owner.connection_id,
        "connectorKey": owner.connector_key,
    }))
}

async fn capabilities(
    State(state): State<ApiState>,
    Caller(owner): Caller,
) -> Result<Json<Value>, ApiError> {
    let connector = state.hub.connector(&owner.connector_key)?;
    let m = &connector.manifest;
    let has = |kind: WriteKind| m.writes.contains(&kind);
    Ok(Json(json!({
        "connectorKey": m.key,
        "connectorName": m.name,
        "connectorVersion": m.version,
        "resources": m.resources.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "writes": m.writes.iter().map(|w| w.as_str()).collect::<Vec<_>>(),
        "orderStatus": has(WriteKind::OrderStatus),
        "orderTracking": has(WriteKind::OrderTracking),
        "productStock": has(WriteKind::ProductStock),
        "productPrice": has(WriteKind::ProductPrice),
        "variationStock": has(WriteKind::VariationStock),
        "variationPrice": has(WriteKind::VariationPrice),
    })))
}

async fn health(
    State(state): State<ApiState>,
    Caller(owner): Caller,
) -> Result<Json<Value>, ApiError> {
    let connection = state.hub.store.connection(&owner.connection_id).await?;
    let (connector, options) = state.hub.prepare(&connection)?;
    let start = Instant::now();
    let result = connector.check(&options).await.value;
    let latency_ms = start.elapsed().as_millis() as u64;
    match result {
        Ok(info) => Ok(Json(
            json!({"status": "ok", "message": info.message, "latencyMs": latency_ms}),
        )),
        Err(e) => {
            let mut error = ApiError::from(e);
            error.message = format!("{} (after {latency_ms} ms)", error.message);
            Err(error)
        }
    }
}

/// A page of stored records as the list response, composed from the stored JSON text.
fn list_response(params: &ListParams, rows: Vec<crate::store::records::StoredRecord>) -> Response {
    let limit = usize::try_from(params.page_size).unwrap_or(usize::MAX);
    let has_more = rows.len() > limit;
    let shown = &rows[..rows.len().min(limit)];
    let next_cursor = match (has_more, shown.last()) {
        (true, Some(last)) => Value::String(encode_cursor(last.modified_ms, &last.external_id)),
        _ => Value::Null,
    };
    let mut body =
        String::with_capacity(shown.iter().map(|r| r.data.len() + 1).sum::<usize>() + 96);
    body.push_str("{\"data\":[");
    for (i, row) in shown.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&row.data);
    }
    body.push_str(&format!(
        "],\"page\":{},\"pageSize\":{},\"hasMore\":{has_more},\"nextCursor\":{next_cursor}}}",
        params.page, params.page_size
    ));
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn list(
    state: &ApiState,
    owner: &crate::store::api_keys::KeyOwner,
    resource: ResourceKind,
    raw: &HashMap<String, String>,
    parent: Option<String>,
) -> Result<Response, ApiError> {
    let mut params = parse_list(raw, resource == ResourceKind::Orders)?;
    params.query.parent_id = parent;
    let rows = state
        .hub
        .store
        .list_records(&owner.connection_id, resource, &params.query)
        .await?;
    Ok(list_response(&params, rows))
}

async fn list_orders(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    list(&s, &o, ResourceKind::Orders, &q, None).await
}

async fn list_customers(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    list(&s, &o, ResourceKind::Customers, &q, None).await
}

async fn list_products(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    list(&s, &o, ResourceKind::Products, &q, None).await
}

async fn list_variations(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Path(product): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    list(&s, &o, ResourceKind::Variations, &q, Some(product)).await
}

async fn one(
    state: &ApiState,
    owner: &crate::store::api_keys::KeyOwner,
    resource: ResourceKind,
    id: &str,
) -> Result<Response, ApiError> {
    match state
        .hub
        .store
        .record(&owner.connection_id, resource, "", id)
        .await?
    {
        Some(row) => Ok(([(header::CONTENT_TYPE, "application/json")], row.data).into_response()),
        None => Err(ApiError::not_found(format!(
            "no {} with externalId `{id}` in this connection",
            singular(resource)
        ))),
    }
}

fn singular(resource: ResourceKind) -> &'static str {
    match resource {
        ResourceKind::Orders => "order",
        ResourceKind::Customers => "customer",
        ResourceKind::Products => "product",
        ResourceKind::Variations => "variation",
    }
}

async fn get_order(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    one(&s, &o, ResourceKind::Orders, &id).await
}

async fn get_customer(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    one(&s, &o, ResourceKind::Customers, &id).await
}

async fn get_product(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    one(&s, &o, ResourceKind::Products, &id).await
}

// ---- writes ---------------------------------------------------------------------------

/// Parse a JSON object body; errors name what is wrong.
fn body_object(body: &Bytes) -> Result<serde_json::Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid("body", "the body must be a JSON object")),
        Err(e) => Err(ApiError::invalid(
            "body",
            format!("the body is not valid JSON: {e}"),
        )),
    }
}

fn required_string(body: &serde_json::Map<String, Value>, field: &str) -> Result<String, ApiError> {
    match body.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(_) => Err(ApiError::invalid(
            field,
            format!("{field} must be a non-empty string"),
        )),
        None => Err(ApiError::invalid(field, format!("{field} is required"))),
    }
}

fn optional_string(
    body: &serde_json::Map<String, Value>,
    field: &str,
) -> Result<Option<String>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid(
            field,
            format!("{field} must be a string"),
        )),
    }
}

/// A stock level: a whole number (also as a string of digits).
fn quantity(body: &serde_json::Map<String, Value>) -> Result<i64, ApiError> {
    let bad = || {
        ApiError::invalid(
            "stockQuantity",
            "stockQuantity must be a whole number, e.g. 42",
        )
    };
    match body.get("stockQuantity") {
        Some(Value::Number(n)) => n.as_i64().ok_or_else(bad),
        Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| bad()),
        Some(_) => Err(bad()),
        None => Err(ApiError::invalid(
            "stockQuantity",
            "stockQuantity is required",
        )),
    }
}

/// A money amount: a JSON number or a decimal string, not negative.
fn money(
    body: &serde_json::Map<String, Value>,
    field: &str,
    required: bool,
) -> Result<Option<String>, ApiError> {
    let bad = || {
        ApiError::invalid(
            field,
            format!(
                "{field} must be a non-negative decimal number or string, e.g. 19.99 or \"19.99\""
            ),
        )
    };
    let text = match body.get(field) {
        None | Some(Value::Null) if !required => return Ok(None),
        None | Some(Value::Null) => {
            return Err(ApiError::invalid(field, format!("{field} is required")));
        }
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(bad()),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (text.contains('.') && !digits(fraction)) {
        return Err(bad());
    }
    Ok(Some(text))
}

async fn order_status(
    s: State<ApiState>,
    c: Caller,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let op = |b: &serde_json::Map<String, Value>| {
        Ok(WriteOp::OrderStatus(OrderStatusChange {
            order_id: id.clone(),
            status: required_string(b, "status")?,
        }))
    };
    write(s, c, h, &body, op).await
}

async fn order_tracking(
    s: State<ApiState>,
    c: Caller,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let op = |b: &serde_json::Map<String, Value>| {
        Ok(WriteOp::OrderTracking(OrderTrackingChange {
            order_id: id.clone(),
            tracking: Tracking {
                number: required_string(b, "trackingNumber")?,
                provider: optional_string(b, "trackingProvider")?,
                url: optional_string(b, "trackingUrl")?,
                shipped_at: optional_string(b, "shippedAt")?,
            },
        }))
    };
    write(s, c, h, &body, op).await
}

async fn product_stock(
    s: State<ApiState>,
    c: Caller,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let op = |b: &serde_json::Map<String, Value>| {
        Ok(WriteOp::ProductStock(ProductStockChange {
            product_id: id.clone(),
            quantity: quantity(b)?,
        }))
    };
    write(s, c, h, &body, op).await
}

async fn product_price(
    s: State<ApiState>,
    c: Caller,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let op = |b: &serde_json::Map<String, Value>| {
        Ok(WriteOp::ProductPrice(ProductPriceChange {
            product_id: id.clone(),
            price: money(b, "price", true)?.unwrap_or_default(),
            sale_price: money(b, "salePrice", false)?,
        }))
    };
    write(s, c, h, &body, op).await
}

async fn variation_stock(
    s: State<ApiState>,
    c: Caller,
    h: HeaderMap,
    Path((id, vid)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let op = |b: &serde_json::Map<String, Value>| {
        Ok(WriteOp::VariationStock(VariationStockChange {
            product_id: id.clone(),
            variation_id: vid.clone(),
            quantity: quantity(b)?,
        }))
    };
    write(s, c, h, &body, op).await
}

async fn variation_price(
    s: State<ApiState>,
    c: Caller,
    h: HeaderMap,
    Path((id, vid)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let op = |b: &serde_json::Map<String, Value>| {
        Ok(WriteOp::VariationPrice(VariationPriceChange {
            product_id: id.clone(),
            variation_id: vid.clone(),
            price: money(b, "price", true)?.unwrap_or_default(),
            sale_price: money(b, "salePrice", false)?,
        }))
    };
    write(s, c, h, &body, op).await
}

/// The shared write path: parse, capability check, idempotency, call, local update.
async fn write(
    State(state): State<ApiState>,
    Caller(owner): Caller,
    headers: HeaderMap,
    body: &Bytes,
    build: impl FnOnce(&serde_json::Map<String, Value>) -> Result<WriteOp, ApiError>,
) -> Result<Response, ApiError> {
    let op = build(&body_object(body)?)?;
    let kind = op.kind();
    let idem_key = match headers.get("idempotency-key").map(|v| v.to_str()) {
        None => None,
        Some(Ok(k)) if !k.trim().is_empty() && k.len() <= 255 => Some(k.trim().to_string()),
        Some(_) => {
            return Err(ApiError::invalid(
                "Idempotency-Key",
                "Idempotency-Key must be 1-255 characters of text",
            ));
        }
    };
    let request_hash = hex::encode(Sha256::digest(format!(
        "{}:{}",
        kind.as_str(),
        serde_json::to_string(&op).unwrap_or_default()
    )));
    if let Some(key) = &idem_key
        && let Some(saved) = state.hub.store.saved_response(&owner.key_id, key).await?
    {
        if saved.request_hash != request_hash {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                format!("Idempotency-Key `{key}` was already used for a different request"),
            ));
        }
        let status = StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK);
        return Ok((
            status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (
                    header::HeaderName::from_static("idempotent-replayed"),
                    "true",
                ),
            ],
            saved.body,
        )
            .into_response());
    }

    let connection = state.hub.store.connection(&owner.connection_id).await?;
    let (connector, options) = state.hub.prepare(&connection)?;
    if !connector.manifest.writes.contains(&kind) {
        let supported: Vec<&str> = connector
            .manifest
            .writes
            .iter()
            .map(|w| w.as_str())
            .collect();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsupported",
            format!(
                "the `{}` connector does not support `{}` writes; supported: {}",
                connector.manifest.key,
                kind.as_str(),
                if supported.is_empty() {
                    "none".to_string()
                } else {
                    supported.join(", ")
                }
            ),
        ));
    }
    let outcome = connector
        .write(&options, op)
        .await
        .value
        .map_err(ApiError::from)?;
    let mut data = Value::Null;
    if let Some(entity) = &outcome.entity {
        match to_stored(entity) {
            Ok(record) => {
                state
                    .hub
                    .store
                    .upsert_record(&owner.connection_id, entity.kind(), &record)
                    .await?;
                data = serde_json::from_str(&record.data).unwrap_or(Value::Null);
            }
            Err(e) => {
                tracing::warn!(error = %e, "write succeeded but its returned record cannot be stored")
            }
        }
    }
    let body =
        json!({"success": true, "externalId": outcome.external_id, "data": data}).to_string();
    if let Some(key) = &idem_key {
        let saved = SavedResponse {
            request_hash,
            status: 200,
            body: body.clone(),
        };
        state
            .hub
            .store
            .save_response(&owner.key_id, key, &saved)
            .await?;
    }
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
