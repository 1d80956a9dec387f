//! Emulators of the external systems Junction connects to, for end-to-end tests,
//! benchmarks and demos.
//!
//! Each emulator speaks its system's API faithfully (paths, JSON field names, headers,
//! error shapes) over real HTTP, serves deterministic seeded data, and can inject faults
//! (latency, 5xx, 429, malformed JSON, connections dropped mid-body). Use them in-process
//! from tests:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use junction_emulators::{Fault, FaultKind, WooConfig};
//! let shop = junction_emulators::start(WooConfig::default(), "127.0.0.1:0".parse()?).await?;
//! let orders_url = format!("{}/wp-json/wc/v3/orders", shop.base_url());
//! shop.set_faults(vec![Fault::times(FaultKind::RateLimited { retry_after_secs: 1 }, 2)]);
//! # let _ = orders_url;
//! # Ok(()) }
//! ```
//!
//! or run the `junction-emulator` binary for a standalone server controlled over HTTP:
//! `POST /__emulator/faults` (a JSON array of [`Fault`]s, e.g.
//! `[{"kind":"rate_limited","retry_after_secs":2,"probability":1.0,"remaining":3}]`),
//! `GET`/`DELETE /__emulator/faults`, and `GET /__emulator/stats` (`{"requests": N, ...}`).
//!
//! Available: [`woocommerce`] (WooCommerce REST v3), [`feeds`] (a JSON product feed and a
//! CSV catalogue), [`connectif`] (Connectif contacts, products, purchases with its request
//! budget), [`bugalou`] (Bugalou's Orders API), [`magento`] (Magento 2.4 REST),
//! [`shopify`] (Shopify's GraphQL Admin API), [`lightspeed`] (Lightspeed eCom, with its
//! request limits in several windows), [`example`] (the example API the connector templates
//! read).
//!
//! [`proxy`] (the `junction-fault-proxy` crate, re-exported) puts a fault-injecting reverse proxy (401, 429, 500, stalls, latency, a request
//! log) in front of any origin, emulated or real.

pub mod bugalou;
pub mod connectif;
mod control;
pub mod example;
pub mod faults;
pub mod feeds;
pub mod lightspeed;
pub mod magento;
mod rng;
pub mod serving;
pub mod shopify;
pub mod woocommerce;

pub use junction_fault_proxy as proxy;

pub use faults::{Fault, FaultKind};
pub use proxy::{FaultProxy, ProxyFault, ProxyFaultKind, SeenRequest, start_proxy};
pub use woocommerce::{StoreCounts, WcError, WooConfig, WooEmulator, WooStore, start};
