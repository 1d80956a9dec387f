//! Idempotency keys of Runtime API writes: the first response to a key is kept and
//! replayed for a retry of the same request.

use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// A remembered response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedResponse {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

impl Store {
    pub async fn saved_response(
        &self,
        api_key_id: &str,
        key: &str,
    ) -> Result<Option<SavedResponse>, StoreError> {
        let row = sqlx::query("SELECT request_hash, status_code, body FROM idempotency_keys WHERE api_key_id = $1 AND idem_key = $2")
            .bind(api_key_id)
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let status: i64 = row.try_get("status_code")?;
        Ok(Some(SavedResponse {
            request_hash: row.try_get("request_hash")?,
            status: u16::try_from(status)
                .map_err(|_| StoreError::Corrupt(format!("status {status}")))?,
            body: row.try_get("body")?,
        }))
    }

    /// Remember a response; the first one saved for a key wins.
    pub async fn save_response(
        &self,
        api_key_id: &str,
        key: &str,
        response: &SavedResponse,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO idempotency_keys (api_key_id, idem_key, request_hash, status_code, body, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (api_key_id, idem_key) DO NOTHING",
        )
        .bind(api_key_id)
        .bind(key)
        .bind(&response.request_hash)
        .bind(i64::from(response.status))
        .bind(&response.body)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
