//! The HTTP APIs: the Runtime API for API-key holders ([`runtime_api`]), the admin API for
//! the operator ([`admin`]; portal users in [`admin_users`]), their shared error shape
//! ([`error`]), key authentication ([`auth`]), list-parameter parsing ([`params`]) and
//! the OpenAPI 3.1 document generated from the handlers' annotations ([`openapi`]; the
//! answers in [`answers`], the served records in [`records`], what is accepted in
//! [`requests`]).
//! Handlers talk to the hub, never to wasmtime directly.

pub mod admin;
pub mod admin_automations;
pub mod admin_users;
pub mod admin_webhooks;
pub mod answers;
pub mod auth;
pub mod error;
pub mod openapi;
pub mod params;
pub mod push;
pub mod records;
pub mod rejections;
pub mod requests;
pub mod runtime_api;

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter, get, on};

use junction_domain::hub::Hub;

/// What every handler can reach.
#[derive(Clone)]
pub struct ApiState {
    pub hub: Hub,
    pub admin_token: String,
}

/// Where the OpenAPI document is served (no authentication).
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// `/api/v1/api/...`, `/api/v1/admin/...` and the OpenAPI document.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route(OPENAPI_PATH, get(openapi::serve))
        .nest(runtime_api::PREFIX, runtime_api::routes())
        .nest(admin::PREFIX, admin::routes())
        .fallback(|| async {
            error::ApiError::not_found("no such endpoint; see /api/v1/openapi.json")
        })
        .layer(axum::middleware::from_fn(rejections::as_api_errors))
        // Answers in gzip, brotli or zstd when the client's Accept-Encoding asks (a page of
        // orders shrinks several times); small answers and clients that ask for none get
        // identity.
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// An HTTP method a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Patch,
    Delete,
}

impl Verb {
    /// The method's name as OpenAPI spells the operation key.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Patch => MethodFilter::PATCH,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

/// One route of a route table: the method and path it is mounted at (relative to its
/// API's prefix) and the handler. The router and the OpenAPI test both read the table, so
/// the list of (method, path) pairs cannot drift from what is served.
pub struct RouteDef {
    pub verb: Verb,
    pub path: &'static str,
    handler: MethodRouter<ApiState>,
}

/// A route table entry for `handler` answering `verb` at `path`.
pub fn at<H, T>(verb: Verb, path: &'static str, handler: H) -> RouteDef
where
    H: Handler<T, ApiState>,
    T: 'static,
{
    RouteDef {
        verb,
        path,
        handler: on(verb.filter(), handler),
    }
}

impl RouteDef {
    /// Accept request bodies up to `bytes` on this route (axum's default is 2 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.handler = self
            .handler
            .layer(axum::extract::DefaultBodyLimit::max(bytes));
        self
    }
}

/// A router serving every entry of a route table (same-path entries are merged).
pub fn build(table: Vec<RouteDef>) -> Router<ApiState> {
    table.into_iter().fold(Router::new(), |router, def| {
        router.route(def.path, def.handler)
    })
}
