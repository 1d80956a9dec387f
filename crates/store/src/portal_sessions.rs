//! Portal sessions: one row per signed-in browser, keyed by the SHA-256 of the cookie's
//! random id (a copy of the database cannot be replayed as a cookie). The expiry rules
//! (idle and absolute) are `domain::accounts::sessions`'; this module stores the times and
//! answers only sessions inside them.

use sqlx::Row;

use super::{Store, StoreError};

/// Who a live session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionOwner {
    /// Signed in with the admin token (the session is good only while that token is the
    /// server's; see [`PortalSession::operator_token_hash`]).
    Operator,
    /// A tenant's user.
    User {
        user_id: String,
        email: String,
        tenant_id: String,
        tenant_name: String,
    },
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSession {
    pub owner: SessionOwner,
    /// For the operator: the SHA-256 (hex) of the admin token signed in with.
    pub operator_token_hash: Option<String>,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    pub expires_ms: i64,
}

impl Store {
    /// Store a new session: a user's, or (`user_id` none) the operator's, bound to the hash
    /// of the admin token used.
    pub async fn create_portal_session(
        &self,
        id_hash: &str,
        user_id: Option<&str>,
        operator_token_hash: Option<&str>,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO portal_sessions (id_hash, user_id, operator_token_hash, created_ms, last_seen_ms, expires_ms) \
             VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(operator_token_hash)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The session with this id hash, if it is still live at `now_ms`: not past its absolute
    /// expiry and seen after `idle_cutoff_ms`.
    pub async fn portal_session(
        &self,
        id_hash: &str,
        now_ms: i64,
        idle_cutoff_ms: i64,
    ) -> Result<Option<PortalSession>, StoreError> {
        let row = sqlx::query(
            "SELECT s.user_id, s.operator_token_hash, s.created_ms, s.last_seen_ms, s.expires_ms, u.email, u.tenant_id, \
             t.name AS tenant_name \
             FROM portal_sessions s \
             LEFT JOIN users u ON u.id = s.user_id \
             LEFT JOIN tenants t ON t.id = u.tenant_id \
             WHERE s.id_hash = $1 AND s.expires_ms > $2 AND s.last_seen_ms > $3",
        )
        .bind(id_hash)
        .bind(now_ms)
        .bind(idle_cutoff_ms)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user_id: Option<String> = row.try_get("user_id")?;
        let owner = match user_id {
            None => SessionOwner::Operator,
            Some(user_id) => {
                let email: Option<String> = row.try_get("email")?;
                let tenant_id: Option<String> = row.try_get("tenant_id")?;
                let tenant_name: Option<String> = row.try_get("tenant_name")?;
                match (email, tenant_id, tenant_name) {
                    (Some(email), Some(tenant_id), Some(tenant_name)) => SessionOwner::User {
                        user_id,
                        email,
                        tenant_id,
                        tenant_name,
                    },
                    // The user is gone (their sessions go with them); nobody is signed in.
                    _ => return Ok(None),
                }
            }
        };
        Ok(Some(PortalSession {
            owner,
            operator_token_hash: row.try_get("operator_token_hash")?,
            created_ms: row.try_get("created_ms")?,
            last_seen_ms: row.try_get("last_seen_ms")?,
            expires_ms: row.try_get("expires_ms")?,
        }))
    }

    /// Note activity on a session (moves its idle expiry).
    pub async fn touch_portal_session(&self, id_hash: &str, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE portal_sessions SET last_seen_ms = $1 WHERE id_hash = $2")
            .bind(now_ms)
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// End a session (sign-out). Ending one that is already gone is not an error.
    pub async fn delete_portal_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM portal_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Remove sessions past either expiry; returns how many.
    pub async fn delete_expired_portal_sessions(
        &self,
        now_ms: i64,
        idle_cutoff_ms: i64,
    ) -> Result<u64, StoreError> {
        let done =
            sqlx::query("DELETE FROM portal_sessions WHERE expires_ms <= $1 OR last_seen_ms <= $2")
                .bind(now_ms)
                .bind(idle_cutoff_ms)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected())
    }
}
