//! Connector authors' tools beyond `inspect` and `call`: `connector new` scaffolds a
//! connector in Rust, JavaScript or Python ([`scaffold`]), and `connector build` turns one
//! into a component with its language's pinned toolchain ([`build`]), installed on first use
//! into the user's cache ([`toolchain`]). The templates, the JavaScript and Python SDK
//! helpers and the contract are compiled into the binary ([`files`]), so a scaffold made
//! outside this repository is complete (a Rust one needs the SDK crate's path).

pub mod build;
mod files;
pub mod scaffold;
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
