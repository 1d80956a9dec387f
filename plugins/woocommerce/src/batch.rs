//! Batch writes (`write-batch`) over WooCommerce's batch endpoints: which ops go into which
//! batch request, and what WooCommerce's answer means for each op.
//!
//! | ops | request |
//! |---|---|
//! | `product-stock`, `product-price` | `POST /products/batch` `{"update": [{"id": p, ..}]}` |
//! | `variation-stock`, `variation-price` | `POST /products/{p}/variations/batch`, one per product |
//! | `order-status` | `POST /orders/batch` |
//! | `order-tracking` (and writes the connector does not do) | one by one, as `write` does |
//!
//! Each update item is the body the single write would `PUT`, plus the record's `id`.
//! WooCommerce refuses more than [`MAX_BATCH_ITEMS`] items in one request (413), so a group
//! is cut into chunks of that size. Its answer lists the updates in the order sent: each
//! item is the record as a single `PUT` returns it, or `{"id", "error": {"code", "message",
//! "data": {"status"}}}` for an update it refused, which becomes that op's error with the
//! same mapping as a single write's HTTP error. Values are checked before anything is sent,
//! as for single writes: an op with an impossible id or a bad price gets its error at once.
//!
//! Everything here is pure; [`crate::api::Api::write_batch`] sends the requests.

use junction_sdk::batch::WriteResult;
use junction_sdk::http::Headers;
use junction_sdk::types::{ConnectorError, ResourceKind, WriteOp, WriteOutcome};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::api::check_id;
use crate::mapping::{self, entity_id_and_modified};
use crate::writes;

/// The most items WooCommerce accepts in one batch request (its default
/// `woocommerce_rest_batch_items_limit`).
pub const MAX_BATCH_ITEMS: usize = 100;

/// A batch endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `products/batch`
    Products,
    /// `products/{id}/variations/batch`: the variations of one product.
    Variations(u64),
    /// `orders/batch`
    Orders,
}

impl Endpoint {
    /// The path segments below the API root.
    pub fn segments(self) -> Vec<String> {
        match self {
            Endpoint::Products => vec!["products".into(), "batch".into()],
            Endpoint::Variations(p) => vec![
                "products".into(),
                p.to_string(),
                "variations".into(),
                "batch".into(),
            ],
            Endpoint::Orders => vec!["orders".into(), "batch".into()],
        }
    }

    /// The kind of record the endpoint's answer holds.
    pub fn resource(self) -> ResourceKind {
        match self {
            Endpoint::Products => ResourceKind::Products,
            Endpoint::Variations(_) => ResourceKind::Variations,
            Endpoint::Orders => ResourceKind::Orders,
        }
    }

    /// The product the answer's variations belong to.
    fn parent(self) -> Option<String> {
        match self {
            Endpoint::Variations(p) => Some(p.to_string()),
            _ => None,
        }
    }

    /// What one record is called in messages, e.g. `variation 12 of product 7`.
    fn describe(self, id: u64) -> String {
        match self {
            Endpoint::Products => format!("product {id}"),
            Endpoint::Variations(p) => format!("variation {id} of product {p}"),
            Endpoint::Orders => format!("order {id}"),
        }
    }
}

/// One update item of a batch request.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The op's position in the batch.
    pub index: usize,
    /// The record the item updates.
    pub id: u64,
    /// The item as sent: the single write's body with `id` added.
    pub body: Value,
}

/// How a batch of ops is sent.
#[derive(Debug, Default)]
pub struct Plan {
    /// The items of each endpoint, in op order; endpoints in order of first appearance.
    pub groups: Vec<(Endpoint, Vec<Item>)>,
    /// Ops without a batch form, performed one by one (indexes, in op order).
    pub single: Vec<usize>,
    /// Ops refused before anything is sent, with their errors.
    pub refused: Vec<(usize, ConnectorError)>,
}

/// Sorts `ops` into batch requests, single writes and refusals.
pub fn plan(ops: &[WriteOp]) -> Plan {
    let mut plan = Plan::default();
    for (index, op) in ops.iter().enumerate() {
        match batch_item(op) {
            None => plan.single.push(index),
            Some(Err(error)) => plan.refused.push((index, error)),
            Some(Ok((endpoint, id, body))) => {
                let item = Item { index, id, body };
                match plan.groups.iter_mut().find(|(e, _)| *e == endpoint) {
                    Some((_, items)) => items.push(item),
                    None => plan.groups.push((endpoint, vec![item])),
                }
            }
        }
    }
    plan
}

