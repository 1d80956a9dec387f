//! Typed errors of the runtime: why a component failed to load, and why a call failed.
//! Every message names the connector or file and says what was wrong, so that CLI users
//! and the run history show something actionable.

use std::path::PathBuf;

use super::types::ConnectorError;

/// Why a component could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a WebAssembly component: {reason}")]
    NotAComponent { path: PathBuf, reason: String },
    #[error(
        "{path} does not implement the junction:connector/plugin world \
         (exports connector, imports only host, wasi:http and wasi): {reason}"
    )]
    WrongWorld { path: PathBuf, reason: String },
    #[error("{path}: calling `manifest` failed: {reason}")]
    ManifestCall { path: PathBuf, reason: String },
    #[error("{path}: invalid manifest: {problems}")]
    InvalidManifest { path: PathBuf, problems: String },
    #[error("{path}: connector key `{key}` is already provided by {other}")]
    DuplicateKey {
        path: PathBuf,
        key: String,
        other: PathBuf,
    },
    #[error("compiled-component cache at {path}: {source}")]
    Cache {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Why one connector call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The connector ran and returned one of the contract's errors.
    #[error("{}", .0.describe())]
    Connector(ConnectorError),
    /// The guest used more CPU than the sandbox allows.
    #[error("connector `{connector}` exceeded its CPU limit of {limit_ms} ms and was stopped")]
    CpuLimit { connector: String, limit_ms: u64 },
    /// The guest tried to grow its memory past the cap and then failed.
    #[error("connector `{connector}` exceeded its memory limit of {limit_mib} MiB and was stopped")]
    MemoryLimit { connector: String, limit_mib: u64 },
    /// The call took longer than the wall-clock limit.
    #[error("connector `{connector}` did not finish within {limit_ms} ms and was stopped")]
    Timeout { connector: String, limit_ms: u64 },
    /// The guest trapped (a panic, an unreachable, a bad memory access).
    #[error("connector `{connector}` crashed: {reason}")]
    Trap { connector: String, reason: String },
    /// The host could not set up the call (instantiation failed, pool exhausted...).
    #[error("connector `{connector}` could not be started: {reason}")]
    Instantiate { connector: String, reason: String },
    /// The config does not match the connector's schema.
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// The requested operation is not in the connector's manifest.
    #[error("connector `{connector}` does not support {what}")]
    Unsupported { connector: String, what: String },
}

impl CallError {
    /// True when retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            CallError::Connector(e) => match e {
                ConnectorError::RateLimited(_) | ConnectorError::Transport(_) => true,
                ConnectorError::Upstream(u) => u.status >= 500,
                _ => false,
            },
            CallError::Timeout { .. } | CallError::Instantiate { .. } => true,
            _ => false,
        }
    }
}
