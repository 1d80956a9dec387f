//! How fresh a connection's local copy of a resource is, and whether it may be read at all:
//! the one rule the Runtime API (headers, `503 not_synced_yet`, the unsupported-resource
//! 404, `capabilities`, `health/connection`) and the portal (the stale badge) share.
//!
//! A resource is **stale** when its last run failed, or when it is enabled and its newest
//! successful sync is older than three cadences (the next sync is overdue by more than
//! twice its cadence). A resource the connector reads but that has never synced
//! successfully cannot be read yet: an empty answer would look like an empty shop.

use junction_contract::ResourceKind;
use junction_runtime::manifest::accepts_push;
use junction_store::sync_state::SyncState;

use crate::DomainError;
use crate::hub::Hub;

/// A resource's freshness as a reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freshness {
    pub resource: ResourceKind,
    /// When its newest successful sync ended (none: never).
    pub synced_at_ms: Option<i64>,
    pub stale: bool,
    /// Whether autosync is on for it.
    pub enabled: bool,
    /// A run is in progress.
    pub syncing: bool,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub next_run_ms: Option<i64>,
}

/// Whether a resource of a connection may be read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadAccess {
    /// Synced at least once: serve it, saying how fresh.
    Synced(Freshness),
    /// Filled by pushes (the connector takes it pushed: its copy is what was pushed).
    Pushed,
    /// The connector reads it but no sync has succeeded yet; try again after this long.
    NotSyncedYet {
        retry_after_secs: u64,
        reason: String,
    },
    /// The connector neither reads nor takes this resource.
    Unsupported {
        connector: String,
        readable: Vec<&'static str>,
    },
}

/// The freshness of one resource's state at `now_ms`.
pub fn of(state: &SyncState, resource: ResourceKind, now_ms: i64) -> Freshness {
    let cadence_ms = state.cadence_secs.max(1).saturating_mul(1000);
    let overdue = state.enabled
        && state
            .last_success_ms
            .is_some_and(|at| now_ms.saturating_sub(at) > cadence_ms.saturating_mul(3));
    let failed = state.last_status.as_deref() == Some("failed");
    Freshness {
        resource,
        synced_at_ms: state.last_success_ms,
        stale: state.last_success_ms.is_some() && (failed || overdue),
        enabled: state.enabled,
        syncing: state.run_id.is_some(),
        last_status: state.last_status.clone(),
        last_error: state.last_error.clone(),
        next_run_ms: state.enabled.then_some(state.next_run_ms),
    }
}

/// Every resource a connection's connector reads, with its freshness.
pub async fn of_connection(
    hub: &Hub,
    connection_id: &str,
    now_ms: i64,
) -> Result<Vec<Freshness>, DomainError> {
    let states = hub.store.sync_states(connection_id).await?;
    Ok(states
        .iter()
        .filter_map(|state| {
            ResourceKind::parse(&state.resource)
                .ok()
                .map(|kind| of(state, kind, now_ms))
        })
        .collect())
}

/// May `resource` of this connection be read now, and how fresh is it?
pub async fn read_access(
    hub: &Hub,
    connection_id: &str,
    connector_key: &str,
    resource: ResourceKind,
    now_ms: i64,
) -> Result<ReadAccess, DomainError> {
    let connector = hub.connector(connector_key)?;
    let manifest = &connector.manifest;
    // A pushed resource's copy is what was pushed: there is no system to be behind.
    if accepts_push(manifest, resource) {
        return Ok(ReadAccess::Pushed);
    }
    if !manifest.resources.contains(&resource) {
        let mut readable: Vec<&'static str> =
            manifest.resources.iter().map(|r| r.as_str()).collect();
        if accepts_push(manifest, ResourceKind::Orders) && !readable.contains(&"orders") {
            readable.push("orders");
        }
        return Ok(ReadAccess::Unsupported {
            connector: manifest.key.clone(),
            readable,
        });
    }
    let state = match hub.store.sync_state(connection_id, resource).await {
        Ok(state) => Some(state),
        Err(junction_store::StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let Some(state) = state else {
        // Read by the connector but without a schedule (added to the connector after the
        // connection was made): nothing will fill it until it is scheduled.
        return Ok(ReadAccess::NotSyncedYet {
            retry_after_secs: 60,
            reason: format!(
                "{} has no sync schedule on this connection yet",
                resource.as_str()
            ),
        });
    };
    let freshness = of(&state, resource, now_ms);
    if freshness.synced_at_ms.is_some() {
        return Ok(ReadAccess::Synced(freshness));
    }
    let (retry_after_secs, reason) = if freshness.syncing {
        (5, "its first sync is running".to_string())
    } else if !state.enabled {
        (
            u64::try_from(state.cadence_secs).unwrap_or(60).max(1),
            "its sync is turned off for this connection".to_string(),
        )
    } else {
        let wait_ms = state.next_run_ms.saturating_sub(now_ms).max(1000);
        let why = match (&state.last_status, &state.last_error) {
            (Some(status), Some(error)) => format!("its last sync {status}: {error}"),
            _ => "its first sync has not run yet".to_string(),
        };
        (u64::try_from((wait_ms + 999) / 1000).unwrap_or(60), why)
    };
    Ok(ReadAccess::NotSyncedYet {
        retry_after_secs,
        reason,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn state(status: Option<&str>, last_success_ms: Option<i64>, enabled: bool) -> SyncState {
        SyncState {
            connection_id: "c".into(),
            resource: "orders".into(),
            enabled,
            cadence_secs: 60,
            next_run_ms: 0,
            run_cursor: None,
            run_since: None,
            run_id: None,
            high_water: None,
            last_run_ms: None,
            last_status: status.map(str::to_string),
            last_error: None,
            failures: 0,
            record_count: 0,
            last_success_ms,
            reconcile_due_ms: None,
            last_reconciled_ms: None,
        }
    }

    #[test]
    fn stale_when_the_last_run_failed_or_three_cadences_passed() {
        let orders = ResourceKind::Orders;
        let now = 1_000_000;
        let fresh = of(
            &state(Some("succeeded"), Some(now - 170_000), true),
            orders,
            now,
        );
        assert!(!fresh.stale, "under three cadences (180 s)");
        let overdue = of(
            &state(Some("succeeded"), Some(now - 181_000), true),
            orders,
            now,
        );
        assert!(overdue.stale);
        let paused = of(
            &state(Some("succeeded"), Some(now - 999_000), false),
            orders,
            now,
        );
        assert!(!paused.stale, "a paused resource is not overdue");
        let failed = of(&state(Some("failed"), Some(now - 1_000), true), orders, now);
        assert!(failed.stale);
        let never = of(&state(Some("failed"), None, true), orders, now);
        assert!(!never.stale && never.synced_at_ms.is_none());
    }
}
