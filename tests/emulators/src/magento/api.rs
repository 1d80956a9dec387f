//! The HTTP side of the Magento emulator: the REST routes under `/rest/V1`,
//! `/rest/default/V1` and `/rest/all/V1`, bearer auth, fault injection.
//!
//! Reads: `GET orders`, `orders/{id}`, `customers/search`, `customers/{id}`, `products`,
//! `products/{sku}`, `configurable-products/{sku}/children`, `shipments` (searches answer
//! `{items, search_criteria, total_count}`, see [`super::search`]).
//! Writes: `POST orders/{id}/comments` (`statusHistory`), `POST order/{id}/ship`
//! (`items`, `tracks`), `PUT products/{sku}/stockItems/{itemId}` (`stockItem`),
//! `POST products/base-prices` (`prices`).
//!
//! Every `200` answer honours the `fields` query parameter (see [`super::fields`]).
//!
//! A missing or wrong `Authorization: Bearer <token>` is 401 with Magento's
//! "The consumer isn't authorized to access %resources." naming the route's ACL resource.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Map, Value, json};

use super::MagentoConfig;
use super::error::{MagentoError, reply};
use super::fields;
use super::search::{self, Fields};
use super::store::{Kind, MagentoStore, Track};
use crate::faults::{self, FaultInjector, FaultKind};

#[derive(Clone)]
pub(crate) struct AppState {
    pub store: MagentoStore,
    pub config: Arc<MagentoConfig>,
    pub faults: Arc<FaultInjector>,
}

type Answer = Result<Response, MagentoError>;

const ORDER_FIELDS: &[&str] = &[
    "entity_id",
    "increment_id",
    "status",
    "state",
    "created_at",
    "updated_at",
    "customer_id",
    "customer_email",
    "store_id",
];
const CUSTOMER_FIELDS: &[&str] = &[
    "entity_id",
    "email",
    "firstname",
    "lastname",
    "created_at",
    "updated_at",
    "website_id",
    "group_id",
];
const PRODUCT_FIELDS: &[&str] = &[
    "entity_id",
    "sku",
    "name",
    "type_id",
    "status",
    "visibility",
    "price",
    "created_at",
    "updated_at",
];
const SHIPMENT_FIELDS: &[&str] = &["entity_id", "order_id", "increment_id", "created_at"];

/// The ACL resource a route needs, for the 401 message.
fn acl_resource(path: &str) -> &'static str {
    if path.contains("/customers") {
        "Magento_Customer::customer"
    } else if path.contains("/stockItems") {
        "Magento_CatalogInventory::cataloginventory"
    } else if path.contains("/products") || path.contains("/configurable-products") {
        "Magento_Catalog::products"
    } else if path.contains("/ship") {
        "Magento_Sales::ship"
    } else {
        "Magento_Sales::actions_view"
    }
}

fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn authenticate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if bearer(&req) == Some(st.config.access_token.as_str()) {
        next.run(req).await
    } else {
        MagentoError::unauthorized(acl_resource(req.uri().path())).into_response()
    }
}

async fn inject_faults(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let decision = st.faults.decide();
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.terminal {
        None | Some(FaultKind::Latency { .. }) => next.run(req).await,
        Some(FaultKind::ServerError) => MagentoError::plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Error. Details are available in Magento log file. Report ID: webapi-0001",
        )
        .into_response(),
        Some(FaultKind::RateLimited { retry_after_secs }) => {
            let mut resp = MagentoError::plain(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
                .into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            resp
        }
        Some(FaultKind::MalformedJson) => faults::malformed(next.run(req).await).await,
        Some(FaultKind::DropMidBody) => faults::drop_mid_body(next.run(req).await).await,
    }
}

