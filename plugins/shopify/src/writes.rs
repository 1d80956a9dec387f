//! The writes, each a few GraphQL mutations (API 2026-07):
//!
//! - `order-tracking`: the order's open fulfillment orders (`OPEN`, `IN_PROGRESS`) are
//!   fulfilled in one `fulfillmentCreate` carrying `trackingInfo {number, company, url}`
//!   (customer not notified). When nothing is left to fulfil, the tracking of the order's
//!   latest fulfillment is replaced (`fulfillmentTrackingInfoUpdate`); an order with
//!   neither (cancelled before shipping) is refused (`invalid-request`).
//! - `order-status`: see [`crate::status`] for the table of words and mutations.
//! - `product-stock` / `variation-stock`: `inventorySetQuantities` of the `available`
//!   quantity of the variant's inventory item at the configured `location_id`, reason
//!   `correction`, `changeFromQuantity: null` (Junction's quantity is the truth; as of
//!   2026-04 the field must be present) and an `@idempotent` key.
//! - `product-price` / `variation-price`: `productVariantsBulkUpdate` ([`price_input`]).
//! - Product-level stock and price apply to single-variant products; a product with more
//!   variants is refused, naming how many (write its variations).
//!
//! Mutation `userErrors` become `invalid-request` (or `not-found`); each write answers with
//! the record read back.

use junction_sdk::decimal;
use junction_sdk::time;
use junction_sdk::types::{ConnectorError, ResourceKind, Tracking, WriteOp, WriteOutcome};
use serde_json::{Value, json};

use crate::api::{Api, check_id};
use crate::graphql::user_errors;
use crate::status::StatusWrite;

const FULFILLMENT_ORDERS: &str = "query FulfillmentOrders($id: ID!) { order(id: $id) { id fulfillmentOrders(first: 50) { nodes { id status } } fulfillments(first: 50) { id createdAt } } }";
const UPDATE_TRACKING: &str = "mutation Tracking($id: ID!, $tracking: FulfillmentTrackingInput!) { fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $tracking, notifyCustomer: false) { fulfillment { id } userErrors { field message } } }";
const FULFIL: &str = "mutation Fulfil($fulfillment: FulfillmentInput!) { fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id } userErrors { field message } } }";
const CLOSE: &str = "mutation Close($input: OrderCloseInput!) { orderClose(input: $input) { order { id } userErrors { field message } } }";
const OPEN: &str = "mutation Open($input: OrderOpenInput!) { orderOpen(input: $input) { order { id } userErrors { field message } } }";
const CANCEL: &str = "mutation Cancel($id: ID!) { orderCancel(orderId: $id, reason: OTHER, refundMethod: {originalPaymentMethodsRefund: false}, restock: true, notifyCustomer: false) { job { id } orderCancelUserErrors { field message code } } }";
const VARIANT: &str = "query Variant($id: ID!) { productVariant(id: $id) { id price compareAtPrice product { id legacyResourceId } inventoryItem { id } } }";
const PRODUCT_VARIANTS: &str = "query ProductVariants($id: ID!) { product(id: $id) { id variantsCount { count } variants(first: 2) { nodes { id price compareAtPrice product { id legacyResourceId } inventoryItem { id } } } } }";
const SET_STOCK: &str = "mutation Stock($input: InventorySetQuantitiesInput!, $key: String!) { inventorySetQuantities(input: $input) @idempotent(key: $key) { inventoryAdjustmentGroup { reason } userErrors { field message code } } }";
const SET_PRICE: &str = "mutation Price($productId: ID!, $variants: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $productId, variants: $variants) { productVariants { id } userErrors { field message } } }";

/// Fulfillment order statuses that can still be fulfilled.
const FULFILLABLE: &[&str] = &["OPEN", "IN_PROGRESS"];

fn decimal_field(field: &str, value: &str) -> Result<decimal::Decimal, ConnectorError> {
    decimal::parse(value).map_err(|e| ConnectorError::invalid_request(format!("{field}: {e}")))
}

