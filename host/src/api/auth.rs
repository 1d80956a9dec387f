//! Runtime API authentication: a connection API key in `X-API-KEY` or
//! `Authorization: Bearer`, looked up by its SHA-256 hash. Keys are
//! `jct_live_<32 base62-ish chars>` carrying 192 random bits.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};

use super::ApiState;
use super::error::ApiError;
use crate::store::api_keys::KeyOwner;

/// The recognisable prefix of every key.
pub const KEY_PREFIX: &str = "jct_live_";
/// Characters of a key kept for listing.
const SHOWN_PREFIX_LEN: usize = KEY_PREFIX.len() + 6;

/// A new key: (the key to show once, its listing prefix, its hash).
pub fn generate_key() -> Result<(String, String, String), ApiError> {
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    let key = format!("{KEY_PREFIX}{}", BASE64URL_NOPAD.encode(&random));
    let prefix = key[..SHOWN_PREFIX_LEN].to_string();
    let hash = hash_key(&key);
    Ok((key, prefix, hash))
}

pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The caller of a Runtime API request.
#[derive(Debug, Clone)]
pub struct Caller(pub KeyOwner);

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let from_header = parts.headers.get("x-api-key").map(|v| v.to_str());
        let from_bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .map(|v| v.to_str().map(|s| s.strip_prefix("Bearer ").unwrap_or("")));
        let key = match (from_header, from_bearer) {
            (Some(Ok(k)), _) => k.trim(),
            (None, Some(Ok(k))) => k.trim(),
            (Some(Err(_)), _) | (None, Some(Err(_))) => {
                return Err(ApiError {
                    field: Some("X-API-KEY".into()),
                    ..ApiError::unauthorized("the API key header is not valid text")
                });
            }
            (None, None) => {
                return Err(ApiError {
                    field: Some("X-API-KEY".into()),
                    ..ApiError::unauthorized(
                        "an API key is required: send it as `X-API-KEY: <key>` or `Authorization: Bearer <key>`",
                    )
                });
            }
        };
        if !key.starts_with(KEY_PREFIX) {
            return Err(ApiError {
                field: Some("X-API-KEY".into()),
                ..ApiError::unauthorized(format!(
                    "not a Junction API key (keys start with `{KEY_PREFIX}`)"
                ))
            });
        }
        match state.hub.store.resolve_api_key(&hash_key(key)).await? {
            Some(owner) => Ok(Caller(owner)),
            None => Err(ApiError {
                field: Some("X-API-KEY".into()),
                ..ApiError::unauthorized("the API key is unknown or revoked")
            }),
        }
    }
}
