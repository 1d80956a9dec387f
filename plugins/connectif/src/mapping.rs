//! Canonical records → Connectif request bodies, by pure functions checked before anything
//! is sent. A value Connectif would refuse (no email, a price that is not a decimal, a
//! fractional quantity) is `invalid-request` naming the field.
//!
//! | canonical | Connectif |
//! |---|---|
//! | customer (email, or billing email) | `PATCH /contacts/{email}` `{_name, _surname, _mobilePhone}` |
//! | product | `PATCH /products/product-id/{external-id}` `{name, unitPrice, unitPriceOriginal, inStockUnits, availability, productDetailUrl, publishedAt}` |
//! | order | `POST /purchases` `{purchaseId, contactEmail, totalPrice, totalQuantity, purchaseDate, paymentMethod, products: [{productId, name, quantity, unitPrice, price}]}` |
//!
//! Money goes as JSON numbers (Connectif's type); the decimal text is parsed by serde_json,
//! which keeps every amount of up to 15 significant digits exact.

use std::str::FromStr;

use junction_sdk::decimal;
use junction_sdk::time;
use junction_sdk::types::{Address, ConnectorError, Customer, Order, Product};
use serde_json::{Map, Number, Value, json};

/// A write refused before anything was sent.
pub fn invalid(message: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::invalid_request(format!("invalid write (not sent to Connectif): {message}"))
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// A plausible email address (what Connectif keys contacts by), lowercased.
pub fn email(value: &str) -> Option<String> {
    let v = value.trim().to_lowercase();
    let (local, domain) = v.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !v.chars().any(char::is_whitespace);
    ok.then_some(v)
}

/// A phone number in international format (`+` and 7 to 15 digits), from common ways of
/// writing one (`+32 470 12 34 56`, `0032-470-123456`). `None` for national numbers, which
/// Connectif cannot take without knowing the country.
pub fn international_phone(value: &str) -> Option<String> {
    let compact: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '/'))
        .collect();
    let digits = compact
        .strip_prefix('+')
        .or_else(|| compact.strip_prefix("00"))?;
    let ok = (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

/// A decimal as a JSON number; `field` names it in the error.
pub fn money(field: &str, value: &str) -> Result<Value, ConnectorError> {
    let normalized = decimal::normalize(value).map_err(|e| invalid(format!("{field}: {e}")))?;
    if normalized.starts_with('-') {
        return Err(invalid(format!("{field} {value:?} is negative")));
    }
    Number::from_str(&normalized)
        .map(Value::Number)
        .map_err(|e| invalid(format!("{field}: {e}")))
}

/// A quantity that must be a whole positive number.
pub fn whole_quantity(field: &str, value: &str) -> Result<u64, ConnectorError> {
    let normalized = decimal::normalize(value).map_err(|e| invalid(format!("{field}: {e}")))?;
    let (int, frac) = normalized.split_once('.').unwrap_or((&normalized, ""));
    if !frac.bytes().all(|b| b == b'0') {
        return Err(invalid(format!(
            "{field} {value:?} is not a whole number (Connectif counts units)"
        )));
    }
    match int.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(invalid(format!("{field} {value:?} must be at least 1"))),
    }
}

/// The contact's key and `PATCH /contacts/{email}` body, plus the names of values left out
/// because Connectif cannot take them (a national phone number).
pub struct ContactWrite {
    pub email: String,
    pub body: Value,
    pub skipped: Vec<&'static str>,
}

/// The contact of a customer: email from `email`, else the billing address's.
pub fn contact(customer: &Customer) -> Result<ContactWrite, ConnectorError> {
    let billing = customer.billing.as_ref();
    let raw_email = non_empty(customer.email.as_deref())
        .or_else(|| billing.and_then(|b| non_empty(b.email.as_deref())))
        .ok_or_else(|| {
            invalid("customer.email is required: Connectif keys contacts by email address")
        })?;
    let email = email(raw_email).ok_or_else(|| {
        invalid(format!(
            "customer.email {raw_email:?} is not an email address"
        ))
    })?;
    let mut body = Map::new();
    let first = non_empty(customer.first_name.as_deref())
        .or_else(|| billing.and_then(|b| non_empty(b.first_name.as_deref())));
    let last = non_empty(customer.last_name.as_deref())
        .or_else(|| billing.and_then(|b| non_empty(b.last_name.as_deref())));
    if let Some(f) = first {
        body.insert("_name".into(), json!(f));
    }
    if let Some(l) = last {
        body.insert("_surname".into(), json!(l));
    }
    let mut skipped = Vec::new();
    let phone = non_empty(customer.phone.as_deref())
        .or_else(|| billing.and_then(|b| non_empty(b.phone.as_deref())));
    if let Some(p) = phone {
        match international_phone(p) {
            Some(intl) => {
                body.insert("_mobilePhone".into(), json!(intl));
            }
            None => skipped.push("customer.phone (not in international format)"),
        }
    }
    Ok(ContactWrite {
        email,
        body: Value::Object(body),
        skipped,
    })
}

