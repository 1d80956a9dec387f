//! Automations: their definitions, schedule and lease, their change-feed cursors and their
//! run history. The model's rules (which entity flows which way, what the writing side
//! must support) are checked in `junction_domain::sync::automation::model`; here they are rows.

use serde::Serialize;
use sqlx::Row;

use super::{Backend, Store, StoreError, now_ms};

/// Why a run left `running` by a host that stopped is marked interrupted.
const AUTOMATION_HOST_STOPPED: &str =
    "the process stopped during the run; it resumes from its cursor and outbox";

/// An automation as stored. `entities` and `options` are JSON documents validated by the
/// automation model before they are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutomationRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub source_connection_id: String,
    pub target_connection_id: String,
    pub enabled: bool,
    pub cadence_secs: i64,
    pub on_change: bool,
    pub entities: String,
    pub options: String,
    pub next_run_ms: i64,
    pub last_run_ms: Option<i64>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub failures: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// One run of an automation, as the history shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
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

/// Counts a run adds up as it goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub read: i64,
    pub written: i64,
    pub skipped: i64,
    pub failed: i64,
    pub parked: i64,
}

impl RunCounts {
    pub fn add(&mut self, other: RunCounts) {
        self.read += other.read;
        self.written += other.written;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.parked += other.parked;
    }
}

/// How an automation's run ended, for its schedule.
pub struct AutomationEnd<'a> {
    pub status: &'a str,
    pub error: Option<&'a str>,
    pub failures: i64,
    pub next_run_ms: i64,
}

const COLUMNS: &str = "id, tenant_id, name, source_connection_id, target_connection_id, enabled, cadence_secs, on_change, \
     entities, options, next_run_ms, last_run_ms, last_status, last_error, failures, created_ms, updated_ms";

