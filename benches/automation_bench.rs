//! Automation benchmark: prints figures, asserts nothing.
//!
//! 1. Budget use: WooCommerce emulator orders → the real Connectif component, whose
//!    emulator enforces 100 requests per 60 s (Connectif's documented limit) and counts what
//!    it accepts. The automation runs for a sustained period (default 180 s; the first
//!    argument changes it) with far more orders waiting than the budget allows; the figure
//!    is the requests Connectif accepted divided by what the budget allows in that time —
//!    the share of the budget actually used (goal ≥ 95 %) — with 429s and over-budget
//!    acceptances (both should be 0).
//! 2. Throughput: the same orders into an unlimited target (the Bugalou emulator, one
//!    request per order): records/s of an automation run, with the reading side already
//!    synced.
//!
//! Run with `cargo xtask bench automations [seconds]` (release build).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use junction::domain::automations::{self as service, NewAutomation};
use junction::hub::Hub;
use junction::runtime::types::ResourceKind;
use junction::runtime::{Registry, Runtime, SandboxLimits};
use junction::secrets::Vault;
use junction::store::Store;
use junction::sync::automation::AutomationSettings;
use junction::sync::automation::run::run_automation;
use junction::sync::autosync::{SyncSettings, run_job};
use junction_emulators::WooConfig;
use junction_emulators::connectif::{BudgetConfig, ConnectifConfig};
use serde_json::json;

fn components_root() -> PathBuf {
    std::env::var_os("JUNCTION_COMPONENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

async fn hub(work: &std::path::Path) -> Hub {
    let plugins = work.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for name in ["woocommerce", "connectif", "bugalou"] {
        std::fs::copy(
            components_root().join(format!("plugins/{name}.wasm")),
            plugins.join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    let limits = SandboxLimits {
        allow_private_networks: true,
        ..SandboxLimits::default()
    };
    let runtime = Runtime::new(limits, Some(work.join("cache"))).unwrap();
    let registry = Registry::open(runtime, plugins).await.unwrap();
    let db = work.join("junction.db");
    let store = Store::open(&format!("sqlite://{}?mode=rwc", db.display()))
        .await
        .unwrap();
    Hub::new(
        store,
        registry,
        Vault::from_base64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap(),
    )
}

/// A synced WooCommerce source connection with `orders` orders.
async fn source(
    hub: &Hub,
    tenant: &str,
    orders: usize,
) -> (String, junction_emulators::WooEmulator) {
    let shop = junction_emulators::start(
        WooConfig {
            orders,
            customers: 50,
            products: 10,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let connection = hub
        .create_connection(
            tenant,
            "woocommerce",
            &format!("shop-{}", shop.base_url()),
            &json!({"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}),
        )
        .await
        .unwrap();
    let stop = AtomicBool::new(false);
    run_job(
        hub,
        &SyncSettings::default(),
        &connection.id,
        ResourceKind::Orders,
        "bench",
        "bench",
        &stop,
    )
    .await
    .unwrap();
    (connection.id, shop)
}

async fn automation(hub: &Hub, tenant: &str, name: &str, source: &str, target: &str) -> String {
    service::create(
        hub,
        NewAutomation {
            tenant: tenant.into(),
            name: name.into(),
            source_connection_id: source.into(),
            target_connection_id: target.into(),
            enabled: Some(true),
            cadence_seconds: Some(600),
            on_change: Some(false),
            entities: serde_json::from_value(json!({"orders": {"direction": "source_to_target"}}))
                .unwrap(),
            options: None,
        },
    )
    .await
    .unwrap()
    .id
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("usage: automation_bench [seconds]"))
        .unwrap_or(180);
    let work = tempfile::tempdir().unwrap();
    let hub = hub(work.path()).await;
    let tenant = hub.store.create_tenant("bench").await.unwrap().id;
    let settings = AutomationSettings::default();
    let sync = SyncSettings::default();

    // 1. Budget use against Connectif's 100 requests per minute.
    let (shop, _shop) = source(&hub, &tenant, 2_000).await;
    let connectif = junction_emulators::connectif::start(
        ConnectifConfig {
            budget: BudgetConfig::default(),
            ..ConnectifConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let marketing = hub
        .create_connection(
            &tenant,
            "connectif",
            "marketing",
            &json!({"api_key": "cnf_test_key", "base_url": connectif.base_url(),
                "product_url_template": "https://shop.example.com/p/{id}"}),
        )
        .await
        .unwrap();
    let id = automation(&hub, &tenant, "budget", &shop, &marketing.id).await;
    hub.store
        .claim_automation(&id, "bench", 3_600_000)
        .await
        .unwrap();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let (hub2, id2, stop2, settings2, sync2) = (
        hub.clone(),
        id.clone(),
        stop.clone(),
        settings.clone(),
        sync.clone(),
    );
    let started = Instant::now();
    let run = tokio::spawn(async move {
        run_automation(&hub2, &settings2, &sync2, &id2, "bench", "bench", &stop2)
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let stats = connectif.budget_stats();
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let outcome = run.await.unwrap();
    let allowed = 100.0 * elapsed / 60.0;
    println!(
        "automation budget use (WooCommerce → Connectif, budget 100 requests / 60 s, {elapsed:.0} s sustained)"
    );
    println!(
        "  requests accepted by Connectif: {}   allowed by the budget in that time: {allowed:.1}   share used: {:.1} %",
        stats.counted - stats.rejected,
        100.0 * (stats.counted - stats.rejected) as f64 / allowed
    );
    println!(
        "  429s answered: {}   accepted over budget: {}   most accepted in one window: {}   orders written: {}",
        stats.rejected,
        stats.accepted_over_budget,
        stats.max_accepted_in_window,
        outcome.counts.written
    );

    // 2. Records/s into an unlimited target.
    let orders = 3_000;
    let (shop, _shop2) = source(&hub, &tenant, orders).await;
    let bugalou = junction_emulators::bugalou::start(
        junction_emulators::bugalou::BugalouConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let target = hub
        .create_connection(
            &tenant,
            "bugalou",
            "dashboard",
            &json!({"api_key": "bg_live_test_key", "platform": "woocommerce", "base_url": bugalou.base_url()}),
        )
        .await
        .unwrap();
    let id = automation(&hub, &tenant, "throughput", &shop, &target.id).await;
    hub.store
        .claim_automation(&id, "bench", 3_600_000)
        .await
        .unwrap();
    let never = AtomicBool::new(false);
    let started = Instant::now();
    let outcome = run_automation(&hub, &settings, &sync, &id, "bench", "bench", &never)
        .await
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "automation throughput (WooCommerce → Bugalou, unlimited target, one request per order)"
    );
    println!(
        "  {} orders written in {elapsed:.1} s: {:.0} records/s (status {}, {} failed)",
        outcome.counts.written,
        outcome.counts.written as f64 / elapsed,
        outcome.status,
        outcome.counts.failed
    );
}
