//! A connection's life after creation: its resources' schedules (the one cadence rule, also
//! used by automations), "sync now", and the health check. Creating a connection is
//! `Hub::create_connection` (schema check, secrets sealed).

use std::time::{Duration, Instant};

use crate::hub::{Hub, HubError};
use crate::{DomainError, Problem, problem};
use junction_contract::{ConnectorError, ResourceKind};
use junction_runtime::CallError;
use junction_runtime::config_check::summarize;
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
