//! Documentation-only types for the OpenAPI document: the JSON shapes the APIs accept and
//! serve, written out as Rust structs so `utoipa` can describe them. Nothing constructs
//! them; the handlers build their JSON directly. The record shapes follow the camelCase
//! JSON stored by `junction_domain::sync::record_json` from the WIT types in `junction_runtime::types`.

#![allow(dead_code)]

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// The error body of every API.
#[derive(Serialize, ToSchema)]
pub struct ApiError {
    /// A stable machine-readable code, e.g. `invalid_parameter`, `not_found`,
    /// `unauthorized`, `unsupported`, `upstream_error`.
    #[schema(example = "invalid_parameter")]
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// The parameter, header or body field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

// ---- Runtime API list parameters ---------------------------------------------------------

/// The parameters every Runtime API list accepts (anything else is refused with a 400).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Page number, from 1 (default 1). Not together with `cursor`.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Records per page, 1-500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub page_size: Option<i64>,
    /// Only records modified at or after this RFC 3339 / ISO 8601 UTC timestamp.
    #[param(format = DateTime)]
    pub updated_since: Option<String>,
    /// A `nextCursor` from a previous page (exact keyset paging while records change).
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

// ---- Runtime API request bodies ----------------------------------------------------------

/// `POST .../orders/{id}/status`.
#[derive(Serialize, ToSchema)]
pub struct StatusBody {
    /// The target system's status word, e.g. `completed`.
    #[schema(example = "completed", min_length = 1, pattern = r"\S")]
    pub status: String,
}

/// `POST .../orders/{id}/tracking`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrackingBody {
    /// The carrier's tracking number (non-empty).
    #[schema(min_length = 1, pattern = r"\S")]
    pub tracking_number: String,
    /// The carrier, e.g. `bpost` or `DHL`.
    pub tracking_provider: Option<String>,
    /// A URL where the recipient can follow the shipment.
    pub tracking_url: Option<String>,
    /// When the shipment left (RFC 3339).
    pub shipped_at: Option<String>,
}

/// A stock level: a whole number, also accepted as a string of digits.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum StockQuantity {
    Integer(i64),
    Digits(String),
}

/// `POST .../stock` (products and variations).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockBody {
    pub stock_quantity: StockQuantity,
}

/// A non-negative money amount: a JSON number or a decimal string such as `"19.99"`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Money {
    Number(f64),
    Decimal(String),
}

/// `POST .../price` (products and variations).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceBody {
    /// The new regular price.
    pub price: Money,
    /// A sale price to set alongside, if any.
    pub sale_price: Option<Money>,
}

/// The answer to a successful write (also replayed for a repeated `Idempotency-Key`, with
/// the `Idempotent-Replayed: true` header).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WriteResult {
    pub success: bool,
    /// The written record's id in the external system.
    pub external_id: String,
    /// The record as now stored locally (Order, Product or Variation), or null when the
    /// connector returned none.
    pub data: Value,
}

// ---- Runtime API answers -------------------------------------------------------------------

/// `GET /api/v1/api/me`: who the API key belongs to.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub tenant_id: String,
    pub connection_id: String,
    pub connector_key: String,
}

/// `GET /api/v1/api/capabilities`: what the connection's connector can do.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub connector_key: String,
    pub connector_name: String,
    pub connector_version: String,
    /// Resources synced: `orders`, `customers`, `products`, `variations`.
    pub resources: Vec<String>,
    /// Writes supported, e.g. `order-status`, `product-stock`.
    pub writes: Vec<String>,
    pub order_status: bool,
    pub order_tracking: bool,
    pub product_stock: bool,
    pub product_price: bool,
    pub variation_stock: bool,
    pub variation_price: bool,
}

/// `GET /api/v1/api/health/connection`: a live check of the external system.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
    pub message: String,
    pub latency_ms: u64,
}

/// A postal address.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    /// State, province or region.
    pub region: Option<String>,
    pub postcode: Option<String>,
    /// ISO 3166-1 alpha-2 country code where the system provides one.
    pub country: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// One line of an order. Amounts are decimal strings.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    pub external_id: Option<String>,
    pub product_id: Option<String>,
    pub variation_id: Option<String>,
    pub sku: Option<String>,
    pub name: String,
    pub quantity: String,
    pub unit_price: String,
    pub total: String,
    pub tax: Option<String>,
}

/// A shipment's tracking details as stored on an order.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tracking {
    pub number: String,
    pub provider: Option<String>,
    pub url: Option<String>,
    pub shipped_at: Option<String>,
}

/// A sales order. Amounts are decimal strings; timestamps RFC 3339.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub external_id: String,
    pub order_number: Option<String>,
    pub status: String,
    pub currency: Option<String>,
    pub total: String,
    pub subtotal: Option<String>,
    pub tax_total: Option<String>,
    pub shipping_total: Option<String>,
    pub discount_total: Option<String>,
    pub customer_id: Option<String>,
    pub customer_email: Option<String>,
    pub billing: Option<Address>,
    pub shipping: Option<Address>,
    pub payment_status: Option<String>,
    pub payment_method: Option<String>,
    pub line_items: Vec<LineItem>,
    pub tracking: Vec<Tracking>,
    pub created_at: String,
    pub modified_at: String,
    /// The external system's own JSON for this record.
    pub raw: Value,
}

/// A customer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub external_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub billing: Option<Address>,
    pub shipping: Option<Address>,
    pub created_at: String,
    pub modified_at: String,
    pub raw: Value,
}

/// A product.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub external_id: String,
    pub sku: Option<String>,
    pub name: String,
    pub status: Option<String>,
    pub price: Option<String>,
    pub regular_price: Option<String>,
    pub sale_price: Option<String>,
    pub currency: Option<String>,
    pub stock_quantity: Option<i64>,
    pub has_variations: bool,
    pub created_at: String,
    pub modified_at: String,
    pub raw: Value,
}

/// A variation attribute, e.g. `{"name": "Colour", "value": "Red"}`.
#[derive(Serialize, ToSchema)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

/// A variation of a product.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Variation {
    pub external_id: String,
    pub product_id: String,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub attributes: Vec<Attribute>,
    pub price: Option<String>,
    pub regular_price: Option<String>,
    pub sale_price: Option<String>,
    pub stock_quantity: Option<i64>,
    pub created_at: String,
    pub modified_at: String,
    pub raw: Value,
}

macro_rules! list_envelope {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Serialize, ToSchema)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            pub data: Vec<$item>,
            /// The page asked for (from 1).
            pub page: i64,
            pub page_size: i64,
            /// Whether more records follow this page.
            pub has_more: bool,
            /// Pass as `cursor` to get the next page; null on the last page.
            #[schema(required = true)]
            pub next_cursor: Option<String>,
        }
    };
}

list_envelope!(OrderList, Order, "A page of orders.");
list_envelope!(CustomerList, Customer, "A page of customers.");
list_envelope!(ProductList, Product, "A page of products.");
list_envelope!(
    VariationList,
    Variation,
    "A page of a product's variations."
);
