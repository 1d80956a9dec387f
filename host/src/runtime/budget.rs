//! Request budgets: how fast a connection's outgoing requests may go.
//!
//! An external system's rate limit (e.g. Connectif's 100 requests per minute) is a budget
//! of the *account*, not of one call, so one [`RequestBudget`] is shared by every call made
//! for a connection — autosync, automations and Runtime API write-backs alike. The egress
//! hook takes one permit per outgoing HTTP request, so a connector that makes two requests
//! for one write pays for two.
//!
//! Pacing is GCRA (the `governor` crate) with a burst of one: requests are spaced
//! `per / requests` apart, which keeps any window of `per` — fixed or sliding, wherever it
//! starts — within `requests`, and uses the whole budget under sustained demand. When an
//! answer says "slow down" (429 with `Retry-After` or `X-RateLimit-Reset`), the budget is
//! paused until then: no request of that connection leaves before, and a call that would
//! need one fails at once as rate-limited with the remaining wait instead of stalling.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};

/// A request budget: `requests` per `per_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    pub requests: u32,
    pub per_seconds: u32,
}

impl RateLimit {
    /// The spacing between two requests under this budget.
    pub fn interval(&self) -> Duration {
        let per = Duration::from_secs(u64::from(self.per_seconds.max(1)));
        per / self.requests.max(1)
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} requests per {} s", self.requests, self.per_seconds)
    }
}

/// One connection's budget, shared by all its calls.
#[derive(Debug)]
pub struct RequestBudget {
    limit: Option<RateLimit>,
    limiter: Option<DefaultDirectRateLimiter>,
    paused_until: Mutex<Option<Instant>>,
    sent: AtomicU64,
}

/// The budget is paused: nothing may be sent for `remaining`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paused {
    pub remaining: Duration,
}

impl RequestBudget {
    /// A budget of `limit`, or an unlimited one (`None`) that only honours pauses.
    pub fn new(limit: Option<RateLimit>) -> Self {
        let limiter = limit.and_then(|l| {
            let interval = l.interval().max(Duration::from_micros(1));
            Quota::with_period(interval)
                .map(|q| q.allow_burst(NonZeroU32::MIN))
                .map(RateLimiter::direct)
        });
        Self {
            limit,
            limiter,
            paused_until: Mutex::new(None),
            sent: AtomicU64::new(0),
        }
    }

    /// The budget this paces to, if any.
    pub fn limit(&self) -> Option<RateLimit> {
        self.limit
    }

    /// Requests let through so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// How long the budget is still paused, if it is.
    pub fn paused(&self) -> Option<Paused> {
        let until = (*self.paused_until.lock().ok()?)?;
        let remaining = until.checked_duration_since(Instant::now())?;
        (!remaining.is_zero()).then_some(Paused { remaining })
    }

    /// Send nothing for `wait` (a 429's retry-after). A shorter pause never cuts a longer
    /// one short.
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        if let Ok(mut paused) = self.paused_until.lock() {
            *paused = Some(paused.map_or(until, |p| p.max(until)));
        }
        metrics::counter!("junction_budget_pauses_total").increment(1);
        tracing::info!(
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "request budget paused after a rate-limit answer"
        );
    }

    /// Wait for the next permit. Fails at once when the budget is paused (the caller
    /// reports rate-limited with the remaining wait); a pause that starts while this waits
    /// is honoured too.
    pub async fn acquire(&self) -> Result<(), Paused> {
        if let Some(paused) = self.paused() {
            return Err(paused);
        }
        if let Some(limiter) = &self.limiter {
            let started = Instant::now();
            limiter.until_ready().await;
            metrics::histogram!("junction_budget_wait_seconds")
                .record(started.elapsed().as_secs_f64());
        }
        if let Some(paused) = self.paused() {
            return Err(paused);
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Wait out a pause (at most `max`) without taking a permit — for callers that would
    /// rather wait than fail, before they start a call.
    pub async fn wait_unpaused(&self, max: Duration) {
        if let Some(paused) = self.paused() {
            tokio::time::sleep(paused.remaining.min(max)).await;
        }
    }
}

/// How long a rate-limit answer asks the client to wait: `Retry-After` (seconds or an
/// HTTP date), else `X-RateLimit-Reset` (epoch seconds, or seconds when small), else
/// `fallback`.
pub fn retry_after(headers: &http::HeaderMap, fallback: Duration) -> Duration {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    if let Some(v) = text("retry-after") {
        if let Ok(secs) = v.trim().parse::<u64>() {
            return Duration::from_secs(secs);
        }
        if let Ok(at) = jiff::fmt::rfc2822::parse(v.trim()) {
            let secs = at.timestamp().as_second() as f64 - now_s;
            return Duration::from_secs_f64(secs.max(0.0));
        }
    }
    if let Some(v) = text("x-ratelimit-reset")
        && let Ok(value) = v.trim().parse::<u64>()
    {
        // Epoch seconds name the second the window ends; wait until it has begun.
        return if value > 1_000_000_000 {
            Duration::from_secs_f64((value as f64 - now_s).max(0.0))
        } else {
            Duration::from_secs(value)
        };
    }
    fallback
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paces_requests_evenly() {
        let budget = RequestBudget::new(Some(RateLimit {
            requests: 20,
            per_seconds: 1,
        }));
        let started = Instant::now();
        for _ in 0..6 {
            budget.acquire().await.map_err(|p| p.remaining).ok();
        }
        // Five intervals of 50 ms after the first permit.
        assert!(started.elapsed() >= Duration::from_millis(240));
        assert_eq!(budget.sent(), 6);
    }

    #[tokio::test]
    async fn a_pause_refuses_until_it_ends() {
        let budget = RequestBudget::new(None);
        budget.pause_for(Duration::from_millis(200));
        let refused = budget.acquire().await;
        assert!(matches!(refused, Err(p) if p.remaining <= Duration::from_millis(200)));
        budget.pause_for(Duration::from_millis(10));
        // The longer pause still holds.
        assert!(
            budget
                .paused()
                .is_some_and(|p| p.remaining > Duration::from_millis(100))
        );
        budget.wait_unpaused(Duration::from_secs(1)).await;
        assert!(budget.acquire().await.is_ok());
    }

    #[test]
    fn retry_after_reads_the_usual_headers() {
        let mut h = http::HeaderMap::new();
        assert_eq!(
            retry_after(&h, Duration::from_secs(7)),
            Duration::from_secs(7)
        );
        h.insert("x-ratelimit-reset", http::HeaderValue::from_static("12"));
        assert_eq!(retry_after(&h, Duration::ZERO), Duration::from_secs(12));
        h.insert("retry-after", http::HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h, Duration::ZERO), Duration::from_secs(3));
        let mut epoch = http::HeaderMap::new();
        let reset = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() + 30)
            .unwrap_or(0);
        epoch.insert(
            "x-ratelimit-reset",
            http::HeaderValue::from_str(&reset.to_string())
                .unwrap_or(http::HeaderValue::from_static("0")),
        );
        let wait = retry_after(&epoch, Duration::ZERO);
        assert!(wait > Duration::from_secs(28) && wait <= Duration::from_secs(30));
    }
}
