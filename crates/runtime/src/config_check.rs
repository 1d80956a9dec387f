//! Validating a connection config against a connector's JSON Schema, with one problem per
//! failing field so callers can show errors beside the right input.

use serde::Serialize;
use serde_json::Value;

/// One config field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// The property path (e.g. `base_url`, `auth/token`); empty for the config as a whole.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.field, self.message)
        }
    }
}

/// Render problems as one line for logs and CLI errors.
pub fn summarize(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Validate `config` against `schema`. An invalid schema is reported as a problem too (the
/// registry refuses such connectors, so it only happens for schemas checked by hand).
pub fn validate(schema: &Value, config: &Value) -> Vec<FieldProblem> {
    let validator = match jsonschema::validator_for(schema) {
        Ok(v) => v,
        Err(e) => {
            return vec![FieldProblem {
                field: String::new(),
                message: format!("the connector's config schema is invalid: {e}"),
            }];
        }
    };
    let mut problems: Vec<FieldProblem> = validator
        .iter_errors(config)
        .map(|error| {
            let path = error.instance_path().to_string();
            let mut field = path.trim_start_matches('/').to_string();
            // `required` errors point at the parent object; name the missing property.
            if let jsonschema::error::ValidationErrorKind::Required { property } = error.kind() {
                let missing = property
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| property.to_string());
                field = if field.is_empty() {
                    missing
                } else {
                    format!("{field}/{missing}")
                };
            }
            let message = if is_secret(schema, &field) {
                redact(&error.to_string(), config, &field)
            } else {
                error.to_string()
            };
            FieldProblem { field, message }
        })
        .collect();
    problems.sort_by(|a, b| a.field.cmp(&b.field));
    problems
}

/// Whether the top-level property `field` is marked `writeOnly` (a secret).
fn is_secret(schema: &Value, field: &str) -> bool {
    let top = field.split('/').next().unwrap_or_default();
    schema
        .pointer(&format!("/properties/{top}/writeOnly"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Validation messages quote the offending value; never echo a secret's value.
fn redact(message: &str, config: &Value, field: &str) -> String {
    let pointer = if field.is_empty() {
        String::new()
    } else {
        format!("/{field}")
    };
    match config.pointer(&pointer) {
        Some(Value::String(s)) if !s.is_empty() && message.contains(s.as_str()) => {
            message.replace(s.as_str(), "<value>")
        }
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_failing_field_is_named() {
        let schema = json!({
            "type": "object",
            "properties": {
                "base_url": {"type": "string", "pattern": "^https?://"},
                "token": {"type": "string", "writeOnly": true, "minLength": 8},
                "page_size": {"type": "integer", "maximum": 100}
            },
            "required": ["base_url", "token"],
            "additionalProperties": false
        });
        let problems = validate(
            &schema,
            &json!({"base_url": "ftp://shop", "page_size": 500}),
        );
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["base_url", "page_size", "token"],
            "{problems:#?}"
        );
        assert!(
            problems[0].message.contains("ftp://shop"),
            "{}",
            problems[0].message
        );
        let problems = validate(
            &schema,
            &json!({"base_url": "https://x", "token": "hunter2"}),
        );
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].field, "token");
        assert!(
            !problems[0].message.contains("hunter2"),
            "{}",
            problems[0].message
        );
        assert!(
            validate(
                &schema,
                &json!({"base_url": "https://x", "token": "long-enough"})
            )
            .is_empty()
        );
    }
}
