//! The JSON shapes of WooCommerce REST v3 responses, produced on demand from the records.
//!
//! Each view borrows a record and serialises with the field names and field order of the
//! real WooCommerce v3 controllers (orders, customers, products, variations, order notes),
//! including the derived fields WooCommerce computes: `number`, `price` and `on_sale`,
//! variable products' prices and stock status from their variations, `needs_payment`,
//! `payment_url`, `_links` and so on. Money is shown with two decimals, dates without zone.

use serde::Serialize;
use serde_json::Value;

use super::model::{
    Address, CategoryRef, Customer, Meta, Money, Note, Order, Product, ProductAttribute,
    ProductType, Stock, TAX_RATE_PERCENT, Table, Variation, VariationAttribute,
};
use super::time::WcDate;

/// The WooCommerce version the emulator claims to be.
pub(crate) const WC_VERSION: &str = "9.4.0";

/// Where links point: the shop root (`http://host:port`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Site<'a> {
    pub base: &'a str,
}

impl Site<'_> {
    /// `http://host/wp-json/wc/v3/<path>`.
    pub(crate) fn rest(&self, path: &str) -> String {
        format!("{}/wp-json/wc/v3/{path}", self.base)
    }
}

#[derive(Debug, Serialize)]
struct TargetHints {
    allow: [&'static str; 5],
}

#[derive(Debug, Serialize)]
pub(crate) struct Href {
    href: String,
    #[serde(rename = "targetHints", skip_serializing_if = "Option::is_none")]
    target_hints: Option<TargetHints>,
}

fn href(href: String) -> [Href; 1] {
    [Href {
        href,
        target_hints: None,
    }]
}

/// A record's `_links`.
#[derive(Debug, Serialize)]
pub(crate) struct Links {
    #[serde(rename = "self")]
    self_: [Href; 1],
    collection: [Href; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    customer: Option<[Href; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    up: Option<[Href; 1]>,
}

impl Links {
    fn new(site: Site<'_>, collection: &str, id: u64) -> Self {
        Self {
            self_: [Href {
                href: site.rest(&format!("{collection}/{id}")),
                target_hints: Some(TargetHints {
                    allow: ["GET", "POST", "PUT", "PATCH", "DELETE"],
                }),
            }],
            collection: href(site.rest(collection)),
            customer: None,
            up: None,
        }
    }
}

type Empty = [(); 0];

#[derive(Debug, Serialize)]
struct TaxRef {
    id: u64,
    total: Money,
    subtotal: Money,
}

#[derive(Debug, Serialize)]
struct ItemMeta<'a> {
    id: u64,
    key: &'a str,
    value: &'a str,
    display_key: &'a str,
    display_value: &'a str,
}

#[derive(Debug, Serialize)]
struct ItemImage {
    id: &'static str,
    src: &'static str,
}

#[derive(Debug, Serialize)]
struct LineItemView<'a> {
    id: u64,
    name: &'a str,
    product_id: u64,
    variation_id: u64,
    quantity: i64,
    tax_class: &'static str,
    subtotal: Money,
    subtotal_tax: Money,
    total: Money,
    total_tax: Money,
    taxes: Vec<TaxRef>,
    meta_data: Vec<ItemMeta<'a>>,
    sku: &'a str,
    global_unique_id: &'static str,
    price: f64,
    image: ItemImage,
    parent_name: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct TaxLineView {
    id: u64,
    rate_code: &'static str,
    rate_id: u64,
    label: &'static str,
    compound: bool,
    tax_total: Money,
    shipping_tax_total: Money,
    rate_percent: i64,
    meta_data: Empty,
}

#[derive(Debug, Serialize)]
struct ShippingTaxRef {
    id: u64,
    total: Money,
    subtotal: &'static str,
}

#[derive(Debug, Serialize)]
struct ShippingLineView<'a> {
    id: u64,
    method_title: &'a str,
    method_id: &'a str,
    instance_id: &'a str,
    total: Money,
    total_tax: Money,
    taxes: Vec<ShippingTaxRef>,
    tax_status: &'static str,
    meta_data: Empty,
}

#[derive(Debug, Serialize)]
struct CouponLineView<'a> {
    id: u64,
    code: &'a str,
    discount: Money,
    discount_tax: Money,
    discount_type: &'static str,
    nominal_amount: i64,
    free_shipping: bool,
    meta_data: Empty,
}

