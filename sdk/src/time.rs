//! Timestamps the way the contract wants them: RFC 3339 in UTC with a `Z`
//! (`2026-01-31T12:00:00Z`).
//!
//! External systems write instants in many shapes. [`parse_utc`] accepts RFC 3339 with `Z` or
//! an offset, and also a date-time without a zone, which it reads as UTC (WooCommerce's
//! `*_gmt` fields look like `2017-03-22T16:28:02`; MySQL-style `2017-03-22 16:28:02` is taken
//! too). [`normalize_utc`] turns any of them into the canonical string. [`format_naive_utc`]
//! goes the other way for APIs that want a zone-less UTC date-time in queries.

use std::cmp::Ordering;

use jiff::{SignedDuration, Timestamp, civil, tz::TimeZone};

use crate::types::ConnectorError;

/// A timestamp that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp {input:?}: {reason}")]
pub struct TimeError {
    /// The text that was given.
    pub input: String,
    /// Why it was refused.
    pub reason: String,
}

impl TimeError {
    /// This error as an `upstream` error (a timestamp from the external system).
    pub fn into_upstream(self, status: u16) -> ConnectorError {
        ConnectorError::upstream(status, self.to_string())
    }
}

/// The current instant (from the wall clock the host provides).
pub fn now() -> Timestamp {
    Timestamp::now()
}

/// Parses RFC 3339 (`Z` or an offset), or a date-time without zone taken as UTC. `T`, `t` or
/// a space may separate date and time; fractional seconds are kept.
pub fn parse_utc(input: &str) -> Result<Timestamp, TimeError> {
    let s = input.trim();
    let err = |reason: String| TimeError {
        input: input.to_owned(),
        reason,
    };
    if s.is_empty() {
        return Err(err("empty".into()));
    }
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
        return Err(err(
            "expected a date and a time, e.g. 2026-01-31T12:00:00Z".into()
        ));
    }
    if has_zone(s) {
        // jiff wants `T`; accept the space form of RFC 3339 too.
        let fixed;
        let s = if s.as_bytes().get(10) == Some(&b' ') {
            fixed = format!("{}T{}", &s[..10], &s[11..]);
            fixed.as_str()
        } else {
            s
        };
        return s.parse::<Timestamp>().map_err(|e| err(e.to_string()));
    }
    let dt: civil::DateTime = s.parse().map_err(|e: jiff::Error| err(e.to_string()))?;
    TimeZone::UTC
        .to_timestamp(dt)
        .map_err(|e| err(e.to_string()))
}

/// Whether the string ends in a zone designator (`Z` or `±HH:MM`/`±HHMM`/`±HH`) after the
/// time part.
fn has_zone(s: &str) -> bool {
    let Some(time) = s.get(11..) else {
        return false;
    };
    time.ends_with(['Z', 'z']) || time.contains(['+', '-'])
}

/// The canonical form: `YYYY-MM-DDTHH:MM:SSZ`, with a fraction only when it is not zero.
pub fn format_utc(ts: Timestamp) -> String {
    ts.to_string()
}

/// Any form [`parse_utc`] takes, as the canonical UTC string.
pub fn normalize_utc(input: &str) -> Result<String, TimeError> {
    parse_utc(input).map(format_utc)
}

/// Like [`normalize_utc`] for optional fields: `None`, empty strings and MySQL's zero date
/// (`0000-00-00 00:00:00`) give `Ok(None)`.
pub fn normalize_utc_opt(input: Option<&str>) -> Result<Option<String>, TimeError> {
    match input.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.starts_with("0000-00-00") => Ok(None),
        Some(s) => normalize_utc(s).map(Some),
    }
}

/// A zone-less UTC date-time with whole seconds, `YYYY-MM-DDTHH:MM:SS` (the fraction is
/// dropped), as WooCommerce takes it with `dates_are_gmt=true`.
pub fn format_naive_utc(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `ts` minus `seconds` (saturating at the earliest representable instant).
pub fn minus_seconds(ts: Timestamp, seconds: i64) -> Timestamp {
    ts.checked_sub(SignedDuration::from_secs(seconds))
        .unwrap_or(Timestamp::MIN)
}

/// `ts` with its fraction of a second dropped (rounded down).
pub fn floor_second(ts: Timestamp) -> Timestamp {
    Timestamp::from_second(ts.as_second()).unwrap_or(ts)
}

/// Compares two timestamps in any form [`parse_utc`] takes.
pub fn compare(a: &str, b: &str) -> Result<Ordering, TimeError> {
    Ok(parse_utc(a)?.cmp(&parse_utc(b)?))
}

/// Seconds since the Unix epoch of a timestamp in any form [`parse_utc`] takes.
pub fn epoch_seconds(input: &str) -> Result<i64, TimeError> {
    parse_utc(input).map(|t| t.as_second())
}

/// The canonical string of whole seconds since the Unix epoch.
pub fn from_epoch_seconds(secs: i64) -> Result<String, TimeError> {
    Timestamp::from_second(secs)
        .map(format_utc)
        .map_err(|e| TimeError {
            input: secs.to_string(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_common_forms() {
        let n = |s: &str| normalize_utc(s).unwrap();
        assert_eq!(n("2017-03-22T16:28:02"), "2017-03-22T16:28:02Z");
        assert_eq!(n("2017-03-22 16:28:02"), "2017-03-22T16:28:02Z");
        assert_eq!(n("2017-03-22T16:28:02Z"), "2017-03-22T16:28:02Z");
        assert_eq!(n("2017-03-22T18:28:02+02:00"), "2017-03-22T16:28:02Z");
        assert_eq!(n("2017-03-22T11:28:02-05:00"), "2017-03-22T16:28:02Z");
        assert_eq!(n("2017-03-22 18:28:02+02:00"), "2017-03-22T16:28:02Z");
        assert_eq!(n("2017-03-22T16:28:02.500Z"), "2017-03-22T16:28:02.5Z");
        assert_eq!(n(" 2017-03-22t16:28:02z "), "2017-03-22T16:28:02Z");
        for bad in [
            "",
            "abc",
            "2017-02-30T00:00:00",
            "2017-03-22",
            "2017-03-22T25:00:00",
        ] {
            assert!(normalize_utc(bad).is_err(), "{bad}");
        }
        assert_eq!(normalize_utc_opt(None).unwrap(), None);
        assert_eq!(normalize_utc_opt(Some("")).unwrap(), None);
        assert_eq!(
            normalize_utc_opt(Some("0000-00-00 00:00:00")).unwrap(),
            None
        );
        assert_eq!(
            normalize_utc_opt(Some("2020-01-01T00:00:00"))
                .unwrap()
                .as_deref(),
            Some("2020-01-01T00:00:00Z")
        );
    }

    #[test]
    fn arithmetic_and_formats() {
        let t = parse_utc("2025-01-01T00:00:00.75Z").unwrap();
        assert_eq!(format_naive_utc(t), "2025-01-01T00:00:00");
        assert_eq!(format_naive_utc(minus_seconds(t, 1)), "2024-12-31T23:59:59");
        assert_eq!(format_utc(floor_second(t)), "2025-01-01T00:00:00Z");
        assert_eq!(
            compare("2025-01-01T00:00:00Z", "2025-01-01T01:00:00+02:00").unwrap(),
            Ordering::Greater
        );
        assert_eq!(epoch_seconds("1970-01-01T00:01:00").unwrap(), 60);
        assert_eq!(from_epoch_seconds(60).unwrap(), "1970-01-01T00:01:00Z");
        assert_eq!(minus_seconds(Timestamp::MIN, 5), Timestamp::MIN);
    }
}
