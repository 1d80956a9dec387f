//! The Magento emulator over real HTTP: bearer auth and its 401 body, searchCriteria
//! searches (filters, sorting, paging, the last page again past the end), single reads,
//! configurable children, and the writes with their validation errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use junction_emulators::magento::{Kind, MagentoConfig, MagentoEmulator};
use junction_emulators::{Fault, FaultKind};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const TOKEN: &str = "mg_test_token";

async fn store() -> MagentoEmulator {
    junction_emulators::magento::start(MagentoConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn call(
    emu: &MagentoEmulator,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}/rest{path}", emu.base_url()))
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let resp = request.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap())
}

async fn get(emu: &MagentoEmulator, path: &str) -> (StatusCode, Value) {
    call(emu, Method::GET, path, None).await
}

fn ids(answer: &Value, field: &str) -> Vec<u64> {
    answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[field].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn refuses_missing_and_wrong_tokens_in_magentos_words() {
    let emu = store().await;
    let url = format!("{}/rest/V1/orders", emu.base_url());
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({"message": "The consumer isn't authorized to access %resources.", "parameters": {"resources": "Magento_Sales::actions_view"}})
    );
    let resp = reqwest::Client::new()
        .get(&url)
        .bearer_auth("other")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = get(&emu, "/default/V1/orders?searchCriteria[pageSize]=1").await;
    assert_eq!(status, StatusCode::OK, "the store-code path works too");
}

