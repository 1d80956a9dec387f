//! The HTTP side of the Lightspeed eCom emulator.
//!
//! Every API path starts with the shop language: `/{lang}/...` (`/nl/orders.json`).
//! - Reads: `GET /{lang}/{res}.json` (`{"orders": [...]}`; see [`super::listing`] for the
//!   parameters), `GET /{lang}/{res}/count.json` (`{"count": N}`), `GET /{lang}/{res}/{id}.json`
//!   (`{"order": {...}}`), and `GET /{lang}/orders/{id}/products.json`
//!   (`{"orderProducts": [...]}`) for orders, customers, products, variants and shipments.
//! - Writes: `PUT /{lang}/orders/{id}.json` with `{"order": {"status", "shipmentStatus",
//!   "paymentStatus"}}`; `PUT /{lang}/shipments/{id}.json` with `{"shipment": {"status",
//!   "trackingCode"}}` (Lightspeed creates an order's shipments itself; a client finds them
//!   with `GET /shipments.json?order={id}` and updates them; a shipment's status also sets its
//!   order's `shipmentStatus`); `PUT /{lang}/variants/{id}.json` with `{"variant":
//!   {"stockLevel", "priceExcl", "priceIncl", "oldPriceExcl", "oldPriceIncl"}}` (a price
//!   given only excluding or only including tax gets the other from the variant's tax rate).
//!   Unknown fields are ignored; a bad value is a 400 naming the field.
//! - Errors: `{"error": {"code": 401, "method": "GET", "request": "nl/orders.json",
//!   "message": "..."}}`, the shape Lightspeed's own API clients read the message from.
//! - Order of checks: injected faults, then HTTP Basic auth (API key : secret; refused: 401,
//!   not counted against the limits), then the rate limits ([`super::rate`]): the
//!   `X-RateLimit-*` headers go on every authenticated answer, 429 included.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine;
use serde_json::{Map, Value, json};

use super::LightspeedConfig;
use super::listing::{ListQuery, linked_id};
use super::money::Cents;
use super::rate::RateLimiter;
use super::seed::{ORDER_STATUSES, PAYMENT_STATUSES, SHIPMENT_STATUSES, TAX_PERCENT};
use super::store::{Resource, Store};
use super::views::render;
use crate::faults::{self, FaultInjector, FaultKind};

#[derive(Clone)]
pub(crate) struct AppState {
    pub store: Store,
    pub config: Arc<LightspeedConfig>,
    pub faults: Arc<FaultInjector>,
    pub limiter: Arc<RateLimiter>,
    /// `{origin}/{lang}/`, the root of every resource link.
    pub api_root: String,
}

fn reply(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// An error in Lightspeed's shape.
fn error(status: StatusCode, method: &Method, path: &str, message: impl Into<String>) -> Response {
    reply(
        status,
        &json!({"error": {
            "code": status.as_u16(),
            "method": method.as_str(),
            "request": path.trim_start_matches('/'),
            "message": message.into(),
        }}),
    )
}

fn credentials(req: &Request) -> Option<(String, String)> {
    let auth = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = auth.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (key, secret) = text.split_once(':')?;
    Some((key.to_owned(), secret.to_owned()))
}

async fn authenticate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let accepted =
        credentials(&req).is_some_and(|(k, s)| k == st.config.api_key && s == st.config.api_secret);
    if accepted {
        next.run(req).await
    } else {
        error(
            StatusCode::UNAUTHORIZED,
            req.method(),
            req.uri().path(),
            "Invalid API key or secret",
        )
    }
}

async fn limit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let verdict = st.limiter.take();
    let mut resp = if verdict.allowed {
        next.run(req).await
    } else {
        error(
            StatusCode::TOO_MANY_REQUESTS,
            req.method(),
            req.uri().path(),
            "Too many requests: the API rate limit is exceeded",
        )
    };
    for (name, value) in [
        ("x-ratelimit-limit", &verdict.limit),
        ("x-ratelimit-remaining", &verdict.remaining),
        ("x-ratelimit-reset", &verdict.reset),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            resp.headers_mut().insert(name, v);
        }
    }
    resp
}

async fn inject_faults(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let decision = st.faults.decide();
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    match decision.terminal {
        None | Some(FaultKind::Latency { .. }) => next.run(req).await,
        Some(FaultKind::ServerError) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &method,
            &path,
            "Internal server error",
        ),
        Some(FaultKind::RateLimited { retry_after_secs }) => {
            let mut resp = error(
                StatusCode::TOO_MANY_REQUESTS,
                &method,
                &path,
                "Too many requests: the API rate limit is exceeded",
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            resp
        }
        Some(FaultKind::MalformedJson) => faults::malformed(next.run(req).await).await,
        Some(FaultKind::DropMidBody) => faults::drop_mid_body(next.run(req).await).await,
    }
}

