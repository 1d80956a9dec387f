//! The seeded catalogue, customers and orders of an emulated store: deterministic for a
//! seed, in Magento 2.4's REST shapes.
//!
//! - Products: every `configurable_every`-th one is a configurable parent (`type_id`
//!   `configurable`, no stock of its own) with two or three simple children (`visibility` 1,
//!   "not visible individually", a `color` custom attribute), linked through
//!   `extension_attributes.configurable_product_links`; the rest are visible simples.
//!   Every simple has `extension_attributes.stock_item`.
//! - Orders: one to three lines; a configurable line is two rows like Magento's (the parent
//!   row with the price, the child row with `parent_item_id`), the shipping address in
//!   `extension_attributes.shipping_assignments`.
//! - Dates lie before [`REFERENCE_INSTANT`]; records are modified in groups of three per
//!   second so listings have ties on `updated_at`.

use serde_json::{Value, json};

use super::time::format_magento;
use crate::rng::Rng;
use crate::woocommerce::REFERENCE_INSTANT;

const FIRST_NAMES: &[&str] = &[
    "Veronica", "Jan", "Amelie", "Luca", "Noor", "Tomasz", "Ines",
];
const LAST_NAMES: &[&str] = &["Costello", "de Vries", "Dubois", "Rossi", "Jansen", "Nowak"];
const CITIES: &[(&str, &str, &str)] = &[
    ("Amsterdam", "1011AB", "NL"),
    ("Gent", "9000", "BE"),
    ("Lyon", "69001", "FR"),
    ("Calder", "49628-7978", "US"),
];
const COLORS: &[&str] = &["Red", "Blue", "Green"];

/// The instant of the `n`-th (0-based) of `count` records: three per second, the newest at
/// the reference instant minus `count` minutes' worth of spacing.
pub fn instant(n: usize, count: usize) -> i64 {
    let behind = i64::try_from(count.saturating_sub(n) / 3).unwrap_or(0);
    REFERENCE_INSTANT - behind * 60
}

fn money(cents: i64) -> Value {
    // Magento answers money as JSON numbers.
    json!(cents as f64 / 100.0)
}

fn address(rng: &mut Rng, first: &str, last: &str, email: &str, kind: &str) -> Value {
    let (city, postcode, country) = *rng.pick(CITIES);
    json!({
        "address_type": kind,
        "firstname": first,
        "lastname": last,
        "street": [format!("{} Main Street", rng.range(1, 300))],
        "city": city,
        "postcode": postcode,
        "country_id": country,
        "email": email,
        "telephone": format!("+31 6 {:08}", rng.range(0, 99_999_999)),
    })
}

/// Customer `id` (1-based) of `count`.
pub fn customer(seed: u64, id: u64, count: usize) -> Value {
    let mut rng = Rng::derive(seed, 0x0100_0000 + id);
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let email = format!("customer{id}@example.com");
    let at = format_magento(instant(usize::try_from(id).unwrap_or(0), count));
    let mut billing = address(&mut rng, first, last, &email, "billing");
    billing["id"] = json!(id);
    billing["customer_id"] = json!(id);
    billing["default_billing"] = json!(true);
    billing["default_shipping"] = json!(true);
    json!({
        "id": id,
        "group_id": 1,
        "default_billing": id.to_string(),
        "default_shipping": id.to_string(),
        "created_at": at,
        "updated_at": at,
        "created_in": "Default Store View",
        "email": email,
        "firstname": first,
        "lastname": last,
        "store_id": 1,
        "website_id": 1,
        "addresses": [billing],
        "disable_auto_group_change": 0,
    })
}

