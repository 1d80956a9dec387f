//! The checks, one module per part of the contract, each an `impl Ctx` block whose checks
//! return a [`crate::report::CheckResult`].

mod deletion;
mod errors;
mod listing;
mod manifest;
mod writes;
