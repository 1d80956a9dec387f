//! `LoadedConnector::write_batch` on real components: one outcome per op in the order of the
//! ops; ops the manifest does not list answered `unsupported` by the host without reaching
//! the guest; a guest answering the wrong number of outcomes caught as a connector bug; and
//! the WooCommerce connector's batch endpoints against the emulator (few requests for many
//! ops, per-op errors, nothing sent after a 429, bad credentials failing the whole call).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;

use junction::runtime::types::{
    ConnectorError, CustomerUpsert, Entity, OrderStatusChange, OrderTrackingChange,
    ProductPriceChange, ProductStockChange, Tracking, VariationPriceChange, VariationStockChange,
    WriteOp, WriteOutcome,
};
use junction::runtime::{CallError, CallOptions, LoadedConnector};
use junction_emulators::{Fault, FaultKind, WooConfig, WooEmulator};
use serde_json::json;

async fn load(name: &str) -> Arc<LoadedConnector> {
    let runtime = common::runtime(common::test_limits());
    LoadedConnector::load_file(&runtime, &common::component(name))
        .await
        .unwrap()
}

fn stock(product: &str, quantity: i64) -> WriteOp {
    WriteOp::ProductStock(ProductStockChange {
        product_id: product.into(),
        quantity,
    })
}

fn order_status(order: u64, status: &str) -> WriteOp {
    WriteOp::OrderStatus(OrderStatusChange {
        order_id: order.to_string(),
        status: status.into(),
    })
}

fn upsert_customer() -> WriteOp {
    WriteOp::UpsertCustomer(CustomerUpsert {
        target_id: None,
        customer: junction::runtime::types::Customer {
            external_id: "c-1".into(),
            email: Some("someone@example.com".into()),
            first_name: None,
            last_name: None,
            company: None,
            phone: None,
            billing: None,
            shipping: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            modified_at: "2026-01-01T00:00:00Z".into(),
            raw: "{}".into(),
        },
    })
}

fn outcome(result: &Result<WriteOutcome, ConnectorError>) -> &WriteOutcome {
    result
        .as_ref()
        .unwrap_or_else(|e| panic!("op failed: {}", e.describe()))
}

fn host_refusal(result: &Result<WriteOutcome, ConnectorError>, connector: &str, kind: &str) {
    let wanted = format!("connector `{connector}` does not support the `{kind}` write");
    assert!(
        matches!(result, Err(ConnectorError::Unsupported(m)) if *m == wanted),
        "expected the host's refusal `{wanted}`, got {result:?}"
    );
}

#[tokio::test]
async fn ops_the_manifest_does_not_list_never_reach_the_guest() {
    // `minimal` lists no writes: the host answers every op itself and calls nothing (the
    // guest's own answer would be "minimal writes nothing").
    let minimal = load("minimal").await;
    let options = minimal.prepare(&json!({})).unwrap();
    let result = minimal
        .write_batch(&options, vec![stock("1", 1), upsert_customer()])
        .await;
    let outcomes = result.value.unwrap();
    assert_eq!(outcomes.len(), 2);
    host_refusal(&outcomes[0], "minimal", "product-stock");
    host_refusal(&outcomes[1], "minimal", "upsert-customer");
    assert_eq!(result.requests, 0);
    assert!(result.logs.is_empty());

    // Nothing to do is an empty answer, not a call.
    let empty = minimal.write_batch(&options, Vec::new()).await;
    assert!(empty.value.unwrap().is_empty());

    // `misbehave` lists product-stock only: listed ops reach the guest in their order, the
    // others are refused in their places.
    let misbehave = load("misbehave").await;
    let options = misbehave.prepare(&json!({"mode": "ok"})).unwrap();
    let outcomes = misbehave
        .write_batch(
            &options,
            vec![
                stock("7", 1),
                order_status(3, "completed"),
                stock("8", 2),
                upsert_customer(),
            ],
        )
        .await
        .value
        .unwrap();
    assert_eq!(outcomes.len(), 4);
    assert_eq!(outcome(&outcomes[0]).external_id, "7");
    host_refusal(&outcomes[1], "misbehave", "order-status");
    assert_eq!(outcome(&outcomes[2]).external_id, "8");
    host_refusal(&outcomes[3], "misbehave", "upsert-customer");
}

#[tokio::test]
async fn an_answer_with_the_wrong_number_of_outcomes_is_a_connector_bug() {
    let misbehave = load("misbehave").await;
    let options = misbehave.prepare(&json!({"mode": "short-batch"})).unwrap();
    let result = misbehave
        .write_batch(&options, vec![stock("1", 1), stock("2", 2)])
        .await
        .value;
    match result {
        Err(CallError::Connector(ConnectorError::Internal(message))) => {
            assert!(
                message.contains("connector `misbehave` broke the contract")
                    && message.contains("sent 2 op(s)")
                    && message.contains("answered with 1 outcome(s)"),
                "{message}"
            );
        }
        other => panic!("expected a connector-bug error, got {other:?}"),
    }
}

struct Shop {
    shop: WooEmulator,
    connector: Arc<LoadedConnector>,
    options: CallOptions,
}

