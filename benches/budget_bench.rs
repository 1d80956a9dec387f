//! Budget benchmark: prints figures, asserts nothing but that the syncs ran.
//!
//! A long sync keeps listing one resource (again from the start once it is through) for a
//! while through the real runtime, the way autosync does: a rate-limited answer is waited
//! out and the page asked for again. Measured at the emulator, which counts what arrived:
//!
//! - **Shopify** (orders, GraphQL, the Standard plan's bucket: 1 000 points, 100 restored
//!   per second): the share of the points the bucket offered (full at the start, plus what
//!   it restored during the sync) that queries spent, and the answers `THROTTLED` for
//!   arriving over budget;
//! - **Lightspeed** (orders, page size 10, three windows at once scaled down from
//!   Lightspeed's 300 / 5 min, 3 000 / h, 12 000 / day so a minute shows them: 30 / 10 s,
//!   100 / min, 1 000 / h): the share of what the tightest window allows in the time that was
//!   used, and the requests refused (429) for arriving over.
//!
//! Each twice: with the connection's budget learning what the connector reports
//! (`host.report-budget`), and without it (the connector's own rate-limited answers waited
//! out, as a client without the host's pacing would). The anchor: Airbyte's Shopify
//! connector is known to use about 12% of the rate Shopify allows.
//!
//! Run with `cargo xtask bench budgets [seconds]` (default 120 per run; Lightspeed's runs
//! last whole minutes, at least one).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use junction::runtime::budget::{RateLimit, RequestBudget};
use junction::runtime::types::{ConnectorError, ListRequest, ResourceKind};
use junction::runtime::{CallError, CallOptions, LoadedConnector, Runtime, SandboxLimits};
use junction_emulators::lightspeed::{LightspeedConfig, RateWindow};
use junction_emulators::shopify::{BucketConfig, ShopifyConfig};

fn component(name: &str) -> PathBuf {
    std::env::var_os("JUNCTION_COMPONENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("plugins")
        .join(format!("{name}.wasm"))
}

/// What one sync did.
struct Synced {
    elapsed: Duration,
    pages: u64,
    records: u64,
    rate_limited: u64,
}

/// List `resource` page by page for `seconds`, from the start again at the end; rate-limited
/// answers are waited out and the page asked for again.
async fn sync(
    connector: &LoadedConnector,
    options: &CallOptions,
    page_size: u32,
    seconds: u64,
) -> Synced {
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut synced = Synced {
        elapsed: Duration::ZERO,
        pages: 0,
        records: 0,
        rate_limited: 0,
    };
    let mut cursor = None;
    while Instant::now() < until {
        let request = ListRequest {
            resource: ResourceKind::Orders,
            updated_since: None,
            cursor: cursor.clone(),
            page_size,
            parent_id: None,
            ids_only: false,
        };
        match connector.list(options, request).await.value {
            Ok(page) => {
                synced.pages += 1;
                synced.records += page.entities.len() as u64;
                cursor = page.next_cursor;
            }
            Err(CallError::Connector(ConnectorError::RateLimited(info))) => {
                synced.rate_limited += 1;
                let wait = Duration::from_millis(info.retry_after_ms.max(1));
                tokio::time::sleep(wait.min(until.saturating_duration_since(Instant::now()))).await;
            }
            Err(e) => panic!("the sync failed: {e}"),
        }
    }
    synced.elapsed = started.elapsed();
    synced
}

async fn load(runtime: &Runtime, name: &str) -> Arc<LoadedConnector> {
    LoadedConnector::load_file(runtime, &component(name))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e} (build it with `cargo xtask plugins`)"))
}

fn options(connector: &LoadedConnector, config: serde_json::Value, learn: bool) -> CallOptions {
    let mut options = connector.prepare(&config).unwrap();
    // The host gives every connection a budget (its manifest's rate, pauses, and what the
    // connector reports); without one nothing is learned.
    let rate = connector.manifest.rate_limit.map(|l| RateLimit {
        requests: l.requests,
        per_seconds: l.per_seconds,
    });
    options.budget = learn.then(|| Arc::new(RequestBudget::new(rate)));
    options
}

