//! One autosync job: bring one (connection, resource) up to date.
//!
//! The job lists changes since the high-water mark (minus a small overlap; the primary key
//! absorbs the duplicates), page by page, committing each page together with the
//! connector's next cursor in one transaction. A run that stops for any reason — an error,
//! a shutdown, a crash — leaves a checkpoint, and the next run resumes from it with the
//! same updated-since, so no record is lost or duplicated. Variations are listed per
//! product (the products with variations in the local copy), with a checkpoint per product.
//! After a failure the job is retried with exponential backoff and jitter; a `rate-limited`
//! answer waits exactly its retry-after.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::reconcile;
use super::record_json::{format_ms, parse_ms, to_stored};
use crate::hub::Hub;
use crate::runs::{self, CallTrace, FailedCallStep, PageStep, Step};
use junction_contract::{ConnectorError, DeletionDetection, ListRequest, ResourceKind};
use junction_runtime::{CallError, CallOptions, LoadedConnector};
use junction_store::records::{PageCheckpoint, RecordQuery};
use junction_store::sync_state::{ReconcileDue, RunEnd};
use junction_store::{StoreError, new_id, now_ms};

/// How long a variations job waits for the first product sync before looking again.
const VARIATIONS_WAIT_MS: i64 = 2_000;

/// Tunables of autosync, with their defaults.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSettings {
    /// Records asked for per page. Default 100.
    pub page_size: u32,
    /// How far before the high-water mark an incremental run starts, in seconds. Default 5.
    pub overlap_secs: i64,
    /// How long a claimed job stays leased without renewal, in seconds. Default 300.
    pub lease_secs: i64,
    /// First retry delay after a failure, in seconds; doubles per failure. Default 30.
    pub backoff_base_secs: i64,
    /// Longest retry delay, in seconds. Default 3600.
    pub backoff_max_secs: i64,
    /// Jobs running at once. Default 4.
    pub concurrency: usize,
    /// How often each resource is reconciled (a complete scan that finds what the system
    /// deleted), in seconds; 0 turns scheduled reconciliation off ("reconcile now" still
    /// works). Default 86400 (daily).
    pub reconcile_every_secs: i64,
    /// How long each run's steps (pages, requests, connector log lines: the portal's run
    /// detail) are kept, in days; 0 keeps them forever. The runs themselves are kept.
    /// Default 14.
    pub run_detail_days: u32,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            page_size: 100,
            overlap_secs: 5,
            lease_secs: 300,
            backoff_base_secs: 30,
            backoff_max_secs: 3600,
            concurrency: 4,
            reconcile_every_secs: 86_400,
            run_detail_days: 14,
        }
    }
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    Succeeded,
    Failed(String),
    /// Stopped by shutdown after its last committed page; resumes from the checkpoint.
    Interrupted,
    /// Not run: variations wait until products have been synced once.
    Deferred,
}

/// The result of one job.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    pub run_id: String,
    pub status: JobStatus,
    pub pages: u64,
    pub records: u64,
}

/// Why a listing stopped early.
enum Stop {
    Shutdown,
    Call(CallError),
    BadRecord(String),
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

/// The checkpoint of a variations run: which product, and the cursor within it.
#[derive(Debug, Serialize, Deserialize)]
struct VariationCheckpoint {
    product: String,
    cursor: Option<String>,
}

struct Job<'a> {
    hub: &'a Hub,
    settings: &'a SyncSettings,
    connector: Arc<LoadedConnector>,
    options: CallOptions,
    connection_id: &'a str,
    resource: ResourceKind,
    run_id: String,
    owner: &'a str,
    since: Option<String>,
    stop: &'a AtomicBool,
    pages: u64,
    records: u64,
    newest_ms: Option<i64>,
}

