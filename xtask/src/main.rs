//! `cargo xtask`: the project's build, run and test entry points, so that a newcomer and
//! CI run exactly the same steps. Everything a fresh machine needs (the wasm32-wasip2
//! target, later Python and npm packages, PostgreSQL, Chromium) is installed from here.
//!
//! - `cargo xtask plugins`  build every connector and test component (incremental)
//! - `cargo xtask test`     plugins, then the whole test suite on SQLite, then the e2e
//!   binaries that start servers again with every server on PostgreSQL (see `postgres.rs`)
//! - `cargo xtask postgres [command...]` find or start the tests' PostgreSQL; run `command`
//!   as the PostgreSQL pass runs its tests (or, without one, print the URL and leave it up)
//! - `cargo xtask run`      plugins, then the demo: WooCommerce emulator + `junction serve`,
//!   provisioned, synced and ready to query (`--smoke`: the same on free ports in a
//!   temporary data dir, then check the example requests and stop)
//! - `cargo xtask bench`    the runtime and the API/ingest benchmarks (release builds;
//!   `bench runtime [calls]` or `bench api [orders]` for one; `bench scaleout [secs]`: idle
//!   host with 10,000 connections and Runtime API on one vs two hosts, on PostgreSQL)
//! - `cargo xtask api-fuzz` the smoke demo, then schemathesis against both APIs (part of
//!   `test`)
//! - `cargo xtask browser`  install Chromium and playwright-core for the portal's browser
//!   tests (part of `test`; prints the environment the test reads)
//! - `cargo xtask lint`     fmt, tidy (docs name only what exists) and clippy (native and
//!   wasm32-wasip2)
//! - `cargo xtask tidy`     only the documentation check
//! - `cargo xtask docs`     write the generated docs (docs/configuration.md) anew
//! - `cargo xtask ci`       `lint`, then `test`

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

mod api;
mod api_fuzz;
mod browser;
mod demo;
mod polyglot;
mod postgres;
mod procs;
mod progress;
mod realsys;
mod tidy;

