//! Lightspeed eCom JSON → the canonical records of the contract.
//!
//! Pure functions of a record's JSON (whose text also becomes the record's `raw`):
//! - ids become strings; linked records (`customer`, `product`) are read from their
//!   `{"resource": {"id": ...}}` link (`false` or `0` = none); empty strings become `None`.
//! - Money stays decimal text ([`junction_sdk::decimal`]). Orders: `total` is `priceIncl`,
//!   `tax-total` is `priceIncl - priceExcl`, `shipping-total` is `shipmentPriceExcl`.
//!   Variations: `price` is `priceExcl`; a higher `oldPriceExcl` (Lightspeed's "was" price)
//!   makes it a sale: `regular-price` is the old price and `sale-price` the current one.
//! - Dates (`2025-01-01T00:00:00+00:00`) are normalised to UTC with `Z`.
//! - Addresses come from the flat `addressBilling*`/`addressShipping*` fields; the line is
//!   street and number, the country its code in upper case.
//! - An order's lines and tracking come from its ordered products and shipments: the ones
//!   the caller fetched (`get` does), else the ones Lightspeed embedded in the order's links
//!   (`"products": {"resource": {"embedded": [...]}}`, as in its webhook payloads), else
//!   none.
//! - Products: every Lightspeed product has at least one variant, and price and stock live
//!   on the variants, so products carry neither and always `has-variations`.

use junction_sdk::decimal;
use junction_sdk::time;
use junction_sdk::types::{
    Address, ConnectorError, Customer, LineItem, Order, Product, Tracking, Variation,
};
use serde_json::Value;

fn upstream(what: &str, message: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::upstream(200, format!("unexpected {what} from Lightspeed: {message}"))
}

fn parse(what: &str, raw: &str) -> Result<Value, ConnectorError> {
    let value: Value = serde_json::from_str(raw).map_err(|e| upstream(what, e))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(upstream(what, "not an object"))
    }
}

fn text(v: &Value, field: &str) -> Option<String> {
    match v.get(field)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A record's id.
pub fn id_of(v: &Value) -> Option<u64> {
    v.get("id")?.as_u64().filter(|id| *id > 0)
}

/// The id inside a `{"resource": {"id": ...}}` link; `None` for `false`, `0` or no link.
pub fn linked_id(v: &Value, field: &str) -> Option<u64> {
    v.get(field)?
        .get("resource")?
        .get("id")?
        .as_u64()
        .filter(|id| *id > 0)
}

fn money(what: &str, v: &Value, field: &str) -> Result<Option<String>, ConnectorError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            decimal::from_json(value).map_err(|e| upstream(what, format!("{field}: {e}")))
        }
    }
}

/// A record's `createdAt` and `updatedAt` as UTC timestamps; a missing `updatedAt` is the
/// creation time.
pub fn times(what: &str, v: &Value) -> Result<(String, String), ConnectorError> {
    let created = text(v, "createdAt")
        .ok_or_else(|| upstream(what, "no createdAt"))
        .and_then(|c| time::normalize_utc(&c).map_err(|e| upstream(what, e)))?;
    let updated = match text(v, "updatedAt") {
        Some(u) => time::normalize_utc(&u).map_err(|e| upstream(what, e))?,
        None => created.clone(),
    };
    Ok((created, updated))
}

/// A record's `updatedAt` in epoch seconds (the paging key).
pub fn updated_secs(what: &str, v: &Value) -> Result<i64, ConnectorError> {
    let (_, updated) = times(what, v)?;
    time::epoch_seconds(&updated).map_err(|e| upstream(what, e))
}

