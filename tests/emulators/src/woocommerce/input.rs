//! Request bodies of writes, validated against WooCommerce's item schemas.
//!
//! WordPress validates body fields against the endpoint's schema before the handler runs:
//! a string field given a number fails with `regular_price is not of type string.`, an
//! integer field given `"abc"` with `stock_quantity is not of type integer.`, an enum with
//! `status is not one of ...`. All invalid fields are reported together as
//! `400 rest_invalid_param`. Beyond WooCommerce, prices must be plain decimals
//! (`"9.99"`), so a connector that writes `"9,99"` or `"abc"` is caught.
//!
//! The parsed patches only say what a request asks to change; [`super::store`] applies them.

use serde_json::{Map, Value};

use super::error::{ParamError, WcError, sprintf_l};
use super::model::{OrderStatus, ProductType, is_decimal};
use super::params::{parse_bool, parse_integer};

/// Parses a raw request body: JSON (any content type) or `application/x-www-form-urlencoded`.
pub(crate) fn parse_body(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Map<String, Value>, WcError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let is_form = content_type.is_some_and(|ct| {
        ct.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if is_form {
        return Ok(form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Ok(Map::new()),
        Err(_) => Err(WcError::invalid_json()),
    }
}

/// Whether a string looks like an email address (WordPress's `is_email`, simplified).
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() >= 6
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// A `meta_data` entry of a write.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetaInput {
    pub id: Option<u64>,
    pub key: String,
    pub value: Value,
}

/// Reads typed fields out of a body, collecting WordPress-style errors.
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    errors: Vec<ParamError>,
}

fn type_error(path: &str, ty: &str) -> String {
    format!("{path} is not of type {ty}.")
}

impl<'a> Fields<'a> {
    pub(crate) fn new(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            errors: Vec::new(),
        }
    }

    fn fail(&mut self, name: &str, code: &'static str, message: String) {
        self.errors.push(ParamError::new(name, code, message));
    }

    fn present(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// A string field.
    pub(crate) fn string(&mut self, key: &str) -> Option<String> {
        match self.present(key)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.fail(key, "rest_invalid_type", type_error(key, "string"));
                None
            }
        }
    }

    /// A string field holding a decimal number, or empty.
    pub(crate) fn decimal(&mut self, key: &str) -> Option<String> {
        let s = self.string(key)?;
        let trimmed = s.trim();
        if trimmed.is_empty() || is_decimal(trimmed) {
            Some(trimmed.to_owned())
        } else {
            self.fail(
                key,
                "rest_invalid_param",
                format!("{key} is not a valid decimal number."),
            );
            None
        }
    }

    /// A boolean field (`true`, `false`, `"true"`, `"1"`, `0`, ...).
    pub(crate) fn boolean(&mut self, key: &str) -> Option<bool> {
        let parsed = match self.present(key)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => parse_bool(s),
            Value::Number(n) => match n.as_i64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            _ => None,
        };
        if parsed.is_none() {
            self.fail(key, "rest_invalid_type", type_error(key, "boolean"));
        }
        parsed
    }

    /// An integer field (a number or a numeric string, as `rest_is_integer` accepts).
    pub(crate) fn integer(&mut self, key: &str) -> Option<i64> {
        let value = self.present(key)?;
        let parsed = integer_of(value);
        if parsed.is_none() {
            self.fail(key, "rest_invalid_type", type_error(key, "integer"));
        }
        parsed
    }

    /// A non-negative integer id field.
    pub(crate) fn id(&mut self, key: &str) -> Option<u64> {
        let n = self.integer(key)?;
        if n < 0 {
            self.fail(
                key,
                "rest_out_of_bounds",
                format!("{key} must be greater than or equal to 0"),
            );
            return None;
        }
        Some(n.unsigned_abs())
    }

    /// A string field restricted to `allowed`.
    pub(crate) fn one_of(&mut self, key: &str, allowed: &[&'static str]) -> Option<&'static str> {
        let s = self.string(key)?;
        let found = allowed.iter().find(|a| **a == s).copied();
        if found.is_none() {
            self.fail(
                key,
                "rest_not_in_enum",
                format!("{key} is not one of {}.", sprintf_l(allowed)),
            );
        }
        found
    }

    /// An email field (empty allowed).
    pub(crate) fn email(&mut self, key: &str) -> Option<String> {
        let s = self.string(key)?;
        if s.is_empty() || is_email(&s) {
            Some(s)
        } else {
            self.fail(
                key,
                "rest_invalid_email",
                "Invalid email address.".to_owned(),
            );
            None
        }
    }

    /// An address object (`billing` / `shipping`): its string fields as `(name, value)`.
    pub(crate) fn address(&mut self, key: &str, with_email: bool) -> Option<Vec<(String, String)>> {
        const FIELDS: [&str; 10] = [
            "first_name",
            "last_name",
            "company",
            "address_1",
            "address_2",
            "city",
            "state",
            "postcode",
            "country",
            "phone",
        ];
        let value = self.present(key)?;
        let Value::Object(obj) = value else {
            self.fail(key, "rest_invalid_type", type_error(key, "object"));
            return None;
        };
        let mut out = Vec::new();
        for (field, v) in obj {
            let known = FIELDS.contains(&field.as_str()) || (with_email && field == "email");
            if !known {
                continue;
            }
            let path = format!("{key}[{field}]");
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                _ => {
                    self.fail(key, "rest_invalid_type", type_error(&path, "string"));
                    return None;
                }
            };
            if field == "email" && !s.is_empty() && !is_email(&s) {
                self.fail(
                    key,
                    "rest_invalid_email",
                    "Invalid email address.".to_owned(),
                );
                return None;
            }
            out.push((field.clone(), s));
        }
        Some(out)
    }

    /// A `meta_data` array.
    pub(crate) fn meta(&mut self, key: &str) -> Option<Vec<MetaInput>> {
        let value = self.present(key)?;
        let Value::Array(items) = value else {
            self.fail(key, "rest_invalid_type", type_error(key, "array"));
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Value::Object(obj) = item else {
                self.fail(
                    key,
                    "rest_invalid_type",
                    type_error(&format!("{key}[{i}]"), "object"),
                );
                return None;
            };
            let meta_key = match obj.get("key") {
                Some(Value::String(s)) => s.clone(),
                Some(_) => {
                    self.fail(
                        key,
                        "rest_invalid_type",
                        type_error(&format!("{key}[{i}][key]"), "string"),
                    );
                    return None;
                }
                None => String::new(),
            };
            let id = match obj.get("id") {
                None | Some(Value::Null) => None,
                Some(v) => match integer_of(v) {
                    Some(n) => Some(n.unsigned_abs()),
                    None => {
                        self.fail(
                            key,
                            "rest_invalid_type",
                            type_error(&format!("{key}[{i}][id]"), "integer"),
                        );
                        return None;
                    }
                },
            };
            if meta_key.is_empty() && id.is_none() {
                continue;
            }
            out.push(MetaInput {
                id,
                key: meta_key,
                value: obj.get("value").cloned().unwrap_or(Value::Null),
            });
        }
        Some(out)
    }

    /// An array of objects, each given to `item` with its index path (`line_items[0]`).
    pub(crate) fn objects<T>(
        &mut self,
        key: &str,
        mut item: impl FnMut(&mut Fields<'a>, &'a Map<String, Value>, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let value = self.present(key)?;
        let Value::Array(items) = value else {
            self.fail(key, "rest_invalid_type", type_error(key, "array"));
            return None;
        };
        let mut out = Vec::new();
        for (i, v) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            let Value::Object(obj) = v else {
                self.fail(key, "rest_invalid_type", type_error(&path, "object"));
                return None;
            };
            out.push(item(self, obj, &path)?);
        }
        Some(out)
    }

    /// A field of a nested object, validated as a string.
    pub(crate) fn nested_string(
        &mut self,
        key: &str,
        obj: &Map<String, Value>,
        path: &str,
        field: &str,
    ) -> Result<Option<String>, ()> {
        match obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => {
                self.fail(
                    key,
                    "rest_invalid_type",
                    type_error(&format!("{path}[{field}]"), "string"),
                );
                Err(())
            }
        }
    }

    /// A field of a nested object, validated as an integer.
    pub(crate) fn nested_int(
        &mut self,
        key: &str,
        obj: &Map<String, Value>,
        path: &str,
        field: &str,
    ) -> Result<Option<i64>, ()> {
        match obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match integer_of(v) {
                Some(n) => Ok(Some(n)),
                None => {
                    self.fail(
                        key,
                        "rest_invalid_type",
                        type_error(&format!("{path}[{field}]"), "integer"),
                    );
                    Err(())
                }
            },
        }
    }

    /// Records a custom validation failure.
    pub(crate) fn invalid(&mut self, key: &str, message: String) {
        self.fail(key, "rest_invalid_param", message);
    }

    /// Ok when every field was valid.
    pub(crate) fn finish(self) -> Result<(), WcError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(WcError::invalid_params(&self.errors))
        }
    }
}

