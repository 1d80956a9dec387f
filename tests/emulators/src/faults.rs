//! Fault injection: latency, server errors, rate limiting, malformed JSON and connections
//! dropped in the middle of a body.
//!
//! Faults are configured per emulator (from Rust with `set_faults`, or over HTTP with
//! `POST /__emulator/faults`) and apply to API requests only, never to the control
//! endpoints. For each request every active fault is considered in list order: its
//! `remaining` budget (if any) is spent whether or not it fires, and it fires with its
//! `probability`, drawn from an RNG seeded from the emulator's seed and reset whenever the
//! fault list is replaced, so a given list and request sequence always misbehaves the same
//! way. Latencies of all firing faults add up; the first firing non-latency fault decides
//! the response.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// What a fault does to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Delay the response by `ms` milliseconds (then answer normally, or apply other faults).
    Latency { ms: u64 },
    /// Answer 500 with the JSON error body WordPress sends after a fatal PHP error.
    ServerError,
    /// Answer 429 with a `Retry-After: <retry_after_secs>` header.
    RateLimited { retry_after_secs: u64 },
    /// Answer 200 with the real response's body cut in half (invalid JSON).
    MalformedJson,
    /// Send the real response's headers (with its full `Content-Length`) and half of its
    /// body, then abort the connection.
    DropMidBody,
}

fn one() -> f64 {
    1.0
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A fault and when it applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Chance (0..=1) that it fires on a request it applies to; default 1.
    #[serde(default = "one")]
    pub probability: f64,
    /// Apply to the next N API requests only; `None` = until cleared.
    #[serde(default)]
    pub remaining: Option<u64>,
    /// Let this many API requests pass untouched first (then `remaining` counts down).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skip: u64,
}

impl Fault {
    /// A fault that fires on every request until cleared.
    pub fn always(kind: FaultKind) -> Self {
        Self {
            kind,
            probability: 1.0,
            remaining: None,
            skip: 0,
        }
    }

    /// A fault that lets the next `skip` requests pass, then fires on every one until
    /// cleared (a failure in the middle of a walk).
    pub fn after(skip: u64, kind: FaultKind) -> Self {
        Self {
            skip,
            ..Self::always(kind)
        }
    }

    /// A fault that fires on each of the next `n` requests.
    pub fn times(kind: FaultKind, n: u64) -> Self {
        Self {
            kind,
            probability: 1.0,
            remaining: Some(n),
            skip: 0,
        }
    }

    /// A fault that fires on each request with probability `p`, until cleared.
    pub fn with_probability(kind: FaultKind, p: f64) -> Self {
        Self {
            kind,
            probability: p,
            remaining: None,
            skip: 0,
        }
    }
}

impl From<FaultKind> for Fault {
    fn from(kind: FaultKind) -> Self {
        Self::always(kind)
    }
}

/// What to do with one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    pub latency: Duration,
    pub terminal: Option<FaultKind>,
}

#[derive(Debug)]
struct Active {
    faults: Vec<Fault>,
    rng: Rng,
}

/// The fault list of one emulator, with its request counters.
#[derive(Debug)]
pub(crate) struct FaultInjector {
    seed: u64,
    active: Mutex<Active>,
    requests: AtomicU64,
    injected: AtomicU64,
}

