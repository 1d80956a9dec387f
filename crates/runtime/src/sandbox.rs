//! The state of one sandboxed call (`Store<CallState>`): a WASI context that grants
//! nothing (no preopened directories, environment, arguments or sockets), the egress hooks,
//! a memory limiter that remembers when it refused growth, the CPU tick budget, and the
//! connector's structured log lines.

use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::budget_model::{Observed, ObservedWindow};
use super::egress::{EgressHooks, EgressPolicy};
use super::engine::Runtime;
use super::types::junction::connector::host::{BudgetReport, Host, LogLevel};

/// Log lines a single call may write before further lines are dropped.
const MAX_LOG_LINES: usize = 500;
/// Longest log message kept, in bytes.
const MAX_LOG_BYTES: usize = 4096;
/// Bytes of guest stderr/stdout kept for error messages.
const MAX_STDIO_BYTES: usize = 64 * 1024;

/// One log line written by a connector.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GuestLog {
    pub level: LogLevel,
    pub message: String,
    pub fields: Vec<(String, String)>,
}

/// Store data for one call.
pub struct CallState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    pub(crate) egress: EgressHooks,
    pub(crate) memory: MemoryGuard,
    pub(crate) cpu: CpuBudget,
    pub(crate) logs: Vec<GuestLog>,
    pub(crate) stderr: MemoryOutputPipe,
    connector: String,
}

/// Denies memory growth past the cap and remembers that it did, so a trap that follows
/// can be reported as "memory limit exceeded" rather than an obscure abort.
pub(crate) struct MemoryGuard {
    max_bytes: usize,
    pub(crate) exceeded: bool,
}

impl ResourceLimiter for MemoryGuard {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.exceeded = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// Counts epoch ticks during which the guest was executing.
pub(crate) struct CpuBudget {
    pub(crate) ticks_used: u64,
    pub(crate) ticks_allowed: u64,
    pub(crate) exceeded: bool,
}

impl CallState {
    fn new(runtime: &Runtime, connector: &str, policy: EgressPolicy) -> Self {
        let limits = runtime.limits();
        let stderr = MemoryOutputPipe::new(MAX_STDIO_BYTES);
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .stdout(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            egress: EgressHooks::new(policy),
            memory: MemoryGuard {
                max_bytes: limits.memory_bytes(),
                exceeded: false,
            },
            cpu: CpuBudget {
                ticks_used: 0,
                ticks_allowed: limits.cpu_ticks(),
                exceeded: false,
            },
            logs: Vec::new(),
            stderr,
            connector: connector.to_string(),
        }
    }

    /// What the guest wrote to stdout/stderr (bounded), for error messages.
    pub(crate) fn stdio_tail(&self) -> String {
        let bytes = self.stderr.contents();
        let text = String::from_utf8_lossy(&bytes);
        let trimmed = text.trim();
        let start = trimmed.len().saturating_sub(2000);
        let start = (start..trimmed.len())
            .find(|i| trimmed.is_char_boundary(*i))
            .unwrap_or(trimmed.len());
        trimmed[start..].to_string()
    }
}

/// A store for one call: limits installed, CPU budget armed.
pub(crate) fn new_store(
    runtime: &Runtime,
    connector: &str,
    policy: EgressPolicy,
) -> Store<CallState> {
    let mut store = Store::new(runtime.engine(), CallState::new(runtime, connector, policy));
    store.limiter(|state| &mut state.memory);
    // Each time the deadline passes while wasm runs, one tick of CPU was used: count it,
    // yield to the executor so other tasks progress, and stop the guest past its budget.
    store.epoch_deadline_callback(|mut ctx| {
        let cpu = &mut ctx.data_mut().cpu;
        cpu.ticks_used += 1;
        if cpu.ticks_used > cpu.ticks_allowed {
            cpu.exceeded = true;
            return Ok(UpdateDeadline::Interrupt);
        }
        Ok(UpdateDeadline::Yield(1))
    });
    store.set_epoch_deadline(1);
    store
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for CallState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.egress,
        }
    }
}

impl Host for CallState {
    fn report_budget(&mut self, report: BudgetReport) {
        let observed = match report {
            BudgetReport::Points(bucket) => Observed::Points {
                capacity: bucket.capacity,
                available: bucket.available,
                restore_per_second: bucket.restore_per_second,
                request_cost: bucket.request_cost,
            },
            BudgetReport::Windows(windows) => Observed::Windows(
                windows
                    .into_iter()
                    .map(|w| ObservedWindow {
                        limit: w.limit,
                        remaining: w.remaining,
                        resets_in: Duration::from_millis(w.resets_in_ms),
                    })
                    .collect(),
            ),
        };
        tracing::trace!(connector = %self.connector, ?observed, "budget reported");
        if let Some(budget) = self.egress.budget() {
            budget.learn(observed);
        }
    }

    fn log(&mut self, level: LogLevel, message: String, fields: Vec<(String, String)>) {
        if self.logs.len() >= MAX_LOG_LINES {
            return;
        }
        let mut message = message;
        if message.len() > MAX_LOG_BYTES {
            let cut = (0..=MAX_LOG_BYTES)
                .rev()
                .find(|i| message.is_char_boundary(*i))
                .unwrap_or(0);
            message.truncate(cut);
        }
        let rendered: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let fields_text = rendered.join(" ");
        let connector = self.connector.as_str();
        match level {
            LogLevel::Trace => {
                tracing::trace!(target: "junction::connector", connector, fields = %fields_text, "{message}")
            }
            LogLevel::Debug => {
                tracing::debug!(target: "junction::connector", connector, fields = %fields_text, "{message}")
            }
            LogLevel::Info => {
                tracing::info!(target: "junction::connector", connector, fields = %fields_text, "{message}")
            }
            LogLevel::Warn => {
                tracing::warn!(target: "junction::connector", connector, fields = %fields_text, "{message}")
            }
            LogLevel::Error => {
                tracing::error!(target: "junction::connector", connector, fields = %fields_text, "{message}")
            }
        }
        self.logs.push(GuestLog {
            level,
            message,
            fields,
        });
    }
}
