//! The autosync scheduler: every tick (or at once when woken by "sync now") it leases as
//! many due jobs as it has free slots in one store call (several hosts sharing a database
//! get disjoint jobs) and runs up to `concurrency` at a time.
//! On shutdown it asks running jobs to stop after their current page — each has then
//! committed its checkpoint — and waits for them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use super::autosync::{SyncSettings, run_job};
use crate::hub::Hub;
use junction_contract::ResourceKind;
use junction_store::health::ErrorBackoff;
use junction_store::now_ms;

/// How often the scheduler looks for due work when nothing wakes it.
const TICK: Duration = Duration::from_secs(1);
/// How soon a job whose run could not be recorded runs again, once the database answers.
const RETRY_UNRECORDED_MS: i64 = 3_000;
/// How often old run steps are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Runs due autosync jobs until stopped.
pub struct Scheduler {
    hub: Hub,
    settings: SyncSettings,
    owner: String,
    wake: Arc<Notify>,
    stop: Arc<AtomicBool>,
}

/// Control of a running scheduler.
#[derive(Clone)]
pub struct SchedulerHandle {
    wake: Arc<Notify>,
    stop: Arc<AtomicBool>,
}

impl SchedulerHandle {
    /// Look for due work now (after "sync now").
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Ask the scheduler and its running jobs to stop.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }
}

impl Scheduler {
    /// `owner` names this process in leases (unique per host).
    pub fn new(hub: Hub, settings: SyncSettings, owner: String) -> Self {
        // The hub's: whoever queues a sync through the hub wakes this scheduler.
        let wake = hub.sync_wake.clone();
        Self {
            hub,
            settings,
            owner,
            wake,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Free the leases of jobs whose runs could not be recorded; those the database still
    /// refuses stay for the next tick.
    async fn release_unrecorded(&self, unrecorded: &std::sync::Mutex<Vec<(String, String)>>) {
        let pending = match unrecorded.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return,
        };
        let mut still = Vec::new();
        for (connection_id, resource) in pending {
            match self
                .hub
                .store
                .release_job_lease(
                    &connection_id,
                    &resource,
                    &self.owner,
                    now_ms() + RETRY_UNRECORDED_MS,
                )
                .await
            {
                Ok(_) => {
                    tracing::info!(connection = %connection_id, resource = %resource, "freed the lease of a run that could not be recorded; it runs again shortly");
                }
                Err(_) => still.push((connection_id, resource)),
            }
        }
        if let Ok(mut pending) = unrecorded.lock() {
            pending.extend(still);
        }
    }

    pub fn handle(&self) -> SchedulerHandle {
        SchedulerHandle {
            wake: self.wake.clone(),
            stop: self.stop.clone(),
        }
    }

    /// Run until stopped; returns when every started job has ended.
    pub async fn run(self) {
        let concurrency = self.settings.concurrency.max(1);
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut jobs = JoinSet::new();
        let settings = Arc::new(self.settings.clone());
        tracing::info!(owner = %self.owner, concurrency, "autosync scheduler started");
        let mut backoff = ErrorBackoff::default();
        // Jobs whose run could not be recorded (the database failed under them): their
        // leases are freed as soon as the database takes writes again, so they run again
        // within seconds rather than after the lease.
        let unrecorded: Arc<std::sync::Mutex<Vec<(String, String)>>> = Arc::default();
        // Old run steps go once an hour (and at start): bounded work, any host may do it.
        let mut next_prune = std::time::Instant::now();
        while !self.stop.load(Ordering::Relaxed) {
            while jobs.try_join_next().is_some() {}
            self.release_unrecorded(&unrecorded).await;
            if std::time::Instant::now() >= next_prune {
                next_prune = std::time::Instant::now() + PRUNE_EVERY;
                if let Err(e) = crate::runs::prune(&self.hub.store, settings.run_detail_days).await
                {
                    tracing::warn!(error = %e, "old run steps could not be pruned; trying again in an hour");
                }
            }
            let mut pause = TICK;
            let free = permits.available_permits();
            if free > 0 {
                let lease_ms = settings.lease_secs * 1000;
                match self
                    .hub
                    .store
                    .claim_due_jobs(&self.owner, now_ms(), lease_ms, free as i64)
                    .await
                {
                    Ok(claimed) => {
                        backoff.succeeded();
                        for job in claimed {
                            let (connection_id, resource, by_hand) =
                                (job.connection_id, job.resource, job.manual);
                            if let Some(stale) = &job.taken_over {
                                tracing::warn!(connection = %connection_id, resource = %resource, run = %stale, "took over a job whose host stopped; its run is marked interrupted");
                            }
                            let Ok(kind) = ResourceKind::parse(&resource) else {
                                tracing::error!(connection = %connection_id, resource = %resource, "unknown resource in sync state");
                                continue;
                            };
                            let Ok(permit) = permits.clone().acquire_owned().await else {
                                break;
                            };
                            let (hub, settings, owner, stop, unrecorded) = (
                                self.hub.clone(),
                                settings.clone(),
                                self.owner.clone(),
                                self.stop.clone(),
                                unrecorded.clone(),
                            );
                            jobs.spawn(async move {
                                let _permit = permit;
                                let trigger = if by_hand { "manual" } else { "schedule" };
                                let result = run_job(&hub, &settings, &connection_id, kind, trigger, &owner, &stop).await;
                                if let Err(e) = result {
                                    tracing::error!(connection = %connection_id, resource = %resource, error = %e, "sync job could not be recorded");
                                    if let Ok(mut pending) = unrecorded.lock() {
                                        pending.push((connection_id, resource));
                                    }
                                }
                            });
                        }
                    }
                    Err(e) => {
                        pause = backoff.failed();
                        tracing::error!(error = %e, retry_in_secs = pause.as_secs(), "cannot claim due sync jobs");
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.wake.notified() => {}
            }
        }
        tracing::info!(
            running = jobs.len(),
            "autosync scheduler stopping; waiting for running jobs to checkpoint"
        );
        while jobs.join_next().await.is_some() {}
        tracing::info!("autosync scheduler stopped");
    }
}
