//! Automation operations for every front end (admin API, portal): create and change
//! (validated against both connectors' manifests), show, list, delete, run now, history,
//! outbox and retry. The engine that runs them is `sync::automation`.

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::hub::{Hub, HubError};
use crate::sync::automation::model::{Entities, MappingOptions, Problem, Side, validate};
use junction_store::automations::{AutomationRow, AutomationRun};
use junction_store::outbox::OutboxEntry;
use junction_store::{new_id, now_ms};

/// A new automation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAutomation {
    /// Tenant id or name.
    pub tenant: String,
    pub name: String,
    pub source_connection_id: String,
    pub target_connection_id: String,
    /// Default true.
    pub enabled: Option<bool>,
    /// Seconds between scheduled runs, 10–604800. Default 300.
    pub cadence_seconds: Option<i64>,
    /// Also run as soon as a side's records change. Default false.
    pub on_change: Option<bool>,
    /// Per entity (`orders`, `customers`, `products`): enabled and direction.
    pub entities: Entities,
    pub options: Option<MappingOptions>,
}

/// A change to an automation; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutomationChange {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub cadence_seconds: Option<i64>,
    pub on_change: Option<bool>,
    pub entities: Option<Entities>,
    pub options: Option<MappingOptions>,
}

/// Outbox rows by status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutboxCounts {
    pub pending: i64,
    pub parked: i64,
}

/// An automation as the admin API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomationView {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub source_connection_id: String,
    pub target_connection_id: String,
    pub enabled: bool,
    pub cadence_seconds: i64,
    pub on_change: bool,
    pub entities: Entities,
    pub options: MappingOptions,
    pub next_run_ms: i64,
    pub last_run_ms: Option<i64>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub outbox: OutboxCounts,
    pub created_ms: i64,
    pub updated_ms: i64,
}

fn invalid(field: &str, message: impl Into<String>) -> DomainError {
    DomainError::Invalid(vec![Problem {
        field: field.into(),
        message: message.into(),
    }])
}

/// Validate a definition against both connections' connectors.
async fn check(
    hub: &Hub,
    row: &AutomationRow,
    entities: &Entities,
    options: &MappingOptions,
) -> Result<(), DomainError> {
    if row.name.trim().is_empty() {
        return Err(invalid("name", "an automation needs a non-empty name"));
    }
    let source = hub
        .store
        .connection(&row.source_connection_id)
        .await
        .map_err(|_| {
            invalid(
                "sourceConnectionId",
                format!("no connection `{}`", row.source_connection_id),
            )
        })?;
    let target = hub
        .store
        .connection(&row.target_connection_id)
        .await
        .map_err(|_| {
            invalid(
                "targetConnectionId",
                format!("no connection `{}`", row.target_connection_id),
            )
        })?;
    if source.tenant_id != row.tenant_id {
        return Err(invalid(
            "sourceConnectionId",
            "the source connection belongs to another tenant",
        ));
    }
    let source_connector = hub.connector(&source.connector_key)?;
    let target_connector = hub.connector(&target.connector_key)?;
    let problems = validate(
        &Side {
            connection: &source,
            manifest: &source_connector.manifest,
        },
        &Side {
            connection: &target,
            manifest: &target_connector.manifest,
        },
        row.cadence_secs,
        entities,
        options,
    );
    if !problems.is_empty() {
        return Err(DomainError::Invalid(problems));
    }
    // The overrides must leave a config the target's (and source's) schema accepts.
    for (field, overrides, connection) in [
        ("options.targetConfig", &options.target_config, &target),
        ("options.sourceConfig", &options.source_config, &source),
    ] {
        if overrides.is_empty() {
            continue;
        }
        if let Err(HubError::InvalidConfig(found)) = hub.prepare_with(connection, overrides) {
            return Err(DomainError::Invalid(
                found
                    .into_iter()
                    .map(|p| Problem {
                        field: format!("{field}.{}", p.field),
                        message: p.message,
                    })
                    .collect(),
            ));
        }
    }
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}

/// Create an automation; it runs at once (its first run carries everything that exists).
pub async fn create(hub: &Hub, new: NewAutomation) -> Result<AutomationView, DomainError> {
    let tenant = hub
        .store
        .tenant(&new.tenant)
        .await
        .map_err(|_| invalid("tenant", format!("no tenant `{}`", new.tenant)))?;
    let options = new.options.unwrap_or_default();
    let now = now_ms();
    let row = AutomationRow {
        id: new_id(),
        tenant_id: tenant.id,
        name: new.name.trim().to_string(),
        source_connection_id: new.source_connection_id,
        target_connection_id: new.target_connection_id,
        enabled: new.enabled.unwrap_or(true),
        cadence_secs: new.cadence_seconds.unwrap_or(300),
        on_change: new.on_change.unwrap_or(false),
        entities: to_json(&new.entities),
        options: to_json(&options),
        next_run_ms: now,
        last_run_ms: None,
        last_status: None,
        last_error: None,
        failures: 0,
        created_ms: now,
        updated_ms: now,
    };
    check(hub, &row, &new.entities, &options).await?;
    hub.store.create_automation(&row).await?;
    show(hub, &row.id).await
}

