//! What the admin API answers with: the stored rows as API clients see them (camelCase, no
//! internal columns such as sealed secrets or cursors). These are the types the handlers
//! serialise and the OpenAPI document describes — one truth. Each is made from its store
//! row with `From`, so a field added to a row that an answer should show fails to compile
//! here rather than drifting silently.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use junction_store as store;

/// Implement `From<$row>` by moving the listed fields across.
macro_rules! from_row {
    ($answer:ident from $row:ty { $($field:ident),* $(,)? }) => {
        impl From<$row> for $answer {
            fn from(row: $row) -> Self {
                Self { $($field: row.$field),* }
            }
        }
    };
}

/// A tenant.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub created_ms: i64,
}
from_row!(Tenant from store::Tenant { id, name, created_ms });

/// A request budget replacing the connector manifest's: `{"requests", "perSeconds"}` or
/// `{"unlimited": true}`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitOverride {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_seconds: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unlimited: bool,
}
from_row!(RateLimitOverride from store::connections::RateLimitOverride { requests, per_seconds, unlimited });

/// A connection (never its config or secrets).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub id: String,
    pub tenant_id: String,
    pub connector_key: String,
    pub name: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// A request budget replacing the connector manifest's, if the operator set one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitOverride>,
    /// Paused: no autosync and no automation touching it runs until it is resumed.
    pub paused: bool,
}

impl From<store::Connection> for Connection {
    fn from(row: store::Connection) -> Self {
        Self {
            id: row.id,
            tenant_id: row.tenant_id,
            connector_key: row.connector_key,
            name: row.name,
            created_ms: row.created_ms,
            updated_ms: row.updated_ms,
            rate_limit: row.rate_limit.map(Into::into),
            paused: row.paused,
        }
    }
}

/// One resource's autosync state.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
    pub connection_id: String,
    pub resource: String,
    pub enabled: bool,
    pub cadence_secs: i64,
    pub next_run_ms: i64,
    /// The run in progress, if one is.
    pub run_id: Option<String>,
    /// The newest modification time committed (RFC 3339).
    pub high_water: Option<String>,
    pub last_run_ms: Option<i64>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub failures: i64,
    pub record_count: i64,
}
from_row!(SyncState from store::SyncState {
    connection_id, resource, enabled, cadence_secs, next_run_ms, run_id, high_water,
    last_run_ms, last_status, last_error, failures, record_count,
});

/// A sync run.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub id: String,
    pub connection_id: String,
    pub resource: String,
    /// `schedule`, `manual` or `automation`.
    pub trigger: String,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    /// `running`, `succeeded`, `failed` or `interrupted`.
    pub status: String,
    pub pages: i64,
    pub records: i64,
    pub error: Option<String>,
    /// The lease owner (`hostname-pid`) of the host that ran it; none for runs recorded
    /// before hosts were tracked.
    pub host: Option<String>,
    /// `sync` (changes listed into the copy) or `reconcile` (a complete scan that marks
    /// deleted what it did not see; `records` counts the records the scan saw).
    pub kind: String,
    /// Records a reconciliation marked deleted (0 for syncs).
    pub deleted: i64,
}
from_row!(Run from store::Run {
    id, connection_id, resource, trigger, started_ms, finished_ms, status, pages, records,
    error, host, kind, deleted,
});

/// One recorded step of a run (`domain::runs`): a page with its record counts, requests
/// and connector log lines (`page`), the call that failed (`call-failed`), or an
/// automation's read page and delivered batch (`read`, `writes`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunStep {
    /// 1 for the run's first step.
    pub seq: i64,
    pub at_ms: i64,
    pub kind: String,
    /// The step itself, by kind.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// What a failed run's error means and what to do about it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunAdvice {
    /// `credentials`, `rate-limit`, `upstream`, `configuration`, `connector` or `unknown`.
    pub cause: String,
    pub summary: String,
    pub action: String,
}

/// A sync or reconciliation run with its steps.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunDetail {
    pub run: Run,
    pub steps: Vec<RunStep>,
    /// Pages the run read beyond the steps kept.
    pub steps_dropped: u64,
    /// Set when the run failed.
    pub advice: Option<RunAdvice>,
}

