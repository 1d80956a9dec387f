//! The HTTP side of the Connectif emulator: routes, `Authorization: apiKey <KEY>`, the
//! per-key request budget with its `X-RateLimit-*` headers, fault injection and the
//! handlers.
//!
//! Order of checks for an API request: the client audit of early arrivals after a 429 (see
//! [`super::budget`]), then injected faults (as a flaky network would), then the key
//! (unknown or missing: 401, not counted against any budget), then the budget (spent: 429
//! problem+json, no `Retry-After`, clients wait until `X-RateLimit-Reset`), then the key's
//! permission (403), then the handler. Every answer to a known key carries
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`.
//!
//! Injected faults answer the Connectif way: `rate_limited` is the budget's 429 problem+json
//! with `X-RateLimit-Limit`, `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset: floor(now) +
//! retry_after_secs` and `Retry-After: retry_after_secs`, so clients honouring either header
//! wait (almost) alike; `server_error` is a 500 problem+json.
//!
//! Routes (as documented at api-docs.connectif.cloud): `GET`/`PATCH`/`DELETE
//! /contacts/{email}` (PATCH creates a missing contact), `GET`/`PATCH
//! /products/product-id/{id}` (PATCH creates a missing product), `POST /purchases`
//! (`?triggerPurchaseEvent=`), `GET /purchases/{id}` (Connectif id), `GET`/`DELETE
//! /purchases/purchase-id/{id}` (the store's purchase id). Control: `GET
//! /__emulator/budget` (budget counters) besides the common fault endpoints.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::ConnectifConfig;
use super::budget::Budget;
use super::error::Problem;
use super::input;
use super::jobs::Jobs;
use super::jobs_api;
use super::store::{ConnectifStore, Upserted};
use crate::faults::{self, FaultInjector, FaultKind};

/// Everything a handler needs.
#[derive(Clone)]
pub(crate) struct AppState {
    pub store: ConnectifStore,
    pub config: Arc<ConnectifConfig>,
    pub budget: Arc<Budget>,
    pub faults: Arc<FaultInjector>,
    pub jobs: Arc<Jobs>,
    /// The emulator's own URL, for the file links of exports and imports.
    pub base_url: String,
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// The key of `Authorization: apiKey <KEY>` (scheme case-insensitive).
fn api_key(req: &Request) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.trim().split_once(' ')?;
    let key = key.trim();
    (scheme.eq_ignore_ascii_case("apikey") && !key.is_empty()).then(|| key.to_owned())
}

fn rate_headers(resp: &mut Response, limit: u32, remaining: u32, reset: u64) {
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from(limit));
    h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    h.insert("x-ratelimit-reset", HeaderValue::from(reset));
}

/// Key, budget and permission checks (see the module docs for their order).
async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let Some(key) = api_key(&req) else {
        return Problem::unauthorized().into_response();
    };
    let forbidden = st.config.forbidden_keys.contains(&key);
    if key != st.config.api_key && !forbidden {
        return Problem::unauthorized().into_response();
    }
    let verdict = st.budget.take(&key);
    let mut resp = if !verdict.allowed {
        Problem::too_many_requests().into_response()
    } else if forbidden {
        Problem::forbidden().into_response()
    } else {
        let resp = next.run(req).await;
        st.budget.record_accepted(&key, verdict.window_id);
        resp
    };
    rate_headers(
        &mut resp,
        verdict.limit,
        verdict.remaining,
        verdict.reset_epoch_secs,
    );
    resp
}

/// Audits early arrivals, counts API requests and applies the configured faults to them.
async fn inject_faults(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let key = api_key(&req);
    if let Some(key) = &key {
        st.budget.audit_arrival(key);
    }
    let decision = st.faults.decide();
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.terminal {
        None | Some(FaultKind::Latency { .. }) => next.run(req).await,
        Some(FaultKind::ServerError) => Problem::internal_error().into_response(),
        Some(FaultKind::RateLimited { retry_after_secs }) => {
            let reset = st
                .budget
                .injected_rejection(key.as_deref(), retry_after_secs);
            let mut resp = Problem::too_many_requests().into_response();
            rate_headers(&mut resp, st.budget.config().requests, 0, reset);
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            resp
        }
        Some(FaultKind::MalformedJson) => faults::malformed(next.run(req).await).await,
        Some(FaultKind::DropMidBody) => faults::drop_mid_body(next.run(req).await).await,
    }
}