/// Run one job. The caller holds the job's lease (`owner`); the lease is renewed per page
/// and released at the end. `stop` asks the job to end after its current page.
pub async fn run_job(
    hub: &Hub,
    settings: &SyncSettings,
    connection_id: &str,
    resource: ResourceKind,
    trigger: &str,
    owner: &str,
    stop: &AtomicBool,
) -> Result<JobOutcome, StoreError> {
    let connection = hub.store.connection(connection_id).await?;
    let state = hub.store.sync_state(connection_id, resource).await?;
    // Variations are listed per product of the local copy: wait for a first product sync.
    if resource == ResourceKind::Variations && state.run_cursor.is_none() {
        let products = hub
            .store
            .sync_state(connection_id, ResourceKind::Products)
            .await;
        let products_ready = products
            .as_ref()
            .is_ok_and(|p| p.high_water.is_some() || p.last_status.as_deref() == Some("succeeded"));
        if products.is_ok() && !products_ready {
            hub.store
                .defer_job(connection_id, resource, now_ms() + VARIATIONS_WAIT_MS)
                .await?;
            return Ok(JobOutcome {
                run_id: String::new(),
                status: JobStatus::Deferred,
                pages: 0,
                records: 0,
            });
        }
    }
    let run_id = new_id();
    let started = std::time::Instant::now();
    hub.store
        .start_run(&run_id, connection_id, resource, trigger)
        .await?;
    let resuming = state.run_cursor.is_some();
    let since = if resuming {
        state.run_since.clone()
    } else {
        state
            .high_water
            .as_deref()
            .and_then(|hw| parse_ms(hw).ok())
            .map(|ms| format_ms(ms - settings.overlap_secs * 1000))
    };
    hub.store
        .begin_sync_run(connection_id, resource, &run_id, since.as_deref())
        .await?;
    let span = tracing::info_span!("autosync", connection = %connection_id, resource = resource.as_str(), run = %run_id);
    let _entered = span.enter();
    tracing::info!(since = ?since, resuming, trigger, "sync run started");

    let prepared = hub.prepare(&connection);
    let outcome = match &prepared {
        Err(e) => Err(Stop::Call(CallError::InvalidConfig(e.to_string()))),
        Ok((connector, options)) => {
            let mut job = Job {
                hub,
                settings,
                connector: connector.clone(),
                options: options.clone(),
                connection_id,
                resource,
                run_id: run_id.clone(),
                owner,
                since: since.clone(),
                stop,
                pages: 0,
                records: 0,
                newest_ms: None,
            };
            let listed = if resource == ResourceKind::Variations {
                job.list_variations(state.run_cursor.clone()).await
            } else {
                job.list_from(None, state.run_cursor.clone()).await
            };
            Ok((listed, job.pages, job.records, job.newest_ms))
        }
    };
    let (listed, pages, records, newest_ms) = match outcome {
        Ok(parts) => parts,
        Err(stop) => (Err(stop), 0, 0, None),
    };
    let record_count = hub.store.count_records(connection_id, resource).await?;
    let now = now_ms();
    let cadence_ms = state.cadence_secs.max(1) * 1000;
    let high_water = match &listed {
        Ok(()) => newest_high_water(state.high_water.as_deref(), newest_ms),
        Err(_) => None,
    };
    // (status, error, keep checkpoint, failures, next run)
    let (status, keep_checkpoint, failures, next_run_ms) = match listed {
        Ok(()) => (
            JobStatus::Succeeded,
            false,
            0,
            now + cadence_ms + jitter_ms(cadence_ms / 20),
        ),
        Err(Stop::Shutdown) => (JobStatus::Interrupted, true, state.failures, now),
        Err(stop) => {
            let failures = state.failures + 1;
            let (message, retry_ms, keep) = failure_plan(stop, settings, failures, cadence_ms);
            (JobStatus::Failed(message), keep, failures, now + retry_ms)
        }
    };
    // New or changed products may have new variations: list them now, not at their cadence.
    if resource == ResourceKind::Products && status == JobStatus::Succeeded && records > 0 {
        hub.store
            .sync_now(connection_id, Some(ResourceKind::Variations))
            .await?;
    }
    // A reconciliation runs after a successful sync, under the same lease, when due.
    if status == JobStatus::Succeeded
        && let Ok((connector, options)) = &prepared
    {
        let reconciles = connector
            .manifest
            .deletion_detection(resource)
            .contains(DeletionDetection::RECONCILIATION);
        if !reconciles {
            // The connector reports deletions itself, or its system has none: a scan would
            // spend the budget to find nothing. A request still standing is dropped.
            if reconcile::is_due(&state, now) {
                tracing::info!(
                    "reconciliation skipped: the connector declares no reconciliation for this resource"
                );
                hub.store
                    .schedule_reconciliation(
                        connection_id,
                        resource,
                        &run_id,
                        ReconcileDue {
                            next_ms: i64::MAX,
                            read_ms: state.reconcile_due_ms,
                        },
                        None,
                    )
                    .await?;
            }
        } else if reconcile::is_due(&state, now) {
            let trigger = if state.reconcile_due_ms == Some(0) {
                "manual"
            } else {
                "schedule"
            };
            reconcile::reconcile(reconcile::Scope {
                hub,
                settings,
                connector: connector.clone(),
                options,
                connection_id,
                resource,
                owner,
                sync_run_id: &run_id,
                stop,
                trigger,
                due_read: state.reconcile_due_ms,
            })
            .await?;
        } else if state.reconcile_due_ms.is_none() {
            let every_ms = settings.reconcile_every_secs.saturating_mul(1000);
            let due = reconcile::next_due_after(now, every_ms).unwrap_or(i64::MAX);
            hub.store
                .schedule_reconciliation(
                    connection_id,
                    resource,
                    &run_id,
                    ReconcileDue {
                        next_ms: due,
                        read_ms: None,
                    },
                    None,
                )
                .await?;
        }
    }
    let (status_word, error) = match &status {
        JobStatus::Succeeded => ("succeeded", None),
        JobStatus::Deferred => ("deferred", None),
        JobStatus::Failed(m) => ("failed", Some(m.as_str())),
        JobStatus::Interrupted => (
            "interrupted",
            Some("stopped by shutdown; resumes from its checkpoint"),
        ),
    };
    hub.store
        .end_sync_run(
            connection_id,
            resource,
            RunEnd {
                run_id: &run_id,
                status: status_word,
                error,
                high_water: high_water.as_deref(),
                keep_checkpoint,
                failures,
                next_run_ms,
                record_count,
            },
        )
        .await?;
    hub.store.finish_run(&run_id, status_word, error).await?;
    metrics::counter!("junction_sync_runs_total", "resource" => resource.as_str(), "status" => status_word).increment(1);
    metrics::counter!("junction_sync_records_total", "resource" => resource.as_str())
        .increment(records);
    metrics::histogram!("junction_sync_run_duration_seconds", "resource" => resource.as_str())
        .record(started.elapsed().as_secs_f64());
    match &status {
        JobStatus::Failed(message) => {
            tracing::warn!(pages, records, failures, retry_in_ms = next_run_ms - now, error = %message, "sync run failed")
        }
        _ => tracing::info!(
            pages,
            records,
            record_count,
            status = status_word,
            "sync run ended"
        ),
    }
    Ok(JobOutcome {
        run_id,
        status,
        pages,
        records,
    })
}