impl From<junction_domain::runs::RunDetail> for RunDetail {
    fn from(detail: junction_domain::runs::RunDetail) -> Self {
        Self {
            run: detail.run.into(),
            steps: detail
                .steps
                .into_iter()
                .map(|(stored, _)| RunStep {
                    seq: stored.seq,
                    at_ms: stored.at_ms,
                    detail: serde_json::from_str(&stored.body).unwrap_or(serde_json::Value::Null),
                    kind: stored.kind,
                })
                .collect(),
            steps_dropped: detail.steps_dropped,
            advice: detail.advice.map(|a| RunAdvice {
                cause: a.cause.to_string(),
                summary: a.summary.to_string(),
                action: a.action.to_string(),
            }),
        }
    }
}

/// An API key (its prefix and metadata, never the key).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: String,
    pub connection_id: String,
    pub name: String,
    /// The first characters of the key, enough to recognise it.
    pub prefix: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
}
from_row!(ApiKey from store::ApiKey {
    id, connection_id, name, prefix, created_ms, last_used_ms, revoked_ms,
});

/// A portal user of a tenant (never a password).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub created_ms: i64,
    /// When the user last signed in to the portal.
    pub last_sign_in_ms: Option<i64>,
}
from_row!(User from store::users::User { id, tenant_id, email, created_ms, last_sign_in_ms });

/// One run of an automation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomationRun {
    pub id: String,
    pub automation_id: String,
    /// `schedule`, `manual`, `change` or `retry`.
    pub trigger: String,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    /// `running`, `succeeded`, `partial` (some writes wait in the outbox), `failed` or
    /// `interrupted`.
    pub status: String,
    /// Changes read from the reading sides.
    pub read: i64,
    /// Writes delivered.
    pub written: i64,
    /// Changes not written: unchanged since the last write, or Junction's own write coming back.
    pub skipped: i64,
    /// Writes that failed and wait in the outbox for their next attempt.
    pub failed: i64,
    /// Writes parked in the outbox (need a hand).
    pub parked: i64,
    pub error: Option<String>,
}
from_row!(AutomationRun from store::automations::AutomationRun {
    id, automation_id, trigger, started_ms, finished_ms, status, read, written, skipped,
    failed, parked, error,
});

/// A write waiting in an automation's outbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    pub id: String,
    pub automation_id: String,
    pub source_connection_id: String,
    pub target_connection_id: String,
    pub resource: String,
    pub source_id: String,
    pub write_kind: String,
    pub source_modified_ms: i64,
    /// `pending` or `parked`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}
from_row!(OutboxEntry from store::outbox::OutboxEntry {
    id, automation_id, source_connection_id, target_connection_id, resource, source_id,
    write_kind, source_modified_ms, status, attempts, next_attempt_ms, last_error,
    created_ms, updated_ms,
});

/// A webhook endpoint (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    pub id: String,
    pub tenant_id: String,
    /// Only this connection's events; null for every connection of the tenant.
    pub connection_id: Option<String>,
    pub url: String,
    pub description: String,
    /// Event types delivered: `order.created`, `order.*`, `*`, ...
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Until when the secret replaced by the last rotation still signs (epoch ms).
    pub previous_secret_until_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}
from_row!(WebhookEndpoint from store::webhooks::WebhookEndpoint {
    id, tenant_id, connection_id, url, description, event_types, enabled,
    previous_secret_until_ms, created_ms, updated_ms,
});

/// One attempt to deliver a webhook.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttempt {
    /// 1 for the first attempt.
    pub attempt: i64,
    pub started_ms: i64,
    pub duration_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i64>,
    /// Why the attempt failed (non-2xx, timeout, refused destination, ...).
    pub error: Option<String>,
    /// At most 1 KiB of the response body.
    pub response_excerpt: Option<String>,
}
from_row!(WebhookAttempt from store::webhooks::WebhookAttempt {
    attempt, started_ms, duration_ms, status_code, error, response_excerpt,
});

/// One event's delivery to one endpoint, with its attempts.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// The `webhook-id` header, stable across retries.
    pub id: String,
    pub endpoint_id: String,
    pub event_type: String,
    pub connection_id: Option<String>,
    pub resource: Option<String>,
    pub external_id: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempt_count: i64,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_ms: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub delivered_ms: Option<i64>,
    /// The body sent.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// Every attempt, oldest first.
    pub attempts: Vec<WebhookAttempt>,
}

