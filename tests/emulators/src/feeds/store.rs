//! The catalogue behind both feeds: seeded products (some with variants), their ordering,
//! and [`FeedStore`], the handle tests use to read and change them directly from Rust.
//!
//! Every change goes through the [`WriteClock`], so a changed record's `updated_at` is
//! strictly later than every earlier change and every seeded date: a client that asks for
//! `updated_since=<newest it has seen>` always gets it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;

use crate::rng::Rng;
use crate::woocommerce::time::{REFERENCE_INSTANT, WriteClock, format_wc};

/// One product of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedProduct {
    pub id: u64,
    pub sku: String,
    /// Display name; seeded names include commas, quotes and accents on purpose (CSV).
    pub name: String,
    /// The list price, a plain decimal string such as `"19.99"`.
    pub price: String,
    /// A sale price below `price`, when on sale.
    pub sale_price: Option<String>,
    pub currency: String,
    /// Units in stock; `None` when stock is not tracked.
    pub stock: Option<i64>,
    /// `active` or `draft`.
    pub status: String,
    /// Seconds since the Unix epoch (UTC).
    pub created_at: i64,
    /// Seconds since the Unix epoch (UTC); moves on every change.
    pub updated_at: i64,
    pub variants: Vec<FeedVariant>,
}

/// One variant of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedVariant {
    pub id: u64,
    pub product_id: u64,
    pub sku: String,
    pub name: String,
    /// Attribute name and value pairs, e.g. `("Colour", "Red")`.
    pub attributes: Vec<(String, String)>,
    pub price: String,
    pub stock: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Formats seconds since the epoch as the feeds do: RFC 3339 UTC, e.g. `2025-01-01T00:00:00Z`.
pub fn format_time(ts: i64) -> String {
    format!("{}Z", format_wc(ts))
}

#[derive(Debug)]
struct Catalog {
    products: Vec<FeedProduct>,
    next_id: u64,
    clock: WriteClock,
}

/// Shared handle on the catalogue (cheap to clone).
#[derive(Debug, Clone)]
pub struct FeedStore {
    inner: Arc<Mutex<Catalog>>,
}

const NOUNS: &[&str] = &[
    "Mug", "T-shirt", "Notebook", "Backpack", "Lamp", "Bottle", "Scarf", "Candle", "Poster",
];
const ADJECTIVES: &[&str] = &[
    "Classic",
    "Crème",
    "Large, blue",
    "\"Pro\"",
    "Café",
    "Tiny",
    "Weekend",
    "Eco",
];
const COLOURS: &[&str] = &["Red", "Green", "Black", "Blue"];
const SIZES: &[&str] = &["S", "M", "L", "XL"];

/// Six months of seconds: seeded dates lie in the half year before [`REFERENCE_INSTANT`].
const SEED_SPAN: i64 = 182 * 86_400;

