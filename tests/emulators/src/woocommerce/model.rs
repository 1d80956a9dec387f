//! The emulated shop's records as typed structs, and the indexed tables that hold them.
//!
//! Records are kept typed (not as JSON trees) so that 100,000 orders stay small in memory;
//! JSON is produced on demand by [`super::views`]. Strings that come from the seed
//! generator's static pools are borrowed (`Cow::Borrowed`), so they cost no allocation.
//! Money on orders is held in cents and shown with two decimals; product prices are held as
//! the strings WooCommerce stores (a client that writes `"9.9"` reads back `"9.9"`).
//!
//! A [`Table`] keeps its rows sorted by id plus two sorted indexes of `(date, id)` pairs, by
//! creation and by modification date, maintained on every write. A list request therefore
//! finds its window by binary search instead of scanning and sorting every row.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

/// A string that is usually a static pool entry and sometimes an owned, written value.
pub(crate) type S = Cow<'static, str>;

/// The shop's tax rate in percent (one standard rate, applied to items and shipping).
pub(crate) const TAX_RATE_PERCENT: i64 = 21;

/// The tax on an amount in cents, rounded half up like WooCommerce's default rounding.
pub(crate) fn tax_of(cents: i64) -> i64 {
    (cents * TAX_RATE_PERCENT + 50).div_euclid(100)
}

/// An amount in cents that serialises as a WooCommerce money string (`"12.30"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Money(pub i64);

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<Ser: serde::Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
        s.collect_str(self)
    }
}

/// Parses a plain decimal string (`"9"`, `"9.99"`, `"0.5"`) into cents, rounding half up.
pub(crate) fn parse_cents(s: &str) -> Option<i64> {
    if !is_decimal(s) {
        return None;
    }
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let int: i64 = int.parse().ok()?;
    let mut digits = frac.bytes().map(|b| i64::from(b - b'0'));
    let d1 = digits.next().unwrap_or(0);
    let d2 = digits.next().unwrap_or(0);
    let round = i64::from(digits.next().unwrap_or(0) >= 5);
    int.checked_mul(100)?.checked_add(d1 * 10 + d2 + round)
}

