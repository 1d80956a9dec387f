//! A WooCommerce REST v3 emulator: seeded shop data served over HTTP like a real shop.
//!
//! [`start`] generates a deterministic shop from a [`WooConfig`] and serves it on a tokio
//! task; the returned [`WooEmulator`] gives its URL, direct access to its records
//! ([`WooStore`]), fault injection and request counts.
//!
//! Served under `/wp-json/wc/v3`: the index, `system_status`, `orders` (+ `notes`),
//! `customers`, `products` and `products/{id}/variations`, with lists, single records,
//! creates and updates. The submodules document each part: `api` (routes, auth, headers),
//! `listing` (ordering and paging), `views` (JSON shapes), `store` (writes and their side
//! effects), `seed` (generated data) and [`time`] (dates and the write clock).

mod api;
mod error;
mod input;
mod listing;
mod model;
mod params;
mod seed;
mod store;
pub mod time;
mod views;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use error::WcError;
pub use store::{StoreCounts, WooStore};
pub use time::{REFERENCE_INSTANT, format_wc, parse_rest_date};

use crate::faults::{Fault, FaultInjector};

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
/// for that).
#[derive(Debug)]
pub struct WooEmulator {
    addr: SocketAddr,
    base_url: String,
    config: Arc<WooConfig>,
    store: WooStore,
    faults: Arc<FaultInjector>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Generates the shop described by `config` and serves it on `listen` (use
/// `127.0.0.1:0` for a free port) from a tokio task.
pub async fn start(config: WooConfig, listen: SocketAddr) -> anyhow::Result<WooEmulator> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding the WooCommerce emulator to {listen}"))?;
    let addr = listener
        .local_addr()
        .context("reading the emulator's local address")?;
    let shown = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    };
    let base_url = format!("http://{shown}");

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
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "WooCommerce emulator stopped with an error");
        }
    });
    tracing::debug!(%base_url, orders = config.orders, "WooCommerce emulator started");
    Ok(WooEmulator {
        addr,
        base_url,
        config,
        store,
        faults,
        stop: Some(stop),
        task: Some(task),
    })
}

impl WooEmulator {
    /// The shop root, e.g. `http://127.0.0.1:41234`; the API is under `/wp-json/wc/v3/`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The API root, e.g. `http://127.0.0.1:41234/wp-json/wc/v3`.
    pub fn api_url(&self) -> String {
        format!("{}/wp-json/wc/v3", self.base_url)
    }

    /// The address the server is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration the shop was generated from.
    pub fn config(&self) -> &WooConfig {
        &self.config
    }

    /// Replaces the active faults (see [`Fault`]); resets the fault RNG, so the same list
    /// misbehaves identically for the same request sequence.
    pub fn set_faults(&self, faults: Vec<Fault>) {
        self.faults.set(faults);
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        self.faults.set(Vec::new());
    }

    /// The faults still active (exhausted `remaining` budgets are dropped).
    pub fn faults(&self) -> Vec<Fault> {
        self.faults.list()
    }

    /// API requests received so far (control endpoints excluded), faulted ones included.
    pub fn request_count(&self) -> u64 {
        self.faults.requests()
    }

    /// Direct access to the shop's records.
    pub fn store(&self) -> WooStore {
        self.store.clone()
    }

    /// Stops the server and waits (up to 5 s) for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for WooEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
