//! CSRF protection for every portal POST, applied by one middleware ([`guard`]) so no form
//! can be added without it:
//!
//! - the browser's own signals first: a `Sec-Fetch-Site` other than `same-origin`/`none`,
//!   or an `Origin` naming another host than the request's, is refused;
//! - then the form token: every form carries a hidden `csrf` field. For a signed-in session
//!   it is derived from the session id (SHA-256 with a domain label, so it reveals neither
//!   the id nor the stored hash); the sign-in forms, before any session exists, use a
//!   random token also set in the `junction_login` cookie (double submit). Tokens are
//!   compared in constant time.
//!
//! Bodies are read here (so the token can be checked before any handler runs) and handed
//! on unchanged: urlencoded forms up to 64 KiB everywhere. The one multipart form, the
//! connector upload ([`super::connectors::UPLOAD_PATH`]), is never buffered here: only the
//! operator may post it (anyone else is refused before a byte of the body is read), and
//! its `csrf` field must come first (the form puts it there, and browsers send fields in
//! the form's order), so the guard reads at most 64 KiB to check it and hands on the
//! rest of the body as a stream for the handler to read under its own limits.
//!
//! A refused POST gets a 403 page saying why. The session cookie is also SameSite=Strict,
//! so a browser does not send it with another site's request in the first place.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::PortalError;
use super::session::{SignedIn, cookie, well_formed};
use super::signin::{LOGIN_PATH, OPERATOR_LOGIN_PATH};

/// The hidden form field carrying the token.
pub const FIELD: &str = "csrf";
/// The cookie holding the sign-in forms' token.
pub const LOGIN_COOKIE: &str = "junction_login";
/// The largest form body the portal reads, and the most of an upload read to find its token.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The form token of a session, derived from its id.
pub fn session_token(session_id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"junction portal csrf token\0")
        .chain_update(session_id.as_bytes())
        .finalize();
    BASE64URL_NOPAD.encode(&digest)
}

/// Is `given` the expected token? Constant time in the contents (lengths are public: every
/// token of a kind has the same length). An empty expectation matches nothing.
pub fn tokens_match(given: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// Why the browser's headers show a cross-site request, if they do.
pub fn cross_site(headers: &HeaderMap) -> Option<&'static str> {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("");
        if !matches!(site, "same-origin" | "none") {
            return Some("the form was sent from another site");
        }
    }
    let origin = headers.get(header::ORIGIN)?;
    let Some(origin_host) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, host)| host.trim_end_matches('/'))
    else {
        return Some("the form's origin is not readable");
    };
    // The host the browser addressed, or the one a proxy says it was addressed as (a form
    // on another site cannot set that header).
    let matches_host = [header::HOST.as_str(), "x-forwarded-host"]
        .iter()
        .filter_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .any(|host| host.trim().eq_ignore_ascii_case(origin_host));
    if matches_host {
        None
    } else {
        Some("the form was sent from another origin")
    }
}

