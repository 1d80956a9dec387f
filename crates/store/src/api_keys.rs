//! API keys: one connection each, stored only as a SHA-256 hash of the key (keys carry at
//! least 128 random bits, so a fast hash is the right tool — nothing to brute-force).

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, new_id, now_ms};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: String,
    pub connection_id: String,
    pub name: String,
    /// The first characters of the key, enough to recognise it.
    pub prefix: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
}

/// What a valid key resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    pub key_id: String,
    pub connection_id: String,
    pub tenant_id: String,
    pub connector_key: String,
}

/// How stale `last_used_ms` may get before a request refreshes it.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

const COLUMNS: &str = "id, connection_id, name, prefix, created_ms, last_used_ms, revoked_ms";

impl Store {
    pub async fn create_api_key(
        &self,
        connection_id: &str,
        name: &str,
        prefix: &str,
        key_hash: &str,
    ) -> Result<ApiKey, StoreError> {
        let key = ApiKey {
            id: new_id(),
            connection_id: connection_id.to_string(),
            name: name.to_string(),
            prefix: prefix.to_string(),
            created_ms: now_ms(),
            last_used_ms: None,
            revoked_ms: None,
        };
        sqlx::query(
            "INSERT INTO api_keys (id, connection_id, name, prefix, key_hash, created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&key.id)
        .bind(&key.connection_id)
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(key_hash)
        .bind(key.created_ms)
        .execute(self.pool())
        .await?;
        Ok(key)
    }

    /// Keys of one connection, or of every connection of a tenant.
    pub async fn api_keys(
        &self,
        connection_id: Option<&str>,
        tenant_id: Option<&str>,
    ) -> Result<Vec<ApiKey>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT k.{} FROM api_keys k JOIN connections c ON c.id = k.connection_id \
             WHERE ($1 = '' OR k.connection_id = $1) AND ($2 = '' OR c.tenant_id = $2) \
             ORDER BY k.created_ms",
            COLUMNS.replace(", ", ", k.")
        )))
        // '' means "any": PostgreSQL cannot type a bare `$1 IS NULL` parameter.
        .bind(connection_id.unwrap_or(""))
        .bind(tenant_id.unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Revoke a key; takes effect on the next request.
    pub async fn revoke_api_key(&self, key_id: &str) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL")
                .bind(now_ms())
                .bind(key_id)
                .execute(self.pool())
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("active API key", key_id));
        }
        Ok(())
    }

    /// Resolve a key hash to its connection, if the key exists and is not revoked; records
    /// the use when it can (best effort: never fails the resolution).
    pub async fn resolve_api_key(&self, key_hash: &str) -> Result<Option<KeyOwner>, StoreError> {
        let row = sqlx::query(
            "SELECT k.id, k.connection_id, k.last_used_ms, c.tenant_id, c.connector_key FROM api_keys k \
             JOIN connections c ON c.id = k.connection_id \
             WHERE k.key_hash = $1 AND k.revoked_ms IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let owner = KeyOwner {
            key_id: row.try_get("id")?,
            connection_id: row.try_get("connection_id")?,
            tenant_id: row.try_get("tenant_id")?,
            connector_key: row.try_get("connector_key")?,
        };
        // "Last used" is shown at minute precision; writing it on every request would put a
        // database write (a write lock on SQLite) on the hot read path.
        let last_used: Option<i64> = row.try_get("last_used_ms")?;
        let now = now_ms();
        // Bookkeeping only: a failed write (a full disk, a read-only database) must never
        // fail the read it rides on, so it is logged and the key still resolves.
        if last_used.is_none_or(|t| now - t >= LAST_USED_RESOLUTION_MS)
            && let Err(e) = sqlx::query("UPDATE api_keys SET last_used_ms = $1 WHERE id = $2")
                .bind(now)
                .bind(&owner.key_id)
                .execute(self.pool())
                .await
        {
            super::health::note(&e);
            tracing::warn!(error = %e, key = %owner.key_id, "cannot record the API key's last use");
        }
        Ok(Some(owner))
    }
}

fn key_from_row(row: &sqlx::any::AnyRow) -> Result<ApiKey, StoreError> {
    Ok(ApiKey {
        id: row.try_get("id")?,
        connection_id: row.try_get("connection_id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        created_ms: row.try_get("created_ms")?,
        last_used_ms: row.try_get("last_used_ms")?,
        revoked_ms: row.try_get("revoked_ms")?,
    })
}
