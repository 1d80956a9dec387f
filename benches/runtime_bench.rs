//! Runtime benchmark: prints figures, asserts nothing.
//!
//! - instantiate + call `manifest` in a fresh sandbox, median/p99 over N calls, for each
//!   connector beside the minimal component (the floor), with the pooling allocator and
//!   with on-demand allocation;
//! - loading a component: compiling from scratch vs deserialising the cached artifact;
//! - hot reload: time from replacing a file to the new version serving.
//!
//! Run with `cargo xtask bench runtime [calls [component...]]` (release build; default
//! 10 000 calls, every component in the plugins directory).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use junction::runtime::cache::CacheOutcome;
use junction::runtime::{LoadedConnector, Registry, Runtime, SandboxLimits};

fn components_root() -> PathBuf {
    std::env::var_os("JUNCTION_COMPONENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn component(folder: &str, name: &str) -> PathBuf {
    components_root().join(folder).join(format!("{name}.wasm"))
}

struct Stats {
    median: Duration,
    p99: Duration,
    mean: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let n = samples.len().max(1);
    let total: Duration = samples.iter().sum();
    Stats {
        median: samples[n / 2],
        p99: samples[(n * 99 / 100).min(n - 1)],
        mean: total / n as u32,
    }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn manifest_calls(connector: &LoadedConnector, calls: usize) -> Stats {
    // Warm up: first calls touch lazily initialised state.
    for _ in 0..100 {
        connector.call_manifest().await.value.unwrap();
    }
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = Instant::now();
        connector.call_manifest().await.value.unwrap();
        samples.push(start.elapsed());
    }
    stats(samples)
}

async fn bench_calls(calls: usize, targets: &[(String, PathBuf)]) {
    println!("\n## instantiate + call `manifest` in a fresh sandbox ({calls} calls each)");
    println!("| component | allocator | median µs | p99 µs | mean µs | × floor (median) |");
    println!("|---|---|---|---|---|---|");
    for pooling in [true, false] {
        let runtime = Runtime::new(
            SandboxLimits {
                pooling,
                ..SandboxLimits::default()
            },
            None,
        )
        .unwrap();
        let mut floor = None;
        for (name, path) in targets {
            let connector = LoadedConnector::load_file(&runtime, path).await.unwrap();
            let s = manifest_calls(&connector, calls).await;
            let floor_median = *floor.get_or_insert(s.median);
            println!(
                "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.2} |",
                if pooling { "pooling" } else { "on-demand" },
                us(s.median),
                us(s.p99),
                us(s.mean),
                s.median.as_secs_f64() / floor_median.as_secs_f64()
            );
        }
    }
}

async fn bench_loading(targets: &[(String, PathBuf)]) {
    println!("\n## loading a component (median of 5)");
    println!("| component | size KiB | compile from scratch ms | from cache ms | speed-up |");
    println!("|---|---|---|---|---|");
    for (name, path) in targets {
        let bytes = std::fs::read(path).unwrap();
        let mut compiled = Vec::new();
        let mut cached = Vec::new();
        for _ in 0..5 {
            let cache = tempfile::tempdir().unwrap();
            let runtime =
                Runtime::new(SandboxLimits::default(), Some(cache.path().to_path_buf())).unwrap();
            let start = Instant::now();
            let first = LoadedConnector::load_bytes(&runtime, bytes.clone(), path.clone())
                .await
                .unwrap();
            compiled.push(start.elapsed());
            assert_eq!(first.cache, CacheOutcome::Compiled);
            // A restart: a new engine with the same configuration.
            let restarted =
                Runtime::new(SandboxLimits::default(), Some(cache.path().to_path_buf())).unwrap();
            let start = Instant::now();
            let second = LoadedConnector::load_bytes(&restarted, bytes.clone(), path.clone())
                .await
                .unwrap();
            cached.push(start.elapsed());
            assert_eq!(second.cache, CacheOutcome::Hit);
        }
        let (c, h) = (stats(compiled).median, stats(cached).median);
        println!(
            "| {name} | {} | {:.1} | {:.2} | {:.0}× |",
            bytes.len() / 1024,
            ms(c),
            ms(h),
            c.as_secs_f64() / h.as_secs_f64()
        );
    }
}

async fn bench_hot_reload(v1: &Path, v2: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("minimal.wasm");
    std::fs::copy(v1, &live).unwrap();
    let runtime = Runtime::new(SandboxLimits::default(), Some(dir.path().join("cache"))).unwrap();
    let registry = Registry::open(runtime, dir.path().to_path_buf())
        .await
        .unwrap();
    let _watch = registry.watch().unwrap();
    let mut samples = Vec::new();
    for round in 0..10 {
        let (from, want) = if round % 2 == 0 {
            (v2, "0.2.0")
        } else {
            (v1, "0.1.0")
        };
        let tmp = dir.path().join("upload.partial");
        std::fs::copy(from, &tmp).unwrap();
        let start = Instant::now();
        std::fs::rename(&tmp, &live).unwrap();
        loop {
            let serving = registry.get("minimal").unwrap();
            if serving.call_manifest().await.value.unwrap().version == want {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        samples.push(start.elapsed());
    }
    let s = stats(samples);
    println!("\n## hot reload: file replaced -> new version serving (10 swaps)");
    println!(
        "median {:.0} ms, worst {:.0} ms (includes the {} ms debounce)",
        ms(s.median),
        ms(s.p99),
        150
    );
}

#[tokio::main]
async fn main() {
    let calls: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let minimal = component("test-components", "minimal");
    let mut targets = vec![("minimal (floor)".to_string(), minimal.clone())];
    let plugins = components_root().join("plugins");
    if let Ok(entries) = std::fs::read_dir(&plugins) {
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .collect();
        found.sort();
        for path in found {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            targets.push((name, path));
        }
    }
    // Components named after the call count: only those (beside the floor).
    let only: Vec<String> = std::env::args().skip(2).collect();
    if !only.is_empty() {
        targets.retain(|(name, _)| name == "minimal (floor)" || only.contains(name));
    }
    println!("# Junction runtime benchmark");
    println!("components from {}", components_root().display());
    bench_calls(calls, &targets).await;
    bench_loading(&targets).await;
    bench_hot_reload(&minimal, &component("test-components", "minimal-next")).await;
}
