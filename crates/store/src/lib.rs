//! The store: every query Junction makes, behind one type.
//!
//! sqlx's `Any` driver with portable SQL (`$N` placeholders, TEXT and BIGINT columns,
//! application-generated ids, epoch-millisecond times), so the embedded default (SQLite,
//! one file in the data directory, WAL) and PostgreSQL run the same queries and the same
//! migrations (`host/migrations/`, applied at start). Callers see only [`Store`]'s methods
//! and plain row types; each table's queries live in their own module.

pub mod api_keys;
pub mod automations;
pub mod browse;
pub mod budget_ledger;
pub mod components;
pub mod connections;
pub mod deletions;
pub mod error;
pub mod health;
pub mod idempotency;
pub mod outbox;
pub mod portal_sessions;
pub mod portal_state;
pub mod records;
pub mod run_steps;
pub mod runs;
pub mod settings;
pub mod sign_in_throttle;
pub mod sqlite_file;
pub mod sync_state;
pub mod tenants;
pub mod testing;
#[cfg(test)]
mod upgrade_tests;
pub mod users;
pub mod webhooks;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use api_keys::ApiKey;
pub use connections::Connection;
pub use error::StoreError;
pub use runs::Run;
pub use sync_state::SyncState;
pub use tenants::Tenant;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

/// The embedded default: `<data-dir>/junction.db`.
pub fn sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("junction.db").display()
    )
}

impl Store {
    /// Connect, configure and migrate. `url` is `sqlite://...` or `postgres://...`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL `{}`: expected sqlite://PATH or postgres://...",
                redact_url(url)
            )));
        };
        let options = AnyConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("database URL `{}`: {e}", redact_url(url))))?;
        let sqlite = backend == Backend::Sqlite;
        if sqlite {
            sqlite_file::prepare(url)?;
        }
        let sqlite_path = if sqlite {
            sqlite_file::path_of(url)
        } else {
            None
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            // A connection that saw a storage failure, or is still inside a transaction
            // (its COMMIT or ROLLBACK failed), is closed rather than reused (`health`).
            .before_acquire(|_conn, meta| {
                Box::pin(async move { Ok(health::opened_after_last_failure(meta.age)) })
            })
            .after_release(|conn, meta| {
                let in_transaction = sqlx::Connection::is_in_transaction(&*conn);
                Box::pin(async move {
                    Ok(!in_transaction && health::opened_after_last_failure(meta.age))
                })
            })
            .after_connect(move |conn, _meta| {
                let file = sqlite_path.clone();
                Box::pin(async move {
                    // SQLite opens a file it cannot write read-only, and the connection
                    // stays so: it must not outlive this moment once the file is writable.
                    if let Some(file) = file
                        && !sqlite_file::writable(&file)
                    {
                        health::note_unwritable_open(&file);
                    }
                    if sqlite {
                        // Writers wait for each other instead of failing; cascades work.
                        // Reads of the local copy are the Runtime API's hot path: map the
                        // file (no read() per page) and keep a larger page cache per connection.
                        conn.execute(
                            "PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                             PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -32768;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Config(format!("cannot open database `{}`: {e}", redact_url(url))))?;
        if sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Config(format!("database migration failed: {e}")))?;
        Ok(Self { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Is the database answering?
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Never print a password from a database URL.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A new sortable unique id (UUID v7).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
