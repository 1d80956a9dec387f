//! Query-parameter parsing for Runtime API lists, strict and explained: every malformed
//! or unknown parameter is a 400 naming it and saying what is accepted.

use std::collections::HashMap;

use data_encoding::BASE64URL_NOPAD;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use junction_domain::sync::record_json::parse_ms;
use junction_store::records::{PageQuery, Paging};

/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: i64 = 500;
pub const DEFAULT_PAGE_SIZE: i64 = 50;

/// A parsed list request.
#[derive(Debug, Clone)]
pub struct ListParams {
    pub page: i64,
    pub page_size: i64,
    pub query: PageQuery,
}

/// The keyset position a `cursor` carries: a position in the resource's change order.
#[derive(Debug, Serialize, Deserialize)]
struct CursorToken {
    p: i64,
}

pub fn encode_cursor(position: i64) -> String {
    let token = CursorToken { p: position };
    BASE64URL_NOPAD.encode(serde_json::to_string(&token).unwrap_or_default().as_bytes())
}

fn decode_cursor(text: &str) -> Result<i64, ApiError> {
    let bad = || {
        ApiError::invalid(
            "cursor",
            "cursor is not a value returned as `nextCursor` by this API",
        )
    };
    let bytes = BASE64URL_NOPAD.decode(text.as_bytes()).map_err(|_| bad())?;
    let token: CursorToken = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    Ok(token.p)
}

/// Parse `page`, `pageSize`, `updatedSince`, `cursor` and (when `allow_status`) `status`.
pub fn parse_list(
    raw: &HashMap<String, String>,
    allow_status: bool,
) -> Result<ListParams, ApiError> {
    let accepted: &[&str] = if allow_status {
        &["page", "pageSize", "updatedSince", "cursor", "status"]
    } else {
        &["page", "pageSize", "updatedSince", "cursor"]
    };
    if let Some(unknown) = raw.keys().find(|k| !accepted.contains(&k.as_str())) {
        return Err(ApiError::invalid(
            unknown,
            format!(
                "unknown parameter `{unknown}`; accepted: {}",
                accepted.join(", ")
            ),
        ));
    }
    let page = match raw.get("page") {
        None => 1,
        Some(v) => v.parse::<i64>().ok().filter(|p| *p >= 1).ok_or_else(|| {
            ApiError::invalid(
                "page",
                format!("page must be a whole number from 1, got `{v}`"),
            )
        })?,
    };
    let page_size = match raw.get("pageSize") {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|s| (1..=MAX_PAGE_SIZE).contains(s))
            .ok_or_else(|| {
                ApiError::invalid(
                    "pageSize",
                    format!("pageSize must be a whole number from 1 to {MAX_PAGE_SIZE}, got `{v}`"),
                )
            })?,
    };
    let updated_since_ms = match raw.get("updatedSince") {
        None => None,
        Some(v) => Some(parse_ms(v).map_err(|_| {
            ApiError::invalid("updatedSince", format!("updatedSince must be an ISO 8601 / RFC 3339 UTC timestamp such as 2026-01-01T00:00:00Z, got `{v}`"))
        })?),
    };
    let after = match raw.get("cursor") {
        None => None,
        Some(c) => {
            if raw.contains_key("page") {
                return Err(ApiError::invalid(
                    "cursor",
                    "use either page or cursor, not both",
                ));
            }
            Some(decode_cursor(c)?)
        }
    };
    let statuses = match raw.get("status") {
        None => Vec::new(),
        Some(v) => {
            let list: Vec<String> = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            if list.is_empty() {
                return Err(ApiError::invalid(
                    "status",
                    "status must be a comma-separated list such as processing,completed",
                ));
            }
            list
        }
    };
    Ok(ListParams {
        page,
        page_size,
        query: PageQuery {
            parent_id: String::new(),
            updated_since_ms,
            statuses,
            paging: after.map_or(Paging::Number(page), Paging::After),
            limit: page_size,
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn each_bad_parameter_is_named() {
        for (pairs, field) in [
            (vec![("page", "0")], "page"),
            (vec![("page", "x")], "page"),
            (vec![("pageSize", "501")], "pageSize"),
            (vec![("updatedSince", "yesterday")], "updatedSince"),
            (vec![("status", ",")], "status"),
            (vec![("cursor", "%%")], "cursor"),
            (vec![("page_size", "5")], "page_size"),
        ] {
            let err = parse_list(&params(&pairs), true).unwrap_err();
            assert_eq!(err.field.as_deref(), Some(field), "{pairs:?}: {err:?}");
            assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST);
        }
        assert_eq!(
            parse_list(&params(&[("status", "x")]), false)
                .unwrap_err()
                .field
                .as_deref(),
            Some("status")
        );
    }

    #[test]
    fn defaults_offsets_and_cursors() {
        let p = parse_list(
            &params(&[
                ("page", "3"),
                ("pageSize", "20"),
                ("status", "processing, completed"),
            ]),
            true,
        )
        .unwrap();
        assert_eq!((p.query.paging, p.query.limit), (Paging::Number(3), 20));
        assert_eq!(p.query.statuses, vec!["processing", "completed"]);
        let c = encode_cursor(5);
        let p = parse_list(&params(&[("cursor", &c)]), true).unwrap();
        assert_eq!(p.query.paging, Paging::After(5));
    }
}