/// Rust crates built as components: (package, output name, destination folder under target/).
const COMPONENTS: &[(&str, &str, &str)] = &[
    ("junction-plugin-woocommerce", "woocommerce", "plugins"),
    ("junction-plugin-hello-feed", "hello-feed", "plugins"),
    ("junction-plugin-connectif", "connectif", "plugins"),
    ("junction-plugin-bugalou", "bugalou", "plugins"),
    ("junction-plugin-lightspeed", "lightspeed", "plugins"),
    ("junction-plugin-vendure", "vendure", "plugins"),
    ("junction-plugin-tryton", "tryton", "plugins"),
    ("junction-plugin-push", "push", "plugins"),
    ("junction-plugin-magento", "magento", "plugins"),
    ("junction-plugin-shopify", "shopify", "plugins"),
    ("test-component-misbehave", "misbehave", "test-components"),
    ("test-component-minimal", "minimal", "test-components"),
    (
        "test-component-minimal-next",
        "minimal-next",
        "test-components",
    ),
    (
        "test-component-other-world",
        "other-world",
        "test-components",
    ),
];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    match task {
        "plugins" => build_plugins(),
        "test" => test(rest),
        "run" => run_demo(rest),
        "bench" => bench(rest),
        "lint" => lint(),
        "tidy" => tidy::run(&root()),
        "docs" => docs(),
        "postgres" => postgres_task(rest),
        "ci" => ci(),
        "api-fuzz" => {
            build_rust_components(DEMO_COMPONENTS.iter().copied()).and_then(|()| api_fuzz_run())
        }
        "realsys" => realsys::install_all(&target_dir()),
        "browser" => browser::install(&target_dir()).map(|env| {
            for (name, value) in env {
                println!("{name}={}", value.display());
            }
        }),
        _ => {
            eprintln!(
                "usage: cargo xtask <plugins|test|run|bench|api-fuzz|realsys|browser|postgres|lint|tidy|docs|ci> [args]"
            );
            Ok(())
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: running {cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// `rustup target add` is idempotent and never upgrades the pinned toolchain.
fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(root())
        .output();
    if let Ok(out) = &installed
        && String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == "wasm32-wasip2")
    {
        return Ok(());
    }
    run(Command::new("rustup")
        .args(["target", "add", "wasm32-wasip2"])
        .current_dir(root()))
}

/// The components the demo (`cargo xtask run`) loads; nothing else is built for it.
const DEMO_COMPONENTS: &[&str] = &["woocommerce", "bugalou"];

fn build_plugins() -> Result<()> {
    build_rust_components(COMPONENTS.iter().map(|(_, name, _)| *name))?;
    polyglot::build(&root(), &target_dir())?;
    eprintln!(
        "xtask: components in {}",
        target_dir().join("plugins").display()
    );
    Ok(())
}

/// Build the named Rust components for wasm32-wasip2 (incremental) and place each in its
/// folder under the target directory.
fn build_rust_components<'a>(names: impl Iterator<Item = &'a str>) -> Result<()> {
    ensure_wasm_target()?;
    let chosen: Vec<&(&str, &str, &str)> = {
        let names: Vec<&str> = names.collect();
        COMPONENTS
            .iter()
            .filter(|(_, name, _)| names.contains(name))
            .collect()
    };
    let mut cmd = cargo();
    cmd.args(["build", "--target", "wasm32-wasip2", "--profile", "plugin"]);
    for (package, _, _) in &chosen {
        cmd.args(["--package", package]);
    }
    run(&mut cmd)?;
    let built = target_dir().join("wasm32-wasip2").join("plugin");
    for (package, name, folder) in chosen {
        let from = built.join(format!("{}.wasm", package.replace('-', "_")));
        let dir = target_dir().join(folder);
        std::fs::create_dir_all(&dir)?;
        let to = dir.join(format!("{name}.wasm"));
        copy_if_changed(&from, &to)?;
    }
    Ok(())
}

/// Copy only when the bytes differ, so a running server's hot reload sees real changes only.
pub(crate) fn copy_if_changed(from: &Path, to: &Path) -> Result<()> {
    let new =
        std::fs::read(from).with_context(|| format!("missing build output {}", from.display()))?;
    if std::fs::read(to).ok().as_deref() == Some(new.as_slice()) {
        return Ok(());
    }
    let tmp = to.with_extension("wasm.tmp");
    std::fs::write(&tmp, &new)?;
    std::fs::rename(&tmp, to)?;
    Ok(())
}

/// The e2e tiers: one test binary each (`tests/e2e/<tier>/main.rs`), every module a
/// former test file.
const TIERS: &[&str] = &["inprocess", "servers", "systems"];

/// The e2e modules the PostgreSQL pass runs again, as (tier, module): every one that starts
/// `junction serve` (through `common::spawn_server`, which then gives each data directory
/// a fresh PostgreSQL database).
const POSTGRES_PASS: &[(&str, &str)] = &[
    ("servers", "serve"),
    ("servers", "runtime_api"),
    ("servers", "crash"),
    ("servers", "admin_cli"),
    ("servers", "portal"),
    ("servers", "portal_automations"),
    ("servers", "portal_connection_detail"),
    ("servers", "portal_connection_form"),
    ("servers", "portal_runs_connectors"),
    ("servers", "portal_records"),
    ("servers", "portal_users_webhooks"),
    ("servers", "security"),
    ("servers", "lossless_recipe"),
    ("servers", "freshness"),
    ("servers", "connection_fixes"),
    ("servers", "reconciliation"),
    ("systems", "automations"),
    ("systems", "browser"),
];

