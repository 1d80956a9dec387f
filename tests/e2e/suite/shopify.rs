//! Conformance subject: the Shopify connector against the Shopify emulator (GraphQL Admin
//! API 2026-07). A small seeded shop; the expected ids, the touches, the deletion and the
//! write checks go to the emulator's store directly, never through the connector.
//!
//! Shopify has no single order status: the status writes used are ones it can map
//! (`completed` fulfils and closes, `cancelled` cancels), and tracking goes to an order
//! that still has something to fulfil (Shopify attaches tracking when fulfilling).

use std::collections::BTreeSet;

use anyhow::{Context, ensure};
use junction::runtime::types::{
    OrderStatusChange, OrderTrackingChange, ProductPriceChange, ProductStockChange, Tracking,
    VariationPriceChange, VariationStockChange,
};
use junction_emulators::shopify::{BucketConfig, ShopifyConfig, ShopifyStore, Variant};
use serde_json::json;

use super::{BoxFut, Deletion, Expected, ResourceKind, Subject, WriteCase, WriteKind, WriteOp};

/// Small enough that every list (variations of one product included) spans pages.
const PAGE_SIZE: u32 = 2;

/// A Shopify Plus shop (1000 points restored per second): the suite calls the runtime
/// without the host's retries, so a `THROTTLED` answer in one of its bursts would fail a
/// check that is not about throttling (the emulator's tests and the connector's `cost`
/// tests cover that).
fn shop() -> ShopifyConfig {
    ShopifyConfig {
        orders: 23,
        customers: 9,
        products: 12,
        variable_every: 3,
        bucket: BucketConfig {
            maximum: 10_000.0,
            restore_rate: 1000.0,
        },
        ..ShopifyConfig::default()
    }
}

fn ids(ids: impl IntoIterator<Item = u64>) -> BTreeSet<String> {
    ids.into_iter().map(|id| id.to_string()).collect()
}

/// A write check that runs `check` on the store.
fn verify(
    store: &ShopifyStore,
    check: impl Fn(&ShopifyStore) -> anyhow::Result<()> + Send + Sync + 'static,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    let store = store.clone();
    let check = std::sync::Arc::new(check);
    Box::new(move || {
        let store = store.clone();
        let check = check.clone();
        Box::pin(async move { check(&store) })
    })
}

/// Orders that are open, not cancelled, with a fulfillment order left to fulfil.
fn open_orders(store: &ShopifyStore) -> Vec<u64> {
    store
        .order_ids()
        .into_iter()
        .filter(|id| {
            store.order(*id).is_some_and(|o| {
                o.closed_at.is_none()
                    && o.cancelled_at.is_none()
                    && o.fulfillment_orders.iter().any(|f| f.status == "OPEN")
            })
        })
        .collect()
}

/// Single-variant products (product-level stock and price apply to them).
fn simple_products(store: &ShopifyStore) -> Vec<u64> {
    store
        .product_ids()
        .into_iter()
        .filter(|p| store.variant_ids(*p).is_some_and(|v| v.len() == 1))
        .collect()
}

/// A product with at least two variants, and its variants.
fn variable_product(store: &ShopifyStore) -> anyhow::Result<(u64, Vec<u64>)> {
    store
        .product_ids()
        .into_iter()
        .find_map(|p| Some((p, store.variant_ids(p).filter(|v| v.len() >= 2)?)))
        .context("no product with two variants")
}

fn only_variant(store: &ShopifyStore, product: u64) -> anyhow::Result<Variant> {
    let id = *store
        .variant_ids(product)
        .context("the product is gone")?
        .first()
        .context("the product has no variant")?;
    store.variant(id).context("the variant is gone")
}

/// Cents as Shopify's decimal text.
fn cents(c: i64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

/// `(regular, sale)` prices of a variant: a compare-at price above the price is a sale.
fn regular_and_sale(v: &Variant) -> (String, Option<String>) {
    match v.compare_at_price {
        Some(c) if c > v.price => (cents(c), Some(cents(v.price))),
        _ => (cents(v.price), None),
    }
}

fn expect_stock(
    store: &ShopifyStore,
    variant: impl Fn(&ShopifyStore) -> anyhow::Result<Variant> + Send + Sync + 'static,
    location: u64,
    want: i64,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    verify(store, move |s| {
        let v = variant(s)?;
        let have = v.available.get(&location).copied();
        ensure!(
            have == Some(want),
            "variant {} stock at {location} is {have:?}, not {want}",
            v.id
        );
        Ok(())
    })
}

fn expect_regular(
    store: &ShopifyStore,
    variant: impl Fn(&ShopifyStore) -> anyhow::Result<Variant> + Send + Sync + 'static,
    want: &'static str,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    verify(store, move |s| {
        let v = variant(s)?;
        let (regular, _) = regular_and_sale(&v);
        ensure!(
            regular == want,
            "variant {} regular price is {regular}, not {want}",
            v.id
        );
        Ok(())
    })
}

