//! The connection config, its JSON Schema, and the GraphQL endpoint built from it.
//!
//! ```json
//! {"shop_url": "https://example.myshopify.com", "access_token": "shpat_...",
//!  "location_id": "61000001", "page_size": 100, "timeout_seconds": 30}
//! ```
//!
//! `shop_url` and `access_token` (an Admin API access token, sent as
//! `X-Shopify-Access-Token`) are required. `location_id` (a number or
//! `gid://shopify/Location/N`) is where stock writes set the `available` quantity; stock
//! writes refuse to run without it. `page_size` caps the records per request (Shopify's
//! maximum, 250, by default the host's page size up to that). `bulk_first_sync` (default
//! false) reads full listings through a bulk operation (see [`crate::bulk`]).

use junction_sdk::config::DEFAULT_TIMEOUT_SECONDS;
use junction_sdk::http::{Client, Url};
use junction_sdk::types::ConnectorError;
use serde::Deserialize;

use crate::API_VERSION;

/// Shopify's largest page.
pub const MAX_PAGE_SIZE: u32 = 250;

/// The connection config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The shop's origin, e.g. `https://example.myshopify.com`.
    pub shop_url: String,
    /// The Admin API access token.
    pub access_token: String,
    /// The location stock writes apply to.
    #[serde(default)]
    pub location_id: Option<String>,
    /// Records per request, 1 to 250.
    #[serde(default)]
    pub page_size: Option<u32>,
    /// Per-request timeout in seconds.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// Read full listings of orders, customers and products from a bulk operation.
    #[serde(default)]
    pub bulk_first_sync: bool,
}

/// The JSON Schema (draft 2020-12) of [`Config`].
pub fn schema() -> String {
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Shopify connection",
        "type": "object",
        "properties": {
            "shop_url": {
                "type": "string", "format": "uri", "pattern": "^https?://",
                "title": "Shop URL", "description": "The shop's admin origin, e.g. https://example.myshopify.com"
            },
            "access_token": {
                "type": "string", "minLength": 1, "writeOnly": true,
                "title": "Admin API access token", "description": "The app's Admin API access token (shpat_...)"
            },
            "location_id": {
                "type": "string", "pattern": "^([0-9]+|gid://shopify/Location/[0-9]+)$",
                "title": "Stock location",
                "description": "The location stock writes set the available quantity at: its number or gid://shopify/Location/N"
            },
            "page_size": {
                "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                "title": "Records per request", "description": "At most 250 (Shopify's maximum)."
            },
            "bulk_first_sync": {
                "type": "boolean", "default": false, "title": "First sync through a bulk operation",
                "description": "Read full listings of orders, customers and products from a Shopify bulk operation's file instead of page by page (large shops)."
            },
            "timeout_seconds": {
                "type": "integer", "minimum": 1, "maximum": 300,
                "default": DEFAULT_TIMEOUT_SECONDS, "title": "Request timeout (seconds)"
            }
        },
        "required": ["shop_url", "access_token"],
        "additionalProperties": false
    })
    .to_string()
}

/// The numeric id of a location given as `123` or `gid://shopify/Location/123`.
fn location_number(value: &str) -> Option<u64> {
    let v = value.trim();
    let digits = v.strip_prefix("gid://shopify/Location/").unwrap_or(v);
    digits
        .parse::<u64>()
        .ok()
        .filter(|_| digits.bytes().all(|b| b.is_ascii_digit()))
}

impl Config {
    /// Parses and checks the config JSON; errors name the field.
    pub fn parse(json: &str) -> Result<Self, ConnectorError> {
        let config: Config = junction_sdk::config::parse(json)?;
        junction_sdk::config::non_empty("access_token", &config.access_token)?;
        config.endpoint()?;
        if let Some(loc) = &config.location_id
            && location_number(loc).is_none()
        {
            return Err(ConnectorError::invalid_config(
                Some("location_id"),
                format!("location_id {loc:?} is not a location number or gid://shopify/Location/N"),
            ));
        }
        if let Some(n) = config.page_size
            && !(1..=MAX_PAGE_SIZE).contains(&n)
        {
            return Err(ConnectorError::invalid_config(
                Some("page_size"),
                format!("page_size must be 1 to {MAX_PAGE_SIZE}, not {n}"),
            ));
        }
        junction_sdk::config::timeout_seconds(config.timeout_seconds)?;
        Ok(config)
    }

