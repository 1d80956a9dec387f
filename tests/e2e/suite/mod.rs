//! The conformance suite's subjects: every connector Junction ships, each against its
//! emulator or real system, run through the checks of `junction-conformance` (the same
//! implementation `junction connector check` runs against an author's own system; what is
//! checked is listed in that crate's doc).
//!
//! Each subject reads the system directly (not through the connector) for the ids it
//! expects and to verify writes, and changes and deletes records the way the system's users
//! would. Each connector adds a subject module here (one `pub mod` line) and one test in
//! `tests/e2e/systems/conformance.rs`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod bugalou;
pub mod catalog_py;
pub mod connectif;
pub mod feed_js;
pub mod hello_feed;
pub mod lightspeed;
pub mod magento;
pub mod shopify;
pub mod tryton;
pub mod vendure;
pub mod woocommerce;

pub use junction::runtime::types::{ResourceKind, WriteKind, WriteOp};

pub use junction_conformance::{BoxFut, Deletion, Expected, Subject, WriteCase};

use crate::common;

/// Run every check against `subject`; panics with every failed check's message.
pub async fn run(subject: Subject) {
    let options = junction_conformance::RunOptions {
        cache_dir: Some(common::components_root().join("conformance-cache")),
    };
    let report = junction_conformance::run(subject, options).await;
    eprintln!("{report}");
    let failures: Vec<&str> = report.failures().collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
