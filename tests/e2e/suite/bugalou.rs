//! Conformance subject: the Bugalou connector against the Bugalou emulator. A dashboard
//! with seeded orders; the expected ids and the write check go to the emulator's store
//! directly, and a touch re-sends one order through the emulator's own API (its
//! `updatedAt` moves).

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::{Context, ensure};
use junction::runtime::types::{LineItem, Order, OrderUpsert};
use junction_emulators::bugalou::{BugalouConfig, BugalouStore};
use serde_json::{Value, json};

use super::{BoxFut, Expected, ResourceKind, Subject, WriteCase, WriteKind, WriteOp};

const PAGE_SIZE: u32 = 4;
const KEY: &str = "bg_live_test_key";

fn order() -> WriteOp {
    order_numbered("7001")
}

/// The upsert of order `WC-<id>` (external id `<id>`).
fn order_numbered(id: &str) -> WriteOp {
    WriteOp::UpsertOrder(OrderUpsert {
        target_id: None,
        order: Order {
            external_id: id.into(),
            order_number: Some(format!("WC-{id}")),
            status: "processing".into(),
            currency: Some("EUR".into()),
            total: "29.99".into(),
            subtotal: None,
            tax_total: None,
            shipping_total: None,
            discount_total: None,
            customer_id: None,
            customer_email: Some("klant@voorbeeld.nl".into()),
            billing: None,
            shipping: None,
            payment_status: Some("paid".into()),
            payment_method: Some("iDEAL".into()),
            line_items: vec![LineItem {
                external_id: None,
                product_id: None,
                variation_id: None,
                sku: None,
                name: "Product A".into(),
                quantity: "1".into(),
                unit_price: "29.99".into(),
                total: "29.99".into(),
                tax: None,
            }],
            tracking: vec![],
            created_at: "2025-01-02T00:00:00Z".into(),
            modified_at: "2025-01-02T00:00:00Z".into(),
            raw: "{}".into(),
        },
    })
}

fn verify_order(store: &BugalouStore) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    let store = store.clone();
    Box::new(move || {
        let store = store.clone();
        Box::pin(async move {
            let o = store
                .order("woocommerce", "WC-7001")
                .context("order WC-7001 is not in the dashboard")?;
            ensure!(o.order_status == "processing", "status {}", o.order_status);
            ensure!(o.total.as_deref() == Some("29.99"), "total {:?}", o.total);
            Ok(())
        })
    })
}

/// The batch (no batch endpoint: the SDK's default upserts one by one): two other orders.
fn batch_cases(store: &BugalouStore) -> Vec<WriteCase> {
    ["7002", "7003"]
        .into_iter()
        .map(|id| {
            let store = store.clone();
            let number = format!("WC-{id}");
            WriteCase {
                op: order_numbered(id),
                verify: Box::new(move || {
                    let store = store.clone();
                    let number = number.clone();
                    Box::pin(async move {
                        let o = store
                            .order("woocommerce", &number)
                            .with_context(|| format!("order {number} is not in the dashboard"))?;
                        ensure!(o.order_status == "processing", "status {}", o.order_status);
                        Ok(())
                    })
                }),
            }
        })
        .collect()
}

pub async fn subject() -> Subject {
    let emu = junction_emulators::bugalou::start(
        BugalouConfig {
            seed_orders: 11,
            ..BugalouConfig::default()
        },
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("Bugalou emulator");
    let store = emu.store();
    let ids: BTreeSet<String> = store.orders().into_iter().map(|o| o.id).collect();
    let origin = Arc::new(emu.base_url());
    let config = |key: &'static str| move |origin: &str| json!({"api_key": key, "platform": "woocommerce", "base_url": origin});
    Subject {
        component: crate::common::component("bugalou"),
        upstream: emu.base_url(),
        config: Box::new(config(KEY)),
        bad_credentials: Some(Box::new(config("bg_live_wrong"))),
        resources: vec![ResourceKind::Orders],
        writes: vec![WriteKind::UpsertOrder],
        page_size: PAGE_SIZE,
        expected: vec![Expected {
            resource: ResourceKind::Orders,
            parent_id: None,
            ids,
        }],
        touch: Some(Box::new(move |resource| {
            let origin = origin.clone();
            Box::pin(async move {
                ensure!(resource == ResourceKind::Orders, "Bugalou has orders only");
                let answer: Value = reqwest::Client::new()
                    .post(format!("{origin}/api/v1/orders"))
                    .header("X-API-Key", KEY)
                    .json(&json!({"platform": "woocommerce", "orderNumber": "WC-1003", "orderStatus": "delivered"}))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                answer["order"]["id"]
                    .as_str()
                    .map(str::to_owned)
                    .context("the upsert answer has no order id")
            })
        })),
        // Not yet: deleting through the system's own API in this suite.
        delete: None,
        missing_id: "ord_99999999".into(),
        write_cases: vec![WriteCase {
            op: order(),
            verify: verify_order(&store),
        }],
        batch_cases: batch_cases(&store),
        writes_required: true,
        guard: Box::new(emu),
    }
}
