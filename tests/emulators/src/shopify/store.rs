//! The emulated shop's records (orders with their line items, fulfillment orders and
//! fulfillments; customers; products; variants with their inventory item and per-location
//! levels; locations) and the changes the API and the tests make to them.
//!
//! Times are Unix seconds; every change stamps `updatedAt` with the write clock
//! ([`ShopData::tick`]), which never goes backwards and never repeats a second for the
//! same record class, so `updated_at:>=` windows behave as on Shopify.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// Money in cents.
pub type Cents = i64;

/// A postal address (Shopify's `MailingAddress`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub address1: String,
    pub city: String,
    pub province_code: Option<String>,
    pub zip: String,
    pub country_code: String,
    pub phone: Option<String>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    pub id: u64,
    pub product_id: u64,
    pub variant_id: u64,
    pub sku: String,
    pub title: String,
    pub quantity: i64,
    pub unit_price: Cents,
    pub tax: Cents,
}

/// A fulfillment order: the work of shipping an order's lines from a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulfillmentOrder {
    pub id: u64,
    /// `OPEN`, `CLOSED` or `CANCELLED`.
    pub status: String,
}

/// Tracking of a fulfillment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingInfo {
    pub number: String,
    pub company: Option<String>,
    pub url: Option<String>,
}

/// A shipment of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fulfillment {
    pub id: u64,
    pub created_at: i64,
    pub tracking: Vec<TrackingInfo>,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: u64,
    pub number: u64,
    pub email: Option<String>,
    pub customer_id: Option<u64>,
    pub currency: String,
    /// `displayFinancialStatus`: `PAID`, `PENDING`, `REFUNDED`, ...
    pub financial_status: String,
    pub gateway: String,
    pub lines: Vec<LineItem>,
    pub shipping_price: Cents,
    pub billing: Address,
    pub shipping: Address,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub cancel_reason: Option<String>,
    pub fulfillment_orders: Vec<FulfillmentOrder>,
    pub fulfillments: Vec<Fulfillment>,
}

impl Order {
    /// `displayFulfillmentStatus`, from the fulfillment orders.
    pub fn fulfillment_status(&self) -> &'static str {
        let open = self
            .fulfillment_orders
            .iter()
            .filter(|f| f.status == "OPEN")
            .count();
        match (open, self.fulfillments.is_empty()) {
            (0, false) => "FULFILLED",
            (_, false) => "PARTIALLY_FULFILLED",
            _ => "UNFULFILLED",
        }
    }

    /// Sum of the lines' totals, in cents.
    pub fn subtotal(&self) -> Cents {
        self.lines.iter().map(|l| l.unit_price * l.quantity).sum()
    }

    /// Tax of all lines.
    pub fn tax(&self) -> Cents {
        self.lines.iter().map(|l| l.tax).sum()
    }
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Address,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A product; its variants are kept apart (every product has at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: u64,
    pub title: String,
    pub handle: String,
    /// `ACTIVE`, `DRAFT` or `ARCHIVED`.
    pub status: String,
    pub vendor: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Its variants in position order.
    pub variant_ids: Vec<u64>,
}

/// A product variant with its inventory item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub id: u64,
    pub product_id: u64,
    pub title: String,
    pub sku: String,
    pub price: Cents,
    pub compare_at_price: Option<Cents>,
    pub options: Vec<(String, String)>,
    pub inventory_item_id: u64,
    /// `available` quantity per location id.
    pub available: BTreeMap<u64, i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Variant {
    /// `inventoryQuantity`: available units over all locations.
    pub fn inventory_quantity(&self) -> i64 {
        self.available.values().sum()
    }
}

/// A location stock is kept at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub id: u64,
    pub name: String,
}

/// Everything the shop holds.
#[derive(Debug, Clone, Default)]
pub struct ShopData {
    pub orders: BTreeMap<u64, Order>,
    pub customers: BTreeMap<u64, Customer>,
    pub products: BTreeMap<u64, Product>,
    pub variants: BTreeMap<u64, Variant>,
    pub locations: Vec<Location>,
    /// The next id of any new record (fulfillments, jobs, bulk operations).
    pub next_id: u64,
    /// The last instant handed out by [`ShopData::tick`].
    pub last_tick: i64,
}

/// Wall-clock seconds.
pub(crate) fn wall_clock() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

