//! The mutations the connector uses, with Shopify's arguments (API 2026-07), effects and
//! payloads; bad input is answered in the payload's `userErrors` (`field` path, `message`,
//! and `code` where Shopify gives one), never as a top-level error.
//!
//! - `fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: [{fulfillmentOrderId}],
//!   trackingInfo: {number, company, url}, notifyCustomer})`: ships the open fulfillment
//!   orders named (all of one order) as one fulfillment; they become `CLOSED`.
//! - `fulfillmentTrackingInfoUpdate(fulfillmentId, trackingInfoInput: {number, company,
//!   url}, notifyCustomer)`: replaces a fulfillment's tracking.
//! - `orderClose(input: {id})` / `orderOpen(input: {id})`: close or reopen (a cancelled
//!   order cannot be reopened).
//! - `orderCancel(orderId, reason, refundMethod | refund, restock, notifyCustomer,
//!   staffNote)`: `reason` one of `CUSTOMER DECLINED FRAUD INVENTORY OTHER STAFF`, `restock`
//!   and a refund choice required; errors in `orderCancelUserErrors`. The job is done at
//!   once here.
//! - `inventorySetQuantities(input: {name: "available"|"on_hand", reason, quantities:
//!   [{inventoryItemId, locationId, quantity, changeFromQuantity}]})`: as of 2026-04 every
//!   quantity carries `changeFromQuantity` (null skips the compare-and-set check; a
//!   different persisted quantity is `CHANGE_FROM_QUANTITY_STALE`).
//! - `productVariantsBulkUpdate(productId, variants: [{id, price, compareAtPrice}])`.
//!
//! Every change stamps `updatedAt` of what it changed (a variant's stock or price also its
//! product's).

use graphql_parser::query::Field;
use serde_json::{Map, Value, json};

use super::document::Request;
use super::store::{Cents, Fulfillment, ShopData, TrackingInfo};
use super::views::{self, gid, parse_gid};

/// `{field, message}` (plus `code` when given).
pub(crate) fn user_error(field: &[&str], message: impl Into<String>, code: Option<&str>) -> Value {
    let mut e = json!({"__typename": "UserError", "field": field, "message": message.into()});
    if let (Some(code), Some(obj)) = (code, e.as_object_mut()) {
        obj.insert("code".into(), json!(code));
    }
    e
}

