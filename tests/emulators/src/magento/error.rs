//! Magento's error answers: `{"message": "...", "parameters": ...}` where the message holds
//! placeholders (`%1` for a positional list, `%name` for an object) the client substitutes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One error answer: status, message template and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct MagentoError {
    pub status: StatusCode,
    pub message: String,
    /// `null`, a list (`%1`, `%2`, ...) or an object (`%fieldName`).
    pub parameters: Value,
}

impl MagentoError {
    /// An error without parameters.
    pub fn plain(status: StatusCode, message: &str) -> Self {
        Self {
            status,
            message: message.to_owned(),
            parameters: Value::Null,
        }
    }

    /// A 400 naming a missing or invalid field, as the REST framework words it.
    pub fn required_field(field: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: "\"%fieldName\" is required. Enter and try again.".to_owned(),
            parameters: json!({ "fieldName": field }),
        }
    }

    /// A 400 for a field holding a value of the wrong shape.
    pub fn invalid_field(field: &str, value: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: "Invalid value of \"%value\" provided for the %fieldName field.".to_owned(),
            parameters: json!({ "fieldName": field, "value": value }),
        }
    }

    /// The 401 of a missing or refused integration token.
    pub fn unauthorized(acl_resource: &str) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            message: "The consumer isn't authorized to access %resources.".to_owned(),
            parameters: json!({ "resources": acl_resource }),
        }
    }

    /// The 404 of an order, customer or shipment id that does not exist.
    pub fn no_such_entity() -> Self {
        Self::plain(
            StatusCode::NOT_FOUND,
            "The entity that was requested doesn't exist. Verify the entity and try again.",
        )
    }

    /// The 404 of a product SKU that does not exist.
    pub fn no_such_product() -> Self {
        Self::plain(
            StatusCode::NOT_FOUND,
            "The product that was requested doesn't exist. Verify the product and try again.",
        )
    }

    /// The body Magento sends.
    pub fn body(&self) -> Value {
        if self.parameters.is_null() {
            json!({ "message": self.message })
        } else {
            json!({ "message": self.message, "parameters": self.parameters })
        }
    }
}

/// A JSON answer with Magento's content type.
pub fn reply(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

impl IntoResponse for MagentoError {
    fn into_response(self) -> Response {
        reply(self.status, &self.body())
    }
}
