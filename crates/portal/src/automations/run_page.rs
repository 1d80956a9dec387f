//! One automation run's page (`/portal/automations/{id}/runs/{run}`): its counts, a failed
//! run's cause and what to do (`domain::runs::advice`), and its steps as
//! `domain::runs` recorded them — each page of changes it read with the records it skipped
//! and why, and each batch it delivered with every record's outcome (written, unchanged,
//! failed, parked with the error), each record linked to its page in the records browser.
//! The automation goes through [`super::automation`], so another tenant's is a 404.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::super::PortalState;
use super::super::error::{PortalError, render};
use super::super::records::record_url;
use super::super::runs::{Kind as RunKind, duration_text, trigger_label};
use super::super::session::SignedIn;
use super::super::views::{Badge, Nav, Section, When};
use super::{automation, page_path, run_status};
use junction_contract::ResourceKind;
use junction_domain::runs::{self, Advice, Step};
use junction_store::StoreError;

/// One record an automation step names.
pub struct RecordRow {
    pub id: String,
    /// Its page in the records browser.
    pub href: Option<String>,
    pub outcome: String,
    pub tone: &'static str,
    pub error: Option<String>,
}

/// One step of the run.
pub struct StepRow {
    pub seq: i64,
    pub at: Option<When>,
    pub summary: String,
    pub records: Vec<RecordRow>,
    /// Records the step held beyond those listed.
    pub more: u64,
}

#[derive(Template)]
#[template(path = "portal/automation_run.html")]
pub struct AutomationRunPage {
    pub title: String,
    pub nav: Nav,
    pub automation_id: String,
    pub automation_name: String,
    pub run_id: String,
    pub trigger: String,
    pub status: Badge,
    pub started: Option<When>,
    pub duration: String,
    pub read: i64,
    pub written: i64,
    pub skipped: i64,
    pub failed: i64,
    pub parked: i64,
    pub error: Option<String>,
    pub advice: Option<Advice>,
    pub steps: Vec<StepRow>,
}

/// The page of run `run_id` of automation `automation_id`.
pub fn run_path(automation_id: &str, run_id: &str) -> String {
    format!("{}/runs/{run_id}", page_path(automation_id))
}

fn outcome_words(outcome: &str) -> (&'static str, &'static str) {
    match outcome {
        "written" => ("Written", "good"),
        "unchanged" => ("Unchanged since the last write", "neutral"),
        "failed" => ("Failed; tried again later", "warn"),
        "parked" => ("Parked: needs a retry by hand", "bad"),
        "rate-limited" => ("Held back by the rate limit; tried again later", "warn"),
        "deleted" => (
            "Skipped: deleted in the source (never propagated)",
            "neutral",
        ),
        "echo" => ("Skipped: Junction's own write coming back", "neutral"),
        "nothing-to-write" => ("Skipped: nothing the other side takes", "neutral"),
        "unreadable" => ("Skipped: the stored record could not be read", "warn"),
        _ => ("Other", "neutral"),
    }
}

fn link(connection_id: &str, resource: &str, id: &str) -> Option<String> {
    ResourceKind::parse(resource)
        .ok()
        .map(|kind| record_url(connection_id, kind, "", id))
}

fn step_row(seq: i64, at_ms: i64, step: Option<Step>, names: &HashMap<String, String>) -> StepRow {
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let (summary, records, more) = match step {
        Some(Step::Read(read)) => {
            let summary = format!(
                "Read {} change{} of {} from {}: {} queued to write to {}, {} skipped",
                read.read,
                if read.read == 1 { "" } else { "s" },
                read.resource,
                name(&read.source_connection_id),
                read.queued,
                name(&read.target_connection_id),
                read.read.saturating_sub(read.queued)
            );
            let listed = read.skipped.len() as u64;
            let skipped_total = read.read.saturating_sub(read.queued);
            let rows = read
                .skipped
                .into_iter()
                .map(|s| {
                    let (outcome, tone) = outcome_words(&s.reason);
                    RecordRow {
                        href: link(&read.source_connection_id, &read.resource, &s.id),
                        id: s.id,
                        outcome: outcome.to_string(),
                        tone,
                        error: None,
                    }
                })
                .collect();
            (summary, rows, skipped_total.saturating_sub(listed))
        }
        Some(Step::Writes(writes)) => {
            let summary = format!(
                "Delivered {} write{} to {}",
                writes.total,
                if writes.total == 1 { "" } else { "s" },
                name(&writes.target_connection_id)
            );
            let listed = writes.writes.len() as u64;
            let rows = writes
                .writes
                .into_iter()
                .map(|w| {
                    let (outcome, tone) = outcome_words(&w.outcome);
                    RecordRow {
                        href: link(&w.source_connection_id, &w.resource, &w.source_id),
                        id: format!("{} {} ({})", w.resource, w.source_id, w.kind),
                        outcome: outcome.to_string(),
                        tone,
                        error: w.error,
                    }
                })
                .collect();
            (summary, rows, writes.total.saturating_sub(listed))
        }
        Some(Step::Page(_) | Step::CallFailed(_)) | None => {
            ("A step this page does not show".to_string(), Vec::new(), 0)
        }
    };
    StepRow {
        seq,
        at: When::from_ms(at_ms),
        summary,
        records,
        more,
    }
}

/// `GET /portal/automations/{id}/runs/{run}`.
pub async fn page(
    State(state): State<PortalState>,
    session: SignedIn,
    Path((id, run_id)): Path<(String, String)>,
) -> Result<Response, PortalError> {
    let row = automation(&state, &session, &id).await?;
    let detail = match runs::automation_detail(&state.hub.store, &row.id, &run_id).await {
        Ok(detail) => detail,
        Err(StoreError::NotFound { .. }) => {
            return Err(PortalError::NotFound("There is no such run".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let mut names = HashMap::new();
    for connection_id in [&row.source_connection_id, &row.target_connection_id] {
        if let Ok(c) = state.hub.store.connection(connection_id).await {
            names.insert(c.id, c.name);
        }
    }
    let run = &detail.run;
    let started = When::from_ms(run.started_ms);
    let page = AutomationRunPage {
        title: format!(
            "Run of {} on {}",
            row.name,
            started.as_ref().map_or(String::new(), |w| w.text.clone())
        ),
        nav: Nav::new(&session, Section::Automations),
        automation_id: row.id.clone(),
        automation_name: row.name.clone(),
        run_id: run.id.clone(),
        trigger: trigger_label(RunKind::Automation, &run.trigger),
        status: run_status(&run.status),
        started,
        duration: duration_text(run.started_ms, run.finished_ms),
        read: run.read,
        written: run.written,
        skipped: run.skipped,
        failed: run.failed,
        parked: run.parked,
        error: run.error.clone(),
        advice: detail.advice.clone(),
        steps: detail
            .steps
            .into_iter()
            .map(|(stored, step)| step_row(stored.seq, stored.at_ms, step, &names))
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}