fn integer_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => parse_integer(s.trim()),
        _ => None,
    }
}

/// A line of `POST /orders`.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineItemInput {
    pub product_id: Option<u64>,
    pub variation_id: Option<u64>,
    pub sku: Option<String>,
    pub quantity: i64,
    pub subtotal: Option<String>,
    pub total: Option<String>,
    pub name: Option<String>,
}

/// A shipping line of `POST /orders`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ShippingLineInput {
    pub method_id: String,
    pub method_title: String,
    pub total: Option<String>,
}

/// The fields of `POST /orders` and `PUT /orders/{id}`.
#[derive(Debug, Clone, Default)]
pub(crate) struct OrderPatch {
    pub status: Option<OrderStatus>,
    pub currency: Option<String>,
    pub customer_id: Option<u64>,
    pub customer_note: Option<String>,
    pub billing: Option<Vec<(String, String)>>,
    pub shipping: Option<Vec<(String, String)>>,
    pub payment_method: Option<String>,
    pub payment_method_title: Option<String>,
    pub transaction_id: Option<String>,
    pub set_paid: Option<bool>,
    pub meta_data: Option<Vec<MetaInput>>,
    pub line_items: Option<Vec<LineItemInput>>,
    pub shipping_lines: Option<Vec<ShippingLineInput>>,
}

