//! Autosync state per (connection, resource): whether it is enabled, its cadence, when it
//! is due, the checkpoint of the run in progress, the high-water mark of committed changes
//! and how the last run went. Due work is claimed with a lease, so a job runs once at a
//! time, also across several hosts sharing one PostgreSQL database: hosts claim due jobs in
//! one statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so they never wait for nor pick
//! each other's rows), renew their leases per page, and take over a job whose lease expired
//! (its host died), marking the dead host's run interrupted. Writes of a run are tied to
//! the state row's `run_id`, so a host that lost its lease cannot commit over the new one.

use serde::Serialize;
use sqlx::Row;

use super::{Backend, Store, StoreError, now_ms};
use junction_contract::ResourceKind;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
    pub connection_id: String,
    pub resource: String,
    pub enabled: bool,
    pub cadence_secs: i64,
    pub next_run_ms: i64,
    /// The connector cursor where the interrupted or running run continues.
    #[serde(skip)]
    pub run_cursor: Option<String>,
    /// The updated-since the run in progress started from.
    #[serde(skip)]
    pub run_since: Option<String>,
    pub run_id: Option<String>,
    /// The newest modification time committed (RFC 3339).
    pub high_water: Option<String>,
    pub last_run_ms: Option<i64>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub failures: i64,
    pub record_count: i64,
    /// When a run of this resource last succeeded (none: never).
    pub last_success_ms: Option<i64>,
    /// When the next reconciliation is due (0: asked for now; none: one period after the
    /// first successful sync).
    pub reconcile_due_ms: Option<i64>,
    /// When a reconciliation of this resource last completed (none: never).
    pub last_reconciled_ms: Option<i64>,
}

/// How a run ended, for the state row.
pub struct RunEnd<'a> {
    /// The run ending: nothing changes when the job now belongs to another run (this
    /// host's lease expired and another host took the job over).
    pub run_id: &'a str,
    pub status: &'a str,
    pub error: Option<&'a str>,
    /// The new high-water mark (unchanged when none).
    pub high_water: Option<&'a str>,
    /// Keep the checkpoint (the run failed mid-way and resumes) or clear it.
    pub keep_checkpoint: bool,
    pub failures: i64,
    pub next_run_ms: i64,
    pub record_count: i64,
}

/// A job this host has just leased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub connection_id: String,
    pub resource: String,
    /// Asked for by hand ("sync now"): the run is recorded `manual`.
    pub manual: bool,
    /// The run a dead host left `running` on this job (its lease expired), now marked
    /// interrupted.
    pub taken_over: Option<String>,
}

const COLUMNS: &str = "connection_id, resource, enabled, cadence_secs, next_run_ms, run_cursor, run_since, run_id, \
    high_water, last_run_ms, last_status, last_error, failures, record_count, last_success_ms, \
    reconcile_due_ms, last_reconciled_ms";

