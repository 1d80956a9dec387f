//! Lightspeed eCom's request limits: several fixed windows counted at once per API key
//! (by default 300 per 5 minutes, 3,000 per hour and 12,000 per day), reported on every
//! answer as slash-separated lists, shortest window first:
//!
//! ```text
//! X-RateLimit-Limit: 300/3000/12000
//! X-RateLimit-Remaining: 299/2999/11999
//! X-RateLimit-Reset: 300/3600/86400
//! ```
//!
//! `X-RateLimit-Reset` gives, per window, the seconds until that window starts over (the
//! clients seen read it as a number per window; whether Lightspeed sends seconds or a Unix
//! time is not stated, the emulator sends seconds and the connector accepts both). A
//! request that arrives while any window is spent is refused (429) and spends nothing; it is
//! counted in [`RateStats::rejected`] so tests can prove a client never went over budget.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One window: `requests` per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window's length.
    pub window: Duration,
}

impl RateWindow {
    /// `requests` per `secs` seconds.
    pub const fn per_secs(requests: u32, secs: u64) -> Self {
        Self {
            requests,
            window: Duration::from_secs(secs),
        }
    }
}

/// Lightspeed's published default: 300 per 5 minutes, 3,000 per hour, 12,000 per day.
pub fn default_windows() -> Vec<RateWindow> {
    vec![
        RateWindow::per_secs(300, 300),
        RateWindow::per_secs(3_000, 3_600),
        RateWindow::per_secs(12_000, 86_400),
    ]
}

/// What the limiter decided for one request, with the header values to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub allowed: bool,
    pub limit: String,
    pub remaining: String,
    pub reset: String,
}

/// Requests accepted and refused so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RateStats {
    /// Requests let through (and counted against every window).
    pub accepted: u64,
    /// Requests that arrived while a window was spent (answered 429).
    pub rejected: u64,
}

#[derive(Debug)]
struct Counter {
    config: RateWindow,
    started: Instant,
    used: u32,
}

impl Counter {
    fn roll(&mut self, now: Instant) {
        if now.duration_since(self.started) >= self.config.window {
            self.started = now;
            self.used = 0;
        }
    }

    fn reset_secs(&self, now: Instant) -> u64 {
        let left = self
            .config
            .window
            .saturating_sub(now.duration_since(self.started));
        // Round up: "0" while the window is still running would invite an immediate retry.
        left.as_secs() + u64::from(left.subsec_nanos() > 0)
    }
}

/// The windows of one API key.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    state: Mutex<(Vec<Counter>, RateStats)>,
}

fn joined(values: impl Iterator<Item = String>) -> String {
    values.collect::<Vec<_>>().join("/")
}

impl RateLimiter {
    pub(crate) fn new(windows: &[RateWindow]) -> Self {
        let now = Instant::now();
        let counters = windows
            .iter()
            .map(|w| Counter {
                config: *w,
                started: now,
                used: 0,
            })
            .collect();
        Self {
            state: Mutex::new((counters, RateStats::default())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<Counter>, RateStats)> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Spends one request from every window if all have room; otherwise refuses it.
    pub(crate) fn take(&self) -> Verdict {
        self.take_at(Instant::now())
    }

    fn take_at(&self, now: Instant) -> Verdict {
        let mut guard = self.lock();
        let (counters, stats) = &mut *guard;
        for c in counters.iter_mut() {
            c.roll(now);
        }
        let allowed = counters.iter().all(|c| c.used < c.config.requests);
        if allowed {
            for c in counters.iter_mut() {
                c.used += 1;
            }
            stats.accepted += 1;
        } else {
            stats.rejected += 1;
        }
        Verdict {
            allowed,
            limit: joined(counters.iter().map(|c| c.config.requests.to_string())),
            remaining: joined(
                counters
                    .iter()
                    .map(|c| c.config.requests.saturating_sub(c.used).to_string()),
            ),
            reset: joined(counters.iter().map(|c| c.reset_secs(now).to_string())),
        }
    }

    pub(crate) fn stats(&self) -> RateStats {
        self.lock().1
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_window_counts_and_the_first_spent_one_refuses() {
        let limiter =
            RateLimiter::new(&[RateWindow::per_secs(3, 10), RateWindow::per_secs(4, 100)]);
        let t0 = Instant::now();
        let first = limiter.take_at(t0);
        assert_eq!(
            (
                first.limit.as_str(),
                first.remaining.as_str(),
                first.reset.as_str()
            ),
            ("3/4", "2/3", "10/100")
        );
        limiter.take_at(t0);
        assert_eq!(limiter.take_at(t0).remaining, "0/1");
        let refused = limiter.take_at(t0 + Duration::from_millis(2_500));
        assert!(!refused.allowed);
        assert_eq!(refused.reset, "8/98", "rounded up to whole seconds");
        // The short window starts over; the long one still has one request left.
        let later = t0 + Duration::from_secs(10);
        assert!(limiter.take_at(later).allowed);
        let spent = limiter.take_at(later);
        assert!(!spent.allowed, "the hour-like window is spent now");
        assert_eq!(spent.remaining, "2/0");
        assert_eq!(
            limiter.stats(),
            RateStats {
                accepted: 4,
                rejected: 2
            }
        );
    }
}
