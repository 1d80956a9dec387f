//! The connection config, its JSON Schema, and the API client built from it.
//!
//! ```json
//! {"base_url": "https://shop.example.com", "consumer_key": "ck_...", "consumer_secret": "cs_...",
//!  "timeout_seconds": 30}
//! ```
//!
//! `base_url` is the shop's address; the REST API is under `{base_url}/wp-json/wc/v3/`. A URL
//! that already ends in `/wp-json/wc/v3` (or `/wp-json`) is accepted as well. Credentials go
//! as HTTP Basic auth (WooCommerce's scheme over HTTPS; the emulator accepts it over HTTP).

use junction_sdk::config::DEFAULT_TIMEOUT_SECONDS;
use junction_sdk::http::{Client, Url};
use junction_sdk::types::ConnectorError;
use serde::Deserialize;

/// The connection config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The shop's address, e.g. `https://shop.example.com`.
    pub base_url: String,
    /// The REST API consumer key (`ck_...`).
    pub consumer_key: String,
    /// The REST API consumer secret (`cs_...`).
    pub consumer_secret: String,
    /// Per-request timeout in seconds (connect at most 10 s of it).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

/// The JSON Schema (draft 2020-12) of [`Config`], as the manifest carries it.
pub fn schema() -> String {
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "WooCommerce connection",
        "type": "object",
        "properties": {
            "base_url": {
                "type": "string",
                "format": "uri",
                "pattern": "^https?://",
                "title": "Shop URL",
                "description": "The shop's address, e.g. https://shop.example.com. The REST API is used under /wp-json/wc/v3/."
            },
            "consumer_key": {
                "type": "string",
                "minLength": 1,
                "writeOnly": true,
                "title": "Consumer key",
                "description": "A WooCommerce REST API key (WooCommerce > Settings > Advanced > REST API), ck_..."
            },
            "consumer_secret": {
                "type": "string",
                "minLength": 1,
                "writeOnly": true,
                "title": "Consumer secret",
                "description": "The key's secret, cs_..."
            },
            "timeout_seconds": {
                "type": "integer",
                "minimum": 1,
                "maximum": 300,
                "default": DEFAULT_TIMEOUT_SECONDS,
                "title": "Request timeout (seconds)"
            }
        },
        "required": ["base_url", "consumer_key", "consumer_secret"],
        "additionalProperties": false
    })
    .to_string()
}

/// The REST API root (`…/wp-json/wc/v3/`) for a shop URL.
pub fn api_base(base_url: &str) -> Result<Url, ConnectorError> {
    let mut url = junction_sdk::config::http_url("base_url", base_url)?;
    let path = url.path().trim_end_matches('/').to_owned();
    let root = path
        .strip_suffix("/wp-json/wc/v3")
        .or_else(|| path.strip_suffix("/wp-json"))
        .unwrap_or(&path)
        .to_owned();
    url.set_path(&format!("{root}/wp-json/wc/v3/"));
    Ok(url)
}

/// `host[:port]` of a URL, for messages.
pub fn host_label(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => url.to_string(),
    }
}

impl Config {
    /// Parses and checks the config JSON.
    pub fn parse(json: &str) -> Result<Self, ConnectorError> {
        let config: Config = junction_sdk::config::parse(json)?;
        junction_sdk::config::non_empty("consumer_key", &config.consumer_key)?;
        junction_sdk::config::non_empty("consumer_secret", &config.consumer_secret)?;
        junction_sdk::config::timeout_seconds(config.timeout_seconds)?;
        api_base(&config.base_url)?;
        Ok(config)
    }

    /// The API client: base URL, Basic auth, timeouts.
    pub fn client(&self) -> Result<Client, ConnectorError> {
        let base = api_base(&self.base_url)?;
        let timeout = junction_sdk::config::timeout_seconds(self.timeout_seconds)?;
        Ok(Client::from_url(base)
            .basic_auth(self.consumer_key.trim(), self.consumer_secret.trim())
            .header("accept", "application/json")
            .timeout(timeout))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn api_base_forms() {
        let b = |s: &str| api_base(s).unwrap().to_string();
        assert_eq!(
            b("https://shop.example.com"),
            "https://shop.example.com/wp-json/wc/v3/"
        );
        assert_eq!(
            b("https://shop.example.com/"),
            "https://shop.example.com/wp-json/wc/v3/"
        );
        assert_eq!(
            b("https://example.com/shop/"),
            "https://example.com/shop/wp-json/wc/v3/"
        );
        assert_eq!(
            b("http://127.0.0.1:8090/wp-json/wc/v3"),
            "http://127.0.0.1:8090/wp-json/wc/v3/"
        );
        assert_eq!(
            b("http://127.0.0.1:8090/wp-json/"),
            "http://127.0.0.1:8090/wp-json/wc/v3/"
        );
        assert!(api_base("shop.example.com").is_err());
        assert_eq!(
            host_label(&api_base("http://127.0.0.1:8090").unwrap()),
            "127.0.0.1:8090"
        );
    }

    #[test]
    fn parses_and_validates() {
        let c = Config::parse(r#"{"base_url":"http://127.0.0.1:8090","consumer_key":"ck_test","consumer_secret":"cs_test"}"#).unwrap();
        assert_eq!(c.consumer_key, "ck_test");
        let e = Config::parse(r#"{"base_url":"http://x","consumer_key":"ck"}"#).unwrap_err();
        assert!(
            matches!(e, ConnectorError::InvalidConfig(p) if p.field.as_deref() == Some("consumer_secret"))
        );
        let e = Config::parse(r#"{"base_url":"x","consumer_key":"ck","consumer_secret":"cs"}"#)
            .unwrap_err();
        assert!(
            matches!(e, ConnectorError::InvalidConfig(p) if p.field.as_deref() == Some("base_url"))
        );
        let e =
            Config::parse(r#"{"base_url":"http://x","consumer_key":" ","consumer_secret":"cs"}"#)
                .unwrap_err();
        assert!(
            matches!(e, ConnectorError::InvalidConfig(p) if p.field.as_deref() == Some("consumer_key"))
        );
        let e = Config::parse(r#"{"base_url":"http://x","consumer_key":"a","consumer_secret":"b","timeout_seconds":0}"#).unwrap_err();
        assert!(
            matches!(e, ConnectorError::InvalidConfig(p) if p.field.as_deref() == Some("timeout_seconds"))
        );
    }

    #[test]
    fn schema_is_a_strict_object() {
        let s: serde_json::Value = serde_json::from_str(&schema()).unwrap();
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["properties"]["consumer_secret"]["writeOnly"], true);
        assert_eq!(s["properties"]["consumer_key"]["writeOnly"], true);
        assert_eq!(s["properties"]["base_url"]["format"], "uri");
        assert_eq!(
            s["required"],
            serde_json::json!(["base_url", "consumer_key", "consumer_secret"])
        );
    }
}
