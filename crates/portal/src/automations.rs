//! Automations: the list, the create form with a direction per entity ([`form`]), and one
//! automation's page with its settings, run now, run history and the outbox with retry
//! ([`detail`]). The work is done by `junction_domain::automations` and the store, as
//! for the admin API; this module resolves what the session may see and shapes pages.
//!
//! A tenant user sees their tenant's automations only: another tenant's automation id
//! gets the same 404 as one that does not exist, for pages and forms alike. The operator
//! sees every tenant's.

pub mod detail;
pub mod form;
pub mod run_page;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::PortalState;
use super::access;
use super::error::{PortalError, render};
use super::session::SignedIn;
use super::views::{Badge, Nav, Section, When};
use junction_domain::sync::automation::model::{Direction, Entities, flows};
use junction_store::StoreError;
use junction_store::automations::AutomationRow;
use junction_store::connections::Connection;

/// Where the list lives; an automation's page is `{LIST_PATH}/{id}`.
pub const LIST_PATH: &str = "/portal/automations";
/// The create form.
pub const NEW_PATH: &str = "/portal/automations/new";

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new()
        .route(LIST_PATH, get(list).post(form::create))
        .route(NEW_PATH, get(form::new_page))
        .route("/portal/automations/{id}", get(detail::page))
        .route("/portal/automations/{id}/settings", post(detail::save))
        .route("/portal/automations/{id}/run", post(detail::run_now))
        .route("/portal/automations/{id}/runs/{run}", get(run_page::page))
        .route(
            "/portal/automations/{id}/outbox/retry",
            post(detail::retry_parked),
        )
        .route(
            "/portal/automations/{id}/outbox/{entry}/retry",
            post(detail::retry_one),
        )
        .route(
            "/portal/automations/{id}/delete",
            get(detail::confirm_delete).post(detail::delete),
        )
}

