//! Magento's date format: `YYYY-MM-DD HH:MM:SS` in UTC, and the emulator's clock.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::woocommerce::format_wc;

/// Seconds since the epoch as Magento writes them (`2025-01-01 00:00:00`).
pub fn format_magento(secs: i64) -> String {
    format_wc(secs).replacen('T', " ", 1)
}

/// The wall clock in whole seconds.
pub fn now_secs() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_a_space() {
        assert_eq!(format_magento(1_735_689_601), "2025-01-01 00:00:01");
    }
}
