//! The fault proxy over real HTTP: what it forwards to the origin and back, each fault it
//! injects, fault budgets, the request log, and an unreachable origin.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use junction_emulators::{ProxyFault, ProxyFaultKind, WooConfig, start_proxy};
use serde_json::{Value, json};

/// An origin that echoes what it received as JSON (status 201, an `x-origin` header) and
/// counts its requests.
async fn echo_origin() -> (String, Arc<AtomicU64>) {
    let hits = Arc::new(AtomicU64::new(0));
    let counter = hits.clone();
    let app = Router::new().fallback(move |request: Request| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::Relaxed);
            let (parts, body) = request.into_parts();
            let body: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            let headers: serde_json::Map<String, Value> = parts
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap())))
                .collect();
            let echo = json!({
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "query": parts.uri.query(),
                "headers": headers,
                "body": String::from_utf8_lossy(&body),
            });
            (
                StatusCode::CREATED,
                [("x-origin", "yes"), ("content-type", "application/json")],
                echo.to_string(),
            )
                .into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), hits)
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn forwards_method_path_query_headers_and_body_both_ways() {
    let (origin, hits) = echo_origin().await;
    let proxy = start_proxy(&origin).await.unwrap();
    assert_eq!(proxy.origin(), origin);
    let response = client()
        .put(format!("{}/a/b?x=1&y=two%20words", proxy.url()))
        .header("authorization", "Bearer t0ken")
        .header("x-custom", "42")
        .body("{\"hello\":\"world\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["x-origin"], "yes");
    let echo: Value = response.json().await.unwrap();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/a/b");
    assert_eq!(echo["query"], "x=1&y=two%20words");
    assert_eq!(echo["headers"]["authorization"], "Bearer t0ken");
    assert_eq!(echo["headers"]["x-custom"], "42");
    // The origin sees the proxy's host, so links it builds lead back through the proxy.
    assert_eq!(
        echo["headers"]["host"],
        proxy.local_addr().to_string(),
        "{echo}"
    );
    assert_eq!(echo["body"], "{\"hello\":\"world\"}");
    assert_eq!(hits.load(Ordering::Relaxed), 1);
    assert_eq!(proxy.requests(), 1);
    let seen = proxy.seen();
    assert_eq!(seen[0].method, "PUT");
    assert_eq!(seen[0].path_and_query, "/a/b?x=1&y=two%20words");
    assert_eq!(seen[0].status, Some(201));
    assert!(!seen[0].faulted);
}

#[tokio::test]
async fn each_fault_answers_instead_of_the_origin() {
    let (origin, hits) = echo_origin().await;
    let proxy = start_proxy(&origin).await.unwrap();
    let url = format!("{}/things", proxy.url());

    proxy.set_fault(ProxyFaultKind::Unauthorized);
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    assert!(body["message"].as_str().unwrap().contains("refused"));

    proxy.set_fault(ProxyFaultKind::RateLimited {
        retry_after_secs: 3,
    });
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");

    proxy.set_fault(ProxyFaultKind::ServerError);
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 500);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["status"], 500);

    assert_eq!(
        hits.load(Ordering::Relaxed),
        0,
        "faults never reach the origin"
    );
    proxy.clear_faults();
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(hits.load(Ordering::Relaxed), 1);
    let statuses: Vec<Option<u16>> = proxy.seen().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [Some(401), Some(429), Some(500), Some(201)]);
    assert_eq!(proxy.requests(), 4);
}

#[tokio::test]
async fn a_stall_outlasts_a_client_timeout_and_latency_delays() {
    let (origin, hits) = echo_origin().await;
    let proxy = start_proxy(&origin).await.unwrap();
    let url = format!("{}/slow", proxy.url());

    proxy.set_fault(ProxyFaultKind::Stall { ms: 5_000 });
    let started = Instant::now();
    let error = client()
        .get(&url)
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));

    // A patient client gets a 504 once the stall ends; the origin is never asked.
    proxy.set_fault(ProxyFaultKind::Stall { ms: 200 });
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 504);
    assert_eq!(hits.load(Ordering::Relaxed), 0);

    proxy.set_fault(ProxyFaultKind::Latency { ms: 300 });
    let started = Instant::now();
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 201, "latency alone still forwards");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(hits.load(Ordering::Relaxed), 1);
    assert!(proxy.seen().iter().all(|s| s.faulted));
}

#[tokio::test]
async fn budgets_run_out_and_faults_combine_in_order() {
    let (origin, hits) = echo_origin().await;
    let proxy = start_proxy(&origin).await.unwrap();
    let url = format!("{}/x", proxy.url());
    proxy.set_faults(vec![
        ProxyFault::times(ProxyFaultKind::Latency { ms: 50 }, 1),
        ProxyFault::times(ProxyFaultKind::ServerError, 2),
        ProxyFault::times(ProxyFaultKind::Unauthorized, 3),
    ]);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(client().get(&url).send().await.unwrap().status().as_u16());
    }
    // The first terminal fault decides; the later one spends its budget meanwhile.
    assert_eq!(statuses, [500, 500, 401, 201]);
    assert!(proxy.faults().is_empty());
    assert_eq!(hits.load(Ordering::Relaxed), 1);
    let faulted: Vec<bool> = proxy.seen().iter().map(|s| s.faulted).collect();
    assert_eq!(faulted, [true, true, true, false]);

    let parsed: Vec<ProxyFault> =
        serde_json::from_str(r#"[{"kind":"rate_limited","retry_after_secs":2,"remaining":1}]"#)
            .unwrap();
    assert_eq!(
        parsed,
        [ProxyFault::times(
            ProxyFaultKind::RateLimited {
                retry_after_secs: 2
            },
            1
        )]
    );
}

#[tokio::test]
async fn an_unreachable_origin_is_a_bad_gateway() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let proxy = start_proxy(&format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap();
    let response = client().get(proxy.url()).send().await.unwrap();
    assert_eq!(response.status(), 502);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "origin_unreachable");
    assert!(start_proxy("ftp://example").await.is_err());
}

#[tokio::test]
async fn in_front_of_the_woocommerce_emulator() {
    let config = WooConfig {
        orders: 12,
        ..WooConfig::default()
    };
    let shop = junction_emulators::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let proxy = start_proxy(&shop.base_url()).await.unwrap();
    let get = |base: String| async move {
        let response = client()
            .get(format!("{base}/wp-json/wc/v3/orders?per_page=5&page=2"))
            .basic_auth("ck_test", Some("cs_test"))
            .send()
            .await
            .unwrap();
        let headers: HeaderMap = response.headers().clone();
        (
            response.status(),
            headers,
            response.json::<Value>().await.unwrap(),
        )
    };
    let (direct_status, direct_headers, direct) = get(shop.base_url()).await;
    let (status, headers, proxied) = get(proxy.url()).await;
    assert_eq!(status, direct_status);
    let ids = |orders: &Value| -> Vec<Value> {
        orders
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].clone())
            .collect()
    };
    assert_eq!(ids(&proxied), ids(&direct));
    assert_eq!(ids(&proxied).len(), 5);
    assert_eq!(headers["x-wp-total"], direct_headers["x-wp-total"]);
    let link = headers["link"].to_str().unwrap();
    assert!(
        link.contains(&proxy.url()),
        "paging links lead back through the proxy: {link}"
    );
    assert_eq!(shop.request_count(), 2);
    assert_eq!(proxy.requests(), 1);
}