/// A decimal amount (`"19.99"`, `19.99`, `"5"`) in cents; `None` if it is not one or has
/// more than two decimals.
pub fn parse_cents(v: &Value) -> Option<Cents> {
    let text = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let (neg, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents =
        int.parse::<i64>().ok()?.checked_mul(100)? + format!("{frac:0<2}").parse::<i64>().ok()?;
    Some(if neg { -cents } else { cents })
}

/// Runs one mutation field; the payload object to project the selection from.
pub fn run(req: &Request<'_>, f: &Field<'_, String>, data: &mut ShopData) -> Result<Value, String> {
    let args = req.args(f);
    match f.name.as_str() {
        "fulfillmentCreate" => Ok(fulfillment_create(&args, data)),
        "fulfillmentTrackingInfoUpdate" => Ok(tracking_update(&args, data)),
        "orderClose" | "orderOpen" => Ok(order_close_open(&f.name, &args, data)),
        "orderCancel" => Ok(order_cancel(&args, data)),
        "inventorySetQuantities" => Ok(inventory_set_quantities(&args, data)),
        "productVariantsBulkUpdate" => Ok(variants_bulk_update(&args, data)),
        other => Err(format!("Field '{other}' doesn't exist on type 'Mutation'")),
    }
}

fn fulfillment_create(args: &Map<String, Value>, data: &mut ShopData) -> Value {
    let payload = |fulfillment: Value, errors: Vec<Value>| json!({"__typename": "FulfillmentCreatePayload", "fulfillment": fulfillment, "userErrors": errors});
    let input = args.get("fulfillment").cloned().unwrap_or(Value::Null);
    let Some(groups) = input
        .get("lineItemsByFulfillmentOrder")
        .and_then(Value::as_array)
    else {
        return payload(
            Value::Null,
            vec![user_error(
                &["fulfillment", "lineItemsByFulfillmentOrder"],
                "Line items by fulfillment order is required",
                None,
            )],
        );
    };
    let mut order_id = None;
    let mut fo_ids = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let index = i.to_string();
        let path = [
            "fulfillment",
            "lineItemsByFulfillmentOrder",
            index.as_str(),
            "fulfillmentOrderId",
        ];
        let fo = g
            .get("fulfillmentOrderId")
            .and_then(Value::as_str)
            .and_then(|s| parse_gid("FulfillmentOrder", s));
        let owner = fo.and_then(|fo| {
            data.orders
                .values()
                .find(|o| o.fulfillment_orders.iter().any(|f| f.id == fo))
                .map(|o| o.id)
        });
        let (Some(fo), Some(owner)) = (fo, owner) else {
            return payload(
                Value::Null,
                vec![user_error(&path, "Fulfillment order does not exist.", None)],
            );
        };
        if order_id.is_some_and(|o| o != owner) {
            return payload(
                Value::Null,
                vec![user_error(
                    &path,
                    "All fulfillment orders must belong to the same order.",
                    None,
                )],
            );
        }
        let open = data.orders.get(&owner).is_some_and(|o| {
            o.fulfillment_orders
                .iter()
                .any(|f| f.id == fo && f.status == "OPEN")
        });
        if !open {
            return payload(
                Value::Null,
                vec![user_error(
                    &path,
                    "Fulfillment order is not in an open state.",
                    None,
                )],
            );
        }
        order_id = Some(owner);
        fo_ids.push(fo);
    }
    let Some(order_id) = order_id else {
        return payload(
            Value::Null,
            vec![user_error(
                &["fulfillment", "lineItemsByFulfillmentOrder"],
                "Line items by fulfillment order is required",
                None,
            )],
        );
    };
    let tracking = input
        .get("trackingInfo")
        .filter(|t| t.is_object())
        .map(|t| {
            let text = |k: &str| t.get(k).and_then(Value::as_str).map(str::to_owned);
            TrackingInfo {
                number: text("number").unwrap_or_default(),
                company: text("company"),
                url: text("url"),
            }
        });
    let now = data.tick();
    let id = data.new_id();
    let Some(order) = data.orders.get_mut(&order_id) else {
        return payload(
            Value::Null,
            vec![user_error(&["fulfillment"], "Order does not exist.", None)],
        );
    };
    for fo in &mut order.fulfillment_orders {
        if fo_ids.contains(&fo.id) {
            fo.status = "CLOSED".into();
        }
    }
    let fulfillment = Fulfillment {
        id,
        created_at: now,
        tracking: tracking
            .into_iter()
            .filter(|t| !t.number.is_empty())
            .collect(),
    };
    order.fulfillments.push(fulfillment);
    order.updated_at = now;
    let view = views::order(data, &data.orders[&order_id]);
    let created = view["fulfillments"]
        .as_array()
        .and_then(|f| f.last().cloned())
        .unwrap_or(Value::Null);
    payload(created, vec![])
}

fn tracking_update(args: &Map<String, Value>, data: &mut ShopData) -> Value {
    let payload = |fulfillment: Value, errors: Vec<Value>| json!({"__typename": "FulfillmentTrackingInfoUpdatePayload", "fulfillment": fulfillment, "userErrors": errors});
    let id = args
        .get("fulfillmentId")
        .and_then(Value::as_str)
        .and_then(|s| parse_gid("Fulfillment", s));
    let input = args
        .get("trackingInfoInput")
        .cloned()
        .unwrap_or(Value::Null);
    let text = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_owned);
    let Some(number) = text("number").filter(|n| !n.trim().is_empty()) else {
        return payload(
            Value::Null,
            vec![user_error(
                &["trackingInfoInput", "number"],
                "Tracking number can't be blank",
                None,
            )],
        );
    };
    let now = data.tick();
    let owner = id.and_then(|id| {
        data.orders
            .values()
            .find(|o| o.fulfillments.iter().any(|f| f.id == id))
            .map(|o| o.id)
    });
    let (Some(id), Some(order_id)) = (id, owner) else {
        return payload(
            Value::Null,
            vec![user_error(
                &["fulfillmentId"],
                "Fulfillment does not exist.",
                None,
            )],
        );
    };
    let Some(order) = data.orders.get_mut(&order_id) else {
        return payload(
            Value::Null,
            vec![user_error(
                &["fulfillmentId"],
                "Fulfillment does not exist.",
                None,
            )],
        );
    };
    for f in order.fulfillments.iter_mut().filter(|f| f.id == id) {
        f.tracking = vec![TrackingInfo {
            number: number.clone(),
            company: text("company"),
            url: text("url"),
        }];
    }
    order.updated_at = now;
    let view = views::order(data, &data.orders[&order_id]);
    let updated = view["fulfillments"]
        .as_array()
        .and_then(|all| all.iter().find(|f| f["__id"] == json!(id)).cloned())
        .unwrap_or(Value::Null);
    payload(updated, vec![])
}

