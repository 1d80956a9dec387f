//! A run's story, the one home of it: the steps sync and reconciliation runs record as they
//! go (each page with its record counts, requests and connector log lines; each failed
//! call), what a failed run's error means and what to do about it, reading a run with its
//! steps for a front end, and pruning old steps. Recording a step is bookkeeping: if the
//! database refuses it the run goes on (the failure is logged), since the run's own
//! counters and error are written elsewhere.

use serde::{Deserialize, Serialize};

use junction_runtime::call::CallResult;
use junction_runtime::egress::RequestRecord;
use junction_store::run_steps::RunStep;
use junction_store::runs::Run;
use junction_store::{Store, StoreError, now_ms};

/// Connector log lines kept per step (a connector may log up to its call's cap).
const LOG_LINES_KEPT: usize = 20;
/// The longest log line kept, in bytes.
const LOG_LINE_BYTES: usize = 500;

/// One connector log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub level: String,
    pub message: String,
}

/// What a call did on the network and said in its log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallTrace {
    pub requests: Vec<RequestRecord>,
    pub logs: Vec<LogLine>,
    /// How long the call took, in milliseconds.
    pub duration_ms: u64,
}

impl CallTrace {
    /// The trace of a finished call, with its duration.
    pub fn of<T>(result: &CallResult<T>, started: std::time::Instant) -> Self {
        Self {
            requests: result.request_log.clone(),
            logs: result
                .logs
                .iter()
                .take(LOG_LINES_KEPT)
                .map(|line| {
                    let mut message = line.message.clone();
                    if message.len() > LOG_LINE_BYTES {
                        let cut = (0..=LOG_LINE_BYTES)
                            .rev()
                            .find(|i| message.is_char_boundary(*i))
                            .unwrap_or(0);
                        message.truncate(cut);
                    }
                    // `LogLevel::Debug` → `debug`.
                    let level = format!("{:?}", line.level);
                    LogLine {
                        level: level.rsplit("::").next().unwrap_or_default().to_lowercase(),
                        message,
                    }
                })
                .collect(),
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Time spent waiting for the connection's request budget.
    pub fn budget_wait_ms(&self) -> u64 {
        self.requests.iter().map(|r| r.budget_wait_ms).sum()
    }
}

/// A page a sync committed (or a reconciliation scanned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageStep {
    /// 1 for the run's first page.
    pub page: u64,
    /// The product whose variations this page listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    pub records: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Records the system reported deleted on this page and the copy removed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub deleted: u64,
    #[serde(flatten)]
    pub call: CallTrace,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A call that failed and ended the run (or the reconciliation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedCallStep {
    pub error: String,
    #[serde(flatten)]
    pub call: CallTrace,
}

/// Records an automation run lists per step.
pub const RECORDS_PER_STEP: usize = 100;

/// One record an automation run read and did not write, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedRecord {
    pub id: String,
    /// `deleted`, `echo`, `unchanged`, `nothing-to-write` or `unreadable`.
    pub reason: String,
}

/// A page of changes an automation run read from one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadStep {
    pub resource: String,
    pub source_connection_id: String,
    pub target_connection_id: String,
    pub read: u64,
    /// Queued to be written.
    pub queued: u64,
    /// The first [`RECORDS_PER_STEP`] it skipped.
    pub skipped: Vec<SkippedRecord>,
}

/// One write an automation delivered (or tried to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteOutcome {
    pub resource: String,
    pub source_connection_id: String,
    pub source_id: String,
    /// `upsert-order`, `update-stock`, ...
    pub kind: String,
    /// `written`, `unchanged`, `failed` (retried later), `parked` or `rate-limited`.
    pub outcome: String,
    /// Why it failed or was parked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A batch of writes an automation delivered to one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WritesStep {
    pub target_connection_id: String,
    /// The first [`RECORDS_PER_STEP`] of the batch.
    pub writes: Vec<WriteOutcome>,
    /// How many the batch held.
    pub total: u64,
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Page(PageStep),
    CallFailed(FailedCallStep),
    Read(ReadStep),
    Writes(WritesStep),
}

