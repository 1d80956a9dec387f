//! The HTTP side of the Shopify emulator.
//!
//! - `POST /admin/api/{version}/graphql.json` with `{"query", "variables",
//!   "operationName"}`; `{version}` is a release (`YYYY-MM`) or `unstable`, anything else is
//!   404. Auth: `X-Shopify-Access-Token`; missing or wrong is 401 `{"errors":"[API] Invalid
//!   API key or access token (unrecognized login or wrong password)"}`, Shopify's answer.
//! - Every answer that got as far as costing carries `extensions.cost`
//!   `{requestedQueryCost, actualQueryCost, throttleStatus}`; over the bucket it is HTTP 200
//!   with `errors[0].extensions.code = "THROTTLED"` and `actualQueryCost: null`; over the
//!   single-query limit `MAX_COST_EXCEEDED`. Parse and validation errors are HTTP 200
//!   `{"errors":[{"message"}]}`, as GraphQL servers answer them.
//! - Bulk operations (see `bulk`): `bulkOperationRunQuery`, and the result file at
//!   `GET /__emulator/shopify/bulk/{id}.jsonl` (no auth, like Shopify's signed URL; a
//!   `Range: bytes=FROM-TO` header gets 206 with `Content-Range`, or 416 past the end, as
//!   the storage serving Shopify's files answers).
//! - `GET /__emulator/shopify/stats` (no auth): `{"graphql_requests", "throttled",
//!   "points_spent"}` — throttled answers are an audit of requests that arrived over budget.
//! - Injected faults (see `faults`): 500 `{"errors":"Internal Server Error"}`, 429 with
//!   `Retry-After`, malformed bodies and dropped connections.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::ShopifyConfig;
use super::bulk::{self, BulkOperation};
use super::cost::{self, Bucket};
use super::document::{self, Kind, Request as GqlRequest};
use super::execute::Exec;
use super::mutations;
use super::store::ShopifyStore;
use crate::faults::{self, FaultInjector, FaultKind};

/// Counters of the GraphQL endpoint.
#[derive(Debug, Default)]
pub struct Counters {
    pub graphql_requests: AtomicU64,
    pub throttled: AtomicU64,
    pub points_spent: AtomicU64,
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub store: ShopifyStore,
    pub config: Arc<ShopifyConfig>,
    pub faults: Arc<FaultInjector>,
    pub bucket: Arc<Mutex<Bucket>>,
    pub counters: Arc<Counters>,
    pub bulk: Arc<Mutex<Vec<BulkOperation>>>,
    pub base_url: Arc<str>,
}

fn reply(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

fn graphql_errors(messages: &[(String, Option<Value>)], cost: Option<Value>) -> Response {
    let errors: Vec<Value> = messages
        .iter()
        .map(|(m, ext)| match ext {
            Some(ext) => json!({"message": m, "extensions": ext}),
            None => json!({"message": m}),
        })
        .collect();
    let mut body = json!({ "errors": errors });
    if let (Some(cost), Some(obj)) = (cost, body.as_object_mut()) {
        obj.insert("extensions".into(), json!({ "cost": cost }));
    }
    reply(StatusCode::OK, &body)
}

async fn authenticate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok());
    if token != Some(st.config.access_token.as_str()) {
        return reply(
            StatusCode::UNAUTHORIZED,
            &json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}),
        );
    }
    next.run(req).await
}

async fn inject_faults(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let decision = st.faults.decide();
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.terminal {
        None | Some(FaultKind::Latency { .. }) => next.run(req).await,
        Some(FaultKind::ServerError) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"errors": "Internal Server Error"}),
        ),
        Some(FaultKind::RateLimited { retry_after_secs }) => {
            let mut resp = reply(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({"errors": "Exceeded the request rate. Reduce request rates to resume uninterrupted service."}),
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            resp
        }
        Some(FaultKind::MalformedJson) => faults::malformed(next.run(req).await).await,
        Some(FaultKind::DropMidBody) => faults::drop_mid_body(next.run(req).await).await,
    }
}

/// `YYYY-MM` or `unstable`.
fn is_version(v: &str) -> bool {
    let b = v.as_bytes();
    v == "unstable"
        || (b.len() == 7
            && b[4] == b'-'
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[5..].iter().all(u8::is_ascii_digit))
}

fn cost_json(requested: u64, actual: Option<u64>, status: cost::ThrottleStatus) -> Value {
    json!({
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": status.to_json(),
    })
}

