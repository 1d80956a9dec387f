//! Deterministic seeded data: customers, products (simple and variable), variations, orders.
//!
//! For a given [`WooConfig`] (sizes and seed) the generated shop is identical on every run:
//! all randomness comes from [`crate::rng::Rng`] streams derived from the seed, and all
//! dates lie in the two years before the fixed [`REFERENCE_INSTANT`] (2025-01-01), never
//! relative to "now". Ids follow WordPress: customers are users from id 2 (1 is the admin),
//! products and their variations share the post id sequence from 10, and orders continue it
//! from the next multiple of 100. Ids grow with creation date, as auto-increment ids do.
//!
//! Realistic collisions are generated on purpose: bursts of orders created in the same
//! second, and "bulk edits" (a plugin update, an import) that gave many records exactly the
//! same `date_modified`, so clients must page through ties correctly. Line items reference
//! seeded products and variations with their prices; most orders belong to seeded
//! customers and share their addresses, the rest are guest orders (`customer_id` 0).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::WooConfig;
use super::model::{
    Address, CategoryRef, CouponLine, Customer, ItemAttribute, LineItem, Meta, Order, OrderStatus,
    Product, ProductAttribute, ProductType, S, ShippingLine, Stock, Table, Variation,
    VariationAttribute, tax_of,
};
use super::store::{Db, order_key, sanitize_title};
use super::time::{REFERENCE_INSTANT, SEED_SPAN, WriteClock};
use crate::rng::Rng;

const FIRST_NAMES: [&str; 40] = [
    "Emma", "Liam", "Olivia", "Noah", "Louise", "Lucas", "Mila", "Arthur", "Elena", "Jules",
    "Sofia", "Adam", "Julie", "Victor", "Nora", "Louis", "Anna", "Finn", "Marie", "Lars", "Sarah",
    "Thomas", "Laura", "Milan", "Eva", "Daan", "Lotte", "Sem", "Fleur", "Hugo", "Camille", "Léon",
    "Chloé", "Paul", "Inès", "Felix", "Hannah", "Jonas", "Lena", "Ben",
];

const LAST_NAMES: [&str; 40] = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Lambert",
    "Dupont",
    "Martin",
    "Leroy",
    "Bernard",
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Garcia",
    "Rossi",
    "Novak",
];

/// (city, postcode prefix, state, country, phone prefix)
const CITIES: [(&str, &str, &str, &str, &str); 16] = [
    ("Brussel", "10", "", "BE", "+32 2"),
    ("Antwerpen", "20", "", "BE", "+32 3"),
    ("Gent", "90", "", "BE", "+32 9"),
    ("Leuven", "30", "", "BE", "+32 16"),
    ("Liège", "40", "", "BE", "+32 4"),
    ("Brugge", "80", "", "BE", "+32 50"),
    ("Amsterdam", "10", "NH", "NL", "+31 20"),
    ("Rotterdam", "30", "ZH", "NL", "+31 10"),
    ("Utrecht", "35", "UT", "NL", "+31 30"),
    ("Eindhoven", "56", "NB", "NL", "+31 40"),
    ("Paris", "75", "", "FR", "+33 1"),
    ("Lille", "59", "", "FR", "+33 3"),
    ("Lyon", "69", "", "FR", "+33 4"),
    ("Köln", "50", "", "DE", "+49 221"),
    ("Aachen", "52", "", "DE", "+49 241"),
    ("Luxembourg", "L-1", "", "LU", "+352"),
];

const STREETS: [&str; 20] = [
    "Kerkstraat",
    "Stationsstraat",
    "Dorpsstraat",
    "Schoolstraat",
    "Molenstraat",
    "Nieuwstraat",
    "Rue de la Gare",
    "Rue de l'Église",
    "Avenue Louise",
    "Grote Markt",
    "Kapelstraat",
    "Hoogstraat",
    "Lindenlaan",
    "Beukenlaan",
    "Hauptstraße",
    "Bahnhofstraße",
    "Rue Neuve",
    "Meir",
    "Veldstraat",
    "Boulevard Anspach",
];

const COMPANIES: [&str; 8] = [
    "Acme BV",
    "Brouwerij De Klok",
    "Studio Noord",
    "Atelier Lumière",
    "Van Dijk & Zonen",
    "Kaffee Haus GmbH",
    "Bureau Vert",
    "Fietsen Peeters",
];

