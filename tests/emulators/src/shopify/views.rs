//! The records as GraphQL objects: every field the emulator can serve, with Shopify's names
//! and shapes (`gid://shopify/...` ids, `DateTime` strings, `MoneyBag`s, `MailingAddress`),
//! before the query's selection picks from them (see `execute`).
//!
//! Conventions the executor relies on: every object has `__typename`; a nested connection is
//! `{"__nodes": [...]}` (its items carry `__id`, the numeric id its cursors use); keys
//! starting with `__` are never served as fields.

use serde_json::{Value, json};

use super::store::{
    Address, Cents, Customer, Fulfillment, LineItem, Location, Order, Product, ShopData, Variant,
};
use crate::woocommerce::format_wc;

/// A Shopify global id, `gid://shopify/{kind}/{id}`.
pub fn gid(kind: &str, id: u64) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// The numeric id of a global id of this kind; `None` for anything else.
pub fn parse_gid(kind: &str, gid: &str) -> Option<u64> {
    let rest = gid.strip_prefix("gid://shopify/")?;
    let (k, id) = rest.split_once('/')?;
    let id = id.split('?').next()?;
    (k == kind).then(|| id.parse().ok()).flatten()
}

/// A `DateTime`: `2026-01-31T12:00:00Z`.
pub fn datetime(ts: i64) -> String {
    format!("{}Z", format_wc(ts))
}

/// A `Decimal` amount of cents: `12.30`.
pub fn decimal(cents: Cents) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

fn money_bag(cents: Cents, currency: &str) -> Value {
    let money =
        json!({"__typename": "MoneyV2", "amount": decimal(cents), "currencyCode": currency});
    json!({"__typename": "MoneyBag", "shopMoney": money.clone(), "presentmentMoney": money})
}

fn connection(nodes: Vec<Value>) -> Value {
    json!({ "__nodes": nodes })
}

fn address(a: &Address) -> Value {
    json!({
        "__typename": "MailingAddress",
        "firstName": a.first_name, "lastName": a.last_name,
        "name": format!("{} {}", a.first_name, a.last_name),
        "company": a.company, "address1": a.address1, "address2": null, "city": a.city,
        "province": null, "provinceCode": a.province_code, "zip": a.zip,
        "country": if a.country_code == "BE" { "Belgium" } else { a.country_code.as_str() },
        "countryCodeV2": a.country_code, "phone": a.phone,
    })
}

fn line_item(l: &LineItem, currency: &str) -> Value {
    json!({
        "__typename": "LineItem", "__id": l.id,
        "id": gid("LineItem", l.id), "title": l.title, "name": l.title, "sku": l.sku,
        "quantity": l.quantity, "currentQuantity": l.quantity,
        "variant": {"__typename": "ProductVariant", "id": gid("ProductVariant", l.variant_id),
                    "legacyResourceId": l.variant_id.to_string(), "sku": l.sku},
        "product": {"__typename": "Product", "id": gid("Product", l.product_id),
                    "legacyResourceId": l.product_id.to_string()},
        "originalUnitPriceSet": money_bag(l.unit_price, currency),
        "discountedUnitPriceSet": money_bag(l.unit_price, currency),
        "originalTotalSet": money_bag(l.unit_price * l.quantity, currency),
        "discountedTotalSet": money_bag(l.unit_price * l.quantity, currency),
        "taxLines": [{"__typename": "TaxLine", "title": "VAT", "rate": 0.21,
                      "priceSet": money_bag(l.tax, currency)}],
    })
}

fn fulfillment(f: &Fulfillment) -> Value {
    let tracking: Vec<Value> = f
        .tracking
        .iter()
        .map(|t| json!({"__typename": "FulfillmentTrackingInfo", "number": t.number, "company": t.company, "url": t.url}))
        .collect();
    json!({
        "__typename": "Fulfillment", "__id": f.id, "id": gid("Fulfillment", f.id),
        "status": "SUCCESS", "createdAt": datetime(f.created_at), "updatedAt": datetime(f.created_at),
        "trackingInfo": tracking,
    })
}

