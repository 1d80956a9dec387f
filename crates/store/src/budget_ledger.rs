//! The request-budget ledger: connections' request budgets shared by every host on one
//! PostgreSQL database (the `request_budgets` table, one row per connection).
//!
//! Each request reserves its slot with one statement that reads the database's clock
//! (`clock_timestamp()`), so the hosts' clocks never matter and concurrent hosts are
//! serialised by the row lock of the upsert: slots come out `interval` apart whoever asks.
//! A pause after a rate-limit answer is the same row's `paused_until_us`; while it runs a
//! reservation takes no slot and reports the remaining wait. Deleting a connection removes
//! its row (cascade). SQLite has one host, whose budgets stay in memory
//! (`junction_domain::budgets`, which also adapts these queries into the runtime's
//! `BudgetLedger`), so these queries are PostgreSQL's only.

use std::time::Duration;

use sqlx::Row;

use super::{Backend, Store, StoreError};

/// A slot reserved for one request: how long to wait for it, or, while the budget is
/// paused, how long the pause still runs (and no slot was taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservedSlot {
    pub wait: Duration,
    pub paused_for: Option<Duration>,
}

/// Now on the database's clock, in microseconds since the Unix epoch, as a one-row
/// subquery (a macro so the statements stay string constants). `clock_timestamp()` rather
/// than `now()`: the time of the statement, not of its transaction.
macro_rules! now_us {
    () => {
        "(SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000000 AS BIGINT) AS us)"
    };
}

/// See [`Store::reserve_request_slot`].
const RESERVE: &str = concat!(
    "WITH now AS ",
    now_us!(),
    " INSERT INTO request_budgets AS b (connection_id, next_slot_us, paused_until_us) \
     SELECT $1, now.us + CAST($2 AS BIGINT), 0 FROM now \
     ON CONFLICT (connection_id) DO UPDATE SET next_slot_us = CASE \
         WHEN b.paused_until_us > (SELECT us FROM now) THEN b.next_slot_us \
         ELSE GREATEST(b.next_slot_us, (SELECT us FROM now)) + CAST($2 AS BIGINT) END \
     RETURNING b.next_slot_us, b.paused_until_us, (SELECT us FROM now) AS now_us"
);

/// See [`Store::pause_requests`].
const PAUSE: &str = concat!(
    "WITH now AS ",
    now_us!(),
    " INSERT INTO request_budgets AS b (connection_id, next_slot_us, paused_until_us) \
     SELECT $1, now.us, now.us + CAST($2 AS BIGINT) FROM now \
     ON CONFLICT (connection_id) DO UPDATE \
     SET paused_until_us = GREATEST(b.paused_until_us, EXCLUDED.paused_until_us)"
);

/// See [`Store::requests_paused`].
const PAUSED: &str = concat!(
    "SELECT b.paused_until_us - now.us AS remaining_us FROM request_budgets b, ",
    now_us!(),
    " now WHERE b.connection_id = $1"
);

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn duration_us(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

impl Store {
    fn ledger_backend(&self) -> Result<(), StoreError> {
        match self.backend() {
            Backend::Postgres => Ok(()),
            Backend::Sqlite => Err(StoreError::Config(
                "request budgets are shared through the database only on PostgreSQL".into(),
            )),
        }
    }

    /// Take the connection's next request slot, `interval` after the previous one or now,
    /// in one statement; while the budget is paused take nothing and say for how long.
    ///
    /// The slot is GCRA's theoretical arrival time: `next_slot_us` moves to
    /// `max(next_slot_us, now) + interval`, and this request may leave at the old value
    /// (`wait` = new − interval − now). The CASE keeps the row as it is while paused, so a
    /// refused request spends nothing.
    pub async fn reserve_request_slot(
        &self,
        connection_id: &str,
        interval: Duration,
    ) -> Result<ReservedSlot, StoreError> {
        self.ledger_backend()?;
        let row = sqlx::query(RESERVE)
            .bind(connection_id)
            .bind(micros(interval))
            .fetch_one(self.pool())
            .await?;
        let next_slot: i64 = row.try_get("next_slot_us")?;
        let paused_until: i64 = row.try_get("paused_until_us")?;
        let now: i64 = row.try_get("now_us")?;
        if paused_until > now {
            return Ok(ReservedSlot {
                wait: Duration::ZERO,
                paused_for: Some(duration_us(paused_until - now)),
            });
        }
        Ok(ReservedSlot {
            wait: duration_us(next_slot - micros(interval) - now),
            paused_for: None,
        })
    }

    /// Pause the connection's budget for `wait` from now (database clock); a shorter pause
    /// never cuts a longer one short.
    pub async fn pause_requests(
        &self,
        connection_id: &str,
        wait: Duration,
    ) -> Result<(), StoreError> {
        self.ledger_backend()?;
        sqlx::query(PAUSE)
            .bind(connection_id)
            .bind(micros(wait))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// How long the connection's shared budget is still paused, if it is.
    pub async fn requests_paused(
        &self,
        connection_id: &str,
    ) -> Result<Option<Duration>, StoreError> {
        self.ledger_backend()?;
        let row = sqlx::query(PAUSED)
            .bind(connection_id)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let remaining: i64 = row.try_get("remaining_us")?;
        Ok((remaining > 0).then(|| duration_us(remaining)))
    }
}
