//! Tier 1, in-process: the sandbox, hot reload, the store on both databases, autosync,
//! batch writes, target connectors, webhooks, the connector CLI and the WooCommerce
//! connector against its emulator. No server process; fastest.
//!
//! One test binary per tier (each links the whole host once); every module is one
//! former test file. Shared helpers are in `common/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod autosync;
mod batch;
mod cli;
mod hot_reload;
mod sandbox;
mod store;
mod targets;
mod webhooks;
mod woocommerce;
