//! One automation's page: its summary, the settings form (name, entities with their
//! direction, cadence, on-change, enabled, mapping options; saved with the automation
//! service's `update`, so the same checks apply as at creation), "Run now", the run history
//! (newest 50), the outbox (parked rows with a retry each and "Retry all parked"; pending
//! rows with their next attempt), and deleting it after a confirmation page.
//!
//! Every handler resolves the automation through [`super::automation`] first, so another
//! tenant's id is a 404 for the page and for every form, and nothing changes.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::super::PortalState;
use super::super::error::{PortalError, render};
use super::super::runs::{Kind as RunKind, duration_text, trigger_label};
use super::super::session::SignedIn;
use super::super::views::{Badge, Nav, Section, When};
use super::form::{AutomationForm, pairs_of, refusal};
use super::{AutomationCard, LIST_PATH, automation, card, page_path, run_status};
use junction_domain::DomainError;
use junction_domain::automations::{self, AutomationChange};
use junction_store::automations::AutomationRow;
use junction_store::outbox::OutboxEntry;

/// The run history shows this many runs, newest first.
const RUNS_SHOWN: i64 = 50;
/// Each outbox table shows at most this many rows, oldest first.
const OUTBOX_SHOWN: i64 = 100;

/// One run in the history table.
pub struct RunRow {
    /// The run's page.
    pub href: String,
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
}

/// One outbox row.
pub struct OutboxRow {
    pub id: String,
    pub entity: String,
    /// The record's id on the reading side.
    pub record: String,
    pub operation: String,
    pub attempts: i64,
    pub next_attempt: Option<When>,
    pub last_error: Option<String>,
}

/// What a write does, in words (the operation's name follows in the table).
fn operation_words(kind: &str) -> String {
    let words = match kind {
        "upsert-order" => "Create or update the order",
        "upsert-customer" => "Create or update the customer",
        "upsert-product" => "Create or update the product",
        "product-stock" => "Set the product's stock",
        "product-price" => "Set the product's price",
        "variation-stock" => "Set the variation's stock",
        "variation-price" => "Set the variation's price",
        "order-status" => "Set the order's status",
        "order-tracking" => "Add the order's tracking",
        _ => return kind.to_string(),
    };
    format!("{words} ({kind})")
}

fn outbox_row(entry: OutboxEntry) -> OutboxRow {
    OutboxRow {
        operation: operation_words(&entry.write_kind),
        next_attempt: When::from_ms(entry.next_attempt_ms),
        id: entry.id,
        entity: entry.resource,
        record: entry.source_id,
        attempts: entry.attempts,
        last_error: entry.last_error,
    }
}

#[derive(Template)]
#[template(path = "portal/automation.html")]
pub struct DetailPage {
    pub title: String,
    pub nav: Nav,
    pub operator: bool,
    pub notice: Option<String>,
    pub card: AutomationCard,
    pub form: AutomationForm,
    pub runs: Vec<RunRow>,
    pub parked: Vec<OutboxRow>,
    pub pending: Vec<OutboxRow>,
}

async fn render_detail(
    state: &PortalState,
    session: &SignedIn,
    row: &AutomationRow,
    status: StatusCode,
    form: AutomationForm,
    notice: Option<String>,
) -> Result<Response, PortalError> {
    let store = &state.hub.store;
    let tenant = if session.is_operator() {
        Some(store.tenant(&row.tenant_id).await?.name)
    } else {
        None
    };
    let card = card(state, row, tenant).await?;
    let runs = store
        .automation_runs(&row.id, RUNS_SHOWN)
        .await?
        .into_iter()
        .map(|run| RunRow {
            href: super::run_page::run_path(&run.automation_id, &run.id),
            trigger: trigger_label(RunKind::Automation, &run.trigger),
            status: run_status(&run.status),
            started: When::from_ms(run.started_ms),
            duration: duration_text(run.started_ms, run.finished_ms),
            read: run.read,
            written: run.written,
            skipped: run.skipped,
            failed: run.failed,
            parked: run.parked,
            error: run.error,
        })
        .collect();
    let outbox = |status: &'static str| store.outbox_entries(&row.id, Some(status), OUTBOX_SHOWN);
    let parked = outbox("parked")
        .await?
        .into_iter()
        .map(outbox_row)
        .collect();
    let pending = outbox("pending")
        .await?
        .into_iter()
        .map(outbox_row)
        .collect();
    Ok(render(
        status,
        &DetailPage {
            title: format!("Automation {}", row.name),
            nav: Nav::new(session, Section::Automations),
            operator: session.is_operator(),
            notice,
            card,
            form,
            runs,
            parked,
            pending,
        },
    ))
}

#[derive(Deserialize)]
pub struct DetailQuery {
    notice: Option<String>,
    count: Option<u64>,
}

/// The message of a `?notice=` after a form was handled (fixed words only: nothing from
/// the URL is shown).
fn notice_text(query: &DetailQuery, enabled: bool) -> Option<String> {
    let text = match query.notice.as_deref()? {
        "created" if enabled => "Automation created. Its first run starts now and carries \
                                 everything that already exists; its runs appear below."
            .to_string(),
        "created" => "Automation created. It is disabled, so it does not run until you \
                      enable it in its settings."
            .to_string(),
        "saved" => "Settings saved.".to_string(),
        "run-queued" => "Run queued: it starts within a second. Reload this page to see it \
                         in the run history."
            .to_string(),
        "run-disabled" => "This automation is disabled, so it does not run. Enable it in its \
                           settings first."
            .to_string(),
        "retried" => match query.count.unwrap_or(0) {
            0 => "There was nothing parked to retry.".to_string(),
            1 => {
                "1 parked write is queued for another attempt; the automation runs now.".to_string()
            }
            n => format!(
                "{n} parked writes are queued for another attempt; the automation runs now."
            ),
        },
        _ => return None,
    };
    Some(text)
}

