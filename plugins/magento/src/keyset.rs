//! Gap-free paging over Magento searches: a keyset cursor over `(updated_at, entity_id)`.
//!
//! Every request asks for the first page (`currentPage=1`) of the records after the last
//! one returned, sorted by `updated_at` then `entity_id` ascending. Magento's filter groups
//! are ANDed and the filters inside one are ORed, so "after `(t, id)`" is written in
//! conjunctive form:
//!
//! ```text
//! [updated_at >= t]  AND  [updated_at > t  OR  entity_id > id]
//! ```
//!
//! Page numbers are never used, so records modified or deleted while the listing runs
//! cannot shift a record past the cursor: none is skipped and none is returned twice (a
//! record modified during the run comes back later with its new `updated_at`, a new
//! version). The end is when `total_count` (the records matching the request) is no more
//! than the page returned; a page past the end is never asked for, which matters because
//! Magento answers one with the last page again.
//!
//! The contract's `updated-since` is inclusive, as `gteq` is. Magento stores whole seconds,
//! so `updated-since` is floored to its second.

use serde::{Deserialize, Serialize};

use crate::criteria::Filter;

/// A record's position: its `updated_at` as Magento wrote it, and its entity id.
pub type Key = (String, u64);

/// Where the next request starts. Serialised as the opaque `next-cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The listing this cursor belongs to, e.g. `orders` or `variations:42`.
    #[serde(rename = "r")]
    pub listing: String,
    /// `updated-since` in Magento's format, if the listing has one.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The key of the last record returned.
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Key>,
}

impl Cursor {
    /// The filter groups that select the records after this position.
    pub fn filter_groups(&self) -> Vec<Vec<Filter>> {
        match (&self.key, &self.since) {
            (Some((at, id)), _) => vec![
                vec![Filter::new("updated_at", "gteq", at.clone())],
                vec![
                    Filter::new("updated_at", "gt", at.clone()),
                    Filter::new("entity_id", "gt", id.to_string()),
                ],
            ],
            (None, Some(since)) => vec![vec![Filter::new("updated_at", "gteq", since.clone())]],
            (None, None) => vec![],
        }
    }

    /// The cursor after a page whose last record is `last`, or `None` when the page held
    /// everything the request matched (`total_count`).
    pub fn after(&self, returned: usize, total_count: u64, last: Option<Key>) -> Option<Cursor> {
        let last = last?;
        if total_count <= returned as u64 {
            return None;
        }
        Some(Cursor {
            key: Some(last),
            ..self.clone()
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn start(since: Option<&str>) -> Cursor {
        Cursor {
            listing: "orders".into(),
            since: since.map(Into::into),
            key: None,
        }
    }

    #[test]
    fn filters_after_the_last_key() {
        assert!(start(None).filter_groups().is_empty());
        let since = start(Some("2025-01-01 00:00:00")).filter_groups();
        assert_eq!(
            since,
            vec![vec![Filter::new(
                "updated_at",
                "gteq",
                "2025-01-01 00:00:00"
            )]]
        );
        let mut at = start(Some("2024-01-01 00:00:00"));
        at.key = Some(("2025-01-02 10:00:00".into(), 17));
        let groups = at.filter_groups();
        assert_eq!(groups.len(), 2, "the key supersedes updated-since");
        assert_eq!(
            groups[0][0],
            Filter::new("updated_at", "gteq", "2025-01-02 10:00:00")
        );
        assert_eq!(groups[1][1], Filter::new("entity_id", "gt", "17"));
    }

    #[test]
    fn stops_by_total_count() {
        let at = start(None);
        let last = Some(("2025-01-01 00:00:00".to_owned(), 5));
        let next = at.after(5, 12, last.clone()).unwrap();
        assert_eq!(next.key, last);
        assert!(
            at.after(5, 5, last.clone()).is_none(),
            "all matches returned"
        );
        assert!(
            at.after(0, 12, None).is_none(),
            "an empty page ends the listing"
        );
    }
}
