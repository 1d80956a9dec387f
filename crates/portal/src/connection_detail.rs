//! A connection's details page (`/portal/connections/{id}`): what it is (connector, tenant,
//! health, created), its resources (status, cadence, next and last run, record counts, last
//! error) with a schedule form per resource and "Sync now" buttons, the health check
//! button, the records-over-time chart ([`super::chart`]), the recent runs and the
//! connection's API keys ([`super::api_keys`]). A small JSON endpoint gives the live status
//! the progressive script polls while a sync runs.
//!
//! The operations are the domain's (`domain::connections`), as the admin API's are: the
//! cadence rule, `configure_resource`, `sync_now` (which wakes the scheduler), and the health
//! check is the Runtime API's (`hub.prepare` + `connector.check`), bounded by
//! `domain::connections::HEALTH_CHECK_TIMEOUT`. Its outcome is kept in the database for a while under a random id
//! (`Store::save_health_check`), bound to the session and connection, and the POST
//! redirects to the page showing it, so a reload shows the same outcome and never runs the
//! check again, whichever host of a load-balanced group answers the reload.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::PortalState;
use super::api_keys::{KeyForm, KeyRow};
use super::connections::{health, resource_status};
use super::error::{PortalError, render};
use super::runs::status_badge as run_status_badge;
use super::runs::{Kind as RunKind, duration_text, trigger_label};
use super::session::{SignedIn, well_formed};
use super::views::{Badge, Nav, Section, When, query_value};
use junction_contract::ResourceKind;
use junction_domain::connections;
use junction_store::portal_state::HealthCheck;
use junction_store::{Connection, Run, SyncState, now_ms};

/// The domain's cadence rule (`domain::connections::cadence_problem`), in the form's words.
pub const CADENCE_RANGE: &str = "Cadence must be between 10 and 604800 seconds (one week).";
/// How many runs the page lists.
const RECENT_RUNS: i64 = 20;

/// The schedule presets of the cadence select, in seconds; anything else is "Custom".
const PRESETS: [(i64, &str); 9] = [
    (60, "1 minute"),
    (300, "5 minutes"),
    (900, "15 minutes"),
    (1800, "30 minutes"),
    (3600, "1 hour"),
    (6 * 3600, "6 hours"),
    (12 * 3600, "12 hours"),
    (24 * 3600, "1 day"),
    (7 * 24 * 3600, "1 week"),
];
/// The select's value for "type the seconds yourself".
const CUSTOM: &str = "custom";

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new()
        .route("/portal/connections/{id}", get(page))
        .route("/portal/connections/{id}/status", get(live_status))
        .route(
            "/portal/connections/{id}/sync",
            post(sync_now).get(to_details),
        )
        .route(
            "/portal/connections/{id}/reconcile",
            post(reconcile_now).get(to_details),
        )
        .route(
            "/portal/connections/{id}/check",
            post(health_check).get(to_details),
        )
        .route(
            "/portal/connections/{id}/pause",
            post(pause).get(to_details),
        )
        .route(
            "/portal/connections/{id}/resume",
            post(resume).get(to_details),
        )
        .route(
            "/portal/connections/{id}/delete",
            post(delete).get(to_details),
        )
        .route(
            "/portal/connections/{id}/resources/{resource}",
            post(configure).get(to_details_from_resource),
        )
}

/// A stored health check outcome, as the page shows it.
fn check_view(check: HealthCheck) -> CheckView {
    CheckView {
        ok: check.ok,
        message: check.message,
        at: When::from_ms(check.at_ms),
        elapsed_ms: u128::try_from(check.elapsed_ms).unwrap_or(0),
    }
}

/// A health check's outcome on the page.
pub struct CheckView {
    pub ok: bool,
    /// What the connector reached (check-info), or why the check failed, in words.
    pub message: String,
    pub at: Option<When>,
    pub elapsed_ms: u128,
}

/// One preset of a cadence select.
pub struct CadenceOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A resource's last run.
pub struct LastRun {
    pub when: Option<When>,
    pub status: String,
    pub records: i64,
}

/// One resource: its state and its schedule form.
pub struct ResourceView {
    pub name: &'static str,
    pub status: Badge,
    pub cadence_text: String,
    pub next_run: String,
    pub last_run: Option<LastRun>,
    pub records: i64,
    pub last_error: Option<String>,
    /// The form's values (as stored, or as sent when the form was refused).
    pub enabled: bool,
    pub options: Vec<CadenceOption>,
    pub custom_value: String,
    pub error: Option<String>,
}