/// Trims a successful answer to the `fields` query parameter, when there is one.
async fn select_fields(req: Request, next: Next) -> Response {
    let spec = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "fields")
            .map(|(_, v)| v.into_owned())
    });
    let Some(spec) = spec else {
        return next.run(req).await;
    };
    let selection = match fields::parse(&spec) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let response = next.run(req).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await;
    match body
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    {
        Some(value) => reply(StatusCode::OK, &fields::apply(&value, &selection)),
        None => MagentoError::plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Error.")
            .into_response(),
    }
}

fn ok(body: &Value) -> Answer {
    Ok(reply(StatusCode::OK, body))
}

fn searched(kind: Kind, allowed: &[&str], st: &AppState, query: Option<String>) -> Answer {
    let criteria = search::parse(query.as_deref().unwrap_or(""))?;
    let fields = Fields {
        allowed,
        id_field: kind.id_field(),
    };
    let answer = search::apply(&criteria, &fields, st.store.all(kind))?;
    ok(&json!({
        "items": answer.items,
        "search_criteria": search::echo(&criteria),
        "total_count": answer.total_count,
    }))
}

fn entity_id(text: &str) -> Result<u64, MagentoError> {
    text.parse::<u64>()
        .map_err(|_| MagentoError::invalid_field("id", text))
}

async fn list_orders(State(st): State<AppState>, RawQuery(q): RawQuery) -> Answer {
    searched(Kind::Orders, ORDER_FIELDS, &st, q)
}

async fn list_customers(State(st): State<AppState>, RawQuery(q): RawQuery) -> Answer {
    searched(Kind::Customers, CUSTOMER_FIELDS, &st, q)
}

async fn list_products(State(st): State<AppState>, RawQuery(q): RawQuery) -> Answer {
    searched(Kind::Products, PRODUCT_FIELDS, &st, q)
}

async fn list_shipments(State(st): State<AppState>, RawQuery(q): RawQuery) -> Answer {
    searched(Kind::Shipments, SHIPMENT_FIELDS, &st, q)
}

async fn get_order(State(st): State<AppState>, Path(id): Path<String>) -> Answer {
    let record = st.store.get(Kind::Orders, entity_id(&id)?);
    ok(&record.ok_or_else(MagentoError::no_such_entity)?)
}

async fn get_customer(State(st): State<AppState>, Path(id): Path<String>) -> Answer {
    let record = st
        .store
        .get(Kind::Customers, entity_id(&id)?)
        .ok_or_else(|| MagentoError {
            status: StatusCode::NOT_FOUND,
            message: "No such entity with %fieldName = %fieldValue".to_owned(),
            parameters: json!({"fieldName": "customerId", "fieldValue": id}),
        })?;
    ok(&record)
}

async fn get_product(State(st): State<AppState>, Path(sku): Path<String>) -> Answer {
    ok(&st
        .store
        .product_by_sku(&sku)
        .ok_or_else(MagentoError::no_such_product)?)
}

async fn children(State(st): State<AppState>, Path(sku): Path<String>) -> Answer {
    let parent = st
        .store
        .product_by_sku(&sku)
        .ok_or_else(MagentoError::no_such_product)?;
    let links = parent["extension_attributes"]["configurable_product_links"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let kids: Vec<Value> = links
        .iter()
        .filter_map(Value::as_u64)
        .filter_map(|id| st.store.get(Kind::Products, id))
        .collect();
    ok(&Value::Array(kids))
}

fn object(body: &Bytes) -> Result<Map<String, Value>, MagentoError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        // Magento's deserializer words every unreadable body this way.
        _ => Err(MagentoError::plain(
            StatusCode::BAD_REQUEST,
            "Decoding error: \nSyntax error",
        )),
    }
}

fn flag(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => s == "1" || s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn number(value: Option<&Value>, field: &str) -> Result<Option<f64>, MagentoError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| MagentoError::invalid_field(field, s)),
        Some(other) => Err(MagentoError::invalid_field(field, &other.to_string())),
    }
}

