//! Shared helpers for the end-to-end tests: where the built components are, a runtime with
//! test-sized limits, and a small local HTTP server to fetch from.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod admin;
pub mod hosts;
pub mod portal;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use junction::runtime::{Runtime, SandboxLimits};

/// The cargo target directory the components were built into (`cargo xtask plugins`).
pub fn components_root() -> PathBuf {
    std::env::var_os("JUNCTION_COMPONENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// A built component by name: `test-components/<name>.wasm` or `plugins/<name>.wasm`.
pub fn component(name: &str) -> PathBuf {
    let root = components_root();
    for folder in ["test-components", "plugins"] {
        let path = root.join(folder).join(format!("{name}.wasm"));
        if path.exists() {
            return path;
        }
    }
    panic!(
        "component `{name}` not found under {}: run `cargo xtask plugins` (or `cargo xtask test`)",
        root.display()
    );
}

/// Limits small enough that misbehaviour is caught quickly.
pub fn test_limits() -> SandboxLimits {
    SandboxLimits {
        memory_mib: 64,
        cpu_ms: 300,
        call_timeout_ms: 3_000,
        connect_timeout_ms: 1_000,
        first_byte_timeout_ms: 2_000,
        between_bytes_timeout_ms: 2_000,
        max_response_mib: 1,
        allow_private_networks: true,
        max_concurrent_instances: 32,
        ..SandboxLimits::default()
    }
}

pub fn runtime(limits: SandboxLimits) -> Runtime {
    Runtime::new(limits, None).expect("runtime")
}

/// A local server: `/small` (a few bytes), `/big` (2 MiB), `/slow` (answers after 10 s).
pub async fn file_server() -> SocketAddr {
    use axum::Router;
    use axum::routing::get;
    let app = Router::new()
        .route("/small", get(|| async { "hello" }))
        .route("/big", get(|| async { vec![b'x'; 2 << 20] }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// A running `junction serve` process, killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free local port (the OS picks; a race with another process is possible but rare).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start the real binary: `junction serve` on `port` with `data_dir`, private networks
/// allowed (the emulators are on loopback), and the given environment. The database is the
/// one [`database_url`] names for `data_dir`, unless `env` sets `JUNCTION_DATABASE_URL`.
pub fn spawn_server(data_dir: &std::path::Path, port: u16, env: &[(&str, &str)]) -> ServerProcess {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_junction"));
    command
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--allow-private-networks",
            "--data-dir",
        ])
        .arg(data_dir)
        .env("JUNCTION_LOG", "warn")
        .stdout(std::process::Stdio::null());
    if !env.iter().any(|(key, _)| *key == "JUNCTION_DATABASE_URL")
        && let Some(url) = database_url(data_dir)
    {
        command.args(["--database-url", &url]);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    ServerProcess {
        child: command.spawn().unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    }
}

/// A connection to the database of the test server using `data_dir` (whichever
/// `database_url` chose), for tests that inspect or fault-inject it with SQL.
pub async fn database(data_dir: &std::path::Path) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = database_url(data_dir)
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("junction.db").display()));
    sqlx::AnyPool::connect(&url).await.unwrap()
}

/// The database of a test server using `data_dir`: `None` (SQLite in the data directory,
/// the server's default) unless `JUNCTION_TEST_DATABASE=postgres`, then a fresh PostgreSQL
/// database on the server `JUNCTION_TEST_POSTGRES_URL` names. The database belongs to the
/// data directory (its URL is kept in it), so a server restarted on the same directory
/// finds its data as it would in SQLite. `cargo xtask test` drops the databases after the
/// pass: the name `j_<JUNCTION_TEST_RUN_ID>_<random>` tells whose they are.
pub fn database_url(data_dir: &std::path::Path) -> Option<String> {
    match std::env::var("JUNCTION_TEST_DATABASE").as_deref() {
        Err(_) | Ok("" | "sqlite") => return None,
        Ok("postgres") => {}
        Ok(other) => panic!("JUNCTION_TEST_DATABASE={other}: expected sqlite or postgres"),
    }
    let remembered = data_dir.join("test-database-url");
    if let Ok(url) = std::fs::read_to_string(&remembered) {
        return Some(url);
    }
    let server = std::env::var("JUNCTION_TEST_POSTGRES_URL")
        .expect("JUNCTION_TEST_DATABASE=postgres needs JUNCTION_TEST_POSTGRES_URL");
    let run = std::env::var("JUNCTION_TEST_RUN_ID").unwrap_or_else(|_| {
        // Run by hand: an old-looking run id would be dropped as stale by the next
        // `cargo xtask test`, so use the current time as xtask does (hex seconds + 6).
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        format!("{secs:x}000000")
    });
    let name = format!("j_{run}_{}", uuid::Uuid::now_v7().simple())
        .chars()
        .take(63)
        .collect::<String>();
    // Test bodies run inside a Tokio runtime and this is called synchronously: make the
    // database from a thread with its own runtime.
    let create = format!("CREATE DATABASE \"{name}\"");
    let admin_url = server.clone();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                use sqlx::Connection;
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to {admin_url}: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(create))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                admin.close().await.unwrap();
            });
    })
    .join()
    .unwrap();
    let url = with_database(&server, &name);
    std::fs::write(&remembered, &url).unwrap();
    Some(url)
}

/// `url` with its database (the path) replaced by `name`, the query string kept.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// Poll `path` until it answers `status`.
pub async fn wait_for_status(base: &str, path: &str, status: u16) {
    let client = reqwest::Client::new();
    let start = std::time::Instant::now();
    while client
        .get(format!("{base}{path}"))
        .send()
        .await
        .map(|r| r.status() != status)
        .unwrap_or(true)
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{base}{path} never answered {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A fresh schema on the PostgreSQL server `url` names (see
/// `junction_store::testing::fresh_postgres_schema`).
pub async fn fresh_postgres_schema(url: &str, prefix: &str) -> String {
    junction::store::testing::fresh_postgres_schema(url, prefix)
        .await
        .unwrap_or_else(|e| panic!("cannot make a schema on {url}: {e}"))
}

/// The PostgreSQL server the PostgreSQL-only tests use; they fail (never pass silently)
/// without one.
pub fn postgres_url() -> String {
    std::env::var("JUNCTION_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("this test needs PostgreSQL: set JUNCTION_TEST_POSTGRES_URL, or run `cargo xtask test`, which finds or starts one")
    })
}

/// A ready `junction serve` in a fresh data directory holding these components and this
/// admin token (the directory goes when the first value drops).
pub async fn serve_with(
    components: &[&str],
    admin_token: &str,
) -> (tempfile::TempDir, ServerProcess) {
    let data = tempfile::tempdir().unwrap();
    let plugins = data.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for name in components {
        std::fs::copy(component(name), plugins.join(format!("{name}.wasm"))).unwrap();
    }
    std::fs::write(data.path().join("admin.token"), admin_token).unwrap();
    let server = spawn_server(data.path(), free_port(), &[]);
    wait_for_status(&server.base, "/readyz", 200).await;
    (data, server)
}

/// A webhook receiver: every body POSTed to `/hook`, in arrival order (answers 204).
pub async fn webhook_receiver() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    let seen: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>> = Default::default();
    let store = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
                    store.lock().unwrap().push(v);
                }
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}
