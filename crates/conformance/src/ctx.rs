//! One subject under test, loaded and proxied: the runtime and its limits, the proxy in
//! front of the system, and the listing walks every check shares.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use junction_fault_proxy::{FaultProxy, ProxyFaultKind};
use junction_runtime::types::{Entity, ListRequest, Page};
use junction_runtime::{CallError, CallOptions, LoadedConnector, Runtime, SandboxLimits};

use crate::report::{Failure, ensure, ensure_eq, failure};
use crate::{Expected, Subject};

/// The first-byte timeout of the runtime the stall check runs in.
pub(crate) const STALL_FIRST_BYTE_MS: u64 = 1_500;

/// Limits for the checks: production-sized memory and CPU (connectors in any language must
/// pass), generous network timeouts (real systems on a busy machine can be slow), and
/// loopback allowed (the proxy runs locally).
fn check_limits() -> SandboxLimits {
    SandboxLimits {
        call_timeout_ms: 45_000,
        connect_timeout_ms: 5_000,
        first_byte_timeout_ms: 20_000,
        between_bytes_timeout_ms: 20_000,
        allow_private_networks: true,
        max_concurrent_instances: 8,
        ..SandboxLimits::default()
    }
}

/// The same limits with a short first-byte timeout, for the stall check. Only timeouts
/// differ, so the engine config (and the compiled artifact in the cache) is the same.
pub(crate) fn stall_limits() -> SandboxLimits {
    SandboxLimits {
        first_byte_timeout_ms: STALL_FIRST_BYTE_MS,
        between_bytes_timeout_ms: STALL_FIRST_BYTE_MS,
        ..check_limits()
    }
}

pub(crate) fn describe(result: &Result<impl std::fmt::Debug, CallError>) -> String {
    match result {
        Ok(v) => format!("Ok({v:?})").chars().take(400).collect(),
        Err(e) => format!("Err({e})"),
    }
}

/// A record's modified-at, which the contract wants as RFC 3339 in UTC with a `Z`.
pub(crate) fn parse_time(name: &str, check: &str, value: &str) -> Result<jiff::Timestamp, Failure> {
    ensure!(
        value.ends_with('Z'),
        "[{name}] {check}: modified-at `{value}` is not in UTC with a `Z` suffix"
    );
    value.parse().map_err(|e| {
        failure!("[{name}] {check}: modified-at `{value}` is not an RFC 3339 timestamp: {e}")
    })
}

/// One subject under test, loaded and proxied.
pub(crate) struct Ctx {
    pub(crate) name: String,
    pub(crate) subject: Subject,
    pub(crate) proxy: FaultProxy,
    pub(crate) connector: Arc<LoadedConnector>,
    pub(crate) options: CallOptions,
    pub(crate) cache_dir: Option<PathBuf>,
    notes: Mutex<Vec<String>>,
}

/// What a walk through a listing saw.
#[derive(Default)]
pub(crate) struct Walked {
    pub(crate) listed: BTreeSet<String>,
    pub(crate) deleted: BTreeSet<String>,
}

impl Ctx {
    /// Start the proxy in front of the system and load the component (which validates its
    /// manifest).
    pub(crate) async fn start(
        subject: Subject,
        cache_dir: Option<PathBuf>,
    ) -> Result<Self, Failure> {
        let name = subject.name();
        let proxy = junction_fault_proxy::start_proxy(&subject.upstream)
            .await
            .map_err(|e| failure!("[{name}] setup: cannot start the proxy: {e}"))?;
        let runtime = runtime(&name, check_limits(), cache_dir.clone())?;
        let connector = LoadedConnector::load_file(&runtime, &subject.component)
            .await
            .map_err(|e| failure!("[{name}] manifest: the component does not load: {e}"))?;
        let config = (subject.config)(&proxy.url());
        let options = connector.prepare(&config).map_err(|problems| {
            failure!("[{name}] manifest: the config schema refuses the working config {config}: {problems:?}")
        })?;
        Ok(Self {
            name,
            subject,
            proxy,
            connector,
            options,
            cache_dir,
            notes: Mutex::new(Vec::new()),
        })
    }

    /// Remember something a check noticed without failing.
    pub(crate) fn note(&self, note: String) {
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(note);
    }

    /// The notes left since the last call.
    pub(crate) fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A runtime with `limits` sharing the subject's compile cache.
    pub(crate) fn runtime(&self, limits: SandboxLimits) -> Result<Runtime, Failure> {
        runtime(&self.name, limits, self.cache_dir.clone())
    }

    pub(crate) fn request(
        &self,
        expected: &Expected,
        cursor: Option<String>,
        since: Option<String>,
    ) -> ListRequest {
        ListRequest {
            resource: expected.resource,
            updated_since: since,
            cursor,
            page_size: self.subject.page_size,
            parent_id: expected.parent_id.clone(),
            ids_only: false,
        }
    }

    /// A page may come back short or even empty, but not twice as often as there are
    /// records: past that, the cursor does not terminate.
    pub(crate) fn max_pages(expected: &Expected) -> usize {
        2 * expected.ids.len() + 10
    }

