//! The portal's small pages: `/portal` itself (to the Connections page, or to sign-in), the
//! static files (stylesheet and the small progressive script, embedded in the binary) and
//! the portal's 404.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::error::PortalError;
use super::session::SignedIn;
use super::views::Section;

/// Where static files are served from (no session needed).
pub const STATIC_PREFIX: &str = "/portal/static/";
pub const STYLESHEET_PATH: &str = "/portal/static/portal.css";
const STYLESHEET: &str = include_str!("../static/portal.css");
pub const SCRIPT_PATH: &str = "/portal/static/portal.js";
const SCRIPT: &str = include_str!("../static/portal.js");

/// `GET /portal`: the portal's first page.
pub async fn home(session: Option<SignedIn>) -> Redirect {
    match session {
        Some(_) => Redirect::to(Section::Connections.href()),
        None => Redirect::to(super::signin::LOGIN_PATH),
    }
}

/// `GET /portal/static/portal.css`.
pub async fn stylesheet() -> Response {
    static_file(STYLESHEET, "text/css; charset=utf-8")
}

/// `GET /portal/static/portal.js`.
pub async fn script() -> Response {
    static_file(SCRIPT, "text/javascript; charset=utf-8")
}

fn static_file(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
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
