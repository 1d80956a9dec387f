//! Standard Webhooks signatures: secrets are `whsec_` + base64 of random bytes; a
//! signature is `v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}"))
//! with the base64-decoded secret as the key. While a rotated-out secret is still valid the
//! header carries one signature per secret, space-separated, as the spec allows.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// Random bytes in a generated secret (the spec asks for 24 to 64).
const SECRET_BYTES: usize = 32;

/// Why a secret could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("no randomness for a webhook secret: {0}")]
    Random(String),
    #[error("webhook secret is not `whsec_` + base64: {0}")]
    Malformed(String),
}

/// A new secret: `whsec_` + base64 of 32 random bytes.
pub fn generate_secret() -> Result<String, SigningError> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| SigningError::Random(e.to_string()))?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
}

/// The HMAC key of a secret (the prefix is optional, as in the reference libraries).
pub fn secret_key(secret: &str) -> Result<Vec<u8>, SigningError> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = STANDARD
        .decode(encoded.trim())
        .map_err(|e| SigningError::Malformed(e.to_string()))?;
    if key.is_empty() {
        return Err(SigningError::Malformed("empty key".into()));
    }
    Ok(key)
}

/// One signature: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length (long ones are hashed), so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header value: one signature per key, space-separated.
pub fn signature_header(keys: &[Vec<u8>], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|key| sign(key, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The published test vector of the Standard Webhooks reference libraries
    /// (standard-webhooks/standard-webhooks, libraries/*/tests: `testSignFunctionWorks`).
    #[test]
    fn the_standard_webhooks_test_vector_reproduces_exactly() {
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        // The prefix is optional.
        assert_eq!(secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap(), key);
    }

    #[test]
    fn a_rotation_window_signs_with_every_key() {
        let old = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let new = secret_key(&generate_secret().unwrap()).unwrap();
        let header = signature_header(&[new.clone(), old.clone()], "msg_1", 10, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(
            parts,
            [
                sign(&new, "msg_1", 10, b"{}"),
                sign(&old, "msg_1", 10, b"{}")
            ]
        );
    }

    #[test]
    fn generated_secrets_follow_the_format() {
        let secret = generate_secret().unwrap();
        assert!(secret.starts_with("whsec_"));
        assert_eq!(secret_key(&secret).unwrap().len(), 32);
        assert_ne!(secret, generate_secret().unwrap());
        assert!(secret_key("whsec_not base64!").is_err());
        assert!(secret_key("whsec_").is_err());
    }
}
