//! Gap-free paging over Tryton's `search_read`, ordered by modification.
//!
//! # The ordering
//!
//! A record's modification time is `write_date`, except that Tryton leaves `write_date`
//! NULL until the first write, so for a record never written it is `create_date`. Tryton
//! cannot order by `coalesce(write_date, create_date)`, so a listing runs in two phases:
//!
//! 1. [`Phase::Created`]: records never written (`write_date = null`), by
//!    `(create_date, id)`;
//! 2. [`Phase::Written`]: records written at least once (`write_date != null`), by
//!    `(write_date, id)`.
//!
//! Each phase is a keyset: the cursor keeps the `(timestamp, id)` of the last record
//! returned, to the microsecond, and the next request asks for
//! `timestamp > t OR (timestamp = t AND id > id)`. No offsets, so nothing shifts under a
//! sync: a record modified while the listing runs leaves phase 1 (if it was there) or moves
//! to the end of phase 2, and is returned again, with its new data, when the listing gets
//! there. Nothing is skipped and nothing is returned twice unless it changed.
//!
//! `updated-since` ("at or after") becomes `timestamp >= since` in each phase, i.e. the
//! domain `['OR', write_date >= t, [write_date = null, create_date >= t]]` split in two. For
//! products the template's dates count too (the price lives on the template), so a product
//! whose template changed since `t` is listed even if the product row did not.
//!
//! Within one run records come in ascending modification order per phase; phase 2 may start
//! earlier in time than phase 1 ended. The host's high-water mark is the newest record of a
//! completed run, so this does not lose anything between runs.

use junction_sdk::types::ConnectorError;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::codec::TrytonDateTime;

/// Which part of the listing a cursor is in (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Never written: `write_date` is null; ordered by `create_date`.
    #[serde(rename = "c")]
    Created,
    /// Written at least once; ordered by `write_date`.
    #[serde(rename = "w")]
    Written,
}

impl Phase {
    /// The field this phase orders and pages by.
    pub fn date_field(self) -> &'static str {
        match self {
            Phase::Created => "create_date",
            Phase::Written => "write_date",
        }
    }
}

/// A record's position within its phase.
pub type Key = (TrytonDateTime, i64);

/// Where the next page starts. Serialised as the opaque `next-cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Format version.
    #[serde(rename = "v")]
    pub version: u8,
    /// The listing this cursor belongs to (`orders`, `customers`, `products`).
    #[serde(rename = "r")]
    pub listing: String,
    #[serde(rename = "p")]
    pub phase: Phase,
    /// The last record returned in this phase: (`YYYYMMDDHHMMSSffffff`, id).
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<(String, i64)>,
    /// `updated-since` of the listing, RFC 3339.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

/// The cursor format version written by this connector.
pub const CURSOR_VERSION: u8 = 1;

impl Cursor {
    /// A listing's first position.
    pub fn start(listing: &str, since: Option<String>) -> Self {
        Self {
            version: CURSOR_VERSION,
            listing: listing.to_owned(),
            phase: Phase::Created,
            key: None,
            since,
        }
    }

    /// Reads a cursor handed back by the host, checking it belongs to `listing`.
    pub fn decode(cursor: &str, listing: &str) -> Result<Self, ConnectorError> {
        let decoded: Self = junction_sdk::paging::decode_cursor(cursor)?;
        if decoded.version != CURSOR_VERSION {
            return Err(ConnectorError::invalid_request(format!(
                "cursor version {} is not supported (expected {CURSOR_VERSION})",
                decoded.version
            )));
        }
        if decoded.listing != listing {
            return Err(ConnectorError::invalid_request(format!(
                "the cursor belongs to the {} listing, not {listing}",
                decoded.listing
            )));
        }
        decoded.parsed_key()?;
        Ok(decoded)
    }

    /// The key as timestamps.
    pub fn parsed_key(&self) -> Result<Option<Key>, ConnectorError> {
        self.key
            .as_ref()
            .map(|(t, id)| {
                TrytonDateTime::from_key(t)
                    .map(|t| (t, *id))
                    .map_err(|e| ConnectorError::invalid_request(format!("cursor: {e}")))
            })
            .transpose()
    }

    /// The same listing, positioned after `key`.
    pub fn after(&self, key: Key) -> Self {
        Self {
            key: Some((key.0.to_key(), key.1)),
            ..self.clone()
        }
    }

    /// The start of phase 2 of the same listing.
    pub fn written_phase(&self) -> Self {
        Self {
            phase: Phase::Written,
            key: None,
            ..self.clone()
        }
    }
}

/// The `search_read` domain of one phase: the phase's own condition, `updated-since`
/// (`since_also` are further date fields that count as a modification, e.g. a product's
/// template dates), and the keyset condition.
pub fn domain(
    phase: Phase,
    since: Option<TrytonDateTime>,
    since_also: &[&str],
    after: Option<Key>,
) -> Value {
    let field = phase.date_field();
    let mut clauses = vec![match phase {
        Phase::Created => json!(["write_date", "=", null]),
        Phase::Written => json!(["write_date", "!=", null]),
    }];
    if let Some(since) = since {
        let t = since.to_json();
        let mut any = vec![json!("OR"), json!([field, ">=", t])];
        any.extend(since_also.iter().map(|f| json!([f, ">=", t])));
        clauses.push(if any.len() == 2 {
            any.swap_remove(1)
        } else {
            Value::Array(any)
        });
    }
    if let Some((t, id)) = after {
        let t = t.to_json();
        clauses.push(json!([
            "OR",
            [field, ">", t],
            [[field, "=", t], ["id", ">", id]]
        ]));
    }
    Value::Array(clauses)
}

