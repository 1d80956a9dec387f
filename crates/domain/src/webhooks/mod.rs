//! Outgoing webhooks (Standard Webhooks): when the local copy of a record is created or
//! changed, subscribed URLs get a signed event, retried with backoff, every attempt logged.
//!
//! - [`events`]: the event types and the filters endpoints subscribe with.
//! - [`endpoints`]: creating, changing and rotating endpoints, and test events — the
//!   operations behind the admin API (secrets generated here, sealed with the vault).
//! - [`fanout`]: follows each connection's change feed per (endpoint, connection,
//!   resource) with the endpoint's own cursor, creating one delivery per event in the same
//!   transaction as the cursor move.
//! - [`delivery`]: the HTTP attempts — signing, the destination guard (loopback/private
//!   addresses refused unless `sandbox.allow_private_networks`), timeouts, the retry
//!   schedule with jitter and `Retry-After`.
//! - [`signing`]: secrets and `v1` HMAC-SHA256 signatures.
//!
//! [`WebhookWorker`] runs fan-out and delivery until stopped. Delivery is at least once:
//! an attempt interrupted by a crash is made again after its lease expires, with the same
//! `webhook-id`, which receivers use to drop duplicates.

pub mod delivery;
pub mod endpoints;
pub mod events;
pub mod fanout;
pub mod signing;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::hub::Hub;

/// Tunables of webhook delivery (`[webhooks]` in the config file), with their defaults.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// How often the change feed and the due deliveries are looked at, in milliseconds.
    /// Default 1000.
    pub poll_interval_ms: u64,
    /// Attempts in flight at once, over all endpoints. Default 8.
    pub concurrency: usize,
    /// Attempts in flight at once to one endpoint, so a slow receiver cannot take every
    /// slot. Default 2.
    pub per_endpoint_concurrency: usize,
    /// Time one attempt may take (connect, send, response headers and the first KiB of
    /// the body), in milliseconds. Default 15 000.
    pub timeout_ms: u64,
    /// Delays before each retry, in milliseconds; a delivery gets one attempt more than
    /// there are entries, then it is `failed`. Default 5 s, 30 s, 2 min, 10 min, 30 min,
    /// 2 h, 5 h, 10 h (9 attempts over about 18 hours).
    pub retry_schedule_ms: Vec<u64>,
    /// Each delay is spread by up to this many percent either way, so receivers that fail
    /// together are not retried in lockstep. Default 20.
    pub jitter_percent: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            poll_interval_ms: 1_000,
            concurrency: 8,
            per_endpoint_concurrency: 2,
            timeout_ms: 15_000,
            retry_schedule_ms: vec![
                5_000, 30_000, 120_000, 600_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000,
            ],
            jitter_percent: 20,
        }
    }
}

impl WebhookSettings {
    /// Attempts a delivery gets before it is `failed`.
    pub fn max_attempts(&self) -> i64 {
        i64::try_from(self.retry_schedule_ms.len()).unwrap_or(i64::MAX - 1) + 1
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(10))
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.max(1))
    }
}

/// Wakes every worker in the process (a test event or a retry was queued).
static WAKE: Notify = Notify::const_new();

/// Look for due deliveries now instead of at the next poll.
pub fn wake() {
    WAKE.notify_waiters();
}

/// Fan-out and delivery, until stopped.
pub struct WebhookWorker {
    hub: Hub,
    settings: Arc<WebhookSettings>,
    owner: String,
    stop: Arc<AtomicBool>,
    stopped: Arc<Notify>,
}

/// Control of a running worker.
#[derive(Clone)]
pub struct WebhookHandle {
    stop: Arc<AtomicBool>,
    stopped: Arc<Notify>,
}

impl WebhookHandle {
    /// Stop taking new work; attempts in flight finish (each bounded by the timeout).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.stopped.notify_waiters();
    }
}

impl WebhookWorker {
    /// `owner` names this process in delivery leases (unique per host). Destinations are
    /// checked against the runtime's `allow_private_networks`.
    pub fn new(hub: Hub, settings: WebhookSettings, owner: String) -> Self {
        Self {
            hub,
            settings: Arc::new(settings),
            owner,
            stop: Arc::new(AtomicBool::new(false)),
            stopped: Arc::new(Notify::new()),
        }
    }

    pub fn handle(&self) -> WebhookHandle {
        WebhookHandle {
            stop: self.stop.clone(),
            stopped: self.stopped.clone(),
        }
    }

    /// Run until stopped; returns when attempts in flight have been recorded.
    pub async fn run(self) -> anyhow::Result<()> {
        let allow_private = self.hub.registry.runtime().limits().allow_private_networks;
        let deliverer = delivery::Deliverer::new(
            self.hub.clone(),
            self.settings.clone(),
            self.owner.clone(),
            allow_private,
        )?;
        tracing::info!(
            owner = %self.owner,
            concurrency = self.settings.concurrency,
            allow_private,
            "webhook worker started"
        );
        let pause = Pause {
            interval: self.settings.poll_interval(),
            stop: self.stop.clone(),
            stopped: self.stopped.clone(),
        };
        tokio::join!(fanout::run(&self.hub, &pause), deliverer.run(&pause));
        tracing::info!("webhook worker stopped");
        Ok(())
    }
}

/// How the loops wait between passes: the poll interval, cut short by a wake or a stop.
pub(crate) struct Pause {
    interval: Duration,
    stop: Arc<AtomicBool>,
    stopped: Arc<Notify>,
}

impl Pause {
    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Wait `delay` after a store failure: only a stop cuts it short (wakes do not, so a
    /// busy feed cannot turn the wait into a tight retry loop).
    pub(crate) async fn back_off(&self, delay: Duration) {
        let stopped = self.stopped.notified();
        if self.stopping() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stopped => {}
        }
    }

    /// Wait for the next pass.
    pub(crate) async fn wait(&self) {
        let stopped = self.stopped.notified();
        if self.stopping() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(self.interval) => {}
            _ = WAKE.notified() => {}
            _ = stopped => {}
        }
    }
}