/// One run of the recent runs table.
pub struct RunView {
    /// The run's page: `/portal/runs/{id}`.
    pub id: String,
    pub started: Option<When>,
    pub resource: String,
    pub status: Badge,
    pub trigger: String,
    pub records: i64,
    pub duration: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/connection_detail.html")]
pub struct DetailPage {
    pub title: String,
    pub nav: Nav,
    pub id: String,
    pub name: String,
    pub connector: String,
    /// The tenant's name, for the operator (a user knows their tenant).
    pub tenant: Option<String>,
    pub health: Badge,
    pub created: Option<When>,
    pub total_records: i64,
    pub notice: Option<String>,
    /// The refused schedule form's resource, for the alert at the top.
    pub refused: Option<&'static str>,
    pub check: Option<CheckView>,
    pub resources: Vec<ResourceView>,
    /// Is a sync queued or running (the script then polls the status)?
    pub live: bool,
    pub chart_svg: String,
    pub chart_summary: String,
    pub runs: Vec<RunView>,
    pub keys: Vec<KeyRow>,
    pub key_form: KeyForm,
    /// Paused: no autosync and no automation touching it runs.
    pub paused: bool,
}

/// What a details page shows beyond the stored state.
pub(super) struct Extras {
    pub notice: Option<String>,
    pub check: Option<CheckView>,
    /// A refused schedule form, shown with its values and error.
    pub refused: Option<RefusedSchedule>,
    pub key_form: KeyForm,
}

impl Extras {
    pub(super) fn plain() -> Result<Self, PortalError> {
        Ok(Self {
            notice: None,
            check: None,
            refused: None,
            key_form: KeyForm::blank()?,
        })
    }
}

/// A schedule form that did not pass.
pub(super) struct RefusedSchedule {
    resource: ResourceKind,
    enabled: bool,
    choice: String,
    custom: String,
    error: String,
}

#[derive(Deserialize)]
pub struct PageQuery {
    /// What the last POST did (a fixed code, see [`notice_text`]).
    done: Option<String>,
    /// A health check outcome's id.
    check: Option<String>,
}

/// `GET /portal/connections/{id}`.
pub async fn page(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    let mut extras = Extras::plain()?;
    extras.notice = query.done.as_deref().and_then(notice_text);
    // Only the session that ran it sees it, and only on that connection's page.
    if let Some(check_id) = query.check.as_deref().filter(|c| well_formed(c)) {
        extras.check = state
            .hub
            .store
            .health_check(
                check_id,
                &session.id_hash,
                &connection.id,
                now_ms(),
                connections::check_kept_ms(),
            )
            .await?
            .map(check_view);
    }
    let live = query.done.as_deref().is_some_and(|d| d.starts_with("sync"));
    details_response(&state, &session, connection, extras, live, StatusCode::OK).await
}

/// Render the details page of `connection` (access checked by the caller).
pub(super) async fn details_response(
    state: &PortalState,
    session: &SignedIn,
    connection: Connection,
    extras: Extras,
    live: bool,
    status: StatusCode,
) -> Result<Response, PortalError> {
    let store = &state.hub.store;
    let now = now_ms();
    let loaded = state.hub.registry.get(&connection.connector_key);
    let connector = match &loaded {
        Some(c) => format!("{} {}", c.manifest.name, c.manifest.version),
        None => format!("{} (not loaded)", connection.connector_key),
    };
    let states = ordered(store.sync_states(&connection.id).await?);
    let health = if connection.paused {
        super::connections::paused_badge()
    } else {
        health(loaded.is_some(), &states)
    };
    let tenant = if session.is_operator() {
        Some(store.tenant(&connection.tenant_id).await?.name)
    } else {
        None
    };
    let mut resources = Vec::with_capacity(states.len());
    for s in &states {
        let Ok(kind) = ResourceKind::parse(&s.resource) else {
            continue;
        };
        let last = store.runs(&connection.id, Some(kind), 1).await?;
        let refused = extras.refused.as_ref().filter(|r| r.resource == kind);
        resources.push(resource_view(
            kind,
            s,
            last.into_iter().next(),
            refused,
            now,
        ));
    }
    let runs = store
        .runs(&connection.id, None, RECENT_RUNS)
        .await?
        .into_iter()
        .map(run_view)
        .collect();
    let chart = super::chart::records_chart(state, &connection.id).await?;
    let keys = super::api_keys::connection_keys(state, &connection).await?;
    let busy = busy(&states, now);
    let page = DetailPage {
        title: connection.name.clone(),
        nav: Nav::new(session, Section::Connections),
        total_records: states.iter().map(|s| s.record_count).sum(),
        health,
        tenant,
        connector,
        created: When::from_ms(connection.created_ms),
        notice: extras.notice,
        refused: extras
            .refused
            .as_ref()
            .map(|r| r.resource.as_str())
            .filter(|_| status != StatusCode::OK),
        check: extras.check,
        resources,
        live: live || busy,
        chart_svg: chart.svg,
        chart_summary: chart.summary,
        runs,
        keys,
        key_form: extras.key_form,
        paused: connection.paused,
        id: connection.id,
        name: connection.name,
    };
    Ok(render(status, &page))
}

/// Resources in the order Junction syncs them (the store sorts by name).
fn ordered(mut states: Vec<SyncState>) -> Vec<SyncState> {
    states.sort_by_key(|s| {
        ResourceKind::ALL
            .iter()
            .position(|k| k.as_str() == s.resource)
            .unwrap_or(usize::MAX)
    });
    states
}

/// Is anything of this connection running, or queued to run now?
fn busy(states: &[SyncState], now: i64) -> bool {
    states.iter().any(|s| s.run_id.is_some() || queued(s, now))
}

/// Due and waiting for the scheduler (after "Sync now", say).
fn queued(s: &SyncState, now: i64) -> bool {
    s.run_id.is_none() && s.enabled && s.next_run_ms <= now
}

/// A resource's status badge: [`resource_status`], or "Queued" while due and not running.
fn status_badge(s: &SyncState, now: i64) -> Badge {
    if queued(s, now) {
        return Badge {
            label: "Queued".into(),
            tone: "neutral",
        };
    }
    resource_status(s, now)
}

fn resource_view(
    kind: ResourceKind,
    s: &SyncState,
    last: Option<Run>,
    refused: Option<&RefusedSchedule>,
    now: i64,
) -> ResourceView {
    let (enabled, choice, custom, error) = match refused {
        Some(r) => (
            r.enabled,
            r.choice.clone(),
            r.custom.clone(),
            Some(r.error.clone()),
        ),
        None => {
            let preset = PRESETS.iter().any(|(secs, _)| *secs == s.cadence_secs);
            if preset {
                (s.enabled, s.cadence_secs.to_string(), String::new(), None)
            } else {
                (
                    s.enabled,
                    CUSTOM.to_string(),
                    s.cadence_secs.to_string(),
                    None,
                )
            }
        }
    };
    let mut options: Vec<CadenceOption> = PRESETS
        .iter()
        .map(|(secs, label)| CadenceOption {
            value: secs.to_string(),
            label: format!("Every {label}"),
            selected: choice == secs.to_string(),
        })
        .collect();
    let custom_selected = !options.iter().any(|o| o.selected);
    options.push(CadenceOption {
        value: CUSTOM.into(),
        label: "Custom (seconds below)".into(),
        selected: custom_selected,
    });
    let next_run = if !s.enabled {
        "Off".to_string()
    } else if s.run_id.is_some() {
        "Running now".to_string()
    } else if s.next_run_ms <= now {
        "Due now".to_string()
    } else {
        match When::from_ms(s.next_run_ms) {
            Some(when) => format!("{} ({})", when.text, in_words(s.next_run_ms - now)),
            None => "Unknown".to_string(),
        }
    };
    ResourceView {
        name: kind.as_str(),
        status: status_badge(s, now),
        cadence_text: format!("Every {}", seconds_in_words(s.cadence_secs)),
        next_run,
        last_run: last.map(|run| LastRun {
            when: When::from_ms(run.started_ms),
            status: run_status_badge(&run.status).label,
            records: run.records,
        }),
        records: s.record_count,
        last_error: s.last_error.clone(),
        enabled,
        options,
        custom_value: custom,
        error,
    }
}

fn run_view(run: Run) -> RunView {
    RunView {
        id: run.id.clone(),
        started: When::from_ms(run.started_ms),
        status: run_status_badge(&run.status),
        trigger: trigger_label(RunKind::Sync, &run.trigger),
        records: run.records,
        duration: duration_text(run.started_ms, run.finished_ms),
        error: run.error,
        resource: run.resource,
    }
}

/// `300` → `5 minutes`, `90` → `90 seconds`, `86400` → `1 day`.
fn seconds_in_words(secs: i64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if secs > 0 && secs % 86_400 == 0 {
        plural(secs / 86_400, "day")
    } else if secs > 0 && secs % 3600 == 0 {
        plural(secs / 3600, "hour")
    } else if secs > 0 && secs % 60 == 0 {
        plural(secs / 60, "minute")
    } else {
        plural(secs, "second")
    }
}

/// A time from now, roughly: `in 4 min`, `in 2 h 5 min`.
fn in_words(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    if secs < 60 {
        format!("in {secs} s")
    } else if secs < 3600 {
        format!("in {} min", secs / 60)
    } else if secs < 86_400 {
        format!("in {} h {} min", secs / 3600, secs % 3600 / 60)
    } else {
        format!("in {} d {} h", secs / 86_400, secs % 86_400 / 3600)
    }
}

/// The words for what the last POST did (codes in `?done=`; anything else shows nothing).
pub(super) fn notice_text(code: &str) -> Option<String> {
    let resource = |prefix: &str| {
        code.strip_prefix(prefix)
            .and_then(|r| ResourceKind::parse(r).ok())
            .map(ResourceKind::as_str)
    };
    if let Some(r) = resource("sync-") {
        return Some(format!(
            "A sync of {r} is queued. The status below updates while it runs."
        ));
    }
    if let Some(r) = resource("saved-") {
        return Some(format!("The schedule of {r} is saved."));
    }
    if let Some(r) = resource("off-") {
        return Some(format!(
            "Nothing was queued: {r} is off. Turn on \u{201c}Sync {r} automatically\u{201d} below first."
        ));
    }
    let text = match code {
        "sync" => {
            "A sync of every enabled resource is queued. The status below updates while it runs."
        }
        "created" => {
            "The connection is created. Its first sync starts by itself; the status below \
             updates while it runs."
        }
        "sync-none" => "Nothing was queued: every resource is off. Turn one on below first.",
        "reconcile" => {
            "Finding deletions is queued for every enabled resource: each syncs, then lists all \
             its records. The run history shows what was deleted."
        }
        "edited" => {
            "The connection is saved. Its settings passed the connector's check; every enabled \
             resource syncs now."
        }
        "edited-forced" => {
            "The connection is saved although the connector's check failed: its syncs fail \
             until the system answers with these settings."
        }
        "paused" => {
            "The connection is paused: nothing syncs and no automation touching it runs until \
             you resume it."
        }
        "resumed" => "The connection is resumed. Every enabled resource syncs now.",
        "delete-refused" => {
            "The connection was not deleted: type its name exactly as shown to confirm."
        }
        "key-revoked" => "The key is revoked. Requests that use it are refused from now on.",
        "key-already-shown" => {
            "That key was already created and shown once; it cannot be shown again. If you did \
             not copy it, revoke it and generate a new one."
        }
        _ => return None,
    };
    Some(text.to_string())
}

/// The details page of a connection, at `section` with `done` in the query.
pub(super) fn details_href(connection_id: &str, done: Option<&str>, section: &str) -> String {
    match done {
        Some(done) => format!("/portal/connections/{connection_id}?done={done}#{section}"),
        None => format!("/portal/connections/{connection_id}#{section}"),
    }
}

/// `GET` on a path that only takes forms: the details page.
async fn to_details(Path(id): Path<String>) -> Redirect {
    Redirect::to(&details_href(&query_value(&id), None, "main"))
}

async fn to_details_from_resource(Path((id, _)): Path<(String, String)>) -> Redirect {
    Redirect::to(&details_href(&query_value(&id), None, "resources"))
}

#[derive(Deserialize)]
pub struct SyncForm {
    /// One resource; none: every enabled resource.
    resource: Option<String>,
}

/// `POST /portal/connections/{id}/sync`: "Sync now" (one resource or all), as the admin
/// API's `sync_now`: make it due, wake the scheduler.
pub async fn sync_now(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<SyncForm>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    let resource = match form.resource.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => Some(
            ResourceKind::parse(r)
                .map_err(|_| PortalError::NotFound("There is no such resource".into()))?,
        ),
        None => None,
    };
    let queued = connections::sync_now(&state.hub, &connection.id, resource).await?;
    let done = match (queued, resource) {
        (0, Some(r)) => format!("off-{}", r.as_str()),
        (0, None) => "sync-none".to_string(),
        (_, Some(r)) => format!("sync-{}", r.as_str()),
        (_, None) => "sync".to_string(),
    };
    Ok(Redirect::to(&details_href(&connection.id, Some(&done), "resources")).into_response())
}

