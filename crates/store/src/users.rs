//! Portal users: people who sign in to the portal and see one tenant's data. Emails are
//! unique across the server (callers pass them normalised: trimmed, lower-case); only an
//! argon2id hash of the password is stored (see `junction_domain::accounts::password`).

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, new_id, now_ms};

/// A portal user, as the admin API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub created_ms: i64,
    /// When the user last signed in to the portal.
    pub last_sign_in_ms: Option<i64>,
}

/// A user and the stored password hash, for checking a sign-in.
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

const COLUMNS: &str = "id, tenant_id, email, created_ms, last_sign_in_ms";

impl Store {
    /// Create a user of a tenant; an email already in use (by any tenant) is a conflict.
    pub async fn create_user(
        &self,
        tenant_id: &str,
        email: &str,
        password_hash: &str,
    ) -> Result<User, StoreError> {
        let user = User {
            id: new_id(),
            tenant_id: tenant_id.to_string(),
            email: email.to_string(),
            created_ms: now_ms(),
            last_sign_in_ms: None,
        };
        sqlx::query(
            "INSERT INTO users (id, tenant_id, email, password_hash, created_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&user.id)
        .bind(&user.tenant_id)
        .bind(&user.email)
        .bind(password_hash)
        .bind(user.created_ms)
        .execute(self.pool())
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict(format!("a user with email `{email}` already exists"))
            } else {
                e.into()
            }
        })?;
        Ok(user)
    }

    /// All users, or a tenant's, by email.
    pub async fn users(&self, tenant_id: Option<&str>) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE ($1 = '' OR tenant_id = $1) ORDER BY email"
        )))
        // '' means "any": PostgreSQL cannot type a bare `$1 IS NULL` parameter.
        .bind(tenant_id.unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// The user with this (normalised) email and the stored hash, if there is one.
    pub async fn user_credentials(
        &self,
        email: &str,
    ) -> Result<Option<UserCredentials>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, password_hash FROM users WHERE email = $1"
        )))
        .bind(email)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(UserCredentials {
                user: user_from_row(&row)?,
                password_hash: row.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    /// Note a successful sign-in.
    pub async fn record_sign_in(&self, user_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET last_sign_in_ms = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Delete a user and end their portal sessions, in one transaction.
    pub async fn delete_user(&self, user_id: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        // The foreign key cascades too; deleting explicitly keeps it true even where
        // foreign keys are not enforced.
        sqlx::query("DELETE FROM portal_sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("user", user_id));
        }
        tx.commit().await?;
        Ok(())
    }
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        email: row.try_get("email")?,
        created_ms: row.try_get("created_ms")?,
        last_sign_in_ms: row.try_get("last_sign_in_ms")?,
    })
}
