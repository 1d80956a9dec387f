//! Building [`ConnectorError`]s, and mapping HTTP answers and transport failures onto them.
//!
//! The host acts on the error's case (see the WIT docs of `connector-error`): it retries
//! `transport`, `rate-limited` (after `retry-after-ms`) and `upstream` 5xx, and does not retry
//! `unauthorized`, `not-found`, `unsupported` or `invalid-config`. The mapping here:
//!
//! | answer | error |
//! |---|---|
//! | 401, 403 | `unauthorized("HTTP 401: <upstream message>")` |
//! | 404, 410 | `not-found("HTTP 404: <upstream message>")` |
//! | 429 | `rate-limited` with `Retry-After` (seconds or HTTP-date), else `X-RateLimit-Reset` / `RateLimit-Reset`, else [`DEFAULT_RETRY_AFTER_MS`] |
//! | 503 with `Retry-After` | `rate-limited` as for 429 (a server asking for a pause) |
//! | 3xx | `upstream{status, "unexpected redirect to ..."}` (wasi:http does not follow them) |
//! | other 4xx, 5xx | `upstream{status, <upstream message>}` |
//! | body that is not the expected JSON | `upstream{status, "invalid JSON from upstream: ..."}` |
//! | wasi:http error code (DNS, refused, timeout, reset, TLS, truncated body) | `transport(...)` |
//! | the host's egress policy refused the request | `transport("egress denied by the host: ...")` |
//!
//! The upstream message is taken from common error bodies (`{"message": ..}`,
//! `{"code": .., "message": ..}` as WordPress sends it, `{"error": ..}`,
//! `{"error": {"message": ..}}`, `{"errors": [..]}`, problem+json `title`/`detail`), or from the
//! body's text, and cut to [`MAX_MESSAGE_CHARS`].

use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasip2::http::types::ErrorCode;

use crate::http::Headers;
use crate::types::{ConfigProblem, ConnectorError, RateLimitedInfo, UpstreamError};

/// A `Result` whose error is the contract's [`ConnectorError`].
pub type ConnectorResult<T> = Result<T, ConnectorError>;

/// The wait for a 429 answer that says nothing about when to come back.
pub const DEFAULT_RETRY_AFTER_MS: u64 = 1000;
/// The longest wait a `Retry-After` may ask for (one day); longer values are capped.
pub const MAX_RETRY_AFTER_MS: u64 = 24 * 60 * 60 * 1000;
/// Upstream messages are cut to this many characters.
pub const MAX_MESSAGE_CHARS: usize = 300;

impl ConnectorError {
    /// `unauthorized`: the credentials were refused.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::Unauthorized(message.into())
    }

    /// `not-found`: the record or endpoint does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// `rate-limited`: wait `retry_after_ms`, then retry.
    pub fn rate_limited(retry_after_ms: u64, message: impl Into<String>) -> Self {
        Self::RateLimited(RateLimitedInfo {
            retry_after_ms,
            message: message.into(),
        })
    }

    /// `unsupported`: the connector does not do this resource or write.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::Unsupported(message.into())
    }

    /// `invalid-config`, optionally naming the property at fault.
    pub fn invalid_config(field: Option<&str>, message: impl Into<String>) -> Self {
        Self::InvalidConfig(ConfigProblem {
            field: field.map(str::to_owned),
            message: message.into(),
        })
    }

    /// `upstream`: the external system answered with an error or an unusable body.
    pub fn upstream(status: u16, message: impl Into<String>) -> Self {
        Self::Upstream(UpstreamError {
            status,
            message: message.into(),
        })
    }

    /// `transport`: no answer (DNS, connect, TLS, timeout, reset, egress denied).
    pub fn transport(message: impl Into<String>) -> Self {
        Self::Transport(message.into())
    }

    /// `invalid-request`: the request is malformed (a bad value, id, parent-id or cursor);
    /// nothing was sent.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::InvalidRequest(message.into())
    }

    /// `internal`: a bug or unexpected state inside the connector.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into())
    }

    /// The WIT name of the case, e.g. `rate-limited`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "unauthorized",
            Self::NotFound(_) => "not-found",
            Self::RateLimited(_) => "rate-limited",
            Self::Unsupported(_) => "unsupported",
            Self::InvalidRequest(_) => "invalid-request",
            Self::InvalidConfig(_) => "invalid-config",
            Self::Upstream(_) => "upstream",
            Self::Transport(_) => "transport",
            Self::Internal(_) => "internal",
        }
    }

    /// The human-readable message of any case.
    pub fn message(&self) -> &str {
        match self {
            Self::Unauthorized(m)
            | Self::NotFound(m)
            | Self::Unsupported(m)
            | Self::InvalidRequest(m)
            | Self::Transport(m)
            | Self::Internal(m) => m,
            Self::RateLimited(r) => &r.message,
            Self::InvalidConfig(c) => &c.message,
            Self::Upstream(u) => &u.message,
        }
    }

    /// Whether the host retries this error (per the contract's documentation).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited(_) | Self::Transport(_) => true,
            Self::Upstream(u) => u.status >= 500,
            _ => false,
        }
    }
}

