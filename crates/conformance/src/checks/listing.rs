//! The reading checks: paging to the end without duplicates or gaps, `get` and
//! `not-found`, updated-since after a change upstream, and a change between pages losing
//! nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use junction_runtime::CallError;
use junction_runtime::types::{ConnectorError, Entity, Page};

use crate::NotOffered;
use crate::ctx::{Ctx, describe, parse_time};
use crate::report::{CheckResult, Done, Failure, ensure, ensure_eq, failure};

impl Ctx {
    /// Every resource pages to the end: at least two pages, no duplicate, no gap. Returns
    /// the records read, per entry of `expected`.
    pub(crate) async fn paging(&self) -> Result<Vec<Vec<Entity>>, Failure> {
        let name = self.name.clone();
        let covered: BTreeSet<&str> = self
            .subject
            .expected
            .iter()
            .map(|e| e.resource.as_str())
            .collect();
        for resource in &self.subject.resources {
            ensure!(
                covered.contains(resource.as_str()),
                "[{name}] subject: `expected` has no entry for the readable resource {}",
                resource.as_str()
            );
        }
        let mut listed = Vec::new();
        for expected in &self.subject.expected {
            let resource = expected.resource.as_str();
            ensure!(
                expected.ids.len() > self.subject.page_size as usize,
                "[{name}] subject: {resource} has {} ids, not more than the page size {}: paging would not be tested",
                expected.ids.len(),
                self.subject.page_size
            );
            let (entities, pages) = self.list_all("paging", expected, None).await?;
            ensure!(
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
            ensure!(
                duplicates.is_empty(),
                "[{name}] paging: {resource} listed these ids more than once: {duplicates:?}"
            );
            let got: BTreeSet<String> = count.into_keys().collect();
            let missing: Vec<&String> = expected.ids.difference(&got).collect();
            let extra: Vec<&String> = got.difference(&expected.ids).collect();
            ensure!(
                missing.is_empty() && extra.is_empty(),
                "[{name}] paging: {resource} listing differs from the system: missing {missing:?}, unknown {extra:?}"
            );
            for entity in &entities {
                parse_time(&name, "paging", entity.modified_at())?;
            }
            listed.push(entities);
        }
        Ok(listed)
    }

    /// `get` returns the record asked for; a missing id is `not-found`.
    pub(crate) async fn get(&self) -> CheckResult {
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
                    result.map_err(|e| failure!("[{name}] get: {resource} {id} failed: {e}"))?;
                ensure_eq!(
                    (entity.kind().as_str(), entity.external_id()),
                    (resource, id.as_str()),
                    "[{name}] get: asked for {resource} {id}"
                );
            }
        }
        // A write-only connector has nothing to get.
        let Some(first) = self.subject.expected.first() else {
            return Ok(Done::Skipped("the connector reads nothing".into()));
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
        ensure!(
            matches!(
                result,
                Err(CallError::Connector(ConnectorError::NotFound(_)))
            ),
            "[{name}] get: missing {} `{missing}` must be not-found, got {}",
            first.resource.as_str(),
            describe(&result)
        );
        Ok(Done::Passed)
    }

