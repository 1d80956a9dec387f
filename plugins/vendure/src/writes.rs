//! Writes: order status (as Vendure state transitions), order tracking (a fulfillment with
//! the tracking code, then shipped), and stock and price on variants (and on single-variant
//! products).
//!
//! Order statuses: Vendure's own state names are accepted, and the common canonical words
//! map onto them ([`target_state`]). Vendure moves an order by what happens to it, so each
//! target is reached the way Vendure wants:
//! - `PaymentSettled` (`processing`, `paid`): settle the authorized payments;
//! - `Shipped` (`shipped`) / `Delivered` (`completed`, `delivered`): fulfil every line not yet
//!   fulfilled, then move every fulfillment to `Shipped` (and `Delivered`);
//! - `Cancelled` (`cancelled`): `cancelOrder`;
//! - any other Vendure state: `transitionOrderToState`.
//!
//! A transition Vendure refuses is `upstream` 409 with its reason.

use junction_sdk::types::{ConnectorError, Entity, ResourceKind, WriteOp, WriteOutcome};
use serde_json::{Value, json};

use crate::api::{Api, check_id};
use crate::gql::error_result;
use crate::money;

/// Fulfillment handler of Vendure's default manual fulfillment.
const MANUAL_FULFILLMENT: &str = "manual-fulfillment";

/// The Vendure order state a status word means; `None` for a word we do not know.
pub fn target_state(status: &str) -> Option<&'static str> {
    let s = status.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    Some(match s.as_str() {
        "processing" | "paid" | "paymentsettled" | "payment-settled" => "PaymentSettled",
        "shipped" => "Shipped",
        "partiallyshipped" | "partially-shipped" => "PartiallyShipped",
        "completed" | "complete" | "delivered" => "Delivered",
        "partiallydelivered" | "partially-delivered" => "PartiallyDelivered",
        "cancelled" | "canceled" => "Cancelled",
        "paymentauthorized" | "payment-authorized" | "on-hold" => "PaymentAuthorized",
        "arrangingpayment" | "arranging-payment" | "pending" => "ArrangingPayment",
        _ => return None,
    })
}

/// The states after which a fulfillment counts as sent.
fn is_shipped(state: &str) -> bool {
    matches!(state, "Shipped" | "Delivered")
}

impl Api {
    /// Performs one write.
    pub fn write(&self, op: &WriteOp) -> Result<WriteOutcome, ConnectorError> {
        match op {
            WriteOp::OrderStatus(c) => {
                let state = target_state(&c.status).ok_or_else(|| {
                    ConnectorError::invalid_request(format!(
                        "unknown order status {:?}: use processing, shipped, completed, cancelled \
                         or a Vendure state (PaymentSettled, Shipped, Delivered, Cancelled, ...)",
                        c.status
                    ))
                })?;
                self.set_order_state(&c.order_id, state)
            }
            WriteOp::OrderTracking(c) => {
                let number = c.tracking.number.trim();
                if number.is_empty() {
                    return Err(ConnectorError::invalid_request(
                        "tracking.number must not be empty",
                    ));
                }
                let method = c
                    .tracking
                    .provider
                    .as_deref()
                    .map(str::trim)
                    .filter(|p| !p.is_empty());
                self.add_tracking(&c.order_id, number, method.unwrap_or("Junction"))
            }
            WriteOp::VariationStock(c) => {
                self.check_quantity(c.quantity)?;
                let variant = self.variant_of(&c.product_id, &c.variation_id)?;
                self.update_variant(
                    &variant,
                    json!({"stockOnHand": c.quantity}),
                    ResourceKind::Variations,
                )
            }
            WriteOp::VariationPrice(c) => {
                let price = self.price_minor(&c.price, c.sale_price.as_deref())?;
                let variant = self.variant_of(&c.product_id, &c.variation_id)?;
                self.update_variant(&variant, json!({"price": price}), ResourceKind::Variations)
            }
            WriteOp::ProductStock(c) => {
                self.check_quantity(c.quantity)?;
                let variant = self.single_variant(&c.product_id)?;
                self.update_variant(
                    &variant,
                    json!({"stockOnHand": c.quantity}),
                    ResourceKind::Products,
                )
            }
            WriteOp::ProductPrice(c) => {
                let price = self.price_minor(&c.price, c.sale_price.as_deref())?;
                let variant = self.single_variant(&c.product_id)?;
                self.update_variant(&variant, json!({"price": price}), ResourceKind::Products)
            }
            other => Err(ConnectorError::unsupported(format!(
                "the Vendure connector does not do {:?} writes",
                std::mem::discriminant(other)
            ))),
        }
    }

