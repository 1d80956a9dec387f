//! Gap-free paging over Lightspeed's lists: a keyset on the id inside a fixed window of
//! modification times.
//!
//! # What the API offers
//!
//! Lists take `page`/`limit` (at most 250), `since_id` (only ids greater than it) and
//! `updated_at_min`/`updated_at_max` (inclusive, whole seconds). The reference names no
//! sort parameter and does not state the order; the lists come in ascending id (creation)
//! order, which is what `since_id` — the documented way to fetch what is new — relies on.
//! There is no way to sort by `updatedAt`, so a keyset over (updatedAt, id) is not possible
//! server-side. This module checks every page is in ascending id order and fails loudly if
//! it is not, rather than skipping records silently.
//!
//! # The cursor
//!
//! Page numbers shift when a record leaves the filtered list during a walk (modified out of
//! the window, or deleted), which would skip the record that slides onto a page already
//! read. So the walk never uses `page`: every request is `since_id=<last id returned>` with
//! the same bounds:
//! - `updated_at_min` = the `updated-since` asked for, floored to the second (inclusive);
//! - `updated_at_max` = the *snapshot*: the shop's clock (the `Date` header) at the first
//!   answer. A record modified during the walk gets a later `updatedAt` and leaves the
//!   window; records are also checked against the snapshot here, since the first request
//!   went out before it was known.
//!
//! Within a walk, ids only grow, so no record is returned twice, and every record whose
//! `updatedAt` lay in the window when the walk reached its id is returned. A record modified
//! during the walk is not returned by it, but its new `updatedAt` is after the snapshot, and
//! every record returned is at or before the snapshot, so the next incremental run (from the
//! newest `modified-at` seen, inclusive) finds it. New records come the same way.
//!
//! The walk ends at a page shorter than its `limit`.

use serde::{Deserialize, Serialize};

/// Where the next request starts. Serialised (short names) as the opaque `next-cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The listing: resource path (`orders`, `variants`) and parent product, so a cursor
    /// from another listing is refused.
    #[serde(rename = "r")]
    pub listing: String,
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<u64>,
    /// The last id returned (`since_id`).
    #[serde(rename = "a")]
    pub after_id: u64,
    /// `updated_at_min`, epoch seconds.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// `updated_at_max` (the snapshot), epoch seconds; unknown before the first answer.
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    #[serde(rename = "l")]
    pub limit: u32,
}

/// One listed record's position: (id, `updatedAt` in epoch seconds).
pub type Key = (u64, i64);

/// What to do with one answered page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Per record of the page: whether it belongs to this walk.
    pub keep: Vec<bool>,
    /// The next request, or `None` at the end.
    pub next: Option<Cursor>,
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, the form Lightspeed's date filters take.
pub fn format_filter(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| "1970-01-01 00:00:00".to_owned())
}

impl Cursor {
    /// The first request of a walk.
    pub fn first(listing: &str, parent: Option<u64>, min: Option<i64>, limit: u32) -> Self {
        Self {
            listing: listing.to_owned(),
            parent,
            after_id: 0,
            min,
            max: None,
            limit,
        }
    }

    /// The query parameters of this request (the parent filter is the caller's).
    pub fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = vec![("limit", self.limit.to_string())];
        if self.after_id > 0 {
            q.push(("since_id", self.after_id.to_string()));
        }
        if let Some(min) = self.min {
            q.push(("updated_at_min", format_filter(min)));
        }
        if let Some(max) = self.max {
            q.push(("updated_at_max", format_filter(max)));
        }
        q
    }

    /// Decides about an answered page: `keys` in the answer's order, `shop_now` the shop's
    /// clock at this answer (used as the snapshot when none is set yet). Errors when the page
    /// is not in ascending id order or goes back behind the cursor.
    pub fn advance(&self, keys: &[Key], shop_now: i64) -> Result<Step, String> {
        let snapshot = self.max.unwrap_or(shop_now);
        let mut last = self.after_id;
        for (id, _) in keys {
            if *id <= last {
                return Err(format!(
                    "Lightspeed listed id {id} after id {last}: the list is not in ascending id order, which this connector's paging relies on"
                ));
            }
            last = *id;
        }
        let keep = keys
            .iter()
            .map(|(_, updated)| *updated <= snapshot && self.min.is_none_or(|m| *updated >= m))
            .collect();
        let full = keys.len() >= self.limit as usize;
        let next = full.then(|| Self {
            after_id: last,
            max: Some(snapshot),
            ..self.clone()
        });
        Ok(Step { keep, next })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn walks_by_id_within_the_snapshot() {
        let first = Cursor::first("orders", None, Some(1_735_689_600), 2);
        assert_eq!(
            first.query(),
            vec![
                ("limit", "2".to_owned()),
                ("updated_at_min", "2025-01-01 00:00:00".to_owned())
            ]
        );
        // Record 4 was modified after the shop's clock at the first answer: left for the
        // next run.
        let step = first
            .advance(&[(3, 1_735_689_700), (4, 1_735_690_000)], 1_735_689_900)
            .unwrap();
        assert_eq!(step.keep, vec![true, false]);
        let next = step.next.unwrap();
        assert_eq!((next.after_id, next.max), (4, Some(1_735_689_900)));
        assert!(next.query().contains(&("since_id", "4".to_owned())));
        assert!(
            next.query()
                .contains(&("updated_at_max", "2025-01-01 00:05:00".to_owned()))
        );
        // The snapshot stays that of the first answer.
        let step = next.advance(&[(9, 1_735_689_650)], 1_735_699_999).unwrap();
        assert_eq!(step.keep, vec![true]);
        assert!(step.next.is_none(), "a short page ends the walk");
    }

    #[test]
    fn a_page_that_is_not_in_ascending_id_order_is_refused() {
        let c = Cursor::first("orders", None, None, 3);
        assert!(
            c.advance(&[(5, 0), (4, 0)], 10)
                .unwrap_err()
                .contains("ascending id order")
        );
        let c = Cursor { after_id: 7, ..c };
        assert!(c.advance(&[(7, 0)], 10).is_err(), "a repeat of the last id");
        // An empty page ends the walk.
        assert!(c.advance(&[], 10).unwrap().next.is_none());
    }

    #[test]
    fn cursors_round_trip() {
        let c = Cursor {
            after_id: 12,
            max: Some(5),
            ..Cursor::first("variants", Some(3), None, 250)
        };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Cursor>(&text).unwrap(), c);
    }
}
