//! Delivery: claim due deliveries (a lease per attempt), POST each signed, record the
//! attempt and what follows — delivered on a 2xx; otherwise the next attempt after the
//! retry schedule's delay (with jitter; a 429/503 `Retry-After` is honoured when longer),
//! or `failed` after the last attempt.
//!
//! At most `concurrency` attempts run at once and at most `per_endpoint_concurrency` per
//! endpoint, so a slow receiver holds only its own slots; every attempt is bounded by the
//! timeout. Destinations are guarded like connector egress: the resolver refuses names
//! that resolve only to loopback, private or otherwise non-public addresses (and IP
//! literals are checked before sending) unless `sandbox.allow_private_networks` is set.
//! Redirects are not followed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::endpoints::signing_keys;
use super::signing::signature_header;
use super::{Pause, WebhookSettings};
use crate::hub::Hub;
use junction_runtime::egress::is_public;
use junction_store::health::ErrorBackoff;
use junction_store::now_ms;
use junction_store::webhooks::{AttemptEnd, AttemptOutcome, DueDelivery, WebhookAttempt};

/// The longest `Retry-After` honoured; a larger one is cut to this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The most of a response body kept in the log.
pub const EXCERPT_BYTES: usize = 1024;

/// Runs attempts.
pub(crate) struct Deliverer {
    ctx: Arc<Context>,
}

struct Context {
    hub: Hub,
    settings: Arc<WebhookSettings>,
    owner: String,
    client: reqwest::Client,
    allow_private: bool,
}

impl Deliverer {
    pub(crate) fn new(
        hub: Hub,
        settings: Arc<WebhookSettings>,
        owner: String,
        allow_private: bool,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .connect_timeout(settings.timeout())
            .user_agent(concat!("junction-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("webhook HTTP client: {e}"))?;
        Ok(Self {
            ctx: Arc::new(Context {
                hub,
                settings,
                owner,
                client,
                allow_private,
            }),
        })
    }

    /// Claim and run due attempts until stopped; then wait for those in flight.
    pub(crate) async fn run(&self, pause: &Pause) {
        let concurrency = self.ctx.settings.concurrency.max(1);
        let per_endpoint = self.ctx.settings.per_endpoint_concurrency.max(1);
        let mut slots = Slots::default();
        let mut backoff = ErrorBackoff::default();
        while !pause.stopping() {
            while let Some(finished) = slots.tasks.try_join_next_with_id() {
                slots.release(finished);
            }
            let mut store_failed = false;
            let free = concurrency.saturating_sub(slots.tasks.len());
            if free > 0 {
                // Read more than the free slots: some may belong to endpoints at their cap.
                let want = i64::try_from(free * 4).unwrap_or(i64::MAX);
                match self
                    .ctx
                    .hub
                    .store
                    .due_webhook_deliveries(now_ms(), want)
                    .await
                {
                    Ok(due) => {
                        for (id, endpoint) in due {
                            if slots.tasks.len() >= concurrency {
                                break;
                            }
                            if slots.in_flight(&endpoint) >= per_endpoint {
                                continue;
                            }
                            let lease_ms = self.ctx.lease_ms();
                            match self
                                .ctx
                                .hub
                                .store
                                .claim_webhook_delivery(&id, &self.ctx.owner, lease_ms)
                                .await
                            {
                                Ok(Some(delivery)) => {
                                    let ctx = self.ctx.clone();
                                    slots.spawn(
                                        endpoint,
                                        async move { ctx.attempt(delivery).await },
                                    );
                                }
                                Ok(None) => {}
                                Err(e) => {
                                    // The rest of this pass would fail the same way.
                                    tracing::error!(error = %e, delivery = %id, "cannot claim a webhook delivery");
                                    store_failed = true;
                                    break;
                                }
                            }
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read due webhook deliveries");
                        store_failed = true;
                    }
                }
            }
            if store_failed {
                pause.back_off(backoff.failed()).await;
                continue;
            }
            backoff.succeeded();
            if slots.tasks.is_empty() {
                pause.wait().await;
            } else {
                tokio::select! {
                    finished = slots.tasks.join_next_with_id() => {
                        if let Some(finished) = finished {
                            slots.release(finished);
                        }
                    }
                    _ = pause.wait() => {}
                }
            }
        }
        if !slots.tasks.is_empty() {
            tracing::info!(
                in_flight = slots.tasks.len(),
                "webhook worker stopping; waiting for attempts in flight"
            );
        }
        while let Some(finished) = slots.tasks.join_next_with_id().await {
            slots.release(finished);
        }
    }
}

/// Attempts in flight, and how many per endpoint.
#[derive(Default)]
struct Slots {
    tasks: JoinSet<()>,
    endpoint_of: HashMap<tokio::task::Id, String>,
    per_endpoint: HashMap<String, usize>,
}

impl Slots {
    fn in_flight(&self, endpoint: &str) -> usize {
        self.per_endpoint.get(endpoint).copied().unwrap_or(0)
    }

    fn spawn(&mut self, endpoint: String, attempt: impl Future<Output = ()> + Send + 'static) {
        let task = self.tasks.spawn(attempt);
        *self.per_endpoint.entry(endpoint.clone()).or_default() += 1;
        self.endpoint_of.insert(task.id(), endpoint);
    }

    /// A finished (or panicked) attempt frees its endpoint's slot.
    fn release(&mut self, finished: Result<(tokio::task::Id, ()), tokio::task::JoinError>) {
        let id = match finished {
            Ok((id, ())) => id,
            Err(e) => {
                tracing::error!(error = %e, "webhook attempt task failed");
                e.id()
            }
        };
        if let Some(endpoint) = self.endpoint_of.remove(&id)
            && let Some(n) = self.per_endpoint.get_mut(&endpoint)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_endpoint.remove(&endpoint);
            }
        }
    }
}

impl Context {
    /// Long enough that an attempt never outlives its lease.
    fn lease_ms(&self) -> i64 {
        i64::try_from(self.settings.timeout().as_millis()).unwrap_or(i64::MAX / 4) * 2 + 60_000
    }

