//! Recovering from storage failures without a restart.
//!
//! A full disk, a database file made read-only, an I/O error or a lock held too long can
//! leave a pooled connection unusable after the cause is gone: SQLite keeps a connection
//! that opened the file read-only read-only forever, and a connection whose COMMIT failed
//! may still hold its transaction (and with it the write lock). So:
//! - every storage failure is noted here when it becomes a [`StoreError`](super::StoreError)
//!   (the one conversion every query goes through);
//! - the pool gives out, and takes back, only connections opened after the last noted
//!   failure, and never one still inside a transaction (`Store::open` installs the checks),
//!   so each connection that saw the trouble is closed and replaced by a fresh one;
//! - a connection opened while the SQLite file is not writable (which SQLite opens
//!   read-only for good) counts as such a failure itself, so none of those outlives the
//!   file becoming writable again.
//!
//! The mark is process-wide (the conversion has no store at hand); a failure in one pool
//! makes every pool of the process reopen its connections once, which costs little.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How far past "now" a failure noted while a connection opens reaches (see
/// [`note_unwritable_open`]).
const OPENING_MARGIN_MS: u64 = 2_000;

/// Milliseconds after [`epoch`] at which the last storage failure was seen; 0 = none.
static LAST_FAILURE_MS: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Milliseconds since [`epoch`], at least 1 (so 0 can mean "never").
fn now_ms() -> u64 {
    u64::try_from(epoch().elapsed().as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// Is `error` a failure of the storage rather than of the statement: the disk is full, the
/// file is read-only, missing or unreadable, an I/O error, a lock not released in time,
/// the connection to the server lost, or (PostgreSQL) the server out of resources?
pub fn is_storage_failure(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| storage_code(&code)),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs are five characters; SQLite's (extended) result codes are
/// numbers of at most four digits (the largest is below 10,000).
fn storage_code(code: &str) -> bool {
    if code.len() < 5
        && let Ok(extended) = code.parse::<i64>()
    {
        // SQLITE_BUSY 5, LOCKED 6, READONLY 8, IOERR 10, FULL 13, CANTOPEN 14, PROTOCOL 15.
        return matches!(extended & 0xff, 5 | 6 | 8 | 10 | 13 | 14 | 15);
    }
    // 53xxx insufficient resources (53100 disk full), 58xxx system error (58030 I/O),
    // 25006 read-only transaction, 57P0x server shutting down.
    code.starts_with("53") || code.starts_with("58") || code == "25006" || code.starts_with("57P0")
}

/// Note `error` if it is a storage failure.
pub(crate) fn note(error: &sqlx::Error) {
    if is_storage_failure(error) {
        let previous = LAST_FAILURE_MS.swap(now_ms(), Ordering::Relaxed);
        // One line per burst, not one per failed query.
        if previous == 0 || now_ms().saturating_sub(previous) > 5_000 {
            tracing::warn!(error = %error, "storage failure: pooled database connections will be reopened");
        }
        metrics::counter!("junction_store_storage_failures_total").increment(1);
    }
}

/// A connection was just opened on a database file this process cannot write (SQLite then
/// opens it read-only, for good): mark the moment as a failure, so this connection — and
/// every older one — is closed when next released or acquired, and connections opened
/// once the file is writable again are read-write.
pub(crate) fn note_unwritable_open(file: &std::path::Path) {
    // The pool stamps a connection's opening only after this check returns, so the mark
    // reaches a little past now to cover it.
    let previous = LAST_FAILURE_MS.swap(now_ms() + OPENING_MARGIN_MS, Ordering::Relaxed);
    if previous == 0 || now_ms().saturating_sub(previous) > 5_000 + OPENING_MARGIN_MS {
        tracing::warn!(file = %file.display(), "the database file is not writable: connections opened now are read-only and will be replaced");
    }
}

/// May a pooled connection that was opened `age` ago be used (again)? Not when a storage
/// failure was noted after it was opened.
pub(crate) fn opened_after_last_failure(age: Duration) -> bool {
    let failed = LAST_FAILURE_MS.load(Ordering::Relaxed);
    if failed == 0 {
        return true;
    }
    let age_ms = u64::try_from(age.as_millis()).unwrap_or(u64::MAX);
    let opened = now_ms().saturating_sub(age_ms);
    // Equal counts as before: a failure noted while the connection was being opened.
    opened > failed
}

/// How long a background loop (scheduler, webhook worker, component sync) waits after
/// consecutive store failures before it asks again: 1 s, doubling to 30 s; a success
/// starts over. A loop that hits a full disk or a read-only database waits instead of
/// retrying many times a second, and picks up within seconds once storage is back.
#[derive(Debug, Default)]
pub struct ErrorBackoff {
    failures: u32,
}

impl ErrorBackoff {
    const FIRST: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(30);

    /// Record a failure; the wait before the next try.
    pub fn failed(&mut self) -> Duration {
        let delay = Self::FIRST
            .saturating_mul(1 << self.failures.min(5))
            .min(Self::MAX);
        self.failures = self.failures.saturating_add(1);
        delay
    }

    /// Record a success: the next failure waits the shortest time again.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_and_a_success_resets_it() {
        let mut backoff = ErrorBackoff::default();
        let delays: Vec<u64> = (0..8).map(|_| backoff.failed().as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 30, 30, 30]);
        backoff.succeeded();
        assert_eq!(backoff.failed(), Duration::from_secs(1));
    }

    #[test]
    fn sqlite_and_postgres_storage_codes_are_recognised() {
        for code in [
            "13", "8", "1032", "10", "266", "5", "517", "14", "53100", "58030", "25006", "57P01",
        ] {
            assert!(storage_code(code), "{code}");
        }
        for code in ["19", "2067", "1", "23505", "42P01", "40001"] {
            assert!(!storage_code(code), "{code}");
        }
    }

    #[test]
    fn connections_opened_before_a_failure_are_not_reused() {
        let before_ms = now_ms();
        std::thread::sleep(Duration::from_millis(5));
        note(&sqlx::Error::PoolTimedOut);
        let age_of_older = Duration::from_millis(now_ms() - before_ms + 1);
        assert!(!opened_after_last_failure(age_of_older));
        std::thread::sleep(Duration::from_millis(5));
        assert!(opened_after_last_failure(Duration::ZERO));
    }
}
