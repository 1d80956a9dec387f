//! The request bodies of the writes, from the contract's write ops. Pure.
//!
//! - order-status: `POST orders/{id}/comments` with a `statusHistory` carrying the status
//!   (Magento changes the order's status with the comment), the customer not notified.
//! - order-tracking: `POST order/{id}/ship` with every line not shipped yet and one track.
//!   Magento keeps tracks on shipments; `carrier_code` is one of Magento's carriers when
//!   the provider names one, else `custom` with the provider as `title`.
//! - stock: `PUT products/{sku}/stockItems/{itemId}` with `stockItem.qty` and `is_in_stock`.
//! - price: `POST products/base-prices` (`prices: [{sku, price, store_id: 0}]`) rather than
//!   `PUT products/{sku}`: the reference recommends these price endpoints for updating
//!   prices without sending (or re-saving) the whole product, and they answer per-row
//!   errors. Sale prices are scheduled special prices in Magento (`price_from`/`price_to`);
//!   this connector does not set them and refuses a write that asks for one.

use junction_sdk::decimal;
use junction_sdk::types::{ConnectorError, Tracking};
use serde_json::{Number, Value, json};

/// Magento's built-in carrier codes.
const CARRIERS: &[&str] = &["dhl", "fedex", "ups", "usps"];

fn invalid(message: impl Into<String>) -> ConnectorError {
    ConnectorError::invalid_request(message)
}

/// The body of a status change.
pub fn status_comment(order_id: &str, status: &str) -> Result<Value, ConnectorError> {
    let status = status.trim();
    if status.is_empty() {
        return Err(invalid("order-status: status is empty"));
    }
    let parent_id: u64 = order_id.trim().parse().map_err(|_| {
        invalid(format!(
            "order-status: order-id {order_id:?} is not a Magento entity id"
        ))
    })?;
    Ok(json!({
        "statusHistory": {
            "comment": format!("Status set to {status} by Junction."),
            "is_customer_notified": 0,
            "is_visible_on_front": 0,
            "parent_id": parent_id,
            "status": status,
        }
    }))
}

/// The lines of an order still to ship: `(order_item_id, qty)` of the rows without a
/// parent (a configurable's child row ships with its parent).
pub fn unshipped(order: &Value) -> Vec<(u64, f64)> {
    order
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|row| row.get("parent_item_id").is_none_or(Value::is_null))
        .filter_map(|row| {
            let id = row.get("item_id")?.as_u64()?;
            let ordered = row
                .get("qty_ordered")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            let shipped = row
                .get("qty_shipped")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            let refunded = row
                .get("qty_refunded")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            let canceled = row
                .get("qty_canceled")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            let left = ordered - shipped - refunded - canceled;
            (left > 0.0).then_some((id, left))
        })
        .collect()
}

/// The body of a shipment of every unshipped line with one track.
pub fn shipment(order: &Value, tracking: &Tracking) -> Result<Value, ConnectorError> {
    let number = tracking.number.trim();
    if number.is_empty() {
        return Err(invalid("order-tracking: tracking.number is empty"));
    }
    let lines = unshipped(order);
    if lines.is_empty() {
        return Err(invalid(
            "order-tracking: every line of this order is shipped already; Magento takes tracking with a new shipment",
        ));
    }
    let provider = tracking
        .provider
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let code = provider
        .map(str::to_lowercase)
        .filter(|p| CARRIERS.contains(&p.as_str()))
        .unwrap_or_else(|| "custom".to_owned());
    let items: Vec<Value> = lines
        .iter()
        .map(|(id, qty)| json!({"order_item_id": id, "qty": qty}))
        .collect();
    Ok(json!({
        "items": items,
        "notify": false,
        "tracks": [{
            "track_number": number,
            "title": provider.unwrap_or("Custom"),
            "carrier_code": code,
        }],
    }))
}

