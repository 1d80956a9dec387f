//! Outgoing webhooks end to end: the WooCommerce component syncing from the emulator, the
//! admin API served in process and driven through the real `junction admin webhooks ...`
//! CLI, the webhook worker with a fast retry schedule, and receivers that verify every
//! signature with an independent implementation (the `standardwebhooks` crate) and refuse
//! the first attempts. Created events for a first sync, an updated event after a change,
//! none for an unchanged re-sync, retries with growing delays (and `Retry-After`), a
//! delivery failed after the attempt limit then retried by hand, the delivery log, test
//! events, secret rotation, field errors; and the destination guard refusing loopback
//! unless private networks are allowed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use junction::api::ApiState;
use junction::hub::Hub;
use junction::runtime::types::ResourceKind;
use junction::runtime::{Registry, SandboxLimits};
use junction::secrets::Vault;
use junction::store::Store;
use junction::sync::autosync::{JobStatus, SyncSettings, run_job};
use junction::webhooks::endpoints::{self, EndpointSpec};
use junction::webhooks::{WebhookSettings, WebhookWorker};
use junction_emulators::WooConfig;
use serde_json::{Value, json};

const ADMIN: &str = "webhook-admin-token";

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Call {
    path: String,
    id: String,
    at: Instant,
    /// Which of the path's secrets verified the signature (none: refused with 401).
    verified_by: Vec<usize>,
    answered: u16,
    body: Value,
}

#[derive(Default)]
struct Receiver {
    /// Per path: the secrets a signature may be made with.
    secrets: HashMap<String, Vec<String>>,
    calls: Vec<Call>,
    attempts: HashMap<String, u32>,
    /// `/down` answers 500 while this is set.
    down: bool,
}

type Shared = Arc<Mutex<Receiver>>;

