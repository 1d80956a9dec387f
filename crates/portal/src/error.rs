//! Portal failures as HTML pages with the right status: a refused form (403, CSRF), a page
//! that does not exist (404), the database being unavailable (503) or anything else (500,
//! details only in the log).

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::views::ErrorPage;
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
                let mut response = render(
                    StatusCode::TOO_MANY_REQUESTS,
                    &ErrorPage {
                        title: "Busy",
                        heading: "Busy",
                        message: &format!("{what} Try again in a few seconds."),
                    },
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
        render(
            status,
            &ErrorPage {
                title: heading,
                heading,
                message: &message,
            },
        )
    }
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