/// An `Order`.
pub fn order(data: &ShopData, o: &Order) -> Value {
    let customer = o
        .customer_id
        .and_then(|c| data.customers.get(&c))
        .map_or(Value::Null, customer);
    let lines: Vec<Value> = o.lines.iter().map(|l| line_item(l, &o.currency)).collect();
    let fulfillment_orders: Vec<Value> = o
        .fulfillment_orders
        .iter()
        .map(|f| json!({"__typename": "FulfillmentOrder", "__id": f.id, "id": gid("FulfillmentOrder", f.id), "status": f.status}))
        .collect();
    let total = o.subtotal() + o.shipping_price;
    json!({
        "__typename": "Order", "__id": o.id,
        "id": gid("Order", o.id), "legacyResourceId": o.id.to_string(),
        "name": format!("#{}", o.number), "email": o.email,
        "createdAt": datetime(o.created_at), "updatedAt": datetime(o.updated_at),
        "processedAt": datetime(o.created_at),
        "closed": o.closed_at.is_some(), "closedAt": o.closed_at.map(datetime),
        "cancelledAt": o.cancelled_at.map(datetime), "cancelReason": o.cancel_reason,
        "displayFinancialStatus": o.financial_status,
        "displayFulfillmentStatus": o.fulfillment_status(),
        "currencyCode": o.currency, "presentmentCurrencyCode": o.currency,
        "paymentGatewayNames": [o.gateway],
        "totalPriceSet": money_bag(total, &o.currency),
        "currentTotalPriceSet": money_bag(total, &o.currency),
        "subtotalPriceSet": money_bag(o.subtotal(), &o.currency),
        "totalTaxSet": money_bag(o.tax(), &o.currency),
        "totalShippingPriceSet": money_bag(o.shipping_price, &o.currency),
        "totalDiscountsSet": money_bag(0, &o.currency),
        "taxesIncluded": true,
        "customer": customer,
        "billingAddress": address(&o.billing), "shippingAddress": address(&o.shipping),
        "lineItems": connection(lines),
        "fulfillments": o.fulfillments.iter().map(fulfillment).collect::<Vec<_>>(),
        "fulfillmentOrders": connection(fulfillment_orders),
    })
}

/// A `Customer`.
pub fn customer(c: &Customer) -> Value {
    json!({
        "__typename": "Customer", "__id": c.id,
        "id": gid("Customer", c.id), "legacyResourceId": c.id.to_string(),
        "firstName": c.first_name, "lastName": c.last_name,
        "displayName": format!("{} {}", c.first_name, c.last_name),
        "email": c.email, "phone": c.phone,
        "defaultEmailAddress": c.email.as_ref().map(|e| json!({"__typename": "CustomerEmailAddress", "emailAddress": e})),
        "defaultPhoneNumber": c.phone.as_ref().map(|p| json!({"__typename": "CustomerPhoneNumber", "phoneNumber": p})),
        "defaultAddress": address(&c.address),
        "state": "ENABLED",
        "createdAt": datetime(c.created_at), "updatedAt": datetime(c.updated_at),
    })
}

fn location(l: &Location) -> Value {
    json!({"__typename": "Location", "__id": l.id, "id": gid("Location", l.id), "name": l.name, "isActive": true})
}

fn inventory_item(data: &ShopData, v: &Variant) -> Value {
    let levels: Vec<Value> = data
        .locations
        .iter()
        .filter_map(|l| {
            let available = *v.available.get(&l.id)?;
            Some(json!({
                "__typename": "InventoryLevel", "__id": l.id,
                "id": format!("gid://shopify/InventoryLevel/{}?inventory_item_id={}", l.id, v.inventory_item_id),
                "location": location(l),
                "quantities": [
                    {"__typename": "InventoryQuantity", "name": "available", "quantity": available},
                    {"__typename": "InventoryQuantity", "name": "on_hand", "quantity": available},
                ],
            }))
        })
        .collect();
    json!({
        "__typename": "InventoryItem", "__id": v.inventory_item_id,
        "id": gid("InventoryItem", v.inventory_item_id),
        "legacyResourceId": v.inventory_item_id.to_string(),
        "sku": v.sku, "tracked": true,
        "inventoryLevels": connection(levels),
    })
}

