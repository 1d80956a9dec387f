//! The portal's records browser: one connection's records of one resource, the local copy's
//! newest change first, searched and filtered, paged by keyset (the last row's change time
//! and ids: a later page never repeats a record while others change, and one that changes
//! moves before the first page's start), tombstones on request; one record's earlier versions; and the automation links of one record.
//!
//! Search is a case-insensitive substring of the record's stored JSON: one box finds an
//! external id, an order number, an email or a SKU without a column per field. It reads
//! every record of the resource that the other filters leave, which is fine for a person
//! browsing (bounded by `limit`) and never used by the Runtime API.

use sqlx::Row;

use super::outbox::IdLink;
use super::records::StoredRecord;
use super::{Store, StoreError};
use junction_contract::ResourceKind;

/// Which records a browse shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shown {
    /// Records the external system still has.
    #[default]
    Live,
    /// Tombstones: records the system deleted.
    Deleted,
    Both,
}

/// Where a browse page starts: after this record in the browse order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowseKey {
    pub changed_ms: i64,
    pub parent_id: String,
    pub external_id: String,
}

/// A records-browser query.
#[derive(Debug, Clone, Default)]
pub struct BrowseQuery {
    /// A case-insensitive substring of the record's JSON.
    pub search: Option<String>,
    /// Orders only: one status.
    pub status: Option<String>,
    /// Only records the local copy changed at or after this time.
    pub changed_since_ms: Option<i64>,
    pub shown: Shown,
    pub after: Option<BrowseKey>,
    pub limit: i64,
}

/// A browse page, and the key of the next one when there is more.
#[derive(Debug, Clone)]
pub struct BrowsePage {
    pub records: Vec<StoredRecord>,
    pub next: Option<BrowseKey>,
}

/// One earlier version of a record: its JSON as the copy held it until `replaced_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordVersion {
    /// When the local copy had taken this version in.
    pub changed_ms: i64,
    /// The system's modification time of this version.
    pub modified_ms: i64,
    /// When a newer version replaced it.
    pub replaced_ms: i64,
    pub data: String,
}

/// `LIKE` pattern for a substring, lower-cased, with `\` escaping the pattern characters.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// One page of the records browser (see the module doc).
    pub async fn browse_records(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        query: &BrowseQuery,
    ) -> Result<BrowsePage, StoreError> {
        let limit = query.limit.clamp(1, 500);
        let mut sql = format!(
            "SELECT {} FROM records WHERE connection_id = $1 AND resource = $2",
            super::records::RECORD_COLUMNS
        );
        sql.push_str(match query.shown {
            Shown::Live => " AND deleted_ms IS NULL",
            Shown::Deleted => " AND deleted_ms IS NOT NULL",
            Shown::Both => "",
        });
        let mut next = 3;
        if query.status.is_some() {
            sql.push_str(&format!(" AND status = ${next}"));
            next += 1;
        }
        if query.changed_since_ms.is_some() {
            sql.push_str(&format!(" AND changed_ms >= ${next}"));
            next += 1;
        }
        if query.search.is_some() {
            sql.push_str(&format!(" AND LOWER(data) LIKE ${next} ESCAPE '\\'"));
            next += 1;
        }
        if query.after.is_some() {
            let (a, b, c) = (next, next + 1, next + 2);
            sql.push_str(&format!(
                " AND (changed_ms < ${a} OR (changed_ms = ${a} AND (parent_id < ${b} \
                 OR (parent_id = ${b} AND external_id < ${c}))))"
            ));
            next += 3;
        }
        sql.push_str(&format!(
            " ORDER BY changed_ms DESC, parent_id DESC, external_id DESC LIMIT ${next}"
        ));
        // `sql` is built from constants and generated `$N` placeholders only.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(connection_id)
            .bind(resource.as_str());
        if let Some(status) = &query.status {
            q = q.bind(status.clone());
        }
        if let Some(since) = query.changed_since_ms {
            q = q.bind(since);
        }
        if let Some(search) = &query.search {
            q = q.bind(contains_pattern(search));
        }
        if let Some(after) = &query.after {
            q = q
                .bind(after.changed_ms)
                .bind(after.parent_id.clone())
                .bind(after.external_id.clone());
        }
        let rows = q.bind(limit + 1).fetch_all(self.pool()).await?;
        let mut records = rows
            .iter()
            .map(super::records::record_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let more = records.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        records.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more {
            records.last().map(|r| BrowseKey {
                changed_ms: r.changed_ms,
                parent_id: r.parent_id.clone(),
                external_id: r.external_id.clone(),
            })
        } else {
            None
        };
        Ok(BrowsePage { records, next })
    }

    /// A record's earlier versions, newest first, up to `limit` (the copy keeps the last
    /// [`super::records::VERSIONS_KEPT`] of each record).
    pub async fn record_versions(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        parent_id: &str,
        external_id: &str,
        limit: i64,
    ) -> Result<Vec<RecordVersion>, StoreError> {
        let rows = sqlx::query(
            "SELECT changed_ms, modified_ms, replaced_ms, data FROM record_versions \
             WHERE connection_id = $1 AND resource = $2 AND parent_id = $3 AND external_id = $4 \
             ORDER BY replaced_ms DESC LIMIT $5",
        )
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(parent_id)
        .bind(external_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RecordVersion {
                    changed_ms: row.try_get("changed_ms")?,
                    modified_ms: row.try_get("modified_ms")?,
                    replaced_ms: row.try_get("replaced_ms")?,
                    data: row.try_get("data")?,
                })
            })
            .collect()
    }

    /// Every automation link of one record: where Junction wrote it (it is the source) and
    /// where it came from (it is the written side).
    pub async fn links_of_record(
        &self,
        resource: ResourceKind,
        connection_id: &str,
        external_id: &str,
    ) -> Result<Vec<IdLink>, StoreError> {
        let mut links = self
            .links_to(resource.as_str(), connection_id, external_id)
            .await?;
        let rows = sqlx::query(
            "SELECT resource, source_connection_id, source_id, target_connection_id, target_id, \
             fingerprint, echo_modified_ms FROM id_links \
             WHERE resource = $1 AND source_connection_id = $2 AND source_id = $3 \
             ORDER BY target_connection_id",
        )
        .bind(resource.as_str())
        .bind(connection_id)
        .bind(external_id)
        .fetch_all(self.pool())
        .await?;
        for row in &rows {
            links.push(IdLink {
                resource: row.try_get("resource")?,
                source_connection_id: row.try_get("source_connection_id")?,
                source_id: row.try_get("source_id")?,
                target_connection_id: row.try_get("target_connection_id")?,
                target_id: row.try_get("target_id")?,
                fingerprint: row.try_get("fingerprint")?,
                echo_modified_ms: row.try_get("echo_modified_ms")?,
            });
        }
        Ok(links)
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn search_patterns_escape_what_like_would_read() {
        assert_eq!(contains_pattern("Ada@X.com"), "%ada@x.com%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
