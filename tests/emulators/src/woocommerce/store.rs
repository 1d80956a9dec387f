//! The emulated shop's data, its write operations, and [`WooStore`], the handle tests use
//! to read and change records directly from Rust.
//!
//! Every write goes through the same code whether it comes over HTTP or from a test, and
//! applies WooCommerce's side effects: `date_modified` moves to the [`WriteClock`]'s next
//! tick (strictly later than any earlier write, see there), a status change records a
//! system note ("Order status changed from Processing to Completed.") and sets `date_paid` /
//! `date_completed`, `set_paid` completes payment, stock status follows the quantity when
//! stock is managed, and a variation's write also bumps its parent product's
//! `date_modified` (the parent's derived price and stock status change with it).
//!
//! Not emulated: stock reduction when orders are paid, editing an existing order's lines,
//! refunds. Deletes (trash and `force`) are in `deletion`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Serialize;
use serde_json::Value;

use super::error::{Kind, WcError};
use super::input::{
    AttributeInput, CustomerPatch, LineItemInput, MetaInput, NoteInput, OrderPatch, ProductPatch,
    StockPatch, VariationPatch,
};
use super::model::{
    Address, Customer, LineItem, Meta, Note, Order, OrderStatus, Product, ProductAttribute,
    ProductType, S, ShippingLine, Stock, Table, Variation, VariationAttribute, parse_cents, tax_of,
};
use super::time::{WriteClock, now_secs};
use super::views::{self, Site};

/// All records of the emulated shop, with the id sequences for new ones.
#[derive(Debug)]
pub(crate) struct Db {
    pub orders: Table<Order>,
    pub customers: Table<Customer>,
    pub products: Table<Product>,
    pub variations: Table<Variation>,
    /// Order notes by order id, oldest first.
    pub notes: HashMap<u64, Vec<Note>>,
    /// Next id for posts: orders, products and variations share WordPress's post ids.
    pub next_post_id: u64,
    pub next_user_id: u64,
    pub next_item_id: u64,
    pub next_meta_id: u64,
    pub next_note_id: u64,
    pub clock: WriteClock,
}

/// WordPress's `sanitize_title`, simplified: lowercase ASCII words joined by dashes.
pub(crate) fn sanitize_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

fn merge_meta(meta: &mut Vec<Meta>, input: &[MetaInput], next_id: &mut u64) {
    for m in input {
        if let Some(id) = m.id
            && let Some(existing) = meta.iter_mut().find(|x| x.id == id)
        {
            if !m.key.is_empty() {
                existing.key = S::Owned(m.key.clone());
            }
            existing.value = m.value.clone();
            continue;
        }
        // WC_Data::update_meta_data: the first entry with the key is updated, others removed.
        let mut seen = false;
        meta.retain_mut(|x| {
            if x.key != m.key {
                return true;
            }
            if seen {
                return false;
            }
            seen = true;
            x.value = m.value.clone();
            true
        });
        if !seen {
            meta.push(Meta {
                id: *next_id,
                key: S::Owned(m.key.clone()),
                value: m.value.clone(),
            });
            *next_id += 1;
        }
    }
}

fn apply_address(addr: &mut Arc<Address>, fields: &[(String, String)]) {
    let a = Arc::make_mut(addr);
    for (k, v) in fields {
        a.set(k, v.clone());
    }
}

fn apply_stock(stock: &mut Stock, p: &StockPatch, prices: bool) {
    if prices {
        if let Some(v) = &p.regular_price {
            stock.regular_price.clone_from(v);
        }
        if let Some(v) = &p.sale_price {
            stock.sale_price.clone_from(v);
        }
    }
    if let Some(v) = p.backorders {
        stock.backorders = S::Borrowed(v);
    }
    if let Some(v) = p.manage_stock {
        stock.manage_stock = v;
    }
    if let Some(v) = p.stock_status {
        stock.stock_status = S::Borrowed(v);
    }
    if stock.manage_stock
        && let Some(q) = p.stock_quantity
    {
        stock.stock_quantity = Some(q);
    }
    stock.settle();
}

/// Moves an order to a new status with WooCommerce's side effects; returns the note text.
fn transition(o: &mut Order, to: OrderStatus, now: i64) -> Option<String> {
    if o.status == to {
        return None;
    }
    let note = format!(
        "Order status changed from {} to {}.",
        o.status.label(),
        to.label()
    );
    o.status = to;
    if to.is_paid() && o.paid.is_none() {
        o.paid = Some(now);
    }
    if to == OrderStatus::Completed {
        o.completed = Some(now);
    }
    Some(note)
}

/// `wc_order_` and 13 characters, derived from the order id.
pub(crate) fn order_key(id: u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut x = crate::rng::mix(id ^ 0x6F72_6465_725F_6B65);
    let mut key = String::from("wc_order_");
    for _ in 0..13 {
        key.push(char::from(ALPHABET[(x % ALPHABET.len() as u64) as usize]));
        x = (x / ALPHABET.len() as u64) ^ crate::rng::mix(x);
    }
    key
}

impl Db {
    fn alloc_post_id(&mut self) -> u64 {
        let id = self.next_post_id;
        self.next_post_id += 1;
        id
    }