impl FaultInjector {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            seed,
            active: Mutex::new(Active {
                faults: Vec::new(),
                rng: Self::rng(seed),
            }),
            requests: AtomicU64::new(0),
            injected: AtomicU64::new(0),
        }
    }

    fn rng(seed: u64) -> Rng {
        Rng::derive(seed, 0xFA17)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Active> {
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replaces the fault list (probabilities clamped to 0..=1) and resets the RNG.
    pub(crate) fn set(&self, faults: Vec<Fault>) {
        let faults = faults
            .into_iter()
            .map(|mut f| {
                f.probability = if f.probability.is_nan() {
                    0.0
                } else {
                    f.probability.clamp(0.0, 1.0)
                };
                f
            })
            .filter(|f| f.remaining != Some(0))
            .collect();
        let mut active = self.lock();
        active.faults = faults;
        active.rng = Self::rng(self.seed);
    }

    /// The faults still active.
    pub(crate) fn list(&self) -> Vec<Fault> {
        self.lock().faults.clone()
    }

    /// Counts one API request and decides which faults hit it.
    pub(crate) fn decide(&self) -> Decision {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut active = self.lock();
        let Active { faults, rng } = &mut *active;
        let mut decision = Decision::default();
        for fault in faults.iter_mut() {
            if fault.skip > 0 {
                fault.skip -= 1;
                continue;
            }
            if let Some(n) = fault.remaining.as_mut() {
                *n = n.saturating_sub(1);
            }
            let fires = rng.next_f64() < fault.probability;
            if !fires {
                continue;
            }
            match &fault.kind {
                FaultKind::Latency { ms } => {
                    decision.latency += Duration::from_millis(*ms);
                }
                other if decision.terminal.is_none() => decision.terminal = Some(other.clone()),
                _ => {}
            }
        }
        faults.retain(|f| f.remaining != Some(0));
        if decision.terminal.is_some() || !decision.latency.is_zero() {
            self.injected.fetch_add(1, Ordering::Relaxed);
        }
        decision
    }

    /// API requests seen so far.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests that had at least one fault applied.
    pub(crate) fn injected(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }
}

/// Replaces a response's body by its first half, with a correct `Content-Length`: the
/// client receives a complete HTTP response whose JSON is truncated.
pub(crate) async fn malformed(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let cut = (bytes.len() / 2).max(1).min(bytes.len());
    let mut truncated = bytes.slice(..cut).to_vec();
    if serde_json::from_slice::<serde_json::Value>(&truncated).is_ok() {
        truncated = b"{\"code\":".to_vec();
    }
    if !parts.status.is_success() {
        parts.status = StatusCode::OK;
    }
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(truncated.len()));
    Response::from_parts(parts, Body::from(truncated))
}

/// Sends the response's headers with its full `Content-Length`, then half of the body, then
/// fails the body stream so the server aborts the connection mid-body.
pub(crate) async fn drop_mid_body(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let full = bytes.len().max(2);
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full));
    let stream = futures_util::stream::unfold(0u8, move |step| {
        let half = half.clone();
        async move {
            match step {
                0 => Some((Ok::<Bytes, std::io::Error>(half), 1)),
                1 => {
                    // Let the server flush what it has before the connection is aborted.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "emulated connection drop",
                        )),
                        2,
                    ))
                }
                _ => None,
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn json_shape() {
        let f: Vec<Fault> = serde_json::from_str(
            r#"[{"kind":"rate_limited","retry_after_secs":2,"probability":1.0,"remaining":3},
                {"kind":"latency","ms":10},{"kind":"drop_mid_body","probability":0.5}]"#,
        )
        .unwrap();
        assert_eq!(
            f[0],
            Fault::times(
                FaultKind::RateLimited {
                    retry_after_secs: 2
                },
                3
            )
        );
        assert_eq!(f[1], Fault::always(FaultKind::Latency { ms: 10 }));
        assert_eq!(f[2], Fault::with_probability(FaultKind::DropMidBody, 0.5));
        let back = serde_json::to_value(&f[0]).unwrap();
        assert_eq!(back["kind"], "rate_limited");
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"explode"}"#).is_err());
    }

    #[test]
    fn remaining_and_determinism() {
        let inj = FaultInjector::new(42);
        inj.set(vec![Fault::times(FaultKind::ServerError, 2)]);
        assert_eq!(inj.decide().terminal, Some(FaultKind::ServerError));
        assert_eq!(inj.decide().terminal, Some(FaultKind::ServerError));
        assert_eq!(inj.decide().terminal, None);
        assert!(inj.list().is_empty());

        let run = |inj: &FaultInjector| {
            inj.set(vec![Fault::with_probability(FaultKind::MalformedJson, 0.3)]);
            (0..64)
                .map(|_| inj.decide().terminal.is_some())
                .collect::<Vec<_>>()
        };
        let a = run(&inj);
        let b = run(&FaultInjector::new(42));
        assert_eq!(a, b);
        assert!(a.iter().any(|x| *x) && a.iter().any(|x| !*x));
        assert_eq!(inj.requests(), 3 + 64);
    }
}