/// An order as `GET /orders/{id}` shows it.
#[derive(Debug, Serialize)]
pub(crate) struct OrderView<'a> {
    id: u64,
    parent_id: u64,
    status: &'static str,
    currency: &'a str,
    version: &'static str,
    prices_include_tax: bool,
    date_created: WcDate,
    date_modified: WcDate,
    discount_total: Money,
    discount_tax: Money,
    shipping_total: Money,
    shipping_tax: Money,
    cart_tax: Money,
    total: Money,
    total_tax: Money,
    customer_id: u64,
    order_key: &'a str,
    billing: &'a Address,
    shipping: &'a Address,
    payment_method: &'a str,
    payment_method_title: &'a str,
    transaction_id: &'a str,
    customer_ip_address: &'a str,
    customer_user_agent: &'a str,
    created_via: &'a str,
    customer_note: &'a str,
    date_completed: Option<WcDate>,
    date_paid: Option<WcDate>,
    cart_hash: &'a str,
    number: String,
    meta_data: &'a [Meta],
    line_items: Vec<LineItemView<'a>>,
    tax_lines: Vec<TaxLineView>,
    shipping_lines: Vec<ShippingLineView<'a>>,
    fee_lines: Empty,
    coupon_lines: Vec<CouponLineView<'a>>,
    refunds: Empty,
    payment_url: String,
    is_editable: bool,
    needs_payment: bool,
    needs_processing: bool,
    date_created_gmt: WcDate,
    date_modified_gmt: WcDate,
    date_completed_gmt: Option<WcDate>,
    date_paid_gmt: Option<WcDate>,
    currency_symbol: &'static str,
    #[serde(rename = "_links")]
    links: Links,
}

/// The symbol WooCommerce shows for a currency code (HTML entities, as WooCommerce does).
fn currency_symbol(code: &str) -> &'static str {
    match code {
        "EUR" => "&euro;",
        "USD" | "CAD" | "AUD" => "&#36;",
        "GBP" => "&pound;",
        "CHF" => "CHF",
        _ => "",
    }
}

