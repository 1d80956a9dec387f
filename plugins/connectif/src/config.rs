//! The connection config, its JSON Schema, and the API client built from it.
//!
//! ```json
//! {"api_key": "...", "product_url_template": "https://shop.example.com/?p={id}",
//!  "base_url": "https://api.connectif.cloud", "trigger_purchase_event": true,
//!  "timeout_seconds": 30}
//! ```
//!
//! Only `api_key` is required. `base_url` defaults to Connectif's API (another origin is for
//! tests and proxies). `product_url_template` gives catalogue products their page URL
//! (Connectif requires one): `{id}` and `{sku}` are replaced; without it a product's own
//! `permalink`/`url` from its raw JSON is used.

use junction_sdk::config::DEFAULT_TIMEOUT_SECONDS;
use junction_sdk::http::{Client, Url};
use junction_sdk::types::ConnectorError;
use serde::Deserialize;

/// Connectif's API origin.
pub const DEFAULT_BASE_URL: &str = "https://api.connectif.cloud";

/// The connection config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// An API key of the Connectif account (Store settings > API keys).
    pub api_key: String,
    /// The API origin; Connectif's own when absent.
    #[serde(default)]
    pub base_url: Option<String>,
    /// A product page URL with `{id}` / `{sku}` placeholders.
    #[serde(default)]
    pub product_url_template: Option<String>,
    /// Whether new purchases fire Connectif's "On purchase" workflow trigger (default true).
    #[serde(default)]
    pub trigger_purchase_event: Option<bool>,
    /// Per-request timeout in seconds.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

/// The JSON Schema (draft 2020-12) of [`Config`].
pub fn schema() -> String {
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Connectif connection",
        "type": "object",
        "properties": {
            "api_key": {
                "type": "string", "minLength": 1, "writeOnly": true,
                "title": "API key",
                "description": "A Connectif API key (Store settings > API keys) with the contacts, products, purchases, exports and imports scopes (exports and imports serve reading customers and batch writes)."
            },
            "base_url": {
                "type": "string", "format": "uri", "pattern": "^https?://",
                "default": DEFAULT_BASE_URL,
                "title": "API URL",
                "description": "Connectif's API origin; change only for a proxy or a test server."
            },
            "product_url_template": {
                "type": "string", "pattern": "^https?://",
                "title": "Product page URL",
                "description": "The shop's product page, with {id} (and optionally {sku}) replaced per product, e.g. https://shop.example.com/?p={id}. Connectif needs a page URL for every catalogue product; the domain must be among the account's authorized domains."
            },
            "trigger_purchase_event": {
                "type": "boolean", "default": true,
                "title": "Trigger purchase workflows",
                "description": "Whether a newly written purchase fires Connectif's On-Purchase workflow trigger. Rewrites of an existing purchase never fire it."
            },
            "timeout_seconds": {
                "type": "integer", "minimum": 1, "maximum": 300,
                "default": DEFAULT_TIMEOUT_SECONDS,
                "title": "Request timeout (seconds)"
            }
        },
        "required": ["api_key"],
        "additionalProperties": false
    })
    .to_string()
}

/// A product URL template must be an absolute http(s) URL once its placeholders are filled,
/// and name the product (`{id}` or `{sku}`), or every product would get the same page.
fn check_template(template: &str) -> Result<(), ConnectorError> {
    let bad = |m: &str| ConnectorError::invalid_config(Some("product_url_template"), m);
    if !template.contains("{id}") && !template.contains("{sku}") {
        return Err(bad("product_url_template must contain {id} or {sku}"));
    }
    let filled = template.replace("{id}", "1").replace("{sku}", "1");
    let url = Url::parse(filled.trim())
        .map_err(|e| bad(&format!("product_url_template is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad(
            "product_url_template must be an http(s) URL with a host",
        ));
    }
    Ok(())
}

impl Config {
    /// Parses and checks the config JSON.
    pub fn parse(json: &str) -> Result<Self, ConnectorError> {
        let config: Config = junction_sdk::config::parse(json)?;
        junction_sdk::config::non_empty("api_key", &config.api_key)?;
        config.base()?;
        if let Some(t) = &config.product_url_template {
            check_template(t)?;
        }
        junction_sdk::config::timeout_seconds(config.timeout_seconds)?;
        Ok(config)
    }

    /// The API origin.
    pub fn base(&self) -> Result<Url, ConnectorError> {
        junction_sdk::config::http_url(
            "base_url",
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
        )
    }

    /// The API client: base URL, `Authorization: apiKey <KEY>`, timeouts.
    pub fn client(&self) -> Result<Client, ConnectorError> {
        let timeout = junction_sdk::config::timeout_seconds(self.timeout_seconds)?;
        Ok(Client::from_url(self.base()?)
            .header("authorization", format!("apiKey {}", self.api_key.trim()))
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
        let c = Config::parse(r#"{"api_key":"k"}"#).unwrap();
        assert_eq!(
            c.base().unwrap().to_string(),
            "https://api.connectif.cloud/"
        );
        let c = Config::parse(r#"{"api_key":"k","base_url":"http://127.0.0.1:9"}"#).unwrap();
        assert_eq!(c.base().unwrap().host_str(), Some("127.0.0.1"));
        assert_eq!(
            field(Config::parse("{}").unwrap_err()).as_deref(),
            Some("api_key")
        );
        assert_eq!(
            field(Config::parse(r#"{"api_key":" "}"#).unwrap_err()).as_deref(),
            Some("api_key")
        );
        assert_eq!(
            field(Config::parse(r#"{"api_key":"k","base_url":"nope"}"#).unwrap_err()).as_deref(),
            Some("base_url")
        );
        for bad in ["shop/{id}", "https://shop.example.com/mug", "ftp://x/{id}"] {
            let json = serde_json::json!({"api_key": "k", "product_url_template": bad});
            assert_eq!(
                field(Config::parse(&json.to_string()).unwrap_err()).as_deref(),
                Some("product_url_template"),
                "{bad}"
            );
        }
        let c = Config::parse(
            r#"{"api_key":"k","product_url_template":"https://shop.example.com/?p={id}&s={sku}"}"#,
        );
        assert!(c.is_ok(), "{c:?}");
        let s: serde_json::Value = serde_json::from_str(&schema()).unwrap();
        assert_eq!(s["properties"]["api_key"]["writeOnly"], true);
        assert_eq!(s["required"], serde_json::json!(["api_key"]));
    }
}
