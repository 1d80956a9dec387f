//! The Junction connector SDK: everything a Rust connector needs besides its own mapping
//! code.
//!
//! A connector is a WebAssembly component of the `junction:connector@0.2.0` world `plugin`
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
//!     // `write_batch` has a default (one `write` per op); override it when the system
//!     // has batch endpoints.
//! }
//!
//! junction_sdk::export_connector!(Shop);
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2`: rustc emits a component directly.
//!
//! Modules:
//! - [`types`] / [`prelude`]: the canonical records, requests and errors of the contract.
//! - [`batch`]: `write-batch` bookkeeping (outcomes in op order, the rate-limit rule) and
//!   the one-by-one default.
//! - [`http`]: a small blocking HTTP client over raw `wasi:http` (the only egress a connector
//!   has), with JSON bodies, auth helpers, timeouts and a body size cap.
//! - [`error`]: constructors for [`types::ConnectorError`] and the mapping of HTTP answers
//!   (status, `Retry-After`, error bodies) and transport failures onto it.
//! - [`paging`]: opaque cursors and `Link` headers.
//! - [`deletions`]: declaring how deletions are found, pages that report them, ids-only pages.
//! - [`time`]: RFC 3339 UTC timestamps as the contract wants them.
//! - [`decimal`]: validated decimal strings for money and quantities.
//! - [`config`]: parsing the connection config into a serde struct.
//! - [`log`]: structured logging into the host's log.
//! - [`budget`]: telling the host where a points or multi-window budget stands.
//! - [`url`]: absolute http(s) URLs (parsing, path segments, query pairs).
//!
//! Everything except the HTTP transport and the host log is pure Rust and unit-tested on the
//! build machine (`cargo test -p junction-sdk`).

// The generated export macro refers to this crate as `junction_sdk`, also from inside it.
extern crate self as junction_sdk;

pub mod batch;
pub mod bindings;
pub mod budget;
pub mod config;
pub mod decimal;
pub mod deletions;
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

impl types::ResourceKind {
    /// The resource's name as the contract, the Runtime API and the manifest spell it:
    /// `orders`, `customers`, `products`, `variations`.
    pub fn as_str(self) -> &'static str {
        match self {
            types::ResourceKind::Orders => "orders",
            types::ResourceKind::Customers => "customers",
            types::ResourceKind::Products => "products",
            types::ResourceKind::Variations => "variations",
        }
    }

    /// The resource a name stands for ([`as_str`](Self::as_str)'s inverse), or none.
    pub fn parse(name: &str) -> Option<Self> {
        [
            types::ResourceKind::Orders,
            types::ResourceKind::Customers,
            types::ResourceKind::Products,
            types::ResourceKind::Variations,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// The trait a connector implements: the `junction:connector/connector` interface.
///
/// It mirrors the generated export trait, plus a default for
/// [`write_batch`](Connector::write_batch), so a connector whose system has no batch
/// endpoints implements only `write`. [`export_connector!`] connects it to the component's
/// exports.
pub trait Connector {
    /// Describe the connector. Must not do I/O.
    fn manifest() -> types::ConnectorManifest;

    /// Verify that the config reaches the external system and its credentials work.
    fn check(config: String) -> Result<types::CheckInfo, types::ConnectorError>;

    /// Return one page of a resource.
    fn list(
        config: String,
        request: types::ListRequest,
    ) -> Result<types::Page, types::ConnectorError>;

    /// Return one record by its external id (`parent_id`: the product, for variations).
    fn get(
        config: String,
        resource: types::ResourceKind,
        id: String,
        parent_id: Option<String>,
    ) -> Result<types::Entity, types::ConnectorError>;

    /// Perform one write.
    fn write(
        config: String,
        op: types::WriteOp,
    ) -> Result<types::WriteOutcome, types::ConnectorError>;

    /// Perform several writes, one outcome per op in the order of `ops`.
    ///
    /// The default performs them one by one with [`write`](Connector::write) (see
    /// [`batch::write_each`]: after a `rate-limited` answer the rest are not sent and get
    /// that error; bad config or credentials on the first op fail the whole call). A
    /// connector whose system has batch endpoints overrides it, using [`batch::Outcomes`]
    /// to keep the same rules.
    fn write_batch(
        config: String,
        ops: Vec<types::WriteOp>,
    ) -> Result<Vec<batch::WriteResult>, types::ConnectorError> {
        batch::write_each(ops, |op| Self::write(config.clone(), op))
    }
}

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
/// Use it once, at the crate root of a `cdylib`. It implements the generated export trait
/// by delegating every function to [`Connector`] (defaults included), then exports it.
#[macro_export]
macro_rules! export_connector {
    ($ty:ident) => {
        impl $crate::bindings::exports::junction::connector::connector::Guest for $ty {
            fn manifest() -> $crate::types::ConnectorManifest {
                <$ty as $crate::Connector>::manifest()
            }
            fn check(
                config: ::std::string::String,
            ) -> ::std::result::Result<$crate::types::CheckInfo, $crate::types::ConnectorError>
            {
                <$ty as $crate::Connector>::check(config)
            }
            fn list(
                config: ::std::string::String,
                request: $crate::types::ListRequest,
            ) -> ::std::result::Result<$crate::types::Page, $crate::types::ConnectorError> {
                <$ty as $crate::Connector>::list(config, request)
            }
            fn get(
                config: ::std::string::String,
                resource: $crate::types::ResourceKind,
                id: ::std::string::String,
                parent_id: ::std::option::Option<::std::string::String>,
            ) -> ::std::result::Result<$crate::types::Entity, $crate::types::ConnectorError> {
                <$ty as $crate::Connector>::get(config, resource, id, parent_id)
            }
            fn write(
                config: ::std::string::String,
                op: $crate::types::WriteOp,
            ) -> ::std::result::Result<$crate::types::WriteOutcome, $crate::types::ConnectorError>
            {
                <$ty as $crate::Connector>::write(config, op)
            }
            fn write_batch(
                config: ::std::string::String,
                ops: ::std::vec::Vec<$crate::types::WriteOp>,
            ) -> ::std::result::Result<
                ::std::vec::Vec<$crate::batch::WriteResult>,
                $crate::types::ConnectorError,
            > {
                <$ty as $crate::Connector>::write_batch(config, ops)
            }
        }
        $crate::bindings::export!($ty with_types_in $crate::bindings);
    };
}

#[cfg(test)]
mod tests {
    use super::types::ResourceKind;

    #[test]
    fn resource_kinds_read_as_the_contract_spells_them() {
        for (kind, name) in [
            (ResourceKind::Orders, "orders"),
            (ResourceKind::Customers, "customers"),
            (ResourceKind::Products, "products"),
            (ResourceKind::Variations, "variations"),
        ] {
            assert_eq!(kind.as_str(), name);
            assert_eq!(ResourceKind::parse(name), Some(kind));
        }
        assert_eq!(ResourceKind::parse("invoices"), None);
    }
}
