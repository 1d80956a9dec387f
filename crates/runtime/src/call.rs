//! Running one call: a fresh instance from the pre-instantiated component, in a fresh
//! sandboxed store, under the wall-clock limit; and turning whatever went wrong (a trap, a
//! spent CPU or memory budget, a refused request) into a [`CallError`] that says so.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;

use super::budget::RequestBudget;
use super::egress::EgressPolicy;
use super::engine::Runtime;
use super::error::CallError;
use super::hosts::AllowList;
use super::sandbox::{CallState, GuestLog, new_store};
use super::types::{
    CheckInfo, ConnectorError, Entity, ListRequest, Manifest, Page, PluginPre, RateLimitedInfo,
    ResourceKind, WriteOp, WriteOutcome,
};

/// What a call runs with: the connection's config (secrets decrypted) and where it may
/// connect to.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// The config as a JSON object string.
    pub config: String,
    pub allow: AllowList,
    /// The connection's request budget, shared by all its calls; none: unpaced.
    pub budget: Option<Arc<RequestBudget>>,
}

/// The call to make, with its arguments.
pub(crate) enum Request {
    Manifest,
    Check {
        config: String,
    },
    List {
        config: String,
        request: ListRequest,
    },
    Get {
        config: String,
        resource: ResourceKind,
        id: String,
        parent_id: Option<String>,
    },
    Write {
        config: String,
        op: Box<WriteOp>,
    },
    /// Only ops the manifest lists; the caller answers the others itself.
    WriteBatch {
        config: String,
        ops: Vec<WriteOp>,
    },
}

impl Request {
    /// The call's name, for metrics and logs.
    fn name(&self) -> &'static str {
        match self {
            Request::Manifest => "manifest",
            Request::Check { .. } => "check",
            Request::List { .. } => "list",
            Request::Get { .. } => "get",
            Request::Write { .. } => "write",
            Request::WriteBatch { .. } => "write_batch",
        }
    }
}

/// The guest's answer, before the contract-level result is unpacked.
pub(crate) enum Reply {
    Manifest(Manifest),
    Check(Result<CheckInfo, ConnectorError>),
    List(Result<Page, ConnectorError>),
    Get(Result<Entity, ConnectorError>),
    Write(Result<WriteOutcome, ConnectorError>),
    WriteBatch(Result<Vec<Result<WriteOutcome, ConnectorError>>, ConnectorError>),
}

impl Reply {
    /// True when the guest answered with one of the contract's errors.
    fn is_contract_error(&self) -> bool {
        match self {
            Reply::Manifest(_) => false,
            Reply::Check(r) => r.is_err(),
            Reply::List(r) => r.is_err(),
            Reply::Get(r) => r.is_err(),
            Reply::Write(r) => r.is_err(),
            // Per-op errors are outcomes of a call that worked; only the whole call failing
            // counts.
            Reply::WriteBatch(r) => r.is_err(),
        }
    }
}

/// Everything one call produced.
pub struct CallResult<T> {
    pub value: Result<T, CallError>,
    pub logs: Vec<GuestLog>,
    /// Outgoing HTTP requests the call made.
    pub requests: u32,
    /// The first of them, for a run's history (see [`crate::egress::LOGGED_REQUESTS`]).
    pub request_log: Vec<crate::egress::RequestRecord>,
}

pub(crate) async fn run(
    runtime: &Runtime,
    pre: &PluginPre<CallState>,
    connector: &str,
    options: &CallOptions,
    request: Request,
) -> CallResult<Reply> {
    let call_name = request.name();
    let started = std::time::Instant::now();
    let policy = EgressPolicy::new(
        options.allow.clone(),
        options.budget.clone(),
        runtime.limits(),
    );
    let mut store = new_store(runtime, connector, policy);
    let limit = runtime.limits().call_timeout();
    let outcome = tokio::time::timeout(limit, invoke(pre, &mut store, request)).await;
    let report = store.data().egress.report();
    let value = match outcome {
        Err(_) => Err(CallError::Timeout {
            connector: connector.to_string(),
            limit_ms: runtime.limits().call_timeout_ms,
        }),
        Ok(Err(error)) => Err(classify_failure(runtime, connector, &store, error)),
        Ok(Ok(reply)) => Ok(explain_refusals(
            explain_budget_pause(reply, report.budget_paused),
            &report.refusals,
        )),
    };
    let outcome = match &value {
        Ok(reply) if reply.is_contract_error() => "connector_error",
        Ok(_) => "ok",
        Err(_) => "failed",
    };
    metrics::counter!("junction_connector_calls_total", "connector" => connector.to_string(), "call" => call_name, "outcome" => outcome)
        .increment(1);
    metrics::histogram!("junction_connector_call_duration_seconds", "connector" => connector.to_string(), "call" => call_name)
        .record(started.elapsed().as_secs_f64());
    let logs = std::mem::take(&mut store.data_mut().logs);
    CallResult {
        value,
        logs,
        requests: report.requests,
        request_log: report.log,
    }
}

