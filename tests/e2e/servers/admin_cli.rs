//! `junction admin ...` against the real `junction serve`: connectors uploaded over the admin
//! API (validated first, live at once, a newer version replacing the old, a broken file
//! refused without touching anything), then a whole operator session through the CLI:
//! tenant, connection to the WooCommerce emulator, resource cadence, sync now, runs, API key
//! create / list / revoke, with the Runtime API honouring the key and then refusing it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::process::Output;
use std::time::{Duration, Instant};

use junction_emulators::WooConfig;
use serde_json::Value;

const ADMIN: &str = "cli-admin-token";

use common::admin::{cli as admin, cli_json as ok_json};

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

    // Reconcile now: an order deleted in the shop leaves the copy, and the history says so.
    let gone = shop.store().order_ids()[7];
    shop.store().delete_order(gone, true).unwrap();
    let queued = ok_json(
        admin(
            base,
            dir,
            &["connections", "reconcile", &id, "--resource", "orders"],
        ),
        "reconcile",
    );
    assert_eq!(queued["queued"], 1, "{queued}");
    let start = Instant::now();
    let reconciled = loop {
        let runs = ok_json(
            admin(
                base,
                dir,
                &["connections", "runs", &id, "--resource", "orders"],
            ),
            "runs",
        );
        if let Some(run) = runs["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"] == "reconcile" && r["status"] != "running")
        {
            break run.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no reconciliation: {runs}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        (
            &reconciled["status"],
            &reconciled["deleted"],
            &reconciled["records"]
        ),
        (
            &serde_json::json!("succeeded"),
            &serde_json::json!(1),
            &serde_json::json!(119)
        ),
        "{reconciled}"
    );
    let out = admin(
        base,
        dir,
        &["connections", "reconcile", &id, "--resource", "invoices"],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("resource"), "{}", stderr(&out));

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