impl OrderPatch {
    pub(crate) fn parse(map: &Map<String, Value>) -> Result<Self, WcError> {
        let mut f = Fields::new(map);
        let status = f
            .one_of("status", &OrderStatus::WRITABLE)
            .and_then(OrderStatus::parse);
        let currency = f.string("currency");
        if let Some(c) = &currency
            && (c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            f.invalid(
                "currency",
                "currency is not a valid ISO 4217 currency code.".to_owned(),
            );
        }
        let patch = Self {
            status,
            currency,
            customer_id: f.id("customer_id"),
            customer_note: f.string("customer_note"),
            billing: f.address("billing", true),
            shipping: f.address("shipping", false),
            payment_method: f.string("payment_method"),
            payment_method_title: f.string("payment_method_title"),
            transaction_id: f.string("transaction_id"),
            set_paid: f.boolean("set_paid"),
            meta_data: f.meta("meta_data"),
            line_items: f.objects("line_items", |f, obj, path| {
                let key = "line_items";
                let product_id = f.nested_int(key, obj, path, "product_id").ok()?;
                let variation_id = f.nested_int(key, obj, path, "variation_id").ok()?;
                let quantity = f.nested_int(key, obj, path, "quantity").ok()?;
                let sku = f.nested_string(key, obj, path, "sku").ok()?;
                let subtotal = f.nested_string(key, obj, path, "subtotal").ok()?;
                let total = f.nested_string(key, obj, path, "total").ok()?;
                let name = f.nested_string(key, obj, path, "name").ok()?;
                for (field, v) in [("subtotal", &subtotal), ("total", &total)] {
                    if v.as_deref().is_some_and(|s| !is_decimal(s.trim())) {
                        f.invalid(
                            key,
                            format!("{path}[{field}] is not a valid decimal number."),
                        );
                        return None;
                    }
                }
                Some(LineItemInput {
                    product_id: product_id.map(i64::unsigned_abs),
                    variation_id: variation_id.map(i64::unsigned_abs),
                    sku,
                    quantity: quantity.unwrap_or(1),
                    subtotal,
                    total,
                    name,
                })
            }),
            shipping_lines: f.objects("shipping_lines", |f, obj, path| {
                let key = "shipping_lines";
                let method_id = f.nested_string(key, obj, path, "method_id").ok()?;
                let method_title = f.nested_string(key, obj, path, "method_title").ok()?;
                let total = f.nested_string(key, obj, path, "total").ok()?;
                if total.as_deref().is_some_and(|s| !is_decimal(s.trim())) {
                    f.invalid(key, format!("{path}[total] is not a valid decimal number."));
                    return None;
                }
                Some(ShippingLineInput {
                    method_id: method_id.unwrap_or_default(),
                    method_title: method_title.unwrap_or_default(),
                    total,
                })
            }),
        };
        f.finish()?;
        Ok(patch)
    }
}

