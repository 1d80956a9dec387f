//! The Bugalou emulator over real HTTP: both auth headers, 401/403, upsert by platform +
//! order number, validation errors and the paged listing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use junction_emulators::bugalou::{BugalouConfig, BugalouEmulator};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn dashboard(seed_orders: usize) -> BugalouEmulator {
    junction_emulators::bugalou::start(
        BugalouConfig {
            seed_orders,
            ..BugalouConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

async fn post(emu: &BugalouEmulator, path: &str, body: Value) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", emu.base_url()))
        .header("X-API-Key", "bg_live_test_key")
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap())
}

async fn list(emu: &BugalouEmulator, query: &str) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/orders{query}", emu.base_url()))
        .bearer_auth("bg_live_test_key")
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap())
}

#[tokio::test]
async fn missing_and_wrong_keys() {
    let emu = dashboard(0).await;
    let url = format!("{}/api/v1/orders", emu.base_url());
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.json::<Value>().await.unwrap()["error"].is_string());
    let resp = reqwest::Client::new()
        .get(&url)
        .header("X-API-Key", "bg_live_other")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"error": "Invalid or expired API key"})
    );
}

#[tokio::test]
async fn upsert_by_platform_and_order_number() {
    let emu = dashboard(0).await;
    let order = json!({
        "platform": "custom", "orderNumber": "ORD-12345", "orderStatus": "processing",
        "customerEmail": "klant@voorbeeld.nl", "customerName": "Jan de Vries",
        "items": [{"name": "Product A", "quantity": 1, "price": "29.99"}],
        "total": "29.99", "currency": "EUR", "paymentStatus": "paid", "paymentMethod": "iDEAL"
    });
    let (status, body) = post(&emu, "/api/v1/orders", order.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["success"], true);
    let id = body["order"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["order"]["customerName"], "Jan de Vries");
    // Same platform + number: an update, through either endpoint.
    let (status, body) = post(
        &emu,
        "/api/zapier/order",
        json!({"platform": "custom", "orderNumber": "ORD-12345", "orderStatus": "shipped",
               "trackingCode": "3SPOST1234567", "trackingUrl": "https://postnl.nl/track/3SPOST1234567"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["order"]["id"], id.as_str());
    assert_eq!(body["order"]["orderStatus"], "shipped");
    assert_eq!(body["order"]["total"], "29.99", "fields not sent are kept");
    // Another platform with the same number is another order.
    let mut other = order.clone();
    other["platform"] = json!("shopify");
    let (status, _) = post(&emu, "/api/v1/orders", other).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(emu.store().orders().len(), 2);
    assert_eq!(emu.store().upsert_counts(), (2, 1));
    let (status, body) = post(
        &emu,
        "/api/v1/orders",
        json!({"platform": "custom", "orderNumber": "X", "orderStatus": "lost"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("orderStatus"),
        "{body}"
    );
    let (status, body) = post(&emu, "/api/v1/orders", json!({"orderNumber": "X"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("platform"),
        "{body}"
    );
}

#[tokio::test]
async fn lists_every_order_once_by_page_and_limit() {
    let emu = dashboard(45).await;
    let mut seen = Vec::new();
    for page in 1..=5 {
        let (status, body) = list(&emu, &format!("?page={page}&limit=10")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["pagination"]["total"], 45);
        assert_eq!(body["pagination"]["totalPages"], 5);
        for o in body["orders"].as_array().unwrap() {
            seen.push(o["orderNumber"].as_str().unwrap().to_owned());
        }
    }
    let expected: Vec<String> = (1001..=1045).map(|n| format!("WC-{n}")).collect();
    assert_eq!(seen, expected);
    let (_, body) = list(&emu, "").await;
    assert_eq!(body["pagination"]["limit"], 20);
    let (status, body) = list(&emu, "?limit=101").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("limit"));
    let (status, _) = list(&emu, "?page=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn post_zapier(emu: &BugalouEmulator, key: Option<&str>, body: &str) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/zapier/order", emu.base_url()))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.header("X-API-Key", key);
    }
    let resp = request.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap())
}

#[tokio::test]
async fn zapier_endpoint_upserts_into_the_orders_store() {
    let emu = dashboard(3).await;
    let order = json!({
        "platform": "custom", "orderNumber": "ZAP-1", "orderStatus": "processing",
        "customerEmail": "klant@voorbeeld.nl", "total": "12.50", "currency": "EUR",
        "items": [{"name": "Product A", "quantity": 2, "price": "6.25"}]
    });
    let (status, body) = post_zapier(&emu, Some("bg_live_test_key"), &order.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["order"]["orderNumber"], "ZAP-1");
    let id = body["order"]["id"].as_str().unwrap().to_owned();
    // The order is one of the Orders API's: listed after the three seeded ones.
    let (_, listing) = list(&emu, "?page=1&limit=100").await;
    let listed = listing["orders"].as_array().unwrap();
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[3]["id"], id.as_str());
    // Upserted by platform + number across both endpoints.
    let (status, body) = post(
        &emu,
        "/api/v1/orders",
        json!({"platform": "custom", "orderNumber": "ZAP-1", "orderStatus": "shipped"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["order"]["id"], id.as_str());
    let (status, body) = post_zapier(
        &emu,
        Some("bg_live_test_key"),
        r#"{"platform": "custom", "orderNumber": "ZAP-1", "orderStatus": "delivered"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["order"]["id"], id.as_str());
    assert_eq!(body["order"]["orderStatus"], "delivered");
    assert_eq!(body["order"]["total"], "12.50", "fields not sent are kept");
    assert_eq!(emu.store().orders().len(), 4);
    assert_eq!(emu.store().upsert_counts(), (4, 2));
}

#[tokio::test]
async fn zapier_endpoint_refuses_bad_keys_and_bad_orders() {
    let emu = dashboard(0).await;
    let valid = r#"{"platform": "custom", "orderNumber": "ZAP-2", "orderStatus": "processing"}"#;
    let (status, body) = post_zapier(&emu, None, valid).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"error": "Missing API key"}));
    let (status, body) = post_zapier(&emu, Some("bg_live_other"), valid).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, json!({"error": "Invalid or expired API key"}));
    let (status, body) = post_zapier(
        &emu,
        Some("bg_live_test_key"),
        r#"{"platform": "custom", "orderNumber": "ZAP-2"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"error": "orderStatus is required"}));
    let (status, body) = post_zapier(
        &emu,
        Some("bg_live_test_key"),
        r#"{"platform": "custom", "orderNumber": "ZAP-2", "orderStatus": "processing", "paymentStatus": "free"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("paymentStatus"),
        "{body}"
    );
    let (status, body) = post_zapier(&emu, Some("bg_live_test_key"), "not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().starts_with("Invalid JSON"));
    assert!(
        emu.store().orders().is_empty(),
        "no refused order is stored"
    );
    // The documented bearer form works here too ("in every request").
    let resp = reqwest::Client::new()
        .post(format!("{}/api/zapier/order", emu.base_url()))
        .bearer_auth("bg_live_test_key")
        .header("Content-Type", "application/json")
        .body(valid)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    // POST is the only documented method: the endpoint does not list.
    let resp = reqwest::Client::new()
        .get(format!("{}/api/zapier/order", emu.base_url()))
        .header("X-API-Key", "bg_live_test_key")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"error": "Not found"})
    );
}

/// The listing is in creation order and an update does not move an order, so a page of
/// orders all older than some instant can come before a page holding an order changed
/// after it: an incremental reader cannot stop at such a page.
#[tokio::test]
async fn an_updated_order_keeps_its_place_in_the_listing() {
    let emu = dashboard(45).await;
    let (_, before) = list(&emu, "?page=1&limit=10").await;
    let since = before["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["updatedAt"].as_str().unwrap().to_owned())
        .max()
        .unwrap();
    let (status, _) = post(
        &emu,
        "/api/v1/orders",
        json!({"platform": "woocommerce", "orderNumber": "WC-1044", "orderStatus": "cancelled"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, first) = list(&emu, "?page=1&limit=10").await;
    assert_eq!(first, before, "the first page does not change");
    let (_, last) = list(&emu, "?page=5&limit=10").await;
    let numbers: Vec<&str> = last["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderNumber"].as_str().unwrap())
        .collect();
    assert_eq!(
        numbers,
        ["WC-1041", "WC-1042", "WC-1043", "WC-1044", "WC-1045"]
    );
    let changed = &last["orders"][3];
    assert_eq!(changed["orderStatus"], "cancelled");
    assert!(changed["updatedAt"].as_str().unwrap() > since.as_str());
}
