//! The deletion check (last: it destroys a record), as the manifest declares deletions for
//! the resource the subject deletes.

use std::collections::BTreeSet;

use junction_runtime::CallError;
use junction_runtime::types::{ConnectorError, DeletionDetection, Entity};

use crate::ctx::{Ctx, describe};
use crate::report::{CheckResult, Done, ensure, ensure_eq, failure};

fn listed(records: &[Entity]) -> BTreeSet<String> {
    records.iter().map(|e| e.external_id().to_owned()).collect()
}

impl Ctx {
    /// The resource the subject deletes must not be declared never deleted. A record
    /// deleted upstream leaves a full listing and an ids-only scan (which must list exactly
    /// what the full listing lists, before and after), and `get` answers `not-found` — how
    /// the host's reconciliation tells a deletion from a record its scan missed. Declared
    /// `reported`: an incremental listing from before the deletion reports the record in
    /// `page.deleted`.
    pub(crate) async fn deletion(&self) -> CheckResult {
        let name = &self.name;
        let Some(deletion) = &self.subject.delete else {
            return Ok(Done::Skipped(
                "the subject cannot delete records upstream".into(),
            ));
        };
        let delete = &deletion.delete;
        let expected = self
            .subject
            .expected
            .iter()
            .find(|e| e.resource == deletion.resource)
            .ok_or_else(|| {
                failure!(
                    "[{name}] deletion: the subject deletes {} but expects none",
                    deletion.resource.as_str()
                )
            })?;
        let resource = expected.resource.as_str();
        let detection = self
            .connector
            .manifest
            .deletion_detection(expected.resource);
        ensure!(
            detection != DeletionDetection::empty(),
            "[{name}] deletion: the manifest declares {resource} never deleted, but the system deletes them"
        );
        let made = match &deletion.victim {
            Some(create) => Some(create().await.map_err(|e| {
                failure!("[{name}] deletion: creating a {resource} record to delete failed: {e:#}")
            })?),
            None => None,
        };
        let (before, _) = self.list_all("deletion", expected, None).await?;
        ensure_eq!(
            self.walk("deletion (ids-only scan)", expected, None, true)
                .await?
                .listed,
            listed(&before),
            "[{name}] deletion: an ids-only scan of {resource} must list what the full listing lists"
        );
        let victim = made
            .or_else(|| before.last().map(|e| e.external_id().to_owned()))
            .ok_or_else(|| failure!("[{name}] deletion: {resource} lists nothing"))?;
        ensure!(
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
            .map_err(|e| {
                failure!("[{name}] deletion: deleting {resource} {victim} failed: {e:#}")
            })?;
        let (after, _) = self.list_all("deletion", expected, None).await?;
        let ids = listed(&after);
        ensure!(
            !ids.contains(victim.as_str()),
            "[{name}] deletion: {resource} {victim} was deleted upstream but is still listed"
        );
        ensure_eq!(
            ids.len(),
            before.len() - 1,
            "[{name}] deletion: deleting {resource} {victim} changed what else is listed"
        );
        ensure_eq!(
            self.walk("deletion (ids-only scan)", expected, None, true)
                .await?
                .listed,
            ids,
            "[{name}] deletion: after deleting {resource} {victim}, an ids-only scan must list what the full listing lists"
        );
        if detection.contains(DeletionDetection::REPORTED) {
            let walked = self
                .walk("deletion (reported)", expected, since, false)
                .await?;
            ensure!(
                walked.deleted.contains(&victim),
                "[{name}] deletion: {resource} is declared `reported`, but an incremental listing \
                 since before the deletion did not report {victim} (reported: {:?})",
                walked.deleted
            );
            ensure!(
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
        ensure!(
            matches!(
                result,
                Err(CallError::Connector(ConnectorError::NotFound(_)))
            ),
            "[{name}] deletion: get of the deleted {resource} {victim} must be not-found, got {}",
            describe(&result)
        );
        Ok(Done::Passed)
    }
}
