//! The manifest check: it declares exactly the subject's resources and writes, its config
//! schema is a JSON Schema accepting the working config, and secrets are `writeOnly`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::ctx::Ctx;
use crate::report::{CheckResult, Done, Failure, ensure, ensure_eq, failure};

/// Config property names that hold secrets whatever the connector: they must be `writeOnly`.
const SECRET_NAME_PARTS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "api_key",
    "apikey",
    "access_token",
    "auth_token",
    "private_key",
];

impl Ctx {
    /// The manifest declares exactly the subject's resources and writes, and its schema
    /// accepts the config and hides secrets.
    pub(crate) fn manifest(&self) -> CheckResult {
        let name = &self.name;
        let manifest = &self.connector.manifest;
        let declared: Vec<&str> = manifest.resources.iter().map(|r| r.as_str()).collect();
        let unique: BTreeSet<&str> = declared.iter().copied().collect();
        ensure_eq!(
            declared.len(),
            unique.len(),
            "[{name}] manifest: resources declared twice: {declared:?}"
        );
        let wanted: BTreeSet<&str> = self.subject.resources.iter().map(|r| r.as_str()).collect();
        ensure_eq!(unique, wanted, "[{name}] manifest: declared resources");

        let declared: Vec<String> = manifest.writes.iter().map(|w| format!("{w:?}")).collect();
        let unique: BTreeSet<String> = declared.iter().cloned().collect();
        ensure_eq!(
            declared.len(),
            unique.len(),
            "[{name}] manifest: writes declared twice: {declared:?}"
        );
        let wanted: BTreeSet<String> = self
            .subject
            .writes
            .iter()
            .map(|w| format!("{w:?}"))
            .collect();
        ensure_eq!(unique, wanted, "[{name}] manifest: declared writes");

        let schema: Value = serde_json::from_str(&manifest.config_schema)
            .map_err(|e| failure!("[{name}] manifest: config-schema is not JSON: {e}"))?;
        ensure!(
            schema["type"] == "object",
            "[{name}] manifest: config-schema must describe an object, it says type {}",
            schema["type"]
        );
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| failure!("[{name}] manifest: config-schema is not a JSON Schema: {e}"))?;
        let config = (self.subject.config)(&self.proxy.url());
        let errors: Vec<String> = validator
            .iter_errors(&config)
            .map(|e| e.to_string())
            .collect();
        ensure!(
            errors.is_empty(),
            "[{name}] manifest: config-schema refuses the working config {config}: {errors:?}"
        );
        self.secrets_are_write_only(&schema, &config)?;
        Ok(Done::Passed)
    }

    /// Secret properties must be `writeOnly`, so the host seals them and never shows them
    /// again: every property named like a secret, and at least one of the properties the
    /// bad-credentials config changes (a user name may be public, its password is not).
    fn secrets_are_write_only(&self, schema: &Value, config: &Value) -> Result<(), Failure> {
        let name = &self.name;
        let properties = schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let write_only = |key: &str| properties[key]["writeOnly"] == Value::Bool(true);
        for key in properties.keys() {
            let normalized = key.to_ascii_lowercase().replace('-', "_");
            if SECRET_NAME_PARTS
                .iter()
                .any(|part| normalized.contains(part))
            {
                ensure!(
                    write_only(key),
                    "[{name}] manifest: config property `{key}` holds a secret but is not writeOnly"
                );
            }
        }
        let Some(bad) = &self.subject.bad_credentials else {
            return Ok(());
        };
        let bad = bad(&self.proxy.url());
        let changed: Vec<&String> = match (config.as_object(), bad.as_object()) {
            (Some(good), Some(bad)) => good
                .iter()
                .filter(|(key, value)| bad.get(*key) != Some(value))
                .map(|(key, _)| key)
                .filter(|key| properties.contains_key(*key))
                .collect(),
            _ => Vec::new(),
        };
        ensure!(
            changed.is_empty() || changed.iter().any(|key| write_only(key)),
            "[{name}] manifest: the credentials ({changed:?}) include no writeOnly property"
        );
        Ok(())
    }
}
