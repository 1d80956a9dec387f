//! Conformance subject: the WooCommerce connector against the WooCommerce emulator. A small
//! seeded shop; the expected ids, the touches and the write checks go to the emulator's
//! store directly, never through the connector.

use std::collections::BTreeSet;

use anyhow::{Context, anyhow, ensure};
use junction::runtime::types::{
    OrderStatusChange, OrderTrackingChange, ProductPriceChange, ProductStockChange, Tracking,
    VariationPriceChange, VariationStockChange,
};
use junction_emulators::{WooConfig, WooStore};
use serde_json::{Value, json};

use super::{BoxFut, Deletion, Expected, ResourceKind, Subject, WriteCase, WriteKind, WriteOp};

/// Small enough that every list (variations of one product included) spans pages.
const PAGE_SIZE: u32 = 2;

fn shop() -> WooConfig {
    WooConfig {
        orders: 23,
        customers: 9,
        products: 12,
        variable_every: 3,
        ..WooConfig::default()
    }
}

fn ids(ids: impl IntoIterator<Item = u64>) -> BTreeSet<String> {
    ids.into_iter().map(|id| id.to_string()).collect()
}

fn field(record: Option<Value>, what: &str, name: &str) -> anyhow::Result<Value> {
    let record = record.with_context(|| format!("{what} is gone from the shop"))?;
    Ok(record[name].clone())
}

/// A write check that runs `check` on the store.
fn verify(
    store: &WooStore,
    check: impl Fn(&WooStore) -> anyhow::Result<()> + Send + Sync + 'static,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    let store = store.clone();
    let check = std::sync::Arc::new(check);
    Box::new(move || {
        let store = store.clone();
        let check = check.clone();
        Box::pin(async move { check(&store) })
    })
}

fn write_cases(store: &WooStore) -> anyhow::Result<Vec<WriteCase>> {
    let order = *store.order_ids().first().context("no order")?;
    let simple = store
        .product_ids()
        .into_iter()
        .find(|p| store.product(*p).is_some_and(|v| v["type"] == "simple"))
        .context("no simple product")?;
    let (variable, variation) = store
        .product_ids()
        .into_iter()
        .find_map(|p| Some((p, *store.variation_ids(p)?.first()?)))
        .context("no variation")?;
    let tracking_number = "BE-CONFORMANCE-42";
    Ok(vec![
        WriteCase {
            op: WriteOp::OrderStatus(OrderStatusChange {
                order_id: order.to_string(),
                status: "completed".into(),
            }),
            verify: verify(store, move |s| {
                let status = field(s.order(order), "the order", "status")?;
                ensure!(status == "completed", "order {order} status is {status}");
                Ok(())
            }),
        },
        WriteCase {
            op: WriteOp::OrderTracking(OrderTrackingChange {
                order_id: order.to_string(),
                tracking: Tracking {
                    number: tracking_number.into(),
                    provider: Some("bpost".into()),
                    url: None,
                    shipped_at: None,
                },
            }),
            verify: verify(store, move |s| {
                let notes = s.order_notes(order).context("the order is gone")?;
                ensure!(
                    notes.iter().any(|n| n["note"]
                        .as_str()
                        .is_some_and(|t| t.contains(tracking_number))),
                    "no note of order {order} names {tracking_number}: {notes:?}"
                );
                Ok(())
            }),
        },
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: simple.to_string(),
                quantity: 42,
            }),
            verify: verify(store, move |s| {
                let stock = field(s.product(simple), "the product", "stock_quantity")?;
                ensure!(stock == 42, "product {simple} stock is {stock}");
                Ok(())
            }),
        },
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: simple.to_string(),
                price: "19.99".into(),
                sale_price: Some("17.50".into()),
            }),
            verify: verify(store, move |s| {
                let product = s.product(simple).context("the product is gone")?;
                ensure!(
                    product["regular_price"] == "19.99" && product["sale_price"] == "17.50",
                    "product {simple} prices are {} / {}",
                    product["regular_price"],
                    product["sale_price"]
                );
                Ok(())
            }),
        },
        // A regular price alone leaves the running sale as it is (WooCommerce keeps
        // `sale_price`; the selling price stays the sale price while it is lower).
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: simple.to_string(),
                price: "25.00".into(),
                sale_price: None,
            }),
            verify: verify(store, move |s| {
                let product = s.product(simple).context("the product is gone")?;
                ensure!(
                    product["regular_price"] == "25.00"
                        && product["sale_price"] == "17.50"
                        && product["price"] == "17.50",
                    "a price write changed the sale: product {simple} is {} / {} / {}",
                    product["regular_price"],
                    product["sale_price"],
                    product["price"]
                );
                Ok(())
            }),
        },
        WriteCase {
            op: WriteOp::VariationStock(VariationStockChange {
                product_id: variable.to_string(),
                variation_id: variation.to_string(),
                quantity: 7,
            }),
            verify: verify(store, move |s| {
                let stock = field(
                    s.variation(variable, variation),
                    "the variation",
                    "stock_quantity",
                )?;
                ensure!(stock == 7, "variation {variation} stock is {stock}");
                Ok(())
            }),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: variable.to_string(),
                variation_id: variation.to_string(),
                price: "9.99".into(),
                sale_price: None,
            }),
            verify: verify(store, move |s| {
                let price = field(
                    s.variation(variable, variation),
                    "the variation",
                    "regular_price",
                )?;
                ensure!(price == "9.99", "variation {variation} price is {price}");
                Ok(())
            }),
        },
    ])
}