    /// The GraphQL endpoint: `{shop_url}/admin/api/{API_VERSION}/graphql.json`.
    pub fn endpoint(&self) -> Result<Url, ConnectorError> {
        let mut url = junction_sdk::config::http_url("shop_url", &self.shop_url)?;
        let root = url.path().trim_end_matches('/').to_owned();
        // A URL pasted from the admin (`.../admin`) still means the shop.
        let root = root.strip_suffix("/admin").unwrap_or(&root).to_owned();
        url.set_path(&format!("{root}/admin/api/{API_VERSION}/graphql.json"));
        Ok(url)
    }

    /// The stock location's global id; an `invalid-config` error naming `location_id` when
    /// it is not set.
    pub fn location_gid(&self) -> Result<String, ConnectorError> {
        let number = self
            .location_id
            .as_deref()
            .and_then(location_number)
            .ok_or_else(|| {
                ConnectorError::invalid_config(
                    Some("location_id"),
                    "stock writes need location_id: the Shopify location whose available quantity they set",
                )
            })?;
        Ok(format!("gid://shopify/Location/{number}"))
    }

    /// Records per request for a host page size.
    pub fn page_size(&self, requested: u32) -> u32 {
        let cap = self.page_size.unwrap_or(MAX_PAGE_SIZE);
        requested.clamp(1, cap)
    }

    /// The API client: endpoint, token, timeouts.
    pub fn client(&self) -> Result<Client, ConnectorError> {
        let timeout = junction_sdk::config::timeout_seconds(self.timeout_seconds)?;
        Ok(Client::from_url(self.endpoint()?)
            .header("x-shopify-access-token", self.access_token.trim())
            .header("content-type", "application/json")
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
    fn endpoint_pins_the_version() {
        let c =
            Config::parse(r#"{"shop_url":"https://x.myshopify.com/admin/","access_token":"t"}"#)
                .unwrap();
        assert_eq!(
            c.endpoint().unwrap().to_string(),
            format!("https://x.myshopify.com/admin/api/{API_VERSION}/graphql.json")
        );
        assert_eq!(c.page_size(1000), 250);
        assert_eq!(c.page_size(0), 1);
    }

    #[test]
    fn bad_fields_are_named() {
        let bad = |json: &str| field(Config::parse(json).unwrap_err());
        assert_eq!(bad(r#"{"access_token":"t"}"#).as_deref(), Some("shop_url"));
        assert_eq!(
            bad(r#"{"shop_url":"ftp://x","access_token":"t"}"#).as_deref(),
            Some("shop_url")
        );
        assert_eq!(
            bad(r#"{"shop_url":"https://x","access_token":" "}"#).as_deref(),
            Some("access_token")
        );
        assert_eq!(
            bad(r#"{"shop_url":"https://x","access_token":"t","location_id":"main"}"#).as_deref(),
            Some("location_id")
        );
        assert_eq!(
            bad(r#"{"shop_url":"https://x","access_token":"t","page_size":251}"#).as_deref(),
            Some("page_size")
        );
        let no_location = Config::parse(r#"{"shop_url":"https://x","access_token":"t"}"#).unwrap();
        assert_eq!(
            field(no_location.location_gid().unwrap_err()).as_deref(),
            Some("location_id")
        );
        let c = Config::parse(r#"{"shop_url":"https://x","access_token":"t","location_id":"gid://shopify/Location/7"}"#).unwrap();
        assert_eq!(c.location_gid().unwrap(), "gid://shopify/Location/7");
        let s: serde_json::Value = serde_json::from_str(&schema()).unwrap();
        assert_eq!(s["properties"]["access_token"]["writeOnly"], true);
    }
}
