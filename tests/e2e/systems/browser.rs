//! The portal in a real headless Chromium (Debian's `chromium`, driven by `playwright-core`
//! from npm; both installed by `cargo xtask test` / `cargo xtask browser`). This test starts
//! the real `junction serve`, a WooCommerce emulator and a Bugalou emulator, creates a tenant
//! and a user through the admin API, then runs `tests/browser/portal.test.cjs`, which clicks
//! through the portal as that user: sign in, create a connection to the emulator from the
//! generated form, sync it and see the counts, generate an API key and use it against the
//! Runtime API, revoke it and see the API refuse it, create a second connection and an
//! automation between the two and run it; axe-core checks every page it visits against
//! WCAG 2.1 A/AA. Screenshots of every step are saved under
//! `target/screenshots/` (or `JUNCTION_SCREENSHOTS_DIR`). Afterwards the server's own view
//! (admin API) and the emulators confirm what the browser did.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use junction_emulators::WooConfig;
use junction_emulators::bugalou::BugalouConfig;
use reqwest::Client;
use serde_json::{Value, json};

const ADMIN: &str = "browser-admin-token";
const EMAIL: &str = "ada@acme.example";
const PASSWORD: &str = "acme correct horse battery";
const ORDERS: usize = 40;

/// Where a setting of the browser environment is, or a clear failure saying how to get it.
fn browser_env(name: &str) -> PathBuf {
    let value = std::env::var_os(name).map(PathBuf::from);
    match value {
        Some(path) if path.exists() => path,
        _ => panic!(
            "{name} is not set to an existing path: the browser tests need Chromium and \
             playwright-core, which `cargo xtask test` installs (or `cargo xtask browser`, which \
             prints the variables to export)"
        ),
    }
}

