//! Runs: sync runs across the session's connections, filterable, with their errors.

use axum::Router;

use super::PortalState;

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new()
}
