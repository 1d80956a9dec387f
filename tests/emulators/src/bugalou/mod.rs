//! A Bugalou Orders API emulator (the order-dashboard target of seed 001): upsert by
//! `platform` + `orderNumber` through the Orders API or the Zapier endpoint (one store), list
//! with `page`/`limit` in creation order, `X-API-Key` or bearer auth, and the
//! documented `{"success":true,...}` / `{"error":...}` answers (see `api` for the details and
//! the assumptions where the documentation is silent).
//!
//! [`start`] serves a dashboard holding `seed_orders` generated orders on a tokio task; the
//! returned [`BugalouEmulator`] gives its URL, its orders ([`BugalouStore`]) and fault
//! injection.

mod api;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

pub use api::{MAX_LIMIT, ORDER_STATUSES, PAYMENT_STATUSES};
pub use store::{BugalouOrder, BugalouStore};

use crate::faults::FaultInjector;
use crate::serving::{self, Served};
use crate::woocommerce::{REFERENCE_INSTANT, format_wc};

/// The key and seeded data of an emulated dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BugalouConfig {
    /// The API key clients must present (`bg_live_...`).
    pub api_key: String,
    /// Orders present before the first request (platform `woocommerce`, numbers
    /// `WC-1001`...).
    pub seed_orders: usize,
    /// Seed of fault probabilities.
    pub seed: u64,
}

impl Default for BugalouConfig {
    fn default() -> Self {
        Self {
            api_key: "bg_live_test_key".to_owned(),
            seed_orders: 0,
            seed: 42,
        }
    }
}

/// The wall clock as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn now_iso() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    format!("{}.{:03}Z", format_wc(secs), since.subsec_millis())
}

/// The body of seeded order `n` (1-based): deterministic, valid, one to three items.
fn seeded(n: usize) -> Map<String, Value> {
    let statuses = ORDER_STATUSES;
    let items: Vec<Value> = (0..=(n % 3))
        .map(|i| json!({"name": format!("Product {}", (n + i) % 17 + 1), "quantity": i + 1, "price": format!("{}.{:02}", 5 + (n * 7 + i) % 40, (n * 13) % 100)}))
        .collect();
    let body = json!({
        "platform": "woocommerce",
        "orderNumber": format!("WC-{}", 1000 + n),
        "orderStatus": statuses[n % statuses.len()],
        "customerEmail": format!("customer{}@example.com", n % 23),
        "customerName": format!("Customer {}", n % 23),
        "items": items,
        "total": format!("{}.{:02}", 10 + n % 90, (n * 31) % 100),
        "currency": "EUR",
        "paymentStatus": PAYMENT_STATUSES[n % 2],
        "paymentMethod": "iDEAL",
    });
    body.as_object().cloned().unwrap_or_default()
}

/// A running emulator; dropping it stops the server.
#[derive(Debug)]
pub struct BugalouEmulator {
    served: Served,
    store: BugalouStore,
}

impl std::ops::Deref for BugalouEmulator {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

/// Serves the dashboard described by `config` on `listen` (`127.0.0.1:0` for a free port).
pub async fn start(config: BugalouConfig, listen: SocketAddr) -> anyhow::Result<BugalouEmulator> {
    let bound = serving::bind("Bugalou emulator", listen).await?;
    let store = BugalouStore::default();
    for n in 1..=config.seed_orders {
        // Seeded orders were placed a minute apart before the reference instant.
        let at = REFERENCE_INSTANT - i64::try_from(config.seed_orders - n).unwrap_or(0) * 60;
        store.upsert(&seeded(n), &format!("{}.000Z", format_wc(at)));
    }
    let faults = Arc::new(FaultInjector::new(config.seed));
    let state = api::AppState {
        store: store.clone(),
        config: Arc::new(config),
        faults: faults.clone(),
    };
    let app = crate::control::router(faults.clone()).merge(api::router(state));
    Ok(BugalouEmulator {
        served: bound.serve_emulator(app, faults),
        store,
    })
}

impl BugalouEmulator {
    /// Direct access to the orders.
    pub fn store(&self) -> BugalouStore {
        self.store.clone()
    }

    /// Stops the server and waits (up to 5 s) for it to finish.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}
