//! Runtime API and ingest benchmark: prints figures, asserts nothing.
//!
//! 1. Ingest: the WooCommerce emulator seeded with N orders (default 100 000) → the real
//!    WooCommerce component in the sandbox → autosync (`run_job`, per-page commits with
//!    checkpoints) → SQLite; beside a native Rust client that fetches the same pages from
//!    the emulator over HTTP and commits them with the same store call. Records/s and ratio.
//! 2. Runtime API: the real router over TCP with an API key, a page of 50 orders from the N
//!    cached orders: the first page, a keyset (`cursor`) walk, and random page numbers;
//!    beside a floor route on the same server returning the same bytes pre-serialised;
//!    the first page also gzip-, brotli- and zstd-compressed (bytes on the wire).
//!    Requests/s, p50 and p99, bytes per answer, and the ratios.
//!
//! Run with `cargo xtask bench api [orders [requests]]` (release build; 100 000 orders and
//! 4 000 requests per scenario by default).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::routing::get;
use junction::api::ApiState;
use junction::hub::Hub;
use junction::runtime::types::ResourceKind;
use junction::runtime::{Registry, Runtime, SandboxLimits};
use junction::secrets::Vault;
use junction::store::Store;
use junction::store::records::{PageCheckpoint, StoredRecord};
use junction::sync::autosync::{SyncSettings, run_job};
use junction_emulators::WooConfig;
use junction_emulators::woocommerce::parse_rest_date;
use serde_json::{Value, json};

const PAGE_SIZE: u32 = 100;
const API_PAGE_SIZE: usize = 50;
const CLIENTS: usize = 4;
/// Requests per measured scenario unless the second argument says otherwise.
const REQUESTS: usize = 4_000;