/// The error an HTTP answer with a non-2xx `status` means. `now` is used to turn an
/// HTTP-date or epoch `Retry-After`/`X-RateLimit-Reset` into a wait.
pub fn status_error(status: u16, headers: &Headers, body: &[u8], now: Timestamp) -> ConnectorError {
    let message = || error_message(body).unwrap_or_else(|| default_reason(status));
    match status {
        401 | 403 => ConnectorError::unauthorized(format!("HTTP {status}: {}", message())),
        404 | 410 => ConnectorError::not_found(format!("HTTP {status}: {}", message())),
        429 => ConnectorError::rate_limited(
            retry_after_ms(headers, now).unwrap_or(DEFAULT_RETRY_AFTER_MS),
            format!("HTTP 429: {}", message()),
        ),
        503 if headers.contains("retry-after") => ConnectorError::rate_limited(
            retry_after_ms(headers, now).unwrap_or(DEFAULT_RETRY_AFTER_MS),
            format!("HTTP 503: {}", message()),
        ),
        300..=399 => {
            let to = headers.get("location").unwrap_or("(no Location header)");
            ConnectorError::upstream(
                status,
                format!(
                    "unexpected redirect to {} (redirects are not followed; check the URL, e.g. http vs https)",
                    truncate(to, MAX_MESSAGE_CHARS)
                ),
            )
        }
        _ => ConnectorError::upstream(status, message()),
    }
}

fn default_reason(status: u16) -> String {
    let reason = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "no error message",
    };
    format!("{reason} (empty or unreadable error body)")
}

/// How long a 429 (or 503) answer asks us to wait, in milliseconds: `Retry-After` (delay in
/// seconds or an HTTP-date), else `X-RateLimit-Reset` / `RateLimit-Reset` (epoch seconds, epoch
/// milliseconds, or a delay in seconds when the number is too small to be an epoch). `None`
/// when no header says. Waits are capped at [`MAX_RETRY_AFTER_MS`]; a time already past gives
/// [`DEFAULT_RETRY_AFTER_MS`] rather than zero, so a retry never hammers.
pub fn retry_after_ms(headers: &Headers, now: Timestamp) -> Option<u64> {
    let ms = if let Some(v) = headers.get("retry-after") {
        parse_retry_after(v, now)?
    } else if let Some(v) = headers
        .get("x-ratelimit-reset")
        .or_else(|| headers.get("ratelimit-reset"))
    {
        parse_reset(v, now)?
    } else {
        return None;
    };
    Some(if ms == 0 {
        DEFAULT_RETRY_AFTER_MS
    } else {
        ms.min(MAX_RETRY_AFTER_MS)
    })
}

