//! The deterministic seeded shop: customers, products with one variant (simple) or three
//! (every third product), orders of one to three variants with their ordered products and
//! one shipment each. Everything is a function of the record's number, created a minute
//! apart before the fixed [`REFERENCE_INSTANT`] so listings and totals are reproducible.

use serde_json::{Map, Value, json};

use super::LightspeedConfig;
use super::money::Cents;
use super::store::{Resource, Store};
use crate::woocommerce::REFERENCE_INSTANT;

/// Order statuses Lightspeed uses (as its order answers and webhooks show them, e.g.
/// `completed_shipped`).
pub const ORDER_STATUSES: &[&str] = &[
    "on_hold",
    "processing_awaiting_payment",
    "processing_awaiting_shipment",
    "processing_awaiting_pickup",
    "processing_ready_for_pickup",
    "completed_shipped",
    "completed_picked_up",
    "cancelled",
];
/// Shipment statuses of an order (`shipmentStatus`) and of a shipment (`status`).
pub const SHIPMENT_STATUSES: &[&str] = &["not_shipped", "partially_shipped", "shipped"];
/// Payment statuses of an order.
pub const PAYMENT_STATUSES: &[&str] = &[
    "not_paid",
    "partially_paid",
    "paid",
    "cancelled",
    "refunded",
    "partially_refunded",
];
/// The tax rate every seeded variant carries, in percent.
pub const TAX_PERCENT: i64 = 21;

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A link to another record, as Lightspeed nests it (the `link` is added when served).
pub(crate) fn link(resource: Resource, id: u64) -> Value {
    json!({"resource": {"id": id, "url": format!("{}/{id}", resource.plural())}})
}

/// A link to a list filtered by this record, e.g. `variants?product=7`.
pub(crate) fn list_link(url: String) -> Value {
    json!({"resource": {"id": false, "url": url}})
}

fn address(prefix: &str, n: usize) -> Map<String, Value> {
    const CITIES: [(&str, &str, &str); 3] = [
        ("Amsterdam", "nl", "Netherlands"),
        ("Gent", "be", "Belgium"),
        ("Utrecht", "nl", "Netherlands"),
    ];
    let (city, code, country) = CITIES[n % 3];
    object(json!({
        format!("address{prefix}Name"): format!("Customer {n}"),
        format!("address{prefix}Street"): "Kerkstraat",
        format!("address{prefix}Number"): format!("{}", n % 90 + 1),
        format!("address{prefix}Zipcode"): format!("{}AB", 1000 + n % 8000),
        format!("address{prefix}City"): city,
        format!("address{prefix}Country"): {"code": code, "title": country},
    }))
}

fn customer(n: usize) -> Map<String, Value> {
    let mut c = object(json!({
        "email": format!("customer{n}@example.com"),
        "firstname": format!("Customer{n}"),
        "lastname": format!("Lastname{}", n % 7),
        "phone": format!("+3120555{n:04}"),
        "companyName": if n.is_multiple_of(4) { json!(format!("Company {n}")) } else { json!("") },
        "isConfirmed": true,
    }));
    c.extend(address("Billing", n));
    c.extend(address("Shipping", n));
    c
}

/// The variant prices of product `p`, variant `v` (0-based): excluding tax.
fn variant_price(p: usize, v: usize) -> Cents {
    Cents(i64::try_from(500 + (p * 731 + v * 250) % 9_500).unwrap_or(500))
}

fn seed_product(store: &Store, p: usize, at: i64) -> Vec<(u64, String, Cents)> {
    let id = store.insert_at(
        Resource::Products,
        at,
        object(json!({
            "visibility": "visible",
            "url": format!("product-{p}"),
            "title": format!("Product {p}"),
            "fulltitle": format!("Product {p}"),
            "description": format!("Seeded product {p}"),
        })),
    );
    store.update_seeded(Resource::Products, id, |f| {
        f.insert(
            "variants".into(),
            list_link(format!("variants?product={id}")),
        );
    });
    let titles: &[&str] = if p.is_multiple_of(3) {
        &["Red", "Blue", "Green"]
    } else {
        &["Default"]
    };
    titles
        .iter()
        .enumerate()
        .map(|(v, title)| {
            let excl = variant_price(p, v);
            let vid = store.insert_at(
                Resource::Variants,
                at,
                object(json!({
                    "isDefault": v == 0,
                    "sortOrder": v + 1,
                    "articleCode": format!("ART-{p}-{v}"),
                    "ean": format!("87{:011}", p * 10 + v),
                    "sku": format!("SKU-{p}-{v}"),
                    "title": title,
                    "taxRate": TAX_PERCENT,
                    "priceExcl": excl.to_json(),
                    "priceIncl": excl.with_tax(TAX_PERCENT).to_json(),
                    "oldPriceExcl": 0,
                    "oldPriceIncl": 0,
                    "stockTracking": "enabled",
                    "stockLevel": (p * 7 + v * 3) % 40,
                    "product": link(Resource::Products, id),
                })),
            );
            (vid, format!("Product {p} - {title}"), excl)
        })
        .collect()
}

