//! The local copy of each connection's records, and the checkpointed page write that
//! autosync commits: a page of records and the sync cursor move together in one
//! transaction, so a crash never loses or duplicates a record and the next run resumes.
//!
//! Every write that changes a record stamps it three ways, all under the connection row's
//! lock so that they become visible in the order they were taken:
//! - the connection's change feed number (`change_seq`), which automations and webhooks
//!   follow with their own cursors ([`Store::changes_since`]);
//! - the local copy's change time (`changed_ms`, from the connection's clock, which moves
//!   forward at least one millisecond per committing transaction): the Runtime API's
//!   `modifiedAt`, and what `updatedSince` filters on;
//! - a position among the changes of its (connection, resource, parent): dense, never
//!   reused, only moving forward. Runtime API pages are windows of positions
//!   ([`Store::page_records`]), so a walk by page numbers loses nothing while records change
//!   underneath: a record that changes leaves a hole in its old window and reappears at the
//!   end, and every record that does not change keeps its window.
//!
//! A record whose stored JSON does not change is not written at all (it keeps its number,
//! time and position).

use std::collections::{HashMap, HashSet};

use super::deletions::tombstone_live;

use sqlx::Row;

use super::{Store, StoreError};
use junction_contract::ResourceKind;

const UPSERT_RECORD: &str = "INSERT INTO records (connection_id, resource, parent_id, external_id, modified_ms, status, data, change_seq, first_seq, sku, changed_ms, position) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11) \
     ON CONFLICT (connection_id, resource, parent_id, external_id) DO UPDATE SET \
     modified_ms = excluded.modified_ms, status = excluded.status, data = excluded.data, sku = excluded.sku, \
     change_seq = excluded.change_seq, changed_ms = excluded.changed_ms, position = excluded.position, \
     deleted_ms = NULL";

/// Earlier versions kept per record (`record_versions`, for the portal's records browser).
pub const VERSIONS_KEPT: i64 = 10;

pub(crate) const RECORD_COLUMNS: &str =
    "parent_id, external_id, modified_ms, status, sku, data, changed_ms, position, deleted_ms";

/// One entry of a connection's change feed: a record as it is now, and its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedRecord {
    pub change_seq: i64,
    /// True when this is the record's first appearance (a creation).
    pub created: bool,
    pub record: StoredRecord,
}

/// A record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredRecord {
    /// The product id for variations; empty otherwise.
    pub parent_id: String,
    pub external_id: String,
    /// The external system's modification time (`sourceModifiedAt`).
    pub modified_ms: i64,
    /// Orders' status, for filtering.
    pub status: Option<String>,
    /// Products' and variations' SKU, for matching across systems.
    pub sku: Option<String>,
    /// The record as rendered from the connector (camelCase JSON, the system's time as
    /// `modifiedAt`); [`StoredRecord::served`] is what clients see.
    pub data: String,
    /// When the local copy last changed this record (set by the store; ignored on write).
    pub changed_ms: i64,
    /// Its position among its (connection, resource, parent)'s changes (set by the store).
    pub position: i64,
    /// When the local copy learned that the external system deleted it (a tombstone; set
    /// by the store, cleared when the record is written again).
    pub deleted_ms: Option<i64>,
}

impl StoredRecord {
    /// The record as the Runtime API, webhooks and write answers serve it.
    pub fn served(&self) -> String {
        let mut out = String::with_capacity(self.data.len() + 48);
        write_served(&mut out, &self.data, self.changed_ms);
        out
    }
}

/// Append a stored record's JSON as served: `modifiedAt` is the local copy's change time
/// (what `updatedSince` compares), and the system's own `modifiedAt` becomes
/// `sourceModifiedAt`. Done on the text, without parsing: the stored JSON has sorted keys
/// and every key before `modifiedAt` holds a scalar or a type without such a key (addresses,
/// line items, attributes), so the first `,"modifiedAt":` is the top-level one; `raw`, where
/// a system's own `modifiedAt` may live, sorts after it (a test in `record_json` holds both).
pub fn write_served(out: &mut String, data: &str, changed_ms: i64) {
    const SOURCE_KEY: &str = ",\"modifiedAt\":";
    let Some(body) = data.strip_prefix('{') else {
        out.push_str(data);
        return;
    };
    out.push_str("{\"modifiedAt\":\"");
    out.push_str(&format_changed_ms(changed_ms));
    out.push('"');
    match body.find(SOURCE_KEY) {
        Some(at) => {
            out.push(',');
            out.push_str(&body[..at]);
            out.push_str(",\"sourceModifiedAt\":");
            out.push_str(&body[at + SOURCE_KEY.len()..]);
        }
        None if body.trim_start().starts_with('}') => out.push_str(body),
        None => {
            out.push(',');
            out.push_str(body);
        }
    }
}