/// Modules left out of the PostgreSQL pass, and why: none of them starts a server on the
/// default database, so a second run would test exactly what the first did. The
/// store-level and scale-out ones already test PostgreSQL in the first pass through
/// `JUNCTION_TEST_POSTGRES_URL`. (A test checks every module is in one list or the other.)
const NOT_IN_POSTGRES_PASS: &[(&str, &str)] = &[
    ("sandbox", "the wasm sandbox only; no store"),
    ("hot_reload", "the connector registry only; no store"),
    ("cli", "connector inspect/call/list; no store"),
    ("woocommerce", "connector against its emulator; no store"),
    ("conformance", "connectors against their systems; no store"),
    ("targets", "component targets; no store"),
    ("polyglot", "JavaScript/Python components; no store"),
    ("tryton", "connector against a real trytond; no store"),
    ("vendure", "connector against a real Vendure; no store"),
    (
        "store",
        "already runs every case on SQLite and PostgreSQL in the first pass",
    ),
    (
        "webhooks",
        "its store cases already run on PostgreSQL in the first pass",
    ),
    ("batch", "connector batch writes in-process; no store"),
    (
        "scaleout",
        "already on PostgreSQL in the first pass: its servers get JUNCTION_DATABASE_URL",
    ),
    (
        "shared_components",
        "already on PostgreSQL in the first pass: its servers get JUNCTION_DATABASE_URL",
    ),
    (
        "shared_budgets",
        "PostgreSQL only, in the first pass: its stores and servers get JUNCTION_TEST_POSTGRES_URL",
    ),
    (
        "autosync",
        "in-process scheduler on its own SQLite store; no server",
    ),
    (
        "resilience",
        "the SQLite file on a full and a read-only disk: its server always uses SQLite",
    ),
];

fn test(extra: &[String]) -> Result<()> {
    build_plugins()?;
    polyglot::sdk_tests(&root(), &target_dir())?;
    realsys::install_all(&target_dir())?;
    run(cargo().args(["build", "--package", "junction", "--bins"]))?;
    let browser_env = browser::install(&target_dir())?;
    let postgres = postgres::ensure(&target_dir())?;
    // First pass: servers on SQLite (the default); the store-level tests also run every
    // case against PostgreSQL.
    // Every binary runs even when one fails; the PostgreSQL-only tests (ignored in a plain
    // `cargo test`, where they say so) run here, with PostgreSQL found or started above.
    let mut cmd = cargo();
    cmd.args(["test", "--workspace", "--no-fail-fast"])
        .args(extra)
        .args(["--", "--include-ignored"]);
    test_env(&mut cmd, &browser_env, &postgres.url);
    run(&mut cmd)?;
    // Second pass: the modules that start servers, each server on its own PostgreSQL
    // database (libtest filters: a test runs when its path starts with `module::`).
    for (name, why) in NOT_IN_POSTGRES_PASS {
        eprintln!("xtask: not in the PostgreSQL pass: {name} ({why})");
    }
    for tier in TIERS {
        let modules: Vec<&str> = POSTGRES_PASS
            .iter()
            .filter(|(t, _)| t == tier)
            .map(|(_, module)| *module)
            .collect();
        if modules.is_empty() {
            continue;
        }
        let mut cmd = cargo();
        cmd.args(["test", "--package", "junction", "--test", tier])
            .args(extra)
            .arg("--");
        for module in modules {
            cmd.arg(format!("{module}::"));
        }
        test_env(&mut cmd, &browser_env, &postgres.url);
        in_postgres_pass(&mut cmd, &postgres.url)?;
    }
    drop(postgres);
    api_fuzz_run()
}

/// What every test process reads: components, real systems, the browser, PostgreSQL.
fn test_env(cmd: &mut Command, browser_env: &[(&str, PathBuf)], postgres_url: &str) {
    cmd.env("JUNCTION_COMPONENTS_DIR", target_dir());
    cmd.env("JUNCTION_REALSYS_DIR", realsys::dir(&target_dir()));
    for (name, value) in browser_env {
        cmd.env(name, value);
    }
    cmd.env("JUNCTION_TEST_POSTGRES_URL", postgres_url);
}