fn order_close_open(name: &str, args: &Map<String, Value>, data: &mut ShopData) -> Value {
    let typename = if name == "orderClose" {
        "OrderClosePayload"
    } else {
        "OrderOpenPayload"
    };
    let payload = |order: Value, errors: Vec<Value>| json!({"__typename": typename, "order": order, "userErrors": errors});
    let id = args
        .get("input")
        .and_then(|i| i.get("id"))
        .and_then(Value::as_str)
        .and_then(|s| parse_gid("Order", s));
    let now = data.tick();
    let Some(order) = id.and_then(|id| data.orders.get_mut(&id)) else {
        return payload(
            Value::Null,
            vec![user_error(&["id"], "Order does not exist", None)],
        );
    };
    if name == "orderOpen" {
        if order.cancelled_at.is_some() {
            return payload(
                Value::Null,
                vec![user_error(
                    &["id"],
                    "Cancelled orders cannot be reopened",
                    None,
                )],
            );
        }
        order.closed_at = None;
    } else if order.closed_at.is_none() {
        order.closed_at = Some(now);
    }
    order.updated_at = now;
    let id = order.id;
    payload(views::order(data, &data.orders[&id]), vec![])
}

const CANCEL_REASONS: &[&str] = &[
    "CUSTOMER",
    "DECLINED",
    "FRAUD",
    "INVENTORY",
    "OTHER",
    "STAFF",
];

fn order_cancel(args: &Map<String, Value>, data: &mut ShopData) -> Value {
    let payload = |job: Value, errors: Vec<Value>| json!({"__typename": "OrderCancelPayload", "job": job, "orderCancelUserErrors": errors.clone(), "userErrors": errors});
    let id = args
        .get("orderId")
        .and_then(Value::as_str)
        .and_then(|s| parse_gid("Order", s));
    let reason = args.get("reason").and_then(Value::as_str).unwrap_or("");
    if !CANCEL_REASONS.contains(&reason) {
        return payload(
            Value::Null,
            vec![user_error(
                &["reason"],
                format!("reason must be one of {}", CANCEL_REASONS.join(", ")),
                Some("INVALID"),
            )],
        );
    }
    if !args.get("restock").is_some_and(Value::is_boolean) {
        return payload(
            Value::Null,
            vec![user_error(
                &["restock"],
                "restock is required",
                Some("INVALID"),
            )],
        );
    }
    if !args.get("refundMethod").is_some_and(Value::is_object)
        && !args.get("refund").is_some_and(Value::is_boolean)
    {
        return payload(
            Value::Null,
            vec![user_error(
                &["refundMethod"],
                "refundMethod is required",
                Some("INVALID"),
            )],
        );
    }
    let now = data.tick();
    let job = data.new_id();
    let Some(order) = id.and_then(|id| data.orders.get_mut(&id)) else {
        return payload(
            Value::Null,
            vec![user_error(
                &["orderId"],
                "Order does not exist",
                Some("NOT_FOUND"),
            )],
        );
    };
    if order.cancelled_at.is_some() {
        return payload(
            Value::Null,
            vec![user_error(
                &["orderId"],
                "Order has already been cancelled",
                Some("INVALID"),
            )],
        );
    }
    order.cancelled_at = Some(now);
    order.closed_at = Some(now);
    order.cancel_reason = Some(reason.to_owned());
    for fo in &mut order.fulfillment_orders {
        if fo.status == "OPEN" {
            fo.status = "CANCELLED".into();
        }
    }
    order.updated_at = now;
    payload(
        json!({"__typename": "Job", "id": gid("Job", job), "done": true}),
        vec![],
    )
}

