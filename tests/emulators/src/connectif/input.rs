//! Validation of request bodies against Connectif's documented resources (`ContactPatch`,
//! `ProductCreation`, `PurchaseCreation`): known fields only, each with its type and, where
//! documented, its allowed values. A violation is a 400 problem naming the field.
//!
//! Assumptions where the documentation is silent: creating a catalogue product needs
//! `name`, `productDetailUrl` and `unitPrice` (a product without them could not be shown in
//! recommendations); a purchase needs `purchaseId`, `contactEmail`, `totalPrice` and at
//! least one product with `productId`, `name`, `quantity` and `unitPrice`.

use serde_json::{Map, Value};

use super::clock::is_date_time;
use super::error::Problem;

fn bad(detail: impl Into<String>) -> Problem {
    Problem::bad_request(detail)
}

/// The body as a JSON object.
pub(crate) fn object(body: &[u8]) -> Result<Map<String, Value>, Problem> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad("The request body must be a JSON object.")),
        Err(e) => Err(bad(format!("The request body is not valid JSON: {e}"))),
    }
}

/// A plausible email address: one `@`, something before it, a dot after it, no spaces.
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
}

fn is_url(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://")) && s.len() > "https://".len()
}

/// The kinds of value a field takes.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Url,
    DateTime,
    Number,
    NonNegativeNumber,
    Integer,
    Bool,
    TextList,
    OneOf(&'static [&'static str]),
    Phone,
}

fn check(field: &str, kind: Kind, v: &Value) -> Result<(), Problem> {
    let ok = match kind {
        Kind::Text => v.is_string(),
        Kind::Url => v.as_str().is_some_and(is_url),
        Kind::DateTime => v.as_str().is_some_and(is_date_time),
        Kind::Number => v.is_number(),
        Kind::NonNegativeNumber => v.as_f64().is_some_and(|n| n >= 0.0),
        Kind::Integer => v.is_i64() || v.is_u64(),
        Kind::Bool => v.is_boolean(),
        Kind::TextList => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        Kind::OneOf(values) => v.as_str().is_some_and(|s| values.contains(&s)),
        Kind::Phone => v.as_str().is_some_and(|s| {
            let digits = s.strip_prefix('+').unwrap_or("");
            (7..=15).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.starts_with('0')
        }),
    };
    if ok {
        return Ok(());
    }
    let want = match kind {
        Kind::Text => "a string".to_owned(),
        Kind::Url => "an http(s) URL".to_owned(),
        Kind::DateTime => "a date-time in ISO8601 format".to_owned(),
        Kind::Number => "a number".to_owned(),
        Kind::NonNegativeNumber => "a number greater than or equal to 0".to_owned(),
        Kind::Integer => "an integer".to_owned(),
        Kind::Bool => "a boolean".to_owned(),
        Kind::TextList => "an array of strings".to_owned(),
        Kind::OneOf(values) => format!("one of {}", values.join(", ")),
        Kind::Phone => "a phone number in international format, e.g. +34600000000".to_owned(),
    };
    Err(bad(format!("\"{field}\" must be {want}.")))
}

const CONTACT_FIELDS: &[(&str, Kind)] = &[
    ("_birthdate", Kind::DateTime),
    (
        "_emailStatus",
        Kind::OneOf(&["active", "bounced", "paused", "banned"]),
    ),
    ("_mobilePhone", Kind::Phone),
    (
        "_mobilePhoneStatus",
        Kind::OneOf(&["active", "bounced", "paused"]),
    ),
    ("_name", Kind::Text),
    (
        "_newsletterSubscriptionStatus",
        Kind::OneOf(&["subscribed", "unsubscribed", "none"]),
    ),
    ("_points", Kind::Integer),
    (
        "_smsSubscriptionStatus",
        Kind::OneOf(&["subscribed", "unsubscribed", "none"]),
    ),
    ("_surname", Kind::Text),
];

