//! Conformance subject: the Tryton connector against a real trytond (the seeded template of
//! `tests/e2e/realsys/tryton.rs`). Expected ids, touches and write checks go to Tryton's
//! JSON-RPC directly, never through the connector.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::ensure;
use junction::runtime::types::{
    Address, LineItem, Order, OrderUpsert, ProductPriceChange, ProductStockChange,
};
use serde_json::json;

use super::{BoxFut, Deletion, Expected, ResourceKind, Subject, WriteCase, WriteKind, WriteOp};
use crate::realsys::tryton::{self as tryton, TrytonServer};

/// Every seeded list (23 sales, 27 products, 35 parties) spans pages.
const PAGE_SIZE: u32 = 10;

/// The reference the upserted order gets (the source order's id).
const UPSERTED: &str = "CONFORMANCE-1";
/// The reference of the order the batch upserts.
const BATCH_UPSERTED: &str = "CONFORMANCE-BATCH-1";

type Check = Arc<dyn Fn(Arc<TrytonServer>) -> BoxFut<anyhow::Result<()>> + Send + Sync>;

fn verify(
    erp: &Arc<TrytonServer>,
    check: Check,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    let erp = erp.clone();
    Box::new(move || check(erp.clone()))
}

fn strings(ids: Vec<i64>) -> BTreeSet<String> {
    ids.into_iter().map(|id| id.to_string()).collect()
}

fn order_to_upsert(reference: &str) -> Order {
    Order {
        external_id: reference.into(),
        order_number: Some("#1".into()),
        status: "processing".into(),
        currency: Some("EUR".into()),
        total: "23.00".into(),
        subtotal: None,
        tax_total: None,
        shipping_total: None,
        discount_total: None,
        customer_id: None,
        customer_email: Some("conformance@example.com".into()),
        billing: Some(Address {
            first_name: Some("Con".into()),
            last_name: Some("Formance".into()),
            company: None,
            line1: Some("1 Test Street".into()),
            line2: None,
            city: Some("Leuven".into()),
            region: None,
            postcode: Some("3000".into()),
            country: Some("BE".into()),
            email: None,
            phone: None,
        }),
        shipping: None,
        payment_status: None,
        payment_method: None,
        line_items: vec![LineItem {
            external_id: None,
            product_id: None,
            variation_id: None,
            sku: Some("SEED-002".into()),
            name: "Seed product 02".into(),
            quantity: "2".into(),
            unit_price: "11.50".into(),
            total: "23.00".into(),
            tax: None,
        }],
        tracking: vec![],
        created_at: "2026-11-01T10:00:00Z".into(),
        modified_at: "2026-11-01T10:00:00Z".into(),
        raw: "{}".into(),
    }
}

async fn write_cases(erp: &Arc<TrytonServer>) -> Vec<WriteCase> {
    let products = erp.ids("product.product").await;
    let (stocked, priced) = (products[5], products[6]);
    vec![
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: stocked.to_string(),
                quantity: 42,
            }),
            verify: verify(
                erp,
                Arc::new(move |erp| {
                    Box::pin(async move {
                        let quantity = erp.product_quantity(stocked).await;
                        ensure!(quantity == 42.0, "product {stocked} quantity is {quantity}");
                        Ok(())
                    })
                }),
            ),
        },
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: priced.to_string(),
                price: "19.99".into(),
                sale_price: None,
            }),
            verify: verify(
                erp,
                Arc::new(move |erp| {
                    Box::pin(async move {
                        let price = erp.product_price(priced).await;
                        ensure!(price == "19.99", "product {priced} list price is {price}");
                        Ok(())
                    })
                }),
            ),
        },
        WriteCase {
            op: WriteOp::UpsertOrder(OrderUpsert {
                target_id: None,
                order: order_to_upsert(UPSERTED),
            }),
            verify: verify(
                erp,
                Arc::new(|erp| {
                    Box::pin(async move {
                        let sales = erp.sales_with_reference(UPSERTED).await;
                        ensure!(
                            sales.len() == 1,
                            "sales with reference {UPSERTED}: {sales:?}"
                        );
                        let sale = erp.sale(sales[0]).await;
                        let line = &sale["lines"][0];
                        ensure!(
                            line["product."]["code"] == "SEED-002" && line["quantity"] == 2.0,
                            "upserted sale lines: {}",
                            sale["lines"]
                        );
                        ensure!(
                            sale["sale"]["party."]["email"] == "conformance@example.com",
                            "upserted sale party: {}",
                            sale["sale"]
                        );
                        Ok(())
                    })
                }),
            ),
        },
    ]
}

