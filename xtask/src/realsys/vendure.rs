//! Installs a real Vendure shop for the tests: the project's `tests/realsys/vendure/`
//! (package.json with pinned versions, `server.js`, `seed.js`) copied into `<dir>/vendure`,
//! `npm install` there with the machine's node and npm, then `node seed.js` to build the
//! seeded database every test instance starts from (`seed.sqlite`, plus `seed.sqlite.api-key`).
//!
//! Both steps are skipped when already done for the same sources: npm when `node_modules`
//! holds Vendure and `package.json` is unchanged, seeding when `seed.sqlite` exists and none of
//! the files it depends on changed (stamp files keep what each step was done for).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The project's files, copied into the install folder.
const SOURCES: &[&str] = &["package.json", "server.js", "seed.js"];
/// What the npm step was done for (a copy of package.json).
const NPM_STAMP: &str = ".junction-npm-stamp";
/// What the seeding was done for (the sources' contents).
const SEED_STAMP: &str = ".junction-seed-stamp";
/// The seeded database the tests copy.
pub const SEED_DB: &str = "seed.sqlite";

pub fn install(dir: &Path) -> Result<()> {
    let source = crate::root().join("tests").join("realsys").join("vendure");
    let target = dir.join("vendure");
    std::fs::create_dir_all(&target)?;
    let mut stamp = Vec::new();
    for name in SOURCES {
        let bytes = std::fs::read(source.join(name))
            .with_context(|| format!("missing {}", source.join(name).display()))?;
        write_if_changed(&target.join(name), &bytes)?;
        stamp.extend_from_slice(format!("--- {name}\n").as_bytes());
        stamp.extend_from_slice(&bytes);
    }
    npm_install(&target)?;
    seed(&target, &stamp)
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn npm_install(target: &Path) -> Result<()> {
    let package = std::fs::read(target.join("package.json"))?;
    let installed = target
        .join("node_modules")
        .join("@vendure")
        .join("core")
        .join("package.json")
        .is_file();
    if installed && std::fs::read(target.join(NPM_STAMP)).ok() == Some(package.clone()) {
        return Ok(());
    }
    require_tool("node")?;
    require_tool("npm")?;
    // A changed package.json must not be merged into stale modules or an old lock.
    let _ = std::fs::remove_file(target.join(NPM_STAMP));
    let _ = std::fs::remove_file(target.join("package-lock.json"));
    crate::run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(target),
    )?;
    std::fs::write(target.join(NPM_STAMP), package)?;
    Ok(())
}

fn seed(target: &Path, stamp: &[u8]) -> Result<()> {
    let done = target.join(SEED_DB).is_file()
        && target.join(format!("{SEED_DB}.api-key")).is_file()
        && std::fs::read(target.join(SEED_STAMP)).ok().as_deref() == Some(stamp);
    if done {
        return Ok(());
    }
    let _ = std::fs::remove_file(target.join(SEED_STAMP));
    let port = free_port()?;
    eprintln!("xtask: seeding the Vendure test database (once; about a minute)");
    crate::run(
        Command::new("node")
            .args(["seed.js", SEED_DB, &port.to_string()])
            .env("VENDURE_DISABLE_TELEMETRY", "true")
            .current_dir(target),
    )?;
    std::fs::write(target.join(SEED_STAMP), stamp)?;
    Ok(())
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn require_tool(name: &str) -> Result<()> {
    match Command::new(name).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => bail!(
            "`{name}` is needed to install Vendure for the tests (Node.js 20 or newer with npm; \
             on Debian: apt-get install nodejs npm)"
        ),
    }
}
