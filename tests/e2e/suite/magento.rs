//! Conformance subject: the Magento connector against the Magento emulator. A small seeded
//! store; the expected ids, the touches and the write checks go to the emulator's records
//! directly, never through the connector.

use std::collections::BTreeSet;

use anyhow::{Context, ensure};
use junction::runtime::types::{
    OrderStatusChange, OrderTrackingChange, ProductPriceChange, ProductStockChange, Tracking,
    VariationPriceChange, VariationStockChange,
};
use junction_emulators::magento::{Kind, MagentoConfig, MagentoStore};
use serde_json::{Value, json};

use super::{BoxFut, Deletion, Expected, ResourceKind, Subject, WriteCase, WriteKind, WriteOp};

/// Small enough that every list (the children of one configurable included) spans pages.
const PAGE_SIZE: u32 = 2;

fn store_config() -> MagentoConfig {
    MagentoConfig {
        orders: 23,
        customers: 9,
        products: 12,
        configurable_every: 3,
        ..MagentoConfig::default()
    }
}

fn id_of(record: &Value, field: &str) -> Option<u64> {
    record[field].as_u64()
}

/// The ids of the products listed as products: everything but configurable children
/// (`visibility` 1).
fn visible_products(store: &MagentoStore) -> Vec<u64> {
    store
        .all(Kind::Products)
        .iter()
        .filter(|p| p["visibility"] != 1)
        .filter_map(|p| id_of(p, "id"))
        .collect()
}

fn simple_products(store: &MagentoStore) -> Vec<u64> {
    store
        .all(Kind::Products)
        .iter()
        .filter(|p| p["visibility"] != 1 && p["type_id"] == "simple")
        .filter_map(|p| id_of(p, "id"))
        .collect()
}

/// `(parent, children)` of the configurable products.
fn configurables(store: &MagentoStore) -> Vec<(u64, Vec<u64>)> {
    store
        .all(Kind::Products)
        .iter()
        .filter(|p| p["type_id"] == "configurable")
        .filter_map(|p| {
            let links = p["extension_attributes"]["configurable_product_links"].as_array()?;
            Some((
                id_of(p, "id")?,
                links.iter().filter_map(Value::as_u64).collect(),
            ))
        })
        .collect()
}

/// Orders a shipment can still be made for, with their status.
fn shippable_orders(store: &MagentoStore) -> Vec<(u64, String)> {
    store
        .all(Kind::Orders)
        .iter()
        .filter(|o| !matches!(o["state"].as_str(), Some("canceled" | "closed" | "holded")))
        .filter_map(|o| Some((id_of(o, "entity_id")?, o["status"].as_str()?.to_owned())))
        .collect()
}

fn ids(ids: impl IntoIterator<Item = u64>) -> BTreeSet<String> {
    ids.into_iter().map(|id| id.to_string()).collect()
}

/// A write check that runs `check` on the store.
fn verify(
    store: &MagentoStore,
    check: impl Fn(&MagentoStore) -> anyhow::Result<()> + Send + Sync + 'static,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    let store = store.clone();
    let check = std::sync::Arc::new(check);
    Box::new(move || {
        let store = store.clone();
        let check = check.clone();
        Box::pin(async move { check(&store) })
    })
}

fn order_status_is(
    store: &MagentoStore,
    order: u64,
    want: &'static str,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    verify(store, move |s| {
        let record = s.get(Kind::Orders, order).context("the order is gone")?;
        ensure!(
            record["status"] == want,
            "order {order} status is {}",
            record["status"]
        );
        Ok(())
    })
}

fn tracked(
    store: &MagentoStore,
    order: u64,
    number: &'static str,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    verify(store, move |s| {
        let shipments: Vec<Value> = s
            .all(Kind::Shipments)
            .into_iter()
            .filter(|sh| sh["order_id"] == order)
            .collect();
        ensure!(
            shipments.iter().any(|sh| sh["tracks"]
                .as_array()
                .is_some_and(|tracks| tracks.iter().any(|t| t["track_number"] == number))),
            "no shipment of order {order} tracks {number}: {shipments:?}"
        );
        Ok(())
    })
}

