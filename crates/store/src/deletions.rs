//! Deletions in the local copy: records the external system no longer holds become
//! tombstones. A tombstone is a change like any other — the next change number, the
//! connection's clock as `changed_ms` and `deleted_ms`, the next position of its parent — so
//! the change feed (automations, webhooks) and a client following the list recipe with
//! `updatedSince` learn it in order. Deleting a product deletes its variations with it. A
//! tombstone written again (the record reappeared) is restored by the ordinary upsert.
//!
//! A connector that reports deletions (`page.deleted`) has them applied with the page that
//! carries them ([`tombstone_live`], called by `commit_page`).
//!
//! Reconciliation ends here: [`Store::tombstone_unchanged`] marks deleted only the records
//! the copy has not changed since the scan began (their `changed_ms` is at or before the
//! clock read at its start, [`Store::change_clock`]), so a record synced while the scan ran
//! is never deleted because the scan did not see it.

use std::collections::{BTreeMap, HashSet};

use sqlx::Row;

use super::records::{adjust_record_count, last_position, mark_positions, take_changes};
use super::{Store, StoreError};
use junction_contract::ResourceKind;

/// The records of one (connection, resource) a reconciliation found gone.
pub struct Gone<'a> {
    pub connection_id: &'a str,
    pub resource: ResourceKind,
    /// (parent id, external id) of each: parent empty except for variations.
    pub keys: &'a [(String, String)],
    /// The connection's change clock when the scan began: a record changed after it is
    /// kept whatever the scan saw.
    pub scan_clock_ms: i64,
}

/// What a deletion did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tombstoned {
    /// Records of the resource itself marked deleted.
    pub deleted: u64,
    /// Variations deleted with their product.
    pub cascaded: u64,
}

impl Store {
    /// The connection's change clock now: every later change of its copy gets a later
    /// `changed_ms`.
    pub async fn change_clock(&self, connection_id: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT clock_ms FROM connections WHERE id = $1")
            .bind(connection_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("connection", connection_id))?;
        Ok(row.try_get("clock_ms")?)
    }

    /// Live records of one (connection, resource) that the copy last changed at or before
    /// `clock_ms`, as (parent id, external id): the candidates a complete scan must have seen.
    pub async fn unchanged_since(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        clock_ms: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT parent_id, external_id FROM records WHERE connection_id = $1 AND resource = $2 \
             AND deleted_ms IS NULL AND changed_ms <= $3 ORDER BY parent_id, external_id",
        )
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(clock_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("parent_id")?, row.try_get("external_id")?)))
            .collect()
    }

    /// Those of `keys` (parent id, external id) the copy holds as tombstones: a scan that
    /// lists them again has found records that came back.
    pub async fn deleted_among(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        keys: &[(String, String)],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let wanted: HashSet<&(String, String)> = keys.iter().collect();
        let mut found = Vec::new();
        for chunk in keys.chunks(200) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT parent_id, external_id FROM records WHERE connection_id = $1 \
                 AND resource = $2 AND deleted_ms IS NOT NULL AND external_id IN ({})",
                marks.join(", ")
            )))
            .bind(connection_id)
            .bind(resource.as_str());
            for (_, id) in chunk {
                q = q.bind(id);
            }
            for row in q.fetch_all(self.pool()).await? {
                let key: (String, String) =
                    (row.try_get("parent_id")?, row.try_get("external_id")?);
                if wanted.contains(&key) {
                    found.push(key);
                }
            }
        }
        found.sort();
        found.dedup();
        Ok(found)
    }

    /// Mark the given records deleted, in one transaction, unless the copy changed them
    /// after `scan_clock_ms` (or they are already tombstones). A deleted product's
    /// variations go with it.
    pub async fn tombstone_unchanged(&self, gone: Gone<'_>) -> Result<Tombstoned, StoreError> {
        let mut tx = self.pool().begin().await?;
        // Lock the connection row first, as every upsert does, so nothing changes the
        // candidates between the check and the write.
        sqlx::query("UPDATE connections SET clock_ms = clock_ms WHERE id = $1")
            .bind(gone.connection_id)
            .execute(&mut *tx)
            .await?;
        let still = still_unchanged(&mut tx, &gone).await?;
        let done =
            tombstone_with_children(&mut tx, gone.connection_id, gone.resource, &still).await?;
        tx.commit().await?;
        Ok(done)
    }
}