/// Run `cmd` with every test server on PostgreSQL (`JUNCTION_TEST_DATABASE=postgres`), then
/// drop the databases it made, whether it passed or not.
fn in_postgres_pass(cmd: &mut Command, postgres_url: &str) -> Result<()> {
    let run_id = postgres::new_run_id()?;
    cmd.env("JUNCTION_TEST_POSTGRES_URL", postgres_url)
        .env("JUNCTION_TEST_DATABASE", "postgres")
        .env("JUNCTION_TEST_RUN_ID", &run_id);
    let outcome = run(cmd);
    let cleanup = postgres::drop_run_databases(postgres_url, &run_id);
    outcome.and(cleanup)
}

/// `cargo xtask postgres [command...]`: `command` in the PostgreSQL pass's environment
/// (e.g. `cargo xtask postgres cargo test -p junction --test serve`), or without one the
/// URL to export, the server left running.
fn postgres_task(command: &[String]) -> Result<()> {
    let postgres = postgres::ensure(&target_dir())?;
    let Some((program, args)) = command.split_first() else {
        println!("JUNCTION_TEST_POSTGRES_URL={}", postgres.url);
        postgres.keep_running();
        return Ok(());
    };
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(root());
    cmd.env("JUNCTION_COMPONENTS_DIR", target_dir());
    cmd.env("JUNCTION_REALSYS_DIR", realsys::dir(&target_dir()));
    in_postgres_pass(&mut cmd, &postgres.url)
}

/// The served OpenAPI document against a live, synced server, with schemathesis.
fn api_fuzz_run() -> Result<()> {
    let schemathesis = api_fuzz::install(&target_dir())?;
    build_demo_binaries()?;
    demo::run(
        &root(),
        &target_dir().join("debug"),
        &target_dir().join("plugins").join("woocommerce.wasm"),
        demo::Mode::Fuzz(schemathesis),
    )
}

fn build_demo_binaries() -> Result<()> {
    run(cargo().args([
        "build",
        "--package",
        "junction",
        "--package",
        "junction-emulators",
        "--bins",
    ]))
}

/// `cargo xtask bench [runtime|api|automations|scaleout] [args]`: runtime and api by default
/// (release builds); `cargo xtask bench smoke`: every benchmark with tiny sizes, as the
/// test pass runs them.
fn bench(extra: &[String]) -> Result<()> {
    build_plugins()?;
    if extra.first().map(String::as_str) == Some("smoke") {
        // What the test pass runs: every benchmark with tiny sizes (benches/smoke.rs).
        run(cargo().args(["build", "--package", "junction", "--bins"]))?;
        let postgres = postgres::ensure(&target_dir())?;
        let mut cmd = cargo();
        cmd.args(["test", "--workspace", "--test", "smoke"])
            .args([
                "--",
                "--include-ignored",
                "--test-threads",
                "1",
                "--nocapture",
            ])
            .env("JUNCTION_COMPONENTS_DIR", target_dir())
            .env("JUNCTION_TEST_POSTGRES_URL", &postgres.url);
        return run(&mut cmd);
    }
    let (which, args) = match extra.first().map(String::as_str) {
        Some("runtime") => (vec!["runtime_bench"], &extra[1..]),
        Some("api") => (vec!["api_bench"], &extra[1..]),
        Some("automations") => (vec!["automation_bench"], &extra[1..]),
        Some("scaleout") => (vec!["scaleout_bench"], &extra[1..]),
        Some("author") => (vec!["author_bench"], &extra[1..]),
        Some("budgets") => (vec!["budget_bench"], &extra[1..]),
        Some(other) if other.parse::<u64>().is_err() => {
            bail!(
                "usage: cargo xtask bench [runtime [calls [component...]]] | api [orders [requests]] \
                 | automations [seconds] | scaleout [idle-secs [connections [load-secs]]] \
                 | author [rust|js|python...] | budgets [seconds] | smoke]"
            )
        }
        _ => (vec!["runtime_bench", "api_bench"], &extra[..0]),
    };
    // The scale-out benchmark starts the real release binary against PostgreSQL, found or
    // started the way the tests' PostgreSQL pass finds it.
    if which == ["author_bench"] {
        run(cargo().args([
            "build",
            "--release",
            "--package",
            "junction",
            "--bin",
            "junction",
        ]))?;
    }
    let postgres = if which == ["scaleout_bench"] {
        run(cargo().args([
            "build",
            "--release",
            "--package",
            "junction",
            "--bin",
            "junction",
        ]))?;
        Some(postgres::ensure(&target_dir())?)
    } else {
        None
    };
    for program in which {
        let mut cmd = cargo();
        cmd.args([
            "run",
            "--release",
            "--package",
            "junction-bench",
            "--bin",
            program,
            "--",
        ])
        .args(args);
        cmd.env("JUNCTION_COMPONENTS_DIR", target_dir());
        if let Some(postgres) = &postgres {
            cmd.env("JUNCTION_TEST_POSTGRES_URL", &postgres.url);
        }
        run(&mut cmd)?;
    }
    Ok(())
}

