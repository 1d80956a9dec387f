//! Sandbox limits: how much memory, CPU, wall-clock time and network a single connector
//! call may use. Every limit has a documented default and can be overridden from the
//! server's config file (`[sandbox]` table) or the CLI.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Limits applied to every connector call. The defaults suit connectors that page through
/// REST APIs; raise them for unusually heavy systems.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxLimits {
    /// Largest linear memory one instance may grow to, in MiB. Default 256.
    pub memory_mib: u64,
    /// CPU time the guest may spend executing WebAssembly in one call, in milliseconds.
    /// Measured in epoch ticks of `epoch_tick_ms`. Default 10 000.
    pub cpu_ms: u64,
    /// Wall-clock time one call may take, including time waiting on the network, in
    /// milliseconds. Default 60 000.
    pub call_timeout_ms: u64,
    /// Granularity of the CPU limit, in milliseconds. Default 10.
    pub epoch_tick_ms: u64,
    /// Time allowed to resolve a name and connect, in milliseconds. Default 10 000.
    pub connect_timeout_ms: u64,
    /// Time allowed until the response headers arrive, in milliseconds. Default 30 000.
    pub first_byte_timeout_ms: u64,
    /// Time allowed between two chunks of a response body, in milliseconds. Default 30 000.
    pub between_bytes_timeout_ms: u64,
    /// Largest response body the guest may receive, in MiB. Default 32.
    pub max_response_mib: u64,
    /// Outgoing HTTP requests one call may make. Default 1 000.
    pub max_requests_per_call: u32,
    /// Allow egress to loopback, private, link-local and other non-public addresses.
    /// Off by default; tests and the local demo turn it on.
    pub allow_private_networks: bool,
    /// Use wasmtime's pooling instance allocator (faster instantiation, reserves virtual
    /// memory up front). Default on.
    pub pooling: bool,
    /// Instances that may be alive at the same time when pooling. Default 64.
    pub max_concurrent_instances: u32,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        Self {
            memory_mib: 256,
            cpu_ms: 10_000,
            call_timeout_ms: 60_000,
            epoch_tick_ms: 10,
            connect_timeout_ms: 10_000,
            first_byte_timeout_ms: 30_000,
            between_bytes_timeout_ms: 30_000,
            max_response_mib: 32,
            max_requests_per_call: 1_000,
            allow_private_networks: false,
            pooling: true,
            max_concurrent_instances: 64,
        }
    }
}

impl SandboxLimits {
    pub fn memory_bytes(&self) -> usize {
        usize::try_from(self.memory_mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX)
    }
    pub fn max_response_bytes(&self) -> u64 {
        self.max_response_mib.saturating_mul(1 << 20)
    }
    pub fn call_timeout(&self) -> Duration {
        Duration::from_millis(self.call_timeout_ms)
    }
    pub fn epoch_tick(&self) -> Duration {
        Duration::from_millis(self.epoch_tick_ms.max(1))
    }
    /// The CPU budget expressed in epoch ticks (at least one).
    pub fn cpu_ticks(&self) -> u64 {
        (self.cpu_ms / self.epoch_tick_ms.max(1)).max(1)
    }
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }
    pub fn first_byte_timeout(&self) -> Duration {
        Duration::from_millis(self.first_byte_timeout_ms)
    }
    pub fn between_bytes_timeout(&self) -> Duration {
        Duration::from_millis(self.between_bytes_timeout_ms)
    }
}
