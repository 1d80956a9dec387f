//! The records-synced-over-time chart of a connection, rendered on the server as SVG from
//! the run history.

use axum::Router;

use super::PortalState;
use super::error::PortalError;

/// A rendered chart: the SVG markup (built by this module from numbers only, so it is safe
/// to insert unescaped) and its text alternative.
pub struct RecordsChart {
    /// `<svg ...>...</svg>`, or empty when there is nothing to draw yet.
    pub svg: String,
    /// What the chart shows, in words (for screen readers and as the caption).
    pub summary: String,
}

/// The chart of connection `connection_id` (the caller has checked access).
pub async fn records_chart(
    _state: &PortalState,
    _connection_id: &str,
) -> Result<RecordsChart, PortalError> {
    Ok(RecordsChart {
        svg: String::new(),
        summary: "No runs yet.".into(),
    })
}

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new()
}
