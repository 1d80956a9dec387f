//! Executes collection queries against a [`Table`] without scanning it when it can avoid it.
//!
//! Ordering is total and stable, as WooCommerce makes it by appending `ID` to `date` and
//! `modified` orderings (`ORDER BY post_date DESC, ID DESC`): ties on the sort key are broken
//! by id, in the same direction as `order`. Date filters are strict (`modified_after=T`
//! returns records modified at T+1s or later), like WordPress's `date_query`.
//!
//! The common requests are answered from the sorted `(date, id)` indexes with binary
//! searches only: `orderby=modified` with `modified_after`/`modified_before`, `orderby=date`
//! with `after`/`before`, and unfiltered `orderby=id|date|modified` pages. Other combinations
//! walk one index (or the smallest date range) and filter, and only `title`, `price` and the
//! like sort their candidates.

use std::collections::HashSet;

use super::model::{Record, Table};

/// A sort key for orderings not served by an index (`title`, `slug`, `price`, ...).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SortKey {
    Int(i64),
    Text(String),
}

/// What a collection is ordered by.
pub(crate) enum SortBy<'a, T> {
    Created,
    Modified,
    Id,
    /// The order of the `include` parameter (`order` is ignored, as in WordPress); the
    /// date ordering when there is no `include`.
    Include,
    Key(&'a dyn Fn(&T) -> SortKey),
}

/// One collection request against a table.
pub(crate) struct Plan<'a, T> {
    pub sort: SortBy<'a, T>,
    pub desc: bool,
    /// Exclusive `(after, before)` bounds on `date_created`.
    pub created: (Option<i64>, Option<i64>),
    /// Exclusive `(after, before)` bounds on `date_modified`.
    pub modified: (Option<i64>, Option<i64>),
    pub include: &'a [u64],
    pub exclude: &'a [u64],
    /// Resource-specific filters (status, sku, parent, search...).
    pub filter: Option<&'a dyn Fn(&T) -> bool>,
    pub start: usize,
    pub limit: usize,
}

/// The result: how many records match in total, and the ids of the requested window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    pub total: usize,
    pub ids: Vec<u64>,
}

fn range(index: &[(i64, u64)], (after, before): (Option<i64>, Option<i64>)) -> &[(i64, u64)] {
    let lo = after.map_or(0, |a| index.partition_point(|(k, _)| *k <= a));
    let hi = before.map_or(index.len(), |b| index.partition_point(|(k, _)| *k < b));
    index.get(lo..hi).unwrap_or(&[])
}

fn within(v: i64, (after, before): (Option<i64>, Option<i64>)) -> bool {
    after.is_none_or(|a| v > a) && before.is_none_or(|b| v < b)
}

fn bounded(b: (Option<i64>, Option<i64>)) -> bool {
    b.0.is_some() || b.1.is_some()
}

/// Takes the `[start, start + limit)` window of an ordered sequence while counting it.
fn window(iter: impl Iterator<Item = u64>, start: usize, limit: usize) -> Page {
    let mut total = 0;
    let mut ids = Vec::new();
    for id in iter {
        if total >= start && ids.len() < limit {
            ids.push(id);
        }
        total += 1;
    }
    Page { total, ids }
}

