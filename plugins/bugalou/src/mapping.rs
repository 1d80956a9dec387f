//! Canonical orders ↔ Bugalou orders, by pure functions.
//!
//! Writing (`POST /api/v1/orders`, the documented field reference):
//!
//! | Bugalou | from the canonical order |
//! |---|---|
//! | `platform` | the config's `platform` |
//! | `orderNumber` | `order-number`, else `external-id` |
//! | `orderStatus` | `status` translated (table below, plus the config's `status_map`) |
//! | `customerEmail` | `customer-email`, else the billing email |
//! | `customerName` | billing first + last name, else shipping's |
//! | `items` | `[{name, quantity (number), price (unit price, decimal string)}]` |
//! | `total`, `currency` | `total` (decimal string), `currency` (upper case) |
//! | `paymentStatus` | `payment-status` when it is one of Bugalou's four, else derived from `status` (`refunded`, `failed`) |
//! | `paymentMethod` | `payment-method` |
//! | `trackingCode`, `trackingUrl` | the newest `tracking` entry |
//!
//! Status table: `pending`, `processing`, `on-hold` → `processing`; `completed` → `shipped`
//! (the shop finished it; Bugalou cannot know it was delivered); `cancelled`, `refunded`,
//! `failed`, `trash` → `cancelled`; Bugalou's own four words pass through. Any other word is
//! refused as `invalid-request` naming `order.status`, unless `status_map` translates it.
//!
//! Reading maps each documented field back; `customerName` is split at its first space
//! into the billing first and last name, and a line's total is price × quantity.

use std::collections::BTreeMap;
use std::str::FromStr;

use junction_sdk::decimal;
use junction_sdk::time;
use junction_sdk::types::{Address, ConnectorError, LineItem, Order, Tracking};
use serde::Deserialize;
use serde_json::{Map, Number, Value, json};

/// The order statuses Bugalou accepts.
pub const ORDER_STATUSES: &[&str] = &["processing", "shipped", "delivered", "cancelled"];
/// The payment statuses Bugalou accepts.
pub const PAYMENT_STATUSES: &[&str] = &["paid", "pending", "refunded", "failed"];

/// A write refused before anything was sent.
pub fn invalid(message: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::invalid_request(format!("invalid write (not sent to Bugalou): {message}"))
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Bugalou's status for a source status word.
pub fn order_status(
    status: &str,
    overrides: &BTreeMap<String, String>,
) -> Result<&'static str, ConnectorError> {
    let word = status.trim().to_lowercase();
    let word = word.strip_prefix("wc-").unwrap_or(&word);
    if let Some(to) = overrides.get(word)
        && let Some(known) = ORDER_STATUSES.iter().find(|s| **s == to.as_str())
    {
        return Ok(known);
    }
    Ok(match word {
        "processing" | "pending" | "on-hold" => "processing",
        "shipped" | "completed" => "shipped",
        "delivered" => "delivered",
        "cancelled" | "canceled" | "refunded" | "failed" | "trash" => "cancelled",
        _ => {
            return Err(invalid(format!(
                "order.status {status:?} has no Bugalou equivalent ({}); add it to status_map in the connection config",
                ORDER_STATUSES.join(", ")
            )));
        }
    })
}

fn payment_status(order: &Order) -> Option<&'static str> {
    let given = order
        .payment_status
        .as_deref()
        .map(|s| s.trim().to_lowercase());
    if let Some(known) = given
        .as_deref()
        .and_then(|g| PAYMENT_STATUSES.iter().find(|s| **s == g))
    {
        return Some(known);
    }
    match order.status.trim().to_lowercase().as_str() {
        "refunded" => Some("refunded"),
        "failed" => Some("failed"),
        _ => None,
    }
}

