//! A run's steps, for its detail page: what each page, failed call or batch of writes did,
//! as compact JSON the domain writes (`domain::runs`) and the portal reads. At most
//! [`STEPS_KEPT`] per run — a long run keeps its first steps and says how many it dropped
//! (its counters in `runs` stay exact) — and pruned by age.

use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// The most steps stored for one run.
pub const STEPS_KEPT: i64 = 300;

/// One stored step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStep {
    /// 1 for the run's first step.
    pub seq: i64,
    pub at_ms: i64,
    /// `page`, `call-failed`, `writes`, ... (the domain's words).
    pub kind: String,
    /// The step as JSON.
    pub body: String,
}

impl Store {
    /// Add a step to a run; `false` (and nothing stored) once the run has [`STEPS_KEPT`].
    /// One writer per run (the job or automation run holding its lease), so the next
    /// number cannot be taken twice.
    pub async fn add_run_step(
        &self,
        run_id: &str,
        kind: &str,
        body: &str,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(MAX(seq), 0) AS last FROM run_steps WHERE run_id = $1",
        )
        .bind(run_id)
        .fetch_one(self.pool())
        .await?;
        let (count, last): (i64, i64) = (row.try_get("n")?, row.try_get("last")?);
        if count >= STEPS_KEPT {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO run_steps (run_id, seq, at_ms, kind, body) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (run_id, seq) DO NOTHING",
        )
        .bind(run_id)
        .bind(last + 1)
        .bind(now_ms())
        .bind(kind)
        .bind(body)
        .execute(self.pool())
        .await?;
        Ok(true)
    }

    /// A run's steps in order.
    pub async fn run_steps(&self, run_id: &str) -> Result<Vec<RunStep>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at_ms, kind, body FROM run_steps WHERE run_id = $1 ORDER BY seq",
        )
        .bind(run_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RunStep {
                    seq: row.try_get("seq")?,
                    at_ms: row.try_get("at_ms")?,
                    kind: row.try_get("kind")?,
                    body: row.try_get("body")?,
                })
            })
            .collect()
    }

    /// Remove steps written before `before_ms`; returns how many went.
    pub async fn prune_run_steps(&self, before_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM run_steps WHERE at_ms < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
