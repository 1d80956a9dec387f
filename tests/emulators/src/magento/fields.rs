//! Magento's `fields` query parameter: an answer trimmed to the named fields, e.g.
//! `fields=items[id,updated_at],total_count` or `fields=sku,extension_attributes[stock_item[qty]]`.
//! A selection applies to every element of a list; names that are absent are left out.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::MagentoError;

/// Field name → the selection inside it (`None`: the whole value).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection(BTreeMap<String, Option<Selection>>);

fn malformed(spec: &str) -> MagentoError {
    MagentoError::invalid_field("fields", spec)
}

/// Parses one level of a `fields` value from `chars`, up to a `]` or the end.
fn level(
    spec: &str,
    chars: &mut std::str::Chars<'_>,
    nested: bool,
) -> Result<Selection, MagentoError> {
    let mut selection = BTreeMap::new();
    let mut name = String::new();
    loop {
        match chars.next() {
            Some('[') => {
                let inner = level(spec, chars, true)?;
                if name.trim().is_empty() {
                    return Err(malformed(spec));
                }
                selection.insert(std::mem::take(&mut name).trim().to_owned(), Some(inner));
                match chars.next() {
                    Some(',') => {}
                    Some(']') if nested => return Ok(Selection(selection)),
                    None if !nested => return Ok(Selection(selection)),
                    _ => return Err(malformed(spec)),
                }
            }
            Some(',') => {
                if !name.trim().is_empty() {
                    selection.insert(std::mem::take(&mut name).trim().to_owned(), None);
                }
            }
            Some(']') if nested => {
                if !name.trim().is_empty() {
                    selection.insert(name.trim().to_owned(), None);
                }
                return Ok(Selection(selection));
            }
            None if !nested => {
                if !name.trim().is_empty() {
                    selection.insert(name.trim().to_owned(), None);
                }
                return Ok(Selection(selection));
            }
            Some(']') | None => return Err(malformed(spec)),
            Some(c) => name.push(c),
        }
    }
}

/// Parses a `fields` value.
pub fn parse(spec: &str) -> Result<Selection, MagentoError> {
    let selection = level(spec, &mut spec.chars(), false)?;
    if selection.0.is_empty() {
        return Err(malformed(spec));
    }
    Ok(selection)
}

/// `value` trimmed to `selection`.
pub fn apply(value: &Value, selection: &Selection) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|i| apply(i, selection)).collect()),
        Value::Object(map) => {
            let mut kept = Map::new();
            for (name, inner) in &selection.0 {
                if let Some(v) = map.get(name) {
                    let v = match inner {
                        Some(inner) => apply(v, inner),
                        None => v.clone(),
                    };
                    kept.insert(name.clone(), v);
                }
            }
            Value::Object(kept)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn trims_answers_to_the_named_fields() {
        let answer = json!({"items": [{"id": 1, "sku": "A", "updated_at": "t", "extension_attributes": {"stock_item": {"qty": 3, "item_id": 1}}}], "total_count": 1, "search_criteria": {}});
        let s = parse("items[id,updated_at],total_count").unwrap();
        assert_eq!(
            apply(&answer, &s),
            json!({"items": [{"id": 1, "updated_at": "t"}], "total_count": 1})
        );
        let s = parse("items[sku,extension_attributes[stock_item[qty]]]").unwrap();
        assert_eq!(
            apply(&answer, &s),
            json!({"items": [{"sku": "A", "extension_attributes": {"stock_item": {"qty": 3}}}]})
        );
        for bad in ["", "items[id", "items]", "[id]"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
