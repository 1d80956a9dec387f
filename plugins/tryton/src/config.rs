//! The connection config and its JSON Schema.
//!
//! ```json
//! {"base_url": "https://erp.example.com", "database": "shop", "user": "admin",
//!  "password": "...", "timeout_seconds": 30}
//! ```
//!
//! `base_url` is where trytond serves HTTP; JSON-RPC calls go to `{base_url}/{database}/rpc/`.

use junction_sdk::config::{DEFAULT_TIMEOUT_SECONDS, http_url, non_empty, parse};
use junction_sdk::types::ConnectorError;
use serde::Deserialize;

/// The connection config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where trytond listens, e.g. `https://erp.example.com`.
    pub base_url: String,
    /// The Tryton database name.
    pub database: String,
    /// The Tryton login.
    pub user: String,
    /// The user's password.
    pub password: String,
    /// Per-request timeout in seconds.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

/// A checked config: the JSON-RPC endpoint resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `{base_url}/{database}/rpc/`.
    pub rpc_url: String,
    pub user: String,
    pub password: String,
    pub timeout_seconds: u64,
}

/// Parses and checks the config JSON; errors name the field at fault.
pub fn settings(config: &str) -> Result<Settings, ConnectorError> {
    let config: Config = parse(config)?;
    let mut url = http_url("base_url", &config.base_url)?;
    let database = non_empty("database", &config.database)?;
    let user = non_empty("user", &config.user)?.to_owned();
    if config.password.is_empty() {
        return Err(ConnectorError::invalid_config(
            Some("password"),
            "password must not be empty",
        ));
    }
    let timeout_seconds = junction_sdk::config::timeout_seconds(config.timeout_seconds)?.as_secs();
    url.push_segment(database);
    url.push_segment("rpc");
    // Tryton's route is `/<database>/rpc/`: without the slash it answers a redirect.
    let rpc_url = format!("{}/", url.as_string().trim_end_matches('/'));
    Ok(Settings {
        rpc_url,
        user,
        password: config.password,
        timeout_seconds,
    })
}

/// The JSON Schema (draft 2020-12) of [`Config`], as the manifest carries it.
pub fn schema() -> String {
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Tryton connection",
        "type": "object",
        "properties": {
            "base_url": {
                "type": "string", "format": "uri", "pattern": "^https?://",
                "title": "Tryton server URL",
                "description": "Where trytond serves HTTP, e.g. https://erp.example.com."
            },
            "database": {"type": "string", "minLength": 1, "title": "Database"},
            "user": {"type": "string", "minLength": 1, "title": "Login"},
            "password": {"type": "string", "minLength": 1, "writeOnly": true, "title": "Password"},
            "timeout_seconds": {
                "type": "integer", "minimum": 1, "maximum": 300,
                "default": DEFAULT_TIMEOUT_SECONDS, "title": "Request timeout (seconds)"
            }
        },
        "required": ["base_url", "database", "user", "password"],
        "additionalProperties": false
    })
    .to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn field_of(err: ConnectorError) -> Option<String> {
        match err {
            ConnectorError::InvalidConfig(p) => p.field,
            other => panic!("expected invalid-config, got {other:?}"),
        }
    }

    #[test]
    fn builds_the_rpc_url_with_the_database() {
        let s = settings(
            r#"{"base_url":"http://127.0.0.1:8000/","database":"shop","user":"admin","password":"x"}"#,
        )
        .unwrap();
        assert_eq!(s.rpc_url, "http://127.0.0.1:8000/shop/rpc/");
        assert_eq!(s.timeout_seconds, DEFAULT_TIMEOUT_SECONDS);
    }

    #[test]
    fn bad_fields_are_named() {
        let base = r#""base_url":"http://h","user":"u","password":"p""#;
        let err = settings(&format!(r#"{{{base},"database":" "}}"#)).unwrap_err();
        assert_eq!(field_of(err).as_deref(), Some("database"));
        let err = settings(r#"{"base_url":"ftp://h","database":"d","user":"u","password":"p"}"#)
            .unwrap_err();
        assert_eq!(field_of(err).as_deref(), Some("base_url"));
        let err = settings(r#"{"base_url":"http://h","database":"d","user":"u","password":""}"#)
            .unwrap_err();
        assert_eq!(field_of(err).as_deref(), Some("password"));
        let err = settings(r#"{"base_url":"http://h","database":"d","user":"u"}"#).unwrap_err();
        assert_eq!(field_of(err).as_deref(), Some("password"));
    }

    #[test]
    fn schema_marks_the_password_write_only() {
        let schema: serde_json::Value = serde_json::from_str(&schema()).unwrap();
        assert_eq!(schema["properties"]["password"]["writeOnly"], true);
    }
}