const ADJECTIVES: [&str; 20] = [
    "Classic",
    "Vintage",
    "Organic",
    "Premium",
    "Everyday",
    "Urban",
    "Nordic",
    "Handmade",
    "Essential",
    "Deluxe",
    "Recycled",
    "Compact",
    "Rustic",
    "Modern",
    "Soft",
    "Sturdy",
    "Light",
    "Bold",
    "Minimal",
    "Cosy",
];

const MATERIALS: [&str; 10] = [
    "Cotton", "Wool", "Linen", "Leather", "Oak", "Ceramic", "Bamboo", "Steel", "Canvas", "Denim",
];

/// (noun, category id, category name, category slug, apparel: sized rather than coloured)
const NOUNS: [(&str, u64, &str, &str, bool); 20] = [
    ("T-Shirt", 15, "Clothing", "clothing", true),
    ("Hoodie", 15, "Clothing", "clothing", true),
    ("Sweater", 15, "Clothing", "clothing", true),
    ("Jacket", 15, "Clothing", "clothing", true),
    ("Cap", 16, "Accessories", "accessories", false),
    ("Scarf", 16, "Accessories", "accessories", false),
    ("Backpack", 16, "Accessories", "accessories", false),
    ("Tote Bag", 16, "Accessories", "accessories", false),
    ("Wallet", 16, "Accessories", "accessories", false),
    ("Mug", 17, "Home", "home", false),
    ("Vase", 17, "Home", "home", false),
    ("Cushion", 17, "Home", "home", false),
    ("Blanket", 17, "Home", "home", false),
    ("Lamp", 17, "Home", "home", false),
    ("Cutting Board", 18, "Kitchen", "kitchen", false),
    ("Apron", 18, "Kitchen", "kitchen", true),
    ("Bowl", 18, "Kitchen", "kitchen", false),
    ("Sneakers", 19, "Shoes", "shoes", true),
    ("Boots", 19, "Shoes", "shoes", true),
    ("Socks", 19, "Shoes", "shoes", true),
];

const SIZES: [(&str, &str); 4] = [("S", "s"), ("M", "m"), ("L", "l"), ("XL", "xl")];
const COLORS: [(&str, &str); 4] = [
    ("Black", "black"),
    ("White", "white"),
    ("Red", "red"),
    ("Blue", "blue"),
];

/// (method id, title, share in percent)
const PAYMENT_METHODS: [(&str, &str, u32); 4] = [
    ("stripe", "Credit Card (Stripe)", 40),
    ("ppcp-gateway", "PayPal", 30),
    ("bacs", "Direct bank transfer", 15),
    ("mollie_wc_gateway_bancontact", "Bancontact", 15),
];

const USER_AGENTS: [&str; 5] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
];

const ATTRIBUTION: [&str; 4] = ["typein", "organic", "referral", "utm"];

/// Seconds at which "bulk edits" happened; snapping a record's `date_modified` to one of
/// them creates the ties real shops have after imports and plugin updates.
struct BulkEdits(Vec<i64>);

impl BulkEdits {
    fn new(rng: &mut Rng) -> Self {
        let start = REFERENCE_INSTANT - SEED_SPAN;
        let mut v: Vec<i64> = (0..24)
            .map(|_| rng.range(start, REFERENCE_INSTANT - 1))
            .collect();
        v.sort_unstable();
        Self(v)
    }

    /// A modification date at or after `last_event` (no later than the reference instant).
    fn modified(&self, rng: &mut Rng, last_event: i64) -> i64 {
        let roll = rng.next_f64();
        if roll < 0.25 {
            let later = &self.0[self.0.partition_point(|t| *t < last_event)..];
            if !later.is_empty() {
                return later[rng.index(later.len())];
            }
        }
        if roll < 0.6 {
            return last_event;
        }
        let room = (REFERENCE_INSTANT - 1 - last_event).clamp(0, 45 * 86_400);
        last_event + rng.range(0, room)
    }
}

/// `n` sorted creation dates in the seeded range, with some same-second bursts.
fn creation_dates(rng: &mut Rng, n: usize, burst: f64) -> Vec<i64> {
    let start = REFERENCE_INSTANT - SEED_SPAN;
    let mut v: Vec<i64> = Vec::with_capacity(n);
    for _ in 0..n {
        match v.last() {
            Some(prev) if rng.chance(burst) => v.push(*prev),
            _ => v.push(rng.range(start, REFERENCE_INSTANT - 86_400)),
        }
    }
    // Bursts stay adjacent because sorting keeps equal values together.
    v.sort_unstable();
    v
}