/// The automation `id`, if this session may see it; otherwise the same 404 as for an id
/// that does not exist (nothing tells a user another tenant's id is real).
pub async fn automation(
    state: &PortalState,
    session: &SignedIn,
    id: &str,
) -> Result<AutomationRow, PortalError> {
    let not_found = || PortalError::NotFound("There is no such automation".into());
    let row = match state.hub.store.automation(id).await {
        Ok(row) => row,
        Err(StoreError::NotFound { .. }) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    if access::may_see_tenant(session, &row.tenant_id) {
        Ok(row)
    } else {
        Err(not_found())
    }
}

/// The page of automation `id`.
pub fn page_path(id: &str) -> String {
    format!("{LIST_PATH}/{id}")
}

/// A connection named on a page, linked to its details.
pub struct ConnectionRef {
    pub href: String,
    pub name: String,
    /// The connector's key, to say what kind of system it is.
    pub connector: String,
}

impl ConnectionRef {
    fn of(connection: Option<&Connection>, id: &str) -> Self {
        match connection {
            Some(c) => Self {
                href: format!("/portal/connections/{}", c.id),
                name: c.name.clone(),
                connector: c.connector_key.clone(),
            },
            // Deleting a connection deletes its automations; this is only a race.
            None => Self {
                href: format!("/portal/connections/{id}"),
                name: format!("{id} (gone)"),
                connector: String::new(),
            },
        }
    }
}

/// One enabled entity and which way it flows, in words.
pub struct FlowView {
    pub entity: &'static str,
    pub from: String,
    pub to: String,
    /// "source → target" or "target → source".
    pub direction: &'static str,
}

/// The newest run in brief.
pub struct LastRun {
    pub status: Badge,
    pub started: Option<When>,
    pub written: i64,
    pub failed: i64,
    pub parked: i64,
}

/// An automation as the list and its own page summarise it.
pub struct AutomationCard {
    pub id: String,
    pub href: String,
    pub name: String,
    /// The tenant's name (shown to the operator only).
    pub tenant: Option<String>,
    pub source: ConnectionRef,
    pub target: ConnectionRef,
    pub flows: Vec<FlowView>,
    pub trigger: String,
    pub enabled: bool,
    pub state: Badge,
    pub last_run: Option<LastRun>,
    pub next_run: Option<When>,
    pub last_error: Option<String>,
    pub pending: i64,
    pub parked: i64,
}

/// Build a card from a row, its connections and its newest run.
pub async fn card(
    state: &PortalState,
    row: &AutomationRow,
    tenant: Option<String>,
) -> Result<AutomationCard, PortalError> {
    let store = &state.hub.store;
    let source = optional(store.connection(&row.source_connection_id).await)?;
    let target = optional(store.connection(&row.target_connection_id).await)?;
    let source = ConnectionRef::of(source.as_ref(), &row.source_connection_id);
    let target = ConnectionRef::of(target.as_ref(), &row.target_connection_id);
    let entities: Entities = serde_json::from_str(&row.entities).unwrap_or_default();
    let mut flow_views: Vec<FlowView> = flows(&entities)
        .into_iter()
        .map(|flow| {
            let (from, to, direction) = match flow.direction {
                Direction::SourceToTarget => (&source, &target, "source → target"),
                Direction::TargetToSource => (&target, &source, "target → source"),
            };
            FlowView {
                entity: flow.resource.as_str(),
                from: from.name.clone(),
                to: to.name.clone(),
                direction,
            }
        })
        .collect();
    // Shown in the order people think of them (the run order puts customers first).
    flow_views.sort_by_key(|f| form::ENTITY_ORDER.iter().position(|e| *e == f.entity));
    let newest = store.automation_runs(&row.id, 1).await?;
    let (pending, parked) = store.outbox_counts(&row.id).await?;
    Ok(AutomationCard {
        id: row.id.clone(),
        href: page_path(&row.id),
        name: row.name.clone(),
        tenant,
        source,
        target,
        flows: flow_views,
        trigger: trigger_words(row.cadence_secs, row.on_change),
        enabled: row.enabled,
        state: if row.enabled {
            badge("Enabled", "good")
        } else {
            badge("Disabled: does not run", "neutral")
        },
        last_run: newest.first().map(|run| LastRun {
            status: run_status(&run.status),
            started: When::from_ms(run.started_ms),
            written: run.written,
            failed: run.failed,
            parked: run.parked,
        }),
        next_run: row
            .enabled
            .then(|| When::from_ms(row.next_run_ms))
            .flatten(),
        last_error: row.last_error.clone(),
        pending,
        parked,
    })
}

fn optional<T>(found: Result<T, StoreError>) -> Result<Option<T>, PortalError> {
    match found {
        Ok(value) => Ok(Some(value)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub fn badge(label: impl Into<String>, tone: &'static str) -> Badge {
    Badge {
        label: label.into(),
        tone,
    }
}

/// A run's status in words.
pub fn run_status(status: &str) -> Badge {
    match status {
        "running" => badge("Running", "neutral"),
        "succeeded" => badge("Succeeded", "good"),
        "partial" => badge("Partial: some writes wait in the outbox", "warn"),
        "failed" => badge("Failed", "bad"),
        "interrupted" => badge("Interrupted; resumes", "warn"),
        other => badge(other, "neutral"),
    }
}

/// "every 5 minutes", "every hour", "every 90 seconds".
pub fn cadence_words(secs: i64) -> String {
    let (n, unit) = if secs > 0 && secs % 86_400 == 0 {
        (secs / 86_400, "day")
    } else if secs > 0 && secs % 3600 == 0 {
        (secs / 3600, "hour")
    } else if secs > 0 && secs % 60 == 0 {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    if n == 1 {
        format!("every {unit}")
    } else {
        format!("every {n} {unit}s")
    }
}

/// When an automation runs, in words.
pub fn trigger_words(cadence_secs: i64, on_change: bool) -> String {
    let mut words = cadence_words(cadence_secs);
    if let Some(first) = words.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    if on_change {
        words.push_str(", and as soon as either side's records change");
    }
    words
}

#[derive(Deserialize)]
pub struct ListQuery {
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/automations.html")]
pub struct ListPage {
    pub title: &'static str,
    pub nav: Nav,
    pub operator: bool,
    pub notice: Option<&'static str>,
    pub automations: Vec<AutomationCard>,
    /// Can an automation be made (some tenant in view has two connections)?
    pub can_create: bool,
    /// Connections in view (for the empty state's advice).
    pub connection_count: usize,
}

/// `GET /portal/automations`.
pub async fn list(
    State(state): State<PortalState>,
    session: SignedIn,
    Query(query): Query<ListQuery>,
) -> Result<Response, PortalError> {
    let store = &state.hub.store;
    let tenant_names: HashMap<String, String> = if session.is_operator() {
        store
            .tenants()
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect()
    } else {
        HashMap::new()
    };
    let rows = store.automations(session.tenant_id()).await?;
    let mut automations = Vec::with_capacity(rows.len());
    for row in &rows {
        let tenant = session.is_operator().then(|| {
            tenant_names
                .get(&row.tenant_id)
                .cloned()
                .unwrap_or_else(|| row.tenant_id.clone())
        });
        automations.push(card(&state, row, tenant).await?);
    }
    let connections = store.connections(session.tenant_id()).await?;
    Ok(render(
        StatusCode::OK,
        &ListPage {
            title: "Automations",
            nav: Nav::new(&session, Section::Automations),
            operator: session.is_operator(),
            notice: match query.notice.as_deref() {
                Some("deleted") => Some("The automation was deleted."),
                _ => None,
            },
            automations,
            can_create: form::some_tenant_has_two(&connections),
            connection_count: connections.len(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cadences_and_triggers_read_as_words() {
        assert_eq!(cadence_words(300), "every 5 minutes");
        assert_eq!(cadence_words(3600), "every hour");
        assert_eq!(cadence_words(90), "every 90 seconds");
        assert_eq!(cadence_words(86_400 * 2), "every 2 days");
        assert_eq!(cadence_words(60), "every minute");
        assert_eq!(trigger_words(600, false), "Every 10 minutes");
        assert_eq!(
            trigger_words(3600, true),
            "Every hour, and as soon as either side's records change"
        );
    }

    #[test]
    fn run_statuses_say_what_they_mean() {
        assert_eq!(run_status("partial").tone, "warn");
        assert_eq!(run_status("failed").label, "Failed");
        assert_eq!(run_status("succeeded").tone, "good");
    }
}