/// The batch (Tryton has no batch endpoint: the SDK's default writes one by one): other
/// products and another order than the single writes'.
async fn batch_cases(erp: &Arc<TrytonServer>) -> Vec<WriteCase> {
    let products = erp.ids("product.product").await;
    let (stocked, priced) = (products[7], products[8]);
    vec![
        WriteCase {
            op: WriteOp::ProductStock(ProductStockChange {
                product_id: stocked.to_string(),
                quantity: 43,
            }),
            verify: verify(
                erp,
                Arc::new(move |erp| {
                    Box::pin(async move {
                        let quantity = erp.product_quantity(stocked).await;
                        ensure!(quantity == 43.0, "product {stocked} quantity is {quantity}");
                        Ok(())
                    })
                }),
            ),
        },
        WriteCase {
            op: WriteOp::UpsertOrder(OrderUpsert {
                target_id: None,
                order: order_to_upsert(BATCH_UPSERTED),
            }),
            verify: verify(
                erp,
                Arc::new(|erp| {
                    Box::pin(async move {
                        let sales = erp.sales_with_reference(BATCH_UPSERTED).await;
                        ensure!(
                            sales.len() == 1,
                            "sales with reference {BATCH_UPSERTED}: {sales:?}"
                        );
                        Ok(())
                    })
                }),
            ),
        },
        WriteCase {
            op: WriteOp::ProductPrice(ProductPriceChange {
                product_id: priced.to_string(),
                price: "21.99".into(),
                sale_price: None,
            }),
            verify: verify(
                erp,
                Arc::new(move |erp| {
                    Box::pin(async move {
                        let price = erp.product_price(priced).await;
                        ensure!(price == "21.99", "product {priced} list price is {price}");
                        Ok(())
                    })
                }),
            ),
        },
    ]
}

/// Changes one record upstream so its modification time moves; returns its id. Orders: a
/// draft sale's description (Tryton freezes it once quoted); products: the template's name
/// (a template change counts as the product's).
async fn touch(erp: &TrytonServer, resource: ResourceKind) -> anyhow::Result<String> {
    match resource {
        ResourceKind::Orders => {
            let drafts = erp
                .call(
                    "sale.sale.search",
                    json!([[["state", "=", "draft"]], 0, null, [["id", "DESC"]]]),
                )
                .await;
            let id = drafts[0]
                .as_i64()
                .ok_or_else(|| anyhow::anyhow!("no draft sale"))?;
            erp.write("sale.sale", &[id], json!({"description": "touched"}))
                .await;
            Ok(id.to_string())
        }
        ResourceKind::Customers => {
            let id = erp.ids("party.party").await[1];
            erp.write("party.party", &[id], json!({"name": "Touched party"}))
                .await;
            Ok(id.to_string())
        }
        ResourceKind::Products => {
            let id = erp.ids("product.product").await[0];
            let template = erp.read("product.product", id, &["template"]).await["template"]
                .as_i64()
                .ok_or_else(|| anyhow::anyhow!("product {id} has no template"))?;
            erp.write(
                "product.template",
                &[template],
                json!({"name": "Touched product"}),
            )
            .await;
            Ok(id.to_string())
        }
        ResourceKind::Variations => anyhow::bail!("Tryton has no variations"),
    }
}

pub async fn subject() -> Subject {
    let erp = Arc::new(tryton::start().await);
    let expected = vec![
        Expected {
            resource: ResourceKind::Orders,
            parent_id: None,
            ids: strings(erp.ids("sale.sale").await),
        },
        Expected {
            resource: ResourceKind::Customers,
            parent_id: None,
            ids: strings(erp.ids("party.party").await),
        },
        Expected {
            resource: ResourceKind::Products,
            parent_id: None,
            ids: strings(erp.ids("product.product").await),
        },
    ];
    let write_cases = write_cases(&erp).await;
    let batch_cases = batch_cases(&erp).await;
    let touch_erp = erp.clone();
    let (creating, deleting) = (erp.clone(), erp.clone());
    Subject {
        component: crate::common::component("tryton"),
        upstream: erp.base_url.clone(),
        config: Box::new(|origin| {
            json!({"base_url": origin, "database": tryton::DATABASE,
                   "user": tryton::USER, "password": tryton::PASSWORD})
        }),
        bad_credentials: Some(Box::new(|origin| {
            json!({"base_url": origin, "database": tryton::DATABASE,
                   "user": tryton::USER, "password": "wrong"})
        })),
        resources: vec![
            ResourceKind::Orders,
            ResourceKind::Customers,
            ResourceKind::Products,
        ],
        writes: vec![
            WriteKind::UpsertOrder,
            WriteKind::ProductStock,
            WriteKind::ProductPrice,
        ],
        page_size: PAGE_SIZE,
        expected,
        touch: Some(Box::new(move |resource| {
            let erp = touch_erp.clone();
            Box::pin(async move { touch(&erp, resource).await })
        })),
        // A party nothing refers to (Tryton refuses to delete one with sales).
        delete: Some(Deletion {
            resource: ResourceKind::Customers,
            victim: Some(Box::new(move || {
                let erp = creating.clone();
                Box::pin(async move { Ok(erp.create_party("Party to delete").await.to_string()) })
            })),
            delete: Box::new(move |resource, id| {
                let erp = deleting.clone();
                Box::pin(async move {
                    anyhow::ensure!(
                        resource == ResourceKind::Customers,
                        "parties are deleted here"
                    );
                    let id: i64 = id.parse()?;
                    erp.call("party.party.delete", json!([[id]])).await;
                    Ok(())
                })
            }),
        }),
        missing_id: "999999".into(),
        write_cases,
        batch_cases,
        writes_required: true,
        guard: Box::new(erp),
    }
}