fn address(rng: &mut Rng, first: &'static str, last: &'static str, email: Option<S>) -> Address {
    let (city, pc, state, country, phone) = *rng.pick(&CITIES);
    let company = if rng.chance(0.12) {
        *rng.pick(&COMPANIES)
    } else {
        ""
    };
    Address {
        first_name: Cow::Borrowed(first),
        last_name: Cow::Borrowed(last),
        company: Cow::Borrowed(company),
        address_1: Cow::Owned(format!("{} {}", rng.pick(&STREETS), rng.range(1, 220))),
        address_2: Cow::Borrowed(if rng.chance(0.1) { "Bus 2" } else { "" }),
        city: Cow::Borrowed(city),
        state: Cow::Borrowed(state),
        postcode: Cow::Owned(format!("{pc}{:02}", rng.range(0, 99))),
        country: Cow::Borrowed(country),
        email,
        phone: Cow::Owned(format!(
            "{phone} {:03} {:02} {:02}",
            rng.range(100, 999),
            rng.range(0, 99),
            rng.range(0, 99)
        )),
    }
}

fn shipping_of(billing: &Address) -> Address {
    Address {
        email: None,
        ..billing.clone()
    }
}

fn ascii_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'é' | 'è' | 'ë' => 'e',
            'ü' => 'u',
            'ö' => 'o',
            'ä' => 'a',
            'ï' => 'i',
            c => c,
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn customers(cfg: &WooConfig, bulk: &BulkEdits) -> Vec<Customer> {
    let mut rng = Rng::derive(cfg.seed, 1);
    let dates = creation_dates(&mut rng, cfg.customers, 0.01);
    let mut next_meta = 1_000_000u64;
    dates
        .into_iter()
        .enumerate()
        .map(|(i, created)| {
            let id = 2 + i as u64;
            let first = *rng.pick(&FIRST_NAMES);
            let last = *rng.pick(&LAST_NAMES);
            let handle = format!("{}.{}{}", ascii_lower(first), ascii_lower(last), id);
            let email = format!("{handle}@example.com");
            let billing = address(&mut rng, first, last, Some(Cow::Owned(email.clone())));
            let shipping = if rng.chance(0.75) {
                shipping_of(&billing)
            } else if rng.chance(0.5) {
                address(&mut rng, first, last, None)
            } else {
                Address::default()
            };
            let modified = bulk.modified(&mut rng, created);
            let mut meta_data = Vec::new();
            if rng.chance(0.5) {
                meta_data.push(Meta {
                    id: next_meta,
                    key: Cow::Borrowed("wc_last_active"),
                    value: Value::String((modified - modified % 86_400).to_string()),
                });
                next_meta += 1;
            }
            Customer {
                id,
                created,
                modified,
                email: Cow::Owned(email),
                first_name: Cow::Borrowed(first),
                last_name: Cow::Borrowed(last),
                username: Cow::Owned(handle),
                billing: Arc::new(billing),
                shipping: Arc::new(shipping),
                is_paying_customer: false,
                meta_data,
            }
        })
        .collect()
}

fn price_cents(rng: &mut Rng) -> i64 {
    let euros = rng.range(4, 199);
    let cents = *rng.pick(&[99, 95, 0, 50, 99]);
    euros * 100 + cents
}

fn stock(rng: &mut Rng, regular: i64) -> Stock {
    let on_sale = rng.chance(0.2);
    let sale = if on_sale {
        (regular * 8 / 10).max(1)
    } else {
        0
    };
    let manage = rng.chance(0.75);
    let mut s = Stock {
        regular_price: super::model::Money(regular).to_string(),
        sale_price: if on_sale {
            super::model::Money(sale).to_string()
        } else {
            String::new()
        },
        manage_stock: manage,
        stock_quantity: if manage {
            Some(if rng.chance(0.1) {
                0
            } else {
                rng.range(1, 120)
            })
        } else {
            None
        },
        stock_status: Cow::Borrowed(if rng.chance(0.05) {
            "outofstock"
        } else {
            "instock"
        }),
        backorders: Cow::Borrowed(if rng.chance(0.05) { "notify" } else { "no" }),
    };
    s.settle();
    s
}