async fn graphql(State(st): State<AppState>, Path(version): Path<String>, body: Bytes) -> Response {
    if !is_version(&version) {
        return reply(StatusCode::NOT_FOUND, &json!({"errors": "Not Found"}));
    }
    st.counters.graphql_requests.fetch_add(1, Ordering::Relaxed);
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body) else {
        return reply(
            StatusCode::BAD_REQUEST,
            &json!({"errors": {"query": "Required parameter missing or invalid"}}),
        );
    };
    let Some(query) = body.get("query").and_then(Value::as_str) else {
        return reply(
            StatusCode::BAD_REQUEST,
            &json!({"errors": {"query": "Required parameter missing or invalid"}}),
        );
    };
    let variables = match body.get("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(v)) => v.clone(),
        Some(_) => return graphql_errors(&[("Variables must be an object".into(), None)], None),
    };
    let doc = match document::parse(query) {
        Ok(doc) => doc,
        Err(message) => return graphql_errors(&[(message, None)], None),
    };
    let operation = body.get("operationName").and_then(Value::as_str);
    let req = match GqlRequest::new(&doc, operation, variables) {
        Ok(req) => req,
        Err(message) => return graphql_errors(&[(message, None)], None),
    };
    let requested = cost::requested(&req);
    let now = Instant::now();
    if requested > cost::SINGLE_QUERY_MAX {
        let message = format!(
            "Query cost is {requested}, which exceeds the single query max cost limit ({}).",
            cost::SINGLE_QUERY_MAX
        );
        let ext = json!({"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": cost::SINGLE_QUERY_MAX});
        return graphql_errors(&[(message, Some(ext))], None);
    }
    let taken = {
        let mut bucket = st.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        if bucket.try_take(requested, now) {
            None
        } else {
            Some(bucket.status(now))
        }
    };
    if let Some(status) = taken {
        st.counters.throttled.fetch_add(1, Ordering::Relaxed);
        let ext = json!({"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"});
        return graphql_errors(
            &[("Throttled".into(), Some(ext))],
            Some(cost_json(requested, None, status)),
        );
    }
    let mut exec = Exec::new(&req);
    exec.bulk_operations = bulk_views(&st);
    let outcome = match req.kind {
        Kind::Query => {
            let data = st.store.lock();
            exec.query(&data, &st.config.shop_name)
        }
        Kind::Mutation => run_mutations(&st, &req, &mut exec),
    };
    let actual = match req.kind {
        Kind::Mutation => requested,
        Kind::Query => exec.actual.min(requested),
    };
    let status = {
        let mut bucket = st.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        bucket.refund(requested - actual);
        bucket.status(Instant::now())
    };
    st.counters
        .points_spent
        .fetch_add(actual, Ordering::Relaxed);
    let cost = cost_json(requested, Some(actual), status);
    match outcome {
        Ok(data) => reply(
            StatusCode::OK,
            &json!({"data": data, "extensions": {"cost": cost}}),
        ),
        Err(message) => graphql_errors(&[(message, None)], Some(cost)),
    }
}

fn run_mutations<'r, 'a>(
    st: &AppState,
    req: &'r GqlRequest<'a>,
    exec: &mut Exec<'r, 'a>,
) -> Result<Value, String> {
    let mut out = Map::new();
    for f in req.fields(req.selection, Some("Mutation"))? {
        let payload = if f.name == "bulkOperationRunQuery" {
            start_bulk(st, &req.args(f))
        } else {
            let mut data = st.store.lock();
            mutations::run(req, f, &mut data)?
        };
        let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
        out.insert(key, exec.resolve(&payload, f)?);
    }
    Ok(Value::Object(out))
}

fn bulk_views(st: &AppState) -> Vec<Value> {
    let now = Instant::now();
    st.bulk
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|op| op.view(st.config.bulk_delay, now, &st.base_url))
        .collect()
}

