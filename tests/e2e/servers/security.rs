//! What held-out security probes broke (issue 14), each against the real `junction` binary:
//!
//! - an automation's config override cannot send a connection, or its secret, to another
//!   host — refused when the automation is made, and refused at run time for one stored
//!   before the rule existed (nothing reaches the other host);
//! - inbound push only where the connector declares it, and pushed keys that cannot collide;
//! - every API rejection in the one JSON error shape (oversize bodies, ids that are not
//!   UTF-8, wrong methods); unknown connections are 404 on their runs and keys;
//! - the upload routes read no body before the role check, and at most a few at once;
//! - a guesser cannot lock an account, or the operator, out of sign-in;
//! - auth schemes are case-insensitive, a doubled key header is a 400, an error to a request
//!   whose body may be unread says `Connection: close`, and the database is owner-only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::portal::{browser_at, location, sign_in, sign_in_operator};
use junction_emulators::{WooConfig, WooEmulator};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ADMIN: &str = "security-admin-token";

/// A running `junction serve` with these components, and its admin API.
struct Server {
    process: common::ServerProcess,
    data: tempfile::TempDir,
    client: Client,
}

impl Server {
    async fn start(components: &[&str]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let plugins = data.path().join("plugins");
        std::fs::create_dir_all(&plugins).unwrap();
        for name in components {
            std::fs::copy(
                common::component(name),
                plugins.join(format!("{name}.wasm")),
            )
            .unwrap();
        }
        // Outbox retries fast, so a refused write shows quickly.
        std::fs::write(
            data.path().join("junction.toml"),
            "[automations.outbox]\nbackoff_base_secs = 0.2\nbackoff_max_secs = 1.5\n",
        )
        .unwrap();
        let config = data.path().join("junction.toml").display().to_string();
        let process = common::spawn_server(
            data.path(),
            common::free_port(),
            &[
                ("JUNCTION_ADMIN_TOKEN", ADMIN),
                ("JUNCTION_CONFIG", &config),
            ],
        );
        common::wait_for_status(&process.base, "/readyz", 200).await;
        Server {
            process,
            data,
            client: Client::new(),
        }
    }

