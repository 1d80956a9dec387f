//! Shopify GraphQL objects → the canonical records of the contract (pure; the node's JSON
//! text becomes the record's `raw`).
//!
//! - Ids are the numeric `legacyResourceId`s (the number at the end of the global id), so
//!   `get` and writes take the same ids the listing gives.
//! - Money is the shop currency amount (`…Set.shopMoney.amount`), as decimal text.
//! - Orders: `status` from [`crate::status::read_status`]; `payment-status` is
//!   `displayFinancialStatus` lowercased (`paid`, `pending`, `refunded`, ...);
//!   `payment-method` the first payment gateway; tracking from the fulfillments'
//!   `trackingInfo`, `shipped-at` the fulfillment's creation. Line `unit-price` is the
//!   original unit price, `total` the discounted line total.
//! - Prices of variants (and of single-variant products): Shopify's `price` is what the
//!   customer pays and `compareAtPrice` the "was" price, so a `compareAtPrice` above
//!   `price` means a sale: `regular-price` = `compareAtPrice`, `sale-price` = `price`;
//!   otherwise `regular-price` = `price` and no sale.
//! - Products: `has-variations` unless Shopify says `hasOnlyDefaultVariant`; `sku` and
//!   prices only for single-variant products; `stock-quantity` is `totalInventory` when the
//!   product tracks inventory. Variations: `name` is the variant title, `attributes` the
//!   selected options, `stock-quantity` the variant's `inventoryQuantity`.
//! - Stock read is the shop-wide available quantity (all locations), while stock writes
//!   set the configured `location_id`'s quantity: in a shop with several stocked locations
//!   a write of 42 reads back as 42 plus the other locations' stock.

use junction_sdk::decimal;
use junction_sdk::time;
use junction_sdk::types::{
    Address, ConnectorError, Customer, Entity, LineItem, Order, Product, ResourceKind, Tracking,
    Variation,
};
use serde_json::Value;

use crate::keyset::Key;
use crate::status::read_status;

fn bad(what: &str, node: &Value, message: impl std::fmt::Display) -> ConnectorError {
    let id = node
        .get("legacyResourceId")
        .and_then(Value::as_str)
        .unwrap_or("?");
    ConnectorError::upstream(200, format!("{what} {id}: {message}"))
}

fn text(node: &Value, field: &str) -> Option<String> {
    node.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn required(what: &str, node: &Value, field: &str) -> Result<String, ConnectorError> {
    text(node, field).ok_or_else(|| bad(what, node, format!("{field} is missing")))
}

fn date(what: &str, node: &Value, field: &str) -> Result<String, ConnectorError> {
    let raw = required(what, node, field)?;
    time::normalize_utc(&raw).map_err(|e| bad(what, node, format!("{field}: {e}")))
}

/// The amount of a `MoneyBag` field (`field.shopMoney.amount`).
fn money(what: &str, node: &Value, field: &str) -> Result<Option<String>, ConnectorError> {
    let Some(amount) = node
        .get(field)
        .and_then(|bag| bag.pointer("/shopMoney/amount"))
    else {
        return Ok(None);
    };
    decimal::from_json(amount).map_err(|e| bad(what, node, format!("{field}: {e}")))
}

fn amount(what: &str, node: &Value, field: &str) -> Result<Option<String>, ConnectorError> {
    match node.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => decimal::from_json(v).map_err(|e| bad(what, node, format!("{field}: {e}"))),
    }
}

/// The numeric id at the end of a global id (`gid://shopify/LineItem/7` → `7`).
pub fn gid_number(gid: &str) -> Option<&str> {
    let n = gid.rsplit('/').next()?;
    let n = n.split('?').next()?;
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(n)
}

/// `(price, regular, sale)` from Shopify's `price` and `compareAtPrice`.
pub fn prices(
    price: Option<String>,
    compare_at: Option<String>,
) -> (Option<String>, Option<String>, Option<String>) {
    let on_sale = match (&price, &compare_at) {
        (Some(p), Some(c)) => matches!(
            (decimal::parse(p), decimal::parse(c)),
            (Ok(p), Ok(c)) if c > p
        ),
        _ => false,
    };
    if on_sale {
        (price.clone(), compare_at, price)
    } else {
        (price.clone(), price, None)
    }
}

fn address(a: &Value) -> Option<Address> {
    if !a.is_object() {
        return None;
    }
    Some(Address {
        first_name: text(a, "firstName"),
        last_name: text(a, "lastName"),
        company: text(a, "company"),
        line1: text(a, "address1"),
        line2: text(a, "address2"),
        city: text(a, "city"),
        region: text(a, "province"),
        postcode: text(a, "zip"),
        country: text(a, "countryCodeV2"),
        email: None,
        phone: text(a, "phone"),
    })
}