    fn alloc_item_id(&mut self) -> u64 {
        let id = self.next_item_id;
        self.next_item_id += 1;
        id
    }

    /// Whether another product or variation than `except` already has this SKU.
    fn sku_taken(&self, sku: &str, except: u64) -> bool {
        !sku.is_empty()
            && (self
                .products
                .rows()
                .iter()
                .any(|p| p.id != except && &*p.sku == sku)
                || self
                    .variations
                    .rows()
                    .iter()
                    .any(|v| v.id != except && &*v.sku == sku))
    }

    fn check_sku(&self, sku: Option<&String>, except: u64) -> Result<(), WcError> {
        match sku {
            Some(s) if self.sku_taken(s.trim(), except) => Err(WcError::new(
                400,
                "product_invalid_sku",
                "Invalid or duplicated SKU.",
            )),
            _ => Ok(()),
        }
    }

    fn unique_slug(&self, wanted: &str, except: u64) -> String {
        let base = if wanted.is_empty() {
            "product".to_owned()
        } else {
            wanted.to_owned()
        };
        let taken = |s: &str| {
            self.products
                .rows()
                .iter()
                .any(|p| p.id != except && p.slug == s)
        };
        if !taken(&base) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|s| !taken(s))
            .unwrap_or(base)
    }

    fn push_note(
        &mut self,
        order_id: u64,
        author: S,
        created: i64,
        note: String,
        customer_note: bool,
    ) -> u64 {
        let id = self.next_note_id;
        self.next_note_id += 1;
        self.notes.entry(order_id).or_default().push(Note {
            id,
            author,
            created,
            note,
            customer_note,
        });
        id
    }

    fn check_customer(&self, customer_id: Option<u64>) -> Result<(), WcError> {
        match customer_id {
            Some(id) if id != 0 && self.customers.get(id).is_none() => Err(WcError::new(
                400,
                "woocommerce_rest_invalid_customer_id",
                "Customer ID is invalid.",
            )),
            _ => Ok(()),
        }
    }

    fn build_line(&mut self, input: &LineItemInput) -> Result<LineItem, WcError> {
        let invalid = || {
            WcError::new(
                400,
                "woocommerce_rest_invalid_product_id",
                "Invalid product ID.",
            )
        };
        let mut product_id = input.product_id.unwrap_or(0);
        let mut variation_id = input.variation_id.unwrap_or(0);
        if product_id == 0 && variation_id == 0 {
            let sku = input.sku.as_deref().unwrap_or("");
            if let Some(p) = self
                .products
                .rows()
                .iter()
                .find(|p| !sku.is_empty() && &*p.sku == sku)
            {
                product_id = p.id;
            } else if let Some(v) = self
                .variations
                .rows()
                .iter()
                .find(|v| !sku.is_empty() && &*v.sku == sku)
            {
                product_id = v.parent_id;
                variation_id = v.id;
            } else {
                return Err(WcError::new(
                    400,
                    "woocommerce_rest_required_product_reference",
                    "Product ID or SKU is required.",
                ));
            }
        }
        if variation_id == 0
            && let Some(v) = self.variations.get(product_id)
        {
            variation_id = v.id;
            product_id = v.parent_id;
        }
        if input.quantity <= 0 {
            return Err(WcError::new(
                400,
                "woocommerce_rest_invalid_product_quantity",
                "Product quantity must be a positive float.",
            ));
        }
        let product = self.products.get(product_id).ok_or_else(invalid)?;
        let (name, parent_name, sku, price, attributes) = if variation_id != 0 {
            let v = self
                .variations
                .get(variation_id)
                .filter(|v| v.parent_id == product_id);
            let v = v.ok_or_else(invalid)?;
            let attrs: Vec<(S, S, S, S)> = v
                .attributes
                .iter()
                .map(|a| {
                    (
                        a.taxonomy.clone(),
                        a.slug.clone(),
                        a.name.clone(),
                        a.option.clone(),
                    )
                })
                .collect();
            (
                Arc::from(views::variation_name(&product.name, v)),
                Some(product.name.clone()),
                v.sku.clone(),
                parse_cents(v.stock.price()).unwrap_or(0),
                Some(Arc::from(attrs)),
            )
        } else {
            let price = if product.kind == ProductType::Variable {
                0
            } else {
                parse_cents(product.stock.price()).unwrap_or(0)
            };
            (product.name.clone(), None, product.sku.clone(), price, None)
        };
        let name = input.name.as_deref().map_or(name, Arc::from);
        let subtotal = input
            .subtotal
            .as_deref()
            .and_then(|s| parse_cents(s.trim()))
            .unwrap_or(price * input.quantity);
        let total = input
            .total
            .as_deref()
            .and_then(|s| parse_cents(s.trim()))
            .unwrap_or(subtotal);
        Ok(LineItem {
            id: self.alloc_item_id(),
            name,
            product_id,
            variation_id,
            quantity: input.quantity,
            subtotal,
            subtotal_tax: tax_of(subtotal),
            total,
            total_tax: tax_of(total),
            sku,
            parent_name,
            attributes,
        })
    }

    /// Applies the fields every order write may set; returns the status notes to record.
    fn apply_order_fields(&mut self, o: &mut Order, p: &OrderPatch, now: i64) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(to) = p.status {
            notes.extend(transition(o, to, now));
        }
        if let Some(v) = &p.currency {
            o.currency = S::Owned(v.clone());
        }
        if let Some(v) = p.customer_id {
            o.customer_id = v;
        }
        if let Some(v) = &p.customer_note {
            o.customer_note = S::Owned(v.clone());
        }
        if let Some(v) = &p.billing {
            apply_address(&mut o.billing, v);
        }
        if let Some(v) = &p.shipping {
            apply_address(&mut o.shipping, v);
        }
        if let Some(v) = &p.payment_method {
            o.payment_method = S::Owned(v.clone());
        }
        if let Some(v) = &p.payment_method_title {
            o.payment_method_title = S::Owned(v.clone());
        }
        if let Some(v) = &p.transaction_id {
            o.transaction_id = S::Owned(v.clone());
        }
        if let Some(m) = &p.meta_data {
            merge_meta(&mut o.meta_data, m, &mut self.next_meta_id);
        }
        if p.set_paid == Some(true) {
            let payable = matches!(
                o.status,
                OrderStatus::Pending
                    | OrderStatus::OnHold
                    | OrderStatus::Failed
                    | OrderStatus::Cancelled
            );
            if payable {
                notes.extend(transition(o, OrderStatus::Processing, now));
            }
            if o.paid.is_none() {
                o.paid = Some(now);
            }
        }
        o.modified = now;
        notes
    }

    pub(crate) fn create_order(&mut self, p: &OrderPatch) -> Result<u64, WcError> {
        self.check_customer(p.customer_id)?;
        let mut lines = Vec::new();
        for input in p.line_items.iter().flatten() {
            lines.push(self.build_line(input)?);
        }
        let shipping_lines: Vec<ShippingLine> = p
            .shipping_lines
            .iter()
            .flatten()
            .map(|s| {
                let total = s
                    .total
                    .as_deref()
                    .and_then(|t| parse_cents(t.trim()))
                    .unwrap_or(0);
                ShippingLine {
                    id: self.alloc_item_id(),
                    method_title: S::Owned(s.method_title.clone()),
                    method_id: S::Owned(s.method_id.clone()),
                    instance_id: S::Borrowed(""),
                    total,
                    total_tax: tax_of(total),
                }
            })
            .collect();
        let tax_line_id = self.alloc_item_id();
        let id = self.alloc_post_id();
        let now = self.clock.tick();
        let mut order = Order {
            id,
            status: OrderStatus::Pending,
            currency: S::Borrowed("EUR"),
            created: now,
            modified: now,
            paid: None,
            completed: None,
            discount_total: 0,
            discount_tax: 0,
            shipping_total: 0,
            shipping_tax: 0,
            cart_tax: 0,
            total: 0,
            total_tax: 0,
            customer_id: 0,
            order_key: order_key(id),
            billing: Arc::new(Address::empty_billing()),
            shipping: Arc::new(Address::default()),
            payment_method: S::Borrowed(""),
            payment_method_title: S::Borrowed(""),
            transaction_id: S::Borrowed(""),
            customer_ip_address: S::Borrowed(""),
            customer_user_agent: S::Borrowed(""),
            created_via: S::Borrowed("rest-api"),
            customer_note: S::Borrowed(""),
            cart_hash: S::Borrowed(""),
            meta_data: Vec::new(),
            line_items: lines,
            tax_line_id,
            shipping_lines,
            coupon_lines: Vec::new(),
        };
        order.recalculate();
        let notes = self.apply_order_fields(&mut order, p, now);
        self.orders.insert(order);
        for n in notes {
            self.push_note(id, S::Borrowed("system"), now, n, false);
        }
        Ok(id)
    }

    pub(crate) fn update_order(&mut self, id: u64, p: &OrderPatch) -> Result<(), WcError> {
        let Some(current) = self.orders.get(id) else {
            return Err(WcError::invalid_id_for_update(Kind::Order));
        };
        self.check_customer(p.customer_id)?;
        let mut order = current.clone();
        let now = self.clock.tick();
        let notes = self.apply_order_fields(&mut order, p, now);
        self.orders.update(id, |o| *o = order);
        for n in notes {
            self.push_note(id, S::Borrowed("system"), now, n, false);
        }
        Ok(())
    }

    pub(crate) fn add_note(&mut self, order_id: u64, input: &NoteInput) -> Result<u64, WcError> {
        if self.orders.get(order_id).is_none() {
            return Err(WcError::invalid_order_id());
        }
        let author = if input.added_by_user {
            S::Borrowed("admin")
        } else {
            S::Borrowed("system")
        };
        Ok(self.push_note(
            order_id,
            author,
            now_secs(),
            input.note.clone(),
            input.customer_note,
        ))
    }

    pub(crate) fn touch_order(&mut self, id: u64) -> Result<(), WcError> {
        let now = self.clock.tick();
        self.orders
            .update(id, |o| o.modified = now)
            .ok_or_else(|| WcError::invalid_id_for_update(Kind::Order))
    }

    fn product_attributes(inputs: &[AttributeInput]) -> Vec<ProductAttribute> {
        inputs
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let (id, name, taxonomy) = match a.id {
                    Some(1) => (1, S::Borrowed("Size"), S::Borrowed("pa_size")),
                    Some(2) => (2, S::Borrowed("Color"), S::Borrowed("pa_color")),
                    _ => {
                        let name = a.name.clone().unwrap_or_default();
                        let tax = sanitize_title(&name);
                        (0, S::Owned(name), S::Owned(tax))
                    }
                };
                ProductAttribute {
                    id,
                    slug: taxonomy.clone(),
                    name,
                    taxonomy,
                    position: u32::try_from(i).unwrap_or(0),
                    visible: a.visible,
                    variation: a.variation,
                    options: a.options.iter().cloned().map(S::Owned).collect(),
                }
            })
            .collect()
    }

    fn apply_product_fields(&self, p: &mut Product, patch: &ProductPatch) {
        if let Some(v) = &patch.name {
            p.name = Arc::from(v.as_str());
        }
        if let Some(v) = &patch.slug {
            p.slug = self.unique_slug(&sanitize_title(v), p.id);
        }
        if let Some(v) = patch.status {
            p.status = S::Borrowed(v);
        }
        if let Some(v) = patch.featured {
            p.featured = v;
        }
        if let Some(v) = patch.catalog_visibility {
            p.catalog_visibility = S::Borrowed(v);
        }
        if let Some(v) = &patch.description {
            p.description = S::Owned(v.clone());
        }
        if let Some(v) = &patch.short_description {
            p.short_description = S::Owned(v.clone());
        }
        if let Some(v) = &patch.sku {
            p.sku = Arc::from(v.trim());
        }
        if let Some(v) = &patch.weight {
            p.weight = S::Owned(v.clone());
        }
        if let Some(v) = patch.menu_order {
            p.menu_order = v;
        }
        // A variable product's prices come from its variations.
        apply_stock(&mut p.stock, &patch.stock, p.kind != ProductType::Variable);
    }

    pub(crate) fn create_product(&mut self, patch: &ProductPatch) -> Result<u64, WcError> {
        self.check_sku(patch.sku.as_ref(), 0)?;
        let id = self.alloc_post_id();
        let now = self.clock.tick();
        let name = patch.name.clone().unwrap_or_default();
        let mut product = Product {
            id,
            slug: self.unique_slug(&sanitize_title(patch.slug.as_deref().unwrap_or(&name)), id),
            name: Arc::from(name.as_str()),
            kind: patch.kind.unwrap_or(ProductType::Simple),
            status: S::Borrowed("publish"),
            featured: false,
            catalog_visibility: S::Borrowed("visible"),
            description: S::Borrowed(""),
            short_description: S::Borrowed(""),
            sku: Arc::from(""),
            stock: Stock {
                regular_price: String::new(),
                sale_price: String::new(),
                manage_stock: false,
                stock_quantity: None,
                stock_status: S::Borrowed("instock"),
                backorders: S::Borrowed("no"),
            },
            total_sales: 0,
            tax_status: S::Borrowed("taxable"),
            tax_class: S::Borrowed(""),
            weight: S::Borrowed(""),
            dimensions: [S::Borrowed(""), S::Borrowed(""), S::Borrowed("")],
            categories: Vec::new(),
            attributes: Self::product_attributes(patch.attributes.as_deref().unwrap_or(&[])),
            variations: Vec::new(),
            menu_order: 0,
            meta_data: Vec::new(),
            created: now,
            modified: now,
        };
        self.apply_product_fields(&mut product, patch);
        if let Some(m) = &patch.meta_data {
            merge_meta(&mut product.meta_data, m, &mut self.next_meta_id);
        }
        self.products.insert(product);
        Ok(id)
    }

    pub(crate) fn update_product(&mut self, id: u64, patch: &ProductPatch) -> Result<(), WcError> {
        let Some(current) = self.products.get(id) else {
            return Err(WcError::invalid_id_for_update(Kind::Product));
        };
        self.check_sku(patch.sku.as_ref(), id)?;
        let mut product = current.clone();
        self.apply_product_fields(&mut product, patch);
        if let Some(attrs) = &patch.attributes {
            product.attributes = Self::product_attributes(attrs);
        }
        if let Some(m) = &patch.meta_data {
            merge_meta(&mut product.meta_data, m, &mut self.next_meta_id);
        }
        product.modified = self.clock.tick();
        self.products.update(id, |p| *p = product);
        Ok(())
    }

    pub(crate) fn touch_product(&mut self, id: u64) -> Result<(), WcError> {
        let now = self.clock.tick();
        self.products
            .update(id, |p| p.modified = now)
            .ok_or_else(|| WcError::invalid_id_for_update(Kind::Product))
    }

    fn variation_attributes(
        parent: &Product,
        inputs: &[AttributeInput],
    ) -> Vec<VariationAttribute> {
        inputs
            .iter()
            .filter_map(|a| {
                let pa = parent.attributes.iter().find(|pa| match (a.id, &a.name) {
                    (Some(id), _) if id != 0 => pa.id == id,
                    (_, Some(name)) => pa.name.eq_ignore_ascii_case(name) || *pa.taxonomy == *name,
                    _ => false,
                })?;
                let option = a.option.clone().unwrap_or_default();
                Some(VariationAttribute {
                    id: pa.id,
                    name: pa.name.clone(),
                    taxonomy: pa.taxonomy.clone(),
                    slug: S::Owned(sanitize_title(&option)),
                    option: S::Owned(option),
                })
            })
            .collect()
    }

    fn apply_variation_fields(v: &mut Variation, patch: &VariationPatch) {
        if let Some(s) = patch.status {
            v.status = S::Borrowed(s);
        }
        if let Some(s) = &patch.description {
            v.description = S::Owned(s.clone());
        }
        if let Some(s) = &patch.sku {
            v.sku = Arc::from(s.trim());
        }
        if let Some(s) = &patch.weight {
            v.weight = S::Owned(s.clone());
        }
        if let Some(n) = patch.menu_order {
            v.menu_order = n;
        }
        apply_stock(&mut v.stock, &patch.stock, true);
    }

    pub(crate) fn create_variation(
        &mut self,
        product_id: u64,
        patch: &VariationPatch,
    ) -> Result<u64, WcError> {
        let Some(parent) = self.products.get(product_id) else {
            return Err(WcError::not_found(Kind::Product));
        };
        self.check_sku(patch.sku.as_ref(), 0)?;
        let attributes =
            Self::variation_attributes(parent, patch.attributes.as_deref().unwrap_or(&[]));
        let menu_order = i64::try_from(parent.variations.len()).unwrap_or(0);
        let id = self.alloc_post_id();
        let now = self.clock.tick();
        let mut v = Variation {
            id,
            parent_id: product_id,
            created: now,
            modified: now,
            description: S::Borrowed(""),
            sku: Arc::from(""),
            stock: Stock {
                regular_price: String::new(),
                sale_price: String::new(),
                manage_stock: false,
                stock_quantity: None,
                stock_status: S::Borrowed("instock"),
                backorders: S::Borrowed("no"),
            },
            status: S::Borrowed("publish"),
            tax_status: S::Borrowed("taxable"),
            tax_class: S::Borrowed(""),
            weight: S::Borrowed(""),
            dimensions: [S::Borrowed(""), S::Borrowed(""), S::Borrowed("")],
            attributes,
            menu_order,
            meta_data: Vec::new(),
        };
        Self::apply_variation_fields(&mut v, patch);
        if let Some(m) = &patch.meta_data {
            merge_meta(&mut v.meta_data, m, &mut self.next_meta_id);
        }
        self.variations.insert(v);
        self.products.update(product_id, |p| {
            p.variations.push(id);
            p.modified = now;
        });
        Ok(id)
    }

    fn variation_of(&self, product_id: u64, variation_id: u64) -> Result<&Variation, WcError> {
        match self.variations.get(variation_id) {
            None => Err(WcError::invalid_id_for_update(Kind::Variation)),
            Some(v) if v.parent_id != product_id => Err(WcError::new(
                401,
                "woocommerce_rest_cannot_edit",
                "Parent product does not match current variation.",
            )),
            Some(v) => Ok(v),
        }
    }

    pub(crate) fn update_variation(
        &mut self,
        product_id: u64,
        variation_id: u64,
        patch: &VariationPatch,
    ) -> Result<(), WcError> {
        let current = self.variation_of(product_id, variation_id)?;
        self.check_sku(patch.sku.as_ref(), variation_id)?;
        let mut v = current.clone();
        if let Some(attrs) = &patch.attributes
            && let Some(parent) = self.products.get(product_id)
        {
            v.attributes = Self::variation_attributes(parent, attrs);
        }
        Self::apply_variation_fields(&mut v, patch);
        if let Some(m) = &patch.meta_data {
            merge_meta(&mut v.meta_data, m, &mut self.next_meta_id);
        }
        let now = self.clock.tick();
        v.modified = now;
        self.variations.update(variation_id, |x| *x = v);
        self.products.update(product_id, |p| p.modified = now);
        Ok(())
    }

    pub(crate) fn touch_variation(
        &mut self,
        product_id: u64,
        variation_id: u64,
    ) -> Result<(), WcError> {
        self.variation_of(product_id, variation_id)?;
        let now = self.clock.tick();
        self.variations.update(variation_id, |v| v.modified = now);
        self.products.update(product_id, |p| p.modified = now);
        Ok(())
    }

    fn email_taken(&self, email: &str, except: u64) -> bool {
        self.customers
            .rows()
            .iter()
            .any(|c| c.id != except && c.email.eq_ignore_ascii_case(email))
    }

    fn apply_customer_fields(&mut self, c: &mut Customer, p: &CustomerPatch) {
        if let Some(v) = &p.email {
            c.email = S::Owned(v.clone());
        }
        if let Some(v) = &p.first_name {
            c.first_name = S::Owned(v.clone());
        }
        if let Some(v) = &p.last_name {
            c.last_name = S::Owned(v.clone());
        }
        if let Some(v) = &p.billing {
            apply_address(&mut c.billing, v);
        }
        if let Some(v) = &p.shipping {
            apply_address(&mut c.shipping, v);
        }
        if let Some(m) = &p.meta_data {
            merge_meta(&mut c.meta_data, m, &mut self.next_meta_id);
        }
    }

    pub(crate) fn create_customer(&mut self, p: &CustomerPatch) -> Result<u64, WcError> {
        let email = match p.email.as_deref() {
            Some(e) if !e.is_empty() => e.to_owned(),
            _ => return Err(WcError::missing_params(&["email"])),
        };
        if self.email_taken(&email, 0) {
            return Err(WcError::new(
                400,
                "registration-error-email-exists",
                "An account is already registered with your email address. <a href=\"#\" class=\"showlogin\">Please log in.</a>",
            ));
        }
        let username = match &p.username {
            Some(u) if !u.is_empty() => {
                if self.customers.rows().iter().any(|c| *c.username == **u) {
                    return Err(WcError::new(
                        400,
                        "registration-error-username-exists",
                        "An account is already registered with that username. Please choose another.",
                    ));
                }
                u.clone()
            }
            _ => {
                let local = email.split('@').next().unwrap_or("customer");
                let base: String = local
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                    .collect::<String>()
                    .to_ascii_lowercase();
                let base = if base.is_empty() {
                    "customer".to_owned()
                } else {
                    base
                };
                let taken = |u: &str| self.customers.rows().iter().any(|c| *c.username == *u);
                if taken(&base) {
                    (1..)
                        .map(|n| format!("{base}-{n}"))
                        .find(|u| !taken(u))
                        .unwrap_or(base)
                } else {
                    base
                }
            }
        };
        let id = self.next_user_id;
        self.next_user_id += 1;
        let now = self.clock.tick();
        let mut c = Customer {
            id,
            created: now,
            modified: now,
            email: S::Owned(email),
            first_name: S::Borrowed(""),
            last_name: S::Borrowed(""),
            username: S::Owned(username),
            billing: Arc::new(Address::empty_billing()),
            shipping: Arc::new(Address::default()),
            is_paying_customer: false,
            meta_data: Vec::new(),
        };
        self.apply_customer_fields(&mut c, p);
        self.customers.insert(c);
        Ok(id)
    }

    pub(crate) fn update_customer(&mut self, id: u64, p: &CustomerPatch) -> Result<(), WcError> {
        let Some(current) = self.customers.get(id) else {
            return Err(WcError::new(
                400,
                "woocommerce_rest_invalid_id",
                "Invalid resource ID.",
            ));
        };
        if let Some(email) = &p.email
            && self.email_taken(email, id)
        {
            return Err(WcError::new(
                400,
                "woocommerce_rest_customer_invalid_email",
                "Email address is invalid.",
            ));
        }
        if p.username
            .as_deref()
            .is_some_and(|u| *u != *current.username)
        {
            return Err(WcError::new(
                400,
                "woocommerce_rest_customer_invalid_argument",
                "Username isn't editable.",
            ));
        }
        let mut c = current.clone();
        self.apply_customer_fields(&mut c, p);
        c.modified = self.clock.tick();
        self.customers.update(id, |x| *x = c);
        Ok(())
    }

    pub(crate) fn touch_customer(&mut self, id: u64) -> Result<(), WcError> {
        let now = self.clock.tick();
        self.customers
            .update(id, |c| c.modified = now)
            .ok_or_else(|| WcError::new(400, "woocommerce_rest_invalid_id", "Invalid resource ID."))
    }

    // --- JSON views --------------------------------------------------------------------

    pub(crate) fn order_json(&self, site: Site<'_>, id: u64) -> Option<Value> {
        self.orders
            .get(id)
            .and_then(|o| to_value(&views::order(site, o)))
    }

    pub(crate) fn customer_json(&self, site: Site<'_>, id: u64) -> Option<Value> {
        self.customers
            .get(id)
            .and_then(|c| to_value(&views::customer(site, c)))
    }

    pub(crate) fn product_json(&self, site: Site<'_>, id: u64) -> Option<Value> {
        self.products
            .get(id)
            .and_then(|p| to_value(&views::product(site, p, &self.variations)))
    }

    pub(crate) fn variation_json(&self, site: Site<'_>, product_id: u64, id: u64) -> Option<Value> {
        let v = self
            .variations
            .get(id)
            .filter(|v| v.parent_id == product_id)?;
        let parent = self.products.get(product_id)?;
        to_value(&views::variation(site, parent, v))
    }

    /// An order's notes, newest first (as `GET /orders/{id}/notes` lists them).
    pub(crate) fn notes_newest_first(&self, order_id: u64) -> Vec<&Note> {
        let mut notes: Vec<&Note> = self
            .notes
            .get(&order_id)
            .map(|n| n.iter().collect())
            .unwrap_or_default();
        notes.sort_by_key(|n| std::cmp::Reverse((n.created, n.id)));
        notes
    }

    pub(crate) fn note_json(&self, site: Site<'_>, order_id: u64, note_id: u64) -> Option<Value> {
        let n = self
            .notes
            .get(&order_id)?
            .iter()
            .find(|n| n.id == note_id)?;
        to_value(&views::note(site, order_id, n))
    }
}

