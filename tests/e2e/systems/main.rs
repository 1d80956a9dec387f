//! Tier 3, real systems: the conformance suite over every connector (real Vendure and
//! Tryton, the JavaScript and Python components), the connectors' own checks beyond it,
//! automations across real systems, and the portal in a real Chromium.
//!
//! One test binary per tier (each links the whole host once); every module is one
//! former test file. Shared helpers are in `common/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../realsys/mod.rs"]
mod realsys;
#[path = "../suite/mod.rs"]
mod suite;

mod automations;
mod browser;
mod conformance;
mod polyglot;
mod tryton;
mod vendure;
