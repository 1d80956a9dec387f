//! The run history: one row per autosync run with its trigger, timing, pages, records and
//! error, readable by users through the admin API and CLI.

use serde::Serialize;
use sqlx::Row;

use super::{Backend, Store, StoreError, now_ms};
use junction_contract::ResourceKind;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub id: String,
    pub connection_id: String,
    pub resource: String,
    /// `schedule` or `manual`.
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
    /// deleted what it did not see; `records` counts the records it saw).
    pub kind: String,
    /// Records a reconciliation marked deleted (0 for syncs).
    pub deleted: i64,
}

/// The kinds of run.
pub const SYNC_RUN: &str = "sync";
pub const RECONCILE_RUN: &str = "reconcile";

const COLUMNS: &str = "id, connection_id, resource, trigger_kind, started_ms, finished_ms, status, pages, records, error, host, kind, deleted";

/// Why a run left `running` by a host that stopped is marked interrupted.
pub(crate) const HOST_STOPPED: &str =
    "the host process stopped during the run; it resumes from its checkpoint";

impl Store {
    pub async fn start_run(
        &self,
        id: &str,
        connection_id: &str,
        resource: ResourceKind,
        trigger: &str,
    ) -> Result<(), StoreError> {
        self.start_run_of_kind(id, connection_id, resource, trigger, SYNC_RUN)
            .await
    }

    /// Record the start of a run of a kind ([`SYNC_RUN`], [`RECONCILE_RUN`]).
    pub async fn start_run_of_kind(
        &self,
        id: &str,
        connection_id: &str,
        resource: ResourceKind,
        trigger: &str,
        kind: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            // The host is the job's lease holder: the caller holds the lease when it starts a run.
            "INSERT INTO runs (id, connection_id, resource, trigger_kind, started_ms, status, host, kind) VALUES ($1, $2, $3, $4, $5, 'running', \
             (SELECT lease_owner FROM sync_state WHERE connection_id = $2 AND resource = $3), $6)",
        )
        .bind(id)
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(trigger)
        .bind(now_ms())
        .bind(kind)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Record how a reconciliation ended: pages listed, records seen, records deleted.
    pub async fn finish_reconcile_run(
        &self,
        id: &str,
        status: &str,
        error: Option<&str>,
        counts: (u64, u64, u64),
    ) -> Result<(), StoreError> {
        let (pages, records, deleted) = counts;
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        sqlx::query(
            "UPDATE runs SET finished_ms = $1, status = $2, error = $3, pages = $4, records = $5, deleted = $6 \
             WHERE id = $7 AND status = 'running'",
        )
        .bind(now_ms())
        .bind(status)
        .bind(error)
        .bind(n(pages))
        .bind(n(records))
        .bind(n(deleted))
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Record how a run ended. A run another host already marked interrupted (it took the
    /// job over after this host's lease expired) keeps that record.
    pub async fn finish_run(
        &self,
        id: &str,
        status: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE runs SET finished_ms = $1, status = $2, error = $3 WHERE id = $4 AND status = 'running'")
            .bind(now_ms())
            .bind(status)
            .bind(error)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Every name holding a lease on a sync job, an automation or an outbox row: startup
    /// recovery asks which of them are processes of this machine that no longer run.
    pub async fn lease_owners(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT lease_owner FROM sync_state WHERE lease_owner IS NOT NULL \
             UNION SELECT lease_owner FROM automations WHERE lease_owner IS NOT NULL \
             UNION SELECT lease_owner FROM outbox WHERE lease_owner IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| r.try_get("lease_owner").map_err(StoreError::from))
            .collect()
    }

    /// Startup recovery. `dead_owners` are lease owners known to be dead: this process's
    /// own name and those of processes of this machine that no longer run. With the
    /// embedded SQLite database one host owns everything: every run left `running` is
    /// interrupted and every lease freed. With PostgreSQL other hosts may be running: only
    /// the dead owners' leases are freed, and a run left `running` is interrupted only when
    /// no live lease covers its job; other hosts' live leases are left alone, and leases
    /// that merely expired are taken over by the next claim ([`Store::claim_due_jobs`]).
    pub async fn recover_interrupted_runs(
        &self,
        dead_owners: &[String],
    ) -> Result<u64, StoreError> {
        let now = now_ms();
        if self.backend() == Backend::Sqlite {
            let done = sqlx::query(
                "UPDATE runs SET status = 'interrupted', finished_ms = $1, error = $2 WHERE status = 'running'",
            )
            .bind(now)
            .bind(HOST_STOPPED)
            .execute(self.pool())
            .await?;
            sqlx::query(
                "UPDATE sync_state SET lease_owner = NULL, lease_until_ms = NULL, run_id = NULL",
            )
            .execute(self.pool())
            .await?;
            return Ok(done.rows_affected());
        }
        let mut tx = self.pool().begin().await?;
        for owner in dead_owners {
            sqlx::query(
                "UPDATE sync_state SET lease_owner = NULL, lease_until_ms = NULL, run_id = NULL WHERE lease_owner = $1",
            )
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        }
        let done = sqlx::query(
            "UPDATE runs SET status = 'interrupted', finished_ms = $1, error = $2 \
             WHERE status = 'running' AND NOT EXISTS (SELECT 1 FROM sync_state s \
             WHERE s.connection_id = runs.connection_id AND s.resource = runs.resource \
             AND s.lease_owner IS NOT NULL AND s.lease_until_ms >= $1)",
        )
        .bind(now)
        .bind(HOST_STOPPED)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// One sync or reconciliation run.
    pub async fn run(&self, id: &str) -> Result<Run, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM runs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => run_from_row(&row),
            None => Err(StoreError::not_found("run", id)),
        }
    }

    /// The newest runs of a connection (optionally one resource), newest first.
    pub async fn runs(
        &self,
        connection_id: &str,
        resource: Option<ResourceKind>,
        limit: i64,
    ) -> Result<Vec<Run>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM runs WHERE connection_id = $1 AND ($2 = '' OR resource = $2) \
             ORDER BY started_ms DESC, id DESC LIMIT $3"
        )))
        .bind(connection_id)
        .bind(resource.map(|r| r.as_str()).unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(run_from_row).collect()
    }
}