/// `POST /portal/connections/{id}/reconcile`: "Find deletions now" (every enabled resource),
/// as the admin API's `reconcile_now`.
pub async fn reconcile_now(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    let queued = connections::reconcile_now(&state.hub, &connection.id, None).await?;
    let done = if queued == 0 {
        "sync-none"
    } else {
        "reconcile"
    };
    Ok(Redirect::to(&details_href(&connection.id, Some(done), "resources")).into_response())
}

/// `POST /portal/connections/{id}/pause`: the domain's pause (no autosync, no automation).
pub async fn pause(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    connections::set_paused(&state.hub, &connection.id, true).await?;
    Ok(Redirect::to(&details_href(&connection.id, Some("paused"), "manage")).into_response())
}

/// `POST /portal/connections/{id}/resume`: resumed, every enabled resource syncs now.
pub async fn resume(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    connections::set_paused(&state.hub, &connection.id, false).await?;
    Ok(Redirect::to(&details_href(&connection.id, Some("resumed"), "resources")).into_response())
}

#[derive(Deserialize)]
pub struct DeleteForm {
    /// The connection's name, typed to confirm.
    confirm: Option<String>,
}

/// `POST /portal/connections/{id}/delete`: the domain's delete, confirmed by the name typed
/// (what it removes and keeps is the domain's; the page says it beside the button).
pub async fn delete(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    let typed = form.confirm.unwrap_or_default();
    // Only the name confirms here (the id is for the admin API and CLI).
    if typed.trim() != connection.name {
        return Ok(Redirect::to(&details_href(
            &connection.id,
            Some("delete-refused"),
            "manage",
        ))
        .into_response());
    }
    connections::delete(&state.hub, &connection.id, &connection.name).await?;
    Ok(Redirect::to("/portal/connections?done=deleted").into_response())
}

