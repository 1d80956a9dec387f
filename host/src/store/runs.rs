//! The run history: one row per autosync run with its trigger, timing, pages, records and
//! error, readable by users through the admin API and CLI.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, now_ms};
use crate::runtime::types::ResourceKind;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
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
}

const COLUMNS: &str = "id, connection_id, resource, trigger_kind, started_ms, finished_ms, status, pages, records, error";

impl Store {
    pub async fn start_run(
        &self,
        id: &str,
        connection_id: &str,
        resource: ResourceKind,
        trigger: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO runs (id, connection_id, resource, trigger_kind, started_ms, status) VALUES ($1, $2, $3, $4, $5, 'running')",
        )
        .bind(id)
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(trigger)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn finish_run(
        &self,
        id: &str,
        status: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE runs SET finished_ms = $1, status = $2, error = $3 WHERE id = $4")
            .bind(now_ms())
            .bind(status)
            .bind(error)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Runs left `running` by a process that died: mark them interrupted (their work
    /// resumes from the checkpoint) and free their leases.
    pub async fn recover_interrupted_runs(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE runs SET status = 'interrupted', finished_ms = $1, error = 'the process stopped during the run; it resumes from its checkpoint' \
             WHERE status = 'running'",
        )
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        sqlx::query(
            "UPDATE sync_state SET lease_owner = NULL, lease_until_ms = NULL, run_id = NULL",
        )
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
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
    })
}
