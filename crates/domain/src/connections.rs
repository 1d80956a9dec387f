//! A connection's life after creation: its resources' schedules (the one cadence rule, also
//! used by automations), "sync now", the health check, editing its name and config (tested
//! before it is saved), and pausing. Creating a connection is `Hub::create_connection`
//! (schema check, secrets sealed); an edit's config is checked and sealed by `Hub::edited`.

use std::time::{Duration, Instant};

use crate::hub::{Hub, HubError};
use crate::{DomainError, Problem, problem};
use junction_contract::{ConnectorError, DeletionDetection, ResourceKind};
use junction_runtime::CallError;
use junction_runtime::config_check::summarize;
use junction_store::connections::DeletedConnection;
use junction_store::portal_state::HealthCheck;
use junction_store::{Connection, StoreError, SyncState, now_ms};

/// The shortest and longest cadence, in seconds (autosync and automations alike).
pub const CADENCE_MIN_SECS: i64 = 10;
pub const CADENCE_MAX_SECS: i64 = 7 * 24 * 3600;
/// How long a health check may take.
pub const HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// The cadence rule: `None` when `secs` is allowed, else the problem with `field`.
pub fn cadence_problem(field: &str, secs: i64) -> Option<Problem> {
    (!(CADENCE_MIN_SECS..=CADENCE_MAX_SECS).contains(&secs)).then(|| {
        problem(
            field,
            format!("{field} must be between {CADENCE_MIN_SECS} and {CADENCE_MAX_SECS} (one week)"),
        )
    })
}

/// What to change of a resource's schedule; absent parts stay.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScheduleChange {
    pub enabled: Option<bool>,
    pub cadence_secs: Option<i64>,
}

/// Enable or disable a resource of a connection and set its cadence. The resource must be
/// one the connection syncs.
pub async fn configure_resource(
    hub: &Hub,
    connection_id: &str,
    resource: ResourceKind,
    change: ScheduleChange,
) -> Result<SyncState, DomainError> {
    let current = hub.store.sync_state(connection_id, resource).await?;
    let cadence = change.cadence_secs.unwrap_or(current.cadence_secs);
    if let Some(refused) = cadence_problem("cadenceSeconds", cadence) {
        return Err(DomainError::Invalid(vec![refused]));
    }
    let enabled = change.enabled.unwrap_or(current.enabled);
    hub.store
        .configure_resource(connection_id, resource, enabled, cadence)
        .await?;
    tracing::info!(connection = %connection_id, resource = resource.as_str(), enabled, cadence, "schedule changed");
    Ok(hub.store.sync_state(connection_id, resource).await?)
}

/// Sync one resource (or every enabled one) now: made due, recorded as by hand, and this
/// host's scheduler woken. Returns how many were queued.
pub async fn sync_now(
    hub: &Hub,
    connection_id: &str,
    resource: Option<ResourceKind>,
) -> Result<u64, DomainError> {
    hub.store.connection(connection_id).await?;
    let queued = hub.store.sync_now(connection_id, resource).await?;
    if queued > 0 {
        hub.wake_sync();
    }
    Ok(queued)
}

/// Reconcile one resource (or every enabled one) now: its job becomes due and, after its
/// sync, runs a complete scan that marks deleted what the system no longer holds
/// ([`crate::sync::reconcile`]); this host's scheduler is woken. Returns how many resources
/// will reconcile.
pub async fn reconcile_now(
    hub: &Hub,
    connection_id: &str,
    resource: Option<ResourceKind>,
) -> Result<u64, DomainError> {
    let connection = hub.store.connection(connection_id).await?;
    // A resource whose connector says its system never deletes is not scanned for
    // deletions; asked for by name, that is an error the caller can act on.
    let detection = hub
        .connector(&connection.connector_key)
        .map(|c| (c.key().to_string(), c.manifest.clone()))
        .ok();
    let reconciled = |r: ResourceKind| {
        detection.as_ref().is_none_or(|(_, m)| {
            m.deletion_detection(r)
                .contains(DeletionDetection::RECONCILIATION)
        })
    };
    let mut queued = 0;
    match resource {
        Some(r) if !reconciled(r) => {
            let (key, how) = detection
                .as_ref()
                .map_or(("", DeletionDetection::empty()), |(k, m)| {
                    (k.as_str(), m.deletion_detection(r))
                });
            let why = if how.contains(DeletionDetection::REPORTED) {
                "reports every deletion of them while it syncs"
            } else {
                "says its system never deletes them"
            };
            return Err(DomainError::invalid(
                "resource",
                format!(
                    "connector `{key}` {why} (its manifest declares no reconciliation for {}): \
                     there is nothing to reconcile",
                    r.as_str()
                ),
            ));
        }
        Some(r) => queued += hub.store.reconcile_now(connection_id, Some(r)).await?,
        None => {
            for r in ResourceKind::ALL.into_iter().filter(|r| reconciled(*r)) {
                queued += hub.store.reconcile_now(connection_id, Some(r)).await?;
            }
        }
    }
    if queued > 0 {
        hub.wake_sync();
    }
    tracing::info!(connection = %connection_id, resource = resource.map(|r| r.as_str()), queued, "reconciliation asked for");
    Ok(queued)
}

