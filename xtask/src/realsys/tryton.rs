//! Installs Tryton for the tests: a Python venv under `<realsys>/tryton/venv` with pinned
//! trytond + the sale module (which brings product, stock, party, company, currency and
//! account) from PyPI, and a template SQLite database `<realsys>/tryton/template/junction.sqlite`
//! with `sale` activated, the `admin` user (password [`ADMIN_PASSWORD`]), a company and seed
//! data (`tests/realsys/tryton/bootstrap.py`). Tests copy the template and start their own
//! trytond on it (`tests/e2e/realsys/tryton.rs`).
//!
//! Idempotent and fast when done: the venv is kept while its stamp (the pin list) matches;
//! the template is kept while its stamp (the pins plus the bootstrap script) matches.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The packages installed, pinned (8.2 is what the connector is verified against).
const PINS: &[&str] = &[
    "trytond==8.2.1",
    "trytond_sale==8.2.0",
    "trytond_stock==8.2.1",
    "trytond_product==8.2.0",
    "trytond_party==8.2.0",
    "trytond_company==8.2.0",
    "trytond_currency==8.2.0",
];

/// The template database's name (tests start trytond with `-d junction`).
pub const DATABASE: &str = "junction";
/// The admin user's password in the template (a throwaway test database).
pub const ADMIN_PASSWORD: &str = "junction-admin";

/// Installs the venv and the template database if missing or outdated.
pub fn install(dir: &Path) -> Result<()> {
    let home = dir.join("tryton");
    std::fs::create_dir_all(&home)?;
    let venv = ensure_venv(&home)?;
    ensure_template(&home, &venv)
}

fn stamp_ok(path: &Path, want: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|s| s == want)
}

fn ensure_venv(home: &Path) -> Result<PathBuf> {
    let venv = home.join("venv");
    let stamp = home.join("venv.stamp");
    let want = PINS.join("\n");
    if stamp_ok(&stamp, &want) && venv.join("bin/trytond").exists() {
        return Ok(venv);
    }
    eprintln!(
        "xtask: installing Tryton ({}) into {}",
        PINS[0],
        venv.display()
    );
    if venv.exists() {
        std::fs::remove_dir_all(&venv)?;
    }
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
        .context("python3 -m venv (is python3 with venv installed?)")?;
    run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(PINS))
    .context("pip install trytond")?;
    std::fs::write(&stamp, want)?;
    Ok(venv)
}

fn ensure_template(home: &Path, venv: &Path) -> Result<()> {
    let bootstrap = crate::root().join("tests/realsys/tryton/bootstrap.py");
    let script = std::fs::read_to_string(&bootstrap)
        .with_context(|| format!("reading {}", bootstrap.display()))?;
    let template_dir = home.join("template");
    let stamp = home.join("template.stamp");
    let want = format!("{}\n{script}", PINS.join("\n"));
    if stamp_ok(&stamp, &want) && template_dir.join(format!("{DATABASE}.sqlite")).exists() {
        return Ok(());
    }
    eprintln!("xtask: preparing the Tryton template database (about a minute, once)");
    let build = home.join("template.build");
    if build.exists() {
        std::fs::remove_dir_all(&build)?;
    }
    std::fs::create_dir_all(&build)?;
    let conf = build.join("trytond.conf");
    std::fs::write(
        &conf,
        format!("[database]\nuri = sqlite://\npath = {}\n", build.display()),
    )?;
    // The SQLite backend opens the file, so it must exist before trytond-admin creates it.
    std::fs::write(build.join(format!("{DATABASE}.sqlite")), b"")?;
    let password_file = build.join("admin-password");
    std::fs::write(&password_file, ADMIN_PASSWORD)?;
    run(Command::new(venv.join("bin/trytond-admin"))
        .arg("-c")
        .arg(&conf)
        .args([
            "-d",
            DATABASE,
            "--all",
            "-u",
            "sale",
            "--activate-dependencies",
        ])
        .args(["--email", "admin@example.com"])
        .env("TRYTONPASSFILE", &password_file))
    .context("trytond-admin (activating sale)")?;
    run(Command::new(venv.join("bin/python"))
        .arg(&bootstrap)
        .arg(&conf)
        .arg(DATABASE))
    .context("bootstrap.py (company and seed data)")?;
    std::fs::remove_file(&password_file)?;
    std::fs::remove_file(&conf)?;
    if template_dir.exists() {
        std::fs::remove_dir_all(&template_dir)?;
    }
    std::fs::rename(&build, &template_dir)?;
    std::fs::write(&stamp, want)?;
    Ok(())
}

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("starting {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{:?} failed: {status}", cmd.get_program());
    }
    Ok(())
}
