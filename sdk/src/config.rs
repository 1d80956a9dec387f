//! Reading the connection config (a JSON object string) into the connector's own serde struct.
//!
//! The host has already validated the config against the manifest's `config-schema`, so
//! errors here are rare; when they happen they are `invalid-config` with the property at
//! fault when serde can tell (missing, unknown or mistyped fields):
//!
//! ```ignore
//! #[derive(serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct Config { base_url: String, api_key: String }
//!
//! let config: Config = junction_sdk::config::parse(&config_json)?;
//! let base = junction_sdk::config::http_url("base_url", &config.base_url)?;
//! ```

use std::time::Duration;

use crate::url::Url;
use serde::de::DeserializeOwned;

use crate::error::ConnectorResult;
use crate::types::ConnectorError;

/// Parses the config JSON into `T`, mapping failures to `invalid-config { field, message }`.
pub fn parse<T: DeserializeOwned>(config: &str) -> ConnectorResult<T> {
    let mut de = serde_json::Deserializer::from_str(config);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        let field = if path == "." || path.is_empty() {
            field_from_message(&message)
        } else {
            Some(path)
        };
        ConnectorError::invalid_config(field.as_deref(), format!("invalid config: {message}"))
    })?;
    de.end()
        .map_err(|e| ConnectorError::invalid_config(None, format!("invalid config: {e}")))?;
    Ok(value)
}

/// The field serde names in "missing field `x`" / "unknown field `x`" messages.
fn field_from_message(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))?;
    rest.split_once('`').map(|(field, _)| field.to_owned())
}

/// Checks that a config property holds an absolute `http`/`https` URL with a host, and
/// returns it parsed. Errors are `invalid-config` for `field`.
pub fn http_url(field: &str, value: &str) -> ConnectorResult<Url> {
    let bad = |m: String| ConnectorError::invalid_config(Some(field), m);
    let url =
        Url::parse(value.trim()).map_err(|e| bad(format!("{field} is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!(
            "{field} must be an http or https URL, not {}:",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad(format!("{field} has no host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!("{field} must not have a query or fragment")));
    }
    Ok(url)
}

/// Checks that a required string property is not blank; returns it trimmed.
pub fn non_empty<'a>(field: &str, value: &'a str) -> ConnectorResult<&'a str> {
    let v = value.trim();
    if v.is_empty() {
        Err(ConnectorError::invalid_config(
            Some(field),
            format!("{field} must not be empty"),
        ))
    } else {
        Ok(v)
    }
}

/// The per-request timeout when a config's `timeout_seconds` is absent.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 30;
/// The longest per-request timeout a config may ask for (the host's call limit bounds it too).
pub const MAX_TIMEOUT_SECONDS: u64 = 300;

/// The per-request timeout from an optional `timeout_seconds` property: the default when
/// absent, otherwise 1..=[`MAX_TIMEOUT_SECONDS`] seconds or `invalid-config` naming the field.
pub fn timeout_seconds(value: Option<u64>) -> ConnectorResult<Duration> {
    match value.unwrap_or(DEFAULT_TIMEOUT_SECONDS) {
        seconds @ 1..=MAX_TIMEOUT_SECONDS => Ok(Duration::from_secs(seconds)),
        _ => Err(ConnectorError::invalid_config(
            Some("timeout_seconds"),
            format!("timeout_seconds must be between 1 and {MAX_TIMEOUT_SECONDS}"),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::types::ConfigProblem;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Cfg {
        base_url: String,
        #[serde(default)]
        timeout_seconds: Option<u32>,
    }

    fn problem(e: ConnectorError) -> ConfigProblem {
        match e {
            ConnectorError::InvalidConfig(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_the_field() {
        let ok: Cfg = parse(r#"{"base_url":"http://x"}"#).unwrap();
        assert_eq!(ok.base_url, "http://x");
        let p = problem(parse::<Cfg>("{}").unwrap_err());
        assert_eq!(p.field.as_deref(), Some("base_url"));
        assert!(p.message.contains("missing field"), "{}", p.message);
        let p = problem(parse::<Cfg>(r#"{"base_url":"x","timeout_seconds":"ten"}"#).unwrap_err());
        assert_eq!(p.field.as_deref(), Some("timeout_seconds"));
        let p = problem(parse::<Cfg>(r#"{"base_url":"x","extra":1}"#).unwrap_err());
        assert_eq!(p.field.as_deref(), Some("extra"));
        let p = problem(parse::<Cfg>("not json").unwrap_err());
        assert_eq!(p.field, None);
        assert!(parse::<Cfg>(r#"{"base_url":"x"} trailing"#).is_err());
    }

    #[test]
    fn checks_urls() {
        assert_eq!(
            http_url("u", " https://shop.example/ ").unwrap().host_str(),
            Some("shop.example")
        );
        for bad in [
            "shop.example",
            "ftp://shop.example",
            "http://",
            "https://x/?a=1",
        ] {
            let p = problem(http_url("base_url", bad).unwrap_err());
            assert_eq!(p.field.as_deref(), Some("base_url"), "{bad}");
        }
        assert!(non_empty("k", "  ").is_err());
        assert_eq!(non_empty("k", " a ").unwrap(), "a");
    }

    #[test]
    fn timeouts_default_and_are_bounded() {
        assert_eq!(timeout_seconds(None).unwrap(), Duration::from_secs(30));
        assert_eq!(
            timeout_seconds(Some(300)).unwrap(),
            Duration::from_secs(300)
        );
        for bad in [0, 301] {
            let p = problem(timeout_seconds(Some(bad)).unwrap_err());
            assert_eq!(p.field.as_deref(), Some("timeout_seconds"));
        }
    }
}