fn to_value<T: Serialize>(v: &T) -> Option<Value> {
    serde_json::to_value(v).ok()
}

/// Record counts of the emulated shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StoreCounts {
    pub orders: usize,
    pub customers: usize,
    pub products: usize,
    pub variations: usize,
}

/// Direct access to the emulated shop's records, for tests.
///
/// Reads return the same JSON the REST API returns; writes take WooCommerce-shaped JSON
/// bodies (the same as `PUT /orders/{id}` etc.) and go through the same validation and side
/// effects as HTTP writes, so they bump `date_modified` exactly like an API client's would.
/// Errors are the [`WcError`]s the API would answer with.
#[derive(Debug, Clone)]
pub struct WooStore {
    db: Arc<RwLock<Db>>,
    base_url: Arc<str>,
}

fn as_map(body: Value) -> serde_json::Map<String, Value> {
    match body {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

impl WooStore {
    pub(crate) fn new(db: Db, base_url: &str) -> Self {
        Self {
            db: Arc::new(RwLock::new(db)),
            base_url: Arc::from(base_url),
        }
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Db> {
        self.db
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Db> {
        self.db
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn site(&self) -> Site<'_> {
        Site {
            base: &self.base_url,
        }
    }

    /// How many records of each kind the shop holds.
    pub fn counts(&self) -> StoreCounts {
        let db = self.read();
        StoreCounts {
            orders: db.orders.len(),
            customers: db.customers.len(),
            products: db.products.len(),
            variations: db.variations.len(),
        }
    }

    /// All order ids, ascending.
    pub fn order_ids(&self) -> Vec<u64> {
        self.read().orders.rows().iter().map(|o| o.id).collect()
    }

    /// All customer ids, ascending.
    pub fn customer_ids(&self) -> Vec<u64> {
        self.read().customers.rows().iter().map(|c| c.id).collect()
    }

    /// All product ids, ascending.
    pub fn product_ids(&self) -> Vec<u64> {
        self.read().products.rows().iter().map(|p| p.id).collect()
    }

    /// The variation ids of a product (empty for simple products), `None` if no such product.
    pub fn variation_ids(&self, product_id: u64) -> Option<Vec<u64>> {
        self.read()
            .products
            .get(product_id)
            .map(|p| p.variations.clone())
    }

    /// An order as `GET /orders/{id}` returns it.
    pub fn order(&self, id: u64) -> Option<Value> {
        self.read().order_json(self.site(), id)
    }

    /// A customer as `GET /customers/{id}` returns it.
    pub fn customer(&self, id: u64) -> Option<Value> {
        self.read().customer_json(self.site(), id)
    }

    /// A product as `GET /products/{id}` returns it.
    pub fn product(&self, id: u64) -> Option<Value> {
        self.read().product_json(self.site(), id)
    }

    /// A variation as `GET /products/{pid}/variations/{vid}` returns it.
    pub fn variation(&self, product_id: u64, variation_id: u64) -> Option<Value> {
        self.read()
            .variation_json(self.site(), product_id, variation_id)
    }

    /// An order's notes as `GET /orders/{id}/notes` returns them (newest first).
    pub fn order_notes(&self, order_id: u64) -> Option<Vec<Value>> {
        let db = self.read();
        db.orders.get(order_id)?;
        Some(
            db.notes_newest_first(order_id)
                .into_iter()
                .filter_map(|n| to_value(&views::note(self.site(), order_id, n)))
                .collect(),
        )
    }

    /// Sets an order's status (with WooCommerce's side effects); returns the updated order.
    pub fn update_order_status(&self, id: u64, status: &str) -> Result<Value, WcError> {
        self.update_order(id, serde_json::json!({ "status": status }))
    }

    /// Applies a `PUT /orders/{id}` body; returns the updated order.
    pub fn update_order(&self, id: u64, body: Value) -> Result<Value, WcError> {
        let patch = OrderPatch::parse(&as_map(body))?;
        let mut db = self.write();
        db.update_order(id, &patch)?;
        db.order_json(self.site(), id)
            .ok_or_else(|| WcError::not_found(Kind::Order))
    }

    /// Creates an order from a `POST /orders` body; returns it.
    pub fn create_order(&self, body: Value) -> Result<Value, WcError> {
        let patch = OrderPatch::parse(&as_map(body))?;
        let mut db = self.write();
        let id = db.create_order(&patch)?;
        db.order_json(self.site(), id)
            .ok_or_else(|| WcError::not_found(Kind::Order))
    }

    /// Adds a note to an order (`POST /orders/{id}/notes`); returns the note.
    pub fn add_order_note(
        &self,
        order_id: u64,
        note: &str,
        customer_note: bool,
    ) -> Result<Value, WcError> {
        let input = NoteInput {
            note: note.to_owned(),
            customer_note,
            added_by_user: false,
        };
        let mut db = self.write();
        let id = db.add_note(order_id, &input)?;
        db.note_json(self.site(), order_id, id)
            .ok_or_else(|| WcError::not_found(Kind::OrderNote))
    }

    /// Bumps an order's `date_modified` without other changes; returns the order.
    pub fn touch_order(&self, id: u64) -> Result<Value, WcError> {
        let mut db = self.write();
        db.touch_order(id)?;
        db.order_json(self.site(), id)
            .ok_or_else(|| WcError::not_found(Kind::Order))
    }

    /// Applies a `PUT /products/{id}` body; returns the updated product.
    pub fn update_product(&self, id: u64, body: Value) -> Result<Value, WcError> {
        let patch = ProductPatch::parse(&as_map(body))?;
        let mut db = self.write();
        db.update_product(id, &patch)?;
        db.product_json(self.site(), id)
            .ok_or_else(|| WcError::not_found(Kind::Product))
    }

    /// `DELETE /orders/{id}` (`force`: for good, else to the trash); returns the answer.
    pub fn delete_order(&self, id: u64, force: bool) -> Result<Value, WcError> {
        self.write().delete_order(self.site(), id, force)
    }

    /// `DELETE /products/{id}` (`force`: for good with its variations, else to the trash).
    pub fn delete_product(&self, id: u64, force: bool) -> Result<Value, WcError> {
        self.write().delete_product(self.site(), id, force)
    }

    /// `DELETE /products/{pid}/variations/{vid}?force=true`.
    pub fn delete_variation(&self, product_id: u64, variation_id: u64) -> Result<Value, WcError> {
        self.write()
            .delete_variation(self.site(), product_id, variation_id, true)
    }

    /// `DELETE /customers/{id}?force=true`.
    pub fn delete_customer(&self, id: u64) -> Result<Value, WcError> {
        self.write().delete_customer(self.site(), id, true)
    }

    /// Creates a product from a `POST /products` body; returns it.
    pub fn create_product(&self, body: Value) -> Result<Value, WcError> {
        let patch = ProductPatch::parse(&as_map(body))?;
        let mut db = self.write();
        let id = db.create_product(&patch)?;
        db.product_json(self.site(), id)
            .ok_or_else(|| WcError::not_found(Kind::Product))
    }

    /// Bumps a product's `date_modified` without other changes; returns the product.
    pub fn touch_product(&self, id: u64) -> Result<Value, WcError> {
        let mut db = self.write();
        db.touch_product(id)?;
        db.product_json(self.site(), id)
            .ok_or_else(|| WcError::not_found(Kind::Product))
    }

    /// Applies a `PUT /products/{pid}/variations/{vid}` body; returns the variation.
    pub fn update_variation(
        &self,
        product_id: u64,
        variation_id: u64,
        body: Value,
    ) -> Result<Value, WcError> {
        let patch = VariationPatch::parse(&as_map(body))?;
        let mut db = self.write();
        db.update_variation(product_id, variation_id, &patch)?;
        db.variation_json(self.site(), product_id, variation_id)
            .ok_or_else(|| WcError::not_found(Kind::Variation))
    }

    /// Creates a variation from a `POST /products/{pid}/variations` body; returns it.
    pub fn create_variation(&self, product_id: u64, body: Value) -> Result<Value, WcError> {
        let patch = VariationPatch::parse(&as_map(body))?;
        let mut db = self.write();
        let id = db.create_variation(product_id, &patch)?;
        db.variation_json(self.site(), product_id, id)
            .ok_or_else(|| WcError::not_found(Kind::Variation))
    }

    /// Bumps a variation's (and its product's) `date_modified`; returns the variation.
    pub fn touch_variation(&self, product_id: u64, variation_id: u64) -> Result<Value, WcError> {
        let mut db = self.write();
        db.touch_variation(product_id, variation_id)?;
        db.variation_json(self.site(), product_id, variation_id)
            .ok_or_else(|| WcError::not_found(Kind::Variation))
    }

    /// Creates a customer from a `POST /customers` body; returns it.
    pub fn create_customer(&self, body: Value) -> Result<Value, WcError> {
        let patch = CustomerPatch::parse(&as_map(body))?;
        let mut db = self.write();
        let id = db.create_customer(&patch)?;
        db.customer_json(self.site(), id)
            .ok_or_else(|| WcError::not_found(Kind::Customer))
    }

    /// Applies a `PUT /customers/{id}` body; returns the updated customer.
    pub fn update_customer(&self, id: u64, body: Value) -> Result<Value, WcError> {
        let patch = CustomerPatch::parse(&as_map(body))?;
        let mut db = self.write();
        db.update_customer(id, &patch)?;
        db.customer_json(self.site(), id)
            .ok_or_else(|| WcError::not_found(Kind::Customer))
    }

    /// Bumps a customer's `date_modified` without other changes; returns the customer.
    pub fn touch_customer(&self, id: u64) -> Result<Value, WcError> {
        let mut db = self.write();
        db.touch_customer(id)?;
        db.customer_json(self.site(), id)
            .ok_or_else(|| WcError::not_found(Kind::Customer))
    }
}
