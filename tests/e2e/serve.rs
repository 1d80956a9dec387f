//! `junction serve` as a real process: health and readiness, the connector listing, hot
//! reload of a file dropped into its plugins directory, and a clean stop on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(data_dir: &std::path::Path) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_junction"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data_dir)
        .env("JUNCTION_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn wait_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn serve_reports_health_and_hot_reloads_connectors() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path());
    let client = reqwest::Client::new();
    let base = server.base.clone();

    wait_until("healthz", async || {
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    // Nothing loaded yet: alive but not ready.
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);

    let plugins = data.path().join("plugins");
    std::fs::copy(common::component("minimal"), plugins.join("minimal.wasm")).unwrap();
    std::fs::write(plugins.join("broken.wasm"), "nope").unwrap();
    wait_until("minimal to load", async || {
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;

    let listing: serde_json::Value = client
        .get(format!("{base}/api/v1/connectors"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listing["connectors"][0]["key"], "minimal");
    assert_eq!(listing["connectors"][0]["version"], "0.1.0");
    wait_until("the broken file to be reported", async || {
        let listing: serde_json::Value = client
            .get(format!("{base}/api/v1/connectors"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listing["failed"] == 1
    })
    .await;
    let listing: serde_json::Value = client
        .get(format!("{base}/api/v1/connectors"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let failed = listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "failed")
        .unwrap();
    assert!(
        failed["error"].as_str().unwrap().contains("broken.wasm"),
        "{failed}"
    );

    // The compiled artifact was cached in the data directory.
    let cached = std::fs::read_dir(data.path().join("cache/compiled"))
        .unwrap()
        .count();
    assert!(cached >= 1, "compiled artifacts are cached on disk");

    // SIGTERM stops it cleanly.
    let pid = server.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let mut server = server;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "graceful stop exits 0, got {status}");
            break;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}