struct Catalogue {
    products: Vec<Product>,
    variations: Vec<Variation>,
    next_post_id: u64,
    next_meta_id: u64,
}

fn catalogue(cfg: &WooConfig, bulk: &BulkEdits) -> Catalogue {
    let mut rng = Rng::derive(cfg.seed, 2);
    let dates = creation_dates(&mut rng, cfg.products, 0.02);
    let mut products = Vec::with_capacity(cfg.products);
    let mut variations = Vec::new();
    let mut slugs: HashMap<String, u32> = HashMap::new();
    let mut next_id = 10u64;
    let mut next_meta = 2_000_000u64;
    for (i, created) in dates.into_iter().enumerate() {
        let id = next_id;
        next_id += 1;
        let variable = cfg.variable_every > 0 && (i + 1) % cfg.variable_every == 0;
        let (noun, cat_id, cat_name, cat_slug, apparel) = *rng.pick(&NOUNS);
        let name = format!(
            "{} {} {}",
            rng.pick(&ADJECTIVES),
            rng.pick(&MATERIALS),
            noun
        );
        let base_slug = sanitize_title(&name);
        let n = slugs.entry(base_slug.clone()).or_insert(0);
        *n += 1;
        let slug = if *n == 1 {
            base_slug
        } else {
            format!("{base_slug}-{n}")
        };
        let sku = format!("JN-{id:05}");
        let regular = price_cents(&mut rng);
        let status = match rng.next_f64() {
            r if r < 0.92 => "publish",
            r if r < 0.97 => "draft",
            _ => "private",
        };
        let mut product_modified = bulk.modified(&mut rng, created);
        let mut attributes = Vec::new();
        let mut variation_ids = Vec::new();
        let mut product_stock = stock(&mut rng, regular);
        if variable {
            let (attr_id, attr_name, taxonomy, values) = if apparel {
                (1, "Size", "pa_size", &SIZES)
            } else {
                (2, "Color", "pa_color", &COLORS)
            };
            let count = usize::try_from(rng.range(2, 4)).unwrap_or(2);
            attributes.push(ProductAttribute {
                id: attr_id,
                name: Cow::Borrowed(attr_name),
                taxonomy: Cow::Borrowed(taxonomy),
                slug: Cow::Borrowed(taxonomy),
                position: 0,
                visible: true,
                variation: true,
                options: values[..count]
                    .iter()
                    .map(|(label, _)| Cow::Borrowed(*label))
                    .collect(),
            });
            product_stock = Stock {
                regular_price: String::new(),
                sale_price: String::new(),
                manage_stock: false,
                stock_quantity: None,
                stock_status: Cow::Borrowed("instock"),
                backorders: Cow::Borrowed("no"),
            };
            for (k, (label, value_slug)) in values[..count].iter().enumerate() {
                let vid = next_id;
                next_id += 1;
                let v_created = created + rng.range(0, 1);
                let v_modified = bulk.modified(&mut rng, v_created);
                product_modified = product_modified.max(v_modified);
                let v_regular = if rng.chance(0.5) {
                    regular
                } else {
                    regular + 500 * k as i64
                };
                variations.push(Variation {
                    id: vid,
                    parent_id: id,
                    created: v_created,
                    modified: v_modified,
                    description: Cow::Borrowed(""),
                    sku: Arc::from(format!("{sku}-{}", value_slug.to_ascii_uppercase())),
                    stock: stock(&mut rng, v_regular),
                    status: Cow::Borrowed("publish"),
                    tax_status: Cow::Borrowed("taxable"),
                    tax_class: Cow::Borrowed(""),
                    weight: Cow::Borrowed(""),
                    dimensions: [Cow::Borrowed(""), Cow::Borrowed(""), Cow::Borrowed("")],
                    attributes: vec![VariationAttribute {
                        id: attr_id,
                        name: Cow::Borrowed(attr_name),
                        taxonomy: Cow::Borrowed(taxonomy),
                        slug: Cow::Borrowed(value_slug),
                        option: Cow::Borrowed(label),
                    }],
                    menu_order: k as i64 + 1,
                    meta_data: Vec::new(),
                });
                variation_ids.push(vid);
            }
        }
        let mut meta_data = Vec::new();
        if rng.chance(0.3) {
            meta_data.push(Meta {
                id: next_meta,
                key: Cow::Borrowed("_supplier_ref"),
                value: Value::String(format!("SUP-{:04}", rng.range(1, 9999))),
            });
            next_meta += 1;
        }
        products.push(Product {
            id,
            name: Arc::from(name.as_str()),
            slug,
            kind: if variable {
                ProductType::Variable
            } else {
                ProductType::Simple
            },
            status: Cow::Borrowed(status),
            featured: rng.chance(0.05),
            catalog_visibility: Cow::Borrowed("visible"),
            description: Cow::Owned(format!(
                "<p>{name}: made to last, designed in Belgium.</p>\n"
            )),
            short_description: Cow::Borrowed(""),
            sku: Arc::from(sku),
            stock: product_stock,
            total_sales: 0,
            tax_status: Cow::Borrowed("taxable"),
            tax_class: Cow::Borrowed(""),
            weight: Cow::Owned(format!("{:.1}", rng.range(1, 40) as f64 / 10.0)),
            dimensions: [
                Cow::Owned(rng.range(5, 60).to_string()),
                Cow::Owned(rng.range(5, 40).to_string()),
                Cow::Owned(rng.range(1, 30).to_string()),
            ],
            categories: vec![CategoryRef {
                id: cat_id,
                name: Cow::Borrowed(cat_name),
                slug: Cow::Borrowed(cat_slug),
            }],
            attributes,
            variations: variation_ids,
            menu_order: 0,
            meta_data,
            created,
            modified: product_modified,
        });
    }
    Catalogue {
        products,
        variations,
        next_post_id: next_id,
        next_meta_id: next_meta,
    }
}

