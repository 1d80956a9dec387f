//! The one error shape of every API: `{"code": "...", "message": "...", "field": "..."}`
//! with the right HTTP status, and the mapping of store, hub and connector failures onto
//! it. Upstream failures become 502/504 carrying the external system's message.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::hub::HubError;
use crate::runtime::CallError;
use crate::runtime::types::ConnectorError;
use crate::store::StoreError;

/// An API error response.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    /// A stable machine-readable code, e.g. `invalid_parameter`.
    pub code: &'static str,
    pub message: String,
    /// The parameter, header or body field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait before retrying (rate limits).
    #[serde(skip)]
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after_secs: None,
        }
    }

    /// 400 naming the field and what is accepted.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_string()),
            ..Self::new(StatusCode::BAD_REQUEST, "invalid_parameter", message)
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let retry = self.retry_after_secs;
        let mut response = (status, Json(self)).into_response();
        if let Some(secs) = retry
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => ApiError::not_found(e.to_string()),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            other => {
                tracing::error!(error = %other, "store failure");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the database is unavailable; try again",
                )
            }
        }
    }
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> Self {
        match e {
            HubError::Store(s) => s.into(),
            HubError::ConnectorMissing(key) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "connector_unavailable",
                format!("connector `{key}` is not loaded on this server"),
            ),
            HubError::InvalidConfig(problems) => {
                let field = problems
                    .first()
                    .map(|p| p.field.clone())
                    .filter(|f| !f.is_empty());
                ApiError {
                    field,
                    ..ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_config",
                        HubError::InvalidConfig(problems).to_string(),
                    )
                }
            }
            HubError::Secrets(s) => {
                tracing::error!(error = %s, "cannot open connection secrets");
                ApiError::internal(
                    "the connection's secrets cannot be opened with this server's key",
                )
            }
        }
    }
}

impl From<CallError> for ApiError {
    fn from(e: CallError) -> Self {
        let message = e.to_string();
        match e {
            CallError::Connector(c) => match c {
                ConnectorError::NotFound(m) => ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("the external system has no such record: {m}"),
                ),
                ConnectorError::InvalidRequest(m) => {
                    ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", m)
                }
                ConnectorError::Unsupported(m) => {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unsupported", m)
                }
                ConnectorError::RateLimited(r) => ApiError {
                    retry_after_secs: Some(r.retry_after_ms.div_ceil(1000).max(1)),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "upstream_rate_limited",
                        format!("the external system is rate limiting: {}", r.message),
                    )
                },
                ConnectorError::Unauthorized(m) => ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "upstream_unauthorized",
                    format!("the external system refused the connection's credentials: {m}"),
                ),
                ConnectorError::InvalidConfig(_) => {
                    ApiError::new(StatusCode::BAD_GATEWAY, "invalid_config", message)
                }
                ConnectorError::Upstream(u) => ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "upstream_error",
                    format!("the external system answered {}: {}", u.status, u.message),
                ),
                ConnectorError::Transport(m) => {
                    let timeout = m.to_lowercase().contains("timeout")
                        || m.to_lowercase().contains("timed out");
                    let status = if timeout {
                        StatusCode::GATEWAY_TIMEOUT
                    } else {
                        StatusCode::BAD_GATEWAY
                    };
                    ApiError::new(
                        status,
                        "upstream_unreachable",
                        format!("the external system could not be reached: {m}"),
                    )
                }
                ConnectorError::Internal(m) => {
                    ApiError::new(StatusCode::BAD_GATEWAY, "connector_failed", m)
                }
            },
            CallError::Timeout { .. } => {
                ApiError::new(StatusCode::GATEWAY_TIMEOUT, "upstream_timeout", message)
            }
            CallError::Unsupported { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unsupported", message)
            }
            CallError::InvalidConfig(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "invalid_config", message)
            }
            CallError::CpuLimit { .. }
            | CallError::MemoryLimit { .. }
            | CallError::Trap { .. }
            | CallError::Instantiate { .. } => {
                ApiError::new(StatusCode::BAD_GATEWAY, "connector_failed", message)
            }
        }
    }
}
