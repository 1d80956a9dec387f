//! A Shopify GraphQL Admin API emulator, following API version **2026-07** (the newest
//! stable release in Shopify's published release notes when this was written; the path
//! takes any `YYYY-MM` and answers the same).
//!
//! [`start`] generates a deterministic shop from a [`ShopifyConfig`] and serves
//! `POST /admin/api/{version}/graphql.json` on a tokio task; the returned
//! [`ShopifyEmulator`] gives its URL, direct access to the records ([`ShopifyStore`]: read,
//! touch, delete), fault injection and counters ([`ShopifyStats`]: throttled answers among
//! them).
//!
//! The submodules document each part: `api` (HTTP, auth, errors), `document` (parsing a
//! request with a real GraphQL parser), `bulk` (bulk query operations and their JSON Lines
//! file), `cost` (calculated query cost and the leaky
//! bucket), `execute` (root fields and selections), `paging` (search syntax, sort and
//! cursors), `mutations`, `views` (the objects and their field names), `store` and `seed`.

mod api;
mod bulk;
pub mod cost;
mod document;
mod execute;
mod mutations;
mod paging;
mod seed;
mod store;
mod views;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;

pub use cost::BucketConfig;
pub use seed::{
    CUSTOMER_IDS, INVENTORY_ITEM_IDS, LOCATION_IDS, ORDER_IDS, PRODUCT_IDS, VARIANT_IDS,
};
pub use store::{
    Address, Customer, Fulfillment, FulfillmentOrder, LineItem, Location, Order, Product,
    ShopifyStore, TrackingInfo, Variant,
};
pub use views::{gid, parse_gid};

use crate::faults::FaultInjector;
use crate::serving::{self, Served};

/// The API version the emulator follows (and the connector pins).
pub const API_VERSION: &str = "2026-07";

/// The size, seed, credentials and rate limit of an emulated shop.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopifyConfig {
    /// Number of seeded orders.
    pub orders: usize,
    /// Number of seeded customers.
    pub customers: usize,
    /// Number of seeded products (variants come on top).
    pub products: usize,
    /// Every Nth product has 2 to 4 variants; 0 = all single-variant.
    pub variable_every: usize,
    /// Seed of the generated data and of fault probabilities.
    pub seed: u64,
    /// The Admin API access token clients must present (`shpat_...`).
    pub access_token: String,
    /// The shop's name (`shop { name }`).
    pub shop_name: String,
    /// The cost bucket (Standard plan by default).
    pub bucket: BucketConfig,
    /// How long a bulk operation takes to complete.
    pub bulk_delay: Duration,
}

impl Default for ShopifyConfig {
    fn default() -> Self {
        Self {
            orders: 200,
            customers: 50,
            products: 40,
            variable_every: 4,
            seed: 42,
            access_token: "shpat_test_token".to_owned(),
            shop_name: "Junction Test Shop".to_owned(),
            bucket: BucketConfig::default(),
            bulk_delay: Duration::from_secs(1),
        }
    }
}

/// The GraphQL endpoint's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShopifyStats {
    /// GraphQL requests that reached the endpoint (authenticated, not faulted).
    pub graphql_requests: u64,
    /// Of those, the ones answered `THROTTLED` (they arrived over budget).
    pub throttled: u64,
    /// Actual cost points spent.
    pub points_spent: u64,
}

/// A running emulator; dropping it stops the server. Derefs to [`Served`].
#[derive(Debug)]
pub struct ShopifyEmulator {
    served: Served,
    config: Arc<ShopifyConfig>,
    store: ShopifyStore,
    counters: Arc<api::Counters>,
}

impl std::ops::Deref for ShopifyEmulator {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

/// Generates the shop described by `config` and serves it on `listen`
/// (`127.0.0.1:0` for a free port).
pub async fn start(config: ShopifyConfig, listen: SocketAddr) -> anyhow::Result<ShopifyEmulator> {
    let bound = serving::bind("Shopify emulator", listen).await?;
    let base_url: Arc<str> = Arc::from(bound.base_url());
    let seed_config = config.clone();
    let data = tokio::task::spawn_blocking(move || seed::generate(&seed_config))
        .await
        .context("generating the seeded shop")?;
    let config = Arc::new(config);
    let store = ShopifyStore::new(data);
    let faults = Arc::new(FaultInjector::new(config.seed));
    let counters = Arc::new(api::Counters::default());
    let state = api::AppState {
        store: store.clone(),
        config: config.clone(),
        faults: faults.clone(),
        bucket: Arc::new(Mutex::new(cost::Bucket::new(config.bucket))),
        counters: counters.clone(),
        bulk: Arc::new(Mutex::new(Vec::new())),
        base_url,
    };
    let app = crate::control::router(faults.clone()).merge(api::router(state));
    Ok(ShopifyEmulator {
        served: bound.serve_emulator(app, faults),
        config,
        store,
        counters,
    })
}

impl ShopifyEmulator {
    /// The GraphQL endpoint of the pinned version,
    /// `http://127.0.0.1:PORT/admin/api/2026-07/graphql.json`.
    pub fn graphql_url(&self) -> String {
        format!("{}/admin/api/{API_VERSION}/graphql.json", self.base_url())
    }

    /// The configuration the shop was generated from.
    pub fn config(&self) -> &ShopifyConfig {
        &self.config
    }

    /// Direct access to the shop's records.
    pub fn store(&self) -> ShopifyStore {
        self.store.clone()
    }

    /// The endpoint's counters so far.
    pub fn stats(&self) -> ShopifyStats {
        ShopifyStats {
            graphql_requests: self.counters.graphql_requests.load(Ordering::Relaxed),
            throttled: self.counters.throttled.load(Ordering::Relaxed),
            points_spent: self.counters.points_spent.load(Ordering::Relaxed),
        }
    }

    /// Stops the server and waits (up to 5 s) for it to finish.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}
