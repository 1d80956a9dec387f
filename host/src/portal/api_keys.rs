//! API keys: per connection (generate — shown once with a copy button and a warning —, list with prefix, created and last used, revoke) and the page across connections.

use axum::Router;

use super::PortalState;

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new()
}
