//! Portal passwords: the rules (12 to 1024 characters), hashing with argon2id at the
//! `argon2` crate's default parameters (19 MiB, 2 passes, 1 lane: OWASP's recommended
//! minimum) into a PHC string with a random 128-bit salt, and verification. A password only
//! ever lives in a [`Password`], whose `Debug` never shows it, so it cannot reach a log by
//! accident. Hashing is deliberately slow, so the async helpers run it off the runtime's
//! worker threads.

use std::sync::OnceLock;

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted, in characters (bounds the work one request can ask for).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// A password as typed. `Debug` prints `***`; only [`Password::expose`] reads it.
#[derive(Clone, serde::Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The password itself, for hashing or verifying only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Why a password cannot be set.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must be at least {MIN_PASSWORD_CHARS} characters long")]
    TooShort,
    #[error("the password must be at most {MAX_PASSWORD_CHARS} characters long")]
    TooLong,
    #[error("cannot hash the password: {0}")]
    Hashing(String),
}

/// A new random password to show once (the portal's "generate one"): 144 random bits as
/// 24 URL-safe base64 characters, well within the rules.
pub fn generate() -> Result<Password, PasswordError> {
    let mut random = [0u8; 18];
    getrandom::fill(&mut random)
        .map_err(|e| PasswordError::Hashing(format!("no randomness for a password: {e}")))?;
    Ok(Password::new(
        data_encoding::BASE64URL_NOPAD.encode(&random),
    ))
}

/// Does the password meet the rules?
pub fn check_rules(password: &Password) -> Result<(), PasswordError> {
    let chars = password.expose().chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// Check the rules, then hash: an argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash_password(password: &Password) -> Result<String, PasswordError> {
    check_rules(password)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| PasswordError::Hashing(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Does the password match the stored hash? A hash that cannot be parsed matches nothing.
/// The parameters come from the stored string, so hashes made with older parameters keep
/// working.
pub fn verify_password(password: &Password, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        tracing::error!("a stored portal password hash is not a valid PHC string");
        return false;
    };
    Argon2::default()
        .verify_password(password.expose().as_bytes(), &hash)
        .is_ok()
}

/// Spend the work of one verification without a user, so an unknown email takes as long
/// to refuse as a wrong password (the timing does not tell which emails exist).
pub fn verify_against_nothing(password: &Password) {
    static DECOY: OnceLock<Option<String>> = OnceLock::new();
    let decoy = DECOY.get_or_init(|| {
        let mut random = [0u8; 24];
        getrandom::fill(&mut random).ok()?;
        hash_password(&Password::new(hex::encode(random))).ok()
    });
    if let Some(decoy) = decoy {
        let _ = verify_password(password, decoy);
    }
}

/// [`hash_password`] on a blocking thread.
pub async fn hash_password_off_thread(password: Password) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| PasswordError::Hashing(format!("hashing task failed: {e}")))?
}

/// Verify `password` against `stored` (or against nothing when there is no such user) on a
/// blocking thread.
pub async fn verify_off_thread(password: Password, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify_password(&password, &stored),
        None => {
            verify_against_nothing(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_the_rules_and_differ() {
        let (a, b) = (generate().unwrap(), generate().unwrap());
        assert!(check_rules(&a).is_ok());
        assert_eq!(a.expose().chars().count(), 24);
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn a_hash_is_argon2id_salted_and_verifies_only_its_password() {
        let password = Password::new("correct horse battery");
        let hash = hash_password(&password).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains("correct horse"));
        assert!(verify_password(&password, &hash));
        assert!(!verify_password(
            &Password::new("correct horse battery "),
            &hash
        ));
        assert!(!verify_password(&Password::new("wrong password!"), &hash));
        // The same password hashes differently each time (a fresh salt).
        let again = hash_password(&password).unwrap();
        assert_ne!(hash, again);
        assert!(verify_password(&password, &again));
    }

    #[test]
    fn the_rules_count_characters_not_bytes() {
        assert!(matches!(
            hash_password(&Password::new("short")),
            Err(PasswordError::TooShort)
        ));
        assert!(matches!(
            check_rules(&Password::new("12345678901")),
            Err(PasswordError::TooShort)
        ));
        check_rules(&Password::new("123456789012")).unwrap();
        // Twelve characters, more than twelve bytes.
        check_rules(&Password::new("ééééééééééé1")).unwrap();
        assert!(matches!(
            check_rules(&Password::new("x".repeat(MAX_PASSWORD_CHARS + 1))),
            Err(PasswordError::TooLong)
        ));
    }

    #[test]
    fn a_garbled_stored_hash_matches_nothing_and_debug_hides_the_password() {
        let password = Password::new("correct horse battery");
        assert!(!verify_password(&password, "not a phc string"));
        assert!(!verify_password(&password, ""));
        assert_eq!(format!("{password:?}"), "Password(***)");
        verify_against_nothing(&password);
    }
}
