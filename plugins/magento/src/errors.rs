//! Magento's error bodies as connector errors.
//!
//! Magento answers errors as `{"message": "...", "parameters": ...}` where the message holds
//! placeholders: `%1`, `%2`... for a list of parameters, `%name` for an object (and some
//! messages use names with a list, filled in order of appearance). [`message`] substitutes
//! them; [`from_response`] keeps the SDK's mapping of the status (401 → unauthorized,
//! 404 → not-found, 429 → rate-limited, others → upstream) with the substituted message.

use junction_sdk::http::Response;
use junction_sdk::types::{ConnectorError, RateLimitedInfo, UpstreamError};
use serde_json::Value;

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The placeholder name at the start of `rest` (after a `%`): digits, or a word.
fn placeholder(rest: &str) -> &str {
    let end = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(rest.len(), |(i, _)| i);
    let name = &rest[..end];
    // `%1` is one digit-run; a name never starts with a digit.
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        let digits = name.bytes().take_while(u8::is_ascii_digit).count();
        &name[..digits]
    } else {
        name
    }
}

/// Substitutes a Magento error message's placeholders with its parameters.
pub fn substitute(template: &str, parameters: &Value) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    let mut positional = 0usize;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let name = placeholder(after);
        let value = match parameters {
            _ if name.is_empty() => None,
            Value::Object(map) => map.get(name).map(text),
            Value::Array(list) => match name.parse::<usize>() {
                Ok(n) => n.checked_sub(1).and_then(|i| list.get(i)).map(text),
                Err(_) => {
                    positional += 1;
                    list.get(positional - 1).map(text)
                }
            },
            _ => None,
        };
        match value {
            Some(v) => out.push_str(&v),
            None => {
                out.push('%');
                out.push_str(name);
            }
        }
        rest = &after[name.len()..];
    }
    out.push_str(rest);
    out
}

/// The substituted message of a Magento error body, if the body is one.
pub fn message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let template = value.get("message")?.as_str()?;
    Some(substitute(
        template,
        value.get("parameters").unwrap_or(&Value::Null),
    ))
}

/// `error` with its message replaced by `message`, keeping its case.
pub fn with_message(error: ConnectorError, message: String) -> ConnectorError {
    match error {
        ConnectorError::Unauthorized(_) => ConnectorError::Unauthorized(message),
        ConnectorError::NotFound(_) => ConnectorError::NotFound(message),
        ConnectorError::RateLimited(info) => ConnectorError::RateLimited(RateLimitedInfo {
            retry_after_ms: info.retry_after_ms,
            message,
        }),
        ConnectorError::Upstream(e) => ConnectorError::Upstream(UpstreamError {
            status: e.status,
            message,
        }),
        other => other,
    }
}

/// The connector error of a non-2xx answer, worded with Magento's message.
pub fn from_response(response: &Response) -> ConnectorError {
    let error = response.to_error();
    match message(response.body()) {
        Some(m) => with_message(error, format!("Magento {}: {m}", response.status())),
        None => error,
    }
}

/// The errors of a bulk price answer (`[{message, parameters}]`), joined; `None` when the
/// list is empty (every row applied).
pub fn price_update_errors(rows: &[Value]) -> Option<String> {
    let messages: Vec<String> = rows
        .iter()
        .map(|row| {
            let template = row.get("message").and_then(Value::as_str).unwrap_or("");
            substitute(template, row.get("parameters").unwrap_or(&Value::Null))
        })
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use junction_sdk::http::Headers;
    use serde_json::json;

    #[test]
    fn substitutes_named_positional_and_ordered_placeholders() {
        assert_eq!(
            substitute(
                "The consumer isn't authorized to access %resources.",
                &json!({"resources": "Magento_Sales::actions_view"})
            ),
            "The consumer isn't authorized to access Magento_Sales::actions_view."
        );
        assert_eq!(
            substitute(
                "The \"%1\" order status is not valid; %2 and %1.",
                &json!(["lost", 7])
            ),
            "The \"lost\" order status is not valid; 7 and lost."
        );
        assert_eq!(
            substitute(
                "Row ID: SKU = %SKU, Store ID: %storeId.",
                &json!(["MB01", "0"])
            ),
            "Row ID: SKU = MB01, Store ID: 0."
        );
        assert_eq!(
            substitute("100% sure, %missing", &json!({})),
            "100% sure, %missing"
        );
    }

    #[test]
    fn keeps_the_status_mapping_with_magentos_words() {
        let body = br#"{"message":"\"%fieldName\" is required. Enter and try again.","parameters":{"fieldName":"qty"}}"#;
        let response = Response::from_parts(400, Headers::new(), body.to_vec());
        match from_response(&response) {
            ConnectorError::Upstream(e) => {
                assert_eq!(e.status, 400);
                assert_eq!(
                    e.message,
                    "Magento 400: \"qty\" is required. Enter and try again."
                );
            }
            other => panic!("{other:?}"),
        }
        let body = br#"{"message":"The consumer isn't authorized to access %resources.","parameters":{"resources":"Magento_Catalog::products"}}"#;
        let response = Response::from_parts(401, Headers::new(), body.to_vec());
        assert!(
            matches!(from_response(&response), ConnectorError::Unauthorized(m) if m.contains("Magento_Catalog::products"))
        );
        let response = Response::from_parts(404, Headers::new(), b"<html>".to_vec());
        assert!(matches!(
            from_response(&response),
            ConnectorError::NotFound(_)
        ));
        assert_eq!(price_update_errors(&[]), None);
        assert_eq!(
            price_update_errors(&[json!({"message": "Invalid attribute %fieldName = %fieldValue.", "parameters": ["Price", "-1"]})]).as_deref(),
            Some("Invalid attribute Price = -1.")
        );
    }
}
