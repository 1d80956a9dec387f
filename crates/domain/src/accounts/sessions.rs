//! Portal sessions as stored: a random 256-bit id (the cookie's value), kept only as its
//! SHA-256. A session ends after 12 hours without a request or 7 days after sign-in,
//! whichever comes first, or at sign-out; an operator's session also ends when the admin
//! token it was opened with is no longer the server's. "Last seen" is bookkeeping, written
//! at most once a minute and never allowed to fail a request. The cookie itself is the
//! portal's business (`portal::session`).

use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};

use crate::DomainError;
use junction_store::portal_sessions::SessionOwner;
use junction_store::{Store, StoreError, now_ms};

/// A session ends this long after its last request.
pub const IDLE_MS: i64 = 12 * 3600 * 1000;
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_MS: i64 = 7 * 24 * 3600 * 1000;
/// `last_seen` is written at most this often per session (a write per page is wasteful).
const TOUCH_AFTER_MS: i64 = 60_000;
/// Characters of a token: 32 random bytes, base64url without padding.
const TOKEN_CHARS: usize = 43;

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The stored hash of the id (what ending the session deletes).
    pub id_hash: String,
    pub owner: SessionOwner,
}

/// A fresh random token of 256 bits (session ids, form tokens and nonces).
pub fn new_token() -> Result<String, DomainError> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random)
        .map_err(|e| DomainError::Internal(format!("no randomness: {e}")))?;
    Ok(BASE64URL_NOPAD.encode(&random))
}

/// Could this be a token we issued? (Anything else is not looked up.)
pub fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What the database stores for a session id.
pub fn hash_id(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// What an operator session remembers of the admin token: its SHA-256.
fn token_hash(admin_token: &str) -> String {
    hex::encode(Sha256::digest(admin_token.as_bytes()))
}

/// Start a session for a user (or, with none, the operator holding `admin_token`): a new
/// random id, stored hashed. Returns the id for the cookie. Expired sessions are swept on
/// the way.
pub async fn start(
    store: &Store,
    user_id: Option<&str>,
    admin_token: &str,
) -> Result<String, DomainError> {
    let id = new_token()?;
    let now = now_ms();
    let operator_token = user_id.is_none().then(|| token_hash(admin_token));
    store
        .create_portal_session(
            &hash_id(&id),
            user_id,
            operator_token.as_deref(),
            now,
            now + ABSOLUTE_MS,
        )
        .await?;
    match store
        .delete_expired_portal_sessions(now, now - IDLE_MS)
        .await
    {
        Ok(0) => {}
        Ok(swept) => tracing::debug!(swept, "expired portal sessions removed"),
        Err(e) => tracing::warn!(error = %e, "cannot remove expired portal sessions"),
    }
    Ok(id)
}

/// The live session behind `id`, if any (the operator's only while `admin_token` is the
/// one it was opened with); records the use when it is due, best effort.
pub async fn resolve(
    store: &Store,
    id: &str,
    admin_token: &str,
) -> Result<Option<Session>, StoreError> {
    let now = now_ms();
    let id_hash = hash_id(id);
    let Some(session) = store.portal_session(&id_hash, now, now - IDLE_MS).await? else {
        return Ok(None);
    };
    if session.owner == SessionOwner::Operator
        && session.operator_token_hash.as_deref() != Some(token_hash(admin_token).as_str())
    {
        return Ok(None);
    }
    // Bookkeeping: a failed write (a full disk) must not sign anyone out or fail the page.
    if now - session.last_seen_ms >= TOUCH_AFTER_MS
        && let Err(e) = store.touch_portal_session(&id_hash, now).await
    {
        tracing::warn!(error = %e, "cannot record the portal session's last use");
    }
    Ok(Some(Session {
        id_hash,
        owner: session.owner,
    }))
}

/// End a session (sign-out, or a new sign-in in the same browser).
pub async fn end(store: &Store, id_hash: &str) -> Result<(), StoreError> {
    store.delete_portal_session(id_hash).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_well_formed() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(well_formed(&a), "{a}");
        assert_eq!(BASE64URL_NOPAD.decode(a.as_bytes()).unwrap().len(), 32);
        assert!(!well_formed("short"));
        assert!(!well_formed(&format!("{}=", &a[..42])));
        assert_ne!(hash_id(&a), a);
        assert_eq!(hash_id(&a).len(), 64);
    }
}
