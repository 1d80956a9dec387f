//! `junction admin ...` against the real `junction serve`: connectors uploaded over the admin
//! API (validated first, live at once, a newer version replacing the old, a broken file
//! refused without touching anything), then a whole operator session through the CLI:
//! tenant, connection to the WooCommerce emulator, resource cadence, sync now, runs, API key
//! create / list / revoke, with the Runtime API honouring the key and then refusing it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use junction_emulators::WooConfig;
use serde_json::Value;

const ADMIN: &str = "cli-admin-token";

/// Run `junction admin <args>` against `base`, with the token from the data directory.
fn admin(base: &str, data_dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_junction"))
        .arg("admin")
        .args(["--server", base, "--data-dir"])
        .arg(data_dir)
        .args(args)
        .env_remove("JUNCTION_ADMIN_TOKEN")
        .env("JUNCTION_LOG", "warn")
        .output()
        .unwrap()
}

/// The JSON a successful command printed.
fn ok_json(output: Output, what: &str) -> Value {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{what} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn an_operator_session_through_the_admin_cli() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: 120,
            customers: 10,
            products: 8,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    // An empty plugins directory: every connector arrives by upload.
    std::fs::create_dir_all(data.path().join("plugins")).unwrap();
    std::fs::write(data.path().join("admin.token"), ADMIN).unwrap();
    let server = common::spawn_server(data.path(), common::free_port(), &[]);
    common::wait_for_status(&server.base, "/healthz", 200).await;
    common::wait_for_status(&server.base, "/readyz", 503).await;
    let base = server.base.as_str();
    let dir = data.path();

    // A wrong token is refused with the API's message.
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_junction"))
        .args([
            "admin", "--server", base, "--token", "wrong", "tenants", "list",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("401 unauthorized"),
        "{}",
        stderr(&refused)
    );

    // Upload: something that is not a component is refused and nothing is written.
    let junk = dir.join("junk.wasm");
    std::fs::write(&junk, b"not a component").unwrap();
    let out = admin(base, dir, &["connectors", "upload", junk.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("400 invalid_component")
            && stderr(&out).contains("not a WebAssembly component"),
        "{}",
        stderr(&out)
    );
    // A component of another world is refused too.
    let other = common::component("other-world");
    let out = admin(
        base,
        dir,
        &["connectors", "upload", other.to_str().unwrap()],
    );
    assert!(
        stderr(&out).contains("junction:connector/plugin world"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_dir(dir.join("plugins")).unwrap().count(),
        0,
        "a refused upload leaves the plugins directory untouched"
    );

    // minimal 0.1.0, then minimal-next (same key, 0.2.0) replaces it at once.
    let first = ok_json(
        admin(
            base,
            dir,
            &[
                "connectors",
                "upload",
                common::component("minimal").to_str().unwrap(),
            ],
        ),
        "upload minimal",
    );
    assert_eq!(first["version"], "0.1.0");
    assert_eq!(first["previousVersion"], Value::Null);
    let second = ok_json(
        admin(
            base,
            dir,
            &[
                "connectors",
                "upload",
                common::component("minimal-next").to_str().unwrap(),
            ],
        ),
        "upload minimal-next",
    );
    assert_eq!(second["key"], first["key"]);
    assert_eq!(second["version"], "0.2.0");
    assert_eq!(second["previousVersion"], "0.1.0");
    let woo = ok_json(
        admin(
            base,
            dir,
            &[
                "connectors",
                "upload",
                common::component("woocommerce").to_str().unwrap(),
            ],
        ),
        "upload woocommerce",
    );
    assert_eq!(woo["key"], "woocommerce");
    let listing = ok_json(admin(base, dir, &["connectors", "list"]), "connectors list");
    let loaded: Vec<(String, String)> = listing["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap().into(),
                c["version"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        loaded.contains(&(first["key"].as_str().unwrap().into(), "0.2.0".into())),
        "{loaded:?}"
    );
    assert!(loaded.iter().any(|(k, _)| k == "woocommerce"));
    assert_eq!(listing["failed"], 0);
    common::wait_for_status(base, "/readyz", 200).await;

    // Tenant and connection; a config failing the schema names the field.
    let tenant = ok_json(
        admin(base, dir, &["tenants", "create", "acme"]),
        "tenants create",
    );
    assert_eq!(tenant["name"], "acme");
    let out = admin(
        base,
        dir,
        &[
            "connections",
            "create",
            "--tenant",
            "acme",
            "--connector",
            "woocommerce",
            "--name",
            "shop",
            "--config",
            r#"{"base_url":"not a url","consumer_key":"ck_test"}"#,
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("400"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("consumer_secret"),
        "the missing field is named: {}",
        stderr(&out)
    );
    let config = format!(
        r#"{{"base_url":"{}","consumer_key":"ck_test","consumer_secret":"cs_test"}}"#,
        shop.base_url()
    );
    let created = ok_json(
        admin(
            base,
            dir,
            &[
                "connections",
                "create",
                "--tenant",
                "acme",
                "--connector",
                "woocommerce",
                "--name",
                "shop",
                "--config",
                &config,
            ],
        ),
        "connections create",
    );
    assert_eq!(created["config"]["consumer_secret"], "***");
    let id = created["connection"]["id"].as_str().unwrap().to_string();
    let listed = ok_json(
        admin(base, dir, &["connections", "list", "--tenant", "acme"]),
        "connections list",
    );
    assert_eq!(listed["data"][0]["id"], id.as_str());

    // Resources: re-time orders, disable customers; a bad cadence is refused naming the field.
    let orders = ok_json(
        admin(
            base,
            dir,
            &["connections", "resource", &id, "orders", "--cadence", "120"],
        ),
        "resource orders",
    );
    assert_eq!(orders["cadenceSecs"], 120);
    let customers = ok_json(
        admin(
            base,
            dir,
            &["connections", "resource", &id, "customers", "--disable"],
        ),
        "resource customers",
    );
    assert_eq!(customers["enabled"], false);
    let out = admin(
        base,
        dir,
        &["connections", "resource", &id, "orders", "--cadence", "1"],
    );
    assert!(stderr(&out).contains("cadenceSeconds"), "{}", stderr(&out));
    let out = admin(
        base,
        dir,
        &["connections", "resource", &id, "invoices", "--enable"],
    );
    assert!(
        stderr(&out).contains("field `resource`"),
        "{}",
        stderr(&out)
    );

    // Sync now, then the run history shows a finished orders run with all 120 orders.
    ok_json(
        admin(
            base,
            dir,
            &["connections", "sync", &id, "--resource", "orders"],
        ),
        "sync",
    );
    let start = Instant::now();
    let run = loop {
        let runs = ok_json(
            admin(
                base,
                dir,
                &[
                    "connections",
                    "runs",
                    &id,
                    "--resource",
                    "orders",
                    "--limit",
                    "5",
                ],
            ),
            "runs",
        );
        if let Some(run) = runs["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["status"] == "succeeded")
        {
            break run.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no finished run: {runs}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(run["records"], 120);
    let shown = ok_json(admin(base, dir, &["connections", "show", &id]), "show");
    let orders_state = shown["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "orders")
        .unwrap();
    assert_eq!(orders_state["recordCount"], 120);

    // Keys: created (printed once), listed without the secret, usable, revoked, refused.
    let out = admin(base, dir, &["keys", "create", &id, "--name", "erp"]);
    assert!(stderr(&out).contains("shown only once"));
    let created = ok_json(out, "keys create");
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("jct_live_"));
    let key_id = created["apiKey"]["id"].as_str().unwrap().to_string();
    let listed = ok_json(
        admin(base, dir, &["keys", "list", "--connection", &id]),
        "keys list",
    );
    assert!(
        !listed.to_string().contains(&key),
        "a listing never shows the key"
    );
    assert_eq!(listed["data"][0]["prefix"], created["apiKey"]["prefix"]);
    let all = ok_json(
        admin(base, dir, &["keys", "list", "--tenant", "acme"]),
        "keys list --tenant",
    );
    assert_eq!(all["data"].as_array().unwrap().len(), 1);

    let client = reqwest::Client::new();
    let me = client
        .get(format!("{base}/api/v1/api/me"))
        .header("X-API-KEY", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let out = admin(base, dir, &["keys", "revoke", &key_id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let me = client
        .get(format!("{base}/api/v1/api/me"))
        .header("X-API-KEY", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401, "a revoked key stops working at once");
    let out = admin(base, dir, &["keys", "revoke", "no-such-key"]);
    assert!(stderr(&out).contains("404"), "{}", stderr(&out));
}
