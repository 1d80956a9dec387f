//! Conformance subject: the Lightspeed eCom connector against the Lightspeed emulator. A
//! small seeded shop (every third product has three variants, the others one); the expected
//! ids, the touches and the write checks go to the emulator's store directly, never through
//! the connector. The request limits are Lightspeed's three windows, widened so the suite's
//! own requests never spend them (the limits have their own tests in the emulator and the
//! connector).

use std::collections::BTreeSet;

use anyhow::{Context, ensure};
use junction::runtime::types::{
    OrderStatusChange, OrderTrackingChange, ProductPriceChange, ProductStockChange, Tracking,
    VariationPriceChange, VariationStockChange,
};
use junction_emulators::lightspeed::{LightspeedConfig, RateWindow, Record, Resource, Store};
use serde_json::{Value, json};

use super::{BoxFut, Deletion, Expected, ResourceKind, Subject, WriteCase, WriteKind, WriteOp};

/// Small enough that every list (the variants of one product included) spans pages.
const PAGE_SIZE: u32 = 2;

fn shop() -> LightspeedConfig {
    LightspeedConfig {
        orders: 23,
        customers: 9,
        products: 12,
        limits: vec![
            RateWindow::per_secs(30_000, 300),
            RateWindow::per_secs(300_000, 3_600),
            RateWindow::per_secs(1_200_000, 86_400),
        ],
        ..LightspeedConfig::default()
    }
}

fn ids(ids: impl IntoIterator<Item = u64>) -> BTreeSet<String> {
    ids.into_iter().map(|id| id.to_string()).collect()
}

/// The id inside a record's `{"resource": {"id": ...}}` link named `field`.
fn linked(record: &Record, field: &str) -> Option<u64> {
    record
        .fields
        .get(field)?
        .get("resource")?
        .get("id")?
        .as_u64()
}

/// The variants of a product, in id order.
fn variants_of(store: &Store, product: u64) -> Vec<Record> {
    store
        .all(Resource::Variants)
        .into_iter()
        .filter(|v| linked(v, "product") == Some(product))
        .collect()
}

/// Products with exactly one variant (product-level writes go to it).
fn single_variant_products(store: &Store) -> Vec<u64> {
    store
        .ids(Resource::Products)
        .into_iter()
        .filter(|p| variants_of(store, *p).len() == 1)
        .collect()
}

/// A check run on the store.
fn verify(
    store: &Store,
    check: impl Fn(&Store) -> anyhow::Result<()> + Send + Sync + 'static,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    let store = store.clone();
    let check = std::sync::Arc::new(check);
    Box::new(move || {
        let store = store.clone();
        let check = check.clone();
        Box::pin(async move { check(&store) })
    })
}

/// A check that the record's field holds `want`.
fn expect_field(
    store: &Store,
    resource: Resource,
    id: u64,
    name: &'static str,
    want: Value,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    verify(store, move |s| {
        let record = s
            .get(resource, id)
            .with_context(|| format!("{} {id} is gone", resource.singular()))?;
        let got = record.fields.get(name).cloned().unwrap_or(Value::Null);
        ensure!(
            got == want,
            "{} {id} {name} is {got}, not {want}",
            resource.singular()
        );
        Ok(())
    })
}

/// A check that the product's only variant holds `want` in `name`.
fn expect_product_variant(
    store: &Store,
    product: u64,
    name: &'static str,
    want: Value,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    verify(store, move |s| {
        let variants = variants_of(s, product);
        ensure!(
            variants.len() == 1,
            "product {product} has {} variants",
            variants.len()
        );
        let got = variants[0].fields.get(name).cloned().unwrap_or(Value::Null);
        ensure!(
            got == want,
            "product {product}'s variant {name} is {got}, not {want}"
        );
        Ok(())
    })
}

