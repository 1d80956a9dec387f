//! Vendure Admin API JSON → canonical records, and the GraphQL selections that fetch what
//! the mapping reads.
//!
//! - Orders: `code` is the order number, `state` the status; totals are Vendure's
//!   (`totalWithTax` is the grand total, `subTotal`/`shipping` exclude tax, the tax total is
//!   `totalWithTax - total`); tracking comes from fulfillments with a tracking code;
//!   `modified-at` is the latest of the order's, its payments' and its fulfillments'
//!   `updatedAt`, because Vendure does not touch the order when a fulfillment moves it on.
//! - Products: every Vendure product sells through variants, so `has-variations` is always
//!   true; a single-variant product also carries its variant's SKU, price and stock.
//! - Variations: variants, with the product id, option group/value pairs as attributes.
//!
//! Prices are Vendure's net `price` in minor units (see [`crate::money`]).

use junction_sdk::types::{
    Address, Customer, Entity, LineItem, Order, Product, Tracking, Variation,
};
use serde_json::Value;

use crate::money;

/// The fields of an order the mapping reads.
pub const ORDER_FIELDS: &str = "id code state active currencyCode createdAt updatedAt \
    subTotal shipping total totalWithTax discounts { amount } \
    customer { id emailAddress } \
    shippingAddress { fullName company streetLine1 streetLine2 city province postalCode countryCode phoneNumber } \
    billingAddress { fullName company streetLine1 streetLine2 city province postalCode countryCode phoneNumber } \
    lines { id quantity unitPrice linePrice lineTax productVariant { id sku name productId } } \
    payments { id method state amount updatedAt } \
    fulfillments { id state method trackingCode createdAt updatedAt lines { orderLineId quantity } }";

/// The fields of a customer the mapping reads.
pub const CUSTOMER_FIELDS: &str = "id title firstName lastName emailAddress phoneNumber createdAt updatedAt \
    addresses { fullName company streetLine1 streetLine2 city province postalCode phoneNumber \
    country { code } defaultShippingAddress defaultBillingAddress }";

/// The fields of a product the mapping reads.
pub const PRODUCT_FIELDS: &str = "id name slug enabled createdAt updatedAt \
    variants { id sku price currencyCode stockOnHand }";

/// The fields of a variant the mapping reads.
pub const VARIANT_FIELDS: &str = "id productId sku name enabled price currencyCode stockOnHand \
    createdAt updatedAt options { code name group { name } }";

/// A record Vendure sent that cannot be mapped.
fn bad(what: &str, field: &str) -> junction_sdk::types::ConnectorError {
    junction_sdk::types::ConnectorError::upstream(
        200,
        format!("invalid JSON from upstream: {what} without a usable {field}"),
    )
}

type Result<T> = std::result::Result<T, junction_sdk::types::ConnectorError>;

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn id_of(v: &Value, what: &str) -> Result<String> {
    match v.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(bad(what, "id")),
    }
}

fn time_of(v: &Value, key: &str, what: &str) -> Result<String> {
    let raw = v
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(what, key))?;
    junction_sdk::time::normalize_utc(raw).map_err(|e| e.into_upstream(200))
}

/// A record's `updatedAt` in ms since the epoch (the paging key).
pub fn updated_ms(v: &Value) -> Result<i64> {
    let raw = v
        .get("updatedAt")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("record", "updatedAt"))?;
    junction_sdk::time::parse_utc(raw)
        .map(|t| t.as_millisecond())
        .map_err(|e| e.into_upstream(200))
}

fn money_of(v: &Value, key: &str, decimals: u32) -> Option<String> {
    v.get(key)
        .and_then(Value::as_i64)
        .map(|n| money::to_decimal(n, decimals))
}

/// "Jane van Dijk" → ("Jane", "van Dijk").
fn split_name(full: Option<String>) -> (Option<String>, Option<String>) {
    match full {
        None => (None, None),
        Some(f) => match f.split_once(' ') {
            Some((first, last)) => (Some(first.to_owned()), Some(last.trim().to_owned())),
            None => (Some(f), None),
        },
    }
}

