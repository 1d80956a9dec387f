//! Automations: scheduled (and change-triggered) sync of entities between two connections.
//!
//! [`model`] says what an automation is and refuses definitions that could never run;
//! [`plan`] maps a canonical record to the writes the other side takes; [`run`] follows the
//! reading side's change feed from the automation's own cursor and feeds the outbox;
//! [`deliver`] turns outbox rows into connector writes under the writing connection's
//! request budget and settles them (links, retries with backoff, parking); [`scheduler`]
//! leases due automations and runs them; the operations front ends call are
//! `domain::automations`.

pub mod deliver;
pub mod model;
pub mod plan;
pub mod run;
pub mod scheduler;

use serde::{Deserialize, Serialize};

pub use deliver::OutboxSettings;

/// Automation tunables (`[automations]` in the config file), with their defaults.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AutomationSettings {
    /// Changes read from a reading side per page (one outbox transaction each). Default 100.
    pub page_size: i64,
    /// How long a claimed automation stays leased without renewal, in seconds. Default 300.
    pub lease_secs: i64,
    /// How long one outbox row stays leased for a delivery attempt, in seconds. Default 120.
    pub outbox_lease_secs: i64,
    /// Automations running at once. Default 2.
    pub concurrency: usize,
    /// A writing side's rate-limit wait up to this long (ms) is waited out within the run;
    /// longer ones leave its rows for a later run. Default 65 000.
    pub max_inline_wait_ms: i64,
    /// Most writes sent to one writing side in one (batch) call. Default 50.
    pub max_batch: usize,
    /// Retries, backoff and parking of failed writes.
    pub outbox: OutboxSettings,
}

impl Default for AutomationSettings {
    fn default() -> Self {
        Self {
            page_size: 100,
            lease_secs: 300,
            outbox_lease_secs: 120,
            concurrency: 2,
            max_inline_wait_ms: 65_000,
            max_batch: 50,
            outbox: OutboxSettings::default(),
        }
    }
}
