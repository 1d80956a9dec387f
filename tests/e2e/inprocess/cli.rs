//! The connector-author CLI, run as the real `junction` binary: `inspect`, `call`, `list`
//! and `examples`, and their errors for bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::process::{Command, Output};

fn junction(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_junction"))
        .args(args)
        .env("JUNCTION_LOG", "warn")
        // Compiled components are cached beside the tests, never in the user's home.
        .env(
            "JUNCTION_CACHE_DIR",
            std::env::temp_dir().join("junction-cli-test-cache"),
        )
        .output()
        .expect("run junction")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).to_string()
}

#[test]
fn inspect_prints_the_manifest() {
    let path = common::component("misbehave");
    let out = junction(&["connector", "inspect", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["key"], "misbehave");
    assert_eq!(manifest["resources"], serde_json::json!(["products"]));
    assert_eq!(manifest["hosts"], serde_json::json!(["config:allowed_url"]));
    assert_eq!(manifest["digest"].as_str().unwrap().len(), 64);
}

#[test]
fn a_file_that_is_not_a_component_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let not_wasm = dir.path().join("notes.wasm");
    std::fs::write(&not_wasm, "hello").unwrap();
    let out = junction(&["connector", "inspect", not_wasm.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("is not a WebAssembly component"),
        "{}",
        text(&out.stderr)
    );

    // A core module: WebAssembly, but not a component.
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, [0u8, b'a', b's', b'm', 1, 0, 0, 0]).unwrap();
    let out = junction(&["connector", "inspect", core.to_str().unwrap()]);
    assert!(
        text(&out.stderr).contains("core WebAssembly module"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_component_of_another_world_is_refused() {
    let path = common::component("other-world");
    let out = junction(&["connector", "inspect", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("does not implement the junction:connector/plugin world"),
        "{stderr}"
    );
}

#[test]
fn a_config_failing_the_schema_names_the_field() {
    let path = common::component("misbehave");
    let out = junction(&[
        "connector",
        "call",
        path.to_str().unwrap(),
        "--config",
        r#"{"mode": "dance"}"#,
        "list",
        "products",
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("`mode`") && stderr.contains("dance"),
        "{stderr}"
    );

    let out = junction(&[
        "connector",
        "call",
        path.to_str().unwrap(),
        "--config",
        "{not json",
        "check",
    ]);
    assert!(
        text(&out.stderr).contains("--config is not valid JSON"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn call_runs_check_and_list_and_prints_json() {
    let path = common::component("misbehave");
    let out = junction(&[
        "connector",
        "call",
        path.to_str().unwrap(),
        "--config",
        r#"{"mode":"ok"}"#,
        "check",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["message"], "misbehave is ready to misbehave");

    let out = junction(&[
        "connector",
        "call",
        path.to_str().unwrap(),
        "--config",
        r#"{"mode":"ok"}"#,
        "list",
        "products",
        "--page-size",
        "5",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["entities"], serde_json::json!([]));
}

#[test]
fn bad_arguments_list_what_is_accepted() {
    let path = common::component("misbehave");
    let out = junction(&[
        "connector",
        "call",
        path.to_str().unwrap(),
        "--config",
        r#"{"mode":"ok"}"#,
        "list",
        "invoices",
    ]);
    assert!(
        text(&out.stderr).contains("expected one of orders, customers, products, variations"),
        "{}",
        text(&out.stderr)
    );
    let out = junction(&[
        "connector",
        "call",
        path.to_str().unwrap(),
        "--config",
        r#"{"mode":"ok"}"#,
        "list",
        "orders",
    ]);
    assert!(
        text(&out.stderr).contains("does not support the `orders` resource"),
        "{}",
        text(&out.stderr)
    );
    let out = junction(&[
        "connector",
        "call",
        path.to_str().unwrap(),
        "--config",
        r#"{"mode":"ok"}"#,
        "list",
        "products",
        "--since",
        "yesterday",
    ]);
    assert!(
        text(&out.stderr).contains("not an RFC 3339 timestamp"),
        "{}",
        text(&out.stderr)
    );
    let out = junction(&[
        "connector",
        "call",
        path.to_str().unwrap(),
        "--config",
        r#"{"mode":"ok"}"#,
        "write",
        r#"{"op":"order-status","order-id":"1","status":"x"}"#,
    ]);
    assert!(
        text(&out.stderr).contains("does not support the `order-status` write"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn list_shows_loaded_and_failed_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::component("minimal"),
        dir.path().join("minimal.wasm"),
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.wasm"), "not wasm").unwrap();
    let out = junction(&[
        "connector",
        "list",
        "--plugins-dir",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert!(
        !out.status.success(),
        "a failed file makes the command fail"
    );
    assert!(
        stdout.contains("minimal") && stdout.contains("loaded"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAILED") && stdout.contains("broken.wasm"),
        "{stdout}"
    );
}

#[tokio::test]
async fn the_readme_connector_reads_a_feed() {
    use axum::routing::get;
    let feed = serde_json::json!([
        {"id": "a1", "name": "Mug", "price": "9.5", "updated": "2026-01-02T10:00:00+01:00"},
        {"id": "b2", "name": "Cap", "price": "12", "updated": "2026-03-01T00:00:00Z"}
    ]);
    let app = axum::Router::new().route("/feed.json", get(move || async move { axum::Json(feed) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let path = common::component("hello-feed");
    let config = format!(r#"{{"feed_url":"http://{addr}/feed.json"}}"#);
    let out = tokio::task::spawn_blocking(move || {
        junction(&[
            "connector",
            "call",
            path.to_str().unwrap(),
            "--allow-private-networks",
            "--config",
            &config,
            "list",
            "products",
            "--since",
            "2026-02-01T00:00:00Z",
        ])
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let products = page["entities"].as_array().unwrap();
    assert_eq!(products.len(), 1, "{page}");
    assert_eq!(products[0]["Product"]["external_id"], "b2");
    assert_eq!(
        products[0]["Product"]["modified_at"],
        "2026-03-01T00:00:00Z"
    );
}

/// A component compiles on its first call and loads from the compile cache on the next
/// (what makes a 20 MB Python component's second call quick); `--no-cache` compiles again.
#[test]
fn the_second_call_of_a_component_loads_from_the_compile_cache() {
    let cache = tempfile::tempdir().unwrap();
    let path = common::component("misbehave");
    let call = |extra: &[&str]| {
        let mut args = vec![
            "connector",
            "call",
            path.to_str().unwrap(),
            "--config",
            r#"{"mode":"ok"}"#,
            "--cache-dir",
            cache.path().to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args.push("check");
        let out = junction(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stderr)
    };
    let first = call(&[]);
    assert!(first.contains(": compiled in "), "{first}");
    let artifacts: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
        .collect();
    assert_eq!(artifacts.len(), 1, "one compiled artifact stored");
    let second = call(&[]);
    assert!(
        second.contains(": loaded from the compile cache in "),
        "{second}"
    );
    let uncached = call(&["--no-cache"]);
    assert!(uncached.contains(": compiled in "), "{uncached}");
}

/// `call list --all` follows the connector's cursors to the end of a real (emulated) shop
/// and summarises: every order once, the page count, first and last ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_all_pages_to_the_end_and_summarises() {
    let shop = junction_emulators::start(
        junction_emulators::WooConfig {
            orders: 23,
            ..junction_emulators::WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let path = common::component("woocommerce");
    let config = format!(
        r#"{{"base_url":"{}","consumer_key":"ck_test","consumer_secret":"cs_test"}}"#,
        shop.base_url()
    );
    let out = tokio::task::spawn_blocking(move || {
        junction(&[
            "connector",
            "call",
            path.to_str().unwrap(),
            "--allow-private-networks",
            "--config",
            &config,
            "list",
            "orders",
            "--page-size",
            "5",
            "--all",
        ])
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["resource"], "orders");
    assert_eq!(summary["records"], 23, "{summary}");
    assert_eq!(summary["distinctIds"], 23, "{summary}");
    assert_eq!(summary["idsSeenTwice"], serde_json::json!([]));
    assert_eq!(summary["pages"], 5, "{summary}");
    assert!(summary["first"].is_string() && summary["last"].is_string());
    assert!(summary["requests"].as_u64().unwrap() >= 5);
}

/// `connector examples` prints one write per kind, and what it prints is what `call … write`
/// takes: the WooCommerce component performs the printed tracking and stock writes (ids
/// swapped for the emulator's) against the emulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_write_examples_are_accepted_by_a_real_component() {
    let out = junction(&["connector", "examples"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let examples: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(examples.len(), 9, "one per write kind");
    let bad = junction(&["connector", "examples", "delete-everything"]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("order-status, order-tracking"));

    let shop = junction_emulators::start(
        junction_emulators::WooConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let order = shop.store().order_ids()[0];
    let product = shop
        .store()
        .product_ids()
        .into_iter()
        .find(|p| shop.store().product(*p).unwrap()["type"] == "simple")
        .unwrap();
    let pick = |op: &str| examples.iter().find(|e| e["op"] == op).unwrap().clone();
    let mut tracking = pick("order-tracking");
    tracking["order-id"] = serde_json::json!(order.to_string());
    let mut stock = pick("product-stock");
    stock["product-id"] = serde_json::json!(product.to_string());
    let path = common::component("woocommerce");
    let config = format!(
        r#"{{"base_url":"{}","consumer_key":"ck_test","consumer_secret":"cs_test"}}"#,
        shop.base_url()
    );
    for write in [tracking, stock] {
        let (path, config) = (path.clone(), config.clone());
        let out = tokio::task::spawn_blocking(move || {
            junction(&[
                "connector",
                "call",
                path.to_str().unwrap(),
                "--allow-private-networks",
                "--config",
                &config,
                "write",
                &write.to_string(),
            ])
        })
        .await
        .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert_eq!(shop.store().product(product).unwrap()["stock_quantity"], 42);
}