/// The body of a stock change.
pub fn stock_item(quantity: i64) -> Value {
    json!({ "stockItem": { "qty": quantity, "is_in_stock": quantity > 0 } })
}

/// A checked base price: a non-negative decimal, as the JSON number Magento takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Price(Number);

impl Price {
    /// Checks a price write's values before anything is sent; `what` names the write.
    pub fn checked(
        price: &str,
        sale_price: Option<&str>,
        what: &str,
    ) -> Result<Self, ConnectorError> {
        if sale_price.is_some_and(|s| !s.trim().is_empty()) {
            return Err(invalid(format!(
                "{what}: sale-price is not supported; Magento's sale prices are scheduled special prices"
            )));
        }
        let normalized =
            decimal::normalize(price).map_err(|e| invalid(format!("{what}: price: {e}")))?;
        if normalized.starts_with('-') {
            return Err(invalid(format!("{what}: price {price:?} is negative")));
        }
        normalized
            .parse()
            .map(Price)
            .map_err(|e| invalid(format!("{what}: price {price:?}: {e}")))
    }
}

/// The body of a base-price change of `sku` (all store views: `store_id` 0).
pub fn base_price(sku: &str, price: &Price) -> Value {
    json!({ "prices": [{ "sku": sku, "price": price.0, "store_id": 0 }] })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn tracking(provider: Option<&str>) -> Tracking {
        Tracking {
            number: "3S123".into(),
            provider: provider.map(Into::into),
            url: None,
            shipped_at: None,
        }
    }

    #[test]
    fn status_comments_carry_the_status() {
        let body = status_comment("12", "complete").unwrap();
        assert_eq!(body["statusHistory"]["status"], "complete");
        assert_eq!(body["statusHistory"]["parent_id"], 12);
        assert!(status_comment("12", " ").is_err());
        assert!(status_comment("000000012x", "complete").is_err());
    }

    #[test]
    fn ships_every_unshipped_line() {
        let order = json!({"items": [
            {"item_id": 1, "qty_ordered": 2, "qty_shipped": 0},
            {"item_id": 2, "parent_item_id": 1, "qty_ordered": 2, "qty_shipped": 0},
            {"item_id": 3, "qty_ordered": 1, "qty_shipped": 1},
            {"item_id": 4, "qty_ordered": 3, "qty_shipped": 1}
        ]});
        let body = shipment(&order, &tracking(Some("DHL"))).unwrap();
        assert_eq!(
            body["items"],
            json!([{"order_item_id": 1, "qty": 2.0}, {"order_item_id": 4, "qty": 2.0}])
        );
        assert_eq!(
            body["tracks"][0],
            json!({"track_number": "3S123", "title": "DHL", "carrier_code": "dhl"})
        );
        let body = shipment(&order, &tracking(Some("PostNL"))).unwrap();
        assert_eq!(body["tracks"][0]["carrier_code"], "custom");
        let done = json!({"items": [{"item_id": 3, "qty_ordered": 1, "qty_shipped": 1}]});
        assert!(
            matches!(shipment(&done, &tracking(None)), Err(ConnectorError::InvalidRequest(m)) if m.contains("shipped"))
        );
    }

    #[test]
    fn prices_are_numbers_and_sale_prices_are_refused() {
        let price = Price::checked("19.90", None, "product-price").unwrap();
        let body = base_price("MB01", &price);
        assert_eq!(
            body,
            json!({"prices": [{"sku": "MB01", "price": 19.9, "store_id": 0}]})
        );
        for (price, sale) in [("19,90", None), ("-1", None), ("5", Some("4"))] {
            let e = Price::checked(price, sale, "product-price").unwrap_err();
            assert!(
                matches!(&e, ConnectorError::InvalidRequest(m) if m.starts_with("product-price")),
                "{e:?}"
            );
        }
        assert_eq!(
            stock_item(0),
            json!({"stockItem": {"qty": 0, "is_in_stock": false}})
        );
    }
}
