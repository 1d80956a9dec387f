//! Gap-free paging over Vendure's lists: a keyset cursor on `updatedAt` plus the ids already
//! returned at the boundary instant.
//!
//! # Why not `skip`
//!
//! A list sorted by `updatedAt` shifts while it is read: a record modified after it was
//! returned moves to the end and everything behind it moves up one place, so `skip=N` paging
//! loses the record that slid onto the page already read.
//!
//! # Why not `(updatedAt, id)`
//!
//! Vendure cannot sort by `updatedAt` *then* `id`: GraphQL coerces the sort object in the
//! schema's field order, which puts `id` first. And its `ID` filter has no `gt`. So ties at
//! one instant come back in no defined order, and they are common: on SQLite Vendure stores
//! whole seconds.
//!
//! # The cursor
//!
//! The cursor ([`Position`]) holds the boundary `t` (the `updatedAt`, in ms, of the last record
//! returned) and `seen`, the ids returned so far whose `updatedAt` is `t`. The next request
//! asks for `updatedAt after t - 1 ms` (so the whole boundary instant again) and
//! `id notIn seen`, sorted by `updatedAt` ascending. Every record at `t` not yet returned
//! comes back, in whatever order, before any later one; records before `t` that a database
//! with finer timestamps than the API shows still returns are dropped here. So no record is
//! skipped and none returned twice, however records change between pages: a modified record
//! gets a later `updatedAt` and is returned again later, as a new version.
//!
//! `seen` is kept as id ranges (bulk-created records at one instant have consecutive ids),
//! so the cursor stays small. Each window asks for one record more than the page needs, to
//! tell whether the list goes on. The contract's `updated-since` is simply the first
//! boundary with nothing seen.

use serde::{Deserialize, Serialize};

/// The cursor format version written by this connector.
pub const CURSOR_VERSION: u8 = 1;

/// The most records one page returns (and the base of a window's size).
pub const MAX_PAGE: usize = 100;
/// The largest window asked for when a whole window holds only records to drop.
pub const MAX_WINDOW: usize = 1000;

/// Ids already returned at the boundary instant: numeric ids as inclusive ranges, any other
/// id (a UUID id strategy) as itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    #[serde(rename = "r", default, skip_serializing_if = "Vec::is_empty")]
    ranges: Vec<(u64, u64)>,
    #[serde(rename = "o", default, skip_serializing_if = "Vec::is_empty")]
    other: Vec<String>,
}

impl Seen {
    /// Whether `id` is in the set.
    pub fn contains(&self, id: &str) -> bool {
        match id.parse::<u64>() {
            Ok(n) => self.ranges.iter().any(|(a, b)| (*a..=*b).contains(&n)),
            Err(_) => self.other.iter().any(|o| o == id),
        }
    }

    /// Adds `id`, merging numeric ranges.
    pub fn insert(&mut self, id: &str) {
        if self.contains(id) {
            return;
        }
        let Ok(n) = id.parse::<u64>() else {
            self.other.push(id.to_owned());
            return;
        };
        self.ranges.push((n, n));
        self.ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(self.ranges.len());
        for (a, b) in self.ranges.drain(..) {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.ranges = merged;
    }

    /// Every id, for the `notIn` filter.
    pub fn ids(&self) -> Vec<String> {
        let numeric = self
            .ranges
            .iter()
            .flat_map(|(a, b)| *a..=*b)
            .map(|n| n.to_string());
        numeric.chain(self.other.iter().cloned()).collect()
    }

    /// Whether nothing was seen.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty() && self.other.is_empty()
    }
}

/// Where a listing stands. Serialised (with short field names) as the opaque `next-cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Format version.
    #[serde(rename = "v")]
    pub version: u8,
    /// The listing, e.g. `orders` or `variations:42`: a cursor is refused by other listings.
    #[serde(rename = "l")]
    pub listing: String,
    /// The boundary instant in ms since the epoch; `None`: from the beginning.
    #[serde(rename = "t", default)]
    pub boundary_ms: Option<i64>,
    /// Ids returned at the boundary.
    #[serde(rename = "s", default)]
    pub seen: Seen,
}