async fn add_comment(State(st): State<AppState>, Path(id): Path<String>, body: Bytes) -> Answer {
    let order_id = entity_id(&id)?;
    let body = object(&body)?;
    let history = body
        .get("statusHistory")
        .and_then(Value::as_object)
        .ok_or_else(|| MagentoError::required_field("statusHistory"))?;
    let status = history.get("status").and_then(Value::as_str);
    let comment = history.get("comment").and_then(Value::as_str).unwrap_or("");
    let notified = flag(history.get("is_customer_notified"));
    st.store.add_comment(order_id, status, comment, notified)?;
    ok(&json!(true))
}

async fn ship(State(st): State<AppState>, Path(id): Path<String>, body: Bytes) -> Answer {
    let order_id = entity_id(&id)?;
    let body = object(&body)?;
    let mut items = Vec::new();
    for item in body
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let item_id = item
            .get("order_item_id")
            .and_then(Value::as_u64)
            .ok_or_else(|| MagentoError::required_field("order_item_id"))?;
        let qty =
            number(item.get("qty"), "qty")?.ok_or_else(|| MagentoError::required_field("qty"))?;
        items.push((item_id, qty));
    }
    let mut tracks = Vec::new();
    for track in body
        .get("tracks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = |field: &str| -> Result<String, MagentoError> {
            track
                .get(field)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned)
                .ok_or_else(|| MagentoError::required_field(field))
        };
        tracks.push(Track {
            track_number: text("track_number")?,
            title: text("title")?,
            carrier_code: text("carrier_code")?,
        });
    }
    let shipment_id = st.store.ship(order_id, &items, &tracks)?;
    ok(&json!(shipment_id.to_string()))
}

async fn update_stock(
    State(st): State<AppState>,
    Path((sku, _item_id)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let body = object(&body)?;
    let item = body
        .get("stockItem")
        .and_then(Value::as_object)
        .ok_or_else(|| MagentoError::required_field("stockItem"))?;
    let qty = number(item.get("qty"), "qty")?;
    let in_stock = item.get("is_in_stock").map(|v| flag(Some(v)));
    let item_id = st.store.set_stock(&sku, qty, in_stock)?;
    ok(&json!(item_id))
}

async fn base_prices(State(st): State<AppState>, body: Bytes) -> Answer {
    let body = object(&body)?;
    let rows = body
        .get("prices")
        .and_then(Value::as_array)
        .ok_or_else(|| MagentoError::required_field("prices"))?;
    let mut prices = Vec::new();
    for row in rows {
        let sku = row
            .get("sku")
            .and_then(Value::as_str)
            .ok_or_else(|| MagentoError::required_field("sku"))?;
        let price = number(row.get("price"), "price")?
            .ok_or_else(|| MagentoError::required_field("price"))?;
        if row.get("store_id").and_then(Value::as_u64).is_none() {
            return Err(MagentoError::required_field("store_id"));
        }
        prices.push((sku.to_owned(), price));
    }
    ok(&Value::Array(st.store.set_base_prices(&prices)))
}

async fn no_route() -> Response {
    MagentoError {
        status: StatusCode::NOT_FOUND,
        message: "Request does not match any route.".to_owned(),
        parameters: Value::Null,
    }
    .into_response()
}

fn v1() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list_orders))
        .route("/orders/{id}", get(get_order))
        .route("/orders/{id}/comments", post(add_comment))
        .route("/order/{id}/ship", post(ship))
        .route("/customers/search", get(list_customers))
        .route("/customers/{id}", get(get_customer))
        .route("/products", get(list_products))
        .route("/products/base-prices", post(base_prices))
        .route("/products/{sku}", get(get_product))
        .route("/products/{sku}/stockItems/{item_id}", put(update_stock))
        .route("/configurable-products/{sku}/children", get(children))
        .route("/shipments", get(list_shipments))
}

/// The API router.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .nest("/rest/V1", v1())
        .nest("/rest/default/V1", v1())
        .nest("/rest/all/V1", v1())
        .fallback(no_route)
        .method_not_allowed_fallback(no_route)
        .layer(middleware::from_fn(select_fields))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), inject_faults))
        .with_state(state)
}
