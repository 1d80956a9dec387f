//! The emulators' control endpoints, served without authentication next to the API:
//!
//! - `POST /__emulator/faults` with a JSON array of faults replaces the fault list, e.g.
//!   `[{"kind":"rate_limited","retry_after_secs":2,"probability":1.0,"remaining":3}]`
//!   (kinds: `latency{ms}`, `server_error`, `rate_limited{retry_after_secs}`,
//!   `malformed_json`, `drop_mid_body`); answers with the active list.
//! - `GET /__emulator/faults` shows the active list; `DELETE /__emulator/faults` clears it.
//! - `GET /__emulator/stats` answers `{"requests": N, "faults_injected": M}`: API requests
//!   served (control requests excluded) and how many of them had a fault applied.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::faults::{Fault, FaultInjector};

async fn set_faults(State(inj): State<Arc<FaultInjector>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Vec<Fault>>(&body) {
        Ok(faults) => {
            if let Some(bad) = faults
                .iter()
                .find(|f| !(0.0..=1.0).contains(&f.probability))
            {
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({ "error": format!("probability {} is not within 0..=1", bad.probability) })),
                )
                    .into_response();
            }
            inj.set(faults);
            axum::Json(inj.list()).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": e.to_string() })),
        )
            .into_response(),
    }
}

async fn list_faults(State(inj): State<Arc<FaultInjector>>) -> Response {
    axum::Json(inj.list()).into_response()
}

async fn clear_faults(State(inj): State<Arc<FaultInjector>>) -> Response {
    inj.set(Vec::new());
    StatusCode::NO_CONTENT.into_response()
}

async fn stats(State(inj): State<Arc<FaultInjector>>) -> Response {
    axum::Json(json!({ "requests": inj.requests(), "faults_injected": inj.injected() }))
        .into_response()
}

/// The control routes for an emulator's fault injector.
pub(crate) fn router(inj: Arc<FaultInjector>) -> Router {
    Router::new()
        .route(
            "/__emulator/faults",
            post(set_faults).get(list_faults).delete(clear_faults),
        )
        .route("/__emulator/stats", get(stats))
        .with_state(inj)
}
