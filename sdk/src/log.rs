//! Structured logging into the host's log (the WIT `host.log` import).
//!
//! Each line carries a message and key/value fields; the host tags it with the connector and
//! the call. Never put secrets (keys, tokens, passwords) in messages or fields.
//!
//! ```ignore
//! junction_sdk::log::info("listed orders", &[("count", "100"), ("next", "yes")]);
//! ```
//!
//! Off WebAssembly (unit tests on the build machine) lines go to stderr instead, so pure code
//! that logs stays testable.

pub use crate::bindings::junction::connector::host::LogLevel;

/// Writes one log line.
pub fn log(level: LogLevel, message: &str, fields: &[(&str, &str)]) {
    emit(level, message, fields);
}

#[cfg(target_arch = "wasm32")]
fn emit(level: LogLevel, message: &str, fields: &[(&str, &str)]) {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    crate::bindings::junction::connector::host::log(level, message, &fields);
}

#[cfg(not(target_arch = "wasm32"))]
fn emit(level: LogLevel, message: &str, fields: &[(&str, &str)]) {
    let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!("[{level:?}] {message} {}", fields.join(" "));
}

/// A `trace` line.
pub fn trace(message: &str, fields: &[(&str, &str)]) {
    log(LogLevel::Trace, message, fields);
}

/// A `debug` line.
pub fn debug(message: &str, fields: &[(&str, &str)]) {
    log(LogLevel::Debug, message, fields);
}

/// An `info` line.
pub fn info(message: &str, fields: &[(&str, &str)]) {
    log(LogLevel::Info, message, fields);
}

/// A `warn` line.
pub fn warn(message: &str, fields: &[(&str, &str)]) {
    log(LogLevel::Warn, message, fields);
}

/// An `error` line.
pub fn error(message: &str, fields: &[(&str, &str)]) {
    log(LogLevel::Error, message, fields);
}
