//! The local copy of each connection's records, and the checkpointed page write that
//! autosync commits: a page of records and the sync cursor move together in one
//! transaction, so a crash never loses or duplicates a record and the next run resumes.

use sqlx::Row;

use super::{Store, StoreError};
use crate::runtime::types::ResourceKind;

/// Insert or replace a record, but never with an older copy: an overlapping or lagging
/// page cannot roll data back.
const UPSERT_RECORD: &str = "INSERT INTO records (connection_id, resource, parent_id, external_id, modified_ms, status, data) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (connection_id, resource, parent_id, external_id) DO UPDATE SET \
     modified_ms = excluded.modified_ms, status = excluded.status, data = excluded.data \
     WHERE records.modified_ms <= excluded.modified_ms";

/// A record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// The product id for variations; empty otherwise.
    pub parent_id: String,
    pub external_id: String,
    pub modified_ms: i64,
    /// Orders' status, for filtering.
    pub status: Option<String>,
    /// The record as served (camelCase JSON).
    pub data: String,
}

/// One page of records and where the run goes next.
pub struct PageCheckpoint<'a> {
    pub connection_id: &'a str,
    pub resource: ResourceKind,
    pub run_id: &'a str,
    pub records: &'a [StoredRecord],
    /// The connector cursor for the next page (none: the run's listing is complete).
    pub next_cursor: Option<&'a str>,
}

/// A list query of the Runtime API.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    pub parent_id: Option<String>,
    pub updated_since_ms: Option<i64>,
    pub statuses: Vec<String>,
    /// Keyset paging: only records after this (modified_ms, external_id).
    pub after: Option<(i64, String)>,
    pub offset: i64,
    pub limit: i64,
}

impl Store {
    /// Upsert a page and move the checkpoint, atomically. A record is only replaced by one
    /// at least as new, so an overlapping or lagging page never rolls data back.
    pub async fn commit_page(&self, page: PageCheckpoint<'_>) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for record in page.records {
            sqlx::query(UPSERT_RECORD)
                .bind(page.connection_id)
                .bind(page.resource.as_str())
                .bind(&record.parent_id)
                .bind(&record.external_id)
                .bind(record.modified_ms)
                .bind(record.status.as_deref())
                .bind(&record.data)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE sync_state SET run_cursor = $1 WHERE connection_id = $2 AND resource = $3",
        )
        .bind(page.next_cursor)
        .bind(page.connection_id)
        .bind(page.resource.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE runs SET pages = pages + 1, records = records + $1 WHERE id = $2")
            .bind(i64::try_from(page.records.len()).unwrap_or(i64::MAX))
            .bind(page.run_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Upsert one record outside a run (a write-back's result).
    pub async fn upsert_record(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        record: &StoredRecord,
    ) -> Result<(), StoreError> {
        sqlx::query(UPSERT_RECORD)
            .bind(connection_id)
            .bind(resource.as_str())
            .bind(&record.parent_id)
            .bind(&record.external_id)
            .bind(record.modified_ms)
            .bind(record.status.as_deref())
            .bind(&record.data)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A page of records ordered by modification time, then external id. Returns up to
    /// `limit + 1` rows so the caller can tell whether more follow.
    pub async fn list_records(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        query: &RecordQuery,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let mut sql = String::from(
            "SELECT parent_id, external_id, modified_ms, status, data FROM records \
             WHERE connection_id = $1 AND resource = $2 AND modified_ms >= $3",
        );
        let mut next = 4;
        if query.parent_id.is_some() {
            sql.push_str(&format!(" AND parent_id = ${next}"));
            next += 1;
        }
        if query.after.is_some() {
            sql.push_str(&format!(
                " AND (modified_ms > ${a} OR (modified_ms = ${a} AND external_id > ${b}))",
                a = next,
                b = next + 1
            ));
            next += 2;
        }
        if !query.statuses.is_empty() {
            let marks: Vec<String> = (0..query.statuses.len())
                .map(|i| format!("${}", next + i))
                .collect();
            sql.push_str(&format!(" AND status IN ({})", marks.join(", ")));
            next += query.statuses.len();
        }
        sql.push_str(&format!(
            " ORDER BY modified_ms, external_id LIMIT ${next} OFFSET ${}",
            next + 1
        ));
        // `sql` is built from constants and generated `$N` placeholders only.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(connection_id)
            .bind(resource.as_str())
            .bind(query.updated_since_ms.unwrap_or(i64::MIN));
        if let Some(parent) = &query.parent_id {
            q = q.bind(parent);
        }
        if let Some((modified_ms, external_id)) = &query.after {
            q = q.bind(*modified_ms).bind(external_id);
        }
        for status in &query.statuses {
            q = q.bind(status);
        }
        let rows = q
            .bind(query.limit.saturating_add(1))
            .bind(query.offset)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// One record by external id (and parent id for variations).
    pub async fn record(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        parent_id: &str,
        external_id: &str,
    ) -> Result<Option<StoredRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT parent_id, external_id, modified_ms, status, data FROM records \
             WHERE connection_id = $1 AND resource = $2 AND parent_id = $3 AND external_id = $4",
        )
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(parent_id)
        .bind(external_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// How many records a connection holds for a resource.
    pub async fn count_records(
        &self,
        connection_id: &str,
        resource: ResourceKind,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM records WHERE connection_id = $1 AND resource = $2",
        )
        .bind(connection_id)
        .bind(resource.as_str())
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("n")?)
    }
}

fn record_from_row(row: &sqlx::any::AnyRow) -> Result<StoredRecord, StoreError> {
    Ok(StoredRecord {
        parent_id: row.try_get("parent_id")?,
        external_id: row.try_get("external_id")?,
        modified_ms: row.try_get("modified_ms")?,
        status: row.try_get("status")?,
        data: row.try_get("data")?,
    })
}
