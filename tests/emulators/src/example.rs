//! The example JSON API that the connector templates read (`junction connector new`, every
//! language): a system to build, check and run a new connector against before pointing it
//! at a real one.
//!
//! - `GET /items?page=N&per_page=M[&updated_since=RFC3339]` (header `X-API-Key`) answers
//!   `{"items": [{"id", "name", "price", "updated_at"}], "has_more": bool}`, by id;
//!   `updated_since` keeps the items changed at or after it;
//! - `GET /items/{id}` answers one item, or 404 `{"error": "not found"}`;
//! - a wrong key is 401 `{"error": "bad key"}`;
//! - control, without a key: `POST /__emulator/items/{id}/touch` changes the item (its
//!   `updated_at` becomes now) and answers it; `DELETE /__emulator/items/{id}` deletes it.
//!   What a touch or delete command in a `junction-check.toml` calls.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use junction_fault_proxy::server::ServerTask;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::woocommerce::{format_wc, parse_rest_date};

/// The key and the number of items of an example API.
#[derive(Debug, Clone)]
pub struct ExampleConfig {
    pub api_key: String,
    pub items: u64,
}

impl Default for ExampleConfig {
    fn default() -> Self {
        Self {
            api_key: "t-key".into(),
            items: 5,
        }
    }
}

#[derive(Debug, Clone)]
struct Item {
    name: String,
    price: String,
    /// Seconds since the epoch.
    updated_at: i64,
}

impl Item {
    fn json(&self, id: u64) -> Value {
        json!({
            "id": id,
            "name": self.name,
            "price": self.price,
            "updated_at": format!("{}Z", format_wc(self.updated_at)),
        })
    }
}

#[derive(Debug, Clone)]
struct Shared {
    api_key: String,
    items: Arc<Mutex<BTreeMap<u64, Item>>>,
}

impl Shared {
    fn items(&self) -> MutexGuard<'_, BTreeMap<u64, Item>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running example API; dropping it stops the server.
#[derive(Debug)]
pub struct ExampleApi {
    base_url: String,
    shared: Shared,
    _server: ServerTask,
}

/// Serves an example API on `listen` (`127.0.0.1:0` for a free port). Item `n` was last
/// changed on day `n` of 2026 (so `updated_since` separates them).
pub async fn start(config: ExampleConfig, listen: SocketAddr) -> anyhow::Result<ExampleApi> {
    let bound = crate::serving::bind("example API", listen).await?;
    let day_one = parse_rest_date("2026-01-01T00:00:00").unwrap_or_default();
    let items = (1..=config.items)
        .map(|n| {
            let item = Item {
                name: format!("Item {n}"),
                price: format!("{n}.00"),
                updated_at: day_one + i64::try_from(n - 1).unwrap_or(0) * 86_400,
            };
            (n, item)
        })
        .collect();
    let shared = Shared {
        api_key: config.api_key,
        items: Arc::new(Mutex::new(items)),
    };
    let app = Router::new()
        .route("/items", get(list))
        .route("/items/{id}", get(one))
        .route("/__emulator/items/{id}/touch", post(touch))
        .route("/__emulator/items/{id}", axum::routing::delete(remove))
        .with_state(shared.clone());
    let (server, _, base_url) = bound.serve(app);
    Ok(ExampleApi {
        base_url,
        shared,
        _server: server,
    })
}

impl ExampleApi {
    /// The API's root, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The ids it holds.
    pub fn ids(&self) -> Vec<u64> {
        self.shared.items().keys().copied().collect()
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(shared.api_key.as_str())
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    page: Option<String>,
    per_page: Option<String>,
    updated_since: Option<String>,
}

/// A positive whole number, or why not (naming the parameter).
fn positive(name: &str, value: Option<&str>, default: usize) -> Result<usize, String> {
    match value {
        None => Ok(default),
        Some(text) => text
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{name} must be a positive whole number, got `{text}`")),
    }
}

async fn list(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    if !authorized(&shared, &headers) {
        return error(StatusCode::UNAUTHORIZED, "bad key");
    }
    let page = match positive("page", query.page.as_deref(), 1) {
        Ok(page) => page,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let per_page = match positive("per_page", query.per_page.as_deref(), 10) {
        Ok(n) => n.min(100),
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let since = match query.updated_since.as_deref() {
        None => None,
        Some(text) => match parse_rest_date(text) {
            Some(at) => Some(at),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("updated_since must be an RFC 3339 timestamp, got `{text}`"),
                );
            }
        },
    };
    let items = shared.items();
    let matching: Vec<Value> = items
        .iter()
        .filter(|(_, item)| since.is_none_or(|since| item.updated_at >= since))
        .map(|(id, item)| item.json(*id))
        .collect();
    let start = (page - 1).saturating_mul(per_page);
    let chunk: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(per_page)
        .cloned()
        .collect();
    axum::Json(json!({"items": chunk, "has_more": start.saturating_add(per_page) < matching.len()}))
        .into_response()
}

async fn one(State(shared): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !authorized(&shared, &headers) {
        return error(StatusCode::UNAUTHORIZED, "bad key");
    }
    let found = id
        .parse::<u64>()
        .ok()
        .and_then(|n| shared.items().get(&n).map(|item| item.json(n)));
    match found {
        Some(item) => axum::Json(item).into_response(),
        None => error(StatusCode::NOT_FOUND, "not found"),
    }
}

async fn touch(State(shared): State<Shared>, Path(id): Path<u64>) -> Response {
    let mut items = shared.items();
    match items.get_mut(&id) {
        Some(item) => {
            item.updated_at = crate::woocommerce::time::now_secs();
            item.name = format!("{} (changed)", item.name.trim_end_matches(" (changed)"));
            axum::Json(item.json(id)).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "not found"),
    }
}

async fn remove(State(shared): State<Shared>, Path(id): Path<u64>) -> Response {
    match shared.items().remove(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error(StatusCode::NOT_FOUND, "not found"),
    }
}
