//! `junction serve` as a real process: health and readiness, the connector listing, hot
//! reload of a file dropped into its plugins directory, and a clean stop on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

async fn wait_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn serve_reports_health_and_hot_reloads_connectors() {
    let data = tempfile::tempdir().unwrap();
    let server = common::spawn_server(data.path(), common::free_port(), &[]);
    let client = reqwest::Client::new();
    let base = server.base.clone();

    wait_until("healthz", async || {
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    // The OpenAPI document is served, unauthenticated, and covers the Runtime API.
    let spec: serde_json::Value = client
        .get(format!("{base}/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        spec["openapi"]
    );
    assert!(spec["paths"]["/api/v1/api/orders"]["get"].is_object());
    assert!(spec["paths"]["/api/v1/api/products/{id}/variations/{vid}/price"]["post"].is_object());
    // Nothing loaded yet: alive but not ready.
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);

    let plugins = data.path().join("plugins");
    std::fs::copy(common::component("minimal"), plugins.join("minimal.wasm")).unwrap();
    std::fs::write(plugins.join("broken.wasm"), "nope").unwrap();
    wait_until("minimal to load", async || {
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;

    let listing: serde_json::Value = client
        .get(format!("{base}/api/v1/connectors"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listing["connectors"][0]["key"], "minimal");
    assert_eq!(listing["connectors"][0]["version"], "0.1.0");
    wait_until("the broken file to be reported", async || {
        let listing: serde_json::Value = client
            .get(format!("{base}/api/v1/connectors"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listing["failed"] == 1
    })
    .await;
    let listing: serde_json::Value = client
        .get(format!("{base}/api/v1/connectors"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let failed = listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "failed")
        .unwrap();
    assert!(
        failed["error"].as_str().unwrap().contains("broken.wasm"),
        "{failed}"
    );

    // The compiled artifact was cached in the data directory.
    let cached = std::fs::read_dir(data.path().join("cache/compiled"))
        .unwrap()
        .count();
    assert!(cached >= 1, "compiled artifacts are cached on disk");

    // SIGTERM stops it cleanly.
    let pid = server.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let mut server = server;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "graceful stop exits 0, got {status}");
            break;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The server keeps its data where the test pass chose: SQLite in the data directory by
/// default; with `JUNCTION_TEST_DATABASE=postgres` its own PostgreSQL database, which a
/// restart on the same data directory finds again.
#[tokio::test]
async fn the_server_uses_the_database_the_test_pass_chose() {
    assert_eq!(
        common::with_database("postgres://u:p@h:5432/test?sslmode=disable", "j_1"),
        "postgres://u:p@h:5432/j_1?sslmode=disable"
    );
    assert_eq!(
        common::with_database("postgres://u@h", "j_1"),
        "postgres://u@h/j_1"
    );
    let data = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let server = common::spawn_server(data.path(), port, &[]);
    common::wait_for_status(&server.base, "/healthz", 200).await;
    let sqlite = data.path().join("junction.db");
    match common::database_url(data.path()) {
        None => assert!(sqlite.is_file(), "no SQLite database in the data directory"),
        Some(url) => {
            assert!(!sqlite.exists(), "a PostgreSQL server wrote {sqlite:?}");
            assert!(url.contains("/j_"), "{url}");
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            let tenants =
                || sqlx::query_scalar::<_, i64>("SELECT count(*) FROM tenants").fetch_one(&pool);
            assert_eq!(tenants().await.unwrap(), 0, "migrated and empty");
            // Written through the server, read in its database; a restart keeps it.
            let token = std::fs::read_to_string(data.path().join("admin.token")).unwrap();
            let client = reqwest::Client::new();
            let created = client
                .post(format!("{}/api/v1/admin/tenants", server.base))
                .bearer_auth(token.trim())
                .json(&serde_json::json!({"name": "acme"}))
                .send()
                .await
                .unwrap();
            assert!(created.status().is_success(), "{}", created.status());
            assert_eq!(tenants().await.unwrap(), 1);
            drop(server);
            let again = common::spawn_server(data.path(), port, &[]);
            common::wait_for_status(&again.base, "/healthz", 200).await;
            assert_eq!(common::database_url(data.path()), Some(url));
            assert!(!sqlite.exists());
            assert_eq!(tenants().await.unwrap(), 1);
        }
    }
}

/// Every host sharing a database must use the same secret key: a second host started on
/// the first one's database with another key refuses to start, naming the setting, and
/// changes nothing; with the same key it serves.
#[tokio::test]
async fn a_host_with_another_secret_key_refuses_to_start() {
    use data_encoding::BASE64;
    let first_key = BASE64.encode(&[7u8; 32]);
    let other_key = BASE64.encode(&[9u8; 32]);
    let first_dir = tempfile::tempdir().unwrap();
    let database = common::database_url(first_dir.path())
        .unwrap_or_else(|| junction::store::sqlite_url(first_dir.path()));
    let first = common::spawn_server(
        first_dir.path(),
        common::free_port(),
        &[
            ("JUNCTION_SECRET_KEY", &first_key),
            ("JUNCTION_DATABASE_URL", &database),
        ],
    );
    common::wait_for_status(&first.base, "/healthz", 200).await;

    let second_dir = tempfile::tempdir().unwrap();
    let mut refused = Command::new(env!("CARGO_BIN_EXE_junction"))
        .args(["serve", "--listen"])
        .arg(format!("127.0.0.1:{}", common::free_port()))
        .arg("--data-dir")
        .arg(second_dir.path())
        .env("JUNCTION_DATABASE_URL", &database)
        .env("JUNCTION_SECRET_KEY", &other_key)
        .env("JUNCTION_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = refused.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = refused.kill();
            panic!("a host with another secret key is still running after 30 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut refused.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "started with another key: {stderr}");
    assert!(
        stderr.contains("JUNCTION_SECRET_KEY") && stderr.contains("same"),
        "the refusal says what to do: {stderr}"
    );

    let second = common::spawn_server(
        second_dir.path(),
        common::free_port(),
        &[
            ("JUNCTION_SECRET_KEY", &first_key),
            ("JUNCTION_DATABASE_URL", &database),
        ],
    );
    common::wait_for_status(&second.base, "/healthz", 200).await;
    // The first host is unaffected.
    common::wait_for_status(&first.base, "/healthz", 200).await;
}
