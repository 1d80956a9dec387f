//! The generated bindings of the `junction:connector@0.2.0` world `plugin`.
//!
//! Connector authors rarely need this module directly: the canonical types are re-exported
//! in [`crate::types`] and [`crate::prelude`], the `connector` trait as [`crate::Connector`],
//! the host log as [`crate::log`], and the export glue is [`crate::export_connector!`].
//!
//! The WASI interfaces the world imports (`wasi:http`, `wasi:io`, `wasi:clocks`) are mapped
//! onto the [`wasip2`] crate's bindings rather than generated a second time, so the HTTP
//! client in [`crate::http`] and these bindings share one set of types.

#![allow(missing_docs, clippy::all, clippy::unwrap_used, clippy::expect_used)]

wit_bindgen::generate!({
    world: "plugin",
    path: "../wit",
    pub_export_macro: true,
    default_bindings_module: "junction_sdk::bindings",
    runtime_path: "junction_sdk::__private::wit_bindgen::rt",
    additional_derives: [PartialEq],
    with: {
        "wasi:http/types@0.2.12": wasip2::http::types,
        "wasi:http/outgoing-handler@0.2.12": wasip2::http::outgoing_handler,
        "wasi:io/error@0.2.12": wasip2::io::error,
        "wasi:io/poll@0.2.12": wasip2::io::poll,
        "wasi:io/streams@0.2.12": wasip2::io::streams,
        "wasi:clocks/monotonic-clock@0.2.12": wasip2::clocks::monotonic_clock,
    },
    generate_all,
});
