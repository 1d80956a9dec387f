//! Connectif's request budget: a fixed window of `requests` per `window` for each API key
//! (100 per 60 s on the real service), announced on every answer with `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds when the window ends).
//!
//! Besides deciding, the budget keeps an independent audit: every request that was let
//! through and answered is tallied per key and window a second time, so a test can assert
//! that the emulator never *accepted* more than the budget, whatever the limiter decided.
//!
//! A second audit checks the *client*: every 429 (the budget's, or one injected by a
//! `rate_limited` fault) tells the key when it may come back, in `X-RateLimit-Reset`; each
//! API request of that key that arrives before that instant is counted in
//! [`BudgetStats::early_after_429`], whatever it is answered (usually another 429).
//! `X-RateLimit-Reset` names a whole epoch second, so the announced instant is the *start*
//! of that second: a request is early only if it arrives strictly before
//! `X-RateLimit-Reset * 1000` ms. Injected 429s announce `floor(now) + retry_after_secs`,
//! never later than `now + Retry-After`, so a client honouring either header is never
//! flagged. Of several 429s the latest instant counts (a 429 answering an early request
//! cannot shorten the wait announced before). Arrival is when the request reaches the
//! emulator: a request already in flight when a concurrent one got its 429 counts too, so
//! audit clients that send one request per key at a time.

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
    /// 429 answers served by an injected `rate_limited` fault (not counted in `rejected`).
    pub injected_rejected: u64,
    /// API requests that arrived before the instant a previous 429 to their key named in
    /// `X-RateLimit-Reset` (see the module docs for the one-second granularity), whatever
    /// they were answered. Must stay 0 for a client that honours 429s.
    pub early_after_429: u64,
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
    /// Per key, the latest `X-RateLimit-Reset` (epoch seconds) a 429 announced to it.
    come_back_at: HashMap<String, u64>,
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

impl State {
    /// Remembers that a 429 told `key` to come back at the start of epoch second `reset`.
    fn announce_reset(&mut self, key: &str, reset: u64) {
        let at = self.come_back_at.entry(key.to_owned()).or_insert(0);
        *at = (*at).max(reset);
    }
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
            state.announce_reset(key, verdict.reset_epoch_secs);
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

    /// The client audit, on arrival of an API request of `key`: counts it in
    /// `early_after_429` when it comes before the last announced reset; whether it did.
    pub(crate) fn audit_arrival(&self, key: &str) -> bool {
        self.audit_arrival_at(key, epoch_ms())
    }

    fn audit_arrival_at(&self, key: &str, now_ms: u128) -> bool {
        let mut state = self.state();
        let early = state
            .come_back_at
            .get(key)
            .is_some_and(|&reset| now_ms < u128::from(reset) * 1000);
        if early {
            state.stats.early_after_429 += 1;
        }
        early
    }

    /// An injected 429 for `key` (`None`: the request had no API key) telling it to retry
    /// after `retry_after_secs`: counts it, remembers the announced reset and returns it
    /// (epoch seconds, `floor(now) + retry_after_secs`).
    pub(crate) fn injected_rejection(&self, key: Option<&str>, retry_after_secs: u64) -> u64 {
        self.injected_rejection_at(key, retry_after_secs, epoch_ms())
    }

    fn injected_rejection_at(&self, key: Option<&str>, retry_after_secs: u64, now_ms: u128) -> u64 {
        let now_secs = u64::try_from(now_ms / 1000).unwrap_or(u64::MAX);
        let reset = now_secs.saturating_add(retry_after_secs);
        let mut state = self.state();
        state.stats.injected_rejected += 1;
        if let Some(key) = key {
            state.announce_reset(key, reset);
        }
        reset
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

    #[test]
    fn budget_429_announces_a_reset_and_earlier_arrivals_are_counted() {
        let b = Budget::new(BudgetConfig {
            requests: 1,
            window: Duration::from_secs(60),
        });
        assert!(!b.audit_arrival("k"), "no 429 yet");
        assert!(b.take("k").allowed);
        assert!(
            !b.audit_arrival("k"),
            "a 200 with remaining 0 announces no wait"
        );
        let refused = b.take("k");
        assert!(!refused.allowed);
        let reset_ms = u128::from(refused.reset_epoch_secs) * 1000;
        assert!(b.audit_arrival("k"), "well before the reset");
        assert!(b.audit_arrival_at("k", reset_ms - 1));
        assert!(
            !b.audit_arrival_at("k", reset_ms),
            "the named second has started"
        );
        assert!(
            !b.audit_arrival_at("other", 0),
            "keys are audited separately"
        );
        assert_eq!(b.stats().early_after_429, 2);
        assert_eq!(b.stats().rejected, 1);
    }

    #[test]
    fn injected_429_announces_now_plus_retry_after_and_the_latest_wait_counts() {
        let b = Budget::new(BudgetConfig::default());
        let now_ms = 1_700_000_000_750;
        let reset = b.injected_rejection_at(Some("k"), 3, now_ms);
        assert_eq!(reset, 1_700_000_003, "floor(now) + retry_after_secs");
        // A client honouring `Retry-After` comes back at now + 3 s, after the named second
        // has started: not early.
        assert!(!b.audit_arrival_at("k", now_ms + 3000));
        assert!(b.audit_arrival_at("k", 1_700_000_002_999));
        // A shorter wait announced later does not shorten the one announced before.
        b.injected_rejection_at(Some("k"), 0, 1_700_000_001_000);
        assert!(b.audit_arrival_at("k", 1_700_000_002_000));
        b.injected_rejection_at(None, 5, now_ms);
        let stats = b.stats();
        assert_eq!(stats.injected_rejected, 3);
        assert_eq!(stats.rejected, 0);
        assert_eq!(stats.early_after_429, 2);
    }
}