    pub(crate) fn check_quantity(&self, quantity: i64) -> Result<(), ConnectorError> {
        if quantity < 0 || quantity > i64::from(i32::MAX) {
            return Err(ConnectorError::invalid_request(format!(
                "quantity {quantity} is out of range (0 to {})",
                i32::MAX
            )));
        }
        Ok(())
    }

    pub(crate) fn price_minor(
        &self,
        price: &str,
        sale_price: Option<&str>,
    ) -> Result<i64, ConnectorError> {
        if sale_price.is_some_and(|s| !s.trim().is_empty()) {
            return Err(ConnectorError::invalid_request(
                "sale-price: Vendure has no sale prices (use a promotion); send price alone",
            ));
        }
        money::to_minor(price, self.decimals, "price")
    }

    /// The variant, checked to belong to the product.
    fn variant_of(&self, product_id: &str, variant_id: &str) -> Result<String, ConnectorError> {
        let variant = self.fetch(ResourceKind::Variations, variant_id)?;
        if variant["productId"].as_str() != Some(product_id.trim()) {
            return Err(ConnectorError::not_found(format!(
                "variant {variant_id} does not belong to product {product_id}"
            )));
        }
        check_id("variant", variant_id)
    }

    /// The only variant of a product; products with several are refused.
    fn single_variant(&self, product_id: &str) -> Result<String, ConnectorError> {
        let product = self.fetch(ResourceKind::Products, product_id)?;
        match product["variants"].as_array().map(Vec::as_slice) {
            Some([only]) => Ok(only["id"].as_str().unwrap_or_default().to_owned()),
            Some(many) => Err(ConnectorError::invalid_request(format!(
                "product {product_id} has {} variants: set stock and price per variant \
                 (variation-stock, variation-price)",
                many.len()
            ))),
            None => Err(ConnectorError::upstream(
                200,
                "invalid JSON from upstream: product without variants",
            )),
        }
    }

    /// `updateProductVariants` with `fields`, answering with the variant or its product.
    fn update_variant(
        &self,
        variant_id: &str,
        fields: Value,
        answer: ResourceKind,
    ) -> Result<WriteOutcome, ConnectorError> {
        let mut input = fields;
        input["id"] = json!(variant_id);
        let data = self.admin.query(
            "mutation Update($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id productId } }",
            json!({"i": [input]}),
        )?;
        let updated = &data["updateProductVariants"][0];
        let (id, kind) = match answer {
            ResourceKind::Products => (
                updated["productId"].as_str().unwrap_or_default().to_owned(),
                ResourceKind::Products,
            ),
            _ => (variant_id.to_owned(), ResourceKind::Variations),
        };
        let entity = self.get(kind, &id, None)?;
        Ok(WriteOutcome {
            external_id: id,
            entity: Some(entity),
        })
    }

    fn order_outcome(&self, order_id: &str) -> Result<WriteOutcome, ConnectorError> {
        let entity = self.get(ResourceKind::Orders, order_id, None)?;
        let id = match &entity {
            Entity::Order(o) => o.external_id.clone(),
            _ => order_id.to_owned(),
        };
        Ok(WriteOutcome {
            external_id: id,
            entity: Some(entity),
        })
    }

