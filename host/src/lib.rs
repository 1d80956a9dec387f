//! Junction: a self-hosted connector hub whose connectors are sandboxed WebAssembly
//! components. This crate is the `junction` binary's: the command line ([`cli`]), the
//! configuration file ([`config`]), the server's composition ([`server`]), the operator's
//! CLI ([`admin_cli`]) and the metrics recorder ([`metrics`]). Everything else lives in the
//! crates under `crates/` (see ARCHITECTURE.md); they are re-exported here under the names
//! the end-to-end tests and benchmarks use.

pub mod admin_cli;
pub mod author;
pub mod cli;
pub mod config;
pub mod config_reference;
pub mod metrics;
pub mod server;
pub mod write_examples;

pub use junction_api as api;
pub use junction_contract as contract;
pub use junction_domain as domain;
pub use junction_domain::{hub, key_check, secrets, sync, webhooks};
pub use junction_portal as portal;
pub use junction_runtime as runtime;
pub use junction_store as store;
