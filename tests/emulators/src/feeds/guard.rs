//! What every feed request passes through before its handler: fault injection (the shared
//! model of [`crate::faults`]) and the optional API key (`X-API-Key` header).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::faults::{self, FaultInjector, FaultKind};

/// The header clients present their API key in.
pub const API_KEY_HEADER: &str = "x-api-key";

/// State of the guard layers.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    pub faults: Arc<FaultInjector>,
    /// `None`: the feeds are public.
    pub api_key: Option<Arc<str>>,
}

/// A JSON error body `{"error": message}` with a status.
pub(crate) fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

/// Counts the request and applies the configured faults.
pub(crate) async fn inject_faults(
    State(guard): State<Guard>,
    req: Request,
    next: Next,
) -> Response {
    let decision = guard.faults.decide();
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.terminal {
        None | Some(FaultKind::Latency { .. }) => next.run(req).await,
        Some(FaultKind::ServerError) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal server error: the feed backend is unavailable",
        ),
        Some(FaultKind::RateLimited { retry_after_secs }) => {
            let mut resp = json_error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate limit exceeded, slow down",
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            resp
        }
        Some(FaultKind::MalformedJson) => faults::malformed(next.run(req).await).await,
        Some(FaultKind::DropMidBody) => faults::drop_mid_body(next.run(req).await).await,
    }
}

/// Refuses requests without the right `X-API-Key` (when a key is configured).
pub(crate) async fn authenticate(State(guard): State<Guard>, req: Request, next: Next) -> Response {
    if let Some(expected) = &guard.api_key {
        let presented = req
            .headers()
            .get(API_KEY_HEADER)
            .and_then(|v| v.to_str().ok());
        if presented != Some(expected) {
            let message = if presented.is_some() {
                "invalid API key"
            } else {
                "missing API key: send it in the X-API-Key header"
            };
            return json_error(StatusCode::UNAUTHORIZED, message);
        }
    }
    next.run(req).await
}
