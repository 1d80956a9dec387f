//! The Lightspeed eCom emulator over real HTTP: Basic auth and its 401 shape, the list
//! wrappers, paging and filters, single reads and counts, the writes, and the rate limits
//! in several windows reported in slash-separated headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use junction_emulators::lightspeed::{LightspeedConfig, LightspeedEmulator, RateWindow, Resource};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn shop(config: LightspeedConfig) -> LightspeedEmulator {
    junction_emulators::lightspeed::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn call(
    emu: &LightspeedEmulator,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", emu.api_url()))
        .basic_auth("ls_test_key", Some("ls_test_secret"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, resp.json().await.unwrap())
}

async fn get(emu: &LightspeedEmulator, path: &str) -> (StatusCode, Value) {
    let (s, _, v) = call(emu, reqwest::Method::GET, path, None).await;
    (s, v)
}

#[tokio::test]
async fn refuses_missing_and_wrong_credentials_in_lightspeeds_shape() {
    let emu = shop(LightspeedConfig::default()).await;
    let resp = reqwest::get(format!("{}orders.json", emu.api_url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], 401);
    assert_eq!(body["error"]["request"], "nl/orders.json");
    let resp = reqwest::Client::new()
        .get(format!("{}orders.json", emu.api_url()))
        .basic_auth("ls_test_key", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        resp.headers().get("x-ratelimit-limit").is_none(),
        "not counted"
    );
    assert_eq!(emu.rate_stats().accepted, 0);
}

#[tokio::test]
async fn lists_page_filter_and_count() {
    let emu = shop(LightspeedConfig::default()).await;
    let (s, body) = get(&emu, "orders.json?limit=4&page=2").await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<u64> = body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![5, 6, 7, 8], "ascending ids");
    let order = &body["orders"][0];
    for field in [
        "createdAt",
        "updatedAt",
        "number",
        "status",
        "shipmentStatus",
        "paymentStatus",
        "priceIncl",
        "priceExcl",
    ] {
        assert!(!order[field].is_null(), "{field} in {order}");
    }
    assert!(
        order["customer"]["resource"]["link"]
            .as_str()
            .unwrap()
            .ends_with("/nl/customers/6.json")
    );
    let (_, body) = get(&emu, "orders.json?since_id=28").await;
    assert_eq!(body["orders"].as_array().unwrap().len(), 2);
    let (_, body) = get(&emu, "orders/count.json").await;
    assert_eq!(body, json!({"count": 30}));
    // Product 3 has three variants.
    let (_, body) = get(&emu, "variants.json?product=3").await;
    let variants = body["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 3);
    assert!(
        variants
            .iter()
            .all(|v| v["product"]["resource"]["id"] == 3 && v["stockLevel"].is_i64())
    );
    let (_, body) = get(&emu, "variants/count.json?product=1").await;
    assert_eq!(body["count"], 1);
    // A touched order is the only one modified after the seeded data.
    let touched = emu.store().touch(Resource::Orders, 9).unwrap();
    let since = junction_emulators::lightspeed::views::format_date(touched.updated);
    let (_, body) = get(
        &emu,
        &format!("orders.json?updated_at_min={}", since.replace('+', "%2B")),
    )
    .await;
    assert_eq!(body["orders"].as_array().unwrap().len(), 1);
    assert_eq!(body["orders"][0]["id"], 9);
    let (s, body) = get(&emu, "orders.json?limit=251").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().unwrap().contains("limit"));
    let (s, body) = get(&emu, "orders/999.json").await;
    assert_eq!(
        (s, body["error"]["code"].clone()),
        (StatusCode::NOT_FOUND, json!(404))
    );
    let (_, body) = get(&emu, "orders/2/products.json").await;
    let lines = body["orderProducts"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    assert!(lines[0]["variant"]["resource"]["link"].is_string());
    let (s, _) = get(&emu, "en/orders.json").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn writes_orders_shipments_and_variants() {
    let emu = shop(LightspeedConfig::default()).await;
    let put = reqwest::Method::PUT;
    let (s, _, body) = call(
        &emu,
        put.clone(),
        "orders/1.json",
        Some(json!({"order": {"status": "cancelled"}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["order"]["status"], "cancelled");
    let (s, _, body) = call(
        &emu,
        put.clone(),
        "orders/1.json",
        Some(json!({"order": {"status": "gone"}})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("status")
    );
    let (_, body) = get(&emu, "shipments.json?order=2").await;
    let shipment = body["shipments"][0]["id"].as_u64().unwrap();
    let (s, _, body) = call(
        &emu,
        put.clone(),
        &format!("shipments/{shipment}.json"),
        Some(json!({"shipment": {"status": "shipped", "trackingCode": "3SABC123"}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["shipment"]["trackingCode"], "3SABC123");
    let (_, order) = get(&emu, "orders/2.json").await;
    assert_eq!(order["order"]["shipmentStatus"], "shipped");
    let (s, _, body) = call(
        &emu,
        put.clone(),
        "variants/1.json",
        Some(json!({"variant": {"stockLevel": 17, "priceExcl": 20}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["variant"]["stockLevel"].clone(),
            body["variant"]["priceIncl"].clone()
        ),
        (json!(17), json!(24.2))
    );
    let (s, _, _) = call(
        &emu,
        put.clone(),
        "variants/1.json",
        Some(json!({"stockLevel": 3})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "the wrapper is required");
    let (s, _, _) = call(
        &emu,
        reqwest::Method::POST,
        "shipments.json",
        Some(json!({"shipment": {}})),
    )
    .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn every_window_is_reported_and_the_spent_one_refuses() {
    let emu = shop(LightspeedConfig {
        limits: vec![RateWindow::per_secs(3, 60), RateWindow::per_secs(5, 3_600)],
        ..LightspeedConfig::default()
    })
    .await;
    let (_, headers, _) = call(&emu, reqwest::Method::GET, "orders/count.json", None).await;
    assert_eq!(headers["x-ratelimit-limit"], "3/5");
    assert_eq!(headers["x-ratelimit-remaining"], "2/4");
    assert_eq!(headers["x-ratelimit-reset"], "60/3600");
    get(&emu, "orders/count.json").await;
    get(&emu, "orders/count.json").await;
    let (s, headers, body) = call(&emu, reqwest::Method::GET, "orders/count.json", None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["x-ratelimit-remaining"], "0/2");
    assert_eq!(body["error"]["code"], 429);
    get(&emu, "orders/count.json").await;
    let stats: Value = reqwest::get(format!("{}/__emulator/rate", emu.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats, json!({"accepted": 3, "rejected": 2}));
}

#[tokio::test]
async fn faults_and_control_endpoints() {
    use junction_emulators::{Fault, FaultKind};
    let emu = shop(LightspeedConfig::default()).await;
    emu.set_faults(vec![Fault::times(FaultKind::ServerError, 1)]);
    let (s, body) = get(&emu, "orders.json").await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"]["code"], 500);
    let (s, _) = get(&emu, "orders.json").await;
    assert_eq!(s, StatusCode::OK, "the fault fired once");
    let control = reqwest::Client::new();
    let before = emu.store().get(Resource::Customers, 2).unwrap().updated;
    let resp = control
        .post(format!("{}/__emulator/touch/customers/2", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(emu.store().get(Resource::Customers, 2).unwrap().updated > before);
    let resp = control
        .delete(format!("{}/__emulator/records/orders/3", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (s, _) = get(&emu, "orders/3.json").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let resp = control
        .delete(format!("{}/__emulator/records/orders/3", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
