//! Several `junction serve` hosts on one database, as the scale-out tests start them: each
//! with its own data directory holding the WooCommerce component, one admin token and one
//! secret key for all, and the lease owner name the host gives itself (`hostname-pid`).

use std::future::Future;

use reqwest::Client;
use serde_json::Value;

/// The admin token every host of these tests shares.
pub const ADMIN: &str = "scaleout-admin-token";
/// The secret key every host of these tests shares.
pub const SECRET_KEY: &str = "c2NhbGVvdXQtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";

/// A running host, killed (and its data directory removed) when dropped.
pub struct Host {
    pub process: super::ServerProcess,
    /// The name the host leases work and records runs under.
    pub owner: String,
    _data: tempfile::TempDir,
}

/// This machine's host name, as the server reads it for its lease owner name.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "junction".into())
}

/// Start a host on `database_url` with `config` as its TOML configuration file.
pub fn start_host(database_url: &str, config: &str) -> Host {
    let data = tempfile::tempdir().unwrap();
    let plugins = data.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(
        super::component("woocommerce"),
        plugins.join("woocommerce.wasm"),
    )
    .unwrap();
    let config_path = data.path().join("junction.toml");
    std::fs::write(&config_path, config).unwrap();
    let config_path = config_path.display().to_string();
    let process = super::spawn_server(
        data.path(),
        super::free_port(),
        &[
            ("JUNCTION_ADMIN_TOKEN", ADMIN),
            ("JUNCTION_SECRET_KEY", SECRET_KEY),
            ("JUNCTION_DATABASE_URL", database_url),
            ("JUNCTION_CONFIG", &config_path),
        ],
    );
    let owner = format!("{}-{}", hostname(), process.child.id());
    Host {
        process,
        owner,
        _data: data,
    }
}

/// One admin API request with the shared token; the JSON answer, which must be a success.
pub async fn admin(
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
    let response = req.send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

/// Run `scenario` with the URL of a fresh database (named `prefix` + a UUIDv7) on the
/// PostgreSQL server `server` names, and drop the database afterwards — also when the
/// scenario panics, whose panic is then raised again.
pub async fn on_fresh_database<F, Fut>(server: &str, prefix: &str, scenario: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin = sqlx::PgPool::connect(server).await.unwrap_or_else(|e| {
        panic!("this test needs PostgreSQL at {server} (set JUNCTION_TEST_POSTGRES_URL): {e}")
    });
    let name = format!("{prefix}{}", uuid::Uuid::now_v7().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    let outcome = tokio::spawn(scenario(super::with_database(server, &name))).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&admin)
    .await
    .unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
