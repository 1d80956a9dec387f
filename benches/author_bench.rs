//! Connector authors' benchmark: prints figures, asserts nothing but that each step worked.
//!
//! For each language, the guide's steps (`docs/writing-a-connector.md`, *From zero to
//! live*) timed as a newcomer meets them: `junction connector new`, `connector build`,
//! `connector check` against the example API (`junction_emulators::example`) with the
//! guide's subject file. Twice: **clean** (no toolchain installed, no compiled component
//! cached, for Rust an empty cargo target directory) and **warm** (a second connector with
//! everything the first one installed). Then a component's first and second `connector call`
//! (compile, then the compile cache), and hot reload: a changed build of the component
//! replacing the running one in a watched plugins directory until the new build serves (each
//! change a new build the runtime has never compiled, as a server sees an upload; median of
//! three).
//!
//! Run with `cargo xtask bench author [lang...]` (langs: rust, js, python; default all).
//! Clean rounds download the JavaScript and Python toolchains from the package registries
//! (`AUTHOR_BENCH_TOOLCHAINS=DIR` reuses installed ones instead, as the smoke run does).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The `junction` binary beside this one (`cargo xtask bench` builds both), or `JUNCTION_BIN`.
fn junction_bin() -> PathBuf {
    std::env::var_os("JUNCTION_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            let me = std::env::current_exe().ok()?;
            Some(me.parent()?.join("junction"))
        })
        .unwrap_or_else(|| PathBuf::from("junction"))
}

/// Where a round keeps what a user's machine would keep between connectors.
struct Caches {
    toolchains: PathBuf,
    compiled: PathBuf,
    cargo_target: PathBuf,
}

/// Run the binary with the round's caches; panics with its output when it fails.
fn junction(caches: &Caches, dir: &Path, args: &[&str]) -> (Duration, String) {
    let started = Instant::now();
    let out = Command::new(junction_bin())
        .args(args)
        .env("JUNCTION_TOOLCHAINS_DIR", &caches.toolchains)
        .env("JUNCTION_CACHE_DIR", &caches.compiled)
        .env("CARGO_TARGET_DIR", &caches.cargo_target)
        .current_dir(dir)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "junction {args:?}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (elapsed, stdout)
}

struct Round {
    wasm: PathBuf,
    new: Duration,
    build: Duration,
    check: Duration,
    first_call: Duration,
    second_call: Duration,
}

