//! Misbehaving components are contained: each misdeed fails its own call with a clear
//! error, and the host keeps serving the next call.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;

use junction::runtime::types::{ListRequest, ResourceKind};
use junction::runtime::{CallError, LoadedConnector, SandboxLimits};
use serde_json::json;

fn page_request() -> ListRequest {
    ListRequest {
        resource: ResourceKind::Products,
        updated_since: None,
        cursor: None,
        page_size: 10,
        parent_id: None,
        ids_only: false,
    }
}

async fn misbehave(limits: SandboxLimits) -> Arc<LoadedConnector> {
    let runtime = common::runtime(limits);
    LoadedConnector::load_file(&runtime, &common::component("misbehave"))
        .await
        .expect("misbehave loads")
}

async fn list_with(
    connector: &LoadedConnector,
    config: serde_json::Value,
) -> Result<usize, CallError> {
    let options = connector.prepare(&config).expect("config valid");
    connector
        .list(&options, page_request())
        .await
        .value
        .map(|page| page.entities.len())
}

/// After a misdeed, an ordinary call on the same connector still works.
async fn still_serving(connector: &LoadedConnector) {
    let ok = list_with(connector, json!({"mode": "ok"})).await;
    assert_eq!(
        ok.unwrap(),
        0,
        "host must keep serving after a contained failure"
    );
}

#[tokio::test]
async fn infinite_loop_hits_the_cpu_limit() {
    let connector = misbehave(common::test_limits()).await;
    let err = list_with(&connector, json!({"mode": "spin"}))
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::CpuLimit { .. }), "{err}");
    assert!(err.to_string().contains("CPU limit"), "{err}");
    still_serving(&connector).await;
}

#[tokio::test]
async fn memory_bomb_hits_the_memory_limit() {
    let connector = misbehave(common::test_limits()).await;
    let err = list_with(&connector, json!({"mode": "memory"}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::MemoryLimit { limit_mib: 64, .. }),
        "{err}"
    );
    still_serving(&connector).await;
}

#[tokio::test]
async fn a_trap_is_reported_with_the_guest_panic() {
    let connector = misbehave(common::test_limits()).await;
    let err = list_with(&connector, json!({"mode": "trap"}))
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::Trap { .. }), "{err}");
    assert!(
        err.to_string().contains("misbehave was told to trap"),
        "{err}"
    );
    still_serving(&connector).await;
}

#[tokio::test]
async fn a_host_outside_the_allow_list_is_refused() {
    let server = common::file_server().await;
    let connector = misbehave(common::test_limits()).await;
    // Allowed: 127.0.0.1:<port>. Requested: localhost:<port>, the same server by another name.
    let config = json!({
        "mode": "fetch",
        "allowed_url": format!("http://{server}"),
        "url": format!("http://localhost:{}/small", server.port()),
    });
    let err = list_with(&connector, config).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("not an allowed destination"), "{text}");
    assert!(
        text.contains(&format!("localhost:{}", server.port())),
        "{text}"
    );
    // The allowed host itself works.
    let fine = json!({"mode": "fetch", "allowed_url": format!("http://{server}"), "url": format!("http://{server}/small")});
    assert_eq!(list_with(&connector, fine).await.unwrap(), 1);
}

#[tokio::test]
async fn loopback_is_refused_unless_private_networks_are_allowed() {
    let server = common::file_server().await;
    let limits = SandboxLimits {
        allow_private_networks: false,
        ..common::test_limits()
    };
    let connector = misbehave(limits).await;
    let config = json!({"mode": "fetch", "allowed_url": format!("http://{server}"), "url": format!("http://{server}/small")});
    let err = list_with(&connector, config).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("127.0.0.1") && text.contains("private networks are not allowed"),
        "{text}"
    );
    still_serving(&connector).await;
}

/// IPv6 addresses carrying a loopback IPv4 address are loopback too (issue 14, item 8).
#[tokio::test]
async fn loopback_inside_an_ipv6_address_is_refused_too() {
    let server = common::file_server().await;
    let limits = SandboxLimits {
        allow_private_networks: false,
        ..common::test_limits()
    };
    let connector = misbehave(limits).await;
    let port = server.port();
    for host in ["[::127.0.0.1]", "[2002:7f00:1::]", "[::ffff:127.0.0.1]"] {
        let base = format!("http://{host}:{port}");
        let config = json!({"mode": "fetch", "allowed_url": base, "url": format!("{base}/small")});
        let err = list_with(&connector, config).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("private networks are not allowed"),
            "{host}: {text}"
        );
    }
    still_serving(&connector).await;
}

#[tokio::test]
async fn an_oversized_response_is_cut_off() {
    let server = common::file_server().await;
    let connector = misbehave(common::test_limits()).await;
    let config = json!({"mode": "fetch", "allowed_url": format!("http://{server}"), "url": format!("http://{server}/big")});
    let err = list_with(&connector, config).await.unwrap_err();
    assert!(err.to_string().contains("response cap"), "{err}");
    still_serving(&connector).await;
}

#[tokio::test]
async fn a_stalled_server_hits_the_wall_clock_limit() {
    let server = common::file_server().await;
    let limits = SandboxLimits {
        first_byte_timeout_ms: 30_000,
        call_timeout_ms: 1_000,
        ..common::test_limits()
    };
    let connector = misbehave(limits).await;
    let config = json!({"mode": "fetch", "allowed_url": format!("http://{server}"), "url": format!("http://{server}/slow")});
    let err = list_with(&connector, config).await.unwrap_err();
    assert!(
        matches!(
            err,
            CallError::Timeout {
                limit_ms: 1_000,
                ..
            }
        ),
        "{err}"
    );
    still_serving(&connector).await;
}

#[tokio::test]
async fn a_slow_first_byte_is_a_transport_error() {
    let server = common::file_server().await;
    let limits = SandboxLimits {
        first_byte_timeout_ms: 300,
        ..common::test_limits()
    };
    let connector = misbehave(limits).await;
    let config = json!({"mode": "fetch", "allowed_url": format!("http://{server}"), "url": format!("http://{server}/slow")});
    let err = list_with(&connector, config).await.unwrap_err();
    assert!(
        matches!(
            &err,
            CallError::Connector(junction::runtime::types::ConnectorError::Transport(_))
        ),
        "{err}"
    );
}

#[tokio::test]
async fn misbehaving_calls_do_not_disturb_concurrent_good_calls() {
    let connector = misbehave(common::test_limits()).await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let connector = connector.clone();
        tasks.push(tokio::spawn(async move {
            let mode = ["spin", "memory", "trap", "ok"][i % 4];
            (mode, list_with(&connector, json!({ "mode": mode })).await)
        }));
    }
    for task in tasks {
        let (mode, result) = task.await.unwrap();
        assert_eq!(result.is_ok(), mode == "ok", "{mode}: {result:?}");
    }
}

#[tokio::test]
async fn no_filesystem_environment_or_sockets() {
    let server = common::file_server().await;
    // SAFETY: set before any thread of this test reads the environment; the guest must
    // not see it anyway.
    unsafe { std::env::set_var("JUNCTION_TEST_SECRET_ENV", "leak") };
    let connector = misbehave(common::test_limits()).await;
    let options = connector
        .prepare(&json!({"mode": "escape", "url": server.to_string()}))
        .expect("config valid");
    let page = connector
        .list(&options, page_request())
        .await
        .value
        .unwrap();
    let junction::runtime::types::Entity::Product(report) = &page.entities[0] else {
        panic!("expected the report")
    };
    assert_eq!(report.name, "fs=denied env=empty socket=denied");
}
