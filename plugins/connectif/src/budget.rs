//! Connectif's request budget as its answers announce it (`X-RateLimit-Limit`,
//! `X-RateLimit-Remaining`, `X-RateLimit-Reset` in epoch seconds), and the decisions taken
//! from it: a call that has spent the budget does not send another request (it returns
//! `rate-limited` with the wait until the reset instead of collecting a 429), and a
//! multi-step write does not start a step it cannot finish.

use jiff::Timestamp;
use junction_sdk::error::DEFAULT_RETRY_AFTER_MS;
use junction_sdk::http::Headers;
use junction_sdk::types::ConnectorError;

/// The budget one answer announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateInfo {
    pub limit: Option<u64>,
    pub remaining: u64,
    /// Epoch seconds at which the window resets.
    pub reset_epoch_secs: Option<i64>,
}

impl RateInfo {
    /// The budget in an answer's headers; `None` when it carries no `X-RateLimit-Remaining`.
    pub fn from_headers(headers: &Headers) -> Option<Self> {
        let remaining = headers.get("x-ratelimit-remaining")?.parse().ok()?;
        Some(Self {
            limit: headers
                .get("x-ratelimit-limit")
                .and_then(|v| v.parse().ok()),
            remaining,
            reset_epoch_secs: headers
                .get("x-ratelimit-reset")
                .and_then(|v| v.parse().ok()),
        })
    }

    /// Milliseconds from `now` until the window resets (at least
    /// [`DEFAULT_RETRY_AFTER_MS`], so a retry never comes too early).
    pub fn wait_ms(&self, now: Timestamp) -> u64 {
        let Some(reset) = self.reset_epoch_secs else {
            return DEFAULT_RETRY_AFTER_MS;
        };
        let ms = reset
            .saturating_mul(1000)
            .saturating_sub(now.as_millisecond());
        u64::try_from(ms).unwrap_or(0).max(DEFAULT_RETRY_AFTER_MS)
    }

    /// Whether fewer than `needed` requests are left.
    pub fn short_of(&self, needed: u64) -> bool {
        self.remaining < needed
    }

    /// The `rate-limited` error for a call that stops because the budget is spent.
    pub fn exhausted(&self, now: Timestamp, doing: &str) -> ConnectorError {
        ConnectorError::rate_limited(
            self.wait_ms(now),
            format!(
                "Connectif request budget spent ({} of {} left) before {doing}; not sent, retry after the reset",
                self.remaining,
                self.limit.map_or_else(|| "?".to_owned(), |l| l.to_string())
            ),
        )
    }

    /// Whether the remaining budget is low enough to warn about (10% or less).
    pub fn is_low(&self) -> bool {
        match self.limit {
            Some(limit) if limit > 0 => self.remaining * 10 <= limit,
            _ => self.remaining == 0,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2025-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn reads_headers_and_computes_waits() {
        let reset = (now().as_second() + 42).to_string();
        let h = Headers::from_pairs([
            ("X-RateLimit-Limit", "100"),
            ("X-RateLimit-Remaining", "7"),
            ("X-RateLimit-Reset", reset.as_str()),
        ]);
        let info = RateInfo::from_headers(&h).unwrap();
        assert_eq!(info.limit, Some(100));
        assert_eq!(info.remaining, 7);
        assert_eq!(info.wait_ms(now()), 42_000);
        assert!(info.is_low());
        assert!(!info.short_of(7));
        assert!(info.short_of(8));
        match info.exhausted(now(), "the next request") {
            ConnectorError::RateLimited(r) => {
                assert_eq!(r.retry_after_ms, 42_000);
                assert!(r.message.contains("7 of 100"), "{}", r.message);
            }
            other => panic!("{other:?}"),
        }
        // A reset already past still waits a little.
        let past = RateInfo {
            limit: Some(100),
            remaining: 0,
            reset_epoch_secs: Some(now().as_second() - 5),
        };
        assert_eq!(past.wait_ms(now()), DEFAULT_RETRY_AFTER_MS);
        assert!(RateInfo::from_headers(&Headers::new()).is_none());
        let plenty = RateInfo {
            limit: Some(100),
            remaining: 50,
            reset_epoch_secs: None,
        };
        assert!(!plenty.is_low());
    }
}
