//! Inbound push: `POST /api/v1/api/orders`, where a custom system pushes its orders into a
//! connection (the one its API key belongs to) instead of being polled. The body is the
//! product brief's order shape (seed 001): orders are upserted by `platform` +
//! `orderNumber`, so pushing the same order again updates it. A pushed order is stored in
//! the connection's local copy like a synced one — served by the Runtime API, announced to
//! webhooks and read by automations (which run at once when they run on change).
//!
//! Only connections whose connector declares it (`x-junction-push`, see
//! `runtime::manifest::accepts_push`) take pushes: a shop's copy holds what the shop has.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::ApiState;
use super::auth::Caller;
use super::error::ApiError;
use super::runtime_api::money;
use super::schema::ApiError as ApiErrorDoc;
use crate::runtime::manifest;
use crate::runtime::types::{Address, Entity, LineItem, Order, ResourceKind, Tracking};
use crate::store::now_ms;
use crate::sync::record_json::{format_ms, from_stored, to_stored};

/// The order statuses a push may carry.
pub const ORDER_STATUSES: [&str; 4] = ["processing", "shipped", "delivered", "cancelled"];
/// The payment statuses a push may carry.
pub const PAYMENT_STATUSES: [&str; 4] = ["paid", "pending", "refunded", "failed"];

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

/// `{"success": true, "created": bool, "order": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct PushResult {
    success: bool,
    /// False when the order (same platform and orderNumber) existed and was updated.
    created: bool,
    /// The order as stored and served.
    #[schema(value_type = Object)]
    order: Value,
}

fn text(
    body: &Map<String, Value>,
    field: &str,
    required: bool,
) -> Result<Option<String>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) if required => {
            Err(ApiError::invalid(field, format!("{field} is required")))
        }
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() && required => Err(ApiError::invalid(
            field,
            format!("{field} must not be empty"),
        )),
        Some(Value::String(s)) if s.len() > 500 => Err(ApiError::invalid(
            field,
            format!("{field} is longer than 500 characters"),
        )),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(_) => Err(ApiError::invalid(
            field,
            format!("{field} must be a string"),
        )),
    }
}

fn one_of(
    body: &Map<String, Value>,
    field: &str,
    required: bool,
    allowed: &[&str],
) -> Result<Option<String>, ApiError> {
    let value = text(body, field, required)?;
    if let Some(v) = &value
        && !allowed.contains(&v.as_str())
    {
        return Err(ApiError::invalid(
            field,
            format!(
                "{field} `{v}` is not accepted: expected one of {}",
                allowed.join(", ")
            ),
        ));
    }
    Ok(value)
}

fn items(body: &Map<String, Value>) -> Result<Vec<LineItem>, ApiError> {
    let list = match body.get("items") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(ApiError::invalid(
                "items",
                "items must be an array of {name, quantity, price}",
            ));
        }
    };
    let mut out = Vec::with_capacity(list.len());
    for (n, item) in list.iter().enumerate() {
        let field = |f: &str| format!("items[{n}].{f}");
        let Some(item) = item.as_object() else {
            return Err(ApiError::invalid(
                &format!("items[{n}]"),
                "each item must be an object {name, quantity, price}",
            ));
        };
        let name =
            text(item, "name", true).map_err(|e| ApiError::invalid(&field("name"), e.message))?;
        let quantity = match item.get("quantity") {
            Some(Value::Number(q)) if q.as_f64().is_some_and(|q| q > 0.0) => q.to_string(),
            _ => {
                return Err(ApiError::invalid(
                    &field("quantity"),
                    format!("{} must be a positive number", field("quantity")),
                ));
            }
        };
        let price = money(item, "price", true)
            .map_err(|e| ApiError::invalid(&field("price"), e.message))?
            .unwrap_or_default();
        let total = line_total(&quantity, &price);
        out.push(LineItem {
            external_id: None,
            product_id: None,
            variation_id: None,
            sku: text(item, "sku", false)
                .map_err(|e| ApiError::invalid(&field("sku"), e.message))?,
            name: name.unwrap_or_default(),
            quantity,
            unit_price: price,
            total,
            tax: None,
        });
    }
    Ok(out)
}

/// The external id of a pushed order: `platform:orderNumber`, each part with `%` and `:`
/// percent-encoded so that no two (platform, orderNumber) pairs share an id (`a:b` + `c`
/// and `a` + `b:c` differ). Parts without either character read as before.
pub fn pushed_order_id(platform: &str, order_number: &str) -> String {
    fn part(s: &str) -> String {
        s.replace('%', "%25").replace(':', "%3A")
    }
    format!("{}:{}", part(platform), part(order_number))
}