/// A check that a record's field holds `want`.
fn expect_field(
    store: &WooStore,
    what: String,
    read: impl Fn(&WooStore) -> Option<Value> + Send + Sync + 'static,
    name: &'static str,
    want: Value,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    verify(store, move |s| {
        let got = field(read(s), &what, name)?;
        ensure!(got == want, "{what} {name} is {got}, not {want}");
        Ok(())
    })
}

/// The batch: other records or other values than the single writes', two products in the
/// products batch, two variations (one with both a stock and a price op) in the variations
/// batch, an order in the orders batch and its tracking one by one.
fn batch_cases(store: &WooStore) -> anyhow::Result<Vec<WriteCase>> {
    let order = store
        .order_ids()
        .into_iter()
        .skip(1)
        .find(|o| store.order(*o).is_some_and(|v| v["status"] != "on-hold"))
        .context("no second order")?;
    let simple: Vec<u64> = store
        .product_ids()
        .into_iter()
        .filter(|p| store.product(*p).is_some_and(|v| v["type"] == "simple"))
        .take(2)
        .collect();
    ensure!(simple.len() == 2, "fewer than two simple products");
    let (variable, variations) = store
        .product_ids()
        .into_iter()
        .find_map(|p| Some((p, store.variation_ids(p).filter(|v| v.len() >= 2)?)))
        .context("no product with two variations")?;
    let (v0, v1) = (variations[0], variations[1]);
    let tracking_number = "BE-BATCH-43";
    let (a, b) = (simple[0], simple[1]);
    Ok(vec![
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: a.to_string(),
                quantity: 43,
            }),
            verify: expect_field(
                store,
                format!("product {a}"),
                move |s| s.product(a),
                "stock_quantity",
                json!(43),
            ),
        },
        WriteCase {
            op: WriteOp::VariationStock(VariationStockChange {
                product_id: variable.to_string(),
                variation_id: v0.to_string(),
                quantity: 8,
            }),
            verify: expect_field(
                store,
                format!("variation {v0}"),
                move |s| s.variation(variable, v0),
                "stock_quantity",
                json!(8),
            ),
        },
        WriteCase {
            op: WriteOp::OrderStatus(OrderStatusChange {
                order_id: order.to_string(),
                status: "on-hold".into(),
            }),
            verify: expect_field(
                store,
                format!("order {order}"),
                move |s| s.order(order),
                "status",
                json!("on-hold"),
            ),
        },
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: b.to_string(),
                quantity: 44,
            }),
            verify: expect_field(
                store,
                format!("product {b}"),
                move |s| s.product(b),
                "stock_quantity",
                json!(44),
            ),
        },
        WriteCase {
            op: WriteOp::OrderTracking(OrderTrackingChange {
                order_id: order.to_string(),
                tracking: Tracking {
                    number: tracking_number.into(),
                    provider: Some("DHL".into()),
                    url: None,
                    shipped_at: None,
                },
            }),
            verify: verify(store, move |s| {
                let notes = s.order_notes(order).context("the order is gone")?;
                ensure!(
                    notes.iter().any(|n| n["note"]
                        .as_str()
                        .is_some_and(|t| t.contains(tracking_number))),
                    "no note of order {order} names {tracking_number}: {notes:?}"
                );
                Ok(())
            }),
        },
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: b.to_string(),
                price: "21.50".into(),
                sale_price: None,
            }),
            verify: expect_field(
                store,
                format!("product {b}"),
                move |s| s.product(b),
                "regular_price",
                json!("21.50"),
            ),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: variable.to_string(),
                variation_id: v1.to_string(),
                price: "10.49".into(),
                sale_price: None,
            }),
            verify: expect_field(
                store,
                format!("variation {v1}"),
                move |s| s.variation(variable, v1),
                "regular_price",
                json!("10.49"),
            ),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: variable.to_string(),
                variation_id: v0.to_string(),
                price: "10.99".into(),
                sale_price: None,
            }),
            verify: expect_field(
                store,
                format!("variation {v0}"),
                move |s| s.variation(variable, v0),
                "regular_price",
                json!("10.99"),
            ),
        },
    ])
}

