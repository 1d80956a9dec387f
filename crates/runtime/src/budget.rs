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
//!
//! Several hosts on one database share a connection's budget through a [`BudgetLedger`]
//! (implemented by the store on PostgreSQL): every request reserves the next slot in the
//! ledger and sleeps until it, and a pause is written there too, so the hosts together
//! stay within the budget and a 429 seen by one host holds back the others. This module
//! knows only the trait, so the runtime keeps no dependency on the store. When the ledger
//! fails (database unreachable), requests are paced by this process's own GCRA for a
//! while: a database hiccup slows nothing down and stops nothing.
//!
//! Systems whose budget is not a plain request rate — Shopify's bucket of points, where
//! each query costs what it asks for, or Lightspeed's limits in several windows at once —
//! say where the budget stands in every answer; the connector reports it
//! (`host.report-budget`) and [`RequestBudget::learn`] keeps it as a
//! [`budget_model`](crate::budget_model): every later request of the connection waits until
//! the points it is expected to cost are there, or until a spent window resets, so the
//! budget is used to its limit and never over it. (This model is per host; the shared
//! ledger carries the request rate and pauses.)

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::budget_model::{Model, Observed};
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

/// One connection's budget, shared by all its calls (and, with a ledger, by all hosts).
#[derive(Debug)]
pub struct RequestBudget {
    limit: Option<RateLimit>,
    /// This process's pacing: the only one without a ledger, the fallback with one.
    limiter: Option<DefaultDirectRateLimiter>,
    /// The latest end of a pause known here: this host's own pauses, and the shared ones
    /// the ledger reported with a reservation (the mirror that keeps `paused` cheap).
    paused_until: Mutex<Option<Instant>>,
    sent: AtomicU64,
    shared: Option<Shared>,
    /// What the system last said about the budget, followed between reports.
    model: Mutex<Option<Model>>,
}

/// The shared side of a budget: which ledger row is this connection's.
struct Shared {
    ledger: Arc<dyn BudgetLedger>,
    connection_id: String,
    /// Set after a ledger failure: until then requests use the local limiter without
    /// asking the ledger (a down database is not waited on for every request), and the
    /// failure is logged once for the whole burst.
    local_until: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("ledger", &self.ledger)
            .field("connection_id", &self.connection_id)
            .finish()
    }
}

/// The longest wait for a reported budget that a request waits out; a longer one (a spent
/// window resetting in minutes) fails the call at once as rate-limited with that wait, as a
/// pause does, instead of stalling it past its time limit.
const MAX_MODEL_WAIT: Duration = Duration::from_secs(15);

/// How long a ledger reservation may take before the request is paced locally instead.
const LEDGER_TIMEOUT: Duration = Duration::from_secs(2);
/// How long requests are paced locally after a ledger failure before it is tried again.
const LEDGER_RETRY_AFTER: Duration = Duration::from_secs(5);

/// What the shared ledger answered for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    /// How long to wait before sending: the reserved slot is that far ahead.
    pub wait: Duration,
    /// Set when the budget is paused (by any host) for this much longer; no slot was
    /// taken.
    pub paused_for: Option<Duration>,
}

/// The shared ledger failed (the database did not answer, or refused).
#[derive(Debug, thiserror::Error)]
#[error("request budget ledger: {0}")]
pub struct LedgerError(pub String);

/// A boxed future of a ledger operation.
pub type LedgerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LedgerError>> + Send + 'a>>;

