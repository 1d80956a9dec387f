//! The portal's small pages: `/portal` itself (to the Connections page, or to sign-in), the
//! sidebar sections whose pages arrive with later increments (each says what it will show
//! and, for the operator, the admin CLI command that does it today), the stylesheet
//! (embedded in the binary) and the portal's 404.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::error::{PortalError, render};
use super::session::SignedIn;
use super::views::{Nav, PlaceholderPage, Section};

/// Where static files are served from (no session needed).
pub const STATIC_PREFIX: &str = "/portal/static/";
pub const STYLESHEET_PATH: &str = "/portal/static/portal.css";
const STYLESHEET: &str = include_str!("../../static/portal.css");

/// `GET /portal`: the portal's first page.
pub async fn home(session: Option<SignedIn>) -> Redirect {
    match session {
        Some(_) => Redirect::to(Section::Connections.href()),
        None => Redirect::to(super::signin::LOGIN_PATH),
    }
}

/// `GET /portal/static/portal.css`.
pub async fn stylesheet() -> Response {
    let mut response = STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// Anything else under `/portal`.
pub async fn not_found() -> PortalError {
    PortalError::NotFound("There is no such page in the portal".into())
}

fn placeholder(
    session: &SignedIn,
    section: Section,
    text: &'static str,
    command: &str,
) -> Response {
    let command = session.is_operator().then(|| command.to_string());
    render(
        StatusCode::OK,
        &PlaceholderPage {
            title: section.label(),
            nav: Nav::new(session, section),
            text,
            command,
        },
    )
}

/// `GET /portal/api-keys`.
pub async fn api_keys(session: SignedIn) -> Response {
    placeholder(
        &session,
        Section::ApiKeys,
        "Every API key of your connections — prefix, created, last used — with generate and \
         revoke, arrives here in the next portal update.",
        "junction admin keys list --tenant TENANT",
    )
}

/// `GET /portal/automations`.
pub async fn automations(session: SignedIn) -> Response {
    placeholder(
        &session,
        Section::Automations,
        "Automations between two connections — their runs, outbox and retries — arrive here in \
         a coming portal update.",
        "junction admin automations list --tenant TENANT",
    )
}

/// `GET /portal/connectors`.
pub async fn connectors(session: SignedIn) -> Response {
    placeholder(
        &session,
        Section::Connectors,
        "The installed connectors with their versions and capabilities, uploads and load \
         errors arrive here in a coming portal update.",
        "junction admin connectors list",
    )
}

/// `GET /portal/runs`.
pub async fn runs(session: SignedIn) -> Response {
    placeholder(
        &session,
        Section::Runs,
        "Sync runs across your connections, filterable and with their errors, arrive here in a \
         coming portal update. The Connections page shows each resource's last run today.",
        "junction admin connections runs CONNECTION_ID",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::STYLESHEET;

    /// A colour custom property's value, `--name: #rrggbb;`, from the stylesheet.
    fn colour(name: &str) -> [f64; 3] {
        let start = STYLESHEET
            .find(&format!("--{name}: #"))
            .unwrap_or_else(|| panic!("no --{name} in portal.css"));
        let hex = &STYLESHEET[start + name.len() + 5..start + name.len() + 11];
        let channel = |i: usize| f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
        [channel(0), channel(2), channel(4)]
    }

    /// WCAG 2 relative luminance and contrast ratio.
    fn contrast(a: &str, b: &str) -> f64 {
        let luminance = |rgb: [f64; 3]| {
            let linear = |c: f64| {
                if c <= 0.03928 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
        };
        let (la, lb) = (luminance(colour(a)), luminance(colour(b)));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn every_text_colour_pair_has_a_contrast_of_at_least_4_5_and_focus_3() {
        let text_pairs = [
            ("text", "page"),
            ("text", "surface"),
            ("muted", "surface"),
            ("muted", "page"),
            ("link", "surface"),
            ("link", "page"),
            ("button-text", "button"),
            ("sidebar-text", "sidebar"),
            ("sidebar-link", "sidebar"),
            ("sidebar-current-text", "sidebar-current"),
            ("good-text", "good"),
            ("bad-text", "bad"),
            ("warn-text", "warn"),
            ("neutral-text", "neutral"),
            ("notice-text", "notice"),
            ("text", "code"),
            ("error-text", "surface"),
        ];
        for (fg, bg) in text_pairs {
            let ratio = contrast(fg, bg);
            assert!(ratio >= 4.5, "--{fg} on --{bg}: {ratio:.2}:1");
        }
        // Focus rings are not text: WCAG asks 3:1 against what they sit on.
        for (ring, bg) in [
            ("focus", "surface"),
            ("focus", "page"),
            ("sidebar-focus", "sidebar"),
            ("sidebar-focus", "sidebar-current"),
        ] {
            let ratio = contrast(ring, bg);
            assert!(ratio >= 3.0, "--{ring} on --{bg}: {ratio:.2}:1");
        }
    }
}