/// Whether a string is a non-negative plain decimal number (`12`, `12.5`, `0.99`).
pub(crate) fn is_decimal(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    !int.is_empty()
        && int.len() <= 15
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// A record a [`Table`] can hold and index.
pub(crate) trait Record {
    fn id(&self) -> u64;
    fn created(&self) -> i64;
    fn modified(&self) -> i64;
}

/// Rows sorted by id, with sorted `(date_created, id)` and `(date_modified, id)` indexes.
#[derive(Debug, Clone)]
pub(crate) struct Table<T> {
    rows: Vec<T>,
    by_created: Vec<(i64, u64)>,
    by_modified: Vec<(i64, u64)>,
}

impl<T: Record> Table<T> {
    /// A table of the given rows (in any order).
    pub(crate) fn from_rows(mut rows: Vec<T>) -> Self {
        rows.sort_unstable_by_key(Record::id);
        let mut by_created: Vec<(i64, u64)> = rows.iter().map(|r| (r.created(), r.id())).collect();
        let mut by_modified: Vec<(i64, u64)> =
            rows.iter().map(|r| (r.modified(), r.id())).collect();
        by_created.sort_unstable();
        by_modified.sort_unstable();
        Self {
            rows,
            by_created,
            by_modified,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// All rows, ascending by id.
    pub(crate) fn rows(&self) -> &[T] {
        &self.rows
    }

    /// `(date_created, id)` pairs, ascending.
    pub(crate) fn by_created(&self) -> &[(i64, u64)] {
        &self.by_created
    }

    /// `(date_modified, id)` pairs, ascending.
    pub(crate) fn by_modified(&self) -> &[(i64, u64)] {
        &self.by_modified
    }

    pub(crate) fn get(&self, id: u64) -> Option<&T> {
        let i = self.rows.binary_search_by_key(&id, Record::id).ok()?;
        self.rows.get(i)
    }

    /// The largest id held, 0 when empty.
    pub(crate) fn max_id(&self) -> u64 {
        self.rows.last().map_or(0, Record::id)
    }

    /// Adds a row; its id must be larger than every id held (new records get new ids).
    pub(crate) fn insert(&mut self, row: T) {
        debug_assert!(row.id() > self.max_id());
        insert_sorted(&mut self.by_created, (row.created(), row.id()));
        insert_sorted(&mut self.by_modified, (row.modified(), row.id()));
        self.rows.push(row);
    }

    /// Removes the row with this id (a permanent delete), returning it.
    pub(crate) fn remove(&mut self, id: u64) -> Option<T> {
        let i = self.rows.binary_search_by_key(&id, Record::id).ok()?;
        let row = self.rows.remove(i);
        remove_sorted(&mut self.by_created, (row.created(), id));
        remove_sorted(&mut self.by_modified, (row.modified(), id));
        Some(row)
    }

    /// Applies `f` to the row with this id, keeping the date indexes in step.
    pub(crate) fn update<R>(&mut self, id: u64, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let i = self.rows.binary_search_by_key(&id, Record::id).ok()?;
        let row = self.rows.get_mut(i)?;
        let (c0, m0) = (row.created(), row.modified());
        let out = f(row);
        let (c1, m1) = (row.created(), row.modified());
        if c0 != c1 {
            remove_sorted(&mut self.by_created, (c0, id));
            insert_sorted(&mut self.by_created, (c1, id));
        }
        if m0 != m1 {
            remove_sorted(&mut self.by_modified, (m0, id));
            insert_sorted(&mut self.by_modified, (m1, id));
        }
        Some(out)
    }
}

fn insert_sorted(v: &mut Vec<(i64, u64)>, key: (i64, u64)) {
    let at = v.partition_point(|k| *k < key);
    v.insert(at, key);
}

fn remove_sorted(v: &mut Vec<(i64, u64)>, key: (i64, u64)) {
    if let Ok(at) = v.binary_search(&key) {
        v.remove(at);
    }
}

/// A `meta_data` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Meta {
    pub id: u64,
    pub key: S,
    pub value: Value,
}

/// A billing or shipping address. Shipping addresses have no `email` (it is not serialised).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Address {
    pub first_name: S,
    pub last_name: S,
    pub company: S,
    pub address_1: S,
    pub address_2: S,
    pub city: S,
    pub state: S,
    pub postcode: S,
    pub country: S,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<S>,
    pub phone: S,
}

impl Address {
    /// An empty billing address (with the `email` field).
    pub(crate) fn empty_billing() -> Self {
        Self {
            email: Some(S::Borrowed("")),
            ..Self::default()
        }
    }

    /// Sets one field by its JSON name; false when the name is not an address field.
    pub(crate) fn set(&mut self, field: &str, value: String) -> bool {
        let slot = match field {
            "first_name" => &mut self.first_name,
            "last_name" => &mut self.last_name,
            "company" => &mut self.company,
            "address_1" => &mut self.address_1,
            "address_2" => &mut self.address_2,
            "city" => &mut self.city,
            "state" => &mut self.state,
            "postcode" => &mut self.postcode,
            "country" => &mut self.country,
            "phone" => &mut self.phone,
            "email" if self.email.is_some() => {
                self.email = Some(S::Owned(value));
                return true;
            }
            _ => return false,
        };
        *slot = S::Owned(value);
        true
    }
}

/// Order statuses (without the `wc-` prefix, as the REST API shows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderStatus {
    Pending,
    Processing,
    OnHold,
    Completed,
    Cancelled,
    Refunded,
    Failed,
    CheckoutDraft,
    Trash,
}

impl OrderStatus {
    /// The statuses a client may set with `PUT /orders/{id}` (WooCommerce's schema enum).
    pub(crate) const WRITABLE: [&'static str; 8] = [
        "pending",
        "processing",
        "on-hold",
        "completed",
        "cancelled",
        "refunded",
        "failed",
        "checkout-draft",
    ];

    /// The values `GET /orders?status=` accepts.
    pub(crate) const FILTERS: [&'static str; 10] = [
        "any",
        "trash",
        "pending",
        "processing",
        "on-hold",
        "completed",
        "cancelled",
        "refunded",
        "failed",
        "checkout-draft",
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::OnHold => "on-hold",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
            Self::Failed => "failed",
            Self::CheckoutDraft => "checkout-draft",
            Self::Trash => "trash",
        }
    }

    /// The label WooCommerce uses in "Order status changed from X to Y." notes.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending payment",
            Self::Processing => "Processing",
            Self::OnHold => "On hold",
            Self::Completed => "Completed",
            Self::Cancelled => "Cancelled",
            Self::Refunded => "Refunded",
            Self::Failed => "Failed",
            Self::CheckoutDraft => "Draft",
            Self::Trash => "Trash",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "processing" => Self::Processing,
            "on-hold" => Self::OnHold,
            "completed" => Self::Completed,
            "cancelled" => Self::Cancelled,
            "refunded" => Self::Refunded,
            "failed" => Self::Failed,
            "checkout-draft" => Self::CheckoutDraft,
            "trash" => Self::Trash,
            _ => return None,
        })
    }

    /// Statuses WooCommerce counts as paid (`wc_get_is_paid_statuses`).
    pub(crate) fn is_paid(self) -> bool {
        matches!(self, Self::Processing | Self::Completed)
    }

    /// Whether an order in this status can still be edited in the admin (`is_editable`).
    pub(crate) fn is_editable(self) -> bool {
        matches!(self, Self::Pending | Self::OnHold | Self::CheckoutDraft)
    }

    /// Whether the order still needs payment (`needs_payment`).
    pub(crate) fn needs_payment(self) -> bool {
        matches!(self, Self::Pending | Self::Failed)
    }
}

