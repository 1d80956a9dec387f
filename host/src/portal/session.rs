//! Portal sessions: a random 256-bit id in the `junction_session` cookie (HttpOnly,
//! SameSite=Strict, Path=/portal, Secure per [`super::PortalSettings`]), stored only as its
//! SHA-256. A session ends after 12 hours without a request or 7 days after sign-in,
//! whichever comes first, or at sign-out; an operator's session also ends when the admin
//! token it was opened with is no longer the server's. [`load`] resolves the cookie once
//! per request and puts the [`SignedIn`] into the request; handlers take it as an
//! extractor, which sends anybody not signed in to the sign-in page.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};

use super::error::PortalError;
use super::{PREFIX, PortalSettings, PortalState};
use crate::store::now_ms;
use crate::store::portal_sessions::SessionOwner;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "junction_session";
/// A session ends this long after its last request.
pub const IDLE_MS: i64 = 12 * 3600 * 1000;
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_MS: i64 = 7 * 24 * 3600 * 1000;
/// `last_seen` is written at most this often per session (a write per page is wasteful).
const TOUCH_AFTER_MS: i64 = 60_000;
/// Characters of a token: 32 random bytes, base64url without padding.
const TOKEN_CHARS: usize = 43;

/// A fresh random token of 256 bits (session ids, sign-in form tokens).
pub fn new_token() -> Result<String, PortalError> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random)
        .map_err(|e| PortalError::Internal(format!("no randomness: {e}")))?;
    Ok(BASE64URL_NOPAD.encode(&random))
}

/// Could this be a token we issued? (Anything else is not looked up.)
pub fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What the database stores for a session id.
pub fn hash_id(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// A `Set-Cookie` value for a portal cookie: HttpOnly, SameSite=Strict, Path=/portal;
/// `max_age_secs` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Path={PREFIX}; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}"
    );
    // Names are constants and values are tokens we made: always a valid header.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Should cookies set on this request be `Secure`? Per the settings, else when the request
/// came over https (itself, or by a proxy's `X-Forwarded-Proto` / `Forwarded` header; a
/// client faking those only makes its own cookie stricter).
pub fn secure_cookies(settings: &PortalSettings, headers: &HeaderMap, uri: &Uri) -> bool {
    if let Some(fixed) = settings.secure_cookies {
        return fixed;
    }
    if uri.scheme_str() == Some("https") {
        return true;
    }
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|first| {
            first.split(';').any(|part| {
                part.trim()
                    .to_ascii_lowercase()
                    .strip_prefix("proto=")
                    .is_some_and(|p| p.trim_matches('"') == "https")
            })
        });
    forwarded_proto || forwarded
}

/// The client's address, when the server runs with connection info (`junction serve`
/// does); none otherwise.
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

/// The signed-in session of this request.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The stored hash of the session id (what sign-out deletes).
    pub id_hash: String,
    /// This session's form token (see `super::csrf`).
    pub csrf: String,
    pub owner: SessionOwner,
}

impl SignedIn {
    /// The only tenant this session may see; none for the operator (every tenant).
    pub fn tenant_id(&self) -> Option<&str> {
        match &self.owner {
            SessionOwner::Operator => None,
            SessionOwner::User { tenant_id, .. } => Some(tenant_id),
        }
    }

    pub fn is_operator(&self) -> bool {
        self.owner == SessionOwner::Operator
    }
}

/// Pages need a signed-in session; without one, go to the sign-in page.
impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        parts
            .extensions
            .get::<SignedIn>()
            .cloned()
            .ok_or_else(|| Redirect::to(super::signin::LOGIN_PATH).into_response())
    }
}

/// Sign-in pages take the session if there is one.
impl<S: Send + Sync> OptionalFromRequestParts<S> for SignedIn {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Infallible> {
        Ok(parts.extensions.get::<SignedIn>().cloned())
    }
}

/// Middleware: resolve the session cookie (if any) and put the [`SignedIn`] into the
/// request. Expired or unknown ids are simply not signed in.
pub async fn load(State(state): State<PortalState>, mut request: Request, next: Next) -> Response {
    if request
        .uri()
        .path()
        .starts_with(super::pages::STATIC_PREFIX)
    {
        return next.run(request).await;
    }
    let id = cookie(request.headers(), SESSION_COOKIE)
        .filter(|id| well_formed(id))
        .map(str::to_string);
    if let Some(id) = id {
        match resolve(&state, &id).await {
            Ok(Some(signed_in)) => {
                request.extensions_mut().insert(signed_in);
            }
            Ok(None) => {}
            Err(e) => return e.into_response(),
        }
    }
    next.run(request).await
}