/// Middleware: check every POST (origin, then token) before its handler runs; other
/// methods pass. The body is read here and handed on unchanged.
pub async fn guard(request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    if let Some(reason) = cross_site(request.headers()) {
        return PortalError::Forbidden(reason.into()).into_response();
    }
    let path = request.uri().path();
    let signing_in = path == LOGIN_PATH || path == OPERATOR_LOGIN_PATH;
    let expected = if signing_in {
        cookie(request.headers(), LOGIN_COOKIE)
            .filter(|t| well_formed(t))
            .map(str::to_string)
    } else {
        match request.extensions().get::<SignedIn>() {
            Some(session) => Some(session.csrf.clone()),
            // Not signed in (the session ended): nothing to post to; sign in again.
            None => return Redirect::to(LOGIN_PATH).into_response(),
        }
    };
    if path == super::connectors::UPLOAD_PATH
        && let Some(boundary) = multipart_boundary(request.headers())
    {
        let operator = request
            .extensions()
            .get::<SignedIn>()
            .is_some_and(SignedIn::is_operator);
        if !operator {
            return super::connectors::not_allowed();
        }
        return guard_upload(request, boundary, expected.unwrap_or_default(), next).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return PortalError::TooLarge.into_response(),
    };
    let given = form_token(&parts.headers, &bytes).await;
    let refusal = match (&given, &expected) {
        (None, _) => Some("it carried no security token"),
        (Some(_), None) => Some("the sign-in page's security cookie is missing or expired"),
        (Some(given), Some(expected)) if !tokens_match(given, expected) => {
            Some("its security token does not match this session")
        }
        _ => None,
    };
    if let Some(reason) = refusal {
        return PortalError::Forbidden(reason.into()).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The upload: its leading `csrf` field checked from at most [`MAX_FORM_BYTES`] of the
/// body, then the handler gets the body — what was read, then the rest as it arrives.
async fn guard_upload(
    request: Request,
    boundary: String,
    expected: String,
    next: Next,
) -> Response {
    use futures_util::StreamExt;
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut seen = bytes::BytesMut::new();
    let given = loop {
        match leading_token(seen.clone().freeze(), &boundary).await {
            Leading::Token(token) => break Some(token),
            Leading::Missing => break None,
            Leading::Incomplete if seen.len() >= MAX_FORM_BYTES => break None,
            Leading::Incomplete => match stream.next().await {
                Some(Ok(chunk)) => seen.extend_from_slice(&chunk),
                Some(Err(_)) | None => break None,
            },
        }
    };
    let Some(given) = given else {
        return PortalError::Forbidden(
            "it carried no security token before the file (send the form as the portal shows it)"
                .into(),
        )
        .into_response();
    };
    if !tokens_match(&given, &expected) {
        return PortalError::Forbidden("its security token does not match this session".into())
            .into_response();
    }
    let read = futures_util::stream::once(std::future::ready(Ok::<_, axum::Error>(seen.freeze())));
    next.run(Request::from_parts(
        parts,
        Body::from_stream(read.chain(stream)),
    ))
    .await
}

/// What the start of a multipart body says about its first field.
#[derive(Debug, PartialEq, Eq)]
enum Leading {
    /// The first field is the token, complete.
    Token(String),
    /// The first field is another one, or the body has none.
    Missing,
    /// Not enough of the body yet.
    Incomplete,
}

/// Parse the first field of a multipart body from `prefix` (the body read so far).
async fn leading_token(prefix: axum::body::Bytes, boundary: &str) -> Leading {
    if prefix.is_empty() {
        return Leading::Incomplete;
    }
    let stream = Body::from(prefix).into_data_stream();
    let mut multipart = multer::Multipart::new(stream, boundary);
    match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some(FIELD) => match field.text().await {
            Ok(token) => Leading::Token(token),
            Err(_) => Leading::Incomplete,
        },
        Ok(Some(_)) | Ok(None) => Leading::Missing,
        Err(_) => Leading::Incomplete,
    }
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The boundary of a `multipart/form-data` body, if it is one.
pub fn multipart_boundary(headers: &HeaderMap) -> Option<String> {
    let value = content_type(headers);
    let is_form_data = value
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("multipart/form-data"));
    if !is_form_data {
        return None;
    }
    multer::parse_boundary(value).ok()
}

/// The `csrf` field of a urlencoded or multipart form body (other bodies carry none).
async fn form_token(headers: &HeaderMap, body: &axum::body::Bytes) -> Option<String> {
    if let Some(boundary) = multipart_boundary(headers) {
        return multipart_token(body.clone(), boundary).await;
    }
    if !content_type(headers).starts_with("application/x-www-form-urlencoded") {
        return None;
    }
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(name, _)| name == FIELD)
        .map(|(_, value)| value)
}

