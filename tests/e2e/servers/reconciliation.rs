//! Deletions, through the real binary, the WooCommerce connector and the emulator: records
//! deleted in the shop (for good, or to the trash) are found by a reconciliation asked for
//! with the admin API, and then answer 410 with `deletedAt`, leave lists, come back as
//! `deleted` entries to a client passing `updatedSince`, and go out as `<entity>.deleted`
//! webhooks; a product's variations go with it; a record that reappears is restored. A scan
//! that fails part-way (a 500, a body cut off) or is interrupted (the server killed
//! mid-scan) deletes nothing; the next complete one does.

use crate::common;

use std::time::{Duration, Instant};

use junction_emulators::{Fault, FaultKind, WooConfig, WooEmulator};
use reqwest::Client;
use serde_json::{Value, json};

use common::admin::AdminApi;

const ADMIN: &str = "reconcile-admin-token";

/// The server, configured with `config` (TOML), holding the WooCommerce and push connectors.
fn start_server(config: &str) -> (tempfile::TempDir, common::ServerProcess) {
    let data = tempfile::tempdir().unwrap();
    let plugins = data.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for component in ["woocommerce", "push"] {
        std::fs::copy(
            common::component(component),
            plugins.join(format!("{component}.wasm")),
        )
        .unwrap();
    }
    std::fs::write(data.path().join("admin.token"), ADMIN).unwrap();
    let config_file = data.path().join("junction.toml");
    std::fs::write(&config_file, config).unwrap();
    let server = common::spawn_server(
        data.path(),
        common::free_port(),
        &[("JUNCTION_CONFIG", config_file.to_str().unwrap())],
    );
    (data, server)
}

/// A connection to the shop whose resources have synced once (cadences a day, so nothing
/// runs unless asked), and a Runtime API key.
async fn connect(admin: &AdminApi, shop: &WooEmulator) -> (String, String) {
    connect_within(admin, shop, Duration::from_secs(90)).await
}