/// The view of an order.
pub(crate) fn order<'a>(site: Site<'_>, o: &'a Order) -> OrderView<'a> {
    let line_items = o
        .line_items
        .iter()
        .map(|l| LineItemView {
            id: l.id,
            name: &l.name,
            product_id: l.product_id,
            variation_id: l.variation_id,
            quantity: l.quantity,
            tax_class: "",
            subtotal: Money(l.subtotal),
            subtotal_tax: Money(l.subtotal_tax),
            total: Money(l.total),
            total_tax: Money(l.total_tax),
            taxes: vec![TaxRef {
                id: 1,
                total: Money(l.total_tax),
                subtotal: Money(l.subtotal_tax),
            }],
            meta_data: l
                .attributes
                .iter()
                .flat_map(|a| a.iter())
                .enumerate()
                .map(|(i, (taxonomy, slug, label, option))| ItemMeta {
                    id: l.id * 10 + i as u64 + 1,
                    key: taxonomy,
                    value: slug,
                    display_key: label,
                    display_value: option,
                })
                .collect(),
            sku: &l.sku,
            global_unique_id: "",
            price: if l.quantity == 0 {
                0.0
            } else {
                l.total as f64 / 100.0 / l.quantity as f64
            },
            image: ItemImage { id: "", src: "" },
            parent_name: l.parent_name.as_deref(),
        })
        .collect();
    let tax_lines = if o.total_tax != 0 {
        vec![TaxLineView {
            id: o.tax_line_id,
            rate_code: "BE-VAT-1",
            rate_id: 1,
            label: "VAT",
            compound: false,
            tax_total: Money(o.cart_tax),
            shipping_tax_total: Money(o.shipping_tax),
            rate_percent: TAX_RATE_PERCENT,
            meta_data: [],
        }]
    } else {
        Vec::new()
    };
    let shipping_lines = o
        .shipping_lines
        .iter()
        .map(|s| ShippingLineView {
            id: s.id,
            method_title: &s.method_title,
            method_id: &s.method_id,
            instance_id: &s.instance_id,
            total: Money(s.total),
            total_tax: Money(s.total_tax),
            taxes: if s.total_tax != 0 {
                vec![ShippingTaxRef {
                    id: 1,
                    total: Money(s.total_tax),
                    subtotal: "",
                }]
            } else {
                Vec::new()
            },
            tax_status: "taxable",
            meta_data: [],
        })
        .collect();
    let coupon_lines = o
        .coupon_lines
        .iter()
        .map(|c| CouponLineView {
            id: c.id,
            code: &c.code,
            discount: Money(c.discount),
            discount_tax: Money(c.discount_tax),
            discount_type: "percent",
            nominal_amount: 10,
            free_shipping: false,
            meta_data: [],
        })
        .collect();
    let mut links = Links::new(site, "orders", o.id);
    if o.customer_id != 0 {
        links.customer = Some(href(site.rest(&format!("customers/{}", o.customer_id))));
    }
    OrderView {
        id: o.id,
        parent_id: 0,
        status: o.status.as_str(),
        currency: &o.currency,
        version: WC_VERSION,
        prices_include_tax: false,
        date_created: WcDate(o.created),
        date_modified: WcDate(o.modified),
        discount_total: Money(o.discount_total),
        discount_tax: Money(o.discount_tax),
        shipping_total: Money(o.shipping_total),
        shipping_tax: Money(o.shipping_tax),
        cart_tax: Money(o.cart_tax),
        total: Money(o.total),
        total_tax: Money(o.total_tax),
        customer_id: o.customer_id,
        order_key: &o.order_key,
        billing: &o.billing,
        shipping: &o.shipping,
        payment_method: &o.payment_method,
        payment_method_title: &o.payment_method_title,
        transaction_id: &o.transaction_id,
        customer_ip_address: &o.customer_ip_address,
        customer_user_agent: &o.customer_user_agent,
        created_via: &o.created_via,
        customer_note: &o.customer_note,
        date_completed: o.completed.map(WcDate),
        date_paid: o.paid.map(WcDate),
        cart_hash: &o.cart_hash,
        number: o.id.to_string(),
        meta_data: &o.meta_data,
        line_items,
        tax_lines,
        shipping_lines,
        fee_lines: [],
        coupon_lines,
        refunds: [],
        payment_url: format!(
            "{}/checkout/order-pay/{}/?pay_for_order=true&key={}",
            site.base, o.id, o.order_key
        ),
        is_editable: o.status.is_editable(),
        needs_payment: o.status.needs_payment() && o.total > 0,
        needs_processing: !o.line_items.is_empty(),
        date_created_gmt: WcDate(o.created),
        date_modified_gmt: WcDate(o.modified),
        date_completed_gmt: o.completed.map(WcDate),
        date_paid_gmt: o.paid.map(WcDate),
        currency_symbol: currency_symbol(&o.currency),
        links,
    }
}

/// An order note as `GET /orders/{id}/notes` shows it.
#[derive(Debug, Serialize)]
pub(crate) struct NoteView<'a> {
    id: u64,
    author: &'a str,
    date_created: WcDate,
    date_created_gmt: WcDate,
    note: &'a str,
    customer_note: bool,
    #[serde(rename = "_links")]
    links: Links,
}

/// The view of an order note.
pub(crate) fn note<'a>(site: Site<'_>, order_id: u64, n: &'a Note) -> NoteView<'a> {
    let collection = format!("orders/{order_id}/notes");
    let mut links = Links::new(site, &collection, n.id);
    links.up = Some(href(site.rest(&format!("orders/{order_id}"))));
    NoteView {
        id: n.id,
        author: &n.author,
        date_created: WcDate(n.created),
        date_created_gmt: WcDate(n.created),
        note: &n.note,
        customer_note: n.customer_note,
        links,
    }
}

/// A customer as `GET /customers/{id}` shows it.
#[derive(Debug, Serialize)]
pub(crate) struct CustomerView<'a> {
    id: u64,
    date_created: WcDate,
    date_created_gmt: WcDate,
    date_modified: WcDate,
    date_modified_gmt: WcDate,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    role: &'static str,
    username: &'a str,
    billing: &'a Address,
    shipping: &'a Address,
    is_paying_customer: bool,
    avatar_url: String,
    meta_data: &'a [Meta],
    #[serde(rename = "_links")]
    links: Links,
}

/// The view of a customer.
pub(crate) fn customer<'a>(site: Site<'_>, c: &'a Customer) -> CustomerView<'a> {
    CustomerView {
        id: c.id,
        date_created: WcDate(c.created),
        date_created_gmt: WcDate(c.created),
        date_modified: WcDate(c.modified),
        date_modified_gmt: WcDate(c.modified),
        email: &c.email,
        first_name: &c.first_name,
        last_name: &c.last_name,
        role: "customer",
        username: &c.username,
        billing: &c.billing,
        shipping: &c.shipping,
        is_paying_customer: c.is_paying_customer,
        avatar_url: format!(
            "https://secure.gravatar.com/avatar/{:016x}{:016x}?s=96&d=mm&r=g",
            crate::rng::mix(c.id),
            crate::rng::mix(c.id ^ 0xFF)
        ),
        meta_data: &c.meta_data,
        links: Links::new(site, "customers", c.id),
    }
}

