//! Emulators of two simple HTTP product sources, for the connectors written in JavaScript
//! and Python: a JSON product feed (keyset cursor paging, see [`json_feed`]) and a CSV
//! catalogue (offset paging with `Link` headers, products and their variants, see
//! [`csv_catalog`]). Both serve the same seeded catalogue ([`FeedStore`]), both take
//! `updated_since`, both can demand an API key (`X-API-Key`) and both apply the shared
//! fault model ([`crate::faults`]) and control endpoints (`/__emulator/...`).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use junction_emulators::feeds::{self, FeedConfig};
//! let feeds = feeds::start(FeedConfig::default(), "127.0.0.1:0".parse()?).await?;
//! let json = format!("{}/feed/v1/products?limit=10", feeds.base_url());
//! let csv = format!("{}/catalog/products.csv?limit=10", feeds.base_url());
//! feeds.store().touch(3);
//! # let _ = (json, csv);
//! # Ok(()) }
//! ```

pub mod csv_catalog;
mod guard;
pub mod json_feed;
mod params;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::middleware;

pub use guard::API_KEY_HEADER;
pub use store::{FeedProduct, FeedStore, FeedVariant, format_time};

use crate::faults::FaultInjector;
use crate::serving::{self, Served};

/// The size, seed and credentials of the emulated feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedConfig {
    /// Number of seeded products.
    pub products: usize,
    /// Every Nth product has 2-3 variants; 0 = none.
    pub variable_every: usize,
    /// Seed of the data and of fault probabilities.
    pub seed: u64,
    /// The `X-API-Key` clients must send; `None` = no authentication.
    pub api_key: Option<String>,
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self {
            products: 120,
            variable_every: 4,
            seed: 42,
            api_key: Some("feed-key-test".to_owned()),
        }
    }
}

/// The running feeds. Dropping it stops the server.
#[derive(Debug)]
pub struct FeedEmulator {
    served: Served,
    store: FeedStore,
}

impl std::ops::Deref for FeedEmulator {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

/// Seeds the catalogue described by `config` and serves both feeds on `listen` (use
/// `127.0.0.1:0` for a free port) from a tokio task.
pub async fn start(config: FeedConfig, listen: SocketAddr) -> anyhow::Result<FeedEmulator> {
    let bound = serving::bind("feed emulator", listen).await?;
    let base_url = bound.base_url().to_string();
    let store = FeedStore::seeded(config.products, config.variable_every, config.seed);
    let faults = Arc::new(FaultInjector::new(config.seed));
    let guard = guard::Guard {
        faults: faults.clone(),
        api_key: config.api_key.as_deref().map(Arc::from),
    };
    let api = json_feed::router(store.clone())
        .merge(csv_catalog::router(store.clone(), &base_url))
        .fallback(|| async {
            guard::json_error(axum::http::StatusCode::NOT_FOUND, "no such endpoint")
        })
        .layer(middleware::from_fn_with_state(
            guard.clone(),
            guard::authenticate,
        ))
        .layer(middleware::from_fn_with_state(guard, guard::inject_faults));
    let app = crate::control::router(faults.clone()).merge(api);
    Ok(FeedEmulator {
        served: bound.serve_emulator(app, faults),
        store,
    })
}

impl FeedEmulator {
    /// The JSON feed's root: `<origin>/feed/v1`.
    pub fn feed_url(&self) -> String {
        format!("{}/feed/v1", self.base_url())
    }

    /// The CSV catalogue's root: `<origin>/catalog`.
    pub fn catalog_url(&self) -> String {
        format!("{}/catalog", self.base_url())
    }

    /// Direct access to the catalogue.
    pub fn store(&self) -> FeedStore {
        self.store.clone()
    }

    /// Stops the server and waits (up to 5 s) for it to finish.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}