/// quantity × price as a decimal string, exact in cents for the usual inputs.
fn line_total(quantity: &str, price: &str) -> String {
    let q: f64 = quantity.parse().unwrap_or(0.0);
    let p: f64 = price.parse().unwrap_or(0.0);
    format!("{:.2}", q * p)
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
    let connector = state.hub.connector(&owner.connector_key)?;
    if !manifest::accepts_push(&connector.manifest, ResourceKind::Orders) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "push_not_accepted",
            format!(
                "this connection's connector `{}` does not take pushed orders: its orders come \
                 from syncing the external system. Push to a connection of a connector that \
                 declares it (e.g. `push`).",
                owner.connector_key
            ),
        ));
    }
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid("body", format!("invalid JSON body: {e}")))?;
    let Some(body) = body.as_object() else {
        return Err(ApiError::invalid(
            "body",
            "the body must be a JSON object (an order)",
        ));
    };
    let platform = text(body, "platform", true)?.unwrap_or_default();
    let order_number = text(body, "orderNumber", true)?.unwrap_or_default();
    let status = one_of(body, "orderStatus", true, &ORDER_STATUSES)?.unwrap_or_default();
    let payment_status = one_of(body, "paymentStatus", false, &PAYMENT_STATUSES)?;
    let email = text(body, "customerEmail", false)?;
    if let Some(e) = &email
        && !e.contains('@')
    {
        return Err(ApiError::invalid(
            "customerEmail",
            "customerEmail must be an email address",
        ));
    }
    let name = text(body, "customerName", false)?;
    let currency = text(body, "currency", false)?.map(|c| c.to_uppercase());
    let line_items = items(body)?;
    let total = match money(body, "total", false)? {
        Some(t) => t,
        None => format!(
            "{:.2}",
            line_items
                .iter()
                .map(|l| l.total.parse::<f64>().unwrap_or(0.0))
                .sum::<f64>()
        ),
    };
    let tracking = text(body, "trackingCode", false)?.map(|number| Tracking {
        number,
        provider: None,
        url: None,
        shipped_at: None,
    });
    let tracking_url = text(body, "trackingUrl", false)?;
    let tracking: Vec<Tracking> = tracking
        .map(|mut t| {
            t.url = tracking_url;
            t
        })
        .into_iter()
        .collect();
    let external_id = pushed_order_id(&platform, &order_number);
    let existing = state
        .hub
        .store
        .record(&owner.connection_id, ResourceKind::Orders, "", &external_id)
        .await?;
    // Modification times must move forward for the copy to take the new version.
    let now = existing
        .as_ref()
        .map_or(now_ms(), |r| now_ms().max(r.modified_ms + 1));
    let created_at = existing
        .as_ref()
        .and_then(|r| from_stored(ResourceKind::Orders, &r.data).ok())
        .map(|e| match e {
            Entity::Order(o) => o.created_at,
            _ => format_ms(now),
        })
        .unwrap_or_else(|| format_ms(now));
    let (first, last) = match name
        .as_deref()
        .map(|n| n.split_once(' ').unwrap_or((n, "")))
    {
        Some((f, l)) => (
            Some(f.to_string()),
            Some(l.to_string()).filter(|l| !l.is_empty()),
        ),
        None => (None, None),
    };
    let billing = (first.is_some() || email.is_some()).then(|| Address {
        first_name: first,
        last_name: last,
        company: None,
        line1: None,
        line2: None,
        city: None,
        region: None,
        postcode: None,
        country: None,
        email: email.clone(),
        phone: None,
    });
    let raw = json!({"platform": platform, "pushed": Value::Object(body.clone())}).to_string();
    let order = Order {
        external_id,
        order_number: Some(order_number),
        status,
        currency,
        total,
        subtotal: None,
        tax_total: None,
        shipping_total: None,
        discount_total: None,
        customer_id: None,
        customer_email: email,
        billing,
        shipping: None,
        payment_status,
        payment_method: text(body, "paymentMethod", false)?,
        line_items,
        tracking,
        created_at,
        modified_at: format_ms(now),
        raw,
    };
    let record = to_stored(&Entity::Order(order)).map_err(ApiError::internal)?;
    let changed = state
        .hub
        .store
        .upsert_record(&owner.connection_id, ResourceKind::Orders, &record)
        .await?;
    if changed {
        state
            .hub
            .store
            .wake_automations_on_change(&owner.connection_id)
            .await?;
    }
    let created = existing.is_none();
    tracing::info!(connection = %owner.connection_id, order = %record.external_id, created, "order pushed");
    metrics::counter!("junction_pushed_orders_total", "created" => if created { "true" } else { "false" }).increment(1);
    let order: Value = serde_json::from_str(&record.data).unwrap_or(Value::Null);
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(PushResult {
            success: true,
            created,
            order,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::pushed_order_id;

    #[test]
    fn pushed_order_ids_never_collide() {
        assert_ne!(pushed_order_id("a:b", "c"), pushed_order_id("a", "b:c"));
        assert_ne!(pushed_order_id("a%3Ab", "c"), pushed_order_id("a:b", "c"));
        assert_eq!(pushed_order_id("custom", "A-1"), "custom:A-1");
        assert_eq!(pushed_order_id("a:b", "c"), "a%3Ab:c");
    }
}