/// A change to a connection's name and/or config.
#[derive(Debug, Default)]
pub struct ConnectionEdit {
    pub name: Option<String>,
    /// The whole config; secrets left out or blank keep their stored values.
    pub config: Option<serde_json::Value>,
    /// Save even when the connector's check fails with the new config.
    pub force: bool,
}

/// What an edit did.
#[derive(Debug)]
pub enum EditOutcome {
    /// Saved; with the check's outcome when the config changed (`Err`: it failed and the
    /// edit was forced).
    Saved {
        connection: Connection,
        check: Option<Result<String, String>>,
    },
    /// Not saved: the connector's check failed with the new config (in words).
    CheckFailed(String),
}

/// Edit a connection: the new config passes the connector's schema and — before anything
/// is saved — its check against the external system (a failing check saves only when
/// forced); secrets are sealed again. After a config change every enabled resource syncs at
/// once, not after the failure backoff.
pub async fn edit(
    hub: &Hub,
    connection_id: &str,
    edit: ConnectionEdit,
) -> Result<EditOutcome, DomainError> {
    let current = hub.store.connection(connection_id).await?;
    let candidate = hub.edited(&current, edit.name.as_deref(), edit.config.as_ref())?;
    // Names are unique within a tenant: say so, rather than let the database refuse it.
    let taken = hub
        .store
        .connections(Some(&current.tenant_id))
        .await?
        .into_iter()
        .any(|other| other.id != current.id && other.name == candidate.name);
    if taken {
        return Err(DomainError::invalid(
            "name",
            format!(
                "this tenant already has a connection named `{}`; choose another name",
                candidate.name
            ),
        ));
    }
    let check = match edit.config {
        None => None,
        Some(_) => {
            let outcome = health_check(hub, &candidate).await?;
            if let Err(why) = &outcome
                && !edit.force
            {
                return Ok(EditOutcome::CheckFailed(why.clone()));
            }
            Some(outcome)
        }
    };
    let saved = hub
        .store
        .update_connection(
            connection_id,
            &candidate.name,
            &candidate.public_config,
            &candidate.sealed_secrets,
        )
        .await?;
    tracing::info!(connection = %connection_id, config_changed = check.is_some(), "connection edited");
    if check.is_some() {
        sync_now(hub, connection_id, None).await?;
    }
    Ok(EditOutcome::Saved {
        connection: saved,
        check,
    })
}

