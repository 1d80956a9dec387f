//! One automation run.
//!
//! For each enabled entity, in the order customers, products, orders: bring the reading
//! side's local copy up to date (an incremental autosync of that resource, unless another
//! job holds it), then follow the reading side's change feed from the automation's own
//! cursor, a page at a time. Each change is mapped to the writing side's writes; changes
//! that are Junction's own earlier writes coming back (not newer than the echo mark of
//! their link) or unchanged since last written are skipped — that is what keeps a
//! bidirectional pair from looping. The page's writes enter the outbox in the same
//! transaction that moves the cursor, and are then delivered. After the feed, the
//! automation's other due outbox rows (retries) are delivered too.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use super::AutomationSettings;
use super::deliver::{OutboxSettings, Settled, Writer, deliver_batch};
use super::model::{Direction, Entities, Flow, MappingOptions, flows};
use super::plan::{Planned, fill_from_variations, fingerprint, plan};
use crate::hub::Hub;
use crate::runs::{
    self, RECORDS_PER_STEP, ReadStep, SkippedRecord, Step, WriteOutcome, WritesStep,
};
use crate::sync::autosync::{SyncSettings, jitter_ms, run_job};
use crate::sync::record_json::from_stored;
use junction_contract::{Entity, ResourceKind, Variation};
use junction_store::automations::{AutomationEnd, AutomationRow, RunCounts};
use junction_store::outbox::{NewOutboxEntry, OutboxEntry};
use junction_store::records::RecordQuery;
use junction_store::{StoreError, new_id, now_ms};

/// The result of one run.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub run_id: String,
    pub status: String,
    pub counts: RunCounts,
    pub error: Option<String>,
}

/// Why a run stopped early.
enum Stop {
    Shutdown,
    LeaseLost,
    Failed(String),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Failed(format!("store: {e}"))
    }
}

/// How long a run waits for a sync of its reading side that is already running.
const REFRESH_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

struct Run<'a> {
    hub: &'a Hub,
    settings: &'a AutomationSettings,
    sync_settings: &'a SyncSettings,
    automation: &'a AutomationRow,
    options: MappingOptions,
    owner: &'a str,
    stop: &'a AtomicBool,
    run_id: String,
    counts: RunCounts,
    writers: HashMap<String, Writer>,
    /// Writing sides that asked to slow down in this run: skip their rows until later.
    slowed: HashMap<String, i64>,
}