impl Position {
    /// The first page of a listing, from `since_ms` (inclusive) when given.
    pub fn start(listing: String, since_ms: Option<i64>) -> Self {
        Self {
            version: CURSOR_VERSION,
            listing,
            boundary_ms: since_ms,
            seen: Seen::default(),
        }
    }

    /// The `updatedAt after` bound of the next request: one ms before the boundary.
    pub fn after_ms(&self) -> Option<i64> {
        self.boundary_ms.map(|t| t - 1)
    }
}

/// What to do with a fetched window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Return these records (indices into the window, ascending); `next` is `None` at the end.
    Page {
        /// Indices of the records to return.
        keep: Vec<usize>,
        /// Where the following page starts.
        next: Option<Position>,
    },
    /// The whole full window was records to drop: ask again for a larger window.
    Widen,
}

/// The window size for a page of `page_size`: one more than the page, to see whether the
/// list goes on.
pub fn window_for(page_size: u32) -> usize {
    (page_size as usize).clamp(1, MAX_PAGE) + 1
}

/// Decides what a window means for the position `at`. `records` are `(updatedAt ms, id)` in
/// the order received; `take` is the size asked for; `want` the most records to return.
pub fn step(at: &Position, records: &[(i64, String)], take: usize, want: usize) -> Step {
    let fresh: Vec<usize> = (0..records.len())
        .filter(|&i| {
            let (t, id) = &records[i];
            match at.boundary_ms {
                Some(b) => *t > b || (*t == b && !at.seen.contains(id)),
                None => true,
            }
        })
        .collect();
    let server_full = records.len() >= take;
    if fresh.is_empty() {
        return if server_full {
            Step::Widen
        } else {
            Step::Page {
                keep: Vec::new(),
                next: None,
            }
        };
    }
    let want = want.max(1);
    let has_more = fresh.len() > want || server_full;
    let keep: Vec<usize> = fresh.into_iter().take(want).collect();
    if !has_more {
        return Step::Page { keep, next: None };
    }
    let last_t = keep.iter().map(|&i| records[i].0).max().unwrap_or(i64::MIN);
    let mut seen = if at.boundary_ms == Some(last_t) {
        at.seen.clone()
    } else {
        Seen::default()
    };
    for &i in &keep {
        if records[i].0 == last_t {
            seen.insert(&records[i].1);
        }
    }
    Step::Page {
        keep,
        next: Some(Position {
            version: CURSOR_VERSION,
            listing: at.listing.clone(),
            boundary_ms: Some(last_t),
            seen,
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    //! Unit cases, and a simulation: an in-memory "Vendure" answering `updatedAt > after AND id
    //! NOT IN seen ORDER BY updatedAt` with ties in a random order, modified between pages,
    //! must never make the pager skip a record or return an unchanged one twice.

    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    fn recs(v: &[(i64, u64)]) -> Vec<(i64, String)> {
        v.iter().map(|(t, id)| (*t, id.to_string())).collect()
    }

    #[test]
    fn seen_ranges_merge() {
        let mut s = Seen::default();
        for id in ["5", "3", "4", "9", "abc"] {
            s.insert(id);
        }
        assert_eq!(s.ranges, vec![(3, 5), (9, 9)]);
        assert!(s.contains("4") && s.contains("abc") && !s.contains("6"));
        assert_eq!(s.ids(), vec!["3", "4", "5", "9", "abc"]);
    }

    #[test]
    fn pages_and_end() {
        let at = Position::start("orders".into(), None);
        let w = recs(&[(10, 1), (10, 2), (11, 3)]);
        match step(&at, &w, 3, 2) {
            Step::Page {
                keep,
                next: Some(n),
            } => {
                assert_eq!(keep, vec![0, 1]);
                assert_eq!(n.boundary_ms, Some(10));
                assert_eq!(n.seen.ids(), vec!["1", "2"]);
                assert_eq!(n.after_ms(), Some(9));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            step(&at, &w, 4, 3),
            Step::Page {
                keep: vec![0, 1, 2],
                next: None
            }
        );
    }

    #[test]
    fn drops_what_was_returned_and_widens_when_nothing_is_left() {
        let mut at = Position::start("orders".into(), Some(10));
        at.seen.insert("1");
        // A database with finer timestamps returns a record from just before the boundary.
        let w = recs(&[(9, 7), (10, 1), (10, 2)]);
        match step(&at, &w, 4, 5) {
            Step::Page { keep, next: None } => assert_eq!(keep, vec![2]),
            other => panic!("{other:?}"),
        }
        assert_eq!(step(&at, &recs(&[(9, 7), (10, 1)]), 2, 5), Step::Widen);
        // The seen set carries over while the boundary stays.
        let w = recs(&[(10, 3), (10, 4)]);
        let Step::Page { next: Some(n), .. } = step(&at, &w, 2, 5) else {
            panic!()
        };
        assert_eq!(n.seen.ids(), vec!["1", "3", "4"]);
    }

    // --- simulation ---------------------------------------------------------------------

    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    fn run(seed: u64, page_size: u32, mutate: bool) {
        let mut rng = Lcg(seed);
        let mut rows: BTreeMap<u64, i64> = (1..=200u64)
            .map(|id| (id, 1000 + rng.below(15) as i64))
            .collect();
        let initial = rows.clone();
        let mut untouched: BTreeSet<u64> = rows.keys().copied().collect();
        let mut clock = 2000;
        let mut got: Vec<(u64, i64)> = Vec::new();
        let mut cursor = Some(Position::start("orders".into(), None));
        let mut requests = 0;
        while let Some(at) = cursor.take() {
            let mut take = window_for(page_size);
            loop {
                requests += 1;
                assert!(requests < 5000, "no progress");
                if mutate {
                    for _ in 0..rng.below(4) {
                        let id = 1 + rng.below(260);
                        if let Some(t) = rows.get_mut(&id) {
                            *t = clock;
                            untouched.remove(&id);
                        }
                    }
                    if rng.below(5) == 0 {
                        let id = 1 + rng.below(200);
                        if rows.remove(&id).is_some() {
                            untouched.remove(&id);
                        }
                    }
                    if rng.below(4) == 0 {
                        let id = rows.keys().last().copied().unwrap_or(0) + 1;
                        rows.insert(id, clock);
                    }
                    if rng.below(3) == 0 {
                        clock += 1;
                    }
                }
                let after = at.after_ms();
                let mut matching: Vec<(i64, u64, u64)> = rows
                    .iter()
                    .filter(|(id, t)| {
                        after.is_none_or(|a| **t > a) && !at.seen.contains(&id.to_string())
                    })
                    .map(|(id, t)| (*t, rng.below(1000), *id))
                    .collect();
                // Ties in no defined order.
                matching.sort();
                let window: Vec<(i64, String)> = matching
                    .into_iter()
                    .take(take)
                    .map(|(t, _, id)| (t, id.to_string()))
                    .collect();
                match step(&at, &window, take, page_size as usize) {
                    Step::Widen => take *= 2,
                    Step::Page { keep, next } => {
                        for i in keep {
                            got.push((window[i].1.parse().unwrap(), window[i].0));
                        }
                        cursor = next;
                        break;
                    }
                }
            }
        }
        let mut seen: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
        for (id, t) in &got {
            seen.entry(*id).or_default().push(*t);
        }
        for id in &untouched {
            assert!(initial.contains_key(id));
            assert_eq!(
                seen.get(id).map(Vec::len),
                Some(1),
                "record {id} (seed {seed}, page {page_size})"
            );
        }
        for (id, versions) in &seen {
            let mut v = versions.clone();
            v.dedup();
            assert_eq!(v.len(), versions.len(), "{id} repeated unchanged");
        }
        if !mutate {
            assert_eq!(got.len(), initial.len());
        }
    }

    #[test]
    fn simulation_has_no_gaps_or_duplicates() {
        for seed in 1..=30 {
            for page_size in [1, 3, 10, 50] {
                run(seed, page_size, false);
                run(seed, page_size, true);
            }
        }
    }
}
