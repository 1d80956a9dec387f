//! Connector components shared through the database: an upload on one `junction serve`
//! reaches every host on the same database within seconds, a host started later has every
//! head before it is ready, hand-placed files stay local, and a single host (SQLite by
//! default) restores its uploads from its database into an emptied plugins directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use junction::runtime::Registry;
use junction::store::Store;
use junction::store::components::component_digest;
use junction::sync::components::ComponentSync;
use serde_json::{Value, json};

const ADMIN: &str = "shared-components-admin-token";

/// Long enough for several propagation polls (every 2 s) on a busy CI machine.
const PROPAGATION_DEADLINE: Duration = Duration::from_secs(60);

fn postgres_url() -> String {
    common::postgres_url()
}

/// A fresh database on the test server, dropped (with its connections) when this drops.
struct FreshDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl FreshDatabase {
    async fn create() -> Self {
        let admin_url = postgres_url();
        let name = format!("sc_{}", uuid::Uuid::now_v7().simple());
        let admin = sqlx::PgPool::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is needed: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        // Same server and credentials, the new database in place of the path.
        let url = common::with_database(&admin_url, &name);
        Self {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime: a thread with its own runtime can block.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(admin) = sqlx::PgPool::connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&admin)
                    .await;
                }
            });
        })
        .join();
    }
}

/// A data directory with the shared admin token and a plugins directory holding `by_hand`.
fn data_dir(by_hand: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for name in by_hand {
        std::fs::copy(
            common::component(name),
            plugins.join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("admin.token"), ADMIN).unwrap();
    dir
}

/// Hosts sharing a database share the vault key too (or one could not open another's
/// connection secrets).
const SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn serve(data: &Path, database_url: Option<&str>) -> common::ServerProcess {
    let env: Vec<(&str, &str)> = database_url
        .map(|url| {
            vec![
                ("JUNCTION_DATABASE_URL", url),
                ("JUNCTION_SECRET_KEY", SECRET_KEY),
            ]
        })
        .unwrap_or_default();
    common::spawn_server(data, common::free_port(), &env)
}

async fn upload(client: &reqwest::Client, base: &str, component: &str) -> Value {
    let response = client
        .post(format!("{base}/api/v1/admin/connectors"))
        .bearer_auth(ADMIN)
        .body(std::fs::read(common::component(component)).unwrap())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "upload {component}: {body}");
    body
}

