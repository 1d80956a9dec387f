//! The admin API's automation routes (`/api/v1/admin/automations...`): create (checked
//! against both connectors), list, show, change, delete, run now, run history, the outbox
//! and retrying parked writes by hand; and a connection's request budget (show, override).
//! The work is done by `junction_domain::automations`; this module parses and shapes.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::Verb::{Delete, Get, Patch, Post};
use super::admin::{Admin, parse};
use super::error::ApiError;
use super::error::ApiError as ApiErrorDoc;
use super::{ApiState, RouteDef, at};
use crate::answers::{self, AutomationRun, OutboxEntry};
use junction_domain::automations::{self, AutomationChange, AutomationView, NewAutomation};
use junction_domain::budgets::{self, BudgetView};

/// The automation and budget routes, relative to the admin prefix.
pub fn route_table() -> Vec<RouteDef> {
    vec![
        at(Get, "/automations", list_automations),
        at(Post, "/automations", create_automation),
        at(Get, "/automations/{id}", show_automation),
        at(Patch, "/automations/{id}", update_automation),
        at(Delete, "/automations/{id}", delete_automation),
        at(Post, "/automations/{id}/run", run_now),
        at(Get, "/automations/{id}/runs", list_runs),
        at(Get, "/automations/{id}/outbox", list_outbox),
        at(Post, "/automations/{id}/outbox/retry", retry_outbox),
        at(Get, "/connections/{id}/rate-limit", show_budget),
        at(Patch, "/connections/{id}/rate-limit", set_budget),
    ]
}

/// The automation routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    list_automations,
    create_automation,
    show_automation,
    update_automation,
    delete_automation,
    run_now,
    list_runs,
    list_outbox,
    retry_outbox,
    show_budget,
    set_budget,
))]
pub struct AdminAutomationsDoc;

/// `{"data": [...]}`: automations.
#[derive(Serialize, ToSchema)]
struct AutomationList {
    data: Vec<AutomationView>,
}

/// `{"data": [...]}`: runs, newest first.
#[derive(Serialize, ToSchema)]
struct AutomationRunList {
    data: Vec<AutomationRun>,
}

/// `{"data": [...]}`: outbox rows, oldest first.
#[derive(Serialize, ToSchema)]
struct OutboxList {
    data: Vec<OutboxEntry>,
}

/// What a manual retry did.
#[derive(Serialize, ToSchema)]
struct Retried {
    retried: u64,
}

/// `POST /automations/{id}/outbox/retry`: one row, or (no body / no `entry`) every parked one.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct RetryRequest {
    entry: Option<String>,
}

/// `PATCH /connections/{id}/rate-limit`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct BudgetChange {
    /// `{"requests": N, "perSeconds": S}`, `{"unlimited": true}`, or null to use the
    /// connector manifest's budget again.
    rate_limit: Option<RateLimitRequest>,
}

/// A request budget replacing the connector manifest's.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RateLimitRequest {
    #[serde(default)]
    requests: Option<u32>,
    #[serde(default)]
    per_seconds: Option<u32>,
    #[serde(default)]
    unlimited: bool,
}

impl From<RateLimitRequest> for junction_store::connections::RateLimitOverride {
    fn from(r: RateLimitRequest) -> Self {
        Self {
            requests: r.requests,
            per_seconds: r.per_seconds,
            unlimited: r.unlimited,
        }
    }
}

/// Run accepted.
#[derive(Serialize, ToSchema)]
struct RunQueued {
    queued: bool,
}

const LIMIT_MAX: i64 = 500;

fn limit_param(query: &HashMap<String, String>) -> Result<i64, ApiError> {
    match query.get("limit") {
        None => Ok(50),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=LIMIT_MAX).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(
                    "limit",
                    format!("limit must be an integer from 1 to {LIMIT_MAX}"),
                )
            }),
    }
}

