//! Autosync end to end: the WooCommerce component against the emulator into SQLite, run by
//! the scheduler and by direct job runs. Full and incremental syncs, resuming from the
//! checkpoint after failures, variations per product, and secrets sealed at rest.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use junction::hub::Hub;
use junction::runtime::Registry;
use junction::runtime::types::ResourceKind;
use junction::secrets::Vault;
use junction::store::Store;
use junction::store::connections::Connection;
use junction::store::records::RecordQuery;
use junction::sync::autosync::{JobStatus, SyncSettings, run_job};
use junction::sync::scheduler::Scheduler;
use junction_emulators::{Fault, FaultKind, WooConfig, WooEmulator};
use serde_json::{Value, json};

const SECRET: &str = "cs_very_secret_value_42";

struct Setup {
    shop: WooEmulator,
    hub: Hub,
    connection: Connection,
    dir: tempfile::TempDir,
}

async fn setup(orders: usize) -> Setup {
    let config = WooConfig {
        orders,
        customers: 30,
        products: 24,
        variable_every: 3,
        consumer_secret: SECRET.into(),
        ..WooConfig::default()
    };
    let shop = junction_emulators::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(
        common::component("woocommerce"),
        plugins.join("woocommerce.wasm"),
    )
    .unwrap();
    let registry = Registry::open(common::runtime(common::test_limits()), plugins)
        .await
        .unwrap();
    let store = Store::open(&junction::store::sqlite_url(dir.path()))
        .await
        .unwrap();
    let vault = Vault::open_or_create(None, dir.path()).unwrap();
    let hub = Hub::new(store, registry, vault);
    let tenant = hub.store.create_tenant("acme").await.unwrap();
    let connection = hub
        .create_connection(&tenant.id, "woocommerce", "shop", &json!({"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": SECRET}))
        .await
        .unwrap();
    Setup {
        shop,
        hub,
        connection,
        dir,
    }
}

fn settings() -> SyncSettings {
    SyncSettings {
        page_size: 20,
        backoff_base_secs: 1,
        ..SyncSettings::default()
    }
}

async fn run(s: &Setup, resource: ResourceKind) -> JobStatus {
    let stop = AtomicBool::new(false);
    assert!(
        s.hub
            .store
            .claim_job(&s.connection.id, resource.as_str(), "test", 60_000)
            .await
            .unwrap()
    );
    run_job(
        &s.hub,
        &settings(),
        &s.connection.id,
        resource,
        "manual",
        "test",
        &stop,
    )
    .await
    .unwrap()
    .status
}