    fn set_order_state(&self, order_id: &str, state: &str) -> Result<WriteOutcome, ConnectorError> {
        let order = self.fetch(ResourceKind::Orders, order_id)?;
        let id = check_id("order", order_id)?;
        let current = order["state"].as_str().unwrap_or_default().to_owned();
        if current == state {
            return self.order_outcome(&id);
        }
        let what = format!("order {id} from {current} to {state}");
        match state {
            "PaymentSettled" => {
                for p in order["payments"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    if p["state"] == "Authorized" {
                        let data = self.admin.query(
                            "mutation Settle($id: ID!) { settlePayment(id: $id) { __typename \
                             ... on Payment { id state } ... on ErrorResult { errorCode message } } }",
                            json!({"id": p["id"]}),
                        )?;
                        error_result(&data["settlePayment"], &what)?;
                    }
                }
                let after = self.fetch(ResourceKind::Orders, &id)?;
                if after["state"] != "PaymentSettled" {
                    // Not reached by settling (e.g. already shipped): let Vendure say why.
                    self.transition(&id, state, &what)?;
                }
            }
            "Shipped" | "Delivered" => {
                if matches!(
                    current.as_str(),
                    "Cancelled" | "AddingItems" | "ArrangingPayment" | "Draft"
                ) {
                    return Err(ConnectorError::upstream(
                        409,
                        format!("cannot move {what}: only paid orders can be shipped"),
                    ));
                }
                if let Some(lines) = unfulfilled_lines(&order) {
                    self.create_fulfillment(lines, "Junction", "", &what)?;
                }
                let fresh = self.fetch(ResourceKind::Orders, &id)?;
                for f in fresh["fulfillments"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    let fid = f["id"].as_str().unwrap_or_default();
                    let fstate = f["state"].as_str().unwrap_or_default();
                    if fstate == "Cancelled" {
                        continue;
                    }
                    if !is_shipped(fstate) {
                        self.transition_fulfillment(fid, "Shipped", &what)?;
                    }
                    if state == "Delivered" && fstate != "Delivered" {
                        self.transition_fulfillment(fid, "Delivered", &what)?;
                    }
                }
            }
            "Cancelled" => {
                let data = self.admin.query(
                    "mutation Cancel($id: ID!) { cancelOrder(input: {orderId: $id, cancelShipping: true, \
                     reason: \"cancelled through Junction\"}) { __typename ... on Order { id state } \
                     ... on ErrorResult { errorCode message } } }",
                    json!({"id": id}),
                )?;
                error_result(&data["cancelOrder"], &what)?;
            }
            _ => self.transition(&id, state, &what)?,
        }
        let outcome = self.order_outcome(&id)?;
        if let Some(Entity::Order(o)) = &outcome.entity
            && o.status != state
        {
            return Err(ConnectorError::upstream(
                409,
                format!("cannot move {what}: Vendure left it in {}", o.status),
            ));
        }
        Ok(outcome)
    }

    fn transition(&self, id: &str, state: &str, what: &str) -> Result<(), ConnectorError> {
        let data = self.admin.query(
            "mutation Move($id: ID!, $s: String!) { transitionOrderToState(id: $id, state: $s) { __typename \
             ... on Order { id state } ... on OrderStateTransitionError { errorCode message transitionError } } }",
            json!({"id": id, "s": state}),
        )?;
        error_result(&data["transitionOrderToState"], what).map(|_| ())
    }

    fn transition_fulfillment(
        &self,
        id: &str,
        state: &str,
        what: &str,
    ) -> Result<(), ConnectorError> {
        let data = self.admin.query(
            "mutation Ship($id: ID!, $s: String!) { transitionFulfillmentToState(id: $id, state: $s) { __typename \
             ... on Fulfillment { id state } ... on FulfillmentStateTransitionError { errorCode message transitionError } } }",
            json!({"id": id, "s": state}),
        )?;
        error_result(&data["transitionFulfillmentToState"], what).map(|_| ())
    }

