//! The admin API as the end-to-end tests call it: one client per server and admin token,
//! answers as (status, JSON), and waiting for a connection's runs.

use std::time::{Duration, Instant};

use reqwest::{Client, Method};
use serde_json::Value;

/// A server's admin API with its token.
pub struct AdminApi {
    pub http: Client,
    pub base: String,
    token: String,
}

impl AdminApi {
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            http: Client::new(),
            base: base.to_string(),
            token: token.to_string(),
        }
    }

    /// One request; the status and the JSON answer (null when it is none).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}/api/v1/admin{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    /// A POST that must succeed; its answer.
    pub async fn posted(&self, path: &str, body: Value) -> Value {
        let (status, value) = self.post(path, body).await;
        assert!((200..300).contains(&status), "{path}: {status} {value}");
        value
    }

    /// A GET that must answer 200; its answer.
    pub async fn ok(&self, path: &str) -> Value {
        let (status, value) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {value}");
        value
    }

    /// A GET's body as text, whatever it is.
    pub async fn text(&self, path: &str) -> String {
        self.http
            .get(format!("{}/api/v1/admin{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// Wait until every listed resource of a connection has ended a run with `status`.
pub async fn wait_for_runs(api: &AdminApi, connection: &str, resources: &[&str], status: &str) {
    wait_for_runs_within(api, connection, resources, status, Duration::from_secs(90)).await;
}

/// [`wait_for_runs`], for at most `limit`.
pub async fn wait_for_runs_within(
    api: &AdminApi,
    connection: &str,
    resources: &[&str],
    status: &str,
    limit: Duration,
) {
    let start = Instant::now();
    loop {
        let (_, shown) = api.get(&format!("/connections/{connection}")).await;
        let done = resources.iter().all(|resource| {
            shown["resources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["resource"] == *resource && r["lastStatus"] == status)
        });
        if done {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "{connection} never reached {status}: {shown}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Run `junction admin <args>` against `base`, with the token from the data directory.
pub fn cli(base: &str, data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_junction"))
        .arg("admin")
        .args(["--server", base, "--data-dir"])
        .arg(data_dir)
        .args(args)
        .env_remove("JUNCTION_ADMIN_TOKEN")
        .env("JUNCTION_LOG", "warn")
        .output()
        .unwrap()
}

/// The JSON a successful `junction admin` command printed.
pub fn cli_json(output: std::process::Output, what: &str) -> Value {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{what} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}
