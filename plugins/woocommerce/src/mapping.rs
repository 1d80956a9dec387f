//! WooCommerce JSON → the canonical records of the contract.
//!
//! Pure functions of a record's JSON text (which also becomes the record's `raw`):
//! - ids become strings; `0` (WooCommerce's "none" for customer, product and variation ids)
//!   becomes `None`; empty strings become `None` throughout.
//! - Money stays decimal text (validated with [`junction_sdk::decimal`]); an order's
//!   `subtotal` is the exact sum of its lines' `subtotal`s (WooCommerce has no order-level
//!   field for it).
//! - Dates come from the `*_gmt` fields (UTC without zone) and get their `Z`; when a `*_gmt`
//!   field is missing the site-local one is used as is, and a missing modification date
//!   falls back to the creation date.
//! - `payment-status`: `refunded` for refunded orders, else `paid` when `date_paid` is set,
//!   else `pending`.
//! - Tracking comes from the order's meta data: `_junction_tracking` (written by this
//!   connector's `order-tracking` write, a list of `{number, provider, url, shipped_at}`) and
//!   the Shipment Tracking extension's `_wc_shipment_tracking_items`, extension entries first.
//! - Products: `has-variations` is `type == "variable"`; `stock-quantity` only when
//!   `manage_stock` is on. Variations: attributes as (name, option) pairs, the name from
//!   WooCommerce's `name` or else the options, `product-id` the parent's id.