fn checked_email(email: &str) -> Result<(), Problem> {
    if input::is_email(email.trim()) {
        Ok(())
    } else {
        Err(Problem::bad_request(format!(
            "\"{email}\" is not a valid email address."
        )))
    }
}

async fn get_contact(State(st): State<AppState>, Path(email): Path<String>) -> Response {
    if let Err(p) = checked_email(&email) {
        return p.into_response();
    }
    match st.store.contact(&email) {
        Some(c) => json_response(StatusCode::OK, &c),
        None => Problem::not_found("Contact not found.").into_response(),
    }
}

async fn patch_contact(
    State(st): State<AppState>,
    Path(email): Path<String>,
    body: Bytes,
) -> Response {
    let result =
        checked_email(&email).and_then(|()| input::contact_patch(&body, &st.config.custom_fields));
    match result {
        Ok(patch) => {
            let (_, contact) = st.store.patch_contact(&email, patch);
            json_response(StatusCode::OK, &contact)
        }
        Err(p) => p.into_response(),
    }
}

async fn delete_contact(State(st): State<AppState>, Path(email): Path<String>) -> Response {
    if st.store.delete_contact(&email) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Problem::not_found("Contact not found.").into_response()
    }
}

/// `Some(problem)` when `url` is outside the account's authorized domains.
fn unauthorized_domain(st: &AppState, url: Option<&str>) -> bool {
    let domains = &st.config.authorized_domains;
    match url {
        Some(u) if !domains.is_empty() => !domains.iter().any(|d| u.starts_with(d.as_str())),
        _ => false,
    }
}

async fn get_product(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    match st.store.product(&id) {
        Some(p) => json_response(StatusCode::OK, &p),
        None => Problem::not_found("Product not found.").into_response(),
    }
}

async fn patch_product(
    State(st): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if id.trim().is_empty() {
        return Problem::bad_request("The product id must not be empty.").into_response();
    }
    let creating = !st.store.has_product(&id);
    let patch = match input::product_patch(&body, creating) {
        Ok(p) => p,
        Err(p) => return p.into_response(),
    };
    if unauthorized_domain(&st, patch.get("productDetailUrl").and_then(Value::as_str)) {
        return Problem::bad_request("Product had URL from non authorized domain.")
            .with_code("E0201")
            .with("allowedDomains", json!(st.config.authorized_domains))
            .into_response();
    }
    let (outcome, product) = st.store.patch_product(&id, patch);
    let status = match outcome {
        Upserted::Created => StatusCode::CREATED,
        Upserted::Updated => StatusCode::OK,
    };
    json_response(status, &product)
}

fn trigger_event(query: Option<&str>) -> Result<bool, Problem> {
    let mut trigger = true;
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if k == "triggerPurchaseEvent" {
            trigger = match v.as_ref() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(Problem::bad_request(
                        "\"triggerPurchaseEvent\" must be true or false.",
                    ));
                }
            };
        }
    }
    Ok(trigger)
}

