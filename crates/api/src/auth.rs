//! Runtime API authentication: a connection API key in `X-API-KEY` or
//! `Authorization: Bearer` (any case, each header once), resolved by
//! `domain::accounts::api_keys`.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::ApiState;
use super::error::ApiError;
use junction_domain::accounts::api_keys;
use junction_store::api_keys::KeyOwner;

pub use junction_domain::accounts::api_keys::KEY_PREFIX;

/// The caller of a Runtime API request.
#[derive(Debug, Clone)]
pub struct Caller(pub KeyOwner);

/// The one value of a header that may be sent at most once: `None` when absent; a 400
/// naming the header when it was sent more than once (which copy counts would be a guess),
/// a 401 when it is not text.
fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &'static str,
) -> Result<Option<&'a str>, ApiError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::invalid(
            name,
            format!("send `{name}` once: the request carried it more than once"),
        ));
    }
    first.to_str().map(Some).map_err(|_| ApiError {
        field: Some(name.into()),
        ..ApiError::unauthorized(format!("the `{name}` header is not valid text"))
    })
}

/// The credentials of an `Authorization: Bearer <token>` header, if one was sent. The
/// scheme is case-insensitive (RFC 9110 §11.1); any other scheme is a 401 naming it.
pub fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = single_header(headers, "Authorization")? else {
        return Ok(None);
    };
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError {
            field: Some("Authorization".into()),
            ..ApiError::unauthorized(format!(
                "the `{scheme}` authorization scheme is not accepted: send `Authorization: Bearer <key>`"
            ))
        });
    }
    Ok(Some(token.trim()))
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let from_header = single_header(&parts.headers, "X-API-KEY")?;
        let key = match from_header {
            Some(key) => key.trim(),
            None => match bearer_token(&parts.headers)? {
                Some(key) => key,
                None => {
                    return Err(ApiError {
                        field: Some("X-API-KEY".into()),
                        ..ApiError::unauthorized(
                            "an API key is required: send it as `X-API-KEY: <key>` or `Authorization: Bearer <key>`",
                        )
                    });
                }
            },
        };
        if !key.starts_with(KEY_PREFIX) {
            return Err(ApiError {
                field: Some("X-API-KEY".into()),
                ..ApiError::unauthorized(format!(
                    "not a Junction API key (keys start with `{KEY_PREFIX}`)"
                ))
            });
        }
        match api_keys::resolve(&state.hub.store, key).await? {
            Some(owner) => Ok(Caller(owner)),
            None => Err(ApiError {
                field: Some("X-API-KEY".into()),
                ..ApiError::unauthorized("the API key is unknown or revoked")
            }),
        }
    }
}