/// The `{price, compareAtPrice}` of a variant for Junction's regular `price` and optional
/// `sale-price`, given the variant's current `price` and `compareAtPrice`:
/// - with a sale price: the customer pays the sale price, the regular one is the "was"
///   price (`sale-price` must be below `price`);
/// - a regular price alone keeps a running sale (as WooCommerce does): when the variant is
///   on sale (`compareAtPrice` above `price`) and the new regular price is still above the
///   sale price, only `compareAtPrice` changes; otherwise `price` is set and the sale
///   cleared.
pub fn price_input(
    regular: &str,
    sale: Option<&str>,
    current_price: Option<&str>,
    current_compare_at: Option<&str>,
) -> Result<Value, ConnectorError> {
    let regular_value = decimal_field("price", regular)?;
    if regular_value.is_sign_negative() {
        return Err(ConnectorError::invalid_request(
            "price: must not be negative",
        ));
    }
    let regular = decimal::to_text(regular_value);
    if let Some(sale) = sale {
        let sale_value = decimal_field("sale-price", sale)?;
        if sale_value.is_sign_negative() || sale_value >= regular_value {
            return Err(ConnectorError::invalid_request(format!(
                "sale-price {sale} must be at least 0 and below price {regular}"
            )));
        }
        return Ok(json!({"price": decimal::to_text(sale_value), "compareAtPrice": regular}));
    }
    let current = current_price.and_then(|p| decimal::parse(p).ok());
    let was = current_compare_at.and_then(|c| decimal::parse(c).ok());
    match (current, was) {
        (Some(p), Some(c)) if c > p && regular_value > p => Ok(json!({"compareAtPrice": regular})),
        _ => Ok(json!({"price": regular, "compareAtPrice": null})),
    }
}

/// What is left to fulfil on an order, and where its last shipment's tracking lives.
struct FulfilmentState {
    /// Global ids of fulfillment orders that can still be fulfilled.
    open: Vec<String>,
    /// The global id of the newest fulfillment.
    latest_fulfillment: Option<String>,
}

/// A variant as the writes need it.
struct VariantRef {
    gid: String,
    product_gid: String,
    inventory_item: String,
    price: Option<String>,
    compare_at: Option<String>,
}

fn variant_ref(node: &Value) -> Option<VariantRef> {
    let text = |p: &str| node.pointer(p).and_then(Value::as_str).map(str::to_owned);
    Some(VariantRef {
        gid: text("/id")?,
        product_gid: text("/product/id")?,
        inventory_item: text("/inventoryItem/id")?,
        price: text("/price"),
        compare_at: text("/compareAtPrice"),
    })
}

impl Api {
    /// Applies one write.
    pub fn write(&self, op: &WriteOp) -> Result<WriteOutcome, ConnectorError> {
        match op {
            WriteOp::OrderStatus(c) => {
                let id = check_id("order", &c.order_id)?;
                self.order_status(id, StatusWrite::parse(&c.status)?)?;
                self.outcome(ResourceKind::Orders, id, None)
            }
            WriteOp::OrderTracking(c) => {
                let id = check_id("order", &c.order_id)?;
                if c.tracking.number.trim().is_empty() {
                    return Err(ConnectorError::invalid_request(
                        "tracking.number: a tracking number is required",
                    ));
                }
                let work = self.fulfilment_state(id)?;
                match (work.open.is_empty(), work.latest_fulfillment) {
                    (false, _) => self.fulfil(&work.open, Some(&c.tracking))?,
                    (true, Some(fulfillment)) => self.update_tracking(&fulfillment, &c.tracking)?,
                    (true, None) => {
                        return Err(ConnectorError::invalid_request(format!(
                            "order {id} has nothing to fulfil and no fulfillment to attach tracking to (cancelled before shipping?)"
                        )));
                    }
                }
                self.outcome(ResourceKind::Orders, id, None)
            }
            WriteOp::ProductStock(c) => {
                let product = check_id("product", &c.product_id)?;
                let v = self.only_variant(product, "stock")?;
                self.set_stock(&v, c.quantity)?;
                self.outcome(ResourceKind::Products, product, None)
            }
            WriteOp::VariationStock(c) => {
                let (product, variant) = self.variant_of(&c.product_id, &c.variation_id)?;
                self.set_stock(&variant, c.quantity)?;
                self.outcome(
                    ResourceKind::Variations,
                    check_id("variation", &c.variation_id)?,
                    Some(product),
                )
            }
            WriteOp::ProductPrice(c) => {
                let product = check_id("product", &c.product_id)?;
                let v = self.only_variant(product, "price")?;
                self.set_price(&v, &c.price, c.sale_price.as_deref())?;
                self.outcome(ResourceKind::Products, product, None)
            }
            WriteOp::VariationPrice(c) => {
                let (product, variant) = self.variant_of(&c.product_id, &c.variation_id)?;
                self.set_price(&variant, &c.price, c.sale_price.as_deref())?;
                self.outcome(
                    ResourceKind::Variations,
                    check_id("variation", &c.variation_id)?,
                    Some(product),
                )
            }
            WriteOp::UpsertOrder(_) | WriteOp::UpsertCustomer(_) | WriteOp::UpsertProduct(_) => {
                Err(ConnectorError::unsupported(
                    "the Shopify connector does not create or replace records",
                ))
            }
        }
    }

