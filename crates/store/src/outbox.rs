//! The automation outbox and the id links.
//!
//! A page of changes becomes outbox rows in the same transaction that moves the
//! automation's cursor, so a change is either still ahead of the cursor or waiting in the
//! outbox — never lost. One row per (automation, record, write kind) holds the newest
//! content; a row is deleted in the same transaction that records the link after its write
//! succeeded. A failed row keeps its attempts and next attempt time; a parked row waits for
//! a hand ([`Store::retry_outbox`]).
//!
//! Links remember which record on one connection Junction wrote as which record on another:
//! the target id for the next update, the digest of the content last written (an unchanged
//! record is not written again) and the target's modification time after the write (the
//! echo mark: a change read back from the target that is not newer is Junction's own).

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, new_id, now_ms};

/// A write waiting in the outbox.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    pub id: String,
    pub automation_id: String,
    pub source_connection_id: String,
    pub target_connection_id: String,
    pub resource: String,
    pub source_id: String,
    pub write_kind: String,
    /// The planned write (the mapped record), as JSON.
    #[serde(skip)]
    pub payload: String,
    #[serde(skip)]
    pub fingerprint: String,
    pub source_modified_ms: i64,
    /// `pending` or `parked`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A write to enqueue.
pub struct NewOutboxEntry<'a> {
    pub source_connection_id: &'a str,
    pub target_connection_id: &'a str,
    pub resource: &'a str,
    pub source_id: &'a str,
    pub write_kind: &'a str,
    pub payload: &'a str,
    pub fingerprint: &'a str,
    pub source_modified_ms: i64,
}

/// What Junction remembers about one record it wrote to another connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdLink {
    pub resource: String,
    pub source_connection_id: String,
    pub source_id: String,
    pub target_connection_id: String,
    pub target_id: String,
    pub fingerprint: Option<String>,
    pub echo_modified_ms: Option<i64>,
}

const ENTRY_COLUMNS: &str = "id, automation_id, source_connection_id, target_connection_id, resource, source_id, write_kind, \
     payload, fingerprint, source_modified_ms, status, attempts, next_attempt_ms, last_error, created_ms, updated_ms";

const LINK_COLUMNS: &str = "resource, source_connection_id, source_id, target_connection_id, target_id, fingerprint, echo_modified_ms";

