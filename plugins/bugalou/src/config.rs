//! The connection config, its JSON Schema, and the API client built from it.
//!
//! ```json
//! {"api_key": "bg_live_...", "platform": "woocommerce", "base_url": "https://app.bugalou.com",
//!  "status_map": {"on-hold": "processing"}, "endpoint": "orders", "timeout_seconds": 30}
//! ```
//!
//! `api_key` and `platform` (the `platform` every written order is filed under, e.g.
//! `woocommerce`, `custom`) are required. `status_map` adds or overrides translations of the
//! source system's status words into Bugalou's four (see [`crate::mapping`]). `endpoint`
//! picks where writes go, `orders` (default) or `zapier` (see [`crate::endpoint`]).

use std::collections::BTreeMap;

use junction_sdk::config::DEFAULT_TIMEOUT_SECONDS;
use junction_sdk::http::{Client, Url};
use junction_sdk::types::ConnectorError;
use serde::Deserialize;

use crate::endpoint::{ENDPOINT_NAMES, WriteEndpoint};
use crate::mapping::ORDER_STATUSES;

/// Bugalou's origin.
pub const DEFAULT_BASE_URL: &str = "https://app.bugalou.com";

/// The connection config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The dashboard's API key (`bg_live_...`).
    pub api_key: String,
    /// The platform name orders are filed under.
    pub platform: String,
    /// Bugalou's origin; `https://app.bugalou.com` when absent.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Source status word → Bugalou status.
    #[serde(default)]
    pub status_map: BTreeMap<String, String>,
    /// The endpoint order writes go to; the Orders API's when absent.
    #[serde(default)]
    pub endpoint: WriteEndpoint,
    /// Per-request timeout in seconds.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

/// The JSON Schema (draft 2020-12) of [`Config`].
pub fn schema() -> String {
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Bugalou connection",
        "type": "object",
        "properties": {
            "api_key": {
                "type": "string", "minLength": 1, "writeOnly": true,
                "title": "API key", "description": "The dashboard's API key, bg_live_..."
            },
            "platform": {
                "type": "string", "minLength": 1, "x-junction-overridable": true,
                "title": "Platform",
                "description": "The platform orders are filed under in Bugalou, e.g. woocommerce, shopify, lightspeed, custom."
            },
            "base_url": {
                "type": "string", "format": "uri", "pattern": "^https?://",
                "default": DEFAULT_BASE_URL,
                "title": "Bugalou URL", "description": "Change only for a proxy or a test server."
            },
            "status_map": {
                "type": "object", "x-junction-overridable": true,
                "additionalProperties": {"enum": ORDER_STATUSES},
                "title": "Status translations",
                "description": "Source status word -> Bugalou orderStatus (processing, shipped, delivered, cancelled), added to and overriding the built-in table."
            },
            "endpoint": {
                "type": "string", "enum": ENDPOINT_NAMES, "default": "orders",
                "title": "Write endpoint",
                "description": "Where orders are written. orders: POST /api/v1/orders, the Orders API's upsert by platform + order number. zapier: POST /api/zapier/order, the endpoint Bugalou documents for Zapier integrations (same fields). Orders are always read through the Orders API."
            },
            "timeout_seconds": {
                "type": "integer", "minimum": 1, "maximum": 300,
                "default": DEFAULT_TIMEOUT_SECONDS, "title": "Request timeout (seconds)"
            }
        },
        "required": ["api_key", "platform"],
        "additionalProperties": false
    })
    .to_string()
}

impl Config {
    /// Parses and checks the config JSON.
    pub fn parse(json: &str) -> Result<Self, ConnectorError> {
        let config: Config = junction_sdk::config::parse(json)?;
        junction_sdk::config::non_empty("api_key", &config.api_key)?;
        junction_sdk::config::non_empty("platform", &config.platform)?;
        config.base()?;
        for (from, to) in &config.status_map {
            if !ORDER_STATUSES.contains(&to.as_str()) {
                return Err(ConnectorError::invalid_config(
                    Some("status_map"),
                    format!(
                        "status_map maps {from:?} to {to:?}; Bugalou takes {}",
                        ORDER_STATUSES.join(", ")
                    ),
                ));
            }
        }
        junction_sdk::config::timeout_seconds(config.timeout_seconds)?;
        Ok(config)
    }

