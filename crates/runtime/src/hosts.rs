//! Egress allow-lists: the manifest's `hosts` entries, resolved against a connection's
//! config into the concrete destinations one call may reach.

use std::fmt;

/// One allowed destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// Lowercase host name or IP literal, without brackets. For wildcards, the suffix
    /// after `*.` (e.g. `example.com` for `*.example.com`).
    host: String,
    /// The only port allowed, or any port when none.
    port: Option<u16>,
    wildcard: bool,
}

impl AllowedHost {
    pub fn matches(&self, host: &str, port: u16) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let host_ok = if self.wildcard {
            host.strip_suffix(&self.host)
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
        } else {
            host == self.host
        };
        host_ok && self.port.is_none_or(|p| p == port)
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.wildcard {
            write!(f, "*.")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

/// The destinations one connection may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<AllowedHost>);

impl AllowList {
    pub fn allows(&self, host: &str, port: u16) -> bool {
        self.0.iter().any(|h| h.matches(host, port))
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return write!(f, "(none)");
        }
        let names: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "{}", names.join(", "))
    }
}

/// Check one manifest `hosts` entry's syntax without a config.
pub fn validate_entry(entry: &str) -> Result<(), String> {
    if let Some(field) = entry.strip_prefix("config:") {
        if field.is_empty() {
            return Err(format!("hosts entry `{entry}` names no config property"));
        }
        return Ok(());
    }
    parse_literal(entry).map(|_| ())
}

/// Resolve the manifest's `hosts` against a config (a JSON object).
pub fn resolve(entries: &[String], config: &serde_json::Value) -> Result<AllowList, String> {
    let mut hosts = Vec::with_capacity(entries.len());
    for entry in entries {
        match entry.strip_prefix("config:") {
            Some(field) => {
                let Some(value) = config.get(field).and_then(|v| v.as_str()) else {
                    // An optional URL property that is absent allows nothing.
                    continue;
                };
                hosts.push(host_of_url(field, value)?);
            }
            None => hosts.push(parse_literal(entry)?),
        }
    }
    Ok(AllowList(hosts))
}

fn host_of_url(field: &str, value: &str) -> Result<AllowedHost, String> {
    let uri: http::Uri = value
        .parse()
        .map_err(|e| format!("config property `{field}` is not a URL ({e}): `{value}`"))?;
    let scheme = uri.scheme_str().unwrap_or("");
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "config property `{field}` must be an http:// or https:// URL, got `{value}`"
        ));
    }
    let Some(authority) = uri.authority() else {
        return Err(format!("config property `{field}` has no host: `{value}`"));
    };
    let default_port = if scheme == "https" { 443 } else { 80 };
    Ok(AllowedHost {
        host: authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase(),
        port: Some(authority.port_u16().unwrap_or(default_port)),
        wildcard: false,
    })
}

fn parse_literal(entry: &str) -> Result<AllowedHost, String> {
    let bad = |why: &str| {
        format!(
            "hosts entry `{entry}` {why}: expected `host`, `host:port`, `*.domain` or `config:<property>`"
        )
    };
    if entry.is_empty() || entry.contains('/') || entry.contains('@') {
        return Err(bad("is not a host"));
    }
    let (wildcard, rest) = match entry.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, entry),
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => {
            let port = p.parse::<u16>().map_err(|_| bad("has a bad port"))?;
            (h, Some(port))
        }
        _ => (rest, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains('*') {
        return Err(bad("has a bad host name"));
    }
    Ok(AllowedHost {
        host: host.to_ascii_lowercase(),
        port,
        wildcard,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn literal_wildcard_and_config_entries() {
        let config = serde_json::json!({"base_url": "http://Shop.example:8080/x"});
        let list = resolve(
            &[
                "api.example.com".into(),
                "*.cdn.example".into(),
                "config:base_url".into(),
                "config:missing".into(),
            ],
            &config,
        )
        .unwrap();
        assert!(list.allows("api.example.com", 443));
        assert!(list.allows("a.cdn.example", 80));
        assert!(!list.allows("cdn.example", 80));
        assert!(list.allows("shop.example", 8080));
        assert!(!list.allows("shop.example", 80));
        assert!(!list.allows("evil.example", 443));
    }

    #[test]
    fn bad_entries_are_explained() {
        assert!(validate_entry("http://x").is_err());
        assert!(validate_entry("config:").is_err());
        assert!(validate_entry("host:99999").is_err());
        assert!(validate_entry("host:8443").is_ok());
        let err = resolve(&["config:u".into()], &serde_json::json!({"u": "ftp://x"})).unwrap_err();
        assert!(err.contains("http://"), "{err}");
    }
}