/// RFC 3339 UTC with exactly three fractional digits: every change time has the same
/// shape, and a client that keeps milliseconds keeps all of it.
pub fn format_changed_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| format!("{t:.3}"))
        .unwrap_or_default()
}

/// One page of records and where the run goes next.
pub struct PageCheckpoint<'a> {
    pub connection_id: &'a str,
    pub resource: ResourceKind,
    pub run_id: &'a str,
    pub records: &'a [StoredRecord],
    /// The connector cursor for the next page (none: the run's listing is complete).
    pub next_cursor: Option<&'a str>,
    /// Records the system reported deleted on this page, as (parent id, external id):
    /// tombstoned in the same transaction (a product takes its variations), except those
    /// the page also lists as live.
    pub deleted: &'a [(String, String)],
}

/// An internal list query: records in position order.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    pub parent_id: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// How a Runtime API page is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// Page `n` (from 1): the n-th window of `limit` positions after the last position
    /// whose change time is at or before `updatedSince`.
    Number(i64),
    /// Keyset: the records after this position.
    After(i64),
}

/// A Runtime API list query.
#[derive(Debug, Clone)]
pub struct PageQuery {
    /// The product for variations; empty for the other resources.
    pub parent_id: String,
    /// Only records the local copy changed after this time.
    pub updated_since_ms: Option<i64>,
    /// Only orders with one of these statuses. Pages then count matching records (a
    /// status-filtered walk is a moving set: a record that changes status leaves it).
    pub statuses: Vec<String>,
    pub paging: Paging,
    pub limit: i64,
}

/// A Runtime API page.
#[derive(Debug, Clone)]
pub struct RecordPage {
    pub records: Vec<StoredRecord>,
    /// Tombstones in the page's range (only when `updatedSince` is given: a replica built
    /// by the recipe learns deletions from them; a full walk leaves them out).
    pub deleted: Vec<StoredRecord>,
    /// Whether a later page may hold records.
    pub has_more: bool,
    /// The position the next page starts after (for a keyset `cursor`).
    pub next_after: Option<i64>,
}