/// A variation attribute of an order line: `(taxonomy, slug, label, option)`, e.g.
/// `("pa_size", "m", "Size", "M")`.
pub(crate) type ItemAttribute = (S, S, S, S);

/// An order line.
#[derive(Debug, Clone)]
pub(crate) struct LineItem {
    pub id: u64,
    pub name: Arc<str>,
    pub product_id: u64,
    pub variation_id: u64,
    pub quantity: i64,
    pub subtotal: i64,
    pub subtotal_tax: i64,
    pub total: i64,
    pub total_tax: i64,
    pub sku: Arc<str>,
    pub parent_name: Option<Arc<str>>,
    /// The variation's attributes, shown as the item's meta.
    pub attributes: Option<Arc<[ItemAttribute]>>,
}

/// A shipping line.
#[derive(Debug, Clone)]
pub(crate) struct ShippingLine {
    pub id: u64,
    pub method_title: S,
    pub method_id: S,
    pub instance_id: S,
    pub total: i64,
    pub total_tax: i64,
}

/// A coupon line.
#[derive(Debug, Clone)]
pub(crate) struct CouponLine {
    pub id: u64,
    pub code: S,
    pub discount: i64,
    pub discount_tax: i64,
}

/// An order.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub id: u64,
    pub status: OrderStatus,
    pub currency: S,
    pub created: i64,
    pub modified: i64,
    pub paid: Option<i64>,
    pub completed: Option<i64>,
    pub discount_total: i64,
    pub discount_tax: i64,
    pub shipping_total: i64,
    pub shipping_tax: i64,
    pub cart_tax: i64,
    pub total: i64,
    pub total_tax: i64,
    pub customer_id: u64,
    pub order_key: String,
    pub billing: Arc<Address>,
    pub shipping: Arc<Address>,
    pub payment_method: S,
    pub payment_method_title: S,
    pub transaction_id: S,
    pub customer_ip_address: S,
    pub customer_user_agent: S,
    pub created_via: S,
    pub customer_note: S,
    pub cart_hash: S,
    pub meta_data: Vec<Meta>,
    pub line_items: Vec<LineItem>,
    pub tax_line_id: u64,
    pub shipping_lines: Vec<ShippingLine>,
    pub coupon_lines: Vec<CouponLine>,
}

impl Order {
    /// Recomputes the order's totals from its lines (taxes at [`TAX_RATE_PERCENT`]).
    pub(crate) fn recalculate(&mut self) {
        let items_total: i64 = self.line_items.iter().map(|l| l.total).sum();
        self.cart_tax = self.line_items.iter().map(|l| l.total_tax).sum();
        self.discount_total = self.line_items.iter().map(|l| l.subtotal - l.total).sum();
        self.discount_tax = self
            .line_items
            .iter()
            .map(|l| l.subtotal_tax - l.total_tax)
            .sum();
        self.shipping_total = self.shipping_lines.iter().map(|s| s.total).sum();
        self.shipping_tax = self.shipping_lines.iter().map(|s| s.total_tax).sum();
        self.total_tax = self.cart_tax + self.shipping_tax;
        self.total = items_total + self.shipping_total + self.total_tax;
    }
}

impl Record for Order {
    fn id(&self) -> u64 {
        self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn modified(&self) -> i64 {
        self.modified
    }
}

/// An order note.
#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub id: u64,
    pub author: S,
    pub created: i64,
    pub note: String,
    pub customer_note: bool,
}

/// A customer (a WordPress user with the `customer` role).
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub id: u64,
    pub created: i64,
    pub modified: i64,
    pub email: S,
    pub first_name: S,
    pub last_name: S,
    pub username: S,
    pub billing: Arc<Address>,
    pub shipping: Arc<Address>,
    pub is_paying_customer: bool,
    pub meta_data: Vec<Meta>,
}

impl Record for Customer {
    fn id(&self) -> u64 {
        self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn modified(&self) -> i64 {
        self.modified
    }
}

/// A product attribute (`attributes` on a product).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ProductAttribute {
    pub id: u64,
    pub name: S,
    #[serde(skip)]
    pub taxonomy: S,
    pub slug: S,
    pub position: u32,
    pub visible: bool,
    pub variation: bool,
    pub options: Vec<S>,
}

/// A variation's attribute value (`attributes` on a variation).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct VariationAttribute {
    pub id: u64,
    pub name: S,
    #[serde(skip)]
    pub taxonomy: S,
    pub slug: S,
    pub option: S,
}

