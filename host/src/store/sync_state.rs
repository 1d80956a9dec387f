//! Autosync state per (connection, resource): whether it is enabled, its cadence, when it
//! is due, the checkpoint of the run in progress, the high-water mark of committed changes
//! and how the last run went. Due work is claimed with a lease, so a job runs once at a
//! time (on one host now; across hosts with the PostgreSQL backend).

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, now_ms};
use crate::runtime::types::ResourceKind;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
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
}

/// How a run ended, for the state row.
pub struct RunEnd<'a> {
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

const COLUMNS: &str = "connection_id, resource, enabled, cadence_secs, next_run_ms, run_cursor, run_since, run_id, \
    high_water, last_run_ms, last_status, last_error, failures, record_count";

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

    /// Due (connection, resource, asked for by hand) jobs that nobody holds a live lease
    /// on, oldest first.
    pub async fn due_jobs(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<(String, String, bool)>, StoreError> {
        let rows = sqlx::query(
            "SELECT connection_id, resource, requested_ms FROM sync_state \
             WHERE enabled = 1 AND next_run_ms <= $1 AND (lease_until_ms IS NULL OR lease_until_ms < $1) \
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

    /// Take the lease on a job if it is free (or expired). True when this owner got it.
    pub async fn claim_job(
        &self,
        connection_id: &str,
        resource: &str,
        owner: &str,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE sync_state SET lease_owner = $1, lease_until_ms = $2 \
             WHERE connection_id = $3 AND resource = $4 AND (lease_until_ms IS NULL OR lease_until_ms < $5)",
        )
        .bind(owner)
        .bind(now + lease_ms)
        .bind(connection_id)
        .bind(resource)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
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

    /// Record the end of a run and release the lease.
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
             next_run_ms = $7, record_count = $8, lease_owner = NULL, lease_until_ms = NULL \
             WHERE connection_id = $9 AND resource = $10",
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
        .execute(self.pool())
        .await?;
        Ok(())
    }
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
    })
}
