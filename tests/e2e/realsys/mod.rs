//! Real external systems for end-to-end tests, installed by `cargo xtask test` into
//! `$JUNCTION_REALSYS_DIR` and started here on free ports, one fresh instance per caller.

#![allow(dead_code)]

pub mod tryton;
pub mod vendure;
