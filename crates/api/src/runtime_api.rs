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
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use utoipa::OpenApi;

use super::Verb::{Get, Post};
use super::answers::{Capabilities, Health, Me, ResourceFreshness};
use super::auth::Caller;
use super::error::ApiError;
use super::error::ApiError as ApiErrorDoc;
use super::params::{ListParams, encode_cursor, parse_list};
use super::records::{
    Customer, CustomerList, Order, OrderList, Product, ProductList, VariationList,
};
use super::requests::{ListQuery, PriceBody, StatusBody, StockBody, TrackingBody};
use super::{ApiState, RouteDef, at, build};
use junction_contract::{
    OrderStatusChange, OrderTrackingChange, ProductPriceChange, ProductStockChange, ResourceKind,
    Tracking, VariationPriceChange, VariationStockChange, WriteKind, WriteOp,
};
use junction_domain::freshness::{self, Freshness, ReadAccess};
use junction_domain::write_back::WriteResult;
use junction_domain::write_back::{self, WriteError};
use junction_store::records::{RecordPage, format_changed_ms, write_served};

/// Where the Runtime API is mounted.
pub const PREFIX: &str = "/api/v1/api";

/// The Runtime API routes, relative to [`PREFIX`]: the one list both the router and the
/// OpenAPI test read.
pub fn route_table() -> Vec<RouteDef> {
    vec![
        at(Get, "/me", me),
        at(Get, "/capabilities", capabilities),
        at(Get, "/health/connection", health),
        at(Get, "/orders", list_orders),
        at(Post, "/orders", super::push::push_order),
        at(Get, "/orders/{id}", get_order),
        at(Post, "/orders/{id}/status", order_status),
        at(Post, "/orders/{id}/tracking", order_tracking),
        at(Get, "/customers", list_customers),
        at(Get, "/customers/{id}", get_customer),
        at(Get, "/products", list_products),
        at(Get, "/products/{id}", get_product),
        at(Post, "/products/{id}/stock", product_stock),
        at(Post, "/products/{id}/price", product_price),
        at(Get, "/products/{id}/variations", list_variations),
        at(
            Post,
            "/products/{id}/variations/{vid}/stock",
            variation_stock,
        ),
        at(
            Post,
            "/products/{id}/variations/{vid}/price",
            variation_price,
        ),
    ]
}

/// The Runtime API routes, relative to [`PREFIX`].
pub fn routes() -> axum::Router<ApiState> {
    build(route_table())
}

/// The Runtime API's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    me,
    capabilities,
    health,
    list_orders,
    super::push::push_order,
    get_order,
    order_status,
    order_tracking,
    list_customers,
    get_customer,
    list_products,
    get_product,
    product_stock,
    product_price,
    list_variations,
    variation_stock,
    variation_price,
))]
pub struct RuntimeApiDoc;

