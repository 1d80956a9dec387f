//! Proves a host's secret key is the one the database's secrets are sealed with.
//!
//! Hosts sharing a database must share the key: a host with another one could open no
//! connection's secrets and, worse, would seal new ones the other hosts cannot open. The
//! first host to start writes a value sealed with its key (`secret_key_check` in
//! `shared_settings`); every start opens it, and a host whose key cannot refuses to start.
//! A database from before the check proves the key against a secret it already holds.

use crate::secrets::{SecretError, Vault};
use junction_store::{Store, StoreError};

const SETTING: &str = "secret_key_check";
const OWNER: &str = "junction:secret-key-check";
const PLAINTEXT: &[u8] = b"junction secret key check v1";

/// Why the key was refused, or the check could not be made.
#[derive(Debug, thiserror::Error)]
pub enum KeyCheckError {
    #[error(
        "the secret key is not the one this database's secrets are sealed with ({0}); every host \
         sharing a database needs the same JUNCTION_SECRET_KEY: give this host the key the others \
         use (a single host keeps it in <data-dir>/secret.key)"
    )]
    Mismatch(&'static str),
    #[error("cannot check the secret key against the database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot seal the secret key check: {0}")]
    Seal(#[from] SecretError),
}

/// Refuse `vault`'s key unless it opens what the database holds; record the check value
/// when the database has none yet.
pub async fn ensure_same_key(store: &Store, vault: &Vault) -> Result<(), KeyCheckError> {
    if let Some(check) = store.shared_setting(SETTING).await? {
        return verify(vault, &check);
    }
    if let Some((connection_id, sealed)) = store.some_sealed_secret().await? {
        vault.open(&sealed, &connection_id).map_err(|_| {
            KeyCheckError::Mismatch("a connection's sealed secrets cannot be opened with it")
        })?;
    }
    let sealed = vault.seal(PLAINTEXT, OWNER)?;
    // Another host starting at the same moment may have written its own first.
    let standing = store.init_shared_setting(SETTING, &sealed).await?;
    verify(vault, &standing)
}

fn verify(vault: &Vault, check: &str) -> Result<(), KeyCheckError> {
    match vault.open(check, OWNER) {
        Ok(plain) if plain == PLAINTEXT => Ok(()),
        _ => Err(KeyCheckError::Mismatch(
            "the database's key check value cannot be opened with it",
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use junction_contract::ResourceKind;
    use junction_store::connections::NewConnection;
    use junction_store::sqlite_url;

    fn key(byte: u8) -> Vault {
        Vault::from_base64(&data_encoding::BASE64.encode(&[byte; 32])).unwrap()
    }

    #[tokio::test]
    async fn the_first_key_stands_and_another_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&sqlite_url(dir.path())).await.unwrap();
        ensure_same_key(&store, &key(1)).await.unwrap();
        // A restart, or a second host, with the same key.
        ensure_same_key(&store, &key(1)).await.unwrap();
        let refused = ensure_same_key(&store, &key(2)).await.unwrap_err();
        assert!(matches!(refused, KeyCheckError::Mismatch(_)), "{refused}");
        assert!(refused.to_string().contains("JUNCTION_SECRET_KEY"));
        // The refused key wrote nothing: the first key still stands.
        ensure_same_key(&store, &key(1)).await.unwrap();
    }

    #[tokio::test]
    async fn a_database_from_before_the_check_proves_the_key_with_its_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&sqlite_url(dir.path())).await.unwrap();
        let tenant = store.create_tenant("t").await.unwrap();
        // Sealed with key 1 and bound to the connection id, as `Hub::create_connection` does.
        let id = junction_store::new_id();
        let sealed = key(1).seal(br#"{"token":"s"}"#, &id).unwrap();
        store
            .create_connection_with_id(
                &id,
                NewConnection {
                    tenant_id: &tenant.id,
                    connector_key: "k",
                    name: "c",
                    public_config: "{}",
                    sealed_secrets: &sealed,
                    resources: vec![(ResourceKind::Orders, true, 60)],
                },
            )
            .await
            .unwrap();
        let refused = ensure_same_key(&store, &key(2)).await.unwrap_err();
        assert!(matches!(refused, KeyCheckError::Mismatch(_)), "{refused}");
        assert_eq!(store.shared_setting(SETTING).await.unwrap(), None);
        ensure_same_key(&store, &key(1)).await.unwrap();
        assert!(store.shared_setting(SETTING).await.unwrap().is_some());
    }
}
