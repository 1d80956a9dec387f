//! The connector world's host-side bindings (`bindgen!` over `wit/connector.wit`): the
//! `plugin` world's exports (to call a connector) and the `host` import (its log), reusing
//! the canonical types of `junction_contract` and the WASI bindings of wasmtime-wasi(-http).
//! Everything else in the workspace names the types through `junction_contract`.

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../../wit",
    exports: { default: async },
    with: {
        "junction:connector/types": junction_contract::wit::types,
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
    },
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

pub use self::junction::connector::host::LogLevel;
pub use junction_contract::*;
