//! Every rejection an API sends goes out in the one error shape ([`super::error::ApiError`]),
//! including those made before a handler runs: axum's own extractor rejections (an
//! oversize body is a `413 text/plain`, an id that is not UTF-8 a `400 text/plain`), the
//! method router's 405, and anything else that answers an error without JSON.
//!
//! Also here, for every route of the server: an error answered to a request that carried a
//! body says `Connection: close`, since the server may not have read that body and closes
//! the connection after answering (HTTP/1.1 §9.6: a server that closes says so).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The longest rejection text carried into the JSON message.
const MAX_TEXT: usize = 1024;

/// Middleware: an error answer without a JSON body becomes the API's error shape; its
/// status and headers (`Allow`, `Retry-After`) are kept.
pub async fn as_api_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_TEXT * 4)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let error = rejection(status, &text, &method, parts.headers.get(header::ALLOW));
    let rebuilt = error.into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    let (new_parts, new_body) = rebuilt.into_parts();
    parts.headers.extend(new_parts.headers);
    Response::from_parts(parts, new_body)
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"))
}

/// The error for a rejection answered as `status` with `text`.
fn rejection(
    status: StatusCode,
    text: &str,
    method: &Method,
    allow: Option<&HeaderValue>,
) -> ApiError {
    let said: String = text.chars().take(MAX_TEXT).collect();
    let said = if said.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        said
    };
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError {
            field: Some("body".into()),
            ..ApiError::new(
                status,
                "body_too_large",
                format!("the request body is larger than this endpoint accepts ({said})"),
            )
        },
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = allow
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                .map(|v| format!("; it takes {v}"))
                .unwrap_or_default();
            ApiError::new(
                status,
                "method_not_allowed",
                format!("this endpoint does not take {method}{allowed} (see /api/v1/openapi.json)"),
            )
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError {
            field: Some("Content-Type".into()),
            ..ApiError::new(status, "unsupported_media_type", said)
        },
        StatusCode::BAD_REQUEST
            if said.contains("URL") || said.contains("path") || said.contains("UTF-8") =>
        {
            ApiError {
                field: Some("path".into()),
                ..ApiError::new(
                    status,
                    "invalid_parameter",
                    format!("a path parameter is not valid: {said}"),
                )
            }
        }
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            ApiError::new(status, "invalid_request", said)
        }
        _ if status.is_server_error() => ApiError::new(status, "internal_error", said),
        _ => ApiError::new(status, "error", said),
    }
}

/// Middleware: an error answer to a request that carried a body says `Connection: close`
/// (HTTP/1.x only; HTTP/2 has no such header).
pub async fn close_after_refused_bodies(request: Request<Body>, next: Next) -> Response {
    let headers = request.headers();
    let declared_length = headers
        .get(header::CONTENT_LENGTH)
        .map(|v| v.to_str().map_or(true, |v| v.trim() != "0"));
    let had_body =
        declared_length.unwrap_or(false) || headers.contains_key(header::TRANSFER_ENCODING);
    let http1 = matches!(request.version(), Version::HTTP_10 | Version::HTTP_11);
    let mut response = next.run(request).await;
    let status = response.status();
    if had_body && http1 && (status.is_client_error() || status.is_server_error()) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_keep_their_status_and_name_what_was_wrong() {
        let too_large = rejection(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Failed to buffer the request body: length limit exceeded",
            &Method::POST,
            None,
        );
        assert_eq!(too_large.code, "body_too_large");
        assert_eq!(too_large.field.as_deref(), Some("body"));
        let bad_path = rejection(
            StatusCode::BAD_REQUEST,
            "Invalid URL: Cannot parse `\u{fffd}` to a `String`",
            &Method::GET,
            None,
        );
        assert_eq!(bad_path.field.as_deref(), Some("path"));
        let allow = HeaderValue::from_static("GET,HEAD");
        let method = rejection(
            StatusCode::METHOD_NOT_ALLOWED,
            "",
            &Method::DELETE,
            Some(&allow),
        );
        assert!(
            method
                .message
                .contains("does not take DELETE; it takes GET,HEAD"),
            "{}",
            method.message
        );
    }
}