/// The later of the stored high-water mark and the newest record of this run.
fn newest_high_water(stored: Option<&str>, newest_ms: Option<i64>) -> Option<String> {
    let stored_ms = stored.and_then(|s| parse_ms(s).ok());
    match (stored_ms, newest_ms) {
        (Some(a), Some(b)) if b > a => Some(format_ms(b)),
        (None, Some(b)) => Some(format_ms(b)),
        _ => None,
    }
}

/// After a failure of Junction's own database, the first retry and the longest wait.
const STORE_RETRY_FIRST_MS: i64 = 2_000;
const STORE_RETRY_MAX_MS: i64 = 15_000;

/// The error message, when to retry, and whether the checkpoint is still good.
fn failure_plan(
    stop: Stop,
    settings: &SyncSettings,
    failures: i64,
    cadence_ms: i64,
) -> (String, i64, bool) {
    let backoff = || {
        let exp = settings
            .backoff_base_secs
            .saturating_mul(1_i64 << (failures - 1).clamp(0, 20));
        let ms = exp.min(settings.backoff_max_secs).max(1) * 1000;
        ms + jitter_ms(ms / 5)
    };
    match stop {
        Stop::Call(CallError::Connector(ConnectorError::RateLimited(info))) => {
            let wait = i64::try_from(info.retry_after_ms)
                .unwrap_or(i64::MAX)
                .max(1);
            (
                format!("rate limited: {} (retrying in {wait} ms)", info.message),
                wait,
                true,
            )
        }
        // A request the connector calls malformed may be our stale cursor: start over.
        Stop::Call(CallError::Connector(ConnectorError::InvalidRequest(m))) => (
            format!("invalid request: {m}; the listing restarts from the high-water mark"),
            backoff(),
            false,
        ),
        // Credentials or config: retrying fast cannot help; try again at the cadence.
        Stop::Call(
            e @ (CallError::Connector(ConnectorError::Unauthorized(_))
            | CallError::InvalidConfig(_)),
        ) => (e.to_string(), cadence_ms.max(backoff()), true),
        Stop::Call(e) => (e.to_string(), backoff(), true),
        Stop::BadRecord(m) => (m, backoff(), true),
        // Our own database failed (a full disk, say): the external system is not at fault,
        // so try again soon — the run resumes from its checkpoint once storage is back.
        Stop::Store(e) => {
            let ms = (STORE_RETRY_FIRST_MS << (failures - 1).clamp(0, 10)).min(STORE_RETRY_MAX_MS);
            (format!("store: {e}"), ms + jitter_ms(ms / 5), true)
        }
        Stop::Shutdown => ("stopped by shutdown".into(), 0, true),
    }
}

