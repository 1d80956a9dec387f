//! Prometheus metrics. The `metrics` facade is used throughout the host; `junction serve`
//! installs the Prometheus recorder once and serves its rendering at `GET /metrics`.
//! Without a recorder (the CLI, in-process tests) every metric call is a no-op.
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `junction_sync_runs_total` | resource, status | autosync runs ended |
//! | `junction_sync_records_total` | resource | records committed by autosync |
//! | `junction_sync_run_duration_seconds` | resource | autosync run duration |
//! | `junction_connector_calls_total` | connector, call, outcome | sandboxed connector calls |
//! | `junction_connector_call_duration_seconds` | connector, call | their duration |
//! | `junction_http_requests_total` | method, route, status | HTTP requests served |
//! | `junction_http_request_duration_seconds` | method, route | their latency |
//! | `junction_automation_runs_total` | status | automation runs ended |
//! | `junction_automation_writes_total` | outcome (written, skipped, failed, parked) | automation writes |
//! | `junction_automation_run_duration_seconds` | | automation run duration |
//! | `junction_budget_wait_seconds` | | time a request waited for its connection's budget |
//! | `junction_budget_pauses_total` | | 429s that paused a connection's budget |
//! | `junction_budget_ledger_errors_total` | | shared-budget reservations the database did not answer (the host paced on its own) |
//! | `junction_pushed_orders_total` | created | orders pushed to the push endpoint |
//! | `junction_webhook_attempts_total` | outcome | webhook delivery attempts |
//! | `junction_webhook_deliveries_total` | outcome (delivered, failed) | webhook deliveries settled |
//! | `junction_webhook_attempt_duration_seconds` | | webhook attempt duration |
//! | `junction_components_synced_total` | outcome (installed, failed) | connector components installed from the database |

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds, from sub-millisecond API reads to long syncs.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0,
];

/// Install the Prometheus recorder for this process.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
        .map_err(|e| anyhow::anyhow!("metrics buckets: {e}"))?
        .install_recorder()
        .map_err(|e| anyhow::anyhow!("cannot install the metrics recorder: {e}"))
}

/// Axum middleware: count and time every request by its route template (not the raw
/// path, so ids do not explode the label set).
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = request.method().to_string();
    let start = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("junction_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("junction_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    response
}