    /// One attempt of one claimed delivery, recorded with its outcome.
    async fn attempt(&self, delivery: DueDelivery) {
        let number = delivery.attempts + 1;
        let started_ms = now_ms();
        let start = Instant::now();
        let answer = match self.hub.store.webhook_endpoint(&delivery.endpoint_id).await {
            Ok(endpoint) => match signing_keys(&self.hub, &endpoint) {
                Ok(keys) => {
                    let timestamp = started_ms.div_euclid(1000);
                    let signature = signature_header(
                        &keys,
                        &delivery.id,
                        timestamp,
                        delivery.payload.as_bytes(),
                    );
                    self.send(&endpoint.url, &delivery, timestamp, &signature)
                        .await
                }
                Err(e) => {
                    tracing::error!(endpoint = %endpoint.id, error = %e, "cannot open a webhook secret");
                    Err(format!(
                        "the endpoint's secret cannot be opened with this server's key: {e}"
                    ))
                }
            },
            Err(e) => {
                // Deleted meanwhile, or the database is away: leave it for later.
                tracing::warn!(delivery = %delivery.id, error = %e, "webhook endpoint unreadable; attempt skipped");
                if let Err(e) = self
                    .hub
                    .store
                    .release_webhook_delivery(&delivery.id, &self.owner)
                    .await
                {
                    tracing::error!(delivery = %delivery.id, error = %e, "cannot release a webhook delivery");
                }
                return;
            }
        };
        let elapsed = start.elapsed();
        metrics::histogram!("junction_webhook_attempt_duration_seconds")
            .record(elapsed.as_secs_f64());
        let (status_code, error, excerpt, retry_after) = match answer {
            Ok(a) if (200..300).contains(&a.status) => (Some(a.status), None, a.excerpt, None),
            Ok(a) => {
                let redirect = if (300..400).contains(&a.status) {
                    " (redirects are not followed)"
                } else {
                    ""
                };
                (
                    Some(a.status),
                    Some(format!("the receiver answered {}{redirect}", a.status)),
                    a.excerpt,
                    a.retry_after,
                )
            }
            Err(message) => (None, Some(message), None, None),
        };
        let outcome = if error.is_none() {
            AttemptOutcome::Delivered
        } else if number >= self.settings.max_attempts() {
            AttemptOutcome::Failed
        } else {
            let delay = next_delay(&self.settings, number, random_unit(), retry_after);
            AttemptOutcome::RetryAt(
                now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 4),
            )
        };
        let attempt = WebhookAttempt {
            attempt: number,
            started_ms,
            duration_ms: i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
            status_code: status_code.map(i64::from),
            error: error.clone(),
            response_excerpt: excerpt,
        };
        let end = AttemptEnd {
            delivery_id: &delivery.id,
            owner: &self.owner,
            attempt,
            outcome,
        };
        match self.hub.store.finish_webhook_attempt(&end).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(delivery = %delivery.id, "webhook delivery no longer leased by this worker; attempt not recorded");
                return;
            }
            Err(e) => {
                // The lease expires and the attempt is made again: at least once.
                tracing::error!(delivery = %delivery.id, error = %e, "cannot record a webhook attempt");
                return;
            }
        }
        let label = match outcome {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::RetryAt(_) => "retrying",
            AttemptOutcome::Failed => "failed",
        };
        metrics::counter!("junction_webhook_attempts_total", "outcome" => label).increment(1);
        if !matches!(outcome, AttemptOutcome::RetryAt(_)) {
            metrics::counter!("junction_webhook_deliveries_total", "outcome" => label).increment(1);
        }
        match outcome {
            AttemptOutcome::Delivered => {
                tracing::debug!(delivery = %delivery.id, event = %delivery.event_type, attempt = number, "webhook delivered")
            }
            AttemptOutcome::RetryAt(at) => {
                tracing::info!(delivery = %delivery.id, event = %delivery.event_type, attempt = number, error = ?error, retry_in_ms = at - now_ms(), "webhook attempt failed; will retry")
            }
            AttemptOutcome::Failed => {
                tracing::warn!(delivery = %delivery.id, event = %delivery.event_type, attempt = number, error = ?error, "webhook delivery failed; no attempts left (retry it by hand)")
            }
        }
    }

    /// POST the payload, signed. `Err` when no HTTP answer came (refused, unreachable,
    /// timed out), with the reason.
    async fn send(
        &self,
        url: &str,
        delivery: &DueDelivery,
        timestamp: i64,
        signature: &str,
    ) -> Result<Answer, String> {
        let url = reqwest::Url::parse(url).map_err(|e| format!("invalid URL `{url}`: {e}"))?;
        check_literal_destination(&url, self.allow_private)?;
        let timeout = self.settings.timeout();
        let request = self
            .client
            .post(url)
            .header("webhook-id", &delivery.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(delivery.payload.clone())
            .timeout(timeout);
        let exchange = async {
            let mut response = request.send().await.map_err(|e| describe(&e, timeout))?;
            let status = response.status().as_u16();
            let retry_after = if status == 429 || status == 503 {
                response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after)
            } else {
                None
            };
            let mut body = Vec::new();
            while body.len() < EXCERPT_BYTES {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) | Err(_) => break,
                }
            }
            Ok(Answer {
                status,
                excerpt: excerpt(&body),
                retry_after,
            })
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(format!("timed out after {} ms", timeout.as_millis())))
    }
}

