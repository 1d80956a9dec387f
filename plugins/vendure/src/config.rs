//! The connection config and its JSON Schema.
//!
//! ```json
//! {"base_url": "https://shop.example.com", "username": "superadmin", "password": "..."}
//! {"base_url": "https://shop.example.com", "api_key": "..."}
//! ```
//!
//! `base_url` is the Vendure server's address; the Admin API is `{base_url}/admin-api` unless
//! `admin_api_path` says otherwise. Credentials are either an administrator's login (the
//! connector logs in on every call and uses the session token it gets back) or a Vendure API
//! key (Vendure 3.6+, sent in the `vendure-api-key` header). Secrets are `writeOnly`.

use std::time::Duration;

use junction_sdk::config::DEFAULT_TIMEOUT_SECONDS;
use junction_sdk::http::Url;
use junction_sdk::types::ConnectorError;
use serde::Deserialize;

/// Vendure's default Admin API path.
pub const DEFAULT_ADMIN_API_PATH: &str = "admin-api";
/// Vendure's default money precision: amounts are integers in hundredths.
pub const DEFAULT_MONEY_DECIMALS: u32 = 2;

/// The connection config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The server's address, e.g. `https://shop.example.com`.
    pub base_url: String,
    /// The Admin API's path under `base_url` (Vendure's `apiOptions.adminApiPath`).
    #[serde(default)]
    pub admin_api_path: Option<String>,
    /// An administrator's identifier (with `password`).
    #[serde(default)]
    pub username: Option<String>,
    /// The administrator's password.
    #[serde(default)]
    pub password: Option<String>,
    /// A Vendure API key (instead of username and password).
    #[serde(default)]
    pub api_key: Option<String>,
    /// The decimals of Vendure's integer money amounts (its MoneyStrategy precision).
    #[serde(default)]
    pub money_decimals: Option<u32>,
    /// Per-request timeout in seconds.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

/// How the connector proves who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Log in with the `login` mutation, then use the session token.
    Login { username: String, password: String },
    /// Send the key in the `vendure-api-key` header.
    ApiKey(String),
}

/// The JSON Schema (draft 2020-12) of [`Config`], as the manifest carries it.
pub fn schema() -> String {
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Vendure connection",
        "type": "object",
        "properties": {
            "base_url": {
                "type": "string", "format": "uri", "pattern": "^https?://",
                "title": "Vendure server URL",
                "description": "The server's address, e.g. https://shop.example.com (the Admin API is under /admin-api)."
            },
            "admin_api_path": {
                "type": "string", "minLength": 1, "default": DEFAULT_ADMIN_API_PATH,
                "title": "Admin API path"
            },
            "username": {
                "type": "string", "minLength": 1, "title": "Administrator",
                "description": "An administrator's identifier; with password. Leave empty when using an API key."
            },
            "password": {
                "type": "string", "minLength": 1, "writeOnly": true, "title": "Password"
            },
            "api_key": {
                "type": "string", "minLength": 1, "writeOnly": true, "title": "API key",
                "description": "A Vendure API key (Settings > API Keys, Vendure 3.6+) instead of username and password."
            },
            "money_decimals": {
                "type": "integer", "minimum": 0, "maximum": 6, "default": DEFAULT_MONEY_DECIMALS,
                "title": "Money decimals",
                "description": "How many decimals Vendure's integer amounts carry (2 unless the server's MoneyStrategy says otherwise)."
            },
            "timeout_seconds": {
                "type": "integer", "minimum": 1, "maximum": 300, "default": DEFAULT_TIMEOUT_SECONDS,
                "title": "Request timeout (seconds)"
            }
        },
        "required": ["base_url"],
        "additionalProperties": false
    })
    .to_string()
}