/// Runs a plan.
pub(crate) fn run<T: Record>(table: &Table<T>, plan: &Plan<'_, T>) -> Page {
    let include: Option<HashSet<u64>> =
        (!plan.include.is_empty()).then(|| plan.include.iter().copied().collect());
    let exclude: HashSet<u64> = plan.exclude.iter().copied().collect();
    let row_ok = |row: &T, check_created: bool, check_modified: bool| {
        (!check_created || within(row.created(), plan.created))
            && (!check_modified || within(row.modified(), plan.modified))
            && include.as_ref().is_none_or(|s| s.contains(&row.id()))
            && !exclude.contains(&row.id())
            && plan.filter.is_none_or(|f| f(row))
    };
    let (start, limit) = (plan.start, plan.limit);
    // `orderby=include` without `include` falls back to the default date ordering.
    let sort = match &plan.sort {
        SortBy::Include if plan.include.is_empty() => &SortBy::Created,
        other => other,
    };

    // Orderings served by an index.
    let indexed = match sort {
        SortBy::Created => Some((table.by_created(), plan.created, plan.modified, false, true)),
        SortBy::Modified => Some((
            table.by_modified(),
            plan.modified,
            plan.created,
            true,
            false,
        )),
        _ => None,
    };
    if let Some((index, own, other, check_created, check_modified)) = indexed {
        let slice = range(index, own);
        let other_index = if check_created {
            table.by_created()
        } else {
            table.by_modified()
        };
        let other_slice = range(other_index, other);
        let simple =
            !bounded(other) && include.is_none() && exclude.is_empty() && plan.filter.is_none();
        if simple {
            let total = slice.len();
            let ids = if plan.desc {
                slice
                    .iter()
                    .rev()
                    .skip(start)
                    .take(limit)
                    .map(|(_, id)| *id)
                    .collect()
            } else {
                slice
                    .iter()
                    .skip(start)
                    .take(limit)
                    .map(|(_, id)| *id)
                    .collect()
            };
            return Page { total, ids };
        }
        if !(bounded(other) && other_slice.len() * 4 < slice.len()) {
            let rows = |it: &mut dyn Iterator<Item = &(i64, u64)>| -> Page {
                window(
                    it.filter_map(|(_, id)| table.get(*id))
                        .filter(|row| row_ok(row, check_created, check_modified))
                        .map(Record::id),
                    start,
                    limit,
                )
            };
            return if plan.desc {
                rows(&mut slice.iter().rev())
            } else {
                rows(&mut slice.iter())
            };
        }
        // The other date range is much narrower: sort its few candidates instead.
        let mut keyed: Vec<(i64, u64)> = other_slice
            .iter()
            .filter_map(|(_, id)| table.get(*id))
            .filter(|row| row_ok(row, true, true))
            .map(|row| {
                let key = if check_modified {
                    row.created()
                } else {
                    row.modified()
                };
                (key, row.id())
            })
            .collect();
        keyed.sort_unstable();
        return ordered_window(keyed.into_iter().map(|(_, id)| id), plan);
    }

    match sort {
        SortBy::Id => {
            let rows = table.rows();
            if include.is_none()
                && exclude.is_empty()
                && plan.filter.is_none()
                && !bounded(plan.created)
                && !bounded(plan.modified)
            {
                let ids: Vec<u64> = if plan.desc {
                    rows.iter()
                        .rev()
                        .skip(start)
                        .take(limit)
                        .map(Record::id)
                        .collect()
                } else {
                    rows.iter()
                        .skip(start)
                        .take(limit)
                        .map(Record::id)
                        .collect()
                };
                return Page {
                    total: rows.len(),
                    ids,
                };
            }
            let ok = |row: &&T| row_ok(row, true, true);
            if plan.desc {
                window(rows.iter().rev().filter(ok).map(Record::id), start, limit)
            } else {
                window(rows.iter().filter(ok).map(Record::id), start, limit)
            }
        }
        SortBy::Include => {
            let mut seen = HashSet::new();
            let ids = plan
                .include
                .iter()
                .filter(|id| seen.insert(**id))
                .filter_map(|id| table.get(*id))
                .filter(|row| row_ok(row, true, true))
                .map(Record::id);
            window(ids, start, limit)
        }
        SortBy::Key(key) => {
            let candidates: Box<dyn Iterator<Item = &T>> = if bounded(plan.modified) {
                Box::new(
                    range(table.by_modified(), plan.modified)
                        .iter()
                        .filter_map(|(_, id)| table.get(*id)),
                )
            } else if bounded(plan.created) {
                Box::new(
                    range(table.by_created(), plan.created)
                        .iter()
                        .filter_map(|(_, id)| table.get(*id)),
                )
            } else {
                Box::new(table.rows().iter())
            };
            let mut keyed: Vec<(SortKey, u64)> = candidates
                .filter(|row| row_ok(row, true, true))
                .map(|row| (key(row), row.id()))
                .collect();
            keyed.sort_unstable();
            ordered_window(keyed.into_iter().map(|(_, id)| id), plan)
        }
        SortBy::Created | SortBy::Modified => Page {
            total: 0,
            ids: Vec::new(),
        },
    }
}