impl Store {
    /// Upsert a page and move the checkpoint, atomically. A record is only replaced by one
    /// at least as new, so an overlapping or lagging page never rolls data back.
    /// Returns how many records were created or changed.
    pub async fn commit_page(&self, page: PageCheckpoint<'_>) -> Result<Upserted, StoreError> {
        let mut tx = self.pool().begin().await?;
        // Locks in the order every writer of records takes them: the connection row (its
        // change numbers), then a resource's state row (its record count), so commits,
        // write-backs and tombstones of one connection never wait on each other in a cycle.
        sqlx::query("UPDATE connections SET clock_ms = clock_ms WHERE id = $1")
            .bind(page.connection_id)
            .execute(&mut *tx)
            .await?;
        // The checkpoint moves only while the job still belongs to this run: a host whose
        // lease expired and was taken over (the claim cleared `run_id`) commits nothing.
        // Checked before the records are written.
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
        let mut upserted =
            upsert_in(&mut tx, page.connection_id, page.resource, page.records).await?;
        if !page.deleted.is_empty() {
            let listed: HashSet<(&str, &str)> = page
                .records
                .iter()
                .map(|r| (r.parent_id.as_str(), r.external_id.as_str()))
                .collect();
            let reported: Vec<(String, String)> = page
                .deleted
                .iter()
                .filter(|(parent, id)| !listed.contains(&(parent.as_str(), id.as_str())))
                .cloned()
                .collect();
            let done =
                tombstone_live(&mut tx, page.connection_id, page.resource, &reported).await?;
            upserted.deleted = done.deleted + done.cascaded;
        }
        sqlx::query("UPDATE runs SET pages = pages + 1, records = records + $1 WHERE id = $2")
            .bind(i64::try_from(page.records.len()).unwrap_or(i64::MAX))
            .bind(page.run_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(upserted)
    }

    /// Upsert one record outside a run (a write-back's result, a pushed order). Returns
    /// whether it was created or changed.
    pub async fn upsert_record(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        record: &StoredRecord,
    ) -> Result<bool, StoreError> {
        let upserted = self
            .upsert_records(connection_id, resource, std::slice::from_ref(record))
            .await?;
        Ok(upserted.changed > 0)
    }

    /// Upsert records outside a run (a reconciliation's scan), in one transaction. Returns
    /// how many were created, changed or restored.
    pub async fn upsert_records(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        records: &[StoredRecord],
    ) -> Result<Upserted, StoreError> {
        let mut tx = self.pool().begin().await?;
        let upserted = upsert_in(&mut tx, connection_id, resource, records).await?;
        tx.commit().await?;
        Ok(upserted)
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
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS}, change_seq, first_seq FROM records \
                 WHERE connection_id = $1 AND resource = $2 AND change_seq > $3 \
                 ORDER BY change_seq LIMIT $4"
        )))
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

    /// Records in position order (internal readers: a product's variations, the products).
    /// Returns up to `limit + 1` rows so the caller can tell whether more follow.
    pub async fn list_records(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        query: &RecordQuery,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let by_parent = if query.parent_id.is_some() {
            " AND parent_id = $3"
        } else {
            " AND $3 = ''"
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE connection_id = $1 AND resource = $2{by_parent} \
             AND deleted_ms IS NULL ORDER BY parent_id, position LIMIT $4 OFFSET $5"
        )))
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(query.parent_id.as_deref().unwrap_or(""))
        .bind(query.limit.saturating_add(1))
        .bind(query.offset)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// A Runtime API page. By page number without a status filter, page `n` is the n-th
    /// window of `limit` positions after the last position changed at or before
    /// `updatedSince`: windows never move, so a walk loses nothing while records change (a
    /// window may hold fewer than `limit` records where records moved on). With a status
    /// filter, pages count the matching records in position order. A keyset page holds the
    /// next `limit` records after its position.
    pub async fn page_records(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        query: &PageQuery,
    ) -> Result<RecordPage, StoreError> {
        let since = query.updated_since_ms.unwrap_or(i64::MIN);
        let limit = query.limit.max(1);
        if let (Paging::Number(page), true) = (query.paging, query.statuses.is_empty()) {
            let mut tx = self.pool().begin().await?;
            let last = last_position(&mut tx, connection_id, resource, &query.parent_id).await?;
            let start = match query.updated_since_ms {
                None => 0,
                Some(since) => {
                    position_at(&mut tx, connection_id, resource, &query.parent_id, since).await?
                }
            };
            let from = start.saturating_add((page - 1).saturating_mul(limit));
            let to = from.saturating_add(limit);
            let live = live_only(query);
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE connection_id = $1 AND resource = $2 \
                 AND parent_id = $3 AND position > $4 AND position <= $5 AND changed_ms > $6{live} \
                 ORDER BY position"
            )))
            .bind(connection_id)
            .bind(resource.as_str())
            .bind(&query.parent_id)
            .bind(from)
            .bind(to)
            .bind(since)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let (records, deleted) = split_tombstones(
                rows.iter()
                    .map(record_from_row)
                    .collect::<Result<Vec<_>, _>>()?,
            );
            let has_more = to < last;
            return Ok(RecordPage {
                records,
                deleted,
                has_more,
                next_after: has_more.then_some(to),
            });
        }
        let mut sql = format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE connection_id = $1 AND resource = $2 \
             AND parent_id = $3 AND changed_ms > $4 AND position > $5{}",
            live_only(query)
        );
        let mut next = 6;
        if !query.statuses.is_empty() {
            let marks: Vec<String> = (0..query.statuses.len())
                .map(|i| format!("${}", next + i))
                .collect();
            sql.push_str(&format!(" AND status IN ({})", marks.join(", ")));
            next += query.statuses.len();
        }
        sql.push_str(&format!(
            " ORDER BY position LIMIT ${next} OFFSET ${}",
            next + 1
        ));
        let (after, offset) = match query.paging {
            Paging::After(position) => (position, 0),
            Paging::Number(page) => (0, (page - 1).saturating_mul(limit)),
        };
        // `sql` is built from constants and generated `$N` placeholders only.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(connection_id)
            .bind(resource.as_str())
            .bind(&query.parent_id)
            .bind(since)
            .bind(after);
        for status in &query.statuses {
            q = q.bind(status);
        }
        let rows = q
            .bind(limit.saturating_add(1))
            .bind(offset)
            .fetch_all(self.pool())
            .await?;
        let mut rows = rows
            .iter()
            .map(record_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let has_more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_after = if has_more {
            rows.last().map(|r| r.position)
        } else {
            None
        };
        let (records, deleted) = split_tombstones(rows);
        Ok(RecordPage {
            records,
            deleted,
            has_more,
            next_after,
        })
    }

    /// One record by external id (and parent id for variations), a tombstone included
    /// (`deleted_ms` set): callers say "deleted" rather than "unknown".
    pub async fn record(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        parent_id: &str,
        external_id: &str,
    ) -> Result<Option<StoredRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM records \
             WHERE connection_id = $1 AND resource = $2 AND parent_id = $3 AND external_id = $4"
        )))
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
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT resource, {RECORD_COLUMNS} FROM records \
             WHERE connection_id = $1 AND sku = $2 AND deleted_ms IS NULL ORDER BY resource, external_id LIMIT 10"
        )))
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
            "SELECT COUNT(*) AS n FROM records WHERE connection_id = $1 AND resource = $2 AND deleted_ms IS NULL",
        )
        .bind(connection_id)
        .bind(resource.as_str())
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("n")?)
    }
}

