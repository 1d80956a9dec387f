//! The connection config, its JSON Schema, and the API client built from it.
//!
//! ```json
//! {"base_url": "https://shop.example.com", "access_token": "...", "store_code": "default",
//!  "page_size": 100, "timeout_seconds": 30}
//! ```
//!
//! `base_url` is the store's URL; the REST root is `{base_url}/rest/V1/`, or
//! `{base_url}/rest/{store_code}/V1/` with a store code. A `base_url` that already ends in
//! `/rest/V1` or `/rest/<code>/V1` is taken as the root. `access_token` is an integration's
//! access token, sent as a bearer token.

use junction_sdk::config::DEFAULT_TIMEOUT_SECONDS;
use junction_sdk::http::{Client, Url};
use junction_sdk::types::ConnectorError;
use serde::Deserialize;

/// The largest `pageSize` the connector asks for.
pub const MAX_PAGE_SIZE: u32 = 300;

/// The connection config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The store's URL, e.g. `https://shop.example.com`.
    pub base_url: String,
    /// The integration's access token.
    pub access_token: String,
    /// A store view code (`default`, `all`, ...) put in the REST path.
    #[serde(default)]
    pub store_code: Option<String>,
    /// The most records a listing asks for per request.
    #[serde(default)]
    pub page_size: Option<u32>,
    /// Per-request timeout in seconds.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

/// The JSON Schema (draft 2020-12) of [`Config`].
pub fn schema() -> String {
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Magento connection",
        "type": "object",
        "properties": {
            "base_url": {
                "type": "string", "format": "uri", "pattern": "^https?://",
                "title": "Store URL",
                "description": "The store's URL, e.g. https://shop.example.com; the connector adds /rest/V1."
            },
            "access_token": {
                "type": "string", "minLength": 1, "writeOnly": true,
                "title": "Access token",
                "description": "An integration's access token (System > Extensions > Integrations)."
            },
            "store_code": {
                "type": "string", "pattern": "^[a-z0-9_]+$",
                "title": "Store code", "description": "A store view code for the REST path, e.g. default."
            },
            "page_size": {
                "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                "title": "Page size", "description": "The most records one request asks for."
            },
            "timeout_seconds": {
                "type": "integer", "minimum": 1, "maximum": 300,
                "default": DEFAULT_TIMEOUT_SECONDS, "title": "Request timeout (seconds)"
            }
        },
        "required": ["base_url", "access_token"],
        "additionalProperties": false
    })
    .to_string()
}

fn is_store_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Config {
    /// Parses and checks the config JSON.
    pub fn parse(json: &str) -> Result<Self, ConnectorError> {
        let config: Config = junction_sdk::config::parse(json)?;
        junction_sdk::config::non_empty("access_token", &config.access_token)?;
        if let Some(code) = config.store_code.as_deref()
            && !is_store_code(code)
        {
            return Err(ConnectorError::invalid_config(
                Some("store_code"),
                format!("store_code {code:?} must be lowercase letters, digits and _"),
            ));
        }
        if let Some(size) = config.page_size
            && !(1..=MAX_PAGE_SIZE).contains(&size)
        {
            return Err(ConnectorError::invalid_config(
                Some("page_size"),
                format!("page_size must be between 1 and {MAX_PAGE_SIZE}, not {size}"),
            ));
        }
        config.rest_root()?;
        junction_sdk::config::timeout_seconds(config.timeout_seconds)?;
        Ok(config)
    }

    /// The REST root, `{base_url}/rest[/{store_code}]/V1/`.
    pub fn rest_root(&self) -> Result<Url, ConnectorError> {
        let mut url = junction_sdk::config::http_url("base_url", &self.base_url)?;
        let path = url.path().trim_end_matches('/').to_owned();
        let segments: Vec<&str> = path.split('/').collect();
        let already_rest = matches!(
            segments.as_slice(),
            [.., "rest", "V1"] | [.., "rest", _, "V1"]
        );
        let root = if already_rest {
            path
        } else {
            match self.store_code.as_deref() {
                Some(code) => format!("{path}/rest/{code}/V1"),
                None => format!("{path}/rest/V1"),
            }
        };
        url.set_path(&format!("{root}/"));
        Ok(url)
    }

    /// The page size for a listing that wants `wanted` records.
    pub fn page_size_for(&self, wanted: u32) -> u32 {
        let cap = self.page_size.unwrap_or(MAX_PAGE_SIZE);
        wanted.clamp(1, cap)
    }

    /// The API client: REST root, bearer token, timeouts.
    pub fn client(&self) -> Result<Client, ConnectorError> {
        let timeout = junction_sdk::config::timeout_seconds(self.timeout_seconds)?;
        Ok(Client::from_url(self.rest_root()?)
            .bearer_auth(self.access_token.trim())
            .header("accept", "application/json")
            .timeout(timeout))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn root(json: &str) -> String {
        Config::parse(json)
            .unwrap()
            .rest_root()
            .unwrap()
            .to_string()
    }

    fn field(e: ConnectorError) -> Option<String> {
        match e {
            ConnectorError::InvalidConfig(p) => p.field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn builds_the_rest_root() {
        assert_eq!(
            root(r#"{"base_url":"https://shop.example.com","access_token":"t"}"#),
            "https://shop.example.com/rest/V1/"
        );
        assert_eq!(
            root(
                r#"{"base_url":"https://shop.example.com/magento/","access_token":"t","store_code":"default"}"#
            ),
            "https://shop.example.com/magento/rest/default/V1/"
        );
        assert_eq!(
            root(r#"{"base_url":"http://127.0.0.1:9/rest/all/V1","access_token":"t"}"#),
            "http://127.0.0.1:9/rest/all/V1/"
        );
        assert_eq!(
            root(r#"{"base_url":"http://127.0.0.1:9/rest/V1/","access_token":"t"}"#),
            "http://127.0.0.1:9/rest/V1/"
        );
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases = [
            (r#"{"base_url":"ftp://x","access_token":"t"}"#, "base_url"),
            (
                r#"{"base_url":"https://x","access_token":" "}"#,
                "access_token",
            ),
            (
                r#"{"base_url":"https://x","access_token":"t","store_code":"De fault"}"#,
                "store_code",
            ),
            (
                r#"{"base_url":"https://x","access_token":"t","page_size":0}"#,
                "page_size",
            ),
            (r#"{"base_url":"https://x"}"#, "access_token"),
        ];
        for (json, expected) in cases {
            assert_eq!(
                field(Config::parse(json).unwrap_err()).as_deref(),
                Some(expected),
                "{json}"
            );
        }
        let c =
            Config::parse(r#"{"base_url":"https://x","access_token":"t","page_size":50}"#).unwrap();
        assert_eq!((c.page_size_for(500), c.page_size_for(0)), (50, 1));
        let s: serde_json::Value = serde_json::from_str(&schema()).unwrap();
        assert_eq!(s["properties"]["access_token"]["writeOnly"], true);
    }
}