async fn shop() -> Shop {
    let config = WooConfig {
        orders: 30,
        customers: 5,
        products: 20,
        variable_every: 3,
        ..WooConfig::default()
    };
    let shop = junction_emulators::start(config.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let connector = load("woocommerce").await;
    let options = connector
        .prepare(&json!({
            "base_url": shop.base_url(),
            "consumer_key": config.consumer_key,
            "consumer_secret": config.consumer_secret,
        }))
        .unwrap();
    Shop {
        shop,
        connector,
        options,
    }
}

#[tokio::test]
async fn woocommerce_sends_one_request_per_batch_endpoint() {
    let s = shop().await;
    let store = s.shop.store();
    let simple: Vec<u64> = store
        .product_ids()
        .into_iter()
        .filter(|p| store.product(*p).unwrap()["type"] == "simple")
        .take(3)
        .collect();
    let (parent, variations) = store
        .product_ids()
        .into_iter()
        .find_map(|p| Some((p, store.variation_ids(p).filter(|v| v.len() >= 2)?)))
        .unwrap();
    let orders = store.order_ids();
    let ops = vec![
        stock(&simple[0].to_string(), 31),
        WriteOp::VariationStock(VariationStockChange {
            product_id: parent.to_string(),
            variation_id: variations[0].to_string(),
            quantity: 4,
        }),
        order_status(orders[0], "completed"),
        WriteOp::ProductPrice(ProductPriceChange {
            product_id: simple[1].to_string(),
            price: "12.34".into(),
            sale_price: None,
        }),
        upsert_customer(),
        WriteOp::OrderTracking(OrderTrackingChange {
            order_id: orders[1].to_string(),
            tracking: Tracking {
                number: "BATCH-1".into(),
                provider: Some("bpost".into()),
                url: None,
                shipped_at: None,
            },
        }),
        WriteOp::VariationPrice(VariationPriceChange {
            product_id: parent.to_string(),
            variation_id: variations[1].to_string(),
            price: "5.50".into(),
            sale_price: None,
        }),
        stock("999999", 1),
        stock("not-a-number", 1),
        stock(&simple[2].to_string(), 33),
    ];
    let before = s.shop.request_count();
    let result = s.connector.write_batch(&s.options, ops).await;
    let outcomes = result.value.unwrap();
    assert_eq!(outcomes.len(), 10);

    // One outcome per op, in order, each the record as WooCommerce holds it now.
    assert!(matches!(
        &outcome(&outcomes[0]).entity,
        Some(Entity::Product(p)) if p.stock_quantity == Some(31)
    ));
    assert!(matches!(
        &outcome(&outcomes[1]).entity,
        Some(Entity::Variation(v)) if v.stock_quantity == Some(4) && v.product_id == parent.to_string()
    ));
    assert!(matches!(
        &outcome(&outcomes[2]).entity,
        Some(Entity::Order(o)) if o.status == "completed"
    ));
    assert_eq!(outcome(&outcomes[3]).external_id, simple[1].to_string());
    host_refusal(&outcomes[4], "woocommerce", "upsert-customer");
    assert!(matches!(
        &outcome(&outcomes[5]).entity,
        Some(Entity::Order(o)) if o.tracking.iter().any(|t| t.number == "BATCH-1")
    ));
    assert_eq!(outcome(&outcomes[6]).external_id, variations[1].to_string());
    // WooCommerce refused this item of the products batch; its neighbours went through.
    assert!(
        matches!(&outcomes[7], Err(ConnectorError::Upstream(u)) if u.status == 400 && u.message.starts_with("product 999999: ")),
        "{:?}",
        outcomes[7]
    );
    // Refused before sending: no such id can exist.
    assert!(matches!(&outcomes[8], Err(ConnectorError::NotFound(_))));
    assert_eq!(outcome(&outcomes[9]).external_id, simple[2].to_string());

    // In the shop.
    assert_eq!(store.product(simple[0]).unwrap()["stock_quantity"], 31);
    assert_eq!(store.product(simple[1]).unwrap()["regular_price"], "12.34");
    assert_eq!(store.product(simple[2]).unwrap()["stock_quantity"], 33);
    assert_eq!(
        store.variation(parent, variations[1]).unwrap()["regular_price"],
        "5.50"
    );
    assert_eq!(store.order(orders[0]).unwrap()["status"], "completed");

    // products/batch, products/{id}/variations/batch, orders/batch, and the tracking write
    // one by one (read the order, update its meta, add the note).
    assert_eq!(result.requests, 6);
    assert_eq!(s.shop.request_count() - before, 6);
}

#[tokio::test]
async fn woocommerce_sends_nothing_after_a_rate_limited_answer() {
    let s = shop().await;
    let store = s.shop.store();
    let orders: Vec<u64> = store
        .order_ids()
        .into_iter()
        .filter(|id| store.order(*id).unwrap()["status"] != "completed")
        .collect();
    s.shop
        .set_faults(vec![Fault::always(FaultKind::RateLimited {
            retry_after_secs: 7,
        })]);
    let before = s.shop.request_count();
    let result = s
        .connector
        .write_batch(
            &s.options,
            vec![
                stock(&store.product_ids()[0].to_string(), 1),
                order_status(orders[0], "completed"),
                order_status(orders[1], "completed"),
            ],
        )
        .await;
    s.shop.clear_faults();
    let outcomes = result.value.unwrap();
    assert_eq!(outcomes.len(), 3);
    for o in &outcomes {
        assert!(
            matches!(o, Err(ConnectorError::RateLimited(r)) if r.retry_after_ms == 7000),
            "{o:?}"
        );
    }
    assert_eq!(
        s.shop.request_count() - before,
        1,
        "only the first request went out"
    );
    assert_ne!(store.order(orders[0]).unwrap()["status"], "completed");
}

#[tokio::test]
async fn refused_credentials_fail_the_whole_batch() {
    let s = shop().await;
    let options = s
        .connector
        .prepare(&json!({
            "base_url": s.shop.base_url(),
            "consumer_key": "ck_wrong",
            "consumer_secret": "cs_wrong",
        }))
        .unwrap();
    let result = s
        .connector
        .write_batch(&options, vec![stock("1", 1), order_status(1, "completed")])
        .await
        .value;
    assert!(
        matches!(
            result,
            Err(CallError::Connector(ConnectorError::Unauthorized(_)))
        ),
        "{result:?}"
    );
}
