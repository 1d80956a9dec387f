//! Reconciliation: find the records the external system deleted.
//!
//! Most systems do not say what they deleted, so the host looks: a complete scan lists every
//! record of the resource (no `updated-since`; variations per variable product), and the
//! records the copy holds that the scan did not see are the candidates. A candidate is
//! marked deleted only when all of these hold:
//! - the scan was complete: every page listed, no error, no shutdown — a partial, failed or
//!   interrupted scan deletes nothing;
//! - the copy has not changed it since the scan began (a record synced meanwhile may simply
//!   be newer than the scan);
//! - the connector's `get` for it answers `not-found` — a listing walked by offsets skips
//!   records when others disappear under it, so "not seen" alone is not proof. A `get` that
//!   finds it puts it back in the copy; any other error fails the reconciliation, and
//!   nothing is deleted.
//!
//! The scan asks for ids only (`list-request.ids-only`); a connector whose system can answer
//! so returns `page.ids`, and a listed id the copy holds as deleted is fetched with `get`
//! and restored. A connector that returns full records instead has them upserted, so a
//! record deleted earlier that reappears is restored and a change the incremental sync
//! missed is repaired.
//!
//! Only resources whose manifest declares `deletion-detection.reconciliation` (the default)
//! are reconciled; `reported` deletions arrive with the sync's pages instead.
//!
//! A reconciliation runs inside its resource's sync job (after a successful incremental
//! run, holding the job's lease), when due: `reconcile_every_secs` after the last one
//! (default daily), or at once when asked for (`reconcile now`). It is recorded as a run of
//! kind `reconcile` with pages, records seen and records deleted.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::autosync::{SyncSettings, variable_products};
use super::record_json::to_stored;
use crate::hub::Hub;
use crate::runs::{self, CallTrace, FailedCallStep, PageStep, Step};
use junction_contract::{ConnectorError, ListRequest, ResourceKind};
use junction_runtime::{CallError, CallOptions, LoadedConnector};
use junction_store::deletions::Gone;
use junction_store::records::Upserted;
use junction_store::runs::RECONCILE_RUN;
use junction_store::sync_state::{ReconcileDue, SyncState};
use junction_store::{StoreError, new_id, now_ms};

/// After a failed reconciliation, the longest wait before the next try.
const RETRY_FAILED_MS: i64 = 3_600_000;
/// Confirmations between two renewals of the job's lease.
const CONFIRMATIONS_PER_RENEWAL: usize = 50;

/// Is a reconciliation of this resource due now? `0` means asked for by hand.
pub fn is_due(state: &SyncState, now: i64) -> bool {
    state.reconcile_due_ms.is_some_and(|due| due <= now)
}

/// How a reconciliation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub run_id: String,
    /// `succeeded`, `failed` or `interrupted`.
    pub status: &'static str,
    pub error: Option<String>,
    pub pages: u64,
    /// Records the scan saw.
    pub seen: u64,
    /// Records marked deleted (variations deleted with their product included).
    pub deleted: u64,
}

/// Why a scan stopped early.
enum Stop {
    Shutdown,
    /// A variations listing answered `not-found`: its product is gone.
    ParentGone,
    Failed(String),
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

impl From<CallError> for Stop {
    fn from(e: CallError) -> Self {
        Stop::Failed(e.to_string())
    }
}

/// What a job needs to reconcile its resource: it holds the lease as `owner` for the sync
/// run `sync_run_id`.
pub struct Scope<'a> {
    pub hub: &'a Hub,
    pub settings: &'a SyncSettings,
    pub connector: Arc<LoadedConnector>,
    pub options: &'a CallOptions,
    pub connection_id: &'a str,
    pub resource: ResourceKind,
    pub owner: &'a str,
    pub sync_run_id: &'a str,
    pub stop: &'a AtomicBool,
    /// `manual` when asked for by hand, else `schedule`.
    pub trigger: &'a str,
    /// The due time the job read when it started; a "reconcile now" asked for since
    /// replaces it and is not overwritten by the next due time.
    pub due_read: Option<i64>,
}

impl Scope<'_> {
    /// Keep the job's lease alive while the scan or its confirmations take long.
    async fn renew_lease(&self) -> Result<bool, StoreError> {
        self.hub
            .store
            .renew_lease(
                self.connection_id,
                self.resource.as_str(),
                self.owner,
                self.settings.lease_secs * 1000,
            )
            .await
    }
}