    /// Bugalou's origin, `{base_url}/` without a trailing `/api/v1` (which a pasted Orders
    /// API URL carries).
    pub fn origin(&self) -> Result<Url, ConnectorError> {
        let mut url = junction_sdk::config::http_url(
            "base_url",
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
        )?;
        let path = url.path().trim_end_matches('/').to_owned();
        let root = path.strip_suffix("/api/v1").unwrap_or(&path).to_owned();
        url.set_path(&format!("{root}/"));
        Ok(url)
    }

    /// The Orders API root, `{origin}/api/v1/`.
    pub fn base(&self) -> Result<Url, ConnectorError> {
        let mut url = self.origin()?;
        let root = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{root}/api/v1/"));
        Ok(url)
    }

    /// The URL order writes are posted to: the configured endpoint's.
    pub fn write_url(&self) -> Result<Url, ConnectorError> {
        Ok(self.endpoint.url(&self.origin()?))
    }

    /// The platform, trimmed.
    pub fn platform(&self) -> &str {
        self.platform.trim()
    }

    /// The API client: base URL, `X-API-Key`, timeouts.
    pub fn client(&self) -> Result<Client, ConnectorError> {
        let timeout = junction_sdk::config::timeout_seconds(self.timeout_seconds)?;
        Ok(Client::from_url(self.base()?)
            .header("x-api-key", self.api_key.trim())
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
    fn parses_and_names_bad_fields() {
        let c = Config::parse(r#"{"api_key":"k","platform":"custom"}"#).unwrap();
        assert_eq!(
            c.base().unwrap().to_string(),
            "https://app.bugalou.com/api/v1/"
        );
        let c = Config::parse(
            r#"{"api_key":"k","platform":"custom","base_url":"http://127.0.0.1:9/api/v1/"}"#,
        )
        .unwrap();
        assert_eq!(c.base().unwrap().to_string(), "http://127.0.0.1:9/api/v1/");
        assert_eq!(
            field(Config::parse(r#"{"api_key":"k"}"#).unwrap_err()).as_deref(),
            Some("platform")
        );
        assert_eq!(
            field(
                Config::parse(r#"{"api_key":"k","platform":"x","status_map":{"a":"lost"}}"#)
                    .unwrap_err()
            )
            .as_deref(),
            Some("status_map")
        );
        let s: serde_json::Value = serde_json::from_str(&schema()).unwrap();
        assert_eq!(s["properties"]["api_key"]["writeOnly"], true);
    }

    #[test]
    fn writes_go_to_the_orders_api_unless_zapier_is_chosen() {
        let c = Config::parse(r#"{"api_key":"k","platform":"custom"}"#).unwrap();
        assert_eq!(c.endpoint, WriteEndpoint::Orders);
        assert_eq!(
            c.write_url().unwrap().to_string(),
            "https://app.bugalou.com/api/v1/orders"
        );
        let c = Config::parse(
            r#"{"api_key":"k","platform":"custom","endpoint":"zapier","base_url":"http://127.0.0.1:9/api/v1"}"#,
        )
        .unwrap();
        assert_eq!(c.endpoint, WriteEndpoint::Zapier);
        assert_eq!(
            c.write_url().unwrap().to_string(),
            "http://127.0.0.1:9/api/zapier/order"
        );
        assert_eq!(c.base().unwrap().to_string(), "http://127.0.0.1:9/api/v1/");
    }

    #[test]
    fn an_unknown_endpoint_is_refused_naming_the_field() {
        for bad in [r#""webhook""#, r#""Zapier""#, "1", "null"] {
            let json = format!(r#"{{"api_key":"k","platform":"custom","endpoint":{bad}}}"#);
            let e = Config::parse(&json).unwrap_err();
            let message = format!("{e:?}");
            assert_eq!(field(e).as_deref(), Some("endpoint"), "{bad}: {message}");
        }
    }

    #[test]
    fn the_schema_offers_exactly_the_two_endpoints() {
        let s: serde_json::Value = serde_json::from_str(&schema()).unwrap();
        let endpoint = &s["properties"]["endpoint"];
        assert_eq!(endpoint["enum"], serde_json::json!(["orders", "zapier"]));
        assert_eq!(endpoint["default"], "orders");
        assert!(
            endpoint["description"]
                .as_str()
                .unwrap()
                .contains("/api/zapier/order")
        );
    }
}