#[derive(Deserialize)]
pub struct ScheduleForm {
    /// The checkbox: present when ticked.
    enabled: Option<String>,
    /// A preset's seconds, or `custom`.
    cadence: Option<String>,
    /// The seconds typed, for `custom`.
    cadence_custom: Option<String>,
}

/// The cadence a schedule form asks for, or the error to show beside the field.
fn parse_cadence(choice: Option<&str>, custom: Option<&str>) -> Result<i64, String> {
    let choice = choice.map(str::trim).filter(|c| !c.is_empty());
    let typed = match choice {
        Some(CUSTOM) | None => custom.map(str::trim).unwrap_or(""),
        Some(preset) => preset,
    };
    if typed.is_empty() {
        return Err(format!(
            "Enter the cadence in seconds. {CADENCE_RANGE_SHORT}"
        ));
    }
    let secs: i64 = typed
        .parse()
        .map_err(|_| format!("Enter a whole number of seconds. {CADENCE_RANGE_SHORT}"))?;
    if connections::cadence_problem("cadence", secs).is_some() {
        return Err(CADENCE_RANGE.to_string());
    }
    Ok(secs)
}

/// The range, as a hint after another complaint.
const CADENCE_RANGE_SHORT: &str = "It must be between 10 and 604800 (one week).";

