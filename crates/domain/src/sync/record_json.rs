//! Canonical entities → stored records: the camelCase JSON the Runtime API serves (with
//! `raw` as a JSON value), the modification time in milliseconds for ordering, the parent
//! product for variations and the status for order filters.

use serde_json::{Map, Value};

use junction_contract::{Entity, ResourceKind};
use junction_store::records::StoredRecord;

/// Convert an entity; fails when the connector returned an unusable timestamp.
pub fn to_stored(entity: &Entity) -> Result<StoredRecord, String> {
    let modified_ms = parse_ms(entity.modified_at()).map_err(|e| {
        format!(
            "record `{}` has modified-at `{}`, which is not an RFC 3339 timestamp: {e}",
            entity.external_id(),
            entity.modified_at()
        )
    })?;
    let (value, parent_id, status, sku) = match entity {
        Entity::Order(o) => (
            serde_json::to_value(o),
            String::new(),
            Some(o.status.clone()),
            None,
        ),
        Entity::Customer(c) => (serde_json::to_value(c), String::new(), None, None),
        Entity::Product(p) => (serde_json::to_value(p), String::new(), None, p.sku.clone()),
        Entity::Variation(v) => (
            serde_json::to_value(v),
            v.product_id.clone(),
            None,
            v.sku.clone(),
        ),
    };
    let sku = sku.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let value =
        value.map_err(|e| format!("record `{}` cannot be rendered: {e}", entity.external_id()))?;
    Ok(StoredRecord {
        parent_id,
        external_id: entity.external_id().to_string(),
        modified_ms,
        status,
        sku,
        data: camel_case(value).to_string(),
        ..StoredRecord::default()
    })
}

/// A stored record back to its canonical entity (what automations read from a local copy).
pub fn from_stored(resource: ResourceKind, data: &str) -> Result<Entity, String> {
    let value: Value =
        serde_json::from_str(data).map_err(|e| format!("stored record is not JSON: {e}"))?;
    let value = snake_case(value);
    let entity = match resource {
        ResourceKind::Orders => serde_json::from_value(value).map(Entity::Order),
        ResourceKind::Customers => serde_json::from_value(value).map(Entity::Customer),
        ResourceKind::Products => serde_json::from_value(value).map(Entity::Product),
        ResourceKind::Variations => serde_json::from_value(value).map(Entity::Variation),
    };
    entity.map_err(|e| {
        format!(
            "stored {} record does not fit the contract: {e}",
            resource.as_str()
        )
    })
}

/// The inverse of [`camel_case`]: snake_case keys, `raw` back to a string, attributes back
/// to pairs.
fn snake_case(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, value) in map {
                let value = match (key.as_str(), value) {
                    ("raw", Value::String(raw)) => Value::String(raw),
                    ("raw", other) => Value::String(other.to_string()),
                    ("attributes", Value::Array(items)) => Value::Array(
                        items
                            .into_iter()
                            .map(|item| match item {
                                Value::Object(mut pair) => Value::Array(vec![
                                    pair.remove("name").unwrap_or(Value::Null),
                                    pair.remove("value").unwrap_or(Value::Null),
                                ]),
                                other => other,
                            })
                            .collect(),
                    ),
                    (_, value) => snake_case(value),
                };
                out.insert(to_snake(&key), value);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(snake_case).collect()),
        other => other,
    }
}

fn to_snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Milliseconds since the epoch of an RFC 3339 timestamp.
pub fn parse_ms(timestamp: &str) -> Result<i64, jiff::Error> {
    Ok(timestamp.parse::<jiff::Timestamp>()?.as_millisecond())
}

/// An RFC 3339 UTC string for milliseconds since the epoch.
pub fn format_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn camel_case(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, value) in map {
                let value = match (key.as_str(), value) {
                    // The external system's own JSON, as JSON rather than a string.
                    ("raw", Value::String(raw)) => {
                        serde_json::from_str(&raw).unwrap_or(Value::String(raw))
                    }
                    // Attribute pairs read better as objects.
                    ("attributes", Value::Array(pairs)) => Value::Array(
                        pairs
                            .into_iter()
                            .map(|pair| match pair {
                                Value::Array(mut kv) if kv.len() == 2 => {
                                    let value = kv.pop().unwrap_or(Value::Null);
                                    let name = kv.pop().unwrap_or(Value::Null);
                                    serde_json::json!({ "name": name, "value": value })
                                }
                                other => other,
                            })
                            .collect(),
                    ),
                    (_, value) => camel_case(value),
                };
                out.insert(to_camel(&key), value);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case).collect()),
        other => other,
    }
}

