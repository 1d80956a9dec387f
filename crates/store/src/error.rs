//! Store errors: the database failed, or a row the caller named does not exist, or a
//! uniqueness rule was broken. Messages never include connection passwords.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database configuration: {0}")]
    Config(String),
    #[error("{what} `{id}` does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

/// Every query's error passes here, so storage failures are noted in one place (see
/// `super::health`: the pool then replaces the connections that saw them).
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        super::health::note(&error);
        StoreError::Database(error)
    }
}

impl StoreError {
    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            what,
            id: id.into(),
        }
    }

    /// True when the database refused a row because of a UNIQUE constraint.
    pub fn is_unique_violation(error: &sqlx::Error) -> bool {
        match error {
            sqlx::Error::Database(db) => db.is_unique_violation(),
            _ => false,
        }
    }
}