fn address(v: &Value, country: Option<String>, email: Option<String>) -> Option<Address> {
    if !v.is_object() {
        return None;
    }
    let (first_name, last_name) = split_name(str_of(v, "fullName"));
    let a = Address {
        first_name,
        last_name,
        company: str_of(v, "company"),
        line1: str_of(v, "streetLine1"),
        line2: str_of(v, "streetLine2"),
        city: str_of(v, "city"),
        region: str_of(v, "province"),
        postcode: str_of(v, "postalCode"),
        country: country.map(|c| c.to_uppercase()),
        email,
        phone: str_of(v, "phoneNumber"),
    };
    let empty = a.line1.is_none()
        && a.city.is_none()
        && a.postcode.is_none()
        && a.last_name.is_none()
        && a.first_name.is_none()
        && a.country.is_none();
    (!empty).then_some(a)
}

/// An order.
pub fn order(v: &Value, decimals: u32) -> Result<Order> {
    let id = id_of(v, "order")?;
    let email = str_of(&v["customer"], "emailAddress");
    let total_net = v["total"].as_i64();
    let total = v["totalWithTax"]
        .as_i64()
        .ok_or_else(|| bad("order", "totalWithTax"))?;
    let discount: i64 = v["discounts"]
        .as_array()
        .map(|d| d.iter().filter_map(|x| x["amount"].as_i64()).sum())
        .unwrap_or(0);
    let mut line_items = Vec::new();
    for line in v["lines"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let variant = &line["productVariant"];
        line_items.push(LineItem {
            external_id: id_of(line, "order line").ok(),
            product_id: variant["productId"].as_str().map(str::to_owned),
            variation_id: id_of(variant, "variant").ok(),
            sku: str_of(variant, "sku"),
            name: str_of(variant, "name").unwrap_or_default(),
            quantity: line["quantity"].as_i64().unwrap_or(0).to_string(),
            unit_price: money_of(line, "unitPrice", decimals).unwrap_or_else(|| "0".into()),
            total: money_of(line, "linePrice", decimals).unwrap_or_else(|| "0".into()),
            tax: money_of(line, "lineTax", decimals),
        });
    }
    let mut fulfillments: Vec<&Value> = v["fulfillments"]
        .as_array()
        .map(|f| f.iter().collect())
        .unwrap_or_default();
    fulfillments.sort_by_key(|f| {
        (
            f["createdAt"].as_str().unwrap_or("").to_owned(),
            f["id"].as_str().and_then(|i| i.parse::<u64>().ok()),
        )
    });
    let mut tracking = Vec::new();
    for f in &fulfillments {
        let Some(number) = str_of(f, "trackingCode") else {
            continue;
        };
        let shipped = matches!(f["state"].as_str(), Some("Shipped" | "Delivered"));
        tracking.push(Tracking {
            number,
            provider: str_of(f, "method"),
            url: None,
            shipped_at: if shipped {
                time_of(f, "updatedAt", "fulfillment").ok()
            } else {
                None
            },
        });
    }
    let payments: Vec<&Value> = v["payments"]
        .as_array()
        .map(|p| p.iter().collect())
        .unwrap_or_default();
    let last_payment = payments.last();
    // The latest change of the order or anything that moves its state.
    let mut modified = time_of(v, "updatedAt", "order")?;
    for child in payments.iter().chain(fulfillments.iter()) {
        if let Ok(t) = time_of(child, "updatedAt", "order part")
            && junction_sdk::time::compare(&t, &modified).is_ok_and(|o| o.is_gt())
        {
            modified = t;
        }
    }
    Ok(Order {
        external_id: id,
        order_number: str_of(v, "code"),
        status: str_of(v, "state").ok_or_else(|| bad("order", "state"))?,
        currency: str_of(v, "currencyCode"),
        total: money::to_decimal(total, decimals),
        subtotal: money_of(v, "subTotal", decimals),
        tax_total: total_net.map(|net| money::to_decimal(total - net, decimals)),
        shipping_total: money_of(v, "shipping", decimals),
        discount_total: Some(money::to_decimal(-discount, decimals)),
        customer_id: id_of(&v["customer"], "customer").ok(),
        customer_email: email.clone(),
        billing: address(
            &v["billingAddress"],
            str_of(&v["billingAddress"], "countryCode"),
            email.clone(),
        ),
        shipping: address(
            &v["shippingAddress"],
            str_of(&v["shippingAddress"], "countryCode"),
            None,
        ),
        payment_status: last_payment
            .and_then(|p| str_of(p, "state"))
            .map(|s| s.to_lowercase()),
        payment_method: last_payment.and_then(|p| str_of(p, "method")),
        line_items,
        tracking,
        created_at: time_of(v, "createdAt", "order")?,
        modified_at: modified,
        raw: v.to_string(),
    })
}