/// Run an automation whose lease `owner` holds; the lease is renewed per page and released
/// at the end with the next run scheduled.
pub async fn run_automation(
    hub: &Hub,
    settings: &AutomationSettings,
    sync_settings: &SyncSettings,
    automation_id: &str,
    trigger: &str,
    owner: &str,
    stop: &AtomicBool,
) -> Result<RunOutcome, StoreError> {
    let automation = hub.store.automation(automation_id).await?;
    let run_id = new_id();
    hub.store
        .start_automation_run(&run_id, automation_id, trigger)
        .await?;
    let span = tracing::info_span!("automation", automation = %automation.name, id = %automation_id, run = %run_id);
    let _entered = span.enter();
    tracing::info!(trigger, "automation run started");
    let started = std::time::Instant::now();
    let entities: Result<Entities, _> = serde_json::from_str(&automation.entities);
    let options: Result<MappingOptions, String> =
        serde_json::from_str(&automation.options).map_err(|e| e.to_string());
    let mut run = Run {
        hub,
        settings,
        sync_settings,
        automation: &automation,
        options: options.clone().unwrap_or_default(),
        owner,
        stop,
        run_id: run_id.clone(),
        counts: RunCounts::default(),
        writers: HashMap::new(),
        slowed: HashMap::new(),
    };
    let result = match (entities, options) {
        (Ok(entities), Ok(_)) => run.all(&flows(&entities)).await,
        (Err(e), _) => Err(Stop::Failed(format!(
            "the stored entities cannot be read: {e}"
        ))),
        (_, Err(e)) => Err(Stop::Failed(format!(
            "the stored options cannot be read: {e}"
        ))),
    };
    let counts = run.counts;
    let (pending, parked) = hub.store.outbox_counts(automation_id).await?;
    let now = now_ms();
    let cadence_ms = automation.cadence_secs.clamp(1, 7 * 24 * 3600) * 1000;
    let (status, error, failures) = match &result {
        Ok(()) if counts.failed > 0 || counts.parked > 0 || pending > 0 => (
            "partial",
            Some(format!(
                "{} writes wait for a retry, {parked} are parked (see the outbox)",
                pending
            )),
            0,
        ),
        Ok(()) => ("succeeded", None, 0),
        Err(Stop::Shutdown) => (
            "interrupted",
            Some("stopped by shutdown; resumes from its cursor and outbox".into()),
            automation.failures,
        ),
        Err(Stop::LeaseLost) => (
            "interrupted",
            Some("the run's lease was lost to another worker".into()),
            automation.failures,
        ),
        Err(Stop::Failed(m)) => ("failed", Some(m.clone()), automation.failures + 1),
    };
    // The next run: at the cadence, sooner for a retry that comes due, at once for a
    // change that arrived on a reading side during this run (its wake-up was overwritten).
    let mut next = now + cadence_ms + jitter_ms(cadence_ms / 20);
    if let Err(Stop::Failed(_)) = &result {
        next = now
            + OutboxSettings::default()
                .backoff_ms(failures)
                .min(cadence_ms);
    }
    if let Some(due) = hub
        .store
        .due_outbox(Some(automation_id), i64::MAX, 1)
        .await?
        .first()
    {
        next = next.min(due.next_attempt_ms.max(now + 100));
    }
    if automation.on_change && run.changes_waiting().await? {
        next = now;
    }
    if let Err(Stop::Shutdown) = &result {
        next = now;
    }
    hub.store
        .finish_automation_run(&run_id, status, error.as_deref())
        .await?;
    hub.store
        .end_automation_run(
            automation_id,
            owner,
            AutomationEnd {
                status,
                error: error.as_deref(),
                failures,
                next_run_ms: next,
            },
        )
        .await?;
    metrics::counter!("junction_automation_runs_total", "status" => status).increment(1);
    metrics::counter!("junction_automation_writes_total", "outcome" => "written")
        .increment(u64::try_from(counts.written).unwrap_or(0));
    metrics::counter!("junction_automation_writes_total", "outcome" => "skipped")
        .increment(u64::try_from(counts.skipped).unwrap_or(0));
    metrics::counter!("junction_automation_writes_total", "outcome" => "failed")
        .increment(u64::try_from(counts.failed).unwrap_or(0));
    metrics::counter!("junction_automation_writes_total", "outcome" => "parked")
        .increment(u64::try_from(counts.parked).unwrap_or(0));
    metrics::histogram!("junction_automation_run_duration_seconds")
        .record(started.elapsed().as_secs_f64());
    tracing::info!(
        status,
        read = counts.read,
        written = counts.written,
        skipped = counts.skipped,
        failed = counts.failed,
        parked = counts.parked,
        pending,
        error = error.as_deref().unwrap_or(""),
        "automation run ended"
    );
    Ok(RunOutcome {
        run_id,
        status: status.to_string(),
        counts,
        error,
    })
}

