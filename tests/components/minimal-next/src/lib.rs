//! The minimal connector at version 0.2.0: what the hot-reload tests swap in for 0.1.0.

const VERSION: &str = "0.2.0";
include!("../../minimal/src/connector.rs");