fn line_item(order: &Value, line: &Value) -> Result<LineItem, ConnectorError> {
    let quantity = line
        .get("quantity")
        .and_then(Value::as_i64)
        .ok_or_else(|| bad("order", order, "a line has no quantity"))?;
    let unit_price = money("order", line, "originalUnitPriceSet")?.unwrap_or_else(|| "0".into());
    let total = match money("order", line, "discountedTotalSet")? {
        Some(t) => t,
        None => decimal::parse(&unit_price)
            .map(|p| decimal::to_text(p * decimal::Decimal::from(quantity)))
            .map_err(|e| bad("order", order, e))?,
    };
    Ok(LineItem {
        external_id: text(line, "id")
            .as_deref()
            .and_then(gid_number)
            .map(str::to_owned),
        product_id: line
            .get("product")
            .and_then(|p| text(p, "legacyResourceId")),
        variation_id: line
            .get("variant")
            .and_then(|v| text(v, "legacyResourceId")),
        sku: text(line, "sku"),
        name: text(line, "name").unwrap_or_default(),
        quantity: decimal::from_i64(quantity),
        unit_price,
        total,
        tax: None,
    })
}

fn tracking(order: &Value) -> Result<Vec<Tracking>, ConnectorError> {
    let mut out = Vec::new();
    for f in order
        .get("fulfillments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let shipped_at = match text(f, "createdAt") {
            Some(t) => Some(time::normalize_utc(&t).map_err(|e| bad("order", order, e))?),
            None => None,
        };
        for t in f
            .get("trackingInfo")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(number) = text(t, "number") {
                out.push(Tracking {
                    number,
                    provider: text(t, "company"),
                    url: text(t, "url"),
                    shipped_at: shipped_at.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// An order node (its `lineItems.nodes` complete).
pub fn map_order(node: &Value) -> Result<Order, ConnectorError> {
    let w = "order";
    let lines = node
        .pointer("/lineItems/nodes")
        .and_then(Value::as_array)
        .map(|l| l.iter().map(|line| line_item(node, line)).collect())
        .transpose()?
        .unwrap_or_default();
    let closed = node.get("closed").and_then(Value::as_bool).unwrap_or(false);
    let cancelled = node.get("cancelledAt").is_some_and(|c| !c.is_null());
    Ok(Order {
        external_id: required(w, node, "legacyResourceId")?,
        order_number: text(node, "name"),
        status: read_status(
            cancelled,
            closed,
            text(node, "displayFulfillmentStatus").as_deref(),
        ),
        currency: text(node, "currencyCode"),
        total: money(w, node, "totalPriceSet")?.unwrap_or_else(|| "0".into()),
        subtotal: money(w, node, "subtotalPriceSet")?,
        tax_total: money(w, node, "totalTaxSet")?,
        shipping_total: money(w, node, "totalShippingPriceSet")?,
        discount_total: money(w, node, "totalDiscountsSet")?,
        customer_id: node
            .get("customer")
            .and_then(|c| text(c, "legacyResourceId")),
        customer_email: text(node, "email"),
        billing: node.get("billingAddress").and_then(address),
        shipping: node.get("shippingAddress").and_then(address),
        payment_status: text(node, "displayFinancialStatus").map(|s| s.to_ascii_lowercase()),
        payment_method: node
            .get("paymentGatewayNames")
            .and_then(Value::as_array)
            .and_then(|g| g.first())
            .and_then(Value::as_str)
            .map(str::to_owned),
        line_items: lines,
        tracking: tracking(node)?,
        created_at: date(w, node, "createdAt")?,
        modified_at: date(w, node, "updatedAt")?,
        raw: node.to_string(),
    })
}

/// A customer node.
pub fn map_customer(node: &Value) -> Result<Customer, ConnectorError> {
    let w = "customer";
    let default_address = node.get("defaultAddress").and_then(address);
    Ok(Customer {
        external_id: required(w, node, "legacyResourceId")?,
        email: node
            .get("defaultEmailAddress")
            .and_then(|e| text(e, "emailAddress")),
        first_name: text(node, "firstName"),
        last_name: text(node, "lastName"),
        company: default_address.as_ref().and_then(|a| a.company.clone()),
        phone: node
            .get("defaultPhoneNumber")
            .and_then(|p| text(p, "phoneNumber")),
        billing: default_address,
        shipping: None,
        created_at: date(w, node, "createdAt")?,
        modified_at: date(w, node, "updatedAt")?,
        raw: node.to_string(),
    })
}

/// A product node (with its first variant).
pub fn map_product(node: &Value) -> Result<Product, ConnectorError> {
    let w = "product";
    let single = node
        .get("hasOnlyDefaultVariant")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let first = node
        .pointer("/variants/nodes/0")
        .filter(|_| single)
        .cloned()
        .unwrap_or(Value::Null);
    let (price, regular, sale) = prices(
        amount(w, &first, "price")?,
        amount(w, &first, "compareAtPrice")?,
    );
    let tracks = node
        .get("tracksInventory")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(Product {
        external_id: required(w, node, "legacyResourceId")?,
        sku: text(&first, "sku"),
        name: text(node, "title").unwrap_or_default(),
        status: text(node, "status").map(|s| s.to_ascii_lowercase()),
        price,
        regular_price: regular,
        sale_price: sale,
        currency: None,
        stock_quantity: node
            .get("totalInventory")
            .and_then(Value::as_i64)
            .filter(|_| tracks),
        has_variations: !single,
        created_at: date(w, node, "createdAt")?,
        modified_at: date(w, node, "updatedAt")?,
        raw: node.to_string(),
    })
}

/// A variant node of product `parent`.
pub fn map_variation(node: &Value, parent: &str) -> Result<Variation, ConnectorError> {
    let w = "variation";
    let (price, regular, sale) = prices(
        amount(w, node, "price")?,
        amount(w, node, "compareAtPrice")?,
    );
    let attributes = node
        .get("selectedOptions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| Some((text(o, "name")?, text(o, "value")?)))
        .collect();
    Ok(Variation {
        external_id: required(w, node, "legacyResourceId")?,
        product_id: node
            .get("product")
            .and_then(|p| text(p, "legacyResourceId"))
            .unwrap_or_else(|| parent.to_owned()),
        sku: text(node, "sku"),
        name: text(node, "title"),
        attributes,
        price,
        regular_price: regular,
        sale_price: sale,
        stock_quantity: node.get("inventoryQuantity").and_then(Value::as_i64),
        created_at: date(w, node, "createdAt")?,
        modified_at: date(w, node, "updatedAt")?,
        raw: node.to_string(),
    })
}

/// A node of any resource as a canonical entity.
pub fn map_entity(
    resource: ResourceKind,
    node: &Value,
    parent: Option<&str>,
) -> Result<Entity, ConnectorError> {
    Ok(match resource {
        ResourceKind::Orders => Entity::Order(map_order(node)?),
        ResourceKind::Customers => Entity::Customer(map_customer(node)?),
        ResourceKind::Products => Entity::Product(map_product(node)?),
        ResourceKind::Variations => Entity::Variation(map_variation(node, parent.unwrap_or(""))?),
    })
}

/// A node's `(updatedAt, id)` key.
pub fn key_of(node: &Value) -> Result<Key, ConnectorError> {
    let id = required("record", node, "legacyResourceId")?;
    let id = id
        .parse::<u64>()
        .map_err(|_| bad("record", node, "legacyResourceId is not a number"))?;
    let updated = required("record", node, "updatedAt")?;
    let secs = time::epoch_seconds(&updated).map_err(|e| bad("record", node, e))?;
    Ok((secs, id))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn money_bag(amount: &str) -> Value {
        json!({"shopMoney": {"amount": amount}})
    }

    fn order_json() -> Value {
        json!({
            "id": "gid://shopify/Order/5100000001", "legacyResourceId": "5100000001", "name": "#1001",
            "email": "emma@example.com", "createdAt": "2025-01-01T10:00:00Z", "updatedAt": "2025-01-02T10:00:00Z",
            "closed": true, "cancelledAt": null, "displayFinancialStatus": "PAID",
            "displayFulfillmentStatus": "FULFILLED", "currencyCode": "EUR", "paymentGatewayNames": ["bogus"],
            "totalPriceSet": money_bag("24.95"), "subtotalPriceSet": money_bag("20.00"),
            "totalTaxSet": money_bag("3.47"), "totalShippingPriceSet": money_bag("4.95"),
            "totalDiscountsSet": money_bag("0.0"),
            "customer": {"legacyResourceId": "6200000001"},
            "billingAddress": {"firstName": "Emma", "lastName": "Peeters", "address1": "Kerkstraat 1",
                "city": "Gent", "zip": "9000", "countryCodeV2": "BE", "company": null},
            "shippingAddress": null,
            "lineItems": {"pageInfo": {"hasNextPage": false, "endCursor": "x"}, "nodes": [{
                "id": "gid://shopify/LineItem/77", "sku": "SKU-1-1", "name": "Product 1", "quantity": 2,
                "variant": {"legacyResourceId": "8400000001"}, "product": {"legacyResourceId": "7300000001"},
                "originalUnitPriceSet": money_bag("10.00"), "discountedTotalSet": money_bag("20.00")}]},
            "fulfillments": [{"createdAt": "2025-01-02T09:00:00Z", "trackingInfo": [{"number": "3SBPB1", "company": "bpost", "url": null}]}]
        })
    }

    #[test]
    fn orders_map_money_lines_tracking_and_status() {
        let o = map_order(&order_json()).unwrap();
        assert_eq!(o.external_id, "5100000001");
        assert_eq!(o.order_number.as_deref(), Some("#1001"));
        assert_eq!(o.status, "completed");
        assert_eq!(o.total, "24.95");
        assert_eq!(o.discount_total.as_deref(), Some("0.0"));
        assert_eq!(o.payment_status.as_deref(), Some("paid"));
        assert_eq!(o.payment_method.as_deref(), Some("bogus"));
        assert_eq!(o.customer_id.as_deref(), Some("6200000001"));
        assert_eq!(o.billing.as_ref().unwrap().country.as_deref(), Some("BE"));
        assert!(o.shipping.is_none());
        let line = &o.line_items[0];
        assert_eq!(line.external_id.as_deref(), Some("77"));
        assert_eq!(line.variation_id.as_deref(), Some("8400000001"));
        assert_eq!(
            (
                line.quantity.as_str(),
                line.unit_price.as_str(),
                line.total.as_str()
            ),
            ("2", "10.00", "20.00")
        );
        assert_eq!(o.tracking[0].number, "3SBPB1");
        assert_eq!(
            o.tracking[0].shipped_at.as_deref(),
            Some("2025-01-02T09:00:00Z")
        );
        assert!(o.raw.contains("5100000001"));
        let mut broken = order_json();
        broken["totalPriceSet"] = money_bag("lots");
        assert!(map_order(&broken).is_err());
    }

    #[test]
    fn sale_prices_come_from_compare_at() {
        assert_eq!(
            prices(Some("8.00".into()), Some("10.00".into())),
            (
                Some("8.00".into()),
                Some("10.00".into()),
                Some("8.00".into())
            )
        );
        assert_eq!(
            prices(Some("8.00".into()), Some("5.00".into())),
            (Some("8.00".into()), Some("8.00".into()), None)
        );
        assert_eq!(
            prices(Some("8.00".into()), None),
            (Some("8.00".into()), Some("8.00".into()), None)
        );
    }

    #[test]
    fn products_and_variations() {
        let single = json!({"legacyResourceId": "1", "title": "Mug", "status": "ACTIVE",
            "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z",
            "totalInventory": 12, "tracksInventory": true, "hasOnlyDefaultVariant": true,
            "variants": {"nodes": [{"sku": "MUG", "price": "8.00", "compareAtPrice": "10.00"}]}});
        let p = map_product(&single).unwrap();
        assert_eq!(
            (p.status.as_deref(), p.sku.as_deref(), p.stock_quantity),
            (Some("active"), Some("MUG"), Some(12))
        );
        assert_eq!(p.sale_price.as_deref(), Some("8.00"));
        assert!(!p.has_variations);
        let mut multi = single.clone();
        multi["hasOnlyDefaultVariant"] = json!(false);
        let p = map_product(&multi).unwrap();
        assert!(p.has_variations && p.sku.is_none() && p.price.is_none());
        let v = json!({"legacyResourceId": "9", "title": "XL", "sku": "T-XL", "price": "12.00",
            "compareAtPrice": null, "inventoryQuantity": 3, "createdAt": "2025-01-01T00:00:00Z",
            "updatedAt": "2025-02-01T00:00:00Z", "selectedOptions": [{"name": "Size", "value": "XL"}],
            "product": {"legacyResourceId": "1"}});
        let m = map_variation(&v, "1").unwrap();
        assert_eq!(m.attributes, vec![("Size".to_owned(), "XL".to_owned())]);
        assert_eq!(
            (
                m.product_id.as_str(),
                m.stock_quantity,
                m.regular_price.as_deref()
            ),
            ("1", Some(3), Some("12.00"))
        );
        assert_eq!(key_of(&v).unwrap(), (1_738_368_000, 9));
        assert_eq!(
            gid_number("gid://shopify/InventoryLevel/5?inventory_item_id=1"),
            Some("5")
        );
    }
}
