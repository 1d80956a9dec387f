//! The Connections page: each connection with its connector, its health (from each
//! resource's last sync: status and error), the last sync time and record counts, read
//! from the store (`connections`, `sync_state`) as the admin API's connection view does.
//! A user sees their tenant's connections only; the operator sees every tenant's, grouped
//! by tenant, with a picker to show one. Empty tenants say what to do next.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::PortalState;
use super::error::{PortalError, render};
use super::session::SignedIn;
use super::views::{
    Badge, ConnectionCard, ConnectionsPage, Nav, ResourceRow, Section, TenantGroup, TenantLink,
    When, query_value,
};
use junction_contract::ResourceKind;
use junction_domain::freshness;
use junction_store::portal_sessions::SessionOwner;
use junction_store::{Connection, SyncState};

#[derive(Deserialize)]
pub struct ConnectionsQuery {
    /// The operator's tenant choice (id or name); ignored for users.
    tenant: Option<String>,
    /// What the last action did.
    done: Option<String>,
}

/// `GET /portal/connections[?tenant=...]`.
pub async fn page(
    State(state): State<PortalState>,
    session: SignedIn,
    Query(query): Query<ConnectionsQuery>,
) -> Result<Response, PortalError> {
    let store = &state.hub.store;
    let mut picker = Vec::new();
    let mut no_tenants = false;
    let shown: Vec<(String, String)> = match &session.owner {
        SessionOwner::User {
            tenant_id,
            tenant_name,
            ..
        } => vec![(tenant_id.clone(), tenant_name.clone())],
        SessionOwner::Operator => {
            let tenants = store.tenants().await?;
            no_tenants = tenants.is_empty();
            let chosen = match query.tenant.as_deref().filter(|t| !t.is_empty()) {
                Some(wanted) => Some(
                    tenants
                        .iter()
                        .find(|t| t.id == wanted || t.name == wanted)
                        .map(|t| t.id.clone())
                        .ok_or_else(|| PortalError::NotFound("There is no such tenant".into()))?,
                ),
                None => None,
            };
            if !tenants.is_empty() {
                picker.push(TenantLink {
                    href: Section::Connections.href().to_string(),
                    label: "All tenants".into(),
                    current: chosen.is_none(),
                });
            }
            for tenant in &tenants {
                picker.push(TenantLink {
                    href: format!(
                        "{}?tenant={}",
                        Section::Connections.href(),
                        query_value(&tenant.id)
                    ),
                    label: tenant.name.clone(),
                    current: chosen.as_deref() == Some(tenant.id.as_str()),
                });
            }
            tenants
                .into_iter()
                .filter(|t| chosen.as_deref().is_none_or(|c| c == t.id))
                .map(|t| (t.id, t.name))
                .collect()
        }
    };
    let mut groups = Vec::with_capacity(shown.len());
    for (tenant_id, tenant_name) in shown {
        let mut connections = Vec::new();
        for connection in store.connections(Some(&tenant_id)).await? {
            let states = store.sync_states(&connection.id).await?;
            connections.push(card(&state, connection, states));
        }
        groups.push(TenantGroup {
            tenant_name,
            connections,
        });
    }
    let mut connector_keys: Vec<String> = state
        .hub
        .registry
        .snapshot()
        .connectors()
        .map(|c| c.key().to_string())
        .collect();
    connector_keys.sort();
    Ok(render(
        StatusCode::OK,
        &ConnectionsPage {
            title: "Connections",
            nav: Nav::new(&session, Section::Connections),
            operator: session.is_operator(),
            picker,
            groups,
            no_tenants,
            connector_keys,
            notice: match query.done.as_deref() {
                Some("deleted") => Some(
                    "The connection is deleted: its records, sync state, keys and scoped \
                     webhooks are gone, and the automations that used it are turned off.",
                ),
                _ => None,
            },
        },
    ))
}

fn card(state: &PortalState, connection: Connection, states: Vec<SyncState>) -> ConnectionCard {
    let loaded = state.hub.registry.get(&connection.connector_key);
    let connector = match &loaded {
        Some(c) => format!("{} {}", c.manifest.name, c.manifest.version),
        None => format!("{} (not loaded)", connection.connector_key),
    };
    let health = if connection.paused {
        super::connections::paused_badge()
    } else {
        health(loaded.is_some(), &states)
    };
    let last_sync = states
        .iter()
        .filter_map(|s| s.last_run_ms)
        .max()
        .and_then(When::from_ms);
    let records = states.iter().map(|s| s.record_count).sum();
    let resources = states
        .into_iter()
        .map(|s| ResourceRow {
            status: resource_status(&s, junction_store::now_ms()),
            last_sync: s.last_run_ms.and_then(When::from_ms),
            name: s.resource,
            records: s.record_count,
            last_error: s.last_error,
        })
        .collect();
    ConnectionCard {
        id: connection.id,
        name: connection.name,
        connector,
        health,
        last_sync,
        records,
        resources,
    }
}