async fn invoke(
    pre: &PluginPre<CallState>,
    store: &mut Store<CallState>,
    request: Request,
) -> wasmtime::Result<Reply> {
    let plugin = pre.instantiate_async(&mut *store).await?;
    let guest = plugin.junction_connector_connector();
    Ok(match request {
        Request::Manifest => Reply::Manifest(guest.call_manifest(&mut *store).await?),
        Request::Check { config } => Reply::Check(guest.call_check(&mut *store, &config).await?),
        Request::List { config, request } => {
            Reply::List(guest.call_list(&mut *store, &config, &request).await?)
        }
        Request::Get {
            config,
            resource,
            id,
            parent_id,
        } => Reply::Get(
            guest
                .call_get(&mut *store, &config, resource, &id, parent_id.as_deref())
                .await?,
        ),
        Request::Write { config, op } => {
            Reply::Write(guest.call_write(&mut *store, &config, &op).await?)
        }
        Request::WriteBatch { config, ops } => {
            Reply::WriteBatch(guest.call_write_batch(&mut *store, &config, &ops).await?)
        }
    })
}

fn classify_failure(
    runtime: &Runtime,
    connector: &str,
    store: &Store<CallState>,
    error: wasmtime::Error,
) -> CallError {
    let state = store.data();
    let connector = connector.to_string();
    if state.cpu.exceeded {
        return CallError::CpuLimit {
            connector,
            limit_ms: runtime.limits().cpu_ms,
        };
    }
    if state.memory.exceeded {
        return CallError::MemoryLimit {
            connector,
            limit_mib: runtime.limits().memory_mib,
        };
    }
    let trap = error.downcast_ref::<wasmtime::Trap>().copied();
    let mut reason = match trap {
        Some(trap) => format!("{trap}"),
        None => format!("{error:#}"),
    };
    let stdio = state.stdio_tail();
    if !stdio.is_empty() {
        reason.push_str(&format!("; connector output: {stdio}"));
    }
    if trap.is_none() && is_instantiation_error(&error) {
        return CallError::Instantiate { connector, reason };
    }
    CallError::Trap { connector, reason }
}

fn is_instantiation_error(error: &wasmtime::Error) -> bool {
    let text = format!("{error:#}");
    text.contains("instance") && (text.contains("pool") || text.contains("limit"))
}

/// A request held back by a paused budget reaches the guest as a refused request; whatever
/// the guest made of it, the call's answer is "rate limited" with the pause's remaining wait,
/// so callers wait it out like any 429.
fn explain_budget_pause(reply: Reply, paused: Option<Duration>) -> Reply {
    let Some(remaining) = paused else {
        return reply;
    };
    let rate_limited = |_: ConnectorError| {
        ConnectorError::RateLimited(RateLimitedInfo {
            retry_after_ms: u64::try_from(remaining.as_millis()).unwrap_or(u64::MAX),
            message: "the connection's request budget is paused (a rate-limit answer, or the budget the system reported is spent)".into(),
        })
    };
    match reply {
        Reply::Check(r) => Reply::Check(r.map_err(rate_limited)),
        Reply::List(r) => Reply::List(r.map_err(rate_limited)),
        Reply::Get(r) => Reply::Get(r.map_err(rate_limited)),
        Reply::Write(r) => Reply::Write(r.map_err(rate_limited)),
        Reply::WriteBatch(r) => Reply::WriteBatch(
            r.map(|outcomes| {
                // Only ops whose request was held back (a refused request reaches the guest
                // as a transport error); an op refused for its own reasons keeps its error.
                outcomes
                    .into_iter()
                    .map(|o| {
                        o.map_err(|e| match e {
                            ConnectorError::Transport(_) => rate_limited(e),
                            other => other,
                        })
                    })
                    .collect()
            })
            .map_err(rate_limited),
        ),
        other => other,
    }
}

/// The guest only sees a wasi:http error code for a refused request; append the host's
/// reason to the transport error the guest reported.
fn explain_refusals(reply: Reply, refusals: &[String]) -> Reply {
    if refusals.is_empty() {
        return reply;
    }
    let explain = |error: ConnectorError| match error {
        ConnectorError::Transport(message) => {
            ConnectorError::Transport(format!("{message} (host: {})", refusals.join("; ")))
        }
        other => other,
    };
    match reply {
        Reply::Check(r) => Reply::Check(r.map_err(explain)),
        Reply::List(r) => Reply::List(r.map_err(explain)),
        Reply::Get(r) => Reply::Get(r.map_err(explain)),
        Reply::Write(r) => Reply::Write(r.map_err(explain)),
        Reply::WriteBatch(r) => Reply::WriteBatch(
            r.map(|outcomes| outcomes.into_iter().map(|o| o.map_err(explain)).collect())
                .map_err(explain),
        ),
        other => other,
    }
}

impl<T> CallResult<T> {
    /// A call refused before it ran.
    pub(crate) fn failed(error: CallError) -> Self {
        CallResult {
            value: Err(error),
            logs: Vec::new(),
            requests: 0,
            request_log: Vec::new(),
        }
    }

    /// A call answered by the host alone, without running the guest.
    pub(crate) fn answered(value: T) -> Self {
        CallResult {
            value: Ok(value),
            logs: Vec::new(),
            requests: 0,
            request_log: Vec::new(),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> Result<U, CallError>) -> CallResult<U> {
        CallResult {
            value: self.value.and_then(f),
            logs: self.logs,
            requests: self.requests,
            request_log: self.request_log,
        }
    }
}
