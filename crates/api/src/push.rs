//! `POST /api/v1/api/orders`: the Runtime API's front of inbound push (the rules are
//! `domain::push`'s): the body read as a JSON object, the answer 201 created / 200 updated.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;
use utoipa::ToSchema;

use super::ApiState;
use super::auth::Caller;
use super::error::ApiError;
use super::error::ApiError as ApiErrorDoc;
use junction_domain::push::{self, PushError, PushResult};

/// One pushed order line.
#[derive(ToSchema)]
#[allow(dead_code)]
struct PushedItem {
    name: String,
    /// A positive number.
    quantity: f64,
    /// Unit price, a decimal number or string.
    price: String,
}

/// A pushed order (the seed's Orders API fields).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(as = PushedOrder)]
struct PushedOrderDoc {
    /// The pushing system, e.g. `custom`, `shopify`: with orderNumber, the order's key.
    #[schema(example = "custom")]
    platform: String,
    #[schema(example = "ORD-12345")]
    order_number: String,
    /// processing, shipped, delivered or cancelled.
    #[schema(example = "processing")]
    order_status: String,
    customer_email: Option<String>,
    customer_name: Option<String>,
    items: Option<Vec<PushedItem>>,
    /// A decimal number or string.
    total: Option<String>,
    currency: Option<String>,
    /// paid, pending, refunded or failed.
    payment_status: Option<String>,
    payment_method: Option<String>,
    tracking_code: Option<String>,
    tracking_url: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/api/orders",
    tag = "orders",
    summary = "Push an order from a custom system (upserted by platform + orderNumber)",
    request_body = PushedOrderDoc,
    responses(
        (status = 200, description = "the order existed and was updated", body = PushResult),
        (status = 201, description = "the order was created", body = PushResult),
        (status = 400, description = "invalid body (`field` names the field and what is accepted)", body = ApiErrorDoc),
        (status = 401, description = "missing, malformed, unknown or revoked credentials", body = ApiErrorDoc),
        (status = 403, description = "the key's connection does not take pushed orders (its connector does not declare it)", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("ApiKey" = []), ("apiKeyBearer" = []))
)]
pub async fn push_order(
    Caller(owner): Caller,
    State(state): State<ApiState>,
    body: Bytes,
) -> Result<(StatusCode, Json<PushResult>), ApiError> {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid("body", format!("invalid JSON body: {e}")))?;
    let Some(body) = body.as_object() else {
        return Err(ApiError::invalid(
            "body",
            "the body must be a JSON object (an order)",
        ));
    };
    let pushed = push::push_order(&state.hub, &owner.connection_id, &owner.connector_key, body)
        .await
        .map_err(|e| match e {
            PushError::NotAccepted(_) => {
                ApiError::new(StatusCode::FORBIDDEN, "push_not_accepted", e.to_string())
            }
            PushError::Domain(e) => e.into(),
        })?;
    let status = if pushed.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(pushed)))
}