/// Reconcile one resource, record the run and when the next one is due.
pub async fn reconcile(scope: Scope<'_>) -> Result<Reconciled, StoreError> {
    let hub = scope.hub;
    let run_id = new_id();
    hub.store
        .start_run_of_kind(
            &run_id,
            scope.connection_id,
            scope.resource,
            scope.trigger,
            RECONCILE_RUN,
        )
        .await?;
    let span = tracing::info_span!("reconcile", connection = %scope.connection_id, resource = scope.resource.as_str(), run = %run_id);
    let _entered = span.enter();
    tracing::info!(trigger = scope.trigger, "reconciliation started");
    let mut scan = Scan {
        scope: &scope,
        run_id: run_id.clone(),
        seen: HashSet::new(),
        pages: 0,
        changed: 0,
    };
    let outcome = scan.run().await;
    let (pages, seen, changed) = (scan.pages, scan.seen.len() as u64, scan.changed);
    let now = now_ms();
    let every_ms = scope.settings.reconcile_every_secs.saturating_mul(1000);
    let (status, error, deleted, next_due) = match outcome {
        Ok(deleted) => ("succeeded", None, deleted, next_due_after(now, every_ms)),
        Err(Stop::Shutdown) => (
            "interrupted",
            Some("stopped by shutdown; nothing was deleted, the next scan starts over".into()),
            0,
            Some(now),
        ),
        Err(Stop::ParentGone) => (
            "failed",
            Some("a listing's product disappeared; nothing was deleted".into()),
            0,
            Some(now + retry_ms(every_ms)),
        ),
        Err(Stop::Failed(m)) => (
            "failed",
            Some(format!("{m}; nothing was deleted")),
            0,
            Some(now + retry_ms(every_ms)),
        ),
        Err(Stop::Store(e)) => (
            "failed",
            Some(format!("store: {e}; nothing was deleted")),
            0,
            Some(now + retry_ms(every_ms)),
        ),
    };
    hub.store
        .finish_reconcile_run(&run_id, status, error.as_deref(), (pages, seen, deleted))
        .await?;
    hub.store
        .schedule_reconciliation(
            scope.connection_id,
            scope.resource,
            scope.sync_run_id,
            ReconcileDue {
                next_ms: next_due.unwrap_or(i64::MAX),
                read_ms: scope.due_read,
            },
            (status == "succeeded").then_some(now),
        )
        .await?;
    metrics::counter!("junction_reconcile_runs_total", "resource" => scope.resource.as_str(), "status" => status).increment(1);
    metrics::counter!("junction_records_deleted_total", "resource" => scope.resource.as_str())
        .increment(deleted);
    match &error {
        Some(e) => tracing::warn!(pages, seen, status, error = %e, "reconciliation ended"),
        None => tracing::info!(pages, seen, deleted, "reconciliation ended"),
    }
    if deleted > 0 || changed > 0 {
        hub.store
            .wake_automations_on_change(scope.connection_id)
            .await?;
    }
    Ok(Reconciled {
        run_id,
        status,
        error,
        pages,
        seen,
        deleted,
    })
}

/// When the next scheduled reconciliation is due after one ended at `now` (none: never,
/// scheduled reconciliation is off).
pub fn next_due_after(now: i64, every_ms: i64) -> Option<i64> {
    (every_ms > 0).then(|| now.saturating_add(every_ms))
}

/// How long after a failure the next try waits: the period, but at most an hour.
fn retry_ms(every_ms: i64) -> i64 {
    if every_ms > 0 {
        every_ms.min(RETRY_FAILED_MS)
    } else {
        RETRY_FAILED_MS
    }
}

/// What one ids-only page did.
struct IdsPage {
    seen: u64,
    /// Records deleted in the copy that the system listed again, fetched and restored.
    restored: u64,
}

struct Scan<'s, 'a> {
    scope: &'s Scope<'a>,
    /// The reconciliation's run, whose steps the scan records.
    run_id: String,
    seen: HashSet<(String, String)>,
    pages: u64,
    /// Records the scan created, changed or restored in the copy.
    changed: u64,
}

