//! The automation scheduler: every tick (or at once when woken by "run now") it asks the
//! store for due automations, claims each with a lease and runs up to `concurrency` at a
//! time. On shutdown running automations stop after their current write; their cursor and
//! outbox hold everything still to do.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use super::AutomationSettings;
use super::run::run_automation;
use crate::hub::Hub;
use crate::sync::autosync::SyncSettings;
use junction_store::health::ErrorBackoff;
use junction_store::now_ms;

/// How often the scheduler looks for due automations when nothing wakes it.
const TICK: Duration = Duration::from_millis(500);

/// Runs due automations until stopped.
pub struct AutomationScheduler {
    hub: Hub,
    settings: Arc<AutomationSettings>,
    sync_settings: Arc<SyncSettings>,
    owner: String,
    wake: Arc<Notify>,
    stop: Arc<AtomicBool>,
}

/// Control of a running automation scheduler.
#[derive(Clone)]
pub struct AutomationHandle {
    wake: Arc<Notify>,
    stop: Arc<AtomicBool>,
}

impl AutomationHandle {
    /// Look for due automations now (after "run now").
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Ask the scheduler and its running automations to stop.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }
}

impl AutomationScheduler {
    pub fn new(
        hub: Hub,
        settings: AutomationSettings,
        sync_settings: SyncSettings,
        owner: String,
    ) -> Self {
        Self {
            hub,
            settings: Arc::new(settings),
            sync_settings: Arc::new(sync_settings),
            owner,
            wake: Arc::new(Notify::new()),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn handle(&self) -> AutomationHandle {
        AutomationHandle {
            wake: self.wake.clone(),
            stop: self.stop.clone(),
        }
    }

    /// Run until stopped; returns when every started run has ended.
    pub async fn run(self) {
        let concurrency = self.settings.concurrency.max(1);
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut runs = JoinSet::new();
        tracing::info!(owner = %self.owner, concurrency, "automation scheduler started");
        let mut backoff = ErrorBackoff::default();
        while !self.stop.load(Ordering::Relaxed) {
            let mut pause = TICK;
            while runs.try_join_next().is_some() {}
            let free = permits.available_permits();
            if free > 0 {
                let lease_ms = self.settings.lease_secs * 1000;
                match self
                    .hub
                    .store
                    .claim_due_automations(&self.owner, now_ms(), lease_ms, free as i64)
                    .await
                {
                    Ok(claimed) => {
                        backoff.succeeded();
                        for (id, trigger) in claimed {
                            // At most `free` were claimed, so a permit is there at once.
                            let Ok(permit) = permits.clone().acquire_owned().await else {
                                break;
                            };
                            let (hub, settings, sync_settings, owner, stop) = (
                                self.hub.clone(),
                                self.settings.clone(),
                                self.sync_settings.clone(),
                                self.owner.clone(),
                                self.stop.clone(),
                            );
                            runs.spawn(async move {
                                let _permit = permit;
                                let result = run_automation(&hub, &settings, &sync_settings, &id, &trigger, &owner, &stop).await;
                                if let Err(e) = result {
                                    tracing::error!(automation = %id, error = %e, "automation run could not be recorded");
                                }
                            });
                        }
                    }
                    Err(e) => {
                        pause = backoff.failed();
                        tracing::error!(error = %e, retry_in_secs = pause.as_secs(), "cannot claim due automations");
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.wake.notified() => {}
            }
        }
        tracing::info!(running = runs.len(), "automation scheduler stopping");
        while runs.join_next().await.is_some() {}
        tracing::info!("automation scheduler stopped");
    }
}
