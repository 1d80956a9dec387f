//! Connectif's request budget: a fixed window of `requests` per `window` for each API key
//! (100 per 60 s on the real service), announced on every answer with `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds when the window ends).
//!
//! Besides deciding, the budget keeps an independent audit: every request that was let
//! through and answered is tallied per key and window a second time, so a test can assert
//! that the emulator never *accepted* more than the budget, whatever the limiter decided.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// How many requests one key may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetConfig {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window's length.
    pub window: Duration,
}

impl Default for BudgetConfig {
    /// Connectif's documented limit: 100 requests per minute.
    fn default() -> Self {
        Self {
            requests: 100,
            window: Duration::from_secs(60),
        }
    }
}

/// The budget's answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// `X-RateLimit-Limit`.
    pub limit: u32,
    /// `X-RateLimit-Remaining` after this request.
    pub remaining: u32,
    /// `X-RateLimit-Reset`: epoch seconds at which the window ends (rounded up).
    pub reset_epoch_secs: u64,
    /// The window this request fell into (ids are never reused), for the audit.
    pub window_id: u64,
}

/// Counters tests read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BudgetStats {
    /// Requests with a known key that reached the budget.
    pub counted: u64,
    /// 429 answers served because the budget was spent.
    pub rejected: u64,
    /// Requests let through (and answered) while their window was already over budget,
    /// counted by the independent audit. Must stay 0.
    pub accepted_over_budget: u64,
    /// The most requests accepted in any one window of any key.
    pub max_accepted_in_window: u32,
}

#[derive(Debug)]
struct Window {
    id: u64,
    started: Instant,
    started_epoch_ms: u128,
    used: u32,
}

#[derive(Debug, Default)]
struct State {
    windows: HashMap<String, Window>,
    audit: HashMap<(String, u64), u32>,
    stats: BudgetStats,
    /// Window ids are never reused (not even after the budget is replaced), so the audit
    /// never merges two windows.
    next_window_id: u64,
}

/// The budget of every key of one emulator.
#[derive(Debug)]
pub(crate) struct Budget {
    config: Mutex<BudgetConfig>,
    state: Mutex<State>,
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

impl Budget {
    pub(crate) fn new(config: BudgetConfig) -> Self {
        Self {
            config: Mutex::new(config),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn config(&self) -> BudgetConfig {
        *self
            .config
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replaces the budget and forgets every window (counters are kept).
    pub(crate) fn set_config(&self, config: BudgetConfig) {
        *self
            .config
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = config;
        self.state().windows.clear();
    }

    /// Counts one request of `key` and decides whether it may proceed.
    pub(crate) fn take(&self, key: &str) -> Verdict {
        let config = self.config();
        let mut state = self.state();
        state.stats.counted += 1;
        let now = Instant::now();
        let window_ms = config.window.as_millis().max(1);
        let State {
            windows,
            next_window_id,
            ..
        } = &mut *state;
        let window = windows.entry(key.to_owned()).or_insert(Window {
            id: 0,
            started: now,
            started_epoch_ms: epoch_ms(),
            used: 0,
        });
        if window.id == 0 || now.duration_since(window.started) >= config.window {
            *next_window_id += 1;
            *window = Window {
                id: *next_window_id,
                started: now,
                started_epoch_ms: epoch_ms(),
                used: 0,
            };
        }
        let allowed = window.used < config.requests;
        if allowed {
            window.used += 1;
        }
        let end_ms = window.started_epoch_ms + window_ms;
        let verdict = Verdict {
            allowed,
            limit: config.requests,
            remaining: config.requests.saturating_sub(window.used),
            reset_epoch_secs: u64::try_from(end_ms.div_ceil(1000)).unwrap_or(u64::MAX),
            window_id: window.id,
        };
        if !allowed {
            state.stats.rejected += 1;
        }
        verdict
    }

    /// The audit: records that a request of `key` in `window_id` was answered normally.
    pub(crate) fn record_accepted(&self, key: &str, window_id: u64) {
        let limit = self.config().requests;
        let mut state = self.state();
        let count = state.audit.entry((key.to_owned(), window_id)).or_insert(0);
        *count += 1;
        let count = *count;
        if count > limit {
            state.stats.accepted_over_budget += 1;
        }
        state.stats.max_accepted_in_window = state.stats.max_accepted_in_window.max(count);
    }

    pub(crate) fn stats(&self) -> BudgetStats {
        self.state().stats
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn fixed_window_per_key() {
        let b = Budget::new(BudgetConfig {
            requests: 3,
            window: Duration::from_millis(200),
        });
        let verdicts: Vec<Verdict> = (0..5).map(|_| b.take("k")).collect();
        assert_eq!(
            verdicts.iter().map(|v| v.allowed).collect::<Vec<_>>(),
            [true, true, true, false, false]
        );
        assert_eq!(
            verdicts.iter().map(|v| v.remaining).collect::<Vec<_>>(),
            [2, 1, 0, 0, 0]
        );
        assert!(b.take("other").allowed, "keys have their own budgets");
        let now_secs = u64::try_from(epoch_ms() / 1000).unwrap();
        assert!(verdicts[0].reset_epoch_secs >= now_secs);
        assert!(verdicts[0].reset_epoch_secs <= now_secs + 2);
        std::thread::sleep(Duration::from_millis(220));
        let fresh = b.take("k");
        assert!(fresh.allowed);
        assert!(fresh.window_id > verdicts[0].window_id);
        let stats = b.stats();
        assert_eq!(stats.counted, 7);
        assert_eq!(stats.rejected, 2);
    }

    #[test]
    fn audit_flags_acceptance_over_budget() {
        let b = Budget::new(BudgetConfig {
            requests: 2,
            window: Duration::from_secs(60),
        });
        for _ in 0..2 {
            b.record_accepted("k", 0);
        }
        assert_eq!(b.stats().accepted_over_budget, 0);
        b.record_accepted("k", 0);
        assert_eq!(b.stats().accepted_over_budget, 1);
        assert_eq!(b.stats().max_accepted_in_window, 3);
    }
}