/// [`connect`], waiting at most `limit` for the first syncs (a large shop's take long).
async fn connect_within(admin: &AdminApi, shop: &WooEmulator, limit: Duration) -> (String, String) {
    admin.posted("/tenants", json!({"name": "acme"})).await;
    let created = admin
        .posted(
            "/connections",
            json!({"tenant": "acme", "connector": "woocommerce", "name": "shop",
                   "config": {"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}}),
        )
        .await;
    let connection = created["connection"]["id"].as_str().unwrap().to_string();
    for resource in ["orders", "customers", "products", "variations"] {
        let (status, body) = admin
            .call(
                reqwest::Method::PATCH,
                &format!("/connections/{connection}/resources/{resource}"),
                Some(json!({"cadenceSeconds": 86_400})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    common::admin::wait_for_runs_within(
        admin,
        &connection,
        &["orders", "customers", "products", "variations"],
        "succeeded",
        limit,
    )
    .await;
    let key = admin
        .posted(
            &format!("/connections/{connection}/keys"),
            json!({"name": "k"}),
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    (connection, key)
}

/// The reconciliation runs of a resource, newest first.
async fn reconciliations(admin: &AdminApi, connection: &str, resource: &str) -> Vec<Value> {
    let runs = admin
        .ok(&format!(
            "/connections/{connection}/runs?resource={resource}&limit=1000"
        ))
        .await;
    runs["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "reconcile")
        .cloned()
        .collect()
}

/// Ask for a reconciliation of `resource` and wait for the new run to end; returns it.
async fn reconcile(admin: &AdminApi, connection: &str, resource: &str) -> Value {
    let before = reconciliations(admin, connection, resource).await.len();
    let queued = admin
        .posted(
            &format!("/connections/{connection}/reconcile?resource={resource}"),
            json!({}),
        )
        .await;
    assert_eq!(queued["queued"], 1, "{queued}");
    wait_for_reconciliation(admin, connection, resource, before).await
}

/// Wait until a reconciliation after the first `before` has ended; returns it.
async fn wait_for_reconciliation(
    admin: &AdminApi,
    connection: &str,
    resource: &str,
    before: usize,
) -> Value {
    let start = Instant::now();
    loop {
        let runs = reconciliations(admin, connection, resource).await;
        if runs.len() > before && runs[0]["status"] != "running" {
            return runs[0].clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "no reconciliation of {resource} ended: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn api(http: &Client, server: &common::ServerProcess, key: &str, path: &str) -> (u16, Value) {
    let response = http
        .get(format!("{}/api/v1/api{path}", server.base))
        .header("X-API-KEY", key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn ids(list: &Value, field: &str) -> Vec<String> {
    let mut ids: Vec<String> = list[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["externalId"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconciliation_finds_deletions_and_every_reader_learns_them() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: 8,
            customers: 3,
            products: 4,
            variable_every: 2,
            seed: 11,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let (_data, server) = start_server("");
    common::wait_for_status(&server.base, "/readyz", 200).await;
    let admin = AdminApi::new(&server.base, ADMIN);
    let (connection, key) = connect(&admin, &shop).await;
    let (hook, delivered) = common::webhook_receiver().await;
    admin
        .posted(
            "/webhooks",
            json!({"tenant": "acme", "url": hook, "eventTypes": ["order.deleted", "product.deleted", "variation.deleted"]}),
        )
        .await;
    let http = Client::new();

    // What a recipe client holds: every order, and the largest modifiedAt.
    let (_, before) = api(&http, &server, &key, "/orders?pageSize=100").await;
    let since = before["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["modifiedAt"].as_str().unwrap().to_string())
        .max()
        .unwrap();
    assert_eq!(ids(&before, "data").len(), 8);

    let store = shop.store();
    let orders = store.order_ids();
    let (forced, trashed) = (orders[1], orders[4]);
    store.delete_order(forced, true).unwrap();
    store.delete_order(trashed, false).unwrap();
    let customer = store.customer_ids()[0];
    store.delete_customer(customer).unwrap();
    let variable = store
        .product_ids()
        .into_iter()
        .find(|id| !store.variation_ids(*id).unwrap().is_empty())
        .unwrap();
    let variations = store.variation_ids(variable).unwrap();
    store.delete_product(variable, true).unwrap();

    // An incremental sync cannot see a deletion: the copy still holds them.
    let (status, _) = api(&http, &server, &key, &format!("/orders/{forced}")).await;
    assert_eq!(status, 200);

    // The sync before the reconciliation learns of the trashed order (the connector reports
    // the trash); the reconciliation finds the one deleted for good.
    let run = reconcile(&admin, &connection, "orders").await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["deleted"], 1, "{run}");
    assert_eq!(run["records"], 6, "the scan saw the shop's 6 orders: {run}");
    let sync_run = admin
        .ok(&format!(
            "/connections/{connection}/runs?resource=orders&limit=1000"
        ))
        .await["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] != "reconcile")
        .cloned()
        .unwrap();
    let detail = admin
        .ok(&format!(
            "/connections/{connection}/runs/{}",
            sync_run["id"].as_str().unwrap()
        ))
        .await;
    let reported: u64 = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["detail"]["deleted"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(reported, 1, "the sync reported the trashed order: {detail}");
    // A product's deletion takes its variations with it (counted in the run).
    for (resource, deleted) in [("customers", 1), ("products", 1 + variations.len())] {
        let run = reconcile(&admin, &connection, resource).await;
        assert_eq!(
            (&run["status"], &run["deleted"]),
            (&json!("succeeded"), &json!(deleted)),
            "{resource}: {run}"
        );
    }

    // Reads: 410 with deletedAt for each, lists without them.
    for path in [
        format!("/orders/{forced}"),
        format!("/orders/{trashed}"),
        format!("/customers/{customer}"),
        format!("/products/{variable}"),
        format!("/products/{variable}/variations"),
    ] {
        let (status, body) = api(&http, &server, &key, &path).await;
        assert_eq!(status, 410, "{path}: {body}");
        assert_eq!(body["code"], "gone", "{path}: {body}");
        assert!(
            body["deletedAt"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .is_ok(),
            "{path}: {body}"
        );
    }
    let (_, now) = api(&http, &server, &key, "/orders?pageSize=100").await;
    let mut expected: Vec<String> = orders
        .iter()
        .filter(|id| **id != forced && **id != trashed)
        .map(|id| id.to_string())
        .collect();
    expected.sort();
    assert_eq!(ids(&now, "data"), expected);
    assert_eq!(
        now["deleted"],
        json!([]),
        "a full walk leaves deletions out"
    );

    // The recipe's next run learns both deletions, in the same change order.
    let (_, changes) = api(
        &http,
        &server,
        &key,
        &format!(
            "/orders?pageSize=100&updatedSince={}",
            since.replace('+', "%2B")
        ),
    )
    .await;
    let mut gone = vec![forced.to_string(), trashed.to_string()];
    gone.sort();
    assert_eq!(ids(&changes, "deleted"), gone, "{changes}");
    assert!(ids(&changes, "data").is_empty(), "{changes}");
    for entry in changes["deleted"].as_array().unwrap() {
        assert!(
            entry["modifiedAt"].as_str().unwrap() > since.as_str(),
            "{entry}"
        );
    }

    // Webhooks: one `.deleted` per record, variations with their product.
    let start = Instant::now();
    let expected_events = 3 + variations.len();
    loop {
        let got = delivered.lock().unwrap().clone();
        if got.len() >= expected_events {
            let mut types: Vec<String> = got
                .iter()
                .map(|e| e["type"].as_str().unwrap().to_string())
                .collect();
            types.sort();
            let mut want = vec!["order.deleted", "order.deleted", "product.deleted"];
            want.extend(std::iter::repeat_n("variation.deleted", variations.len()));
            want.sort();
            assert_eq!(types, want);
            let order_event = got.iter().find(|e| e["type"] == "order.deleted").unwrap();
            assert!(
                order_event["data"]["deletedAt"].is_string(),
                "{order_event}"
            );
            assert!(
                order_event["data"]["record"]["externalId"].is_string(),
                "{order_event}"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "webhooks: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A write-back to a deleted record is refused by the copy, nothing sent.
    let response = http
        .post(format!("{}/api/v1/api/orders/{forced}/status", server.base))
        .header("X-API-KEY", &key)
        .json(&json!({"status": "completed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // Out of the trash again (a status change in the shop): the next sync restores it.
    store.update_order_status(trashed, "processing").unwrap();
    admin
        .posted(
            &format!("/connections/{connection}/sync?resource=orders"),
            json!({}),
        )
        .await;
    let start = Instant::now();
    loop {
        let (status, body) = api(&http, &server, &key, &format!("/orders/{trashed}")).await;
        if status == 200 {
            assert_eq!(body["status"], "processing");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never restored: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_that_fails_or_is_interrupted_deletes_nothing() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: 40,
            customers: 1,
            products: 1,
            variable_every: 0,
            seed: 5,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    // Five orders a page: a scan is eight pages, so faults land in its middle.
    let config = "[sync]\npage_size = 5\nbackoff_base_secs = 1\nbackoff_max_secs = 2\n";
    let (data, mut server) = start_server(config);
    common::wait_for_status(&server.base, "/readyz", 200).await;
    let admin = AdminApi::new(&server.base, ADMIN);
    let (connection, key) = connect(&admin, &shop).await;
    let http = Client::new();
    let gone = shop.store().order_ids()[20];
    shop.store().delete_order(gone, true).unwrap();

    // Every fault a scan can meet part-way: it fails, and nothing is deleted.
    for fault in [
        FaultKind::ServerError,
        FaultKind::DropMidBody,
        FaultKind::MalformedJson,
    ] {
        let before = reconciliations(&admin, &connection, "orders").await.len();
        // The sync's two requests (the trash since its last run, one page) and the scan's
        // first two pass; every later request fails.
        shop.set_faults(vec![Fault::after(4, fault.clone())]);
        admin
            .posted(
                &format!("/connections/{connection}/reconcile?resource=orders"),
                json!({}),
            )
            .await;
        let run = wait_for_reconciliation(&admin, &connection, "orders", before).await;
        shop.clear_faults();
        assert_eq!(run["status"], "failed", "{fault:?}: {run}");
        assert_eq!(run["deleted"], 0, "{fault:?}: {run}");
        assert_eq!(
            run["pages"], 2,
            "{fault:?}: the scan failed part-way: {run}"
        );
        assert!(
            run["error"]
                .as_str()
                .unwrap()
                .contains("nothing was deleted"),
            "{run}"
        );
        let (status, _) = api(&http, &server, &key, &format!("/orders/{gone}")).await;
        assert_eq!(status, 200, "{fault:?}: a failed scan deleted {gone}");
    }

    // Killed mid-scan: slow pages, SIGKILL once the scan has started.
    shop.set_faults(vec![Fault::always(FaultKind::Latency { ms: 300 })]);
    let before = reconciliations(&admin, &connection, "orders").await.len();
    admin
        .posted(
            &format!("/connections/{connection}/reconcile?resource=orders"),
            json!({}),
        )
        .await;
    let start = Instant::now();
    loop {
        let runs = reconciliations(&admin, &connection, "orders").await;
        if runs.len() > before {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the scan never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    shop.clear_faults();
    let server = common::spawn_server(
        data.path(),
        common::free_port(),
        &[(
            "JUNCTION_CONFIG",
            data.path().join("junction.toml").to_str().unwrap(),
        )],
    );
    common::wait_for_status(&server.base, "/readyz", 200).await;
    let admin = AdminApi::new(&server.base, ADMIN);
    let killed = reconciliations(&admin, &connection, "orders").await;
    let interrupted = killed
        .iter()
        .find(|r| r["status"] == "interrupted")
        .unwrap_or_else(|| panic!("the killed scan is not marked interrupted: {killed:?}"));
    assert_eq!(interrupted["deleted"], 0, "{interrupted}");
    // The restarted host runs the reconciliation still due at once, and with ids-only pages
    // it may be done already: then the deletion is that complete scan's, not the killed one's.
    let (status, body) = api(&http, &server, &key, &format!("/orders/{gone}")).await;
    if status != 200 {
        assert_eq!(status, 410, "{body}");
        let start = Instant::now();
        loop {
            let runs = reconciliations(&admin, &connection, "orders").await;
            if runs
                .iter()
                .any(|r| r["status"] == "succeeded" && r["deleted"] == 1)
            {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "a killed scan deleted {gone}: no complete scan did: {runs:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // The first complete scan deletes it (the restarted host runs the reconciliation that
    // was still due).
    let start = Instant::now();
    loop {
        let runs = reconciliations(&admin, &connection, "orders").await;
        if let Some(done) = runs.iter().find(|r| r["status"] == "succeeded") {
            assert_eq!(done["deleted"], 1, "{done}");
            break;
        }
        if start.elapsed() > Duration::from_secs(5)
            && runs.first().is_some_and(|r| r["status"] != "running")
        {
            let run = reconcile(&admin, &connection, "orders").await;
            assert_eq!(
                (&run["status"], &run["deleted"]),
                (&json!("succeeded"), &json!(1)),
                "{run}"
            );
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(90), "{runs:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body) = api(&http, &server, &key, &format!("/orders/{gone}")).await;
    assert_eq!(status, 410, "{body}");
}

/// What a reconciliation costs: one request per page of the scan, plus the sync's page and
/// one `get` per record confirmed gone — never more. 3,000 orders here;
/// `JUNCTION_RECONCILE_ORDERS=100000` gives the figure for a large shop (printed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconciliation_costs_one_request_per_page_of_the_scan() {
    let orders: usize = std::env::var("JUNCTION_RECONCILE_ORDERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3_000);
    let shop = junction_emulators::start(
        WooConfig {
            orders,
            customers: 1,
            products: 1,
            variable_every: 0,
            seed: 9,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let (_data, server) = start_server("");
    common::wait_for_status(&server.base, "/readyz", 200).await;
    let admin = AdminApi::new(&server.base, ADMIN);
    // A first sync of a large shop takes a while (about 2 s per 1,000 orders, debug build).
    let limit = Duration::from_secs(90.max(orders as u64 / 200));
    let (connection, _key) = connect_within(&admin, &shop, limit).await;
    let ids = shop.store().order_ids();
    let gone = [ids[0], ids[orders / 2], ids[orders - 1]];
    for id in gone {
        shop.store().delete_order(id, true).unwrap();
    }
    let before = shop.request_count();
    let started = Instant::now();
    let run = reconcile(&admin, &connection, "orders").await;
    let elapsed = started.elapsed();
    let requests = shop.request_count() - before;
    assert_eq!(
        (&run["status"], &run["deleted"]),
        (&json!("succeeded"), &json!(3)),
        "{run}"
    );
    let left = (orders - gone.len()) as u64;
    let scan_pages = run["pages"].as_u64().unwrap();
    // Printed before the assertions, so a run with a large shop reports what it measured.
    eprintln!(
        "reconciliation of {orders} orders: {requests} requests ({scan_pages} ids-only scan pages of 100, \
         the rest for the sync before it, {} confirmations), {} deleted, {:.1?} (debug build, loopback emulator)",
        gone.len(),
        run["deleted"],
        elapsed
    );
    // The scan asks for ids only (`_fields=id`), in id order, 100 a page; it may end with
    // one page that finds nothing more.
    assert!(
        (left.div_ceil(100)..=left.div_ceil(100) + 1).contains(&scan_pages),
        "ids-only pages of 100 for {left} orders: {run}"
    );
    assert_eq!(run["records"], left, "{run}");
    // The sync before it (the trash since its last run, then its pages: nothing changed,
    // but the overlap window may hold more than a page of a large shop; its run's steps
    // log each request), the scan, a get per deletion.
    let runs = admin
        .ok(&format!(
            "/connections/{connection}/runs?resource=orders&limit=1000"
        ))
        .await;
    let sync_run = runs["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] != "reconcile")
        .cloned()
        .unwrap();
    let detail = admin
        .ok(&format!(
            "/connections/{connection}/runs/{}",
            sync_run["id"].as_str().unwrap()
        ))
        .await;
    let sync_requests: u64 = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["detail"]["requests"].as_array().map_or(0, Vec::len) as u64)
        .sum();
    assert!(sync_requests >= 2, "the trash and a page: {detail}");
    assert_eq!(
        requests,
        sync_requests + scan_pages + gone.len() as u64,
        "requests to the shop for one reconciliation of {orders} orders ({sync_requests} for the sync)"
    );
}

/// Pushed orders exist only in Junction's copy: the push connector declares them never
/// deleted, so no reconciliation runs for them (it would list nothing, `get` would answer
/// not-found, and every pushed order would be deleted), and asking for one by name is a
/// 400 that says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_orders_are_never_reconciled_away() {
    let (_data, server) = start_server("");
    common::wait_for_status(&server.base, "/readyz", 200).await;
    let admin = AdminApi::new(&server.base, ADMIN);
    admin.posted("/tenants", json!({"name": "acme"})).await;
    let created = admin
        .posted(
            "/connections",
            json!({"tenant": "acme", "connector": "push", "name": "custom", "config": {}}),
        )
        .await;
    let connection = created["connection"]["id"].as_str().unwrap().to_string();
    let key = admin
        .posted(
            &format!("/connections/{connection}/keys"),
            json!({"name": "k"}),
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let http = Client::new();
    let pushed = http
        .post(format!("{}/api/v1/api/orders", server.base))
        .header("X-API-KEY", &key)
        .json(&json!({"platform": "till", "orderNumber": "T-1", "orderStatus": "processing", "total": "10.00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 201);

    let (status, body) = admin
        .call(
            reqwest::Method::POST,
            &format!("/connections/{connection}/reconcile?resource=orders"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body.to_string();
    assert!(
        message.contains("never deletes") && message.contains("orders"),
        "the refusal says why: {body}"
    );
    let all = admin
        .posted(&format!("/connections/{connection}/reconcile"), json!({}))
        .await;
    assert_eq!(
        all["queued"], 0,
        "no resource of a push connection reconciles: {all}"
    );

    // Syncs run (by hand here) and never schedule a reconciliation; the order stays.
    for _ in 0..2 {
        let before = admin
            .ok(&format!(
                "/connections/{connection}/runs?resource=orders&limit=1000"
            ))
            .await["data"]
            .as_array()
            .unwrap()
            .len();
        admin
            .posted(
                &format!("/connections/{connection}/sync?resource=orders"),
                json!({}),
            )
            .await;
        let start = Instant::now();
        loop {
            let runs = admin
                .ok(&format!(
                    "/connections/{connection}/runs?resource=orders&limit=1000"
                ))
                .await;
            let runs = runs["data"].as_array().unwrap();
            if runs.len() > before && runs[0]["status"] != "running" {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no sync: {runs:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(
        reconciliations(&admin, &connection, "orders")
            .await
            .is_empty()
    );
    let (status, body) = api(&http, &server, &key, "/orders/till:T-1").await;
    assert_eq!(status, 200, "{body}");
}