#[derive(Debug, Serialize)]
struct Dimensions<'a> {
    length: &'a str,
    width: &'a str,
    height: &'a str,
}

/// A product as `GET /products/{id}` shows it.
#[derive(Debug, Serialize)]
pub(crate) struct ProductView<'a> {
    id: u64,
    name: &'a str,
    slug: &'a str,
    permalink: String,
    date_created: WcDate,
    date_created_gmt: WcDate,
    date_modified: WcDate,
    date_modified_gmt: WcDate,
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'a str,
    featured: bool,
    catalog_visibility: &'a str,
    description: &'a str,
    short_description: &'a str,
    sku: &'a str,
    price: String,
    regular_price: &'a str,
    sale_price: &'a str,
    date_on_sale_from: Option<WcDate>,
    date_on_sale_from_gmt: Option<WcDate>,
    date_on_sale_to: Option<WcDate>,
    date_on_sale_to_gmt: Option<WcDate>,
    on_sale: bool,
    purchasable: bool,
    total_sales: u64,
    #[serde(rename = "virtual")]
    is_virtual: bool,
    downloadable: bool,
    downloads: Empty,
    download_limit: i64,
    download_expiry: i64,
    external_url: &'static str,
    button_text: &'static str,
    tax_status: &'a str,
    tax_class: &'a str,
    manage_stock: bool,
    stock_quantity: Option<i64>,
    backorders: &'a str,
    backorders_allowed: bool,
    backordered: bool,
    low_stock_amount: Option<i64>,
    sold_individually: bool,
    weight: &'a str,
    dimensions: Dimensions<'a>,
    shipping_required: bool,
    shipping_taxable: bool,
    shipping_class: &'static str,
    shipping_class_id: u64,
    reviews_allowed: bool,
    average_rating: &'static str,
    rating_count: u64,
    upsell_ids: Empty,
    cross_sell_ids: Empty,
    parent_id: u64,
    purchase_note: &'static str,
    categories: &'a [CategoryRef],
    tags: Empty,
    images: Empty,
    attributes: &'a [ProductAttribute],
    default_attributes: Empty,
    variations: &'a [u64],
    grouped_products: Empty,
    menu_order: i64,
    price_html: String,
    related_ids: Empty,
    meta_data: &'a [Meta],
    stock_status: &'a str,
    has_options: bool,
    post_password: &'static str,
    global_unique_id: &'static str,
    #[serde(rename = "_links")]
    links: Links,
}

fn amount_html(symbol: &str, price: &str) -> String {
    format!(
        "<span class=\"woocommerce-Price-amount amount\"><bdi><span class=\"woocommerce-Price-currencySymbol\">{symbol}</span>{price}</bdi></span>"
    )
}

fn stock_price_html(s: &Stock) -> String {
    if s.price().is_empty() {
        String::new()
    } else if s.on_sale() {
        format!(
            "<del aria-hidden=\"true\">{}</del> <ins aria-hidden=\"true\">{}</ins>",
            amount_html("&euro;", &s.regular_price),
            amount_html("&euro;", &s.sale_price)
        )
    } else {
        amount_html("&euro;", s.price())
    }
}

