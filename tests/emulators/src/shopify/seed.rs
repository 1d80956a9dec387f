//! The seeded shop: deterministic records for a [`ShopifyConfig`](super::ShopifyConfig).
//!
//! Ids look like Shopify's (large, distinct ranges per record class, so an id of one class
//! is never valid for another). Creation and update dates are spread over the two years
//! before [`REFERENCE_INSTANT`], whole seconds, some updates sharing a second so that
//! `(updatedAt, id)` ties happen. Every `variable_every`-th product has two to four
//! variants (Size options); the others have Shopify's single `Default Title` variant.
//! Orders reference real customers and variants; a third of them are fulfilled (with
//! tracking), one in seven is closed and one in eleven cancelled.

use std::collections::BTreeMap;

use super::ShopifyConfig;
use super::store::{
    Address, Customer, Fulfillment, FulfillmentOrder, LineItem, Location, Order, Product, ShopData,
    TrackingInfo, Variant,
};
use crate::rng::Rng;
use crate::woocommerce::REFERENCE_INSTANT;

/// First ids of each record class.
pub const ORDER_IDS: u64 = 5_100_000_000;
pub const CUSTOMER_IDS: u64 = 6_200_000_000;
pub const PRODUCT_IDS: u64 = 7_300_000_000;
pub const VARIANT_IDS: u64 = 8_400_000_000;
pub const INVENTORY_ITEM_IDS: u64 = 9_500_000_000;
pub const LOCATION_IDS: u64 = 61_000_000;
const LINE_ITEM_IDS: u64 = 10_600_000_000;
const FULFILLMENT_ORDER_IDS: u64 = 11_700_000_000;
/// Records the API creates (fulfillments, jobs, bulk operations) count up from here.
const CREATED_IDS: u64 = 20_000_000_000;

const SPAN: i64 = 730 * 86_400;

/// Draws below a bound, the way the generators here count.
trait Below {
    /// A uniform integer in `[0, n)`; 0 when `n` is 0.
    fn below(&mut self, n: u64) -> u64;
}

impl Below for Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.index(usize::try_from(n).unwrap_or(usize::MAX)) as u64
    }
}
const FIRST_NAMES: &[&str] = &["Emma", "Lucas", "Julie", "Noah", "Marie", "Louis", "Lina"];
const LAST_NAMES: &[&str] = &["Peeters", "Janssens", "Maes", "Jacobs", "Willems", "Claes"];
const CITIES: &[(&str, &str)] = &[
    ("Antwerpen", "2000"),
    ("Gent", "9000"),
    ("Brugge", "8000"),
    ("Leuven", "3000"),
];
const FINANCIAL: &[&str] = &["PAID", "PAID", "PAID", "PENDING", "REFUNDED", "AUTHORIZED"];
const SIZES: &[&str] = &["S", "M", "L", "XL"];

/// A date in the seeded span, for record `n` of `count` (later records are newer).
fn spread(rng: &mut Rng, n: usize, count: usize) -> i64 {
    let count = i64::try_from(count.max(1)).unwrap_or(i64::MAX);
    let n = i64::try_from(n).unwrap_or(0);
    let base = REFERENCE_INSTANT - SPAN + SPAN / count * n;
    base + i64::try_from(rng.below(3600)).unwrap_or(0)
}

fn address(rng: &mut Rng, first: &str, last: &str) -> Address {
    let (city, zip) = CITIES[rng.below(CITIES.len() as u64) as usize];
    Address {
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        company: (rng.below(4) == 0).then(|| format!("{last} BV")),
        address1: format!("Kerkstraat {}", 1 + rng.below(200)),
        city: city.to_owned(),
        province_code: None,
        zip: zip.to_owned(),
        country_code: "BE".to_owned(),
        phone: Some(format!("+32470{:06}", rng.below(1_000_000))),
    }
}

