//! Which config properties of a connection an automation may override, and the one rule
//! that decides it.
//!
//! An automation may swap a few settings of the connection it writes to (Bugalou's
//! `platform`, say) without a second connection. Such an override must never change where a
//! connection's requests — and its secrets — go, so a property is overridable only when
//! **all** of these hold:
//! - the connector opts in: the property's schema carries `"x-junction-overridable": true`
//!   (nothing is overridable by default);
//! - it is not secret (`writeOnly`);
//! - it does not decide a destination: no manifest `config:<property>` hosts entry names it
//!   and its schema has no URL or host-name `format`;
//! - the value carries no URL anywhere in it.
//!
//! Independently of this rule, a call's egress allow-list is always resolved from the
//! connection's stored config, never from a merged one (`LoadedConnector::prepare_with`).

use serde_json::{Map, Value};

use super::config_check::FieldProblem;
use super::types::Manifest;

/// The JSON Schema keyword a connector sets on a property automations may override.
pub const OVERRIDABLE_KEYWORD: &str = "x-junction-overridable";

/// String formats that name a destination.
const DESTINATION_FORMATS: &[&str] = &[
    "uri",
    "url",
    "uri-reference",
    "iri",
    "iri-reference",
    "uri-template",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "email",
    "idn-email",
];

/// The properties of `manifest`'s config an automation may override, in schema order.
pub fn overridable_fields(manifest: &Manifest) -> Vec<String> {
    let schema = schema_properties(manifest);
    schema
        .iter()
        .filter(|(name, property)| property_refusal(manifest, name, property).is_none())
        .map(|(name, _)| name.clone())
        .collect()
}

/// Every problem with `overrides` for a connection of `manifest`; one per property, with
/// the property as the field.
pub fn problems(manifest: &Manifest, overrides: &Map<String, Value>) -> Vec<FieldProblem> {
    let properties = schema_properties(manifest);
    let mut found = Vec::new();
    for (name, value) in overrides {
        let refusal = match properties.get(name) {
            None => Some(format!(
                "`{name}` is not a config property of connector `{}`",
                manifest.key
            )),
            Some(property) => property_refusal(manifest, name, property).or_else(|| {
                carries_url(value).then(|| {
                    "an override cannot carry a URL: where a connection's requests go is set on the connection itself".to_string()
                })
            }),
        };
        if let Some(reason) = refusal {
            found.push(FieldProblem {
                field: name.clone(),
                message: with_accepted(reason, manifest),
            });
        }
    }
    found
}

/// The config properties that decide where a connection's requests go (a manifest
/// `config:<property>` hosts entry, or a destination `format`). The same rule guards
/// editing a connection: a stored secret is only ever sent where it was sent before, so an
/// edit that changes one of these must carry the secrets anew.
pub fn destination_fields(manifest: &Manifest) -> Vec<String> {
    schema_properties(manifest)
        .iter()
        .filter(|(name, property)| decides_destination(manifest, name, property))
        .map(|(name, _)| name.clone())
        .collect()
}

fn decides_destination(manifest: &Manifest, name: &str, property: &Value) -> bool {
    let routes = manifest
        .hosts
        .iter()
        .any(|entry| entry.strip_prefix("config:") == Some(name));
    let destination_format = property
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| DESTINATION_FORMATS.contains(&f));
    routes || destination_format
}

/// Why one property is not overridable, whatever its value.
fn property_refusal(manifest: &Manifest, name: &str, property: &Value) -> Option<String> {
    if property.get("writeOnly").and_then(Value::as_bool) == Some(true) {
        return Some("secret properties cannot be overridden per automation".into());
    }
    if decides_destination(manifest, name, property) {
        return Some(format!(
            "`{name}` decides where the connection's requests go; it can only be changed on the connection itself"
        ));
    }
    if property.get(OVERRIDABLE_KEYWORD).and_then(Value::as_bool) != Some(true) {
        return Some(format!(
            "connector `{}` does not let automations override `{name}`",
            manifest.key
        ));
    }
    None
}

fn with_accepted(reason: String, manifest: &Manifest) -> String {
    let accepted = overridable_fields(manifest);
    if accepted.is_empty() {
        format!("{reason} (this connector allows no overrides)")
    } else {
        format!("{reason} (overridable: {})", accepted.join(", "))
    }
}

/// Does any string in `value` look like a URL (`scheme://...`)?
fn carries_url(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains("://") || s.starts_with("//"),
        Value::Array(items) => items.iter().any(carries_url),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| carries_url(&Value::String(k.clone())) || carries_url(v)),
        _ => false,
    }
}

fn schema_properties(manifest: &Manifest) -> Map<String, Value> {
    serde_json::from_str::<Value>(&manifest.config_schema)
        .ok()
        .and_then(|schema| schema.get("properties").and_then(Value::as_object).cloned())
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::types::{ResourceKind, WriteKind};
    use serde_json::json;

    fn manifest() -> Manifest {
        Manifest {
            key: "dash".into(),
            name: "Dash".into(),
            version: "1.0.0".into(),
            description: String::new(),
            resources: vec![ResourceKind::Orders],
            writes: vec![WriteKind::UpsertOrder],
            config_schema: json!({
                "type": "object",
                "properties": {
                    "api_key": {"type": "string", "writeOnly": true, OVERRIDABLE_KEYWORD: true},
                    "base_url": {"type": "string", OVERRIDABLE_KEYWORD: true},
                    "mirror": {"type": "string", "format": "uri", OVERRIDABLE_KEYWORD: true},
                    "platform": {"type": "string", OVERRIDABLE_KEYWORD: true},
                    "status_map": {"type": "object", OVERRIDABLE_KEYWORD: true},
                    "timeout_seconds": {"type": "integer"}
                }
            })
            .to_string(),
            hosts: vec!["config:base_url".into()],
            rate_limit: None,
            deletions: vec![],
        }
    }

    #[test]
    fn destinations_are_the_routed_and_address_formatted_properties() {
        assert_eq!(destination_fields(&manifest()), vec!["base_url", "mirror"]);
    }

    fn refused(overrides: Value) -> Vec<String> {
        problems(&manifest(), overrides.as_object().unwrap())
            .into_iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect()
    }

    #[test]
    fn only_opted_in_properties_that_route_nowhere_are_overridable() {
        assert_eq!(
            overridable_fields(&manifest()),
            vec!["platform", "status_map"]
        );
        assert!(refused(json!({"platform": "shop", "status_map": {"a": "b"}})).is_empty());
    }

    #[test]
    fn destinations_secrets_and_unlisted_properties_are_refused() {
        let found = refused(json!({
            "api_key": "x", "base_url": "http://attacker", "mirror": "x",
            "timeout_seconds": 5, "nope": 1
        }));
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(found[0].starts_with("api_key: secret properties"));
        assert!(found[1].starts_with("base_url: `base_url` decides where"));
        assert!(found[2].starts_with("mirror: `mirror` decides where"));
        assert!(found[3].starts_with("nope: `nope` is not a config property"));
        assert!(found[4].contains("does not let automations override `timeout_seconds`"));
        assert!(found[4].ends_with("(overridable: platform, status_map)"));
    }

    #[test]
    fn a_url_inside_an_overridable_value_is_refused() {
        for value in [
            json!({"platform": "https://attacker.example"}),
            json!({"status_map": {"a": "http://attacker"}}),
            json!({"status_map": {"//attacker": "x"}}),
        ] {
            let found = refused(value.clone());
            assert_eq!(found.len(), 1, "{value}: {found:#?}");
            assert!(found[0].contains("cannot carry a URL"), "{found:?}");
        }
    }
}
