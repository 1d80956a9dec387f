//! The checks of the conformance suite, run on one [`Subject`] through the real runtime
//! with the system behind a [`FaultProxy`]. `Ctx` owns the subject, the proxy and the
//! loaded connector.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use junction::runtime::types::{ConnectorError, DeletionDetection, Entity, ListRequest, Page};
use junction::runtime::{CallError, CallOptions, LoadedConnector, Runtime, SandboxLimits};
use junction_emulators::{FaultProxy, ProxyFaultKind};
use serde_json::Value;

use super::{Expected, Subject};
use crate::common;

/// How long the stall fault holds a request: far beyond the stall runtime's first-byte
/// timeout, so only a client that gives up on time sees the answer it deserves.
const STALL_MS: u64 = 10_000;
/// The first-byte timeout of the runtime the stall check runs in.
const STALL_FIRST_BYTE_MS: u64 = 1_500;
/// The `Retry-After` the rate-limit fault sends, in seconds.
const RETRY_AFTER_SECS: u64 = 3;

/// Config property names that hold secrets whatever the connector: they must be `writeOnly`.
const SECRET_NAME_PARTS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "api_key",
    "apikey",
    "access_token",
    "auth_token",
    "private_key",
];

/// Limits for the suite: production-sized memory and CPU (connectors in any language must
/// pass), generous network timeouts (real systems on a busy CI machine can be slow), and
/// loopback allowed (the systems run locally).
fn suite_limits() -> SandboxLimits {
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
fn stall_limits() -> SandboxLimits {
    SandboxLimits {
        first_byte_timeout_ms: STALL_FIRST_BYTE_MS,
        between_bytes_timeout_ms: STALL_FIRST_BYTE_MS,
        ..suite_limits()
    }
}

/// Compiled components shared by the suite's runtimes and across runs (Python and JS
/// components take seconds to compile).
fn cache_dir() -> std::path::PathBuf {
    common::components_root().join("conformance-cache")
}

fn runtime(limits: SandboxLimits) -> Runtime {
    Runtime::new(limits, Some(cache_dir())).expect("suite runtime")
}

/// One subject under test, loaded and proxied.
pub struct Ctx {
    name: String,
    subject: Subject,
    proxy: FaultProxy,
    connector: Arc<LoadedConnector>,
    options: CallOptions,
}

fn describe(result: &Result<impl std::fmt::Debug, CallError>) -> String {
    match result {
        Ok(v) => format!("Ok({v:?})").chars().take(400).collect(),
        Err(e) => format!("Err({e})"),
    }
}

/// A record's modified-at, which the contract wants as RFC 3339 in UTC with a `Z`.
fn parse_time(name: &str, check: &str, value: &str) -> jiff::Timestamp {
    assert!(
        value.ends_with('Z'),
        "[{name}] {check}: modified-at `{value}` is not in UTC with a `Z` suffix"
    );
    value.parse().unwrap_or_else(|e| {
        panic!("[{name}] {check}: modified-at `{value}` is not an RFC 3339 timestamp: {e}")
    })
}

impl Ctx {
    /// Start the proxy in front of the system and load the component (which validates its
    /// manifest).
    pub async fn start(subject: Subject) -> Self {
        let name = subject.component.clone();
        let proxy = junction_emulators::start_proxy(&subject.upstream)
            .await
            .unwrap_or_else(|e| panic!("[{name}] setup: cannot start the proxy: {e:#}"));
        let runtime = runtime(suite_limits());
        let connector = LoadedConnector::load_file(&runtime, &common::component(&name))
            .await
            .unwrap_or_else(|e| panic!("[{name}] manifest: the component does not load: {e}"));
        let config = (subject.config)(&proxy.url());
        let options = connector.prepare(&config).unwrap_or_else(|problems| {
            panic!("[{name}] manifest: the config schema refuses the working config {config}: {problems:?}")
        });
        Self {
            name,
            subject,
            proxy,
            connector,
            options,
        }
    }

    /// The manifest declares exactly the subject's resources and writes, and its schema
    /// accepts the config and hides secrets.
    pub fn manifest(&self) {
        let name = &self.name;
        let manifest = &self.connector.manifest;
        let declared: Vec<&str> = manifest.resources.iter().map(|r| r.as_str()).collect();
        let unique: BTreeSet<&str> = declared.iter().copied().collect();
        assert_eq!(
            declared.len(),
            unique.len(),
            "[{name}] manifest: resources declared twice: {declared:?}"
        );
        let wanted: BTreeSet<&str> = self.subject.resources.iter().map(|r| r.as_str()).collect();
        assert_eq!(unique, wanted, "[{name}] manifest: declared resources");

        let declared: Vec<String> = manifest.writes.iter().map(|w| format!("{w:?}")).collect();
        let unique: BTreeSet<String> = declared.iter().cloned().collect();
        assert_eq!(
            declared.len(),
            unique.len(),
            "[{name}] manifest: writes declared twice: {declared:?}"
        );
        let wanted: BTreeSet<String> = self
            .subject
            .writes
            .iter()
            .map(|w| format!("{w:?}"))
            .collect();
        assert_eq!(unique, wanted, "[{name}] manifest: declared writes");

        let schema: Value = serde_json::from_str(&manifest.config_schema)
            .unwrap_or_else(|e| panic!("[{name}] manifest: config-schema is not JSON: {e}"));
        assert_eq!(
            schema["type"], "object",
            "[{name}] manifest: config-schema must describe an object"
        );
        let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| {
            panic!("[{name}] manifest: config-schema is not a JSON Schema: {e}")
        });
        let config = (self.subject.config)(&self.proxy.url());
        let errors: Vec<String> = validator
            .iter_errors(&config)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "[{name}] manifest: config-schema refuses the working config {config}: {errors:?}"
        );
        self.secrets_are_write_only(&schema, &config);
    }

    /// Secret properties must be `writeOnly`, so the host seals them and never shows them
    /// again: every property named like a secret, and at least one of the properties the
    /// bad-credentials config changes (a user name may be public, its password is not).
    fn secrets_are_write_only(&self, schema: &Value, config: &Value) {
        let name = &self.name;
        let properties = schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let write_only = |key: &str| properties[key]["writeOnly"] == Value::Bool(true);
        for key in properties.keys() {
            let normalized = key.to_ascii_lowercase().replace('-', "_");
            if SECRET_NAME_PARTS
                .iter()
                .any(|part| normalized.contains(part))
            {
                assert!(
                    write_only(key),
                    "[{name}] manifest: config property `{key}` holds a secret but is not writeOnly"
                );
            }
        }
        let Some(bad) = &self.subject.bad_credentials else {
            return;
        };
        let bad = bad(&self.proxy.url());
        let changed: Vec<&String> = match (config.as_object(), bad.as_object()) {
            (Some(good), Some(bad)) => good
                .iter()
                .filter(|(key, value)| bad.get(*key) != Some(value))
                .map(|(key, _)| key)
                .filter(|key| properties.contains_key(*key))
                .collect(),
            _ => Vec::new(),
        };
        assert!(
            changed.is_empty() || changed.iter().any(|key| write_only(key)),
            "[{name}] manifest: the credentials ({changed:?}) include no writeOnly property"
        );
    }

    fn request(
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

    /// Page to the end; returns the records and the number of pages. `check` names the
    /// check in messages.
    async fn list_all(
        &self,
        check: &str,
        expected: &Expected,
        since: Option<String>,
    ) -> (Vec<Entity>, usize) {
        let name = &self.name;
        let resource = expected.resource.as_str();
        // A page may come back short or even empty, but not twice as often as there are
        // records: past that, the cursor does not terminate.
        let max_pages = 2 * expected.ids.len() + 10;
        let mut all = Vec::new();
        let mut cursor = None;
        let mut seen_cursors = BTreeSet::new();
        for pages in 1.. {
            assert!(
                pages <= max_pages,
                "[{name}] {check}: {resource} still has a next cursor after {max_pages} pages"
            );
            let request = self.request(expected, cursor.take(), since.clone());
            let result = self.connector.list(&self.options, request).await.value;
            let page: Page = result.unwrap_or_else(|e| {
                panic!("[{name}] {check}: list {resource} (page {pages}) failed: {e}")
            });
            assert!(
                page.entities.len() <= self.subject.page_size as usize,
                "[{name}] {check}: {resource} page {pages} has {} records, more than the page size {}",
                page.entities.len(),
                self.subject.page_size
            );
            for entity in &page.entities {
                assert_eq!(
                    entity.kind().as_str(),
                    resource,
                    "[{name}] {check}: listing {resource} returned {:?} {}",
                    entity.kind(),
                    entity.external_id()
                );
                if let (Entity::Variation(v), Some(parent)) = (entity, &expected.parent_id) {
                    assert_eq!(
                        &v.product_id, parent,
                        "[{name}] {check}: variation {} listed under product {parent} names another product",
                        v.external_id
                    );
                }
            }
            all.extend(page.entities);
            match page.next_cursor {
                Some(next) => {
                    assert!(
                        seen_cursors.insert(next.clone()),
                        "[{name}] {check}: {resource} cursor `{next}` repeats: paging would loop"
                    );
                    cursor = Some(next);
                }
                None => return (all, pages),
            }
        }
        unreachable!()
    }

    /// Every resource pages to the end: at least two pages, no duplicate, no gap. Returns
    /// the records read, per entry of `expected`.
    pub async fn paging(&self) -> Vec<Vec<Entity>> {
        let name = self.name.clone();
        let covered: BTreeSet<&str> = self
            .subject
            .expected
            .iter()
            .map(|e| e.resource.as_str())
            .collect();
        for resource in &self.subject.resources {
            assert!(
                covered.contains(resource.as_str()),
                "[{name}] subject: `expected` has no entry for the readable resource {}",
                resource.as_str()
            );
        }
        let mut listed = Vec::new();
        for expected in &self.subject.expected {
            let resource = expected.resource.as_str();
            assert!(
                expected.ids.len() > self.subject.page_size as usize,
                "[{name}] subject: {resource} has {} ids, not more than the page size {}: paging would not be tested",
                expected.ids.len(),
                self.subject.page_size
            );
            let (entities, pages) = self.list_all("paging", expected, None).await;
            assert!(
                pages >= 2,
                "[{name}] paging: {resource} ({} records, page size {}) came in {pages} page(s)",
                entities.len(),
                self.subject.page_size
            );
            let mut count: BTreeMap<String, usize> = BTreeMap::new();
            for entity in &entities {
                *count.entry(entity.external_id().to_owned()).or_default() += 1;
            }
            let duplicates: Vec<&String> = count
                .iter()
                .filter(|(_, n)| **n > 1)
                .map(|(id, _)| id)
                .collect();
            assert!(
                duplicates.is_empty(),
                "[{name}] paging: {resource} listed these ids more than once: {duplicates:?}"
            );
            let got: BTreeSet<String> = count.into_keys().collect();
            let missing: Vec<&String> = expected.ids.difference(&got).collect();
            let extra: Vec<&String> = got.difference(&expected.ids).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "[{name}] paging: {resource} listing differs from the system: missing {missing:?}, unknown {extra:?}"
            );
            for entity in &entities {
                parse_time(&name, "paging", entity.modified_at());
            }
            listed.push(entities);
        }
        listed
    }

    /// `get` returns the record asked for; a missing id is `not-found`.
    pub async fn get(&self) {
        let name = &self.name;
        for expected in &self.subject.expected {
            let resource = expected.resource.as_str();
            let ids = [expected.ids.first(), expected.ids.last()];
            for id in ids.into_iter().flatten() {
                let result = self
                    .connector
                    .get(
                        &self.options,
                        expected.resource,
                        id.clone(),
                        expected.parent_id.clone(),
                    )
                    .await
                    .value;
                let entity =
                    result.unwrap_or_else(|e| panic!("[{name}] get: {resource} {id} failed: {e}"));
                assert_eq!(
                    (entity.kind().as_str(), entity.external_id()),
                    (resource, id.as_str()),
                    "[{name}] get: asked for {resource} {id}"
                );
            }
        }
        // A write-only connector has nothing to get.
        let Some(first) = self.subject.expected.first() else {
            return;
        };
        let missing = self.subject.missing_id.clone();
        let result = self
            .connector
            .get(
                &self.options,
                first.resource,
                missing.clone(),
                first.parent_id.clone(),
            )
            .await
            .value;
        assert!(
            matches!(
                result,
                Err(CallError::Connector(ConnectorError::NotFound(_)))
            ),
            "[{name}] get: missing {} `{missing}` must be not-found, got {}",
            first.resource.as_str(),
            describe(&result)
        );
    }

    /// What the error checks call: the first page of the first expected resource, or
    /// `check` for a connector without readable resources.
    fn probe_name(&self) -> String {
        match self.subject.expected.first() {
            Some(first) => format!("list {}", first.resource.as_str()),
            None => "check".to_owned(),
        }
    }

    /// Make the probe call with `options`; the answer's content does not matter here.
    async fn probe(
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

    /// Make the probe call under `fault`; asserts the call reached the proxy.
    async fn faulted_probe(&self, fault: ProxyFaultKind) -> Result<(), CallError> {
        let before = self.proxy.requests();
        self.proxy.set_fault(fault.clone());
        let result = self.probe(&self.connector, &self.options).await;
        self.proxy.clear_faults();
        assert!(
            self.proxy.requests() > before,
            "[{}] errors: under {fault:?} the connector sent no request to the configured origin",
            self.name
        );
        result
    }

    /// Refused credentials and injected faults map to the right contract errors.
    pub async fn errors(&self) {
        let name = &self.name;
        let probe = self.probe_name();
        let result = self.connector.check(&self.options).await.value;
        assert!(
            result.is_ok(),
            "[{name}] errors: check with the working config must succeed, got {}",
            describe(&result)
        );
        if let Some(bad) = &self.subject.bad_credentials {
            let config = bad(&self.proxy.url());
            let options = self.connector.prepare(&config).unwrap_or_else(|problems| {
                panic!("[{name}] errors: the schema refuses the bad-credentials config {config}: {problems:?}")
            });
            let result = self.connector.check(&options).await.value;
            assert!(
                matches!(
                    result,
                    Err(CallError::Connector(ConnectorError::Unauthorized(_)))
                ),
                "[{name}] errors: check with bad credentials must be unauthorized, got {}",
                describe(&result)
            );
            let result = self.probe(&self.connector, &options).await;
            assert!(
                matches!(
                    result,
                    Err(CallError::Connector(ConnectorError::Unauthorized(_)))
                ),
                "[{name}] errors: {probe} with bad credentials must be unauthorized, got {}",
                describe(&result)
            );
        }

        let result = self.faulted_probe(ProxyFaultKind::Unauthorized).await;
        assert!(
            matches!(
                result,
                Err(CallError::Connector(ConnectorError::Unauthorized(_)))
            ),
            "[{name}] errors: {probe} answered 401 must be unauthorized, got {}",
            describe(&result)
        );

        let result = self
            .faulted_probe(ProxyFaultKind::RateLimited {
                retry_after_secs: RETRY_AFTER_SECS,
            })
            .await;
        let wanted = RETRY_AFTER_SECS * 1000;
        match &result {
            Err(CallError::Connector(ConnectorError::RateLimited(info))) => assert!(
                info.retry_after_ms.abs_diff(wanted) <= 500,
                "[{name}] errors: 429 with Retry-After: {RETRY_AFTER_SECS} must ask to wait about {wanted} ms, got {} ms",
                info.retry_after_ms
            ),
            other => panic!(
                "[{name}] errors: {probe} answered 429 must be rate-limited, got {}",
                describe(other)
            ),
        }

        let result = self.faulted_probe(ProxyFaultKind::ServerError).await;
        assert!(
            matches!(&result, Err(CallError::Connector(ConnectorError::Upstream(u))) if u.status == 500),
            "[{name}] errors: {probe} answered 500 must be upstream with status 500, got {}",
            describe(&result)
        );

        self.stall().await;

        let result = self.probe(&self.connector, &self.options).await;
        assert!(
            result.is_ok(),
            "[{name}] errors: with the faults cleared, {probe} must work again, got {}",
            describe(&result)
        );
    }

    /// A stalled answer is `transport` (the runtime's first-byte timeout), not a call
    /// timeout or a crash. Runs in a second runtime whose only difference is that timeout.
    async fn stall(&self) {
        let name = &self.name;
        let probe = self.probe_name();
        let runtime = runtime(stall_limits());
        let connector = LoadedConnector::load_file(&runtime, &self.connector.source)
            .await
            .unwrap_or_else(|e| panic!("[{name}] errors: loading into the stall runtime: {e}"));
        self.proxy.set_fault(ProxyFaultKind::Stall { ms: STALL_MS });
        let started = std::time::Instant::now();
        let result = self.probe(&connector, &self.options).await;
        self.proxy.clear_faults();
        assert!(
            matches!(
                result,
                Err(CallError::Connector(ConnectorError::Transport(_)))
            ),
            "[{name}] errors: {probe} with a stalled answer must be transport, got {}",
            describe(&result)
        );
        assert!(
            started.elapsed() < Duration::from_millis(STALL_MS),
            "[{name}] errors: the stalled call took {:?}: the connector waited for the stall to end",
            started.elapsed()
        );
    }

    /// A record touched upstream is listed by an updated-since between the old data and
    /// the touch; untouched ones are not, when the clock separates them.
    /// `listed`: what paging read, per entry of `expected`.
    pub async fn updated_since(&self, listed: Vec<Vec<Entity>>) {
        let name = &self.name;
        let has_top_level = self.subject.expected.iter().any(|e| e.parent_id.is_none());
        let Some(touch) = &self.subject.touch else {
            if has_top_level {
                eprintln!(
                    "[{name}] updated-since: the subject cannot change records; check skipped"
                );
            }
            return;
        };
        let mut touched_any = false;
        for (expected, listed) in self.subject.expected.iter().zip(listed) {
            if expected.parent_id.is_some() {
                continue;
            }
            let resource = expected.resource.as_str();
            // After a first touch, list afresh: touching one resource may change another.
            let before = if touched_any {
                self.list_all("updated-since", expected, None).await.0
            } else {
                listed
            };
            touched_any = true;
            let newest_before = before
                .iter()
                .map(|e| parse_time(name, "updated-since", e.modified_at()))
                .max()
                .unwrap_or_else(|| panic!("[{name}] updated-since: no {resource} was listed"));
            // Timestamps may have whole seconds only: make sure the touch happens in a
            // later second than any record the system already had.
            let now = jiff::Timestamp::now();
            let gap = now.duration_since(newest_before);
            if gap < jiff::SignedDuration::from_millis(1_100) {
                let wait = jiff::SignedDuration::from_millis(1_100) - gap;
                tokio::time::sleep(
                    Duration::try_from(wait).unwrap_or(Duration::from_millis(1_100)),
                )
                .await;
            }
            let touched = touch(expected.resource).await.unwrap_or_else(|e| {
                panic!("[{name}] updated-since: touching a {resource} failed: {e:#}")
            });
            let result = self
                .connector
                .get(&self.options, expected.resource, touched.clone(), None)
                .await
                .value;
            let entity = result.unwrap_or_else(|e| {
                panic!("[{name}] updated-since: get of touched {resource} {touched} failed: {e}")
            });
            let touched_at = parse_time(name, "updated-since", entity.modified_at());
            // Strictly after every record listed before the touch, rounded up to a whole
            // second so a system with second resolution compares it the same way.
            let after_old = (newest_before + jiff::SignedDuration::from_secs(1))
                .round(jiff::Unit::Second)
                .unwrap_or(newest_before);
            let separated = touched_at >= after_old;
            let since = if separated { after_old } else { touched_at };
            let since_text = since.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
            let (entities, _) = self
                .list_all("updated-since", expected, Some(since_text.clone()))
                .await;
            let got: BTreeSet<String> = entities
                .iter()
                .map(|e| e.external_id().to_owned())
                .collect();
            assert!(
                got.contains(&touched),
                "[{name}] updated-since: {resource} {touched} (modified {touched_at}) is missing from updated-since {since_text}: got {} records",
                got.len()
            );
            if separated {
                let old: Vec<&String> = got.iter().filter(|id| **id != touched).collect();
                assert!(
                    old.is_empty(),
                    "[{name}] updated-since: {since_text} is after every {resource} but the touched {touched}, yet these came back too: {old:?}"
                );
            } else {
                eprintln!(
                    "[{name}] updated-since: the touched {resource} {touched} is dated {touched_at}, not after the newest earlier record ({newest_before}); only its presence was checked"
                );
            }
        }
    }

    /// A record changed upstream while a listing walks its pages loses nothing: after page
    /// one a record is touched, and the walk still ends with every id the system holds (the
    /// touched one may come twice — it changed again — but none is missing).
    pub async fn changes_between_pages(&self) {
        let name = &self.name;
        let Some(touch) = &self.subject.touch else {
            eprintln!(
                "[{name}] changes-between-pages: the subject cannot change records; check skipped"
            );
            return;
        };
        for expected in self
            .subject
            .expected
            .iter()
            .filter(|e| e.parent_id.is_none())
        {
            let resource = expected.resource.as_str();
            let max_pages = 2 * expected.ids.len() + 10;
            let mut seen = BTreeSet::new();
            let mut cursor = None;
            let mut touched = None;
            for pages in 1.. {
                assert!(
                    pages <= max_pages,
                    "[{name}] changes-between-pages: {resource} still has a next cursor after {max_pages} pages"
                );
                let request = self.request(expected, cursor.take(), None);
                let result = self.connector.list(&self.options, request).await.value;
                let page: Page = result.unwrap_or_else(|e| {
                    panic!(
                        "[{name}] changes-between-pages: list {resource} (page {pages}) failed: {e}"
                    )
                });
                seen.extend(page.entities.iter().map(|e| e.external_id().to_owned()));
                if touched.is_none() {
                    // Records of one second may share a modification time: let the touch
                    // land in a later second than anything listed so far.
                    tokio::time::sleep(Duration::from_millis(1_100)).await;
                    touched = Some(touch(expected.resource).await.unwrap_or_else(|e| {
                        panic!(
                            "[{name}] changes-between-pages: touching a {resource} failed: {e:#}"
                        )
                    }));
                }
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            let missing: Vec<&String> = expected.ids.difference(&seen).collect();
            assert!(
                missing.is_empty(),
                "[{name}] changes-between-pages: {resource} {} changed during the walk and these were never listed: {missing:?}",
                touched.unwrap_or_default()
            );
        }
    }

    /// Every declared write has a case; each succeeds and its effect is in the system.
    pub async fn writes(&self) {
        let name = &self.name;
        let cases: BTreeSet<String> = self
            .subject
            .write_cases
            .iter()
            .map(|c| format!("{:?}", c.op.kind()))
            .collect();
        let declared: BTreeSet<String> = self
            .connector
            .manifest
            .writes
            .iter()
            .map(|w| format!("{w:?}"))
            .collect();
        assert_eq!(
            cases, declared,
            "[{name}] writes: the subject must have one case per declared write"
        );
        for case in &self.subject.write_cases {
            let kind = case.op.kind();
            let result = self
                .connector
                .write(&self.options, case.op.clone())
                .await
                .value;
            let outcome =
                result.unwrap_or_else(|e| panic!("[{name}] writes: {kind:?} failed: {e}"));
            assert!(
                !outcome.external_id.is_empty(),
                "[{name}] writes: {kind:?} returned an empty external-id"
            );
            (case.verify)().await.unwrap_or_else(|e| {
                panic!("[{name}] writes: {kind:?} is not in the system: {e:#}")
            });
        }
    }

    /// Every declared write also works through `write-batch`: the subject's batch cases in
    /// one call, one successful outcome per op in order, each effect in the system.
    pub async fn batch_writes(&self) {
        let name = &self.name;
        let cases = &self.subject.batch_cases;
        let declared: BTreeSet<String> = self
            .connector
            .manifest
            .writes
            .iter()
            .map(|w| format!("{w:?}"))
            .collect();
        if declared.is_empty() {
            assert!(
                cases.is_empty(),
                "[{name}] batch writes: batch cases for a connector that declares no writes"
            );
            return;
        }
        let covered: BTreeSet<String> =
            cases.iter().map(|c| format!("{:?}", c.op.kind())).collect();
        assert_eq!(
            covered, declared,
            "[{name}] batch writes: the batch cases must cover every declared write"
        );
        assert!(
            cases.len() >= 2,
            "[{name}] batch writes: a batch needs at least two ops, the subject has {}",
            cases.len()
        );
        let ops: Vec<_> = cases.iter().map(|c| c.op.clone()).collect();
        let result = self.connector.write_batch(&self.options, ops).await.value;
        let outcomes =
            result.unwrap_or_else(|e| panic!("[{name}] batch writes: the batch failed: {e}"));
        assert_eq!(
            outcomes.len(),
            cases.len(),
            "[{name}] batch writes: {} outcomes for {} ops",
            outcomes.len(),
            cases.len()
        );
        for (at, (case, outcome)) in cases.iter().zip(&outcomes).enumerate() {
            let kind = case.op.kind();
            let outcome = outcome.as_ref().unwrap_or_else(|e| {
                panic!(
                    "[{name}] batch writes: op {at} ({kind:?}) failed: {}",
                    e.describe()
                )
            });
            assert!(
                !outcome.external_id.is_empty(),
                "[{name}] batch writes: op {at} ({kind:?}) returned an empty external-id"
            );
            (case.verify)().await.unwrap_or_else(|e| {
                panic!("[{name}] batch writes: op {at} ({kind:?}) is not in the system: {e:#}")
            });
        }
    }

    /// Deletions, as the manifest declares them for the resource the subject deletes (which
    /// must not be declared never deleted). A record deleted upstream leaves a full listing and
    /// an ids-only scan (which must list exactly what the full listing lists, before and
    /// after), and `get` answers `not-found` — how the host's reconciliation tells a deletion
    /// from a record its scan missed. Declared `reported`: an incremental listing from before
    /// the deletion reports the record in `page.deleted`.
    pub async fn deletion(&self) {
        let name = &self.name;
        let Some(deletion) = &self.subject.delete else {
            eprintln!("[{name}] deletion: skipped (the subject cannot delete upstream)");
            return;
        };
        let delete = &deletion.delete;
        let expected = self
            .subject
            .expected
            .iter()
            .find(|e| e.resource == deletion.resource)
            .unwrap_or_else(|| {
                panic!(
                    "[{name}] deletion: the subject deletes {} but expects none",
                    deletion.resource.as_str()
                )
            });
        let resource = expected.resource.as_str();
        let detection = self
            .connector
            .manifest
            .deletion_detection(expected.resource);
        assert!(
            detection != DeletionDetection::empty(),
            "[{name}] deletion: the manifest declares {resource} never deleted, but the system deletes them"
        );
        let made = match &deletion.victim {
            Some(create) => Some(create().await.unwrap_or_else(|e| {
                panic!("[{name}] deletion: creating a {resource} record to delete failed: {e:#}")
            })),
            None => None,
        };
        let (before, _) = self.list_all("deletion", expected, None).await;
        let listed = |records: &[Entity]| -> BTreeSet<String> {
            records.iter().map(|e| e.external_id().to_owned()).collect()
        };
        assert_eq!(
            self.walk("deletion (ids-only scan)", expected, None, true)
                .await
                .listed,
            listed(&before),
            "[{name}] deletion: an ids-only scan of {resource} must list what the full listing lists"
        );
        let Some(victim) = made.or_else(|| before.last().map(|e| e.external_id().to_owned()))
        else {
            panic!("[{name}] deletion: {resource} lists nothing");
        };
        assert!(
            before.iter().any(|e| e.external_id() == victim),
            "[{name}] deletion: {resource} {victim} is not listed before its deletion"
        );
        // The newest change before the deletion, on the system's own clock.
        let since = before
            .iter()
            .map(Entity::modified_at)
            .max()
            .map(str::to_owned);
        delete(expected.resource, victim.clone())
            .await
            .unwrap_or_else(|e| {
                panic!("[{name}] deletion: deleting {resource} {victim} failed: {e:#}")
            });
        let (after, _) = self.list_all("deletion", expected, None).await;
        let ids = listed(&after);
        assert!(
            !ids.contains(victim.as_str()),
            "[{name}] deletion: {resource} {victim} was deleted upstream but is still listed"
        );
        assert_eq!(
            ids.len(),
            before.len() - 1,
            "[{name}] deletion: deleting {resource} {victim} changed what else is listed"
        );
        assert_eq!(
            self.walk("deletion (ids-only scan)", expected, None, true)
                .await
                .listed,
            ids,
            "[{name}] deletion: after deleting {resource} {victim}, an ids-only scan must list what the full listing lists"
        );
        if detection.contains(DeletionDetection::REPORTED) {
            let walked = self
                .walk("deletion (reported)", expected, since, false)
                .await;
            assert!(
                walked.deleted.contains(&victim),
                "[{name}] deletion: {resource} is declared `reported`, but an incremental listing \
                 since before the deletion did not report {victim} (reported: {:?})",
                walked.deleted
            );
            assert!(
                !walked.listed.contains(&victim),
                "[{name}] deletion: the deleted {resource} {victim} is reported and also listed as live"
            );
        }
        let result = self
            .connector
            .get(
                &self.options,
                expected.resource,
                victim.clone(),
                expected.parent_id.clone(),
            )
            .await
            .value;
        assert!(
            matches!(
                result,
                Err(CallError::Connector(ConnectorError::NotFound(_)))
            ),
            "[{name}] deletion: get of the deleted {resource} {victim} must be not-found, got {}",
            describe(&result)
        );
    }

    /// Page a listing to its end, ids-only or not, collecting the ids it lists (from
    /// `page.ids` or the records) and those it reports deleted.
    async fn walk(
        &self,
        check: &str,
        expected: &Expected,
        since: Option<String>,
        ids_only: bool,
    ) -> Walked {
        let name = &self.name;
        let resource = expected.resource.as_str();
        let max_pages = 2 * expected.ids.len() + 10;
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
                .unwrap_or_else(|e| {
                    panic!("[{name}] {check}: list {resource} (page {pages}) failed: {e}")
                });
            assert!(
                page.ids.is_empty() || ids_only,
                "[{name}] {check}: {resource} page {pages} answers ids to a request that asked for records"
            );
            assert!(
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
                    assert!(
                        seen_cursors.insert(next.clone()),
                        "[{name}] {check}: {resource} cursor `{next}` repeats: paging would loop"
                    );
                    cursor = Some(next);
                }
                None => return walked,
            }
        }
        panic!("[{name}] {check}: {resource} still has a next cursor after {max_pages} pages")
    }

    /// Stop the proxy (at once: the stall check may have left a request hanging in it),
    /// then release the subject's servers.
    pub async fn finish(self) {
        let Ctx { proxy, subject, .. } = self;
        drop(proxy);
        drop(subject);
    }
}

/// What a walk through a listing saw.
#[derive(Default)]
struct Walked {
    listed: BTreeSet<String>,
    deleted: BTreeSet<String>,
}