impl Store {
    pub async fn sync_states(&self, connection_id: &str) -> Result<Vec<SyncState>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sync_state WHERE connection_id = $1 ORDER BY resource"
        )))
        .bind(connection_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(state_from_row).collect()
    }

    pub async fn sync_state(
        &self,
        connection_id: &str,
        resource: ResourceKind,
    ) -> Result<SyncState, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sync_state WHERE connection_id = $1 AND resource = $2"
        )))
        .bind(connection_id)
        .bind(resource.as_str())
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => state_from_row(&row),
            None => Err(StoreError::not_found(
                "synced resource",
                format!("{connection_id}/{}", resource.as_str()),
            )),
        }
    }

    /// Enable or disable a resource and set its cadence.
    pub async fn configure_resource(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        enabled: bool,
        cadence_secs: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE sync_state SET enabled = $1, cadence_secs = $2 WHERE connection_id = $3 AND resource = $4",
        )
        .bind(i64::from(enabled))
        .bind(cadence_secs)
        .bind(connection_id)
        .bind(resource.as_str())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(
                "synced resource",
                format!("{connection_id}/{}", resource.as_str()),
            ));
        }
        Ok(())
    }

    /// Make resources due now ("sync now"); all of a connection's when `resource` is none.
    pub async fn sync_now(
        &self,
        connection_id: &str,
        resource: Option<ResourceKind>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE sync_state SET next_run_ms = $1, requested_ms = $1 WHERE connection_id = $2 AND ($3 = '' OR resource = $3) AND enabled = 1",
        )
        .bind(now_ms())
        .bind(connection_id)
        .bind(resource.map(|r| r.as_str()).unwrap_or(""))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Ask for a reconciliation now ("reconcile now"): the resources' jobs become due and
    /// reconcile after their sync; all readable resources of the connection when `resource`
    /// is none. Returns how many resources will reconcile.
    pub async fn reconcile_now(
        &self,
        connection_id: &str,
        resource: Option<ResourceKind>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE sync_state SET reconcile_due_ms = 0, next_run_ms = $1, requested_ms = $1 \
             WHERE connection_id = $2 AND ($3 = '' OR resource = $3) AND enabled = 1",
        )
        .bind(now_ms())
        .bind(connection_id)
        .bind(resource.map(|r| r.as_str()).unwrap_or(""))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Record when the next reconciliation is due, and (when one just completed) when it
    /// completed. Only while `run_id` still holds the job, and the due time only while it is
    /// still `due_read`, the value the job read when it started: a "reconcile now" asked for
    /// while the job ran is kept, so the next run does it.
    pub async fn schedule_reconciliation(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        run_id: &str,
        due: ReconcileDue,
        completed_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_state SET \
               reconcile_due_ms = CASE WHEN COALESCE(reconcile_due_ms, -1) = COALESCE($6, -1) \
                 THEN $1 ELSE reconcile_due_ms END, \
               last_reconciled_ms = COALESCE($2, last_reconciled_ms) \
             WHERE connection_id = $3 AND resource = $4 AND run_id = $5",
        )
        .bind(due.next_ms)
        .bind(completed_ms)
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(run_id)
        .bind(due.read_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Due (connection, resource, asked for by hand) jobs that nobody holds a live lease
    /// on, oldest first.
    pub async fn due_jobs(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<(String, String, bool)>, StoreError> {
        let rows = sqlx::query(
            "SELECT connection_id, resource, requested_ms FROM sync_state \
             WHERE enabled = 1 AND connection_id NOT IN (SELECT id FROM connections WHERE paused = 1) AND next_run_ms <= $1 AND (lease_until_ms IS NULL OR lease_until_ms < $1) \
             ORDER BY next_run_ms LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let requested: Option<i64> = r.try_get("requested_ms")?;
                Ok((
                    r.try_get("connection_id")?,
                    r.try_get("resource")?,
                    requested.is_some(),
                ))
            })
            .collect()
    }

    /// Lease up to `limit` due jobs (enabled, due at `now`, unleased or with an expired
    /// lease) to `owner` for `lease_ms`, oldest first, in one transaction. Concurrent
    /// callers get disjoint jobs: on PostgreSQL the candidate rows are locked with
    /// `FOR UPDATE SKIP LOCKED` (another host's candidates are skipped, not waited for, and
    /// the lease condition is re-checked on the locked row); SQLite has one writer at a
    /// time, which makes the same UPDATE atomic. A taken-over job's stale run (left
    /// `running` by a host whose lease expired) is marked interrupted in the same
    /// transaction, and its `run_id` cleared so that host can commit nothing more.
    pub async fn claim_due_jobs(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        if limit <= 0 {
            return Ok(Vec::new());
        }
        let sql = match self.backend() {
            Backend::Postgres => {
                "WITH picked AS (SELECT connection_id, resource FROM sync_state \
                 WHERE enabled = 1 AND connection_id NOT IN (SELECT id FROM connections WHERE paused = 1) AND next_run_ms <= $3 AND (lease_until_ms IS NULL OR lease_until_ms < $3) \
                 ORDER BY next_run_ms LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 UPDATE sync_state s SET lease_owner = $1, lease_until_ms = $2 FROM picked \
                 WHERE s.connection_id = picked.connection_id AND s.resource = picked.resource \
                 RETURNING s.connection_id, s.resource, s.requested_ms, s.run_id, s.next_run_ms"
            }
            Backend::Sqlite => {
                "UPDATE sync_state SET lease_owner = $1, lease_until_ms = $2 \
                 WHERE (connection_id, resource) IN (SELECT connection_id, resource FROM sync_state \
                 WHERE enabled = 1 AND connection_id NOT IN (SELECT id FROM connections WHERE paused = 1) AND next_run_ms <= $3 AND (lease_until_ms IS NULL OR lease_until_ms < $3) \
                 ORDER BY next_run_ms LIMIT $4) \
                 RETURNING connection_id, resource, requested_ms, run_id, next_run_ms"
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
            let requested: Option<i64> = row.try_get("requested_ms")?;
            let next_run_ms: i64 = row.try_get("next_run_ms")?;
            claimed.push((
                next_run_ms,
                ClaimedJob {
                    connection_id: row.try_get("connection_id")?,
                    resource: row.try_get("resource")?,
                    manual: requested.is_some(),
                    taken_over: row.try_get("run_id")?,
                },
            ));
        }
        // A job being claimed has no live run: any run still marked running belongs to a
        // host that lost the lease (or died between starting the run and pointing the job
        // at it), so it ends here as interrupted.
        for (_, job) in &claimed {
            interrupt_stale_runs(&mut tx, &job.connection_id, &job.resource, now).await?;
        }
        tx.commit().await?;
        // RETURNING has no order of its own: oldest due first, like the selection.
        claimed.sort_by_key(|(next, _)| *next);
        Ok(claimed.into_iter().map(|(_, job)| job).collect())
    }

    /// Take the lease on a job if it is free (or expired). True when this owner got it.
    pub async fn claim_job(
        &self,
        connection_id: &str,
        resource: &str,
        owner: &str,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE sync_state SET lease_owner = $1, lease_until_ms = $2 \
             WHERE connection_id = $3 AND resource = $4 AND (lease_until_ms IS NULL OR lease_until_ms < $5)",
        )
        .bind(owner)
        .bind(now + lease_ms)
        .bind(connection_id)
        .bind(resource)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        // Taking over an expired lease: a run its dead holder left is interrupted.
        interrupt_stale_runs(&mut tx, connection_id, resource, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Extend a lease this owner holds.
    pub async fn renew_lease(
        &self,
        connection_id: &str,
        resource: &str,
        owner: &str,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sync_state SET lease_until_ms = $1 WHERE connection_id = $2 AND resource = $3 AND lease_owner = $4",
        )
        .bind(now_ms() + lease_ms)
        .bind(connection_id)
        .bind(resource)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Free `owner`'s lease on a job whose run could not be recorded (the database failed
    /// under it), due again at `next_run_ms` instead of after the lease; its stale run,
    /// if it began, is marked interrupted by that claim. True when the lease was ours.
    pub async fn release_job_lease(
        &self,
        connection_id: &str,
        resource: &str,
        owner: &str,
        next_run_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sync_state SET lease_owner = NULL, lease_until_ms = NULL, next_run_ms = $4 \
             WHERE connection_id = $1 AND resource = $2 AND lease_owner = $3",
        )
        .bind(connection_id)
        .bind(resource)
        .bind(owner)
        .bind(next_run_ms)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Put a claimed job back without running it: due again at `next_run_ms`, lease freed.
    pub async fn defer_job(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        next_run_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_state SET next_run_ms = $1, lease_owner = NULL, lease_until_ms = NULL \
             WHERE connection_id = $2 AND resource = $3",
        )
        .bind(next_run_ms)
        .bind(connection_id)
        .bind(resource.as_str())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Record the start of a run: which run, and the updated-since it lists from. A run
    /// that resumes a checkpoint keeps the original `run_since`.
    pub async fn begin_sync_run(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        run_id: &str,
        since: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_state SET run_id = $1, requested_ms = NULL, run_since = CASE WHEN run_cursor IS NULL THEN $2 ELSE run_since END \
             WHERE connection_id = $3 AND resource = $4",
        )
        .bind(run_id)
        .bind(since)
        .bind(connection_id)
        .bind(resource.as_str())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Record the end of a run and release the lease. A "sync now" or "reconcile now" asked
    /// for while the run went (`requested_ms` set again after `begin_sync_run` cleared it)
    /// keeps its time, so the job runs again at once instead of at its next cadence.
    pub async fn end_sync_run(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        end: RunEnd<'_>,
    ) -> Result<(), StoreError> {
        let keep = i64::from(end.keep_checkpoint);
        sqlx::query(
            "UPDATE sync_state SET \
             high_water = COALESCE($1, high_water), \
             run_cursor = CASE WHEN $2 = 1 THEN run_cursor ELSE NULL END, \
             run_since = CASE WHEN $2 = 1 THEN run_since ELSE NULL END, \
             run_id = NULL, last_run_ms = $3, last_status = $4, last_error = $5, failures = $6, \
             last_success_ms = CASE WHEN $4 = 'succeeded' THEN $3 ELSE last_success_ms END, \
             next_run_ms = CASE WHEN requested_ms IS NOT NULL AND requested_ms < $7 THEN requested_ms ELSE $7 END, \
             record_count = $8, lease_owner = NULL, lease_until_ms = NULL \
             WHERE connection_id = $9 AND resource = $10 AND run_id = $11",
        )
        .bind(end.high_water)
        .bind(keep)
        .bind(now_ms())
        .bind(end.status)
        .bind(end.error)
        .bind(end.failures)
        .bind(end.next_run_ms)
        .bind(end.record_count)
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(end.run_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// Mark the run a dead host left on a job interrupted and detach it from the job, inside
/// the claiming transaction (so the history never shows two running runs of one job).
async fn interrupt_stale_runs(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    resource: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE runs SET status = 'interrupted', finished_ms = $1, error = $2 \
         WHERE connection_id = $3 AND resource = $4 AND status = 'running'",
    )
    .bind(now)
    .bind(super::runs::HOST_STOPPED)
    .bind(connection_id)
    .bind(resource)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE sync_state SET run_id = NULL WHERE connection_id = $1 AND resource = $2 AND run_id IS NOT NULL",
    )
    .bind(connection_id)
    .bind(resource)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn state_from_row(row: &sqlx::any::AnyRow) -> Result<SyncState, StoreError> {
    let enabled: i64 = row.try_get("enabled")?;
    Ok(SyncState {
        connection_id: row.try_get("connection_id")?,
        resource: row.try_get("resource")?,
        enabled: enabled != 0,
        cadence_secs: row.try_get("cadence_secs")?,
        next_run_ms: row.try_get("next_run_ms")?,
        run_cursor: row.try_get("run_cursor")?,
        run_since: row.try_get("run_since")?,
        run_id: row.try_get("run_id")?,
        high_water: row.try_get("high_water")?,
        last_run_ms: row.try_get("last_run_ms")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        failures: row.try_get("failures")?,
        record_count: row.try_get("record_count")?,
        last_success_ms: row.try_get("last_success_ms")?,
        reconcile_due_ms: row.try_get("reconcile_due_ms")?,
        last_reconciled_ms: row.try_get("last_reconciled_ms")?,
    })
}

/// The next due time of a resource's reconciliation, and the due time its job read when it
/// started (what [`Store::schedule_reconciliation`] replaces only if still there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileDue {
    pub next_ms: i64,
    pub read_ms: Option<i64>,
}