/// What the portal's Runs page asks for: each part narrows the list; empty parts do not.
/// `tenant_id` is the session's tenant (none only for the operator), so a user's query
/// never reaches another tenant's rows whatever else it says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub tenant_id: Option<String>,
    pub connection_id: Option<String>,
    pub resource: Option<String>,
    pub status: Option<String>,
    pub trigger: Option<String>,
    /// Started at or after (epoch ms).
    pub since_ms: Option<i64>,
    /// Started before (epoch ms).
    pub until_ms: Option<i64>,
}

/// A sync run with the names the Runs page shows beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRun {
    pub run: Run,
    pub connection_name: String,
    pub tenant_name: String,
}

/// An automation run with its automation's name and tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedAutomationRun {
    pub run: super::automations::AutomationRun,
    pub automation_name: String,
    pub tenant_name: String,
}

/// Records synced by a connection's finished runs, per resource and hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourlyRecords {
    pub resource: String,
    /// Hours since the epoch (UTC) of the runs' start.
    pub hour: i64,
    pub records: i64,
    pub runs: i64,
}

/// The most rows one call of the filtered lists returns.
pub const MAX_LISTED_RUNS: i64 = 200;

impl Store {
    /// Sync runs across connections, newest first: `limit` rows (at most
    /// [`MAX_LISTED_RUNS`]) after skipping `offset`. The tenant is checked in SQL (through
    /// the run's connection).
    pub async fn filtered_runs(
        &self,
        filter: &RunFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<ListedRun>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.connection_id, r.resource, r.trigger_kind, r.started_ms, r.finished_ms, r.status, \
             r.pages, r.records, r.error, r.host, r.kind, r.deleted, c.name AS connection_name, t.name AS tenant_name \
             FROM runs r JOIN connections c ON c.id = r.connection_id JOIN tenants t ON t.id = c.tenant_id \
             WHERE ($1 = '' OR c.tenant_id = $1) AND ($2 = '' OR r.connection_id = $2) \
             AND ($3 = '' OR r.resource = $3) AND ($4 = '' OR r.status = $4) AND ($5 = '' OR r.trigger_kind = $5) \
             AND r.started_ms >= $6 AND r.started_ms < $7 \
             ORDER BY r.started_ms DESC, r.id DESC LIMIT $8 OFFSET $9",
        )
        .bind(filter.tenant_id.as_deref().unwrap_or(""))
        .bind(filter.connection_id.as_deref().unwrap_or(""))
        .bind(filter.resource.as_deref().unwrap_or(""))
        .bind(filter.status.as_deref().unwrap_or(""))
        .bind(filter.trigger.as_deref().unwrap_or(""))
        .bind(filter.since_ms.unwrap_or(i64::MIN))
        .bind(filter.until_ms.unwrap_or(i64::MAX))
        .bind(limit.clamp(0, MAX_LISTED_RUNS))
        .bind(offset.max(0))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ListedRun {
                    run: run_from_row(row)?,
                    connection_name: row.try_get("connection_name")?,
                    tenant_name: row.try_get("tenant_name")?,
                })
            })
            .collect()
    }

    /// Automation runs across automations, newest first, like [`Store::filtered_runs`]:
    /// `connection_id` matches either side, `resource` is not a property of these runs
    /// (the caller does not pass one).
    pub async fn filtered_automation_runs(
        &self,
        filter: &RunFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<ListedAutomationRun>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.automation_id, r.trigger_kind, r.started_ms, r.finished_ms, r.status, r.read_count, \
             r.written, r.skipped, r.failed, r.parked, r.error, a.name AS automation_name, t.name AS tenant_name \
             FROM automation_runs r JOIN automations a ON a.id = r.automation_id JOIN tenants t ON t.id = a.tenant_id \
             WHERE ($1 = '' OR a.tenant_id = $1) \
             AND ($2 = '' OR a.source_connection_id = $2 OR a.target_connection_id = $2) \
             AND ($3 = '' OR r.status = $3) AND ($4 = '' OR r.trigger_kind = $4) \
             AND r.started_ms >= $5 AND r.started_ms < $6 \
             ORDER BY r.started_ms DESC, r.id DESC LIMIT $7 OFFSET $8",
        )
        .bind(filter.tenant_id.as_deref().unwrap_or(""))
        .bind(filter.connection_id.as_deref().unwrap_or(""))
        .bind(filter.status.as_deref().unwrap_or(""))
        .bind(filter.trigger.as_deref().unwrap_or(""))
        .bind(filter.since_ms.unwrap_or(i64::MIN))
        .bind(filter.until_ms.unwrap_or(i64::MAX))
        .bind(limit.clamp(0, MAX_LISTED_RUNS))
        .bind(offset.max(0))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ListedAutomationRun {
                    run: super::automations::AutomationRun {
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
                    },
                    automation_name: row.try_get("automation_name")?,
                    tenant_name: row.try_get("tenant_name")?,
                })
            })
            .collect()
    }

    /// Records of a connection's finished runs started at or after `since_ms`, summed per
    /// resource and hour (at most one row per resource and hour: bounded by the window).
    pub async fn hourly_records(
        &self,
        connection_id: &str,
        since_ms: i64,
    ) -> Result<Vec<HourlyRecords>, StoreError> {
        let rows = sqlx::query(
            "SELECT resource, started_ms / 3600000 AS hour, CAST(SUM(records) AS BIGINT) AS records, \
             COUNT(*) AS runs FROM runs \
             WHERE connection_id = $1 AND started_ms >= $2 AND finished_ms IS NOT NULL AND kind = 'sync' \
             GROUP BY resource, started_ms / 3600000 ORDER BY hour, resource LIMIT 100000",
        )
        .bind(connection_id)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(HourlyRecords {
                    resource: row.try_get("resource")?,
                    hour: row.try_get("hour")?,
                    records: row.try_get("records")?,
                    runs: row.try_get("runs")?,
                })
            })
            .collect()
    }
}

fn run_from_row(row: &sqlx::any::AnyRow) -> Result<Run, StoreError> {
    Ok(Run {
        id: row.try_get("id")?,
        connection_id: row.try_get("connection_id")?,
        resource: row.try_get("resource")?,
        trigger: row.try_get("trigger_kind")?,
        started_ms: row.try_get("started_ms")?,
        finished_ms: row.try_get("finished_ms")?,
        status: row.try_get("status")?,
        pages: row.try_get("pages")?,
        records: row.try_get("records")?,
        error: row.try_get("error")?,
        host: row.try_get("host")?,
        kind: row.try_get("kind")?,
        deleted: row.try_get("deleted")?,
    })
}