/// What an order line can be bought as: `(product index, variation index)`.
type Buyable = (usize, Option<usize>);

fn buyables(cat: &Catalogue) -> Vec<Buyable> {
    let by_id: HashMap<u64, usize> = cat
        .variations
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id, i))
        .collect();
    let mut out = Vec::new();
    for (pi, p) in cat.products.iter().enumerate() {
        if p.status != "publish" {
            continue;
        }
        if p.kind == ProductType::Variable {
            out.extend(
                p.variations
                    .iter()
                    .filter_map(|vid| by_id.get(vid))
                    .map(|vi| (pi, Some(*vi))),
            );
        } else {
            out.push((pi, None));
        }
    }
    out
}

fn random_token(rng: &mut Rng, len: usize, alphabet: &[u8]) -> String {
    (0..len).map(|_| char::from(*rng.pick(alphabet))).collect()
}

/// Builds the whole seeded shop.
pub(crate) fn generate(cfg: &WooConfig) -> Db {
    let mut bulk_rng = Rng::derive(cfg.seed, 0);
    let bulk = BulkEdits::new(&mut bulk_rng);
    let mut customers = customers(cfg, &bulk);
    let mut cat = catalogue(cfg, &bulk);
    let sellable = buyables(&cat);
    let variation_names: Vec<Arc<str>> = cat
        .variations
        .iter()
        .map(|v| {
            let parent = cat.products.iter().find(|p| p.id == v.parent_id);
            let parent_name = parent.map_or("", |p| &*p.name);
            Arc::from(super::views::variation_name(parent_name, v))
        })
        .collect();
    let variation_attrs: Vec<Arc<[ItemAttribute]>> = cat
        .variations
        .iter()
        .map(|v| {
            v.attributes
                .iter()
                .map(|a| {
                    (
                        a.taxonomy.clone(),
                        a.slug.clone(),
                        a.name.clone(),
                        a.option.clone(),
                    )
                })
                .collect::<Vec<_>>()
                .into()
        })
        .collect();

    let mut rng = Rng::derive(cfg.seed, 3);
    let dates = creation_dates(&mut rng, cfg.orders, 0.05);
    let first_order_id = cat.next_post_id.div_ceil(100) * 100;
    let mut next_item = 1u64;
    let mut next_meta = 3_000_000u64;
    let mut orders = Vec::with_capacity(cfg.orders);
    let mut sales: HashMap<usize, u64> = HashMap::new();
    let mut paying: Vec<bool> = vec![false; customers.len()];
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const HEX: &[u8] = b"0123456789abcdef";

    for (i, created) in dates.into_iter().enumerate() {
        let id = first_order_id + i as u64;
        let status = match rng.range(0, 99) {
            0..=61 => OrderStatus::Completed,
            62..=73 => OrderStatus::Processing,
            74..=78 => OrderStatus::OnHold,
            79..=84 => OrderStatus::Pending,
            85..=91 => OrderStatus::Cancelled,
            92..=95 => OrderStatus::Refunded,
            _ => OrderStatus::Failed,
        };
        let (method_id, method_title) = if matches!(status, OrderStatus::OnHold) {
            ("bacs", "Direct bank transfer")
        } else {
            let mut roll = u32::try_from(rng.range(0, 99)).unwrap_or(0);
            let mut chosen = PAYMENT_METHODS[0];
            for m in PAYMENT_METHODS {
                if roll < m.2 {
                    chosen = m;
                    break;
                }
                roll -= m.2;
            }
            (chosen.0, chosen.1)
        };
        let registered = !customers.is_empty() && rng.chance(0.85);
        let (customer_id, billing, shipping) = if registered {
            let ci = rng.index(customers.len());
            let c = &customers[ci];
            if status.is_paid() {
                paying[ci] = true;
            }
            (c.id, c.billing.clone(), c.shipping.clone())
        } else {
            let first = *rng.pick(&FIRST_NAMES);
            let last = *rng.pick(&LAST_NAMES);
            let email = format!(
                "{}.{}.guest{}@example.net",
                ascii_lower(first),
                ascii_lower(last),
                id
            );
            let billing = address(&mut rng, first, last, Some(Cow::Owned(email)));
            let shipping = shipping_of(&billing);
            (0, Arc::new(billing), Arc::new(shipping))
        };

        let mut line_items = Vec::new();
        let lines = if sellable.is_empty() {
            0
        } else {
            *rng.pick(&[1, 1, 1, 2, 2, 3, 4])
        };
        let coupon = rng.chance(0.08);
        for _ in 0..lines {
            let (pi, vi) = *rng.pick(&sellable);
            let product = &cat.products[pi];
            let quantity = *rng.pick(&[1, 1, 1, 2, 3]);
            let (name, parent_name, sku, price, attributes, variation_id) = match vi {
                Some(vi) => {
                    let v = &cat.variations[vi];
                    (
                        variation_names[vi].clone(),
                        Some(product.name.clone()),
                        v.sku.clone(),
                        super::model::parse_cents(v.stock.price()).unwrap_or(0),
                        Some(variation_attrs[vi].clone()),
                        v.id,
                    )
                }
                None => (
                    product.name.clone(),
                    None,
                    product.sku.clone(),
                    super::model::parse_cents(product.stock.price()).unwrap_or(0),
                    None,
                    0,
                ),
            };
            let subtotal = price * quantity;
            let total = if coupon {
                subtotal - (subtotal + 5) / 10
            } else {
                subtotal
            };
            if status.is_paid() {
                *sales.entry(pi).or_default() += quantity.unsigned_abs();
            }
            line_items.push(LineItem {
                id: next_item,
                name,
                product_id: product.id,
                variation_id,
                quantity,
                subtotal,
                subtotal_tax: tax_of(subtotal),
                total,
                total_tax: tax_of(total),
                sku,
                parent_name,
                attributes,
            });
            next_item += 1;
        }
        let items_total: i64 = line_items.iter().map(|l| l.total).sum();
        let shipping_lines = if line_items.is_empty() {
            Vec::new()
        } else {
            let free = items_total >= 7500;
            let total = if free { 0 } else { 595 };
            let line = ShippingLine {
                id: next_item,
                method_title: Cow::Borrowed(if free { "Free shipping" } else { "Flat rate" }),
                method_id: Cow::Borrowed(if free { "free_shipping" } else { "flat_rate" }),
                instance_id: Cow::Borrowed(if free { "2" } else { "1" }),
                total,
                total_tax: tax_of(total),
            };
            next_item += 1;
            vec![line]
        };
        let coupon_lines = if coupon && !line_items.is_empty() {
            let discount: i64 = line_items.iter().map(|l| l.subtotal - l.total).sum();
            let discount_tax: i64 = line_items
                .iter()
                .map(|l| l.subtotal_tax - l.total_tax)
                .sum();
            let line = CouponLine {
                id: next_item,
                code: Cow::Borrowed("welcome10"),
                discount,
                discount_tax,
            };
            next_item += 1;
            vec![line]
        } else {
            Vec::new()
        };
        let tax_line_id = next_item;
        next_item += 1;

        let paid = matches!(
            status,
            OrderStatus::Processing | OrderStatus::Completed | OrderStatus::Refunded
        )
        .then(|| (created + rng.range(5, 900)).min(REFERENCE_INSTANT - 1));
        let completed = (status == OrderStatus::Completed).then(|| {
            (paid.unwrap_or(created) + rng.range(3600, 5 * 86_400)).min(REFERENCE_INSTANT - 1)
        });
        let last_event = created
            .max(paid.unwrap_or(created))
            .max(completed.unwrap_or(created));
        let modified = bulk.modified(&mut rng, last_event);
        let transaction_id = match (paid.is_some(), method_id) {
            (true, "stripe") => Cow::Owned(format!("pi_3{}", random_token(&mut rng, 23, ALNUM))),
            (true, "ppcp-gateway") => Cow::Owned(random_token(
                &mut rng,
                17,
                b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789",
            )),
            (true, "mollie_wc_gateway_bancontact") => {
                Cow::Owned(format!("tr_{}", random_token(&mut rng, 10, ALNUM)))
            }
            _ => Cow::Borrowed(""),
        };
        let meta_data = vec![
            Meta {
                id: next_meta,
                key: Cow::Borrowed("_wc_order_attribution_source_type"),
                value: Value::String((*rng.pick(&ATTRIBUTION)).to_owned()),
            },
            Meta {
                id: next_meta + 1,
                key: Cow::Borrowed("_wc_order_attribution_device_type"),
                value: Value::String(
                    if rng.chance(0.55) {
                        "Mobile"
                    } else {
                        "Desktop"
                    }
                    .to_owned(),
                ),
            },
        ];
        next_meta += 2;
        let mut order = Order {
            id,
            status,
            currency: Cow::Borrowed("EUR"),
            created,
            modified,
            paid,
            completed,
            discount_total: 0,
            discount_tax: 0,
            shipping_total: 0,
            shipping_tax: 0,
            cart_tax: 0,
            total: 0,
            total_tax: 0,
            customer_id,
            order_key: order_key(id),
            billing,
            shipping,
            payment_method: Cow::Borrowed(method_id),
            payment_method_title: Cow::Borrowed(method_title),
            transaction_id,
            customer_ip_address: Cow::Owned(format!(
                "{}.{}",
                rng.pick(&["192.0.2", "198.51.100", "203.0.113"]),
                rng.range(1, 254)
            )),
            customer_user_agent: Cow::Borrowed(*rng.pick(&USER_AGENTS)),
            created_via: Cow::Borrowed("checkout"),
            customer_note: Cow::Borrowed(if rng.chance(0.05) {
                "Please leave the parcel with the neighbours."
            } else {
                ""
            }),
            cart_hash: Cow::Owned(random_token(&mut rng, 32, HEX)),
            meta_data,
            line_items,
            tax_line_id,
            shipping_lines,
            coupon_lines,
        };
        order.recalculate();
        orders.push(order);
    }

    for (pi, n) in sales {
        cat.products[pi].total_sales = n;
    }
    for (c, paid) in customers.iter_mut().zip(paying) {
        c.is_paying_customer = paid;
    }

    let newest = orders
        .iter()
        .map(|o| o.modified)
        .chain(customers.iter().map(|c| c.modified))
        .chain(cat.products.iter().map(|p| p.modified))
        .chain(cat.variations.iter().map(|v| v.modified))
        .max()
        .unwrap_or(REFERENCE_INSTANT);
    let next_post_id = first_order_id + cfg.orders as u64;
    let next_user_id = 2 + cfg.customers as u64;
    Db {
        orders: Table::from_rows(orders),
        customers: Table::from_rows(customers),
        products: Table::from_rows(cat.products),
        variations: Table::from_rows(cat.variations),
        notes: HashMap::new(),
        next_post_id,
        next_user_id,
        next_item_id: next_item,
        next_meta_id: next_meta.max(cat.next_meta_id),
        next_note_id: 1,
        clock: WriteClock::new(newest.max(REFERENCE_INSTANT)),
    }
}