/// The contact body for a buyer known only from an order (names from the billing address).
pub fn buyer_contact(billing: Option<&Address>) -> Value {
    let mut body = Map::new();
    if let Some(b) = billing {
        if let Some(f) = non_empty(b.first_name.as_deref()) {
            body.insert("_name".into(), json!(f));
        }
        if let Some(l) = non_empty(b.last_name.as_deref()) {
            body.insert("_surname".into(), json!(l));
        }
    }
    Value::Object(body)
}

/// A product's page URL: the template with `{id}`/`{sku}` replaced, else the raw JSON's
/// `permalink` or `url`.
pub fn product_url(
    template: Option<&str>,
    id: &str,
    sku: Option<&str>,
    raw: &str,
) -> Option<String> {
    if let Some(t) = template {
        return Some(t.replace("{id}", id).replace("{sku}", sku.unwrap_or(id)));
    }
    let raw: Value = serde_json::from_str(raw).ok()?;
    ["permalink", "url", "productDetailUrl"]
        .iter()
        .find_map(|k| raw.get(*k).and_then(Value::as_str))
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .map(str::to_owned)
}

/// The `PATCH /products/product-id/{id}` body of a product.
pub fn product(p: &Product, url_template: Option<&str>) -> Result<Value, ConnectorError> {
    if p.external_id.trim().is_empty() {
        return Err(invalid("product.external-id is required"));
    }
    let name = non_empty(Some(&p.name)).ok_or_else(|| invalid("product.name is required"))?;
    let price = non_empty(p.price.as_deref())
        .or_else(|| non_empty(p.regular_price.as_deref()))
        .ok_or_else(|| invalid("product.price is required (Connectif's unitPrice)"))?;
    let url = product_url(url_template, p.external_id.trim(), p.sku.as_deref(), &p.raw)
        .ok_or_else(|| {
            invalid("product-detail-url: Connectif needs a product page URL; set product_url_template in the connection config")
        })?;
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    body.insert("productDetailUrl".into(), json!(url));
    body.insert("unitPrice".into(), money("product.price", price)?);
    if let Some(regular) = non_empty(p.regular_price.as_deref())
        && decimal::normalize(regular).ok() != decimal::normalize(price).ok()
    {
        body.insert(
            "unitPriceOriginal".into(),
            money("product.regular-price", regular)?,
        );
    }
    if let Some(stock) = p.stock_quantity {
        body.insert("inStockUnits".into(), json!(stock.max(0)));
        body.insert(
            "availability".into(),
            json!(if stock > 0 { "instock" } else { "outofstock" }),
        );
    }
    let published = time::normalize_utc(&p.created_at)
        .map_err(|e| invalid(format!("product.created-at: {e}")))?;
    body.insert("publishedAt".into(), json!(published));
    Ok(Value::Object(body))
}

/// The purchase of an order, and the buyer's email.
pub struct PurchaseWrite {
    pub purchase_id: String,
    pub email: String,
    pub body: Value,
}