/// Tombstone those of `keys` that are live records of the copy (a key it does not hold, or
/// holds deleted already, is skipped), inside the caller's transaction, which has locked
/// the connection row. A deleted product takes its variations.
pub(crate) async fn tombstone_live(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    resource: ResourceKind,
    keys: &[(String, String)],
) -> Result<Tombstoned, StoreError> {
    let live = still_unchanged(
        tx,
        &Gone {
            connection_id,
            resource,
            keys,
            scan_clock_ms: i64::MAX,
        },
    )
    .await?;
    tombstone_with_children(tx, connection_id, resource, &live).await
}

/// Tombstone live `keys`, and the variations of deleted products.
async fn tombstone_with_children(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    resource: ResourceKind,
    keys: &[(String, String)],
) -> Result<Tombstoned, StoreError> {
    let deleted = tombstone_in(tx, connection_id, resource, keys).await?;
    let mut cascaded = 0;
    if resource == ResourceKind::Products && !keys.is_empty() {
        let products: Vec<&str> = keys.iter().map(|(_, id)| id.as_str()).collect();
        let variations = live_children(tx, connection_id, &products).await?;
        cascaded = tombstone_in(tx, connection_id, ResourceKind::Variations, &variations).await?;
    }
    Ok(Tombstoned { deleted, cascaded })
}

/// The keys that are still live and unchanged since the scan began.
async fn still_unchanged(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    gone: &Gone<'_>,
) -> Result<Vec<(String, String)>, StoreError> {
    let wanted: HashSet<&(String, String)> = gone.keys.iter().collect();
    let mut found = Vec::with_capacity(gone.keys.len());
    for chunk in gone.keys.chunks(200) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 4)).collect();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT parent_id, external_id FROM records WHERE connection_id = $1 AND resource = $2 \
             AND deleted_ms IS NULL AND changed_ms <= $3 AND external_id IN ({})",
            marks.join(", ")
        )))
        .bind(gone.connection_id)
        .bind(gone.resource.as_str())
        .bind(gone.scan_clock_ms);
        for (_, id) in chunk {
            q = q.bind(id);
        }
        for row in q.fetch_all(&mut **tx).await? {
            let key: (String, String) = (row.try_get("parent_id")?, row.try_get("external_id")?);
            if wanted.contains(&key) {
                found.push(key);
            }
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// Live variations of these products, as (product id, variation id).
async fn live_children(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    products: &[&str],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut found = Vec::new();
    for chunk in products.chunks(200) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT parent_id, external_id FROM records WHERE connection_id = $1 \
             AND resource = 'variations' AND deleted_ms IS NULL AND parent_id IN ({}) \
             ORDER BY parent_id, external_id",
            marks.join(", ")
        )))
        .bind(connection_id);
        for product in chunk {
            q = q.bind(*product);
        }
        for row in q.fetch_all(&mut **tx).await? {
            found.push((row.try_get("parent_id")?, row.try_get("external_id")?));
        }
    }
    Ok(found)
}

/// Turn live records into tombstones: each takes the next change number, the clock value of
/// this transaction (as `changed_ms` and `deleted_ms`) and the next position of its parent.
async fn tombstone_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connection_id: &str,
    resource: ResourceKind,
    keys: &[(String, String)],
) -> Result<u64, StoreError> {
    if keys.is_empty() {
        return Ok(0);
    }
    let (first_seq, clock) = take_changes(tx, connection_id, keys.len()).await?;
    let mut positions: BTreeMap<&str, i64> = BTreeMap::new();
    for (parent, _) in keys {
        if !positions.contains_key(parent.as_str()) {
            let last = last_position(tx, connection_id, resource, parent).await?;
            positions.insert(parent.as_str(), last);
        }
    }
    let mut done = 0;
    for (seq, (parent, id)) in (first_seq..).zip(keys) {
        let position = positions
            .get_mut(parent.as_str())
            .map(|p| {
                *p += 1;
                *p
            })
            .unwrap_or(1);
        done += sqlx::query(
            "UPDATE records SET deleted_ms = $1, changed_ms = $1, change_seq = $2, position = $3 \
             WHERE connection_id = $4 AND resource = $5 AND parent_id = $6 AND external_id = $7 \
             AND deleted_ms IS NULL",
        )
        .bind(clock)
        .bind(seq)
        .bind(position)
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(parent)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    mark_positions(tx, connection_id, resource, positions, clock).await?;
    // The count shown beside the resource loses what was deleted at once.
    adjust_record_count(
        tx,
        connection_id,
        resource,
        -i64::try_from(done).unwrap_or(i64::MAX),
    )
    .await?;
    Ok(done)
}