fn ms_until(target: Timestamp, now: Timestamp) -> u64 {
    let diff = target.as_millisecond().saturating_sub(now.as_millisecond());
    u64::try_from(diff).unwrap_or(0)
}

fn parse_retry_after(v: &str, now: Timestamp) -> Option<u64> {
    if let Ok(secs) = v.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    if let Ok(secs) = v.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some((secs * 1000.0).ceil() as u64);
    }
    let date = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(v)
        .ok()?;
    Some(ms_until(date, now))
}

fn parse_reset(v: &str, now: Timestamp) -> Option<u64> {
    let n: u64 = v.parse().ok().or_else(|| {
        v.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(|f| f.ceil() as u64)
    })?;
    // Epoch milliseconds, epoch seconds, or a delay in seconds.
    if n >= 100_000_000_000 {
        let target = Timestamp::from_millisecond(i64::try_from(n).ok()?).ok()?;
        Some(ms_until(target, now))
    } else if n >= 1_000_000_000 {
        let target = Timestamp::from_second(i64::try_from(n).ok()?).ok()?;
        Some(ms_until(target, now))
    } else {
        Some(n.saturating_mul(1000))
    }
}

/// A readable message from an error body: the message of a JSON error object, or the body's
/// text (an HTML page's `<title>`), cut to [`MAX_MESSAGE_CHARS`]. `None` for an empty body.
pub fn error_message(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(json) = serde_json::from_str::<Value>(text) {
        if let Some(m) = json_message(&json) {
            return Some(truncate(&m, MAX_MESSAGE_CHARS));
        }
        return Some(truncate(&json.to_string(), MAX_MESSAGE_CHARS));
    }
    if text.starts_with('<')
        && let Some(title) = html_title(text)
    {
        return Some(truncate(&title, MAX_MESSAGE_CHARS));
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(truncate(&collapsed, MAX_MESSAGE_CHARS))
}

fn non_empty_str(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn json_message(json: &Value) -> Option<String> {
    let obj = json.as_object()?;
    let code = obj.get("code").and_then(|c| match c {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let with_code = |m: &str| match &code {
        Some(c) if c != m => format!("{m} ({c})"),
        _ => m.to_owned(),
    };
    if let Some(m) = non_empty_str(obj.get("message")) {
        return Some(with_code(m));
    }
    match obj.get("error") {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            let desc = non_empty_str(obj.get("error_description"));
            return Some(match desc {
                Some(d) => format!("{}: {d}", s.trim()),
                None => with_code(s.trim()),
            });
        }
        Some(Value::Object(inner)) => {
            if let Some(m) = json_message(&Value::Object(inner.clone())) {
                return Some(m);
            }
        }
        _ => {}
    }
    match obj.get("errors") {
        Some(Value::String(s)) if !s.trim().is_empty() => return Some(s.trim().to_owned()),
        Some(Value::Array(items)) => {
            let parts: Vec<String> = items
                .iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some(s.clone()),
                    other => json_message(other),
                })
                .collect();
            if !parts.is_empty() {
                return Some(parts.join("; "));
            }
        }
        Some(Value::Object(fields)) => {
            let parts: Vec<String> = fields
                .iter()
                .map(|(k, v)| match v {
                    Value::Array(a) => format!(
                        "{k}: {}",
                        a.iter()
                            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Value::String(s) => format!("{k}: {s}"),
                    other => format!("{k}: {other}"),
                })
                .collect();
            if !parts.is_empty() {
                return Some(parts.join("; "));
            }
        }
        _ => {}
    }
    match (
        non_empty_str(obj.get("title")),
        non_empty_str(obj.get("detail")),
    ) {
        (Some(t), Some(d)) => return Some(format!("{t}: {d}")),
        (Some(m), None) | (None, Some(m)) => return Some(with_code(m)),
        (None, None) => {}
    }
    non_empty_str(obj.get("error_description")).map(with_code)
}

fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = lower[start..].find('>')? + start + 1;
    let end = lower[open_end..].find("</title")? + open_end;
    let title = html
        .get(open_end..end)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!title.is_empty()).then_some(title)
}