/// The endpoint, record id and item of an op that has a batch form; `None` when it has
/// none; an error when the op cannot be sent at all.
#[allow(clippy::type_complexity)]
fn batch_item(op: &WriteOp) -> Option<Result<(Endpoint, u64, Value), ConnectorError>> {
    let built = match op {
        WriteOp::OrderStatus(c) => check_id("order", &c.order_id)
            .and_then(|id| writes::status_body(&c.status).map(|body| (Endpoint::Orders, id, body))),
        WriteOp::ProductStock(c) => check_id("product", &c.product_id)
            .map(|id| (Endpoint::Products, id, writes::stock_body(c.quantity))),
        WriteOp::ProductPrice(c) => check_id("product", &c.product_id).and_then(|id| {
            writes::price_body(&c.price, c.sale_price.as_deref())
                .map(|body| (Endpoint::Products, id, body))
        }),
        WriteOp::VariationStock(c) => variation(&c.product_id, &c.variation_id)
            .map(|(p, v)| (Endpoint::Variations(p), v, writes::stock_body(c.quantity))),
        WriteOp::VariationPrice(c) => {
            variation(&c.product_id, &c.variation_id).and_then(|(p, v)| {
                writes::price_body(&c.price, c.sale_price.as_deref())
                    .map(|body| (Endpoint::Variations(p), v, body))
            })
        }
        _ => return None,
    };
    Some(built.map(|(endpoint, id, body)| (endpoint, id, with_id(id, body))))
}

fn variation(product: &str, variation: &str) -> Result<(u64, u64), ConnectorError> {
    Ok((
        check_id("product", product)?,
        check_id("variation", variation)?,
    ))
}

/// `{"id": id, ..body}`.
fn with_id(id: u64, body: Value) -> Value {
    let mut item = Map::new();
    item.insert("id".into(), json!(id));
    if let Value::Object(fields) = body {
        item.extend(fields);
    }
    Value::Object(item)
}

/// The request body of one chunk: `{"update": [items]}`.
pub fn request_body(items: &[Item]) -> Value {
    json!({ "update": items.iter().map(|i| &i.body).collect::<Vec<_>>() })
}

/// WooCommerce's answer to a batch request (only `update` is ever sent).
#[derive(Debug, Deserialize)]
pub struct Answer {
    #[serde(default)]
    pub update: Vec<Box<RawValue>>,
}

/// The parts of an answer item that tell success from refusal.
#[derive(Deserialize)]
struct ItemHead {
    id: Option<Value>,
    error: Option<ItemError>,
}

/// A refused update: WordPress's `WP_Error` as the batch answer carries it.
#[derive(Deserialize, serde::Serialize)]
struct ItemError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    data: Option<Value>,
}

/// Each op's result from WooCommerce's answer to the chunk `items` sent to `endpoint`.
/// An answer that does not list one item per update fails every op of the chunk.
pub fn read_answer(
    endpoint: Endpoint,
    items: &[Item],
    answer: &Answer,
) -> Vec<(usize, WriteResult)> {
    if answer.update.len() != items.len() {
        let error = ConnectorError::upstream(
            200,
            format!(
                "invalid JSON from upstream: the batch answer lists {} update(s) for the {} sent",
                answer.update.len(),
                items.len()
            ),
        );
        return items
            .iter()
            .map(|i| (i.index, Err(error.clone())))
            .collect();
    }
    items
        .iter()
        .zip(&answer.update)
        .map(|(item, raw)| (item.index, read_item(endpoint, item, raw.get())))
        .collect()
}

fn read_item(endpoint: Endpoint, item: &Item, raw: &str) -> WriteResult {
    let what = endpoint.describe(item.id);
    let head: ItemHead = serde_json::from_str(raw).map_err(|e| {
        ConnectorError::upstream(
            200,
            format!("invalid JSON from upstream: batch answer for {what}: {e}"),
        )
    })?;
    let answered_id = head.id.as_ref().and_then(|id| match id {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    });
    if answered_id != Some(item.id) {
        return Err(ConnectorError::upstream(
            200,
            format!(
                "invalid JSON from upstream: the batch answer for {what} is about record {}",
                head.id
                    .map_or_else(|| "(no id)".to_owned(), |id| id.to_string())
            ),
        ));
    }
    if let Some(error) = head.error {
        return Err(item_error(&what, &error));
    }
    let parent = endpoint.parent();
    let entity = mapping::map_entity(endpoint.resource(), raw, parent.as_deref())?;
    let external_id = entity_id_and_modified(&entity).0.to_owned();
    Ok(WriteOutcome {
        external_id,
        entity: Some(entity),
    })
}

