//! A WooCommerce REST v3 emulator: seeded shop data served over HTTP like a real shop.
//!
//! [`start`] generates a deterministic shop from a [`WooConfig`] and serves it on a tokio
//! task; the returned [`WooEmulator`] gives its URL, direct access to its records
//! ([`WooStore`]), fault injection and request counts.
//!
//! Served under `/wp-json/wc/v3`: the index, `system_status`, `orders` (+ `notes`),
//! `customers`, `products` and `products/{id}/variations`, with lists, single records,
//! creates, updates and deletes (`deletion`: trash and `force`), and the batch endpoints of
//! orders, products and variations. The
//! submodules document each part: `api` (routes, auth, headers), `batch` (batch requests),
//! `listing` (ordering and paging), `views` (JSON shapes), `store` (writes and their side
//! effects), `seed` (generated data) and [`time`] (dates and the write clock).

mod api;
mod batch;
mod deletion;
mod error;
mod input;
mod listing;
mod model;
mod params;
mod seed;
mod store;
pub mod time;
mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

pub use error::WcError;
pub use store::{StoreCounts, WooStore};
pub use time::{REFERENCE_INSTANT, format_wc, parse_rest_date};

use crate::faults::FaultInjector;
use crate::serving::{self, Served};

/// The size, seed and credentials of an emulated shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WooConfig {
    /// Number of seeded orders.
    pub orders: usize,
    /// Number of seeded customers.
    pub customers: usize,
    /// Number of seeded products (variations come on top).
    pub products: usize,
    /// Every Nth product is variable, with 2 to 4 variations; 0 = no variable products.
    pub variable_every: usize,
    /// Seed of all generated data and of fault probabilities.
    pub seed: u64,
    /// The consumer key clients must present.
    pub consumer_key: String,
    /// The consumer secret clients must present.
    pub consumer_secret: String,
}

impl Default for WooConfig {
    fn default() -> Self {
        Self {
            orders: 200,
            customers: 50,
            products: 40,
            variable_every: 4,
            seed: 42,
            consumer_key: "ck_test".to_owned(),
            consumer_secret: "cs_test".to_owned(),
        }
    }
}

/// A running emulator. Dropping it stops the server (use [`WooEmulator::shutdown`] to wait
/// for that). Derefs to [`Served`]: `base_url`, `local_addr`, faults and request counts.
#[derive(Debug)]
pub struct WooEmulator {
    served: Served,
    config: Arc<WooConfig>,
    store: WooStore,
}

impl std::ops::Deref for WooEmulator {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

/// Generates the shop described by `config` and serves it on `listen` (use
/// `127.0.0.1:0` for a free port) from a tokio task.
pub async fn start(config: WooConfig, listen: SocketAddr) -> anyhow::Result<WooEmulator> {
    let bound = serving::bind("WooCommerce emulator", listen).await?;
    let base_url = bound.base_url().to_string();
    let seed_config = config.clone();
    let db = tokio::task::spawn_blocking(move || seed::generate(&seed_config))
        .await
        .context("generating the seeded shop")?;
    let config = Arc::new(config);
    let store = WooStore::new(db, &base_url);
    let faults = Arc::new(FaultInjector::new(config.seed));
    let state = api::AppState {
        store: store.clone(),
        config: config.clone(),
        faults: faults.clone(),
        default_base: Arc::from(base_url.as_str()),
    };
    let app = crate::control::router(faults.clone()).merge(api::router(state));
    tracing::debug!(%base_url, orders = config.orders, "WooCommerce emulator started");
    Ok(WooEmulator {
        served: bound.serve_emulator(app, faults),
        config,
        store,
    })
}

impl WooEmulator {
    /// The API root, e.g. `http://127.0.0.1:41234/wp-json/wc/v3`.
    pub fn api_url(&self) -> String {
        format!("{}/wp-json/wc/v3", self.base_url())
    }

    /// The configuration the shop was generated from.
    pub fn config(&self) -> &WooConfig {
        &self.config
    }

    /// Direct access to the shop's records.
    pub fn store(&self) -> WooStore {
        self.store.clone()
    }

    /// Stops the server and waits (up to 5 s) for it to finish.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}
