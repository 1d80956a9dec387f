//! The browser the portal's end-to-end tests drive: Debian's `chromium` package and
//! `playwright-core` from npm (pinned by `tests/browser/package-lock.json`), installed by
//! the project itself, never by hand. Chromium comes from apt when `/usr/bin/chromium` is
//! missing (as root, or through `sudo -n`); playwright-core is installed into
//! `target/browser/` and skipped when the lock has not changed. The test
//! (`tests/e2e/browser.rs`) finds both through the environment [`install`] returns.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Debian's Chromium binary.
const CHROMIUM: &str = "/usr/bin/chromium";
/// What the npm step was done for (a copy of the lock file).
const NPM_STAMP: &str = ".junction-npm-stamp";

/// Make Chromium and playwright-core available; the environment the browser test needs.
pub fn install(target: &Path) -> Result<Vec<(&'static str, PathBuf)>> {
    let chromium = ensure_chromium()?;
    let modules = ensure_playwright(target)?;
    let screenshots = target.join("screenshots");
    std::fs::create_dir_all(&screenshots)?;
    Ok(vec![
        ("JUNCTION_CHROMIUM", chromium),
        ("JUNCTION_BROWSER_MODULES", modules),
        ("JUNCTION_SCREENSHOTS_DIR", screenshots),
    ])
}

fn ensure_chromium() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("JUNCTION_CHROMIUM").map(PathBuf::from) {
        if path.is_file() {
            return Ok(path);
        }
        bail!("JUNCTION_CHROMIUM={} is not a file", path.display());
    }
    let path = PathBuf::from(CHROMIUM);
    if path.is_file() {
        return Ok(path);
    }
    eprintln!("xtask: installing Debian's chromium for the portal's browser tests (once)");
    // Try the package lists as they are first; refresh them only when that fails (an old
    // list names package versions the mirror no longer has).
    if apt(&["install", "-y", "--no-install-recommends", "chromium"]).is_err() {
        apt(&["update"])?;
        apt(&["install", "-y", "--no-install-recommends", "chromium"])?;
    }
    if !path.is_file() {
        bail!("apt-get installed chromium but {CHROMIUM} is missing");
    }
    Ok(path)
}

/// `apt-get ARGS` as root, or through `sudo -n` (never prompting: CI has no stdin).
fn apt(args: &[&str]) -> Result<()> {
    let as_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut command = if as_root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", "apt-get"]);
        sudo
    };
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    crate::run(&mut command).with_context(|| {
        "installing Chromium needs apt-get as root (or password-less sudo); alternatively \
         install Debian's `chromium` package or set JUNCTION_CHROMIUM to a Chromium binary"
    })
}

/// playwright-core from the committed lock into `target/browser/node_modules`.
fn ensure_playwright(target: &Path) -> Result<PathBuf> {
    let source = crate::root().join("tests").join("browser");
    let dir = target.join("browser");
    std::fs::create_dir_all(&dir)?;
    let lock = std::fs::read(source.join("package-lock.json"))
        .context("tests/browser/package-lock.json is missing")?;
    let modules = dir.join("node_modules");
    let installed = modules
        .join("playwright-core")
        .join("package.json")
        .is_file();
    if installed && std::fs::read(dir.join(NPM_STAMP)).ok() == Some(lock.clone()) {
        return Ok(modules);
    }
    let _ = std::fs::remove_file(dir.join(NPM_STAMP));
    for name in ["package.json", "package-lock.json"] {
        std::fs::copy(source.join(name), dir.join(name))
            .with_context(|| format!("cannot copy tests/browser/{name}"))?;
    }
    crate::run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir),
    )
    .context("installing playwright-core needs Node.js 18+ with npm")?;
    std::fs::write(dir.join(NPM_STAMP), lock)?;
    Ok(modules)
}