fn stock_is(
    store: &MagentoStore,
    product: u64,
    want: f64,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    verify(store, move |s| {
        let record = s
            .get(Kind::Products, product)
            .context("the product is gone")?;
        let qty = record["extension_attributes"]["stock_item"]["qty"].as_f64();
        ensure!(
            qty == Some(want),
            "product {product} stock is {qty:?}, not {want}"
        );
        Ok(())
    })
}

fn price_is(
    store: &MagentoStore,
    product: u64,
    want: f64,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    verify(store, move |s| {
        let record = s
            .get(Kind::Products, product)
            .context("the product is gone")?;
        let price = record["price"].as_f64();
        ensure!(
            price == Some(want),
            "product {product} price is {price:?}, not {want}"
        );
        Ok(())
    })
}

fn tracking(number: &str, provider: &str) -> Tracking {
    Tracking {
        number: number.into(),
        provider: Some(provider.into()),
        url: None,
        shipped_at: None,
    }
}

fn write_cases(store: &MagentoStore) -> anyhow::Result<Vec<WriteCase>> {
    let (order, _) = shippable_orders(store)
        .into_iter()
        .find(|(_, status)| status != "complete")
        .context("no shippable order")?;
    let simple = *simple_products(store)
        .first()
        .context("no simple product")?;
    let (parent, children) = configurables(store)
        .into_iter()
        .next()
        .context("no configurable")?;
    let child = *children
        .first()
        .context("a configurable without children")?;
    let number = "MG-CONFORMANCE-42";
    Ok(vec![
        WriteCase {
            op: WriteOp::OrderStatus(OrderStatusChange {
                order_id: order.to_string(),
                status: "complete".into(),
            }),
            verify: order_status_is(store, order, "complete"),
        },
        WriteCase {
            op: WriteOp::OrderTracking(OrderTrackingChange {
                order_id: order.to_string(),
                tracking: tracking(number, "PostNL"),
            }),
            verify: tracked(store, order, number),
        },
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: simple.to_string(),
                quantity: 42,
            }),
            verify: stock_is(store, simple, 42.0),
        },
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: simple.to_string(),
                price: "19.99".into(),
                sale_price: None,
            }),
            verify: price_is(store, simple, 19.99),
        },
        WriteCase {
            op: WriteOp::VariationStock(VariationStockChange {
                product_id: parent.to_string(),
                variation_id: child.to_string(),
                quantity: 7,
            }),
            verify: stock_is(store, child, 7.0),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: parent.to_string(),
                variation_id: child.to_string(),
                price: "9.99".into(),
                sale_price: None,
            }),
            verify: price_is(store, child, 9.99),
        },
    ])
}

/// The batch: other records or other values than the single writes'.
fn batch_cases(store: &MagentoStore) -> anyhow::Result<Vec<WriteCase>> {
    // Two orders besides the single writes' one: a shipment completes an order, so the
    // status change and the shipment go to different orders.
    let orders = shippable_orders(store);
    let single = orders
        .iter()
        .find(|(_, status)| status != "complete")
        .map(|(id, _)| *id);
    let (order, _) = orders
        .iter()
        .find(|(id, status)| Some(*id) != single && status == "pending")
        .cloned()
        .context("no pending order")?;
    let (shipped, _) = orders
        .iter()
        .find(|(id, _)| Some(*id) != single && *id != order)
        .cloned()
        .context("no third shippable order")?;
    let simple = simple_products(store);
    ensure!(simple.len() >= 3, "fewer than three simple products");
    let (a, b) = (simple[1], simple[2]);
    let (parent, children) = configurables(store)
        .into_iter()
        .find(|(_, c)| c.len() >= 2)
        .context("no configurable with two children")?;
    let (v0, v1) = (children[0], children[1]);
    let number = "MG-BATCH-43";
    Ok(vec![
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: a.to_string(),
                quantity: 43,
            }),
            verify: stock_is(store, a, 43.0),
        },
        WriteCase {
            op: WriteOp::VariationStock(VariationStockChange {
                product_id: parent.to_string(),
                variation_id: v0.to_string(),
                quantity: 8,
            }),
            verify: stock_is(store, v0, 8.0),
        },
        WriteCase {
            op: WriteOp::OrderStatus(OrderStatusChange {
                order_id: order.to_string(),
                status: "processing".into(),
            }),
            verify: order_status_is(store, order, "processing"),
        },
        WriteCase {
            op: WriteOp::OrderTracking(OrderTrackingChange {
                order_id: shipped.to_string(),
                tracking: tracking(number, "DHL"),
            }),
            verify: tracked(store, shipped, number),
        },
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: b.to_string(),
                price: "21.50".into(),
                sale_price: None,
            }),
            verify: price_is(store, b, 21.5),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: parent.to_string(),
                variation_id: v1.to_string(),
                price: "10.49".into(),
                sale_price: None,
            }),
            verify: price_is(store, v1, 10.49),
        },
    ])
}

