//! Instants as Connectif writes them (ISO 8601 UTC with milliseconds,
//! `2026-01-31T12:00:00.123Z`) and the check that a request value is an ISO 8601 date-time.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::woocommerce::{format_wc, parse_rest_date};

/// The wall clock as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn now_iso() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    format!("{}.{:03}Z", format_wc(secs), since.subsec_millis())
}

/// Whether `s` is an ISO 8601 date-time (`YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`).
pub(crate) fn is_date_time(s: &str) -> bool {
    parse_rest_date(s).is_some()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_checks() {
        let now = now_iso();
        assert!(now.ends_with('Z') && now.len() == 24, "{now}");
        assert!(is_date_time(&now));
        assert!(is_date_time("2025-01-02T03:04:05+02:00"));
        assert!(!is_date_time("yesterday"));
    }
}
