//! The plugin runtime: everything that touches wasmtime.
//!
//! It owns the engine and its epoch ticker ([`engine`]), the on-disk cache of compiled
//! components ([`cache`]), loading and validating a component ([`connector`]), running one
//! call in a fresh sandboxed instance ([`call`], [`sandbox`], [`egress`]) and the registry
//! of loaded connectors with hot reload ([`registry`]). Nothing here knows about HTTP routes
//! or SQL; callers get plain canonical types ([`types`]) and typed errors ([`error`]).

pub mod budget;
pub mod budget_model;
pub mod cache;
pub mod call;
pub mod config_check;
pub mod connector;
pub mod egress;
pub mod engine;
pub mod error;
pub mod hosts;
pub mod limits;
pub mod manifest;
pub mod overrides;
pub mod registry;
pub mod sandbox;
pub mod types;

pub use call::CallOptions;
pub use connector::LoadedConnector;
pub use engine::Runtime;
pub use error::{CallError, LoadError};
pub use limits::SandboxLimits;
pub use registry::Registry;
