//! The Junction connector SDK: everything a Rust connector needs besides its own mapping
//! code.
//!
//! A connector is a WebAssembly component of the `junction:connector@0.1.0` world `plugin`
//! (see `wit/connector.wit`). With this crate a connector is a `cdylib` that implements
//! [`Connector`] and exports it with [`export_connector!`]:
//!
//! ```ignore
//! use junction_sdk::prelude::*;
//!
//! struct Shop;
//!
//! impl Connector for Shop {
//!     fn manifest() -> Manifest { /* ... */ }
//!     fn check(config: String) -> Result<CheckInfo, ConnectorError> { /* ... */ }
//!     fn list(config: String, request: ListRequest) -> Result<Page, ConnectorError> { /* ... */ }
//!     fn get(config: String, resource: ResourceKind, id: String, parent_id: Option<String>)
//!         -> Result<Entity, ConnectorError> { /* ... */ }
//!     fn write(config: String, op: WriteOp) -> Result<WriteOutcome, ConnectorError> { /* ... */ }
//! }
//!
//! junction_sdk::export_connector!(Shop);
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2`: rustc emits a component directly.
//!
//! Modules:
//! - [`types`] / [`prelude`]: the canonical records, requests and errors of the contract.
//! - [`http`]: a small blocking HTTP client over raw `wasi:http` (the only egress a connector
//!   has), with JSON bodies, auth helpers, timeouts and a body size cap.
//! - [`error`]: constructors for [`types::ConnectorError`] and the mapping of HTTP answers
//!   (status, `Retry-After`, error bodies) and transport failures onto it.
//! - [`paging`]: opaque cursors and `Link` headers.
//! - [`time`]: RFC 3339 UTC timestamps as the contract wants them.
//! - [`decimal`]: validated decimal strings for money and quantities.
//! - [`config`]: parsing the connection config into a serde struct.
//! - [`log`]: structured logging into the host's log.
//! - [`url`]: absolute http(s) URLs (parsing, path segments, query pairs).
//!
//! Everything except the HTTP transport and the host log is pure Rust and unit-tested on the
//! build machine (`cargo test -p junction-sdk`).

// The generated export macro refers to this crate as `junction_sdk`, also from inside it.
extern crate self as junction_sdk;

pub mod bindings;
pub mod config;
pub mod decimal;
pub mod error;
pub mod http;
pub mod log;
pub mod paging;
pub mod time;
pub mod url;

/// The canonical types of the contract (`junction:connector/types`), re-exported.
pub mod types {
    /// The manifest as the `connector` interface names it (the same type as [`Manifest`]).
    pub use crate::bindings::exports::junction::connector::connector::ConnectorManifest;
    pub use crate::bindings::junction::connector::types::*;
}

/// The trait a connector implements: the `junction:connector/connector` interface.
pub use crate::bindings::exports::junction::connector::connector::Guest as Connector;

/// One import for a connector's usual needs.
pub mod prelude {
    pub use crate::Connector;
    pub use crate::error::ConnectorResult;
    pub use crate::http::{Client, Method, Request, Response};
    pub use crate::types::*;
}

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;
}

/// Exports a type implementing [`Connector`] as the component's `connector` interface.
///
/// ```ignore
/// struct WooCommerce;
/// impl junction_sdk::Connector for WooCommerce { /* ... */ }
/// junction_sdk::export_connector!(WooCommerce);
/// ```
///
/// Use it once, at the crate root of a `cdylib`.
#[macro_export]
macro_rules! export_connector {
    ($ty:ident) => {
        $crate::bindings::export!($ty with_types_in $crate::bindings);
    };
}