/// Change an automation (validated as a whole, as at creation).
pub async fn update(
    hub: &Hub,
    id: &str,
    change: AutomationChange,
) -> Result<AutomationView, DomainError> {
    let mut row = hub.store.automation(id).await?;
    let mut entities: Entities = serde_json::from_str(&row.entities).unwrap_or_default();
    let mut options: MappingOptions = serde_json::from_str(&row.options).unwrap_or_default();
    if let Some(name) = change.name {
        row.name = name.trim().to_string();
    }
    if let Some(enabled) = change.enabled {
        row.enabled = enabled;
    }
    if let Some(cadence) = change.cadence_seconds {
        row.cadence_secs = cadence;
        // Checked again with the whole definition below; saturating so that a wild value
        // gets its field error instead of an overflow.
        row.next_run_ms = row
            .next_run_ms
            .min(now_ms().saturating_add(cadence.saturating_mul(1000)));
    }
    if let Some(on_change) = change.on_change {
        row.on_change = on_change;
    }
    if let Some(e) = change.entities {
        entities = e;
    }
    if let Some(o) = change.options {
        options = o;
    }
    check(hub, &row, &entities, &options).await?;
    row.entities = to_json(&entities);
    row.options = to_json(&options);
    hub.store.update_automation(&row).await?;
    show(hub, id).await
}

pub async fn show(hub: &Hub, id: &str) -> Result<AutomationView, DomainError> {
    let row = hub.store.automation(id).await?;
    view(hub, row).await
}

pub async fn list(hub: &Hub, tenant_id: Option<&str>) -> Result<Vec<AutomationView>, DomainError> {
    let mut out = Vec::new();
    for row in hub.store.automations(tenant_id).await? {
        out.push(view(hub, row).await?);
    }
    Ok(out)
}

async fn view(hub: &Hub, row: AutomationRow) -> Result<AutomationView, DomainError> {
    let (pending, parked) = hub.store.outbox_counts(&row.id).await?;
    Ok(AutomationView {
        entities: serde_json::from_str(&row.entities).unwrap_or_default(),
        options: serde_json::from_str(&row.options).unwrap_or_default(),
        id: row.id,
        tenant_id: row.tenant_id,
        name: row.name,
        source_connection_id: row.source_connection_id,
        target_connection_id: row.target_connection_id,
        enabled: row.enabled,
        cadence_seconds: row.cadence_secs,
        on_change: row.on_change,
        next_run_ms: row.next_run_ms,
        last_run_ms: row.last_run_ms,
        last_status: row.last_status,
        last_error: row.last_error,
        outbox: OutboxCounts { pending, parked },
        created_ms: row.created_ms,
        updated_ms: row.updated_ms,
    })
}

/// Delete an automation (its cursors, outbox and links go with it).
pub async fn delete(hub: &Hub, id: &str) -> Result<(), DomainError> {
    hub.store.delete_automation(id).await?;
    tracing::info!(automation = %id, "automation deleted");
    Ok(())
}

/// Run an automation now (by hand): due at once, its run recorded as manual.
pub async fn run_now(hub: &Hub, id: &str) -> Result<(), DomainError> {
    hub.store.run_automation_now(id).await?;
    Ok(())
}

pub async fn runs(hub: &Hub, id: &str, limit: i64) -> Result<Vec<AutomationRun>, DomainError> {
    hub.store.automation(id).await?;
    Ok(hub.store.automation_runs(id, limit).await?)
}

/// The outbox of an automation, optionally one status (`pending` or `parked`).
pub async fn outbox(
    hub: &Hub,
    id: &str,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<OutboxEntry>, DomainError> {
    if let Some(s) = status
        && s != "pending"
        && s != "parked"
    {
        return Err(invalid(
            "status",
            format!("unknown status `{s}`: expected pending or parked"),
        ));
    }
    hub.store.automation(id).await?;
    Ok(hub.store.outbox_entries(id, status, limit).await?)
}

/// Retry parked rows by hand (one, or all of the automation's); the automation runs now.
pub async fn retry(hub: &Hub, id: &str, entry: Option<&str>) -> Result<u64, DomainError> {
    hub.store.automation(id).await?;
    let retried = hub.store.retry_outbox(id, entry).await?;
    hub.store.run_automation_now(id).await?;
    Ok(retried)
}