fn inventory_set_quantities(args: &Map<String, Value>, data: &mut ShopData) -> Value {
    let payload = |group: Value, errors: Vec<Value>| json!({"__typename": "InventorySetQuantitiesPayload", "inventoryAdjustmentGroup": group, "userErrors": errors});
    let input = args.get("input").cloned().unwrap_or(Value::Null);
    let name = input.get("name").and_then(Value::as_str).unwrap_or("");
    if name != "available" && name != "on_hand" {
        return payload(
            Value::Null,
            vec![user_error(
                &["input", "name"],
                "The quantity name must be either 'available' or 'on_hand'.",
                Some("INVALID_NAME"),
            )],
        );
    }
    let reason = input.get("reason").and_then(Value::as_str).unwrap_or("");
    if reason.is_empty() {
        return payload(
            Value::Null,
            vec![user_error(
                &["input", "reason"],
                "The reason is required.",
                Some("INVALID_REASON"),
            )],
        );
    }
    let Some(quantities) = input.get("quantities").and_then(Value::as_array) else {
        return payload(
            Value::Null,
            vec![user_error(
                &["input", "quantities"],
                "quantities is required",
                None,
            )],
        );
    };
    // Checked in full before anything changes: the mutation is all or nothing.
    let mut plan = Vec::new();
    for (i, q) in quantities.iter().enumerate() {
        let index = i.to_string();
        let at = |leaf: &'static str| vec!["input", "quantities", index.as_str(), leaf];
        let item = q
            .get("inventoryItemId")
            .and_then(Value::as_str)
            .and_then(|s| parse_gid("InventoryItem", s));
        let Some(variant) = item.and_then(|item| data.variant_by_inventory_item(item)) else {
            return payload(
                Value::Null,
                vec![user_error(
                    &at("inventoryItemId"),
                    "The specified inventory item could not be found.",
                    Some("INVALID_INVENTORY_ITEM"),
                )],
            );
        };
        let location = q
            .get("locationId")
            .and_then(Value::as_str)
            .and_then(|s| parse_gid("Location", s));
        let Some(location) = location.filter(|l| data.locations.iter().any(|x| x.id == *l)) else {
            return payload(
                Value::Null,
                vec![user_error(
                    &at("locationId"),
                    "The specified location could not be found.",
                    Some("INVALID_LOCATION"),
                )],
            );
        };
        let Some(quantity) = q.get("quantity").and_then(Value::as_i64) else {
            return payload(
                Value::Null,
                vec![user_error(
                    &at("quantity"),
                    "quantity must be an integer",
                    Some("INVALID_QUANTITY_NEGATIVE"),
                )],
            );
        };
        let current = data
            .variants
            .get(&variant)
            .and_then(|v| v.available.get(&location).copied())
            .unwrap_or(0);
        match q.get("changeFromQuantity") {
            None => {
                return payload(
                    Value::Null,
                    vec![user_error(
                        &at("changeFromQuantity"),
                        "changeFromQuantity is required: give the expected current quantity, or null to skip the check",
                        Some("COMPARE_QUANTITY_REQUIRED"),
                    )],
                );
            }
            Some(Value::Null) => {}
            Some(expected) if expected.as_i64() == Some(current) => {}
            Some(_) => {
                return payload(
                    Value::Null,
                    vec![user_error(
                        &at("changeFromQuantity"),
                        "The changeFromQuantity value does not match persisted value.",
                        Some("CHANGE_FROM_QUANTITY_STALE"),
                    )],
                );
            }
        }
        plan.push((variant, location, quantity, current));
    }
    let now = data.tick();
    let mut changes = Vec::new();
    for (variant, location, quantity, before) in plan {
        if let Some(v) = data.variants.get_mut(&variant) {
            v.available.insert(location, quantity);
            v.updated_at = now;
            let (item, product) = (v.inventory_item_id, v.product_id);
            if let Some(p) = data.products.get_mut(&product) {
                p.updated_at = now;
            }
            changes.push(json!({
                "__typename": "InventoryChange", "name": name, "delta": quantity - before,
                "quantityAfterChange": quantity,
                "item": {"__typename": "InventoryItem", "id": gid("InventoryItem", item)},
                "location": {"__typename": "Location", "id": gid("Location", location)},
            }));
        }
    }
    let group = json!({"__typename": "InventoryAdjustmentGroup", "reason": reason, "createdAt": views::datetime(now), "changes": changes});
    payload(group, vec![])
}

