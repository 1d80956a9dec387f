//! A connection's details page: its resources (enable, cadence, sync now, last run, record counts, last error), the health check button and the records-over-time chart.

use axum::Router;

use super::PortalState;

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new()
}