/// What a path names, below the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    List(Resource),
    Count(Resource),
    One(Resource, u64),
    OrderProducts(u64),
}

fn target(rest: &str) -> Option<Target> {
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        [file] => Some(Target::List(Resource::from_plural(
            file.strip_suffix(".json")?,
        )?)),
        [res, "count.json"] => Some(Target::Count(Resource::from_plural(res)?)),
        [res, file] => Some(Target::One(
            Resource::from_plural(res)?,
            file.strip_suffix(".json")?.parse().ok()?,
        )),
        ["orders", id, "products.json"] => Some(Target::OrderProducts(id.parse().ok()?)),
        _ => None,
    }
}

async fn handle(
    State(st): State<AppState>,
    method: Method,
    RawQuery(query): RawQuery,
    req: Request,
) -> Response {
    let path = req.uri().path().to_owned();
    let not_found = |m: &str| error(StatusCode::NOT_FOUND, &method, &path, m.to_owned());
    let Some((lang, rest)) = path.trim_start_matches('/').split_once('/') else {
        return not_found("Not found");
    };
    if lang != st.config.language {
        return not_found(&format!("Unknown shop language {lang:?}"));
    }
    let Some(target) = target(rest) else {
        return not_found("Not found");
    };
    let query = query.unwrap_or_default();
    let body = match axum::body::to_bytes(req.into_body(), 1 << 20).await {
        Ok(b) => b,
        Err(_) => return error(StatusCode::BAD_REQUEST, &method, &path, "Unreadable body"),
    };
    let bad = |m: String| error(StatusCode::BAD_REQUEST, &method, &path, m);
    match (method.clone(), target) {
        (Method::GET, Target::List(res)) => match ListQuery::parse(res, &query) {
            Ok(q) => {
                let items: Vec<Value> = q
                    .page_of(st.store.all(res))
                    .iter()
                    .map(|r| render(r, &st.api_root))
                    .collect();
                reply(StatusCode::OK, &json!({ res.plural(): items }))
            }
            Err(m) => bad(m),
        },
        (Method::GET, Target::Count(res)) => match ListQuery::parse(res, &query) {
            Ok(q) => reply(
                StatusCode::OK,
                &json!({"count": q.matching(st.store.all(res)).len()}),
            ),
            Err(m) => bad(m),
        },
        (Method::GET, Target::One(res, id)) => match st.store.get(res, id) {
            Some(r) => reply(
                StatusCode::OK,
                &json!({ res.singular(): render(&r, &st.api_root) }),
            ),
            None => not_found(&format!("No {} with id {id}", res.singular())),
        },
        (Method::GET, Target::OrderProducts(id)) => match st.store.get(Resource::Orders, id) {
            Some(order) => {
                let mut lines = order.fields.get("_products").cloned().unwrap_or(json!([]));
                if let Some(items) = lines.as_array_mut() {
                    for line in items.iter_mut() {
                        if let Some(fields) = line.as_object_mut() {
                            for value in fields.values_mut() {
                                super::views::complete_link(value, &st.api_root);
                            }
                        }
                    }
                }
                reply(StatusCode::OK, &json!({ "orderProducts": lines }))
            }
            None => not_found(&format!("No order with id {id}")),
        },
        (
            Method::PUT,
            Target::One(res @ (Resource::Orders | Resource::Variants | Resource::Shipments), id),
        ) => {
            let Some(existing) = st.store.get(res, id) else {
                return not_found(&format!("No {} with id {id}", res.singular()));
            };
            let changes =
                match wrapped(res, &body).and_then(|f| validate(res, &f, &existing.fields)) {
                    Ok(c) => c,
                    Err(m) => return bad(m),
                };
            let order_status = (res == Resource::Shipments)
                .then(|| changes.get("status").cloned())
                .flatten();
            let Some(updated) = st.store.update(res, id, changes) else {
                return not_found(&format!("No {} with id {id}", res.singular()));
            };
            if let (Some(status), Some(order)) =
                (order_status, linked_id(updated.fields.get("order")))
            {
                let mut change = Map::new();
                change.insert("shipmentStatus".into(), status);
                st.store.update(Resource::Orders, order, change);
            }
            reply(
                StatusCode::OK,
                &json!({ res.singular(): render(&updated, &st.api_root) }),
            )
        }
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            &method,
            &path,
            format!("{method} is not supported on this resource"),
        ),
    }
}

/// The fields inside the `{"order": {...}}` wrapper.
fn wrapped(res: Resource, body: &Bytes) -> Result<Map<String, Value>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("Invalid JSON body: {e}"))?;
    match value.get(res.singular()) {
        Some(Value::Object(fields)) => Ok(fields.clone()),
        _ => Err(format!(
            "The body must be an object {{\"{}\": {{...}}}}",
            res.singular()
        )),
    }
}

