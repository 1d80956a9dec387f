//! Magento JSON → the canonical records of the contract. Pure functions of a record's JSON
//! text (which also becomes the record's `raw`).
//!
//! - Ids are Magento's entity ids (`entity_id` of orders, `id` of customers and products) as
//!   text; `increment_id` is the order number.
//! - Money is a JSON number in Magento; it becomes decimal text as serde writes it. Discounts
//!   are negative in Magento (`discount_amount: -5`); the canonical `discount-total` is the
//!   amount taken off, so its sign is dropped.
//! - Dates are `YYYY-MM-DD HH:MM:SS` in UTC and get their `Z`.
//! - Order lines: a configurable product is two rows (the parent row carrying price and
//!   totals, the child row with `parent_item_id`); the parent row becomes the line, its
//!   child's `product_id` the `variation-id`. Shipping comes from
//!   `extension_attributes.shipping_assignments`, tracking from the order's shipments.
//! - Products: `status` 1 is `enabled`, 2 `disabled`; `stock-quantity` from
//!   `extension_attributes.stock_item` when stock is managed; `has-variations` for
//!   `configurable`, whose own price (0, priced by its children) is left out; `sale-price`
//!   from the `special_price` custom attribute.
//! - Variations: the configurable's children; attributes are the parent's option labels
//!   with the child's value of the attribute of that code (`Color` → `color`).

use junction_sdk::decimal;
use junction_sdk::time;
use junction_sdk::types::{
    Address, ConnectorError, Customer, LineItem, Order, Product, Tracking, Variation,
};
use serde_json::Value;

fn bad(what: &str, id: &str, message: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::upstream(200, format!("Magento {what} {id}: {message}"))
}

/// Parses a record's JSON text.
pub fn parse(what: &str, raw: &str) -> Result<Value, ConnectorError> {
    serde_json::from_str(raw).map_err(|e| {
        ConnectorError::upstream(200, format!("invalid JSON for a Magento {what}: {e}"))
    })
}