/// The `search_read` order of one phase.
pub fn order(phase: Phase) -> Value {
    json!([[phase.date_field(), "ASC"], ["id", "ASC"]])
}

/// The paging key of a record read in `phase` (it must carry `id`, `create_date` and
/// `write_date`).
pub fn record_key(
    phase: Phase,
    record: &serde_json::Map<String, Value>,
) -> Result<Key, ConnectorError> {
    let id = record
        .get("id")
        .and_then(Value::as_i64)
        .ok_or_else(|| ConnectorError::upstream(200, "a record without an integer id"))?;
    let stamp = TrytonDateTime::from_json_opt(record.get(phase.date_field()))
        .map_err(|e| ConnectorError::upstream(200, format!("record {id}: {e}")))?
        .ok_or_else(|| {
            ConnectorError::upstream(
                200,
                format!(
                    "record {id} has no {} in phase {phase:?}",
                    phase.date_field()
                ),
            )
        })?;
    Ok((stamp, id))
}

/// What a fetched window of one phase means for the page: how many records to keep and
/// where to go next. `fetched` is the number received for a request of `limit + 1`
/// records (the extra one only tells whether more follow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// More records in this phase: keep `limit`, continue after the last kept.
    SamePhase,
    /// This phase is exhausted: keep all, continue with the next phase (or end).
    PhaseDone,
}

/// Decides [`Next`] for a window.
pub fn next(fetched: usize, limit: usize) -> Next {
    if fetched > limit {
        Next::SamePhase
    } else {
        Next::PhaseDone
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn t(second: u8, microsecond: u32) -> TrytonDateTime {
        TrytonDateTime {
            year: 2026,
            month: 11,
            day: 23,
            hour: 20,
            minute: 0,
            second,
            microsecond,
        }
    }

    #[test]
    fn cursor_round_trips_and_checks_its_listing() {
        let c = Cursor::start("orders", Some("2026-01-01T00:00:00Z".into())).after((t(3, 7), 42));
        let encoded = junction_sdk::paging::encode_cursor(&c).unwrap();
        let back = Cursor::decode(&encoded, "orders").unwrap();
        assert_eq!(back, c);
        assert_eq!(back.parsed_key().unwrap(), Some((t(3, 7), 42)));
        assert!(matches!(
            Cursor::decode(&encoded, "products"),
            Err(ConnectorError::InvalidRequest(_))
        ));
        assert!(matches!(
            Cursor::decode("not a cursor", "orders"),
            Err(ConnectorError::InvalidRequest(_))
        ));
        let w = c.written_phase();
        assert_eq!((w.phase, w.key.clone()), (Phase::Written, None));
        assert_eq!(w.since, c.since);
    }

    #[test]
    fn first_phase_domain_is_never_written_records_since_t() {
        let d = domain(Phase::Created, Some(t(1, 0)), &[], None);
        assert_eq!(d[0], json!(["write_date", "=", null]));
        assert_eq!(d[1][0], "create_date");
        assert_eq!(d[1][1], ">=");
        assert_eq!(d.as_array().unwrap().len(), 2);
    }

    #[test]
    fn keyset_condition_breaks_ties_by_id() {
        let d = domain(Phase::Written, None, &[], Some((t(2, 5), 9)));
        assert_eq!(d[0], json!(["write_date", "!=", null]));
        let keyset = &d[1];
        assert_eq!(keyset[0], "OR");
        assert_eq!(keyset[1][0], "write_date");
        assert_eq!(keyset[1][1], ">");
        assert_eq!(keyset[1][2]["microsecond"], 5);
        assert_eq!(keyset[2][0][1], "=");
        assert_eq!(keyset[2][1], json!(["id", ">", 9]));
        assert_eq!(
            order(Phase::Written),
            json!([["write_date", "ASC"], ["id", "ASC"]])
        );
    }

    #[test]
    fn extra_since_fields_are_alternatives() {
        let d = domain(
            Phase::Written,
            Some(t(1, 0)),
            &["template.write_date", "template.create_date"],
            None,
        );
        let since = &d[1];
        assert_eq!(since[0], "OR");
        assert_eq!(since[1][0], "write_date");
        assert_eq!(since[2][0], "template.write_date");
        assert_eq!(since[3][0], "template.create_date");
    }

    #[test]
    fn record_keys_come_from_the_phase_field() {
        let record: serde_json::Map<String, Value> = serde_json::from_value(json!({
            "id": 5, "create_date": t(1, 0).to_json(), "write_date": null
        }))
        .unwrap();
        assert_eq!(record_key(Phase::Created, &record).unwrap(), (t(1, 0), 5));
        assert!(record_key(Phase::Written, &record).is_err());
    }

    #[test]
    fn a_full_window_means_more_in_the_phase() {
        assert_eq!(next(11, 10), Next::SamePhase);
        assert_eq!(next(10, 10), Next::PhaseDone);
        assert_eq!(next(0, 10), Next::PhaseDone);
    }
}