fn expect_tracking(
    store: &ShopifyStore,
    order: u64,
    number: &'static str,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    verify(store, move |s| {
        let o = s.order(order).context("the order is gone")?;
        ensure!(
            o.fulfillments
                .iter()
                .any(|f| f.tracking.iter().any(|t| t.number == number)),
            "no fulfillment of order {order} carries {number}: {:?}",
            o.fulfillments
        );
        Ok(())
    })
}

fn write_cases(store: &ShopifyStore, location: u64) -> anyhow::Result<Vec<WriteCase>> {
    let open = open_orders(store);
    ensure!(open.len() >= 4, "fewer than four open orders");
    let (completed, tracked) = (open[0], open[1]);
    let simple = *simple_products(store)
        .first()
        .context("no simple product")?;
    let (variable, variations) = variable_product(store)?;
    let variation = variations[0];
    let tracking_number = "BE-CONFORMANCE-42";
    Ok(vec![
        WriteCase {
            op: WriteOp::OrderStatus(OrderStatusChange {
                order_id: completed.to_string(),
                status: "completed".into(),
            }),
            verify: verify(store, move |s| {
                let o = s.order(completed).context("the order is gone")?;
                ensure!(
                    o.closed_at.is_some() && o.fulfillment_status() == "FULFILLED",
                    "order {completed} is not fulfilled and closed: {} / {:?}",
                    o.fulfillment_status(),
                    o.closed_at
                );
                Ok(())
            }),
        },
        WriteCase {
            op: WriteOp::OrderTracking(OrderTrackingChange {
                order_id: tracked.to_string(),
                tracking: Tracking {
                    number: tracking_number.into(),
                    provider: Some("bpost".into()),
                    url: None,
                    shipped_at: None,
                },
            }),
            verify: expect_tracking(store, tracked, tracking_number),
        },
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: simple.to_string(),
                quantity: 42,
            }),
            verify: expect_stock(store, move |s| only_variant(s, simple), location, 42),
        },
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: simple.to_string(),
                price: "19.99".into(),
                sale_price: Some("17.50".into()),
            }),
            verify: verify(store, move |s| {
                let v = only_variant(s, simple)?;
                let prices = regular_and_sale(&v);
                ensure!(
                    prices == ("19.99".to_owned(), Some("17.50".to_owned())),
                    "product {simple} prices are {prices:?}"
                );
                Ok(())
            }),
        },
        // A regular price alone leaves the running sale as it is.
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: simple.to_string(),
                price: "25.00".into(),
                sale_price: None,
            }),
            verify: verify(store, move |s| {
                let v = only_variant(s, simple)?;
                let prices = regular_and_sale(&v);
                ensure!(
                    prices == ("25.00".to_owned(), Some("17.50".to_owned())),
                    "a price write changed the sale: product {simple} prices are {prices:?}"
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
            verify: expect_stock(
                store,
                move |s| s.variant(variation).context("the variation is gone"),
                location,
                7,
            ),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: variable.to_string(),
                variation_id: variation.to_string(),
                price: "9.99".into(),
                sale_price: None,
            }),
            verify: verify(store, move |s| {
                let v = s.variant(variation).context("the variation is gone")?;
                // 9.99 is the regular price; a running sale at or above it has ended.
                let (regular, _) = regular_and_sale(&v);
                ensure!(
                    regular == "9.99" || cents(v.price) == "9.99",
                    "variation {variation} prices are {} / {:?}",
                    cents(v.price),
                    v.compare_at_price
                );
                Ok(())
            }),
        },
    ])
}

