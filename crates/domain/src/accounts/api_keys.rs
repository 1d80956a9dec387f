//! Runtime API keys: `jct_live_` + 192 random bits, shown once at creation and stored only
//! as their SHA-256 (there is nothing to brute-force, so no slow hash is needed, and a
//! lookup stays one indexed query). Creating (with the one name rule), creating once per
//! form (a nonce every host remembers), revoking and resolving a presented key all live
//! here; the admin API and the portal only present them.

use std::time::Duration;

use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};

use crate::DomainError;
use junction_store::api_keys::KeyOwner;
use junction_store::{ApiKey, Store, StoreError, now_ms};

/// The recognisable prefix of every key.
pub const KEY_PREFIX: &str = "jct_live_";
/// Characters of a key kept for listing.
const SHOWN_PREFIX_LEN: usize = KEY_PREFIX.len() + 6;
/// The longest key name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// How long a used form nonce is remembered, and how many at most (the oldest go first).
const NONCE_KEPT: Duration = Duration::from_secs(3600);
const NONCES_KEPT_MAX: i64 = 10_000;

/// A key just made: the key itself (show it once) and what is stored of it.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub key: String,
    pub stored: ApiKey,
}

/// A new key: (the key to show once, its listing prefix, its hash).
pub fn generate() -> Result<(String, String, String), DomainError> {
    let mut random = [0u8; 24];
    getrandom::fill(&mut random)
        .map_err(|e| DomainError::Internal(format!("no randomness for a key: {e}")))?;
    let key = format!("{KEY_PREFIX}{}", BASE64URL_NOPAD.encode(&random));
    let prefix = key[..SHOWN_PREFIX_LEN].to_string();
    let hash = hash(&key);
    Ok((key, prefix, hash))
}

/// What the database keeps of a key.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The name rule: required, trimmed, at most [`MAX_NAME_CHARS`], no control characters.
pub fn check_name(raw: &str) -> Result<String, DomainError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DomainError::invalid(
            "name",
            "Give the key a name, for example the app that will use it (\u{201c}Warehouse app\u{201d}).",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(DomainError::invalid(
            "name",
            format!("A key name can have at most {MAX_NAME_CHARS} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            "name",
            "A key name cannot contain line breaks or other control characters.",
        ));
    }
    Ok(name.to_string())
}

/// Create a key for a connection (which must exist).
pub async fn create(
    store: &Store,
    connection_id: &str,
    name: &str,
) -> Result<CreatedKey, DomainError> {
    let name = check_name(name)?;
    store.connection(connection_id).await?;
    let (key, prefix, hash) = generate()?;
    let stored = store
        .create_api_key(connection_id, &name, &prefix, &hash)
        .await?;
    tracing::info!(key = %stored.id, connection = %connection_id, "API key created");
    Ok(CreatedKey { key, stored })
}

/// Is this the first use of a form's nonce, on any host? A form without one always is.
/// (A form posted twice — a reload — must not create a second key.)
pub async fn first_use_of_nonce(store: &Store, nonce: Option<&str>) -> Result<bool, StoreError> {
    let Some(nonce) = nonce.filter(|n| super::sessions::well_formed(n)) else {
        return Ok(true);
    };
    let kept_ms = i64::try_from(NONCE_KEPT.as_millis()).unwrap_or(i64::MAX);
    store
        .use_form_nonce(nonce, now_ms(), kept_ms, NONCES_KEPT_MAX)
        .await
}

/// Revoke a key; revoking one that is already revoked is not an error for the portal's
/// confirmation page, so `already_ok` says whether a missing key counts as done.
pub async fn revoke(store: &Store, key_id: &str, already_ok: bool) -> Result<(), DomainError> {
    match store.revoke_api_key(key_id).await {
        Ok(()) => {
            tracing::info!(key = %key_id, "API key revoked");
            Ok(())
        }
        Err(StoreError::NotFound { .. }) if already_ok => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The owner of a presented key, if it is one of ours and not revoked.
pub async fn resolve(store: &Store, key: &str) -> Result<Option<KeyOwner>, StoreError> {
    if !key.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    store.resolve_api_key(&hash(key)).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_192_random_bits_and_are_stored_hashed() {
        let (key, prefix, hashed) = generate().unwrap();
        assert!(key.starts_with(KEY_PREFIX) && key.starts_with(&prefix));
        assert_eq!(
            BASE64URL_NOPAD
                .decode(&key.as_bytes()[KEY_PREFIX.len()..])
                .unwrap()
                .len(),
            24
        );
        assert_eq!(hashed, hash(&key));
        assert_ne!(generate().unwrap().0, key);
    }

    #[test]
    fn key_names_are_required_trimmed_and_bounded() {
        assert_eq!(check_name("  Warehouse app ").unwrap(), "Warehouse app");
        assert!(
            check_name("")
                .unwrap_err()
                .to_string()
                .contains("Give the key a name")
        );
        assert!(check_name("   ").is_err());
        assert!(check_name(&"x".repeat(100)).is_ok());
        assert!(
            check_name(&"x".repeat(101))
                .unwrap_err()
                .to_string()
                .contains("100")
        );
        assert!(check_name("a\nb").is_err());
    }

    #[tokio::test]
    async fn a_form_nonce_is_fresh_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&junction_store::sqlite_url(dir.path()))
            .await
            .unwrap();
        let nonce = super::super::sessions::new_token().unwrap();
        assert!(first_use_of_nonce(&store, Some(&nonce)).await.unwrap());
        assert!(!first_use_of_nonce(&store, Some(&nonce)).await.unwrap());
        assert!(first_use_of_nonce(&store, None).await.unwrap());
    }
}