/// A check that a shipment of the order carries the tracking code.
fn expect_tracking(
    store: &Store,
    order: u64,
    code: &'static str,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    verify(store, move |s| {
        let shipments: Vec<Record> = s
            .all(Resource::Shipments)
            .into_iter()
            .filter(|r| linked(r, "order") == Some(order))
            .collect();
        ensure!(
            shipments
                .iter()
                .any(|r| r.fields.get("trackingCode") == Some(&json!(code))),
            "no shipment of order {order} has tracking code {code}: {shipments:?}"
        );
        Ok(())
    })
}

fn write_cases(store: &Store) -> anyhow::Result<Vec<WriteCase>> {
    let order = *store.ids(Resource::Orders).first().context("no order")?;
    let simple = *single_variant_products(store)
        .first()
        .context("no single-variant product")?;
    let (variable, variation) = store
        .ids(Resource::Products)
        .into_iter()
        .find_map(|p| {
            let variants = variants_of(store, p);
            (variants.len() > 1).then(|| (p, variants[0].id))
        })
        .context("no product with several variants")?;
    let tracking_number = "3SCONFORMANCE42";
    Ok(vec![
        WriteCase {
            op: WriteOp::OrderStatus(OrderStatusChange {
                order_id: order.to_string(),
                status: "completed_shipped".into(),
            }),
            verify: expect_field(
                store,
                Resource::Orders,
                order,
                "status",
                json!("completed_shipped"),
            ),
        },
        WriteCase {
            op: WriteOp::OrderTracking(OrderTrackingChange {
                order_id: order.to_string(),
                tracking: Tracking {
                    number: tracking_number.into(),
                    provider: Some("PostNL".into()),
                    url: None,
                    shipped_at: None,
                },
            }),
            verify: expect_tracking(store, order, tracking_number),
        },
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: simple.to_string(),
                quantity: 42,
            }),
            verify: expect_product_variant(store, simple, "stockLevel", json!(42)),
        },
        // A sale: the sale price is the current price, the regular one the "was" price.
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: simple.to_string(),
                price: "19.99".into(),
                sale_price: Some("17.50".into()),
            }),
            verify: verify(store, move |s| {
                let variants = variants_of(s, simple);
                let v = variants.first().context("the product has no variant")?;
                ensure!(
                    v.fields["priceExcl"] == json!(17.5)
                        && v.fields["oldPriceExcl"] == json!(19.99),
                    "product {simple}'s variant prices are {} / {}",
                    v.fields["priceExcl"],
                    v.fields["oldPriceExcl"]
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
            verify: expect_field(store, Resource::Variants, variation, "stockLevel", json!(7)),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: variable.to_string(),
                variation_id: variation.to_string(),
                price: "9.99".into(),
                sale_price: None,
            }),
            verify: expect_field(
                store,
                Resource::Variants,
                variation,
                "priceExcl",
                json!(9.99),
            ),
        },
    ])
}

/// The batch: other records or other values than the single writes'.
fn batch_cases(store: &Store) -> anyhow::Result<Vec<WriteCase>> {
    let order = *store
        .ids(Resource::Orders)
        .get(1)
        .context("no second order")?;
    let simple = single_variant_products(store);
    ensure!(
        simple.len() >= 3,
        "fewer than three single-variant products"
    );
    let (a, b) = (simple[1], simple[2]);
    let (variable, variants) = store
        .ids(Resource::Products)
        .into_iter()
        .find_map(|p| {
            let variants = variants_of(store, p);
            (variants.len() >= 2).then_some((p, variants))
        })
        .context("no product with two variants")?;
    let (v0, v1) = (variants[0].id, variants[1].id);
    let tracking_number = "3SBATCH43";
    Ok(vec![
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: a.to_string(),
                quantity: 43,
            }),
            verify: expect_product_variant(store, a, "stockLevel", json!(43)),
        },
        WriteCase {
            op: WriteOp::VariationStock(VariationStockChange {
                product_id: variable.to_string(),
                variation_id: v0.to_string(),
                quantity: 8,
            }),
            verify: expect_field(store, Resource::Variants, v0, "stockLevel", json!(8)),
        },
        WriteCase {
            op: WriteOp::OrderStatus(OrderStatusChange {
                order_id: order.to_string(),
                status: "on_hold".into(),
            }),
            verify: expect_field(store, Resource::Orders, order, "status", json!("on_hold")),
        },
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: b.to_string(),
                quantity: 44,
            }),
            verify: expect_product_variant(store, b, "stockLevel", json!(44)),
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
            verify: expect_tracking(store, order, tracking_number),
        },
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: b.to_string(),
                price: "21.50".into(),
                sale_price: None,
            }),
            verify: expect_product_variant(store, b, "priceExcl", json!(21.5)),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: variable.to_string(),
                variation_id: v1.to_string(),
                price: "10.49".into(),
                sale_price: None,
            }),
            verify: expect_field(store, Resource::Variants, v1, "priceExcl", json!(10.49)),
        },
        WriteCase {
            op: WriteOp::VariationPrice(VariationPriceChange {
                product_id: variable.to_string(),
                variation_id: v0.to_string(),
                price: "10.99".into(),
                sale_price: None,
            }),
            verify: expect_field(store, Resource::Variants, v0, "priceExcl", json!(10.99)),
        },
    ])
}

