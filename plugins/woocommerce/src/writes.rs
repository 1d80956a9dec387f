//! The request bodies of the writes, built by pure functions.
//!
//! | write | request |
//! |---|---|
//! | `order-status` | `PUT /orders/{id}` `{"status": ..}` |
//! | `order-tracking` | `PUT /orders/{id}` `{"meta_data": [{"key": "_junction_tracking", "value": [..]}]}` (the order's list with the new entry appended, or an entry with the same number and provider replaced), then `POST /orders/{id}/notes` with a readable private note |
//! | `product-stock` | `PUT /products/{id}` `{"manage_stock": true, "stock_quantity": n}` |
//! | `product-price` | `PUT /products/{id}` `{"regular_price": p}`, plus `"sale_price": s` when one is given (`""` ends the sale) |
//! | `variation-stock` | `PUT /products/{p}/variations/{v}` as for products |
//! | `variation-price` | `PUT /products/{p}/variations/{v}` as for products |
//!
//! Values are checked before anything is sent: a price that is not a decimal is refused as
//! `invalid-request("invalid write (not sent to WooCommerce): ...")`.

use junction_sdk::decimal;
use junction_sdk::time;
use junction_sdk::types::{ConnectorError, Tracking};
use serde_json::{Map, Value, json};

use crate::mapping::TRACKING_META_KEY;
use crate::model::WcMeta;

/// A write refused before it was sent.
pub fn invalid_write(message: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::invalid_request(format!(
        "invalid write (not sent to WooCommerce): {message}"
    ))
}

/// `{"status": ..}`.
pub fn status_body(status: &str) -> Result<Value, ConnectorError> {
    let s = status.trim();
    if s.is_empty() {
        return Err(invalid_write("empty order status"));
    }
    // WooCommerce takes the status without its internal `wc-` prefix.
    let s = s.strip_prefix("wc-").unwrap_or(s);
    Ok(json!({ "status": s }))
}

/// `{"manage_stock": true, "stock_quantity": n}`.
pub fn stock_body(quantity: i64) -> Value {
    json!({ "manage_stock": true, "stock_quantity": quantity })
}

/// `{"regular_price": p}` with a validated decimal, and `"sale_price"` only when one is given
/// (an empty one ends the sale). Without one the shop keeps its sale price, as WooCommerce
/// does when only `regular_price` is written: the selling price is then the sale price
/// while it is below the new regular price, else the regular price — a price write never
/// silently ends a running sale.
pub fn price_body(price: &str, sale_price: Option<&str>) -> Result<Value, ConnectorError> {
    let regular = decimal::normalize(price).map_err(|e| invalid_write(format!("price: {e}")))?;
    if regular.starts_with('-') {
        return Err(invalid_write(format!("price {price:?} is negative")));
    }
    let Some(sale_price) = sale_price else {
        return Ok(json!({ "regular_price": regular }));
    };
    let sale = decimal::normalize_opt(sale_price)
        .map_err(|e| invalid_write(format!("sale price: {e}")))?
        .unwrap_or_default();
    if sale.starts_with('-') {
        return Err(invalid_write("sale price is negative"));
    }
    Ok(json!({ "regular_price": regular, "sale_price": sale }))
}

/// The tracking entry as stored in `_junction_tracking`.
pub fn tracking_entry(t: &Tracking) -> Result<Value, ConnectorError> {
    let number = t.number.trim();
    if number.is_empty() {
        return Err(invalid_write("empty tracking number"));
    }
    let mut entry = Map::new();
    entry.insert("number".into(), json!(number));
    if let Some(p) = t.provider.as_deref().filter(|p| !p.trim().is_empty()) {
        entry.insert("provider".into(), json!(p.trim()));
    }
    if let Some(u) = t.url.as_deref().filter(|u| !u.trim().is_empty()) {
        entry.insert("url".into(), json!(u.trim()));
    }
    if let Some(s) = t.shipped_at.as_deref().filter(|s| !s.trim().is_empty()) {
        let s = time::normalize_utc(s).map_err(|e| invalid_write(format!("shipped-at: {e}")))?;
        entry.insert("shipped_at".into(), json!(s));
    }
    Ok(Value::Object(entry))
}

fn same_shipment(a: &Value, b: &Value) -> bool {
    a.get("number") == b.get("number") && a.get("provider") == b.get("provider")
}