async fn post_purchase(State(st): State<AppState>, RawQuery(q): RawQuery, body: Bytes) -> Response {
    let trigger = match trigger_event(q.as_deref()) {
        Ok(t) => t,
        Err(p) => return p.into_response(),
    };
    let purchase = match input::purchase(&body) {
        Ok(p) => p,
        Err(p) => return p.into_response(),
    };
    let email = purchase
        .get("contactEmail")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !st.store.has_contact(email) {
        return Problem::bad_request(format!("Contact {email} does not exist."))
            .with_code("E0101")
            .into_response();
    }
    let products = purchase
        .get("products")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let product_id = |p: &Value| {
        p.get("productId")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let missing: Vec<String> = products
        .iter()
        .filter_map(product_id)
        .filter(|id| !st.store.has_product(id))
        .collect();
    if !missing.is_empty() {
        return Problem::bad_request(format!("Product {} does not exist.", missing.join(", ")))
            .with_code("E0102")
            .with("productIds", json!(missing))
            .into_response();
    }
    let foreign: Vec<String> = products
        .iter()
        .filter(|p| unauthorized_domain(&st, p.get("productDetailUrl").and_then(Value::as_str)))
        .filter_map(product_id)
        .collect();
    if !foreign.is_empty() {
        return Problem::bad_request(format!(
            "Product {} had URL from non authorized domain.",
            foreign.join(", ")
        ))
        .with_code("E0103")
        .with("productIds", json!(foreign))
        .with("allowedDomains", json!(st.config.authorized_domains))
        .into_response();
    }
    let stored = st.store.add_purchase(purchase, trigger);
    json_response(StatusCode::CREATED, &stored)
}

async fn get_purchase(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    if id.len() != 24 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Problem::bad_request(format!("\"{id}\" is not a valid identifier."))
            .into_response();
    }
    match st.store.purchase_by_internal_id(&id) {
        Some(p) => json_response(StatusCode::OK, &p),
        None => Problem::not_found("Purchase not found.").into_response(),
    }
}

async fn get_purchase_by_store_id(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    // With duplicates stored, the latest one is served.
    match st.store.purchases_with_id(&id).pop() {
        Some(p) => json_response(StatusCode::OK, &p),
        None => Problem::not_found("Purchase not found.").into_response(),
    }
}

async fn delete_purchase_by_store_id(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    st.store.delete_purchases(&id);
    StatusCode::NO_CONTENT.into_response()
}

async fn no_route() -> Response {
    Problem::not_found("Resource not found.").into_response()
}

async fn budget_stats(State(budget): State<Arc<Budget>>) -> Response {
    let config = budget.config();
    let stats = budget.stats();
    json_response(
        StatusCode::OK,
        &json!({
            "limit": config.requests,
            "window_ms": u64::try_from(config.window.as_millis()).unwrap_or(u64::MAX),
            "stats": stats,
        }),
    )
}

/// The control routes specific to this emulator.
pub(crate) fn control_router(budget: Arc<Budget>) -> Router {
    Router::new()
        .route("/__emulator/budget", get(budget_stats))
        .with_state(budget)
}

