//! Connectif contacts → canonical customers, from either source: a row of a contacts
//! export (column → text) or the JSON of `GET /contacts/{email}`. Both use the contact
//! field ids of Connectif's reference (`_email`, `_name`, `_surname`, `_mobilePhone`,
//! `_newsletterSubscriptionStatus`, ...); the reference does not spell out the export's
//! header row, so the connector assumes it names the columns by those same ids.
//!
//! - external id and email: `_email`, lowercased (Connectif keys contacts by it);
//! - first/last name: `_name`/`_surname`; phone: `_mobilePhone`;
//! - modified-at: `_updatedAt` (else `_createdAt`); created-at: `_createdAt` (else
//!   `_updatedAt`); the reference names no such fields for contacts, so these are assumed;
//! - everything else, the newsletter status among it, stays in `raw` (all non-empty
//!   fields as JSON), which is where Junction keeps what its customer record has no field
//!   for.

use std::collections::BTreeMap;

use junction_sdk::types::{ConnectorError, Customer};
use serde_json::{Map, Value};

/// A contact's fields as text.
pub type Fields = BTreeMap<String, String>;

fn text<'a>(fields: &'a Fields, key: &str) -> Option<&'a str> {
    fields.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn instant(fields: &Fields, key: &str) -> Result<Option<String>, ConnectorError> {
    junction_sdk::time::normalize_utc_opt(text(fields, key))
        .map_err(|e| ConnectorError::upstream(200, format!("contact field {key}: {}", e.reason)))
}

/// The contact's modification instant (UTC, normalised), for filtering and ordering.
pub fn modified_at(fields: &Fields) -> Result<String, ConnectorError> {
    match instant(fields, "_updatedAt")? {
        Some(t) => Ok(t),
        None => instant(fields, "_createdAt")?.ok_or_else(|| {
            ConnectorError::upstream(
                200,
                "contact has neither _updatedAt nor _createdAt (export without dates?)",
            )
        }),
    }
}

/// The canonical customer of a contact.
pub fn from_fields(fields: &Fields) -> Result<Customer, ConnectorError> {
    let email = text(fields, "_email")
        .ok_or_else(|| ConnectorError::upstream(200, "contact without _email"))?
        .to_lowercase();
    let modified = modified_at(fields)?;
    let created = instant(fields, "_createdAt")?.unwrap_or_else(|| modified.clone());
    let raw: Map<String, Value> = fields
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    Ok(Customer {
        external_id: email.clone(),
        email: Some(email),
        first_name: text(fields, "_name").map(str::to_owned),
        last_name: text(fields, "_surname").map(str::to_owned),
        company: None,
        phone: text(fields, "_mobilePhone").map(str::to_owned),
        billing: None,
        shipping: None,
        created_at: created,
        modified_at: modified,
        raw: Value::Object(raw).to_string(),
    })
}

/// The fields of a contact served as JSON (numbers and booleans as their text, arrays of
/// a checkbox field joined with `,`).
pub fn fields_of_json(contact: &Value) -> Result<Fields, ConnectorError> {
    let object = contact
        .as_object()
        .ok_or_else(|| ConnectorError::upstream(200, "the contact is not a JSON object"))?;
    Ok(object
        .iter()
        .filter_map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Value::Null | Value::Object(_) => return None,
            };
            Some((k.clone(), text))
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn maps_a_contact_row() {
        let c = from_fields(&fields(&[
            ("_email", " Ann@Example.com "),
            ("_name", "Ann"),
            ("_surname", "Lee"),
            ("_mobilePhone", "+34600000000"),
            ("_newsletterSubscriptionStatus", "subscribed"),
            ("_createdAt", "2026-01-02T03:04:05.678Z"),
            ("_updatedAt", "2026-02-03T04:05:06Z"),
            ("_points", ""),
        ]))
        .unwrap();
        assert_eq!(c.external_id, "ann@example.com");
        assert_eq!(c.email.as_deref(), Some("ann@example.com"));
        assert_eq!(
            (c.first_name.as_deref(), c.last_name.as_deref()),
            (Some("Ann"), Some("Lee"))
        );
        assert_eq!(c.phone.as_deref(), Some("+34600000000"));
        assert!(
            c.created_at.starts_with("2026-01-02T03:04:05"),
            "{}",
            c.created_at
        );
        assert!(
            c.modified_at.starts_with("2026-02-03T04:05:06"),
            "{}",
            c.modified_at
        );
        let raw: Value = serde_json::from_str(&c.raw).unwrap();
        assert_eq!(raw["_newsletterSubscriptionStatus"], "subscribed");
        assert!(raw.get("_points").is_none(), "empty columns are left out");
    }

    #[test]
    fn dates_fall_back_and_bad_ones_are_named() {
        let c = from_fields(&fields(&[
            ("_email", "a@x.io"),
            ("_createdAt", "2026-01-02T00:00:00Z"),
        ]))
        .unwrap();
        assert_eq!(c.created_at, c.modified_at);
        let e = from_fields(&fields(&[("_email", "a@x.io"), ("_updatedAt", "soon")])).unwrap_err();
        assert!(e.message().contains("_updatedAt"), "{}", e.message());
        assert!(from_fields(&fields(&[("_email", "a@x.io")])).is_err());
        assert!(from_fields(&fields(&[("_updatedAt", "2026-01-02T00:00:00Z")])).is_err());
    }

    #[test]
    fn json_contacts_become_fields() {
        let v = serde_json::json!({"_email": "a@x.io", "_points": 3, "tags": ["a", "b"],
            "vip": true, "gone": null});
        let f = fields_of_json(&v).unwrap();
        assert_eq!(f["_points"], "3");
        assert_eq!(f["tags"], "a,b");
        assert_eq!(f["vip"], "true");
        assert!(!f.contains_key("gone"));
        assert!(fields_of_json(&serde_json::json!([1])).is_err());
    }
}
