//! Connector authors' tools beyond `inspect` and `call`: `connector check` runs the
//! conformance checks against the author's running system ([`check`], told what it may do
//! there by a [`subject_file`]), `connector new` scaffolds a
//! connector in Rust, JavaScript or Python ([`scaffold`]), and `connector build` turns one
//! into a component with its language's pinned toolchain ([`build`]), installed on first use
//! into the user's cache ([`toolchain`]). The templates, the JavaScript and Python SDK
//! helpers and the contract are compiled into the binary ([`files`]), so a scaffold made
//! outside this repository is complete (a Rust one needs the SDK crate's path).

pub mod build;
pub mod check;
mod files;
pub mod scaffold;
pub mod subject_file;
pub mod toolchain;

/// The languages a connector can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Js,
    Python,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Js => "js",
            Lang::Python => "python",
        }
    }
}
