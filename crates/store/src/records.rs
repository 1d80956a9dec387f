//! The local copy of each connection's records, and the checkpointed page write that
//! autosync commits: a page of records and the sync cursor move together in one
//! transaction, so a crash never loses or duplicates a record and the next run resumes.
//!
//! Every write also feeds the connection's change feed: a record that is inserted or whose
//! data changes takes the next number of the connection's counter (`change_seq`), taken
//! under the connection row's lock so that numbers become visible in order. Automations and
//! webhooks follow the feed with their own cursors ([`Store::changes_since`]).

use sqlx::Row;

use super::{Store, StoreError};
use junction_contract::ResourceKind;

/// Insert or replace a record, but never with an older copy: an overlapping or lagging
/// page cannot roll data back.
/// A record whose data does not change keeps its place in the change feed.
const UPSERT_RECORD: &str = "INSERT INTO records (connection_id, resource, parent_id, external_id, modified_ms, status, data, change_seq, first_seq, sku) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) \
     ON CONFLICT (connection_id, resource, parent_id, external_id) DO UPDATE SET \
     modified_ms = excluded.modified_ms, status = excluded.status, data = excluded.data, sku = excluded.sku, \
     change_seq = CASE WHEN records.data = excluded.data THEN records.change_seq ELSE excluded.change_seq END \
     WHERE records.modified_ms <= excluded.modified_ms";

/// One entry of a connection's change feed: a record as it is now, and its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedRecord {
    pub change_seq: i64,
    /// True when this is the record's first appearance (a creation).
    pub created: bool,
    pub record: StoredRecord,
}

/// A record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// The product id for variations; empty otherwise.
    pub parent_id: String,
    pub external_id: String,
    pub modified_ms: i64,
    /// Orders' status, for filtering.
    pub status: Option<String>,
    /// Products' and variations' SKU, for matching across systems.
    pub sku: Option<String>,
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
    /// Returns how many records were created or changed.
    pub async fn commit_page(&self, page: PageCheckpoint<'_>) -> Result<u64, StoreError> {
        let mut tx = self.pool().begin().await?;
        // The checkpoint moves only while the job still belongs to this run: a host whose
        // lease expired and was taken over (the claim cleared `run_id`) commits nothing.
        // Checked first, so the state row is locked before the records are written.
        let owned = sqlx::query(
            "UPDATE sync_state SET run_cursor = $1 WHERE connection_id = $2 AND resource = $3 AND run_id = $4",
        )
        .bind(page.next_cursor)
        .bind(page.connection_id)
        .bind(page.resource.as_str())
        .bind(page.run_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if owned != 1 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!(
                "run {} no longer holds the {} job of connection {}: another host took it over",
                page.run_id,
                page.resource.as_str(),
                page.connection_id
            )));
        }
        let changed = upsert_in(&mut tx, page.connection_id, page.resource, page.records).await?;
        sqlx::query("UPDATE runs SET pages = pages + 1, records = records + $1 WHERE id = $2")
            .bind(i64::try_from(page.records.len()).unwrap_or(i64::MAX))
            .bind(page.run_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Upsert one record outside a run (a write-back's result, a pushed order). Returns
    /// whether it was created or changed.
    pub async fn upsert_record(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        record: &StoredRecord,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        let changed = upsert_in(
            &mut tx,
            connection_id,
            resource,
            std::slice::from_ref(record),
        )
        .await?;
        tx.commit().await?;
        Ok(changed > 0)
    }

    /// The connection's change feed for one resource after `after_seq`, oldest first, up
    /// to `limit` entries.
    pub async fn changes_since(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<ChangedRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT parent_id, external_id, modified_ms, status, sku, data, change_seq, first_seq FROM records \
             WHERE connection_id = $1 AND resource = $2 AND change_seq > $3 \
             ORDER BY change_seq LIMIT $4",
        )
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(after_seq)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let change_seq: i64 = row.try_get("change_seq")?;
                let first_seq: i64 = row.try_get("first_seq")?;
                Ok(ChangedRecord {
                    change_seq,
                    created: first_seq == change_seq,
                    record: record_from_row(row)?,
                })
            })
            .collect()
    }

    /// The newest number of a connection's change feed (0 before any record).
    pub async fn latest_change_seq(&self, connection_id: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT change_seq FROM connections WHERE id = $1")
            .bind(connection_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("connection", connection_id))?;
        Ok(row.try_get("change_seq")?)
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
            "SELECT parent_id, external_id, modified_ms, status, sku, data FROM records \
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
            "SELECT parent_id, external_id, modified_ms, status, sku, data FROM records \
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

    /// Products and variations of a connection with this SKU (products first).
    pub async fn records_by_sku(
        &self,
        connection_id: &str,
        sku: &str,
    ) -> Result<Vec<(ResourceKind, StoredRecord)>, StoreError> {
        let rows = sqlx::query(
            "SELECT resource, parent_id, external_id, modified_ms, status, sku, data FROM records \
             WHERE connection_id = $1 AND sku = $2 ORDER BY resource, external_id LIMIT 10",
        )
        .bind(connection_id)
        .bind(sku)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let resource: String = row.try_get("resource")?;
                let kind = ResourceKind::parse(&resource).map_err(StoreError::Corrupt)?;
                Ok((kind, record_from_row(row)?))
            })
            .collect()
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

/// Upsert records inside a transaction, numbering them in the connection's change feed;
/// returns how many were created or changed.
async fn upsert_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    resource: ResourceKind,
    records: &[StoredRecord],
) -> Result<u64, StoreError> {
    if records.is_empty() {
        return Ok(0);
    }
    let n = i64::try_from(records.len()).unwrap_or(i64::MAX);
    // Locks the connection row until commit: feed numbers become visible in order.
    let row = sqlx::query(
        "UPDATE connections SET change_seq = change_seq + $1 WHERE id = $2 RETURNING change_seq",
    )
    .bind(n)
    .bind(connection_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("connection", connection_id))?;
    let last: i64 = row.try_get("change_seq")?;
    let first = last - n + 1;
    for (i, record) in (0_i64..).zip(records) {
        sqlx::query(UPSERT_RECORD)
            .bind(connection_id)
            .bind(resource.as_str())
            .bind(&record.parent_id)
            .bind(&record.external_id)
            .bind(record.modified_ms)
            .bind(record.status.as_deref())
            .bind(&record.data)
            .bind(first + i)
            .bind(record.sku.as_deref())
            .execute(&mut **tx)
            .await?;
    }
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM records WHERE connection_id = $1 AND resource = $2 AND change_seq >= $3",
    )
    .bind(connection_id)
    .bind(resource.as_str())
    .bind(first)
    .fetch_one(&mut **tx)
    .await?;
    let changed: i64 = row.try_get("n")?;
    Ok(u64::try_from(changed).unwrap_or(0))
}

fn record_from_row(row: &sqlx::any::AnyRow) -> Result<StoredRecord, StoreError> {
    Ok(StoredRecord {
        parent_id: row.try_get("parent_id")?,
        external_id: row.try_get("external_id")?,
        modified_ms: row.try_get("modified_ms")?,
        status: row.try_get("status")?,
        sku: row.try_get("sku")?,
        data: row.try_get("data")?,
    })
}
