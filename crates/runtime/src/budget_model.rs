//! What a system said about a connection's budget — a bucket of points (Shopify), or request
//! limits in several windows at once (Lightspeed) — as its connector reported it after an
//! answer, and how long the next request must wait under it.
//!
//! A report describes the moment its answer arrived; until the next one the model runs on
//! by itself: a bucket refills at its restore rate up to its capacity and each request
//! spends what the last reported request cost; a window loses one per request and is full
//! again once its reset time has passed. Every new report replaces the model: the system's
//! own count wins over the host's estimate (a refund of points unused, requests sent by
//! another client of the same account).

use std::time::{Duration, Instant};

/// One window of a request limit as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObservedWindow {
    pub limit: u64,
    pub remaining: u64,
    pub resets_in: Duration,
}

/// What a connector reported about its system's budget.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    Points {
        capacity: f64,
        available: f64,
        restore_per_second: f64,
        request_cost: f64,
    },
    Windows(Vec<ObservedWindow>),
}

/// Why a report was not taken: it cannot describe a budget.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("budget report ignored: {0}")]
pub struct UnusableReport(pub &'static str);

/// How long to wait when a window is spent and its reset is unknown (spent again after a
/// reset, before any report): short, the next answer's report corrects it.
const UNKNOWN_RESET_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub(crate) struct Window {
    limit: u64,
    remaining: u64,
    /// When the window is full again; `None` once that has passed and no report has told
    /// the next reset yet.
    resets_at: Option<Instant>,
}

impl Window {
    fn remaining_at(&self, now: Instant) -> u64 {
        match self.resets_at {
            Some(at) if now >= at => self.limit,
            _ => self.remaining,
        }
    }
}

/// The budget as the host follows it between reports.
#[derive(Debug, Clone)]
pub(crate) enum Model {
    Points {
        capacity: f64,
        restore_per_second: f64,
        /// What the next request is expected to cost.
        cost: f64,
        available: f64,
        at: Instant,
    },
    Windows(Vec<Window>),
}

impl Model {
    /// The model a report describes, as of `now`.
    pub(crate) fn new(observed: Observed, now: Instant) -> Result<Self, UnusableReport> {
        match observed {
            Observed::Points {
                capacity,
                available,
                restore_per_second,
                request_cost,
            } => {
                if !(capacity.is_finite() && capacity > 0.0) {
                    return Err(UnusableReport("the bucket's capacity is not positive"));
                }
                if !(restore_per_second.is_finite() && restore_per_second > 0.0) {
                    return Err(UnusableReport("the bucket's restore rate is not positive"));
                }
                if !(available.is_finite() && request_cost.is_finite() && request_cost >= 0.0) {
                    return Err(UnusableReport(
                        "available points or the cost is not a number",
                    ));
                }
                Ok(Model::Points {
                    capacity,
                    restore_per_second,
                    cost: request_cost,
                    available: available.min(capacity),
                    at: now,
                })
            }
            Observed::Windows(windows) => {
                if windows.is_empty() || windows.iter().any(|w| w.limit == 0) {
                    return Err(UnusableReport("no window, or a window of no requests"));
                }
                Ok(Model::Windows(
                    windows
                        .into_iter()
                        .map(|w| Window {
                            limit: w.limit,
                            remaining: w.remaining.min(w.limit),
                            resets_at: Some(now + w.resets_in),
                        })
                        .collect(),
                ))
            }
        }
    }

    /// How long the next request must wait from `now`; zero: it may go.
    pub(crate) fn wait(&self, now: Instant) -> Duration {
        match self {
            Model::Points {
                capacity,
                restore_per_second,
                cost,
                available,
                at,
            } => {
                let now_available = refilled(*available, *capacity, *restore_per_second, *at, now);
                // A request dearer than the whole bucket waits for a full bucket.
                let needed = cost.min(*capacity);
                if now_available >= needed {
                    Duration::ZERO
                } else {
                    Duration::from_secs_f64((needed - now_available) / restore_per_second)
                }
            }
            Model::Windows(windows) => windows
                .iter()
                .filter(|w| w.remaining_at(now) == 0)
                .map(|w| match w.resets_at {
                    Some(at) => at.saturating_duration_since(now),
                    None => UNKNOWN_RESET_WAIT,
                })
                .max()
                .unwrap_or(Duration::ZERO),
        }
    }

    /// A request leaves at `now`: spend what it is expected to cost.
    pub(crate) fn spend(&mut self, now: Instant) {
        match self {
            Model::Points {
                capacity,
                restore_per_second,
                cost,
                available,
                at,
            } => {
                *available = refilled(*available, *capacity, *restore_per_second, *at, now) - *cost;
                *at = now;
            }
            Model::Windows(windows) => {
                for window in windows {
                    if window.resets_at.is_some_and(|at| now >= at) {
                        window.remaining = window.limit;
                        window.resets_at = None;
                    }
                    window.remaining = window.remaining.saturating_sub(1);
                }
            }
        }
    }
}

/// The points in a bucket that held `available` at `at`, refilled until `now`.
fn refilled(available: f64, capacity: f64, restore: f64, at: Instant, now: Instant) -> f64 {
    let elapsed = now.saturating_duration_since(at).as_secs_f64();
    (available + restore * elapsed).min(capacity)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn standard(available: f64, cost: f64) -> Observed {
        Observed::Points {
            capacity: 1000.0,
            available,
            restore_per_second: 100.0,
            request_cost: cost,
        }
    }

    #[test]
    fn a_bucket_waits_for_the_points_the_next_request_costs() {
        let t0 = Instant::now();
        let mut model = Model::new(standard(300.0, 500.0), t0).unwrap();
        // 200 points short at 100 per second.
        assert_eq!(model.wait(t0), Duration::from_secs(2));
        assert_eq!(
            model.wait(t0 + Duration::from_secs(1)),
            Duration::from_secs(1)
        );
        let later = t0 + Duration::from_secs(2);
        assert_eq!(model.wait(later), Duration::ZERO);
        model.spend(later);
        // Spent to 0: the next one waits five seconds.
        assert_eq!(model.wait(later), Duration::from_secs(5));
    }

    #[test]
    fn a_bucket_never_refills_past_its_capacity_and_a_huge_request_waits_for_a_full_one() {
        let t0 = Instant::now();
        let model = Model::new(standard(0.0, 5000.0), t0).unwrap();
        assert_eq!(model.wait(t0), Duration::from_secs(10));
        let full = Model::new(standard(1000.0, 200.0), t0).unwrap();
        let mut spent = full.clone();
        spent.spend(t0 + Duration::from_secs(60));
        // Full after a minute idle is 1000, not 7000: after 200 spent, 800 remain.
        let Model::Points { available, .. } = spent else {
            panic!("a bucket")
        };
        assert!((available - 800.0).abs() < 1e-6, "{available}");
    }

    #[test]
    fn every_window_must_hold_and_a_spent_one_waits_for_its_reset() {
        let t0 = Instant::now();
        let window = |limit, remaining, secs| ObservedWindow {
            limit,
            remaining,
            resets_in: Duration::from_secs(secs),
        };
        let mut model = Model::new(
            Observed::Windows(vec![window(300, 2, 100), window(3000, 1000, 3000)]),
            t0,
        )
        .unwrap();
        assert_eq!(model.wait(t0), Duration::ZERO);
        model.spend(t0);
        model.spend(t0);
        assert_eq!(model.wait(t0), Duration::from_secs(100));
        // After the reset the window is full again, and counts down without a report.
        let after = t0 + Duration::from_secs(100);
        assert_eq!(model.wait(after), Duration::ZERO);
        model.spend(after);
        let Model::Windows(windows) = &model else {
            panic!("windows")
        };
        assert_eq!((windows[0].remaining, windows[1].remaining), (299, 997));
    }

    #[test]
    fn reports_that_describe_no_budget_are_refused() {
        let now = Instant::now();
        assert!(Model::new(standard(10.0, f64::NAN), now).is_err());
        let no_restore = Observed::Points {
            capacity: 1000.0,
            available: 10.0,
            restore_per_second: 0.0,
            request_cost: 1.0,
        };
        assert!(Model::new(no_restore, now).is_err());
        assert!(Model::new(Observed::Windows(Vec::new()), now).is_err());
    }
}