impl Store {
    /// Insert a new automation (validated by the caller); due at once.
    pub async fn create_automation(&self, row: &AutomationRow) -> Result<(), StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO automations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        )))
        .bind(&row.id)
        .bind(&row.tenant_id)
        .bind(&row.name)
        .bind(&row.source_connection_id)
        .bind(&row.target_connection_id)
        .bind(i64::from(row.enabled))
        .bind(row.cadence_secs)
        .bind(i64::from(row.on_change))
        .bind(&row.entities)
        .bind(&row.options)
        .bind(row.next_run_ms)
        .bind(row.last_run_ms)
        .bind(row.last_status.as_deref())
        .bind(row.last_error.as_deref())
        .bind(row.failures)
        .bind(row.created_ms)
        .bind(row.updated_ms)
        .execute(self.pool())
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict(format!(
                    "the tenant already has an automation named `{}`",
                    row.name
                ))
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    /// Replace an automation's definition (name, enabled, cadence, trigger, entities,
    /// options). Cursors and links are kept.
    pub async fn update_automation(&self, row: &AutomationRow) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE automations SET name = $1, enabled = $2, cadence_secs = $3, on_change = $4, entities = $5, \
             options = $6, next_run_ms = $7, updated_ms = $8 WHERE id = $9",
        )
        .bind(&row.name)
        .bind(i64::from(row.enabled))
        .bind(row.cadence_secs)
        .bind(i64::from(row.on_change))
        .bind(&row.entities)
        .bind(&row.options)
        .bind(row.next_run_ms)
        .bind(now_ms())
        .bind(&row.id)
        .execute(self.pool())
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict(format!(
                    "the tenant already has an automation named `{}`",
                    row.name
                ))
            } else {
                e.into()
            }
        })?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("automation", &row.id));
        }
        Ok(())
    }

    pub async fn automation(&self, id: &str) -> Result<AutomationRow, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM automations WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => automation_from_row(&row),
            None => Err(StoreError::not_found("automation", id)),
        }
    }

    /// All automations, or a tenant's, by name.
    pub async fn automations(
        &self,
        tenant_id: Option<&str>,
    ) -> Result<Vec<AutomationRow>, StoreError> {
        let rows = match tenant_id {
            Some(tenant) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM automations WHERE tenant_id = $1 ORDER BY name"
                )))
                .bind(tenant)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM automations ORDER BY tenant_id, name"
                )))
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(automation_from_row).collect()
    }

    pub async fn delete_automation(&self, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM automations WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("automation", id));
        }
        Ok(())
    }

    /// Lease up to `limit` enabled automations due at `now` (unleased, or their lease
    /// expired), oldest due first, in one statement: on PostgreSQL the candidates are
    /// locked `FOR UPDATE SKIP LOCKED`, so hosts claiming at the same moment take disjoint
    /// sets instead of queueing on each other's rows. Returns each id with why its run is
    /// due (`schedule`, `manual` or `change`). A run still `running` under an expired lease
    /// was left by a host that stopped; it is recorded interrupted in the same transaction.
    pub async fn claim_due_automations(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        if limit <= 0 {
            return Ok(Vec::new());
        }
        let sql = match self.backend() {
            Backend::Postgres => {
                "WITH picked AS (SELECT id FROM automations \
                 WHERE enabled = 1 AND next_run_ms <= $3 AND (lease_until_ms IS NULL OR lease_until_ms < $3) \
                 AND source_connection_id NOT IN (SELECT id FROM connections WHERE paused = 1) \
                 AND target_connection_id NOT IN (SELECT id FROM connections WHERE paused = 1) \
                 ORDER BY next_run_ms LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 UPDATE automations a SET lease_owner = $1, lease_until_ms = $2 FROM picked \
                 WHERE a.id = picked.id RETURNING a.id, a.wake_reason, a.next_run_ms"
            }
            Backend::Sqlite => {
                "UPDATE automations SET lease_owner = $1, lease_until_ms = $2 \
                 WHERE id IN (SELECT id FROM automations \
                 WHERE enabled = 1 AND next_run_ms <= $3 AND (lease_until_ms IS NULL OR lease_until_ms < $3) \
                 AND source_connection_id NOT IN (SELECT id FROM connections WHERE paused = 1) \
                 AND target_connection_id NOT IN (SELECT id FROM connections WHERE paused = 1) \
                 ORDER BY next_run_ms LIMIT $4) RETURNING id, wake_reason, next_run_ms"
            }
        };
        let mut tx = self.pool().begin().await?;
        let rows = sqlx::query(sql)
            .bind(owner)
            .bind(now + lease_ms)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id")?;
            let reason: Option<String> = row.try_get("wake_reason")?;
            let next_run_ms: i64 = row.try_get("next_run_ms")?;
            claimed.push((next_run_ms, id, reason.unwrap_or_else(|| "schedule".into())));
        }
        for (_, id, _) in &claimed {
            interrupt_left_runs(&mut tx, id, now).await?;
            sqlx::query("UPDATE automations SET wake_reason = NULL WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        // RETURNING has no order of its own: oldest due first, like the selection.
        claimed.sort_by_key(|(next, _, _)| *next);
        Ok(claimed
            .into_iter()
            .map(|(_, id, reason)| (id, reason))
            .collect())
    }

    /// Take an automation's lease if it is free (or expired). Returns why the run is due
    /// (`schedule`, `manual` or `change`) when taken, none when another holds it.
    pub async fn claim_automation(
        &self,
        id: &str,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Option<String>, StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE automations SET lease_owner = $1, lease_until_ms = $2 \
             WHERE id = $3 AND (lease_until_ms IS NULL OR lease_until_ms < $4 OR lease_owner = $1)",
        )
        .bind(owner)
        .bind(now + lease_ms)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        interrupt_left_runs(&mut tx, id, now).await?;
        let row = sqlx::query("SELECT wake_reason FROM automations WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let reason: Option<String> = row.try_get("wake_reason")?;
        sqlx::query("UPDATE automations SET wake_reason = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(reason.unwrap_or_else(|| "schedule".into())))
    }

    /// Extend a held lease. False when it was lost.
    pub async fn renew_automation_lease(
        &self,
        id: &str,
        owner: &str,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE automations SET lease_until_ms = $1 WHERE id = $2 AND lease_owner = $3",
        )
        .bind(now_ms() + lease_ms)
        .bind(id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Record how a run ended, schedule the next one and release the lease.
    pub async fn end_automation_run(
        &self,
        id: &str,
        owner: &str,
        end: AutomationEnd<'_>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE automations SET last_run_ms = $1, last_status = $2, last_error = $3, failures = $4, \
             next_run_ms = $5, lease_owner = NULL, lease_until_ms = NULL WHERE id = $6 AND lease_owner = $7",
        )
        .bind(now_ms())
        .bind(end.status)
        .bind(end.error)
        .bind(end.failures)
        .bind(end.next_run_ms)
        .bind(id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Make an automation due now ("run now").
    pub async fn run_automation_now(&self, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE automations SET next_run_ms = $1, wake_reason = 'manual' WHERE id = $2",
        )
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("automation", id));
        }
        Ok(())
    }

    /// A connection's records changed: automations that run on change and read or write
    /// through it become due now. Returns how many were woken.
    pub async fn wake_automations_on_change(&self, connection_id: &str) -> Result<u64, StoreError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE automations SET next_run_ms = $1, wake_reason = COALESCE(wake_reason, 'change') \
             WHERE enabled = 1 AND on_change = 1 AND next_run_ms > $1 \
             AND (source_connection_id = $2 OR target_connection_id = $2)",
        )
        .bind(now)
        .bind(connection_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// An automation's cursor in one (entity, direction) change feed; 0 before any run.
    pub async fn automation_cursor(
        &self,
        automation_id: &str,
        resource: &str,
        direction: &str,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT change_seq FROM automation_cursors WHERE automation_id = $1 AND resource = $2 AND direction = $3",
        )
        .bind(automation_id)
        .bind(resource)
        .bind(direction)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok(row.try_get("change_seq")?),
            None => Ok(0),
        }
    }

    pub async fn start_automation_run(
        &self,
        run_id: &str,
        automation_id: &str,
        trigger: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO automation_runs (id, automation_id, trigger_kind, started_ms, status) VALUES ($1, $2, $3, $4, 'running')",
        )
        .bind(run_id)
        .bind(automation_id)
        .bind(trigger)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Add counts to a running run (called per page, so a crash leaves true counts).
    pub async fn add_automation_run_counts(
        &self,
        run_id: &str,
        counts: RunCounts,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE automation_runs SET read_count = read_count + $1, written = written + $2, skipped = skipped + $3, \
             failed = failed + $4, parked = parked + $5 WHERE id = $6",
        )
        .bind(counts.read)
        .bind(counts.written)
        .bind(counts.skipped)
        .bind(counts.failed)
        .bind(counts.parked)
        .bind(run_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn finish_automation_run(
        &self,
        run_id: &str,
        status: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE automation_runs SET finished_ms = $1, status = $2, error = $3 WHERE id = $4",
        )
        .bind(now_ms())
        .bind(status)
        .bind(error)
        .bind(run_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Startup recovery, like [`Store::recover_interrupted_runs`]: with SQLite (one host)
    /// every run left `running` is interrupted and every automation and outbox lease freed;
    /// with PostgreSQL only `dead_owners`' leases are freed and only runs of automations no
    /// live lease covers are interrupted (expired leases are taken over by the next claim).
    pub async fn recover_interrupted_automation_runs(
        &self,
        dead_owners: &[String],
    ) -> Result<u64, StoreError> {
        let now = now_ms();
        if self.backend() == Backend::Sqlite {
            let done = sqlx::query(
                "UPDATE automation_runs SET status = 'interrupted', finished_ms = $1, error = $2 WHERE status = 'running'",
            )
            .bind(now)
            .bind(AUTOMATION_HOST_STOPPED)
            .execute(self.pool())
            .await?;
            sqlx::query("UPDATE automations SET lease_owner = NULL, lease_until_ms = NULL")
                .execute(self.pool())
                .await?;
            sqlx::query("UPDATE outbox SET lease_owner = NULL, lease_until_ms = NULL")
                .execute(self.pool())
                .await?;
            return Ok(done.rows_affected());
        }
        let mut tx = self.pool().begin().await?;
        for owner in dead_owners {
            sqlx::query(
                "UPDATE automations SET lease_owner = NULL, lease_until_ms = NULL WHERE lease_owner = $1",
            )
            .bind(owner)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE outbox SET lease_owner = NULL, lease_until_ms = NULL WHERE lease_owner = $1",
            )
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        }
        let done = sqlx::query(
            "UPDATE automation_runs SET status = 'interrupted', finished_ms = $1, error = $2 \
             WHERE status = 'running' AND NOT EXISTS (SELECT 1 FROM automations a \
             WHERE a.id = automation_runs.automation_id AND a.lease_owner IS NOT NULL AND a.lease_until_ms >= $1)",
        )
        .bind(now)
        .bind(AUTOMATION_HOST_STOPPED)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// An automation's runs, newest first.
    pub async fn automation_runs(
        &self,
        automation_id: &str,
        limit: i64,
    ) -> Result<Vec<AutomationRun>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AUTOMATION_RUN_COLUMNS} FROM automation_runs WHERE automation_id = $1 \
             ORDER BY started_ms DESC, id DESC LIMIT $2"
        )))
        .bind(automation_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(automation_run_from_row).collect()
    }

    /// One run of an automation.
    pub async fn automation_run(
        &self,
        automation_id: &str,
        run_id: &str,
    ) -> Result<AutomationRun, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AUTOMATION_RUN_COLUMNS} FROM automation_runs WHERE automation_id = $1 AND id = $2"
        )))
        .bind(automation_id)
        .bind(run_id)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => automation_run_from_row(&row),
            None => Err(StoreError::not_found("automation run", run_id)),
        }
    }
}