    fn outcome(
        &self,
        resource: ResourceKind,
        id: u64,
        parent: Option<u64>,
    ) -> Result<WriteOutcome, ConnectorError> {
        let parent = parent.map(|p| p.to_string());
        let entity = self.get(resource, &id.to_string(), parent.as_deref())?;
        Ok(WriteOutcome {
            external_id: id.to_string(),
            entity: Some(entity),
        })
    }

    fn order_status(&self, id: u64, write: StatusWrite) -> Result<(), ConnectorError> {
        let gid = format!("gid://shopify/Order/{id}");
        match write {
            StatusWrite::Complete | StatusWrite::Fulfil => {
                let open = self.fulfilment_state(id)?.open;
                if !open.is_empty() {
                    self.fulfil(&open, None)?;
                }
                if write == StatusWrite::Complete {
                    let data = self.run(CLOSE, json!({"input": {"id": gid}}))?;
                    user_errors("close the order", &data["orderClose"], "userErrors")?;
                }
            }
            StatusWrite::Close => {
                let data = self.run(CLOSE, json!({"input": {"id": gid}}))?;
                user_errors("close the order", &data["orderClose"], "userErrors")?;
            }
            StatusWrite::Open => {
                let data = self.run(OPEN, json!({"input": {"id": gid}}))?;
                user_errors("reopen the order", &data["orderOpen"], "userErrors")?;
            }
            StatusWrite::Cancel => {
                let data = self.run(CANCEL, json!({"id": gid}))?;
                user_errors(
                    "cancel the order",
                    &data["orderCancel"],
                    "orderCancelUserErrors",
                )?;
            }
        }
        Ok(())
    }