fn cents(c: i64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

fn seed(products: usize, variable_every: usize, seed: u64) -> Vec<FeedProduct> {
    let mut rng = Rng::derive(seed, 0xFEED);
    let mut next_variant = 100_000u64;
    let mut previous_update: Option<i64> = None;
    (1..=products as u64)
        .map(|id| {
            let mut created_at = REFERENCE_INSTANT - SEED_SPAN + rng.range(0, SEED_SPAN / 2);
            // Every third product shares the previous one's `updated_at` (a bulk edit), so
            // ordering and paging must break ties by id.
            let updated_at = match previous_update {
                Some(previous) if id % 3 == 0 => previous,
                _ => (created_at + rng.range(0, SEED_SPAN / 2)) / 3600 * 3600 + 3600,
            };
            created_at = created_at.min(updated_at);
            previous_update = Some(updated_at);
            let price = rng.range(199, 19_999);
            let sale_price = rng.chance(0.25).then(|| cents(price * 8 / 10));
            let stock = (!rng.chance(0.2)).then(|| rng.range(0, 250));
            let name = format!("{} {} #{id}", rng.pick(ADJECTIVES), rng.pick(NOUNS));
            let variable = variable_every > 0 && id % variable_every as u64 == 0;
            let variants = if variable {
                let n = rng.range(2, 3) as usize;
                (0..n)
                    .map(|k| {
                        next_variant += 1;
                        let colour = COLOURS[k % COLOURS.len()];
                        let size = *rng.pick(SIZES);
                        FeedVariant {
                            id: next_variant,
                            product_id: id,
                            sku: format!("SKU-{id:04}-{k}"),
                            name: format!("{name} - {colour}, {size}"),
                            attributes: vec![
                                ("Colour".to_owned(), colour.to_owned()),
                                ("Size".to_owned(), size.to_owned()),
                            ],
                            price: cents(price + 100 * k as i64),
                            stock: Some(rng.range(0, 40)),
                            created_at,
                            updated_at,
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            FeedProduct {
                id,
                sku: format!("SKU-{id:04}"),
                name,
                price: cents(price),
                sale_price,
                currency: "EUR".to_owned(),
                stock,
                status: if rng.chance(0.1) { "draft" } else { "active" }.to_owned(),
                created_at,
                updated_at,
                variants,
            }
        })
        .collect()
}

impl FeedStore {
    /// A seeded catalogue: `products` products, every `variable_every`th with 2-3 variants.
    pub(crate) fn seeded(products: usize, variable_every: usize, seed_value: u64) -> Self {
        let products = seed(products, variable_every, seed_value);
        let newest = products.iter().map(|p| p.updated_at).max().unwrap_or(0);
        let next_id = products.iter().map(|p| p.id).max().unwrap_or(0) + 1;
        Self {
            inner: Arc::new(Mutex::new(Catalog {
                products,
                next_id,
                clock: WriteClock::new(newest.max(REFERENCE_INSTANT)),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Catalog> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every product id, ascending.
    pub fn product_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.lock().products.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        ids
    }

    /// One product, as stored.
    pub fn product(&self, id: u64) -> Option<FeedProduct> {
        self.lock().products.iter().find(|p| p.id == id).cloned()
    }

    /// The variant ids of a product (`None` when the product does not exist).
    pub fn variant_ids(&self, product_id: u64) -> Option<Vec<u64>> {
        self.product(product_id)
            .map(|p| p.variants.iter().map(|v| v.id).collect())
    }

    /// Products with `updated_at >= since` (all when `None`), ordered by `updated_at`, then
    /// id: the order both feeds page in.
    pub fn ordered(&self, since: Option<i64>) -> Vec<FeedProduct> {
        let mut out: Vec<FeedProduct> = self
            .lock()
            .products
            .iter()
            .filter(|p| since.is_none_or(|s| p.updated_at >= s))
            .cloned()
            .collect();
        out.sort_by_key(|p| (p.updated_at, p.id));
        out
    }

    /// Marks a product changed (as an edit in the back office would); returns its new
    /// `updated_at`, or `None` when it does not exist.
    pub fn touch(&self, id: u64) -> Option<i64> {
        self.update(id, |_| {})
    }

    /// Sets a product's list price; returns its new `updated_at`.
    pub fn set_price(&self, id: u64, price: &str) -> Option<i64> {
        let price = price.to_owned();
        self.update(id, move |p| p.price = price)
    }

    /// Sets a product's stock; returns its new `updated_at`.
    pub fn set_stock(&self, id: u64, stock: Option<i64>) -> Option<i64> {
        self.update(id, move |p| p.stock = stock)
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut FeedProduct)) -> Option<i64> {
        let mut catalog = self.lock();
        let now = catalog.clock.tick();
        let product = catalog.products.iter_mut().find(|p| p.id == id)?;
        change(product);
        product.updated_at = now;
        Some(now)
    }

    /// Adds a simple product; returns its id.
    pub fn insert(&self, name: &str, price: &str) -> u64 {
        let mut catalog = self.lock();
        let now = catalog.clock.tick();
        let id = catalog.next_id;
        catalog.next_id += 1;
        catalog.products.push(FeedProduct {
            id,
            sku: format!("SKU-{id:04}"),
            name: name.to_owned(),
            price: price.to_owned(),
            sale_price: None,
            currency: "EUR".to_owned(),
            stock: None,
            status: "active".to_owned(),
            created_at: now,
            updated_at: now,
            variants: Vec::new(),
        });
        id
    }

    /// Deletes a product; true when it existed.
    pub fn remove(&self, id: u64) -> bool {
        let mut catalog = self.lock();
        let before = catalog.products.len();
        catalog.products.retain(|p| p.id != id);
        catalog.products.len() != before
    }

    /// The number of products.
    pub fn len(&self) -> usize {
        self.lock().products.len()
    }

    /// Whether the catalogue is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seeding_is_deterministic_and_shares_timestamps() {
        let a = FeedStore::seeded(60, 4, 7).ordered(None);
        let b = FeedStore::seeded(60, 4, 7).ordered(None);
        assert_eq!(a, b);
        let mut stamps: Vec<i64> = a.iter().map(|p| p.updated_at).collect();
        stamps.dedup();
        assert!(stamps.len() < a.len(), "some products share an updated_at");
        assert_eq!(a.iter().filter(|p| !p.variants.is_empty()).count(), 15);
    }

    #[test]
    fn changes_move_to_the_end() {
        let s = FeedStore::seeded(10, 0, 1);
        let t = s.touch(3).unwrap();
        assert_eq!(
            s.ordered(Some(t)).iter().map(|p| p.id).collect::<Vec<_>>(),
            [3]
        );
        let id = s.insert("New", "1.00");
        assert_eq!(s.ordered(None).last().unwrap().id, id);
        assert!(s.remove(id) && !s.remove(id));
        assert_eq!(s.touch(999), None);
    }
}