/// A `ProductVariant`; `with_product` adds its product (without the product's variants, so
/// the object stays finite).
pub fn variant(data: &ShopData, v: &Variant, with_product: bool) -> Value {
    let product = if with_product {
        data.products
            .get(&v.product_id)
            .map_or(Value::Null, |p| product(data, p, false))
    } else {
        json!({"__typename": "Product", "id": gid("Product", v.product_id), "legacyResourceId": v.product_id.to_string()})
    };
    let position = data
        .products
        .get(&v.product_id)
        .and_then(|p| p.variant_ids.iter().position(|id| *id == v.id))
        .map_or(1, |i| i + 1);
    json!({
        "__typename": "ProductVariant", "__id": v.id,
        "id": gid("ProductVariant", v.id), "legacyResourceId": v.id.to_string(),
        "title": v.title,
        "displayName": format!("{} - {}", product.get("title").and_then(Value::as_str).unwrap_or("Product"), v.title),
        "sku": v.sku, "price": decimal(v.price), "compareAtPrice": v.compare_at_price.map(decimal),
        "inventoryQuantity": v.inventory_quantity(), "position": position,
        "selectedOptions": v.options.iter().map(|(n, val)| json!({"__typename": "SelectedOption", "name": n, "value": val})).collect::<Vec<_>>(),
        "createdAt": datetime(v.created_at), "updatedAt": datetime(v.updated_at),
        "product": product,
        "inventoryItem": inventory_item(data, v),
    })
}

/// A `Product`; `with_variants` adds its `variants` connection.
pub fn product(data: &ShopData, p: &Product, with_variants: bool) -> Value {
    let variants: Vec<&Variant> = p
        .variant_ids
        .iter()
        .filter_map(|id| data.variants.get(id))
        .collect();
    let mut view = json!({
        "__typename": "Product", "__id": p.id,
        "id": gid("Product", p.id), "legacyResourceId": p.id.to_string(),
        "title": p.title, "handle": p.handle, "status": p.status, "vendor": p.vendor,
        "productType": "", "tracksInventory": true,
        "createdAt": datetime(p.created_at), "updatedAt": datetime(p.updated_at),
        "totalInventory": variants.iter().map(|v| v.inventory_quantity()).sum::<i64>(),
        "hasOnlyDefaultVariant": variants.len() == 1 && variants[0].title == "Default Title",
        "variantsCount": {"__typename": "Count", "count": variants.len(), "precision": "EXACT"},
    });
    if with_variants && let Some(obj) = view.as_object_mut() {
        let nodes = variants.iter().map(|v| variant(data, v, false)).collect();
        obj.insert("variants".into(), connection(nodes));
    }
    view
}

/// The `Shop`.
pub fn shop(name: &str) -> Value {
    json!({
        "__typename": "Shop", "id": "gid://shopify/Shop/1", "name": name,
        "myshopifyDomain": format!("{}.myshopify.com", name.to_lowercase().replace(' ', "-")),
        "currencyCode": "EUR", "ianaTimezone": "Europe/Brussels",
        "plan": {"__typename": "ShopPlan", "displayName": "Basic", "partnerDevelopment": false, "shopifyPlus": false},
    })
}

/// A `Location`.
pub fn location_view(l: &Location) -> Value {
    location(l)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_amounts_look_like_shopify() {
        assert_eq!(gid("Order", 12), "gid://shopify/Order/12");
        assert_eq!(parse_gid("Order", "gid://shopify/Order/12"), Some(12));
        assert_eq!(parse_gid("Order", "gid://shopify/Product/12"), None);
        assert_eq!(parse_gid("Order", "12"), None);
        assert_eq!(decimal(1230), "12.30");
        assert_eq!(decimal(-5), "-0.05");
        assert_eq!(datetime(0), "1970-01-01T00:00:00Z");
    }
}
