//! Checking a connector's manifest when it loads, and presenting it (CLI, admin API).
//!
//! A manifest must name a well-formed key and version, list at least one resource, carry
//! a config JSON Schema that compiles, and declare its hosts in a syntax the egress
//! policy understands. Problems are collected, not stopped at, so an author sees them all.

use serde_json::{Value, json};

use super::hosts;
use super::types::{Manifest, ResourceKind};

/// Every problem with `manifest`; empty when it is well formed.
pub fn problems(manifest: &Manifest) -> Vec<String> {
    let mut problems = Vec::new();
    if !is_valid_key(&manifest.key) {
        problems.push(format!(
            "key `{}` must be 1-63 characters of lowercase letters, digits and `-`, starting with a letter",
            manifest.key
        ));
    }
    if manifest.name.trim().is_empty() {
        problems.push("name must not be empty".to_string());
    }
    if semver::Version::parse(&manifest.version).is_err() {
        problems.push(format!(
            "version `{}` is not a semantic version such as 1.0.0",
            manifest.version
        ));
    }
    // A write-only target (e.g. a marketing platform without listings) reads nothing.
    if manifest.resources.is_empty() && manifest.writes.is_empty() {
        problems.push(
            "resources or writes must list at least one entry (a connector must read or write something)"
                .to_string(),
        );
    }
    if has_duplicates(&manifest.resources) {
        problems.push("resources lists an entry twice".to_string());
    }
    if has_duplicates(&manifest.writes) {
        problems.push("writes lists an entry twice".to_string());
    }
    for entry in &manifest.deletions {
        if !manifest.resources.contains(&entry.resource) {
            problems.push(format!(
                "deletions names `{}`, which resources does not list",
                entry.resource.as_str()
            ));
        }
    }
    let declared: Vec<ResourceKind> = manifest.deletions.iter().map(|d| d.resource).collect();
    if has_duplicates(&declared) {
        problems.push("deletions lists a resource twice".to_string());
    }
    match serde_json::from_str::<Value>(&manifest.config_schema) {
        Err(e) => problems.push(format!("config-schema is not JSON: {e}")),
        Ok(schema) if !schema.is_object() => {
            problems.push("config-schema must be a JSON Schema object".to_string())
        }
        Ok(schema) => {
            if let Err(e) = jsonschema::validator_for(&schema) {
                problems.push(format!("config-schema is not a valid JSON Schema: {e}"));
            }
        }
    }
    for entry in &manifest.hosts {
        if let Err(e) = hosts::validate_entry(entry) {
            problems.push(e);
        }
    }
    if let Some(limit) = &manifest.rate_limit
        && (limit.requests == 0 || limit.per_seconds == 0)
    {
        problems.push("rate-limit needs requests and per-seconds above zero".to_string());
    }
    problems
}

fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn has_duplicates<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, a)| items[..i].iter().any(|b| a == b))
}