fn full_name(a: &Address) -> Option<String> {
    let parts: Vec<&str> = [a.first_name.as_deref(), a.last_name.as_deref()]
        .into_iter()
        .filter_map(|p| non_empty(p))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The `POST /api/v1/orders` body of a canonical order.
pub fn to_bugalou(
    order: &Order,
    platform: &str,
    status_map: &BTreeMap<String, String>,
) -> Result<Value, ConnectorError> {
    let number = non_empty(order.order_number.as_deref())
        .or_else(|| non_empty(Some(&order.external_id)))
        .ok_or_else(|| invalid("order.order-number (or external-id) is required"))?;
    let mut body = Map::new();
    body.insert("platform".into(), json!(platform));
    body.insert("orderNumber".into(), json!(number));
    body.insert(
        "orderStatus".into(),
        json!(order_status(&order.status, status_map)?),
    );
    let email = non_empty(order.customer_email.as_deref()).or_else(|| {
        order
            .billing
            .as_ref()
            .and_then(|b| non_empty(b.email.as_deref()))
    });
    if let Some(e) = email {
        if !e.contains('@') || e.contains(' ') {
            return Err(invalid(format!(
                "order.customer-email {e:?} is not an email address"
            )));
        }
        body.insert("customerEmail".into(), json!(e));
    }
    let name = order
        .billing
        .as_ref()
        .and_then(full_name)
        .or_else(|| order.shipping.as_ref().and_then(full_name));
    if let Some(n) = name {
        body.insert("customerName".into(), json!(n));
    }
    let mut items = Vec::new();
    for (i, line) in order.line_items.iter().enumerate() {
        let field = |f: &str| format!("order.line-items[{i}].{f}");
        let name = non_empty(Some(&line.name))
            .ok_or_else(|| invalid(format!("{} is required", field("name"))))?;
        let quantity = decimal::normalize(&line.quantity)
            .map_err(|e| invalid(format!("{}: {e}", field("quantity"))))?;
        if quantity.starts_with('-') || quantity.trim_start_matches(['0', '.']).is_empty() {
            return Err(invalid(format!("{} must be positive", field("quantity"))));
        }
        let quantity = Number::from_str(&quantity)
            .map_err(|e| invalid(format!("{}: {e}", field("quantity"))))?;
        let price = decimal::normalize(&line.unit_price)
            .map_err(|e| invalid(format!("{}: {e}", field("unit-price"))))?;
        items.push(json!({"name": name, "quantity": quantity, "price": price}));
    }
    body.insert("items".into(), Value::Array(items));
    let total =
        decimal::normalize(&order.total).map_err(|e| invalid(format!("order.total: {e}")))?;
    body.insert("total".into(), json!(total));
    if let Some(c) = non_empty(order.currency.as_deref()) {
        let c = c.to_uppercase();
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid(format!(
                "order.currency {c:?} is not an ISO 4217 code"
            )));
        }
        body.insert("currency".into(), json!(c));
    }
    if let Some(p) = payment_status(order) {
        body.insert("paymentStatus".into(), json!(p));
    }
    if let Some(m) = non_empty(order.payment_method.as_deref()) {
        body.insert("paymentMethod".into(), json!(m));
    }
    if let Some(t) = order.tracking.last() {
        let code =
            non_empty(Some(&t.number)).ok_or_else(|| invalid("order.tracking number is empty"))?;
        body.insert("trackingCode".into(), json!(code));
        if let Some(u) = non_empty(t.url.as_deref()) {
            body.insert("trackingUrl".into(), json!(u));
        }
    }
    Ok(Value::Object(body))
}

/// An order as Bugalou serves it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BgOrder {
    pub id: Value,
    pub platform: Option<String>,
    pub order_number: Option<Value>,
    pub order_status: Option<String>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    #[serde(default)]
    pub items: Option<Vec<BgItem>>,
    pub total: Option<Value>,
    pub currency: Option<String>,
    pub tracking_code: Option<String>,
    pub tracking_url: Option<String>,
    pub payment_status: Option<String>,
    pub payment_method: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// One item of a Bugalou order.
