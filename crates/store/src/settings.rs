//! Settings every host sharing the database must agree on: one row per name, written once
//! by whichever host gets there first and read by every other.

use sqlx::Row;

use super::{Store, StoreError, now_ms};

impl Store {
    /// The value stored under `name`, if any.
    pub async fn shared_setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM shared_settings WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    /// Store `value` under `name` unless a value is there already; returns the value that
    /// stands (another host's, when it was first).
    pub async fn init_shared_setting(&self, name: &str, value: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO shared_settings (name, value, created_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        self.shared_setting(name)
            .await?
            .ok_or_else(|| StoreError::not_found("shared setting", name))
    }
}