/// The `PUT /orders/{id}` body that records `t` in the order's `_junction_tracking` list:
/// appended, or replacing an entry with the same number and provider (so a retried write
/// does not add it twice). The existing meta entry is addressed by its id when it has one.
pub fn tracking_meta_body(meta: &[WcMeta], t: &Tracking) -> Result<Value, ConnectorError> {
    let entry = tracking_entry(t)?;
    let existing = meta
        .iter()
        .find(|m| m.key.as_deref() == Some(TRACKING_META_KEY));
    let mut list: Vec<Value> = match existing.map(|m| &m.value) {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    match list.iter_mut().find(|e| same_shipment(e, &entry)) {
        Some(slot) => *slot = entry,
        None => list.push(entry),
    }
    let mut item = Map::new();
    if let Some(n) = existing
        .and_then(|m| m.id.as_deref())
        .and_then(|id| id.parse::<u64>().ok())
    {
        item.insert("id".into(), json!(n));
    }
    item.insert("key".into(), json!(TRACKING_META_KEY));
    item.insert("value".into(), Value::Array(list));
    Ok(json!({ "meta_data": [Value::Object(item)] }))
}

/// The text of the order note for a shipment, e.g.
/// `Shipped with bpost, tracking number 3SABC123: https://track.example/3SABC123`.
pub fn tracking_note(t: &Tracking) -> String {
    let mut note = match t
        .provider
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(p) => format!("Shipped with {p}, tracking number {}", t.number.trim()),
        None => format!("Shipped, tracking number {}", t.number.trim()),
    };
    if let Some(u) = t.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        note.push_str(": ");
        note.push_str(u);
    }
    if let Some(s) = t
        .shipped_at
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        note.push_str(&format!(" (shipped {s})"));
    }
    note.push('.');
    note
}

/// The `POST /orders/{id}/notes` body: a private note.
pub fn note_body(t: &Tracking) -> Value {
    json!({ "note": tracking_note(t), "customer_note": false })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn t(number: &str, provider: Option<&str>) -> Tracking {
        Tracking {
            number: number.into(),
            provider: provider.map(Into::into),
            url: Some("https://track.example/1".into()),
            shipped_at: Some("2025-01-02T03:04:05".into()),
        }
    }

    fn meta(v: Value) -> Vec<WcMeta> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn simple_bodies() {
        assert_eq!(
            status_body("completed").unwrap(),
            json!({"status": "completed"})
        );
        assert_eq!(
            status_body("wc-on-hold").unwrap(),
            json!({"status": "on-hold"})
        );
        assert!(status_body(" ").is_err());
        assert_eq!(
            stock_body(5),
            json!({"manage_stock": true, "stock_quantity": 5})
        );
        assert_eq!(
            price_body("9.9", None).unwrap(),
            json!({"regular_price": "9.9"}),
            "no sale price given: the shop's stays"
        );
        assert_eq!(
            price_body("10.00", Some("8.5")).unwrap(),
            json!({"regular_price": "10.00", "sale_price": "8.5"})
        );
        assert_eq!(price_body("10", Some("")).unwrap()["sale_price"], "");
        let e = price_body("abc", None).unwrap_err();
        assert!(
            matches!(&e, ConnectorError::InvalidRequest(m) if m.contains("not sent")),
            "{e:?}"
        );
        assert!(price_body("-1", None).is_err());
        assert!(price_body("1", Some("x")).is_err());
    }

    #[test]
    fn tracking_is_appended_or_replaced() {
        let body = tracking_meta_body(&[], &t("A1", Some("bpost"))).unwrap();
        assert_eq!(
            body,
            json!({"meta_data": [{"key": "_junction_tracking", "value": [
                {"number": "A1", "provider": "bpost", "url": "https://track.example/1", "shipped_at": "2025-01-02T03:04:05Z"}
            ]}]})
        );
        let existing = meta(json!([
            {"id": 7, "key": "_other", "value": "x"},
            {"id": 9, "key": "_junction_tracking", "value": [{"number": "A1", "provider": "bpost"}]}
        ]));
        let body = tracking_meta_body(&existing, &t("B2", None)).unwrap();
        let item = &body["meta_data"][0];
        assert_eq!(item["id"], 9);
        assert_eq!(item["value"].as_array().unwrap().len(), 2);
        assert_eq!(item["value"][1]["number"], "B2");
        // The same shipment again replaces it.
        let body = tracking_meta_body(&existing, &t("A1", Some("bpost"))).unwrap();
        let list = body["meta_data"][0]["value"].as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["url"], "https://track.example/1");
        assert!(tracking_meta_body(&[], &t(" ", None)).is_err());
    }

    #[test]
    fn notes_read_well() {
        assert_eq!(
            tracking_note(&t("A1", Some("bpost"))),
            "Shipped with bpost, tracking number A1: https://track.example/1 (shipped 2025-01-02T03:04:05)."
        );
        let bare = Tracking {
            number: "Z9".into(),
            provider: None,
            url: None,
            shipped_at: None,
        };
        assert_eq!(tracking_note(&bare), "Shipped, tracking number Z9.");
        assert_eq!(note_body(&bare)["customer_note"], false);
    }
}