/// A customer. Billing and shipping are the default addresses.
pub fn customer(v: &Value) -> Result<Customer> {
    let email = str_of(v, "emailAddress");
    let addresses: Vec<&Value> = v["addresses"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let pick = |flag: &str| {
        addresses
            .iter()
            .find(|a| a[flag].as_bool() == Some(true))
            .or(addresses.first())
            .and_then(|a| address(a, str_of(&a["country"], "code"), None))
    };
    let billing = pick("defaultBillingAddress").map(|mut a| {
        a.email = email.clone();
        a
    });
    Ok(Customer {
        external_id: id_of(v, "customer")?,
        email,
        first_name: str_of(v, "firstName"),
        last_name: str_of(v, "lastName"),
        company: billing.as_ref().and_then(|b| b.company.clone()),
        phone: str_of(v, "phoneNumber"),
        billing,
        shipping: pick("defaultShippingAddress"),
        created_at: time_of(v, "createdAt", "customer")?,
        modified_at: time_of(v, "updatedAt", "customer")?,
        raw: v.to_string(),
    })
}

/// A product; single-variant products carry the variant's SKU, price and stock.
pub fn product(v: &Value, decimals: u32) -> Result<Product> {
    let variants = v["variants"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let only = match variants {
        [one] => Some(one),
        _ => None,
    };
    let price = only.and_then(|o| money_of(o, "price", decimals));
    Ok(Product {
        external_id: id_of(v, "product")?,
        sku: only.and_then(|o| str_of(o, "sku")),
        name: str_of(v, "name").unwrap_or_default(),
        status: Some(
            if v["enabled"].as_bool() == Some(false) {
                "disabled"
            } else {
                "enabled"
            }
            .to_owned(),
        ),
        regular_price: price.clone(),
        price,
        sale_price: None,
        currency: variants.first().and_then(|o| str_of(o, "currencyCode")),
        stock_quantity: only.and_then(|o| o["stockOnHand"].as_i64()),
        has_variations: true,
        created_at: time_of(v, "createdAt", "product")?,
        modified_at: time_of(v, "updatedAt", "product")?,
        raw: v.to_string(),
    })
}

/// A variant.
pub fn variation(v: &Value, decimals: u32) -> Result<Variation> {
    let attributes = v["options"]
        .as_array()
        .map(|o| {
            o.iter()
                .filter_map(|opt| Some((str_of(&opt["group"], "name")?, str_of(opt, "name")?)))
                .collect()
        })
        .unwrap_or_default();
    let price = money_of(v, "price", decimals);
    Ok(Variation {
        external_id: id_of(v, "variant")?,
        product_id: match v.get("productId") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(bad("variant", "productId")),
        },
        sku: str_of(v, "sku"),
        name: str_of(v, "name"),
        attributes,
        regular_price: price.clone(),
        price,
        sale_price: None,
        stock_quantity: v["stockOnHand"].as_i64(),
        created_at: time_of(v, "createdAt", "variant")?,
        modified_at: time_of(v, "updatedAt", "variant")?,
        raw: v.to_string(),
    })
}

/// Any record of a resource as an entity.
pub fn entity(kind: junction_sdk::types::ResourceKind, v: &Value, decimals: u32) -> Result<Entity> {
    use junction_sdk::types::ResourceKind as K;
    Ok(match kind {
        K::Orders => Entity::Order(order(v, decimals)?),
        K::Customers => Entity::Customer(customer(v)?),
        K::Products => Entity::Product(product(v, decimals)?),
        K::Variations => Entity::Variation(variation(v, decimals)?),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_an_order() {
        let v = json!({
            "id": "7", "code": "ABC", "state": "Shipped", "active": false, "currencyCode": "EUR",
            "createdAt": "2026-01-01T10:00:00.000Z", "updatedAt": "2026-01-01T10:05:00.000Z",
            "subTotal": 2000, "shipping": 495, "total": 2495, "totalWithTax": 3019,
            "discounts": [{"amount": -100}],
            "customer": {"id": "3", "emailAddress": "a@example.com"},
            "shippingAddress": {"fullName": "Ana De Smet", "streetLine1": "1 Main", "city": "Gent", "postalCode": "9000", "countryCode": "be"},
            "billingAddress": {},
            "lines": [{"id": "11", "quantity": 2, "unitPrice": 1000, "linePrice": 2000, "lineTax": 420,
                       "productVariant": {"id": "5", "sku": "S-5", "name": "Shirt M", "productId": "2"}}],
            "payments": [{"id": "1", "method": "pay-now", "state": "Settled", "amount": 3019, "updatedAt": "2026-01-01T10:01:00.000Z"}],
            "fulfillments": [{"id": "4", "state": "Shipped", "method": "bpost", "trackingCode": "T1",
                              "createdAt": "2026-01-02T08:00:00.000Z", "updatedAt": "2026-01-02T09:00:00.000Z"}]
        });
        let o = order(&v, 2).unwrap();
        assert_eq!(o.external_id, "7");
        assert_eq!(o.order_number.as_deref(), Some("ABC"));
        assert_eq!(o.total, "30.19");
        assert_eq!(o.tax_total.as_deref(), Some("5.24"));
        assert_eq!(o.discount_total.as_deref(), Some("1.00"));
        assert_eq!(o.subtotal.as_deref(), Some("20.00"));
        assert_eq!(o.payment_status.as_deref(), Some("settled"));
        let s = o.shipping.unwrap();
        assert_eq!(
            (s.first_name.as_deref(), s.last_name.as_deref()),
            (Some("Ana"), Some("De Smet"))
        );
        assert_eq!(s.country.as_deref(), Some("BE"));
        assert!(o.billing.is_none());
        let l = &o.line_items[0];
        assert_eq!(
            (l.quantity.as_str(), l.unit_price.as_str(), l.total.as_str()),
            ("2", "10.00", "20.00")
        );
        assert_eq!(l.product_id.as_deref(), Some("2"));
        assert_eq!(o.tracking[0].number, "T1");
        assert_eq!(
            o.tracking[0].shipped_at.as_deref(),
            Some("2026-01-02T09:00:00Z")
        );
        // The fulfillment moved the order on without touching its updatedAt.
        assert_eq!(o.modified_at, "2026-01-02T09:00:00Z");
        assert!(order(&json!({"id": "1"}), 2).is_err());
    }

    #[test]
    fn maps_products_and_variants() {
        let one = json!({"id": "1", "name": "Mug", "enabled": true, "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z", "variants": [{"id": "9", "sku": "MUG", "price": 850, "currencyCode": "EUR", "stockOnHand": 4}]});
        let p = product(&one, 2).unwrap();
        assert_eq!(
            (p.sku.as_deref(), p.price.as_deref(), p.stock_quantity),
            (Some("MUG"), Some("8.50"), Some(4))
        );
        assert!(p.has_variations);
        let mut two = one.clone();
        two["variants"] = json!([{"id": "9", "price": 1}, {"id": "10", "price": 2}]);
        let p = product(&two, 2).unwrap();
        assert_eq!((p.sku, p.price, p.stock_quantity), (None, None, None));
        let v = json!({"id": "10", "productId": "1", "sku": "P-A4", "name": "Poster A4", "price": 990,
            "stockOnHand": 3, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
            "options": [{"code": "a4", "name": "A4", "group": {"name": "Format"}}]});
        let v = variation(&v, 2).unwrap();
        assert_eq!(v.product_id, "1");
        assert_eq!(v.attributes, vec![("Format".to_owned(), "A4".to_owned())]);
        assert_eq!(v.price.as_deref(), Some("9.90"));
    }
}