impl Run<'_> {
    fn sides(&self, direction: Direction) -> (&str, &str) {
        let a = self.automation;
        match direction {
            Direction::SourceToTarget => (&a.source_connection_id, &a.target_connection_id),
            Direction::TargetToSource => (&a.target_connection_id, &a.source_connection_id),
        }
    }

    async fn all(&mut self, flows: &[Flow]) -> Result<(), Stop> {
        for flow in flows {
            self.refresh_reading_side(*flow).await?;
            self.follow(*flow).await?;
        }
        self.deliver_due().await
    }

    /// Has a reading side changed past this automation's cursor?
    async fn changes_waiting(&self) -> Result<bool, StoreError> {
        let Ok(entities) = serde_json::from_str::<Entities>(&self.automation.entities) else {
            return Ok(false);
        };
        for flow in flows(&entities) {
            let (reader, _) = self.sides(flow.direction);
            let cursor = self
                .hub
                .store
                .automation_cursor(
                    &self.automation.id,
                    flow.resource.as_str(),
                    flow.direction.as_str(),
                )
                .await?;
            let next = self
                .hub
                .store
                .changes_since(reader, flow.resource, cursor, 1)
                .await?;
            if !next.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// An incremental autosync of the reading side's resource, so the run sees what
    /// changed up to now. Skipped when another job holds that resource's lease.
    async fn refresh_reading_side(&mut self, flow: Flow) -> Result<(), Stop> {
        let (reader, _) = self.sides(flow.direction);
        let reader = reader.to_string();
        self.refresh(&reader, flow.resource).await?;
        // Products carry their price and stock on variations in some systems.
        if flow.resource == ResourceKind::Products {
            self.refresh(&reader, ResourceKind::Variations).await?;
        }
        Ok(())
    }

    async fn refresh(&mut self, reader: &str, resource: ResourceKind) -> Result<(), Stop> {
        let reader = reader.to_string();
        let flow = Flow {
            resource,
            direction: Direction::SourceToTarget,
        };
        // No sync state: the connector does not list this resource (pushed records only).
        match self.hub.store.sync_state(&reader, resource).await {
            Err(StoreError::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        let lease_ms = self.sync_settings.lease_secs * 1000;
        // A sync of that resource already running (its schedule, "sync now") is waited for,
        // up to a bound, so the run reads a copy that is up to date.
        let deadline = std::time::Instant::now() + REFRESH_WAIT;
        let claimed = loop {
            let claimed = self
                .hub
                .store
                .claim_job(&reader, flow.resource.as_str(), self.owner, lease_ms)
                .await;
            match claimed {
                Ok(false) if std::time::Instant::now() < deadline => {
                    if self.stop.load(Ordering::Relaxed) {
                        return Err(Stop::Shutdown);
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                other => break other,
            }
        };
        match claimed {
            Ok(true) => {
                let outcome = run_job(
                    self.hub,
                    self.sync_settings,
                    &reader,
                    flow.resource,
                    "automation",
                    self.owner,
                    self.stop,
                )
                .await?;
                tracing::debug!(resource = flow.resource.as_str(), status = ?outcome.status, records = outcome.records, "reading side refreshed");
                if outcome.records > 0 {
                    self.hub.store.wake_automations_on_change(&reader).await?;
                }
            }
            Ok(false) => {}
            // No sync state: the connector does not list this resource (pushed records only).
            Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Follow one flow's change feed to its end.
    async fn follow(&mut self, flow: Flow) -> Result<(), Stop> {
        let (reader, writer_id) = self.sides(flow.direction);
        let (reader, writer_id) = (reader.to_string(), writer_id.to_string());
        let direction = flow.direction.as_str();
        let resource = flow.resource.as_str();
        let mut cursor = self
            .hub
            .store
            .automation_cursor(&self.automation.id, resource, direction)
            .await?;
        self.writer(&writer_id, flow.direction).await?;
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Err(Stop::Shutdown);
            }
            let changes = self
                .hub
                .store
                .changes_since(&reader, flow.resource, cursor, self.settings.page_size)
                .await?;
            let Some(last) = changes.last() else {
                return Ok(());
            };
            let page_end = last.change_seq;
            let mut planned: Vec<(String, i64, String, Vec<Planned>)> = Vec::new();
            let mut page = RunCounts::default();
            let mut skipped: Vec<SkippedRecord> = Vec::new();
            let mut skip = |page: &mut RunCounts, id: &str, reason: &str| {
                page.skipped += 1;
                if skipped.len() < RECORDS_PER_STEP {
                    skipped.push(SkippedRecord {
                        id: id.to_string(),
                        reason: reason.to_string(),
                    });
                }
            };
            for change in &changes {
                page.read += 1;
                let record = &change.record;
                // A deletion in the source is never propagated: deleting in another system
                // is not something a sync should decide. It is logged and counted skipped.
                if let Some(deleted_ms) = record.deleted_ms {
                    tracing::info!(
                        automation = %self.automation.id,
                        source = %reader,
                        resource = resource,
                        record = %record.external_id,
                        deleted_at = %junction_store::records::format_changed_ms(deleted_ms),
                        "source record deleted; not propagated to the target"
                    );
                    skip(&mut page, &record.external_id, "deleted");
                    continue;
                }
                if self.is_echo(flow.resource, &reader, record).await? {
                    skip(&mut page, &record.external_id, "echo");
                    continue;
                }
                let entity = match from_stored(flow.resource, &record.data) {
                    Ok(Entity::Product(mut product))
                        if product.has_variations
                            && (product.price.is_none() || product.stock_quantity.is_none()) =>
                    {
                        let variations = self.variations_of(&reader, &product.external_id).await?;
                        fill_from_variations(&mut product, &variations);
                        Entity::Product(product)
                    }
                    Ok(e) => e,
                    Err(e) => {
                        tracing::warn!(record = %record.external_id, error = %e, "stored record skipped");
                        skip(&mut page, &record.external_id, "unreadable");
                        continue;
                    }
                };
                let Some(writer) = self.writers.get(&writer_id) else {
                    return Err(Stop::Failed("writing side not prepared".into()));
                };
                let writes = plan(&entity, &writer.connector.manifest, &self.options);
                if writes.is_empty() {
                    skip(&mut page, &record.external_id, "nothing-to-write");
                    continue;
                }
                let digest = fingerprint(&writes);
                let link = self
                    .hub
                    .store
                    .link_from(resource, &reader, &record.external_id, &writer_id)
                    .await?;
                if link.and_then(|l| l.fingerprint).as_deref() == Some(digest.as_str()) {
                    skip(&mut page, &record.external_id, "unchanged");
                    continue;
                }
                planned.push((
                    record.external_id.clone(),
                    record.modified_ms,
                    digest,
                    writes,
                ));
            }
            let payloads: Vec<(String, String)> = planned
                .iter()
                .flat_map(|(_, _, _, writes)| writes.iter())
                .map(|w| {
                    (
                        w.kind_name().to_string(),
                        serde_json::to_string(w).unwrap_or_default(),
                    )
                })
                .collect();
            let mut entries = Vec::with_capacity(payloads.len());
            let mut i = 0;
            for (source_id, modified_ms, digest, writes) in &planned {
                for _ in writes {
                    let (kind, payload) = &payloads[i];
                    i += 1;
                    entries.push(NewOutboxEntry {
                        source_connection_id: &reader,
                        target_connection_id: &writer_id,
                        resource,
                        source_id,
                        write_kind: kind,
                        payload,
                        fingerprint: digest,
                        source_modified_ms: *modified_ms,
                    });
                }
            }
            self.hub
                .store
                .enqueue_page(&self.automation.id, resource, direction, &entries, page_end)
                .await?;
            cursor = page_end;
            let read = ReadStep {
                resource: resource.to_string(),
                source_connection_id: reader.to_string(),
                target_connection_id: writer_id.to_string(),
                read: u64::try_from(page.read).unwrap_or(0),
                queued: planned.len() as u64,
                skipped,
            };
            runs::record(&self.hub.store, &self.run_id, &Step::Read(read)).await;
            self.add(page).await?;
            self.deliver_due().await?;
            self.renew().await?;
        }
    }

    /// The variations of a product in the reading side's local copy.
    async fn variations_of(
        &self,
        reader: &str,
        product: &str,
    ) -> Result<Vec<Variation>, StoreError> {
        let query = RecordQuery {
            parent_id: Some(product.to_string()),
            limit: 500,
            ..Default::default()
        };
        let rows = self
            .hub
            .store
            .list_records(reader, ResourceKind::Variations, &query)
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| match from_stored(ResourceKind::Variations, &r.data) {
                Ok(Entity::Variation(v)) => Some(v),
                _ => None,
            })
            .collect())
    }

    /// Is this change Junction's own write coming back?
    async fn is_echo(
        &self,
        resource: ResourceKind,
        reader: &str,
        record: &junction_store::records::StoredRecord,
    ) -> Result<bool, StoreError> {
        let links = self
            .hub
            .store
            .links_to(resource.as_str(), reader, &record.external_id)
            .await?;
        Ok(links.iter().any(|l| {
            l.echo_modified_ms
                .is_some_and(|echo| record.modified_ms <= echo)
        }))
    }

    /// Prepare the writing side (once per run), with the automation's config overrides.
    async fn writer(&mut self, connection_id: &str, direction: Direction) -> Result<(), Stop> {
        if self.writers.contains_key(connection_id) {
            return Ok(());
        }
        let overrides = match direction {
            Direction::SourceToTarget => self.options.target_config.clone(),
            Direction::TargetToSource => self.options.source_config.clone(),
        };
        let connection = self.hub.store.connection(connection_id).await?;
        let (connector, options) = self
            .hub
            .prepare_with(&connection, &overrides)
            .map_err(|e| Stop::Failed(format!("writing side `{}`: {e}", connection.name)))?;
        self.writers.insert(
            connection_id.to_string(),
            Writer {
                connection_id: connection_id.to_string(),
                connector,
                options,
            },
        );
        Ok(())
    }

    /// Deliver this automation's due outbox rows, oldest first.
    async fn deliver_due(&mut self) -> Result<(), Stop> {
        loop {
            let due = self
                .hub
                .store
                .due_outbox(Some(&self.automation.id), now_ms(), 100)
                .await?;
            let now = now_ms();
            let due: Vec<_> = due
                .into_iter()
                .filter(|e| {
                    self.slowed
                        .get(&e.target_connection_id)
                        .is_none_or(|until| *until <= now)
                })
                .collect();
            if due.is_empty() {
                return Ok(());
            }
            // Consecutive rows for the same writing side go out as one batch call.
            let mut batch: Vec<OutboxEntry> = Vec::new();
            for entry in due {
                if self.stop.load(Ordering::Relaxed) {
                    return Err(Stop::Shutdown);
                }
                if self
                    .slowed
                    .get(&entry.target_connection_id)
                    .is_some_and(|until| *until > now_ms())
                {
                    continue;
                }
                let direction =
                    if entry.target_connection_id == self.automation.target_connection_id {
                        Direction::SourceToTarget
                    } else {
                        Direction::TargetToSource
                    };
                self.writer(&entry.target_connection_id, direction).await?;
                let same_target = batch
                    .first()
                    .is_none_or(|first| first.target_connection_id == entry.target_connection_id);
                if !same_target || batch.len() >= self.batch_size(&entry.target_connection_id) {
                    self.deliver(std::mem::take(&mut batch)).await?;
                }
                let lease_ms = self.settings.outbox_lease_secs * 1000;
                if self
                    .hub
                    .store
                    .claim_outbox(&entry.id, self.owner, lease_ms)
                    .await?
                {
                    batch.push(entry);
                }
            }
            self.deliver(batch).await?;
            self.renew().await?;
        }
    }

    /// How many writes one call to this writing side carries: up to `max_batch`, fewer
    /// when its request budget could not send them well within a call's time limit (a
    /// connector without batch endpoints sends one request or more per write).
    fn batch_size(&self, connection_id: &str) -> usize {
        let max = self.settings.max_batch.max(1);
        let Some(limit) = self
            .writers
            .get(connection_id)
            .and_then(|w| w.options.budget.as_ref())
            .and_then(|b| b.limit())
        else {
            return max;
        };
        let interval = limit.interval().as_secs_f64().max(0.001);
        // Two requests per write, within about 15 seconds of requests per call.
        let fits = (15.0 / interval / 2.0).floor() as usize;
        fits.clamp(1, max)
    }

    /// Deliver a batch of claimed rows to their (common) writing side and count.
    async fn deliver(&mut self, batch: Vec<OutboxEntry>) -> Result<(), Stop> {
        let Some(first) = batch.first() else {
            return Ok(());
        };
        let target = first.target_connection_id.clone();
        let Some(writer) = self.writers.get(&target) else {
            return Err(Stop::Failed("writing side not prepared".into()));
        };
        let settled = deliver_batch(self.hub, writer, &batch, &self.settings.outbox).await?;
        let mut counts = RunCounts::default();
        let mut slow_down = None;
        let mut outcomes = Vec::with_capacity(batch.len().min(RECORDS_PER_STEP));
        for (entry, settled) in batch.iter().zip(settled) {
            let (outcome, error) = match settled {
                Settled::Written => {
                    counts.written += 1;
                    ("written", None)
                }
                Settled::Unchanged => {
                    counts.skipped += 1;
                    ("unchanged", None)
                }
                Settled::Failed(why) => {
                    tracing::warn!(record = %entry.source_id, kind = %entry.write_kind, error = %why, "write failed; retried later");
                    counts.failed += 1;
                    ("failed", Some(why))
                }
                Settled::Parked(why) => {
                    tracing::warn!(record = %entry.source_id, kind = %entry.write_kind, error = %why, "write parked");
                    counts.parked += 1;
                    ("parked", Some(why))
                }
                Settled::RateLimited(wait_ms) => {
                    slow_down = Some(slow_down.map_or(wait_ms, |w: i64| w.max(wait_ms)));
                    ("rate-limited", None)
                }
            };
            if outcomes.len() < RECORDS_PER_STEP {
                outcomes.push(WriteOutcome {
                    resource: entry.resource.clone(),
                    source_connection_id: entry.source_connection_id.clone(),
                    source_id: entry.source_id.clone(),
                    kind: entry.write_kind.clone(),
                    outcome: outcome.to_string(),
                    error,
                });
            }
        }
        let step = WritesStep {
            target_connection_id: target.clone(),
            writes: outcomes,
            total: batch.len() as u64,
        };
        runs::record(&self.hub.store, &self.run_id, &Step::Writes(step)).await;
        self.add(counts).await?;
        if let Some(wait_ms) = slow_down {
            tracing::info!(target = %target, wait_ms, "writing side rate limited; its writes wait");
            if wait_ms <= self.settings.max_inline_wait_ms {
                tokio::time::sleep(std::time::Duration::from_millis(
                    u64::try_from(wait_ms).unwrap_or(0),
                ))
                .await;
            } else {
                self.slowed.insert(target, now_ms() + wait_ms);
            }
        }
        Ok(())
    }

    async fn add(&mut self, counts: RunCounts) -> Result<(), Stop> {
        self.counts.add(counts);
        self.hub
            .store
            .add_automation_run_counts(&self.run_id, counts)
            .await?;
        Ok(())
    }

    async fn renew(&self) -> Result<(), Stop> {
        let lease_ms = self.settings.lease_secs * 1000;
        if self
            .hub
            .store
            .renew_automation_lease(&self.automation.id, self.owner, lease_ms)
            .await?
        {
            Ok(())
        } else {
            Err(Stop::LeaseLost)
        }
    }
}
