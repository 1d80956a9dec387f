//! The parts of WooCommerce's REST v3 JSON the connector reads.
//!
//! Deserialisation is lenient on purpose: shops run plugins that change types here and there
//! (ids or amounts as strings or numbers, `null` for empty strings), so scalar fields are read
//! as text whatever their JSON type, and every field is optional. What a record must have
//! (an id, a creation date) is checked by the mapping, with a message naming the record.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Reads a JSON scalar as text: strings as they are, numbers and booleans written out,
/// `null` (and arrays or objects, which no text field should hold) as `None`.
pub fn lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// Reads any JSON value, `null` included (as `Value::Null`).
fn any_value<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    Value::deserialize(d)
}

/// Reads a list, treating `null` or a non-list as empty.
fn lenient_list<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// Reads an object, treating anything else (`null`, PHP's `[]` for an empty array) as `None`.
fn lenient_object<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        v @ Value::Object(_) => serde_json::from_value(v).ok(),
        _ => None,
    })
}

/// A `meta_data` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WcMeta {
    #[serde(deserialize_with = "lenient_text")]
    pub id: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub key: Option<String>,
    #[serde(deserialize_with = "any_value")]
    pub value: Value,
}

/// A billing or shipping address.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WcAddress {
    #[serde(deserialize_with = "lenient_text")]
    pub first_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub last_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub company: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub address_1: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub address_2: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub city: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub state: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub postcode: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub country: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub email: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub phone: Option<String>,
}

/// The dates every WooCommerce record has.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WcDates {
    #[serde(deserialize_with = "lenient_text")]
    pub date_created: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub date_created_gmt: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub date_modified: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub date_modified_gmt: Option<String>,
}

/// A line of an order.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WcLineItem {
    #[serde(deserialize_with = "lenient_text")]
    pub id: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub product_id: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub variation_id: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub sku: Option<String>,
    #[serde(deserialize_with = "any_value")]
    pub quantity: Value,
    #[serde(deserialize_with = "any_value")]
    pub subtotal: Value,
    #[serde(deserialize_with = "any_value")]
    pub total: Value,
    #[serde(deserialize_with = "any_value")]
    pub total_tax: Value,
    #[serde(deserialize_with = "any_value")]
    pub price: Value,
}

/// An order (`/orders`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WcOrder {
    #[serde(deserialize_with = "lenient_text")]
    pub id: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub number: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub status: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub currency: Option<String>,
    #[serde(deserialize_with = "any_value")]
    pub total: Value,
    #[serde(deserialize_with = "any_value")]
    pub total_tax: Value,
    #[serde(deserialize_with = "any_value")]
    pub shipping_total: Value,
    #[serde(deserialize_with = "any_value")]
    pub discount_total: Value,
    #[serde(deserialize_with = "lenient_text")]
    pub customer_id: Option<String>,
    #[serde(deserialize_with = "lenient_object")]
    pub billing: Option<WcAddress>,
    #[serde(deserialize_with = "lenient_object")]
    pub shipping: Option<WcAddress>,
    #[serde(deserialize_with = "lenient_text")]
    pub payment_method: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub date_paid: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub date_paid_gmt: Option<String>,
    #[serde(flatten)]
    pub dates: WcDates,
    #[serde(deserialize_with = "lenient_list")]
    pub line_items: Vec<WcLineItem>,
    #[serde(deserialize_with = "lenient_list")]
    pub meta_data: Vec<WcMeta>,
}

/// A customer (`/customers`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WcCustomer {
    #[serde(deserialize_with = "lenient_text")]
    pub id: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub email: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub first_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub last_name: Option<String>,
    #[serde(deserialize_with = "lenient_object")]
    pub billing: Option<WcAddress>,
    #[serde(deserialize_with = "lenient_object")]
    pub shipping: Option<WcAddress>,
    #[serde(flatten)]
    pub dates: WcDates,
}

/// A product (`/products`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WcProduct {
    #[serde(deserialize_with = "lenient_text")]
    pub id: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub name: Option<String>,
    #[serde(rename = "type", deserialize_with = "lenient_text")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub status: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub sku: Option<String>,
    #[serde(deserialize_with = "any_value")]
    pub price: Value,
    #[serde(deserialize_with = "any_value")]
    pub regular_price: Value,
    #[serde(deserialize_with = "any_value")]
    pub sale_price: Value,
    #[serde(deserialize_with = "any_value")]
    pub manage_stock: Value,
    #[serde(deserialize_with = "any_value")]
    pub stock_quantity: Value,
    #[serde(flatten)]
    pub dates: WcDates,
}

/// An attribute of a variation: `{"id": 1, "name": "Colour", "option": "Red"}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WcVariationAttribute {
    #[serde(deserialize_with = "lenient_text")]
    pub name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub option: Option<String>,
}

/// A variation (`/products/{id}/variations`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WcVariation {
    #[serde(deserialize_with = "lenient_text")]
    pub id: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub parent_id: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub sku: Option<String>,
    #[serde(deserialize_with = "any_value")]
    pub price: Value,
    #[serde(deserialize_with = "any_value")]
    pub regular_price: Value,
    #[serde(deserialize_with = "any_value")]
    pub sale_price: Value,
    #[serde(deserialize_with = "any_value")]
    pub manage_stock: Value,
    #[serde(deserialize_with = "any_value")]
    pub stock_quantity: Value,
    #[serde(deserialize_with = "lenient_list")]
    pub attributes: Vec<WcVariationAttribute>,
    #[serde(flatten)]
    pub dates: WcDates,
}

/// The parts of `GET /system_status` the check reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WcSystemStatus {
    #[serde(deserialize_with = "lenient_object")]
    pub environment: Option<WcEnvironment>,
}

/// `system_status.environment`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WcEnvironment {
    #[serde(deserialize_with = "lenient_text")]
    pub version: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub site_url: Option<String>,
}
