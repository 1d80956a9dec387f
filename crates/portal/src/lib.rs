//! The Portal (`/portal`): the web UI for tenant users and the operator, rendered on the
//! server with askama (no build step; a small script only adds a copy button and live
//! status, and every page works without it). This module owns the router, the
//! portal's settings and the headers every portal response carries; the parts are:
//!
//! - [`session`]: the `junction_session` cookie and who is signed in (sessions themselves,
//!   passwords and the sign-in throttle are `domain::accounts`'s);
//! - [`csrf`]: the per-session form token and the same-origin checks on every POST;
//! - [`signin`]: the sign-in and sign-out pages;
//! - [`access`]: resolving ids from URLs and forms to what this session may see;
//! - [`connections`]: the Connections page; [`connection_form`]: creating a connection;
//!   [`connection_detail`]: one connection's resources, health check and chart ([`chart`]);
//!   [`records`]: the records browser (what the local copy holds, record by record);
//! - [`api_keys`]: keys per connection and across connections;
//! - [`automations`], [`webhooks`], [`connectors`], [`runs`]: those sidebar sections;
//!   [`users`]: the operator's portal users; [`run_detail`]: one run's story;
//! - [`pages`]: `/portal` itself, the static files (stylesheet, script), 404s;
//! - [`views`]: the templates' data, [`error`]: failures as HTML pages.
//!
//! A tenant user sees only their tenant's data; the operator (signed in with the admin
//! token) sees every tenant.

pub mod access;
pub mod api_keys;
pub mod automations;
pub mod chart;
pub mod connection_detail;
pub mod connection_edit;
pub mod connection_form;
pub mod connections;
pub mod connectors;
pub mod csrf;
pub mod error;
pub mod pages;
pub mod records;
pub mod run_detail;
pub mod runs;
pub mod session;
pub mod signin;
pub mod users;
pub mod views;
pub mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use junction_domain::accounts::sign_in::LoginThrottle;
use junction_domain::hub::Hub;

/// Where the portal is mounted; its cookies are scoped to this path.
pub const PREFIX: &str = "/portal";

/// The `[portal]` table of the config file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PortalSettings {
    /// The session cookie's `Secure` attribute: `true` always, `false` never (plain-http
    /// use on a trusted network), unset: only when the request came over https (directly,
    /// or through a proxy saying so in `X-Forwarded-Proto` / `Forwarded`).
    pub secure_cookies: Option<bool>,
}

/// What every portal handler can reach.
#[derive(Clone)]
pub struct PortalState {
    pub hub: Hub,
    pub admin_token: Arc<str>,
    pub settings: PortalSettings,
    pub throttle: Arc<LoginThrottle>,
}

impl PortalState {
    pub fn new(hub: Hub, admin_token: &str, settings: PortalSettings) -> Self {
        let throttle = Arc::new(LoginThrottle::new(hub.store.clone()));
        Self {
            hub,
            admin_token: Arc::from(admin_token),
            settings,
            throttle,
        }
    }
}

/// The portal's routes, with full paths (merged into the server's router). Every request
/// first resolves its session, then passes the CSRF guard (which acts on POSTs).
pub fn router(state: PortalState) -> Router {
    Router::new()
        .route(PREFIX, get(pages::home))
        .route("/portal/", get(pages::home))
        .route(
            signin::LOGIN_PATH,
            get(signin::login_page).post(signin::sign_in_user),
        )
        .route(signin::OPERATOR_LOGIN_PATH, post(signin::sign_in_operator))
        .route(signin::LOGOUT_PATH, post(signin::sign_out))
        .route("/portal/connections", get(connections::page))
        .merge(connection_form::routes())
        .merge(connection_edit::routes())
        .merge(connection_detail::routes())
        .merge(chart::routes())
        .merge(api_keys::routes())
        .merge(automations::routes())
        .merge(connectors::routes())
        .merge(runs::routes())
        .merge(run_detail::routes())
        .merge(records::routes())
        .merge(users::routes())
        .merge(webhooks::routes())
        .route(pages::STYLESHEET_PATH, get(pages::stylesheet))
        .route(pages::SCRIPT_PATH, get(pages::script))
        .route(
            "/portal/{*rest}",
            get(pages::not_found).post(pages::not_found),
        )
        .layer(middleware::from_fn(csrf::guard))
        .layer(middleware::from_fn(error::keep_sidebar))
        .layer(middleware::from_fn_with_state(state.clone(), session::load))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// Headers on every portal response: scripts and fetches from the portal itself only, no
/// frames or foreign form targets, no MIME sniffing, no referrer outside the server, and pages (which
/// show tenant data) kept out of shared caches.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &str); 5] = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; \
             img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