impl Scan<'_, '_> {
    /// Scan, then delete what is confirmed gone. Returns how many records were deleted.
    async fn run(&mut self) -> Result<u64, Stop> {
        let scope = self.scope;
        let store = &scope.hub.store;
        // Records the copy changes after this are kept, whatever the scan sees.
        let scan_clock_ms = store.change_clock(scope.connection_id).await?;
        let parents: Option<HashSet<String>> = if scope.resource == ResourceKind::Variations {
            let mut completed = HashSet::new();
            for product in variable_products(scope.hub, scope.connection_id).await? {
                match self.list_all(Some(&product)).await {
                    Ok(()) => {
                        completed.insert(product);
                    }
                    // The product went while we looked: its deletion takes its variations.
                    Err(Stop::ParentGone) => {}
                    Err(e) => return Err(e),
                }
            }
            Some(completed)
        } else {
            self.list_all(None).await?;
            None
        };
        let candidates: Vec<(String, String)> = store
            .unchanged_since(scope.connection_id, scope.resource, scan_clock_ms)
            .await?
            .into_iter()
            .filter(|key| !self.seen.contains(key))
            .filter(|(parent, _)| parents.as_ref().is_none_or(|p| p.contains(parent)))
            .collect();
        let gone = self.confirm_gone(candidates).await?;
        if gone.is_empty() {
            return Ok(0);
        }
        let done = store
            .tombstone_unchanged(Gone {
                connection_id: scope.connection_id,
                resource: scope.resource,
                keys: &gone,
                scan_clock_ms,
            })
            .await?;
        Ok(done.deleted + done.cascaded)
    }

    /// List one listing (the resource, or one product's variations) from its start to its
    /// end, upserting what it lists and remembering every id.
    async fn list_all(&mut self, parent: Option<&str>) -> Result<(), Stop> {
        let scope = self.scope;
        let mut cursor: Option<String> = None;
        loop {
            if scope.stop.load(Ordering::Relaxed) {
                return Err(Stop::Shutdown);
            }
            let request = ListRequest {
                resource: scope.resource,
                updated_since: None,
                cursor: cursor.clone(),
                page_size: scope.settings.page_size,
                parent_id: parent.map(str::to_string),
                ids_only: true,
            };
            let started = std::time::Instant::now();
            let result = scope.connector.list(scope.options, request).await;
            let trace = CallTrace::of(&result, started);
            let page = match result.value {
                Ok(page) => page,
                Err(CallError::Connector(ConnectorError::NotFound(_))) if parent.is_some() => {
                    return Err(Stop::ParentGone);
                }
                Err(e) => {
                    let failed = FailedCallStep {
                        error: e.to_string(),
                        call: trace,
                    };
                    runs::record(&scope.hub.store, &self.run_id, &Step::CallFailed(failed)).await;
                    return Err(Stop::from(e));
                }
            };
            if page.entities.is_empty() && !page.ids.is_empty() {
                let listed = self.take_ids(parent, page.ids).await?;
                self.pages += 1;
                let step = PageStep {
                    page: self.pages,
                    parent_id: parent.map(str::to_string),
                    records: listed.seen,
                    created: listed.restored,
                    updated: 0,
                    unchanged: listed.seen.saturating_sub(listed.restored),
                    deleted: 0,
                    call: trace,
                };
                runs::record(&scope.hub.store, &self.run_id, &Step::Page(step)).await;
                scope.renew_lease().await?;
                match self.advance(&mut cursor, page.next_cursor)? {
                    true => continue,
                    false => return Ok(()),
                }
            }
            let mut records = Vec::with_capacity(page.entities.len());
            for entity in &page.entities {
                if entity.kind() != scope.resource {
                    return Err(Stop::Failed(format!(
                        "the connector returned a {} record in a {} listing",
                        entity.kind().as_str(),
                        scope.resource.as_str()
                    )));
                }
                let record = to_stored(entity).map_err(Stop::Failed)?;
                self.seen
                    .insert((record.parent_id.clone(), record.external_id.clone()));
                records.push(record);
            }
            let upserted = scope
                .hub
                .store
                .upsert_records(scope.connection_id, scope.resource, &records)
                .await?;
            self.changed += upserted.changed;
            self.pages += 1;
            let listed = records.len() as u64;
            let step = PageStep {
                page: self.pages,
                parent_id: parent.map(str::to_string),
                records: listed,
                created: upserted.created,
                updated: upserted.changed.saturating_sub(upserted.created),
                unchanged: listed.saturating_sub(upserted.changed),
                deleted: 0,
                call: trace,
            };
            runs::record(&scope.hub.store, &self.run_id, &Step::Page(step)).await;
            scope.renew_lease().await?;
            if !self.advance(&mut cursor, page.next_cursor)? {
                return Ok(());
            }
        }
    }