/// Touches the first record of a resource in the store; returns its id.
fn touch(store: &WooStore, resource: ResourceKind) -> anyhow::Result<String> {
    let error = |e| anyhow!("{e:?}");
    let id = match resource {
        ResourceKind::Orders => {
            let id = *store.order_ids().first().context("no order")?;
            store.touch_order(id).map_err(error)?;
            id
        }
        ResourceKind::Customers => {
            let id = *store.customer_ids().first().context("no customer")?;
            store.touch_customer(id).map_err(error)?;
            id
        }
        ResourceKind::Products => {
            let id = *store.product_ids().first().context("no product")?;
            store.touch_product(id).map_err(error)?;
            id
        }
        ResourceKind::Variations => anyhow::bail!("variations are touched through their product"),
    };
    Ok(id.to_string())
}

pub async fn subject() -> Subject {
    let config = shop();
    let emulator = junction_emulators::start(config.clone(), ([127, 0, 0, 1], 0).into())
        .await
        .expect("WooCommerce emulator");
    let store = emulator.store();
    // A variable product with more variations than fit on one page.
    let variable = store
        .product_ids()
        .into_iter()
        .find(|p| {
            store
                .variation_ids(*p)
                .is_some_and(|v| v.len() > PAGE_SIZE as usize)
        })
        .expect("a product with 3 or more variations");
    let expected = vec![
        Expected {
            resource: ResourceKind::Orders,
            parent_id: None,
            ids: ids(store.order_ids()),
        },
        Expected {
            resource: ResourceKind::Customers,
            parent_id: None,
            ids: ids(store.customer_ids()),
        },
        Expected {
            resource: ResourceKind::Products,
            parent_id: None,
            ids: ids(store.product_ids()),
        },
        Expected {
            resource: ResourceKind::Variations,
            parent_id: Some(variable.to_string()),
            ids: ids(store.variation_ids(variable).unwrap_or_default()),
        },
    ];
    let (key, secret) = (config.consumer_key.clone(), config.consumer_secret.clone());
    let touch_store = store.clone();
    let deleting = store.clone();
    Subject {
        component: crate::common::component("woocommerce"),
        upstream: emulator.base_url(),
        config: Box::new(
            move |origin| json!({"base_url": origin, "consumer_key": key, "consumer_secret": secret}),
        ),
        bad_credentials: Some(Box::new(
            |origin| json!({"base_url": origin, "consumer_key": "ck_wrong", "consumer_secret": "cs_wrong"}),
        )),
        resources: vec![
            ResourceKind::Orders,
            ResourceKind::Customers,
            ResourceKind::Products,
            ResourceKind::Variations,
        ],
        writes: vec![
            WriteKind::OrderStatus,
            WriteKind::OrderTracking,
            WriteKind::ProductStock,
            WriteKind::ProductPrice,
            WriteKind::VariationStock,
            WriteKind::VariationPrice,
        ],
        page_size: PAGE_SIZE,
        expected,
        touch: Some(Box::new(move |resource| {
            let store = touch_store.clone();
            Box::pin(async move { touch(&store, resource) })
        })),
        delete: Some(Deletion {
            victim: None,
            resource: ResourceKind::Orders,
            delete: Box::new(move |resource, id| {
                let store = deleting.clone();
                Box::pin(async move {
                    anyhow::ensure!(resource == ResourceKind::Orders, "orders are deleted here");
                    let id: u64 = id.parse()?;
                    // To the trash, as a shop manager does: the connector reports it.
                    store
                        .delete_order(id, false)
                        .map(|_| ())
                        .map_err(|e| anyhow!("{e:?}"))
                })
            }),
        }),
        missing_id: "999999999".into(),
        write_cases: write_cases(&store).expect("write cases"),
        batch_cases: batch_cases(&store).expect("batch cases"),
        writes_required: true,
        guard: Box::new(emulator),
    }
}
