//! One sync or reconciliation run's page (`/portal/runs/{id}`): what ran, when, how long and
//! how it ended; a failed run's error with its cause and what to do about it
//! (`domain::runs::advice`); and its steps as `domain::runs` recorded them — each page with
//! its records (new, changed, unchanged), its requests (status, time, budget waits) and the
//! connector's log lines, and the call that failed. A run of another tenant's connection is
//! a 404 (`access::connection`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::PortalState;
use super::error::{PortalError, render};
use super::runs::{Kind, duration_text, status_badge, trigger_label};
use super::session::SignedIn;
use super::views::{Badge, Nav, Section, When};
use junction_domain::runs::{self, Advice, CallTrace, Step};
use junction_store::StoreError;
use junction_store::runs::RECONCILE_RUN;

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new().route("/portal/runs/{id}", get(page))
}

/// A run's page URL.
pub fn run_href(run_id: &str) -> String {
    format!("/portal/runs/{run_id}")
}

/// One request of a step.
pub struct RequestRow {
    pub method: String,
    pub target: String,
    pub outcome: String,
    pub failed: bool,
    pub duration_ms: u64,
    pub budget_wait_ms: u64,
}

/// One step of the run.
pub struct StepRow {
    pub seq: i64,
    pub at: Option<When>,
    /// What it did, in words.
    pub summary: String,
    pub failed: bool,
    pub duration_ms: u64,
    pub request_count: usize,
    pub budget_wait_ms: u64,
    pub requests: Vec<RequestRow>,
    pub logs: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "portal/run.html")]
pub struct RunPage {
    pub title: String,
    pub nav: Nav,
    pub run_id: String,
    pub connection_id: String,
    pub connection_name: String,
    pub resource: String,
    pub reconcile: bool,
    pub trigger: String,
    pub status: Badge,
    pub started: Option<When>,
    pub duration: String,
    pub pages: i64,
    pub records: i64,
    pub deleted: i64,
    pub host: Option<String>,
    pub error: Option<String>,
    pub advice: Option<Advice>,
    pub steps: Vec<StepRow>,
    pub steps_dropped: u64,
}

fn step_row(seq: i64, at_ms: i64, step: Option<Step>) -> StepRow {
    let (summary, failed, trace) = match step {
        Some(Step::Page(p)) => {
            let of = p
                .parent_id
                .as_ref()
                .map(|product| format!(" (variations of product {product})"))
                .unwrap_or_default();
            (
                format!(
                    "Page {}{of}: {} record{}, {} new, {} changed, {} unchanged{}",
                    p.page,
                    p.records,
                    if p.records == 1 { "" } else { "s" },
                    p.created,
                    p.updated,
                    p.unchanged,
                    match p.deleted {
                        0 => String::new(),
                        n => format!(", {n} deleted in the system"),
                    }
                ),
                false,
                p.call,
            )
        }
        Some(Step::CallFailed(f)) => (format!("The call failed: {}", f.error), true, f.call),
        Some(Step::Read(_) | Step::Writes(_)) | None => (
            "A step this version cannot show".to_string(),
            false,
            CallTrace::default(),
        ),
    };
    StepRow {
        seq,
        at: When::from_ms(at_ms),
        summary,
        failed,
        duration_ms: trace.duration_ms,
        request_count: trace.requests.len(),
        budget_wait_ms: trace.budget_wait_ms(),
        requests: trace
            .requests
            .iter()
            .map(|r| RequestRow {
                method: r.method.clone(),
                target: r.target.clone(),
                outcome: match (&r.status, &r.error) {
                    (Some(status), _) => format!("HTTP {status}"),
                    (None, Some(error)) => error.clone(),
                    (None, None) => "no answer".into(),
                },
                failed: r.status.is_none_or(|s| s >= 400),
                duration_ms: r.duration_ms,
                budget_wait_ms: r.budget_wait_ms,
            })
            .collect(),
        logs: trace
            .logs
            .into_iter()
            .map(|l| (l.level, l.message))
            .collect(),
    }
}

/// `GET /portal/runs/{id}`.
async fn page(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let not_found = || PortalError::NotFound("There is no such run".into());
    let detail = match runs::detail(&state.hub.store, &id).await {
        Ok(detail) => detail,
        Err(StoreError::NotFound { .. }) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let connection =
        match super::access::connection(&state, &session, &detail.run.connection_id).await {
            Ok(c) => c,
            Err(PortalError::NotFound(_)) => return Err(not_found()),
            Err(e) => return Err(e),
        };
    let run = &detail.run;
    let reconcile = run.kind == RECONCILE_RUN;
    let started = When::from_ms(run.started_ms);
    let page = RunPage {
        title: format!(
            "{} of {} on {}",
            if reconcile { "Reconciliation" } else { "Sync" },
            run.resource,
            started.as_ref().map_or(String::new(), |w| w.text.clone())
        ),
        nav: Nav::new(&session, Section::Runs),
        run_id: run.id.clone(),
        connection_id: connection.id.clone(),
        connection_name: connection.name.clone(),
        resource: run.resource.clone(),
        reconcile,
        trigger: trigger_label(Kind::Sync, &run.trigger),
        status: status_badge(&run.status),
        started,
        duration: duration_text(run.started_ms, run.finished_ms),
        pages: run.pages,
        records: run.records,
        deleted: run.deleted,
        host: run.host.clone(),
        error: run.error.clone(),
        advice: detail.advice.clone(),
        steps: detail
            .steps
            .into_iter()
            .map(|(stored, step)| step_row(stored.seq, stored.at_ms, step))
            .collect(),
        steps_dropped: detail.steps_dropped,
    };
    Ok(render(StatusCode::OK, &page))
}