    /// Move to the next page's cursor; false when the listing ended.
    fn advance(&self, cursor: &mut Option<String>, next: Option<String>) -> Result<bool, Stop> {
        match next {
            // A cursor that does not move would list the same page forever.
            Some(next) if cursor.as_deref() == Some(next.as_str()) => Err(Stop::Failed(format!(
                "the connector returned the same cursor twice (`{next}`): the scan cannot complete"
            ))),
            Some(next) => {
                *cursor = Some(next);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// An ids-only page: remember the ids; a record the copy holds as deleted is back in the
    /// system, so fetch it and restore it.
    async fn take_ids(&mut self, parent: Option<&str>, ids: Vec<String>) -> Result<IdsPage, Stop> {
        let scope = self.scope;
        let parent_key = parent.unwrap_or_default().to_string();
        let keys: Vec<(String, String)> =
            ids.into_iter().map(|id| (parent_key.clone(), id)).collect();
        let mut page = IdsPage {
            seen: keys.len() as u64,
            restored: 0,
        };
        let back = scope
            .hub
            .store
            .deleted_among(scope.connection_id, scope.resource, &keys)
            .await?;
        self.seen.extend(keys);
        for (parent, id) in back {
            let failing = format!("restoring `{id}`, listed again");
            // None: listed, then gone before we asked; it stays deleted.
            if let Some(upserted) = self.fetch_into_copy(&parent, &id, &failing).await? {
                page.restored += upserted.created;
                tracing::info!(record = %id, "deleted earlier, back in the system; restored");
            }
        }
        Ok(page)
    }

    /// `get` one record and, when the system still holds it, put it in the copy (counted in
    /// `changed`). None: the system answered `not-found`. Any other answer fails, its message
    /// after `failing`.
    async fn fetch_into_copy(
        &mut self,
        parent: &str,
        id: &str,
        failing: &str,
    ) -> Result<Option<Upserted>, Stop> {
        let scope = self.scope;
        let answer = scope
            .connector
            .get(
                scope.options,
                scope.resource,
                id.to_string(),
                (!parent.is_empty()).then(|| parent.to_string()),
            )
            .await
            .value;
        match answer {
            Err(CallError::Connector(ConnectorError::NotFound(_))) => Ok(None),
            Err(e) => Err(Stop::Failed(format!("{failing}: {e}"))),
            Ok(entity) => {
                let record = to_stored(&entity).map_err(Stop::Failed)?;
                let upserted = scope
                    .hub
                    .store
                    .upsert_records(scope.connection_id, scope.resource, &[record])
                    .await?;
                self.changed += upserted.changed;
                Ok(Some(upserted))
            }
        }
    }

    /// Ask the connector for each candidate: `not-found` confirms it gone; a record found
    /// goes back into the copy; any other answer fails the reconciliation.
    async fn confirm_gone(
        &mut self,
        candidates: Vec<(String, String)>,
    ) -> Result<Vec<(String, String)>, Stop> {
        let scope = self.scope;
        let mut gone = Vec::new();
        for (n, (parent, id)) in candidates.into_iter().enumerate() {
            if scope.stop.load(Ordering::Relaxed) {
                return Err(Stop::Shutdown);
            }
            // Many candidates take long: keep the job's lease alive as the pages do.
            if n > 0 && n % CONFIRMATIONS_PER_RENEWAL == 0 {
                scope.renew_lease().await?;
            }
            let failing = format!("confirming that `{id}` is gone");
            match self.fetch_into_copy(&parent, &id, &failing).await? {
                None => gone.push((parent, id)),
                Some(_) => {
                    tracing::info!(record = %id, "not in the scan but still in the system; kept");
                }
            }
        }
        Ok(gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_when_asked_or_when_the_period_passed() {
        let mut state = SyncState {
            connection_id: "c".into(),
            resource: "orders".into(),
            enabled: true,
            cadence_secs: 60,
            next_run_ms: 0,
            run_cursor: None,
            run_since: None,
            run_id: None,
            high_water: None,
            last_run_ms: None,
            last_status: None,
            last_error: None,
            failures: 0,
            record_count: 0,
            last_success_ms: None,
            reconcile_due_ms: None,
            last_reconciled_ms: None,
        };
        assert!(!is_due(&state, 1_000), "never scheduled");
        state.reconcile_due_ms = Some(0);
        assert!(is_due(&state, 1_000), "asked for by hand");
        state.reconcile_due_ms = Some(2_000);
        assert!(!is_due(&state, 1_000));
        assert!(is_due(&state, 2_000));
        assert_eq!(next_due_after(1_000, 0), None, "0 turns scheduling off");
        assert_eq!(next_due_after(1_000, 500), Some(1_500));
        assert_eq!(retry_ms(86_400_000), RETRY_FAILED_MS);
        assert_eq!(retry_ms(60_000), 60_000);
    }
}
