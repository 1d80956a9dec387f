//! Every benchmark, run with tiny sizes: each must finish and print its figures (which mean
//! nothing at these sizes). Part of the test pass so that a benchmark cannot silently stop
//! running again; `cargo xtask bench smoke` runs just these.
//!
//! The benchmarks read the components from `JUNCTION_COMPONENTS_DIR` (built by
//! `cargo xtask plugins`); the scale-out one also needs PostgreSQL at
//! `JUNCTION_TEST_POSTGRES_URL` and the `junction` binary beside it (the test pass builds
//! both), so it is ignored — and says so — in a plain `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

/// Run a benchmark binary with `args`; it must exit 0 and print the `expect`ed heading.
fn smoke(binary: &str, args: &[&str], expect: &str) {
    let output = Command::new(binary)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{binary} {args:?} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains(expect),
        "{binary} printed no `{expect}`:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
}

#[test]
fn the_runtime_benchmark_runs() {
    smoke(
        env!("CARGO_BIN_EXE_runtime_bench"),
        &["200", "woocommerce"],
        "loading a component",
    );
}

#[test]
fn the_api_benchmark_runs() {
    smoke(
        env!("CARGO_BIN_EXE_api_bench"),
        &["300", "100"],
        "random page numbers",
    );
}

#[test]
fn the_automation_benchmark_runs() {
    smoke(
        env!("CARGO_BIN_EXE_automation_bench"),
        &["2"],
        "automation throughput",
    );
}

#[test]
fn the_budget_benchmark_runs() {
    smoke(
        env!("CARGO_BIN_EXE_budget_bench"),
        &["2"],
        "budget benchmark",
    );
}

#[ignore = "needs PostgreSQL and the junction binary: `cargo xtask test` runs it with both"]
#[test]
fn the_scaleout_benchmark_runs() {
    smoke(
        env!("CARGO_BIN_EXE_scaleout_bench"),
        &["2", "20", "2"],
        "ratio two hosts / one host",
    );
}

#[ignore = "needs the junction binary and the connector toolchains: `cargo xtask test` runs it with both"]
#[test]
fn the_author_benchmark_runs() {
    let toolchains = std::env::var_os("JUNCTION_COMPONENTS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("author-toolchains");
    let output = Command::new(env!("CARGO_BIN_EXE_author_bench"))
        .arg("js")
        .env("AUTHOR_BENCH_TOOLCHAINS", toolchains)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("author bench"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{stdout}");
}
