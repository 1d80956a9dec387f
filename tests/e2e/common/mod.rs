//! Shared helpers for the end-to-end tests: where the built components are, a runtime with
//! test-sized limits, and a small local HTTP server to fetch from.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use junction::runtime::{Runtime, SandboxLimits};

/// The cargo target directory the components were built into (`cargo xtask plugins`).
pub fn components_root() -> PathBuf {
    std::env::var_os("JUNCTION_COMPONENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// A built component by name: `test-components/<name>.wasm` or `plugins/<name>.wasm`.
pub fn component(name: &str) -> PathBuf {
    let root = components_root();
    for folder in ["test-components", "plugins"] {
        let path = root.join(folder).join(format!("{name}.wasm"));
        if path.exists() {
            return path;
        }
    }
    panic!(
        "component `{name}` not found under {}: run `cargo xtask plugins` (or `cargo xtask test`)",
        root.display()
    );
}

/// Limits small enough that misbehaviour is caught quickly.
pub fn test_limits() -> SandboxLimits {
    SandboxLimits {
        memory_mib: 64,
        cpu_ms: 300,
        call_timeout_ms: 3_000,
        connect_timeout_ms: 1_000,
        first_byte_timeout_ms: 2_000,
        between_bytes_timeout_ms: 2_000,
        max_response_mib: 1,
        allow_private_networks: true,
        max_concurrent_instances: 32,
        ..SandboxLimits::default()
    }
}

pub fn runtime(limits: SandboxLimits) -> Runtime {
    Runtime::new(limits, None).expect("runtime")
}

/// A local server: `/small` (a few bytes), `/big` (2 MiB), `/slow` (answers after 10 s).
pub async fn file_server() -> SocketAddr {
    use axum::Router;
    use axum::routing::get;
    let app = Router::new()
        .route("/small", get(|| async { "hello" }))
        .route("/big", get(|| async { vec![b'x'; 2 << 20] }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// A running `junction serve` process, killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free local port (the OS picks; a race with another process is possible but rare).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start the real binary: `junction serve` on `port` with `data_dir`, private networks
/// allowed (the emulators are on loopback), and the given environment.
pub fn spawn_server(data_dir: &std::path::Path, port: u16, env: &[(&str, &str)]) -> ServerProcess {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_junction"));
    command
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--allow-private-networks",
            "--data-dir",
        ])
        .arg(data_dir)
        .env("JUNCTION_LOG", "warn")
        .stdout(std::process::Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    ServerProcess {
        child: command.spawn().unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    }
}

/// Poll `path` until it answers `status`.
pub async fn wait_for_status(base: &str, path: &str, status: u16) {
    let client = reqwest::Client::new();
    let start = std::time::Instant::now();
    while client
        .get(format!("{base}{path}"))
        .send()
        .await
        .map(|r| r.status() != status)
        .unwrap_or(true)
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{base}{path} never answered {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