/// Fills `store` with the configured numbers of records.
pub(crate) fn seed(store: &Store, config: &LightspeedConfig) {
    let minutes = |count: usize, n: usize| {
        REFERENCE_INSTANT - i64::try_from(count.saturating_sub(n)).unwrap_or(0) * 60 - 86_400
    };
    for n in 1..=config.customers {
        store.insert_at(
            Resource::Customers,
            minutes(config.customers, n),
            customer(n),
        );
    }
    let mut variants = Vec::new();
    for p in 1..=config.products {
        variants.extend(seed_product(store, p, minutes(config.products, p)));
    }
    for n in 1..=config.orders {
        seed_order(store, config, n, &variants, minutes(config.orders, n));
    }
}

fn seed_order(
    store: &Store,
    config: &LightspeedConfig,
    n: usize,
    variants: &[(u64, String, Cents)],
    at: i64,
) {
    let mut lines = Vec::new();
    let mut total = Cents(0);
    if !variants.is_empty() {
        for i in 0..=(n % 3) {
            let (vid, title, unit) = &variants[(n * 5 + i * 3) % variants.len()];
            let quantity = i64::try_from(i + 1).unwrap_or(1);
            let line = Cents(unit.0 * quantity);
            total = Cents(total.0 + line.0);
            let variant = store.get(Resource::Variants, *vid);
            let variant_field = |name: &str| {
                variant
                    .as_ref()
                    .and_then(|v| v.fields.get(name).cloned())
                    .unwrap_or(Value::Null)
            };
            let product = variant_field("product")["resource"]["id"]
                .as_u64()
                .unwrap_or(0);
            lines.push(json!({
                "id": n * 10 + i,
                "productTitle": title.split(" - ").next().unwrap_or(title),
                "variantTitle": title.split(" - ").nth(1).unwrap_or(""),
                "articleCode": variant_field("articleCode"),
                "sku": variant_field("sku"),
                "quantityOrdered": quantity,
                "basePriceExcl": unit.to_json(),
                "basePriceIncl": unit.with_tax(TAX_PERCENT).to_json(),
                "priceExcl": line.to_json(),
                "priceIncl": line.with_tax(TAX_PERCENT).to_json(),
                "product": link(Resource::Products, product),
                "variant": link(Resource::Variants, *vid),
            }));
        }
    }
    let shipped = n.is_multiple_of(4);
    let customer_n = if config.customers == 0 {
        0
    } else {
        (n % config.customers) + 1
    };
    let shipping = Cents(495);
    let mut fields = object(json!({
        "number": format!("ORD{n:05}"),
        "status": if shipped { "completed_shipped" } else { ORDER_STATUSES[n % 3 + 1] },
        "paymentStatus": if n % 3 == 1 { "not_paid" } else { "paid" },
        "shipmentStatus": if shipped { "shipped" } else { "not_shipped" },
        "currency": "EUR",
        "priceExcl": Cents(total.0 + shipping.0).to_json(),
        "priceIncl": Cents(total.0 + shipping.0).with_tax(TAX_PERCENT).to_json(),
        "shipmentPriceExcl": shipping.to_json(),
        "shipmentPriceIncl": shipping.with_tax(TAX_PERCENT).to_json(),
        "paymentTitle": "iDEAL",
        "shipmentTitle": "PostNL",
        "email": format!("customer{customer_n}@example.com"),
        "firstname": format!("Customer{customer_n}"),
        "lastname": format!("Lastname{}", customer_n % 7),
        "_products": lines,
    }));
    if customer_n > 0 {
        fields.insert(
            "customer".into(),
            link(Resource::Customers, u64::try_from(customer_n).unwrap_or(0)),
        );
    }
    fields.extend(address("Billing", customer_n));
    fields.extend(address("Shipping", customer_n));
    let id = store.insert_at(Resource::Orders, at, fields);
    store.update_seeded(Resource::Orders, id, |f| {
        f.insert(
            "products".into(),
            list_link(format!("orders/{id}/products")),
        );
        f.insert(
            "shipments".into(),
            list_link(format!("shipments?order={id}")),
        );
    });
    store.insert_at(
        Resource::Shipments,
        at,
        object(json!({
            "number": format!("SHIP{n:05}"),
            "status": if shipped { "shipped" } else { "not_shipped" },
            "trackingCode": if shipped { json!(format!("3SPOST{n:07}")) } else { json!("") },
            "order": link(Resource::Orders, id),
        })),
    );
}