fn one_of(field: &str, value: &Value, allowed: &[&str]) -> Result<Value, String> {
    match value.as_str() {
        Some(s) if allowed.contains(&s) => Ok(value.clone()),
        _ => Err(format!(
            "Invalid value for {field}: expected one of {}",
            allowed.join(", ")
        )),
    }
}

fn price(field: &str, value: &Value) -> Result<Cents, String> {
    Cents::from_json(value).filter(|c| c.0 >= 0).ok_or_else(|| {
        format!("Invalid value for {field}: expected a non-negative price, e.g. 12.50")
    })
}

/// The changes a PUT makes, checked; the message names the field at fault.
pub(crate) fn validate(
    res: Resource,
    fields: &Map<String, Value>,
    existing: &Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let mut changes = Map::new();
    let mut set = |name: &str, v: Value| {
        changes.insert(name.to_owned(), v);
    };
    match res {
        Resource::Orders => {
            for (name, allowed) in [
                ("status", ORDER_STATUSES),
                ("shipmentStatus", SHIPMENT_STATUSES),
                ("paymentStatus", PAYMENT_STATUSES),
            ] {
                if let Some(v) = fields.get(name) {
                    set(name, one_of(name, v, allowed)?);
                }
            }
        }
        Resource::Shipments => {
            if let Some(v) = fields.get("status") {
                set("status", one_of("status", v, SHIPMENT_STATUSES)?);
            }
            if let Some(v) = fields.get("trackingCode") {
                let code = v
                    .as_str()
                    .ok_or("Invalid value for trackingCode: expected a string")?;
                set("trackingCode", json!(code));
            }
        }
        Resource::Variants => {
            if let Some(v) = fields.get("stockLevel") {
                let level = v
                    .as_i64()
                    .ok_or("Invalid value for stockLevel: expected a whole number")?;
                set("stockLevel", json!(level));
            }
            let tax = existing
                .get("taxRate")
                .and_then(Value::as_i64)
                .unwrap_or(TAX_PERCENT);
            for (excl, incl) in [("priceExcl", "priceIncl"), ("oldPriceExcl", "oldPriceIncl")] {
                match (fields.get(excl), fields.get(incl)) {
                    (Some(e), Some(i)) => {
                        set(excl, price(excl, e)?.to_json());
                        set(incl, price(incl, i)?.to_json());
                    }
                    (Some(e), None) => {
                        let e = price(excl, e)?;
                        set(excl, e.to_json());
                        set(incl, e.with_tax(tax).to_json());
                    }
                    (None, Some(i)) => {
                        let i = price(incl, i)?;
                        set(excl, i.without_tax(tax).to_json());
                        set(incl, i.to_json());
                    }
                    (None, None) => {}
                }
            }
        }
        Resource::Customers | Resource::Products => {}
    }
    Ok(changes)
}

/// The API router.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/{*path}", any(handle))
        .layer(middleware::from_fn_with_state(state.clone(), limit))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), inject_faults))
        .with_state(state)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn paths_name_their_target() {
        assert_eq!(target("orders.json"), Some(Target::List(Resource::Orders)));
        assert_eq!(
            target("variants/count.json"),
            Some(Target::Count(Resource::Variants))
        );
        assert_eq!(
            target("shipments/12.json"),
            Some(Target::One(Resource::Shipments, 12))
        );
        assert_eq!(
            target("orders/3/products.json"),
            Some(Target::OrderProducts(3))
        );
        assert_eq!(target("widgets.json"), None);
        assert_eq!(target("orders/x.json"), None);
    }

    #[test]
    fn writes_are_checked_and_prices_follow_the_tax_rate() {
        let existing = map(json!({"taxRate": 21}));
        let c = validate(
            Resource::Variants,
            &map(json!({"priceExcl": "10.00", "stockLevel": 4})),
            &existing,
        )
        .unwrap();
        assert_eq!(c["priceIncl"], json!(12.1));
        assert_eq!(c["stockLevel"], 4);
        let c = validate(
            Resource::Variants,
            &map(json!({"priceIncl": 12.1})),
            &existing,
        )
        .unwrap();
        assert_eq!(c["priceExcl"], json!(10.0));
        for (res, body, field) in [
            (
                Resource::Variants,
                json!({"stockLevel": "many"}),
                "stockLevel",
            ),
            (
                Resource::Variants,
                json!({"priceExcl": "1,50"}),
                "priceExcl",
            ),
            (Resource::Orders, json!({"status": "done"}), "status"),
            (
                Resource::Orders,
                json!({"shipmentStatus": "sent"}),
                "shipmentStatus",
            ),
            (
                Resource::Shipments,
                json!({"trackingCode": 5}),
                "trackingCode",
            ),
        ] {
            let e = validate(res, &map(body), &existing).unwrap_err();
            assert!(e.contains(field), "{e}");
        }
    }
}