/// Cuts a string to at most `max` characters, marking the cut with `…`.
pub fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((at, _)) => format!("{}…", &s[..at]),
    }
}

/// Parses a JSON body; failure is `upstream{status, "invalid JSON from upstream: ..."}` with
/// the parser's message and the start of the body (bodies with a PHP warning in front of the
/// JSON are a classic).
pub fn parse_json<T: DeserializeOwned>(status: u16, body: &[u8]) -> ConnectorResult<T> {
    serde_json::from_slice(body).map_err(|e| invalid_json(status, &e, body))
}

/// The error for a body that is not the expected JSON.
pub fn invalid_json(status: u16, err: &serde_json::Error, body: &[u8]) -> ConnectorError {
    let text = String::from_utf8_lossy(body);
    let start = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let snippet = if start.is_empty() {
        "empty body".to_owned()
    } else {
        format!("body starts with {:?}", truncate(&start, 80))
    };
    // "invalid JSON from upstream" is the phrase operators and tests look for.
    let prefix = if err.is_data() {
        "invalid JSON from upstream (unexpected shape)"
    } else {
        "invalid JSON from upstream"
    };
    ConnectorError::upstream(status, format!("{prefix}: {err}; {snippet}"))
}

/// A human description of a `wasi:http` error code.
pub fn describe_error_code(code: &ErrorCode) -> String {
    match code {
        ErrorCode::DnsTimeout => "DNS lookup timed out".into(),
        ErrorCode::DnsError(p) => {
            let mut m = "DNS lookup failed".to_owned();
            if let Some(rcode) = &p.rcode {
                m.push_str(&format!(" ({rcode})"));
            }
            m
        }
        ErrorCode::DestinationNotFound => "destination not found (unknown host)".into(),
        ErrorCode::DestinationUnavailable => "destination unavailable".into(),
        ErrorCode::DestinationIpProhibited => {
            "egress denied by the host: the destination address is prohibited (loopback or private addresses are not allowed)".into()
        }
        ErrorCode::DestinationIpUnroutable => "destination address unroutable".into(),
        ErrorCode::ConnectionRefused => "connection refused".into(),
        ErrorCode::ConnectionTerminated => "connection terminated (reset by peer)".into(),
        ErrorCode::ConnectionTimeout => "connect timed out".into(),
        ErrorCode::ConnectionReadTimeout => "timed out reading from the connection".into(),
        ErrorCode::ConnectionWriteTimeout => "timed out writing to the connection".into(),
        ErrorCode::ConnectionLimitReached => "connection limit reached".into(),
        ErrorCode::TlsProtocolError => "TLS protocol error".into(),
        ErrorCode::TlsCertificateError => "TLS certificate error".into(),
        ErrorCode::TlsAlertReceived(p) => match &p.alert_message {
            Some(m) => format!("TLS alert received: {m}"),
            None => "TLS alert received".into(),
        },
        ErrorCode::HttpRequestDenied => {
            "egress denied by the host: the destination is not among the connector's allowed hosts".into()
        }
        ErrorCode::HttpRequestUriInvalid => "the request URI was refused as invalid".into(),
        ErrorCode::HttpRequestUriTooLong => "the request URI is too long".into(),
        ErrorCode::HttpRequestBodySize(_) => "the request body is too large".into(),
        ErrorCode::HttpResponseIncomplete => "incomplete response (connection dropped)".into(),
        ErrorCode::HttpResponseBodySize(limit) => match limit {
            Some(n) => format!("response body exceeds the host's limit of {n} bytes"),
            None => "response body exceeds the host's limit".into(),
        },
        ErrorCode::HttpResponseTimeout => "timed out waiting for the response".into(),
        ErrorCode::HttpProtocolError => "HTTP protocol error".into(),
        ErrorCode::InternalError(m) => match m {
            Some(m) => format!("host HTTP error: {m}"),
            None => "host HTTP error".into(),
        },
        other => format!("{other:?}"),
    }
}

