//! Gap-free paging over WooCommerce's offset-paged lists: a keyset cursor on top of
//! `modified_after` + `offset`.
//!
//! # Why not `page=N`
//!
//! Lists ordered by modification date shift under a sync: when a record already read is
//! modified, it moves to the end, everything after it moves back one place, and the record
//! that was first on the next page slides onto the page already read. Plain `page=N` paging
//! silently loses it.
//!
//! # The cursor
//!
//! Orders, products and variations are listed with `orderby=modified&order=asc` (WooCommerce
//! breaks ties by id, so the order is `(date_modified, id)` ascending) and
//! `modified_after=<T>&dates_are_gmt=true`, which is *strictly after* T, at whole seconds.
//! The cursor ([`Cursor`]) holds:
//! - `key`: the `(modified second, id)` of the last record returned;
//! - `base`: the second the query is anchored at; the next request asks
//!   `modified_after = base - 1 s`, so the whole boundary second is included again;
//! - `offset`: where in that query's results the last returned record stood, so the next
//!   request (`offset=<offset>`) starts *on* it (one record of overlap) instead of re-reading
//!   the whole boundary second. This replaces the page counter a plain design needs when a
//!   whole page falls within one second.
//!
//! Every answer is checked and trimmed against the key:
//! - records with `(modified, id) <= key` are dropped (already returned);
//! - with `offset > 0`, the first record must be `<= key` (the overlap). If it is not, records
//!   moved out of the window before it (a concurrent modification or deletion), and records
//!   may have been skipped: the request is repeated from a smaller offset (back-off by
//!   `per_page`, doubling). At offset 0 nothing can be skipped: the query starts at the
//!   boundary second itself.
//!
//! So no record is skipped and none is returned twice within a run, whatever is modified in
//! between; a record modified during the run is returned again later, with its new data
//! (that is a new version, not a duplicate).
//!
//! The end of data is `offset + returned >= X-WP-Total` (WooCommerce's total ignores
//! `offset`), or a short page. `Link`/`X-WP-TotalPages` are not used: they count in pages,
//! and the offset makes page numbers meaningless.
//!
//! The contract's `updated-since` is "at or after", so the first request uses
//! `modified_after = floor(updated-since) - 1 s`; records from the rest of that second come
//! back again and the host absorbs them.
//!
//! Two limits of WooCommerce itself remain: a record modified within the same second as the
//! last returned one but with a smaller id is not seen by this run (the next incremental run,
//! from `updated-since = last modified seen`, picks it up, because that bound is inclusive);
//! and WooCommerce sorts products by the site-local modification column, so on a site with
//! daylight saving time the ordering can disagree with the GMT dates for the hour the clocks
//! go back.
//!
//! # Customers
//!
//! WooCommerce's `/customers` (WordPress users) has no `modified_after` and cannot be
//! ordered by modification, so customers are listed with `orderby=id&order=asc` with the same
//! cursor machinery keyed by id alone (`base` unused): new customers get higher ids and land
//! at the end, modifications do not move anyone, deletions are caught by the overlap check.
//! `updated-since` is applied client-side on `date_modified_gmt` (kept in the cursor), so an
//! incremental customer sync reads the whole list; records filtered out still advance the
//! cursor.

use serde::{Deserialize, Serialize};

/// How a resource's list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `orderby=modified&order=asc` with `modified_after`: keys are `(second, id)`.
    Modified,
    /// `orderby=id&order=asc`: keys are `(0, id)`.
    Id,
}

/// A record's position in the ordering: `(modification second, id)`; the second is 0 for
/// [`Order::Id`].
pub type Key = (i64, u64);

/// Where the next request starts. Serialised (with a short field naming) as the opaque
/// `next-cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Format version.
    #[serde(rename = "v")]
    pub version: u8,
    /// The listing this cursor belongs to, e.g. `orders` or `variations:42`.
    #[serde(rename = "r")]
    pub listing: String,
    /// The second the query is anchored at (`modified_after = base - 1`); `None` = no bound.
    #[serde(rename = "b", default)]
    pub base: Option<i64>,
    /// The key of the last record returned; `None` before the first record.
    #[serde(rename = "k", default)]
    pub key: Option<Key>,
    /// The offset of the next request.
    #[serde(rename = "o", default)]
    pub offset: u64,
    /// Client-side `updated-since` (customers), RFC 3339.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

/// The cursor format version written by this connector.
pub const CURSOR_VERSION: u8 = 1;

impl Cursor {
    /// The position of a listing's first request.
    pub fn start(listing: String, base: Option<i64>, since: Option<String>) -> Self {
        Self {
            version: CURSOR_VERSION,
            listing,
            base,
            key: None,
            offset: 0,
            since,
        }
    }
}