#[tokio::test]
async fn searches_filter_sort_and_page_like_magento() {
    let emu = store().await;
    let (status, page) = get(
        &emu,
        "/V1/orders?searchCriteria[pageSize]=7&searchCriteria[currentPage]=2",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total_count"], 30);
    assert_eq!(ids(&page, "entity_id"), (8..=14).collect::<Vec<_>>());
    assert_eq!(page["search_criteria"]["page_size"], 7);
    // A page past the end answers the last page again.
    let (_, past) = get(
        &emu,
        "/V1/orders?searchCriteria[pageSize]=7&searchCriteria[currentPage]=99",
    )
    .await;
    assert_eq!(ids(&past, "entity_id"), vec![29, 30]);

    let q = "/V1/orders?searchCriteria[filter_groups][0][filters][0][field]=entity_id&searchCriteria[filter_groups][0][filters][0][value]=3,9,12&searchCriteria[filter_groups][0][filters][0][condition_type]=in&searchCriteria[sortOrders][0][field]=entity_id&searchCriteria[sortOrders][0][direction]=DESC";
    let (_, found) = get(&emu, q).await;
    assert_eq!(ids(&found, "entity_id"), vec![12, 9, 3]);

    emu.store().touch(Kind::Orders, 4).unwrap();
    let since = emu.store().get(Kind::Orders, 4).unwrap()["updated_at"]
        .as_str()
        .unwrap()
        .replace(' ', "%20");
    let q = format!(
        "/V1/orders?searchCriteria[filter_groups][0][filters][0][field]=updated_at&searchCriteria[filter_groups][0][filters][0][value]={since}&searchCriteria[filter_groups][0][filters][0][condition_type]=gteq"
    );
    let (_, touched) = get(&emu, &q).await;
    assert_eq!(ids(&touched, "entity_id"), vec![4]);

    let (status, bad) = get(&emu, "/V1/orders?searchCriteria[filter_groups][0][filters][0][field]=colour&searchCriteria[filter_groups][0][filters][0][value]=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["parameters"]["value"], "colour");
}

#[tokio::test]
async fn reads_single_records_and_configurable_children() {
    let emu = store().await;
    let (status, order) = get(&emu, "/V1/orders/5").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(order["increment_id"], "000000005");
    assert!(
        order["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]["city"]
            .is_string()
    );
    let (status, missing) = get(&emu, "/V1/orders/999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .contains("doesn't exist")
    );
    let (status, customer) = get(&emu, "/V1/customers/2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(customer["email"], "customer2@example.com");
    let (_, customers) = get(&emu, "/V1/customers/search?searchCriteria[pageSize]=5").await;
    assert_eq!(customers["total_count"], 12);

    let (_, parents) = get(&emu, "/V1/products?searchCriteria[filter_groups][0][filters][0][field]=type_id&searchCriteria[filter_groups][0][filters][0][value]=configurable").await;
    let parent = &parents["items"][0];
    let sku = parent["sku"].as_str().unwrap();
    let (_, children) = get(&emu, &format!("/V1/configurable-products/{sku}/children")).await;
    let child_ids: Vec<Value> = children
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(
        json!(child_ids),
        parent["extension_attributes"]["configurable_product_links"]
    );
    let (status, product) = get(&emu, &format!("/V1/products/{sku}")).await;
    assert_eq!(
        (status, product["id"].clone()),
        (StatusCode::OK, parent["id"].clone())
    );
    let (status, _) = get(&emu, "/V1/products/NOPE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn writes_status_shipments_stock_and_prices() {
    let emu = store().await;
    let (status, answer) = call(&emu, Method::POST, "/V1/orders/6/comments", Some(json!({"statusHistory": {"comment": "ok", "status": "processing", "is_customer_notified": 0}}))).await;
    assert_eq!((status, answer), (StatusCode::OK, json!(true)));
    let (status, bad) = call(
        &emu,
        Method::POST,
        "/V1/orders/6/comments",
        Some(json!({"statusHistory": {"status": "lost"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["parameters"], json!(["lost"]));
    let (status, bad) = call(&emu, Method::POST, "/V1/orders/6/comments", Some(json!({}))).await;
    assert_eq!(
        (status, bad["parameters"]["fieldName"].clone()),
        (StatusCode::BAD_REQUEST, json!("statusHistory"))
    );

    let (status, shipment_id) = call(&emu, Method::POST, "/V1/order/6/ship", Some(json!({"tracks": [{"track_number": "3S1", "title": "PostNL", "carrier_code": "custom"}]}))).await;
    assert_eq!(status, StatusCode::OK);
    let q = "/V1/shipments?searchCriteria[filter_groups][0][filters][0][field]=order_id&searchCriteria[filter_groups][0][filters][0][value]=6";
    let (_, shipments) = get(&emu, q).await;
    assert_eq!(
        shipments["items"][0]["entity_id"].to_string(),
        shipment_id.as_str().unwrap()
    );
    assert_eq!(shipments["items"][0]["tracks"][0]["track_number"], "3S1");
    let (status, bad) = call(
        &emu,
        Method::POST,
        "/V1/order/6/ship",
        Some(json!({"tracks": [{"track_number": "3S2"}]})),
    )
    .await;
    assert_eq!(
        (status, bad["parameters"]["fieldName"].clone()),
        (StatusCode::BAD_REQUEST, json!("title"))
    );

    let product = emu.store().get(Kind::Products, 1).unwrap();
    let sku = product["sku"].as_str().unwrap();
    let (status, item) = call(
        &emu,
        Method::PUT,
        &format!("/V1/products/{sku}/stockItems/1"),
        Some(json!({"stockItem": {"qty": 17, "is_in_stock": true}})),
    )
    .await;
    assert_eq!((status, item), (StatusCode::OK, json!(1)));
    assert_eq!(
        emu.store().get(Kind::Products, 1).unwrap()["extension_attributes"]["stock_item"]["qty"],
        17.0
    );
    let (status, errors) = call(&emu, Method::POST, "/V1/products/base-prices", Some(json!({"prices": [{"sku": sku, "price": 12.5, "store_id": 0}, {"sku": "NOPE", "price": 1, "store_id": 0}]}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(errors.as_array().unwrap().len(), 1);
    assert_eq!(errors[0]["parameters"][0], "NOPE");
    assert_eq!(emu.store().get(Kind::Products, 1).unwrap()["price"], 12.5);
}

#[tokio::test]
async fn injects_faults_and_deletes() {
    let emu = store().await;
    emu.set_faults(vec![Fault::times(
        FaultKind::RateLimited {
            retry_after_secs: 2,
        },
        1,
    )]);
    let resp = reqwest::Client::new()
        .get(format!("{}/rest/V1/orders", emu.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "2");
    assert!(emu.store().delete(Kind::Orders, 3));
    let (status, _) = get(&emu, "/V1/orders/3").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(emu.request_count() >= 2);
}

#[tokio::test]
async fn trims_answers_to_the_fields_parameter() {
    let emu = store().await;
    let (status, page) = get(
        &emu,
        "/V1/products?searchCriteria[pageSize]=2&fields=items[id,updated_at],total_count",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let keys: Vec<&String> = page.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["items", "total_count"]);
    assert_eq!(page["items"][0].as_object().unwrap().len(), 2);
    let (status, order) = get(&emu, "/V1/orders/1?fields=entity_id").await;
    assert_eq!((status, order), (StatusCode::OK, json!({"entity_id": 1})));
    let (status, _) = get(&emu, "/V1/orders/1?fields=items[").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
