//! Lightspeed eCom's request limits, read from its answers.
//!
//! Lightspeed counts requests per API key in several windows at once (300 per 5 minutes,
//! 3,000 per hour, 12,000 per day by default) and reports all of them on every answer, one
//! value per window, shortest window first, separated by `/`:
//!
//! ```text
//! X-RateLimit-Limit: 300/3000/12000
//! X-RateLimit-Remaining: 12/2712/11712
//! X-RateLimit-Reset: 141/2941/84541
//! ```
//!
//! (the format Lightspeed's PHP clients split on `/`; `,` is accepted too). A reset value is
//! the seconds until that window starts over; one that looks like a Unix time (after 2001)
//! is taken as the instant of the reset.
//!
//! [`RateState`] is the parsed state, plain data the host can take over to pace requests.
//! [`RateState::exhausted`] says whether a request sent now would be refused and for how
//! long: the longest reset among the spent windows, since every spent window must start
//! over before Lightspeed accepts anything.

use junction_sdk::http::Headers;
use junction_sdk::types::ConnectorError;

/// Reset values above this are Unix times, not durations (2001-09-09).
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

/// One window's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Requests allowed per window.
    pub limit: u64,
    /// Requests left in the current window.
    pub remaining: u64,
    /// Seconds until the window starts over.
    pub reset_secs: u64,
}

/// Every window of one answer, shortest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateState {
    pub windows: Vec<Window>,
}

fn numbers(value: &str) -> Option<Vec<u64>> {
    value
        .split(['/', ','])
        .map(|part| part.trim().parse::<u64>().ok())
        .collect()
}

impl RateState {
    /// The windows an answer reports, or `None` when it carries no (or unreadable, or
    /// mismatched) `X-RateLimit-*` headers. `now_epoch` turns a Unix-time reset into a wait.
    pub fn from_headers(headers: &Headers, now_epoch: i64) -> Option<Self> {
        let limits = numbers(headers.get("x-ratelimit-limit")?)?;
        let remaining = numbers(headers.get("x-ratelimit-remaining")?)?;
        let resets = numbers(headers.get("x-ratelimit-reset")?)?;
        if limits.is_empty() || limits.len() != remaining.len() || limits.len() != resets.len() {
            return None;
        }
        let now = u64::try_from(now_epoch).unwrap_or(0);
        let windows = limits
            .into_iter()
            .zip(remaining)
            .zip(resets)
            .map(|((limit, remaining), reset)| Window {
                limit,
                remaining,
                reset_secs: if reset > EPOCH_THRESHOLD {
                    reset.saturating_sub(now)
                } else {
                    reset
                },
            })
            .collect();
        Some(Self { windows })
    }

    /// How long to wait before the next request, in seconds, when a window is spent; `None`
    /// while every window has requests left.
    pub fn exhausted(&self) -> Option<u64> {
        self.windows
            .iter()
            .filter(|w| w.remaining == 0)
            .map(|w| w.reset_secs.max(1))
            .max()
    }

    /// The windows as header-like text, `remaining/limit` and reset seconds per window
    /// (`299/300 in 300s, 2999/3000 in 3600s`), for logs and messages.
    pub fn describe(&self) -> String {
        self.windows
            .iter()
            .map(|w| format!("{}/{} in {}s", w.remaining, w.limit, w.reset_secs))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The SDK's `rate-limited` error for a spent window, naming it.
    pub fn error(&self) -> Option<ConnectorError> {
        let wait = self.exhausted()?;
        let spent: Vec<String> = self
            .windows
            .iter()
            .filter(|w| w.remaining == 0)
            .map(|w| format!("{} requests (resets in {} s)", w.limit, w.reset_secs))
            .collect();
        Some(ConnectorError::rate_limited(
            wait.saturating_mul(1_000),
            format!("Lightspeed request limit spent: {}", spent.join(", ")),
        ))
    }
}

/// The rate-limited error an answer means, if any: a 429 whose headers show a spent window
/// waits until that window resets. `None` for a 429 without readable windows (the SDK's
/// status mapping then uses `Retry-After`) and for any other status.
pub fn refused(status: u16, state: Option<&RateState>) -> Option<ConnectorError> {
    if status == 429 {
        state.and_then(RateState::error)
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn headers(limit: &str, remaining: &str, reset: &str) -> Headers {
        Headers::from_pairs([
            ("X-RateLimit-Limit", limit),
            ("X-RateLimit-Remaining", remaining),
            ("X-RateLimit-Reset", reset),
        ])
    }

    fn wait_ms(e: ConnectorError) -> u64 {
        match e {
            ConnectorError::RateLimited(info) => info.retry_after_ms,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_every_window() {
        let s = RateState::from_headers(
            &headers("300/3000/12000", "12/2712/11712", "141/2941/84541"),
            0,
        )
        .unwrap();
        assert_eq!(s.windows.len(), 3);
        assert_eq!(
            s.windows[1],
            Window {
                limit: 3000,
                remaining: 2712,
                reset_secs: 2941
            }
        );
        assert_eq!(s.exhausted(), None);
        assert!(refused(200, Some(&s)).is_none());
        assert_eq!(
            s.describe(),
            "12/300 in 141s, 2712/3000 in 2941s, 11712/12000 in 84541s"
        );
        let commas = RateState::from_headers(&headers("300, 3000", "1, 2", "5, 60"), 0).unwrap();
        assert_eq!(commas.windows.len(), 2);
    }

    #[test]
    fn the_longest_spent_window_decides_the_wait() {
        let s =
            RateState::from_headers(&headers("300/3000/12000", "0/0/11000", "40/1800/80000"), 0)
                .unwrap();
        assert_eq!(s.exhausted(), Some(1800));
        let e = refused(429, Some(&s)).unwrap();
        assert_eq!(wait_ms(e.clone()), 1_800_000);
        assert!(
            matches!(&e, ConnectorError::RateLimited(i) if i.message.contains("3000 requests"))
        );
        // Only the hour is spent: the five-minute window's reset does not matter.
        let s = RateState::from_headers(&headers("300/3000", "10/0", "40/900"), 0).unwrap();
        assert_eq!(wait_ms(s.error().unwrap()), 900_000);
        // A reset of zero still waits a second rather than hammering.
        let s = RateState::from_headers(&headers("3", "0", "0"), 0).unwrap();
        assert_eq!(s.exhausted(), Some(1));
    }

    #[test]
    fn unix_time_resets_become_waits_and_bad_headers_are_ignored() {
        let now = 1_765_000_000;
        let s = RateState::from_headers(&headers("300", "0", "1765000090"), now).unwrap();
        assert_eq!(s.exhausted(), Some(90));
        for (l, r, t) in [("300/3000", "1", "5/6"), ("300", "x", "5"), ("", "", "")] {
            assert!(
                RateState::from_headers(&headers(l, r, t), now).is_none(),
                "{l} {r} {t}"
            );
        }
        assert!(RateState::from_headers(&Headers::new(), now).is_none());
        // A 429 without windows is left to the SDK (Retry-After).
        assert!(refused(429, None).is_none());
    }
}
