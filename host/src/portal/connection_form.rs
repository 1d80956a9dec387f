//! The connection create form: generated from the chosen connector's config JSON Schema (secrets as password fields), with each error shown beside its field.

use axum::Router;

use super::PortalState;

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new()
}