/// What a receiver answered.
struct Answer {
    status: u16,
    excerpt: Option<String>,
    retry_after: Option<Duration>,
}

/// At most [`EXCERPT_BYTES`] of a body as text, cut at a character boundary.
fn excerpt(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_BYTES)]);
    let mut end = text.len().min(EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(text[..end].to_string())
}

/// A reqwest error as one line with its causes (the resolver's refusal among them).
fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("timed out after {} ms", timeout.as_millis());
    }
    let mut parts = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// The delay before the attempt after attempt `attempt` (1-based): the schedule's entry
/// spread by the jitter (`unit` is uniform in [0, 1)), or a longer `Retry-After`.
pub fn next_delay(
    settings: &WebhookSettings,
    attempt: i64,
    unit: f64,
    retry_after: Option<Duration>,
) -> Duration {
    let index = usize::try_from(attempt.saturating_sub(1)).unwrap_or(0);
    let base = settings
        .retry_schedule_ms
        .get(index)
        .or(settings.retry_schedule_ms.last())
        .copied()
        .unwrap_or(0) as f64;
    let spread = f64::from(settings.jitter_percent.min(100)) / 100.0;
    let factor = 1.0 + spread * (2.0 * unit.clamp(0.0, 1.0) - 1.0);
    let scheduled = Duration::from_millis((base * factor).max(0.0).round() as u64);
    match retry_after {
        Some(asked) => scheduled.max(asked.min(MAX_RETRY_AFTER)),
        None => scheduled,
    }
}

