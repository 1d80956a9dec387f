//! The pinned JavaScript and Python toolchains `connector build` uses, installed on first
//! use into `$XDG_CACHE_HOME/junction/toolchains` (or `~/.cache/…`, or
//! `JUNCTION_TOOLCHAINS_DIR`): componentize-js by `npm install` of the pinned lock,
//! componentize-py by `pip install` into a venv. Each install lives in a folder named after
//! a hash of its pins, so a binary with other pins installs beside it and nothing is
//! reinstalled while the pins stay the same. Only this language's toolchain is installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use super::files::{self, File};

/// The folder toolchains go in: `given`, else the user's cache.
pub fn root(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir.to_path_buf());
    }
    let base = crate::cli::user_cache_dir()
        .context("no cache directory: set JUNCTION_TOOLCHAINS_DIR (or HOME)")?;
    Ok(base.join("toolchains"))
}

fn pinned_dir(root: &Path, lang: &str, pins: &[File]) -> PathBuf {
    let mut hash = Sha256::new();
    for (name, text) in pins {
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(text.as_bytes());
    }
    let digest = hash.finalize();
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    root.join(format!("{lang}-{short}"))
}

/// componentize-js, installed when missing; returns the program to run.
pub fn componentize_js(root: &Path) -> anyhow::Result<PathBuf> {
    let dir = pinned_dir(root, "js", &files::JS_TOOLCHAIN);
    let tool = dir
        .join("node_modules")
        .join(".bin")
        .join("componentize-js");
    if tool.exists() {
        return Ok(tool);
    }
    require("npm", "Node.js 18+ with npm")?;
    eprintln!(
        "installing the JavaScript toolchain (componentize-js, pinned) into {} — once",
        dir.display()
    );
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, text) in files::JS_TOOLCHAIN {
        std::fs::write(dir.join(name), text)?;
    }
    run(Command::new("npm")
        .args([
            "install",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .current_dir(&dir))?;
    if !tool.exists() {
        bail!("npm install finished but {} is missing", tool.display());
    }
    Ok(tool)
}

/// componentize-py in its own venv, installed when missing; returns the program to run.
pub fn componentize_py(root: &Path) -> anyhow::Result<PathBuf> {
    let dir = pinned_dir(root, "py", &[files::PY_TOOLCHAIN]);
    let tool = dir.join("bin").join("componentize-py");
    if tool.exists() {
        return Ok(tool);
    }
    require("python3", "Python 3.9+ with venv and pip")?;
    eprintln!(
        "installing the Python toolchain (componentize-py, pinned) into {} — once",
        dir.display()
    );
    run(Command::new("python3").arg("-m").arg("venv").arg(&dir))?;
    let pins = dir.join(files::PY_TOOLCHAIN.0);
    std::fs::write(&pins, files::PY_TOOLCHAIN.1)?;
    run(Command::new(dir.join("bin").join("pip"))
        .args([
            "install",
            "--disable-pip-version-check",
            "--progress-bar",
            "off",
            "-r",
        ])
        .arg(&pins))?;
    if !tool.exists() {
        bail!("pip finished but {} is missing", tool.display());
    }
    Ok(tool)
}

/// Fails with what to install when a program is not on the PATH.
fn require(program: &str, what: &str) -> anyhow::Result<()> {
    match Command::new(program).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => bail!("`{program}` is needed to build this connector: install {what}"),
    }
}

/// Run a command with its output shown (the author's progress), failing on a non-zero exit.
pub fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{:?} failed ({status})", cmd.get_program());
    }
    Ok(())
}