#[derive(Debug, Clone, Deserialize)]
pub struct BgItem {
    pub name: Option<String>,
    pub quantity: Option<Value>,
    pub price: Option<Value>,
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The product of two decimals, exactly (`"29.99"` × `"2"` = `"59.98"`).
pub fn multiply(a: &str, b: &str) -> Result<String, decimal::DecimalError> {
    let parse = |s: &str| -> Result<(i128, usize), decimal::DecimalError> {
        let n = decimal::normalize(s)?;
        let (int, frac) = n.split_once('.').unwrap_or((&n, ""));
        let digits = format!("{int}{frac}");
        let value = digits.parse::<i128>().map_err(|_| decimal::DecimalError {
            input: s.to_owned(),
        })?;
        Ok((value, frac.len()))
    };
    let (x, sx) = parse(a)?;
    let (y, sy) = parse(b)?;
    let product = x.checked_mul(y).ok_or_else(|| decimal::DecimalError {
        input: format!("{a} * {b}"),
    })?;
    let scale = sx + sy;
    let negative = product < 0;
    let digits = format!("{:0>width$}", product.unsigned_abs(), width = scale + 1);
    let (int, frac) = digits.split_at(digits.len() - scale);
    let text = if scale == 0 {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    };
    decimal::normalize(&if negative { format!("-{text}") } else { text })
}

fn upstream(message: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::upstream(200, format!("unexpected order from Bugalou: {message}"))
}

/// A Bugalou order (its JSON text) as a canonical order.
pub fn from_bugalou(raw: &str) -> Result<Order, ConnectorError> {
    let o: BgOrder = serde_json::from_str(raw).map_err(upstream)?;
    let id = id_text(&o.id).ok_or_else(|| upstream("no id"))?;
    let decimal_of = |field: &str, v: Option<&Value>| -> Result<Option<String>, ConnectorError> {
        v.map(decimal::from_json)
            .transpose()
            .map(Option::flatten)
            .map_err(|e| upstream(format!("{field}: {e}")))
    };
    let mut line_items = Vec::new();
    for (i, item) in o.items.unwrap_or_default().into_iter().enumerate() {
        let quantity = decimal_of(&format!("items[{i}].quantity"), item.quantity.as_ref())?
            .unwrap_or_else(|| "1".into());
        let price = decimal_of(&format!("items[{i}].price"), item.price.as_ref())?
            .unwrap_or_else(|| "0".into());
        let total =
            multiply(&price, &quantity).map_err(|e| upstream(format!("items[{i}]: {e}")))?;
        line_items.push(LineItem {
            external_id: None,
            product_id: None,
            variation_id: None,
            sku: None,
            name: item.name.unwrap_or_default(),
            quantity,
            unit_price: price,
            total,
            tax: None,
        });
    }
    let total = match decimal_of("total", o.total.as_ref())? {
        Some(t) => t,
        None => decimal::sum(line_items.iter().map(|l| l.total.as_str()))
            .map_err(|e| upstream(format!("total: {e}")))?,
    };
    let (first, last) = match o
        .customer_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(name) => match name.split_once(' ') {
            Some((f, l)) => (Some(f.to_owned()), Some(l.trim().to_owned())),
            None => (Some(name.to_owned()), None),
        },
        None => (None, None),
    };
    let billing = (first.is_some() || o.customer_email.is_some()).then(|| Address {
        first_name: first,
        last_name: last,
        company: None,
        line1: None,
        line2: None,
        city: None,
        region: None,
        postcode: None,
        country: None,
        email: o.customer_email.clone(),
        phone: None,
    });
    let tracking = match non_empty(o.tracking_code.as_deref()) {
        Some(code) => vec![Tracking {
            number: code.to_owned(),
            provider: None,
            url: o.tracking_url.clone().filter(|u| !u.trim().is_empty()),
            shipped_at: None,
        }],
        None => vec![],
    };
    let created = o
        .created_at
        .as_deref()
        .ok_or_else(|| upstream("no createdAt"))
        .and_then(|c| time::normalize_utc(c).map_err(upstream))?;
    let modified = match o.updated_at.as_deref() {
        Some(u) => time::normalize_utc(u).map_err(upstream)?,
        None => created.clone(),
    };
    Ok(Order {
        external_id: id,
        order_number: o.order_number.as_ref().and_then(id_text),
        status: o.order_status.unwrap_or_default(),
        currency: o.currency,
        total,
        subtotal: None,
        tax_total: None,
        shipping_total: None,
        discount_total: None,
        customer_id: None,
        customer_email: o.customer_email,
        billing,
        shipping: None,
        payment_status: o.payment_status,
        payment_method: o.payment_method,
        line_items,
        tracking,
        created_at: created,
        modified_at: modified,
        raw: raw.to_owned(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn address(first: &str, last: &str, email: Option<&str>) -> Address {
        Address {
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            company: None,
            line1: None,
            line2: None,
            city: None,
            region: None,
            postcode: None,
            country: None,
            email: email.map(Into::into),
            phone: None,
        }
    }

    fn order() -> Order {
        Order {
            external_id: "812".into(),
            order_number: Some("ORD-12345".into()),
            status: "completed".into(),
            currency: Some("eur".into()),
            total: "59.98".into(),
            subtotal: None,
            tax_total: None,
            shipping_total: None,
            discount_total: None,
            customer_id: None,
            customer_email: None,
            billing: Some(address("Jan", "de Vries", Some("klant@voorbeeld.nl"))),
            shipping: None,
            payment_status: Some("paid".into()),
            payment_method: Some("iDEAL".into()),
            line_items: vec![LineItem {
                external_id: None,
                product_id: Some("7".into()),
                variation_id: None,
                sku: None,
                name: "Product A".into(),
                quantity: "2".into(),
                unit_price: "29.99".into(),
                total: "59.98".into(),
                tax: None,
            }],
            tracking: vec![Tracking {
                number: "3SPOST1234567".into(),
                provider: Some("PostNL".into()),
                url: Some("https://postnl.nl/track/3SPOST1234567".into()),
                shipped_at: None,
            }],
            created_at: "2025-01-01T00:00:00Z".into(),
            modified_at: "2025-01-01T00:00:00Z".into(),
            raw: "{}".into(),
        }
    }

    #[test]
    fn writes_the_documented_fields() {
        let body = to_bugalou(&order(), "woocommerce", &BTreeMap::new()).unwrap();
        assert_eq!(
            body,
            json!({
                "platform": "woocommerce", "orderNumber": "ORD-12345", "orderStatus": "shipped",
                "customerEmail": "klant@voorbeeld.nl", "customerName": "Jan de Vries",
                "items": [{"name": "Product A", "quantity": 2, "price": "29.99"}],
                "total": "59.98", "currency": "EUR", "paymentStatus": "paid", "paymentMethod": "iDEAL",
                "trackingCode": "3SPOST1234567", "trackingUrl": "https://postnl.nl/track/3SPOST1234567"
            })
        );
        let mut no_number = order();
        no_number.order_number = None;
        let body = to_bugalou(&no_number, "custom", &BTreeMap::new()).unwrap();
        assert_eq!(body["orderNumber"], "812");
    }

    #[test]
    fn statuses_translate_or_are_refused() {
        let none = BTreeMap::new();
        for (from, to) in [
            ("pending", "processing"),
            ("wc-on-hold", "processing"),
            ("completed", "shipped"),
            ("refunded", "cancelled"),
            ("delivered", "delivered"),
        ] {
            assert_eq!(order_status(from, &none).unwrap(), to, "{from}");
        }
        let e = order_status("awaiting-pickup", &none).unwrap_err();
        assert!(
            matches!(&e, ConnectorError::InvalidRequest(m) if m.contains("order.status") && m.contains("status_map"))
        );
        let map = BTreeMap::from([("awaiting-pickup".to_owned(), "shipped".to_owned())]);
        assert_eq!(order_status("awaiting-pickup", &map).unwrap(), "shipped");
        let mut refunded = order();
        refunded.status = "refunded".into();
        refunded.payment_status = None;
        let body = to_bugalou(&refunded, "x", &none).unwrap();
        assert_eq!(body["paymentStatus"], "refunded");
    }

    #[test]
    fn bad_values_name_their_field() {
        let none = BTreeMap::new();
        let mut o = order();
        o.total = "59,98".into();
        let e = to_bugalou(&o, "x", &none).unwrap_err();
        assert!(
            matches!(&e, ConnectorError::InvalidRequest(m) if m.contains("order.total")),
            "{e:?}"
        );
        let mut o = order();
        o.line_items[0].quantity = "0".into();
        let e = to_bugalou(&o, "x", &none).unwrap_err();
        assert!(
            matches!(&e, ConnectorError::InvalidRequest(m) if m.contains("line-items[0].quantity")),
            "{e:?}"
        );
        let mut o = order();
        o.currency = Some("euro".into());
        assert!(to_bugalou(&o, "x", &none).is_err());
    }

    #[test]
    fn reads_orders_back() {
        let raw = r#"{"id":"ord_00000001","platform":"custom","orderNumber":"ORD-12345",
            "orderStatus":"shipped","customerEmail":"klant@voorbeeld.nl","customerName":"Jan de Vries",
            "items":[{"name":"Product A","quantity":2,"price":"29.99"}],"total":"59.98","currency":"EUR",
            "trackingCode":"3SPOST1234567","trackingUrl":"https://postnl.nl/t","paymentStatus":"paid",
            "paymentMethod":"iDEAL","createdAt":"2025-01-01T00:00:00.000Z","updatedAt":"2025-01-02T10:00:00.500Z"}"#;
        let o = from_bugalou(raw).unwrap();
        assert_eq!(o.external_id, "ord_00000001");
        assert_eq!(o.order_number.as_deref(), Some("ORD-12345"));
        assert_eq!(o.status, "shipped");
        assert_eq!(o.total, "59.98");
        assert_eq!(o.line_items[0].total, "59.98");
        assert_eq!(
            o.billing.as_ref().unwrap().last_name.as_deref(),
            Some("de Vries")
        );
        assert_eq!(o.tracking[0].number, "3SPOST1234567");
        assert_eq!(o.modified_at, "2025-01-02T10:00:00.5Z");
        assert!(from_bugalou(r#"{"id":"x"}"#).is_err(), "no createdAt");
        assert_eq!(multiply("29.99", "3").unwrap(), "89.97");
        assert_eq!(multiply("0.5", "1.5").unwrap(), "0.75");
        assert_eq!(multiply("-2", "0.25").unwrap(), "-0.50");
    }
}
