//! A Connectif API emulator (the marketing-automation target of seed 002), after the API
//! reference at api-docs.connectif.cloud (the unversioned REST API at
//! `https://api.connectif.cloud`; exports as of its `v1` export version): contacts by
//! email, catalogue products by store id, purchases, contacts exports and contacts
//! imports (asynchronous jobs, see `jobs`), behind `Authorization: apiKey
//! <KEY>` and a per-key request budget (100 requests per 60 s by default, configurable for
//! tests) that answers 429 problem+json once spent.
//!
//! [`start`] serves an empty account on a tokio task; the returned [`ConnectifEmulator`]
//! gives its URL, its records ([`ConnectifStore`]), the budget's counters
//! ([`BudgetStats`]: requests counted, 429s served, requests accepted over budget, requests
//! that came back before a 429's announced reset) and fault injection (answered the Connectif
//! way: 429s with `X-RateLimit-*` and `Retry-After`, 500s as problem+json). Submodules: `api` (routes, auth, budget, handlers), [`budget`] (the fixed
//! window and its audit), `input` (body validation), `error` (problem+json), `store`
//! (records), `clock` (timestamps), `jobs` and `jobs_api` (exports and imports), `csvfile`,
//! `zipfile` and `multipart` (the file formats they use).
//!
//! Coupons are not emulated: Connectif's coupon API manages coupon *sets* fed by CSV imports,
//! which no canonical Junction record maps to.

mod api;
pub mod budget;
mod clock;
mod csvfile;
mod error;
mod input;
mod jobs;
mod jobs_api;
mod multipart;
mod store;
mod zipfile;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use budget::{BudgetConfig, BudgetStats};
pub use store::{ConnectifStore, Upserted};

use crate::faults::FaultInjector;
use crate::serving::{self, Served};

/// Keys, budget and account settings of an emulated Connectif account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectifConfig {
    /// The API key with every permission.
    pub api_key: String,
    /// Keys that exist but lack permission (or whose account is blocked): 403.
    pub forbidden_keys: Vec<String>,
    /// The request budget per key.
    pub budget: BudgetConfig,
    /// Contact custom fields that exist in the account (others are refused).
    pub custom_fields: Vec<String>,
    /// URL prefixes product URLs must start with ("Authorized Domains"); empty = any.
    pub authorized_domains: Vec<String>,
    /// How long an export or import takes to finish (half waiting, half running).
    pub job_delay: Duration,
    /// Seed of fault probabilities.
    pub seed: u64,
}

impl Default for ConnectifConfig {
    fn default() -> Self {
        Self {
            api_key: "cnf_test_key".to_owned(),
            forbidden_keys: vec!["cnf_blocked_key".to_owned()],
            budget: BudgetConfig::default(),
            custom_fields: Vec::new(),
            authorized_domains: Vec::new(),
            job_delay: Duration::from_millis(600),
            seed: 42,
        }
    }
}

/// A running emulator; dropping it stops the server.
#[derive(Debug)]
pub struct ConnectifEmulator {
    served: Served,
    store: ConnectifStore,
    budget: Arc<budget::Budget>,
}

impl std::ops::Deref for ConnectifEmulator {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

/// Serves an empty Connectif account described by `config` on `listen` (`127.0.0.1:0` for a
/// free port).
pub async fn start(
    config: ConnectifConfig,
    listen: SocketAddr,
) -> anyhow::Result<ConnectifEmulator> {
    let bound = serving::bind("Connectif emulator", listen).await?;
    let store = ConnectifStore::default();
    let budget = Arc::new(budget::Budget::new(config.budget));
    let faults = Arc::new(FaultInjector::new(config.seed));
    let state = api::AppState {
        store: store.clone(),
        jobs: Arc::new(jobs::Jobs::new(config.job_delay)),
        config: Arc::new(config),
        budget: budget.clone(),
        faults: faults.clone(),
        base_url: bound.base_url().to_owned(),
    };
    let app = crate::control::router(faults.clone())
        .merge(api::control_router(budget.clone()))
        .merge(jobs_api::files_router(state.clone()))
        .merge(api::router(state));
    Ok(ConnectifEmulator {
        served: bound.serve_emulator(app, faults),
        store,
        budget,
    })
}

impl ConnectifEmulator {
    /// Direct access to the account's records.
    pub fn store(&self) -> ConnectifStore {
        self.store.clone()
    }

    /// The budget's counters: requests counted, 429s served (by the budget and injected),
    /// requests accepted over budget, requests early after a 429.
    pub fn budget_stats(&self) -> BudgetStats {
        self.budget.stats()
    }

    /// Replaces the budget (windows restart; counters are kept).
    pub fn set_budget(&self, config: BudgetConfig) {
        self.budget.set_config(config);
    }

    /// Stops the server and waits (up to 5 s) for it to finish.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}