/// A refused update as the error the same refusal of a single `PUT` would be (its
/// `data.status` read as the HTTP status; WordPress answers 500 when an error has none).
fn item_error(what: &str, error: &ItemError) -> ConnectorError {
    let status = error
        .data
        .as_ref()
        .and_then(|d| d.get("status"))
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (400..=599).contains(s))
        .unwrap_or(500);
    let body = serde_json::to_vec(error).unwrap_or_default();
    let mapped = junction_sdk::error::status_error(
        status,
        &Headers::new(),
        &body,
        jiff::Timestamp::UNIX_EPOCH,
    );
    prefixed(mapped, &format!("{what}: "))
}

/// `error` with `prefix` before its message.
fn prefixed(error: ConnectorError, prefix: &str) -> ConnectorError {
    match error {
        ConnectorError::Unauthorized(m) => ConnectorError::Unauthorized(format!("{prefix}{m}")),
        ConnectorError::NotFound(m) => ConnectorError::NotFound(format!("{prefix}{m}")),
        ConnectorError::RateLimited(mut r) => {
            r.message = format!("{prefix}{}", r.message);
            ConnectorError::RateLimited(r)
        }
        ConnectorError::Upstream(mut u) => {
            u.message = format!("{prefix}{}", u.message);
            ConnectorError::Upstream(u)
        }
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use junction_sdk::types::{
        OrderStatusChange, OrderTrackingChange, ProductPriceChange, ProductStockChange, Tracking,
        VariationStockChange,
    };

    fn stock(product: &str, quantity: i64) -> WriteOp {
        WriteOp::ProductStock(ProductStockChange {
            product_id: product.into(),
            quantity,
        })
    }

    fn variation_stock(product: &str, variation: &str, quantity: i64) -> WriteOp {
        WriteOp::VariationStock(VariationStockChange {
            product_id: product.into(),
            variation_id: variation.into(),
            quantity,
        })
    }

    fn answer(items: Value) -> Answer {
        serde_json::from_value(json!({ "update": items })).unwrap()
    }

    #[test]
    fn ops_are_grouped_per_endpoint_in_order() {
        let ops = vec![
            stock("10", 1),
            variation_stock("20", "21", 2),
            WriteOp::OrderStatus(OrderStatusChange {
                order_id: "30".into(),
                status: "wc-completed".into(),
            }),
            WriteOp::ProductPrice(ProductPriceChange {
                product_id: "11".into(),
                price: "9.50".into(),
                sale_price: None,
            }),
            variation_stock("22", "23", 3),
            variation_stock("20", "24", 4),
            WriteOp::OrderTracking(OrderTrackingChange {
                order_id: "30".into(),
                tracking: Tracking {
                    number: "A1".into(),
                    provider: None,
                    url: None,
                    shipped_at: None,
                },
            }),
            stock("abc", 1),
            WriteOp::ProductPrice(ProductPriceChange {
                product_id: "12".into(),
                price: "lots".into(),
                sale_price: None,
            }),
        ];
        let plan = plan(&ops);
        let endpoints: Vec<Endpoint> = plan.groups.iter().map(|(e, _)| *e).collect();
        assert_eq!(
            endpoints,
            [
                Endpoint::Products,
                Endpoint::Variations(20),
                Endpoint::Orders,
                Endpoint::Variations(22)
            ]
        );
        let (_, products) = &plan.groups[0];
        assert_eq!(products.iter().map(|i| i.index).collect::<Vec<_>>(), [0, 3]);
        assert_eq!(
            request_body(products),
            json!({"update": [
                {"id": 10, "manage_stock": true, "stock_quantity": 1},
                {"id": 11, "regular_price": "9.50"}
            ]})
        );
        let (_, variations) = &plan.groups[1];
        assert_eq!(
            variations
                .iter()
                .map(|i| (i.index, i.id))
                .collect::<Vec<_>>(),
            [(1, 21), (5, 24)]
        );
        assert_eq!(
            request_body(&plan.groups[2].1),
            json!({"update": [{"id": 30, "status": "completed"}]})
        );
        assert_eq!(plan.single, [6]);
        assert_eq!(plan.refused.len(), 2);
        assert!(matches!(plan.refused[0], (7, ConnectorError::NotFound(_))));
        assert!(matches!(
            &plan.refused[1],
            (8, ConnectorError::InvalidRequest(m)) if m.contains("not sent")
        ));
        assert_eq!(
            Endpoint::Variations(20).segments(),
            ["products", "20", "variations", "batch"]
        );
        assert_eq!(Endpoint::Orders.segments(), ["orders", "batch"]);
    }

    #[test]
    fn answers_map_per_item_and_errors_stay_with_their_op() {
        let ops = vec![stock("10", 5), stock("11", 6), stock("12", 7)];
        let plan = plan(&ops);
        let (endpoint, items) = &plan.groups[0];
        let product = |id: u64, stock: i64| {
            json!({"id": id, "name": "P", "type": "simple", "manage_stock": true, "stock_quantity": stock,
                   "date_created_gmt": "2025-01-01T00:00:00", "date_modified_gmt": "2025-01-02T00:00:00"})
        };
        let results = read_answer(
            *endpoint,
            items,
            &answer(json!([
                product(10, 5),
                {"id": 11, "error": {"code": "woocommerce_rest_product_invalid_id",
                                     "message": "Invalid ID.", "data": {"status": 400}}},
                product(12, 7)
            ])),
        );
        assert_eq!(results.len(), 3);
        let (index, first) = &results[0];
        assert_eq!(*index, 0);
        let outcome = first.as_ref().unwrap();
        assert_eq!(outcome.external_id, "10");
        assert!(matches!(
            &outcome.entity,
            Some(junction_sdk::types::Entity::Product(p)) if p.stock_quantity == Some(5)
        ));
        match &results[1] {
            (1, Err(ConnectorError::Upstream(u))) => {
                assert_eq!(u.status, 400);
                assert!(u.message.starts_with("product 11: "), "{}", u.message);
                assert!(u.message.contains("Invalid ID."), "{}", u.message);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(results[2].1.as_ref().unwrap().external_id, "12");
    }

    #[test]
    fn item_statuses_map_like_single_writes() {
        let item = Item {
            index: 0,
            id: 5,
            body: json!({"id": 5}),
        };
        let read = |error: Value| {
            read_answer(
                Endpoint::Variations(4),
                std::slice::from_ref(&item),
                &answer(json!([{"id": 5, "error": error}])),
            )
            .remove(0)
            .1
            .unwrap_err()
        };
        let e = read(
            json!({"code": "woocommerce_rest_cannot_edit", "message": "No.", "data": {"status": 401}}),
        );
        assert!(
            matches!(&e, ConnectorError::Unauthorized(m) if m.starts_with("variation 5 of product 4: ")),
            "{e:?}"
        );
        let e = read(json!({"code": "x", "message": "gone", "data": {"status": 404}}));
        assert!(matches!(e, ConnectorError::NotFound(_)), "{e:?}");
        let e = read(json!({"code": "x", "message": "no status"}));
        assert!(
            matches!(&e, ConnectorError::Upstream(u) if u.status == 500),
            "{e:?}"
        );
    }

    #[test]
    fn answers_that_do_not_match_the_request_fail_the_chunk() {
        let ops = vec![stock("10", 5), stock("11", 6)];
        let plan = plan(&ops);
        let (endpoint, items) = &plan.groups[0];
        let results = read_answer(*endpoint, items, &answer(json!([{"id": 10}])));
        assert!(results.iter().all(|(_, r)| matches!(
            r,
            Err(ConnectorError::Upstream(u)) if u.message.contains("1 update(s) for the 2 sent")
        )));
        let results = read_answer(
            *endpoint,
            items,
            &answer(json!([{"id": 11, "error": {}}, {"id": 10, "error": {}}])),
        );
        assert!(results.iter().all(|(_, r)| matches!(
            r,
            Err(ConnectorError::Upstream(u)) if u.message.contains("is about record")
        )));
    }

    #[test]
    fn large_groups_are_cut_into_chunks_woocommerce_accepts() {
        let ops: Vec<WriteOp> = (1..=250).map(|i| stock(&i.to_string(), i)).collect();
        let plan = plan(&ops);
        let sizes: Vec<usize> = plan.groups[0]
            .1
            .chunks(MAX_BATCH_ITEMS)
            .map(<[Item]>::len)
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
    }
}