impl Step {
    fn kind(&self) -> &'static str {
        match self {
            Step::Page(_) => "page",
            Step::CallFailed(_) => "call-failed",
            Step::Read(_) => "read",
            Step::Writes(_) => "writes",
        }
    }

    fn body(&self) -> Result<String, serde_json::Error> {
        match self {
            Step::Page(p) => serde_json::to_string(p),
            Step::CallFailed(f) => serde_json::to_string(f),
            Step::Read(r) => serde_json::to_string(r),
            Step::Writes(w) => serde_json::to_string(w),
        }
    }

    /// A stored step read back; `None` for a kind this version does not know.
    pub fn parse(stored: &RunStep) -> Option<Self> {
        match stored.kind.as_str() {
            "page" => serde_json::from_str(&stored.body).ok().map(Step::Page),
            "call-failed" => serde_json::from_str(&stored.body)
                .ok()
                .map(Step::CallFailed),
            "read" => serde_json::from_str(&stored.body).ok().map(Step::Read),
            "writes" => serde_json::from_str(&stored.body).ok().map(Step::Writes),
            _ => None,
        }
    }
}

/// Record a step of run `run_id` (see the module doc on failures).
pub async fn record(store: &Store, run_id: &str, step: &Step) {
    let body = match step.body() {
        Ok(body) => body,
        Err(e) => {
            tracing::warn!(run = %run_id, error = %e, "a run step could not be written as JSON");
            return;
        }
    };
    if let Err(e) = store.add_run_step(run_id, step.kind(), &body).await {
        tracing::warn!(run = %run_id, error = %e, "a run step was not recorded");
    }
}

/// What a failed run's error means and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Advice {
    /// `credentials`, `rate-limit`, `upstream`, `configuration`, `connector` or `unknown`.
    pub cause: &'static str,
    /// The cause in words.
    pub summary: &'static str,
    /// What to do.
    pub action: &'static str,
}

/// Read a run's error (as the host words them: `unauthorized: ...`, `upstream error 503:
/// ...`, `transport error: ...`, `rate limited ...`, a connector trap) into its cause and
/// the action that fixes it.
pub fn advice(error: &str) -> Advice {
    let text = error.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&[
        "unauthorized",
        "forbidden",
        "http 401",
        "http 403",
        "credentials",
        "authentication",
    ]) {
        Advice {
            cause: "credentials",
            summary: "The system refused the connection's credentials.",
            action: "Check the key, secret or password in the connection's settings (Manage → Edit name and settings, then Test settings); the next sync runs as soon as you save.",
        }
    } else if has(&[
        "rate limit",
        "rate-limit",
        "429",
        "budget is paused",
        "too many requests",
    ]) {
        Advice {
            cause: "rate-limit",
            summary: "The system asked Junction to slow down.",
            action: "Nothing to do: Junction pauses the connection's requests and retries. If it keeps happening, sync less often or lower the connection's request budget.",
        }
    } else if has(&[
        "trap",
        "invalid json",
        "bad record",
        "connector returned a",
        "out of memory",
        "handed back the cursor",
    ]) {
        Advice {
            cause: "connector",
            summary: "The connector failed on what the system answered (a bug in the connector, or an answer it does not expect).",
            action: "Report it to the connector's author with this run's id and error; the requests and log lines below show what it read.",
        }
    } else if has(&[
        "transport error",
        "timed out",
        "timeout",
        "connection refused",
        "upstream error 5",
        "dns",
        "no route to host",
        "reading the response body failed",
    ]) {
        Advice {
            cause: "upstream",
            summary: "The system was down, slow or unreachable.",
            action: "Nothing to do if it is brief: Junction retries with backoff. If it lasts, check that the system is up and that its address in the connection's settings is right.",
        }
    } else if has(&[
        "invalid config",
        "config:",
        "configuration",
        "not an allowed destination",
    ]) {
        Advice {
            cause: "configuration",
            summary: "The connection's settings are not what the connector needs.",
            action: "Fix the field named in the error in the connection's settings and save; Test settings shows whether it works.",
        }
    } else {
        Advice {
            cause: "unknown",
            summary: "The run failed for a reason Junction does not recognise.",
            action: "Read the error and the steps below; the next scheduled run tries again.",
        }
    }
}