/// The view of a product; variable products derive price and stock from `variations`.
pub(crate) fn product<'a>(
    site: Site<'_>,
    p: &'a Product,
    variations: &'a Table<Variation>,
) -> ProductView<'a> {
    let (price, on_sale, stock_status, purchasable, price_html, regular, sale) =
        if p.kind == ProductType::Variable {
            let children: Vec<&Variation> = p
                .variations
                .iter()
                .filter_map(|id| variations.get(*id))
                .filter(|v| v.status == "publish")
                .collect();
            let prices: Vec<(f64, &str)> = children
                .iter()
                .filter_map(|v| {
                    v.stock
                        .price()
                        .parse::<f64>()
                        .ok()
                        .map(|n| (n, v.stock.price()))
                })
                .collect();
            let min = prices
                .iter()
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|m| m.1);
            let max = prices
                .iter()
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|m| m.1);
            let status = if children.iter().any(|v| v.stock.stock_status == "instock") {
                "instock"
            } else if children
                .iter()
                .any(|v| v.stock.stock_status == "onbackorder")
            {
                "onbackorder"
            } else {
                "outofstock"
            };
            let html = match (min, max) {
                (Some(a), Some(b)) if a != b => format!(
                    "{} &ndash; {}",
                    amount_html("&euro;", a),
                    amount_html("&euro;", b)
                ),
                (Some(a), _) => amount_html("&euro;", a),
                _ => String::new(),
            };
            (
                min.unwrap_or("").to_owned(),
                children.iter().any(|v| v.stock.on_sale()),
                status,
                min.is_some(),
                html,
                "",
                "",
            )
        } else {
            (
                p.stock.price().to_owned(),
                p.stock.on_sale(),
                &*p.stock.stock_status,
                !p.stock.price().is_empty(),
                stock_price_html(&p.stock),
                p.stock.regular_price.as_str(),
                p.stock.sale_price.as_str(),
            )
        };
    ProductView {
        id: p.id,
        name: &p.name,
        slug: &p.slug,
        permalink: format!("{}/product/{}/", site.base, p.slug),
        date_created: WcDate(p.created),
        date_created_gmt: WcDate(p.created),
        date_modified: WcDate(p.modified),
        date_modified_gmt: WcDate(p.modified),
        kind: p.kind.as_str(),
        status: &p.status,
        featured: p.featured,
        catalog_visibility: &p.catalog_visibility,
        description: &p.description,
        short_description: &p.short_description,
        sku: &p.sku,
        price,
        regular_price: regular,
        sale_price: sale,
        date_on_sale_from: None,
        date_on_sale_from_gmt: None,
        date_on_sale_to: None,
        date_on_sale_to_gmt: None,
        on_sale,
        purchasable: purchasable && p.status == "publish",
        total_sales: p.total_sales,
        is_virtual: false,
        downloadable: false,
        downloads: [],
        download_limit: -1,
        download_expiry: -1,
        external_url: "",
        button_text: "",
        tax_status: &p.tax_status,
        tax_class: &p.tax_class,
        manage_stock: p.stock.manage_stock,
        stock_quantity: p.stock.stock_quantity,
        backorders: &p.stock.backorders,
        backorders_allowed: p.stock.backorders != "no",
        backordered: false,
        low_stock_amount: None,
        sold_individually: false,
        weight: &p.weight,
        dimensions: Dimensions {
            length: &p.dimensions[0],
            width: &p.dimensions[1],
            height: &p.dimensions[2],
        },
        shipping_required: true,
        shipping_taxable: true,
        shipping_class: "",
        shipping_class_id: 0,
        reviews_allowed: true,
        average_rating: "0.00",
        rating_count: 0,
        upsell_ids: [],
        cross_sell_ids: [],
        parent_id: 0,
        purchase_note: "",
        categories: &p.categories,
        tags: [],
        images: [],
        attributes: &p.attributes,
        default_attributes: [],
        variations: &p.variations,
        grouped_products: [],
        menu_order: p.menu_order,
        price_html,
        related_ids: [],
        meta_data: &p.meta_data,
        stock_status,
        has_options: p.kind == ProductType::Variable,
        post_password: "",
        global_unique_id: "",
        links: Links::new(site, "products", p.id),
    }
}

/// A variation as `GET /products/{pid}/variations/{vid}` shows it.
#[derive(Debug, Serialize)]
pub(crate) struct VariationView<'a> {
    id: u64,
    date_created: WcDate,
    date_created_gmt: WcDate,
    date_modified: WcDate,
    date_modified_gmt: WcDate,
    description: &'a str,
    permalink: String,
    sku: &'a str,
    global_unique_id: &'static str,
    price: &'a str,
    regular_price: &'a str,
    sale_price: &'a str,
    date_on_sale_from: Option<WcDate>,
    date_on_sale_from_gmt: Option<WcDate>,
    date_on_sale_to: Option<WcDate>,
    date_on_sale_to_gmt: Option<WcDate>,
    on_sale: bool,
    status: &'a str,
    purchasable: bool,
    #[serde(rename = "virtual")]
    is_virtual: bool,
    downloadable: bool,
    downloads: Empty,
    download_limit: i64,
    download_expiry: i64,
    tax_status: &'a str,
    tax_class: &'a str,
    manage_stock: bool,
    stock_quantity: Option<i64>,
    stock_status: &'a str,
    backorders: &'a str,
    backorders_allowed: bool,
    backordered: bool,
    low_stock_amount: Option<i64>,
    weight: &'a str,
    dimensions: Dimensions<'a>,
    shipping_class: &'static str,
    shipping_class_id: u64,
    image: Option<Value>,
    attributes: &'a [VariationAttribute],
    menu_order: i64,
    meta_data: &'a [Meta],
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    parent_id: u64,
    #[serde(rename = "_links")]
    links: Links,
}