/// Stock and price fields shared by products and variations.
#[derive(Debug, Clone)]
pub(crate) struct Stock {
    pub regular_price: String,
    pub sale_price: String,
    pub manage_stock: bool,
    pub stock_quantity: Option<i64>,
    pub stock_status: S,
    pub backorders: S,
}

impl Stock {
    /// Whether the sale price applies (`'' !== sale && regular > sale`, as WooCommerce checks).
    pub(crate) fn on_sale(&self) -> bool {
        match (
            self.regular_price.parse::<f64>(),
            self.sale_price.parse::<f64>(),
        ) {
            (Ok(r), Ok(s)) => s < r,
            _ => false,
        }
    }

    /// The active price WooCommerce derives: the sale price when on sale, else the regular one.
    pub(crate) fn price(&self) -> &str {
        if self.on_sale() {
            &self.sale_price
        } else {
            &self.regular_price
        }
    }

    /// Re-derives `stock_status` from the quantity when stock is managed, as WooCommerce's
    /// `validate_props` does on save, and clears the quantity when it is not.
    pub(crate) fn settle(&mut self) {
        if self.manage_stock {
            let q = self.stock_quantity.unwrap_or(0);
            self.stock_status = S::Borrowed(if q > 0 {
                "instock"
            } else if self.backorders != "no" {
                "onbackorder"
            } else {
                "outofstock"
            });
        } else {
            self.stock_quantity = None;
        }
    }
}

/// The product types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProductType {
    Simple,
    Variable,
    Grouped,
    External,
}

impl ProductType {
    pub(crate) const ALL: [&'static str; 4] = ["simple", "grouped", "external", "variable"];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Simple => "simple",
            Self::Variable => "variable",
            Self::Grouped => "grouped",
            Self::External => "external",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "simple" => Self::Simple,
            "variable" => Self::Variable,
            "grouped" => Self::Grouped,
            "external" => Self::External,
            _ => return None,
        })
    }
}

/// A product category reference.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CategoryRef {
    pub id: u64,
    pub name: S,
    pub slug: S,
}

/// A product.
#[derive(Debug, Clone)]
pub(crate) struct Product {
    pub id: u64,
    pub name: Arc<str>,
    pub slug: String,
    pub kind: ProductType,
    pub status: S,
    pub featured: bool,
    pub catalog_visibility: S,
    pub description: S,
    pub short_description: S,
    pub sku: Arc<str>,
    pub stock: Stock,
    pub total_sales: u64,
    pub tax_status: S,
    pub tax_class: S,
    pub weight: S,
    pub dimensions: [S; 3],
    pub categories: Vec<CategoryRef>,
    pub attributes: Vec<ProductAttribute>,
    pub variations: Vec<u64>,
    pub menu_order: i64,
    pub meta_data: Vec<Meta>,
    pub created: i64,
    pub modified: i64,
}

impl Record for Product {
    fn id(&self) -> u64 {
        self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn modified(&self) -> i64 {
        self.modified
    }
}

/// A product variation.
#[derive(Debug, Clone)]
pub(crate) struct Variation {
    pub id: u64,
    pub parent_id: u64,
    pub created: i64,
    pub modified: i64,
    pub description: S,
    pub sku: Arc<str>,
    pub stock: Stock,
    pub status: S,
    pub tax_status: S,
    pub tax_class: S,
    pub weight: S,
    pub dimensions: [S; 3],
    pub attributes: Vec<VariationAttribute>,
    pub menu_order: i64,
    pub meta_data: Vec<Meta>,
}

impl Record for Variation {
    fn id(&self) -> u64 {
        self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn modified(&self) -> i64 {
        self.modified
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_decimals() {
        assert_eq!(Money(1230).to_string(), "12.30");
        assert_eq!(Money(-5).to_string(), "-0.05");
        assert_eq!(Money(0).to_string(), "0.00");
        assert_eq!(parse_cents("9.99"), Some(999));
        assert_eq!(parse_cents("9"), Some(900));
        assert_eq!(parse_cents("9.5"), Some(950));
        assert_eq!(parse_cents("0.125"), Some(13));
        assert_eq!(parse_cents("abc"), None);
        assert_eq!(parse_cents("9."), None);
        assert_eq!(parse_cents("-1"), None);
        assert_eq!(tax_of(1000), 210);
    }

    #[test]
    fn stock_settles_like_woocommerce() {
        let mut s = Stock {
            regular_price: "10.00".into(),
            sale_price: "8.00".into(),
            manage_stock: true,
            stock_quantity: Some(0),
            stock_status: S::Borrowed("instock"),
            backorders: S::Borrowed("no"),
        };
        s.settle();
        assert_eq!(s.stock_status, "outofstock");
        assert_eq!(s.price(), "8.00");
        s.sale_price = "12.00".into();
        assert_eq!(s.price(), "10.00");
        s.manage_stock = false;
        s.settle();
        assert_eq!(s.stock_quantity, None);
    }
}
