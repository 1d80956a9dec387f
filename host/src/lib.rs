//! Junction: a self-hosted connector hub whose connectors are sandboxed WebAssembly
//! components. See ARCHITECTURE.md for the map of this crate.

pub mod admin_cli;
pub mod api;
pub mod cli;
pub mod config;
pub mod domain;
pub mod hub;
pub mod key_check;
pub mod metrics;
pub mod portal;
pub mod runtime;
pub mod secrets;
pub mod server;
pub mod store;
pub mod sync;
pub mod webhooks;