/// The products of a catalogue of `count` top-level products: parents and simples in id
/// order, each parent followed by its children.
pub fn products(seed: u64, count: usize, configurable_every: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next_id = 1u64;
    for n in 1..=count {
        let mut rng = Rng::derive(seed, 0x0200_0000 + n as u64);
        let configurable = configurable_every > 0 && n % configurable_every == 0;
        let at = format_magento(instant(n, count));
        let price_cents = rng.range(500, 12_000);
        let parent_id = next_id;
        next_id += 1;
        if configurable {
            let sku = format!("MJ{n:04}");
            let children = 2 + rng.index(2);
            let child_ids: Vec<u64> = (0..children as u64).map(|i| parent_id + 1 + i).collect();
            let values: Vec<Value> = (0..children)
                .map(|i| json!({"value_index": 49 + i}))
                .collect();
            out.push(json!({
                "id": parent_id, "sku": sku, "name": format!("Jacket {n}"),
                "attribute_set_id": 9, "price": 0, "status": 1, "visibility": 4,
                "type_id": "configurable", "created_at": at, "updated_at": at, "weight": 1,
                "extension_attributes": {
                    "website_ids": [1],
                    "configurable_product_options": [{
                        "id": n, "attribute_id": "93", "label": "Color", "position": 0,
                        "values": values, "product_id": parent_id
                    }],
                    "configurable_product_links": child_ids,
                },
                "custom_attributes": [{"attribute_code": "url_key", "value": format!("jacket-{n}")}],
            }));
            for (i, child_id) in child_ids.iter().enumerate() {
                let color = COLORS[i % COLORS.len()];
                out.push(simple(
                    *child_id,
                    &format!("{sku}-{color}"),
                    &format!("Jacket {n}-{color}"),
                    money(price_cents + 100 * i as i64),
                    1,
                    &at,
                    rng.range(0, 40),
                    Some(json!({"attribute_code": "color", "value": color})),
                ));
            }
            next_id += children as u64;
        } else {
            out.push(simple(
                parent_id,
                &format!("MB{n:04}"),
                &format!("Bag {n}"),
                money(price_cents),
                4,
                &at,
                rng.range(0, 100),
                None,
            ));
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn simple(
    id: u64,
    sku: &str,
    name: &str,
    price: Value,
    visibility: u8,
    at: &str,
    qty: i64,
    attribute: Option<Value>,
) -> Value {
    let mut custom = vec![json!({"attribute_code": "url_key", "value": sku.to_lowercase()})];
    custom.extend(attribute);
    json!({
        "id": id, "sku": sku, "name": name, "attribute_set_id": 4, "price": price,
        "status": 1, "visibility": visibility, "type_id": "simple",
        "created_at": at, "updated_at": at, "weight": 1,
        "extension_attributes": {
            "website_ids": [1],
            "stock_item": stock_item(id, qty),
        },
        "custom_attributes": custom,
    })
}

/// A product's default-source stock item.
pub fn stock_item(product_id: u64, qty: i64) -> Value {
    json!({
        "item_id": product_id, "product_id": product_id, "stock_id": 1, "qty": qty,
        "is_in_stock": qty > 0, "is_qty_decimal": false, "manage_stock": true,
        "use_config_manage_stock": true, "min_sale_qty": 1, "backorders": 0,
    })
}

/// Order `id` (1-based) of `count`, buying from `products` (as seeded) and placed by one of
/// `customers` customers (or a guest).
pub fn order(seed: u64, id: u64, count: usize, products: &[Value], customers: usize) -> Value {
    let mut rng = Rng::derive(seed, 0x0300_0000 + id);
    let at = format_magento(instant(usize::try_from(id).unwrap_or(0), count));
    let sellable: Vec<&Value> = products.iter().filter(|p| p["visibility"] == 4).collect();
    let mut items = Vec::new();
    let mut subtotal = 0i64;
    let mut next_item = id * 10;
    for _ in 0..=rng.index(3) {
        let Some(product) = sellable.get(rng.index(sellable.len())) else {
            break;
        };
        let qty = rng.range(1, 3);
        let (child, cents) = if product["type_id"] == "configurable" {
            let links = product["extension_attributes"]["configurable_product_links"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let child_id = links.get(rng.index(links.len())).and_then(Value::as_u64);
            let child = child_id.and_then(|c| products.iter().find(|p| p["id"] == c));
            let cents = child
                .and_then(|c| c["price"].as_f64())
                .map_or(1000, |p| (p * 100.0).round() as i64);
            (child, cents)
        } else {
            let cents = product["price"]
                .as_f64()
                .map_or(1000, |p| (p * 100.0).round() as i64);
            (None, cents)
        };
        next_item += 1;
        let parent_item = next_item;
        let sku = child.map_or(&product["sku"], |c| &c["sku"]);
        subtotal += cents * qty;
        items.push(json!({
            "item_id": parent_item, "order_id": id, "product_id": product["id"],
            "sku": sku, "name": product["name"], "product_type": product["type_id"],
            "qty_ordered": qty, "qty_shipped": 0, "price": money(cents),
            "base_price": money(cents), "row_total": money(cents * qty),
            "tax_amount": 0, "tax_percent": 0, "discount_amount": 0,
            "created_at": at, "updated_at": at,
        }));
        if let Some(child) = child {
            next_item += 1;
            items.push(json!({
                "item_id": next_item, "order_id": id, "parent_item_id": parent_item,
                "product_id": child["id"], "sku": child["sku"], "name": child["name"],
                "product_type": "simple", "qty_ordered": qty, "qty_shipped": 0,
                "price": 0, "base_price": 0, "row_total": 0, "tax_amount": 0,
                "created_at": at, "updated_at": at,
            }));
        }
    }
    let shipping_cents = 500;
    let customer_id = (customers > 0 && !id.is_multiple_of(5)).then(|| id % customers as u64 + 1);
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let email = match customer_id {
        Some(c) => format!("customer{c}@example.com"),
        None => format!("guest{id}@example.com"),
    };
    let billing = address(&mut rng, first, last, &email, "billing");
    let mut shipping = billing.clone();
    shipping["address_type"] = json!("shipping");
    let (state, status) = [
        ("new", "pending"),
        ("processing", "processing"),
        ("complete", "complete"),
        ("processing", "processing"),
    ][rng.index(4)];
    json!({
        "entity_id": id, "increment_id": format!("{:09}", id), "state": state, "status": status,
        "created_at": at, "updated_at": at, "store_id": 1,
        "customer_id": customer_id, "customer_is_guest": customer_id.is_none() as u8,
        "customer_email": email, "customer_firstname": first, "customer_lastname": last,
        "order_currency_code": "EUR", "base_currency_code": "EUR",
        "subtotal": money(subtotal), "tax_amount": 0, "shipping_amount": money(shipping_cents),
        "discount_amount": 0, "grand_total": money(subtotal + shipping_cents),
        "total_qty_ordered": items.iter().filter(|i| i.get("parent_item_id").is_none())
            .filter_map(|i| i["qty_ordered"].as_i64()).sum::<i64>(),
        "items": items,
        "billing_address": billing,
        "payment": {"method": "checkmo", "amount_ordered": money(subtotal + shipping_cents)},
        "status_histories": [],
        "extension_attributes": {
            "shipping_assignments": [{
                "shipping": {"address": shipping, "method": "flatrate_flatrate",
                    "total": {"shipping_amount": money(shipping_cents)}},
                "items": [],
            }]
        },
    })
}