/// The API router.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/contacts/{email}",
            get(get_contact).patch(patch_contact).delete(delete_contact),
        )
        .route(
            "/products/product-id/{id}",
            get(get_product).patch(patch_product),
        )
        .route("/purchases", post(post_purchase))
        .route("/purchases/", post(post_purchase))
        .route("/purchases/{id}", get(get_purchase))
        .route(
            "/purchases/purchase-id/{id}",
            get(get_purchase_by_store_id).delete(delete_purchase_by_store_id),
        )
        .merge(jobs_api::api_routes())
        .fallback(no_route)
        .method_not_allowed_fallback(no_route)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(middleware::from_fn_with_state(state.clone(), inject_faults))
        .with_state(state)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use reqwest::StatusCode;
    use serde_json::Value;

    use crate::connectif::{BudgetConfig, ConnectifConfig, ConnectifEmulator};
    use crate::faults::{Fault, FaultKind};

    async fn account(budget: BudgetConfig) -> ConnectifEmulator {
        let config = ConnectifConfig {
            budget,
            ..ConnectifConfig::default()
        };
        crate::connectif::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
    }

    /// `GET /contacts/nobody@example.com` (404 when let through): status, headers, body.
    async fn get(
        emu: &ConnectifEmulator,
        key: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req =
            reqwest::Client::new().get(format!("{}/contacts/nobody@example.com", emu.base_url()));
        if let Some(k) = key {
            req = req.header("Authorization", format!("apiKey {k}"));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.json().await.unwrap();
        (status, headers, body)
    }

    fn num(headers: &reqwest::header::HeaderMap, name: &str) -> u64 {
        headers[name].to_str().unwrap().parse().unwrap()
    }

    fn now_ms() -> u64 {
        let ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        u64::try_from(ms.as_millis()).unwrap()
    }

    /// Sleeps until the epoch second `reset` has started.
    async fn sleep_until_second(reset: u64) {
        let wait = (reset * 1000).saturating_sub(now_ms()) + 20;
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }

    const KEY: Option<&str> = Some("cnf_test_key");

    #[tokio::test]
    async fn injected_429_is_connectifs_and_early_retries_are_audited() {
        let emu = account(BudgetConfig {
            requests: 7,
            window: Duration::from_secs(60),
        })
        .await;
        emu.set_faults(vec![Fault::times(
            FaultKind::RateLimited {
                retry_after_secs: 2,
            },
            1,
        )]);
        let before_secs = now_ms() / 1000;
        let (status, headers, body) = get(&emu, KEY).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["status"], 429);
        assert_eq!(body["title"], "Too Many Requests");
        assert_eq!(body["code"], "E0429");
        assert!(body["detail"].is_string());
        assert_eq!(num(&headers, "x-ratelimit-limit"), 7);
        assert_eq!(num(&headers, "x-ratelimit-remaining"), 0);
        assert_eq!(num(&headers, "retry-after"), 2);
        let reset = num(&headers, "x-ratelimit-reset");
        let after_secs = now_ms() / 1000;
        assert!(
            (before_secs + 2..=after_secs + 2).contains(&reset),
            "reset {reset} is now + retry_after_secs"
        );

        // Coming back at once (well within the second before the reset) is early (answered normally: the fault is spent).
        let (status, ..) = get(&emu, KEY).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(emu.budget_stats().early_after_429, 1);
        // Waiting until the named second is not.
        sleep_until_second(reset).await;
        let (status, ..) = get(&emu, KEY).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let stats = emu.budget_stats();
        assert_eq!(stats.early_after_429, 1);
        assert_eq!(stats.injected_rejected, 1);
        assert_eq!(stats.rejected, 0, "the budget itself refused nothing");
        let v: Value = reqwest::get(format!("{}/__emulator/budget", emu.base_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["stats"]["early_after_429"], 1);
        assert_eq!(v["stats"]["injected_rejected"], 1);
    }

    #[tokio::test]
    async fn early_requests_after_a_budget_429_are_counted_though_refused_again() {
        let emu = account(BudgetConfig {
            requests: 1,
            window: Duration::from_secs(2),
        })
        .await;
        assert_eq!(get(&emu, KEY).await.0, StatusCode::NOT_FOUND);
        let (status, headers, body) = get(&emu, KEY).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body["code"], "E0429");
        assert!(headers.get("retry-after").is_none());
        let reset = num(&headers, "x-ratelimit-reset");
        assert_eq!(
            emu.budget_stats().early_after_429,
            0,
            "the first 429 is not early"
        );
        // Another key and keyless requests are not audited against this key's 429.
        get(&emu, Some("cnf_blocked_key")).await;
        get(&emu, None).await;
        assert_eq!(emu.budget_stats().early_after_429, 0);
        // Early, and refused again (the window is still spent or just renewed).
        get(&emu, KEY).await;
        assert_eq!(emu.budget_stats().early_after_429, 1);
        sleep_until_second(reset).await;
        assert_eq!(get(&emu, KEY).await.0, StatusCode::NOT_FOUND);
        let stats = emu.budget_stats();
        assert_eq!(stats.early_after_429, 1);
        assert_eq!(stats.accepted_over_budget, 0);
    }

    #[tokio::test]
    async fn injected_500_is_problem_json() {
        let emu = account(BudgetConfig::default()).await;
        emu.set_faults(vec![Fault::times(FaultKind::ServerError, 1)]);
        let (status, headers, body) = get(&emu, KEY).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["status"], 500);
        assert_eq!(body["title"], "Internal Server Error");
        assert!(body["detail"].is_string());
        assert_eq!(emu.budget_stats().early_after_429, 0);
    }
}