    /// A record touched upstream is listed by an updated-since between the old data and
    /// the touch; untouched ones are not, when the clock separates them.
    /// `listed`: what paging read, per entry of `expected` (`None`: it failed; list afresh).
    pub(crate) async fn updated_since(&self, listed: Option<Vec<Vec<Entity>>>) -> CheckResult {
        let name = &self.name;
        let Some(touch) = &self.subject.touch else {
            return Ok(Done::Skipped(
                "the subject cannot change records upstream".into(),
            ));
        };
        let mut listed = listed.map(Vec::into_iter);
        let mut touched_any = false;
        for expected in &self.subject.expected {
            let earlier = listed.as_mut().and_then(Iterator::next);
            if expected.parent_id.is_some() {
                continue;
            }
            let resource = expected.resource.as_str();
            // After a first touch, list afresh: touching one resource may change another.
            let before = match earlier {
                Some(records) if !touched_any => records,
                _ => self.list_all("updated-since", expected, None).await?.0,
            };
            let mut newest_before = None;
            for record in &before {
                let at = parse_time(name, "updated-since", record.modified_at())?;
                newest_before = newest_before.max(Some(at));
            }
            let newest_before = newest_before
                .ok_or_else(|| failure!("[{name}] updated-since: no {resource} was listed"))?;
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
            let touched = match touch(expected.resource).await {
                Ok(id) => id,
                Err(e) if e.is::<NotOffered>() => {
                    self.note(format!("{resource}: {e}; not checked"));
                    continue;
                }
                Err(e) => {
                    return Err(failure!(
                        "[{name}] updated-since: touching a {resource} failed: {e:#}"
                    ));
                }
            };
            touched_any = true;
            let result = self
                .connector
                .get(&self.options, expected.resource, touched.clone(), None)
                .await
                .value;
            let entity = result.map_err(|e| {
                failure!("[{name}] updated-since: get of touched {resource} {touched} failed: {e}")
            })?;
            let touched_at = parse_time(name, "updated-since", entity.modified_at())?;
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
                .await?;
            let got: BTreeSet<String> = entities
                .iter()
                .map(|e| e.external_id().to_owned())
                .collect();
            ensure!(
                got.contains(&touched),
                "[{name}] updated-since: {resource} {touched} (modified {touched_at}) is missing from updated-since {since_text}: got {} records",
                got.len()
            );
            if separated {
                let old: Vec<&String> = got.iter().filter(|id| **id != touched).collect();
                ensure!(
                    old.is_empty(),
                    "[{name}] updated-since: {since_text} is after every {resource} but the touched {touched}, yet these came back too: {old:?}"
                );
            } else {
                self.note(format!(
                    "the touched {resource} {touched} is dated {touched_at}, not after the newest earlier record ({newest_before}); only its presence was checked"
                ));
            }
        }
        if touched_any {
            Ok(Done::Passed)
        } else {
            Ok(Done::Skipped(
                "no resource without a parent that the subject can change".into(),
            ))
        }
    }

    /// A record changed upstream while a listing walks its pages loses nothing: after page
    /// one a record is touched, and the walk still ends with every id the system holds (the
    /// touched one may come twice — it changed again — but none is missing).
    pub(crate) async fn changes_between_pages(&self) -> CheckResult {
        let name = &self.name;
        let Some(touch) = &self.subject.touch else {
            return Ok(Done::Skipped(
                "the subject cannot change records upstream".into(),
            ));
        };
        let mut checked_any = false;
        for expected in self
            .subject
            .expected
            .iter()
            .filter(|e| e.parent_id.is_none())
        {
            let resource = expected.resource.as_str();
            let max_pages = Self::max_pages(expected);
            let mut seen = BTreeSet::new();
            let mut cursor = None;
            let mut touched = None;
            let mut finished = false;
            let mut untouchable = false;
            for pages in 1..=max_pages {
                let request = self.request(expected, cursor.take(), None);
                let result = self.connector.list(&self.options, request).await.value;
                let page: Page = result.map_err(|e| {
                    failure!(
                        "[{name}] changes-between-pages: list {resource} (page {pages}) failed: {e}"
                    )
                })?;
                seen.extend(page.entities.iter().map(|e| e.external_id().to_owned()));
                if touched.is_none() {
                    // Records of one second may share a modification time: let the touch
                    // land in a later second than anything listed so far.
                    tokio::time::sleep(Duration::from_millis(1_100)).await;
                    match touch(expected.resource).await {
                        Ok(id) => touched = Some(id),
                        Err(e) if e.is::<NotOffered>() => {
                            self.note(format!("{resource}: {e}; not checked"));
                            untouchable = true;
                            break;
                        }
                        Err(e) => {
                            return Err(failure!(
                                "[{name}] changes-between-pages: touching a {resource} failed: {e:#}"
                            ));
                        }
                    }
                }
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => {
                        finished = true;
                        break;
                    }
                }
            }
            if untouchable {
                continue;
            }
            checked_any = true;
            ensure!(
                finished,
                "[{name}] changes-between-pages: {resource} still has a next cursor after {max_pages} pages"
            );
            let missing: Vec<&String> = expected.ids.difference(&seen).collect();
            ensure!(
                missing.is_empty(),
                "[{name}] changes-between-pages: {resource} {} changed during the walk and these were never listed: {missing:?}",
                touched.unwrap_or_default()
            );
        }
        if checked_any {
            Ok(Done::Passed)
        } else {
            Ok(Done::Skipped(
                "no resource without a parent that the subject can change".into(),
            ))
        }
    }
}
