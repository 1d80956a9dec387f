//! The one error shape of every API: `{"code": "...", "message": "...", "field": "..."}`
//! with the right HTTP status, and the mapping of store, hub and connector failures onto
//! it. Upstream failures become 502/504 carrying the external system's message; an
//! upstream 4xx refusing the change becomes 422 with its message.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use junction_contract::ConnectorError;
use junction_domain::DomainError;
use junction_domain::hub::HubError;
use junction_runtime::CallError;
use junction_store::StoreError;

/// The error body of every API: `{"code", "message", "field"?}` (with the HTTP status, and
/// `Retry-After` on rate limits).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ApiError {
    #[serde(skip)]
    #[schema(ignore)]
    pub status: StatusCode,
    /// A stable machine-readable code, e.g. `invalid_parameter`, `not_found`,
    /// `unauthorized`, `unsupported`, `upstream_error`.
    #[schema(example = "invalid_parameter")]
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// The parameter, header or body field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `gone` (410): when the local copy learned that the external system deleted the
    /// record (RFC 3339 UTC).
    #[serde(rename = "deletedAt", skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// Seconds to wait before retrying (rate limits).
    #[serde(skip)]
    #[schema(ignore)]
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            deleted_at: None,
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

    /// 410: the record was in the local copy and the external system deleted it.
    pub fn gone(message: impl Into<String>, deleted_ms: i64) -> Self {
        Self {
            deleted_at: Some(junction_store::records::format_changed_ms(deleted_ms)),
            ..Self::new(StatusCode::GONE, "gone", message)
        }
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

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(problems) => {
                let field = problems
                    .first()
                    .map(|p| p.field.clone())
                    .unwrap_or_default();
                // One problem reads as itself; several name their fields.
                let message = match problems.as_slice() {
                    [one] => one.message.clone(),
                    _ => problems
                        .iter()
                        .map(|p| format!("{}: {}", p.field, p.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                };
                ApiError::invalid(&field, message)
            }
            DomainError::Store(s) => s.into(),
            DomainError::Hub(h) => h.into(),
            DomainError::Internal(m) => ApiError::internal(m),
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
                // A 4xx from the external system means it refused this particular change
                // (an id it does not accept, a value out of its range): the caller's request
                // cannot succeed as it is, so it is a 422, not a failure of the gateway.
                ConnectorError::Upstream(u) if (400..500).contains(&u.status) => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "upstream_rejected",
                    format!(
                        "the external system refused the request ({}): {}",
                        u.status, u.message
                    ),
                ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use junction_contract::UpstreamError;

    fn upstream(status: u16) -> ApiError {
        ApiError::from(CallError::Connector(ConnectorError::Upstream(
            UpstreamError {
                status,
                message: "Invalid ID.".into(),
            },
        )))
    }

    #[test]
    fn an_upstream_refusal_is_a_422_and_an_upstream_failure_a_502() {
        let refused = upstream(400);
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.code, "upstream_rejected");
        assert!(
            refused.message.contains("Invalid ID."),
            "{}",
            refused.message
        );
        let failed = upstream(500);
        assert_eq!(failed.status, StatusCode::BAD_GATEWAY);
        assert_eq!(failed.code, "upstream_error");
        assert!(failed.message.contains("500"), "{}", failed.message);
        let timeout = ApiError::from(CallError::Connector(ConnectorError::Transport(
            "timed out waiting for headers".into(),
        )));
        assert_eq!(timeout.status, StatusCode::GATEWAY_TIMEOUT);
    }
}
