//! Conformance subject: the Vendure connector against a real Vendure server (the seeded
//! shop of `tests/e2e/realsys/vendure.rs`). Expected ids, touches and write checks go to
//! Vendure's Admin API directly, never through the connector.

use std::sync::Arc;

use anyhow::{Context, ensure};
use junction::runtime::types::{
    OrderStatusChange, OrderTrackingChange, ProductPriceChange, ProductStockChange, Tracking,
    VariationPriceChange, VariationStockChange,
};
use serde_json::{Value, json};

use super::{BoxFut, Deletion, Expected, ResourceKind, Subject, WriteCase, WriteKind, WriteOp};
use crate::realsys::vendure::{self as vendure, VendureServer};

/// Small enough that every list (the poster's 24 variants included) spans pages.
const PAGE_SIZE: u32 = 10;

type Check = Arc<dyn Fn(Arc<VendureServer>) -> BoxFut<anyhow::Result<()>> + Send + Sync>;

fn verify(
    shop: &Arc<VendureServer>,
    check: Check,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    let shop = shop.clone();
    Box::new(move || check(shop.clone()))
}

fn expect_variant(variant: String, field: &'static str, want: i64) -> Check {
    Arc::new(move |shop| {
        let variant = variant.clone();
        Box::pin(async move {
            let v = shop.variant(&variant).await;
            ensure!(
                v[field] == want,
                "variant {variant} {field} is {}",
                v[field]
            );
            Ok(())
        })
    })
}

async fn write_cases(shop: &Arc<VendureServer>) -> Vec<WriteCase> {
    let settled = shop.orders_in_state("PaymentSettled").await;
    let (completed, tracked) = (settled[0].clone(), settled[1].clone());
    let (poster, _) = shop.biggest_product().await;
    let variant = shop.variant_ids(&poster).await.into_iter().next().unwrap();
    let mut single = None;
    for p in shop.product_ids().await {
        let v = shop.variant_ids(&p).await;
        if v.len() == 1 {
            single = Some((p, v.into_iter().next().unwrap()));
            break;
        }
    }
    let (product, its_variant) = single.expect("a single-variant product");
    let completed_check = completed.clone();
    let tracked_check = tracked.clone();
    vec![
        WriteCase {
            op: WriteOp::OrderStatus(OrderStatusChange {
                order_id: completed.clone(),
                status: "completed".into(),
            }),
            verify: verify(
                shop,
                Arc::new(move |shop| {
                    let id = completed_check.clone();
                    Box::pin(async move {
                        let state = shop.order(&id).await["state"].clone();
                        ensure!(state == "Delivered", "order {id} is {state}");
                        Ok(())
                    })
                }),
            ),
        },
        WriteCase {
            op: WriteOp::OrderTracking(OrderTrackingChange {
                order_id: tracked.clone(),
                tracking: Tracking {
                    number: "BE-CONFORMANCE-42".into(),
                    provider: Some("bpost".into()),
                    url: None,
                    shipped_at: None,
                },
            }),
            verify: verify(
                shop,
                Arc::new(move |shop| {
                    let id = tracked_check.clone();
                    Box::pin(async move {
                        let order = shop.order(&id).await;
                        let shipped = order["fulfillments"]
                            .as_array()
                            .context("no fulfillments")?
                            .iter()
                            .any(|f: &Value| {
                                f["trackingCode"] == "BE-CONFORMANCE-42" && f["state"] == "Shipped"
                            });
                        ensure!(shipped, "no shipped fulfillment with the code: {order}");
                        Ok(())
                    })
                }),
            ),
        },
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: product.clone(),
                quantity: 42,
            }),
            verify: verify(shop, expect_variant(its_variant.clone(), "stockOnHand", 42)),
        },
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: product,
                price: "19.99".into(),
                sale_price: None,
            }),
            verify: verify(shop, expect_variant(its_variant, "price", 1999)),
        },
        WriteCase {
            op: WriteOp::VariationStock(VariationStockChange {
                product_id: poster.clone(),
                variation_id: variant.clone(),
                quantity: 7,
            }),
            verify: verify(shop, expect_variant(variant.clone(), "stockOnHand", 7)),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: poster,
                variation_id: variant.clone(),
                price: "9.99".into(),
                sale_price: None,
            }),
            verify: verify(shop, expect_variant(variant, "price", 999)),
        },
    ]
}

/// A check that an order reached `state`.
fn expect_order_state(id: String, state: &'static str) -> Check {
    Arc::new(move |shop| {
        let id = id.clone();
        Box::pin(async move {
            let got = shop.order(&id).await["state"].clone();
            ensure!(got == state, "order {id} is {got}, not {state}");
            Ok(())
        })
    })
}