fn round(lang: &str, name: &str, work: &Path, caches: &Caches, base: &str) -> Round {
    let config = serde_json::json!({"base_url": base, "api_key": "t-key"}).to_string();
    let (new, _) = junction(caches, work, &["connector", "new", name, "--lang", lang]);
    let (build, _) = junction(caches, work, &["connector", "build", name]);
    let dir = work.join(name);
    std::fs::write(
        dir.join("junction-check.toml"),
        format!(
            "[touch]\nproducts = \"curl -sf -X POST {base}/__emulator/items/2/touch > /dev/null && echo 2\"\n"
        ),
    )
    .unwrap();
    let wasm = format!("{name}.wasm");
    let check_args = [
        "connector",
        "check",
        wasm.as_str(),
        "--allow-private-networks",
        "--config",
        config.as_str(),
    ];
    let (check, report) = junction(caches, &dir, &check_args);
    assert!(report.contains(" 0 failed"), "{report}");
    // The check compiled the component into the cache: a fresh cache shows a first call.
    let first_cache = tempfile::tempdir().unwrap();
    let call = |cache: &Path| {
        let started = Instant::now();
        let out = Command::new(junction_bin())
            .args([
                "connector",
                "call",
                wasm.as_str(),
                "--allow-private-networks",
            ])
            .args(["--cache-dir"])
            .arg(cache)
            .args(["--config", config.as_str(), "check"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        started.elapsed()
    };
    let first_call = call(first_cache.path());
    let second_call = call(first_cache.path());
    Round {
        wasm: dir.join(&wasm),
        new,
        build,
        check,
        first_call,
        second_call,
    }
}

/// `component` with a custom section appended: the same connector, a new build to the
/// runtime (another digest, compiled afresh).
fn rebuilt(component: &[u8], mark: u32) -> Vec<u8> {
    fn leb128(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let name = b"junction-bench";
    let payload = mark.to_le_bytes();
    let mut section = Vec::new();
    leb128(name.len(), &mut section);
    section.extend_from_slice(name);
    section.extend_from_slice(&payload);
    let mut out = component.to_vec();
    out.push(0); // a custom section
    leb128(section.len(), &mut out);
    out.extend_from_slice(&section);
    out
}

/// File replaced → the new build serving, through the registry's watcher (median of three).
async fn hot_reload(component: &Path) -> Duration {
    use junction::runtime::{Registry, Runtime, SandboxLimits};
    let bytes = std::fs::read(component).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let live = plugins.join("connector.wasm");
    std::fs::write(&live, &bytes).unwrap();
    let runtime = Runtime::new(SandboxLimits::default(), Some(dir.path().join("cache"))).unwrap();
    let registry = Registry::open(runtime, plugins.clone()).await.unwrap();
    let _watch = registry.watch().unwrap();
    let key = registry
        .snapshot()
        .connectors()
        .next()
        .map(|c| c.key().to_owned())
        .expect("the component loaded");
    let mut samples = Vec::new();
    for mark in 1..=3 {
        let before = registry.get(&key).unwrap().digest.clone();
        let tmp = dir.path().join("upload.partial");
        std::fs::write(&tmp, rebuilt(&bytes, mark)).unwrap();
        let started = Instant::now();
        std::fs::rename(&tmp, &live).unwrap();
        while registry.get(&key).is_none_or(|c| c.digest == before) {
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "the new build never served"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        samples.push(started.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let langs: Vec<String> = std::env::args().skip(1).collect();
    let langs: Vec<String> = if langs.is_empty() {
        vec!["rust".into(), "js".into(), "python".into()]
    } else {
        langs
    };
    assert!(
        junction_bin().exists(),
        "no junction binary at {} (set JUNCTION_BIN)",
        junction_bin().display()
    );
    let api = junction_emulators::example::start(
        junction_emulators::example::ExampleConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let base = api.base_url();
    println!("author bench: connector new → build → check against the example API ({base})");
    println!(
        "{:<7} {:<6} {:>8} {:>8} {:>8} {:>9} {:>11} {:>12} {:>9}",
        "lang",
        "round",
        "new s",
        "build s",
        "check s",
        "total s",
        "1st call s",
        "2nd call s",
        "reload s"
    );
    for lang in &langs {
        let home = tempfile::tempdir().unwrap();
        // The smoke run reuses installed toolchains (it proves the bench runs, not speed).
        let caches = Caches {
            toolchains: std::env::var_os("AUTHOR_BENCH_TOOLCHAINS")
                .map_or_else(|| home.path().join("toolchains"), PathBuf::from),
            compiled: home.path().join("compiled"),
            cargo_target: home.path().join("cargo-target"),
        };
        for (which, name) in [("clean", "first-shop"), ("warm", "second-shop")] {
            let work = home.path().join(which);
            std::fs::create_dir_all(&work).unwrap();
            let figures = tokio::task::block_in_place(|| round(lang, name, &work, &caches, &base));
            let reload = hot_reload(&figures.wasm).await;
            println!(
                "{:<7} {:<6} {:>8} {:>8} {:>8} {:>9} {:>11} {:>12} {:>9}",
                lang,
                which,
                secs(figures.new),
                secs(figures.build),
                secs(figures.check),
                secs(figures.new + figures.build + figures.check),
                secs(figures.first_call),
                secs(figures.second_call),
                secs(reload),
            );
        }
    }
}
