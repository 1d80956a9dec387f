//! The portal's sign-in budgets in the database, so every host sharing it counts the same
//! attempts: a guesser spreading tries over several hosts gets no more than from one.
//!
//! Each budget is a GCRA cell (a theoretical arrival time per key) updated by one upsert:
//! the attempt is allowed when moving the time one refill interval on keeps it within the
//! burst, and the row records whether it was. All `SET` expressions see the row as it was,
//! and the upsert locks the row, so concurrent attempts on one key are counted one by one.

use sqlx::Row;

use super::{Store, StoreError};

impl Store {
    /// Take one attempt from `key`'s budget at `now_ms`: `refill_ms` apart, at most `burst`
    /// at once. When allowed, the cell's new theoretical arrival time (how far ahead of
    /// `now_ms` it is tells how many attempts the cell holds); `None` when refused.
    pub async fn take_sign_in_attempt(
        &self,
        key: &str,
        now_ms: i64,
        refill_ms: i64,
        burst: i64,
    ) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "INSERT INTO sign_in_throttle (key, tat_ms, allowed) VALUES ($1, $2 + $3, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             allowed = CASE WHEN (CASE WHEN sign_in_throttle.tat_ms > $2 THEN sign_in_throttle.tat_ms ELSE $2 END) \
                 + $3 - $2 <= $4 THEN 1 ELSE 0 END, \
             tat_ms = CASE WHEN (CASE WHEN sign_in_throttle.tat_ms > $2 THEN sign_in_throttle.tat_ms ELSE $2 END) \
                 + $3 - $2 <= $4 \
                 THEN (CASE WHEN sign_in_throttle.tat_ms > $2 THEN sign_in_throttle.tat_ms ELSE $2 END) + $3 \
                 ELSE sign_in_throttle.tat_ms END \
             RETURNING allowed, tat_ms",
        )
        .bind(key)
        .bind(now_ms)
        .bind(refill_ms)
        .bind(refill_ms.saturating_mul(burst))
        .fetch_one(self.pool())
        .await?;
        let allowed: i64 = row.try_get("allowed")?;
        let tat_ms: i64 = row.try_get("tat_ms")?;
        Ok((allowed == 1).then_some(tat_ms))
    }

    /// Forget budgets that have refilled completely (their time has passed).
    pub async fn sweep_sign_in_attempts(&self, now_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sign_in_throttle WHERE tat_ms < $1")
            .bind(now_ms)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