/// What an upsert did: records that are new or changed, and of them the new ones (a
/// tombstone restored counts as new); the rest of the page was unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Upserted {
    pub changed: u64,
    pub created: u64,
    /// Records the page reported deleted that the copy held live, with the variations of
    /// deleted products ([`PageCheckpoint::deleted`]).
    pub deleted: u64,
}

/// Upsert records inside a transaction: only those that are new or whose JSON changed (and
/// never with an older copy, so an overlapping or lagging page cannot roll data back), each
/// with the next change number, the transaction's clock value and the next position of its
/// parent.
async fn upsert_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    resource: ResourceKind,
    records: &[StoredRecord],
) -> Result<Upserted, StoreError> {
    if records.is_empty() {
        return Ok(Upserted::default());
    }
    let (first_seq, clock) = take_changes(tx, connection_id, records.len()).await?;

    let stored = current_versions(tx, connection_id, resource, records).await?;
    // The last of duplicates within one page wins, as it would have record by record.
    let mut latest: HashMap<(&str, &str), &StoredRecord> = HashMap::new();
    let mut order: Vec<(&str, &str)> = Vec::new();
    for record in records {
        let key = (record.parent_id.as_str(), record.external_id.as_str());
        if latest.insert(key, record).is_none() {
            order.push(key);
        }
    }
    let changed: Vec<&StoredRecord> = order
        .iter()
        .filter_map(|key| latest.get(key).copied())
        .filter(|record| {
            match stored.get(&(record.parent_id.clone(), record.external_id.clone())) {
                None => true,
                // A tombstone seen again is restored, even unchanged.
                Some(stored) => {
                    stored.modified_ms <= record.modified_ms
                        && (stored.data != record.data || stored.deleted)
                }
            }
        })
        .collect();

    let mut next_position: HashMap<&str, i64> = HashMap::new();
    for record in &changed {
        if !next_position.contains_key(record.parent_id.as_str()) {
            let last = last_position(tx, connection_id, resource, &record.parent_id).await?;
            next_position.insert(record.parent_id.as_str(), last);
        }
    }
    for (seq, record) in (first_seq..).zip(&changed) {
        let position = next_position
            .get_mut(record.parent_id.as_str())
            .map(|p| {
                *p += 1;
                *p
            })
            .unwrap_or(1);
        sqlx::query(UPSERT_RECORD)
            .bind(connection_id)
            .bind(resource.as_str())
            .bind(&record.parent_id)
            .bind(&record.external_id)
            .bind(record.modified_ms)
            .bind(record.status.as_deref())
            .bind(&record.data)
            .bind(seq)
            .bind(record.sku.as_deref())
            .bind(clock)
            .bind(position)
            .execute(&mut **tx)
            .await?;
    }
    mark_positions(tx, connection_id, resource, next_position, clock).await?;
    keep_replaced_versions(tx, connection_id, resource, &changed, &stored, clock).await?;
    // The resource's record count grows as pages land (new or restored records), so a
    // long first sync shows its progress; the run's end sets the exact count.
    let added = changed
        .iter()
        .filter(|record| {
            stored
                .get(&(record.parent_id.clone(), record.external_id.clone()))
                .is_none_or(|stored| stored.deleted)
        })
        .count();
    adjust_record_count(
        tx,
        connection_id,
        resource,
        i64::try_from(added).unwrap_or(i64::MAX),
    )
    .await?;
    Ok(Upserted {
        deleted: 0,
        changed: u64::try_from(changed.len()).unwrap_or(0),
        created: u64::try_from(added).unwrap_or(0),
    })
}