/// The operator signs in to `base`'s portal and uploads `component` with the form.
async fn upload_in_portal(base: &str, component: &str) {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let csrf_of = |html: &str| {
        let marker = r#"name="csrf" value=""#;
        let start = html
            .find(marker)
            .unwrap_or_else(|| panic!("no csrf in {html}"))
            + marker.len();
        html[start..start + html[start..].find('"').unwrap()].to_string()
    };
    let login = browser
        .get(format!("{base}/portal/login"))
        .send()
        .await
        .unwrap();
    let csrf = csrf_of(&login.text().await.unwrap());
    let signed_in = browser
        .post(format!("{base}/portal/login/operator"))
        .form(&[("csrf", csrf.as_str()), ("token", ADMIN)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let page = browser
        .get(format!("{base}/portal/connectors"))
        .send()
        .await
        .unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    let boundary = "----shared-components-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"component\"; \
         filename=\"{component}.wasm\"\r\nContent-Type: application/wasm\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&std::fs::read(common::component(component)).unwrap());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let uploaded = browser
        .post(format!("{base}/portal/connectors"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = uploaded.status();
    assert_eq!(status, 303, "{}", uploaded.text().await.unwrap());
}

async fn admin(
    client: &reqwest::Client,
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
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

/// `key → (version, digest)` of every connector a host serves.
async fn served(client: &reqwest::Client, base: &str) -> Vec<(String, String, String)> {
    let listing = admin(client, base, reqwest::Method::GET, "/connectors", None).await;
    listing["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_string(),
                c["version"].as_str().unwrap().to_string(),
                c["digest"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn serves(listing: &[(String, String, String)], key: &str, version: &str, digest: &str) -> bool {
    listing
        .iter()
        .any(|(k, v, d)| k == key && v == version && d == digest)
}

/// Poll `base` until it serves `key` at `version` with `digest`.
async fn wait_until_served(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    version: &str,
    digest: &str,
) {
    let start = Instant::now();
    loop {
        let listing = served(client, base).await;
        if serves(&listing, key, version, digest) {
            return;
        }
        assert!(
            start.elapsed() < PROPAGATION_DEADLINE,
            "{base} never served {key} {version} ({digest}): {listing:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn heads(pool: &sqlx::PgPool) -> Vec<(String, String, i64)> {
    sqlx::query_as("SELECT connector_key, digest, seq FROM component_heads ORDER BY connector_key")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[ignore = "needs PostgreSQL: `cargo xtask test` runs it with one"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_on_one_host_serves_on_every_host() {
    let database = FreshDatabase::create().await;
    let client = reqwest::Client::new();
    // A starts with nothing; B has a connector placed by hand, which must stay B's own.
    let (data_a, data_b) = (data_dir(&[]), data_dir(&["push"]));
    let a = serve(data_a.path(), Some(&database.url));
    common::wait_for_status(&a.base, "/healthz", 200).await;
    let b = serve(data_b.path(), Some(&database.url));
    common::wait_for_status(&b.base, "/readyz", 200).await;
    common::wait_for_status(&a.base, "/readyz", 503).await;

    // minimal 0.1.0 uploaded on A serves on B, with the same digest.
    let first = upload(&client, &a.base, "minimal").await;
    assert_eq!(first["version"], "0.1.0");
    let first_digest = first["digest"].as_str().unwrap().to_string();
    wait_until_served(&client, &b.base, "minimal", "0.1.0", &first_digest).await;

    // B runs it: a connection created on B (B validates the config with its copy) and a
    // call B makes into the component (`check`, answered by the guest).
    let tenant = admin(
        &client,
        &b.base,
        reqwest::Method::POST,
        "/tenants",
        Some(json!({"name": "acme"})),
    )
    .await;
    let connection = admin(
        &client,
        &b.base,
        reqwest::Method::POST,
        "/connections",
        Some(
            json!({"tenant": tenant["id"], "connector": "minimal", "name": "floor", "config": {}}),
        ),
    )
    .await;
    let id = connection["connection"]["id"].as_str().unwrap();
    let key = admin(
        &client,
        &b.base,
        reqwest::Method::POST,
        &format!("/connections/{id}/keys"),
        Some(json!({"name": "check"})),
    )
    .await;
    let api_key = key["key"].as_str().unwrap().to_string();
    let runtime_get = |path: &str| {
        client
            .get(format!("{}/api/v1/api{path}", b.base))
            .header("X-API-KEY", &api_key)
            .send()
    };
    let health: Value = runtime_get("/health/connection")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["message"], "nothing to check", "{health}");
    let capabilities: Value = runtime_get("/capabilities")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(capabilities["connectorVersion"], "0.1.0");

    // The next version uploaded on A replaces it on B, and B's calls run it.
    let second = upload(&client, &a.base, "minimal-next").await;
    assert_eq!(second["previousVersion"], "0.1.0");
    let second_digest = second["digest"].as_str().unwrap().to_string();
    wait_until_served(&client, &b.base, "minimal", "0.2.0", &second_digest).await;
    let capabilities: Value = runtime_get("/capabilities")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(capabilities["connectorVersion"], "0.2.0");

    // A second key, uploaded the other way: in B's portal (the operator's form), served on A.
    upload_in_portal(&b.base, "hello-feed").await;
    let feed_digest = component_digest(&std::fs::read(common::component("hello-feed")).unwrap());
    let on_b = served(&client, &b.base).await;
    let (_, feed_version, _) = on_b
        .iter()
        .find(|(k, _, d)| k == "hello-feed" && *d == feed_digest)
        .unwrap_or_else(|| panic!("the portal upload serves on B: {on_b:?}"))
        .clone();
    wait_until_served(&client, &a.base, "hello-feed", &feed_version, &feed_digest).await;

    // The same bytes again: content-addressed, no new row.
    upload(&client, &a.base, "minimal-next").await;
    let db = sqlx::PgPool::connect(&database.url).await.unwrap();
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT connector_key, version FROM components ORDER BY version")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");

    // Installing from the database never publishes: the heads stay as A left them while
    // both hosts keep polling.
    let settled = heads(&db).await;
    assert_eq!(settled.len(), 2, "{settled:?}");
    assert_eq!(settled[1].1, second_digest);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(heads(&db).await, settled);

    // C starts after all this with an empty plugins directory: ready means it has every head.
    let data_c = data_dir(&[]);
    let c = serve(data_c.path(), Some(&database.url));
    common::wait_for_status(&c.base, "/readyz", 200).await;
    let on_c = served(&client, &c.base).await;
    assert!(
        serves(&on_c, "minimal", "0.2.0", &second_digest),
        "{on_c:?}"
    );
    assert!(
        serves(&on_c, "hello-feed", &feed_version, &feed_digest),
        "{on_c:?}"
    );
    // B's hand-placed connector stayed B's.
    assert!(on_c.iter().all(|(k, _, _)| k != "push"), "{on_c:?}");
    let on_a = served(&client, &a.base).await;
    assert!(on_a.iter().all(|(k, _, _)| k != "push"), "{on_a:?}");
    assert!(
        served(&client, &b.base)
            .await
            .iter()
            .any(|(k, _, _)| k == "push")
    );

    // B counted what it installed from the database.
    let metrics = client
        .get(format!("{}/metrics", b.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("junction_components_synced_total{outcome=\"installed\"}")),
        "{metrics}"
    );

    db.close().await;
    drop((a, b, c));
}

#[tokio::test]
async fn a_single_host_restores_uploads_from_its_database_into_an_emptied_plugins_directory() {
    let client = reqwest::Client::new();
    let data = data_dir(&[]);
    let server = serve(data.path(), None);
    common::wait_for_status(&server.base, "/readyz", 503).await;
    let uploaded = upload(&client, &server.base, "minimal").await;
    let digest = uploaded["digest"].as_str().unwrap().to_string();
    drop(server);

    let plugins = data.path().join("plugins");
    for entry in std::fs::read_dir(&plugins).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let restarted = serve(data.path(), None);
    // Nothing else could make it ready: the plugins directory is empty.
    common::wait_for_status(&restarted.base, "/readyz", 200).await;
    let listing = served(&client, &restarted.base).await;
    assert!(serves(&listing, "minimal", "0.1.0", &digest), "{listing:?}");
    assert!(plugins.join("minimal.wasm").exists());
}

#[tokio::test]
async fn a_head_stored_under_another_key_is_refused_once_and_not_installed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&junction::store::sqlite_url(dir.path()))
        .await
        .unwrap();
    let registry = Registry::open(
        common::runtime(common::test_limits()),
        dir.path().join("plugins"),
    )
    .await
    .unwrap();
    // minimal's bytes recorded as the head of another key (a forged or corrupt row).
    let bytes = std::fs::read(common::component("minimal")).unwrap();
    store
        .publish_component("shop", "0.1.0", &bytes)
        .await
        .unwrap();
    let mut sync = ComponentSync::new(store.clone(), registry.clone());
    let report = sync.tick().await.unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(registry.get("minimal").is_none() && registry.get("shop").is_none());
    assert_eq!(std::fs::read_dir(registry.dir()).unwrap().count(), 0);
    let again = sync.tick().await.unwrap();
    assert!(again.failed.is_empty() && again.skipped == 1, "{again:?}");

    // A good head installs through the registry, once.
    let good = store
        .publish_component("minimal", "0.1.0", &bytes)
        .await
        .unwrap();
    let report = sync.tick().await.unwrap();
    assert_eq!(report.installed, ["minimal"]);
    assert_eq!(registry.get("minimal").unwrap().digest, good.digest);
    assert!(sync.tick().await.unwrap().installed.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_installs_of_one_key_do_not_share_a_staging_file() {
    // An upload and the propagation task may install the same key at the same moment.
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(
        common::runtime(common::test_limits()),
        dir.path().join("plugins"),
    )
    .await
    .unwrap();
    // Padded with a custom section so each write takes long enough to overlap another.
    let versions = [
        padded(std::fs::read(common::component("minimal")).unwrap()),
        padded(std::fs::read(common::component("minimal-next")).unwrap()),
    ];
    // Validated first, so the writes (the racy part) start together.
    let mut validated = Vec::new();
    for i in 0..12 {
        validated.push(registry.validate(versions[i % 2].clone()).await.unwrap());
    }
    let installs: Vec<_> = validated
        .into_iter()
        .map(|v| {
            let registry = registry.clone();
            tokio::spawn(async move { registry.install_validated(v).await.map(|_| ()) })
        })
        .collect();
    for install in installs {
        install.await.unwrap().unwrap();
    }
    let left: Vec<_> = std::fs::read_dir(registry.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["minimal.wasm"], "no staging file is left behind");
    let live = registry.get("minimal").unwrap();
    let on_disk = std::fs::read(registry.dir().join("minimal.wasm")).unwrap();
    assert_eq!(live.digest, component_digest(&on_disk));
}

/// `component` with an 8 MiB custom section appended (valid: custom sections may follow).
fn padded(mut component: Vec<u8>) -> Vec<u8> {
    let name = b"padding";
    let payload = vec![0x5a; 8 << 20];
    let mut size = name.len() + 1 + payload.len();
    component.push(0); // custom section id
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        if size == 0 {
            component.push(byte);
            break;
        }
        component.push(byte | 0x80);
    }
    component.push(name.len() as u8);
    component.extend_from_slice(name);
    component.extend_from_slice(&payload);
    component
}
