//! Automations: the list, the create form with a direction per entity, run now, run history and the outbox with retry.

use axum::Router;

use super::PortalState;

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new()
}