impl Config {
    /// Parses and checks the config JSON.
    pub fn parse(json: &str) -> Result<Self, ConnectorError> {
        let config: Config = junction_sdk::config::parse(json)?;
        config.admin_url()?;
        config.credentials()?;
        junction_sdk::config::timeout_seconds(config.timeout_seconds)?;
        if config.money_decimals.is_some_and(|d| d > 6) {
            return Err(ConnectorError::invalid_config(
                Some("money_decimals"),
                "money_decimals must be between 0 and 6",
            ));
        }
        Ok(config)
    }

    /// The Admin API endpoint.
    pub fn admin_url(&self) -> Result<Url, ConnectorError> {
        let mut url = junction_sdk::config::http_url("base_url", &self.base_url)?;
        let path = self
            .admin_api_path
            .as_deref()
            .unwrap_or(DEFAULT_ADMIN_API_PATH)
            .trim_matches('/');
        if path.is_empty() || path.contains(['?', '#']) {
            return Err(ConnectorError::invalid_config(
                Some("admin_api_path"),
                "admin_api_path must be a path such as admin-api",
            ));
        }
        let root = url.path().trim_end_matches('/').to_owned();
        let root = root.strip_suffix(&format!("/{path}")).unwrap_or(&root);
        url.set_path(&format!("{root}/{path}"));
        Ok(url)
    }

    /// The credentials: an API key, or username and password (exactly one of the two).
    pub fn credentials(&self) -> Result<Credentials, ConnectorError> {
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        match (&self.api_key, blank(&self.username), blank(&self.password)) {
            (Some(key), true, true) if !key.trim().is_empty() => {
                Ok(Credentials::ApiKey(key.trim().to_owned()))
            }
            (Some(_), true, true) => Err(ConnectorError::invalid_config(
                Some("api_key"),
                "api_key must not be empty",
            )),
            (Some(_), _, _) => Err(ConnectorError::invalid_config(
                Some("api_key"),
                "give either api_key or username and password, not both",
            )),
            (None, false, false) => Ok(Credentials::Login {
                username: self.username.clone().unwrap_or_default().trim().to_owned(),
                password: self.password.clone().unwrap_or_default(),
            }),
            (None, true, _) => Err(ConnectorError::invalid_config(
                Some("username"),
                "username (with password) or api_key is required",
            )),
            (None, false, true) => Err(ConnectorError::invalid_config(
                Some("password"),
                "password is required with username",
            )),
        }
    }

    /// The decimals of money amounts.
    pub fn money_decimals(&self) -> u32 {
        self.money_decimals.unwrap_or(DEFAULT_MONEY_DECIMALS)
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS))
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
    fn credentials_are_a_login_or_a_key() {
        let c =
            Config::parse(r#"{"base_url":"http://v:3000","username":"a","password":"b"}"#).unwrap();
        assert_eq!(
            c.credentials().unwrap(),
            Credentials::Login {
                username: "a".into(),
                password: "b".into()
            }
        );
        assert_eq!(
            c.admin_url().unwrap().to_string(),
            "http://v:3000/admin-api"
        );
        let c = Config::parse(r#"{"base_url":"http://v/shop/","api_key":"k"}"#).unwrap();
        assert_eq!(c.credentials().unwrap(), Credentials::ApiKey("k".into()));
        assert_eq!(
            c.admin_url().unwrap().to_string(),
            "http://v/shop/admin-api"
        );
        let bad = |j: &str| field(Config::parse(j).unwrap_err());
        assert_eq!(
            bad(r#"{"base_url":"http://v"}"#).as_deref(),
            Some("username")
        );
        assert_eq!(
            bad(r#"{"base_url":"http://v","username":"a"}"#).as_deref(),
            Some("password")
        );
        assert_eq!(
            bad(r#"{"base_url":"http://v","username":"a","password":"b","api_key":"k"}"#)
                .as_deref(),
            Some("api_key")
        );
        assert_eq!(
            bad(r#"{"base_url":"v","api_key":"k"}"#).as_deref(),
            Some("base_url")
        );
        assert_eq!(
            bad(r#"{"base_url":"http://v","api_key":"k","money_decimals":9}"#).as_deref(),
            Some("money_decimals")
        );
    }
}