/// `bulkOperationRunQuery`: runs the inner query now over the shop as it is, unbounded;
/// the operation completes (and its file appears) after the configured delay.
fn start_bulk(st: &AppState, args: &Map<String, Value>) -> Value {
    let payload = |op: Value, errors: Vec<Value>| json!({"__typename": "BulkOperationRunQueryPayload", "bulkOperation": op, "userErrors": errors});
    let refuse = |message: String| {
        payload(
            Value::Null,
            vec![mutations::user_error(&["query"], message, None)],
        )
    };
    let Some(query) = args.get("query").and_then(Value::as_str) else {
        return refuse("query is required".into());
    };
    let now = Instant::now();
    let running = st
        .bulk
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .find(|op| op.status(st.config.bulk_delay, now) != "COMPLETED")
        .map(|op| op.id);
    if let Some(id) = running {
        return refuse(format!(
            "A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/{id}."
        ));
    }
    let doc = match document::parse(query) {
        Ok(doc) => doc,
        Err(message) => return refuse(message),
    };
    let inner = match GqlRequest::new(&doc, None, Map::new()) {
        Ok(req) if req.kind == Kind::Query => req,
        Ok(_) => return refuse("Bulk queries cannot contain mutations".into()),
        Err(message) => return refuse(message),
    };
    let mut exec = Exec::new(&inner);
    exec.bulk = true;
    let result = {
        let data = st.store.lock();
        exec.query(&data, &st.config.shop_name)
    };
    let data = match result {
        Ok(data) => data,
        Err(message) => return refuse(message),
    };
    let (lines, root_objects) = bulk::flatten(&data);
    let (id, created_at) = {
        let mut shop = st.store.lock();
        (shop.new_id(), shop.tick())
    };
    let op = BulkOperation {
        id,
        query: query.to_owned(),
        started: now,
        created_at,
        lines,
        root_objects,
    };
    let view = op.view(st.config.bulk_delay, now, &st.base_url);
    st.bulk
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(op);
    payload(view, vec![])
}

/// `bytes=FROM-TO` (or `bytes=FROM-`) of a file of `len` bytes: the span, clamped; `None`
/// when it starts past the end.
fn byte_range(header: &str, len: usize) -> Option<(usize, usize)> {
    let (from, to) = header.trim().strip_prefix("bytes=")?.split_once('-')?;
    let from: usize = from.trim().parse().ok()?;
    let to = match to.trim() {
        "" => len.saturating_sub(1),
        t => t.parse::<usize>().ok()?.min(len.saturating_sub(1)),
    };
    (from < len && from <= to).then_some((from, to))
}

async fn bulk_file(
    State(st): State<AppState>,
    Path(file): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let id = file
        .strip_suffix(".jsonl")
        .and_then(|n| n.parse::<u64>().ok());
    let now = Instant::now();
    let text = id.and_then(|id| {
        st.bulk
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|op| op.id == id && op.status(st.config.bulk_delay, now) == "COMPLETED")
            .map(BulkOperation::jsonl)
    });
    let Some(text) = text else {
        return no_route().await;
    };
    let len = text.len();
    let requested = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let mut resp = match requested.map(|r| byte_range(r, len)) {
        None => (StatusCode::OK, text).into_response(),
        Some(Some((from, to))) => {
            let mut resp = (
                StatusCode::PARTIAL_CONTENT,
                text.as_bytes()[from..=to].to_vec(),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {from}-{to}/{len}")) {
                resp.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            resp
        }
        Some(None) => {
            let mut resp = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                resp.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            resp
        }
    };
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jsonl"),
    );
    resp
}

async fn stats(State(st): State<AppState>) -> Response {
    let c = &st.counters;
    reply(
        StatusCode::OK,
        &json!({
            "graphql_requests": c.graphql_requests.load(Ordering::Relaxed),
            "throttled": c.throttled.load(Ordering::Relaxed),
            "points_spent": c.points_spent.load(Ordering::Relaxed),
        }),
    )
}

async fn no_route() -> Response {
    reply(StatusCode::NOT_FOUND, &json!({"errors": "Not Found"}))
}

/// The API router (and the Shopify-specific control route).
pub(crate) fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/admin/api/{version}/graphql.json", post(graphql))
        .fallback(no_route)
        .method_not_allowed_fallback(no_route)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), inject_faults))
        .with_state(state.clone());
    Router::new()
        .route("/__emulator/shopify/stats", get(stats))
        .route("/__emulator/shopify/bulk/{file}", get(bulk_file))
        .with_state(state)
        .merge(api)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges() {
        assert_eq!(byte_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(byte_range("bytes=90-199", 100), Some((90, 99)));
        assert_eq!(byte_range("bytes=10-", 100), Some((10, 99)));
        assert_eq!(byte_range("bytes=100-200", 100), None);
        assert_eq!(byte_range("items=0-1", 100), None);
    }

    #[test]
    fn versions() {
        assert!(is_version("2026-07") && is_version("unstable"));
        assert!(!is_version("2026-7") && !is_version("latest") && !is_version("v1"));
    }
}