async fn local(s: &Setup, resource: ResourceKind) -> Vec<Value> {
    let rows = s
        .hub
        .store
        .list_records(
            &s.connection.id,
            resource,
            &RecordQuery {
                limit: 100_000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| serde_json::from_str(&r.data).unwrap())
        .collect()
}

#[tokio::test]
async fn full_then_incremental_sync_without_duplicates() {
    let s = setup(157).await;
    assert_eq!(run(&s, ResourceKind::Orders).await, JobStatus::Succeeded);
    let orders = local(&s, ResourceKind::Orders).await;
    assert_eq!(orders.len(), 157);
    let state = s
        .hub
        .store
        .sync_state(&s.connection.id, ResourceKind::Orders)
        .await
        .unwrap();
    assert_eq!(state.record_count, 157);
    assert!(state.high_water.is_some() && state.run_cursor.is_none());

    // Upstream changes: two updates and one new order.
    let store = s.shop.store();
    let ids = store.order_ids();
    store.update_order_status(ids[3], "cancelled").unwrap();
    store.update_order_status(ids[100], "refunded").unwrap();
    let created = store
        .create_order(json!({"status": "processing", "billing": {"email": "new@example.com"}}))
        .unwrap();
    let requests_before = s.shop.request_count();
    assert_eq!(run(&s, ResourceKind::Orders).await, JobStatus::Succeeded);
    assert!(
        s.shop.request_count() - requests_before <= 2,
        "an incremental run reads only the changes"
    );
    let orders = local(&s, ResourceKind::Orders).await;
    assert_eq!(
        orders.len(),
        158,
        "the new order arrived, nothing duplicated"
    );
    let find = |id: u64| {
        orders
            .iter()
            .find(|o| o["externalId"].as_str() == Some(id.to_string().as_str()))
            .cloned()
            .unwrap()
    };
    assert_eq!(find(ids[3])["status"], "cancelled");
    assert_eq!(find(ids[100])["status"], "refunded");
    assert_eq!(
        find(created["id"].as_u64().unwrap())["status"],
        "processing"
    );
    let runs = s
        .hub
        .store
        .runs(&s.connection.id, Some(ResourceKind::Orders), 10)
        .await
        .unwrap();
    assert_eq!(runs.len(), 2);
    assert!(
        runs.iter()
            .all(|r| r.status == "succeeded" && r.finished_ms.is_some())
    );
}

#[tokio::test]
async fn a_failed_run_resumes_from_its_checkpoint() {
    let s = setup(200).await;
    // Every third request fails: runs die part-way, leaving checkpoints.
    s.shop
        .set_faults(vec![Fault::with_probability(FaultKind::ServerError, 0.35)]);
    let mut attempts = 0;
    loop {
        attempts += 1;
        assert!(attempts < 60, "never completed");
        match run(&s, ResourceKind::Orders).await {
            JobStatus::Succeeded => break,
            JobStatus::Failed(message) => {
                assert!(message.contains("500"), "{message}");
                let state = s
                    .hub
                    .store
                    .sync_state(&s.connection.id, ResourceKind::Orders)
                    .await
                    .unwrap();
                assert!(state.failures >= 1 && state.next_run_ms > junction::store::now_ms());
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(attempts > 1, "the faults did interrupt runs");
    let orders = local(&s, ResourceKind::Orders).await;
    assert_eq!(orders.len(), 200);
    let runs = s
        .hub
        .store
        .runs(&s.connection.id, Some(ResourceKind::Orders), 100)
        .await
        .unwrap();
    let fetched: i64 = runs.iter().map(|r| r.records).sum();
    // Resumed runs continue where the last page committed: nothing is fetched twice,
    // except the one-record overlap some cursors use.
    assert!(
        fetched <= 200 + runs.len() as i64 * 2,
        "records fetched {fetched} over {} runs",
        runs.len()
    );
    let state = s
        .hub
        .store
        .sync_state(&s.connection.id, ResourceKind::Orders)
        .await
        .unwrap();
    assert_eq!(state.failures, 0);
}

#[tokio::test]
async fn rate_limited_runs_wait_their_retry_after() {
    let s = setup(10).await;
    s.shop
        .set_faults(vec![Fault::always(FaultKind::RateLimited {
            retry_after_secs: 7,
        })]);
    let before = junction::store::now_ms();
    let JobStatus::Failed(message) = run(&s, ResourceKind::Orders).await else {
        panic!("must fail")
    };
    assert!(message.contains("rate limited"), "{message}");
    let state = s
        .hub
        .store
        .sync_state(&s.connection.id, ResourceKind::Orders)
        .await
        .unwrap();
    let wait = state.next_run_ms - before;
    assert!(
        (7_000..9_000).contains(&wait),
        "next run in {wait} ms, retry-after was 7 s"
    );
}

#[tokio::test]
async fn variations_are_synced_per_product() {
    let s = setup(5).await;
    // Before any product is synced, the variations job waits rather than finding nothing.
    assert_eq!(run(&s, ResourceKind::Variations).await, JobStatus::Deferred);
    assert!(
        s.hub
            .store
            .runs(&s.connection.id, Some(ResourceKind::Variations), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(run(&s, ResourceKind::Products).await, JobStatus::Succeeded);
    // A product sync that brought records makes variations due at once.
    let variations = s
        .hub
        .store
        .sync_state(&s.connection.id, ResourceKind::Variations)
        .await
        .unwrap();
    assert!(variations.next_run_ms <= junction::store::now_ms());
    assert_eq!(
        run(&s, ResourceKind::Variations).await,
        JobStatus::Succeeded
    );
    let store = s.shop.store();
    let expected: usize = store
        .product_ids()
        .iter()
        .map(|p| store.variation_ids(*p).map_or(0, |v| v.len()))
        .sum();
    let variations = local(&s, ResourceKind::Variations).await;
    assert!(expected > 0);
    assert_eq!(variations.len(), expected);
    for v in &variations {
        let parent: u64 = v["productId"].as_str().unwrap().parse().unwrap();
        assert!(
            store
                .variation_ids(parent)
                .unwrap()
                .contains(&v["externalId"].as_str().unwrap().parse().unwrap())
        );
    }
}

#[tokio::test]
async fn the_scheduler_runs_due_jobs_and_secrets_stay_sealed() {
    let s = setup(60).await;
    let scheduler = Scheduler::new(s.hub.clone(), settings(), "host-test".into());
    let handle = scheduler.handle();
    let task = tokio::spawn(scheduler.run());
    let start = Instant::now();
    loop {
        let states = s.hub.store.sync_states(&s.connection.id).await.unwrap();
        let done = states
            .iter()
            .filter(|st| st.resource != "variations")
            .all(|st| st.last_status.as_deref() == Some("succeeded"));
        if done {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "scheduler did not run the jobs: {states:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    handle.stop();
    task.await.unwrap();
    assert_eq!(local(&s, ResourceKind::Orders).await.len(), 60);
    assert_eq!(local(&s, ResourceKind::Customers).await.len(), 30);

    // The consumer secret is nowhere in the database files in plaintext.
    s.hub.store.close().await;
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("junction.db")
        {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
                "{} holds the secret in plaintext",
                path.display()
            );
        }
    }
    // ...but the hub can still open it for a call.
    let connection = Arc::new(s.connection.clone());
    let config = s.hub.full_config(&connection).unwrap();
    assert_eq!(config["consumer_secret"], SECRET);
}