/// The first `csrf` field of a multipart body (wherever it is among the parts: a browser
/// sends fields in the form's order, the token before the file); none if the body does not
/// parse. The body is already in memory, so the other parts are skipped, not copied.
async fn multipart_token(body: axum::body::Bytes, boundary: String) -> Option<String> {
    let stream = Body::from(body).into_data_stream();
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some(FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn tokens_compare_equal_only_when_identical() {
        let token = session_token("session-id");
        assert!(tokens_match(&token, &token.clone()));
        assert!(!tokens_match(&token, &session_token("other-id")));
        assert!(!tokens_match("", &token));
        assert!(!tokens_match(&token[..10], &token));
        assert!(!tokens_match(&format!("{token}x"), &token));
        assert!(
            !tokens_match("", ""),
            "an empty expectation matches nothing"
        );
        // Derived, not the id or its stored hash.
        assert_ne!(token, "session-id");
        assert_ne!(
            token,
            junction_domain::accounts::sessions::hash_id("session-id")
        );
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn cross_site_signals_are_refused_and_same_origin_passes() {
        assert_eq!(cross_site(&headers(&[("host", "portal.example")])), None);
        assert_eq!(
            cross_site(&headers(&[
                ("host", "portal.example:8080"),
                ("origin", "https://portal.example:8080"),
                ("sec-fetch-site", "same-origin"),
            ])),
            None
        );
        assert!(
            cross_site(&headers(&[
                ("host", "portal.example"),
                ("origin", "https://evil.example")
            ]))
            .is_some()
        );
        assert!(
            cross_site(&headers(&[
                ("host", "portal.example"),
                ("sec-fetch-site", "cross-site")
            ]))
            .is_some()
        );
        assert!(cross_site(&headers(&[("host", "portal.example"), ("origin", "null")])).is_some());
        // Behind a proxy that rewrote Host.
        assert_eq!(
            cross_site(&headers(&[
                ("host", "127.0.0.1:8080"),
                ("x-forwarded-host", "portal.example"),
                ("origin", "https://portal.example"),
            ])),
            None
        );
    }

    async fn token(headers: &HeaderMap, body: &'static [u8]) -> Option<String> {
        form_token(headers, &axum::body::Bytes::from_static(body)).await
    }

    #[tokio::test]
    async fn the_token_is_read_from_urlencoded_and_multipart_forms_only() {
        let form = headers(&[("content-type", "application/x-www-form-urlencoded")]);
        assert_eq!(
            token(&form, b"email=a%40b&csrf=abc%2Bd").await.as_deref(),
            Some("abc+d")
        );
        assert_eq!(token(&form, b"email=a").await, None);
        let json = headers(&[("content-type", "application/json")]);
        assert_eq!(token(&json, b"csrf=abc").await, None);
    }

    const MULTIPART: &str = "multipart/form-data; boundary=XyZ";

    #[tokio::test]
    async fn the_token_is_read_from_a_multipart_body_before_or_after_the_file() {
        let multipart = headers(&[("content-type", MULTIPART)]);
        let token_first =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok-en_1\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"component\"; filename=\"a.wasm\"\r\n\
Content-Type: application/wasm\r\n\r\n\x00asm\x01\x00\x00\x00\r\n--XyZ--\r\n";
        assert_eq!(
            token(&multipart, token_first).await.as_deref(),
            Some("tok-en_1")
        );
        let file_first =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"component\"; filename=\"a.wasm\"\r\n\
\r\n\x00asm--XyZ-not-a-boundary\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nsecond\r\n--XyZ--\r\n";
        assert_eq!(
            token(&multipart, file_first).await.as_deref(),
            Some("second")
        );
        // Quoted boundaries and upper-case media types are still multipart.
        let quoted = headers(&[("content-type", "Multipart/Form-Data; boundary=\"XyZ\"")]);
        assert_eq!(
            token(&quoted, token_first).await.as_deref(),
            Some("tok-en_1")
        );
    }

    #[tokio::test]
    async fn a_multipart_body_without_a_token_or_that_does_not_parse_carries_none() {
        let multipart = headers(&[("content-type", MULTIPART)]);
        let no_token =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"component\"; filename=\"a.wasm\"\r\n\
\r\n\x00asm\r\n--XyZ--\r\n";
        assert_eq!(token(&multipart, no_token).await, None);
        // A field merely mentioning csrf in its contents is not the field.
        let in_contents = b"--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n\
name=\"csrf\" csrf=abc\r\n--XyZ--\r\n";
        assert_eq!(token(&multipart, in_contents).await, None);
        assert_eq!(
            token(&multipart, b"csrf=abc").await,
            None,
            "not multipart framing"
        );
        assert_eq!(
            token(
                &multipart,
                b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc"
            )
            .await,
            None,
            "a truncated body"
        );
        let other_boundary = headers(&[("content-type", "multipart/form-data; boundary=Other")]);
        let token_first =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ--\r\n";
        assert_eq!(token(&other_boundary, token_first).await, None);
        // multipart/mixed is not a form.
        let mixed = headers(&[("content-type", "multipart/mixed; boundary=XyZ")]);
        assert_eq!(token(&mixed, token_first).await, None);
        let no_boundary = headers(&[("content-type", "multipart/form-data")]);
        assert_eq!(token(&no_boundary, token_first).await, None);
    }

    #[tokio::test]
    async fn an_upload_token_is_read_from_the_leading_field_only() {
        let token_first: &'static [u8] =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok-en_1\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"component\"; filename=\"a.wasm\"\r\n\r\n\x00asm";
        let lead =
            |n: usize| leading_token(axum::body::Bytes::from_static(&token_first[..n]), "XyZ");
        assert_eq!(
            lead(token_first.len()).await,
            Leading::Token("tok-en_1".into())
        );
        // Cut inside the headers or the token: more is needed.
        assert_eq!(lead(20).await, Leading::Incomplete);
        assert_eq!(lead(55).await, Leading::Incomplete);
        assert_eq!(lead(0).await, Leading::Incomplete);
        let file_first: &'static [u8] =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"component\"; filename=\"a.wasm\"\r\n\r\n\x00asm";
        assert_eq!(
            leading_token(axum::body::Bytes::from_static(file_first), "XyZ").await,
            Leading::Missing
        );
    }
}