/// Touches the first record of a resource in the store; returns its id.
fn touch(store: &Store, resource: ResourceKind) -> anyhow::Result<String> {
    let resource = match resource {
        ResourceKind::Orders => Resource::Orders,
        ResourceKind::Customers => Resource::Customers,
        ResourceKind::Products => Resource::Products,
        ResourceKind::Variations => Resource::Variants,
    };
    let id = *store
        .ids(resource)
        .first()
        .with_context(|| format!("no {}", resource.singular()))?;
    store
        .touch(resource, id)
        .with_context(|| format!("{} {id} is gone", resource.singular()))?;
    Ok(id.to_string())
}

pub async fn subject() -> Subject {
    let config = shop();
    let emulator =
        junction_emulators::lightspeed::start(config.clone(), ([127, 0, 0, 1], 0).into())
            .await
            .expect("Lightspeed emulator");
    let store = emulator.store();
    // A product with more variants than fit on one page.
    let variable = store
        .ids(Resource::Products)
        .into_iter()
        .find(|p| variants_of(&store, *p).len() > PAGE_SIZE as usize)
        .expect("a product with 3 or more variants");
    let expected = vec![
        Expected {
            resource: ResourceKind::Orders,
            parent_id: None,
            ids: ids(store.ids(Resource::Orders)),
        },
        Expected {
            resource: ResourceKind::Customers,
            parent_id: None,
            ids: ids(store.ids(Resource::Customers)),
        },
        Expected {
            resource: ResourceKind::Products,
            parent_id: None,
            ids: ids(store.ids(Resource::Products)),
        },
        Expected {
            resource: ResourceKind::Variations,
            parent_id: Some(variable.to_string()),
            ids: ids(variants_of(&store, variable).into_iter().map(|v| v.id)),
        },
    ];
    let (key, secret, language) = (
        config.api_key.clone(),
        config.api_secret.clone(),
        config.language.clone(),
    );
    let bad_language = language.clone();
    let touch_store = store.clone();
    let deleting = store.clone();
    Subject {
        component: crate::common::component("lightspeed"),
        upstream: emulator.base_url(),
        config: Box::new(
            move |origin| json!({"base_url": origin, "language": language, "api_key": key, "api_secret": secret}),
        ),
        bad_credentials: Some(Box::new(
            move |origin| json!({"base_url": origin, "language": bad_language, "api_key": "wrong", "api_secret": "wrong"}),
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
        // Lightspeed forgets a deleted order: the host finds it by reconciliation.
        delete: Some(Deletion {
            victim: None,
            resource: ResourceKind::Orders,
            delete: Box::new(move |resource, id| {
                let store = deleting.clone();
                Box::pin(async move {
                    ensure!(resource == ResourceKind::Orders, "orders are deleted here");
                    let id: u64 = id.parse()?;
                    ensure!(
                        store.delete(Resource::Orders, id),
                        "order {id} did not exist"
                    );
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
