//! The portal's side of sessions: the `junction_session` cookie (HttpOnly, SameSite=Strict,
//! Path=/portal, Secure per [`super::PortalSettings`]) carrying the id of a session that
//! `domain::accounts::sessions` keeps (expiry, hashing, the operator's token check).
//! [`load`] resolves the cookie once per request and puts the [`SignedIn`] into the
//! request; handlers take it as an extractor, which sends anybody not signed in to the
//! sign-in page.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use super::error::PortalError;
use super::{PREFIX, PortalSettings, PortalState};
use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use junction_domain::accounts::sessions;
use junction_store::portal_sessions::SessionOwner;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "junction_session";

pub use junction_domain::accounts::sessions::{ABSOLUTE_MS, new_token, well_formed};

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
    let session = sessions::resolve(&state.hub.store, id, &state.admin_token).await?;
    Ok(session.map(|session| SignedIn {
        id_hash: session.id_hash,
        csrf: super::csrf::session_token(id),
        owner: session.owner,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