async fn shopify(runtime: &Runtime, seconds: u64, learn: bool) {
    let bucket = BucketConfig::default();
    let shop = junction_emulators::shopify::start(
        ShopifyConfig {
            orders: 2_000,
            bucket,
            ..ShopifyConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let connector = load(runtime, "shopify").await;
    let config = serde_json::json!({
        "shop_url": shop.base_url(),
        "access_token": "shpat_test_token",
        "location_id": "1",
    });
    let synced = sync(
        &connector,
        &options(&connector, config, learn),
        250,
        seconds,
    )
    .await;
    let stats = shop.stats();
    let offered = bucket.maximum + bucket.restore_rate * synced.elapsed.as_secs_f64();
    println!(
        "shopify    {:<9} {:>6.1} s {:>6} {:>8} {:>10} {:>9.0} {:>8.1}% {:>10}",
        if learn { "learned" } else { "unpaced" },
        synced.elapsed.as_secs_f64(),
        synced.pages,
        synced.records,
        stats.points_spent,
        offered,
        100.0 * stats.points_spent as f64 / offered,
        stats.throttled,
    );
}

async fn lightspeed(runtime: &Runtime, seconds: u64, learn: bool) {
    let windows = vec![
        RateWindow::per_secs(30, 10),
        RateWindow::per_secs(100, 60),
        RateWindow::per_secs(1_000, 3_600),
    ];
    let shop = junction_emulators::lightspeed::start(
        LightspeedConfig {
            orders: 2_000,
            limits: windows,
            ..LightspeedConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let connector = load(runtime, "lightspeed").await;
    let config = serde_json::json!({
        "base_url": shop.base_url(),
        "language": "nl",
        "api_key": "ls_test_key",
        "api_secret": "ls_test_secret",
    });
    let mut options = connector.prepare(&config).unwrap();
    // The manifest's rate is Lightspeed's shortest window (300 per 5 minutes); scaled down
    // with the windows it is the first one here.
    options.budget = learn.then(|| {
        Arc::new(RequestBudget::new(Some(RateLimit {
            requests: 30,
            per_seconds: 10,
        })))
    });
    // The tightest window in the long run is 100 per minute: the sync lasts whole minutes,
    // each of which allows 100 requests (the 10-second window would allow 180, the hour
    // 1 000 in all).
    let minutes = (seconds / 60).max(1);
    let synced = sync(&connector, &options, 10, minutes * 60).await;
    let stats = shop.rate_stats();
    let elapsed = synced.elapsed.as_secs_f64();
    let allowed = 100.0 * minutes as f64;
    println!(
        "lightspeed {:<9} {:>6.1} s {:>6} {:>8} {:>10} {:>9.0} {:>8.1}% {:>10}",
        if learn { "learned" } else { "unpaced" },
        elapsed,
        synced.pages,
        synced.records,
        stats.accepted,
        allowed,
        100.0 * stats.accepted as f64 / allowed,
        stats.rejected,
    );
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(120);
    let limits = SandboxLimits {
        allow_private_networks: true,
        ..SandboxLimits::default()
    };
    let runtime = Runtime::new(limits, None).unwrap();
    println!(
        "# budget benchmark: a {seconds} s sync per row (anchor: Airbyte's Shopify connector uses ~12% of Shopify's rate)"
    );
    println!(
        "system     budget    elapsed  pages  records  used(pts|req) offered  used/offered  over"
    );
    for learn in [true, false] {
        shopify(&runtime, seconds, learn).await;
        lightspeed(&runtime, seconds, learn).await;
    }
    println!("shopify: points spent of (1000 + 100/s × elapsed); over = THROTTLED answers");
    println!(
        "lightspeed: requests accepted of what the tightest window (100 per minute; the others \
         30 per 10 s and 1000 per hour) allows in the whole minutes of the run; over = 429 answers"
    );
}