/// Windows an ascending id sequence, reversing it first for `order=desc`.
fn ordered_window<T>(asc: impl DoubleEndedIterator<Item = u64>, plan: &Plan<'_, T>) -> Page {
    if plan.desc {
        window(asc.rev(), plan.start, plan.limit)
    } else {
        window(asc, plan.start, plan.limit)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[derive(Debug, Clone)]
    struct R(u64, i64, i64);
    impl Record for R {
        fn id(&self) -> u64 {
            self.0
        }
        fn created(&self) -> i64 {
            self.1
        }
        fn modified(&self) -> i64 {
            self.2
        }
    }

    fn table() -> Table<R> {
        // Ties on both dates, ids deliberately not in date order.
        Table::from_rows(vec![
            R(1, 10, 50),
            R(2, 10, 40),
            R(3, 20, 40),
            R(4, 5, 60),
            R(5, 30, 40),
            R(6, 30, 70),
        ])
    }

    fn plan<'a>(sort: SortBy<'a, R>, desc: bool) -> Plan<'a, R> {
        Plan {
            sort,
            desc,
            created: (None, None),
            modified: (None, None),
            include: &[],
            exclude: &[],
            filter: None,
            start: 0,
            limit: 100,
        }
    }

    #[test]
    fn ties_break_by_id_in_the_same_direction() {
        let t = table();
        assert_eq!(
            run(&t, &plan(SortBy::Modified, false)).ids,
            vec![2, 3, 5, 1, 4, 6]
        );
        assert_eq!(
            run(&t, &plan(SortBy::Modified, true)).ids,
            vec![6, 4, 1, 5, 3, 2]
        );
        assert_eq!(
            run(&t, &plan(SortBy::Created, false)).ids,
            vec![4, 1, 2, 3, 5, 6]
        );
    }

    #[test]
    fn date_bounds_are_strict_and_paths_agree() {
        let t = table();
        let mut p = plan(SortBy::Modified, false);
        p.modified = (Some(40), None);
        assert_eq!(
            run(&t, &p),
            Page {
                total: 3,
                ids: vec![1, 4, 6]
            }
        );
        p.modified = (Some(40), Some(70));
        assert_eq!(run(&t, &p).ids, vec![1, 4]);
        // The same filter through the created index (scan path and narrow-range path).
        let mut p = plan(SortBy::Created, false);
        p.modified = (Some(40), None);
        assert_eq!(run(&t, &p).ids, vec![4, 1, 6]);
        p.modified = (Some(60), None);
        assert_eq!(run(&t, &p).ids, vec![6]);
        let mut p = plan(SortBy::Id, true);
        p.modified = (Some(40), None);
        p.start = 1;
        p.limit = 1;
        assert_eq!(
            run(&t, &p),
            Page {
                total: 3,
                ids: vec![4]
            }
        );
    }

    #[test]
    fn windows_and_filters() {
        let t = table();
        let mut p = plan(SortBy::Modified, false);
        p.start = 4;
        p.limit = 4;
        assert_eq!(
            run(&t, &p),
            Page {
                total: 6,
                ids: vec![4, 6]
            }
        );
        let even = |r: &R| r.0.is_multiple_of(2);
        let mut p = plan(SortBy::Modified, true);
        p.filter = Some(&even);
        assert_eq!(run(&t, &p).ids, vec![6, 4, 2]);
        let key = |r: &R| SortKey::Int(-(r.0 as i64));
        let p = plan(SortBy::Key(&key), false);
        assert_eq!(run(&t, &p).ids, vec![6, 5, 4, 3, 2, 1]);
        let mut p = plan(SortBy::Include, true);
        p.include = &[5, 1, 9, 5];
        assert_eq!(run(&t, &p).ids, vec![5, 1]);
    }
}