/// The `transport` error for a `wasi:http` error code, naming the URL (without its query).
pub fn transport_error(code: &ErrorCode, url: &str) -> ConnectorError {
    ConnectorError::transport(format!("{} ({url})", describe_error_code(code)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2025-01-01T00:00:00Z".parse().unwrap()
    }

    fn err(status: u16, headers: &[(&str, &str)], body: &str) -> ConnectorError {
        status_error(
            status,
            &Headers::from_pairs(headers.iter().copied()),
            body.as_bytes(),
            now(),
        )
    }

    #[test]
    fn maps_statuses() {
        let wp = r#"{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.","data":{"status":401}}"#;
        assert_eq!(
            err(401, &[], wp),
            ConnectorError::Unauthorized(
                "HTTP 401: Sorry, you cannot list resources. (woocommerce_rest_cannot_view)".into()
            )
        );
        assert!(
            matches!(err(403, &[], ""), ConnectorError::Unauthorized(m) if m.contains("Forbidden"))
        );
        assert_eq!(
            err(
                404,
                &[],
                r#"{"code":"woocommerce_rest_shop_order_invalid_id","message":"Invalid ID."}"#
            ),
            ConnectorError::NotFound(
                "HTTP 404: Invalid ID. (woocommerce_rest_shop_order_invalid_id)".into()
            )
        );
        assert_eq!(
            err(400, &[], r#"{"error":"bad things"}"#),
            ConnectorError::upstream(400, "bad things")
        );
        assert_eq!(
            err(422, &[], r#"{"errors":{"title":["can't be blank"]}}"#),
            ConnectorError::upstream(422, "title: can't be blank")
        );
        assert_eq!(
            err(
                500,
                &[],
                "<html><head><title>500 Internal Server Error</title></head></html>"
            ),
            ConnectorError::upstream(500, "500 Internal Server Error")
        );
        assert_eq!(
            err(502, &[], "  upstream\n  down "),
            ConnectorError::upstream(502, "upstream down")
        );
        assert!(matches!(
            err(301, &[("Location", "https://shop/x")], ""),
            ConnectorError::Upstream(UpstreamError { status: 301, message }) if message.contains("https://shop/x")
        ));
        assert!(err(500, &[], "").is_retryable());
        assert!(!err(400, &[], "").is_retryable());
    }

    #[test]
    fn rate_limits() {
        assert_eq!(
            err(429, &[("Retry-After", "7")], r#"{"message":"slow down"}"#),
            ConnectorError::rate_limited(7000, "HTTP 429: slow down")
        );
        // Absent: the default.
        assert_eq!(
            err(429, &[], ""),
            ConnectorError::rate_limited(
                DEFAULT_RETRY_AFTER_MS,
                "HTTP 429: Too Many Requests (empty or unreadable error body)"
            )
        );
        // HTTP-date, 90 s after now.
        match err(429, &[("retry-after", "Wed, 01 Jan 2025 00:01:30 GMT")], "") {
            ConnectorError::RateLimited(r) => assert_eq!(r.retry_after_ms, 90_000),
            other => panic!("{other:?}"),
        }
        // Epoch seconds reset, 30 s after now.
        let reset = (now().as_second() + 30).to_string();
        match err(429, &[("X-RateLimit-Reset", &reset)], "") {
            ConnectorError::RateLimited(r) => assert_eq!(r.retry_after_ms, 30_000),
            other => panic!("{other:?}"),
        }
        // 503 with Retry-After is a pause request too.
        assert!(
            matches!(err(503, &[("Retry-After", "2")], ""), ConnectorError::RateLimited(r) if r.retry_after_ms == 2000)
        );
        assert!(matches!(err(503, &[], ""), ConnectorError::Upstream(_)));
    }

    #[test]
    fn retry_after_forms() {
        let h = |k: &str, v: &str| Headers::from_pairs([(k, v)]);
        assert_eq!(
            retry_after_ms(&h("Retry-After", "0"), now()),
            Some(DEFAULT_RETRY_AFTER_MS)
        );
        assert_eq!(retry_after_ms(&h("Retry-After", "1.5"), now()), Some(1500));
        assert_eq!(
            retry_after_ms(&h("Retry-After", "Tue, 31 Dec 2024 00:00:00 GMT"), now()),
            Some(DEFAULT_RETRY_AFTER_MS)
        );
        assert_eq!(retry_after_ms(&h("Retry-After", "soon"), now()), None);
        assert_eq!(
            retry_after_ms(&h("Retry-After", "99999999"), now()),
            Some(MAX_RETRY_AFTER_MS)
        );
        assert_eq!(
            retry_after_ms(&h("X-RateLimit-Reset", "12"), now()),
            Some(12_000)
        );
        let ms = (now().as_millisecond() + 2500).to_string();
        assert_eq!(
            retry_after_ms(&h("x-ratelimit-reset", &ms), now()),
            Some(2500)
        );
        assert_eq!(
            retry_after_ms(&h("RateLimit-Reset", "3"), now()),
            Some(3000)
        );
        assert_eq!(retry_after_ms(&Headers::new(), now()), None);
    }

    #[test]
    fn messages_are_extracted_and_cut() {
        assert_eq!(error_message(b""), None);
        assert_eq!(
            error_message(br#"{"error":{"message":"nope","code":42}}"#).unwrap(),
            "nope (42)"
        );
        assert_eq!(
            error_message(br#"{"error":"invalid_grant","error_description":"expired"}"#).unwrap(),
            "invalid_grant: expired"
        );
        assert_eq!(
            error_message(br#"{"title":"Too Many","detail":"wait"}"#).unwrap(),
            "Too Many: wait"
        );
        assert_eq!(
            error_message(br#"{"errors":[{"message":"a"},"b"]}"#).unwrap(),
            "a; b"
        );
        let long = "x".repeat(1000);
        let m = error_message(long.as_bytes()).unwrap();
        assert_eq!(m.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(m.ends_with('…'));
        assert_eq!(truncate("héllo", 2), "hé…");
    }

    #[test]
    fn invalid_json_is_upstream() {
        let e = parse_json::<Value>(200, b"<b>Warning</b>: deprecated {\"a\":1}").unwrap_err();
        match e {
            ConnectorError::Upstream(u) => {
                assert_eq!(u.status, 200);
                assert!(
                    u.message.starts_with("invalid JSON from upstream: "),
                    "{}",
                    u.message
                );
                assert!(u.message.contains("Warning"));
            }
            other => panic!("{other:?}"),
        }
        let e = parse_json::<Vec<u32>>(200, br#"{"a":1}"#).unwrap_err();
        assert!(
            e.message()
                .starts_with("invalid JSON from upstream (unexpected shape)"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn transport_codes() {
        let e = transport_error(&ErrorCode::HttpRequestDenied, "http://evil/");
        assert_eq!(e.kind(), "transport");
        assert!(
            e.message().starts_with("egress denied by the host"),
            "{}",
            e.message()
        );
        assert!(e.message().contains("http://evil/"));
        assert!(
            transport_error(&ErrorCode::ConnectionRefused, "u")
                .message()
                .contains("refused")
        );
        assert!(
            transport_error(&ErrorCode::DestinationIpProhibited, "u")
                .message()
                .contains("egress denied")
        );
        assert!(transport_error(&ErrorCode::ConnectionTimeout, "u").is_retryable());
    }
}