/// The batch: other orders and values than the single writes'; a stock and a price op on
/// one variant (merged into one input of the mutation), another variant's price, and the
/// stock and price of a single-variant product (another one than the single writes' when
/// the shop has one).
async fn batch_cases(shop: &Arc<VendureServer>) -> Vec<WriteCase> {
    let settled = shop.orders_in_state("PaymentSettled").await;
    let (completed, tracked) = (settled[2].clone(), settled[3].clone());
    let (poster, _) = shop.biggest_product().await;
    let variants: Vec<String> = shop.variant_ids(&poster).await.into_iter().collect();
    let (v0, v1) = (variants[0].clone(), variants[1].clone());
    let mut singles = Vec::new();
    for p in shop.product_ids().await {
        let v = shop.variant_ids(&p).await;
        if v.len() == 1 {
            singles.push((p, v.into_iter().next().unwrap()));
        }
    }
    let (product, its_variant) = singles
        .get(1)
        .or(singles.first())
        .cloned()
        .expect("a single-variant product");
    let tracked_check = tracked.clone();
    vec![
        WriteCase {
            op: WriteOp::VariationStock(VariationStockChange {
                product_id: poster.clone(),
                variation_id: v1.clone(),
                quantity: 8,
            }),
            verify: verify(shop, expect_variant(v1.clone(), "stockOnHand", 8)),
        },
        WriteCase {
            op: WriteOp::OrderStatus(OrderStatusChange {
                order_id: completed.clone(),
                status: "completed".into(),
            }),
            verify: verify(shop, expect_order_state(completed, "Delivered")),
        },
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: product.clone(),
                quantity: 43,
            }),
            verify: verify(shop, expect_variant(its_variant.clone(), "stockOnHand", 43)),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: poster.clone(),
                variation_id: v1.clone(),
                price: "10.49".into(),
                sale_price: None,
            }),
            verify: verify(shop, expect_variant(v1, "price", 1049)),
        },
        WriteCase {
            op: WriteOp::OrderTracking(OrderTrackingChange {
                order_id: tracked.clone(),
                tracking: Tracking {
                    number: "BE-BATCH-43".into(),
                    provider: Some("DHL".into()),
                    url: None,
                    shipped_at: None,
                },
            }),
            verify: verify(
                shop,
                Arc::new(move |shop| {
                    let id = tracked_check.clone();
                    Box::pin(async move {
                        let order = shop.order(&id).await;
                        let shipped = order["fulfillments"]
                            .as_array()
                            .context("no fulfillments")?
                            .iter()
                            .any(|f: &Value| {
                                f["trackingCode"] == "BE-BATCH-43" && f["state"] == "Shipped"
                            });
                        ensure!(shipped, "no shipped fulfillment with the code: {order}");
                        Ok(())
                    })
                }),
            ),
        },
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: product,
                price: "21.50".into(),
                sale_price: None,
            }),
            verify: verify(shop, expect_variant(its_variant, "price", 2150)),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: poster,
                variation_id: v0.clone(),
                price: "10.99".into(),
                sale_price: None,
            }),
            verify: verify(shop, expect_variant(v0, "price", 1099)),
        },
    ]
}

/// Changes one record upstream so that its `updatedAt` moves; returns its id. Orders: the
/// last settled one is cancelled (the write cases use the first ones).
async fn touch(shop: &VendureServer, resource: ResourceKind) -> anyhow::Result<String> {
    match resource {
        ResourceKind::Orders => {
            let id = shop
                .orders_in_state("PaymentSettled")
                .await
                .pop()
                .context("no settled order")?;
            shop.cancel_order(&id).await;
            Ok(id)
        }
        ResourceKind::Customers => {
            let id = shop
                .customer_ids()
                .await
                .pop_first()
                .context("no customer")?;
            shop.touch_customer(&id).await;
            Ok(id)
        }
        ResourceKind::Products => {
            let id = shop.product_ids().await.pop_first().context("no product")?;
            shop.touch_product(&id).await;
            Ok(id)
        }
        ResourceKind::Variations => anyhow::bail!("variations are not touched on their own"),
    }
}

pub async fn subject() -> Subject {
    let shop = Arc::new(vendure::start().await);
    let (poster, _) = shop.biggest_product().await;
    let expected = vec![
        Expected {
            resource: ResourceKind::Orders,
            parent_id: None,
            ids: shop.order_ids().await,
        },
        Expected {
            resource: ResourceKind::Customers,
            parent_id: None,
            ids: shop.customer_ids().await,
        },
        Expected {
            resource: ResourceKind::Products,
            parent_id: None,
            ids: shop.product_ids().await,
        },
        Expected {
            resource: ResourceKind::Variations,
            parent_id: Some(poster.clone()),
            ids: shop.variant_ids(&poster).await,
        },
    ];
    let write_cases = write_cases(&shop).await;
    let batch_cases = batch_cases(&shop).await;
    let touch_shop = shop.clone();
    let deleting = shop.clone();
    Subject {
        component: crate::common::component("vendure"),
        upstream: shop.base_url.clone(),
        config: Box::new(
            |origin| json!({"base_url": origin, "username": vendure::ADMIN_USER, "password": vendure::ADMIN_PASSWORD}),
        ),
        bad_credentials: Some(Box::new(
            |origin| json!({"base_url": origin, "username": vendure::ADMIN_USER, "password": "wrong"}),
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
            let shop = touch_shop.clone();
            Box::pin(async move { touch(&shop, resource).await })
        })),
        // Customers: Vendure deletes them (soft, `deletedAt`); placed orders it never deletes.
        delete: Some(Deletion {
            victim: None,
            resource: ResourceKind::Customers,
            delete: Box::new(move |resource, id| {
                let shop = deleting.clone();
                Box::pin(async move {
                    anyhow::ensure!(
                        resource == ResourceKind::Customers,
                        "customers are deleted here"
                    );
                    shop.delete_customer(&id).await;
                    Ok(())
                })
            }),
        }),
        missing_id: "999999".into(),
        write_cases,
        batch_cases,
        writes_required: true,
        guard: Box::new(shop),
    }
}