/// Keep the JSON each changed record had before (a tombstone's too: it is what the system
/// deleted), then drop all but the last [`VERSIONS_KEPT`] of that record.
async fn keep_replaced_versions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    resource: ResourceKind,
    changed: &[&StoredRecord],
    stored: &HashMap<(String, String), StoredVersion>,
    clock: i64,
) -> Result<(), StoreError> {
    for record in changed {
        let Some(before) = stored.get(&(record.parent_id.clone(), record.external_id.clone()))
        else {
            continue;
        };
        if before.data == record.data {
            continue;
        }
        sqlx::query(
            "INSERT INTO record_versions (connection_id, resource, parent_id, external_id, replaced_ms, changed_ms, modified_ms, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(&record.parent_id)
        .bind(&record.external_id)
        .bind(clock)
        .bind(before.changed_ms)
        .bind(before.modified_ms)
        .bind(&before.data)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "DELETE FROM record_versions WHERE connection_id = $1 AND resource = $2 AND parent_id = $3 \
             AND external_id = $4 AND replaced_ms <= (SELECT replaced_ms FROM record_versions \
               WHERE connection_id = $1 AND resource = $2 AND parent_id = $3 AND external_id = $4 \
               ORDER BY replaced_ms DESC LIMIT 1 OFFSET $5)",
        )
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(&record.parent_id)
        .bind(&record.external_id)
        .bind(VERSIONS_KEPT)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Move the record count shown beside a resource by `delta` (never below zero), in the
/// writer's transaction, after it took the connection row (see `commit_page` on lock order).
pub(crate) async fn adjust_record_count(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    resource: ResourceKind,
    delta: i64,
) -> Result<(), StoreError> {
    if delta == 0 {
        return Ok(());
    }
    sqlx::query(
        "UPDATE sync_state SET record_count = CASE WHEN record_count + $1 > 0 THEN record_count + $1 ELSE 0 END \
         WHERE connection_id = $2 AND resource = $3",
    )
    .bind(delta)
    .bind(connection_id)
    .bind(resource.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Take `n` change numbers and this transaction's clock value for a connection; returns
/// (the first number, the clock). Locks the connection row until commit, so numbers, times
/// and positions become visible in the order they were taken.
pub(crate) async fn take_changes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    n: usize,
) -> Result<(i64, i64), StoreError> {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let row = sqlx::query(
        "UPDATE connections SET change_seq = change_seq + $1, \
         clock_ms = CASE WHEN clock_ms + 1 > $2 THEN clock_ms + 1 ELSE $2 END \
         WHERE id = $3 AND deleted_ms IS NULL RETURNING change_seq, clock_ms",
    )
    .bind(n)
    .bind(super::now_ms())
    .bind(connection_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("connection", connection_id))?;
    let last_seq: i64 = row.try_get("change_seq")?;
    Ok((last_seq - n + 1, row.try_get("clock_ms")?))
}

/// Record, per parent, the last position this transaction assigned and its clock value.
pub(crate) async fn mark_positions<'p>(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    resource: ResourceKind,
    last_positions: impl IntoIterator<Item = (&'p str, i64)>,
    clock: i64,
) -> Result<(), StoreError> {
    for (parent_id, position) in last_positions {
        sqlx::query(
            "INSERT INTO position_marks (connection_id, resource, parent_id, position, clock_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(parent_id)
        .bind(position)
        .bind(clock)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// What the store holds of a record a page brings.
struct StoredVersion {
    modified_ms: i64,
    changed_ms: i64,
    data: String,
    deleted: bool,
}

/// The stored versions of the page's records that exist.
async fn current_versions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    resource: ResourceKind,
    records: &[StoredRecord],
) -> Result<HashMap<(String, String), StoredVersion>, StoreError> {
    let mut found = HashMap::with_capacity(records.len());
    // Bounded statements: SQLite and PostgreSQL both take a few hundred parameters easily.
    for chunk in records.chunks(200) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT parent_id, external_id, modified_ms, changed_ms, data, deleted_ms FROM records \
             WHERE connection_id = $1 AND resource = $2 AND external_id IN ({})",
            marks.join(", ")
        )))
        .bind(connection_id)
        .bind(resource.as_str());
        for record in chunk {
            q = q.bind(&record.external_id);
        }
        for row in q.fetch_all(&mut **tx).await? {
            found.insert(
                (row.try_get("parent_id")?, row.try_get("external_id")?),
                StoredVersion {
                    modified_ms: row.try_get("modified_ms")?,
                    changed_ms: row.try_get("changed_ms")?,
                    data: row.try_get("data")?,
                    deleted: row.try_get::<Option<i64>, _>("deleted_ms")?.is_some(),
                },
            );
        }
    }
    Ok(found)
}

/// ` AND deleted_ms IS NULL` unless the query asks for changes since a time (then
/// tombstones come along, to be split off).
fn live_only(query: &PageQuery) -> &'static str {
    if query.updated_since_ms.is_some() {
        ""
    } else {
        " AND deleted_ms IS NULL"
    }
}

