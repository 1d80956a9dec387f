//! The smallest possible connector: a constant manifest and nothing else. It is the floor
//! the runtime benchmark compares real connectors against.

const VERSION: &str = "0.1.0";
include!("connector.rs");