fn address(v: &Value, kind: &str, email: Option<String>, phone: Option<String>) -> Option<Address> {
    let f = |name: &str| text(v, &format!("address{kind}{name}"));
    let street = [f("Street"), f("Number"), f("Extension")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let country = v
        .get(format!("address{kind}Country"))
        .and_then(|c| text(c, "code"))
        .map(|c| c.to_uppercase());
    let (first, last) = (text(v, "firstname"), text(v, "lastname"));
    let line1 = (!street.is_empty()).then_some(street);
    let has_address = line1.is_some() || f("City").is_some() || f("Zipcode").is_some();
    has_address.then(|| Address {
        first_name: first,
        last_name: last,
        company: text(v, "companyName"),
        line1,
        line2: None,
        city: f("City"),
        region: f("Region"),
        postcode: f("Zipcode"),
        country,
        email,
        phone,
    })
}

/// An ordered product (`orderProducts` item) as a line.
pub fn line_item(v: &Value) -> Result<LineItem, ConnectorError> {
    let what = "order product";
    let quantity = money(what, v, "quantityOrdered")?.unwrap_or_else(|| "1".into());
    let total = money(what, v, "priceExcl")?.unwrap_or_else(|| "0".into());
    let unit = match money(what, v, "basePriceExcl")? {
        Some(u) => u,
        None => total.clone(),
    };
    let tax = match money(what, v, "priceIncl")? {
        Some(incl) => Some(difference(&incl, &total).map_err(|e| upstream(what, e))?),
        None => None,
    };
    let name = [text(v, "productTitle"), text(v, "variantTitle")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" - ");
    Ok(LineItem {
        external_id: id_of(v).map(|id| id.to_string()),
        product_id: linked_id(v, "product").map(|id| id.to_string()),
        variation_id: linked_id(v, "variant").map(|id| id.to_string()),
        sku: text(v, "sku").or_else(|| text(v, "articleCode")),
        name,
        quantity,
        unit_price: unit,
        total,
        tax,
    })
}

/// `a - b` for decimal text.
pub fn difference(a: &str, b: &str) -> Result<String, decimal::DecimalError> {
    let negated = match decimal::normalize(b)? {
        n if n.starts_with('-') => n.trim_start_matches('-').to_owned(),
        n if n.trim_start_matches(['0', '.']).is_empty() => n,
        n => format!("-{n}"),
    };
    decimal::sum([a, negated.as_str()])
}

/// A shipment's tracking, when it has a tracking code.
pub fn tracking(shipment: &Value) -> Option<Tracking> {
    Some(Tracking {
        number: text(shipment, "trackingCode")?,
        provider: None,
        url: None,
        shipped_at: None,
    })
}

/// The records embedded in a link field, e.g. an order's `products`.
pub fn embedded(v: &Value, field: &str) -> Vec<Value> {
    v.get(field)
        .and_then(|l| l.get("resource"))
        .and_then(|r| r.get("embedded"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// A Lightspeed order (its JSON text) with the lines and shipments fetched for it (empty:
/// the embedded ones, if any).
pub fn order(raw: &str, lines: &[Value], shipments: &[Value]) -> Result<Order, ConnectorError> {
    let what = "order";
    let v = parse(what, raw)?;
    let (embedded_lines, embedded_shipments) =
        (embedded(&v, "products"), embedded(&v, "shipments"));
    let lines = if lines.is_empty() {
        &embedded_lines
    } else {
        lines
    };
    let shipments = if shipments.is_empty() {
        &embedded_shipments
    } else {
        shipments
    };
    let id = id_of(&v).ok_or_else(|| upstream(what, "no id"))?;
    let (created, modified) = times(what, &v)?;
    let incl = money(what, &v, "priceIncl")?.ok_or_else(|| upstream(what, "no priceIncl"))?;
    let tax_total = match money(what, &v, "priceExcl")? {
        Some(excl) => Some(difference(&incl, &excl).map_err(|e| upstream(what, e))?),
        None => None,
    };
    let email = text(&v, "email");
    let phone = text(&v, "phone");
    Ok(Order {
        external_id: id.to_string(),
        order_number: text(&v, "number"),
        status: text(&v, "status").unwrap_or_default(),
        currency: text(&v, "currency").map(|c| c.to_uppercase()),
        total: incl,
        subtotal: None,
        tax_total,
        shipping_total: money(what, &v, "shipmentPriceExcl")?,
        discount_total: money(what, &v, "discountAmount")?,
        customer_id: linked_id(&v, "customer").map(|c| c.to_string()),
        customer_email: email.clone(),
        billing: address(&v, "Billing", email, phone),
        shipping: address(&v, "Shipping", None, None),
        payment_status: text(&v, "paymentStatus"),
        payment_method: text(&v, "paymentTitle"),
        line_items: lines.iter().map(line_item).collect::<Result<_, _>>()?,
        tracking: shipments.iter().filter_map(tracking).collect(),
        created_at: created,
        modified_at: modified,
        raw: raw.to_owned(),
    })
}

/// A Lightspeed customer.
pub fn customer(raw: &str) -> Result<Customer, ConnectorError> {
    let what = "customer";
    let v = parse(what, raw)?;
    let id = id_of(&v).ok_or_else(|| upstream(what, "no id"))?;
    let (created, modified) = times(what, &v)?;
    let (email, phone) = (text(&v, "email"), text(&v, "phone"));
    Ok(Customer {
        external_id: id.to_string(),
        email: email.clone(),
        first_name: text(&v, "firstname"),
        last_name: text(&v, "lastname"),
        company: text(&v, "companyName"),
        phone: phone.clone(),
        billing: address(&v, "Billing", email, phone),
        shipping: address(&v, "Shipping", None, None),
        created_at: created,
        modified_at: modified,
        raw: raw.to_owned(),
    })
}

/// A Lightspeed product.
pub fn product(raw: &str) -> Result<Product, ConnectorError> {
    let what = "product";
    let v = parse(what, raw)?;
    let id = id_of(&v).ok_or_else(|| upstream(what, "no id"))?;
    let (created, modified) = times(what, &v)?;
    Ok(Product {
        external_id: id.to_string(),
        sku: None,
        name: text(&v, "fulltitle")
            .or_else(|| text(&v, "title"))
            .unwrap_or_default(),
        status: text(&v, "visibility"),
        price: None,
        regular_price: None,
        sale_price: None,
        currency: None,
        stock_quantity: None,
        has_variations: true,
        created_at: created,
        modified_at: modified,
        raw: raw.to_owned(),
    })
}

/// A Lightspeed variant.
pub fn variation(raw: &str) -> Result<Variation, ConnectorError> {
    let what = "variant";
    let v = parse(what, raw)?;
    let id = id_of(&v).ok_or_else(|| upstream(what, "no id"))?;
    let product = linked_id(&v, "product").ok_or_else(|| upstream(what, "no product link"))?;
    let (created, modified) = times(what, &v)?;
    let price = money(what, &v, "priceExcl")?;
    let old = money(what, &v, "oldPriceExcl")?;
    let on_sale = match (&price, &old) {
        (Some(p), Some(o)) => {
            let gap = difference(o, p).map_err(|e| upstream(what, e))?;
            !gap.starts_with('-') && !gap.trim_start_matches(['0', '.']).is_empty()
        }
        _ => false,
    };
    let (regular, sale) = if on_sale {
        (old, price.clone())
    } else {
        (price.clone(), None)
    };
    let tracked = text(&v, "stockTracking").is_none_or(|t| t != "disabled");
    Ok(Variation {
        external_id: id.to_string(),
        product_id: product.to_string(),
        sku: text(&v, "sku").or_else(|| text(&v, "articleCode")),
        name: text(&v, "title"),
        attributes: Vec::new(),
        price,
        regular_price: regular,
        sale_price: sale,
        stock_quantity: if tracked {
            v.get("stockLevel").and_then(Value::as_i64)
        } else {
            None
        },
        created_at: created,
        modified_at: modified,
        raw: raw.to_owned(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn orders_with_lines_addresses_and_tracking() {
        let raw = json!({
            "id": 12, "createdAt": "2025-01-01T00:00:00+01:00", "updatedAt": "2025-01-02T10:00:00+00:00",
            "number": "ORD00012", "status": "processing_awaiting_shipment", "paymentStatus": "paid",
            "shipmentStatus": "not_shipped", "priceExcl": 100.0, "priceIncl": 121.0,
            "shipmentPriceExcl": 4.95, "currency": "eur", "paymentTitle": "iDEAL",
            "email": "klant@voorbeeld.nl", "firstname": "Jan", "lastname": "de Vries",
            "addressBillingStreet": "Kerkstraat", "addressBillingNumber": "5",
            "addressBillingZipcode": "1000AB", "addressBillingCity": "Amsterdam",
            "addressBillingCountry": {"code": "nl", "title": "Netherlands"},
            "customer": {"resource": {"id": 3, "url": "customers/3"}}
        })
        .to_string();
        let lines = [
            json!({"id": 5, "productTitle": "Shirt", "variantTitle": "Red", "quantityOrdered": 2,
            "basePriceExcl": 10.5, "priceExcl": 21.0, "priceIncl": 25.41,
            "product": {"resource": {"id": 7}}, "variant": {"resource": {"id": 70}}}),
        ];
        let shipments = [
            json!({"trackingCode": ""}),
            json!({"trackingCode": "3SABC"}),
        ];
        let o = order(&raw, &lines, &shipments).unwrap();
        assert_eq!(
            (o.external_id.as_str(), o.order_number.as_deref()),
            ("12", Some("ORD00012"))
        );
        assert_eq!(
            (o.total.as_str(), o.tax_total.as_deref()),
            ("121.0", Some("21.0"))
        );
        assert_eq!(o.created_at, "2024-12-31T23:00:00Z");
        assert_eq!(o.customer_id.as_deref(), Some("3"));
        assert_eq!(o.currency.as_deref(), Some("EUR"));
        let billing = o.billing.unwrap();
        assert_eq!(billing.line1.as_deref(), Some("Kerkstraat 5"));
        assert_eq!(billing.country.as_deref(), Some("NL"));
        assert!(o.shipping.is_none(), "no shipping address fields");
        let line = &o.line_items[0];
        assert_eq!(
            (
                line.name.as_str(),
                line.quantity.as_str(),
                line.unit_price.as_str()
            ),
            ("Shirt - Red", "2", "10.5")
        );
        assert_eq!(
            (line.tax.as_deref(), line.variation_id.as_deref()),
            (Some("4.41"), Some("70"))
        );
        assert_eq!(o.tracking.len(), 1);
        assert_eq!(o.tracking[0].number, "3SABC");
        assert!(
            order(
                r#"{"id": 1, "createdAt": "2025-01-01T00:00:00+00:00"}"#,
                &[],
                &[]
            )
            .is_err(),
            "no price"
        );
        // Embedded products and shipments (webhook payloads) are used when none are given.
        let embedded = json!({"id": 2, "createdAt": "2025-01-01T00:00:00+00:00", "priceIncl": 1,
            "products": {"resource": {"id": false, "embedded": lines}},
            "shipments": {"resource": {"id": false, "embedded": [{"trackingCode": "3SEMB"}]}}});
        let o = order(&embedded.to_string(), &[], &[]).unwrap();
        assert_eq!(
            (o.line_items.len(), o.tracking[0].number.as_str()),
            (1, "3SEMB")
        );
    }

    #[test]
    fn variants_sales_and_stock() {
        let base = json!({"id": 70, "createdAt": "2025-01-01T00:00:00+00:00", "product": {"resource": {"id": 7}},
            "title": "Red", "sku": "SKU-7", "priceExcl": 10.0, "oldPriceExcl": 0, "stockLevel": 4,
            "stockTracking": "enabled"});
        let v = variation(&base.to_string()).unwrap();
        assert_eq!(
            (
                v.product_id.as_str(),
                v.price.as_deref(),
                v.regular_price.as_deref(),
                v.sale_price.as_deref()
            ),
            ("7", Some("10.0"), Some("10.0"), None)
        );
        assert_eq!(
            (v.stock_quantity, v.modified_at.as_str()),
            (Some(4), "2025-01-01T00:00:00Z")
        );
        let mut sale = base.clone();
        sale["oldPriceExcl"] = json!(12.5);
        sale["stockTracking"] = json!("disabled");
        let v = variation(&sale.to_string()).unwrap();
        assert_eq!(
            (
                v.regular_price.as_deref(),
                v.sale_price.as_deref(),
                v.stock_quantity
            ),
            (Some("12.5"), Some("10.0"), None)
        );
        let mut orphan = base;
        orphan["product"] = json!({"resource": {"id": false}});
        assert!(variation(&orphan.to_string()).is_err());
    }

    #[test]
    fn customers_and_products() {
        let c = customer(
            &json!({"id": 3, "createdAt": "2025-01-01T00:00:00+00:00", "email": "a@b.nl",
            "firstname": "A", "lastname": "B", "companyName": "", "addressShippingCity": "Gent"})
            .to_string(),
        )
        .unwrap();
        assert_eq!(
            (c.email.as_deref(), c.company.as_deref()),
            (Some("a@b.nl"), None)
        );
        assert!(c.billing.is_none());
        assert_eq!(c.shipping.unwrap().city.as_deref(), Some("Gent"));
        let p = product(
            &json!({"id": 7, "createdAt": "2025-01-01T00:00:00+00:00", "title": "Shirt",
            "fulltitle": "Brand Shirt", "visibility": "visible"})
            .to_string(),
        )
        .unwrap();
        assert_eq!(
            (p.name.as_str(), p.status.as_deref(), p.has_variations),
            ("Brand Shirt", Some("visible"), true)
        );
        assert_eq!(difference("1", "1.5").unwrap(), "-0.5");
    }
}