/// Touches the first record of a resource in the store; returns its id.
fn touch(store: &MagentoStore, resource: ResourceKind) -> anyhow::Result<String> {
    let (kind, id) = match resource {
        ResourceKind::Orders => {
            let first = store
                .all(Kind::Orders)
                .into_iter()
                .next()
                .context("no order")?;
            (
                Kind::Orders,
                id_of(&first, "entity_id").context("an order without id")?,
            )
        }
        ResourceKind::Customers => {
            let first = store
                .all(Kind::Customers)
                .into_iter()
                .next()
                .context("no customer")?;
            (
                Kind::Customers,
                id_of(&first, "id").context("a customer without id")?,
            )
        }
        ResourceKind::Products => (
            Kind::Products,
            *visible_products(store).first().context("no product")?,
        ),
        ResourceKind::Variations => anyhow::bail!("variations are touched through their product"),
    };
    store.touch(kind, id).context("the record is gone")?;
    Ok(id.to_string())
}

pub async fn subject() -> Subject {
    let config = store_config();
    let emulator = junction_emulators::magento::start(config.clone(), ([127, 0, 0, 1], 0).into())
        .await
        .expect("Magento emulator");
    let store = emulator.store();
    // A configurable with more children than fit on one page.
    let (parent, children) = configurables(&store)
        .into_iter()
        .find(|(_, c)| c.len() > PAGE_SIZE as usize)
        .expect("a configurable product with 3 children");
    let expected = vec![
        Expected {
            resource: ResourceKind::Orders,
            parent_id: None,
            ids: ids(store
                .all(Kind::Orders)
                .iter()
                .filter_map(|o| id_of(o, "entity_id"))),
        },
        Expected {
            resource: ResourceKind::Customers,
            parent_id: None,
            ids: ids(store
                .all(Kind::Customers)
                .iter()
                .filter_map(|c| id_of(c, "id"))),
        },
        Expected {
            resource: ResourceKind::Products,
            parent_id: None,
            ids: ids(visible_products(&store)),
        },
        Expected {
            resource: ResourceKind::Variations,
            parent_id: Some(parent.to_string()),
            ids: ids(children),
        },
    ];
    let token = config.access_token.clone();
    let touch_store = store.clone();
    let deleting = store.clone();
    Subject {
        component: crate::common::component("magento"),
        upstream: emulator.base_url(),
        config: Box::new(move |origin| json!({"base_url": origin, "access_token": token})),
        bad_credentials: Some(Box::new(
            |origin| json!({"base_url": origin, "access_token": "wrong-token"}),
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
                    ensure!(resource == ResourceKind::Orders, "orders are deleted here");
                    let id: u64 = id.parse()?;
                    // Magento reports no deletions: the host finds this one by reconciling.
                    ensure!(store.delete(Kind::Orders, id), "order {id} was not there");
                    Ok(())
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