fn customers(config: &ShopifyConfig) -> BTreeMap<u64, Customer> {
    let mut rng = Rng::derive(config.seed, 1);
    (0..config.customers)
        .map(|n| {
            let first = FIRST_NAMES[n % FIRST_NAMES.len()];
            let last = LAST_NAMES[(n / FIRST_NAMES.len()) % LAST_NAMES.len()];
            let created = spread(&mut rng, n, config.customers);
            // Every fifth update shares the second of the previous customer's update.
            let updated = created + i64::try_from(rng.below(86_400)).unwrap_or(0);
            let id = CUSTOMER_IDS + n as u64 + 1;
            let customer = Customer {
                id,
                first_name: first.to_owned(),
                last_name: last.to_owned(),
                email: Some(format!("{}.{}{n}@example.com", first, last).to_lowercase()),
                phone: (n % 3 != 0).then(|| format!("+3247{:07}", n * 7919 % 10_000_000)),
                address: address(&mut rng, first, last),
                created_at: created,
                updated_at: updated,
            };
            (id, customer)
        })
        .collect()
}

fn catalogue(
    config: &ShopifyConfig,
    locations: &[Location],
) -> (BTreeMap<u64, Product>, BTreeMap<u64, Variant>) {
    let mut rng = Rng::derive(config.seed, 2);
    let mut products = BTreeMap::new();
    let mut variants = BTreeMap::new();
    let mut variant_n = 0u64;
    for n in 0..config.products {
        let id = PRODUCT_IDS + n as u64 + 1;
        let created = spread(&mut rng, n, config.products);
        let updated = created + i64::try_from(rng.below(30 * 86_400)).unwrap_or(0);
        let variable = config.variable_every > 0 && (n + 1) % config.variable_every == 0;
        let sizes = if variable {
            2 + rng.below(3) as usize
        } else {
            1
        };
        let base_price = 500 + i64::try_from(rng.below(9_500)).unwrap_or(0);
        let mut variant_ids = Vec::new();
        for (s, size) in SIZES.iter().enumerate().take(sizes) {
            variant_n += 1;
            let vid = VARIANT_IDS + variant_n;
            let mut available = BTreeMap::new();
            for loc in locations {
                available.insert(loc.id, i64::try_from(rng.below(60)).unwrap_or(0));
            }
            let on_sale = rng.below(5) == 0;
            let price = base_price + i64::try_from(s).unwrap_or(0) * 100;
            let (title, options) = if variable {
                (
                    (*size).to_owned(),
                    vec![("Size".to_owned(), (*size).to_owned())],
                )
            } else {
                (
                    "Default Title".to_owned(),
                    vec![("Title".to_owned(), "Default Title".to_owned())],
                )
            };
            variants.insert(
                vid,
                Variant {
                    id: vid,
                    product_id: id,
                    title,
                    sku: format!("SKU-{}-{}", n + 1, s + 1),
                    price: if on_sale { price * 8 / 10 } else { price },
                    compare_at_price: on_sale.then_some(price),
                    options,
                    inventory_item_id: INVENTORY_ITEM_IDS + variant_n,
                    available,
                    created_at: created,
                    updated_at: updated,
                },
            );
            variant_ids.push(vid);
        }
        let status = match n % 10 {
            8 => "DRAFT",
            9 => "ARCHIVED",
            _ => "ACTIVE",
        };
        products.insert(
            id,
            Product {
                id,
                title: format!("Product {}", n + 1),
                handle: format!("product-{}", n + 1),
                status: status.to_owned(),
                vendor: "Junction Test Goods".to_owned(),
                created_at: created,
                updated_at: updated,
                variant_ids,
            },
        );
    }
    (products, variants)
}