/// What to do with one fetched window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The window may have skipped records: fetch again from this offset.
    Retry {
        /// The smaller offset to fetch from.
        offset: u64,
    },
    /// Nothing new in this window but the list goes on: fetch from this position.
    Continue(Cursor),
    /// Return these records (indices into the window, ascending); `next` is `None` at the
    /// end of the list.
    Page {
        /// Indices of the records to return.
        keep: Vec<usize>,
        /// Where the following page starts.
        next: Option<Cursor>,
    },
}

/// One fetched window: the keys of the records in the order received, the `per_page` asked
/// for, and `X-WP-Total` if the answer had it.
#[derive(Debug, Clone)]
pub struct Window<'a> {
    /// Keys of the received records, in the order received.
    pub keys: &'a [Key],
    /// The `per_page` of the request.
    pub per_page: u64,
    /// `X-WP-Total`: the number of records the query matches, offset ignored.
    pub total: Option<u64>,
}

/// The `per_page` to ask for to return `page_size` records: one more for the overlap record,
/// at least 2 (so a window always moves on), at most 100 (WooCommerce's maximum).
pub fn per_page_for(page_size: u32) -> u64 {
    (u64::from(page_size) + 1).clamp(2, 100)
}

/// Decides what a fetched window means for the position `at` (see the module docs).
/// `want` is the most records to return; `attempt` counts the retries so far (the back-off
/// doubles each time).
pub fn step(order: Order, at: &Cursor, window: &Window<'_>, want: usize, attempt: u32) -> Step {
    let keys = window.keys;
    let per_page = window.per_page.max(1);
    // The overlap check: a window from offset > 0 must start on or before the last key.
    if at.offset > 0 {
        let starts_ok = match (keys.first(), at.key) {
            (Some(first), Some(last)) => *first <= last,
            // No key yet (a resumed first page) or an empty window: cannot vouch for it.
            _ => false,
        };
        if !starts_ok {
            let back = per_page.saturating_mul(1u64 << attempt.min(20));
            return Step::Retry {
                offset: at.offset.saturating_sub(back),
            };
        }
    }
    let len = keys.len() as u64;
    let server_has_more = len >= per_page
        && window
            .total
            .is_none_or(|t| at.offset.saturating_add(len) < t);

    let mut keep: Vec<usize> = (0..keys.len())
        .filter(|&i| at.key.is_none_or(|last| keys[i] > last))
        .collect();
    let truncated = keep.len() > want.max(1);
    keep.truncate(want.max(1));
    let has_more = truncated || server_has_more;

    let Some(&j) = keep.last() else {
        if !server_has_more {
            return Step::Page { keep, next: None };
        }
        // Everything here was already returned; the last record (<= key) anchors the next
        // window.
        let mut next = at.clone();
        next.offset = at.offset + len - 1;
        return Step::Continue(next);
    };
    if !has_more {
        return Step::Page { keep, next: None };
    }
    let last = keys[j];
    let (base, offset) = match order {
        Order::Id => (at.base, at.offset + j as u64),
        Order::Modified => {
            let second = last.0;
            if at.base == Some(second) {
                (Some(second), at.offset + j as u64)
            } else {
                // The new anchor second starts within this window (records are ascending):
                // count its records before `j`.
                let first_of_second = keys[..=j].iter().position(|k| k.0 == second).unwrap_or(j);
                let before = keys[first_of_second..j]
                    .iter()
                    .filter(|k| k.0 == second)
                    .count();
                (Some(second), before as u64)
            }
        }
    };
    Step::Page {
        keep,
        next: Some(Cursor {
            version: CURSOR_VERSION,
            listing: at.listing.clone(),
            base,
            key: Some(last),
            offset,
            since: at.since.clone(),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    //! Besides unit cases, a simulation: a small in-memory "shop" answering like WooCommerce
    //! (strict `modified_after`, `(modified, id)` order, `offset`, `X-WP-Total`), modified
    //! and pruned between pages, must never make the pager skip a record or return one twice
    //! without a modification in between.

    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    fn start(base: Option<i64>) -> Cursor {
        Cursor::start("orders".into(), base, None)
    }

    #[test]
    fn per_page_bounds() {
        assert_eq!(per_page_for(0), 2);
        assert_eq!(per_page_for(1), 2);
        assert_eq!(per_page_for(10), 11);
        assert_eq!(per_page_for(100), 100);
        assert_eq!(per_page_for(5000), 100);
    }

    #[test]
    fn first_page_and_end() {
        let keys = [(10, 1), (10, 2), (11, 3)];
        let at = start(None);
        let w = Window {
            keys: &keys,
            per_page: 3,
            total: Some(7),
        };
        match step(Order::Modified, &at, &w, 3, 0) {
            Step::Page {
                keep,
                next: Some(next),
            } => {
                assert_eq!(keep, vec![0, 1, 2]);
                assert_eq!(next.key, Some((11, 3)));
                assert_eq!(next.base, Some(11));
                assert_eq!(next.offset, 0);
            }
            other => panic!("{other:?}"),
        }
        // A short page is the end.
        let w = Window {
            keys: &keys,
            per_page: 5,
            total: None,
        };
        assert_eq!(
            step(Order::Modified, &at, &w, 5, 0),
            Step::Page {
                keep: vec![0, 1, 2],
                next: None
            }
        );
        // A full page that reaches X-WP-Total is the end too.
        let w = Window {
            keys: &keys,
            per_page: 3,
            total: Some(3),
        };
        assert_eq!(
            step(Order::Modified, &at, &w, 3, 0),
            Step::Page {
                keep: vec![0, 1, 2],
                next: None
            }
        );
    }

    #[test]
    fn a_whole_page_in_one_second_moves_by_offset() {
        let keys = [(10, 1), (10, 2), (10, 3)];
        let at = start(Some(10));
        let w = Window {
            keys: &keys,
            per_page: 3,
            total: None,
        };
        let Step::Page {
            next: Some(next), ..
        } = step(Order::Modified, &at, &w, 3, 0)
        else {
            panic!()
        };
        assert_eq!(
            (next.base, next.key, next.offset),
            (Some(10), Some((10, 3)), 2)
        );
        // The next window starts on (10, 3): it is dropped, the rest kept.
        let keys2 = [(10, 3), (10, 4), (12, 5)];
        let w = Window {
            keys: &keys2,
            per_page: 3,
            total: None,
        };
        let Step::Page {
            keep,
            next: Some(n2),
        } = step(Order::Modified, &next, &w, 3, 0)
        else {
            panic!()
        };
        assert_eq!(keep, vec![1, 2]);
        assert_eq!((n2.base, n2.key, n2.offset), (Some(12), Some((12, 5)), 0));
    }

    #[test]
    fn a_window_past_the_key_is_retried() {
        let at = Cursor {
            key: Some((10, 3)),
            offset: 250,
            ..start(Some(10))
        };
        let keys = [(10, 4), (10, 5)];
        let w = Window {
            keys: &keys,
            per_page: 100,
            total: None,
        };
        assert_eq!(
            step(Order::Modified, &at, &w, 99, 0),
            Step::Retry { offset: 150 }
        );
        assert_eq!(
            step(Order::Modified, &at, &w, 99, 1),
            Step::Retry { offset: 50 }
        );
        assert_eq!(
            step(Order::Modified, &at, &w, 99, 2),
            Step::Retry { offset: 0 }
        );
        let w = Window {
            keys: &[],
            per_page: 100,
            total: None,
        };
        assert_eq!(
            step(Order::Modified, &at, &w, 99, 0),
            Step::Retry { offset: 150 }
        );
    }

    #[test]
    fn an_all_seen_window_continues() {
        let at = Cursor {
            key: Some((10, 9)),
            offset: 0,
            ..start(Some(10))
        };
        let keys = [(10, 1), (10, 2), (10, 3)];
        let w = Window {
            keys: &keys,
            per_page: 3,
            total: None,
        };
        match step(Order::Modified, &at, &w, 2, 0) {
            Step::Continue(c) => assert_eq!((c.offset, c.key), (2, Some((10, 9)))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncates_to_the_wanted_size() {
        let keys = [(1, 1), (2, 2), (3, 3)];
        let at = start(None);
        let w = Window {
            keys: &keys,
            per_page: 3,
            total: Some(3),
        };
        let Step::Page {
            keep,
            next: Some(n),
        } = step(Order::Modified, &at, &w, 2, 0)
        else {
            panic!()
        };
        assert_eq!(keep, vec![0, 1]);
        assert_eq!((n.base, n.key, n.offset), (Some(2), Some((2, 2)), 0));
    }

    // --- simulation ---------------------------------------------------------------------

    /// A tiny deterministic generator.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    struct Shop {
        /// id -> modified second
        rows: BTreeMap<u64, i64>,
        clock: i64,
    }

    impl Shop {
        fn query(
            &self,
            order: Order,
            base: Option<i64>,
            offset: u64,
            per_page: u64,
        ) -> (Vec<Key>, u64) {
            let mut all: Vec<Key> = self
                .rows
                .iter()
                .filter(|(_, m)| order == Order::Id || base.is_none_or(|b| **m > b - 1))
                .map(|(id, m)| match order {
                    Order::Modified => (*m, *id),
                    Order::Id => (0, *id),
                })
                .collect();
            all.sort();
            let total = all.len() as u64;
            let page = all
                .into_iter()
                .skip(offset as usize)
                .take(per_page as usize)
                .collect();
            (page, total)
        }
    }

    /// What a simulated run returned: every (id, version-second), the ids never modified or
    /// deleted during the run, and the shop's rows at the start.
    type RunResult = (Vec<(u64, i64)>, BTreeSet<u64>, BTreeMap<u64, i64>);

    /// Runs a full listing while mutating the shop between requests.
    fn run(order: Order, seed: u64, page_size: u32, mutate: bool) -> RunResult {
        let mut rng = Lcg(seed);
        let mut shop = Shop {
            rows: BTreeMap::new(),
            clock: 1000,
        };
        for id in 1..=300u64 {
            // Many records share seconds.
            shop.rows.insert(id, 900 + (rng.below(40) as i64));
        }
        let initial = shop.rows.clone();
        let mut untouched: BTreeSet<u64> = shop.rows.keys().copied().collect();
        let mut got: Vec<(u64, i64)> = Vec::new();
        let mut cursor = Some(start(None));
        let per_page = per_page_for(page_size);
        let mut requests = 0;
        while let Some(mut at) = cursor.take() {
            let mut attempt = 0;
            loop {
                requests += 1;
                assert!(requests < 10_000, "no progress");
                if mutate {
                    // Modify a few records (they move to the end), delete one now and then,
                    // create one now and then; the clock moves on sometimes.
                    for _ in 0..rng.below(4) {
                        let id = 1 + rng.below(300 + 50);
                        if let Some(m) = shop.rows.get_mut(&id) {
                            *m = shop.clock;
                            untouched.remove(&id);
                        }
                    }
                    if rng.below(5) == 0 {
                        let id = 1 + rng.below(300);
                        if shop.rows.remove(&id).is_some() {
                            untouched.remove(&id);
                        }
                    }
                    if rng.below(4) == 0 {
                        let id = shop.rows.keys().last().copied().unwrap_or(0) + 1;
                        shop.rows.insert(id, shop.clock);
                    }
                    if rng.below(3) == 0 {
                        shop.clock += 1;
                    }
                }
                let (keys, total) = shop.query(order, at.base, at.offset, per_page);
                let w = Window {
                    keys: &keys,
                    per_page,
                    total: Some(total),
                };
                match step(order, &at, &w, page_size.max(1) as usize, attempt) {
                    Step::Retry { offset } => {
                        attempt += 1;
                        at.offset = offset;
                    }
                    Step::Continue(c) => {
                        attempt = 0;
                        at = c;
                    }
                    Step::Page { keep, next } => {
                        for i in keep {
                            let (m, id) = keys[i];
                            got.push((id, m));
                        }
                        cursor = next;
                        break;
                    }
                }
            }
        }
        (got, untouched, initial)
    }

    fn check(order: Order, seed: u64, page_size: u32, mutate: bool) {
        let (got, untouched, initial) = run(order, seed, page_size, mutate);
        let mut seen: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
        for (id, m) in &got {
            seen.entry(*id).or_default().push(*m);
        }
        // Every record that existed throughout and was never modified is returned exactly once.
        for id in &untouched {
            assert!(initial.contains_key(id));
            let versions = seen.get(id).map(Vec::len).unwrap_or(0);
            assert_eq!(
                versions, 1,
                "record {id} returned {versions} times (seed {seed}, page {page_size}, {order:?})"
            );
        }
        if order == Order::Modified {
            // A record returned twice was modified in between (a newer version), never the same one.
            for (id, versions) in &seen {
                let mut v = versions.clone();
                v.dedup();
                assert_eq!(
                    v.len(),
                    versions.len(),
                    "record {id} repeated unchanged: {versions:?}"
                );
            }
        } else {
            for (id, versions) in &seen {
                assert_eq!(versions.len(), 1, "customer {id} returned twice");
            }
        }
    }

    #[test]
    fn simulation_without_changes_is_exact() {
        for page_size in [1, 2, 7, 10, 99, 100] {
            let (got, _, initial) = run(Order::Modified, 1, page_size, false);
            let ids: Vec<u64> = got.iter().map(|(id, _)| *id).collect();
            let unique: BTreeSet<u64> = ids.iter().copied().collect();
            assert_eq!(ids.len(), initial.len(), "page size {page_size}");
            assert_eq!(unique.len(), initial.len());
            let (got, _, _) = run(Order::Id, 1, page_size, false);
            assert_eq!(got.len(), initial.len());
        }
    }

    #[test]
    fn simulation_with_concurrent_changes_has_no_gaps_or_duplicates() {
        for seed in 1..=40 {
            for page_size in [1, 3, 10, 50] {
                check(Order::Modified, seed, page_size, true);
                check(Order::Id, seed, page_size, true);
            }
        }
    }
}