/// A random delay in `[0, max_ms]`, so jobs scheduled together drift apart.
pub(crate) fn jitter_ms(max_ms: i64) -> i64 {
    if max_ms <= 0 {
        return 0;
    }
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return 0;
    }
    let r = u64::from_le_bytes(bytes) % (max_ms as u64 + 1);
    i64::try_from(r).unwrap_or(0)
}

impl Job<'_> {
    /// List one listing (a resource, or one product's variations) from `cursor` to its end.
    /// For variations the stored checkpoint also names the product.
    async fn list_from(
        &mut self,
        parent: Option<&str>,
        mut cursor: Option<String>,
    ) -> Result<(), Stop> {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Err(Stop::Shutdown);
            }
            let request = ListRequest {
                resource: self.resource,
                updated_since: self.since.clone(),
                cursor: cursor.clone(),
                page_size: self.settings.page_size,
                parent_id: parent.map(str::to_string),
                ids_only: false,
            };
            let started = std::time::Instant::now();
            let result = self.connector.list(&self.options, request).await;
            let trace = CallTrace::of(&result, started);
            let page = match result.value {
                Ok(page) => page,
                Err(e) => {
                    let failed = FailedCallStep {
                        error: e.to_string(),
                        call: trace,
                    };
                    runs::record(&self.hub.store, &self.run_id, &Step::CallFailed(failed)).await;
                    return Err(Stop::Call(e));
                }
            };
            let mut records = Vec::with_capacity(page.entities.len());
            for entity in &page.entities {
                if entity.kind() != self.resource {
                    return Err(Stop::BadRecord(format!(
                        "the connector returned a {} record in a {} listing",
                        entity.kind().as_str(),
                        self.resource.as_str()
                    )));
                }
                let record = to_stored(entity).map_err(Stop::BadRecord)?;
                self.newest_ms = Some(
                    self.newest_ms
                        .map_or(record.modified_ms, |n| n.max(record.modified_ms)),
                );
                records.push(record);
            }
            let parent_key = parent.unwrap_or_default();
            let deleted: Vec<(String, String)> = page
                .deleted
                .into_iter()
                .map(|id| (parent_key.to_string(), id))
                .collect();
            let next = page.next_cursor;
            let checkpoint = match parent {
                Some(product) => Some(
                    serde_json::to_string(&VariationCheckpoint {
                        product: product.to_string(),
                        cursor: next.clone(),
                    })
                    .map_err(|e| Stop::BadRecord(e.to_string()))?,
                ),
                None => next.clone(),
            };
            let upserted = self
                .hub
                .store
                .commit_page(PageCheckpoint {
                    connection_id: self.connection_id,
                    resource: self.resource,
                    run_id: &self.run_id,
                    records: &records,
                    next_cursor: checkpoint.as_deref(),
                    deleted: &deleted,
                })
                .await?;
            if upserted.changed > 0 || upserted.deleted > 0 {
                self.hub
                    .store
                    .wake_automations_on_change(self.connection_id)
                    .await?;
            }
            self.pages += 1;
            self.records += records.len() as u64;
            let listed = records.len() as u64;
            let step = PageStep {
                page: self.pages,
                parent_id: parent.map(str::to_string),
                records: listed,
                created: upserted.created,
                updated: upserted.changed.saturating_sub(upserted.created),
                unchanged: listed.saturating_sub(upserted.changed),
                deleted: upserted.deleted,
                call: trace,
            };
            runs::record(&self.hub.store, &self.run_id, &Step::Page(step)).await;
            let lease_ms = self.settings.lease_secs * 1000;
            self.hub
                .store
                .renew_lease(
                    self.connection_id,
                    self.resource.as_str(),
                    self.owner,
                    lease_ms,
                )
                .await?;
            match next {
                Some(c) => cursor = Some(c),
                None => return Ok(()),
            }
        }
    }

    /// Variations: every product with variations in the local copy, in id order, resuming
    /// at the checkpoint's product.
    async fn list_variations(&mut self, checkpoint: Option<String>) -> Result<(), Stop> {
        let resume: Option<VariationCheckpoint> = checkpoint
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok());
        let mut products = self.variable_products().await?;
        products.sort();
        for product in products {
            let cursor = match &resume {
                Some(r) if product < r.product => continue,
                Some(r) if product == r.product => match &r.cursor {
                    Some(c) => Some(c.clone()),
                    // That product's listing was complete; move on.
                    None => continue,
                },
                _ => None,
            };
            self.list_from(Some(&product), cursor).await?;
        }
        Ok(())
    }

    async fn variable_products(&self) -> Result<Vec<String>, Stop> {
        Ok(variable_products(self.hub, self.connection_id).await?)
    }
}

/// The products of the local copy that have variations, in the copy's order.
pub(crate) async fn variable_products(
    hub: &Hub,
    connection_id: &str,
) -> Result<Vec<String>, StoreError> {
    {
        let mut ids = Vec::new();
        let mut offset = 0;
        loop {
            let query = RecordQuery {
                offset,
                limit: 1000,
                ..Default::default()
            };
            let rows = hub
                .store
                .list_records(connection_id, ResourceKind::Products, &query)
                .await?;
            let more = rows.len() > 1000;
            for row in rows.iter().take(1000) {
                let has = serde_json::from_str::<serde_json::Value>(&row.data)
                    .ok()
                    .and_then(|v| v.get("hasVariations").and_then(|h| h.as_bool()))
                    .unwrap_or(false);
                if has {
                    ids.push(row.external_id.clone());
                }
            }
            if !more {
                return Ok(ids);
            }
            offset += 1000;
        }
    }
}