/// fmt and clippy (native, and for wasm32-wasip2 over the SDK and every Rust component).
fn lint() -> Result<()> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    tidy::run(&root())?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    ensure_wasm_target()?;
    let mut clippy_wasm = cargo();
    clippy_wasm.args(["clippy", "--target", "wasm32-wasip2"]);
    for (package, _, _) in COMPONENTS {
        clippy_wasm.args(["--package", package]);
    }
    clippy_wasm.args(["--package", "junction-sdk", "--", "-D", "warnings"]);
    run(&mut clippy_wasm)
}

/// `cargo xtask docs`: write the generated documentation (docs/configuration.md, from the
/// settings structs) anew; a test fails while it is stale.
fn docs() -> Result<()> {
    run(cargo()
        .args([
            "test",
            "--package",
            "junction",
            "--lib",
            "config_reference::tests::the_configuration_reference_is_current",
        ])
        .env("JUNCTION_WRITE_DOCS", "1"))
}

fn ci() -> Result<()> {
    lint()?;
    test(&[])
}

/// `cargo xtask run [--smoke]`: build, then the demo (see `demo.rs`).
fn run_demo(extra: &[String]) -> Result<()> {
    let mode = match extra {
        [] => demo::Mode::Interactive,
        [flag] if flag == "--smoke" => demo::Mode::Smoke,
        _ => bail!("usage: cargo xtask run [--smoke]"),
    };
    // Only what the demo runs: its two components and the two binaries (the JavaScript and
    // Python toolchains and the test components build when a test asks for them).
    build_rust_components(DEMO_COMPONENTS.iter().copied())?;
    build_demo_binaries()?;
    demo::run(
        &root(),
        &target_dir().join("debug"),
        &target_dir().join("plugins").join("woocommerce.wasm"),
        mode,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every e2e module is either in the PostgreSQL pass or listed with a reason, and every
    /// tier is a test target of the host.
    #[test]
    fn every_test_module_is_placed_in_or_out_of_the_postgres_pass() {
        let manifest = std::fs::read_to_string(root().join("host").join("Cargo.toml")).unwrap();
        for tier in TIERS {
            assert!(
                manifest.contains(&format!("../tests/e2e/{tier}/main.rs")),
                "{tier} is not a test target"
            );
        }
        let mut modules: Vec<String> = TIERS
            .iter()
            .flat_map(|tier| {
                let main = root().join("tests/e2e").join(tier).join("main.rs");
                std::fs::read_to_string(main)
                    .unwrap()
                    .lines()
                    .filter_map(|l| l.strip_prefix("mod ").and_then(|m| m.strip_suffix(';')))
                    .filter(|m| !["common", "realsys", "suite"].contains(m))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        modules.sort_unstable();
        let mut placed: Vec<String> = POSTGRES_PASS
            .iter()
            .map(|(_, m)| m.to_string())
            .chain(NOT_IN_POSTGRES_PASS.iter().map(|(m, _)| m.to_string()))
            .collect();
        placed.sort_unstable();
        assert_eq!(modules, placed);
    }
}