#[utoipa::path(
    get,
    path = "/api/v1/api/me",
    tag = "meta",
    summary = "Who the API key belongs to",
    responses(
        (status = 200, description = "the key's tenant, connection and connector", body = Me),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
async fn me(Caller(owner): Caller) -> Json<Me> {
    Json(Me {
        tenant_id: owner.tenant_id,
        connection_id: owner.connection_id,
        connector_key: owner.connector_key,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/api/capabilities",
    tag = "meta",
    summary = "What the connection's connector can do",
    responses(
        (status = 200, description = "resources and writes", body = Capabilities),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
async fn capabilities(
    State(state): State<ApiState>,
    Caller(owner): Caller,
) -> Result<Json<Capabilities>, ApiError> {
    let connector = state.hub.connector(&owner.connector_key)?;
    let m = &connector.manifest;
    let has = |kind: WriteKind| m.writes.contains(&kind);
    Ok(Json(Capabilities {
        connector_key: m.key.clone(),
        connector_name: m.name.clone(),
        connector_version: m.version.clone(),
        resources: m.resources.iter().map(|r| r.as_str().into()).collect(),
        writes: m.writes.iter().map(|w| w.as_str().into()).collect(),
        order_status: has(WriteKind::OrderStatus),
        order_tracking: has(WriteKind::OrderTracking),
        product_stock: has(WriteKind::ProductStock),
        product_price: has(WriteKind::ProductPrice),
        variation_stock: has(WriteKind::VariationStock),
        variation_price: has(WriteKind::VariationPrice),
        sync: sync_freshness(&state, &owner.connection_id).await?,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/api/health/connection",
    tag = "meta",
    summary = "Check the external system now",
    responses(
        (status = 200, description = "the external system answered", body = Health),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "no such record or connection", body = ApiErrorDoc),
        (status = 422, description = "not supported by the connector, refused by the external system (its 4xx message), or Idempotency-Key reused for a different request", body = ApiErrorDoc),
        (status = 500, description = "the server cannot open the connection's secrets", body = ApiErrorDoc),
        (status = 502, description = "the external system or the connector failed", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
        (status = 504, description = "the external system or the connector timed out", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
async fn health(
    State(state): State<ApiState>,
    Caller(owner): Caller,
) -> Result<Json<Health>, ApiError> {
    let connection = state.hub.store.connection(&owner.connection_id).await?;
    let (connector, options) = state.hub.prepare(&connection)?;
    let start = Instant::now();
    let result = connector.check(&options).await.value;
    let latency_ms = start.elapsed().as_millis() as u64;
    match result {
        Ok(info) => Ok(Json(Health {
            status: "ok".into(),
            message: info.message,
            latency_ms,
            sync: sync_freshness(&state, &owner.connection_id).await?,
        })),
        Err(e) => {
            let mut error = ApiError::from(e);
            error.message = format!("{} (after {latency_ms} ms)", error.message);
            Err(error)
        }
    }
}

/// A page of stored records as the list response, composed from the stored JSON text.
fn list_response(params: &ListParams, page: RecordPage) -> Response {
    let next_cursor = match page.next_after {
        Some(position) => Value::String(encode_cursor(position)),
        None => Value::Null,
    };
    let mut body = String::with_capacity(
        page.records
            .iter()
            .map(|r| r.data.len() + 64)
            .sum::<usize>()
            + 96,
    );
    body.push_str("{\"data\":[");
    for (i, row) in page.records.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        write_served(&mut body, &row.data, row.changed_ms);
    }
    body.push_str("],\"deleted\":[");
    for (i, row) in page.deleted.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        let tombstone = serde_json::json!({
            "externalId": row.external_id,
            "deletedAt": format_changed_ms(row.deleted_ms.unwrap_or(row.changed_ms)),
            "modifiedAt": format_changed_ms(row.changed_ms),
        });
        body.push_str(&tombstone.to_string());
    }
    body.push_str(&format!(
        "],\"page\":{},\"pageSize\":{},\"hasMore\":{},\"nextCursor\":{next_cursor}}}",
        params.page, params.page_size, page.has_more
    ));
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Every synced resource's freshness, for `capabilities` and `health/connection`.
async fn sync_freshness(
    state: &ApiState,
    connection_id: &str,
) -> Result<Vec<ResourceFreshness>, ApiError> {
    let all = freshness::of_connection(&state.hub, connection_id, junction_store::now_ms()).await?;
    Ok(all.iter().map(ResourceFreshness::from).collect())
}

/// Whether the resource may be read now (`junction_domain::freshness`): its freshness, none
/// for a pushed-only resource, or the 404/503 that says why not.
async fn read_access(
    state: &ApiState,
    owner: &junction_store::api_keys::KeyOwner,
    resource: ResourceKind,
) -> Result<Option<Freshness>, ApiError> {
    let access = freshness::read_access(
        &state.hub,
        &owner.connection_id,
        &owner.connector_key,
        resource,
        junction_store::now_ms(),
    )
    .await?;
    match access {
        ReadAccess::Synced(fresh) => Ok(Some(fresh)),
        ReadAccess::Pushed => Ok(None),
        ReadAccess::NotSyncedYet {
            retry_after_secs,
            reason,
        } => Err(ApiError {
            retry_after_secs: Some(retry_after_secs),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_synced_yet",
                format!(
                    "the local copy of {} has not been synced yet ({reason}); retry after {retry_after_secs} s",
                    resource.as_str()
                ),
            )
        }),
        ReadAccess::Unsupported {
            connector,
            readable,
        } => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "resource_not_read",
            format!(
                "connector `{connector}` does not read {}; this connection has: {}",
                resource.as_str(),
                if readable.is_empty() {
                    "none".to_string()
                } else {
                    readable.join(", ")
                }
            ),
        )),
    }
}

/// Say how fresh the answer is: `Junction-Synced-At` (the newest successful sync) and
/// `Junction-Stale` (the last sync failed or is overdue by more than twice its cadence).
fn with_freshness(mut response: Response, fresh: Option<&Freshness>) -> Response {
    let Some(fresh) = fresh else {
        return response;
    };
    let headers = response.headers_mut();
    if let Some(at) = fresh.synced_at_ms
        && let Ok(value) = HeaderValue::from_str(&format_changed_ms(at))
    {
        headers.insert(SYNCED_AT, value);
    }
    headers.insert(
        STALE,
        HeaderValue::from_static(if fresh.stale { "true" } else { "false" }),
    );
    response
}

const SYNCED_AT: HeaderName = HeaderName::from_static("junction-synced-at");
const STALE: HeaderName = HeaderName::from_static("junction-stale");

async fn list(
    state: &ApiState,
    owner: &junction_store::api_keys::KeyOwner,
    resource: ResourceKind,
    raw: &HashMap<String, String>,
    parent: Option<String>,
) -> Result<Response, ApiError> {
    let mut params = parse_list(raw, resource == ResourceKind::Orders)?;
    params.query.parent_id = parent.unwrap_or_default();
    let fresh = read_access(state, owner, resource).await?;
    let page = state
        .hub
        .store
        .page_records(&owner.connection_id, resource, &params.query)
        .await?;
    Ok(with_freshness(list_response(&params, page), fresh.as_ref()))
}

#[utoipa::path(
    get,
    path = "/api/v1/api/orders",
    tag = "orders",
    summary = "List stored orders",
    params(
        ListQuery,
        ("status" = Option<String>, Query, pattern = r"^\s*[^,\s][^,]*(,\s*[^,\s][^,]*)*$",
            description = "Only orders with one of these status words, comma-separated, e.g. `processing,completed`"),
    ),
    responses(
        (status = 200, description = "a page of orders", body = OrderList, headers(("Junction-Synced-At" = String, description = "When this resource last synced successfully (RFC 3339 UTC); absent for pushed-only resources"), ("Junction-Stale" = bool, description = "`true` when the last sync failed or is overdue by more than twice its cadence"))),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "the connection's connector does not read this resource (`resource_not_read`)", body = ApiErrorDoc),
        (status = 503, description = "the resource has not been synced yet (`not_synced_yet`, see Retry-After), or the database is unavailable", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
async fn list_orders(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    list(&s, &o, ResourceKind::Orders, &q, None).await
}

#[utoipa::path(
    get,
    path = "/api/v1/api/customers",
    tag = "customers",
    summary = "List stored customers",
    params(
        ListQuery,
    ),
    responses(
        (status = 200, description = "a page of customers", body = CustomerList, headers(("Junction-Synced-At" = String, description = "When this resource last synced successfully (RFC 3339 UTC); absent for pushed-only resources"), ("Junction-Stale" = bool, description = "`true` when the last sync failed or is overdue by more than twice its cadence"))),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "the connection's connector does not read this resource (`resource_not_read`)", body = ApiErrorDoc),
        (status = 503, description = "the resource has not been synced yet (`not_synced_yet`, see Retry-After), or the database is unavailable", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
async fn list_customers(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    list(&s, &o, ResourceKind::Customers, &q, None).await
}

#[utoipa::path(
    get,
    path = "/api/v1/api/products",
    tag = "products",
    summary = "List stored products",
    params(
        ListQuery,
    ),
    responses(
        (status = 200, description = "a page of products", body = ProductList, headers(("Junction-Synced-At" = String, description = "When this resource last synced successfully (RFC 3339 UTC); absent for pushed-only resources"), ("Junction-Stale" = bool, description = "`true` when the last sync failed or is overdue by more than twice its cadence"))),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "the connection's connector does not read this resource (`resource_not_read`)", body = ApiErrorDoc),
        (status = 503, description = "the resource has not been synced yet (`not_synced_yet`, see Retry-After), or the database is unavailable", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
async fn list_products(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    list(&s, &o, ResourceKind::Products, &q, None).await
}

#[utoipa::path(
    get,
    path = "/api/v1/api/products/{id}/variations",
    tag = "products",
    summary = "List a product's stored variations",
    params(
        ("id" = String, Path, description = "The product's externalId"),
        ListQuery,
    ),
    responses(
        (status = 200, description = "a page of variations", body = VariationList, headers(("Junction-Synced-At" = String, description = "When this resource last synced successfully (RFC 3339 UTC); absent for pushed-only resources"), ("Junction-Stale" = bool, description = "`true` when the last sync failed or is overdue by more than twice its cadence"))),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "no such product in the local copy", body = ApiErrorDoc),
        (status = 410, description = "the external system deleted this product (`gone`, with `deletedAt`)", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
async fn list_variations(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Path(product): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    read_access(&s, &o, ResourceKind::Products).await?;
    let known = s
        .hub
        .store
        .record(&o.connection_id, ResourceKind::Products, "", &product)
        .await?;
    match known {
        None => {
            return Err(ApiError::not_found(format!(
                "no product with externalId `{product}` in this connection"
            )));
        }
        Some(row) if let Some(deleted_ms) = row.deleted_ms => {
            return Err(ApiError::gone(
                format!("product `{product}` was deleted in the external system"),
                deleted_ms,
            ));
        }
        Some(_) => {}
    }
    list(&s, &o, ResourceKind::Variations, &q, Some(product)).await
}

async fn one(
    state: &ApiState,
    owner: &junction_store::api_keys::KeyOwner,
    resource: ResourceKind,
    id: &str,
) -> Result<Response, ApiError> {
    let fresh = read_access(state, owner, resource).await?;
    match state
        .hub
        .store
        .record(&owner.connection_id, resource, "", id)
        .await?
    {
        Some(row) if let Some(deleted_ms) = row.deleted_ms => Err(ApiError::gone(
            format!(
                "{} `{id}` was deleted in the external system",
                singular(resource)
            ),
            deleted_ms,
        )),
        Some(row) => Ok(with_freshness(
            ([(header::CONTENT_TYPE, "application/json")], row.served()).into_response(),
            fresh.as_ref(),
        )),
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

#[utoipa::path(
    get,
    path = "/api/v1/api/orders/{id}",
    tag = "orders",
    summary = "One stored order",
    params(
        ("id" = String, Path, description = "The order's externalId"),
    ),
    responses(
        (status = 200, description = "the order", body = Order, headers(("Junction-Synced-At" = String, description = "When this resource last synced successfully (RFC 3339 UTC); absent for pushed-only resources"), ("Junction-Stale" = bool, description = "`true` when the last sync failed or is overdue by more than twice its cadence"))),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "no such record or connection", body = ApiErrorDoc),
        (status = 410, description = "the external system deleted this record (`gone`, with `deletedAt`)", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
async fn get_order(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    one(&s, &o, ResourceKind::Orders, &id).await
}

#[utoipa::path(
    get,
    path = "/api/v1/api/customers/{id}",
    tag = "customers",
    summary = "One stored customer",
    params(
        ("id" = String, Path, description = "The customer's externalId"),
    ),
    responses(
        (status = 200, description = "the customer", body = Customer, headers(("Junction-Synced-At" = String, description = "When this resource last synced successfully (RFC 3339 UTC); absent for pushed-only resources"), ("Junction-Stale" = bool, description = "`true` when the last sync failed or is overdue by more than twice its cadence"))),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "no such record or connection", body = ApiErrorDoc),
        (status = 410, description = "the external system deleted this record (`gone`, with `deletedAt`)", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
async fn get_customer(
    State(s): State<ApiState>,
    Caller(o): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    one(&s, &o, ResourceKind::Customers, &id).await
}

#[utoipa::path(
    get,
    path = "/api/v1/api/products/{id}",
    tag = "products",
    summary = "One stored product",
    params(
        ("id" = String, Path, description = "The product's externalId"),
    ),
    responses(
        (status = 200, description = "the product", body = Product, headers(("Junction-Synced-At" = String, description = "When this resource last synced successfully (RFC 3339 UTC); absent for pushed-only resources"), ("Junction-Stale" = bool, description = "`true` when the last sync failed or is overdue by more than twice its cadence"))),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "no such record or connection", body = ApiErrorDoc),
        (status = 410, description = "the external system deleted this record (`gone`, with `deletedAt`)", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
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

/// A money field (see `domain::input::money`), refused in the API's error shape.
fn money(
    body: &serde_json::Map<String, Value>,
    field: &str,
    required: bool,
) -> Result<Option<String>, ApiError> {
    Ok(junction_domain::input::money(body, field, required)?)
}

/// `salePrice`: omitted or null keeps the system's sale price, `""` ends the sale, a
/// decimal sets it.
fn sale_price(body: &serde_json::Map<String, Value>) -> Result<Option<String>, ApiError> {
    match body.get("salePrice") {
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(String::new())),
        _ => money(body, "salePrice", false),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/api/orders/{id}/status",
    tag = "orders",
    summary = "Change an order's status",
    params(
        ("id" = String, Path, description = "The order's externalId"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, description = "1-255 characters; a repeat replays the first response (`Idempotent-Replayed: true`)"),
    ),
    request_body = StatusBody,
    responses(
        (status = 200, description = "written; the record as now stored", body = WriteResult, headers(("Idempotent-Replayed" = String, description = "`true` when this is a replayed response"))),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "no such record or connection", body = ApiErrorDoc),
        (status = 409, description = "conflicts with stored state", body = ApiErrorDoc),
        (status = 422, description = "not supported by the connector, refused by the external system (its 4xx message), or Idempotency-Key reused for a different request", body = ApiErrorDoc),
        (status = 500, description = "the server cannot open the connection's secrets", body = ApiErrorDoc),
        (status = 502, description = "the external system or the connector failed", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
        (status = 504, description = "the external system or the connector timed out", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/api/orders/{id}/tracking",
    tag = "orders",
    summary = "Attach tracking to an order",
    params(
        ("id" = String, Path, description = "The order's externalId"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, description = "1-255 characters; a repeat replays the first response (`Idempotent-Replayed: true`)"),
    ),
    request_body = TrackingBody,
    responses(
        (status = 200, description = "written; the record as now stored", body = WriteResult, headers(("Idempotent-Replayed" = String, description = "`true` when this is a replayed response"))),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "no such record or connection", body = ApiErrorDoc),
        (status = 409, description = "conflicts with stored state", body = ApiErrorDoc),
        (status = 422, description = "not supported by the connector, refused by the external system (its 4xx message), or Idempotency-Key reused for a different request", body = ApiErrorDoc),
        (status = 500, description = "the server cannot open the connection's secrets", body = ApiErrorDoc),
        (status = 502, description = "the external system or the connector failed", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
        (status = 504, description = "the external system or the connector timed out", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/api/products/{id}/stock",
    tag = "products",
    summary = "Set a product's stock level",
    params(
        ("id" = String, Path, description = "The product's externalId"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, description = "1-255 characters; a repeat replays the first response (`Idempotent-Replayed: true`)"),
    ),
    request_body = StockBody,
    responses(
        (status = 200, description = "written; the record as now stored", body = WriteResult, headers(("Idempotent-Replayed" = String, description = "`true` when this is a replayed response"))),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "no such record or connection", body = ApiErrorDoc),
        (status = 409, description = "conflicts with stored state", body = ApiErrorDoc),
        (status = 422, description = "not supported by the connector, refused by the external system (its 4xx message), or Idempotency-Key reused for a different request", body = ApiErrorDoc),
        (status = 500, description = "the server cannot open the connection's secrets", body = ApiErrorDoc),
        (status = 502, description = "the external system or the connector failed", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
        (status = 504, description = "the external system or the connector timed out", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/api/products/{id}/price",
    tag = "products",
    summary = "Set a product's price",
    params(
        ("id" = String, Path, description = "The product's externalId"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, description = "1-255 characters; a repeat replays the first response (`Idempotent-Replayed: true`)"),
    ),
    request_body = PriceBody,
    responses(
        (status = 200, description = "written; the record as now stored", body = WriteResult, headers(("Idempotent-Replayed" = String, description = "`true` when this is a replayed response"))),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "no such record or connection", body = ApiErrorDoc),
        (status = 409, description = "conflicts with stored state", body = ApiErrorDoc),
        (status = 422, description = "not supported by the connector, refused by the external system (its 4xx message), or Idempotency-Key reused for a different request", body = ApiErrorDoc),
        (status = 500, description = "the server cannot open the connection's secrets", body = ApiErrorDoc),
        (status = 502, description = "the external system or the connector failed", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
        (status = 504, description = "the external system or the connector timed out", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
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
            sale_price: sale_price(b)?,
        }))
    };
    write(s, c, h, &body, op).await
}

#[utoipa::path(
    post,
    path = "/api/v1/api/products/{id}/variations/{vid}/stock",
    tag = "products",
    summary = "Set a variation's stock level",
    params(
        ("id" = String, Path, description = "The product's externalId"),
        ("vid" = String, Path, description = "The variation's externalId"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, description = "1-255 characters; a repeat replays the first response (`Idempotent-Replayed: true`)"),
    ),
    request_body = StockBody,
    responses(
        (status = 200, description = "written; the record as now stored", body = WriteResult, headers(("Idempotent-Replayed" = String, description = "`true` when this is a replayed response"))),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "no such record or connection", body = ApiErrorDoc),
        (status = 409, description = "conflicts with stored state", body = ApiErrorDoc),
        (status = 422, description = "not supported by the connector, refused by the external system (its 4xx message), or Idempotency-Key reused for a different request", body = ApiErrorDoc),
        (status = 500, description = "the server cannot open the connection's secrets", body = ApiErrorDoc),
        (status = 502, description = "the external system or the connector failed", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
        (status = 504, description = "the external system or the connector timed out", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/api/products/{id}/variations/{vid}/price",
    tag = "products",
    summary = "Set a variation's price",
    params(
        ("id" = String, Path, description = "The product's externalId"),
        ("vid" = String, Path, description = "The variation's externalId"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, description = "1-255 characters; a repeat replays the first response (`Idempotent-Replayed: true`)"),
    ),
    request_body = PriceBody,
    responses(
        (status = 200, description = "written; the record as now stored", body = WriteResult, headers(("Idempotent-Replayed" = String, description = "`true` when this is a replayed response"))),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 404, description = "no such record or connection", body = ApiErrorDoc),
        (status = 409, description = "conflicts with stored state", body = ApiErrorDoc),
        (status = 422, description = "not supported by the connector, refused by the external system (its 4xx message), or Idempotency-Key reused for a different request", body = ApiErrorDoc),
        (status = 500, description = "the server cannot open the connection's secrets", body = ApiErrorDoc),
        (status = 502, description = "the external system or the connector failed", body = ApiErrorDoc),
        (status = 503, description = "the database, connector or external system (rate limit; see Retry-After) is unavailable", body = ApiErrorDoc),
        (status = 504, description = "the external system or the connector timed out", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
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
            sale_price: sale_price(b)?,
        }))
    };
    write(s, c, h, &body, op).await
}

/// The shared write path: parse the body and the `Idempotency-Key`, then the domain's write
/// (`domain::write_back`), its refusals in the API's error shape.
async fn write(
    State(state): State<ApiState>,
    Caller(owner): Caller,
    headers: HeaderMap,
    body: &Bytes,
    build: impl FnOnce(&serde_json::Map<String, Value>) -> Result<WriteOp, ApiError>,
) -> Result<Response, ApiError> {
    let op = build(&body_object(body)?)?;
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
    let answer = write_back::write(&state.hub, &owner, op, idem_key.as_deref())
        .await
        .map_err(|e| match e {
            WriteError::KeyReused(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                e.to_string(),
            ),
            WriteError::Unsupported { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported",
                e.to_string(),
            ),
            WriteError::NotInCopy(message) => ApiError::not_found(message),
            WriteError::Call(e) => ApiError::from(e),
            WriteError::Domain(e) => ApiError::from(e),
        })?;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        answer.body,
    )
        .into_response();
    if answer.replayed {
        response.headers_mut().insert(
            header::HeaderName::from_static("idempotent-replayed"),
            header::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}
