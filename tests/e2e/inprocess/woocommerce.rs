//! The WooCommerce connector against its emulator, through the real runtime: what the
//! conformance suite (`suite/`, which also runs this connector) does not check — the
//! canonical fields of a record, each injected fault (malformed JSON, a dropped body, a
//! stall) mapped to the right contract error, refused credentials on `check`, and a config
//! without its secrets refused before any call.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;

use junction::runtime::types::{ConnectorError, Entity, ListRequest, Page, ResourceKind};
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
        ids_only: false,
    }
}

async fn page(s: &Setup, req: ListRequest) -> Result<Page, CallError> {
    s.connector.list(&s.options, req).await.value
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