/// `GET /portal/automations/{id}`.
pub async fn page(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, PortalError> {
    let row = automation(&state, &session, &id).await?;
    let notice = notice_text(&query, row.enabled);
    let form = AutomationForm::from_row(&row);
    render_detail(&state, &session, &row, StatusCode::OK, form, notice).await
}

fn back(id: &str, notice: &str) -> Response {
    Redirect::to(&format!("{}?{notice}", page_path(id))).into_response()
}

/// `POST /portal/automations/{id}/settings`: change the settings (checked as a whole, as
/// at creation); a refusal shows the page again (422) with each problem beside its field.
pub async fn save(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PortalError> {
    let row = automation(&state, &session, &id).await?;
    let mut form = AutomationForm::from_pairs(&pairs_of(&body));
    form.source.clone_from(&row.source_connection_id);
    form.target.clone_from(&row.target_connection_id);
    let Some(parsed) = form.parse() else {
        return render_detail(
            &state,
            &session,
            &row,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            None,
        )
        .await;
    };
    let change = AutomationChange {
        name: Some(parsed.name),
        enabled: Some(form.enabled),
        cadence_seconds: Some(parsed.cadence_secs),
        on_change: Some(form.on_change),
        entities: Some(parsed.entities),
        options: Some(parsed.options),
    };
    match automations::update(&state.hub, &row.id, change).await {
        Ok(_) => Ok(back(&row.id, "notice=saved")),
        Err(e) => {
            let status = refusal(e, &mut form)?;
            render_detail(&state, &session, &row, status, form, None).await
        }
    }
}

/// `POST /portal/automations/{id}/run`: make it due now (a disabled one does not run).
pub async fn run_now(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = automation(&state, &session, &id).await?;
    if !row.enabled {
        return Ok(back(&row.id, "notice=run-disabled"));
    }
    automations::run_now(&state.hub, &row.id).await?;
    Ok(back(&row.id, "notice=run-queued"))
}

fn service_failure(error: DomainError) -> PortalError {
    match error {
        DomainError::Store(e) => e.into(),
        other => PortalError::Internal(other.to_string()),
    }
}

/// `POST /portal/automations/{id}/outbox/retry`: every parked row gets a fresh attempt.
pub async fn retry_parked(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = automation(&state, &session, &id).await?;
    let retried = automations::retry(&state.hub, &row.id, None)
        .await
        .map_err(service_failure)?;
    Ok(back(&row.id, &format!("notice=retried&count={retried}")))
}

/// `POST /portal/automations/{id}/outbox/{entry}/retry`: one row (of this automation only:
/// another automation's row is "no such outbox entry").
pub async fn retry_one(
    State(state): State<PortalState>,
    session: SignedIn,
    Path((id, entry)): Path<(String, String)>,
) -> Result<Response, PortalError> {
    let row = automation(&state, &session, &id).await?;
    let retried = automations::retry(&state.hub, &row.id, Some(&entry))
        .await
        .map_err(service_failure)?;
    Ok(back(&row.id, &format!("notice=retried&count={retried}")))
}

#[derive(Template)]
#[template(path = "portal/automation_delete.html")]
pub struct DeletePage {
    pub title: String,
    pub nav: Nav,
    pub card: AutomationCard,
}

/// `GET /portal/automations/{id}/delete`: the confirmation step.
pub async fn confirm_delete(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = automation(&state, &session, &id).await?;
    let card = card(&state, &row, None).await?;
    Ok(render(
        StatusCode::OK,
        &DeletePage {
            title: format!("Delete automation {}", row.name),
            nav: Nav::new(&session, Section::Automations),
            card,
        },
    ))
}

/// `POST /portal/automations/{id}/delete`: delete it (its cursors, outbox and history go
/// with it; the links between records stay), then to the list.
pub async fn delete(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = automation(&state, &session, &id).await?;
    automations::delete(&state.hub, &row.id).await?;
    Ok(Redirect::to(&format!("{LIST_PATH}?notice=deleted")).into_response())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn notices_are_fixed_words() {
        let query = |notice: &str, count: Option<u64>| DetailQuery {
            notice: Some(notice.into()),
            count,
        };
        assert!(
            notice_text(&query("created", None), true)
                .unwrap()
                .contains("first run starts now")
        );
        assert!(
            notice_text(&query("created", None), false)
                .unwrap()
                .contains("disabled")
        );
        assert_eq!(
            notice_text(&query("retried", Some(3)), true).unwrap(),
            "3 parked writes are queued for another attempt; the automation runs now."
        );
        assert_eq!(notice_text(&query("<script>", None), true), None);
    }

    #[test]
    fn operations_read_as_words() {
        assert_eq!(
            operation_words("upsert-order"),
            "Create or update the order (upsert-order)"
        );
        assert_eq!(operation_words("something-new"), "something-new");
    }
}
