//! Hot reload: connectors added, replaced and removed in the plugins directory while calls
//! run, without restart, without a failed call, and without a broken file ever replacing a
//! working version.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use junction::runtime::Registry;
use junction::runtime::registry::FileStatus;

/// Replace a file the way deploy tools do: write beside it, then rename over it.
fn replace_atomically(from: &Path, to: &Path) {
    let tmp = to.with_extension("partial");
    std::fs::copy(from, &tmp).unwrap();
    std::fs::rename(&tmp, to).unwrap();
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    start.elapsed()
}

async fn open_registry(dir: &Path) -> Arc<Registry> {
    Registry::open(common::runtime(common::test_limits()), dir.to_path_buf())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_a_file_under_load_fails_no_call() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("minimal.wasm");
    std::fs::copy(common::component("minimal"), &live).unwrap();
    let registry = open_registry(dir.path()).await;
    let _watch = registry.watch().unwrap();
    assert_eq!(registry.get("minimal").unwrap().manifest.version, "0.1.0");

    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let calls = Arc::new(AtomicU64::new(0));
    let newest_seen = Arc::new(std::sync::Mutex::new(String::new()));
    let mut callers = Vec::new();
    for _ in 0..4 {
        let (registry, stop, failures, calls, newest_seen) = (
            registry.clone(),
            stop.clone(),
            failures.clone(),
            calls.clone(),
            newest_seen.clone(),
        );
        callers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let Some(connector) = registry.get("minimal") else {
                    failures.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                match connector.call_manifest().await.value {
                    Ok(m) => *newest_seen.lock().unwrap() = m.version,
                    Err(_) => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                calls.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    replace_atomically(&common::component("minimal-next"), &live);
    let took = wait_for("version 0.2.0 to serve", || {
        newest_seen.lock().unwrap().as_str() == "0.2.0"
    })
    .await;
    eprintln!(
        "new version served {} ms after the file was replaced",
        took.as_millis()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;

    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        caller.await.unwrap();
    }
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "no call may fail during a reload"
    );
    assert!(
        calls.load(Ordering::Relaxed) > 100,
        "the callers really ran"
    );
    assert_eq!(registry.get("minimal").unwrap().manifest.version, "0.2.0");
}

#[tokio::test]
async fn a_call_in_flight_finishes_on_its_version() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("minimal.wasm");
    std::fs::copy(common::component("minimal"), &live).unwrap();
    let registry = open_registry(dir.path()).await;
    let started_on = registry.get("minimal").unwrap();

    replace_atomically(&common::component("minimal-next"), &live);
    registry.reconcile().await;
    assert_eq!(registry.get("minimal").unwrap().manifest.version, "0.2.0");
    // The call that took its reference before the swap still runs the old version.
    let manifest = started_on.call_manifest().await.value.unwrap();
    assert_eq!(manifest.version, "0.1.0");
}

#[tokio::test]
async fn a_broken_file_never_replaces_a_working_version() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("minimal.wasm");
    std::fs::copy(common::component("minimal"), &live).unwrap();
    let registry = open_registry(dir.path()).await;
    let _watch = registry.watch().unwrap();

    // A truncated copy, as an interrupted upload leaves it.
    let good = std::fs::read(common::component("minimal-next")).unwrap();
    std::fs::write(&live, &good[..good.len() / 2]).unwrap();
    wait_for("the failure to be recorded", || {
        registry
            .snapshot()
            .files()
            .any(|(_, status)| matches!(status, FileStatus::Failed { .. }))
    })
    .await;
    let still = registry
        .get("minimal")
        .expect("the old version keeps serving");
    assert_eq!(still.manifest.version, "0.1.0");
    assert_eq!(still.call_manifest().await.value.unwrap().version, "0.1.0");
    let (_, status) = registry
        .snapshot()
        .files()
        .next()
        .map(|(p, s)| (p.to_path_buf(), s.clone()))
        .unwrap();
    let FileStatus::Failed { error, .. } = status else {
        panic!("expected a failure")
    };
    assert!(
        error.contains("minimal.wasm"),
        "the error names the file: {error}"
    );

    // Finishing the upload heals it.
    std::fs::write(&live, &good).unwrap();
    wait_for("0.2.0 to load", || {
        registry
            .get("minimal")
            .is_some_and(|c| c.manifest.version == "0.2.0")
    })
    .await;
}

#[tokio::test]
async fn added_and_removed_files_load_and_unload() {
    let dir = tempfile::tempdir().unwrap();
    let registry = open_registry(dir.path()).await;
    let _watch = registry.watch().unwrap();
    assert!(registry.get("minimal").is_none());

    replace_atomically(
        &common::component("minimal"),
        &dir.path().join("minimal.wasm"),
    );
    wait_for("minimal to load", || registry.get("minimal").is_some()).await;

    std::fs::remove_file(dir.path().join("minimal.wasm")).unwrap();
    wait_for("minimal to unload", || registry.get("minimal").is_none()).await;
    assert_eq!(registry.snapshot().files().count(), 0);
}

#[tokio::test]
async fn a_second_file_with_the_same_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::component("minimal"), dir.path().join("a.wasm")).unwrap();
    std::fs::copy(common::component("minimal-next"), dir.path().join("b.wasm")).unwrap();
    let registry = open_registry(dir.path()).await;
    assert_eq!(registry.get("minimal").unwrap().manifest.version, "0.1.0");
    let failures: Vec<String> = registry
        .snapshot()
        .files()
        .filter_map(|(_, s)| match s {
            FileStatus::Failed { error, .. } => Some(error.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].contains("already provided by"),
        "{}",
        failures[0]
    );
}

#[tokio::test]
async fn compiled_components_are_cached_on_disk() {
    let cache = tempfile::tempdir().unwrap();
    let path = common::component("minimal");
    let first =
        junction::runtime::Runtime::new(common::test_limits(), Some(cache.path().to_path_buf()))
            .unwrap();
    let loaded = junction::runtime::LoadedConnector::load_file(&first, &path)
        .await
        .unwrap();
    assert_eq!(
        loaded.cache,
        junction::runtime::cache::CacheOutcome::Compiled
    );
    // A new engine with the same configuration (a restart) loads the artifact.
    let second =
        junction::runtime::Runtime::new(common::test_limits(), Some(cache.path().to_path_buf()))
            .unwrap();
    let again = junction::runtime::LoadedConnector::load_file(&second, &path)
        .await
        .unwrap();
    assert_eq!(again.cache, junction::runtime::cache::CacheOutcome::Hit);
    assert_eq!(again.call_manifest().await.value.unwrap().key, "minimal");
    // A corrupt artifact is discarded and recompiled, never trusted.
    let artifact = second.cache().artifact_path(&again.digest).unwrap();
    std::fs::write(&artifact, b"garbage").unwrap();
    let third = junction::runtime::LoadedConnector::load_file(&second, &path)
        .await
        .unwrap();
    assert_eq!(
        third.cache,
        junction::runtime::cache::CacheOutcome::Compiled
    );
}