    /// An order's fulfillment orders that can be fulfilled, and its latest fulfillment.
    fn fulfilment_state(&self, id: u64) -> Result<FulfilmentState, ConnectorError> {
        let data = self.run(
            FULFILLMENT_ORDERS,
            json!({"id": format!("gid://shopify/Order/{id}")}),
        )?;
        let order = data
            .get("order")
            .filter(|o| !o.is_null())
            .ok_or_else(|| ConnectorError::not_found(format!("no order with id {id}")))?;
        let open = order
            .pointer("/fulfillmentOrders/nodes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|f| {
                f.get("status")
                    .and_then(Value::as_str)
                    .is_some_and(|s| FULFILLABLE.contains(&s))
            })
            .filter_map(|f| f.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        let latest_fulfillment = order
            .get("fulfillments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| {
                let created = f
                    .get("createdAt")
                    .and_then(Value::as_str)
                    .and_then(|t| time::epoch_seconds(t).ok())?;
                Some((created, f.get("id").and_then(Value::as_str)?.to_owned()))
            })
            .max()
            .map(|(_, id)| id);
        Ok(FulfilmentState {
            open,
            latest_fulfillment,
        })
    }

    fn update_tracking(&self, fulfillment: &str, t: &Tracking) -> Result<(), ConnectorError> {
        let tracking = json!({"number": t.number.trim(), "company": t.provider, "url": t.url});
        let data = self.run(
            UPDATE_TRACKING,
            json!({"id": fulfillment, "tracking": tracking}),
        )?;
        user_errors(
            "update the tracking",
            &data["fulfillmentTrackingInfoUpdate"],
            "userErrors",
        )
    }

    fn fulfil(
        &self,
        fulfillment_orders: &[String],
        tracking: Option<&Tracking>,
    ) -> Result<(), ConnectorError> {
        let groups: Vec<Value> = fulfillment_orders
            .iter()
            .map(|id| json!({"fulfillmentOrderId": id}))
            .collect();
        let mut input = json!({"lineItemsByFulfillmentOrder": groups, "notifyCustomer": false});
        if let (Some(t), Some(obj)) = (tracking, input.as_object_mut()) {
            obj.insert(
                "trackingInfo".into(),
                json!({"number": t.number.trim(), "company": t.provider, "url": t.url}),
            );
        }
        let data = self.run(FULFIL, json!({"fulfillment": input}))?;
        user_errors("fulfil the order", &data["fulfillmentCreate"], "userErrors")
    }

    /// The variant of a single-variant product.
    fn only_variant(&self, product: u64, what: &str) -> Result<VariantRef, ConnectorError> {
        let data = self.run(
            PRODUCT_VARIANTS,
            json!({"id": format!("gid://shopify/Product/{product}")}),
        )?;
        let node = data
            .get("product")
            .filter(|p| !p.is_null())
            .ok_or_else(|| ConnectorError::not_found(format!("no product with id {product}")))?;
        let variants = node
            .pointer("/variants/nodes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let count = node
            .pointer("/variantsCount/count")
            .and_then(Value::as_u64)
            .unwrap_or(variants.len() as u64);
        match (count, variants.first().and_then(variant_ref)) {
            (1, Some(v)) => Ok(v),
            _ => Err(ConnectorError::invalid_request(format!(
                "product {product} has {count} variants: write the {what} of each variation instead"
            ))),
        }
    }

    /// A variant, checked to belong to the product.
    fn variant_of(
        &self,
        product_id: &str,
        variation_id: &str,
    ) -> Result<(u64, VariantRef), ConnectorError> {
        let product = check_id("product", product_id)?;
        let variant = check_id("variation", variation_id)?;
        let data = self.run(
            VARIANT,
            json!({"id": format!("gid://shopify/ProductVariant/{variant}")}),
        )?;
        let node = data.get("productVariant").filter(|v| !v.is_null());
        let owner = node
            .and_then(|n| n.pointer("/product/legacyResourceId"))
            .and_then(Value::as_str);
        match node.and_then(variant_ref) {
            Some(v) if owner == Some(product.to_string().as_str()) => Ok((product, v)),
            _ => Err(ConnectorError::not_found(format!(
                "no variation {variant} of product {product}"
            ))),
        }
    }

    fn set_stock(&self, v: &VariantRef, quantity: i64) -> Result<(), ConnectorError> {
        let location = self.config.location_gid()?;
        let key = format!(
            "junction-stock-{}-{}-{quantity}-{}",
            v.inventory_item.rsplit('/').next().unwrap_or(""),
            location.rsplit('/').next().unwrap_or(""),
            time::format_utc(time::now())
        );
        let input = json!({
            "name": "available", "reason": "correction",
            "quantities": [{"inventoryItemId": v.inventory_item, "locationId": location,
                            "quantity": quantity, "changeFromQuantity": null}],
        });
        let data = self.run(SET_STOCK, json!({"input": input, "key": key}))?;
        user_errors(
            "set the stock",
            &data["inventorySetQuantities"],
            "userErrors",
        )
    }

    fn set_price(
        &self,
        v: &VariantRef,
        price: &str,
        sale: Option<&str>,
    ) -> Result<(), ConnectorError> {
        let mut input = price_input(price, sale, v.price.as_deref(), v.compare_at.as_deref())?;
        if let Some(obj) = input.as_object_mut() {
            obj.insert("id".into(), json!(v.gid));
        }
        let data = self.run(
            SET_PRICE,
            json!({"productId": v.product_gid, "variants": [input]}),
        )?;
        user_errors(
            "set the price",
            &data["productVariantsBulkUpdate"],
            "userErrors",
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn prices_with_and_without_a_sale() {
        assert_eq!(
            price_input("19.99", Some("17.50"), None, None).unwrap(),
            json!({"price": "17.50", "compareAtPrice": "19.99"})
        );
        // A running sale (17.50 instead of 19.99) stays; only the regular price moves.
        assert_eq!(
            price_input("25.00", None, Some("17.50"), Some("19.99")).unwrap(),
            json!({"compareAtPrice": "25.00"})
        );
        // A regular price at or below the sale price ends the sale.
        assert_eq!(
            price_input("15", None, Some("17.50"), Some("19.99")).unwrap(),
            json!({"price": "15", "compareAtPrice": null})
        );
        assert_eq!(
            price_input("9.99", None, Some("12.00"), None).unwrap(),
            json!({"price": "9.99", "compareAtPrice": null})
        );
        for (regular, sale) in [
            ("x", None),
            ("-1", None),
            ("10", Some("12")),
            ("10", Some("y")),
        ] {
            assert!(
                matches!(
                    price_input(regular, sale, None, None),
                    Err(ConnectorError::InvalidRequest(_))
                ),
                "{regular} {sale:?}"
            );
        }
    }

    #[test]
    fn variant_refs_need_ids() {
        let node = json!({"id": "gid://shopify/ProductVariant/1", "price": "5.00", "compareAtPrice": null,
            "product": {"id": "gid://shopify/Product/2", "legacyResourceId": "2"},
            "inventoryItem": {"id": "gid://shopify/InventoryItem/3"}});
        let v = variant_ref(&node).unwrap();
        assert_eq!(
            (v.product_gid.as_str(), v.inventory_item.as_str()),
            ("gid://shopify/Product/2", "gid://shopify/InventoryItem/3")
        );
        assert!(v.compare_at.is_none());
        assert!(variant_ref(&json!({"id": "x"})).is_none());
    }
}
