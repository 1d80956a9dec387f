//! The HTTP APIs: the Runtime API for API-key holders ([`runtime_api`]), the admin API for
//! the operator ([`admin`]), their shared error shape ([`error`]), key authentication
//! ([`auth`]) and list-parameter parsing ([`params`]). Handlers talk to the hub, never to
//! wasmtime directly.

pub mod admin;
pub mod auth;
pub mod error;
pub mod params;
pub mod runtime_api;

use axum::Router;

use crate::hub::Hub;
use crate::sync::scheduler::SchedulerHandle;

/// What every handler can reach.
#[derive(Clone)]
pub struct ApiState {
    pub hub: Hub,
    pub scheduler: Option<SchedulerHandle>,
    pub admin_token: String,
}

/// `/api/v1/api/...` and `/api/v1/admin/...`.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .nest("/api/v1/api", runtime_api::routes())
        .nest("/api/v1/admin", admin::routes())
        .fallback(|| async {
            error::ApiError::not_found("no such endpoint; see /api/v1/openapi.json")
        })
        .with_state(state)
}