/// A run with its steps and, if it failed, advice.
#[derive(Debug, Clone)]
pub struct RunDetail {
    pub run: Run,
    pub steps: Vec<(RunStep, Option<Step>)>,
    /// Steps the store did not keep (a run of more pages than it keeps).
    pub steps_dropped: u64,
    pub advice: Option<Advice>,
}

/// A sync or reconciliation run with its steps.
pub async fn detail(store: &Store, run_id: &str) -> Result<RunDetail, StoreError> {
    let run = store.run(run_id).await?;
    let steps: Vec<(RunStep, Option<Step>)> = store
        .run_steps(run_id)
        .await?
        .into_iter()
        .map(|stored| {
            let parsed = Step::parse(&stored);
            (stored, parsed)
        })
        .collect();
    let pages_kept = steps
        .iter()
        .filter(|(_, s)| matches!(s, Some(Step::Page(_))))
        .count() as u64;
    let steps_dropped = u64::try_from(run.pages)
        .unwrap_or(0)
        .saturating_sub(pages_kept);
    let advice = run
        .error
        .as_deref()
        .filter(|_| run.status == "failed")
        .map(advice);
    Ok(RunDetail {
        run,
        steps,
        steps_dropped,
        advice,
    })
}

/// An automation run with its steps and, if it failed, advice.
#[derive(Debug, Clone)]
pub struct AutomationRunDetail {
    pub run: junction_store::automations::AutomationRun,
    pub steps: Vec<(RunStep, Option<Step>)>,
    pub advice: Option<Advice>,
}

/// An automation run of `automation_id` with its steps.
pub async fn automation_detail(
    store: &Store,
    automation_id: &str,
    run_id: &str,
) -> Result<AutomationRunDetail, StoreError> {
    let run = store.automation_run(automation_id, run_id).await?;
    let steps = store
        .run_steps(run_id)
        .await?
        .into_iter()
        .map(|stored| {
            let parsed = Step::parse(&stored);
            (stored, parsed)
        })
        .collect();
    let advice = run
        .error
        .as_deref()
        .filter(|_| run.status == "failed")
        .map(advice);
    Ok(AutomationRunDetail { run, steps, advice })
}

/// Remove steps older than `keep_days` (0 keeps them forever); returns how many went.
pub async fn prune(store: &Store, keep_days: u32) -> Result<u64, StoreError> {
    if keep_days == 0 {
        return Ok(0);
    }
    let before = now_ms().saturating_sub(i64::from(keep_days) * 86_400_000);
    let removed = store.prune_run_steps(before).await?;
    if removed > 0 {
        tracing::info!(removed, keep_days, "old run steps pruned");
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_read_into_causes_and_actions() {
        for (error, cause) in [
            (
                "unauthorized: HTTP 401: Consumer secret is invalid.",
                "credentials",
            ),
            (
                "rate limited: the connection's request budget is paused for 900 ms",
                "rate-limit",
            ),
            (
                "transport error: connection refused (http://127.0.0.1:1/x)",
                "upstream",
            ),
            ("upstream error 503: Service Unavailable", "upstream"),
            ("invalid config: base_url: is required", "configuration"),
            ("the connector trapped: wasm trap: unreachable", "connector"),
            (
                "upstream error 200: invalid JSON from upstream: EOF",
                "connector",
            ),
            ("something new", "unknown"),
        ] {
            assert_eq!(advice(error).cause, cause, "{error}");
        }
    }

    #[test]
    fn steps_read_back_as_written() {
        let step = Step::Page(PageStep {
            page: 2,
            parent_id: None,
            records: 10,
            created: 3,
            updated: 2,
            unchanged: 5,
            deleted: 1,
            call: CallTrace {
                requests: vec![RequestRecord {
                    method: "GET".into(),
                    target: "shop.example:443/wp-json/wc/v3/orders".into(),
                    status: Some(200),
                    duration_ms: 12,
                    budget_wait_ms: 3,
                    error: None,
                }],
                logs: vec![LogLine {
                    level: "info".into(),
                    message: "page 2".into(),
                }],
                duration_ms: 20,
            },
        });
        let stored = RunStep {
            seq: 2,
            at_ms: 0,
            kind: step.kind().into(),
            body: step.body().unwrap_or_default(),
        };
        assert_eq!(Step::parse(&stored), Some(step));
    }
}