/// A non-empty string field.
fn text(v: &Value, field: &str) -> Option<String> {
    match v.get(field)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An id field as text; `None` for absent, null or 0.
pub fn id_of(v: &Value, field: &str) -> Option<String> {
    text(v, field).filter(|id| id != "0")
}

fn money(what: &str, id: &str, v: &Value, field: &str) -> Result<Option<String>, ConnectorError> {
    match v.get(field) {
        None => Ok(None),
        Some(value) => {
            decimal::from_json(value).map_err(|e| bad(what, id, format!("{field}: {e}")))
        }
    }
}

fn money_or_zero(what: &str, id: &str, v: &Value, field: &str) -> Result<String, ConnectorError> {
    Ok(money(what, id, v, field)?.unwrap_or_else(|| "0".to_owned()))
}

/// A date field as RFC 3339.
fn date(what: &str, id: &str, v: &Value, field: &str) -> Result<Option<String>, ConnectorError> {
    text(v, field)
        .map(|d| time::normalize_utc(&d).map_err(|e| bad(what, id, format!("{field}: {e}"))))
        .transpose()
}

fn times(what: &str, id: &str, v: &Value) -> Result<(String, String), ConnectorError> {
    let created = date(what, id, v, "created_at")?;
    let updated = date(what, id, v, "updated_at")?;
    match (created, updated) {
        (Some(c), Some(u)) => Ok((c, u)),
        (Some(c), None) => Ok((c.clone(), c)),
        (None, Some(u)) => Ok((u.clone(), u)),
        (None, None) => Err(bad(what, id, "no created_at or updated_at")),
    }
}

/// A Magento address (order or customer) as a canonical one.
pub fn address(a: &Value) -> Address {
    let street: Vec<String> = a
        .get("street")
        .and_then(Value::as_array)
        .map(|lines| {
            lines
                .iter()
                .filter_map(|l| l.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let region = text(a, "region").or_else(|| a.get("region").and_then(|r| text(r, "region")));
    Address {
        first_name: text(a, "firstname"),
        last_name: text(a, "lastname"),
        company: text(a, "company"),
        line1: street.first().cloned(),
        line2: (street.len() > 1).then(|| street[1..].join(", ")),
        city: text(a, "city"),
        region,
        postcode: text(a, "postcode"),
        country: text(a, "country_id"),
        email: text(a, "email"),
        phone: text(a, "telephone"),
    }
}

/// The positive amount of a possibly negative decimal.
fn magnitude(amount: String) -> String {
    amount
        .strip_prefix('-')
        .map(str::to_owned)
        .unwrap_or(amount)
}

fn line_items(id: &str, order: &Value) -> Result<Vec<LineItem>, ConnectorError> {
    let rows = order
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut lines = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if id_of(row, "parent_item_id").is_some() {
            continue;
        }
        let field = |f: &str| format!("items[{i}].{f}");
        let item_id = id_of(row, "item_id");
        let child = rows
            .iter()
            .find(|c| item_id.is_some() && id_of(c, "parent_item_id") == item_id);
        let quantity = money("order", id, row, "qty_ordered")?
            .ok_or_else(|| bad("order", id, format!("{} is missing", field("qty_ordered"))))?;
        lines.push(LineItem {
            external_id: item_id,
            product_id: id_of(row, "product_id"),
            variation_id: child.and_then(|c| id_of(c, "product_id")),
            sku: text(row, "sku"),
            name: text(row, "name").unwrap_or_default(),
            quantity,
            unit_price: money_or_zero("order", id, row, "price")?,
            total: money_or_zero("order", id, row, "row_total")?,
            tax: money("order", id, row, "tax_amount")?,
        });
    }
    Ok(lines)
}

/// The tracks of an order's shipments (Magento's shipment JSON), oldest first.
pub fn tracks(shipments: &[Value]) -> Vec<Tracking> {
    let mut out = Vec::new();
    for shipment in shipments {
        for track in shipment
            .get("tracks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(number) = text(track, "track_number") else {
                continue;
            };
            out.push(Tracking {
                number,
                provider: text(track, "title").or_else(|| text(track, "carrier_code")),
                url: None,
                shipped_at: text(track, "created_at").and_then(|d| time::normalize_utc(&d).ok()),
            });
        }
    }
    out
}

/// An order (its JSON text) with its shipments' tracking as a canonical order.
pub fn order(raw: &str, tracking: Vec<Tracking>) -> Result<Order, ConnectorError> {
    let o = parse("order", raw)?;
    let id = id_of(&o, "entity_id").ok_or_else(|| bad("order", "?", "no entity_id"))?;
    let (created_at, modified_at) = times("order", &id, &o)?;
    let shipping = o
        .pointer("/extension_attributes/shipping_assignments/0/shipping/address")
        .filter(|a| a.is_object())
        .map(address);
    let guest = o
        .get("customer_is_guest")
        .is_some_and(|g| g == 1 || g == true);
    Ok(Order {
        order_number: text(&o, "increment_id"),
        status: text(&o, "status").unwrap_or_default(),
        currency: text(&o, "order_currency_code"),
        total: money_or_zero("order", &id, &o, "grand_total")?,
        subtotal: money("order", &id, &o, "subtotal")?,
        tax_total: money("order", &id, &o, "tax_amount")?,
        shipping_total: money("order", &id, &o, "shipping_amount")?,
        discount_total: money("order", &id, &o, "discount_amount")?.map(magnitude),
        customer_id: if guest {
            None
        } else {
            id_of(&o, "customer_id")
        },
        customer_email: text(&o, "customer_email"),
        billing: o
            .get("billing_address")
            .filter(|a| a.is_object())
            .map(address),
        shipping,
        payment_status: None,
        payment_method: o.get("payment").and_then(|p| text(p, "method")),
        line_items: line_items(&id, &o)?,
        tracking,
        created_at,
        modified_at,
        raw: raw.to_owned(),
        external_id: id,
    })
}

/// A customer (its JSON text) as a canonical customer.
pub fn customer(raw: &str) -> Result<Customer, ConnectorError> {
    let c = parse("customer", raw)?;
    let id = id_of(&c, "id").ok_or_else(|| bad("customer", "?", "no id"))?;
    let (created_at, modified_at) = times("customer", &id, &c)?;
    let addresses = c
        .get("addresses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let default = |flag: &str| {
        addresses
            .iter()
            .find(|a| {
                a.get(flag) == Some(&Value::Bool(true))
                    || (text(&c, flag).is_some() && id_of(a, "id") == text(&c, flag))
            })
            .map(address)
    };
    let billing = default("default_billing");
    Ok(Customer {
        email: text(&c, "email"),
        first_name: text(&c, "firstname"),
        last_name: text(&c, "lastname"),
        company: billing.as_ref().and_then(|b| b.company.clone()),
        phone: billing.as_ref().and_then(|b| b.phone.clone()),
        shipping: default("default_shipping"),
        billing,
        created_at,
        modified_at,
        raw: raw.to_owned(),
        external_id: id,
    })
}

fn custom_attribute(p: &Value, code: &str) -> Option<String> {
    p.get("custom_attributes")?
        .as_array()?
        .iter()
        .find(|a| a.get("attribute_code").and_then(Value::as_str) == Some(code))
        .and_then(|a| text(a, "value"))
}

fn stock_quantity(what: &str, id: &str, p: &Value) -> Result<Option<i64>, ConnectorError> {
    let Some(item) = p
        .pointer("/extension_attributes/stock_item")
        .filter(|s| s.is_object())
    else {
        return Ok(None);
    };
    if item.get("manage_stock") == Some(&Value::Bool(false)) {
        return Ok(None);
    }
    match item.get("qty") {
        None | Some(Value::Null) => Ok(None),
        Some(q) => q
            .as_f64()
            .or_else(|| q.as_str().and_then(|s| s.parse().ok()))
            .map(|q| Some(q.floor() as i64))
            .ok_or_else(|| bad(what, id, format!("stock_item.qty {q} is not a number"))),
    }
}

/// A product's sale price: the `special_price` custom attribute.
fn sale_price(what: &str, id: &str, p: &Value) -> Result<Option<String>, ConnectorError> {
    custom_attribute(p, "special_price")
        .map(|s| decimal::normalize(&s).map_err(|e| bad(what, id, format!("special_price: {e}"))))
        .transpose()
}

/// A product (its JSON text) as a canonical product.
pub fn product(raw: &str) -> Result<Product, ConnectorError> {
    let p = parse("product", raw)?;
    let id = id_of(&p, "id").ok_or_else(|| bad("product", "?", "no id"))?;
    let (created_at, modified_at) = times("product", &id, &p)?;
    let configurable = text(&p, "type_id").as_deref() == Some("configurable");
    let regular = if configurable {
        None
    } else {
        money("product", &id, &p, "price")?
    };
    let sale = sale_price("product", &id, &p)?;
    let status = match p.get("status").and_then(Value::as_i64) {
        Some(1) => Some("enabled".to_owned()),
        Some(2) => Some("disabled".to_owned()),
        _ => text(&p, "status"),
    };
    Ok(Product {
        sku: text(&p, "sku"),
        name: text(&p, "name").unwrap_or_default(),
        status,
        price: sale.clone().or_else(|| regular.clone()),
        regular_price: regular,
        sale_price: sale,
        currency: None,
        stock_quantity: stock_quantity("product", &id, &p)?,
        has_variations: configurable,
        created_at,
        modified_at,
        raw: raw.to_owned(),
        external_id: id,
    })
}

/// A configurable parent's option labels, e.g. `["Color", "Size"]`.
pub fn option_labels(parent: &Value) -> Vec<String> {
    parent
        .pointer("/extension_attributes/configurable_product_options")
        .and_then(Value::as_array)
        .map(|options| options.iter().filter_map(|o| text(o, "label")).collect())
        .unwrap_or_default()
}

/// A configurable parent's children ids.
pub fn child_ids(parent: &Value) -> Vec<String> {
    parent
        .pointer("/extension_attributes/configurable_product_links")
        .and_then(Value::as_array)
        .map(|links| {
            links
                .iter()
                .filter_map(|l| match l {
                    Value::Number(n) => Some(n.to_string()),
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A configurable's child (its JSON text) as a canonical variation of `parent_id`.
pub fn variation(
    raw: &str,
    parent_id: &str,
    labels: &[String],
) -> Result<Variation, ConnectorError> {
    let v = parse("variation", raw)?;
    let id = id_of(&v, "id").ok_or_else(|| bad("variation", "?", "no id"))?;
    let (created_at, modified_at) = times("variation", &id, &v)?;
    let regular = money("variation", &id, &v, "price")?;
    let sale = sale_price("variation", &id, &v)?;
    let attributes = labels
        .iter()
        .filter_map(|label| {
            let code = label.to_lowercase().replace(' ', "_");
            custom_attribute(&v, &code).map(|value| (label.clone(), value))
        })
        .collect();
    Ok(Variation {
        product_id: parent_id.to_owned(),
        sku: text(&v, "sku"),
        name: text(&v, "name"),
        attributes,
        price: sale.clone().or_else(|| regular.clone()),
        regular_price: regular,
        sale_price: sale,
        stock_quantity: stock_quantity("variation", &id, &v)?,
        created_at,
        modified_at,
        raw: raw.to_owned(),
        external_id: id,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order_json() -> Value {
        json!({
            "entity_id": 7, "increment_id": "000000007", "status": "processing", "state": "processing",
            "created_at": "2025-01-01 10:00:00", "updated_at": "2025-01-02 11:30:05",
            "customer_id": 3, "customer_is_guest": 0, "customer_email": "a@example.com",
            "order_currency_code": "EUR", "grand_total": 64.9, "subtotal": 69.9, "tax_amount": 0,
            "shipping_amount": 5, "discount_amount": -10,
            "items": [
                {"item_id": 71, "product_id": 4, "sku": "MJ0003-Red", "name": "Jacket 3", "product_type": "configurable", "qty_ordered": 2, "price": 29.95, "row_total": 59.9, "tax_amount": 0},
                {"item_id": 72, "parent_item_id": 71, "product_id": 5, "sku": "MJ0003-Red", "name": "Jacket 3-Red", "product_type": "simple", "qty_ordered": 2, "price": 0, "row_total": 0},
                {"item_id": 73, "product_id": 1, "sku": "MB0001", "name": "Bag 1", "product_type": "simple", "qty_ordered": 1, "price": 10, "row_total": 10}
            ],
            "billing_address": {"firstname": "Jan", "lastname": "de Vries", "street": ["Main 1", "Unit 2"], "city": "Gent", "postcode": "9000", "country_id": "BE", "email": "a@example.com", "telephone": "+32"},
            "payment": {"method": "checkmo"},
            "extension_attributes": {"shipping_assignments": [{"shipping": {"address": {"firstname": "Ann", "city": "Lyon", "country_id": "FR"}}}]}
        })
    }

    #[test]
    fn maps_orders_with_configurable_rows() {
        let raw = order_json().to_string();
        let shipments = vec![
            json!({"tracks": [{"track_number": "3S123", "title": "PostNL", "carrier_code": "custom", "created_at": "2025-01-03 09:00:00"}]}),
        ];
        let o = order(&raw, tracks(&shipments)).unwrap();
        assert_eq!(o.external_id, "7");
        assert_eq!(o.order_number.as_deref(), Some("000000007"));
        assert_eq!(o.total, "64.9");
        assert_eq!(o.discount_total.as_deref(), Some("10"));
        assert_eq!(o.modified_at, "2025-01-02T11:30:05Z");
        assert_eq!(
            o.line_items.len(),
            2,
            "the child row is folded into its parent"
        );
        assert_eq!(o.line_items[0].product_id.as_deref(), Some("4"));
        assert_eq!(o.line_items[0].variation_id.as_deref(), Some("5"));
        assert_eq!(o.line_items[0].total, "59.9");
        assert_eq!(o.line_items[1].variation_id, None);
        let billing = o.billing.unwrap();
        assert_eq!(
            (billing.line1.as_deref(), billing.line2.as_deref()),
            (Some("Main 1"), Some("Unit 2"))
        );
        assert_eq!(o.shipping.unwrap().city.as_deref(), Some("Lyon"));
        assert_eq!(o.customer_id.as_deref(), Some("3"));
        assert_eq!(o.payment_method.as_deref(), Some("checkmo"));
        assert_eq!(o.tracking[0].number, "3S123");
        assert_eq!(o.tracking[0].provider.as_deref(), Some("PostNL"));
        let mut guest = order_json();
        guest["customer_is_guest"] = json!(1);
        guest["customer_id"] = Value::Null;
        assert_eq!(order(&guest.to_string(), vec![]).unwrap().customer_id, None);
        let mut broken = order_json();
        broken["grand_total"] = json!("lots");
        assert!(
            matches!(order(&broken.to_string(), vec![]), Err(ConnectorError::Upstream(e)) if e.message.contains("grand_total"))
        );
    }

    #[test]
    fn maps_customers_products_and_variations() {
        let c = json!({"id": 3, "email": "a@example.com", "firstname": "Ann", "lastname": "Lee",
            "created_at": "2024-01-01 00:00:00", "updated_at": "2024-02-01 00:00:00", "default_billing": "9",
            "addresses": [{"id": 9, "firstname": "Ann", "company": "ACME", "telephone": "+1", "street": ["1 Road"]}]});
        let c = customer(&c.to_string()).unwrap();
        assert_eq!(c.external_id, "3");
        assert_eq!(c.company.as_deref(), Some("ACME"));
        assert_eq!(c.billing.unwrap().line1.as_deref(), Some("1 Road"));
        assert!(c.shipping.is_none());

        let parent = json!({"id": 4, "sku": "MJ0003", "name": "Jacket 3", "price": 0, "status": 1, "type_id": "configurable",
            "created_at": "2024-01-01 00:00:00", "updated_at": "2024-01-01 00:00:00",
            "extension_attributes": {"configurable_product_options": [{"label": "Color"}], "configurable_product_links": [5, 6]}});
        let p = product(&parent.to_string()).unwrap();
        assert!(p.has_variations);
        assert_eq!(
            (p.price, p.stock_quantity, p.status.as_deref()),
            (None, None, Some("enabled"))
        );
        assert_eq!(child_ids(&parent), vec!["5", "6"]);
        let child = json!({"id": 5, "sku": "MJ0003-Red", "name": "Jacket 3-Red", "price": 29.95, "status": 2, "type_id": "simple",
            "created_at": "2024-01-01 00:00:00", "updated_at": "2024-01-03 00:00:00",
            "custom_attributes": [{"attribute_code": "color", "value": "Red"}, {"attribute_code": "special_price", "value": "19.5000"}],
            "extension_attributes": {"stock_item": {"item_id": 5, "qty": 12.0, "manage_stock": true}}});
        let v = variation(&child.to_string(), "4", &option_labels(&parent)).unwrap();
        assert_eq!(v.product_id, "4");
        assert_eq!(v.attributes, vec![("Color".to_owned(), "Red".to_owned())]);
        assert_eq!(
            (
                v.regular_price.as_deref(),
                v.sale_price.as_deref(),
                v.price.as_deref()
            ),
            (Some("29.95"), Some("19.5000"), Some("19.5000"))
        );
        assert_eq!(v.stock_quantity, Some(12));
        let simple = product(&child.to_string()).unwrap();
        assert_eq!(simple.status.as_deref(), Some("disabled"));
    }
}