const AUTOMATION_RUN_COLUMNS: &str = "id, automation_id, trigger_kind, started_ms, finished_ms, status, \
     read_count, written, skipped, failed, parked, error";

fn automation_run_from_row(row: &sqlx::any::AnyRow) -> Result<AutomationRun, StoreError> {
    Ok(AutomationRun {
        id: row.try_get("id")?,
        automation_id: row.try_get("automation_id")?,
        trigger: row.try_get("trigger_kind")?,
        started_ms: row.try_get("started_ms")?,
        finished_ms: row.try_get("finished_ms")?,
        status: row.try_get("status")?,
        read: row.try_get("read_count")?,
        written: row.try_get("written")?,
        skipped: row.try_get("skipped")?,
        failed: row.try_get("failed")?,
        parked: row.try_get("parked")?,
        error: row.try_get("error")?,
    })
}

fn automation_from_row(row: &sqlx::any::AnyRow) -> Result<AutomationRow, StoreError> {
    Ok(AutomationRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
        source_connection_id: row.try_get("source_connection_id")?,
        target_connection_id: row.try_get("target_connection_id")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        cadence_secs: row.try_get("cadence_secs")?,
        on_change: row.try_get::<i64, _>("on_change")? != 0,
        entities: row.try_get("entities")?,
        options: row.try_get("options")?,
        next_run_ms: row.try_get("next_run_ms")?,
        last_run_ms: row.try_get("last_run_ms")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        failures: row.try_get("failures")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}

/// Due automations are unleased or expired: a run still `running` was left by a host that
/// stopped (its lease ran out). Recorded interrupted before the new run starts.
async fn interrupt_left_runs(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    automation_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE automation_runs SET status = 'interrupted', finished_ms = $1, error = $2 \
         WHERE automation_id = $3 AND status = 'running'",
    )
    .bind(now)
    .bind(AUTOMATION_HOST_STOPPED)
    .bind(automation_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
