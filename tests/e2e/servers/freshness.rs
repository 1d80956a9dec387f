//! How fresh the local copy is, as a Runtime API consumer sees it through the real binary
//! and the WooCommerce emulator: a resource never synced answers `503 not_synced_yet` with
//! `Retry-After` (not an empty list that looks like an empty shop); after a sync, reads say
//! `Junction-Synced-At` and `Junction-Stale: false`; after a failed sync they keep answering
//! with `Junction-Stale: true`, and `capabilities` names the error; a resource the connector
//! does not read is a 404 naming it; a pushed-only resource reads without sync headers; the
//! portal shows the failing resource.

use crate::common;

use std::time::{Duration, Instant};

use junction_emulators::{Fault, FaultKind, WooConfig};
use reqwest::Client;
use serde_json::{Value, json};

use common::admin::AdminApi;

const ADMIN: &str = "freshness-admin-token";

async fn get(http: &Client, base: &str, key: &str, path: &str) -> reqwest::Response {
    http.get(format!("{base}/api/v1/api{path}"))
        .header("X-API-KEY", key)
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Wait until the resource's newest run has ended with `status`.
async fn wait_for_run(admin: &AdminApi, connection: &str, resource: &str, status: &str) -> Value {
    let start = Instant::now();
    loop {
        let runs = admin
            .ok(&format!(
                "/connections/{connection}/runs?resource={resource}&limit=1"
            ))
            .await;
        if runs["data"][0]["status"] == status {
            return runs["data"][0].clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "{resource} never reached {status}: {runs}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_say_how_fresh_the_copy_is_and_never_pass_unsynced_for_empty() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: 5,
            customers: 2,
            products: 2,
            variable_every: 0,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    // The shop is down from the start: the first sync fails.
    shop.set_faults(vec![Fault::always(FaultKind::ServerError)]);
    let (_data, server) = common::serve_with(&["woocommerce", "push"], ADMIN).await;
    let admin = AdminApi::new(&server.base, ADMIN);
    admin.posted("/tenants", json!({"name": "acme"})).await;
    let created = admin
        .posted(
            "/connections",
            json!({"tenant": "acme", "connector": "woocommerce", "name": "shop",
                   "config": {"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}}),
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
    let base = server.base.clone();

    wait_for_run(&admin, &connection, "orders", "failed").await;
    let never = get(&http, &base, &key, "/orders").await;
    assert_eq!(never.status(), 503);
    let retry: u64 = header(&never, "retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1, "Retry-After says when to come back");
    let body: Value = never.json().await.unwrap();
    assert_eq!(body["code"], "not_synced_yet", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("orders"),
        "{body}"
    );
    assert_eq!(get(&http, &base, &key, "/orders/1").await.status(), 503);

    // The shop is back: a sync, then reads with their freshness.
    shop.clear_faults();
    admin
        .posted(
            &format!("/connections/{connection}/sync?resource=orders"),
            json!({}),
        )
        .await;
    wait_for_run(&admin, &connection, "orders", "succeeded").await;
    let fresh = get(&http, &base, &key, "/orders").await;
    assert_eq!(fresh.status(), 200);
    assert_eq!(header(&fresh, "junction-stale"), Some("false"));
    let synced_at = header(&fresh, "junction-synced-at").unwrap().to_string();
    assert!(synced_at.parse::<jiff::Timestamp>().is_ok(), "{synced_at}");
    let first: Value = fresh.json().await.unwrap();
    let id = first["data"][0]["externalId"].as_str().unwrap().to_string();
    let one = get(&http, &base, &key, &format!("/orders/{id}")).await;
    assert_eq!(header(&one, "junction-stale"), Some("false"));
    assert_eq!(header(&one, "junction-synced-at"), Some(synced_at.as_str()));

    // The shop fails again: the copy still answers, marked stale, and says why.
    shop.set_faults(vec![Fault::always(FaultKind::ServerError)]);
    admin
        .posted(
            &format!("/connections/{connection}/sync?resource=orders"),
            json!({}),
        )
        .await;
    wait_for_run(&admin, &connection, "orders", "failed").await;
    let stale = get(&http, &base, &key, "/orders").await;
    assert_eq!(stale.status(), 200, "a failed sync never hides the copy");
    assert_eq!(header(&stale, "junction-stale"), Some("true"));
    assert_eq!(
        header(&stale, "junction-synced-at"),
        Some(synced_at.as_str())
    );
    let capabilities: Value = get(&http, &base, &key, "/capabilities")
        .await
        .json()
        .await
        .unwrap();
    let orders = capabilities["sync"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "orders")
        .unwrap();
    assert_eq!(orders["stale"], true, "{capabilities}");
    assert_eq!(orders["lastStatus"], "failed");
    assert!(
        orders["lastError"].as_str().is_some_and(|e| !e.is_empty()),
        "{orders}"
    );
    assert_eq!(orders["syncedAt"], synced_at.as_str());

    // The portal shows the failing resource to the operator.
    let browser = common::portal::browser();
    common::portal::signed_in_operator(&browser, &base, ADMIN).await;
    let page =
        common::portal::page(&browser, &format!("{base}/portal/connections/{connection}")).await;
    assert!(
        page.contains("Failed") || page.contains("Failing"),
        "the detail page shows the failure"
    );

    // A connector that reads no customers: a 404 naming the resource and what it reads.
    let custom = admin
        .posted(
            "/connections",
            json!({"tenant": "acme", "connector": "push", "name": "custom", "config": {}}),
        )
        .await;
    let custom_id = custom["connection"]["id"].as_str().unwrap().to_string();
    let custom_key = admin
        .posted(
            &format!("/connections/{custom_id}/keys"),
            json!({"name": "k"}),
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let unsupported = get(&http, &base, &custom_key, "/customers").await;
    assert_eq!(unsupported.status(), 404);
    let body: Value = unsupported.json().await.unwrap();
    assert_eq!(body["code"], "resource_not_read", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("customers") && message.contains("orders"),
        "{message}"
    );
    // Its orders come by push only: readable at once, with no sync to speak of.
    let pushed = get(&http, &base, &custom_key, "/orders").await;
    assert_eq!(pushed.status(), 200);
    assert!(header(&pushed, "junction-stale").is_none());
}