fn badge(label: impl Into<String>, tone: &'static str) -> Badge {
    Badge {
        label: label.into(),
        tone,
    }
}

/// One resource's state in words (also the details page's, and its live status).
pub(super) fn resource_status(state: &SyncState, now_ms: i64) -> Badge {
    if state.run_id.is_some() {
        return badge("Syncing now", "neutral");
    }
    if !state.enabled {
        return badge("Off", "neutral");
    }
    let overdue = ResourceKind::parse(&state.resource)
        .map(|kind| freshness::of(state, kind, now_ms))
        .ok()
        .filter(|f| f.stale)
        .and_then(|f| f.synced_at_ms);
    match state.last_status.as_deref() {
        None => badge("Not synced yet", "neutral"),
        Some("succeeded") => match overdue {
            // The same rule the Runtime API's `Junction-Stale` header follows.
            Some(at) => badge(
                format!(
                    "Stale: last synced {} min ago",
                    now_ms.saturating_sub(at) / 60_000
                ),
                "warn",
            ),
            None => badge("OK", "good"),
        },
        Some("failed") if state.failures > 1 => {
            badge(format!("Failing ({} in a row)", state.failures), "bad")
        }
        Some("failed") => badge("Failed", "bad"),
        Some("interrupted") => badge("Interrupted; resumes", "warn"),
        Some("deferred") => badge("Deferred", "warn"),
        Some(other) => badge(other, "neutral"),
    }
}

/// A paused connection's health badge (whatever its resources say).
pub(super) fn paused_badge() -> Badge {
    badge("Paused", "warn")
}

/// The connection's health: the worst of its enabled resources (also on the details page).
pub(super) fn health(connector_loaded: bool, states: &[SyncState]) -> Badge {
    if !connector_loaded {
        return badge("Connector not loaded", "bad");
    }
    let enabled: Vec<&SyncState> = states.iter().filter(|s| s.enabled).collect();
    if enabled.is_empty() {
        return badge("Paused: no resource syncs", "neutral");
    }
    fn status<'a>(s: &&'a SyncState) -> Option<&'a str> {
        s.last_status.as_deref()
    }
    if enabled.iter().any(|s| status(s) == Some("failed")) {
        return badge("Failing", "bad");
    }
    if enabled.iter().all(|s| status(s).is_none()) {
        return badge("Waiting for the first sync", "neutral");
    }
    if enabled
        .iter()
        .any(|s| matches!(status(s), Some("interrupted" | "deferred")))
    {
        return badge("Needs attention", "warn");
    }
    badge("Healthy", "good")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(resource: &str, enabled: bool, status: Option<&str>, failures: i64) -> SyncState {
        SyncState {
            connection_id: "c".into(),
            resource: resource.into(),
            enabled,
            cadence_secs: 300,
            next_run_ms: 0,
            run_cursor: None,
            run_since: None,
            run_id: None,
            high_water: None,
            last_run_ms: status.map(|_| 1_700_000_000_000),
            last_status: status.map(str::to_string),
            last_error: None,
            failures,
            record_count: 0,
            last_success_ms: None,
            reconcile_due_ms: None,
            last_reconciled_ms: None,
        }
    }

    #[test]
    fn health_is_the_worst_enabled_resource() {
        let ok = state("orders", true, Some("succeeded"), 0);
        let failed = state("customers", true, Some("failed"), 3);
        let off_failed = state("products", false, Some("failed"), 1);
        let never = state("variations", true, None, 0);
        assert_eq!(health(true, &[ok.clone(), never.clone()]).label, "Healthy");
        assert_eq!(health(true, &[ok.clone(), failed.clone()]).label, "Failing");
        assert_eq!(health(true, &[ok.clone(), off_failed]).label, "Healthy");
        assert_eq!(
            health(true, std::slice::from_ref(&never)).label,
            "Waiting for the first sync"
        );
        assert_eq!(
            health(true, &[state("orders", false, None, 0)]).label,
            "Paused: no resource syncs"
        );
        assert_eq!(health(false, &[ok]).label, "Connector not loaded");
        assert_eq!(resource_status(&failed, 0).label, "Failing (3 in a row)");
        assert_eq!(resource_status(&never, 0).label, "Not synced yet");
        let mut overdue = state("orders", true, Some("succeeded"), 0);
        overdue.last_success_ms = Some(0);
        assert_eq!(resource_status(&overdue, 60_000).label, "OK");
        assert_eq!(
            resource_status(&overdue, 3_600_000).label,
            "Stale: last synced 60 min ago"
        );
    }
}