/// `POST /portal/connections/{id}/resources/{resource}`: enable or disable a resource and
/// set its cadence, as the admin API's `configure_resource` (same range); a refused form
/// comes back with 422, its values kept and the error beside the field.
pub async fn configure(
    State(state): State<PortalState>,
    session: SignedIn,
    Path((id, resource)): Path<(String, String)>,
    Form(form): Form<ScheduleForm>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    let not_found = || PortalError::NotFound("There is no such resource".into());
    let kind = ResourceKind::parse(&resource).map_err(|_| not_found())?;
    let store = &state.hub.store;
    // The resource must be one this connection syncs.
    store
        .sync_state(&connection.id, kind)
        .await
        .map_err(|e| match e {
            junction_store::StoreError::NotFound { .. } => not_found(),
            other => other.into(),
        })?;
    let enabled = form.enabled.is_some();
    match parse_cadence(form.cadence.as_deref(), form.cadence_custom.as_deref()) {
        Ok(cadence) => {
            let change = connections::ScheduleChange {
                enabled: Some(enabled),
                cadence_secs: Some(cadence),
            };
            connections::configure_resource(&state.hub, &connection.id, kind, change).await?;
            let done = format!("saved-{}", kind.as_str());
            Ok(
                Redirect::to(&details_href(&connection.id, Some(&done), "resources"))
                    .into_response(),
            )
        }
        Err(error) => {
            let mut extras = Extras::plain()?;
            extras.refused = Some(RefusedSchedule {
                resource: kind,
                enabled,
                choice: form.cadence.unwrap_or_else(|| CUSTOM.into()),
                custom: form.cadence_custom.unwrap_or_default(),
                error,
            });
            details_response(
                &state,
                &session,
                connection,
                extras,
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /portal/connections/{id}/check`: run the connector's health check for this
/// connection now, keep the outcome, and show it on the details page.
pub async fn health_check(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    let outcome_id =
        connections::check_for_session(&state.hub, &connection, &session.id_hash).await?;
    Ok(Redirect::to(&format!(
        "/portal/connections/{}?check={outcome_id}#health",
        connection.id
    ))
    .into_response())
}

/// `GET /portal/connections/{id}/status`: each resource's status, record count and last
/// run as JSON, for the script's live updates (a 404 for a connection this session may not
/// see, like the page).
pub async fn live_status(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Response {
    match status_json(&state, &session, &id).await {
        Ok(value) => Json(value).into_response(),
        Err(PortalError::NotFound(message)) => {
            (StatusCode::NOT_FOUND, Json(json!({ "error": message }))).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn status_json(
    state: &PortalState,
    session: &SignedIn,
    id: &str,
) -> Result<Value, PortalError> {
    let connection = super::access::connection(state, session, id).await?;
    let store = &state.hub.store;
    let now = now_ms();
    let states = ordered(store.sync_states(&connection.id).await?);
    let mut resources = Vec::with_capacity(states.len());
    for s in &states {
        let Ok(kind) = ResourceKind::parse(&s.resource) else {
            continue;
        };
        let last = store.runs(&connection.id, Some(kind), 1).await?;
        let badge = status_badge(s, now);
        let last_run = last.into_iter().next().map(|run| {
            let when = When::from_ms(run.started_ms);
            json!({
                "iso": when.as_ref().map(|w| w.iso.clone()),
                "text": when.as_ref().map(|w| w.text.clone()),
                "status": run_status_badge(&run.status).label,
                "records": run.records,
            })
        });
        resources.push(json!({
            "resource": kind.as_str(),
            "status": badge.label,
            "tone": badge.tone,
            "records": s.record_count,
            "lastRun": last_run,
            "lastError": s.last_error,
        }));
    }
    Ok(json!({ "busy": busy(&states, now), "resources": resources }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cadences_take_a_preset_or_custom_seconds_in_the_admin_apis_range() {
        assert_eq!(parse_cadence(Some("300"), Some("")), Ok(300));
        assert_eq!(
            parse_cadence(Some("300"), Some("5")),
            Ok(300),
            "a preset wins"
        );
        assert_eq!(parse_cadence(Some("custom"), Some(" 45 ")), Ok(45));
        assert_eq!(parse_cadence(None, Some("604800")), Ok(604_800));
        assert_eq!(parse_cadence(Some("custom"), Some("10")), Ok(10));
        assert_eq!(
            parse_cadence(Some("custom"), Some("9")),
            Err(CADENCE_RANGE.to_string())
        );
        assert_eq!(
            parse_cadence(Some("custom"), Some("604801")),
            Err(CADENCE_RANGE.to_string())
        );
        assert_eq!(
            parse_cadence(Some("5"), None),
            Err(CADENCE_RANGE.to_string()),
            "a forged preset is checked too"
        );
        let words = parse_cadence(Some("custom"), Some("ten")).unwrap_err();
        assert!(
            words.contains("whole number") && words.contains("604800"),
            "{words}"
        );
        let empty = parse_cadence(Some("custom"), Some(" ")).unwrap_err();
        assert!(empty.contains("Enter the cadence"), "{empty}");
        // The admin API's bounds.
        assert_eq!(
            (connections::CADENCE_MIN_SECS, connections::CADENCE_MAX_SECS),
            (10, 604_800)
        );
    }

    #[test]
    fn times_read_as_words() {
        assert_eq!(seconds_in_words(300), "5 minutes");
        assert_eq!(seconds_in_words(60), "1 minute");
        assert_eq!(seconds_in_words(90), "90 seconds");
        assert_eq!(seconds_in_words(3600), "1 hour");
        assert_eq!(seconds_in_words(7200), "2 hours");
        assert_eq!(seconds_in_words(604_800), "7 days");
        assert_eq!(in_words(4 * 60_000 + 10), "in 4 min");
        assert_eq!(in_words(-5), "in 0 s");
    }

    #[test]
    fn notices_come_only_from_known_codes() {
        assert!(
            notice_text("sync")
                .unwrap()
                .contains("every enabled resource")
        );
        assert!(notice_text("sync-orders").unwrap().contains("orders"));
        assert!(
            notice_text("saved-customers")
                .unwrap()
                .contains("customers")
        );
        assert!(
            notice_text("off-products")
                .unwrap()
                .contains("products is off")
        );
        assert!(notice_text("key-revoked").unwrap().contains("revoked"));
        assert!(notice_text("created").unwrap().contains("first sync"));
        assert_eq!(notice_text("sync-<script>"), None);
        assert_eq!(notice_text("anything"), None);
    }

    fn state(resource: &str, enabled: bool, next_run_ms: i64, running: bool) -> SyncState {
        SyncState {
            connection_id: "c".into(),
            resource: resource.into(),
            enabled,
            cadence_secs: 300,
            next_run_ms,
            run_cursor: None,
            run_since: None,
            run_id: running.then(|| "run".to_string()),
            high_water: None,
            last_run_ms: None,
            last_status: None,
            last_error: None,
            failures: 0,
            record_count: 0,
            last_success_ms: None,
            reconcile_due_ms: None,
            last_reconciled_ms: None,
        }
    }

    #[test]
    fn busy_while_a_resource_runs_or_is_due() {
        let now = 1_000_000;
        let idle = state("orders", true, now + 60_000, false);
        let due = state("orders", true, now - 1, false);
        let off_due = state("customers", false, now - 1, false);
        let running = state("products", true, now + 60_000, true);
        assert!(!busy(&[idle.clone(), off_due.clone()], now));
        assert!(busy(&[idle.clone(), due.clone()], now));
        assert!(busy(&[idle, running.clone()], now));
        assert_eq!(status_badge(&due, now).label, "Queued");
        assert_eq!(status_badge(&running, now).label, "Syncing now");
        assert_eq!(status_badge(&off_due, now).label, "Off");
        let ordered = ordered(vec![
            state("variations", true, 0, false),
            state("customers", true, 0, false),
            state("orders", true, 0, false),
        ]);
        let names: Vec<&str> = ordered.iter().map(|s| s.resource.as_str()).collect();
        assert_eq!(names, ["orders", "customers", "variations"]);
    }

    #[test]
    fn the_schedule_form_shows_the_stored_cadence_or_custom() {
        let now = 1_000_000;
        let preset = resource_view(
            ResourceKind::Orders,
            &state("orders", true, now + 1000, false),
            None,
            None,
            now,
        );
        let selected: Vec<&str> = preset
            .options
            .iter()
            .filter(|o| o.selected)
            .map(|o| o.value.as_str())
            .collect();
        assert_eq!(selected, ["300"]);
        assert_eq!(preset.custom_value, "");
        let mut odd = state("orders", false, now, false);
        odd.cadence_secs = 45;
        let custom = resource_view(ResourceKind::Orders, &odd, None, None, now);
        assert!(custom.options.last().unwrap().selected);
        assert_eq!(custom.custom_value, "45");
        assert_eq!(custom.next_run, "Off");
        let refused = RefusedSchedule {
            resource: ResourceKind::Orders,
            enabled: true,
            choice: "custom".into(),
            custom: "5".into(),
            error: CADENCE_RANGE.into(),
        };
        let again = resource_view(ResourceKind::Orders, &odd, None, Some(&refused), now);
        assert!(again.enabled && again.custom_value == "5");
        assert_eq!(again.error.as_deref(), Some(CADENCE_RANGE));
    }
}