/// Run the connector's check with a config that is not saved (the stored one when `None`;
/// blank secrets keep their stored values): `Ok(message)` or `Err(what is wrong)`.
pub async fn test_config(
    hub: &Hub,
    connection_id: &str,
    config: Option<&serde_json::Value>,
) -> Result<Result<String, String>, DomainError> {
    let current = hub.store.connection(connection_id).await?;
    let candidate = match hub.edited(&current, None, config) {
        Ok(candidate) => candidate,
        Err(HubError::InvalidConfig(problems)) => {
            return Ok(Err(format!(
                "These settings do not pass the connector's rules: {}",
                summarize(&problems)
            )));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(health_check(hub, &candidate).await?)
}

/// Delete a connection, confirmed by its name or id: its records, sync state, keys (revoked
/// at once), idempotency rows and the webhook endpoints scoped to it go; the automations
/// that use it are disabled with the reason; its run history and the automations' own
/// history stay (the connection remains as a tombstone naming it).
pub async fn delete(
    hub: &Hub,
    connection_id: &str,
    confirm: &str,
) -> Result<DeletedConnection, DomainError> {
    let connection = hub.store.connection(connection_id).await?;
    if confirm != connection.name && confirm != connection.id {
        return Err(DomainError::invalid(
            "confirm",
            format!(
                "to delete this connection and everything it holds, confirm with its name `{}` (or its id)",
                connection.name
            ),
        ));
    }
    let reason = format!(
        "connection `{}` ({}) was deleted; this automation was turned off",
        connection.name, connection.id
    );
    let deleted = hub.store.delete_connection(connection_id, &reason).await?;
    tracing::info!(connection = %connection_id, records = deleted.records, keys = deleted.keys,
        automations_disabled = deleted.automations_disabled, "connection deleted");
    Ok(deleted)
}

/// Pause a connection (no autosync, no automation touching it) or resume it; a resumed
/// connection syncs every enabled resource at once.
pub async fn set_paused(
    hub: &Hub,
    connection_id: &str,
    paused: bool,
) -> Result<Connection, DomainError> {
    let connection = hub
        .store
        .set_connection_paused(connection_id, paused)
        .await?;
    tracing::info!(connection = %connection_id, paused, "connection paused or resumed");
    if !paused {
        sync_now(hub, connection_id, None).await?;
    }
    Ok(connection)
}

/// Run the connector's health check for a connection now (at most
/// [`HEALTH_CHECK_TIMEOUT`]): `Ok(message)` when the system answered well, `Err(message)`
/// saying in words what is wrong and what to do. Only a failing store is an error of the
/// operation itself.
pub async fn health_check(
    hub: &Hub,
    connection: &Connection,
) -> Result<Result<String, String>, StoreError> {
    let (connector, options) = match hub.prepare(connection) {
        Ok(prepared) => prepared,
        Err(HubError::Store(e)) => return Err(e),
        Err(HubError::ConnectorMissing(key)) => {
            return Ok(Err(format!(
                "The connector `{key}` is not loaded on this server, so nothing can be checked. \
                 Ask the operator to install it."
            )));
        }
        Err(HubError::InvalidConfig(problems)) => {
            return Ok(Err(format!(
                "This connection's settings no longer pass the connector's rules: {}",
                summarize(&problems)
            )));
        }
        Err(e @ HubError::Secrets(_)) => {
            tracing::error!(error = %e, connection = %connection.id, "health check cannot open secrets");
            return Ok(Err(
                "The server cannot open this connection's stored credentials; the server's log \
                 says why."
                    .into(),
            ));
        }
    };
    match tokio::time::timeout(HEALTH_CHECK_TIMEOUT, connector.check(&options)).await {
        Err(_) => Ok(Err(format!(
            "No answer within {} seconds: the system may be down or very slow.",
            HEALTH_CHECK_TIMEOUT.as_secs()
        ))),
        Ok(result) => Ok(result
            .value
            .map(|info| info.message)
            .map_err(|e| explain(&e))),
    }
}

/// How long a health check's outcome can be shown again (reloads, back button).
pub const CHECK_KEPT: Duration = Duration::from_secs(15 * 60);
/// The most outcomes kept at once (the oldest go first).
const CHECKS_KEPT_MAX: i64 = 1024;

/// [`CHECK_KEPT`] in the store's milliseconds.
pub fn check_kept_ms() -> i64 {
    i64::try_from(CHECK_KEPT.as_millis()).unwrap_or(i64::MAX)
}

/// Run the health check for a portal session and keep its outcome (for
/// [`CHECK_KEPT`], under a random id, bound to the session and the connection) so a
/// redirect to any host can show it; returns the outcome's id.
pub async fn check_for_session(
    hub: &Hub,
    connection: &Connection,
    session_id_hash: &str,
) -> Result<String, DomainError> {
    let started = Instant::now();
    let (ok, message) = match health_check(hub, connection).await? {
        Ok(message) => (true, message),
        Err(message) => (false, message),
    };
    let outcome_id = crate::accounts::sessions::new_token()?;
    let check = HealthCheck {
        ok,
        message,
        at_ms: now_ms(),
        elapsed_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
    };
    hub.store
        .save_health_check(
            &outcome_id,
            session_id_hash,
            &connection.id,
            &check,
            check_kept_ms(),
            CHECKS_KEPT_MAX,
        )
        .await?;
    Ok(outcome_id)
}

/// A failed check in words: what it means, then the connector's own message.
fn explain(error: &CallError) -> String {
    let lead = match error {
        CallError::Connector(ConnectorError::Unauthorized(_)) => {
            "The system refused this connection's credentials"
        }
        CallError::Connector(ConnectorError::Transport(_)) => "The system could not be reached",
        CallError::Connector(ConnectorError::RateLimited(_)) => {
            "The system is limiting requests; try again later"
        }
        CallError::Connector(ConnectorError::Upstream(_)) => "The system answered with an error",
        CallError::Connector(ConnectorError::InvalidConfig(_)) => {
            "The connector finds this connection's settings wrong"
        }
        CallError::Timeout { .. } => "The check took too long",
        _ => "The check failed",
    };
    format!("{lead} ({error}).")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn failed_checks_say_what_happened_in_words() {
        let refused = explain(&CallError::Connector(ConnectorError::Unauthorized(
            "consumer key rejected".into(),
        )));
        assert!(
            refused.starts_with("The system refused") && refused.contains("consumer key rejected"),
            "{refused}"
        );
        let down = explain(&CallError::Connector(ConnectorError::Transport(
            "connection refused".into(),
        )));
        assert!(
            down.starts_with("The system could not be reached"),
            "{down}"
        );
    }

    #[test]
    fn the_cadence_rule_is_one_week_at_most_and_ten_seconds_at_least() {
        assert!(cadence_problem("cadenceSeconds", 10).is_none());
        assert!(cadence_problem("cadenceSeconds", 604_800).is_none());
        let refused = cadence_problem("cadenceSeconds", 9).unwrap();
        assert_eq!(refused.field, "cadenceSeconds");
        assert_eq!(
            refused.message,
            "cadenceSeconds must be between 10 and 604800 (one week)"
        );
        assert!(cadence_problem("x", 604_801).is_some());
    }
}
