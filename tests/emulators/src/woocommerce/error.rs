//! WooCommerce / WordPress REST error responses.
//!
//! Every error the emulator returns has WordPress's `WP_Error` shape:
//! `{"code": "...", "message": "...", "data": {"status": N, ...}}`, with the codes and messages
//! WooCommerce uses for the same situation (`woocommerce_rest_shop_order_invalid_id`,
//! `rest_invalid_param`, `woocommerce_rest_cannot_view`, ...).

use std::borrow::Cow;

use serde_json::{Map, Value, json};

/// A WooCommerce REST error: HTTP status, machine code, human message and extra `data`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code} (HTTP {status}): {message}")]
pub struct WcError {
    status: u16,
    code: Cow<'static, str>,
    message: String,
    /// Extra `data` entries after `status`, in insertion order (as WordPress sends them).
    data: Vec<(String, Value)>,
}

/// The wire shape: `code`, `message`, `data` in WordPress's key order.
#[derive(serde::Serialize)]
struct Wire<'a> {
    code: &'a str,
    message: &'a str,
    data: WireData<'a>,
}

struct WireData<'a> {
    status: u16,
    extra: &'a [(String, Value)],
}

impl serde::Serialize for WireData<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1 + self.extra.len()))?;
        m.serialize_entry("status", &self.status)?;
        for (k, v) in self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One invalid request parameter, as WordPress reports it under `data.params`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParamError {
    /// The parameter's name (`per_page`, `billing[email]`).
    pub name: String,
    /// WordPress's sentence for it (`per_page must be between 1 (inclusive) and 100 (inclusive)`).
    pub message: String,
    /// WordPress's detail code (`rest_out_of_bounds`, `rest_invalid_type`, ...).
    pub code: &'static str,
}

impl ParamError {
    pub(crate) fn new(name: impl Into<String>, code: &'static str, message: String) -> Self {
        Self {
            name: name.into(),
            message,
            code,
        }
    }
}

/// The kinds of record, for their "invalid ID" errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Order,
    Customer,
    Product,
    Variation,
    OrderNote,
}

impl Kind {
    fn invalid_id(self) -> (&'static str, &'static str) {
        match self {
            Kind::Order => ("woocommerce_rest_shop_order_invalid_id", "Invalid ID."),
            Kind::Product => ("woocommerce_rest_product_invalid_id", "Invalid ID."),
            Kind::Variation => (
                "woocommerce_rest_product_variation_invalid_id",
                "Invalid ID.",
            ),
            Kind::Customer | Kind::OrderNote => {
                ("woocommerce_rest_invalid_id", "Invalid resource ID.")
            }
        }
    }
}

impl WcError {
    /// An error with the given status, code and message and no extra data.
    pub(crate) fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            data: Vec::new(),
        }
    }

    /// Adds a key to the error's `data` object.
    pub(crate) fn with_data(mut self, key: &str, value: Value) -> Self {
        self.data.push((key.to_owned(), value));
        self
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The machine-readable code, e.g. `woocommerce_rest_shop_order_invalid_id`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The human-readable message, e.g. `Invalid ID.`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The JSON body WooCommerce sends for this error.
    pub fn body(&self) -> Value {
        let mut data = Map::new();
        data.insert("status".to_owned(), json!(self.status));
        for (k, v) in &self.data {
            data.insert(k.clone(), v.clone());
        }
        json!({ "code": self.code, "message": self.message, "data": data })
    }

    /// The JSON body as bytes, keys in WordPress's order (`code`, `message`, `data`).
    pub(crate) fn to_json_bytes(&self) -> Vec<u8> {
        let wire = Wire {
            code: &self.code,
            message: &self.message,
            data: WireData {
                status: self.status,
                extra: &self.data,
            },
        };
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// 404 for a GET of a record that does not exist.
    pub(crate) fn not_found(kind: Kind) -> Self {
        let (code, message) = kind.invalid_id();
        Self::new(404, code, message)
    }

    /// 400 for an update of a record that does not exist (WooCommerce answers 400 there).
    pub(crate) fn invalid_id_for_update(kind: Kind) -> Self {
        let (code, message) = kind.invalid_id();
        Self::new(400, code, message)
    }

    /// 404 for the notes of an order that does not exist.
    pub(crate) fn invalid_order_id() -> Self {
        Self::new(
            404,
            "woocommerce_rest_order_invalid_id",
            "Invalid order ID.",
        )
    }

    /// WordPress's 404 for a path or method no route matches.
    pub(crate) fn no_route() -> Self {
        Self::new(
            404,
            "rest_no_route",
            "No route was found matching the URL and request method.",
        )
    }

    /// WordPress's 400 for a body that is not JSON.
    pub(crate) fn invalid_json() -> Self {
        Self::new(400, "rest_invalid_json", "Invalid JSON body passed.")
            .with_data("json_error_code", json!(4))
            .with_data("json_error_message", json!("Syntax error"))
    }

    /// WordPress's 400 for missing required parameters.
    pub(crate) fn missing_params(names: &[&str]) -> Self {
        Self::new(
            400,
            "rest_missing_callback_param",
            format!("Missing parameter(s): {}", names.join(", ")),
        )
        .with_data("params", json!(names))
    }

    /// WordPress's 400 `rest_invalid_param` listing every invalid parameter.
    pub(crate) fn invalid_params(errors: &[ParamError]) -> Self {
        let names: Vec<&str> = errors.iter().map(|e| e.name.as_str()).collect();
        let mut params = Map::new();
        let mut details = Map::new();
        for e in errors {
            params.insert(e.name.clone(), json!(e.message));
            details.insert(
                e.name.clone(),
                json!({ "code": e.code, "message": e.message, "data": null }),
            );
        }
        Self::new(
            400,
            "rest_invalid_param",
            format!("Invalid parameter(s): {}", names.join(", ")),
        )
        .with_data("params", Value::Object(params))
        .with_data("details", Value::Object(details))
    }

    /// 400 `rest_invalid_param` for one parameter.
    #[cfg(test)]
    pub(crate) fn invalid_param(name: &str, code: &'static str, message: String) -> Self {
        Self::invalid_params(&[ParamError::new(name, code, message)])
    }
}

/// Joins enum values the way WordPress's `wp_sprintf_l` does: `a and b`, `a, b, and c`.
pub(crate) fn sprintf_l(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [a] => (*a).to_owned(),
        [a, b] => format!("{a} and {b}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_wordpress() {
        let e = WcError::not_found(Kind::Order);
        assert_eq!(
            e.body(),
            json!({"code":"woocommerce_rest_shop_order_invalid_id","message":"Invalid ID.","data":{"status":404}})
        );
        let e = WcError::invalid_param(
            "per_page",
            "rest_out_of_bounds",
            "per_page must be between 1 (inclusive) and 100 (inclusive)".into(),
        );
        assert_eq!(e.body()["message"], "Invalid parameter(s): per_page");
        assert_eq!(
            e.body()["data"]["params"]["per_page"],
            "per_page must be between 1 (inclusive) and 100 (inclusive)"
        );
        assert_eq!(sprintf_l(&["asc", "desc"]), "asc and desc");
        assert_eq!(sprintf_l(&["a", "b", "c"]), "a, b, and c");
    }
}