fn variants_bulk_update(args: &Map<String, Value>, data: &mut ShopData) -> Value {
    let payload = |product: Value, variants: Value, errors: Vec<Value>| json!({"__typename": "ProductVariantsBulkUpdatePayload", "product": product, "productVariants": variants, "userErrors": errors});
    let product_id = args
        .get("productId")
        .and_then(Value::as_str)
        .and_then(|s| parse_gid("Product", s));
    let Some(product_id) = product_id.filter(|p| data.products.contains_key(p)) else {
        return payload(
            Value::Null,
            Value::Null,
            vec![user_error(
                &["productId"],
                "Product does not exist",
                Some("PRODUCT_DOES_NOT_EXIST"),
            )],
        );
    };
    let Some(inputs) = args.get("variants").and_then(Value::as_array) else {
        return payload(
            Value::Null,
            Value::Null,
            vec![user_error(&["variants"], "variants is required", None)],
        );
    };
    let mut plan = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let index = i.to_string();
        let at = |leaf: &'static str| vec!["variants", index.as_str(), leaf];
        let id = input
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| parse_gid("ProductVariant", s));
        let Some(id) = id.filter(|v| {
            data.variants
                .get(v)
                .is_some_and(|v| v.product_id == product_id)
        }) else {
            return payload(
                Value::Null,
                Value::Null,
                vec![user_error(
                    &at("id"),
                    "Product variant does not exist",
                    Some("PRODUCT_VARIANT_DOES_NOT_EXIST"),
                )],
            );
        };
        let price = match input.get("price") {
            None => None,
            Some(v) => match parse_cents(v).filter(|c| *c >= 0) {
                Some(c) => Some(c),
                None => {
                    return payload(
                        Value::Null,
                        Value::Null,
                        vec![user_error(
                            &at("price"),
                            "Price must be a non-negative decimal",
                            Some("INVALID"),
                        )],
                    );
                }
            },
        };
        let compare_at = match input.get("compareAtPrice") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => match parse_cents(v).filter(|c| *c >= 0) {
                Some(c) => Some(Some(c)),
                None => {
                    return payload(
                        Value::Null,
                        Value::Null,
                        vec![user_error(
                            &at("compareAtPrice"),
                            "Compare at price must be a non-negative decimal",
                            Some("INVALID"),
                        )],
                    );
                }
            },
        };
        plan.push((id, price, compare_at));
    }
    let now = data.tick();
    let mut changed = Vec::new();
    for (id, price, compare_at) in plan {
        if let Some(v) = data.variants.get_mut(&id) {
            if let Some(p) = price {
                v.price = p;
            }
            if let Some(c) = compare_at {
                v.compare_at_price = c;
            }
            v.updated_at = now;
            changed.push(id);
        }
    }
    if let Some(p) = data.products.get_mut(&product_id) {
        p.updated_at = now;
    }
    let variants: Vec<Value> = changed
        .iter()
        .filter_map(|id| data.variants.get(id))
        .map(|v| views::variant(data, v, true))
        .collect();
    let product = views::product(data, &data.products[&product_id], true);
    payload(product, Value::Array(variants), vec![])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn decimals_in_cents() {
        assert_eq!(parse_cents(&json!("19.99")), Some(1999));
        assert_eq!(parse_cents(&json!("5")), Some(500));
        assert_eq!(parse_cents(&json!("0.5")), Some(50));
        assert_eq!(parse_cents(&json!(2.5)), Some(250));
        assert_eq!(parse_cents(&json!("-1.20")), Some(-120));
        assert_eq!(parse_cents(&json!("1.999")), None);
        assert_eq!(parse_cents(&json!("abc")), None);
        assert_eq!(parse_cents(&json!(null)), None);
    }
}