/// `/slow`: answers after 5 s.
/// `/flaky`: 500, then 429 with `Retry-After: 1`, then 200 per webhook-id.
/// `/down`: 500 while down, then 204. Any path: 401 if no secret verifies the signature.
async fn receive(
    State(receiver): State<Shared>,
    axum::extract::Path(path): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if path == "slow" {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let mut r = receiver.lock().unwrap();
    let verified_by: Vec<usize> = r
        .secrets
        .get(&path)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, secret)| {
            standardwebhooks::Webhook::new(secret)
                .unwrap()
                .verify(&body, &headers)
                .is_ok()
        })
        .map(|(i, _)| i)
        .collect();
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let n = {
        let n = r.attempts.entry(id.clone()).or_default();
        *n += 1;
        *n
    };
    let response = if verified_by.is_empty() {
        (StatusCode::UNAUTHORIZED, "bad signature").into_response()
    } else if path == "flaky" && n == 1 {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "boom: first attempts fail",
        )
            .into_response()
    } else if path == "flaky" && n == 2 {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response()
    } else if path == "down" && r.down {
        (StatusCode::INTERNAL_SERVER_ERROR, "receiver down").into_response()
    } else if path == "down" {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::OK, "ok").into_response()
    };
    r.calls.push(Call {
        path,
        id,
        at: Instant::now(),
        verified_by,
        answered: response.status().as_u16(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    response
}

async fn start_receiver() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/{path}", axum::routing::post(receive))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, shared)
}

/// Serve the APIs of `hub` in process; returns the base URL.
async fn serve_api(hub: Hub) -> String {
    let app = junction::api::router(ApiState {
        hub,
        admin_token: ADMIN.into(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

/// `junction admin <args>` (the real binary) against `base`.
async fn admin(base: &str, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_junction"))
        .arg("admin")
        .args(["--server", base, "--token", ADMIN])
        .args(args)
        .env("JUNCTION_LOG", "warn")
        .output()
        .await
        .unwrap()
}

async fn ok_json(base: &str, args: &[&str]) -> Value {
    let out = admin(base, args).await;
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

async fn refused(base: &str, args: &[&str]) -> String {
    let out = admin(base, args).await;
    assert!(!out.status.success(), "{args:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn hub_with(dir: &Path, limits: SandboxLimits, store: Option<Store>) -> Hub {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let component = plugins.join("woocommerce.wasm");
    if !component.exists() {
        std::fs::copy(common::component("woocommerce"), &component).unwrap();
    }
    let registry = Registry::open(common::runtime(limits), plugins)
        .await
        .unwrap();
    let store = match store {
        Some(store) => store,
        None => Store::open(&junction::store::sqlite_url(dir))
            .await
            .unwrap(),
    };
    Hub::new(store, registry, Vault::open_or_create(None, dir).unwrap())
}

async fn sync_orders(hub: &Hub, connection_id: &str) {
    assert!(
        hub.store
            .claim_job(connection_id, "orders", "test", 60_000)
            .await
            .unwrap()
    );
    let stop = AtomicBool::new(false);
    let settings = SyncSettings {
        page_size: 20,
        ..SyncSettings::default()
    };
    let outcome = run_job(
        hub,
        &settings,
        connection_id,
        ResourceKind::Orders,
        "manual",
        "test",
        &stop,
    )
    .await
    .unwrap();
    assert_eq!(outcome.status, JobStatus::Succeeded);
}

/// Poll until `check` holds (or fail after `secs`).
async fn wait_for(what: &str, secs: u64, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn calls(receiver: &Shared, path: &str) -> Vec<Call> {
    let r = receiver.lock().unwrap();
    r.calls.iter().filter(|c| c.path == path).cloned().collect()
}

/// The gaps between successive attempts of one delivery, in ms.
fn gaps(calls: &[Call], id: &str) -> Vec<u128> {
    let times: Vec<Instant> = calls.iter().filter(|c| c.id == id).map(|c| c.at).collect();
    times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signed_events_are_retried_logged_and_retried_by_hand() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: 4,
            customers: 2,
            products: 2,
            variable_every: 0,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let hub = hub_with(dir.path(), common::test_limits(), None).await;
    let tenant = hub.store.create_tenant("acme").await.unwrap();
    let connection = hub
        .create_connection(
            &tenant.id,
            "woocommerce",
            "shop",
            &json!({"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}),
        )
        .await
        .unwrap();
    let (hooks, receiver) = start_receiver().await;
    let api = serve_api(hub.clone()).await;
    let worker = WebhookWorker::new(
        hub.clone(),
        WebhookSettings {
            poll_interval_ms: 50,
            retry_schedule_ms: vec![300, 800, 1_600],
            jitter_percent: 10,
            timeout_ms: 3_000,
            ..WebhookSettings::default()
        },
        "test-worker".into(),
    );
    let worker_handle = worker.handle();
    let worker_task = tokio::spawn(worker.run());

    // Field errors name the field.
    let e = refused(
        &api,
        &[
            "webhooks",
            "create",
            "--tenant",
            "acme",
            "--url",
            "ftp://example.com/x",
        ],
    )
    .await;
    assert!(e.contains("400") && e.contains("field `url`"), "{e}");
    let flaky_url = format!("{hooks}/flaky");
    let e = refused(
        &api,
        &[
            "webhooks",
            "create",
            "--tenant",
            "acme",
            "--url",
            &flaky_url,
            "--events",
            "invoice.created",
        ],
    )
    .await;
    assert!(
        e.contains("field `eventTypes`") && e.contains("order.created"),
        "{e}"
    );
    let e = refused(
        &api,
        &[
            "webhooks", "create", "--tenant", "nobody", "--url", &flaky_url,
        ],
    )
    .await;
    assert!(e.contains("field `tenant`"), "{e}");
    let e = refused(
        &api,
        &[
            "webhooks",
            "create",
            "--tenant",
            "acme",
            "--url",
            &flaky_url,
            "--connection",
            "no-such-connection",
        ],
    )
    .await;
    assert!(e.contains("field `connection`"), "{e}");

    // Endpoint A, before the first sync: order events of this connection. The secret is
    // printed once.
    let out = admin(
        &api,
        &[
            "webhooks",
            "create",
            "--tenant",
            "acme",
            "--connection",
            &connection.id,
            "--url",
            &flaky_url,
            "--events",
            "order.created,order.updated",
            "--description",
            "the ERP",
        ],
    )
    .await;
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("shown only once"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let secret_a = created["secret"].as_str().unwrap().to_string();
    assert!(secret_a.starts_with("whsec_"));
    let a = created["endpoint"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        created["endpoint"]["eventTypes"],
        json!(["order.created", "order.updated"])
    );
    receiver
        .lock()
        .unwrap()
        .secrets
        .insert("flaky".into(), vec![secret_a.clone()]);
    let shown = ok_json(&api, &["webhooks", "show", &a]).await;
    assert_eq!(shown["endpoint"]["description"], "the ERP");
    let listed = ok_json(&api, &["webhooks", "list", "--tenant", "acme"]).await;
    assert!(
        !listed.to_string().contains(&secret_a) && !shown.to_string().contains(&secret_a),
        "the secret is never shown again"
    );

    // First sync: four order.created events, each refused twice (500, then 429 with
    // Retry-After: 1) and delivered on the third attempt, every signature verified.
    sync_orders(&hub, &connection.id).await;
    let order_ids: Vec<String> = shop
        .store()
        .order_ids()
        .iter()
        .map(u64::to_string)
        .collect();
    wait_for("four deliveries to A", 30, || {
        calls(&receiver, "flaky")
            .iter()
            .filter(|c| c.answered == 200)
            .count()
            == 4
    })
    .await;
    let got = calls(&receiver, "flaky");
    assert_eq!(got.len(), 12, "three attempts each: {got:#?}");
    assert!(got.iter().all(|c| c.verified_by == [0]), "{got:#?}");
    let mut announced: Vec<String> = Vec::new();
    for call in got.iter().filter(|c| c.answered == 200) {
        let body = &call.body;
        assert_eq!(body["type"], "order.created");
        let timestamp = body["timestamp"].as_str().unwrap();
        assert!(timestamp.parse::<jiff::Timestamp>().is_ok(), "{timestamp}");
        let data = &body["data"];
        assert_eq!(data["tenantId"], tenant.id.as_str());
        assert_eq!(data["connectionId"], connection.id.as_str());
        assert_eq!(data["resource"], "orders");
        assert_eq!(data["record"]["externalId"], data["externalId"]);
        announced.push(data["externalId"].as_str().unwrap().to_string());
        let g = gaps(&got, &call.id);
        assert_eq!(g.len(), 2);
        assert!(
            g[0] >= 270,
            "first retry after the schedule's 300 ms (±10%): {g:?}"
        );
        assert!(
            g[1] >= 990,
            "Retry-After: 1 honoured over the 800 ms step: {g:?}"
        );
    }
    announced.sort();
    let mut expected = order_ids.clone();
    expected.sort();
    assert_eq!(announced, expected);

    // Endpoint B, after the sync, every event type: history is not replayed.
    let down_url = format!("{hooks}/down");
    let created_b = ok_json(
        &api,
        &["webhooks", "create", "--tenant", "acme", "--url", &down_url],
    )
    .await;
    let b = created_b["endpoint"]["id"].as_str().unwrap().to_string();
    assert_eq!(created_b["endpoint"]["eventTypes"], json!(["*"]));
    assert_eq!(created_b["endpoint"]["connectionId"], Value::Null);
    {
        let mut r = receiver.lock().unwrap();
        r.secrets.insert(
            "down".into(),
            vec![created_b["secret"].as_str().unwrap().to_string()],
        );
        r.down = true;
    }

    // An unchanged re-sync: no event anywhere.
    sync_orders(&hub, &connection.id).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(calls(&receiver, "flaky").len(), 12);
    assert!(calls(&receiver, "down").is_empty());
    let none = ok_json(&api, &["webhooks", "deliveries", &b]).await;
    assert_eq!(none["data"], json!([]));

    // One order changes upstream: one order.updated event to each endpoint.
    let changed = &order_ids[1];
    let status = shop.store().order(changed.parse().unwrap()).unwrap()["status"].clone();
    let new_status = if status == "on-hold" {
        "completed"
    } else {
        "on-hold"
    };
    shop.store()
        .update_order_status(changed.parse().unwrap(), new_status)
        .unwrap();
    sync_orders(&hub, &connection.id).await;
    wait_for("the updated event at A", 30, || {
        calls(&receiver, "flaky")
            .iter()
            .filter(|c| c.answered == 200)
            .count()
            == 5
    })
    .await;
    let update = calls(&receiver, "flaky")
        .into_iter()
        .find(|c| c.answered == 200 && c.body["type"] == "order.updated")
        .expect("an order.updated event");
    assert_eq!(update.body["data"]["externalId"], changed.as_str());
    assert_eq!(update.body["data"]["record"]["status"], new_status);

    // B refuses every attempt: retried after growing delays, then failed after 4.
    wait_for("B's delivery to fail", 30, || {
        calls(&receiver, "down").len() == 4
    })
    .await;
    let failed = loop {
        let listed = ok_json(&api, &["webhooks", "deliveries", &b, "--status", "failed"]).await;
        if let Some(d) = listed["data"].as_array().unwrap().first() {
            break d.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let down_calls = calls(&receiver, "down");
    assert!(down_calls.iter().all(|c| c.verified_by == [0]));
    assert_eq!(failed["eventType"], "order.updated");
    assert_eq!(failed["externalId"], changed.as_str());
    assert_eq!(failed["attemptCount"], 4);
    let g = gaps(&down_calls, failed["id"].as_str().unwrap());
    assert!(
        g.windows(2).all(|w| w[0] < w[1]) && g[0] >= 270 && g[2] >= 1_440,
        "delays grow with the schedule (300, 800, 1600 ms ±10%): {g:?}"
    );
    let attempts = failed["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 4);
    for (i, attempt) in attempts.iter().enumerate() {
        assert_eq!(attempt["attempt"], i + 1);
        assert_eq!(attempt["statusCode"], 500);
        assert_eq!(attempt["responseExcerpt"], "receiver down");
        assert!(attempt["error"].as_str().unwrap().contains("500"));
        assert!(attempt["durationMs"].as_i64().unwrap() >= 0);
    }
    assert_eq!(failed["payload"]["type"], "order.updated");

    // Retried by hand once the receiver is back: delivered, same webhook-id, logged.
    receiver.lock().unwrap().down = false;
    let id = failed["id"].as_str().unwrap().to_string();
    let retried = ok_json(&api, &["webhooks", "retry", &id]).await;
    assert_eq!(retried["status"], "pending");
    wait_for("the manual retry", 30, || {
        calls(&receiver, "down").len() == 5
    })
    .await;
    let delivered = loop {
        let listed = ok_json(
            &api,
            &["webhooks", "deliveries", &b, "--status", "delivered"],
        )
        .await;
        if let Some(d) = listed["data"].as_array().unwrap().first() {
            break d.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(delivered["id"], id.as_str());
    assert_eq!(delivered["attemptCount"], 5);
    assert_eq!(delivered["attempts"][4]["statusCode"], 204);
    assert_eq!(delivered["attempts"][4]["error"], Value::Null);
    assert_eq!(calls(&receiver, "down")[4].id, id);

    // A's delivery log: five delivered, each with its three attempts.
    let log = ok_json(&api, &["webhooks", "deliveries", &a, "--limit", "100"]).await;
    let log = log["data"].as_array().unwrap();
    assert_eq!(log.len(), 5);
    for d in log {
        assert_eq!(d["status"], "delivered");
        let codes: Vec<i64> = d["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["statusCode"].as_i64().unwrap())
            .collect();
        assert_eq!(codes, [500, 429, 200]);
    }
    let shown = ok_json(&api, &["webhooks", "show", &a]).await;
    assert_eq!(
        shown["deliveries"],
        json!({"pending": 0, "delivered": 5, "failed": 0})
    );
    let e = refused(&api, &["webhooks", "deliveries", &a, "--status", "lost"]).await;
    assert!(e.contains("field `status`"), "{e}");
    let e = refused(&api, &["webhooks", "retry", "msg_nothing"]).await;
    assert!(e.contains("404"), "{e}");

    // Rotation: both secrets sign during the overlap; a test event proves it.
    let rotated = ok_json(&api, &["webhooks", "rotate-secret", &b]).await;
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, created_b["secret"].as_str().unwrap());
    assert!(
        rotated["endpoint"]["previousSecretUntilMs"]
            .as_i64()
            .is_some()
    );
    receiver
        .lock()
        .unwrap()
        .secrets
        .get_mut("down")
        .unwrap()
        .push(new_secret.clone());
    let test = ok_json(&api, &["webhooks", "test", &b]).await;
    assert_eq!(test["eventType"], "webhook.test");
    wait_for("the test event", 30, || calls(&receiver, "down").len() == 6).await;
    let test_call = calls(&receiver, "down").pop().unwrap();
    assert_eq!(test_call.body["type"], "webhook.test");
    assert_eq!(
        test_call.verified_by,
        [0, 1],
        "old and new secret both verify"
    );
    // Without overlap the replaced secret stops signing at once.
    let rotated = ok_json(&api, &["webhooks", "rotate-secret", &b, "--overlap", "0"]).await;
    let newest = rotated["secret"].as_str().unwrap().to_string();
    receiver
        .lock()
        .unwrap()
        .secrets
        .insert("down".into(), vec![new_secret, newest]);
    ok_json(&api, &["webhooks", "test", &b]).await;
    wait_for("the second test event", 30, || {
        calls(&receiver, "down").len() == 7
    })
    .await;
    assert_eq!(calls(&receiver, "down").pop().unwrap().verified_by, [1]);

    // Update and delete.
    let updated = ok_json(
        &api,
        &[
            "webhooks",
            "update",
            &a,
            "--disable",
            "--events",
            "order.*",
            "--all-connections",
        ],
    )
    .await;
    assert_eq!(updated["enabled"], false);
    assert_eq!(updated["eventTypes"], json!(["order.*"]));
    assert_eq!(updated["connectionId"], Value::Null);
    let e = refused(&api, &["webhooks", "update", &a, "--url", "http://"]).await;
    assert!(e.contains("field `url`"), "{e}");
    let out = admin(&api, &["webhooks", "delete", &b]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = ok_json(&api, &["webhooks", "list"]).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let e = refused(&api, &["webhooks", "show", &b]).await;
    assert!(e.contains("404"), "{e}");

    worker_handle.stop();
    worker_task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_destinations_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let (hooks, receiver) = start_receiver().await;
    let port = hooks.rsplit(':').next().unwrap().to_string();
    // An operator hub that allows private networks creates the endpoints...
    let open = hub_with(dir.path(), common::test_limits(), None).await;
    let tenant = open.store.create_tenant("acme").await.unwrap();
    let spec = |url: String| EndpointSpec {
        tenant_id: tenant.id.clone(),
        connection_id: None,
        url,
        description: String::new(),
        event_types: vec!["*".into()],
        enabled: true,
    };
    let (by_name, _) = endpoints::create(&open, spec(format!("http://localhost:{port}/a")))
        .await
        .unwrap();
    let (by_ip, _) = endpoints::create(&open, spec(format!("http://127.0.0.1:{port}/b")))
        .await
        .unwrap();
    // ...but the server delivering them does not.
    let strict_limits = SandboxLimits {
        allow_private_networks: false,
        pooling: false,
        ..common::test_limits()
    };
    let strict = hub_with(dir.path(), strict_limits, Some(open.store.clone())).await;
    let e = endpoints::create(&strict, spec(format!("http://127.0.0.1:{port}/c")))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("sandbox.allow_private_networks"),
        "{e}"
    );
    for endpoint in [&by_name, &by_ip] {
        endpoints::send_test_event(&strict, &endpoint.id)
            .await
            .unwrap();
    }
    let worker = WebhookWorker::new(
        strict.clone(),
        WebhookSettings {
            poll_interval_ms: 50,
            retry_schedule_ms: vec![60_000],
            ..WebhookSettings::default()
        },
        "strict".into(),
    );
    let handle = worker.handle();
    let task = tokio::spawn(worker.run());
    for endpoint in [&by_name, &by_ip] {
        let start = Instant::now();
        let delivery = loop {
            let list = strict
                .store
                .webhook_deliveries(&endpoint.id, None, 10)
                .await
                .unwrap();
            if list[0].attempt_count == 1 {
                break list[0].clone();
            }
            assert!(start.elapsed() < Duration::from_secs(20), "no attempt");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(delivery.status, "pending", "retried later");
        let error = delivery.attempts[0].error.clone().unwrap();
        assert!(
            (error.contains("127.0.0.1") || error.contains("::1"))
                && error.contains("sandbox.allow_private_networks"),
            "{error}"
        );
        assert_eq!(delivery.attempts[0].status_code, None);
        // Pending (its next attempt is a minute away): not retried by hand.
        let e = strict
            .store
            .retry_webhook_delivery(&delivery.id)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("still pending"), "{e}");
    }
    assert!(
        receiver.lock().unwrap().calls.is_empty(),
        "nothing reached the loopback receiver"
    );
    handle.stop();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_does_not_hold_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub_with(dir.path(), common::test_limits(), None).await;
    let tenant = hub.store.create_tenant("acme").await.unwrap();
    let (hooks, receiver) = start_receiver().await;
    let mut ids = Vec::new();
    for path in ["slow", "fast"] {
        let (endpoint, secret) = endpoints::create(
            &hub,
            EndpointSpec {
                tenant_id: tenant.id.clone(),
                connection_id: None,
                url: format!("{hooks}/{path}"),
                description: String::new(),
                event_types: vec!["*".into()],
                enabled: true,
            },
        )
        .await
        .unwrap();
        receiver
            .lock()
            .unwrap()
            .secrets
            .insert(path.into(), vec![secret]);
        ids.push(endpoint.id);
    }
    // Slow events first, so they are due first.
    for id in [&ids[0], &ids[0], &ids[0], &ids[1], &ids[1], &ids[1]] {
        endpoints::send_test_event(&hub, id).await.unwrap();
    }
    let worker = WebhookWorker::new(
        hub.clone(),
        WebhookSettings {
            poll_interval_ms: 50,
            concurrency: 3,
            per_endpoint_concurrency: 1,
            timeout_ms: 1_500,
            retry_schedule_ms: vec![60_000],
            ..WebhookSettings::default()
        },
        "slow-test".into(),
    );
    let handle = worker.handle();
    let started = Instant::now();
    let task = tokio::spawn(worker.run());
    wait_for("the fast receiver's three events", 10, || {
        calls(&receiver, "fast").len() == 3
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_millis(1_400),
        "the fast endpoint was not held up by the slow one ({:?})",
        started.elapsed()
    );
    // The slow endpoint had one attempt at a time, each cut off by the timeout.
    let start = Instant::now();
    let slow = loop {
        let list = hub
            .store
            .webhook_deliveries(&ids[0], None, 10)
            .await
            .unwrap();
        if list.iter().filter(|d| d.attempt_count == 1).count() >= 2 {
            break list;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no slow attempts"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut windows: Vec<(i64, i64)> = slow
        .iter()
        .flat_map(|d| d.attempts.iter())
        .map(|a| (a.started_ms, a.started_ms + a.duration_ms))
        .collect();
    windows.sort();
    for attempt in slow.iter().flat_map(|d| d.attempts.iter()) {
        assert_eq!(attempt.error.as_deref(), Some("timed out after 1500 ms"));
        assert!((1_400..3_000).contains(&attempt.duration_ms), "{attempt:?}");
    }
    assert!(
        windows.windows(2).all(|w| w[1].0 >= w[0].1 - 5),
        "one attempt at a time per endpoint: {windows:?}"
    );
    handle.stop();
    task.await.unwrap().unwrap();
}

/// SQLite, and PostgreSQL too when `JUNCTION_TEST_POSTGRES_URL` names one (a fresh schema).
async fn stores() -> Vec<(Store, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let mut stores = vec![(
        Store::open(&junction::store::sqlite_url(dir.path()))
            .await
            .unwrap(),
        dir,
    )];
    if let Ok(url) = std::env::var("JUNCTION_TEST_POSTGRES_URL") {
        let scoped = common::fresh_postgres_schema(&url, "wh").await;
        stores.push((
            Store::open(&scoped).await.unwrap(),
            tempfile::tempdir().unwrap(),
        ));
    }
    stores
}

/// The store's part on every backend: the feed, fan-out's compare-and-set (a stale cursor
/// creates nothing), leases, the attempt log, manual retry and deletion.
#[tokio::test]
async fn the_store_fans_out_once_and_logs_attempts_on_every_backend() {
    use junction::store::connections::NewConnection;
    use junction::store::records::StoredRecord;
    use junction::store::webhooks::{
        AttemptEnd, AttemptOutcome, CursorStart, NewDelivery, NewEndpoint, WebhookAttempt,
    };

    for (store, _dir) in stores().await {
        let tenant = store.create_tenant("acme").await.unwrap();
        let connection = store
            .create_connection(NewConnection {
                tenant_id: &tenant.id,
                connector_key: "woocommerce",
                name: "shop",
                public_config: "{}",
                sealed_secrets: "v1:x",
                resources: vec![(ResourceKind::Orders, true, 300)],
            })
            .await
            .unwrap();
        let record = |id: &str, status: &str| StoredRecord {
            parent_id: String::new(),
            external_id: id.into(),
            modified_ms: 1_000,
            status: Some(status.into()),
            sku: None,
            data: format!(r#"{{"externalId":"{id}","status":"{status}"}}"#),
            ..StoredRecord::default()
        };
        store
            .upsert_record(&connection.id, ResourceKind::Orders, &record("1", "new"))
            .await
            .unwrap();
        let start = store.latest_change_seq(&connection.id).await.unwrap();
        let id = "endpoint-1";
        let types = vec!["order.*".to_string()];
        let endpoint = store
            .create_webhook_endpoint(
                NewEndpoint {
                    id,
                    tenant_id: &tenant.id,
                    connection_id: Some(&connection.id),
                    url: "https://example.com/hook",
                    description: "",
                    event_types: &types,
                    enabled: true,
                    sealed_secret: "v1:sealed",
                },
                &[CursorStart {
                    connection_id: connection.id.clone(),
                    resource: ResourceKind::Orders,
                    change_seq: start,
                }],
            )
            .await
            .unwrap();
        assert_eq!(endpoint.event_types, types);
        assert_eq!(
            endpoint.connection_id.as_deref(),
            Some(connection.id.as_str())
        );
        assert_eq!(store.enabled_webhook_endpoints().await.unwrap().len(), 1);

        // A new record and a change after the endpoint's start: two feed entries.
        store
            .upsert_record(&connection.id, ResourceKind::Orders, &record("2", "new"))
            .await
            .unwrap();
        store
            .upsert_record(
                &connection.id,
                ResourceKind::Orders,
                &StoredRecord {
                    modified_ms: 2_000,
                    ..record("1", "paid")
                },
            )
            .await
            .unwrap();
        let cursor = store
            .webhook_cursor(id, &connection.id, ResourceKind::Orders)
            .await
            .unwrap();
        assert_eq!(cursor, Some(start));
        let feed = store
            .webhook_feed(&connection.id, ResourceKind::Orders, start, 10)
            .await
            .unwrap();
        let seen: Vec<(&str, bool)> = feed
            .iter()
            .map(|e| (e.external_id.as_str(), e.first_seq > start))
            .collect();
        assert_eq!(seen, [("2", true), ("1", false)]);
        let deliveries: Vec<NewDelivery> = feed
            .iter()
            .map(|e| NewDelivery {
                id: format!("msg_{}", e.external_id),
                endpoint_id: id.into(),
                event_type: "order.updated".into(),
                connection_id: Some(connection.id.clone()),
                resource: Some("orders".into()),
                external_id: Some(e.external_id.clone()),
                change_seq: Some(e.change_seq),
                payload: r#"{"type":"order.updated"}"#.into(),
            })
            .collect();
        let last = feed.last().unwrap().change_seq;
        assert!(
            store
                .commit_webhook_fanout(
                    id,
                    &connection.id,
                    ResourceKind::Orders,
                    cursor,
                    last,
                    &deliveries
                )
                .await
                .unwrap()
        );
        // A second worker with the stale cursor changes nothing.
        assert!(
            !store
                .commit_webhook_fanout(
                    id,
                    &connection.id,
                    ResourceKind::Orders,
                    cursor,
                    last,
                    &deliveries
                )
                .await
                .unwrap()
        );
        assert_eq!(
            store.webhook_deliveries(id, None, 10).await.unwrap().len(),
            2
        );

        // Leases: one holder per delivery; the attempt and its outcome are written together.
        let due = store
            .due_webhook_deliveries(junction::store::now_ms(), 10)
            .await
            .unwrap();
        assert_eq!(due.len(), 2);
        let claimed = store
            .claim_webhook_delivery("msg_2", "worker-a", 60_000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(claimed.attempts, 0);
        assert!(
            store
                .claim_webhook_delivery("msg_2", "worker-b", 60_000)
                .await
                .unwrap()
                .is_none()
        );
        let attempt = |n: i64, code: i64| WebhookAttempt {
            attempt: n,
            started_ms: 5,
            duration_ms: 7,
            status_code: Some(code),
            error: (code >= 300).then(|| format!("the receiver answered {code}")),
            response_excerpt: Some("body".into()),
        };
        let end = |n: i64, code: i64, outcome: AttemptOutcome, owner: &'static str| AttemptEnd {
            delivery_id: "msg_2",
            owner,
            attempt: attempt(n, code),
            outcome,
        };
        assert!(
            !store
                .finish_webhook_attempt(&end(1, 500, AttemptOutcome::Failed, "worker-b"))
                .await
                .unwrap(),
            "only the lease holder records"
        );
        assert!(
            store
                .finish_webhook_attempt(&end(1, 500, AttemptOutcome::Failed, "worker-a"))
                .await
                .unwrap()
        );
        let failed = store.webhook_delivery("msg_2").await.unwrap();
        assert_eq!(failed.status, "failed");
        assert_eq!(failed.attempts, [attempt(1, 500)]);
        assert_eq!(failed.next_attempt_ms, None);

        // Retried by hand: pending again, then delivered on its second attempt.
        let retried = store.retry_webhook_delivery("msg_2").await.unwrap();
        assert_eq!(retried.status, "pending");
        store
            .claim_webhook_delivery("msg_2", "worker-a", 60_000)
            .await
            .unwrap()
            .unwrap();
        assert!(
            store
                .finish_webhook_attempt(&end(2, 200, AttemptOutcome::Delivered, "worker-a"))
                .await
                .unwrap()
        );
        let delivered = store
            .webhook_deliveries(id, Some("delivered"), 10)
            .await
            .unwrap();
        assert_eq!(delivered.len(), 1);
        assert_eq!(delivered[0].attempts, [attempt(1, 500), attempt(2, 200)]);
        assert!(delivered[0].delivered_ms.is_some());
        let counts = store.webhook_delivery_counts(id).await.unwrap();
        assert!(counts.contains(&("delivered".to_string(), 1)));
        assert!(counts.contains(&("pending".to_string(), 1)));

        // Disabled endpoints are paused; deleting takes deliveries and the log along.
        let mut paused = store.webhook_endpoint(id).await.unwrap();
        paused.enabled = false;
        store.update_webhook_endpoint(&paused, &[]).await.unwrap();
        assert!(
            store
                .due_webhook_deliveries(junction::store::now_ms(), 10)
                .await
                .unwrap()
                .is_empty()
        );
        store.delete_webhook_endpoint(id).await.unwrap();
        assert!(store.webhook_delivery("msg_2").await.is_err());
        assert!(store.delete_webhook_endpoint(id).await.is_err());
    }
}