/// A `ContactPatch`: the documented `_` fields, plus custom fields that exist in the
/// account (`custom_fields`); `null` is not accepted for any of them.
pub(crate) fn contact_patch(
    body: &[u8],
    custom_fields: &[String],
) -> Result<Map<String, Value>, Problem> {
    let map = object(body)?;
    for (k, v) in &map {
        match CONTACT_FIELDS.iter().find(|(name, _)| name == k) {
            Some((_, kind)) => check(k, *kind, v)?,
            None if k.starts_with('_') => {
                return Err(bad(format!("\"{k}\" is not a writable contact field.")));
            }
            None if custom_fields.iter().any(|f| f == k) => {
                if v.is_null() || v.is_object() {
                    return Err(bad(format!("\"{k}\" has a value of the wrong type.")));
                }
            }
            None => {
                return Err(bad(format!("Custom field \"{k}\" does not exist.")));
            }
        }
    }
    Ok(map)
}

const PRODUCT_FIELDS: &[(&str, Kind)] = &[
    ("availability", Kind::OneOf(&["instock", "outofstock"])),
    ("brand", Kind::Text),
    ("categories", Kind::TextList),
    ("customField1", Kind::Text),
    ("customField2", Kind::Text),
    ("customField3", Kind::Text),
    ("description", Kind::Text),
    ("discountedAmount", Kind::NonNegativeNumber),
    ("discountedPercentage", Kind::NonNegativeNumber),
    ("imageUrl", Kind::Url),
    ("inStockUnits", Kind::Integer),
    ("isBlacklisted", Kind::Bool),
    ("name", Kind::Text),
    ("priority", Kind::Integer),
    ("productDetailUrl", Kind::Url),
    ("publishedAt", Kind::DateTime),
    ("rating", Kind::Number),
    ("ratingCount", Kind::Integer),
    ("relatedExternalProductIds", Kind::TextList),
    ("reviewCount", Kind::Integer),
    ("tags", Kind::TextList),
    ("thumbnailUrl", Kind::Url),
    ("unitPrice", Kind::NonNegativeNumber),
    ("unitPriceOriginal", Kind::NonNegativeNumber),
    ("unitPriceWithoutVAT", Kind::NonNegativeNumber),
];

/// A `ProductCreation` body; `creating` adds the fields a new product needs.
pub(crate) fn product_patch(body: &[u8], creating: bool) -> Result<Map<String, Value>, Problem> {
    let map = object(body)?;
    for (k, v) in &map {
        let Some((_, kind)) = PRODUCT_FIELDS.iter().find(|(name, _)| name == k) else {
            return Err(bad(format!("\"{k}\" is not a writable product field.")));
        };
        check(k, *kind, v)?;
    }
    if creating {
        for required in ["name", "productDetailUrl", "unitPrice"] {
            if !map.contains_key(required) {
                return Err(bad(format!(
                    "\"{required}\" is required to create a product."
                )));
            }
        }
    }
    Ok(map)
}

const PURCHASE_FIELDS: &[(&str, Kind)] = &[
    ("cartId", Kind::Text),
    ("contactEmail", Kind::Text),
    ("paymentMethod", Kind::Text),
    ("purchaseDate", Kind::DateTime),
    ("purchaseId", Kind::Text),
    ("totalPrice", Kind::NonNegativeNumber),
    ("totalQuantity", Kind::Integer),
];

const PURCHASE_PRODUCT_FIELDS: &[(&str, Kind)] = &[
    ("brand", Kind::Text),
    ("categories", Kind::TextList),
    ("customField1", Kind::Text),
    ("customField2", Kind::Text),
    ("customField3", Kind::Text),
    ("description", Kind::Text),
    ("discountedAmount", Kind::NonNegativeNumber),
    ("discountedPercentage", Kind::NonNegativeNumber),
    ("imageUrl", Kind::Url),
    ("name", Kind::Text),
    ("price", Kind::NonNegativeNumber),
    ("productDetailUrl", Kind::Url),
    ("productId", Kind::Text),
    ("publishedAt", Kind::DateTime),
    ("quantity", Kind::Integer),
    ("rating", Kind::Number),
    ("ratingCount", Kind::Integer),
    ("reviewCount", Kind::Integer),
    ("tags", Kind::TextList),
    ("thumbnailUrl", Kind::Url),
    ("unitPrice", Kind::NonNegativeNumber),
    ("unitPriceOriginal", Kind::NonNegativeNumber),
    ("unitPriceWithoutVAT", Kind::NonNegativeNumber),
];

