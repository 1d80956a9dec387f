//! The embedded store under storage faults (issue 14, item 2), with the real binary on a
//! small tmpfs and a real WooCommerce emulator:
//!
//! - the first sync fills the disk: Runtime API reads keep answering (a key's "last used"
//!   bookkeeping may not fail them), the run fails and says why;
//! - space returns: writes work within seconds and the sync resumes from its checkpoint
//!   until the copy holds every order — nothing lost, nothing doubled;
//! - the database file turns read-only and back: connections that opened it read-only are
//!   replaced, so writes work again within seconds of the file being writable;
//! - SIGTERM ends the server promptly, and a start on a read-only database names the file.
//!
//! The server runs as `nobody` (file permissions bind it; they do not bind root), on a
//! tmpfs this test mounts and remounts: it needs root, as CI and the dev machines have.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use junction_emulators::WooConfig;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

const ADMIN: &str = "resilience-admin-token";
const ORDERS: usize = 15_000;
const NOBODY: u32 = 65534;

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size_mib: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mib}m,mode=0755")])
            .arg("tmpfs")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(
            mounted.success(),
            "this test mounts a tmpfs to fill it: it must run as root (as `cargo xtask test` does in CI)"
        );
        chown(dir.path());
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Give the file system `size_mib` in all (space returns, or goes).
    fn resize(&self, size_mib: u32) {
        let done = Command::new("mount")
            .args(["-o", &format!("remount,size={size_mib}m")])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(done.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

fn chown(path: &Path) {
    let done = Command::new("chown")
        .args(["-R", &format!("{NOBODY}:{NOBODY}")])
        .arg(path)
        .status()
        .unwrap();
    assert!(done.success());
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    if path.exists() {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// The database file and its WAL/SHM companions.
fn database_files(data: &Path) -> Vec<PathBuf> {
    ["junction.db", "junction.db-wal", "junction.db-shm"]
        .iter()
        .map(|name| data.join(name))
        .collect()
}

/// A server process, killed when dropped (also when the test fails half-way).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `junction serve` as `nobody` on `data`, SQLite in it.
fn spawn_as_nobody(data: &Path, port: u16, stderr: Stdio) -> std::process::Child {
    Command::new("setpriv")
        .args([
            &format!("--reuid={NOBODY}"),
            &format!("--regid={NOBODY}"),
            "--clear-groups",
            "--",
            env!("CARGO_BIN_EXE_junction"),
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--allow-private-networks",
            "--data-dir",
        ])
        .arg(data)
        .arg("--database-url")
        .arg(format!(
            "sqlite://{}?mode=rwc",
            data.join("junction.db").display()
        ))
        .env("JUNCTION_ADMIN_TOKEN", ADMIN)
        .env("JUNCTION_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

struct Api {
    base: String,
    client: Client,
}

impl Api {
    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1/admin{path}", self.base))
            .bearer_auth(ADMIN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.admin(method, path, body).await;
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    }

    /// `GET /me` with `key`: resolving the key (and recording its use) and answering.
    async fn read_me(&self, key: &str) -> StatusCode {
        self.client
            .get(format!("{}/api/v1/api/me", self.base))
            .header("X-API-KEY", key)
            .send()
            .await
            .unwrap()
            .status()
    }

    /// A list of orders: its status and error code (empty when none).
    async fn read_code(&self, key: &str) -> (StatusCode, String) {
        let response = self
            .client
            .get(format!("{}/api/v1/api/orders?pageSize=5", self.base))
            .header("X-API-KEY", key)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        (
            status,
            body["code"].as_str().unwrap_or_default().to_string(),
        )
    }

    /// The orders sync state of `connection`: (records held, last status, last error).
    async fn orders_state(&self, connection: &str) -> (i64, String, String) {
        let shown = self
            .ok(Method::GET, &format!("/connections/{connection}"), None)
            .await;
        let orders = shown["resources"]
            .as_array()
            .unwrap_or_else(|| panic!("{shown}"))
            .iter()
            .find(|r| r["resource"] == "orders")
            .unwrap()
            .clone();
        (
            orders["recordCount"].as_i64().unwrap_or(0),
            orders["lastStatus"].as_str().unwrap_or("").to_string(),
            orders["lastError"].as_str().unwrap_or("").to_string(),
        )
    }

    /// Poll `check` every 250 ms until it holds; panic with `what` after `limit`.
    async fn until<F, Fut>(&self, what: &str, limit: Duration, mut check: F) -> Duration
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = Instant::now();
        while !check().await {
            assert!(started.elapsed() < limit, "not within {limit:?}: {what}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        started.elapsed()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_survives_a_full_disk_and_a_read_only_file_without_a_restart() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: ORDERS,
            customers: 5,
            products: 4,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    // 40 MiB: the compiled component and a few thousand orders fill it mid-sync.
    let disk = Tmpfs::mount(40);
    let data = disk.path().join("data");
    std::fs::create_dir_all(data.join("plugins")).unwrap();
    std::fs::copy(
        common::component("woocommerce"),
        data.join("plugins").join("woocommerce.wasm"),
    )
    .unwrap();
    chown(&data);
    let port = common::free_port();
    let mut server = Running(spawn_as_nobody(&data, port, Stdio::inherit()));
    let api = Api {
        base: format!("http://127.0.0.1:{port}"),
        // A hang is a failure of this test, not a wait.
        client: Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
    };
    common::wait_for_status(&api.base, "/readyz", 200).await;
    api.ok(Method::POST, "/tenants", Some(json!({"name": "acme"})))
        .await;
    let created = api
        .ok(
            Method::POST,
            "/connections",
            Some(json!({"tenant": "acme", "connector": "woocommerce", "name": "shop",
                "config": {"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}})),
        )
        .await;
    let connection = created["connection"]["id"].as_str().unwrap().to_string();
    // Made before the disk fills, never used: its first use wants to record "last used".
    let key_path = format!("/connections/{connection}/keys");
    let key = api
        .ok(Method::POST, &key_path, Some(json!({"name": "reader"})))
        .await["key"]
        .as_str()
        .unwrap()
        .to_string();

    // 1. The first sync fills the disk; its run fails and says why.
    api.until(
        "the orders sync fails on the full disk",
        Duration::from_secs(120),
        || async {
            let (_, status, error) = api.orders_state(&connection).await;
            status == "failed" && error.contains("full")
        },
    )
    .await;
    let (held, _, _) = api.orders_state(&connection).await;
    assert!(
        held < ORDERS as i64,
        "the disk filled before the sync ended"
    );
    // Reads keep answering, the key's first use included (the orders' first sync has not
    // ended, so they say so: `503 not_synced_yet`, never a store failure).
    for _ in 0..20 {
        assert_eq!(api.read_me(&key).await, StatusCode::OK);
        assert_eq!(
            api.read_code(&key).await,
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not_synced_yet".to_string()
            )
        );
    }
    // A write may fail (503 in the API's error shape) or find a free page; it never hangs.
    let (status, answer) = api
        .admin(Method::POST, &key_path, Some(json!({"name": "while full"})))
        .await;
    assert!(
        status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::CREATED,
        "{status} {answer}"
    );

    // 2. Space returns: writes work within seconds, the sync resumes and completes.
    disk.resize(400);
    let writable = api
        .until(
            "a write succeeds after space returned",
            Duration::from_secs(10),
            || async {
                api.admin(Method::POST, &key_path, Some(json!({"name": "after"})))
                    .await
                    .0
                    == StatusCode::CREATED
            },
        )
        .await;
    eprintln!("writes resumed {writable:?} after space returned");
    // Within seconds: the run the full disk interrupted retries soon and resumes from its
    // checkpoint (not after the external-failure backoff of 30 s and more).
    let synced = api
        .until(
            "every order is in the copy",
            Duration::from_secs(25),
            || async {
                let (held, status, _) = api.orders_state(&connection).await;
                held == ORDERS as i64 && status == "succeeded"
            },
        )
        .await;
    eprintln!("the sync completed {synced:?} after space returned");

    // 3. The database turns read-only (connections opened now open it read-only), then
    // writable again: writes work within seconds, every one of them.
    for file in database_files(&data) {
        chmod(&file, 0o444);
    }
    // Make the pool open connections while the file is read-only: many reads at once, and
    // a write whose failure makes the pool replace its connections.
    let _ = api
        .admin(Method::POST, &key_path, Some(json!({"name": "read-only"})))
        .await;
    let reads: Vec<_> = (0..16)
        .map(|_| {
            let (client, base, key) = (api.client.clone(), api.base.clone(), key.clone());
            tokio::spawn(async move {
                client
                    .get(format!("{base}/api/v1/api/orders?pageSize=200"))
                    .header("X-API-KEY", key)
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    for read in reads {
        assert_eq!(read.await.unwrap().unwrap(), StatusCode::OK);
    }
    for file in database_files(&data) {
        chmod(&file, 0o600);
    }
    api.until(
        "a write succeeds after the file is writable",
        Duration::from_secs(10),
        || async {
            api.admin(Method::POST, &key_path, Some(json!({"name": "restored"})))
                .await
                .0
                == StatusCode::CREATED
        },
    )
    .await;
    for i in 0..30 {
        let (status, body) = api
            .admin(
                Method::POST,
                &key_path,
                Some(json!({"name": format!("after {i}")})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "write {i} after the file was restored: {body}"
        );
    }

    // 4. SIGTERM ends the server promptly.
    let stopping = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &server.0.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    loop {
        if server.0.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(15),
            "the server did not stop within 15 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("stopped {:?} after SIGTERM", stopping.elapsed());

    // 5. A read-only database at start: the error names the file.
    chmod(&data.join("junction.db"), 0o444);
    let refused = spawn_as_nobody(&data, common::free_port(), Stdio::piped())
        .wait_with_output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        said.contains(&data.join("junction.db").display().to_string())
            && said.contains("cannot be written"),
        "{said}"
    );
    chmod(&data.join("junction.db"), 0o600);
}