/// The config properties marked secret (`"writeOnly": true`) in the schema.
pub fn secret_fields(manifest: &Manifest) -> Vec<String> {
    let Ok(schema) = serde_json::from_str::<Value>(&manifest.config_schema) else {
        return Vec::new();
    };
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .filter(|(_, p)| p.get("writeOnly").and_then(Value::as_bool) == Some(true))
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The config-schema keyword (at the schema's root) by which a connector declares the
/// resources a custom system may push into its connections through the Runtime API, e.g.
/// `"x-junction-push": ["orders"]`. Connectors that read an external system declare none:
/// their copy is the system's, and a push would put records into it that the system never had.
pub const PUSH_KEYWORD: &str = "x-junction-push";

/// Does `manifest`'s connector take `resource` pushed into its connections?
pub fn accepts_push(manifest: &Manifest, resource: ResourceKind) -> bool {
    serde_json::from_str::<Value>(&manifest.config_schema)
        .ok()
        .as_ref()
        .and_then(|schema| schema.get(PUSH_KEYWORD))
        .and_then(Value::as_array)
        .is_some_and(|listed| listed.iter().any(|r| r.as_str() == Some(resource.as_str())))
}

/// The manifest as JSON for people and API clients.
pub fn describe(manifest: &Manifest) -> Value {
    let schema = serde_json::from_str::<Value>(&manifest.config_schema).unwrap_or(Value::Null);
    json!({
        "key": manifest.key,
        "name": manifest.name,
        "version": manifest.version,
        "description": manifest.description,
        "resources": manifest.resources.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "writes": manifest.writes.iter().map(|w| w.as_str()).collect::<Vec<_>>(),
        "deletions": manifest
            .resources
            .iter()
            .map(|r| (r.as_str().to_string(), json!(manifest.deletion_detection(*r).names())))
            .collect::<serde_json::Map<_, _>>(),
        "configSchema": schema,
        "secretFields": secret_fields(manifest),
        "hosts": manifest.hosts,
        "rateLimit": manifest.rate_limit.as_ref().map(|l| json!({"requests": l.requests, "perSeconds": l.per_seconds})),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::types::{DeletionDetection, RateLimit, ResourceDeletions, ResourceKind, WriteKind};

    fn manifest() -> Manifest {
        Manifest {
            key: "shop".into(),
            name: "Shop".into(),
            version: "1.0.0".into(),
            description: String::new(),
            resources: vec![ResourceKind::Orders],
            writes: vec![WriteKind::OrderStatus],
            deletions: vec![],
            config_schema:
                r#"{"type":"object","properties":{"token":{"type":"string","writeOnly":true}}}"#
                    .into(),
            hosts: vec!["api.shop.example".into()],
            rate_limit: Some(RateLimit {
                requests: 100,
                per_seconds: 60,
            }),
        }
    }

    #[test]
    fn a_good_manifest_has_no_problems() {
        assert!(problems(&manifest()).is_empty());
        assert_eq!(secret_fields(&manifest()), vec!["token".to_string()]);
    }

    #[test]
    fn only_a_declared_resource_is_accepted_as_a_push() {
        let mut m = manifest();
        assert!(!accepts_push(&m, ResourceKind::Orders));
        m.config_schema = r#"{"type":"object","x-junction-push":["orders"]}"#.into();
        assert!(accepts_push(&m, ResourceKind::Orders));
        assert!(!accepts_push(&m, ResourceKind::Customers));
    }

    #[test]
    fn every_problem_is_reported() {
        let mut m = manifest();
        m.key = "Bad Key".into();
        m.version = "one".into();
        m.resources.clear();
        m.writes.clear();
        m.config_schema = "not json".into();
        m.hosts = vec!["http://x/y".into()];
        m.rate_limit = Some(RateLimit {
            requests: 0,
            per_seconds: 60,
        });
        m.deletions = vec![ResourceDeletions {
            resource: ResourceKind::Orders,
            detection: DeletionDetection::REPORTED,
        }];
        let found = problems(&m);
        assert_eq!(found.len(), 7, "{found:#?}");
    }

    #[test]
    fn deletions_default_to_reconciliation_and_are_described_per_resource() {
        let mut m = manifest();
        m.resources.push(ResourceKind::Customers);
        m.deletions = vec![ResourceDeletions {
            resource: ResourceKind::Orders,
            detection: DeletionDetection::REPORTED | DeletionDetection::RECONCILIATION,
        }];
        assert!(problems(&m).is_empty());
        assert_eq!(
            describe(&m)["deletions"],
            json!({"orders": ["reported", "reconciliation"], "customers": ["reconciliation"]})
        );
        m.deletions[0].detection = DeletionDetection::empty();
        assert_eq!(describe(&m)["deletions"]["orders"], json!([]));
        m.deletions.push(m.deletions[0]);
        assert_eq!(
            problems(&m),
            vec!["deletions lists a resource twice".to_string()]
        );
    }
}
