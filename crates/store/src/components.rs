//! Connector components, content-addressed: the `components` table holds each distinct
//! component once (keyed by the SHA-256 of its bytes, the registry's digest) and
//! `component_heads` says which one every host serves per connector key. Uploads publish
//! here; every host's propagation task (`sync::components`) reads the heads and installs
//! what it lacks. Validation is not this module's business: callers store only components
//! the registry accepted.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// A stored component, without its bytes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StoredComponent {
    pub digest: String,
    pub connector_key: String,
    pub version: String,
    pub size_bytes: i64,
    pub uploaded_ms: i64,
}

/// The component a connector key serves.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ComponentHead {
    pub connector_key: String,
    pub digest: String,
    pub version: String,
    pub seq: i64,
    pub changed_ms: i64,
}

/// What [`Store::publish_component`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// SHA-256 of the bytes, lower-case hex.
    pub digest: String,
    /// False when the same bytes were stored before (one row per distinct component).
    pub stored: bool,
    /// False when the key already served these bytes.
    pub head_moved: bool,
}

/// A cheap summary of every head: it changes whenever any head changes (heads are never
/// deleted and every change raises that head's `seq`), so pollers compare it, not the heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadsMarker {
    pub heads: i64,
    pub seq_sum: i64,
}

/// The digest the store and the registry both use: SHA-256, lower-case hex.
pub fn component_digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Store {
    /// Store a component (once per distinct bytes) and make it the one `connector_key`
    /// serves, in one transaction.
    pub async fn publish_component(
        &self,
        connector_key: &str,
        version: &str,
        bytes: &[u8],
    ) -> Result<Published, StoreError> {
        let digest = component_digest(bytes);
        let size = i64::try_from(bytes.len())
            .map_err(|_| StoreError::Conflict("component too large".into()))?;
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let stored = sqlx::query(
            "INSERT INTO components (digest, connector_key, version, size_bytes, bytes, uploaded_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (digest) DO NOTHING",
        )
        .bind(&digest)
        .bind(connector_key)
        .bind(version)
        .bind(size)
        .bind(bytes.to_vec())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        // `seq` is one more than the largest; two hosts publishing at once may compute the
        // same number, so an update also takes at least its own row's seq + 1: every change
        // raises the sum the pollers compare.
        let head_moved = sqlx::query(
            "INSERT INTO component_heads (connector_key, digest, seq, changed_ms) \
             VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM component_heads), $3) \
             ON CONFLICT (connector_key) DO UPDATE SET digest = excluded.digest, \
               seq = CASE WHEN excluded.seq > component_heads.seq THEN excluded.seq \
                          ELSE component_heads.seq + 1 END, \
               changed_ms = excluded.changed_ms \
             WHERE component_heads.digest <> excluded.digest",
        )
        .bind(connector_key)
        .bind(&digest)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        tx.commit().await?;
        Ok(Published {
            digest,
            stored,
            head_moved,
        })
    }

    /// The change marker of the heads (one aggregate query).
    pub async fn component_heads_marker(&self) -> Result<HeadsMarker, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS heads, CAST(COALESCE(SUM(seq), 0) AS BIGINT) AS seq_sum \
             FROM component_heads",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(HeadsMarker {
            heads: row.try_get("heads")?,
            seq_sum: row.try_get("seq_sum")?,
        })
    }

    /// Every head, by connector key.
    pub async fn component_heads(&self) -> Result<Vec<ComponentHead>, StoreError> {
        let rows = sqlx::query(
            "SELECT h.connector_key, h.digest, c.version, h.seq, h.changed_ms \
             FROM component_heads h JOIN components c ON c.digest = h.digest \
             ORDER BY h.connector_key",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ComponentHead {
                    connector_key: row.try_get("connector_key")?,
                    digest: row.try_get("digest")?,
                    version: row.try_get("version")?,
                    seq: row.try_get("seq")?,
                    changed_ms: row.try_get("changed_ms")?,
                })
            })
            .collect()
    }

    /// Every stored component (without bytes), newest first.
    pub async fn components(&self) -> Result<Vec<StoredComponent>, StoreError> {
        let rows = sqlx::query(
            "SELECT digest, connector_key, version, size_bytes, uploaded_ms FROM components \
             ORDER BY uploaded_ms DESC, digest",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredComponent {
                    digest: row.try_get("digest")?,
                    connector_key: row.try_get("connector_key")?,
                    version: row.try_get("version")?,
                    size_bytes: row.try_get("size_bytes")?,
                    uploaded_ms: row.try_get("uploaded_ms")?,
                })
            })
            .collect()
    }

    /// A component's bytes, checked against its digest (a row whose bytes do not hash to
    /// its key is reported corrupt rather than installed).
    pub async fn component_bytes(&self, digest: &str) -> Result<Vec<u8>, StoreError> {
        let row = sqlx::query("SELECT bytes FROM components WHERE digest = $1")
            .bind(digest)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("component", digest))?;
        let bytes: Vec<u8> = row.try_get("bytes")?;
        if component_digest(&bytes) != digest {
            return Err(StoreError::Corrupt(format!(
                "component {digest}: the stored bytes do not match their digest"
            )));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// SQLite in a temporary directory, and PostgreSQL in a fresh schema when
    /// `JUNCTION_TEST_POSTGRES_URL` names one.
    async fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
        let dir = tempfile::tempdir().unwrap();
        let mut stores = vec![(
            Store::open(&super::super::sqlite_url(dir.path()))
                .await
                .unwrap(),
            Some(dir),
        )];
        if let Ok(url) = std::env::var("JUNCTION_TEST_POSTGRES_URL") {
            let scoped = crate::testing::fresh_postgres_schema(&url, "comp")
                .await
                .unwrap();
            stores.push((Store::open(&scoped).await.unwrap(), None));
        }
        stores
    }

    #[tokio::test]
    async fn same_bytes_are_one_row_and_heads_move_only_on_change() {
        for (store, _dir) in stores().await {
            let backend = store.backend();
            let empty = store.component_heads_marker().await.unwrap();
            assert_eq!(
                empty,
                HeadsMarker {
                    heads: 0,
                    seq_sum: 0
                }
            );
            // Every byte value survives the round trip (a blob, not text).
            let v1: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
            let first = store.publish_component("shop", "1.0.0", &v1).await.unwrap();
            assert_eq!(first.digest, component_digest(&v1));
            assert!(first.stored && first.head_moved, "{backend:?}");
            let after_first = store.component_heads_marker().await.unwrap();
            assert_ne!(after_first, empty);

            // The same bytes again: no new row, the head does not move, the marker stays.
            let again = store.publish_component("shop", "1.0.0", &v1).await.unwrap();
            assert!(!again.stored && !again.head_moved, "{backend:?}");
            assert_eq!(store.components().await.unwrap().len(), 1);
            assert_eq!(store.component_heads_marker().await.unwrap(), after_first);

            // A new version moves the head and the marker.
            let mut v2 = v1.clone();
            v2.push(0);
            let second = store.publish_component("shop", "1.1.0", &v2).await.unwrap();
            assert!(second.stored && second.head_moved);
            let after_second = store.component_heads_marker().await.unwrap();
            assert_ne!(after_second, after_first);
            let heads = store.component_heads().await.unwrap();
            assert_eq!(heads.len(), 1);
            assert_eq!(heads[0].digest, second.digest);
            assert_eq!(heads[0].version, "1.1.0");
            assert_eq!(store.component_bytes(&second.digest).await.unwrap(), v2);

            // Back to the first bytes (a rollback): the row is reused, the head moves.
            let rollback = store.publish_component("shop", "1.0.0", &v1).await.unwrap();
            assert!(!rollback.stored && rollback.head_moved);
            assert_ne!(store.component_heads_marker().await.unwrap(), after_second);
            assert_eq!(store.components().await.unwrap().len(), 2);
            let heads = store.component_heads().await.unwrap();
            assert_eq!(heads[0].digest, first.digest);
            assert!(heads[0].seq > 1);

            // Another key adds a head; each key keeps its own.
            let other = store
                .publish_component("erp", "0.1.0", b"erp")
                .await
                .unwrap();
            let heads = store.component_heads().await.unwrap();
            let keys: Vec<_> = heads.iter().map(|h| h.connector_key.as_str()).collect();
            assert_eq!(keys, ["erp", "shop"]);
            assert_eq!(heads[0].digest, other.digest);
            assert!(heads[0].seq > heads[1].seq);

            assert!(matches!(
                store.component_bytes("0000").await,
                Err(StoreError::NotFound { .. })
            ));
            store.close().await;
        }
    }

    #[tokio::test]
    async fn bytes_that_do_not_match_their_digest_are_corrupt() {
        for (store, _dir) in stores().await {
            let published = store
                .publish_component("shop", "1.0.0", b"good")
                .await
                .unwrap();
            sqlx::query("UPDATE components SET bytes = $1 WHERE digest = $2")
                .bind(b"evil".to_vec())
                .bind(&published.digest)
                .execute(store.pool())
                .await
                .unwrap();
            assert!(matches!(
                store.component_bytes(&published.digest).await,
                Err(StoreError::Corrupt(_))
            ));
            store.close().await;
        }
    }
}
