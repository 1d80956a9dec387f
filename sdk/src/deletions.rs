//! Deletions: declaring how the host learns of a resource's deletions (the manifest's
//! `deletions`), and building pages that report them or answer an ids-only scan.
//!
//! A system that marks deleted records (WooCommerce's `trash` status, a `deletedAt`, a feed
//! of deleted ids) lets the connector report them while listing: declare
//! [`reported`] (with [`DeletionDetection::RECONCILIATION`] too when it forgets some, such
//! as permanent deletes) and put the ids in the page with [`Page::with_deleted`];
//! [`split_deleted`] separates them from the live records of a listing. A system that simply
//! forgets deleted records needs nothing: resources not declared are reconciled by the host.
//! During a reconciliation the host asks for ids only ([`types::ListRequest::ids_only`]);
//! answer with [`Page::of_ids`] when the system can list ids cheaply.

use crate::types::{self, DeletionDetection, Entity, Page, ResourceDeletions, ResourceKind};

impl Page {
    /// A page of records; `next_cursor` none on the last page.
    pub fn of(entities: Vec<Entity>, next_cursor: Option<String>) -> Self {
        Page {
            entities,
            next_cursor,
            deleted: Vec::new(),
            ids: Vec::new(),
        }
    }

    /// An ids-only page, the answer to a request with `ids_only` set: the ids of the
    /// listing's records, in its order.
    pub fn of_ids(ids: Vec<String>, next_cursor: Option<String>) -> Self {
        Page {
            entities: Vec::new(),
            next_cursor,
            deleted: Vec::new(),
            ids,
        }
    }

    /// Report these records deleted in the system (the host removes them from its copy).
    pub fn with_deleted(mut self, ids: impl IntoIterator<Item = String>) -> Self {
        self.deleted.extend(ids);
        self
    }
}

/// The manifest entry for a resource whose deletions the system reports while listing; pass
/// `also_reconciled` when it reports only some (the host then scans for the rest).
pub fn reported(resource: ResourceKind, also_reconciled: bool) -> ResourceDeletions {
    let mut detection = DeletionDetection::REPORTED;
    if also_reconciled {
        detection |= DeletionDetection::RECONCILIATION;
    }
    ResourceDeletions {
        resource,
        detection,
    }
}

/// The manifest entry for a resource whose records the system never deletes: the host never
/// scans for deletions (and refuses "reconcile now" for it with a clear message).
pub fn never_deleted(resource: ResourceKind) -> ResourceDeletions {
    ResourceDeletions {
        resource,
        detection: DeletionDetection::empty(),
    }
}

/// Split a listing into the live records and the ids of those `is_deleted` marks deleted
/// (e.g. `status == "trash"`), keeping each side in the listing's order.
pub fn split_deleted<T>(
    records: Vec<T>,
    is_deleted: impl Fn(&T) -> bool,
    id_of: impl Fn(&T) -> String,
) -> (Vec<T>, Vec<String>) {
    let mut deleted = Vec::new();
    let live = records
        .into_iter()
        .filter(|record| {
            let gone = is_deleted(record);
            if gone {
                deleted.push(id_of(record));
            }
            !gone
        })
        .collect();
    (live, deleted)
}

/// Whether a manifest's `deletions` has `resource` reported.
pub fn is_reported(deletions: &[types::ResourceDeletions], resource: ResourceKind) -> bool {
    deletions
        .iter()
        .any(|d| d.resource == resource && d.detection.contains(DeletionDetection::REPORTED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_report_deletions_and_answer_ids_only() {
        let page = Page::of(vec![], Some("2".into())).with_deleted(["7".to_string()]);
        assert_eq!(page.deleted, vec!["7".to_string()]);
        assert!(page.ids.is_empty());
        let ids = Page::of_ids(vec!["1".into(), "2".into()], None);
        assert!(ids.entities.is_empty());
        assert_eq!(ids.ids.len(), 2);
    }

    #[test]
    fn a_listing_splits_into_live_and_deleted_in_order() {
        let rows = vec![(1, "trash"), (2, "publish"), (3, "trash"), (4, "draft")];
        let (live, deleted) = split_deleted(rows, |r| r.1 == "trash", |r| r.0.to_string());
        assert_eq!(live, vec![(2, "publish"), (4, "draft")]);
        assert_eq!(deleted, vec!["1".to_string(), "3".to_string()]);
    }

    #[test]
    fn manifest_entries_say_how_deletions_are_found() {
        let both = reported(ResourceKind::Orders, true);
        assert!(both.detection.contains(DeletionDetection::REPORTED));
        assert!(both.detection.contains(DeletionDetection::RECONCILIATION));
        assert_eq!(
            reported(ResourceKind::Orders, false).detection,
            DeletionDetection::REPORTED
        );
        assert!(never_deleted(ResourceKind::Orders).detection.is_empty());
        assert!(is_reported(&[both], ResourceKind::Orders));
        assert!(!is_reported(&[], ResourceKind::Orders));
    }
}
