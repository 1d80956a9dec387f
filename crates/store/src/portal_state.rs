//! What the portal remembers from one request to the next that is not a session: health
//! check outcomes shown after the redirect, and the nonces of generate-key forms already
//! answered. In the database rather than a host's memory, so that with several hosts behind
//! a load balancer the request after a POST sees the same whichever host answers it.
//!
//! Both are short-lived: the portal passes how long each is kept, and how many at most.
//! Reads check the age in SQL (a row not yet swept is not shown), and every write sweeps
//! what is too old or beyond the bound, so the tables stay small without a background job.

use sqlx::Row;

use super::{Store, StoreError};

/// A health check's outcome, as the portal shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub ok: bool,
    /// What the connector reached, or why the check failed, in words.
    pub message: String,
    /// When it finished.
    pub at_ms: i64,
    /// How long it took.
    pub elapsed_ms: i64,
}

impl Store {
    /// Keep `check` under `id` for `session_id` (a session's `id_hash`) on `connection_id`,
    /// then forget outcomes older than `kept_ms` (counted from `check.at_ms`) and all but
    /// the newest `max_kept` (and those of the same millisecond as the last). A session or
    /// connection gone in the meantime (sign-out during the check) keeps nothing, rather
    /// than failing.
    pub async fn save_health_check(
        &self,
        id: &str,
        session_id: &str,
        connection_id: &str,
        check: &HealthCheck,
        kept_ms: i64,
        max_kept: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO portal_health_checks (id, session_id, connection_id, ok, message, at_ms, elapsed_ms) \
             SELECT $1, $2, $3, $4, $5, $6, $7 \
             WHERE EXISTS (SELECT 1 FROM portal_sessions WHERE id_hash = $2) \
             AND EXISTS (SELECT 1 FROM connections WHERE id = $3)",
        )
        .bind(id)
        .bind(session_id)
        .bind(connection_id)
        .bind(i64::from(check.ok))
        .bind(&check.message)
        .bind(check.at_ms)
        .bind(check.elapsed_ms)
        .execute(self.pool())
        .await?;
        // Rows older than the max_kept-th newest go too: a bound even when many checks run
        // within the keep time (rows of the same millisecond as it all stay).
        sqlx::query(
            "DELETE FROM portal_health_checks WHERE at_ms <= $1 \
             OR at_ms < (SELECT at_ms FROM portal_health_checks ORDER BY at_ms DESC LIMIT 1 OFFSET $2)",
        )
        .bind(check.at_ms.saturating_sub(kept_ms))
        .bind(max_kept.saturating_sub(1).max(0))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The outcome kept under `id`, if it belongs to `session_id` and `connection_id` and
    /// is younger than `kept_ms` at `now_ms`.
    pub async fn health_check(
        &self,
        id: &str,
        session_id: &str,
        connection_id: &str,
        now_ms: i64,
        kept_ms: i64,
    ) -> Result<Option<HealthCheck>, StoreError> {
        let row = sqlx::query(
            "SELECT ok, message, at_ms, elapsed_ms FROM portal_health_checks \
             WHERE id = $1 AND session_id = $2 AND connection_id = $3 AND at_ms > $4",
        )
        .bind(id)
        .bind(session_id)
        .bind(connection_id)
        .bind(now_ms.saturating_sub(kept_ms))
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(HealthCheck {
                ok: row.try_get::<i64, _>("ok")? == 1,
                message: row.try_get("message")?,
                at_ms: row.try_get("at_ms")?,
                elapsed_ms: row.try_get("elapsed_ms")?,
            })
        })
        .transpose()
    }

    /// Mark the form `nonce` used at `now_ms`: true the first time (or once its earlier use
    /// is older than `kept_ms`), false while it is remembered. Then forget uses older than
    /// `kept_ms` and all but the newest `max_kept` (and those of the same millisecond as the
    /// last).
    pub async fn use_form_nonce(
        &self,
        nonce: &str,
        now_ms: i64,
        kept_ms: i64,
        max_kept: i64,
    ) -> Result<bool, StoreError> {
        let cutoff = now_ms.saturating_sub(kept_ms);
        // One statement, so two hosts answering the same form at once cannot both see it
        // fresh: the primary key lets one insert win; an expired row not yet swept counts
        // as unused and is taken over.
        let done = sqlx::query(
            "INSERT INTO portal_form_nonces (nonce, used_ms) VALUES ($1, $2) \
             ON CONFLICT (nonce) DO UPDATE SET used_ms = excluded.used_ms \
             WHERE portal_form_nonces.used_ms <= $3",
        )
        .bind(nonce)
        .bind(now_ms)
        .bind(cutoff)
        .execute(self.pool())
        .await?;
        sqlx::query(
            "DELETE FROM portal_form_nonces WHERE used_ms <= $1 \
             OR used_ms < (SELECT used_ms FROM portal_form_nonces ORDER BY used_ms DESC LIMIT 1 OFFSET $2)",
        )
        .bind(cutoff)
        .bind(max_kept.saturating_sub(1).max(0))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
