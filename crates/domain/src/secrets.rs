//! Secrets at rest: connection config properties marked secret are sealed with
//! XChaCha20-Poly1305 (a random 192-bit nonce per seal, so nonces never repeat in
//! practice) before they reach the database, and opened only for the call that needs them.
//!
//! The 256-bit key comes from configuration (`JUNCTION_SECRET_KEY`, base64) or from a key
//! file in the data directory, generated on first start with 0600 permissions. Sealed
//! values look like `v1:<base64url(nonce || ciphertext)>`; the associated data binds each
//! value to its owner (e.g. the connection id) so values cannot be swapped between rows.

use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use data_encoding::{BASE64, BASE64URL_NOPAD};

const VERSION: &str = "v1:";
const NONCE_LEN: usize = 24;

/// Why sealing or opening failed.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret key: {0}")]
    Key(String),
    #[error("sealed value is malformed: {0}")]
    Malformed(&'static str),
    #[error("sealed value cannot be opened: wrong key, wrong owner, or tampered data")]
    Open,
    #[error("cannot seal: {0}")]
    Seal(String),
}

/// Seals and opens secrets with one key.
#[derive(Clone)]
pub struct Vault {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(..)")
    }
}

impl Vault {
    /// A vault from a base64-encoded 32-byte key.
    pub fn from_base64(key: &str) -> Result<Self, SecretError> {
        let bytes = BASE64
            .decode(key.trim().as_bytes())
            .map_err(|e| SecretError::Key(format!("not base64: {e}")))?;
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        if bytes.len() != 32 {
            return Err(SecretError::Key(format!(
                "must be 32 bytes, got {}",
                bytes.len()
            )));
        }
        let cipher = XChaCha20Poly1305::new_from_slice(bytes)
            .map_err(|e| SecretError::Key(e.to_string()))?;
        Ok(Self { cipher })
    }

    /// The configured key, or the key file in `data_dir` (created with 0600 if missing).
    pub fn open_or_create(configured: Option<&str>, data_dir: &Path) -> Result<Self, SecretError> {
        if let Some(key) = configured {
            return Self::from_base64(key);
        }
        let path = data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_base64(&text)
                .map_err(|e| SecretError::Key(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key)
                    .map_err(|e| SecretError::Key(format!("no randomness: {e}")))?;
                write_private(&path, BASE64.encode(&key).as_bytes()).map_err(|e| {
                    SecretError::Key(format!("cannot write {}: {e}", path.display()))
                })?;
                tracing::info!(path = %path.display(), "generated a new secret key (keep it: sealed secrets need it)");
                Self::from_bytes(&key)
            }
            Err(e) => Err(SecretError::Key(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// Seal `plaintext`, bound to `owner`.
    pub fn seal(&self, plaintext: &[u8], owner: &str) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)
            .map_err(|e| SecretError::Seal(format!("no randomness: {e}")))?;
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Seal("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}{}", BASE64URL_NOPAD.encode(&out)))
    }

    /// Open a value sealed for `owner`.
    pub fn open(&self, sealed: &str, owner: &str) -> Result<Vec<u8>, SecretError> {
        let body = sealed
            .strip_prefix(VERSION)
            .ok_or(SecretError::Malformed("unknown version"))?;
        let bytes = BASE64URL_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| SecretError::Malformed("not base64url"))?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SecretError::Malformed("too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Open)
    }
}

/// Write a new file readable only by its owner (0600).
#[cfg(unix)]
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(not(unix))]
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_bound_to_owner() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open_or_create(None, dir.path()).unwrap();
        let sealed = vault.seal(br#"{"token":"hunter2"}"#, "conn-1").unwrap();
        assert!(sealed.starts_with("v1:") && !sealed.contains("hunter2"));
        assert_eq!(
            vault.open(&sealed, "conn-1").unwrap(),
            br#"{"token":"hunter2"}"#
        );
        assert!(matches!(
            vault.open(&sealed, "conn-2"),
            Err(SecretError::Open)
        ));
        // Same plaintext, different nonce.
        assert_ne!(
            sealed,
            vault.seal(br#"{"token":"hunter2"}"#, "conn-1").unwrap()
        );
        // The key file is reused and private.
        let again = Vault::open_or_create(None, dir.path()).unwrap();
        assert_eq!(
            again.open(&sealed, "conn-1").unwrap(),
            br#"{"token":"hunter2"}"#
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A different key cannot open it.
        let other = Vault::from_base64(&BASE64.encode(&[7u8; 32])).unwrap();
        assert!(other.open(&sealed, "conn-1").is_err());
        assert!(Vault::from_base64("c2hvcnQ=").is_err());
    }
}
