//! The PostgreSQL server the test suite's PostgreSQL pass runs against, found or started by
//! the project itself, never by hand. In order:
//!
//! 1. `JUNCTION_TEST_POSTGRES_URL`, when set: it must answer (a wrong explicit setting is an
//!    error, not a reason to quietly test somewhere else);
//! 2. a server on 127.0.0.1:5432 (`postgres://postgres@127.0.0.1:5432/test`, or `/postgres`,
//!    in which case the `test` database is created), as on the project's machines and in CI
//!    images with a PostgreSQL service;
//! 3. a private cluster in `target/pg/` (`initdb -A trust -U postgres` once, started with
//!    `pg_ctl` on a free port, stopped again when the tests are done), from Debian's
//!    `postgresql` package, installed with apt when missing (as root, or through `sudo -n`).
//!    `JUNCTION_TEST_POSTGRES_PRIVATE=1` skips 1 and 2, so that path can be tested on a
//!    machine that has a server.
//!
//! Every check and statement goes through `psql` (Debian's `postgresql-client`, installed
//! with apt when missing) rather than a Rust client library: it speaks every authentication
//! method and URL form the tests' sqlx accepts, it comes with the package the private cluster
//! needs anyway, and it keeps xtask free of an async database stack that would be compiled
//! before every task.
//!
//! The PostgreSQL pass's servers each get a database `j_<run>_<random>` (see
//! `tests/e2e/common/mod.rs`); [`drop_run_databases`] removes one run's databases and any
//! left over by runs older than a day (killed before their cleanup), and never another live
//! run's.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

/// The well-known local server (trust authentication on the project's machines).
const LOCAL: &str = "postgres://postgres@127.0.0.1:5432";
/// The database the tests use on a server (schemas and `j_*` databases are made from it).
const TEST_DATABASE: &str = "test";
/// How long a freshly started private cluster may take to accept connections.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// Databases of runs older than this are left-overs of killed runs.
const STALE_AFTER_SECS: u64 = 24 * 3600;

/// A PostgreSQL server for the tests; a private cluster is stopped when this is dropped.
pub struct Postgres {
    /// Connection URL of the `test` database (trust or password in the URL: no prompt).
    pub url: String,
    private: Option<PathBuf>,
}