/// Where several hosts keep their common budgets: one entry per connection, each
/// operation atomic, times on one clock (the ledger's, not the hosts').
pub trait BudgetLedger: Send + Sync + std::fmt::Debug {
    /// Take the connection's next slot, `interval` after the previous one (or now, if the
    /// previous one is past) — unless the budget is paused, then take nothing and say for
    /// how long.
    fn reserve<'a>(
        &'a self,
        connection_id: &'a str,
        interval: Duration,
    ) -> LedgerFuture<'a, Reservation>;

    /// Pause the connection's budget for `wait` from now; a shorter pause never cuts a
    /// longer one short.
    fn pause<'a>(&'a self, connection_id: &'a str, wait: Duration) -> LedgerFuture<'a, ()>;

    /// How long the connection's budget is still paused, if it is.
    fn paused<'a>(&'a self, connection_id: &'a str) -> LedgerFuture<'a, Option<Duration>>;
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
            shared: None,
            model: Mutex::new(None),
        }
    }

    /// A budget of `limit` (or unlimited) shared through `ledger` under `connection_id`
    /// with every other host using the same ledger. Pauses are shared even when unlimited.
    pub fn shared(
        limit: Option<RateLimit>,
        ledger: Arc<dyn BudgetLedger>,
        connection_id: impl Into<String>,
    ) -> Self {
        Self {
            shared: Some(Shared {
                ledger,
                connection_id: connection_id.into(),
                local_until: Mutex::new(None),
            }),
            ..Self::new(limit)
        }
    }

    /// Whether this budget is shared through a ledger.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// The budget this paces to, if any.
    pub fn limit(&self) -> Option<RateLimit> {
        self.limit
    }

    /// Requests let through so far by this process (a shared budget counts per host).
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
    ///
    /// A shared budget stops this host at once and records the pause in the ledger in the
    /// background (the callers are synchronous), so the other hosts stop at their next
    /// request.
    pub fn pause_for(&self, wait: Duration) {
        self.hold_for(wait);
        metrics::counter!("junction_budget_pauses_total").increment(1);
        tracing::info!(
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "request budget paused after a rate-limit answer"
        );
        let Some(shared) = &self.shared else {
            return;
        };
        let ledger = shared.ledger.clone();
        let connection_id = shared.connection_id.clone();
        let write = async move {
            if let Err(e) = ledger.pause(&connection_id, wait).await {
                metrics::counter!("junction_budget_ledger_errors_total").increment(1);
                tracing::warn!(
                    connection = %connection_id,
                    "request budget pause not shared with the other hosts: {e}"
                );
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(write);
            }
            // Outside a runtime nothing sends requests; the local pause is all there is.
            Err(_) => tracing::warn!("request budget pause not shared: no async runtime"),
        }
    }

    /// Hold requests back for `wait` here, without announcing a new pause: a pause carried
    /// over to a replaced budget, or one the ledger reported.
    pub fn hold_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        if let Ok(mut paused) = self.paused_until.lock() {
            *paused = Some(paused.map_or(until, |p| p.max(until)));
        }
    }

    /// Wait for the next permit. Fails at once when the budget is paused (the caller
    /// reports rate-limited with the remaining wait); a pause that starts while this waits
    /// is honoured too.
    pub async fn acquire(&self) -> Result<(), Paused> {
        if let Some(paused) = self.paused() {
            return Err(paused);
        }
        let started = Instant::now();
        let paced = match &self.shared {
            Some(shared) => self.acquire_shared(shared).await?,
            None => false,
        };
        if !paced && let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        let modelled = self.wait_for_model().await?;
        if self.limiter.is_some() || paced || modelled {
            metrics::histogram!("junction_budget_wait_seconds")
                .record(started.elapsed().as_secs_f64());
        }
        if let Some(paused) = self.paused() {
            return Err(paused);
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Take what the system last reported about the budget; later requests wait by it.
    pub fn learn(&self, observed: Observed) {
        match Model::new(observed, Instant::now()) {
            Ok(model) => {
                if let Ok(mut current) = self.model.lock() {
                    *current = Some(model);
                }
                metrics::counter!("junction_budget_reports_total").increment(1);
            }
            Err(e) => tracing::debug!("{e}"),
        }
    }

    /// Wait until the reported budget lets one more request go, and spend it. `Ok(true)`
    /// when there is a reported budget to follow. A pause that starts meanwhile wins, and a
    /// wait longer than [`MAX_MODEL_WAIT`] is answered as a pause of that length.
    async fn wait_for_model(&self) -> Result<bool, Paused> {
        loop {
            let wait = {
                let Ok(mut model) = self.model.lock() else {
                    return Ok(false);
                };
                let Some(model) = model.as_mut() else {
                    return Ok(false);
                };
                let now = Instant::now();
                let wait = model.wait(now);
                if wait.is_zero() {
                    model.spend(now);
                }
                wait
            };
            if wait.is_zero() {
                return Ok(true);
            }
            if wait > MAX_MODEL_WAIT {
                return Err(Paused { remaining: wait });
            }
            tokio::time::sleep(wait).await;
            if let Some(paused) = self.paused() {
                return Err(paused);
            }
        }
    }

    /// Reserve a slot in the ledger and wait for it. `Ok(true)`: paced by the ledger;
    /// `Ok(false)`: the ledger is unavailable, pace locally.
    async fn acquire_shared(&self, shared: &Shared) -> Result<bool, Paused> {
        if shared
            .local_until
            .lock()
            .ok()
            .and_then(|until| *until)
            .is_some_and(|until| Instant::now() < until)
        {
            return Ok(false);
        }
        let interval = self.limit.map_or(Duration::ZERO, |l| l.interval());
        let reserved = tokio::time::timeout(
            LEDGER_TIMEOUT,
            shared.ledger.reserve(&shared.connection_id, interval),
        )
        .await
        .unwrap_or_else(|_| {
            Err(LedgerError(format!(
                "no answer within {} s",
                LEDGER_TIMEOUT.as_secs()
            )))
        });
        match reserved {
            Ok(reservation) => {
                if let Some(remaining) = reservation.paused_for {
                    // Another host (or this one) saw a rate-limit answer: keep the pause
                    // here too, so `paused` answers without the ledger until it ends.
                    self.hold_for(remaining);
                    return Err(Paused { remaining });
                }
                let was_local = shared
                    .local_until
                    .lock()
                    .ok()
                    .and_then(|mut until| until.take())
                    .is_some();
                if was_local {
                    tracing::info!(
                        connection = %shared.connection_id,
                        "request budget ledger answers again: pacing with the other hosts"
                    );
                }
                if !reservation.wait.is_zero() {
                    tokio::time::sleep(reservation.wait).await;
                }
                Ok(true)
            }
            Err(e) => {
                metrics::counter!("junction_budget_ledger_errors_total").increment(1);
                let first = shared
                    .local_until
                    .lock()
                    .ok()
                    .map(|mut until| until.replace(Instant::now() + LEDGER_RETRY_AFTER))
                    .is_some_and(|previous| previous.is_none());
                if first {
                    tracing::warn!(
                        connection = %shared.connection_id,
                        "{e}; pacing this host's requests on its own until the ledger answers"
                    );
                }
                Ok(false)
            }
        }
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
    async fn a_reported_bucket_holds_requests_until_their_points_are_back() {
        let budget = RequestBudget::new(None);
        budget.learn(Observed::Points {
            capacity: 10.0,
            available: 0.0,
            restore_per_second: 100.0,
            request_cost: 5.0,
        });
        let started = Instant::now();
        budget.acquire().await.map_err(|p| p.remaining).ok();
        budget.acquire().await.map_err(|p| p.remaining).ok();
        // 5 points at 100 per second, twice.
        assert!(
            started.elapsed() >= Duration::from_millis(95),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(budget.sent(), 2);
    }

    #[tokio::test]
    async fn a_long_wait_for_a_reported_budget_fails_at_once_as_a_pause() {
        let budget = RequestBudget::new(None);
        budget.learn(Observed::Windows(vec![
            crate::budget_model::ObservedWindow {
                limit: 300,
                remaining: 0,
                resets_in: Duration::from_secs(120),
            },
        ]));
        let started = Instant::now();
        let refused = budget.acquire().await;
        assert!(
            matches!(refused, Err(p) if p.remaining > Duration::from_secs(100)),
            "{refused:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(budget.sent(), 0);
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

    /// A ledger whose database is down: every call fails, and they are counted.
    #[derive(Debug, Default)]
    struct DownLedger {
        calls: AtomicU64,
    }

    impl BudgetLedger for DownLedger {
        fn reserve<'a>(&'a self, _: &'a str, _: Duration) -> LedgerFuture<'a, Reservation> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            Box::pin(async { Err(LedgerError("connection refused".into())) })
        }

        fn pause<'a>(&'a self, _: &'a str, _: Duration) -> LedgerFuture<'a, ()> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            Box::pin(async { Err(LedgerError("connection refused".into())) })
        }

        fn paused<'a>(&'a self, _: &'a str) -> LedgerFuture<'a, Option<Duration>> {
            Box::pin(async { Err(LedgerError("connection refused".into())) })
        }
    }

    #[tokio::test]
    async fn a_failing_ledger_falls_back_to_local_pacing_without_asking_each_time() {
        let ledger = Arc::new(DownLedger::default());
        let limit = RateLimit {
            requests: 20,
            per_seconds: 1,
        };
        let budget = RequestBudget::shared(Some(limit), ledger.clone(), "c");
        let started = Instant::now();
        for _ in 0..4 {
            assert!(budget.acquire().await.is_ok());
        }
        // Paced locally (three intervals after the first), the ledger asked once.
        assert!(started.elapsed() >= Duration::from_millis(140));
        assert_eq!(ledger.calls.load(Ordering::Relaxed), 1);
        // A pause still holds this host back when the ledger cannot record it.
        budget.pause_for(Duration::from_millis(300));
        assert!(budget.acquire().await.is_err());
    }

    /// A ledger that says another host paused the budget.
    #[derive(Debug)]
    struct PausedLedger;

    impl BudgetLedger for PausedLedger {
        fn reserve<'a>(&'a self, _: &'a str, _: Duration) -> LedgerFuture<'a, Reservation> {
            Box::pin(async {
                Ok(Reservation {
                    wait: Duration::ZERO,
                    paused_for: Some(Duration::from_secs(3)),
                })
            })
        }

        fn pause<'a>(&'a self, _: &'a str, _: Duration) -> LedgerFuture<'a, ()> {
            Box::pin(async { Ok(()) })
        }

        fn paused<'a>(&'a self, _: &'a str) -> LedgerFuture<'a, Option<Duration>> {
            Box::pin(async { Ok(Some(Duration::from_secs(3))) })
        }
    }

    #[tokio::test]
    async fn a_pause_from_the_ledger_refuses_and_is_remembered() {
        let budget = RequestBudget::shared(None, Arc::new(PausedLedger), "c");
        assert!(budget.paused().is_none());
        let refused = budget.acquire().await;
        assert!(matches!(refused, Err(p) if p.remaining == Duration::from_secs(3)));
        assert!(
            budget
                .paused()
                .is_some_and(|p| p.remaining > Duration::from_millis(2_900))
        );
        assert_eq!(budget.sent(), 0);
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
