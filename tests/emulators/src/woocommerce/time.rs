//! Dates as WooCommerce shows and parses them, and the emulator's write clock.
//!
//! Internally every instant is a count of whole seconds since the Unix epoch (UTC). The
//! emulated shop's timezone is UTC, so `date_x` and `date_x_gmt` are always the same string,
//! and a `modified_after` without `dates_are_gmt=true` means the same instant as with it
//! (WooCommerce compares site-local columns in that case; for a UTC site they coincide).
//!
//! WooCommerce formats dates as `YYYY-MM-DDTHH:MM:SS` without a zone and parses request
//! dates with WordPress's `rest_parse_date`: `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH[:MM]]`.
//! Fractions are dropped (MySQL `DATETIME` has whole seconds) and an offset is converted to
//! UTC, which is what `WP_Date_Query` does for a UTC site.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// The fixed "now" of seeded data: 2025-01-01T00:00:00Z. Seeded records are created and
/// modified in the two years before it, so the data is identical whenever it is generated.
pub const REFERENCE_INSTANT: i64 = 1_735_689_600;

/// Two years of seconds (730 days), the span seeded dates are spread over.
pub(crate) const SEED_SPAN: i64 = 730 * 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a count of days since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// An instant shown the WooCommerce way (`2024-05-01T10:00:00`); serialises as that string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WcDate(pub i64);

impl fmt::Display for WcDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            (secs / 60) % 60,
            secs % 60
        )
    }
}

impl serde::Serialize for WcDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Formats seconds since the epoch as WooCommerce does (`YYYY-MM-DDTHH:MM:SS`, no zone).
pub fn format_wc(ts: i64) -> String {
    WcDate(ts).to_string()
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0')))
}

/// Parses a request date the way WordPress's `rest_parse_date` accepts it and returns whole
/// seconds since the epoch in UTC (fraction dropped, offset applied, no offset = UTC).
pub fn parse_rest_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = u32::try_from(digits(&b[5..7])?).ok()?;
    let day = u32::try_from(digits(&b[8..10])?).ok()?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        [] => 0,
        [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (h, m) = match tail {
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                [h1, h2, b':', m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                [h1, h2, m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let o = h * 3600 + m * 60;
            if *sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some(local - offset)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// The wall clock in whole seconds since the epoch.
pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The clock every write reads its `date_modified` from.
///
/// WooCommerce stores dates with whole seconds, so two writes within one second get the same
/// `date_modified` on a real shop, and a client that synced between them and then asks for
/// `modified_after=<that second>` never sees the second write. To keep incremental syncs
/// against the emulator exact, each write gets `max(now, previous write + 1s)`: every write is
/// strictly later than every earlier write (and than all seeded data), so a record written
/// after a client read any page always satisfies `modified_after=<max modified seen>`. The
/// price is that a burst of N writes within a second runs the clock up to N seconds ahead of
/// the wall clock; it catches up when writes slow down.
#[derive(Debug, Clone)]
pub(crate) struct WriteClock {
    last: i64,
}

impl WriteClock {
    /// A clock whose first tick is later than `floor` (the newest seeded date).
    pub(crate) fn new(floor: i64) -> Self {
        Self { last: floor }
    }

    /// The timestamp for the next write.
    pub(crate) fn tick(&mut self) -> i64 {
        self.last = now_secs().max(self.last + 1);
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_woocommerce() {
        assert_eq!(format_wc(REFERENCE_INSTANT), "2025-01-01T00:00:00");
        assert_eq!(format_wc(0), "1970-01-01T00:00:00");
        assert_eq!(format_wc(951_782_400 + 3661), "2000-02-29T01:01:01");
    }

    #[test]
    fn parses_rest_dates() {
        let t = REFERENCE_INSTANT;
        assert_eq!(parse_rest_date("2025-01-01T00:00:00"), Some(t));
        assert_eq!(parse_rest_date("2025-01-01 00:00:00"), Some(t));
        assert_eq!(parse_rest_date("2025-01-01T00:00:00Z"), Some(t));
        assert_eq!(parse_rest_date("2025-01-01T00:00:00.999Z"), Some(t));
        assert_eq!(parse_rest_date("2025-01-01T02:00:00+02:00"), Some(t));
        assert_eq!(parse_rest_date("2024-12-31T22:00:00-02"), Some(t));
        assert_eq!(parse_rest_date("2025-01-01"), None);
        assert_eq!(parse_rest_date("2025-02-30T00:00:00"), None);
        assert_eq!(parse_rest_date("2025-01-01T00:00:00 02:00"), None);
        assert_eq!(parse_rest_date("yesterday"), None);
        for ts in [0, 1, 86_399, REFERENCE_INSTANT - SEED_SPAN, 4_102_444_800] {
            assert_eq!(parse_rest_date(&format_wc(ts)), Some(ts));
        }
    }

    #[test]
    fn write_clock_is_strictly_increasing() {
        let mut c = WriteClock::new(now_secs() + 100);
        let a = c.tick();
        let b = c.tick();
        assert!(b > a);
    }
}