fn orders(
    config: &ShopifyConfig,
    customers: &BTreeMap<u64, Customer>,
    variants: &BTreeMap<u64, Variant>,
) -> BTreeMap<u64, Order> {
    let mut rng = Rng::derive(config.seed, 3);
    let customer_list: Vec<&Customer> = customers.values().collect();
    let variant_list: Vec<&Variant> = variants.values().collect();
    let mut out = BTreeMap::new();
    let mut line_n = 0u64;
    let mut previous_update = 0i64;
    for n in 0..config.orders {
        let id = ORDER_IDS + n as u64 + 1;
        let created = spread(&mut rng, n, config.orders);
        // One order in four is updated in the same second as the one before (a bulk edit).
        let updated = if n % 4 == 3 && previous_update >= created {
            previous_update
        } else {
            created + i64::try_from(rng.below(7 * 86_400)).unwrap_or(0)
        };
        previous_update = updated;
        let customer = (!customer_list.is_empty() && n % 6 != 5)
            .then(|| customer_list[rng.below(customer_list.len() as u64) as usize]);
        let mut lines = Vec::new();
        if !variant_list.is_empty() {
            for _ in 0..=rng.below(3) {
                let v = variant_list[rng.below(variant_list.len() as u64) as usize];
                line_n += 1;
                let quantity = 1 + i64::try_from(rng.below(3)).unwrap_or(0);
                lines.push(LineItem {
                    id: LINE_ITEM_IDS + line_n,
                    product_id: v.product_id,
                    variant_id: v.id,
                    sku: v.sku.clone(),
                    title: format!("Product {}", v.product_id - PRODUCT_IDS),
                    quantity,
                    unit_price: v.price,
                    tax: v.price * quantity * 21 / 121,
                });
            }
        }
        let (first, last) = customer.map_or(("Guest", "Buyer"), |c| {
            (c.first_name.as_str(), c.last_name.as_str())
        });
        let addr = customer.map_or_else(|| address(&mut rng, first, last), |c| c.address.clone());
        let fulfilled = n % 3 == 0;
        let fulfillments = if fulfilled {
            vec![Fulfillment {
                id: FULFILLMENT_ORDER_IDS + 500_000_000 + n as u64,
                created_at: created + 86_400,
                tracking: vec![TrackingInfo {
                    number: format!("3SBPB{:08}", n * 7 + 1),
                    company: Some("bpost".to_owned()),
                    url: None,
                }],
            }]
        } else {
            Vec::new()
        };
        let cancelled = n % 11 == 10;
        out.insert(
            id,
            Order {
                id,
                number: 1001 + n as u64,
                email: customer.and_then(|c| c.email.clone()),
                customer_id: customer.map(|c| c.id),
                currency: "EUR".to_owned(),
                financial_status: FINANCIAL[n % FINANCIAL.len()].to_owned(),
                gateway: if n % 2 == 0 { "bogus" } else { "manual" }.to_owned(),
                lines,
                shipping_price: if n % 4 == 0 { 0 } else { 495 },
                billing: addr.clone(),
                shipping: addr,
                created_at: created,
                updated_at: updated,
                closed_at: (n % 7 == 6 || cancelled).then_some(updated),
                cancelled_at: cancelled.then_some(updated),
                cancel_reason: cancelled.then(|| "CUSTOMER".to_owned()),
                fulfillment_orders: vec![FulfillmentOrder {
                    id: FULFILLMENT_ORDER_IDS + n as u64 + 1,
                    status: if fulfilled {
                        "CLOSED"
                    } else if cancelled {
                        "CANCELLED"
                    } else {
                        "OPEN"
                    }
                    .to_owned(),
                }],
                fulfillments,
            },
        );
    }
    out
}

/// The shop for `config`.
pub fn generate(config: &ShopifyConfig) -> ShopData {
    let locations = vec![
        Location {
            id: LOCATION_IDS + 1,
            name: "Warehouse".to_owned(),
        },
        Location {
            id: LOCATION_IDS + 2,
            name: "Shop floor".to_owned(),
        },
    ];
    let customers = customers(config);
    let (products, variants) = catalogue(config, &locations);
    let orders = orders(config, &customers, &variants);
    ShopData {
        orders,
        customers,
        products,
        variants,
        locations,
        next_id: CREATED_IDS,
        last_tick: REFERENCE_INSTANT,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_shop_and_consistent_references() {
        let config = ShopifyConfig {
            orders: 40,
            customers: 10,
            products: 12,
            ..ShopifyConfig::default()
        };
        let a = generate(&config);
        let b = generate(&config);
        assert_eq!(a.orders, b.orders);
        assert_eq!(a.variants, b.variants);
        assert_eq!(a.orders.len(), 40);
        assert!(a.products.values().any(|p| p.variant_ids.len() > 1));
        for o in a.orders.values() {
            assert!(o.customer_id.is_none_or(|c| a.customers.contains_key(&c)));
            assert!(
                o.lines
                    .iter()
                    .all(|l| a.variants.contains_key(&l.variant_id))
            );
        }
        let other = generate(&ShopifyConfig { seed: 7, ..config });
        assert_ne!(a.orders, other.orders);
    }
}
