//! Inbound push: a custom system pushes its orders into a connection (the one its API key
//! belongs to, through `POST /api/v1/api/orders`) instead of being polled. The body is the
//! product brief's order shape (seed 001): orders are upserted by `platform` +
//! `orderNumber`, so pushing the same order again updates it. A pushed order is stored in
//! the connection's local copy like a synced one — served by the Runtime API, announced to
//! webhooks and read by automations (which run at once when they run on change).
//!
//! Only connections whose connector declares it (`x-junction-push`, see
//! `runtime::manifest::accepts_push`) take pushes: a shop's copy holds what the shop has.

use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::DomainError;
use crate::hub::Hub;
use crate::input::money;
use crate::sync::record_json::{format_ms, from_stored, to_stored};
use junction_contract::{Address, Entity, LineItem, Order, ResourceKind, Tracking};
use junction_runtime::manifest;
use junction_store::now_ms;

/// The order statuses a push may carry.
pub const ORDER_STATUSES: [&str; 4] = ["processing", "shipped", "delivered", "cancelled"];
/// The payment statuses a push may carry.
pub const PAYMENT_STATUSES: [&str; 4] = ["paid", "pending", "refunded", "failed"];

/// `{"success": true, "created": bool, "order": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushResult {
    pub success: bool,
    /// False when the order (same platform and orderNumber) existed and was updated.
    pub created: bool,
    /// The order as stored and served.
    #[schema(value_type = Object)]
    pub order: Value,
}

/// Why a push was not taken.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The connection's connector does not declare pushes.
    #[error(
        "this connection's connector `{0}` does not take pushed orders: its orders come from \
         syncing the external system. Push to a connection of a connector that declares it \
         (e.g. `push`)."
    )]
    NotAccepted(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<crate::hub::HubError> for PushError {
    fn from(e: crate::hub::HubError) -> Self {
        PushError::Domain(e.into())
    }
}

impl From<junction_store::StoreError> for PushError {
    fn from(e: junction_store::StoreError) -> Self {
        PushError::Domain(e.into())
    }
}

fn text(
    body: &Map<String, Value>,
    field: &str,
    required: bool,
) -> Result<Option<String>, DomainError> {
    match body.get(field) {
        None | Some(Value::Null) if required => {
            Err(DomainError::invalid(field, format!("{field} is required")))
        }
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() && required => Err(DomainError::invalid(
            field,
            format!("{field} must not be empty"),
        )),
        Some(Value::String(s)) if s.len() > 500 => Err(DomainError::invalid(
            field,
            format!("{field} is longer than 500 characters"),
        )),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(_) => Err(DomainError::invalid(
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
) -> Result<Option<String>, DomainError> {
    let value = text(body, field, required)?;
    if let Some(v) = &value
        && !allowed.contains(&v.as_str())
    {
        return Err(DomainError::invalid(
            field,
            format!(
                "{field} `{v}` is not accepted: expected one of {}",
                allowed.join(", ")
            ),
        ));
    }
    Ok(value)
}

fn items(body: &Map<String, Value>) -> Result<Vec<LineItem>, DomainError> {
    let list = match body.get("items") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(DomainError::invalid(
                "items",
                "items must be an array of {name, quantity, price}",
            ));
        }
    };
    let mut out = Vec::with_capacity(list.len());
    for (n, item) in list.iter().enumerate() {
        let field = |f: &str| format!("items[{n}].{f}");
        let Some(item) = item.as_object() else {
            return Err(DomainError::invalid(
                format!("items[{n}]"),
                "each item must be an object {name, quantity, price}",
            ));
        };
        let name = text(item, "name", true).map_err(|e| e.for_field(&field("name")))?;
        let quantity = match item.get("quantity") {
            Some(Value::Number(q)) if q.as_f64().is_some_and(|q| q > 0.0) => q.to_string(),
            _ => {
                return Err(DomainError::invalid(
                    field("quantity"),
                    format!("{} must be a positive number", field("quantity")),
                ));
            }
        };
        let price = money(item, "price", true)
            .map_err(|e| e.for_field(&field("price")))?
            .unwrap_or_default();
        let total = line_total(&quantity, &price);
        out.push(LineItem {
            external_id: None,
            product_id: None,
            variation_id: None,
            sku: text(item, "sku", false).map_err(|e| e.for_field(&field("sku")))?,
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

/// Push one order (a JSON object in the brief's shape) into `connection_id`'s copy:
/// upserted by platform + order number, automations on change woken. Only connections
/// whose connector declares pushes take them.
pub async fn push_order(
    hub: &Hub,
    connection_id: &str,
    connector_key: &str,
    body: &Map<String, Value>,
) -> Result<PushResult, PushError> {
    let connector = hub.connector(connector_key)?;
    if !manifest::accepts_push(&connector.manifest, ResourceKind::Orders) {
        return Err(PushError::NotAccepted(connector_key.to_string()));
    }
    let platform = text(body, "platform", true)?.unwrap_or_default();
    let order_number = text(body, "orderNumber", true)?.unwrap_or_default();
    let status = one_of(body, "orderStatus", true, &ORDER_STATUSES)?.unwrap_or_default();
    let payment_status = one_of(body, "paymentStatus", false, &PAYMENT_STATUSES)?;
    let email = text(body, "customerEmail", false)?;
    if let Some(e) = &email
        && !e.contains('@')
    {
        return Err(DomainError::invalid(
            "customerEmail",
            "customerEmail must be an email address",
        )
        .into());
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
    let existing = hub
        .store
        .record(connection_id, ResourceKind::Orders, "", &external_id)
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
    let record = to_stored(&Entity::Order(order)).map_err(DomainError::Internal)?;
    let changed = hub
        .store
        .upsert_record(connection_id, ResourceKind::Orders, &record)
        .await?;
    if changed {
        hub.store.wake_automations_on_change(connection_id).await?;
    }
    let created = existing.is_none();
    tracing::info!(connection = %connection_id, order = %record.external_id, created, "order pushed");
    metrics::counter!("junction_pushed_orders_total", "created" => if created { "true" } else { "false" }).increment(1);
    let order =
        crate::write_back::served_value(hub, connection_id, ResourceKind::Orders, &record).await?;
    Ok(PushResult {
        success: true,
        created,
        order,
    })
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