    fn create_fulfillment(
        &self,
        lines: Vec<Value>,
        method: &str,
        tracking_code: &str,
        what: &str,
    ) -> Result<String, ConnectorError> {
        let data = self.admin.query(
            "mutation Fulfil($l: [OrderLineInput!]!, $h: String!, $m: String!, $t: String!) { addFulfillmentToOrder(input: { \
             lines: $l, handler: { code: $h, arguments: [{name: \"method\", value: $m}, \
             {name: \"trackingCode\", value: $t}] } }) { __typename ... on Fulfillment { id state } \
             ... on ErrorResult { errorCode message } } }",
            json!({"l": lines, "h": MANUAL_FULFILLMENT, "m": method, "t": tracking_code}),
        )?;
        let f = error_result(&data["addFulfillmentToOrder"], what)?;
        Ok(f["id"].as_str().unwrap_or_default().to_owned())
    }

    /// A fulfillment of every line not yet fulfilled with the tracking code, then shipped.
    /// Repeating a tracking code the order already has changes nothing.
    fn add_tracking(
        &self,
        order_id: &str,
        number: &str,
        method: &str,
    ) -> Result<WriteOutcome, ConnectorError> {
        let order = self.fetch(ResourceKind::Orders, order_id)?;
        let id = check_id("order", order_id)?;
        let what = format!("tracking {number} on order {id}");
        let fulfillments = order["fulfillments"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if let Some(existing) = fulfillments
            .iter()
            .find(|f| f["trackingCode"] == number && f["state"] != "Cancelled")
        {
            if !is_shipped(existing["state"].as_str().unwrap_or_default()) {
                self.transition_fulfillment(
                    existing["id"].as_str().unwrap_or_default(),
                    "Shipped",
                    &what,
                )?;
            }
            return self.order_outcome(&id);
        }
        let Some(lines) = unfulfilled_lines(&order) else {
            return Err(ConnectorError::upstream(
                409,
                format!("{what}: every line of the order is already fulfilled"),
            ));
        };
        let fulfillment = self.create_fulfillment(lines, method, number, &what)?;
        self.transition_fulfillment(&fulfillment, "Shipped", &what)?;
        self.order_outcome(&id)
    }
}

/// `[{orderLineId, quantity}]` for what is not yet in a (non-cancelled) fulfillment; `None`
/// when everything is.
pub fn unfulfilled_lines(order: &Value) -> Option<Vec<Value>> {
    let mut remaining: Vec<(String, i64)> = order["lines"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap_or_default().to_owned(),
                l["quantity"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    for f in order["fulfillments"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if f["state"] == "Cancelled" {
            continue;
        }
        for fl in f["lines"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let line = fl["orderLineId"].as_str().unwrap_or_default();
            if let Some(r) = remaining.iter_mut().find(|(id, _)| id == line) {
                r.1 -= fl["quantity"].as_i64().unwrap_or(0);
            }
        }
    }
    let lines: Vec<Value> = remaining
        .into_iter()
        .filter(|(_, q)| *q > 0)
        .map(|(id, q)| json!({"orderLineId": id, "quantity": q}))
        .collect();
    (!lines.is_empty()).then_some(lines)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn status_words_map_to_states() {
        assert_eq!(target_state("processing"), Some("PaymentSettled"));
        assert_eq!(target_state("completed"), Some("Delivered"));
        assert_eq!(target_state("Shipped"), Some("Shipped"));
        assert_eq!(target_state("PaymentSettled"), Some("PaymentSettled"));
        assert_eq!(target_state("canceled"), Some("Cancelled"));
        assert_eq!(target_state("refunded"), None);
    }

    #[test]
    fn remaining_lines() {
        let order = json!({
            "lines": [{"id": "1", "quantity": 3}, {"id": "2", "quantity": 1}],
            "fulfillments": [
                {"state": "Shipped", "lines": [{"orderLineId": "1", "quantity": 2}]},
                {"state": "Cancelled", "lines": [{"orderLineId": "2", "quantity": 1}]}
            ]
        });
        assert_eq!(
            unfulfilled_lines(&order).unwrap(),
            vec![
                json!({"orderLineId": "1", "quantity": 1}),
                json!({"orderLineId": "2", "quantity": 1})
            ]
        );
        let done = json!({"lines": [{"id": "1", "quantity": 1}],
            "fulfillments": [{"state": "Pending", "lines": [{"orderLineId": "1", "quantity": 1}]}]});
        assert!(unfulfilled_lines(&done).is_none());
    }
}
