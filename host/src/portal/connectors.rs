//! Connectors: the installed connectors with versions and capabilities, upload (multipart, CSRF-checked), hot-reload status and load errors.

use axum::Router;

use super::PortalState;

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new()
}
