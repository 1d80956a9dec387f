//! A Lightspeed eCom (C-Series) emulator, following the eCom REST API
//! (developers.lightspeedhq.com/ecom; `https://api.webshopapp.com/{lang}/`, no version in
//! the path) as far as it could be checked without the live reference: the request and
//! answer shapes of published payloads (Pipedream's Lightspeed eCom components: orders with
//! `number`, `status` such as `completed_shipped`, `shipmentStatus`, `paymentStatus`,
//! `priceExcl`/`priceIncl`, flat `addressBilling*` fields, `{"resource": {"id", "url",
//! "link"}}` links; shipments with `status` and `trackingCode`) and of public clients
//! (Lightspeed's PHP `WebshopappApiClient`, whose rate-limit helpers split
//! `X-RateLimit-*` on `/`, 300/3000/12000 by default). Orders (with their ordered products
//! and shipments), customers, products and variants under `/{lang}/…json`, HTTP Basic auth
//! with the API key and secret, `page`/`limit`/`since_id`/date filters, the error shape, and
//! the request limits in several windows at once (see [`rate`]). Where the sources are
//! silent (the list order, the exact meaning of `X-RateLimit-Reset`), the module that
//! decides says what it assumes.
//!
//! [`start`] serves a seeded shop on a tokio task. Besides the common fault controls
//! (`/__emulator/faults`, `/__emulator/stats`) it answers `GET /__emulator/rate` (requests
//! accepted and refused by the limits), `POST /__emulator/touch/{res}/{id}` (mark a record
//! modified now) and `DELETE /__emulator/records/{res}/{id}` (delete it), unauthenticated.
//!
//! Modules: `api` (routes, auth, writes), [`listing`] (list parameters), [`rate`]
//! (limits), [`seed`] (the seeded shop), [`store`] (records), [`views`] (JSON rendering),
//! [`money`] (prices in cents).

mod api;
pub mod listing;
pub mod money;
pub mod rate;
pub mod seed;
pub mod store;
pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::json;

pub use listing::{DEFAULT_LIMIT, MAX_LIMIT};
pub use rate::{RateStats, RateWindow, default_windows};
pub use seed::{ORDER_STATUSES, PAYMENT_STATUSES, SHIPMENT_STATUSES};
pub use store::{Record, Resource, Store};

use crate::faults::FaultInjector;
use crate::serving::{self, Served};

/// The credentials, language, limits and seeded data of an emulated shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LightspeedConfig {
    /// The API key (the Basic auth user name).
    pub api_key: String,
    /// The API secret (the Basic auth password).
    pub api_secret: String,
    /// The shop language every path starts with, e.g. `nl`.
    pub language: String,
    /// Seeded orders (each with one shipment).
    pub orders: usize,
    /// Seeded customers.
    pub customers: usize,
    /// Seeded products (every third has three variants, the others one).
    pub products: usize,
    /// The request limits, all counted at once.
    pub limits: Vec<RateWindow>,
    /// Seed of fault probabilities.
    pub seed: u64,
}

impl Default for LightspeedConfig {
    fn default() -> Self {
        Self {
            api_key: "ls_test_key".to_owned(),
            api_secret: "ls_test_secret".to_owned(),
            language: "nl".to_owned(),
            orders: 30,
            customers: 10,
            products: 12,
            limits: default_windows(),
            seed: 42,
        }
    }
}

/// A running emulator; dropping it stops the server.
#[derive(Debug)]
pub struct LightspeedEmulator {
    served: Served,
    store: Store,
    limiter: Arc<rate::RateLimiter>,
    language: String,
}

impl std::ops::Deref for LightspeedEmulator {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

type ControlState = (Store, Arc<rate::RateLimiter>);

async fn rate_stats(State((_, limiter)): State<ControlState>) -> Response {
    axum::Json(limiter.stats()).into_response()
}

fn record_of(res: &str, id: &str) -> Option<(Resource, u64)> {
    Some((Resource::from_plural(res)?, id.parse().ok()?))
}

async fn touch(
    State((store, _)): State<ControlState>,
    Path((res, id)): Path<(String, String)>,
) -> Response {
    match record_of(&res, &id).and_then(|(r, id)| store.touch(r, id)) {
        Some(record) => {
            axum::Json(json!({"id": record.id, "updated": record.updated})).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn remove(
    State((store, _)): State<ControlState>,
    Path((res, id)): Path<(String, String)>,
) -> Response {
    match record_of(&res, &id) {
        Some((r, id)) if store.delete(r, id) => StatusCode::NO_CONTENT.into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves the shop described by `config` on `listen` (`127.0.0.1:0` for a free port).
pub async fn start(
    config: LightspeedConfig,
    listen: SocketAddr,
) -> anyhow::Result<LightspeedEmulator> {
    let bound = serving::bind("Lightspeed emulator", listen).await?;
    let store = Store::default();
    seed::seed(&store, &config);
    let faults = Arc::new(FaultInjector::new(config.seed));
    let limiter = Arc::new(rate::RateLimiter::new(&config.limits));
    let language = config.language.clone();
    let state = api::AppState {
        store: store.clone(),
        api_root: format!("{}/{}/", bound.base_url(), config.language),
        config: Arc::new(config),
        faults: faults.clone(),
        limiter: limiter.clone(),
    };
    let control = Router::new()
        .route("/__emulator/rate", get(rate_stats))
        .route("/__emulator/touch/{res}/{id}", post(touch))
        .route("/__emulator/records/{res}/{id}", delete(remove))
        .with_state((store.clone(), limiter.clone()));
    let app = crate::control::router(faults.clone())
        .merge(control)
        .merge(api::router(state));
    Ok(LightspeedEmulator {
        served: bound.serve_emulator(app, faults),
        store,
        limiter,
        language,
    })
}

impl LightspeedEmulator {
    /// Direct access to the records.
    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// The API root clients use, e.g. `http://127.0.0.1:41234/nl/`.
    pub fn api_url(&self) -> String {
        format!("{}/{}/", self.base_url(), self.language)
    }

    /// Requests the limits accepted and refused so far.
    pub fn rate_stats(&self) -> RateStats {
        self.limiter.stats()
    }

    /// Stops the server and waits (up to 5 s) for it to finish.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}