/// Automations and request budgets through the CLI: a refused combination names the field;
/// create, list, update, run now, runs; writes that fail are parked (visible in the outbox)
/// and delivered after a retry by hand; a connection's budget shown, overridden and reset.
#[tokio::test]
async fn automations_and_budgets_through_the_admin_cli() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: 6,
            customers: 4,
            products: 3,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let marketing = junction_emulators::connectif::start(
        junction_emulators::connectif::ConnectifConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let plugins = data.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for name in ["woocommerce", "connectif"] {
        std::fs::copy(
            common::component(name),
            plugins.join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    std::fs::write(data.path().join("admin.token"), ADMIN).unwrap();
    // One attempt before parking, so the failures below park at once.
    let config = data.path().join("junction.toml");
    std::fs::write(&config, "[automations.outbox]\nmax_attempts = 1\n").unwrap();
    let server = common::spawn_server(
        data.path(),
        common::free_port(),
        &[("JUNCTION_CONFIG", config.to_str().unwrap())],
    );
    common::wait_for_status(&server.base, "/readyz", 200).await;
    let (base, dir) = (server.base.as_str(), data.path());
    let run = |args: &[&str]| admin(base, dir, args);
    ok_json(run(&["tenants", "create", "acme"]), "tenant");
    let woo_config = serde_json::json!({"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}).to_string();
    let source = ok_json(
        run(&[
            "connections",
            "create",
            "--tenant",
            "acme",
            "--connector",
            "woocommerce",
            "--name",
            "shop",
            "--config",
            &woo_config,
        ]),
        "source",
    )["connection"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cnf_config =
        serde_json::json!({"api_key": "cnf_test_key", "base_url": marketing.base_url(),
        "product_url_template": "https://shop.example.com/p/{id}"})
        .to_string();
    let target = ok_json(
        run(&[
            "connections",
            "create",
            "--tenant",
            "acme",
            "--connector",
            "connectif",
            "--name",
            "marketing",
            "--config",
            &cnf_config,
        ]),
        "target",
    )["connection"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Connectif's customers can be read (exports), but WooCommerce takes no customers:
    // customers flowing target → source are refused, naming the field.
    let refused = run(&[
        "automations",
        "create",
        "--tenant",
        "acme",
        "--name",
        "bad",
        "--source",
        &source,
        "--target",
        &target,
        "--entity",
        "customers=target_to_source",
    ]);
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(
        message.contains("field `entities.customers.direction`"),
        "{message}"
    );
    assert!(message.contains("cannot take customers"), "{message}");
    let refused = run(&[
        "automations",
        "create",
        "--tenant",
        "acme",
        "--name",
        "bad",
        "--source",
        &source,
        "--target",
        &target,
        "--entity",
        "customers=sideways",
    ]);
    assert!(!refused.status.success(), "an unknown direction is refused");

    // Connectif fails its first requests: those writes park at once (max_attempts = 1).
    marketing.set_faults(vec![junction_emulators::Fault::times(
        junction_emulators::FaultKind::ServerError,
        3,
    )]);
    let created = ok_json(
        run(&[
            "automations",
            "create",
            "--tenant",
            "acme",
            "--name",
            "shop to marketing",
            "--source",
            &source,
            "--target",
            &target,
            "--entity",
            "customers=source_to_target",
            "--cadence",
            "600",
            "--disabled",
        ]),
        "create",
    );
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["enabled"], false);
    let listed = ok_json(run(&["automations", "list", "--tenant", "acme"]), "list");
    assert_eq!(listed["data"][0]["id"], id.as_str());
    let updated = ok_json(
        run(&["automations", "update", &id, "--cadence", "900", "--enable"]),
        "update",
    );
    assert_eq!(
        (
            updated["enabled"].as_bool(),
            updated["cadenceSeconds"].as_i64()
        ),
        (Some(true), Some(900))
    );
    // A wild cadence is a field error, not an overflow (schemathesis found this one).
    let refused = run(&[
        "automations",
        "update",
        &id,
        "--cadence",
        "9223370241371634",
    ]);
    assert!(
        stderr(&refused).contains("field `cadenceSeconds`"),
        "{}",
        stderr(&refused)
    );
    ok_json(run(&["automations", "run", &id]), "run now");
    let started = std::time::Instant::now();
    let parked = loop {
        let shown = ok_json(run(&["automations", "show", &id]), "show");
        if shown["lastStatus"].is_string() && shown["outbox"]["pending"] == 0 {
            break shown["outbox"]["parked"].as_i64().unwrap();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "never ran: {shown}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(parked >= 1, "the failed writes are parked");
    let rows = ok_json(
        run(&["automations", "outbox", &id, "--status", "parked"]),
        "outbox",
    );
    let rows = rows["data"].as_array().unwrap();
    assert_eq!(rows.len() as i64, parked);
    assert!(
        rows[0]["lastError"].as_str().unwrap().contains("500"),
        "{}",
        rows[0]
    );
    // Retried by hand, they are delivered.
    let retried = ok_json(run(&["automations", "retry", &id]), "retry");
    assert_eq!(retried["retried"].as_i64(), Some(parked));
    let started = std::time::Instant::now();
    loop {
        let shown = ok_json(run(&["automations", "show", &id]), "show");
        if shown["outbox"] == serde_json::json!({"pending": 0, "parked": 0}) {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "retry never delivered: {shown}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        marketing.store().contact_count(),
        4,
        "every customer arrived"
    );
    let runs = ok_json(run(&["automations", "runs", &id]), "runs");
    let triggers: Vec<&str> = runs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["trigger"].as_str().unwrap())
        .collect();
    assert!(triggers.contains(&"manual"), "{triggers:?}");

    // The target's request budget: the manifest's, overridden, refused when nonsense, reset.
    let budget = ok_json(run(&["connections", "rate-limit", &target]), "budget");
    assert_eq!(
        (
            budget["source"].as_str(),
            budget["requests"].as_u64(),
            budget["perSeconds"].as_u64()
        ),
        (Some("manifest"), Some(100), Some(60))
    );
    assert!(budget["sent"].as_u64().unwrap() > 0, "{budget}");
    let budget = ok_json(
        run(&[
            "connections",
            "rate-limit",
            &target,
            "--requests",
            "10",
            "--per-seconds",
            "1",
        ]),
        "override",
    );
    assert_eq!(
        (budget["source"].as_str(), budget["requests"].as_u64()),
        (Some("override"), Some(10))
    );
    let refused = run(&[
        "connections",
        "rate-limit",
        &target,
        "--requests",
        "0",
        "--per-seconds",
        "1",
    ]);
    assert!(
        stderr(&refused).contains("field `rateLimit.requests`"),
        "{}",
        stderr(&refused)
    );
    let budget = ok_json(
        run(&["connections", "rate-limit", &target, "--reset"]),
        "reset",
    );
    assert_eq!(budget["source"], "manifest");
    let deleted = run(&["automations", "delete", &id]);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    let gone = run(&["automations", "show", &id]);
    assert!(stderr(&gone).contains("404"), "{}", stderr(&gone));
}