impl Postgres {
    /// Leave a private cluster running (for `cargo xtask postgres` without a command).
    pub fn keep_running(mut self) {
        if let Some(data) = self.private.take() {
            eprintln!(
                "xtask: the private PostgreSQL keeps running; stop it with `pg_ctl -D {} stop` \
                 (as the postgres user when root)",
                data.display()
            );
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(data) = &self.private {
            // The data directory stays (initdb once); only the server process goes.
            let mut stop = pg_command("pg_ctl");
            stop.arg("-D").arg(data).args(["-m", "fast", "stop"]);
            let _ = as_cluster_owner(stop).output();
        }
    }
}

/// Find or start a server (see the module docs); the URL of its `test` database.
pub fn ensure(target: &Path) -> Result<Postgres> {
    let psql = ensure_psql()?;
    let forced_private = std::env::var("JUNCTION_TEST_POSTGRES_PRIVATE").is_ok_and(|v| v == "1");
    if !forced_private {
        if let Ok(url) = std::env::var("JUNCTION_TEST_POSTGRES_URL") {
            if let Err(error) = query(&psql, &url, "select 1") {
                bail!("JUNCTION_TEST_POSTGRES_URL={url} does not answer: {error:#}");
            }
            eprintln!("xtask: PostgreSQL for the tests: {url} (JUNCTION_TEST_POSTGRES_URL)");
            return Ok(Postgres { url, private: None });
        }
        if let Some(url) = with_test_database(&psql, LOCAL) {
            eprintln!("xtask: PostgreSQL for the tests: {url} (the local server)");
            return Ok(Postgres { url, private: None });
        }
    }
    start_private(&psql, &target.join("pg"))
}

/// `<base>/test` when it answers, or `<base>/postgres` answers and `test` could be made.
fn with_test_database(psql: &Path, base: &str) -> Option<String> {
    let url = format!("{base}/{TEST_DATABASE}");
    if query(psql, &url, "select 1").is_ok() {
        return Some(url);
    }
    let maintenance = format!("{base}/postgres");
    query(psql, &maintenance, "select 1").ok()?;
    // Another run may create it at the same moment: only the outcome matters.
    let _ = query(
        psql,
        &maintenance,
        &format!("CREATE DATABASE {TEST_DATABASE}"),
    );
    query(psql, &url, "select 1").ok().map(|_| url)
}

/// The private cluster in `dir` (`data/`, `log`, `run/` for the socket), initialised once.
fn start_private(psql: &Path, dir: &Path) -> Result<Postgres> {
    let bin = ensure_server_binaries()?;
    let data = dir.join("data");
    std::fs::create_dir_all(dir)?;
    // The socket directory must be short (a Unix socket path has ~107 bytes) and the
    // server's own; fall back to /tmp when the target directory is deep.
    let mut sockets = dir.join("run");
    if sockets.as_os_str().len() > 80 {
        sockets = std::env::temp_dir().join(format!("junction-pg-{}", std::process::id()));
    }
    std::fs::create_dir_all(&sockets)?;
    let owner = cluster_owner()?;
    if let Some(user) = &owner {
        // initdb and postgres refuse to run as root: the cluster belongs to `postgres`.
        crate::run(
            Command::new("chown")
                .args(["-R", user])
                .arg(dir)
                .arg(&sockets),
        )?;
    }
    if !data.join("PG_VERSION").is_file() {
        eprintln!(
            "xtask: initialising a private PostgreSQL cluster in {} (once)",
            data.display()
        );
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .args(["-E", "UTF8", "--locale", "C"]);
        crate::run(&mut as_cluster_owner(initdb)).context("initdb failed")?;
    }
    // A cluster a previous run left running (killed before its cleanup) is reused.
    let port = match running_port(&bin, &data) {
        Some(port) => port,
        None => {
            let port = free_port()?;
            let mut start = Command::new(bin.join("pg_ctl"));
            start
                .arg("-D")
                .arg(&data)
                .arg("-o")
                .arg(format!(
                    "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                    sockets.display()
                ))
                .arg("-l")
                .arg(dir.join("log"))
                .args(["-w", "-t", "60", "start"]);
            crate::run(&mut as_cluster_owner(start)).with_context(|| {
                format!("pg_ctl start failed; see {}", dir.join("log").display())
            })?;
            port
        }
    };
    let base = format!("postgres://postgres@127.0.0.1:{port}");
    let started = Instant::now();
    let url = loop {
        if let Some(url) = with_test_database(psql, &base) {
            break url;
        }
        if started.elapsed() > START_DEADLINE {
            bail!(
                "the private PostgreSQL on port {port} does not accept connections; see {}",
                dir.join("log").display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    eprintln!("xtask: PostgreSQL for the tests: {url} (private cluster)");
    Ok(Postgres {
        url,
        private: Some(data),
    })
}

/// The port of the server running on `data`, if one is (`postmaster.pid` line 4).
fn running_port(bin: &Path, data: &Path) -> Option<u16> {
    let mut status = Command::new(bin.join("pg_ctl"));
    status.arg("-D").arg(data).arg("status");
    let out = as_cluster_owner(status).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let pid_file = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    pid_file.lines().nth(3)?.trim().parse().ok()
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// `Some("postgres")` when running as root (the cluster then belongs to that user).
fn cluster_owner() -> Result<Option<String>> {
    if !is_root() {
        return Ok(None);
    }
    let exists = Command::new("id")
        .arg("postgres")
        .output()
        .is_ok_and(|o| o.status.success());
    if !exists {
        bail!("running as root, but there is no `postgres` user to own the private cluster");
    }
    Ok(Some("postgres".into()))
}

/// `command`, run as the `postgres` user when we are root (`runuser`, else `su`).
fn as_cluster_owner(command: Command) -> Command {
    if !is_root() {
        return command;
    }
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
    if Path::new("/usr/sbin/runuser").is_file() || Path::new("/sbin/runuser").is_file() {
        let mut runuser = Command::new("runuser");
        runuser
            .args(["-u", "postgres", "--"])
            .arg(program)
            .args(args);
        return runuser;
    }
    // `su -c` takes one shell string: quote every word.
    let line = std::iter::once(program)
        .chain(args)
        .map(|word| shell_quote(&word.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut su = Command::new("su");
    su.args(["postgres", "-s", "/bin/sh", "-c", &line]);
    su
}

fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A server tool (`pg_ctl`) from the same installation [`ensure_server_binaries`] found.
fn pg_command(name: &str) -> Command {
    match server_binaries() {
        Some(bin) => Command::new(bin.join(name)),
        None => Command::new(name),
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Debian's server binaries (`/usr/lib/postgresql/<newest>/bin`), if installed.
fn server_binaries() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn ensure_server_binaries() -> Result<PathBuf> {
    if let Some(bin) = server_binaries() {
        return Ok(bin);
    }
    eprintln!("xtask: installing Debian's postgresql for the tests' private cluster (once)");
    apt_install("postgresql")?;
    server_binaries().context("apt-get installed postgresql but no /usr/lib/postgresql/*/bin")
}

/// `psql` on the PATH or next to the server binaries; installed with apt when missing.
fn ensure_psql() -> Result<PathBuf> {
    let find = || {
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
            .chain(server_binaries())
            .map(|dir| dir.join("psql"))
            .find(|psql| psql.is_file())
    };
    if let Some(psql) = find() {
        return Ok(psql);
    }
    eprintln!("xtask: installing Debian's postgresql-client for the tests (once)");
    apt_install("postgresql-client")?;
    find().context("apt-get installed postgresql-client but psql is missing")
}

/// `apt-get install PACKAGE` as root, or through `sudo -n` (never prompting: CI has no
/// stdin); the package lists are refreshed only when the first attempt fails.
fn apt_install(package: &str) -> Result<()> {
    let apt = |args: &[&str]| {
        let mut command = if is_root() {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        crate::run(&mut command)
    };
    let install = ["install", "-y", "--no-install-recommends", package];
    if apt(&install).is_err() {
        apt(&["update"])?;
        apt(&install)?;
    }
    Ok(())
}

/// One statement through `psql`; its unaligned, tuples-only output.
fn query(psql: &Path, url: &str, sql: &str) -> Result<String> {
    let out: Output = Command::new(psql)
        .args([
            "-X",
            "-A",
            "-t",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .with_context(|| format!("cannot start {}", psql.display()))?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A run id for the PostgreSQL pass's database names: start time (hex seconds) and a random
/// part, so runs sharing a server never touch each other's databases.
pub fn new_run_id() -> Result<String> {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let mut random = [0u8; 3];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("getrandom: {e}"))?;
    let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{secs:x}{random}"))
}

/// Drop the databases of run `run` and of runs started more than a day ago.
pub fn drop_run_databases(url: &str, run: &str) -> Result<()> {
    let psql = ensure_psql()?;
    let names = query(
        &psql,
        url,
        r"SELECT datname FROM pg_database WHERE datname LIKE 'j\_%'",
    )?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let mut dropped = 0;
    for name in names.lines().map(str::trim).filter(|n| !n.is_empty()) {
        if !is_droppable(name, run, now) {
            continue;
        }
        query(
            &psql,
            url,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        )
        .with_context(|| format!("cannot drop the test database {name}"))?;
        dropped += 1;
    }
    eprintln!("xtask: dropped {dropped} test database(s) of the PostgreSQL pass");
    Ok(())
}

/// `j_<run>_<random>`: this run's, or a run older than [`STALE_AFTER_SECS`] (the run id
/// starts with its start time in hex seconds, then six hex digits).
fn is_droppable(name: &str, run: &str, now: u64) -> bool {
    let Some(rest) = name.strip_prefix("j_") else {
        return false;
    };
    let Some((name_run, _)) = rest.split_once('_') else {
        return false;
    };
    if name_run == run {
        return true;
    }
    let Some(secs) = name_run
        .len()
        .checked_sub(6)
        .and_then(|end| u64::from_str_radix(&name_run[..end], 16).ok())
    else {
        return false;
    };
    now.saturating_sub(secs) > STALE_AFTER_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_run_and_stale_runs_are_dropped() {
        let now = 0x6900_0000;
        let run = format!("{now:x}abcdef");
        assert!(is_droppable(&format!("j_{run}_0123"), &run, now));
        // Another live run on the same server is left alone.
        let other = format!("{:x}123456", now - 600);
        assert!(!is_droppable(&format!("j_{other}_0123"), &run, now));
        // A run from two days ago was killed before its cleanup.
        let stale = format!("{:x}123456", now - 2 * 86_400);
        assert!(is_droppable(&format!("j_{stale}_0123"), &run, now));
        // Not ours at all.
        assert!(!is_droppable("junction", &run, now));
        assert!(!is_droppable("j_x", &run, now));
        assert!(!is_droppable("j_zz_1", &run, now));
    }

    #[test]
    fn shell_words_survive_su() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