fn to_camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use junction_contract::Variation;

    #[test]
    fn stored_records_read_back_as_the_same_entity() {
        let variation = Entity::Variation(Variation {
            external_id: "9".into(),
            product_id: "4".into(),
            sku: Some("TS-RED".into()),
            name: Some("T-shirt".into()),
            attributes: vec![("Colour".into(), "Red".into())],
            price: Some("9.99".into()),
            regular_price: None,
            sale_price: Some("8.00".into()),
            stock_quantity: Some(3),
            created_at: "2026-01-01T00:00:00Z".into(),
            modified_at: "2026-01-02T00:00:00Z".into(),
            raw: r#"{"id":9,"meta_data":[]}"#.into(),
        });
        let stored = to_stored(&variation).unwrap();
        assert_eq!(stored.sku.as_deref(), Some("TS-RED"));
        let back = from_stored(ResourceKind::Variations, &stored.data).unwrap();
        let Entity::Variation(v) = back else {
            panic!("not a variation")
        };
        assert_eq!(
            v.attributes,
            vec![("Colour".to_string(), "Red".to_string())]
        );
        assert_eq!(v.sale_price.as_deref(), Some("8.00"));
        let raw: Value = serde_json::from_str(&v.raw).unwrap();
        assert_eq!(raw["meta_data"], serde_json::json!([]));
    }

    #[test]
    fn variations_become_camel_case_json_with_their_parent() {
        let variation = Entity::Variation(Variation {
            external_id: "9".into(),
            product_id: "4".into(),
            sku: Some("TS-RED".into()),
            name: None,
            attributes: vec![("Colour".into(), "Red".into())],
            price: Some("9.99".into()),
            regular_price: None,
            sale_price: None,
            stock_quantity: Some(3),
            created_at: "2026-01-01T00:00:00Z".into(),
            modified_at: "2026-01-02T03:04:05.5Z".into(),
            raw: r#"{"id":9}"#.into(),
        });
        let stored = to_stored(&variation).unwrap();
        assert_eq!(stored.parent_id, "4");
        assert_eq!(
            stored.modified_ms,
            parse_ms("2026-01-02T03:04:05.500Z").unwrap()
        );
        let data: Value = serde_json::from_str(&stored.data).unwrap();
        assert_eq!(data["externalId"], "9");
        assert_eq!(data["stockQuantity"], 3);
        assert_eq!(data["modifiedAt"], "2026-01-02T03:04:05.5Z");
        assert_eq!(
            data["attributes"][0],
            serde_json::json!({"name": "Colour", "value": "Red"})
        );
        assert_eq!(data["raw"]["id"], 9);
    }

    #[test]
    fn a_bad_timestamp_is_refused_with_the_record_named() {
        let mut order = junction_contract::Order {
            external_id: "1".into(),
            order_number: None,
            status: "x".into(),
            currency: None,
            total: "1".into(),
            subtotal: None,
            tax_total: None,
            shipping_total: None,
            discount_total: None,
            customer_id: None,
            customer_email: None,
            billing: None,
            shipping: None,
            payment_status: None,
            payment_method: None,
            line_items: vec![],
            tracking: vec![],
            created_at: String::new(),
            modified_at: "yesterday".into(),
            raw: "{}".into(),
        };
        let err = to_stored(&Entity::Order(order.clone())).unwrap_err();
        assert!(
            err.contains("record `1`") && err.contains("yesterday"),
            "{err}"
        );
        order.modified_at = "2026-01-01T00:00:00Z".into();
        assert_eq!(
            to_stored(&Entity::Order(order)).unwrap().status.as_deref(),
            Some("x")
        );
    }
}
