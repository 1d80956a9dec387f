//! `junction connector build [DIR]`: a connector's sources into a component, with the
//! toolchain of its language only — `cargo build --release --target wasm32-wasip2` for Rust
//! (the pinned Rust toolchain from its `rust-toolchain.toml`), componentize-js for
//! JavaScript (`connector.js`), componentize-py for Python (`app.py`, and the contract's
//! bindings in `bindings/` for its native tests); the JavaScript and Python toolchains
//! install on first use ([`super::toolchain`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use super::{Lang, toolchain};

/// The language of the connector in `dir`, from its entry file.
pub fn detect(dir: &Path) -> anyhow::Result<Lang> {
    if dir.join("Cargo.toml").is_file() {
        Ok(Lang::Rust)
    } else if dir.join("connector.js").is_file() {
        Ok(Lang::Js)
    } else if dir.join("app.py").is_file() {
        Ok(Lang::Python)
    } else {
        bail!(
            "{} holds no connector: expected Cargo.toml (Rust), connector.js (JavaScript) or app.py (Python), as `junction connector new` makes them",
            dir.display()
        )
    }
}

/// Build the connector in `dir` into `out` (default `<dir>/<name>.wasm`); returns the file.
pub fn build(dir: &Path, out: Option<&Path>, toolchains: &Path) -> anyhow::Result<PathBuf> {
    let dir = std::path::absolute(dir)?;
    let lang = detect(&dir)?;
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("connector")
        .to_string();
    let out = match out {
        Some(path) => std::path::absolute(path)?,
        None => dir.join(format!("{name}.wasm")),
    };
    let started = std::time::Instant::now();
    match lang {
        Lang::Rust => build_rust(&dir, &out)?,
        Lang::Js => {
            let tool = toolchain::componentize_js(toolchains)?;
            // componentize-js reads the WIT inside its own sandbox, which sees the working
            // directory only: run it from the connector's folder with relative paths.
            toolchain::run(
                Command::new(tool)
                    .current_dir(&dir)
                    .args(["--wit", "wit", "--world-name", "plugin", "-o"])
                    .arg(&out)
                    .arg("connector.js"),
            )?;
        }
        Lang::Python => {
            let tool = toolchain::componentize_py(toolchains)?;
            // The contract's types for the connector's native tests (`junction_sdk.native`).
            let bindings = dir.join("bindings");
            if bindings.exists() {
                std::fs::remove_dir_all(&bindings)
                    .with_context(|| format!("replacing {}", bindings.display()))?;
            }
            toolchain::run(
                Command::new(&tool)
                    .arg("-d")
                    .arg(dir.join("wit"))
                    .args(["-w", "plugin", "bindings"])
                    .arg(&bindings),
            )?;
            toolchain::run(
                Command::new(tool)
                    .arg("-d")
                    .arg(dir.join("wit"))
                    .args(["-w", "plugin", "componentize", "-p"])
                    .arg(&dir)
                    .arg("app")
                    .arg("-o")
                    .arg(&out),
            )?;
        }
    }
    eprintln!(
        "built {} ({}) in {:.1?}",
        out.display(),
        lang.as_str(),
        started.elapsed()
    );
    Ok(out)
}

fn build_rust(dir: &Path, out: &Path) -> anyhow::Result<()> {
    let manifest: toml::Table = toml::from_str(
        &std::fs::read_to_string(dir.join("Cargo.toml")).context("reading Cargo.toml")?,
    )
    .context("Cargo.toml is not valid TOML")?;
    let crate_name = manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .context("Cargo.toml has no [package] name")?
        .replace('-', "_");
    // The connector's own target directory, also when CARGO_TARGET_DIR is set for another
    // workspace (as when this runs from a test of this repository).
    let target = dir.join("target");
    toolchain::run(
        // rustup's `cargo`, so the connector's rust-toolchain.toml picks the toolchain.
        Command::new("cargo")
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", &target)
            .args(["build", "--release", "--target", "wasm32-wasip2"]),
    )?;
    let built = target
        .join("wasm32-wasip2")
        .join("release")
        .join(format!("{crate_name}.wasm"));
    std::fs::copy(&built, out)
        .with_context(|| format!("copying {} to {}", built.display(), out.display()))?;
    Ok(())
}
