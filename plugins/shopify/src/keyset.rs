//! Gap-free paging over Shopify connections, decided without I/O.
//!
//! # The listing
//!
//! Orders, customers and products are listed with `sortKey: UPDATED_AT` (Shopify breaks
//! ties by id, so the order is `(updatedAt, id)` ascending), an incremental run with
//! `query: "updated_at:>='T'"` where `T` is the contract's inclusive `updated-since`, and
//! followed page by page with Shopify's `after: endCursor`.
//!
//! # Why this neither skips nor repeats
//!
//! Shopify's cursors are keyset positions, not offsets: a cursor is the `(sort value, id)`
//! of the last record of the page (`{"last_id", "last_value"}` under the base64), and the
//! next page holds the records sorting after it. A record modified during the walk moves to
//! the end of the order: if it was already returned it comes again later with its new data
//! (a new version, not a duplicate); if not, it is still ahead and is returned once. Nothing
//! shifts, so nothing is skipped, even when many records share one `updatedAt` second (a
//! bulk edit), which a plain `updated_at:>` restart at the last second would loop on.
//!
//! The cursor ([`Cursor`]) keeps the whole query fixed for the run (`since` is part of it,
//! so Shopify's `after` stays valid), Shopify's `after`, and the `(updatedAt, id)` key of
//! the last record returned: every page is trimmed to records after that key, which guards
//! against a repeat should the shop ever answer a record at or before its cursor.
//!
//! # Variations
//!
//! Variants are listed per product (`product(id:) { variants(first:, after:) }`, in the
//! product's position order, the only order that connection has); `updated-since` is
//! applied to each page here ([`Cursor::wants`]) and filtered records still advance the
//! cursor. No key trimming: position order is not the key order.

use serde::{Deserialize, Serialize};

/// Bumped when the cursor's meaning changes; an old cursor is refused, not misread.
pub const CURSOR_VERSION: u32 = 1;

/// A record's position in the `UPDATED_AT` order: `(updatedAt seconds, numeric id)`.
pub type Key = (i64, u64);

/// Where the next request starts; serialised as the opaque `next-cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "v")]
    pub version: u32,
    /// The listing it belongs to (`orders`, `variations:123`, ...).
    #[serde(rename = "l")]
    pub listing: String,
    /// The run's `updated-since` bound, seconds (kept for the whole run).
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// Shopify's `endCursor` of the last page.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// The key of the last record returned (sorted listings only).
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub last: Option<Key>,
    /// A first sync read from a bulk operation's file (see [`crate::bulk`]).
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    pub bulk: Option<crate::bulk::BulkCursor>,
}

impl Cursor {
    /// The first page of a listing.
    pub fn start(listing: impl Into<String>, since: Option<i64>) -> Self {
        Self {
            version: CURSOR_VERSION,
            listing: listing.into(),
            since,
            after: None,
            last: None,
            bulk: None,
        }
    }

    /// Whether a variation updated at `updated` belongs to the run.
    pub fn wants(&self, updated: i64) -> bool {
        self.since.is_none_or(|s| updated >= s)
    }
}

/// The `query:` search string of a run: `updated_at:>='2026-01-31T12:00:00Z'`, or none.
pub fn search(since: Option<&str>) -> Option<String> {
    since.map(|t| format!("updated_at:>='{t}'"))
}

/// What to do with one page of a sorted listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Indexes of the page's records to return, in order.
    pub keep: Vec<usize>,
    /// The next cursor; none at the end.
    pub next: Option<Cursor>,
}

/// The cursor after a page that Shopify says `has_next` (ending at `end_cursor`); none at
/// the end. An id-ordered scan (which nothing can shift) follows it as it is.
pub fn follow(at: &Cursor, has_next: bool, end_cursor: Option<String>) -> Option<Cursor> {
    match end_cursor {
        Some(after) if has_next => Some(Cursor {
            after: Some(after),
            ..at.clone()
        }),
        _ => None,
    }
}

/// Decides a page of a sorted listing: `keys` of the page's records in order, whether
/// Shopify has more, and its `endCursor`.
pub fn step(at: &Cursor, keys: &[Key], has_next: bool, end_cursor: Option<String>) -> Step {
    let mut last = at.last;
    let mut keep = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        if last.is_some_and(|l| *key <= l) {
            continue;
        }
        keep.push(i);
        last = Some(*key);
    }
    let next = follow(at, has_next, end_cursor).map(|c| Cursor { last, ..c });
    Step { keep, next }
}

/// Decides a page of an unsorted listing (variations): keep what the run wants.
pub fn step_unsorted(
    at: &Cursor,
    updated: &[i64],
    has_next: bool,
    end_cursor: Option<String>,
) -> Step {
    let keep = updated
        .iter()
        .enumerate()
        .filter(|(_, u)| at.wants(**u))
        .map(|(i, _)| i)
        .collect();
    Step {
        keep,
        next: follow(at, has_next, end_cursor),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_shopify_cursors_and_keep_the_query() {
        let start = Cursor::start("orders", Some(100));
        let s = step(
            &start,
            &[(100, 5), (100, 9), (120, 2)],
            true,
            Some("c1".into()),
        );
        assert_eq!(s.keep, vec![0, 1, 2]);
        let next = s.next.unwrap();
        assert_eq!(next.after.as_deref(), Some("c1"));
        assert_eq!(next.last, Some((120, 2)));
        assert_eq!(next.since, Some(100));
        let end = step(&next, &[(130, 1)], false, Some("c2".into()));
        assert_eq!(end.keep, vec![0]);
        assert!(end.next.is_none());
    }

    #[test]
    fn records_at_or_before_the_last_key_are_not_repeated() {
        let mut at = Cursor::start("orders", None);
        at.last = Some((120, 2));
        let s = step(&at, &[(120, 2), (100, 9), (120, 3), (121, 1)], false, None);
        assert_eq!(s.keep, vec![2, 3]);
    }

    #[test]
    fn variations_filter_by_since_but_advance() {
        let at = Cursor::start("variations:7", Some(50));
        let s = step_unsorted(&at, &[10, 60, 50], true, Some("v1".into()));
        assert_eq!(s.keep, vec![1, 2]);
        assert_eq!(s.next.unwrap().after.as_deref(), Some("v1"));
        assert_eq!(
            search(Some("2026-01-01T00:00:00Z")).as_deref(),
            Some("updated_at:>='2026-01-01T00:00:00Z'")
        );
        assert_eq!(search(None), None);
    }

    #[test]
    fn cursor_round_trips() {
        let mut c = Cursor::start("products", Some(1));
        c.after = Some("abc".into());
        c.last = Some((3, 4));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Cursor>(&json).unwrap(), c);
    }
}
