//! The WooCommerce connector component against the WooCommerce emulator, through the real
//! runtime: paging to the end without gaps or duplicates (also while records change),
//! updated-since, get, every write-back, and each injected fault mapped to the right
//! contract error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use junction::runtime::types::{
    ConnectorError, Entity, ListRequest, OrderStatusChange, OrderTrackingChange, Page,
    ProductPriceChange, ProductStockChange, ResourceKind, Tracking, VariationPriceChange,
    VariationStockChange, WriteOp,
};
use junction::runtime::{CallError, CallOptions, LoadedConnector, SandboxLimits};
use junction_emulators::{Fault, FaultKind, WooConfig, WooEmulator};
use serde_json::json;

struct Setup {
    shop: WooEmulator,
    connector: Arc<LoadedConnector>,
    options: CallOptions,
}

async fn setup_with(config: WooConfig, limits: SandboxLimits) -> Setup {
    let shop = junction_emulators::start(config.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let runtime = common::runtime(limits);
    let connector = LoadedConnector::load_file(&runtime, &common::component("woocommerce"))
        .await
        .unwrap();
    let options = connector
        .prepare(&json!({
            "base_url": shop.base_url(),
            "consumer_key": config.consumer_key,
            "consumer_secret": config.consumer_secret,
        }))
        .unwrap();
    Setup {
        shop,
        connector,
        options,
    }
}

async fn setup(config: WooConfig) -> Setup {
    setup_with(config, common::test_limits()).await
}

fn small_shop() -> WooConfig {
    WooConfig {
        orders: 437,
        customers: 61,
        products: 45,
        variable_every: 3,
        ..WooConfig::default()
    }
}

fn request(resource: ResourceKind, cursor: Option<String>, since: Option<String>) -> ListRequest {
    ListRequest {
        resource,
        updated_since: since,
        cursor,
        page_size: 50,
        parent_id: None,
    }
}

async fn page(s: &Setup, req: ListRequest) -> Result<Page, CallError> {
    s.connector.list(&s.options, req).await.value
}

/// Page to the end; `between` runs after every page (to change data mid-run).
async fn list_all(
    s: &Setup,
    resource: ResourceKind,
    since: Option<String>,
    mut between: impl FnMut(usize),
) -> Vec<Entity> {
    let mut all = Vec::new();
    let mut cursor = None;
    for n in 0.. {
        assert!(n < 10_000, "paging does not terminate");
        let p = page(s, request(resource, cursor.take(), since.clone()))
            .await
            .unwrap();
        all.extend(p.entities);
        between(n);
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    all
}

fn ids(entities: &[Entity]) -> Vec<u64> {
    entities
        .iter()
        .map(|e| e.external_id().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn every_resource_pages_to_the_end_without_gaps_or_duplicates() {
    let s = setup(small_shop()).await;
    let store = s.shop.store();
    for (resource, expected) in [
        (ResourceKind::Orders, store.order_ids()),
        (ResourceKind::Customers, store.customer_ids()),
        (ResourceKind::Products, store.product_ids()),
    ] {
        let got = ids(&list_all(&s, resource, None, |_| {}).await);
        let unique: BTreeSet<u64> = got.iter().copied().collect();
        assert_eq!(got.len(), unique.len(), "{resource:?}: duplicates");
        assert_eq!(
            unique,
            expected.into_iter().collect::<BTreeSet<_>>(),
            "{resource:?}: gaps"
        );
    }
    // Variations, per variable product.
    let variable = store
        .product_ids()
        .into_iter()
        .find(|id| store.variation_ids(*id).is_some_and(|v| !v.is_empty()))
        .unwrap();
    let mut req = request(ResourceKind::Variations, None, None);
    req.parent_id = Some(variable.to_string());
    let got = page(&s, req).await.unwrap();
    let expected: BTreeSet<u64> = store.variation_ids(variable).unwrap().into_iter().collect();
    assert_eq!(
        ids(&got.entities).into_iter().collect::<BTreeSet<_>>(),
        expected
    );
    for entity in &got.entities {
        let Entity::Variation(v) = entity else {
            panic!("not a variation")
        };
        assert_eq!(v.product_id, variable.to_string());
    }
}

#[tokio::test]
async fn records_changed_between_pages_are_neither_lost_nor_repeated() {
    let s = setup(small_shop()).await;
    let store = s.shop.store();
    let mut by_modified: Vec<(String, u64)> = store
        .order_ids()
        .into_iter()
        .map(|id| {
            (
                store.order(id).unwrap()["date_modified_gmt"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                id,
            )
        })
        .collect();
    by_modified.sort();
    // After each of the first pages, modify an order already read and one not yet read.
    let mut touched = BTreeSet::new();
    let got = list_all(&s, ResourceKind::Orders, None, |n| {
        if n < 4 {
            for index in [n * 50 + 3, n * 50 + 120] {
                let id = by_modified[index].1;
                store.touch_order(id).unwrap();
                touched.insert(id);
            }
        }
    })
    .await;
    let mut count: BTreeMap<u64, usize> = BTreeMap::new();
    for id in ids(&got) {
        *count.entry(id).or_default() += 1;
    }
    let all: BTreeSet<u64> = store.order_ids().into_iter().collect();
    assert_eq!(
        count.keys().copied().collect::<BTreeSet<_>>(),
        all,
        "no order may be skipped"
    );
    for (id, n) in count {
        if !touched.contains(&id) {
            assert_eq!(n, 1, "unchanged order {id} listed {n} times");
        }
    }
}

#[tokio::test]
async fn updated_since_returns_only_later_changes() {
    let s = setup(small_shop()).await;
    let store = s.shop.store();
    let changed: Vec<u64> = store.order_ids().into_iter().take(3).collect();
    let mut newest = String::new();
    for id in &changed {
        store.update_order_status(*id, "on-hold").unwrap();
        newest = store.order(*id).unwrap()["date_modified_gmt"]
            .as_str()
            .unwrap()
            .to_string();
    }
    let first_change = store.order(changed[0]).unwrap()["date_modified_gmt"]
        .as_str()
        .unwrap()
        .to_string();
    let got = list_all(
        &s,
        ResourceKind::Orders,
        Some(format!("{first_change}Z")),
        |_| {},
    )
    .await;
    assert_eq!(
        ids(&got).into_iter().collect::<BTreeSet<_>>(),
        changed.iter().copied().collect()
    );
    let got = list_all(&s, ResourceKind::Orders, Some(format!("{newest}Z")), |_| {}).await;
    assert_eq!(
        ids(&got),
        vec![changed[2]],
        "at-or-after: the newest change itself is included"
    );
    for entity in &got {
        let Entity::Order(o) = entity else { panic!() };
        assert_eq!(o.status, "on-hold");
        assert!(o.modified_at.ends_with('Z'), "{}", o.modified_at);
    }
}

#[tokio::test]
async fn get_returns_the_canonical_record() {
    let s = setup(small_shop()).await;
    let store = s.shop.store();
    let id = store.order_ids()[5];
    let raw = store.order(id).unwrap();
    let got = s
        .connector
        .get(&s.options, ResourceKind::Orders, id.to_string(), None)
        .await
        .value
        .unwrap();
    let Entity::Order(order) = got else {
        panic!("not an order")
    };
    assert_eq!(order.external_id, id.to_string());
    assert_eq!(order.total, raw["total"].as_str().unwrap());
    assert_eq!(order.status, raw["status"].as_str().unwrap());
    assert_eq!(
        order.line_items.len(),
        raw["line_items"].as_array().unwrap().len()
    );
    assert_eq!(
        order.modified_at,
        format!("{}Z", raw["date_modified_gmt"].as_str().unwrap())
    );
    let raw_back: serde_json::Value = serde_json::from_str(&order.raw).unwrap();
    assert_eq!(raw_back["id"], raw["id"]);

    let missing = s
        .connector
        .get(&s.options, ResourceKind::Orders, "999999999".into(), None)
        .await
        .value;
    assert!(
        matches!(
            missing,
            Err(CallError::Connector(ConnectorError::NotFound(_)))
        ),
        "{missing:?}"
    );
}

#[tokio::test]
async fn every_write_back_reaches_the_shop() {
    let s = setup(small_shop()).await;
    let store = s.shop.store();
    let order = store.order_ids()[0];
    let write = |op: WriteOp| {
        let s = &s;
        async move { s.connector.write(&s.options, op).await.value.unwrap() }
    };

    let outcome = write(WriteOp::OrderStatus(OrderStatusChange {
        order_id: order.to_string(),
        status: "completed".into(),
    }))
    .await;
    assert_eq!(store.order(order).unwrap()["status"], "completed");
    assert!(matches!(outcome.entity, Some(Entity::Order(ref o)) if o.status == "completed"));

    write(WriteOp::OrderTracking(OrderTrackingChange {
        order_id: order.to_string(),
        tracking: Tracking {
            number: "BE123456789".into(),
            provider: Some("bpost".into()),
            url: Some("https://track.example/BE123456789".into()),
            shipped_at: None,
        },
    }))
    .await;
    let notes = store.order_notes(order).unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["note"].as_str().unwrap().contains("BE123456789")),
        "{notes:?}"
    );
    let Entity::Order(after) = s
        .connector
        .get(&s.options, ResourceKind::Orders, order.to_string(), None)
        .await
        .value
        .unwrap()
    else {
        panic!()
    };
    assert!(
        after
            .tracking
            .iter()
            .any(|t| t.number == "BE123456789" && t.provider.as_deref() == Some("bpost")),
        "{:?}",
        after.tracking
    );

    let simple = store
        .product_ids()
        .into_iter()
        .find(|p| store.product(*p).unwrap()["type"] == "simple")
        .unwrap();
    write(WriteOp::ProductStock(ProductStockChange {
        product_id: simple.to_string(),
        quantity: 42,
    }))
    .await;
    assert_eq!(store.product(simple).unwrap()["stock_quantity"], 42);
    write(WriteOp::ProductPrice(ProductPriceChange {
        product_id: simple.to_string(),
        price: "19.99".into(),
        sale_price: None,
    }))
    .await;
    assert_eq!(store.product(simple).unwrap()["regular_price"], "19.99");

    let variable = store
        .product_ids()
        .into_iter()
        .find(|p| store.variation_ids(*p).is_some_and(|v| !v.is_empty()))
        .unwrap();
    let variation = store.variation_ids(variable).unwrap()[0];
    write(WriteOp::VariationStock(VariationStockChange {
        product_id: variable.to_string(),
        variation_id: variation.to_string(),
        quantity: 10,
    }))
    .await;
    assert_eq!(
        store.variation(variable, variation).unwrap()["stock_quantity"],
        10
    );
    let outcome = write(WriteOp::VariationPrice(VariationPriceChange {
        product_id: variable.to_string(),
        variation_id: variation.to_string(),
        price: "9.99".into(),
        sale_price: None,
    }))
    .await;
    assert_eq!(
        store.variation(variable, variation).unwrap()["regular_price"],
        "9.99"
    );
    assert!(
        matches!(outcome.entity, Some(Entity::Variation(ref v)) if v.regular_price.as_deref() == Some("9.99"))
    );
}

async fn list_error(s: &Setup) -> CallError {
    page(s, request(ResourceKind::Orders, None, None))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn each_injected_fault_maps_to_the_right_error() {
    let limits = SandboxLimits {
        first_byte_timeout_ms: 500,
        ..common::test_limits()
    };
    let s = setup_with(small_shop(), limits).await;

    s.shop
        .set_faults(vec![Fault::always(FaultKind::ServerError)]);
    let err = list_error(&s).await;
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::Upstream(u)) if u.status == 500),
        "{err}"
    );
    assert!(err.is_retryable());

    s.shop
        .set_faults(vec![Fault::always(FaultKind::RateLimited {
            retry_after_secs: 2,
        })]);
    let err = list_error(&s).await;
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::RateLimited(r)) if r.retry_after_ms == 2000),
        "{err}"
    );

    s.shop
        .set_faults(vec![Fault::always(FaultKind::MalformedJson)]);
    let err = list_error(&s).await;
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::Upstream(_))),
        "{err}"
    );
    assert!(err.to_string().to_lowercase().contains("json"), "{err}");

    s.shop
        .set_faults(vec![Fault::always(FaultKind::DropMidBody)]);
    let err = list_error(&s).await;
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::Transport(_))),
        "{err}"
    );

    s.shop
        .set_faults(vec![Fault::always(FaultKind::Latency { ms: 2_000 })]);
    let err = list_error(&s).await;
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::Transport(_))),
        "{err}"
    );

    s.shop.clear_faults();
    assert!(
        page(&s, request(ResourceKind::Orders, None, None))
            .await
            .is_ok(),
        "recovers once faults stop"
    );
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized() {
    let s = setup(small_shop()).await;
    let options = s
        .connector
        .prepare(&json!({"base_url": s.shop.base_url(), "consumer_key": "ck_wrong", "consumer_secret": "cs_wrong"}))
        .unwrap();
    let err = s
        .connector
        .list(&options, request(ResourceKind::Orders, None, None))
        .await
        .value
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::Unauthorized(_))),
        "{err}"
    );
    let err = s.connector.check(&options).await.value.unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::Unauthorized(_))),
        "{err}"
    );
    let info = s.connector.check(&s.options).await.value.unwrap();
    assert!(info.message.contains("WooCommerce"), "{}", info.message);
}

#[tokio::test]
async fn a_missing_secret_is_refused_before_any_call() {
    let s = setup(small_shop()).await;
    let problems = s
        .connector
        .prepare(&json!({"base_url": s.shop.base_url()}))
        .unwrap_err();
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, vec!["consumer_key", "consumer_secret"]);
}