/// The `POST /purchases` body of an order, filed under `purchase_id`.
pub fn purchase(order: &Order, purchase_id: &str) -> Result<PurchaseWrite, ConnectorError> {
    let purchase_id = non_empty(Some(purchase_id))
        .ok_or_else(|| invalid("order.external-id is required (Connectif's purchaseId)"))?;
    let raw_email = non_empty(order.customer_email.as_deref())
        .or_else(|| {
            order
                .billing
                .as_ref()
                .and_then(|b| non_empty(b.email.as_deref()))
        })
        .ok_or_else(|| {
            invalid("order.customer-email is required: Connectif files purchases under the buyer's email")
        })?;
    let email = email(raw_email).ok_or_else(|| {
        invalid(format!(
            "order.customer-email {raw_email:?} is not an email address"
        ))
    })?;
    if order.line_items.is_empty() {
        return Err(invalid(
            "order.line-items: Connectif needs at least one purchased product",
        ));
    }
    let mut products = Vec::new();
    let mut total_quantity = 0u64;
    for (i, line) in order.line_items.iter().enumerate() {
        let field = |f: &str| format!("order.line-items[{i}].{f}");
        // A line with nothing left on it (removed or fully cancelled in the shop) was not
        // purchased; shops keep such lines, Connectif has no use for them.
        if decimal::normalize(&line.quantity).is_ok_and(|q| {
            q.trim_start_matches('-')
                .bytes()
                .all(|b| b == b'0' || b == b'.')
        }) {
            continue;
        }
        let product_id = non_empty(line.product_id.as_deref()).ok_or_else(|| {
            invalid(format!(
                "{} is required: purchases reference catalogue products",
                field("product-id")
            ))
        })?;
        let name = non_empty(Some(&line.name))
            .ok_or_else(|| invalid(format!("{} is required", field("name"))))?;
        let quantity = whole_quantity(&field("quantity"), &line.quantity)?;
        total_quantity += quantity;
        products.push(json!({
            "productId": product_id,
            "name": name,
            "quantity": quantity,
            "unitPrice": money(&field("unit-price"), &line.unit_price)?,
            "price": money(&field("total"), &line.total)?,
        }));
    }
    if products.is_empty() {
        return Err(invalid(
            "order.line-items: no line has a quantity above 0, so nothing was purchased",
        ));
    }
    let mut body = Map::new();
    body.insert("purchaseId".into(), json!(purchase_id));
    body.insert("contactEmail".into(), json!(email));
    body.insert("totalPrice".into(), money("order.total", &order.total)?);
    body.insert("totalQuantity".into(), json!(total_quantity));
    let date = time::normalize_utc(&order.created_at)
        .map_err(|e| invalid(format!("order.created-at: {e}")))?;
    body.insert("purchaseDate".into(), json!(date));
    if let Some(m) = non_empty(order.payment_method.as_deref()) {
        body.insert("paymentMethod".into(), json!(m));
    }
    body.insert("products".into(), Value::Array(products));
    Ok(PurchaseWrite {
        purchase_id: purchase_id.to_owned(),
        email,
        body: Value::Object(body),
    })
}

fn same_number(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a.and_then(Value::as_f64), b.and_then(Value::as_f64)) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    }
}

