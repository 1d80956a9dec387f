//! Portal failures as HTML pages with the right status: a refused form (403, CSRF), a page
//! that does not exist (404), the database being unavailable (503) or anything else (500,
//! details only in the log).

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::session::SignedIn;
use super::views::{ErrorPage, Nav, SignedInErrorPage};
use junction_domain::DomainError;
use junction_store::StoreError;

/// Why a portal request failed.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// A POST whose CSRF token or origin did not check out.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("form too large")]
    TooLarge,
    /// Input the domain refused (where a page has no field to show it beside).
    #[error("{0}")]
    Invalid(String),
    /// Too many of this kind of request at once; try again shortly.
    #[error("{0}")]
    Busy(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match &self {
            PortalError::Forbidden(reason) => (
                StatusCode::FORBIDDEN,
                "Form refused",
                format!(
                    "The form could not be accepted: {reason}. This check (CSRF protection) \
                     stops other sites from sending forms in your name. Go back, reload the \
                     page and try again."
                ),
            ),
            PortalError::NotFound(what) => (StatusCode::NOT_FOUND, "Not found", format!("{what}.")),
            PortalError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Form too large",
                "The form sent more data than the portal accepts.".to_string(),
            ),
            PortalError::Invalid(why) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Not accepted",
                format!("{why} Go back and change it."),
            ),
            PortalError::Busy(what) => {
                let mut response = error_page(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Busy",
                    format!("{what} Try again in a few seconds."),
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                return response;
            }
            PortalError::Store(StoreError::NotFound { what, .. }) => (
                StatusCode::NOT_FOUND,
                "Not found",
                format!("There is no such {what}."),
            ),
            PortalError::Store(e) => {
                tracing::error!(error = %e, "portal: store failure");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Temporarily unavailable",
                    "The database is not answering. Try again in a moment.".to_string(),
                )
            }
            PortalError::Internal(e) => {
                tracing::error!(error = %e, "portal: internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The portal could not show this page. The server's log says why.".to_string(),
                )
            }
        };
        error_page(status, heading, message)
    }
}

/// What an error page said, kept on its response so [`keep_sidebar`] can show it again
/// inside the layout.
#[derive(Clone)]
struct ErrorText {
    heading: &'static str,
    message: String,
}

/// The standalone error page (for visitors who are not signed in), marked with its text.
fn error_page(status: StatusCode, heading: &'static str, message: String) -> Response {
    let mut response = render(
        status,
        &ErrorPage {
            title: heading,
            heading,
            message: &message,
        },
    );
    response
        .extensions_mut()
        .insert(ErrorText { heading, message });
    response
}

/// Middleware: a signed-in session's error pages (an unknown page, a missing record, a
/// refused form) keep the sidebar. The status and headers stay; only the body is the
/// layout's.
pub async fn keep_sidebar(request: Request, next: Next) -> Response {
    let session = request.extensions().get::<SignedIn>().cloned();
    let response = next.run(request).await;
    let (Some(session), Some(text)) = (session, response.extensions().get::<ErrorText>()) else {
        return response;
    };
    let page = render(
        response.status(),
        &SignedInErrorPage {
            title: text.heading,
            nav: Nav::of_page(&session, None),
            heading: text.heading,
            message: &text.message,
        },
    );
    let (mut parts, _) = response.into_parts();
    let (fresh, body) = page.into_parts();
    if fresh.status != parts.status {
        // The layout failed to render: its own 500 answer stands.
        return Response::from_parts(fresh, body);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

impl From<DomainError> for PortalError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(problems) => PortalError::Invalid(
                problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            DomainError::Store(e) => PortalError::Store(e),
            DomainError::Hub(e) => PortalError::Internal(e.to_string()),
            DomainError::Internal(e) => PortalError::Internal(e),
        }
    }
}

/// A rendered template as an HTML response with `status`.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "portal: a template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}