    /// Page to the end; returns the records and the number of pages. `check` names the
    /// check in messages.
    pub(crate) async fn list_all(
        &self,
        check: &str,
        expected: &Expected,
        since: Option<String>,
    ) -> Result<(Vec<Entity>, usize), Failure> {
        let name = &self.name;
        let resource = expected.resource.as_str();
        let max_pages = Self::max_pages(expected);
        let mut all = Vec::new();
        let mut cursor = None;
        let mut seen_cursors = BTreeSet::new();
        for pages in 1..=max_pages {
            let request = self.request(expected, cursor.take(), since.clone());
            let result = self.connector.list(&self.options, request).await.value;
            let page: Page = result.map_err(|e| {
                failure!("[{name}] {check}: list {resource} (page {pages}) failed: {e}")
            })?;
            ensure!(
                page.entities.len() <= self.subject.page_size as usize,
                "[{name}] {check}: {resource} page {pages} has {} records, more than the page size {}",
                page.entities.len(),
                self.subject.page_size
            );
            for entity in &page.entities {
                ensure_eq!(
                    entity.kind().as_str(),
                    resource,
                    "[{name}] {check}: listing {resource} returned {:?} {}",
                    entity.kind(),
                    entity.external_id()
                );
                if let (Entity::Variation(v), Some(parent)) = (entity, &expected.parent_id) {
                    ensure_eq!(
                        &v.product_id,
                        parent,
                        "[{name}] {check}: variation {} listed under product {parent} names another product",
                        v.external_id
                    );
                }
            }
            all.extend(page.entities);
            match page.next_cursor {
                Some(next) => {
                    ensure!(
                        seen_cursors.insert(next.clone()),
                        "[{name}] {check}: {resource} cursor `{next}` repeats: paging would loop"
                    );
                    cursor = Some(next);
                }
                None => return Ok((all, pages)),
            }
        }
        Err(failure!(
            "[{name}] {check}: {resource} still has a next cursor after {max_pages} pages"
        ))
    }

    /// Page a listing to its end, ids-only or not, collecting the ids it lists (from
    /// `page.ids` or the records) and those it reports deleted.
    pub(crate) async fn walk(
        &self,
        check: &str,
        expected: &Expected,
        since: Option<String>,
        ids_only: bool,
    ) -> Result<Walked, Failure> {
        let name = &self.name;
        let resource = expected.resource.as_str();
        let max_pages = Self::max_pages(expected);
        let mut walked = Walked::default();
        let mut cursor = None;
        let mut seen_cursors = BTreeSet::new();
        for pages in 1..=max_pages {
            let mut request = self.request(expected, cursor.take(), since.clone());
            request.ids_only = ids_only;
            let page = self
                .connector
                .list(&self.options, request)
                .await
                .value
                .map_err(|e| {
                    failure!("[{name}] {check}: list {resource} (page {pages}) failed: {e}")
                })?;
            ensure!(
                page.ids.is_empty() || ids_only,
                "[{name}] {check}: {resource} page {pages} answers ids to a request that asked for records"
            );
            ensure!(
                page.ids.is_empty() || page.entities.is_empty(),
                "[{name}] {check}: {resource} page {pages} carries both ids and records"
            );
            walked.listed.extend(page.ids);
            walked
                .listed
                .extend(page.entities.iter().map(|e| e.external_id().to_owned()));
            walked.deleted.extend(page.deleted);
            match page.next_cursor {
                Some(next) => {
                    ensure!(
                        seen_cursors.insert(next.clone()),
                        "[{name}] {check}: {resource} cursor `{next}` repeats: paging would loop"
                    );
                    cursor = Some(next);
                }
                None => return Ok(walked),
            }
        }
        Err(failure!(
            "[{name}] {check}: {resource} still has a next cursor after {max_pages} pages"
        ))
    }

    /// What the error checks call: the first page of the first expected resource, or
    /// `check` for a connector without readable resources.
    pub(crate) fn probe_name(&self) -> String {
        match self.subject.expected.first() {
            Some(first) => format!("list {}", first.resource.as_str()),
            None => "check".to_owned(),
        }
    }

    /// Make the probe call with `options`; the answer's content does not matter here.
    pub(crate) async fn probe(
        &self,
        connector: &LoadedConnector,
        options: &CallOptions,
    ) -> Result<(), CallError> {
        match self.subject.expected.first() {
            Some(first) => connector
                .list(options, self.request(first, None, None))
                .await
                .value
                .map(drop),
            None => connector.check(options).await.value.map(drop),
        }
    }

    /// Make the probe call under `fault`; fails when the call did not reach the proxy.
    pub(crate) async fn faulted_probe(
        &self,
        fault: ProxyFaultKind,
    ) -> Result<Result<(), CallError>, Failure> {
        let before = self.proxy.requests();
        self.proxy.set_fault(fault.clone());
        let result = self.probe(&self.connector, &self.options).await;
        self.proxy.clear_faults();
        ensure!(
            self.proxy.requests() > before,
            "[{}] errors: under {fault:?} the connector sent no request to the configured origin",
            self.name
        );
        Ok(result)
    }

    /// Stop the proxy (at once: the stall check may have left a request hanging in it),
    /// then release the subject's servers.
    pub(crate) async fn finish(self) {
        let Ctx { proxy, subject, .. } = self;
        drop(proxy);
        drop(subject);
    }
}

fn runtime(
    name: &str,
    limits: SandboxLimits,
    cache_dir: Option<PathBuf>,
) -> Result<Runtime, Failure> {
    Runtime::new(limits, cache_dir)
        .map_err(|e| failure!("[{name}] setup: cannot start the runtime: {e}"))
}
