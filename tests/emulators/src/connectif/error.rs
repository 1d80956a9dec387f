//! Connectif's error answers: `application/problem+json` bodies
//! `{"status", "title", "detail", "code"?, ...extra}` (the shape of its "Custom Error Codes"
//! guide), e.g. `{"status":400,"title":"Bad Request","detail":"Contact a@b.co does not
//! exist.","code":"E0101"}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// One error answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub status: u16,
    pub title: &'static str,
    pub detail: String,
    pub code: Option<&'static str>,
    pub extra: Map<String, Value>,
}

impl Problem {
    pub(crate) fn new(status: u16, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            title,
            detail: detail.into(),
            code: None,
            extra: Map::new(),
        }
    }

    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, "Bad Request", detail)
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, "Not Found", detail)
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Not authorized to access API.")
    }

    pub(crate) fn forbidden() -> Self {
        Self::new(
            403,
            "Forbidden",
            "Permission not granted to the API Key or account has been blocked.",
        )
    }

    /// The budget's (and an injected fault's) 429. Connectif documents no custom code for
    /// it; `E0429` is the emulator's, so clients see the full `{status,title,detail,code}`.
    pub(crate) fn too_many_requests() -> Self {
        Self::new(
            429,
            "Too Many Requests",
            "Requests rate limit reached. Wait until X-RateLimit-Reset.",
        )
        .with_code("E0429")
    }

    /// An injected server failure.
    pub(crate) fn internal_error() -> Self {
        Self::new(
            500,
            "Internal Server Error",
            "An unexpected error occurred.",
        )
    }

    /// A custom error code (`E0101`, ...), with extra fields.
    pub(crate) fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub(crate) fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }

    pub(crate) fn body(&self) -> Value {
        let mut body = json!({
            "status": self.status,
            "title": self.title,
            "detail": self.detail,
        });
        if let Some(obj) = body.as_object_mut() {
            if let Some(code) = self.code {
                obj.insert("code".into(), Value::from(code));
            }
            for (k, v) in &self.extra {
                obj.insert(k.clone(), v.clone());
            }
        }
        body
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, self.body().to_string()).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        resp
    }
}
