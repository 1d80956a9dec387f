//! Crash safety: the real `junction` process is SIGKILLed in the middle of a long first
//! sync and started again on the same data directory. The interrupted run is recorded as
//! such, the next run resumes from the last committed page (it does not start over), and
//! in the end every order is there exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::{Duration, Instant};

use junction_emulators::{Fault, FaultKind, WooConfig};
use reqwest::Client;
use serde_json::{Value, json};

const ADMIN: &str = "crash-admin-token";
const ORDERS: usize = 6_000;

async fn admin(
    client: &Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut req = client
        .request(method, format!("{base}/api/v1/admin{path}"))
        .bearer_auth(ADMIN);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap().json().await.unwrap()
}

async fn latest_orders_run(client: &Client, base: &str, id: &str) -> Value {
    admin(
        client,
        base,
        reqwest::Method::GET,
        &format!("/connections/{id}/runs?resource=orders&limit=1"),
        None,
    )
    .await["data"][0]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_mid_sync_loses_and_duplicates_nothing() {
    stop_mid_sync_and_resume(Stop::Kill).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_mid_sync_checkpoints_and_exits_cleanly() {
    stop_mid_sync_and_resume(Stop::Terminate).await;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    Kill,
    Terminate,
}

async fn stop_mid_sync_and_resume(how: Stop) {
    let shop = junction_emulators::start(
        WooConfig {
            orders: ORDERS,
            customers: 10,
            products: 5,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    // Slow the shop down so the kill lands mid-run.
    shop.set_faults(vec![Fault::always(FaultKind::Latency { ms: 15 })]);
    let data = tempfile::tempdir().unwrap();
    let plugins = data.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(
        common::component("woocommerce"),
        plugins.join("woocommerce.wasm"),
    )
    .unwrap();
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let env = [("JUNCTION_ADMIN_TOKEN", ADMIN)];
    let client = Client::new();

    let mut first = common::spawn_server(data.path(), port, &env);
    common::wait_for_status(&base, "/readyz", 200).await;
    admin(
        &client,
        &base,
        reqwest::Method::POST,
        "/tenants",
        Some(json!({"name": "acme"})),
    )
    .await;
    let created = admin(
        &client,
        &base,
        reqwest::Method::POST,
        "/connections",
        Some(json!({"tenant": "acme", "connector": "woocommerce", "name": "shop", "config": {"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}})),
    )
    .await;
    let id = created["connection"]["id"].as_str().unwrap().to_string();

    // Kill once a good part, but not all, of the orders is committed.
    let start = Instant::now();
    let committed_before_kill = loop {
        let run = latest_orders_run(&client, &base, &id).await;
        let records = run["records"].as_i64().unwrap_or(0);
        if run["status"] == "running" && records >= 1_000 {
            break records;
        }
        assert!(
            run["status"] != "succeeded",
            "the sync finished before the kill; slow the shop down more"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "sync did not progress: {run}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    match how {
        Stop::Kill => {
            first.child.kill().unwrap(); // SIGKILL: no chance to clean up
            first.child.wait().unwrap();
        }
        Stop::Terminate => {
            let pid = first.child.id().to_string();
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap();
            let status = first.child.wait().unwrap();
            assert!(status.success(), "a graceful stop exits 0, got {status}");
        }
    }
    assert!(committed_before_kill < ORDERS as i64);

    shop.clear_faults();
    let _second = common::spawn_server(data.path(), port, &env);
    common::wait_for_status(&base, "/readyz", 200).await;
    let start = Instant::now();
    loop {
        let view = admin(
            &client,
            &base,
            reqwest::Method::GET,
            &format!("/connections/{id}"),
            None,
        )
        .await;
        let orders = view["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "orders")
            .cloned()
            .unwrap();
        if orders["lastStatus"] == "succeeded" && orders["runId"].is_null() {
            assert_eq!(
                orders["recordCount"], ORDERS as i64,
                "every order exactly once"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "resumed sync did not finish: {orders}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let runs = admin(
        &client,
        &base,
        reqwest::Method::GET,
        &format!("/connections/{id}/runs?resource=orders"),
        None,
    )
    .await;
    let runs = runs["data"].as_array().unwrap();
    let interrupted: Vec<&Value> = runs
        .iter()
        .filter(|r| r["status"] == "interrupted")
        .collect();
    assert_eq!(interrupted.len(), 1, "{runs:#?}");
    let why = interrupted[0]["error"].as_str().unwrap_or_default();
    match how {
        // Recorded at the next start.
        Stop::Kill => assert!(why.contains("process stopped"), "{why}"),
        // Recorded by the stopping process itself, after its last page committed.
        Stop::Terminate => assert!(why.contains("stopped by shutdown"), "{why}"),
    }
    let resumed = runs.iter().find(|r| r["status"] == "succeeded").unwrap();
    let fetched_after = resumed["records"].as_i64().unwrap();
    assert!(
        fetched_after <= ORDERS as i64 - committed_before_kill + 200,
        "the resumed run continued from the checkpoint: it fetched {fetched_after} after {committed_before_kill} were committed"
    );
    // And the API serves every order once.
    let db_ids = {
        let mut ids = std::collections::BTreeSet::new();
        let created_key = admin(
            &client,
            &base,
            reqwest::Method::POST,
            &format!("/connections/{id}/keys"),
            Some(json!({"name": "check"})),
        )
        .await;
        let key = created_key["key"].as_str().unwrap().to_string();
        let mut total = 0;
        for page in 1.. {
            let body: Value = client
                .get(format!("{base}/api/v1/api/orders?page={page}&pageSize=500"))
                .header("X-API-KEY", &key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for order in body["data"].as_array().unwrap() {
                ids.insert(order["externalId"].as_str().unwrap().to_string());
                total += 1;
            }
            if body["hasMore"] == false {
                break;
            }
        }
        assert_eq!(total, ORDERS);
        ids
    };
    assert_eq!(db_ids.len(), ORDERS);
}