/// Whether the purchase Connectif holds already says what `body` would write (then a
/// rewrite is skipped, saving requests and never re-firing workflows).
pub fn same_purchase(existing: &Value, body: &Value) -> bool {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_lowercase);
    let instant = |v: &Value| {
        v.get("purchaseDate")
            .and_then(Value::as_str)
            .and_then(|s| time::parse_utc(s).ok())
    };
    let lines = |v: &Value| {
        v.get("products")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (old, new) = (lines(existing), lines(body));
    text(existing, "contactEmail") == text(body, "contactEmail")
        && same_number(existing.get("totalPrice"), body.get("totalPrice"))
        && same_number(existing.get("totalQuantity"), body.get("totalQuantity"))
        && instant(existing) == instant(body)
        && text(existing, "paymentMethod") == text(body, "paymentMethod")
        && old.len() == new.len()
        && old.iter().zip(&new).all(|(a, b)| {
            a.get("productId") == b.get("productId")
                && a.get("name") == b.get("name")
                && same_number(a.get("quantity"), b.get("quantity"))
                && same_number(a.get("unitPrice"), b.get("unitPrice"))
                && same_number(a.get("price"), b.get("price"))
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use junction_sdk::types::LineItem;

    fn customer() -> Customer {
        Customer {
            external_id: "5".into(),
            email: Some(" Ana@Example.COM ".into()),
            first_name: Some("Ana".into()),
            last_name: None,
            company: None,
            phone: Some("+34 600 11 12 22".into()),
            billing: Some(Address {
                first_name: None,
                last_name: Some("García".into()),
                company: None,
                line1: None,
                line2: None,
                city: None,
                region: None,
                postcode: None,
                country: None,
                email: None,
                phone: None,
            }),
            shipping: None,
            created_at: "2025-01-01T00:00:00Z".into(),
            modified_at: "2025-01-02T00:00:00Z".into(),
            raw: "{}".into(),
        }
    }

    pub(crate) fn order() -> Order {
        Order {
            external_id: "1001".into(),
            order_number: Some("1001".into()),
            status: "completed".into(),
            currency: Some("EUR".into()),
            total: "25.50".into(),
            subtotal: None,
            tax_total: None,
            shipping_total: None,
            discount_total: None,
            customer_id: None,
            customer_email: Some("bo@example.com".into()),
            billing: None,
            shipping: None,
            payment_status: None,
            payment_method: Some("paypal".into()),
            line_items: vec![LineItem {
                external_id: None,
                product_id: Some("7".into()),
                variation_id: None,
                sku: None,
                name: "Mug".into(),
                quantity: "2".into(),
                unit_price: "10.25".into(),
                total: "20.50".into(),
                tax: None,
            }],
            tracking: vec![],
            created_at: "2025-01-02T03:04:05Z".into(),
            modified_at: "2025-01-02T03:04:05Z".into(),
            raw: "{}".into(),
        }
    }

    fn message(e: ConnectorError) -> String {
        match e {
            ConnectorError::InvalidRequest(m) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn customers_become_contacts() {
        let c = contact(&customer()).unwrap();
        assert_eq!(c.email, "ana@example.com");
        assert_eq!(
            c.body,
            json!({"_name": "Ana", "_surname": "García", "_mobilePhone": "+34600111222"})
        );
        let mut national = customer();
        national.phone = Some("0470 12 34 56".into());
        let c = contact(&national).unwrap();
        assert!(c.body.get("_mobilePhone").is_none());
        assert_eq!(c.skipped.len(), 1);
        let mut none = customer();
        none.email = None;
        assert!(message(contact(&none).err().unwrap()).contains("customer.email"));
        none.email = Some("not-an-email".into());
        assert!(message(contact(&none).err().unwrap()).contains("not an email"));
        assert_eq!(
            international_phone("0032 470-12.34.56").as_deref(),
            Some("+32470123456")
        );
        assert_eq!(international_phone("12"), None);
    }

    #[test]
    fn products_need_a_price_and_a_url() {
        let p = Product {
            external_id: "7".into(),
            sku: Some("MUG-1".into()),
            name: "Mug".into(),
            status: None,
            price: Some("8.00".into()),
            regular_price: Some("10.25".into()),
            sale_price: Some("8.00".into()),
            currency: None,
            stock_quantity: Some(0),
            has_variations: false,
            created_at: "2025-01-01T00:00:00".into(),
            modified_at: "2025-01-01T00:00:00Z".into(),
            raw: r#"{"permalink":"https://shop.example/mug"}"#.into(),
        };
        let body = product(&p, None).unwrap();
        assert_eq!(
            body,
            json!({"name": "Mug", "productDetailUrl": "https://shop.example/mug", "unitPrice": 8.0,
                   "unitPriceOriginal": 10.25, "inStockUnits": 0, "availability": "outofstock",
                   "publishedAt": "2025-01-01T00:00:00Z"})
        );
        let body = product(&p, Some("https://s.example/p/{id}?sku={sku}")).unwrap();
        assert_eq!(body["productDetailUrl"], "https://s.example/p/7?sku=MUG-1");
        let mut bad = p.clone();
        bad.price = Some("ten".into());
        assert!(message(product(&bad, None).err().unwrap()).contains("product.price"));
        let mut no_url = p.clone();
        no_url.raw = "{}".into();
        assert!(message(product(&no_url, None).err().unwrap()).contains("product_url_template"));
    }

    #[test]
    fn orders_become_purchases() {
        let w = purchase(&order(), "1001").unwrap();
        assert_eq!(w.email, "bo@example.com");
        assert_eq!(
            w.body,
            json!({"purchaseId": "1001", "contactEmail": "bo@example.com", "totalPrice": 25.5,
                   "totalQuantity": 2, "purchaseDate": "2025-01-02T03:04:05Z", "paymentMethod": "paypal",
                   "products": [{"productId": "7", "name": "Mug", "quantity": 2, "unitPrice": 10.25, "price": 20.5}]})
        );
        assert!(same_purchase(&w.body, &w.body));
        let mut changed = order();
        changed.total = "30".into();
        let other = purchase(&changed, "1001").unwrap();
        assert!(!same_purchase(&w.body, &other.body));
        let mut no_email = order();
        no_email.customer_email = None;
        assert!(message(purchase(&no_email, "1").err().unwrap()).contains("order.customer-email"));
        let mut weight = order();
        weight.line_items[0].quantity = "1.5".into();
        assert!(message(purchase(&weight, "1").err().unwrap()).contains("line-items[0].quantity"));
        let mut no_product = order();
        no_product.line_items[0].product_id = None;
        assert!(
            message(purchase(&no_product, "1").err().unwrap()).contains("line-items[0].product-id")
        );
        let mut bad_total = order();
        bad_total.total = "1,5".into();
        assert!(message(purchase(&bad_total, "1").err().unwrap()).contains("order.total"));
    }

    #[test]
    fn lines_with_nothing_left_on_them_are_not_purchased() {
        let mut removed = order();
        let mut kept = removed.line_items[0].clone();
        kept.quantity = "1".into();
        removed.line_items[0].quantity = "0".into();
        removed.line_items.push(kept);
        let w = purchase(&removed, "1").unwrap();
        assert_eq!(w.body["products"].as_array().unwrap().len(), 1);
        assert_eq!(w.body["totalQuantity"], 1);
        let mut cancelled = order();
        cancelled.line_items[0].quantity = "0.000".into();
        assert!(
            message(purchase(&cancelled, "1").err().unwrap())
                .contains("no line has a quantity above 0")
        );
    }
}