/// The name WooCommerce gives a variation: `Parent name - Option, Option`.
pub(crate) fn variation_name(parent_name: &str, v: &Variation) -> String {
    let options: Vec<&str> = v.attributes.iter().map(|a| &*a.option).collect();
    if options.is_empty() {
        parent_name.to_owned()
    } else {
        format!("{parent_name} - {}", options.join(", "))
    }
}

/// The view of a variation of `parent`.
pub(crate) fn variation<'a>(
    site: Site<'_>,
    parent: &'a Product,
    v: &'a Variation,
) -> VariationView<'a> {
    let query: Vec<String> = v
        .attributes
        .iter()
        .map(|a| format!("attribute_{}={}", a.taxonomy, a.slug))
        .collect();
    let collection = format!("products/{}/variations", v.parent_id);
    let mut links = Links::new(site, &collection, v.id);
    links.up = Some(href(site.rest(&format!("products/{}", v.parent_id))));
    VariationView {
        id: v.id,
        date_created: WcDate(v.created),
        date_created_gmt: WcDate(v.created),
        date_modified: WcDate(v.modified),
        date_modified_gmt: WcDate(v.modified),
        description: &v.description,
        permalink: format!("{}/product/{}/?{}", site.base, parent.slug, query.join("&")),
        sku: &v.sku,
        global_unique_id: "",
        price: v.stock.price(),
        regular_price: &v.stock.regular_price,
        sale_price: &v.stock.sale_price,
        date_on_sale_from: None,
        date_on_sale_from_gmt: None,
        date_on_sale_to: None,
        date_on_sale_to_gmt: None,
        on_sale: v.stock.on_sale(),
        status: &v.status,
        purchasable: !v.stock.price().is_empty() && v.status == "publish",
        is_virtual: false,
        downloadable: false,
        downloads: [],
        download_limit: -1,
        download_expiry: -1,
        tax_status: &v.tax_status,
        tax_class: &v.tax_class,
        manage_stock: v.stock.manage_stock,
        stock_quantity: v.stock.stock_quantity,
        stock_status: &v.stock.stock_status,
        backorders: &v.stock.backorders,
        backorders_allowed: v.stock.backorders != "no",
        backordered: false,
        low_stock_amount: None,
        weight: &v.weight,
        dimensions: Dimensions {
            length: &v.dimensions[0],
            width: &v.dimensions[1],
            height: &v.dimensions[2],
        },
        shipping_class: "",
        shipping_class_id: 0,
        image: None,
        attributes: &v.attributes,
        menu_order: v.menu_order,
        meta_data: &v.meta_data,
        name: variation_name(&parent.name, v),
        kind: "variation",
        parent_id: v.parent_id,
        links,
    }
}

/// Keeps only the fields named in WordPress's `_fields` parameter (`id,billing.email`).
pub(crate) fn filter_fields(value: Value, fields: &[String]) -> Value {
    fn keep(value: &Value, paths: &[Vec<&str>]) -> Value {
        let Value::Object(map) = value else {
            return value.clone();
        };
        let mut out = serde_json::Map::new();
        for (k, v) in map {
            let sub: Vec<Vec<&str>> = paths
                .iter()
                .filter(|p| p.first() == Some(&k.as_str()))
                .map(|p| p[1..].to_vec())
                .collect();
            if sub.is_empty() {
                continue;
            }
            if sub.iter().any(Vec::is_empty) {
                out.insert(k.clone(), v.clone());
            } else {
                out.insert(k.clone(), keep(v, &sub));
            }
        }
        Value::Object(out)
    }
    let paths: Vec<Vec<&str>> = fields
        .iter()
        .map(|f| f.trim())
        .filter(|f| !f.is_empty())
        .map(|f| f.split('.').collect())
        .collect();
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| keep(v, &paths)).collect()),
        other => keep(&other, &paths),
    }
}