/// A uniform number in [0, 1).
fn random_unit() -> f64 {
    let mut bytes = [0u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

/// `Retry-After`: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = at.as_millisecond() - now_ms();
    Some(Duration::from_millis(u64::try_from(wait).unwrap_or(0)))
}

/// An IP-literal destination never reaches the resolver: check it here.
fn check_literal_destination(url: &reqwest::Url, allow_private: bool) -> Result<(), String> {
    let Some(host) = url.host_str() else {
        return Err("the URL has no host".into());
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>()
        && !allow_private
        && !is_public(ip)
    {
        return Err(refusal(host, &[ip]));
    }
    Ok(())
}

fn refusal(host: &str, addrs: &[std::net::IpAddr]) -> String {
    let shown: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    format!(
        "destination {host} refused: it resolves to {} which is loopback, private or otherwise non-public, and private networks are not allowed (set sandbox.allow_private_networks to permit)",
        shown.join(", ")
    )
}

/// Resolves names and keeps only addresses the policy allows, so the connection is made
/// to an address that was checked (no rebinding between check and connect).
struct GuardedResolver {
    allow_private: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Refused(String);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let permitted: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if permitted.is_empty() {
                let ips: Vec<std::net::IpAddr> = addrs.iter().map(|a| a.ip()).collect();
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    Box::new(Refused(refusal(&host, &ips)));
                return Err(refused);
            }
            let addrs: reqwest::dns::Addrs = Box::new(permitted.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    #[test]
    fn the_default_schedule_backs_off_and_ends_in_failed() {
        let settings = WebhookSettings {
            jitter_percent: 0,
            ..WebhookSettings::default()
        };
        let delays: Vec<u128> = (1..=8)
            .map(|attempt| ms(next_delay(&settings, attempt, 0.5, None)))
            .collect();
        assert_eq!(
            delays,
            [
                5_000, 30_000, 120_000, 600_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000
            ]
        );
        assert!(delays.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(settings.max_attempts(), 9);
        // Past the schedule the last step repeats (only reached after a manual retry).
        assert_eq!(ms(next_delay(&settings, 20, 0.5, None)), 36_000_000);
    }

    #[test]
    fn jitter_spreads_each_delay_within_its_percent() {
        let settings = WebhookSettings {
            retry_schedule_ms: vec![1_000, 2_000],
            jitter_percent: 20,
            ..WebhookSettings::default()
        };
        assert_eq!(ms(next_delay(&settings, 1, 0.0, None)), 800);
        assert_eq!(ms(next_delay(&settings, 1, 0.5, None)), 1_000);
        assert_eq!(ms(next_delay(&settings, 1, 0.999_999, None)), 1_200);
        for _ in 0..1_000 {
            let d = ms(next_delay(&settings, 2, random_unit(), None));
            assert!((1_600..=2_400).contains(&d), "{d}");
        }
    }

    #[test]
    fn a_longer_retry_after_wins_and_is_capped() {
        let settings = WebhookSettings {
            retry_schedule_ms: vec![1_000],
            jitter_percent: 0,
            ..WebhookSettings::default()
        };
        let asked = Some(Duration::from_secs(5));
        assert_eq!(ms(next_delay(&settings, 1, 0.5, asked)), 5_000);
        let shorter = Some(Duration::from_millis(10));
        assert_eq!(ms(next_delay(&settings, 1, 0.5, shorter)), 1_000);
        let huge = Some(Duration::from_secs(10 * 24 * 3600));
        assert_eq!(next_delay(&settings, 1, 0.5, huge), MAX_RETRY_AFTER);
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120);
        let text = jiff::fmt::rfc2822::to_string(&later.to_zoned(jiff::tz::TimeZone::UTC)).unwrap();
        let parsed = parse_retry_after(&text).unwrap();
        assert!(
            (110..=121).contains(&parsed.as_secs()),
            "{text} -> {parsed:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn excerpts_are_at_most_a_kibibyte_on_a_character_boundary() {
        assert_eq!(excerpt(b""), None);
        assert_eq!(excerpt(b"ok").as_deref(), Some("ok"));
        let long = "é".repeat(1_000);
        let cut = excerpt(long.as_bytes()).unwrap();
        assert!(
            cut.len() <= EXCERPT_BYTES && cut.chars().all(|c| c == 'é'),
            "{}",
            cut.len()
        );
    }

    #[test]
    fn private_ip_literals_are_refused_unless_allowed() {
        let url = reqwest::Url::parse("http://127.0.0.1:9/hook").unwrap();
        let e = check_literal_destination(&url, false).unwrap_err();
        assert!(e.contains("sandbox.allow_private_networks"), "{e}");
        assert!(check_literal_destination(&url, true).is_ok());
        let url = reqwest::Url::parse("http://[::1]/hook").unwrap();
        assert!(check_literal_destination(&url, false).is_err());
        let url = reqwest::Url::parse("https://93.184.215.14/hook").unwrap();
        assert!(check_literal_destination(&url, false).is_ok());
    }
}