/// (live records, tombstones), each in position order.
fn split_tombstones(rows: Vec<StoredRecord>) -> (Vec<StoredRecord>, Vec<StoredRecord>) {
    rows.into_iter().partition(|r| r.deleted_ms.is_none())
}

/// The last position taken in a (connection, resource, parent): 0 before any.
pub(crate) async fn last_position(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    resource: ResourceKind,
    parent_id: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT COALESCE(MAX(position), 0) AS last FROM position_marks \
         WHERE connection_id = $1 AND resource = $2 AND parent_id = $3",
    )
    .bind(connection_id)
    .bind(resource.as_str())
    .bind(parent_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("last")?)
}

/// The last position whose change time is at or before `since_ms` (0 if none): every
/// position after it changed later. Marks are never rewritten, so this is the same answer
/// for the whole of a walk.
async fn position_at(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    resource: ResourceKind,
    parent_id: &str,
    since_ms: i64,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT COALESCE(MAX(position), 0) AS at FROM position_marks \
         WHERE connection_id = $1 AND resource = $2 AND parent_id = $3 AND clock_ms <= $4",
    )
    .bind(connection_id)
    .bind(resource.as_str())
    .bind(parent_id)
    .bind(since_ms)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("at")?)
}

pub(crate) fn record_from_row(row: &sqlx::any::AnyRow) -> Result<StoredRecord, StoreError> {
    Ok(StoredRecord {
        parent_id: row.try_get("parent_id")?,
        external_id: row.try_get("external_id")?,
        modified_ms: row.try_get("modified_ms")?,
        status: row.try_get("status")?,
        sku: row.try_get("sku")?,
        data: row.try_get("data")?,
        changed_ms: row.try_get("changed_ms")?,
        position: row.try_get("position")?,
        deleted_ms: row.try_get("deleted_ms")?,
    })
}