use junction_sdk::decimal;
use junction_sdk::time;
use junction_sdk::types::{
    Address, ConnectorError, Customer, Entity, LineItem, Order, Product, ResourceKind, Tracking,
    Variation,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::model::{
    WcAddress, WcCustomer, WcDates, WcLineItem, WcMeta, WcOrder, WcProduct, WcVariation,
};

/// The meta key this connector keeps tracking under.
pub const TRACKING_META_KEY: &str = "_junction_tracking";
/// The meta key of the WooCommerce Shipment Tracking extension.
pub const SHIPMENT_TRACKING_META_KEY: &str = "_wc_shipment_tracking_items";

/// An error about one record of the answer (status 200: the answer itself was fine).
fn bad_record(what: &str, id: Option<&str>, message: impl std::fmt::Display) -> ConnectorError {
    let id = id.unwrap_or("?");
    ConnectorError::upstream(200, format!("{what} {id}: {message}"))
}

fn parse<T: DeserializeOwned>(what: &str, raw: &str) -> Result<T, ConnectorError> {
    serde_json::from_str(raw).map_err(|e| {
        ConnectorError::upstream(200, format!("invalid JSON from upstream for a {what}: {e}"))
    })
}

/// `Some(s)` unless empty (after trimming).
fn text(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

/// An id, `None` for empty or `0`.
fn id_ref(s: Option<String>) -> Option<String> {
    text(s).filter(|v| v.trim() != "0")
}

fn required_id(what: &str, id: Option<String>) -> Result<String, ConnectorError> {
    text(id).ok_or_else(|| bad_record(what, None, "record without an id"))
}

fn money(what: &str, id: &str, field: &str, v: &Value) -> Result<Option<String>, ConnectorError> {
    decimal::from_json(v).map_err(|e| bad_record(what, Some(id), format!("{field}: {e}")))
}

fn money_or_zero(what: &str, id: &str, field: &str, v: &Value) -> Result<String, ConnectorError> {
    Ok(money(what, id, field, v)?.unwrap_or_else(|| "0".to_owned()))
}

/// The canonical (created, modified) timestamps of a record.
pub fn record_times(
    what: &str,
    id: &str,
    dates: &WcDates,
) -> Result<(String, String), ConnectorError> {
    let pick = |gmt: &Option<String>, local: &Option<String>, field: &str| {
        let chosen = text(gmt.clone()).or_else(|| text(local.clone()));
        time::normalize_utc_opt(chosen.as_deref())
            .map_err(|e| bad_record(what, Some(id), format!("{field}: {e}")))
    };
    let created = pick(
        &dates.date_created_gmt,
        &dates.date_created,
        "date_created_gmt",
    )?
    .ok_or_else(|| bad_record(what, Some(id), "no date_created_gmt"))?;
    let modified = pick(
        &dates.date_modified_gmt,
        &dates.date_modified,
        "date_modified_gmt",
    )?
    .unwrap_or_else(|| created.clone());
    Ok((created, modified))
}

/// A canonical address, `None` when every part is empty.
pub fn address(a: Option<WcAddress>) -> Option<Address> {
    let a = a?;
    let out = Address {
        first_name: text(a.first_name),
        last_name: text(a.last_name),
        company: text(a.company),
        line1: text(a.address_1),
        line2: text(a.address_2),
        city: text(a.city),
        region: text(a.state),
        postcode: text(a.postcode),
        country: text(a.country),
        email: text(a.email),
        phone: text(a.phone),
    };
    let empty = out.first_name.is_none()
        && out.last_name.is_none()
        && out.company.is_none()
        && out.line1.is_none()
        && out.line2.is_none()
        && out.city.is_none()
        && out.region.is_none()
        && out.postcode.is_none()
        && out.country.is_none()
        && out.email.is_none()
        && out.phone.is_none();
    (!empty).then_some(out)
}

fn line_item(order_id: &str, li: WcLineItem) -> Result<LineItem, ConnectorError> {
    let what = "order";
    let quantity = money_or_zero(what, order_id, "line_items.quantity", &li.quantity)?;
    let total = money_or_zero(what, order_id, "line_items.total", &li.total)?;
    let unit_price = match money(what, order_id, "line_items.price", &li.price)? {
        Some(p) => p,
        // Without `price`, the unit price is only certain for a single unit.
        None if quantity == "1" => money(what, order_id, "line_items.subtotal", &li.subtotal)?
            .unwrap_or_else(|| total.clone()),
        None => "0".to_owned(),
    };
    Ok(LineItem {
        external_id: id_ref(li.id),
        product_id: id_ref(li.product_id),
        variation_id: id_ref(li.variation_id),
        sku: text(li.sku),
        name: li.name.unwrap_or_default(),
        quantity,
        unit_price,
        total,
        tax: money(what, order_id, "line_items.total_tax", &li.total_tax)?,
    })
}

/// Reads a meta value that should be a list of objects: a JSON array, or a string holding
/// one (some plugins store JSON text).
fn meta_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        // PHP arrays with non-sequential keys arrive as objects.
        Value::Object(map) => map.values().cloned().collect(),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Tracking entries stored by this connector (`_junction_tracking`).
pub fn junction_tracking(meta: &[WcMeta]) -> Vec<Tracking> {
    meta.iter()
        .filter(|m| m.key.as_deref() == Some(TRACKING_META_KEY))
        .flat_map(|m| meta_list(&m.value))
        .filter_map(|v| {
            Some(Tracking {
                number: str_field(&v, "number")?,
                provider: str_field(&v, "provider"),
                url: str_field(&v, "url"),
                shipped_at: str_field(&v, "shipped_at").and_then(|s| time::normalize_utc(&s).ok()),
            })
        })
        .collect()
}

/// Tracking entries of the Shipment Tracking extension (`_wc_shipment_tracking_items`).
pub fn shipment_tracking(meta: &[WcMeta]) -> Vec<Tracking> {
    meta.iter()
        .filter(|m| m.key.as_deref() == Some(SHIPMENT_TRACKING_META_KEY))
        .flat_map(|m| meta_list(&m.value))
        .filter_map(|v| {
            let shipped_at = str_field(&v, "date_shipped").and_then(|s| {
                s.trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(|secs| time::from_epoch_seconds(secs).ok())
                    .or_else(|| time::normalize_utc(&s).ok())
            });
            Some(Tracking {
                number: str_field(&v, "tracking_number")?,
                provider: str_field(&v, "custom_tracking_provider")
                    .or_else(|| str_field(&v, "tracking_provider")),
                url: str_field(&v, "custom_tracking_link"),
                shipped_at,
            })
        })
        .collect()
}

/// All tracking of an order, Shipment Tracking entries first, without repeats of the same
/// (number, provider).
pub fn tracking_from_meta(meta: &[WcMeta]) -> Vec<Tracking> {
    let mut out: Vec<Tracking> = Vec::new();
    for t in shipment_tracking(meta)
        .into_iter()
        .chain(junction_tracking(meta))
    {
        if !out
            .iter()
            .any(|o| o.number == t.number && o.provider == t.provider)
        {
            out.push(t);
        }
    }
    out
}

/// An order from its JSON.
pub fn map_order(raw: &str) -> Result<Order, ConnectorError> {
    let o: WcOrder = parse("order", raw)?;
    let id = required_id("order", o.id)?;
    let (created_at, modified_at) = record_times("order", &id, &o.dates)?;
    let status = text(o.status).unwrap_or_else(|| "unknown".to_owned());
    let payment_status = if status == "refunded" {
        "refunded"
    } else if text(o.date_paid_gmt).or(text(o.date_paid)).is_some() {
        "paid"
    } else {
        "pending"
    };
    let subtotal = {
        let subtotals: Vec<Option<String>> = o
            .line_items
            .iter()
            .map(|li| decimal::from_json(&li.subtotal).ok().flatten())
            .collect();
        if subtotals.is_empty() || subtotals.iter().any(Option::is_none) {
            None
        } else {
            decimal::sum(subtotals.into_iter().flatten()).ok()
        }
    };
    let billing = address(o.billing);
    let line_items = o
        .line_items
        .into_iter()
        .map(|li| line_item(&id, li))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Order {
        order_number: text(o.number),
        status,
        currency: text(o.currency),
        total: money_or_zero("order", &id, "total", &o.total)?,
        subtotal,
        tax_total: money("order", &id, "total_tax", &o.total_tax)?,
        shipping_total: money("order", &id, "shipping_total", &o.shipping_total)?,
        discount_total: money("order", &id, "discount_total", &o.discount_total)?,
        customer_id: id_ref(o.customer_id),
        customer_email: billing.as_ref().and_then(|b| b.email.clone()),
        billing,
        shipping: address(o.shipping),
        payment_status: Some(payment_status.to_owned()),
        payment_method: text(o.payment_method),
        line_items,
        tracking: tracking_from_meta(&o.meta_data),
        created_at,
        modified_at,
        raw: raw.to_owned(),
        external_id: id,
    })
}

/// A customer from its JSON.
pub fn map_customer(raw: &str) -> Result<Customer, ConnectorError> {
    let c: WcCustomer = parse("customer", raw)?;
    let id = required_id("customer", c.id)?;
    let (created_at, modified_at) = record_times("customer", &id, &c.dates)?;
    let billing = address(c.billing);
    Ok(Customer {
        email: text(c.email).or_else(|| billing.as_ref().and_then(|b| b.email.clone())),
        first_name: text(c.first_name)
            .or_else(|| billing.as_ref().and_then(|b| b.first_name.clone())),
        last_name: text(c.last_name).or_else(|| billing.as_ref().and_then(|b| b.last_name.clone())),
        company: billing.as_ref().and_then(|b| b.company.clone()),
        phone: billing.as_ref().and_then(|b| b.phone.clone()),
        billing,
        shipping: address(c.shipping),
        created_at,
        modified_at,
        raw: raw.to_owned(),
        external_id: id,
    })
}

/// Whether `manage_stock` says stock is tracked (`true`, or `"parent"` for a variation whose
/// parent tracks it).
fn manages_stock(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => s == "parent" || s == "true" || s == "1",
        Value::Number(n) => n.as_i64() == Some(1),
        _ => false,
    }
}

