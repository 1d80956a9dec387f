//! The connection config, its JSON Schema, and the API client built from it.
//!
//! ```json
//! {"base_url": "https://api.webshopapp.com", "language": "nl", "api_key": "...",
//!  "api_secret": "...", "page_size": 250, "timeout_seconds": 30}
//! ```
//!
//! `base_url` is the shop's cluster (`https://api.webshopapp.com` in the EU,
//! `https://api.shoplightspeed.com` in the US); the API is under `{base_url}/{language}/`.
//! The key and secret go as HTTP Basic auth. `page_size` caps every list request (at most
//! 250, Lightspeed's largest `limit`).

use junction_sdk::config::DEFAULT_TIMEOUT_SECONDS;
use junction_sdk::http::{Client, Url};
use junction_sdk::types::ConnectorError;
use serde::Deserialize;

/// Lightspeed's largest `limit`.
pub const MAX_PAGE_SIZE: u32 = 250;

/// The connection config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The cluster URL, e.g. `https://api.webshopapp.com`.
    pub base_url: String,
    /// The shop language the API is addressed in, e.g. `nl`.
    pub language: String,
    /// The API key.
    pub api_key: String,
    /// The API secret.
    pub api_secret: String,
    /// The most records one list request asks for.
    #[serde(default)]
    pub page_size: Option<u32>,
    /// Per-request timeout in seconds.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

/// The JSON Schema (draft 2020-12) of [`Config`], as the manifest carries it.
pub fn schema() -> String {
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Lightspeed eCom connection",
        "type": "object",
        "properties": {
            "base_url": {
                "type": "string", "format": "uri", "pattern": "^https?://",
                "title": "Cluster URL",
                "description": "https://api.webshopapp.com (EU) or https://api.shoplightspeed.com (US)."
            },
            "language": {
                "type": "string", "pattern": "^[a-z]{2}$",
                "title": "Shop language",
                "description": "A language of the shop, e.g. nl or en: the API answers in it."
            },
            "api_key": {
                "type": "string", "minLength": 1, "writeOnly": true,
                "title": "API key", "description": "Settings > Developers > API keys."
            },
            "api_secret": {
                "type": "string", "minLength": 1, "writeOnly": true,
                "title": "API secret", "description": "The key's secret."
            },
            "page_size": {
                "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                "default": MAX_PAGE_SIZE, "title": "Page size",
                "description": "The most records one list request asks for."
            },
            "timeout_seconds": {
                "type": "integer", "minimum": 1, "maximum": 300,
                "default": DEFAULT_TIMEOUT_SECONDS, "title": "Request timeout (seconds)"
            }
        },
        "required": ["base_url", "language", "api_key", "api_secret"],
        "additionalProperties": false
    })
    .to_string()
}

impl Config {
    /// Parses and checks the config JSON; errors name the field.
    pub fn parse(json: &str) -> Result<Self, ConnectorError> {
        let config: Config = junction_sdk::config::parse(json)?;
        junction_sdk::config::non_empty("api_key", &config.api_key)?;
        junction_sdk::config::non_empty("api_secret", &config.api_secret)?;
        let language = config.language.trim();
        if language.len() != 2 || !language.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(ConnectorError::invalid_config(
                Some("language"),
                format!("language {language:?} is not a two-letter shop language such as nl or en"),
            ));
        }
        if let Some(size) = config.page_size
            && !(1..=MAX_PAGE_SIZE).contains(&size)
        {
            return Err(ConnectorError::invalid_config(
                Some("page_size"),
                format!("page_size {size} is not within 1..={MAX_PAGE_SIZE}"),
            ));
        }
        config.api_root()?;
        junction_sdk::config::timeout_seconds(config.timeout_seconds)?;
        Ok(config)
    }

    /// The API root, `{base_url}/{language}/`; a `base_url` that already ends in the
    /// language is accepted as well.
    pub fn api_root(&self) -> Result<Url, ConnectorError> {
        let mut url = junction_sdk::config::http_url("base_url", &self.base_url)?;
        let language = self.language.trim();
        let path = url.path().trim_end_matches('/').to_owned();
        let root = path
            .strip_suffix(&format!("/{language}"))
            .unwrap_or(&path)
            .to_owned();
        url.set_path(&format!("{root}/{language}/"));
        Ok(url)
    }

    /// The page size for a request that wants `wanted` records.
    pub fn page_size(&self, wanted: u32) -> u32 {
        wanted.clamp(1, self.page_size.unwrap_or(MAX_PAGE_SIZE))
    }

    /// The API client: root URL, Basic auth, timeouts.
    pub fn client(&self) -> Result<Client, ConnectorError> {
        let timeout = junction_sdk::config::timeout_seconds(self.timeout_seconds)?;
        Ok(Client::from_url(self.api_root()?)
            .basic_auth(self.api_key.trim(), self.api_secret.trim())
            .header("accept", "application/json")
            .timeout(timeout))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn field(e: ConnectorError) -> Option<String> {
        match e {
            ConnectorError::InvalidConfig(p) => p.field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn builds_the_language_root_and_names_bad_fields() {
        let ok = r#"{"base_url":"https://api.webshopapp.com","language":"nl","api_key":"k","api_secret":"s"}"#;
        let c = Config::parse(ok).unwrap();
        assert_eq!(
            c.api_root().unwrap().to_string(),
            "https://api.webshopapp.com/nl/"
        );
        assert_eq!(c.page_size(1_000), 250);
        let c = Config::parse(
            r#"{"base_url":"http://127.0.0.1:9/en/","language":"en","api_key":"k","api_secret":"s","page_size":2}"#,
        )
        .unwrap();
        assert_eq!(c.api_root().unwrap().to_string(), "http://127.0.0.1:9/en/");
        assert_eq!(c.page_size(50), 2);
        for (json, name) in [
            (
                r#"{"base_url":"https://a","language":"dutch","api_key":"k","api_secret":"s"}"#,
                "language",
            ),
            (
                r#"{"base_url":"https://a","language":"nl","api_key":"k","api_secret":" "}"#,
                "api_secret",
            ),
            (
                r#"{"base_url":"ftp://a","language":"nl","api_key":"k","api_secret":"s"}"#,
                "base_url",
            ),
            (
                r#"{"base_url":"https://a","language":"nl","api_key":"k","api_secret":"s","page_size":251}"#,
                "page_size",
            ),
        ] {
            assert_eq!(
                field(Config::parse(json).unwrap_err()).as_deref(),
                Some(name),
                "{json}"
            );
        }
        let s: serde_json::Value = serde_json::from_str(&schema()).unwrap();
        assert_eq!(s["properties"]["api_secret"]["writeOnly"], true);
        assert_eq!(s["properties"]["api_key"]["writeOnly"], true);
    }
}