/// A `PurchaseCreation` body.
pub(crate) fn purchase(body: &[u8]) -> Result<Map<String, Value>, Problem> {
    let map = object(body)?;
    for (k, v) in &map {
        if k == "products" {
            continue;
        }
        let Some((_, kind)) = PURCHASE_FIELDS.iter().find(|(name, _)| name == k) else {
            return Err(bad(format!("\"{k}\" is not a writable purchase field.")));
        };
        check(k, *kind, v)?;
    }
    for required in ["purchaseId", "contactEmail", "totalPrice", "products"] {
        if !map.contains_key(required) {
            return Err(bad(format!("\"{required}\" is required.")));
        }
    }
    if map
        .get("purchaseId")
        .and_then(Value::as_str)
        .is_some_and(|s| s.trim().is_empty())
    {
        return Err(bad("\"purchaseId\" must not be empty."));
    }
    if !map
        .get("contactEmail")
        .and_then(Value::as_str)
        .is_some_and(is_email)
    {
        return Err(bad("\"contactEmail\" must be an email address."));
    }
    let Some(products) = map.get("products").and_then(Value::as_array) else {
        return Err(bad("\"products\" must be an array."));
    };
    if products.is_empty() {
        return Err(bad("\"products\" must contain at least one product."));
    }
    for (i, p) in products.iter().enumerate() {
        let Some(p) = p.as_object() else {
            return Err(bad(format!("\"products[{i}]\" must be an object.")));
        };
        for (k, v) in p {
            let field = format!("products[{i}].{k}");
            let Some((_, kind)) = PURCHASE_PRODUCT_FIELDS.iter().find(|(name, _)| name == k) else {
                return Err(bad(format!("\"{field}\" is not a writable field.")));
            };
            check(&field, *kind, v)?;
        }
        for required in ["productId", "name", "quantity", "unitPrice"] {
            if !p.contains_key(required) {
                return Err(bad(format!("\"products[{i}].{required}\" is required.")));
            }
        }
        if p.get("quantity").and_then(Value::as_i64).unwrap_or(0) < 1 {
            return Err(bad(format!(
                "\"products[{i}].quantity\" must be at least 1."
            )));
        }
    }
    Ok(map)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn contacts() {
        assert!(contact_patch(br#"{"_name":"Ana","_mobilePhone":"+34600111222"}"#, &[]).is_ok());
        let e = contact_patch(br#"{"_mobilePhone":"0600"}"#, &[]).unwrap_err();
        assert!(e.detail.contains("_mobilePhone"), "{}", e.detail);
        assert!(contact_patch(br#"{"_emailStatus":"gone"}"#, &[]).is_err());
        assert!(contact_patch(br#"{"_unknown":1}"#, &[]).is_err());
        assert!(contact_patch(br#"{"vip":true}"#, &[]).is_err());
        assert!(contact_patch(br#"{"vip":true}"#, &["vip".to_owned()]).is_ok());
        assert!(contact_patch(b"[]", &[]).is_err());
        assert!(is_email("a.b@example.com"));
        assert!(!is_email("nobody"));
        assert!(!is_email("a b@example.com"));
    }

    #[test]
    fn products_and_purchases() {
        assert!(product_patch(br#"{"name":"X"}"#, false).is_ok());
        let e = product_patch(br#"{"name":"X"}"#, true).unwrap_err();
        assert!(e.detail.contains("productDetailUrl"), "{}", e.detail);
        assert!(product_patch(br#"{"unitPrice":-1}"#, false).is_err());
        let ok = br#"{"purchaseId":"p1","contactEmail":"a@b.co","totalPrice":10,
            "products":[{"productId":"1","name":"A","quantity":2,"unitPrice":5}]}"#;
        assert!(purchase(ok).is_ok());
        let e = purchase(
            br#"{"purchaseId":"p1","contactEmail":"a@b.co","totalPrice":10,
            "products":[{"productId":"1","name":"A","quantity":0,"unitPrice":5}]}"#,
        )
        .unwrap_err();
        assert!(e.detail.contains("products[0].quantity"), "{}", e.detail);
        assert!(purchase(br#"{"purchaseId":"p1","contactEmail":"a@b.co","products":[]}"#).is_err());
    }
}
