//! Reading values from JSON bodies the same way everywhere, with errors that name the field
//! and say what is accepted.

use serde_json::{Map, Value};

use crate::DomainError;

/// A money amount: a non-negative decimal number or string (`19.99` or `"19.99"`), kept as
/// the text given (no float rounding); `None` when absent and not `required`.
pub fn money(
    body: &Map<String, Value>,
    field: &str,
    required: bool,
) -> Result<Option<String>, DomainError> {
    let bad = || {
        DomainError::invalid(
            field,
            format!(
                "{field} must be a non-negative decimal number or string, e.g. 19.99 or \"19.99\""
            ),
        )
    };
    let text = match body.get(field) {
        None | Some(Value::Null) if !required => return Ok(None),
        None | Some(Value::Null) => {
            return Err(DomainError::invalid(field, format!("{field} is required")));
        }
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(bad()),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (text.contains('.') && !digits(fraction)) {
        return Err(bad());
    }
    Ok(Some(text))
}