/// Stock and price fields shared by products and variations.
#[derive(Debug, Clone, Default)]
pub(crate) struct StockPatch {
    pub regular_price: Option<String>,
    pub sale_price: Option<String>,
    pub manage_stock: Option<bool>,
    pub stock_quantity: Option<i64>,
    pub stock_status: Option<&'static str>,
    pub backorders: Option<&'static str>,
}

impl StockPatch {
    fn parse(f: &mut Fields<'_>) -> Self {
        Self {
            regular_price: f.decimal("regular_price"),
            sale_price: f.decimal("sale_price"),
            manage_stock: f.boolean("manage_stock"),
            stock_quantity: f.integer("stock_quantity"),
            stock_status: f.one_of("stock_status", &["instock", "outofstock", "onbackorder"]),
            backorders: f.one_of("backorders", &["no", "notify", "yes"]),
        }
    }
}

/// An attribute of `POST /products` (`options`) or of a variation (`option`).
#[derive(Debug, Clone, Default)]
pub(crate) struct AttributeInput {
    pub id: Option<u64>,
    pub name: Option<String>,
    pub options: Vec<String>,
    pub option: Option<String>,
    pub variation: bool,
    pub visible: bool,
}

fn attributes(f: &mut Fields<'_>) -> Option<Vec<AttributeInput>> {
    f.objects("attributes", |f, obj, path| {
        let key = "attributes";
        let id = f.nested_int(key, obj, path, "id").ok()?;
        let name = f.nested_string(key, obj, path, "name").ok()?;
        let option = f.nested_string(key, obj, path, "option").ok()?;
        let options = match obj.get("options") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(s)) => s
                .split('|')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            Some(_) => {
                f.invalid(key, format!("{path}[options] is not of type array."));
                return None;
            }
        };
        let flag = |k: &str, default: bool| obj.get(k).and_then(Value::as_bool).unwrap_or(default);
        Some(AttributeInput {
            id: id.map(i64::unsigned_abs),
            name,
            options,
            option,
            variation: flag("variation", false),
            visible: flag("visible", true),
        })
    })
}

/// The fields of `POST /products` and `PUT /products/{id}`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProductPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub kind: Option<ProductType>,
    pub status: Option<&'static str>,
    pub featured: Option<bool>,
    pub catalog_visibility: Option<&'static str>,
    pub description: Option<String>,
    pub short_description: Option<String>,
    pub sku: Option<String>,
    pub stock: StockPatch,
    pub weight: Option<String>,
    pub menu_order: Option<i64>,
    pub meta_data: Option<Vec<MetaInput>>,
    pub attributes: Option<Vec<AttributeInput>>,
}

impl ProductPatch {
    pub(crate) fn parse(map: &Map<String, Value>) -> Result<Self, WcError> {
        let mut f = Fields::new(map);
        let patch = Self {
            name: f.string("name"),
            slug: f.string("slug"),
            kind: f
                .one_of("type", &ProductType::ALL)
                .and_then(ProductType::parse),
            status: f.one_of(
                "status",
                &["draft", "pending", "private", "publish", "future"],
            ),
            featured: f.boolean("featured"),
            catalog_visibility: f.one_of(
                "catalog_visibility",
                &["visible", "catalog", "search", "hidden"],
            ),
            description: f.string("description"),
            short_description: f.string("short_description"),
            sku: f.string("sku"),
            stock: StockPatch::parse(&mut f),
            weight: f.string("weight"),
            menu_order: f.integer("menu_order"),
            meta_data: f.meta("meta_data"),
            attributes: attributes(&mut f),
        };
        f.finish()?;
        Ok(patch)
    }
}

