//! The bodies of Lightspeed writes, built and checked before anything is sent (the error
//! names the field at fault):
//! - order status: `PUT orders/{id}.json` `{"order": {"status": ...}}` for an order status
//!   word, or `{"order": {"shipmentStatus": ...}}` for a shipment status word;
//! - tracking: Lightspeed creates an order's shipments itself, so tracking goes on one of
//!   them: the first not yet shipped (else the last), `PUT shipments/{id}.json`
//!   `{"shipment": {"trackingCode": ..., "status": "shipped"}}`;
//! - stock and price: `PUT variants/{id}.json` `{"variant": {"stockLevel": n}}` or
//!   `{"variant": {"priceExcl": p, "oldPriceExcl": o}}` — with a sale price, the sale price
//!   is the current `priceExcl` and the regular price the "was" price `oldPriceExcl`;
//!   without one `oldPriceExcl` is cleared (0). Lightspeed derives `priceIncl` from the
//!   variant's tax rate. A product-level write goes to the product's only variant and is
//!   refused for a product with several.

use junction_sdk::decimal;
use junction_sdk::types::{ConnectorError, Tracking};
use serde_json::{Value, json};

use crate::mapping::id_of;

/// Lightspeed's order statuses.
pub const ORDER_STATUSES: &[&str] = &[
    "on_hold",
    "processing_awaiting_payment",
    "processing_awaiting_shipment",
    "processing_awaiting_pickup",
    "processing_ready_for_pickup",
    "completed_shipped",
    "completed_picked_up",
    "cancelled",
];
/// Lightspeed's shipment statuses (an order's `shipmentStatus`).
pub const SHIPMENT_STATUSES: &[&str] = &["not_shipped", "partially_shipped", "shipped"];

fn invalid(message: String) -> ConnectorError {
    ConnectorError::invalid_request(message)
}

/// The order update for a status word.
pub fn order_status(status: &str) -> Result<Value, ConnectorError> {
    let status = status.trim();
    if ORDER_STATUSES.contains(&status) {
        Ok(json!({"order": {"status": status}}))
    } else if SHIPMENT_STATUSES.contains(&status) {
        Ok(json!({"order": {"shipmentStatus": status}}))
    } else {
        Err(invalid(format!(
            "order-status.status {status:?} is not a Lightspeed order status ({}) or shipment status ({})",
            ORDER_STATUSES.join(", "),
            SHIPMENT_STATUSES.join(", ")
        )))
    }
}

/// The shipment of an order that gets the tracking: the first not yet shipped, else the
/// last.
pub fn pick_shipment(shipments: &[Value]) -> Option<u64> {
    shipments
        .iter()
        .find(|s| s.get("status").and_then(Value::as_str) != Some("shipped"))
        .or_else(|| shipments.last())
        .and_then(id_of)
}

/// The shipment update carrying a tracking code.
pub fn tracking(tracking: &Tracking) -> Result<Value, ConnectorError> {
    let code = tracking.number.trim();
    if code.is_empty() {
        return Err(invalid("order-tracking.tracking.number is empty".into()));
    }
    Ok(json!({"shipment": {"trackingCode": code, "status": "shipped"}}))
}

/// The variant update for a stock level.
pub fn stock(quantity: i64) -> Value {
    json!({"variant": {"stockLevel": quantity}})
}

fn price_value(field: &str, price: &str) -> Result<Value, ConnectorError> {
    let normalized = decimal::normalize(price).map_err(|e| invalid(format!("{field}: {e}")))?;
    if normalized.starts_with('-') {
        return Err(invalid(format!("{field} {price:?} is negative")));
    }
    serde_json::from_str::<Value>(&normalized).map_err(|e| invalid(format!("{field}: {e}")))
}

/// The variant update for a price and an optional sale price; `kind` names the write in
/// errors (`variation-price`, `product-price`).
pub fn price(kind: &str, price: &str, sale: Option<&str>) -> Result<Value, ConnectorError> {
    let regular = price_value(&format!("{kind}.price"), price)?;
    Ok(match sale {
        Some(s) => json!({"variant": {
            "priceExcl": price_value(&format!("{kind}.sale-price"), s)?,
            "oldPriceExcl": regular,
        }}),
        None => json!({"variant": {"priceExcl": regular, "oldPriceExcl": 0}}),
    })
}

/// The only variant of a product, for a product-level write.
pub fn only_variant(product_id: &str, variants: &[Value]) -> Result<u64, ConnectorError> {
    match variants {
        [one] => id_of(one).ok_or_else(|| {
            ConnectorError::upstream(200, "unexpected variant from Lightspeed: no id")
        }),
        [] => Err(ConnectorError::not_found(format!(
            "product {product_id} has no variants"
        ))),
        // The caller asks for two variants at most: enough to know there is more than one.
        _ => Err(invalid(format!(
            "product {product_id} has more than one variant: write the variation's stock or price instead"
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn statuses_go_to_the_right_field() {
        assert_eq!(
            order_status("completed_shipped").unwrap(),
            json!({"order": {"status": "completed_shipped"}})
        );
        assert_eq!(
            order_status("shipped").unwrap(),
            json!({"order": {"shipmentStatus": "shipped"}})
        );
        let e = order_status("done").unwrap_err();
        assert!(
            matches!(&e, ConnectorError::InvalidRequest(m) if m.contains("order-status.status"))
        );
    }

    #[test]
    fn tracking_goes_on_the_first_unshipped_shipment() {
        let shipments = [
            json!({"id": 4, "status": "shipped"}),
            json!({"id": 5, "status": "not_shipped"}),
        ];
        assert_eq!(pick_shipment(&shipments), Some(5));
        assert_eq!(pick_shipment(&shipments[..1]), Some(4));
        assert_eq!(pick_shipment(&[]), None);
        let t = Tracking {
            number: " 3SABC ".into(),
            provider: None,
            url: None,
            shipped_at: None,
        };
        assert_eq!(
            tracking(&t).unwrap(),
            json!({"shipment": {"trackingCode": "3SABC", "status": "shipped"}})
        );
        let empty = Tracking {
            number: " ".into(),
            ..t
        };
        assert!(tracking(&empty).is_err());
    }

    #[test]
    fn prices_and_single_variants() {
        assert_eq!(
            price("variation-price", "12.50", None).unwrap(),
            json!({"variant": {"priceExcl": 12.5, "oldPriceExcl": 0}})
        );
        assert_eq!(
            price("variation-price", "12.50", Some("9.99")).unwrap(),
            json!({"variant": {"priceExcl": 9.99, "oldPriceExcl": 12.5}})
        );
        let e = price("product-price", "12,50", None).unwrap_err();
        assert!(
            matches!(&e, ConnectorError::InvalidRequest(m) if m.contains("product-price.price")),
            "{e:?}"
        );
        assert!(price("variation-price", "1", Some("-1")).is_err());
        assert_eq!(stock(-2), json!({"variant": {"stockLevel": -2}}));
        assert_eq!(only_variant("7", &[json!({"id": 70})]).unwrap(), 70);
        assert!(matches!(
            only_variant("7", &[json!({"id": 70}), json!({"id": 71})]),
            Err(ConnectorError::InvalidRequest(_))
        ));
        assert!(matches!(
            only_variant("7", &[]),
            Err(ConnectorError::NotFound(_))
        ));
    }
}