impl ShopData {
    /// The instant of a write: the wall clock, but never earlier than the previous write,
    /// so records written later never sort before records written earlier.
    pub fn tick(&mut self) -> i64 {
        self.last_tick = self.last_tick.max(wall_clock());
        self.last_tick
    }

    /// A fresh id for a record the API creates.
    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The variant whose inventory item this is.
    pub fn variant_by_inventory_item(&self, item: u64) -> Option<u64> {
        self.variants
            .values()
            .find(|v| v.inventory_item_id == item)
            .map(|v| v.id)
    }
}

/// Shared access to the shop (cheap to clone): the API and the tests change the same data.
#[derive(Debug, Clone, Default)]
pub struct ShopifyStore {
    inner: Arc<Mutex<ShopData>>,
}

impl ShopifyStore {
    pub(crate) fn new(data: ShopData) -> Self {
        Self {
            inner: Arc::new(Mutex::new(data)),
        }
    }

    /// Locks the data (a panicked holder does not poison it for the others).
    pub(crate) fn lock(&self) -> MutexGuard<'_, ShopData> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Order ids, ascending.
    pub fn order_ids(&self) -> Vec<u64> {
        self.lock().orders.keys().copied().collect()
    }

    /// Customer ids, ascending.
    pub fn customer_ids(&self) -> Vec<u64> {
        self.lock().customers.keys().copied().collect()
    }

    /// Product ids, ascending.
    pub fn product_ids(&self) -> Vec<u64> {
        self.lock().products.keys().copied().collect()
    }

    /// The variant ids of a product in position order; `None` for an unknown product.
    pub fn variant_ids(&self, product: u64) -> Option<Vec<u64>> {
        self.lock()
            .products
            .get(&product)
            .map(|p| p.variant_ids.clone())
    }

    /// A copy of an order.
    pub fn order(&self, id: u64) -> Option<Order> {
        self.lock().orders.get(&id).cloned()
    }

    /// A copy of a customer.
    pub fn customer(&self, id: u64) -> Option<Customer> {
        self.lock().customers.get(&id).cloned()
    }

    /// A copy of a product.
    pub fn product(&self, id: u64) -> Option<Product> {
        self.lock().products.get(&id).cloned()
    }

    /// A copy of a variant.
    pub fn variant(&self, id: u64) -> Option<Variant> {
        self.lock().variants.get(&id).cloned()
    }

    /// The shop's locations.
    pub fn locations(&self) -> Vec<Location> {
        self.lock().locations.clone()
    }

    /// Marks an order changed now (as an edit in the admin would); false when unknown.
    pub fn touch_order(&self, id: u64) -> bool {
        let mut data = self.lock();
        let now = data.tick();
        data.orders
            .get_mut(&id)
            .map(|o| o.updated_at = now)
            .is_some()
    }

    /// Marks a customer changed now; false when unknown.
    pub fn touch_customer(&self, id: u64) -> bool {
        let mut data = self.lock();
        let now = data.tick();
        data.customers
            .get_mut(&id)
            .map(|c| c.updated_at = now)
            .is_some()
    }

    /// Marks a product changed now; false when unknown.
    pub fn touch_product(&self, id: u64) -> bool {
        let mut data = self.lock();
        let now = data.tick();
        data.products
            .get_mut(&id)
            .map(|p| p.updated_at = now)
            .is_some()
    }

    /// Marks a variant changed now; false when unknown.
    pub fn touch_variant(&self, id: u64) -> bool {
        let mut data = self.lock();
        let now = data.tick();
        data.variants
            .get_mut(&id)
            .map(|v| v.updated_at = now)
            .is_some()
    }

    /// Deletes an order for good (Shopify has no trash); false when unknown.
    pub fn delete_order(&self, id: u64) -> bool {
        self.lock().orders.remove(&id).is_some()
    }

    /// Deletes a customer; false when unknown.
    pub fn delete_customer(&self, id: u64) -> bool {
        self.lock().customers.remove(&id).is_some()
    }

    /// Deletes a product and its variants; false when unknown.
    pub fn delete_product(&self, id: u64) -> bool {
        let mut data = self.lock();
        let Some(product) = data.products.remove(&id) else {
            return false;
        };
        for v in product.variant_ids {
            data.variants.remove(&v);
        }
        true
    }
}