/// The batch: other records or other values than the single writes'.
fn batch_cases(store: &ShopifyStore, location: u64) -> anyhow::Result<Vec<WriteCase>> {
    let open = open_orders(store);
    ensure!(open.len() >= 4, "fewer than four open orders");
    let (cancelled, tracked) = (open[2], open[3]);
    let simple = simple_products(store);
    ensure!(simple.len() >= 3, "fewer than three simple products");
    let (a, b) = (simple[1], simple[2]);
    let (variable, variations) = variable_product(store)?;
    let (v0, v1) = (variations[0], variations[1]);
    let tracking_number = "BE-BATCH-43";
    Ok(vec![
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: a.to_string(),
                quantity: 43,
            }),
            verify: expect_stock(store, move |s| only_variant(s, a), location, 43),
        },
        WriteCase {
            op: WriteOp::VariationStock(VariationStockChange {
                product_id: variable.to_string(),
                variation_id: v0.to_string(),
                quantity: 8,
            }),
            verify: expect_stock(
                store,
                move |s| s.variant(v0).context("the variation is gone"),
                location,
                8,
            ),
        },
        WriteCase {
            op: WriteOp::OrderStatus(OrderStatusChange {
                order_id: cancelled.to_string(),
                status: "cancelled".into(),
            }),
            verify: verify(store, move |s| {
                let o = s.order(cancelled).context("the order is gone")?;
                ensure!(
                    o.cancelled_at.is_some(),
                    "order {cancelled} is not cancelled"
                );
                Ok(())
            }),
        },
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: b.to_string(),
                quantity: 44,
            }),
            verify: expect_stock(store, move |s| only_variant(s, b), location, 44),
        },
        WriteCase {
            op: WriteOp::OrderTracking(OrderTrackingChange {
                order_id: tracked.to_string(),
                tracking: Tracking {
                    number: tracking_number.into(),
                    provider: Some("DHL".into()),
                    url: None,
                    shipped_at: None,
                },
            }),
            verify: expect_tracking(store, tracked, tracking_number),
        },
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: b.to_string(),
                price: "21.50".into(),
                sale_price: Some("20.00".into()),
            }),
            verify: expect_regular(store, move |s| only_variant(s, b), "21.50"),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: variable.to_string(),
                variation_id: v1.to_string(),
                price: "10.49".into(),
                sale_price: Some("10.00".into()),
            }),
            verify: expect_regular(
                store,
                move |s| s.variant(v1).context("the variation is gone"),
                "10.49",
            ),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: variable.to_string(),
                variation_id: v0.to_string(),
                price: "10.99".into(),
                sale_price: Some("9.00".into()),
            }),
            verify: expect_regular(
                store,
                move |s| s.variant(v0).context("the variation is gone"),
                "10.99",
            ),
        },
    ])
}

/// Touches the first record of a resource in the store; returns its id.
fn touch(store: &ShopifyStore, resource: ResourceKind) -> anyhow::Result<String> {
    let (id, touched) = match resource {
        ResourceKind::Orders => {
            let id = *store.order_ids().first().context("no order")?;
            (id, store.touch_order(id))
        }
        ResourceKind::Customers => {
            let id = *store.customer_ids().first().context("no customer")?;
            (id, store.touch_customer(id))
        }
        ResourceKind::Products => {
            let id = *store.product_ids().first().context("no product")?;
            (id, store.touch_product(id))
        }
        ResourceKind::Variations => anyhow::bail!("variations are touched through their product"),
    };
    ensure!(touched, "record {id} vanished before it was touched");
    Ok(id.to_string())
}

pub async fn subject() -> Subject {
    let emulator = junction_emulators::shopify::start(shop(), ([127, 0, 0, 1], 0).into())
        .await
        .expect("Shopify emulator");
    let store = emulator.store();
    let location = store.locations().first().expect("a location").id;
    // A product with more variants than fit on one page.
    let variable = store
        .product_ids()
        .into_iter()
        .find(|p| {
            store
                .variant_ids(*p)
                .is_some_and(|v| v.len() > PAGE_SIZE as usize)
        })
        .expect("a product with 3 or more variants");
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
            ids: ids(store.variant_ids(variable).unwrap_or_default()),
        },
    ];
    let token = emulator.config().access_token.clone();
    let touch_store = store.clone();
    let deleting = store.clone();
    Subject {
        component: crate::common::component("shopify"),
        upstream: emulator.base_url(),
        config: Box::new(
            move |origin| json!({"shop_url": origin, "access_token": token, "location_id": location.to_string()}),
        ),
        bad_credentials: Some(Box::new(
            |origin| json!({"shop_url": origin, "access_token": "shpat_wrong"}),
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
        // Shopify deletes for good and reports nothing: the host reconciles.
        delete: Some(Deletion {
            victim: None,
            resource: ResourceKind::Orders,
            delete: Box::new(move |resource, id| {
                let store = deleting.clone();
                Box::pin(async move {
                    ensure!(resource == ResourceKind::Orders, "orders are deleted here");
                    let id: u64 = id.parse()?;
                    ensure!(store.delete_order(id), "order {id} was not there to delete");
                    Ok(())
                })
            }),
        }),
        missing_id: "999999999".into(),
        write_cases: write_cases(&store, location).expect("write cases"),
        batch_cases: batch_cases(&store, location).expect("batch cases"),
        writes_required: true,
        guard: Box::new(emulator),
    }
}