/// The fields of `POST /products/{id}/variations` and `PUT .../variations/{vid}`.
#[derive(Debug, Clone, Default)]
pub(crate) struct VariationPatch {
    pub status: Option<&'static str>,
    pub description: Option<String>,
    pub sku: Option<String>,
    pub stock: StockPatch,
    pub weight: Option<String>,
    pub menu_order: Option<i64>,
    pub meta_data: Option<Vec<MetaInput>>,
    pub attributes: Option<Vec<AttributeInput>>,
}

impl VariationPatch {
    pub(crate) fn parse(map: &Map<String, Value>) -> Result<Self, WcError> {
        let mut f = Fields::new(map);
        let patch = Self {
            status: f.one_of("status", &["draft", "pending", "private", "publish"]),
            description: f.string("description"),
            sku: f.string("sku"),
            stock: StockPatch::parse(&mut f),
            weight: f.string("weight"),
            menu_order: f.integer("menu_order"),
            meta_data: f.meta("meta_data"),
            attributes: attributes(&mut f),
        };
        f.finish()?;
        Ok(patch)
    }
}

/// The fields of `POST /customers` and `PUT /customers/{id}`.
#[derive(Debug, Clone, Default)]
pub(crate) struct CustomerPatch {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub billing: Option<Vec<(String, String)>>,
    pub shipping: Option<Vec<(String, String)>>,
    pub meta_data: Option<Vec<MetaInput>>,
}

impl CustomerPatch {
    pub(crate) fn parse(map: &Map<String, Value>) -> Result<Self, WcError> {
        let mut f = Fields::new(map);
        let email = f.email("email");
        let patch = Self {
            email,
            first_name: f.string("first_name"),
            last_name: f.string("last_name"),
            username: f.string("username"),
            billing: f.address("billing", true),
            shipping: f.address("shipping", false),
            meta_data: f.meta("meta_data"),
        };
        let _password = f.string("password");
        f.finish()?;
        Ok(patch)
    }
}

/// The body of `POST /orders/{id}/notes`.
#[derive(Debug, Clone, Default)]
pub(crate) struct NoteInput {
    pub note: String,
    pub customer_note: bool,
    pub added_by_user: bool,
}

impl NoteInput {
    pub(crate) fn parse(map: &Map<String, Value>) -> Result<Self, WcError> {
        if !map.contains_key("note") {
            return Err(WcError::missing_params(&["note"]));
        }
        let mut f = Fields::new(map);
        let note = f.string("note");
        let customer_note = f.boolean("customer_note");
        let added_by_user = f.boolean("added_by_user");
        f.finish()?;
        Ok(Self {
            note: note.unwrap_or_default(),
            customer_note: customer_note.unwrap_or(false),
            added_by_user: added_by_user.unwrap_or(false),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn product_fields_are_type_checked() {
        let err = ProductPatch::parse(&map(
            json!({"regular_price": 9.99, "stock_quantity": "abc"}),
        ))
        .unwrap_err();
        let body = err.body();
        assert_eq!(body["code"], "rest_invalid_param");
        assert_eq!(
            body["message"],
            "Invalid parameter(s): regular_price, stock_quantity"
        );
        assert_eq!(
            body["data"]["params"]["regular_price"],
            "regular_price is not of type string."
        );
        let err = ProductPatch::parse(&map(json!({"regular_price": "9,99"}))).unwrap_err();
        assert_eq!(
            err.body()["data"]["params"]["regular_price"],
            "regular_price is not a valid decimal number."
        );
        let ok = ProductPatch::parse(&map(
            json!({"regular_price": "9.99", "stock_quantity": "5", "manage_stock": "true"}),
        ))
        .unwrap();
        assert_eq!(ok.stock.stock_quantity, Some(5));
        assert_eq!(ok.stock.manage_stock, Some(true));
    }

    #[test]
    fn bodies() {
        assert!(parse_body(None, b"{not json").is_err());
        assert_eq!(
            parse_body(
                Some("application/x-www-form-urlencoded"),
                b"status=completed"
            )
            .unwrap()["status"],
            "completed"
        );
        assert!(parse_body(None, b"").unwrap().is_empty());
        let err = NoteInput::parse(&Map::new()).unwrap_err();
        assert_eq!(err.code(), "rest_missing_callback_param");
        assert!(is_email("a.b@example.com"));
        assert!(!is_email("nope"));
    }
}