impl From<store::webhooks::WebhookDelivery> for WebhookDelivery {
    fn from(row: store::webhooks::WebhookDelivery) -> Self {
        Self {
            id: row.id,
            endpoint_id: row.endpoint_id,
            event_type: row.event_type,
            connection_id: row.connection_id,
            resource: row.resource,
            external_id: row.external_id,
            status: row.status,
            attempt_count: row.attempt_count,
            next_attempt_ms: row.next_attempt_ms,
            last_status_code: row.last_status_code,
            last_error: row.last_error,
            created_ms: row.created_ms,
            updated_ms: row.updated_ms,
            delivered_ms: row.delivered_ms,
            payload: row.payload,
            attempts: row.attempts.into_iter().map(Into::into).collect(),
        }
    }
}

/// `{"data": [...]}` of one kind of answer.
macro_rules! data_list {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            pub data: Vec<$item>,
        }
    };
}

data_list!(TenantList, Tenant, "`{\"data\": [...]}`: tenants.");
data_list!(
    ConnectionList,
    Connection,
    "`{\"data\": [...]}`: connections (never their config or secrets)."
);
data_list!(
    RunList,
    Run,
    "`{\"data\": [...]}`: sync runs, newest first."
);
data_list!(
    ApiKeyList,
    ApiKey,
    "`{\"data\": [...]}`: API keys (prefix and metadata, never the key)."
);

/// A connection with its public config (secrets shown as `"***"`) and per-resource sync state.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionView {
    pub connection: Connection,
    /// The connection config; secret properties read `"***"`.
    #[schema(value_type = Object)]
    pub config: Value,
    pub resources: Vec<SyncState>,
}

/// `POST .../connections/{id}/sync`: how many resources were queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncQueued {
    pub queued: u64,
}

/// A freshly created API key: `key` is shown only this once.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    /// The key itself, `jct_live_...`.
    pub key: String,
    pub api_key: ApiKey,
    pub warning: String,
}

/// `GET /api/v1/api/me`: who the API key belongs to.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub tenant_id: String,
    pub connection_id: String,
    pub connector_key: String,
}

/// `GET /api/v1/api/capabilities`: what the connection's connector can do.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub connector_key: String,
    pub connector_name: String,
    pub connector_version: String,
    /// Resources synced: `orders`, `customers`, `products`, `variations`.
    pub resources: Vec<String>,
    /// Writes supported, e.g. `order-status`, `product-stock`.
    pub writes: Vec<String>,
    pub order_status: bool,
    pub order_tracking: bool,
    pub product_stock: bool,
    pub product_price: bool,
    pub variation_stock: bool,
    pub variation_price: bool,
    /// How fresh each synced resource's local copy is.
    pub sync: Vec<ResourceFreshness>,
}

/// How fresh one resource's local copy is (`Junction-Synced-At`/`Junction-Stale` on reads).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceFreshness {
    /// `orders`, `customers`, `products` or `variations`.
    pub resource: String,
    /// When it last synced successfully (RFC 3339 UTC); null: never (reads answer 503).
    #[schema(required = true)]
    pub synced_at: Option<String>,
    /// The last sync failed, or the next is overdue by more than twice the cadence.
    pub stale: bool,
    /// Autosync is on for it.
    pub enabled: bool,
    /// A sync is running now.
    pub syncing: bool,
    /// How the last sync ended: `succeeded`, `failed`, `interrupted`, `deferred`.
    #[schema(required = true)]
    pub last_status: Option<String>,
    /// The last sync's error, if it failed.
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// When the next sync is due (RFC 3339 UTC); null when autosync is off.
    #[schema(required = true)]
    pub next_run_at: Option<String>,
}

impl From<&junction_domain::freshness::Freshness> for ResourceFreshness {
    fn from(f: &junction_domain::freshness::Freshness) -> Self {
        use junction_store::records::format_changed_ms;
        Self {
            resource: f.resource.as_str().to_string(),
            synced_at: f.synced_at_ms.map(format_changed_ms),
            stale: f.stale,
            enabled: f.enabled,
            syncing: f.syncing,
            last_status: f.last_status.clone(),
            last_error: f.last_error.clone(),
            next_run_at: f.next_run_ms.map(format_changed_ms),
        }
    }
}

/// `GET /api/v1/api/health/connection`: a live check of the external system.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
    pub message: String,
    pub latency_ms: u64,
    /// How fresh each synced resource's local copy is.
    pub sync: Vec<ResourceFreshness>,
}

/// Convert a list of rows into answers.
pub fn all<R, A: From<R>>(rows: Vec<R>) -> Vec<A> {
    rows.into_iter().map(A::from).collect()
}
