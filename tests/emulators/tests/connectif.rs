//! The Connectif emulator over real HTTP: auth, contacts, products, purchases with their
//! custom errors, and the request budget with its headers and 429s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use junction_emulators::connectif::{BudgetConfig, ConnectifConfig, ConnectifEmulator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn account(config: ConnectifConfig) -> ConnectifEmulator {
    junction_emulators::connectif::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn call(
    emu: &ConnectifEmulator,
    key: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", emu.base_url()));
    if let Some(k) = key {
        req = req.header("Authorization", format!("apiKey {k}"));
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    Answer {
        status,
        headers,
        body,
    }
}

const KEY: Option<&str> = Some("cnf_test_key");

fn header(a: &Answer, name: &str) -> u64 {
    a.headers
        .get(name)
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn keys_are_checked_and_problems_are_problem_json() {
    let emu = account(ConnectifConfig::default()).await;
    let a = call(&emu, None, Method::GET, "/contacts/a@b.co", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.headers.get("x-ratelimit-limit").is_none());
    let a = call(&emu, Some("wrong"), Method::GET, "/contacts/a@b.co", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = call(
        &emu,
        Some("cnf_blocked_key"),
        Method::GET,
        "/contacts/a@b.co",
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.body["status"], 403);
    assert_eq!(header(&a, "x-ratelimit-limit"), 100);
    let a = call(&emu, KEY, Method::GET, "/contacts/a@b.co", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(
        a.headers.get("content-type").unwrap(),
        "application/problem+json"
    );
    assert_eq!(a.body["title"], "Not Found");
}

#[tokio::test]
async fn contacts_are_upserted_by_email() {
    let emu = account(ConnectifConfig::default()).await;
    let a = call(
        &emu,
        KEY,
        Method::PATCH,
        "/contacts/Ana@Example.com",
        Some(json!({"_name": "Ana", "_mobilePhone": "+34600111222"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["_email"], "ana@example.com");
    let a = call(
        &emu,
        KEY,
        Method::PATCH,
        "/contacts/ana@example.com",
        Some(json!({"_surname": "García"})),
    )
    .await;
    assert_eq!(a.body["_name"], "Ana", "a patch keeps other fields");
    assert_eq!(a.body["_surname"], "García");
    assert_eq!(emu.store().contact_emails(), vec!["ana@example.com"]);
    let a = call(&emu, KEY, Method::GET, "/contacts/ana@example.com", None).await;
    assert_eq!(a.body["_surname"], "García");
    for bad in [
        json!({"_mobilePhone": "600111222"}),
        json!({"_emailStatus": "gone"}),
        json!({"favouriteColour": "blue"}),
    ] {
        let a = call(
            &emu,
            KEY,
            Method::PATCH,
            "/contacts/ana@example.com",
            Some(bad.clone()),
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        let field = bad.as_object().unwrap().keys().next().unwrap().clone();
        assert!(
            a.body["detail"].as_str().unwrap().contains(&field),
            "{}",
            a.body
        );
    }
    let a = call(
        &emu,
        KEY,
        Method::PATCH,
        "/contacts/not-an-email",
        Some(json!({})),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn purchases_need_their_contact_and_products_and_duplicates_are_kept() {
    let emu = account(ConnectifConfig::default()).await;
    let purchase = json!({
        "purchaseId": "1001", "contactEmail": "bo@example.com", "totalPrice": 20.5,
        "totalQuantity": 2, "purchaseDate": "2025-01-02T03:04:05Z",
        "products": [{"productId": "7", "name": "Mug", "quantity": 2, "unitPrice": 10.25, "price": 20.5}]
    });
    let a = call(
        &emu,
        KEY,
        Method::POST,
        "/purchases",
        Some(purchase.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.body["code"], "E0101");
    call(
        &emu,
        KEY,
        Method::PATCH,
        "/contacts/bo@example.com",
        Some(json!({})),
    )
    .await;
    let a = call(
        &emu,
        KEY,
        Method::POST,
        "/purchases",
        Some(purchase.clone()),
    )
    .await;
    assert_eq!(a.body["code"], "E0102");
    assert_eq!(a.body["productIds"], json!(["7"]));
    let a = call(
        &emu,
        KEY,
        Method::PATCH,
        "/products/product-id/7",
        Some(json!({"name": "Mug"})),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "creating needs a URL and a price"
    );
    let a = call(
        &emu,
        KEY,
        Method::PATCH,
        "/products/product-id/7",
        Some(json!({"name": "Mug", "productDetailUrl": "https://shop.example/p/7", "unitPrice": 10.25})),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let a = call(
        &emu,
        KEY,
        Method::POST,
        "/purchases",
        Some(purchase.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let internal = a.body["id"].as_str().unwrap().to_owned();
    let got = call(
        &emu,
        KEY,
        Method::GET,
        &format!("/purchases/{internal}"),
        None,
    )
    .await;
    assert_eq!(got.body["purchaseId"], "1001");
    let got = call(&emu, KEY, Method::GET, "/purchases/purchase-id/1001", None).await;
    assert_eq!(got.body["totalPrice"], 20.5);
    // The same purchase id again is stored again: the emulator does not hide duplicates.
    let a = call(
        &emu,
        KEY,
        Method::POST,
        "/purchases?triggerPurchaseEvent=false",
        Some(purchase),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(emu.store().purchases_with_id("1001").len(), 2);
    assert_eq!(emu.store().purchase_events(), 1);
    let a = call(
        &emu,
        KEY,
        Method::DELETE,
        "/purchases/purchase-id/1001",
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert!(emu.store().purchases_with_id("1001").is_empty());
    let a = call(&emu, KEY, Method::GET, "/purchases/purchase-id/1001", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_budget_is_announced_enforced_and_never_exceeded() {
    let emu = account(ConnectifConfig {
        budget: BudgetConfig {
            requests: 5,
            window: Duration::from_secs(3),
        },
        ..ConnectifConfig::default()
    })
    .await;
    let mut remaining = Vec::new();
    for _ in 0..5 {
        let a = call(&emu, KEY, Method::GET, "/contacts/x@example.com", None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        assert_eq!(header(&a, "x-ratelimit-limit"), 5);
        remaining.push(header(&a, "x-ratelimit-remaining"));
    }
    assert_eq!(remaining, [4, 3, 2, 1, 0]);
    let a = call(
        &emu,
        KEY,
        Method::PATCH,
        "/contacts/x@example.com",
        Some(json!({})),
    )
    .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.body["status"], 429);
    assert!(a.headers.get("retry-after").is_none());
    assert!(
        !emu.store().has_contact("x@example.com"),
        "a refused write must not land"
    );
    let reset = header(&a, "x-ratelimit-reset");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(reset >= now && reset <= now + 4, "reset {reset} now {now}");
    // After the reset, the budget is back.
    tokio::time::sleep(Duration::from_millis(
        (reset * 1000).saturating_sub(
            u64::try_from(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_millis(),
            )
            .unwrap(),
        ) + 50,
    ))
    .await;
    let a = call(
        &emu,
        KEY,
        Method::PATCH,
        "/contacts/x@example.com",
        Some(json!({})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(header(&a, "x-ratelimit-remaining"), 4);
    let stats = emu.budget_stats();
    assert_eq!(stats.rejected, 1);
    assert_eq!(stats.counted, 7);
    assert_eq!(stats.accepted_over_budget, 0);
    assert_eq!(stats.max_accepted_in_window, 5);
    // The counters are served over HTTP too.
    let v: Value = reqwest::get(format!("{}/__emulator/budget", emu.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["stats"]["rejected"], 1);
    assert_eq!(v["limit"], 5);
}