async fn resolve(state: &PortalState, id: &str) -> Result<Option<SignedIn>, PortalError> {
    let now = now_ms();
    let id_hash = hash_id(id);
    let store = &state.hub.store;
    let Some(session) = store.portal_session(&id_hash, now, now - IDLE_MS).await? else {
        return Ok(None);
    };
    // An operator session lasts only as long as the admin token it was opened with.
    if session.owner == SessionOwner::Operator
        && session.operator_token_hash.as_deref() != Some(token_hash(&state.admin_token).as_str())
    {
        return Ok(None);
    }
    // Bookkeeping: a failed write (a full disk) must not sign anyone out or fail the page.
    if now - session.last_seen_ms >= TOUCH_AFTER_MS
        && let Err(e) = store.touch_portal_session(&id_hash, now).await
    {
        tracing::warn!(error = %e, "portal: cannot record the session's last use");
    }
    Ok(Some(SignedIn {
        id_hash,
        csrf: super::csrf::session_token(id),
        owner: session.owner,
    }))
}

/// What an operator session remembers of the admin token: its SHA-256.
fn token_hash(admin_token: &str) -> String {
    hex::encode(Sha256::digest(admin_token.as_bytes()))
}

/// Start a session for a user (or, with none, the operator): a new random id, stored
/// hashed. Returns the id for the cookie. Expired sessions are swept on the way.
pub async fn start(state: &PortalState, user_id: Option<&str>) -> Result<String, PortalError> {
    let id = new_token()?;
    let now = now_ms();
    let store = &state.hub.store;
    let operator_token = user_id.is_none().then(|| token_hash(&state.admin_token));
    store
        .create_portal_session(
            &hash_id(&id),
            user_id,
            operator_token.as_deref(),
            now,
            now + ABSOLUTE_MS,
        )
        .await?;
    match store
        .delete_expired_portal_sessions(now, now - IDLE_MS)
        .await
    {
        Ok(0) => {}
        Ok(swept) => tracing::debug!(swept, "portal: expired sessions removed"),
        Err(e) => tracing::warn!(error = %e, "portal: cannot remove expired sessions"),
    }
    Ok(id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_well_formed() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(well_formed(&a), "{a}");
        assert_eq!(BASE64URL_NOPAD.decode(a.as_bytes()).unwrap().len(), 32);
        assert!(!well_formed("short"));
        assert!(!well_formed(&format!("{}=", &a[..42])));
        assert_ne!(hash_id(&a), a);
        assert_eq!(hash_id(&a).len(), 64);
    }

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; junction_session=abc"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "junction"), None);
    }

    #[test]
    fn the_cookie_carries_its_attributes_and_secure_follows_the_settings() {
        let text = set_cookie(SESSION_COOKIE, "v", 60, false);
        let text = text.to_str().unwrap();
        for part in [
            "junction_session=v",
            "Path=/portal",
            "HttpOnly",
            "SameSite=Strict",
            "Max-Age=60",
        ] {
            assert!(text.contains(part), "{text}");
        }
        assert!(!text.contains("Secure"));
        assert!(
            set_cookie(SESSION_COOKIE, "v", 0, true)
                .to_str()
                .unwrap()
                .ends_with("; Secure")
        );

        let plain: Uri = "/portal/login".parse().unwrap();
        let auto = PortalSettings::default();
        let mut headers = HeaderMap::new();
        assert!(!secure_cookies(&auto, &headers, &plain));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(secure_cookies(&auto, &headers, &plain));
        let never = PortalSettings {
            secure_cookies: Some(false),
        };
        assert!(!secure_cookies(&never, &headers, &plain));
        let always = PortalSettings {
            secure_cookies: Some(true),
        };
        assert!(secure_cookies(&always, &HeaderMap::new(), &plain));
        let mut forwarded = HeaderMap::new();
        forwarded.insert(
            header::FORWARDED,
            HeaderValue::from_static("for=192.0.2.1;proto=https;host=example.com"),
        );
        assert!(secure_cookies(&auto, &forwarded, &plain));
    }
}