    fn base(&self) -> &str {
        &self.process.base
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1/admin{path}", self.base()))
            .bearer_auth(ADMIN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.admin(method, path, body).await;
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    }

    async fn connection(&self, connector: &str, name: &str, config: Value) -> String {
        let created = self
            .ok(
                Method::POST,
                "/connections",
                Some(json!({"tenant": "acme", "connector": connector, "name": name, "config": config})),
            )
            .await;
        created["connection"]["id"].as_str().unwrap().to_string()
    }

    async fn key(&self, connection: &str) -> String {
        let created = self
            .ok(
                Method::POST,
                &format!("/connections/{connection}/keys"),
                Some(json!({"name": "test"})),
            )
            .await;
        created["key"].as_str().unwrap().to_string()
    }

    /// Run one statement against the server's own database (SQLite file or PostgreSQL).
    async fn sql(&self, statement: &str) {
        let pool = common::database(self.data.path()).await;
        sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
}

async fn woo(orders: usize) -> WooEmulator {
    junction_emulators::start(
        WooConfig {
            orders,
            customers: 5,
            products: 4,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

/// A server that records every request it gets (method, path, `x-api-key`).
async fn recording_server() -> (String, Arc<Mutex<Vec<String>>>) {
    use axum::http::Request;
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |request: Request<axum::body::Body>| {
        let log = log.clone();
        async move {
            let key = request
                .headers()
                .get("x-api-key")
                .map(|v| v.to_str().unwrap_or("").to_string())
                .unwrap_or_default();
            log.lock()
                .unwrap()
                .push(format!("{} {} key={key}", request.method(), request.uri()));
            axum::Json(json!({"success": true}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), seen)
}

/// Item 1 (high): `options.targetConfig`/`sourceConfig` may not redirect a connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_automation_cannot_send_a_connection_or_its_secret_to_another_host() {
    let dashboard = junction_emulators::bugalou::start(
        junction_emulators::bugalou::BugalouConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let (attacker, attacked) = recording_server().await;
    let server = Server::start(&["push", "bugalou"]).await;
    server
        .ok(Method::POST, "/tenants", Some(json!({"name": "acme"})))
        .await;
    let custom = server
        .connection("push", "webshop", json!({"description": "ours"}))
        .await;
    let target = server
        .connection(
            "bugalou",
            "dashboard",
            json!({"api_key": "bg_live_test_key", "platform": "custom", "base_url": dashboard.base_url()}),
        )
        .await;
    let automation = |options: Value| {
        json!({
            "tenant": "acme", "name": "push to dashboard",
            "sourceConnectionId": custom, "targetConnectionId": target,
            "cadenceSeconds": 3600, "onChange": true,
            "entities": {"orders": {"direction": "source_to_target"}},
            "options": options,
        })
    };
    // Refused when made: the host a request goes to, a URL anywhere in a value, and a
    // property the connector did not mark overridable; each named with what is accepted.
    for (options, field, says) in [
        (
            json!({"targetConfig": {"base_url": attacker}}),
            "options.targetConfig.base_url",
            "decides where the connection's requests go",
        ),
        (
            json!({"targetConfig": {"platform": format!("{attacker}/x")}}),
            "options.targetConfig.platform",
            "cannot carry a URL",
        ),
        (
            json!({"targetConfig": {"timeout_seconds": 5}}),
            "options.targetConfig.timeout_seconds",
            "overridable: platform, status_map",
        ),
        (
            json!({"targetConfig": {"api_key": "bg_live_other"}}),
            "options.targetConfig.api_key",
            "secret properties cannot be overridden",
        ),
        (
            json!({"sourceConfig": {"description": "x"}}),
            "options.sourceConfig.description",
            "this connector allows no overrides",
        ),
    ] {
        let (status, refused) = server
            .admin(
                Method::POST,
                "/automations",
                Some(automation(options.clone())),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{options}: {refused}");
        assert_eq!(refused["field"], field, "{options}: {refused}");
        assert!(
            refused["message"].as_str().unwrap().contains(says),
            "{options}: {refused}"
        );
    }
    // The same through an update.
    let created = server
        .ok(
            Method::POST,
            "/automations",
            Some(automation(json!({"targetConfig": {"platform": "webshop"}}))),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let (status, refused) = server
        .admin(
            Method::PATCH,
            &format!("/automations/{id}"),
            Some(json!({"options": {"targetConfig": {"base_url": attacker}}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    // One stored before the rule existed is refused at run time: nothing reaches the other
    // host, and the run says why.
    let options =
        json!({"targetConfig": {"platform": "webshop", "base_url": attacker}}).to_string();
    server
        .sql(&format!(
            "UPDATE automations SET options = '{options}' WHERE id = '{id}'"
        ))
        .await;
    let key = server.key(&custom).await;
    let pushed = server
        .client
        .post(format!("{}/api/v1/api/orders", server.base()))
        .header("X-API-KEY", &key)
        .json(&json!({"platform": "custom", "orderNumber": "A-1", "orderStatus": "processing", "total": "5.00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), StatusCode::CREATED);
    let started = Instant::now();
    let error = loop {
        let runs = server
            .ok(Method::GET, &format!("/automations/{id}/runs"), None)
            .await;
        let failed = runs["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["status"] == "failed")
            .map(|r| r["error"].as_str().unwrap_or("").to_string());
        if let Some(error) = failed {
            break error;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no failed run: {runs}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        error.contains("decides where the connection's requests go"),
        "{error}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        attacked.lock().unwrap().is_empty(),
        "requests reached the other host: {:?}",
        attacked.lock().unwrap()
    );
    assert!(dashboard.store().orders().is_empty());
}

/// A server with one WooCommerce connection (to a 3-order emulator) and its API key.
async fn shop_server(components: &[&str]) -> (Server, WooEmulator, String, String) {
    let shop = woo(3).await;
    let server = Server::start(components).await;
    server
        .ok(Method::POST, "/tenants", Some(json!({"name": "acme"})))
        .await;
    let connection = server
        .connection(
            "woocommerce",
            "shop",
            json!({"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}),
        )
        .await;
    let key = server.key(&connection).await;
    // Reads of a resource answer once its first sync has succeeded.
    let admin = common::admin::AdminApi::new(server.base(), ADMIN);
    common::admin::wait_for_runs(&admin, &connection, &["orders"], "succeeded").await;
    (server, shop, connection, key)
}

/// Push an order with `key`: status and answer.
async fn push(server: &Server, key: &str, body: Value) -> (StatusCode, Value) {
    let response = server
        .client
        .post(format!("{}/api/v1/api/orders", server.base()))
        .header("X-API-KEY", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json::<Value>().await.unwrap())
}

/// Item 4: push only where the connector declares it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_push_is_only_for_connectors_that_declare_it() {
    let (server, _shop, _, woo_key) = shop_server(&["push", "woocommerce"]).await;
    let evil = json!({"platform": "injected", "orderNumber": "EVIL-1", "orderStatus": "processing", "total": "12345.00"});
    let (status, refused) = push(&server, &woo_key, evil.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["code"], "push_not_accepted");
    assert!(refused["message"].as_str().unwrap().contains("woocommerce"));
    let listed: Value = server
        .client
        .get(format!(
            "{}/api/v1/api/orders/injected:EVIL-1",
            server.base()
        ))
        .header("X-API-KEY", &woo_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["code"], "not_found", "nothing was stored: {listed}");
    // A connection of a connector that declares pushes takes it.
    let custom = server.connection("push", "custom", json!({})).await;
    let key = server.key(&custom).await;
    assert_eq!(push(&server, &key, evil).await.0, StatusCode::CREATED);
}

/// Item 5: `a:b` + `c` and `a` + `b:c` are two orders, not one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_order_keys_never_collide() {
    let server = Server::start(&["push"]).await;
    server
        .ok(Method::POST, "/tenants", Some(json!({"name": "acme"})))
        .await;
    let custom = server.connection("push", "custom", json!({})).await;
    let key = server.key(&custom).await;
    let order = |platform: &str, number: &str| json!({"platform": platform, "orderNumber": number, "orderStatus": "processing", "total": "1.00"});
    let (first, a) = push(&server, &key, order("a:b", "c")).await;
    let (second, b) = push(&server, &key, order("a", "b:c")).await;
    assert_eq!(
        (first, second),
        (StatusCode::CREATED, StatusCode::CREATED),
        "the second push updated the first order: {a} {b}"
    );
    assert_ne!(a["order"]["externalId"], b["order"]["externalId"]);
    assert_eq!(a["order"]["externalId"], "a%3Ab:c");
    assert_eq!(b["order"]["orderNumber"], "b:c");
}

/// The answer must be the API's JSON error shape: its status and body.
async fn json_error(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{status} {content_type}: {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(
        body["code"].is_string() && body["message"].is_string(),
        "{body}"
    );
    (status, body)
}

/// Item 6: one error shape for every rejection, also those made before a handler runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rejection_is_in_the_json_error_shape() {
    let (server, _shop, _, key) = shop_server(&["woocommerce"]).await;
    let base = server.base().to_string();
    let client = &server.client;
    // Oversize bodies: Runtime API write, admin API, upload.
    let big = vec![b'x'; 3 << 20];
    for (url, auth) in [
        (format!("{base}/api/v1/api/orders/1/status"), key.as_str()),
        (format!("{base}/api/v1/admin/tenants"), ADMIN),
    ] {
        let response = client
            .post(&url)
            .bearer_auth(auth)
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        let (status, body) = json_error(response).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{url}: {body}");
        assert_eq!(body["field"], "body");
    }
    // Ids that are not UTF-8, on both APIs.
    for (url, auth) in [
        (format!("{base}/api/v1/api/orders/%FF"), key.as_str()),
        (
            format!("{base}/api/v1/api/products/%FF/variations"),
            key.as_str(),
        ),
        (format!("{base}/api/v1/admin/connections/%FF"), ADMIN),
    ] {
        let response = client.get(&url).bearer_auth(auth).send().await.unwrap();
        let (status, body) = json_error(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(body["field"], "path", "{url}: {body}");
    }
    // A method a route does not take.
    let response = client
        .delete(format!("{base}/api/v1/admin/tenants"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    let (status, body) = json_error(response).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
}

/// Item 7: an unknown connection's runs and keys are 404 like its other routes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_connections_are_404_on_their_runs_and_keys() {
    let server = Server::start(&["woocommerce"]).await;
    for path in [
        "/connections/no-such-id/runs",
        "/connections/no-such-id/keys",
    ] {
        let (status, body) = server.admin(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
}

/// Item 10: auth schemes are case-insensitive, a key header sent twice is a 400, an early
/// refusal of a request with a body says `Connection: close`, the database is owner-only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_headers_are_read_strictly_and_the_database_is_owner_only() {
    let (server, _shop, _, key) = shop_server(&["woocommerce"]).await;
    let base = server.base().to_string();
    let client = &server.client;
    // Schemes are case-insensitive; a key header sent twice is a 400.
    let orders = format!("{base}/api/v1/api/orders");
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let response = client
            .get(&orders)
            .header("authorization", format!("{scheme} {key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{scheme}");
    }
    let response = client
        .get(format!("{base}/api/v1/admin/tenants"))
        .header("authorization", format!("bearer {ADMIN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doubled = client
        .get(&orders)
        .header("x-api-key", &key)
        .header("x-api-key", "jct_live_someone_else")
        .send()
        .await
        .unwrap();
    let (status, body) = json_error(doubled).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "X-API-KEY");

    // The database and its WAL/SHM files are readable by their owner only.
    #[cfg(unix)]
    if common::database_url(server.data.path()).is_none() {
        use std::os::unix::fs::PermissionsExt;
        for name in ["junction.db", "junction.db-wal", "junction.db-shm"] {
            let path = server.data.path().join(name);
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
    }
    // An early refusal (no valid key) of a request with a body closes the connection and
    // says so: the server did not read the body.
    let refused = client
        .post(&orders)
        .header("x-api-key", "jct_live_unknown")
        .json(&json!({"platform": "x", "orderNumber": "1", "orderStatus": "processing"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused
            .headers()
            .get("connection")
            .map(|v| v.to_str().unwrap()),
        Some("close")
    );
}

/// Send a request's head and the first `sent` bytes of a body that claims `length`, then
/// read the answer's status line (the rest of the body is never sent).
async fn partial_post(
    base: &str,
    path: &str,
    headers: &[(&str, String)],
    length: usize,
    first: &[u8],
) -> (tokio::net::TcpStream, String) {
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut head =
        format!("POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {length}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    let mut answer = vec![0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer)).await;
    let status = match read {
        Ok(Ok(n)) => String::from_utf8_lossy(&answer[..n])
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
        _ => "no answer while the body was still coming".to_string(),
    };
    (stream, status)
}

/// Item 3: nobody but the operator makes the server read an upload, and at most a few
/// uploads are read at once, on the portal and on the admin API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_read_no_body_before_the_role_check_and_only_a_few_at_once() {
    let server = Server::start(&["woocommerce"]).await;
    let base = server.base().to_string();
    server
        .ok(Method::POST, "/tenants", Some(json!({"name": "acme"})))
        .await;
    server
        .ok(
            Method::POST,
            "/users",
            Some(json!({"tenant": "acme", "email": "ada@acme.example", "password": "correct horse battery"})),
        )
        .await;
    let (ada_cookie, ada_csrf) = signed_in_session(&base, Some("ada@acme.example")).await;
    let (operator_cookie, operator_csrf) = signed_in_session(&base, None).await;
    let boundary = "XyZsecurity";
    let lead = |csrf: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"component\"; filename=\"a.wasm\"\r\n\
             Content-Type: application/wasm\r\n\r\n\0asm"
        )
    };
    let headers = |session_cookie: &str| {
        vec![
            ("Cookie", session_cookie.to_string()),
            (
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            ),
            ("Origin", base.clone()),
            ("Sec-Fetch-Site", "same-origin".to_string()),
        ]
    };
    let sixty_mib = 60 << 20;
    // A user: refused at once, while 60 MiB are still to come.
    let (_held, status) = partial_post(
        &base,
        "/portal/connectors",
        &headers(&ada_cookie),
        sixty_mib,
        lead(&ada_csrf).as_bytes(),
    )
    .await;
    assert!(status.contains("403"), "{status}");
    // The operator: two uploads are being read (their bodies still coming); a third is
    // refused at once, before its body is read.
    let (_first, status) = partial_post(
        &base,
        "/portal/connectors",
        &headers(&operator_cookie),
        sixty_mib,
        lead(&operator_csrf).as_bytes(),
    )
    .await;
    assert!(status.contains("no answer"), "{status}");
    let admin_headers = vec![
        ("Authorization", format!("Bearer {ADMIN}")),
        ("Content-Type", "application/wasm".to_string()),
    ];
    let (_second, status) = partial_post(
        &base,
        "/api/v1/admin/connectors",
        &admin_headers,
        sixty_mib,
        b"\0asm",
    )
    .await;
    assert!(status.contains("no answer"), "{status}");
    let (_third, status) = partial_post(
        &base,
        "/portal/connectors",
        &headers(&operator_cookie),
        sixty_mib,
        lead(&operator_csrf).as_bytes(),
    )
    .await;
    assert!(status.contains("429"), "{status}");
    let (_fourth, status) = partial_post(
        &base,
        "/api/v1/admin/connectors",
        &admin_headers,
        sixty_mib,
        b"\0asm",
    )
    .await;
    assert!(status.contains("429"), "{status}");
    // The admin API without the token reads nothing either.
    let (_fifth, status) = partial_post(
        &base,
        "/api/v1/admin/connectors",
        &[("Content-Type", "application/wasm".to_string())],
        sixty_mib,
        b"\0asm",
    )
    .await;
    assert!(status.contains("401"), "{status}");
}

/// Sign in (a user by email, or the operator) and return the session cookie (`name=value`)
/// and the session's form token, to send by hand over raw connections.
async fn signed_in_session(base: &str, email: Option<&str>) -> (String, String) {
    let browser = common::portal::browser();
    let response = match email {
        Some(email) => sign_in(&browser, base, email, "correct horse battery").await,
        None => sign_in_operator(&browser, base, ADMIN).await,
    };
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("junction_session="))
        .unwrap();
    let html = common::portal::page(&browser, &format!("{base}/portal/connectors")).await;
    (
        cookie.split(';').next().unwrap().to_string(),
        common::portal::csrf_of(&html),
    )
}

/// Item 9: a guesser at one address spends only their own attempts: the account's owner
/// (and the operator) at another address still signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guesser_cannot_lock_an_account_or_the_operator_out() {
    let server = Server::start(&["woocommerce"]).await;
    let base = server.base().to_string();
    server
        .ok(Method::POST, "/tenants", Some(json!({"name": "acme"})))
        .await;
    server
        .ok(
            Method::POST,
            "/users",
            Some(json!({"tenant": "acme", "email": "ada@acme.example", "password": "correct horse battery"})),
        )
        .await;
    let guesser_address: IpAddr = [127, 0, 0, 2].into();
    let owner_address: IpAddr = [127, 0, 0, 3].into();
    let guess_until_throttled = |operator: bool| {
        let base = base.clone();
        async move {
            let guesser = browser_at(guesser_address);
            let mut statuses = Vec::new();
            for i in 0..20 {
                let response = if operator {
                    sign_in_operator(&guesser, &base, &format!("guess-{i}")).await
                } else {
                    sign_in(
                        &guesser,
                        &base,
                        "ada@acme.example",
                        &format!("guess number {i}"),
                    )
                    .await
                };
                statuses.push(response.status().as_u16());
                if response.status() == StatusCode::TOO_MANY_REQUESTS {
                    break;
                }
            }
            assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
        }
    };
    guess_until_throttled(false).await;
    // The right password from the owner's own address still gets in.
    let owner = browser_at(owner_address);
    let response = sign_in(&owner, &base, "ada@acme.example", "correct horse battery").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/portal/connections");
    // The guesser's own address stays throttled, even with the right password.
    let guesser = browser_at(guesser_address);
    let response = sign_in(&guesser, &base, "ada@acme.example", "correct horse battery").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // The same for the operator form.
    guess_until_throttled(true).await;
    let operator = browser_at(owner_address);
    let response = sign_in_operator(&operator, &base, ADMIN).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}