fn stock(manage: &Value, quantity: &Value) -> Option<i64> {
    if !manages_stock(manage) {
        return None;
    }
    match quantity {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.trunc() as i64)
        }),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f.trunc() as i64),
        _ => None,
    }
}

/// A product from its JSON.
pub fn map_product(raw: &str) -> Result<Product, ConnectorError> {
    let p: WcProduct = parse("product", raw)?;
    let id = required_id("product", p.id)?;
    let (created_at, modified_at) = record_times("product", &id, &p.dates)?;
    Ok(Product {
        sku: text(p.sku),
        name: p.name.unwrap_or_default(),
        status: text(p.status),
        price: money("product", &id, "price", &p.price)?,
        regular_price: money("product", &id, "regular_price", &p.regular_price)?,
        sale_price: money("product", &id, "sale_price", &p.sale_price)?,
        currency: None,
        stock_quantity: stock(&p.manage_stock, &p.stock_quantity),
        has_variations: p.kind.as_deref() == Some("variable"),
        created_at,
        modified_at,
        raw: raw.to_owned(),
        external_id: id,
    })
}

/// A variation from its JSON; `parent_id` is the product it was fetched under, used when
/// the JSON has no `parent_id`.
pub fn map_variation(raw: &str, parent_id: Option<&str>) -> Result<Variation, ConnectorError> {
    let v: WcVariation = parse("variation", raw)?;
    let id = required_id("variation", v.id)?;
    let (created_at, modified_at) = record_times("variation", &id, &v.dates)?;
    let product_id = id_ref(v.parent_id)
        .or_else(|| parent_id.map(str::to_owned))
        .ok_or_else(|| bad_record("variation", Some(&id), "no parent_id"))?;
    let attributes: Vec<(String, String)> = v
        .attributes
        .into_iter()
        .filter_map(|a| Some((text(a.name)?, a.option.unwrap_or_default())))
        .collect();
    let name = text(v.name).or_else(|| {
        let options: Vec<&str> = attributes
            .iter()
            .map(|(_, o)| o.as_str())
            .filter(|o| !o.is_empty())
            .collect();
        (!options.is_empty()).then(|| options.join(", "))
    });
    Ok(Variation {
        product_id,
        sku: text(v.sku),
        name,
        attributes,
        price: money("variation", &id, "price", &v.price)?,
        regular_price: money("variation", &id, "regular_price", &v.regular_price)?,
        sale_price: money("variation", &id, "sale_price", &v.sale_price)?,
        stock_quantity: stock(&v.manage_stock, &v.stock_quantity),
        created_at,
        modified_at,
        raw: raw.to_owned(),
        external_id: id,
    })
}