fn components_root() -> PathBuf {
    std::env::var_os("JUNCTION_COMPONENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

#[tokio::main]
async fn main() {
    let arg = |n: usize, default: u64| -> u64 {
        std::env::args()
            .nth(n)
            .map(|v| v.parse().expect("usage: api_bench [orders [requests]]"))
            .unwrap_or(default)
    };
    let orders = arg(1, 100_000);
    let requests = arg(2, REQUESTS as u64) as usize;
    let work = tempfile::tempdir().unwrap();
    let shop_config = WooConfig {
        orders: orders as usize,
        customers: 10,
        products: 10,
        ..WooConfig::default()
    };
    let shop = junction_emulators::start(shop_config.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    let plugins = work.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(
        components_root().join("plugins/woocommerce.wasm"),
        plugins.join("woocommerce.wasm"),
    )
    .unwrap();
    let limits = SandboxLimits {
        allow_private_networks: true,
        ..SandboxLimits::default()
    };
    let runtime = Runtime::new(limits, Some(work.path().join("cache"))).unwrap();
    let registry = Registry::open(runtime, plugins).await.unwrap();
    let db = work.path().join("junction.db");
    let store = Store::open(&format!("sqlite://{}?mode=rwc", db.display()))
        .await
        .unwrap();
    let hub = Hub::new(
        store.clone(),
        registry,
        Vault::from_base64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap(),
    );
    let tenant = store.create_tenant("bench").await.unwrap();
    let config = json!({
        "base_url": shop.base_url(),
        "consumer_key": shop_config.consumer_key,
        "consumer_secret": shop_config.consumer_secret,
    });

    println!("== ingest: {orders} orders, pages of {PAGE_SIZE}, SQLite (WAL) ==");
    let connection = hub
        .create_connection(&tenant.id, "woocommerce", "bench", &config)
        .await
        .unwrap();
    let settings = SyncSettings {
        page_size: PAGE_SIZE,
        ..SyncSettings::default()
    };
    store
        .claim_job(&connection.id, "orders", "bench", 3_600_000)
        .await
        .unwrap();
    let start = Instant::now();
    let outcome = run_job(
        &hub,
        &settings,
        &connection.id,
        ResourceKind::Orders,
        "manual",
        "bench",
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    let through_connector = start.elapsed();
    assert_eq!(outcome.records, orders, "{outcome:?}");
    let connector_rate = orders as f64 / through_connector.as_secs_f64();

    let native = native_ingest(&store, &shop.base_url(), &shop_config, orders).await;
    let native_rate = orders as f64 / native.as_secs_f64();
    println!(
        "emulator -> wasm connector -> autosync -> SQLite: {:>9.0} records/s ({:.1} s)",
        connector_rate,
        through_connector.as_secs_f64()
    );
    println!(
        "emulator -> native Rust client -> SQLite:         {:>9.0} records/s ({:.1} s)",
        native_rate,
        native.as_secs_f64()
    );
    println!(
        "ratio connector / native: {:.2}",
        connector_rate / native_rate
    );

    println!(
        "\n== Runtime API: pages of {API_PAGE_SIZE} orders from {orders} cached, {CLIENTS} clients x {} requests ==",
        requests / CLIENTS
    );
    let (key, prefix, hash) = junction::domain::accounts::api_keys::generate().unwrap();
    store
        .create_api_key(&connection.id, "bench", &prefix, &hash)
        .await
        .unwrap();
    let base = serve(hub).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();

    // The floor: the same bytes as the first page, from the same server, pre-serialised.
    let first_page = client
        .get(format!("{base}/api/v1/api/orders?pageSize={API_PAGE_SIZE}"))
        .header("X-API-KEY", &key)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    FLOOR_BYTES.set(first_page.to_vec()).unwrap();
    let floor = load(&client, &key, requests, None, |_| {
        format!("{base}/bench/floor")
    })
    .await;
    report("floor (pre-serialised bytes)", &floor, None);

    let first = load(&client, &key, requests, None, |_| {
        format!("{base}/api/v1/api/orders?pageSize={API_PAGE_SIZE}")
    })
    .await;
    report("first page (page=1)", &first, Some(&floor));
    // The same page compressed (bytes on the wire per answer; this client decodes nothing).
    for (name, encoding) in [
        ("first page, gzip", "gzip"),
        ("first page, brotli", "br"),
        ("first page, zstd", "zstd"),
    ] {
        let compressed = load(&client, &key, requests, Some(encoding), |_| {
            format!("{base}/api/v1/api/orders?pageSize={API_PAGE_SIZE}")
        })
        .await;
        report(name, &compressed, Some(&floor));
    }

    let cursors = keyset_cursors(&client, &base, &key, requests).await;
    let walk = load(&client, &key, requests, None, |i| {
        format!(
            "{base}/api/v1/api/orders?pageSize={API_PAGE_SIZE}&cursor={}",
            cursors[i % cursors.len()]
        )
    })
    .await;
    report("keyset walk (cursor=...)", &walk, Some(&floor));

    let pages = (orders as usize / API_PAGE_SIZE).max(1);
    let random = load(&client, &key, requests, None, |i| {
        // A fixed pseudo-random spread over all pages (Knuth's multiplicative hash).
        let page = (i.wrapping_mul(2_654_435_761) % pages) + 1;
        format!("{base}/api/v1/api/orders?pageSize={API_PAGE_SIZE}&page={page}")
    })
    .await;
    report("random page numbers (page=N)", &random, Some(&floor));
    drop(shop);
}

static FLOOR_BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();

/// The real API router plus the floor route, on a local port.
async fn serve(hub: Hub) -> String {
    let api = junction::api::router(ApiState {
        hub,
        admin_token: "bench".into(),
    });
    let app = api.route(
        "/bench/floor",
        get(|| async {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                FLOOR_BYTES.get().cloned().unwrap_or_default(),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// The run the native reference commits its pages under.
const NATIVE_RUN: &str = "native";

/// Fetch the same pages the connector read and commit them with the same store call.
async fn native_ingest(store: &Store, base: &str, shop: &WooConfig, orders: u64) -> Duration {
    let tenant = store.create_tenant("native").await.unwrap();
    let connection = store
        .create_connection(junction::store::connections::NewConnection {
            tenant_id: &tenant.id,
            connector_key: "native",
            name: "native",
            public_config: "{}",
            sealed_secrets: "",
            resources: vec![(ResourceKind::Orders, false, 300)],
        })
        .await
        .unwrap();
    // Pages commit only under a run that holds the job's lease, as autosync's do.
    store
        .claim_job(&connection.id, "orders", "bench", 3_600_000)
        .await
        .unwrap();
    store
        .start_run(NATIVE_RUN, &connection.id, ResourceKind::Orders, "manual")
        .await
        .unwrap();
    store
        .begin_sync_run(&connection.id, ResourceKind::Orders, NATIVE_RUN, None)
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let start = Instant::now();
    let mut total = 0;
    for page in 1.. {
        let body: Vec<Value> = client
            .get(format!("{base}/wp-json/wc/v3/orders"))
            .basic_auth(&shop.consumer_key, Some(&shop.consumer_secret))
            .query(&[
                ("per_page", PAGE_SIZE.to_string()),
                ("page", page.to_string()),
                ("orderby", "modified".into()),
                ("order", "asc".into()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if body.is_empty() {
            break;
        }
        let records: Vec<StoredRecord> = body
            .iter()
            .map(|order| {
                let modified = order["date_modified_gmt"].as_str().unwrap_or_default();
                StoredRecord {
                    parent_id: String::new(),
                    external_id: order["id"].to_string(),
                    modified_ms: parse_rest_date(modified).unwrap_or_default() * 1000,
                    status: order["status"].as_str().map(str::to_string),
                    sku: None,
                    data: order.to_string(),
                    ..StoredRecord::default()
                }
            })
            .collect();
        total += records.len() as u64;
        let next = page.to_string();
        store
            .commit_page(PageCheckpoint {
                connection_id: &connection.id,
                resource: ResourceKind::Orders,
                run_id: NATIVE_RUN,
                records: &records,
                next_cursor: Some(&next),
                deleted: &[],
            })
            .await
            .unwrap();
    }
    assert_eq!(total, orders);
    start.elapsed()
}

/// The `nextCursor`s of the first pages of a keyset walk.
async fn keyset_cursors(client: &reqwest::Client, base: &str, key: &str, n: usize) -> Vec<String> {
    let mut cursors = Vec::new();
    let mut url = format!("{base}/api/v1/api/orders?pageSize={API_PAGE_SIZE}");
    while cursors.len() < n {
        let page: Value = client
            .get(&url)
            .header("X-API-KEY", key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let Some(next) = page["nextCursor"].as_str() else {
            break;
        };
        cursors.push(next.to_string());
        url = format!("{base}/api/v1/api/orders?pageSize={API_PAGE_SIZE}&cursor={next}");
    }
    cursors
}

struct Load {
    elapsed: Duration,
    latencies: Vec<Duration>,
    bytes: usize,
}

/// `requests` GETs from `CLIENTS` concurrent clients; every answer must be a 200.
async fn load(
    client: &reqwest::Client,
    key: &str,
    requests: usize,
    accept_encoding: Option<&'static str>,
    url: impl Fn(usize) -> String,
) -> Load {
    let urls: Arc<Vec<String>> = Arc::new((0..requests).map(url).collect());
    // Warm up connections and caches.
    let get = move |client: &reqwest::Client, url: &str, key: &str| {
        let request = client.get(url).header("X-API-KEY", key);
        match accept_encoding {
            Some(encoding) => request.header("accept-encoding", encoding),
            None => request,
        }
    };
    for u in urls.iter().take(50) {
        get(client, u, key).send().await.unwrap();
    }
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, key, urls, next) =
            (client.clone(), key.to_string(), urls.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut bytes = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(url) = urls.get(i) else { break };
                let t = Instant::now();
                let response = get(&client, url, &key).send().await.unwrap();
                assert_eq!(response.status(), 200, "{url}");
                bytes += response.bytes().await.unwrap().len();
                latencies.push(t.elapsed());
            }
            (latencies, bytes)
        }));
    }
    let mut latencies = Vec::new();
    let mut bytes = 0;
    for task in tasks {
        let (l, b) = task.await.unwrap();
        latencies.extend(l);
        bytes += b;
    }
    let elapsed = start.elapsed();
    latencies.sort();
    Load {
        elapsed,
        latencies,
        bytes,
    }
}

fn report(name: &str, load: &Load, floor: Option<&Load>) {
    let n = load.latencies.len();
    let rps = n as f64 / load.elapsed.as_secs_f64();
    let p50 = load.latencies[n / 2];
    let p99 = load.latencies[(n * 99 / 100).min(n - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    print!(
        "{name:<30} {rps:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  {:>6} B/resp",
        ms(p50),
        ms(p99),
        load.bytes / n.max(1)
    );
    if let Some(floor) = floor {
        let floor_rps = floor.latencies.len() as f64 / floor.elapsed.as_secs_f64();
        print!("  throughput {:.2} x floor", rps / floor_rps);
    }
    println!();
}