impl Store {
    /// Enqueue a page of writes and move the automation's cursor, atomically. A row already
    /// waiting for the same record and write kind takes the newer content (a parked one is
    /// woken: it is new data). Returns how many rows were written.
    pub async fn enqueue_page(
        &self,
        automation_id: &str,
        resource: &str,
        direction: &str,
        entries: &[NewOutboxEntry<'_>],
        cursor: i64,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        for entry in entries {
            sqlx::query(
                "INSERT INTO outbox (id, automation_id, source_connection_id, target_connection_id, resource, source_id, \
                 write_kind, payload, fingerprint, source_modified_ms, status, attempts, next_attempt_ms, created_ms, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, $11, $11, $11) \
                 ON CONFLICT (automation_id, resource, source_connection_id, source_id, write_kind) DO UPDATE SET \
                 payload = excluded.payload, fingerprint = excluded.fingerprint, source_modified_ms = excluded.source_modified_ms, \
                 status = 'pending', attempts = CASE WHEN outbox.status = 'parked' THEN 0 ELSE outbox.attempts END, \
                 next_attempt_ms = CASE WHEN outbox.status = 'parked' THEN excluded.next_attempt_ms ELSE outbox.next_attempt_ms END, \
                 updated_ms = excluded.updated_ms \
                 WHERE outbox.source_modified_ms <= excluded.source_modified_ms",
            )
            .bind(new_id())
            .bind(automation_id)
            .bind(entry.source_connection_id)
            .bind(entry.target_connection_id)
            .bind(entry.resource)
            .bind(entry.source_id)
            .bind(entry.write_kind)
            .bind(entry.payload)
            .bind(entry.fingerprint)
            .bind(entry.source_modified_ms)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO automation_cursors (automation_id, resource, direction, change_seq) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (automation_id, resource, direction) DO UPDATE SET change_seq = excluded.change_seq",
        )
        .bind(automation_id)
        .bind(resource)
        .bind(direction)
        .bind(cursor)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Pending rows of an automation due at `now`, oldest first, not leased by another.
    pub async fn due_outbox(
        &self,
        automation_id: Option<&str>,
        now: i64,
        limit: i64,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let filter = if automation_id.is_some() {
            "AND automation_id = $3"
        } else {
            "AND $3 = $3"
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox WHERE status = 'pending' AND next_attempt_ms <= $1 \
             AND (lease_until_ms IS NULL OR lease_until_ms < $1) {filter} ORDER BY next_attempt_ms, created_ms LIMIT $2"
        )))
        .bind(now)
        .bind(limit)
        .bind(automation_id.unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Lease a row for one delivery attempt. True when taken.
    pub async fn claim_outbox(
        &self,
        id: &str,
        owner: &str,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE outbox SET lease_owner = $1, lease_until_ms = $2 WHERE id = $3 AND status = 'pending' \
             AND (lease_until_ms IS NULL OR lease_until_ms < $4)",
        )
        .bind(owner)
        .bind(now + lease_ms)
        .bind(id)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A row's write succeeded: record the link and delete the row, atomically. If the
    /// row's content changed while it was being written (a newer page arrived), the row
    /// stays for the newer content.
    pub async fn outbox_delivered(
        &self,
        entry: &OutboxEntry,
        link: &IdLink,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO id_links (resource, source_connection_id, source_id, target_connection_id, target_id, fingerprint, \
             echo_modified_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (resource, source_connection_id, source_id, target_connection_id) DO UPDATE SET \
             target_id = excluded.target_id, fingerprint = excluded.fingerprint, \
             echo_modified_ms = COALESCE(excluded.echo_modified_ms, id_links.echo_modified_ms), updated_ms = excluded.updated_ms",
        )
        .bind(&link.resource)
        .bind(&link.source_connection_id)
        .bind(&link.source_id)
        .bind(&link.target_connection_id)
        .bind(&link.target_id)
        .bind(link.fingerprint.as_deref())
        .bind(link.echo_modified_ms)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let deleted = sqlx::query("DELETE FROM outbox WHERE id = $1 AND fingerprint = $2")
            .bind(&entry.id)
            .bind(&entry.fingerprint)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            sqlx::query(
                "UPDATE outbox SET lease_owner = NULL, lease_until_ms = NULL WHERE id = $1",
            )
            .bind(&entry.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A row's write failed: count the attempt and schedule the next, or park it.
    /// `count_attempt` is false for rate-limit waits, which are not failures.
    pub async fn outbox_failed(
        &self,
        id: &str,
        error: &str,
        count_attempt: bool,
        next_attempt_ms: i64,
        park: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + $1, next_attempt_ms = $2, last_error = $3, status = $4, \
             updated_ms = $5, lease_owner = NULL, lease_until_ms = NULL WHERE id = $6",
        )
        .bind(i64::from(count_attempt))
        .bind(next_attempt_ms)
        .bind(error)
        .bind(if park { "parked" } else { "pending" })
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Rows of an automation, optionally by status (`pending`, `parked`), oldest first.
    pub async fn outbox_entries(
        &self,
        automation_id: &str,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox WHERE automation_id = $1 AND ($2 = '' OR status = $2) \
             ORDER BY created_ms, id LIMIT $3"
        )))
        .bind(automation_id)
        .bind(status.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Retry by hand: a parked (or waiting) row becomes due now with a fresh attempt
    /// count. With `id` none, every parked row of the automation. Returns rows retried.
    pub async fn retry_outbox(
        &self,
        automation_id: &str,
        id: Option<&str>,
    ) -> Result<u64, StoreError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = $1, updated_ms = $1 \
             WHERE automation_id = $2 AND (($3 = '' AND status = 'parked') OR id = $3)",
        )
        .bind(now)
        .bind(automation_id)
        .bind(id.unwrap_or(""))
        .execute(self.pool())
        .await?;
        if let Some(id) = id
            && done.rows_affected() == 0
        {
            return Err(StoreError::not_found("outbox entry", id));
        }
        Ok(done.rows_affected())
    }

    /// Outbox rows of an automation per status.
    pub async fn outbox_counts(&self, automation_id: &str) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) AS pending, \
             COALESCE(SUM(CASE WHEN status = 'parked' THEN 1 ELSE 0 END), 0) AS parked FROM outbox WHERE automation_id = $1",
        )
        .bind(automation_id)
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("pending")?, row.try_get("parked")?))
    }

    /// The link of a record written from `source` to `target`.
    pub async fn link_from(
        &self,
        resource: &str,
        source_connection_id: &str,
        source_id: &str,
        target_connection_id: &str,
    ) -> Result<Option<IdLink>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LINK_COLUMNS} FROM id_links WHERE resource = $1 AND source_connection_id = $2 AND source_id = $3 \
             AND target_connection_id = $4"
        )))
        .bind(resource)
        .bind(source_connection_id)
        .bind(source_id)
        .bind(target_connection_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(link_from_row).transpose()
    }

    /// Links whose written side is this record (Junction wrote it from elsewhere).
    pub async fn links_to(
        &self,
        resource: &str,
        target_connection_id: &str,
        target_id: &str,
    ) -> Result<Vec<IdLink>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LINK_COLUMNS} FROM id_links WHERE resource = $1 AND target_connection_id = $2 AND target_id = $3"
        )))
        .bind(resource)
        .bind(target_connection_id)
        .bind(target_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(link_from_row).collect()
    }
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<OutboxEntry, StoreError> {
    Ok(OutboxEntry {
        id: row.try_get("id")?,
        automation_id: row.try_get("automation_id")?,
        source_connection_id: row.try_get("source_connection_id")?,
        target_connection_id: row.try_get("target_connection_id")?,
        resource: row.try_get("resource")?,
        source_id: row.try_get("source_id")?,
        write_kind: row.try_get("write_kind")?,
        payload: row.try_get("payload")?,
        fingerprint: row.try_get("fingerprint")?,
        source_modified_ms: row.try_get("source_modified_ms")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        next_attempt_ms: row.try_get("next_attempt_ms")?,
        last_error: row.try_get("last_error")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}

fn link_from_row(row: &sqlx::any::AnyRow) -> Result<IdLink, StoreError> {
    Ok(IdLink {
        resource: row.try_get("resource")?,
        source_connection_id: row.try_get("source_connection_id")?,
        source_id: row.try_get("source_id")?,
        target_connection_id: row.try_get("target_connection_id")?,
        target_id: row.try_get("target_id")?,
        fingerprint: row.try_get("fingerprint")?,
        echo_modified_ms: row.try_get("echo_modified_ms")?,
    })
}