/// Any record of a resource from its JSON.
pub fn map_entity(
    resource: ResourceKind,
    raw: &str,
    parent_id: Option<&str>,
) -> Result<Entity, ConnectorError> {
    Ok(match resource {
        ResourceKind::Orders => Entity::Order(map_order(raw)?),
        ResourceKind::Customers => Entity::Customer(map_customer(raw)?),
        ResourceKind::Products => Entity::Product(map_product(raw)?),
        ResourceKind::Variations => Entity::Variation(map_variation(raw, parent_id)?),
    })
}

/// The (external id, modified-at) of any entity.
pub fn entity_id_and_modified(e: &Entity) -> (&str, &str) {
    match e {
        Entity::Order(o) => (&o.external_id, &o.modified_at),
        Entity::Customer(c) => (&c.external_id, &c.modified_at),
        Entity::Product(p) => (&p.external_id, &p.modified_at),
        Entity::Variation(v) => (&v.external_id, &v.modified_at),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    pub fn order_json() -> Value {
        json!({
            "id": 727, "parent_id": 0, "status": "processing", "currency": "EUR",
            "date_created": "2017-03-22T17:28:02", "date_modified": "2017-03-22T17:30:00",
            "discount_total": "0.00", "shipping_total": "10.00", "total": "39.80", "total_tax": "4.80",
            "customer_id": 0, "number": "727",
            "billing": {"first_name": "John", "last_name": "Doe", "company": "", "address_1": "969 Market",
                        "address_2": "", "city": "San Francisco", "state": "CA", "postcode": "94103",
                        "country": "US", "email": "john.doe@example.com", "phone": "(555) 555-5555"},
            "shipping": {"first_name": "", "last_name": "", "company": "", "address_1": "", "address_2": "",
                         "city": "", "state": "", "postcode": "", "country": ""},
            "payment_method": "bacs", "date_paid": "2017-03-22T17:28:03", "date_paid_gmt": "2017-03-22T16:28:03",
            "date_created_gmt": "2017-03-22T16:28:02", "date_modified_gmt": "2017-03-22T16:30:00",
            "line_items": [
                {"id": 315, "name": "Woo Single #1", "product_id": 93, "variation_id": 0, "quantity": 2,
                 "subtotal": "12.50", "total": "12.50", "total_tax": "1.25", "sku": "", "price": 6.25},
                {"id": 316, "name": "Ship Your Idea", "product_id": 22, "variation_id": 23, "quantity": 1,
                 "subtotal": "12.50", "total": "12.50", "total_tax": "1.25", "sku": "SYI-BLK", "price": 12.5}
            ],
            "meta_data": [
                {"id": 1, "key": "_wc_shipment_tracking_items", "value": [
                    {"tracking_provider": "dhl", "custom_tracking_provider": "", "tracking_number": "JD0001",
                     "custom_tracking_link": "", "date_shipped": "1490140800", "tracking_id": "abc"}]},
                {"id": 2, "key": "_junction_tracking", "value": [
                    {"number": "BP123", "provider": "bpost", "url": "https://track.bpost.be/BP123",
                     "shipped_at": "2017-03-23T10:00:00Z"},
                    {"number": "JD0001", "provider": "dhl"}]}
            ]
        })
    }

    #[test]
    fn maps_an_order() {
        let raw = order_json().to_string();
        let o = map_order(&raw).unwrap();
        assert_eq!(o.external_id, "727");
        assert_eq!(o.order_number.as_deref(), Some("727"));
        assert_eq!(o.status, "processing");
        assert_eq!(o.currency.as_deref(), Some("EUR"));
        assert_eq!(o.total, "39.80");
        assert_eq!(o.subtotal.as_deref(), Some("25.00"));
        assert_eq!(o.tax_total.as_deref(), Some("4.80"));
        assert_eq!(o.shipping_total.as_deref(), Some("10.00"));
        assert_eq!(o.discount_total.as_deref(), Some("0.00"));
        assert_eq!(o.customer_id, None);
        assert_eq!(o.customer_email.as_deref(), Some("john.doe@example.com"));
        let b = o.billing.as_ref().unwrap();
        assert_eq!(b.line1.as_deref(), Some("969 Market"));
        assert_eq!(b.region.as_deref(), Some("CA"));
        assert_eq!(b.company, None);
        assert!(o.shipping.is_none());
        assert_eq!(o.payment_status.as_deref(), Some("paid"));
        assert_eq!(o.payment_method.as_deref(), Some("bacs"));
        assert_eq!(o.created_at, "2017-03-22T16:28:02Z");
        assert_eq!(o.modified_at, "2017-03-22T16:30:00Z");
        assert_eq!(o.raw, raw);
        let l0 = &o.line_items[0];
        assert_eq!(l0.external_id.as_deref(), Some("315"));
        assert_eq!(l0.product_id.as_deref(), Some("93"));
        assert_eq!(l0.variation_id, None);
        assert_eq!(l0.sku, None);
        assert_eq!(l0.quantity, "2");
        assert_eq!(l0.unit_price, "6.25");
        assert_eq!(l0.total, "12.50");
        assert_eq!(l0.tax.as_deref(), Some("1.25"));
        assert_eq!(o.line_items[1].variation_id.as_deref(), Some("23"));
        assert_eq!(o.line_items[1].unit_price, "12.5");
        // Shipment Tracking first, then ours, without the repeated DHL entry.
        assert_eq!(o.tracking.len(), 2);
        assert_eq!(o.tracking[0].number, "JD0001");
        assert_eq!(o.tracking[0].provider.as_deref(), Some("dhl"));
        assert_eq!(
            o.tracking[0].shipped_at.as_deref(),
            Some("2017-03-22T00:00:00Z")
        );
        assert_eq!(o.tracking[1].number, "BP123");
        assert_eq!(
            o.tracking[1].url.as_deref(),
            Some("https://track.bpost.be/BP123")
        );
        assert_eq!(
            o.tracking[1].shipped_at.as_deref(),
            Some("2017-03-23T10:00:00Z")
        );
    }

    #[test]
    fn order_payment_status_and_leniency() {
        let mut j = order_json();
        j["status"] = json!("refunded");
        assert_eq!(
            map_order(&j.to_string()).unwrap().payment_status.as_deref(),
            Some("refunded")
        );
        j["status"] = json!("pending");
        j["date_paid"] = json!(null);
        j["date_paid_gmt"] = json!(null);
        // Odd but seen: ids as strings, totals as numbers, `[]` for an empty address,
        // customer id set, no *_gmt dates, no modification date.
        j["id"] = json!("727");
        j["total"] = json!(39.8);
        j["shipping"] = json!([]);
        j["customer_id"] = json!(12);
        j["date_created_gmt"] = json!(null);
        j["date_modified_gmt"] = json!(null);
        j["date_modified"] = json!(null);
        j["meta_data"] =
            json!([{"id": 3, "key": "_junction_tracking", "value": "[{\"number\":\"X1\"}]"}]);
        let o = map_order(&j.to_string()).unwrap();
        assert_eq!(o.payment_status.as_deref(), Some("pending"));
        assert_eq!(o.total, "39.8");
        assert_eq!(o.customer_id.as_deref(), Some("12"));
        assert_eq!(o.created_at, "2017-03-22T17:28:02Z");
        assert_eq!(o.modified_at, o.created_at);
        assert_eq!(o.tracking.len(), 1);
        assert_eq!(o.tracking[0].number, "X1");
    }

    #[test]
    fn bad_orders_are_upstream_errors() {
        let mut j = order_json();
        j["total"] = json!("abc");
        let e = map_order(&j.to_string()).unwrap_err();
        assert!(
            matches!(&e, ConnectorError::Upstream(u) if u.message.contains("order 727") && u.message.contains("total")),
            "{e:?}"
        );
        let mut j = order_json();
        j.as_object_mut().unwrap().remove("id");
        assert!(map_order(&j.to_string()).is_err());
        let mut j = order_json();
        j["date_created_gmt"] = json!(null);
        j["date_created"] = json!(null);
        assert!(map_order(&j.to_string()).is_err());
        assert!(map_order("[1,2]").is_err());
    }

    #[test]
    fn maps_a_customer() {
        let raw = json!({
            "id": 25, "date_created": "2017-03-21T16:09:28", "date_created_gmt": "2017-03-21T19:09:28",
            "date_modified": "2017-03-21T16:09:30", "date_modified_gmt": "2017-03-21T19:09:30",
            "email": "john.doe@example.com", "first_name": "John", "last_name": "Doe", "role": "customer",
            "username": "john.doe",
            "billing": {"first_name": "John", "last_name": "Doe", "company": "ACME", "address_1": "969 Market",
                        "address_2": "", "city": "San Francisco", "state": "CA", "postcode": "94103",
                        "country": "US", "email": "john.doe@example.com", "phone": "(555) 555-5555"},
            "shipping": {"first_name": "", "last_name": "", "company": "", "address_1": "", "address_2": "",
                         "city": "", "state": "", "postcode": "", "country": ""},
            "is_paying_customer": false, "meta_data": []
        })
        .to_string();
        let c = map_customer(&raw).unwrap();
        assert_eq!(c.external_id, "25");
        assert_eq!(c.email.as_deref(), Some("john.doe@example.com"));
        assert_eq!(c.first_name.as_deref(), Some("John"));
        assert_eq!(c.company.as_deref(), Some("ACME"));
        assert_eq!(c.phone.as_deref(), Some("(555) 555-5555"));
        assert!(c.billing.is_some() && c.shipping.is_none());
        assert_eq!(c.created_at, "2017-03-21T19:09:28Z");
        assert_eq!(c.modified_at, "2017-03-21T19:09:30Z");
        assert_eq!(c.raw, raw);
    }

    #[test]
    fn maps_products_and_variations() {
        let simple = json!({
            "id": 799, "name": "Ship Your Idea", "type": "simple", "status": "publish", "sku": "SYI",
            "price": "21.99", "regular_price": "21.99", "sale_price": "", "manage_stock": false,
            "stock_quantity": null, "date_created_gmt": "2017-03-23T17:01:14",
            "date_modified_gmt": "2017-03-23T17:01:14"
        });
        let p = map_product(&simple.to_string()).unwrap();
        assert_eq!(p.external_id, "799");
        assert_eq!(p.price.as_deref(), Some("21.99"));
        assert_eq!(p.sale_price, None);
        assert_eq!(p.stock_quantity, None);
        assert!(!p.has_variations);
        assert_eq!(p.status.as_deref(), Some("publish"));

        let mut variable = simple.clone();
        variable["type"] = json!("variable");
        variable["manage_stock"] = json!(true);
        variable["stock_quantity"] = json!(7);
        let p = map_product(&variable.to_string()).unwrap();
        assert!(p.has_variations);
        assert_eq!(p.stock_quantity, Some(7));

        let var = json!({
            "id": 733, "parent_id": 799, "sku": "", "price": "9.00", "regular_price": "10.00", "sale_price": "9.00",
            "manage_stock": "parent", "stock_quantity": 3,
            "attributes": [{"id": 6, "name": "Color", "option": "Black"}, {"id": 0, "name": "Size", "option": "XL"}],
            "date_created_gmt": "2017-03-23T00:36:38", "date_modified_gmt": "2017-03-23T00:36:38"
        });
        let v = map_variation(&var.to_string(), None).unwrap();
        assert_eq!(v.product_id, "799");
        assert_eq!(v.name.as_deref(), Some("Black, XL"));
        assert_eq!(
            v.attributes,
            vec![
                ("Color".into(), "Black".into()),
                ("Size".into(), "XL".into())
            ]
        );
        assert_eq!(v.stock_quantity, Some(3));
        assert_eq!(v.sale_price.as_deref(), Some("9.00"));
        assert_eq!(v.sku, None);

        let mut named = var.clone();
        named["name"] = json!("Ship Your Idea - Black, XL");
        named.as_object_mut().unwrap().remove("parent_id");
        named["manage_stock"] = json!(false);
        let v = map_variation(&named.to_string(), Some("42")).unwrap();
        assert_eq!(v.product_id, "42");
        assert_eq!(v.name.as_deref(), Some("Ship Your Idea - Black, XL"));
        assert_eq!(v.stock_quantity, None);
        assert!(map_variation(&named.to_string(), None).is_err());
    }
}