async fn admin(
    client: &Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut request = client
        .request(method, format!("{base}/api/v1/admin{path}"))
        .bearer_auth(ADMIN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let value: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {value}");
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_works_through_the_portal_in_chromium() {
    let chromium = browser_env("JUNCTION_CHROMIUM");
    let modules = browser_env("JUNCTION_BROWSER_MODULES");
    let screenshots = std::env::var_os("JUNCTION_SCREENSHOTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::components_root().join("screenshots"));
    std::fs::create_dir_all(&screenshots).unwrap();

    let shop = junction_emulators::start(
        WooConfig {
            orders: ORDERS,
            customers: 6,
            products: 5,
            variable_every: 0,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let dashboard = junction_emulators::bugalou::start(
        BugalouConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();

    let data = tempfile::tempdir().unwrap();
    let plugins = data.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for name in ["woocommerce", "bugalou"] {
        std::fs::copy(
            common::component(name),
            plugins.join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    std::fs::write(data.path().join("admin.token"), ADMIN).unwrap();
    let server = common::spawn_server(data.path(), common::free_port(), &[]);
    common::wait_for_status(&server.base, "/readyz", 200).await;
    let base = server.base.clone();
    let client = Client::new();
    admin(
        &client,
        &base,
        reqwest::Method::POST,
        "/tenants",
        Some(json!({"name": "acme"})),
    )
    .await;
    admin(
        &client,
        &base,
        reqwest::Method::POST,
        "/users",
        Some(json!({"tenant": "acme", "email": EMAIL, "password": PASSWORD})),
    )
    .await;

    let (hook, received) = common::webhook_receiver().await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/browser/portal.test.cjs");
    let woo = shop.config();
    let started = Instant::now();
    let output = tokio::process::Command::new("node")
        .arg(&script)
        .env("JUNCTION_CHROMIUM", &chromium)
        .env("JUNCTION_BROWSER_MODULES", &modules)
        .env("SCREENSHOTS", &screenshots)
        .env("BASE_URL", &base)
        .env("EMAIL", EMAIL)
        .env("PASSWORD", PASSWORD)
        .env("WOO_URL", shop.base_url())
        .env("WOO_KEY", &woo.consumer_key)
        .env("WOO_SECRET", &woo.consumer_secret)
        .env("WOO_ORDERS", ORDERS.to_string())
        .env("BUGALOU_URL", dashboard.base_url())
        .env("BUGALOU_KEY", BugalouConfig::default().api_key)
        .env("HOOK_URL", &hook)
        .env("ADMIN_TOKEN", ADMIN)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(600), output)
        .await
        .expect("the browser script took more than 10 minutes")
        .expect("node runs (Node.js 18+ is needed)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "the browser script failed after {:?} (screenshots in {}):\n{stdout}\n{stderr}",
        started.elapsed(),
        screenshots.display()
    );
    // The script's last line: what it created, for the server-side checks below.
    let summary: Value = stdout
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("RESULT "))
        .map(|json| serde_json::from_str(json).unwrap())
        .expect("the script printed its RESULT line");

    // The server agrees with what the browser showed.
    let connections = admin(
        &client,
        &base,
        reqwest::Method::GET,
        "/connections?tenant=acme",
        None,
    )
    .await;
    let list = connections["data"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{connections}");
    let shop_id = summary["shopConnection"].as_str().unwrap();
    let shown = admin(
        &client,
        &base,
        reqwest::Method::GET,
        &format!("/connections/{shop_id}"),
        None,
    )
    .await;
    let orders = shown["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "orders")
        .unwrap();
    assert_eq!(orders["recordCount"], ORDERS, "{shown}");
    let keys = admin(
        &client,
        &base,
        reqwest::Method::GET,
        &format!("/connections/{shop_id}/keys"),
        None,
    )
    .await;
    let key = keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "storefront")
        .unwrap_or_else(|| panic!("no key `storefront` in {keys}"));
    assert!(key["revokedMs"].is_i64(), "the key is revoked: {key}");
    let automations = admin(
        &client,
        &base,
        reqwest::Method::GET,
        "/automations?tenant=acme",
        None,
    )
    .await;
    assert_eq!(
        automations["data"].as_array().unwrap().len(),
        1,
        "{automations}"
    );
    // The automation the browser ran delivered the shop's orders to the dashboard.
    let deadline = Instant::now() + Duration::from_secs(60);
    while dashboard.store().orders().len() < ORDERS {
        assert!(
            Instant::now() < deadline,
            "the dashboard has {} of {ORDERS} orders",
            dashboard.store().orders().len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The endpoint the browser added got its test event.
    assert!(
        received
            .lock()
            .unwrap()
            .iter()
            .any(|event| event["type"] == "webhook.test"),
        "the receiver got no test event"
    );
    // axe-core checked every step's page (the script fails on any violation).
    let audited = summary["audited"].as_array().unwrap();
    assert_eq!(
        audited.len(),
        summary["screenshots"].as_array().unwrap().len()
    );
    for section in [
        "/portal/connections",
        "/portal/api-keys",
        "/portal/runs",
        "/portal/connectors",
        "/portal/webhooks",
        "/portal/users",
    ] {
        assert!(
            audited.iter().any(|p| p == section),
            "{section} not audited: {audited:?}"
        );
    }
    // The records browser and a record's page were audited too.
    for (what, audited_here) in [
        (
            "the records browser",
            audited
                .iter()
                .any(|p| p.as_str().unwrap().ends_with("/records/orders")),
        ),
        (
            "a run's page",
            audited.iter().any(|p| {
                let p = p.as_str().unwrap();
                p.starts_with("/portal/runs/") && p.len() > "/portal/runs/".len()
            }),
        ),
        (
            "a record's page",
            audited
                .iter()
                .any(|p| p.as_str().unwrap().contains("/records/orders/")),
        ),
    ] {
        assert!(audited_here, "{what} not audited: {audited:?}");
    }
    for name in summary["screenshots"].as_array().unwrap() {
        let path = screenshots.join(name.as_str().unwrap());
        assert!(
            std::fs::metadata(&path)
                .map(|m| m.len() > 1000)
                .unwrap_or(false),
            "screenshot {} missing or empty",
            path.display()
        );
    }
}