#[utoipa::path(get, path = "/api/v1/admin/automations", tag = "admin", summary = "List automations",
    params(("tenant" = Option<String>, Query, description = "Only this tenant's (id or name)")),
    responses(
        (status = 200, description = "automations", body = AutomationList),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn list_automations(
    _: Admin,
    State(s): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<AutomationList>, ApiError> {
    let tenant = match query.get("tenant") {
        Some(t) => Some(s.hub.store.tenant(t).await?.id),
        None => None,
    };
    Ok(Json(AutomationList {
        data: automations::list(&s.hub, tenant.as_deref()).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/admin/automations", tag = "admin",
    summary = "Create an automation (refused, naming the field, when a direction's writing side lacks the write it needs)",
    request_body = NewAutomation,
    responses(
        (status = 201, description = "the automation; its first run starts at once", body = AutomationView),
        (status = 400, description = "invalid definition (`field` names the first problem; the message lists all)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 409, description = "the tenant already has an automation with that name", body = ApiErrorDoc),
        (status = 503, description = "a connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn create_automation(
    _: Admin,
    State(s): State<ApiState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<AutomationView>), ApiError> {
    let new: NewAutomation = parse(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(automations::create(&s.hub, new).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/admin/automations/{id}", tag = "admin", summary = "Show an automation",
    params(("id" = String, Path, description = "The automation id")),
    responses(
        (status = 200, description = "the automation", body = AutomationView),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such automation", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn show_automation(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<AutomationView>, ApiError> {
    Ok(Json(automations::show(&s.hub, &id).await?))
}

#[utoipa::path(patch, path = "/api/v1/admin/automations/{id}", tag = "admin",
    summary = "Change an automation (validated as a whole again)",
    params(("id" = String, Path, description = "The automation id")),
    request_body = AutomationChange,
    responses(
        (status = 200, description = "the automation", body = AutomationView),
        (status = 400, description = "invalid change (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such automation", body = ApiErrorDoc),
        (status = 409, description = "name already taken", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn update_automation(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<AutomationView>, ApiError> {
    let change: AutomationChange = parse(&body)?;
    Ok(Json(automations::update(&s.hub, &id, change).await?))
}

#[utoipa::path(delete, path = "/api/v1/admin/automations/{id}", tag = "admin",
    summary = "Delete an automation (its cursors, outbox and history go with it; links stay)",
    params(("id" = String, Path, description = "The automation id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such automation", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn delete_automation(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    automations::delete(&s.hub, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/admin/automations/{id}/run", tag = "admin", summary = "Run an automation now",
    params(("id" = String, Path, description = "The automation id")),
    responses(
        (status = 202, description = "queued; see its runs", body = RunQueued),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such automation", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn run_now(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<RunQueued>), ApiError> {
    automations::run_now(&s.hub, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(RunQueued { queued: true })))
}

#[utoipa::path(get, path = "/api/v1/admin/automations/{id}/runs", tag = "admin", summary = "An automation's runs, newest first",
    params(
        ("id" = String, Path, description = "The automation id"),
        ("limit" = Option<i64>, Query, description = "At most this many (1-500, default 50)", minimum = 1, maximum = 500),
    ),
    responses(
        (status = 200, description = "runs with their counts", body = AutomationRunList),
        (status = 400, description = "invalid limit", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such automation", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn list_runs(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<AutomationRunList>, ApiError> {
    let limit = limit_param(&query)?;
    Ok(Json(AutomationRunList {
        data: answers::all(automations::runs(&s.hub, &id, limit).await?),
    }))
}

#[utoipa::path(get, path = "/api/v1/admin/automations/{id}/outbox", tag = "admin",
    summary = "Writes waiting in an automation's outbox (pending retries and parked ones)",
    params(
        ("id" = String, Path, description = "The automation id"),
        ("status" = Option<String>, Query, description = "pending or parked", pattern = "^(pending|parked)$"),
        ("limit" = Option<i64>, Query, description = "At most this many (1-500, default 50)", minimum = 1, maximum = 500),
    ),
    responses(
        (status = 200, description = "outbox rows with attempts and last error", body = OutboxList),
        (status = 400, description = "invalid status or limit", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such automation", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn list_outbox(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<OutboxList>, ApiError> {
    let limit = limit_param(&query)?;
    let status = query.get("status").map(String::as_str);
    Ok(Json(OutboxList {
        data: answers::all(automations::outbox(&s.hub, &id, status, limit).await?),
    }))
}

#[utoipa::path(post, path = "/api/v1/admin/automations/{id}/outbox/retry", tag = "admin",
    summary = "Retry parked writes by hand (one, or all of the automation's); the automation runs now",
    params(("id" = String, Path, description = "The automation id")),
    request_body(content = Option<RetryRequest>, description = "`{\"entry\": id}` for one row; empty for every parked row"),
    responses(
        (status = 200, description = "how many rows were made due", body = Retried),
        (status = 400, description = "invalid body", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such automation or outbox row", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn retry_outbox(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Retried>, ApiError> {
    let request: RetryRequest = if body.is_empty() {
        RetryRequest::default()
    } else {
        parse(&body)?
    };
    let retried = automations::retry(&s.hub, &id, request.entry.as_deref()).await?;
    Ok(Json(Retried { retried }))
}

#[utoipa::path(get, path = "/api/v1/admin/connections/{id}/rate-limit", tag = "admin",
    summary = "A connection's request budget: where it comes from, any pause after a 429, requests sent",
    params(("id" = String, Path, description = "The connection id")),
    responses(
        (status = 200, description = "the budget", body = BudgetView),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such connection", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn show_budget(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<BudgetView>, ApiError> {
    Ok(Json(budgets::show(&s.hub, &id).await?))
}

#[utoipa::path(patch, path = "/api/v1/admin/connections/{id}/rate-limit", tag = "admin",
    summary = "Override (or with null, reset) a connection's request budget; shared by autosync, automations and write-backs",
    params(("id" = String, Path, description = "The connection id")),
    request_body = BudgetChange,
    responses(
        (status = 200, description = "the budget now", body = BudgetView),
        (status = 400, description = "invalid budget (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such connection", body = ApiErrorDoc),
    ),
    security(("adminToken" = [])))]
async fn set_budget(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<BudgetView>, ApiError> {
    let change: BudgetChange = parse(&body)?;
    Ok(Json(
        budgets::set_override(&s.hub, &id, change.rate_limit.map(Into::into).as_ref()).await?,
    ))
}
