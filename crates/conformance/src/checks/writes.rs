//! The write checks: every declared write has a case, succeeds and its effect is read
//! back; the same writes also work through `write-batch`, one outcome per op in order.

use std::collections::BTreeSet;

use crate::ctx::Ctx;
use crate::report::{CheckResult, Done, ensure, ensure_eq, failure};

impl Ctx {
    fn declared_writes(&self) -> BTreeSet<String> {
        self.connector
            .manifest
            .writes
            .iter()
            .map(|w| format!("{w:?}"))
            .collect()
    }

    /// Every declared write has a case; each succeeds and its effect is in the system.
    pub(crate) async fn writes(&self) -> CheckResult {
        let name = &self.name;
        let cases: BTreeSet<String> = self
            .subject
            .write_cases
            .iter()
            .map(|c| format!("{:?}", c.op.kind()))
            .collect();
        let declared = self.declared_writes();
        if self.subject.writes_required {
            ensure_eq!(
                cases,
                declared,
                "[{name}] writes: the subject must have one case per declared write"
            );
        } else {
            let unknown: Vec<&String> = cases.difference(&declared).collect();
            ensure!(
                unknown.is_empty(),
                "[{name}] writes: the subject writes {unknown:?}, which the manifest does not declare"
            );
            let untested: Vec<&String> = declared.difference(&cases).collect();
            if !untested.is_empty() {
                self.note(format!(
                    "declared but given no case, so not tested: {untested:?}"
                ));
            }
        }
        if cases.is_empty() {
            return Ok(Done::Skipped(if declared.is_empty() {
                "the connector declares no writes".into()
            } else {
                "the subject gives no writes to try".into()
            }));
        }
        for case in &self.subject.write_cases {
            let kind = case.op.kind();
            let result = self
                .connector
                .write(&self.options, case.op.clone())
                .await
                .value;
            let outcome = result.map_err(|e| failure!("[{name}] writes: {kind:?} failed: {e}"))?;
            ensure!(
                !outcome.external_id.is_empty(),
                "[{name}] writes: {kind:?} returned an empty external-id"
            );
            (case.verify)()
                .await
                .map_err(|e| failure!("[{name}] writes: {kind:?} is not in the system: {e:#}"))?;
        }
        Ok(Done::Passed)
    }

    /// Every declared write also works through `write-batch`: the subject's batch cases in
    /// one call, one successful outcome per op in order, each effect in the system.
    pub(crate) async fn batch_writes(&self) -> CheckResult {
        let name = &self.name;
        let cases = &self.subject.batch_cases;
        let declared = self.declared_writes();
        if declared.is_empty() {
            ensure!(
                cases.is_empty(),
                "[{name}] batch writes: batch cases for a connector that declares no writes"
            );
            return Ok(Done::Skipped("the connector declares no writes".into()));
        }
        if cases.is_empty() && !self.subject.writes_required {
            return Ok(Done::Skipped("the subject gives no batch to try".into()));
        }
        let covered: BTreeSet<String> =
            cases.iter().map(|c| format!("{:?}", c.op.kind())).collect();
        if self.subject.writes_required {
            ensure_eq!(
                covered,
                declared,
                "[{name}] batch writes: the batch cases must cover every declared write"
            );
        } else {
            let unknown: Vec<&String> = covered.difference(&declared).collect();
            ensure!(
                unknown.is_empty(),
                "[{name}] batch writes: the batch writes {unknown:?}, which the manifest does not declare"
            );
        }
        ensure!(
            cases.len() >= 2,
            "[{name}] batch writes: a batch needs at least two ops, the subject has {}",
            cases.len()
        );
        let ops: Vec<_> = cases.iter().map(|c| c.op.clone()).collect();
        let result = self.connector.write_batch(&self.options, ops).await.value;
        let outcomes =
            result.map_err(|e| failure!("[{name}] batch writes: the batch failed: {e}"))?;
        ensure_eq!(
            outcomes.len(),
            cases.len(),
            "[{name}] batch writes: {} outcomes for {} ops",
            outcomes.len(),
            cases.len()
        );
        for (at, (case, outcome)) in cases.iter().zip(&outcomes).enumerate() {
            let kind = case.op.kind();
            let outcome = outcome.as_ref().map_err(|e| {
                failure!(
                    "[{name}] batch writes: op {at} ({kind:?}) failed: {}",
                    e.describe()
                )
            })?;
            ensure!(
                !outcome.external_id.is_empty(),
                "[{name}] batch writes: op {at} ({kind:?}) returned an empty external-id"
            );
            (case.verify)().await.map_err(|e| {
                failure!("[{name}] batch writes: op {at} ({kind:?}) is not in the system: {e:#}")
            })?;
        }
        Ok(Done::Passed)
    }
}
