//! End-to-end tests of the WooCommerce emulator over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use junction_emulators::woocommerce::{format_wc, parse_rest_date};
use junction_emulators::{Fault, FaultKind, WooConfig, WooEmulator};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn shop(config: WooConfig) -> WooEmulator {
    junction_emulators::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn url(shop: &WooEmulator, path: &str) -> String {
    format!("{}/wp-json/wc/v3/{path}", shop.base_url())
}

async fn get(shop: &WooEmulator, path: &str) -> reqwest::Response {
    client()
        .get(url(shop, path))
        .basic_auth("ck_test", Some("cs_test"))
        .send()
        .await
        .unwrap()
}

async fn get_json(
    shop: &WooEmulator,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let resp = get(shop, path).await;
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.json().await.unwrap())
}

async fn send(
    shop: &WooEmulator,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let resp = client()
        .request(method, url(shop, path))
        .basic_auth("ck_test", Some("cs_test"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap())
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
}

fn date(v: &Value) -> i64 {
    parse_rest_date(v.as_str().unwrap()).unwrap()
}

/// Follows `rel="next"` links and returns every record of a collection.
async fn walk(shop: &WooEmulator, first: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(url(shop, first));
    while let Some(u) = next.take() {
        let resp = client()
            .get(&u)
            .basic_auth("ck_test", Some("cs_test"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let link = header(resp.headers(), "link").to_owned();
        out.extend(resp.json::<Vec<Value>>().await.unwrap());
        next = link
            .split(", ")
            .find(|l| l.ends_with("rel=\"next\""))
            .map(|l| {
                l.trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap()
                    .to_owned()
            });
    }
    out
}

#[tokio::test]
async fn paging_headers_and_links() {
    let shop = shop(WooConfig::default()).await;
    let (status, h, body) = get_json(&shop, "orders?per_page=20").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "x-wp-total"), "200");
    assert_eq!(header(&h, "x-wp-totalpages"), "10");
    assert_eq!(
        header(&h, "content-type"),
        "application/json; charset=UTF-8"
    );
    assert_eq!(body.as_array().unwrap().len(), 20);
    let base = url(&shop, "orders");
    assert_eq!(
        header(&h, "link"),
        format!("<{base}?per_page=20&page=2>; rel=\"next\"")
    );

    let (_, h, _) = get_json(&shop, "orders?page=3&per_page=20").await;
    assert_eq!(
        header(&h, "link"),
        format!(
            "<{base}?page=2&per_page=20>; rel=\"prev\", <{base}?page=4&per_page=20>; rel=\"next\""
        )
    );
    let (_, h, body) = get_json(&shop, "orders?per_page=20&page=10").await;
    assert_eq!(
        header(&h, "link"),
        format!("<{base}?per_page=20&page=9>; rel=\"prev\"")
    );
    assert_eq!(body.as_array().unwrap().len(), 20);
    let (status, h, body) = get_json(&shop, "orders?per_page=20&page=11").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!([]));
    assert_eq!(header(&h, "x-wp-total"), "200");

    // Default order: date_created desc, ties by id desc (WooCommerce's `date ID`).
    let all = walk(&shop, "orders?per_page=7").await;
    assert_eq!(all.len(), 200);
    let keys: Vec<(i64, u64)> = all
        .iter()
        .map(|o| (date(&o["date_created"]), o["id"].as_u64().unwrap()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted);
    assert!(
        keys.windows(2).any(|w| w[0].0 == w[1].0),
        "seeded data has same-second orders"
    );

    // offset, and query parameters carried into links (encoded like WordPress does).
    let (_, h, body) = get_json(&shop, "orders?per_page=5&offset=3&orderby=id&order=asc").await;
    let ids: Vec<u64> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect();
    let first_id = shop.store().order_ids()[0];
    assert_eq!(ids, (first_id + 3..first_id + 8).collect::<Vec<_>>());
    assert!(header(&h, "link").contains("orderby=id&order=asc&page=2"));
    let (_, h, _) = get_json(
        &shop,
        "orders?modified_after=2024-01-01T00:00:00&per_page=5",
    )
    .await;
    assert!(header(&h, "link").contains("modified_after=2024-01-01T00%3A00%3A00"));

    // Other collections page the same way.
    for (path, total) in [("customers", 50), ("products", 40)] {
        let (_, h, _) = get_json(&shop, &format!("{path}?per_page=15")).await;
        assert_eq!(header(&h, "x-wp-total"), total.to_string());
        assert_eq!(
            header(&h, "x-wp-totalpages"),
            (total as u64).div_ceil(15).to_string()
        );
    }
}

#[tokio::test]
async fn modified_after_is_strict_and_ties_are_ordered() {
    let shop = shop(WooConfig {
        orders: 300,
        ..WooConfig::default()
    })
    .await;
    let all = walk(&shop, "orders?orderby=modified&order=asc&per_page=100").await;
    assert_eq!(all.len(), 300);
    let keys: Vec<(i64, u64)> = all
        .iter()
        .map(|o| (date(&o["date_modified"]), o["id"].as_u64().unwrap()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "ordered by (date_modified, id)");
    for o in &all {
        assert_eq!(o["date_modified"], o["date_modified_gmt"]);
    }

    // Pick the most shared modification second.
    let mut counts = std::collections::HashMap::<i64, usize>::new();
    for (m, _) in &keys {
        *counts.entry(*m).or_default() += 1;
    }
    let (&tie, &n) = counts.iter().max_by_key(|(t, n)| (**n, -**t)).unwrap();
    assert!(
        n >= 3,
        "bulk edits give several orders the same date_modified (got {n})"
    );

    let t = format_wc(tie);
    let after = walk(
        &shop,
        &format!("orders?orderby=modified&order=asc&per_page=7&modified_after={t}"),
    )
    .await;
    let expected: Vec<u64> = keys
        .iter()
        .filter(|(m, _)| *m > tie)
        .map(|(_, id)| *id)
        .collect();
    let got: Vec<u64> = after.iter().map(|o| o["id"].as_u64().unwrap()).collect();
    assert_eq!(got, expected, "modified_after is strictly after");

    let before = walk(
        &shop,
        &format!("orders?orderby=modified&order=asc&per_page=50&modified_before={t}"),
    )
    .await;
    assert_eq!(before.len(), keys.iter().filter(|(m, _)| *m < tie).count());

    // Same instant written with Z, an offset, or with dates_are_gmt: same answer.
    let (_, h1, _) = get_json(&shop, &format!("orders?modified_after={t}Z")).await;
    let (_, h2, _) = get_json(
        &shop,
        &format!("orders?modified_after={t}&dates_are_gmt=true"),
    )
    .await;
    let shifted = format_wc(tie + 7200);
    let (_, h3, _) = get_json(&shop, &format!("orders?modified_after={shifted}%2B02:00")).await;
    for h in [&h1, &h2, &h3] {
        assert_eq!(header(h, "x-wp-total"), expected.len().to_string());
    }

    // The same filter with another ordering (served by a different code path).
    let by_id = walk(
        &shop,
        &format!("orders?orderby=id&order=asc&per_page=100&modified_after={t}"),
    )
    .await;
    let mut ids = expected.clone();
    ids.sort();
    assert_eq!(
        by_id
            .iter()
            .map(|o| o["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        ids
    );

    // A tie cut by a page boundary still pages completely and without duplicates.
    let tied: Vec<u64> = keys
        .iter()
        .filter(|(m, _)| *m == tie)
        .map(|(_, id)| *id)
        .collect();
    let just_before = format_wc(tie - 1);
    let page1 = walk(&shop, &format!("orders?orderby=modified&order=asc&per_page=2&modified_after={just_before}&modified_before={}", format_wc(tie + 1))).await;
    assert_eq!(
        page1
            .iter()
            .map(|o| o["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        tied
    );

    // Invalid dates are rejected like WordPress does.
    let (status, _, body) = get_json(&shop, "orders?modified_after=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["data"]["params"]["modified_after"], "Invalid date.");
}

#[tokio::test]
async fn per_page_over_100_is_rejected() {
    let shop = shop(WooConfig::default()).await;
    let resp = get(&shop, "orders?per_page=101").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let text = resp.text().await.unwrap();
    assert!(text.starts_with(r#"{"code":"rest_invalid_param","message":"Invalid parameter(s): per_page","data":{"status":400,"#));
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body["data"]["params"],
        json!({"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"})
    );
    let (status, _, body) = get_json(&shop, "products?per_page=0&order=sideways").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "Invalid parameter(s): per_page, order");
    assert_eq!(
        body["data"]["params"]["order"],
        "order is not one of asc and desc."
    );
    let (status, _, _) = get_json(&shop, "orders?per_page=100").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = get_json(&shop, "orders?status=shipped").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["data"]["params"]["status"]
            .as_str()
            .unwrap()
            .starts_with("status[0] is not one of any, trash,")
    );
}

#[tokio::test]
async fn authentication_failures() {
    let shop = shop(WooConfig::default()).await;
    let c = client();
    let orders = url(&shop, "orders");

    let resp = c.get(&orders).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.","data":{"status":401}})
    );

    let resp = c
        .get(&orders)
        .basic_auth("ck_wrong", Some("cs_test"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        header(resp.headers(), "www-authenticate").starts_with("Basic realm=\"WooCommerce API.")
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "woocommerce_rest_authentication_error");
    assert_eq!(body["message"], "Consumer key is invalid.");

    let resp = c
        .get(&orders)
        .basic_auth("ck_test", Some("cs_wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "woocommerce_rest_authentication_error");
    assert_eq!(body["message"], "Consumer secret is invalid.");

    // Query-string credentials.
    let resp = c
        .get(format!(
            "{orders}?consumer_key=ck_test&consumer_secret=cs_test"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = c
        .get(format!(
            "{orders}?consumer_key=ck_test&consumer_secret=nope"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["message"],
        "Consumer secret is invalid."
    );
    let resp = c
        .get(format!(
            "{orders}?consumer_key=nope&consumer_secret=cs_test"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap()["message"],
        "Consumer key is invalid."
    );

    // Single records, writes, and the public index.
    let id = shop.store().order_ids()[0];
    let resp = c
        .get(url(&shop, &format!("orders/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["message"],
        "Sorry, you cannot view this resource."
    );
    let resp = c.get(url(&shop, "orders/1")).send().await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::NOT_FOUND,
        "unknown ids are 404 before the permission check"
    );
    let resp = c
        .put(url(&shop, &format!("orders/{id}")))
        .json(&json!({"status":"completed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "woocommerce_rest_cannot_edit"
    );
    let resp = c
        .post(url(&shop, "products"))
        .json(&json!({"name":"x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "woocommerce_rest_cannot_create"
    );
    let resp = c
        .get(format!("{}/wp-json/wc/v3", shop.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let index: Value = resp.json().await.unwrap();
    assert_eq!(index["namespace"], "wc/v3");
    assert!(index["routes"]["/wc/v3/orders"].is_object());
    let resp = c.get(url(&shop, "system_status")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let (status, _, body) = get_json(&shop, "system_status").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["environment"]["version"], "9.4.0");
    assert_eq!(body["environment"]["site_url"], shop.base_url());
    assert_eq!(shop.request_count(), 13);
}

#[tokio::test]
async fn single_records_and_not_found_codes() {
    let shop = shop(WooConfig::default()).await;
    let store = shop.store();
    let order_id = store.order_ids()[5];
    let (status, _, order) = get_json(&shop, &format!("orders/{order_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(order, store.order(order_id).unwrap());
    assert_eq!(order["number"], order_id.to_string());
    for k in [
        "total",
        "discount_total",
        "shipping_total",
        "total_tax",
        "cart_tax",
    ] {
        let s = order[k].as_str().unwrap();
        assert_eq!(s.split('.').nth(1).map(str::len), Some(2), "{k} = {s}");
    }
    assert!(order["date_created"].as_str().unwrap().len() == 19);
    // Totals add up and line items reference real products.
    let lines = order["line_items"].as_array().unwrap();
    let items: i64 = lines.iter().map(|l| cents(&l["total"])).sum();
    assert_eq!(
        cents(&order["total"]),
        items + cents(&order["shipping_total"]) + cents(&order["total_tax"])
    );
    for l in lines {
        let pid = l["product_id"].as_u64().unwrap();
        assert!(store.product(pid).is_some());
        let vid = l["variation_id"].as_u64().unwrap();
        if vid != 0 {
            assert_eq!(store.variation(pid, vid).unwrap()["sku"], l["sku"]);
        }
    }

    let variable = store
        .product_ids()
        .into_iter()
        .find(|id| !store.variation_ids(*id).unwrap().is_empty())
        .unwrap();
    let vids = store.variation_ids(variable).unwrap();
    assert!((2..=4).contains(&vids.len()));
    let (_, h, vars) = get_json(&shop, &format!("products/{variable}/variations")).await;
    assert_eq!(header(&h, "x-wp-total"), vids.len().to_string());
    assert_eq!(vars.as_array().unwrap().len(), vids.len());
    let (status, _, v) = get_json(
        &shop,
        &format!("products/{variable}/variations/{}", vids[0]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(v["attributes"][0]["option"].as_str().is_some());
    let (_, _, p) = get_json(&shop, &format!("products/{variable}")).await;
    assert_eq!(p["type"], "variable");
    assert_eq!(p["variations"].as_array().unwrap().len(), vids.len());

    let customer_id = store.customer_ids()[0];
    let (status, _, c) = get_json(&shop, &format!("customers/{customer_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["role"], "customer");
    assert!(c["billing"]["email"].as_str().unwrap().contains('@'));

    for (path, code) in [
        ("orders/1", "woocommerce_rest_shop_order_invalid_id"),
        ("products/999999", "woocommerce_rest_product_invalid_id"),
        (
            &format!("products/{variable}/variations/999999"),
            "woocommerce_rest_product_variation_invalid_id",
        ),
        ("customers/999999", "woocommerce_rest_invalid_id"),
        ("orders/999999/notes", "woocommerce_rest_order_invalid_id"),
        ("nothing/here", "rest_no_route"),
        ("orders/abc", "rest_no_route"),
    ] {
        let (status, _, body) = get_json(&shop, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["code"], code, "{path}");
    }
    let (_, _, body) = get_json(&shop, "orders/1").await;
    assert_eq!(
        body,
        json!({"code":"woocommerce_rest_shop_order_invalid_id","message":"Invalid ID.","data":{"status":404}})
    );

    // Trailing slashes and _fields work as on WordPress.
    let (status, _, body) = get_json(
        &shop,
        &format!("orders/{order_id}/?_fields=id,billing.email"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"id": order_id, "billing": {"email": order["billing"]["email"]}})
    );
}

fn cents(v: &Value) -> i64 {
    let s = v.as_str().unwrap();
    let (a, b) = s.split_once('.').unwrap();
    a.parse::<i64>().unwrap() * 100 + b.parse::<i64>().unwrap()
}

async fn newest_modified(shop: &WooEmulator, path: &str) -> i64 {
    let (_, _, body) = get_json(
        shop,
        &format!("{path}?orderby=modified&order=desc&per_page=1"),
    )
    .await;
    date(&body[0]["date_modified"])
}

#[tokio::test]
async fn writes_bump_date_modified_and_are_visible() {
    let shop = shop(WooConfig::default()).await;
    let store = shop.store();
    let put = reqwest::Method::PUT;
    let post = reqwest::Method::POST;

    // Order status.
    let before = newest_modified(&shop, "orders").await;
    let id = store
        .order_ids()
        .into_iter()
        .find(|id| store.order(*id).unwrap()["status"] == "processing")
        .unwrap();
    let (status, updated) = send(
        &shop,
        put.clone(),
        &format!("orders/{id}"),
        json!({"status": "completed", "meta_data": [{"key": "_tracking", "value": "3S123"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["status"], "completed");
    let m1 = date(&updated["date_modified"]);
    assert!(m1 > before);
    assert_eq!(updated["date_modified"], updated["date_modified_gmt"]);
    assert!(
        updated["meta_data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["key"] == "_tracking" && m["value"] == "3S123")
    );
    let (_, _, got) = get_json(&shop, &format!("orders/{id}")).await;
    assert_eq!(got["date_modified"], updated["date_modified"]);
    let (_, h, changed) = get_json(
        &shop,
        &format!("orders?modified_after={}", format_wc(before)),
    )
    .await;
    assert_eq!(header(&h, "x-wp-total"), "1");
    assert_eq!(changed[0]["id"], id);

    // Merge meta by key, and a second write in the same second still moves forward.
    let (_, again) = send(
        &shop,
        put.clone(),
        &format!("orders/{id}"),
        json!({"meta_data": [{"key": "_tracking", "value": "3S999"}]}),
    )
    .await;
    let m2 = date(&again["date_modified"]);
    assert!(m2 > m1);
    let tracking: Vec<&Value> = again["meta_data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["key"] == "_tracking")
        .collect();
    assert_eq!(tracking.len(), 1);
    assert_eq!(tracking[0]["value"], "3S999");
    let (_, _, changed) =
        get_json(&shop, &format!("orders?modified_after={}", format_wc(m1))).await;
    assert_eq!(changed.as_array().unwrap().len(), 1);

    // Notes: the status change left a system note; API notes come back with 201.
    let resp = client()
        .post(url(&shop, &format!("orders/{id}/notes")))
        .basic_auth("ck_test", Some("cs_test"))
        .json(&json!({"note": "Shipped with bpost: 3S999", "customer_note": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(header(resp.headers(), "location").contains(&format!("/orders/{id}/notes/")));
    let note: Value = resp.json().await.unwrap();
    assert_eq!(note["note"], "Shipped with bpost: 3S999");
    assert_eq!(note["customer_note"], true);
    let (_, _, notes) = get_json(&shop, &format!("orders/{id}/notes")).await;
    let texts: Vec<&str> = notes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["note"].as_str().unwrap())
        .collect();
    assert!(texts.contains(&"Shipped with bpost: 3S999"));
    assert!(
        texts.contains(&"Order status changed from Processing to Completed."),
        "{texts:?}"
    );
    assert!(updated["date_completed"].is_string());
    assert_eq!(
        store.order_notes(id).unwrap().len(),
        notes.as_array().unwrap().len()
    );

    // Products: prices and stock, with WooCommerce's derived fields.
    let pid = store
        .product_ids()
        .into_iter()
        .find(|p| store.variation_ids(*p).unwrap().is_empty())
        .unwrap();
    let p_before = newest_modified(&shop, "products").await;
    let (status, p) = send(
        &shop,
        put.clone(),
        &format!("products/{pid}"),
        json!({"regular_price": "19.99", "sale_price": "14.50", "manage_stock": true, "stock_quantity": 0}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            p["regular_price"].as_str(),
            p["sale_price"].as_str(),
            p["price"].as_str()
        ),
        (Some("19.99"), Some("14.50"), Some("14.50"))
    );
    assert_eq!(p["on_sale"], true);
    assert_eq!(p["stock_quantity"], 0);
    assert_eq!(p["stock_status"], "outofstock");
    assert!(date(&p["date_modified"]) > p_before);
    let (_, p) = send(
        &shop,
        put.clone(),
        &format!("products/{pid}"),
        json!({"sale_price": "", "stock_quantity": "7"}),
    )
    .await;
    assert_eq!(p["price"], "19.99");
    assert_eq!(p["stock_status"], "instock");
    let (_, _, changed) = get_json(
        &shop,
        &format!("products?modified_after={}", format_wc(p_before)),
    )
    .await;
    assert_eq!(changed.as_array().unwrap().len(), 1);
    assert_eq!(changed[0]["id"], pid);

    // Variations bump themselves and their parent.
    let vpid = store
        .product_ids()
        .into_iter()
        .find(|p| !store.variation_ids(*p).unwrap().is_empty())
        .unwrap();
    let vid = store.variation_ids(vpid).unwrap()[0];
    let parent_before = date(&store.product(vpid).unwrap()["date_modified"]);
    let (status, v) = send(
        &shop,
        put.clone(),
        &format!("products/{vpid}/variations/{vid}"),
        json!({"regular_price": "5", "sale_price": "", "manage_stock": true, "stock_quantity": 3}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["price"], "5");
    assert_eq!(v["stock_quantity"], 3);
    let parent = store.product(vpid).unwrap();
    assert!(date(&parent["date_modified"]) > parent_before);
    assert_eq!(parent["date_modified"], v["date_modified"]);
    let (_, _, vars) = get_json(
        &shop,
        &format!(
            "products/{vpid}/variations?modified_after={}",
            format_wc(parent_before)
        ),
    )
    .await;
    assert_eq!(vars.as_array().unwrap().len(), 1);

    // Customers.
    let cid = store.customer_ids()[1];
    let (status, c) = send(
        &shop,
        put.clone(),
        &format!("customers/{cid}"),
        json!({"first_name": "Renamed", "billing": {"city": "Namur"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["first_name"], "Renamed");
    assert_eq!(c["billing"]["city"], "Namur");
    let (_, _, cs) = get_json(
        &shop,
        &format!(
            "customers?modified_after={}",
            format_wc(date(&c["date_modified"]) - 1)
        ),
    )
    .await;
    assert_eq!(cs[0]["id"], cid);

    // Creates.
    let resp = client()
        .post(url(&shop, "orders"))
        .basic_auth("ck_test", Some("cs_test"))
        .json(&json!({
            "customer_id": cid,
            "set_paid": true,
            "payment_method": "bacs",
            "billing": {"first_name": "A", "email": "a@example.com"},
            "line_items": [{"product_id": pid, "quantity": 2}],
            "shipping_lines": [{"method_id": "flat_rate", "method_title": "Flat rate", "total": "5.00"}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let new_order: Value = resp.json().await.unwrap();
    assert_eq!(new_order["status"], "processing");
    assert_eq!(new_order["line_items"][0]["subtotal"], "39.98");
    // 39.98 + 21% (8.40) + shipping 5.00 + 21% (1.05)
    assert_eq!(new_order["total"], "54.43");
    assert_eq!(new_order["total_tax"], "9.45");
    assert!(new_order["date_paid"].is_string());
    let new_id = new_order["id"].as_u64().unwrap();
    assert!(new_id > *store.order_ids().iter().rev().nth(1).unwrap());
    let (_, _, newest) = get_json(&shop, "orders?per_page=1").await;
    assert_eq!(newest[0]["id"], new_id, "newest order first by default");

    let (status, product) = send(
        &shop,
        post.clone(),
        "products",
        json!({"name": "Emulated Widget", "regular_price": "3.10", "sku": "EMU-1"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(product["slug"], "emulated-widget");
    assert_eq!(product["price"], "3.10");
    let (status, dup) = send(
        &shop,
        post.clone(),
        "products",
        json!({"name": "Again", "sku": "EMU-1"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(dup["code"], "product_invalid_sku");
    let (status, customer) = send(
        &shop,
        post.clone(),
        "customers",
        json!({"email": "new.person@example.org", "first_name": "New"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(customer["username"], "new.person");
    let (status, _) = send(
        &shop,
        post.clone(),
        "customers",
        json!({"email": "new.person@example.org"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Direct store writes are visible over HTTP too, and every write is strictly later.
    let mut last = 0;
    for _ in 0..3 {
        let o = store.update_order_status(id, "on-hold").unwrap();
        let t = store.touch_product(pid).unwrap();
        assert!(date(&o["date_modified"]) > last);
        assert!(date(&t["date_modified"]) > date(&o["date_modified"]));
        last = date(&t["date_modified"]);
    }
    let (_, _, got) = get_json(&shop, &format!("orders/{id}")).await;
    assert_eq!(got["status"], "on-hold");
    let created = store
        .create_order(json!({"line_items": [{"product_id": pid, "quantity": 1}]}))
        .unwrap();
    assert_eq!(created["status"], "pending");
    assert_eq!(store.counts().orders, 202);
}

#[tokio::test]
async fn batch_endpoints_answer_like_woocommerce() {
    let shop = shop(WooConfig::default()).await;
    let store = shop.store();
    let post = reqwest::Method::POST;
    let simple: Vec<u64> = store
        .product_ids()
        .into_iter()
        .filter(|p| store.product(*p).unwrap()["type"] == "simple")
        .take(2)
        .collect();
    let (a, b) = (simple[0], simple[1]);

    // Products: one answer item per update, in order; a refused item carries its error and
    // leaves the others alone; the status is 200 either way.
    let before = newest_modified(&shop, "products").await;
    let (status, answer) = send(
        &shop,
        post.clone(),
        "products/batch",
        json!({"update": [
            {"id": a, "manage_stock": true, "stock_quantity": 11},
            {"id": 999_999, "stock_quantity": 1},
            {"id": b, "regular_price": "12.50", "sale_price": ""}
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer.as_object().unwrap().len(), 1, "{answer}");
    let update = answer["update"].as_array().unwrap();
    assert_eq!(update.len(), 3);
    assert_eq!(update[0]["id"], a);
    assert_eq!(update[0]["stock_quantity"], 11);
    assert_eq!(
        update[1],
        json!({"id": 999_999, "error": {"code": "woocommerce_rest_product_invalid_id",
               "message": "Invalid ID.", "data": {"status": 400}}})
    );
    assert_eq!(update[2]["regular_price"], "12.50");
    assert_eq!(store.product(a).unwrap()["stock_quantity"], 11);
    assert_eq!(store.product(b).unwrap()["regular_price"], "12.50");
    // Like single writes, each update moves date_modified.
    assert!(date(&update[0]["date_modified"]) > before);
    assert!(date(&update[2]["date_modified"]) > date(&update[0]["date_modified"]));
    let (_, h, _) = get_json(
        &shop,
        &format!("products?modified_after={}", format_wc(before)),
    )
    .await;
    assert_eq!(header(&h, "x-wp-total"), "2");

    // Variations, per product; an invalid value is refused for that item only.
    let (parent, variations) = store
        .product_ids()
        .into_iter()
        .find_map(|p| Some((p, store.variation_ids(p).filter(|v| v.len() >= 2)?)))
        .unwrap();
    let (status, answer) = send(
        &shop,
        reqwest::Method::PUT,
        &format!("products/{parent}/variations/batch"),
        json!({"update": [
            {"id": variations[0], "manage_stock": true, "stock_quantity": 4},
            {"id": variations[1], "regular_price": "abc"}
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["update"][0]["stock_quantity"], 4);
    assert_eq!(answer["update"][1]["id"], variations[1]);
    assert_eq!(answer["update"][1]["error"]["code"], "rest_invalid_param");
    assert_eq!(answer["update"][1]["error"]["data"]["status"], 400);
    assert_eq!(
        store.variation(parent, variations[0]).unwrap()["stock_quantity"],
        4
    );

    // Orders: a status change through the batch has the single write's side effects.
    let order = store
        .order_ids()
        .into_iter()
        .find(|id| store.order(*id).unwrap()["status"] == "processing")
        .unwrap();
    let (status, answer) = send(
        &shop,
        post.clone(),
        "orders/batch",
        json!({"update": [{"id": order, "status": "completed"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["update"][0]["status"], "completed");
    assert!(!answer["update"][0]["date_completed"].is_null());

    // Create and update together: members in create, update order; nothing: `[]`.
    let (_, answer) = send(
        &shop,
        post.clone(),
        "products/batch",
        json!({"create": [{"name": "Batch-made", "regular_price": "3.00"}],
               "update": [{"id": a, "stock_quantity": 12}]}),
    )
    .await;
    let keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["create", "update"]);
    let made = answer["create"][0]["id"].as_u64().unwrap();
    assert_eq!(store.product(made).unwrap()["name"], "Batch-made");
    let (status, answer) = send(&shop, post.clone(), "products/batch", json!({})).await;
    assert_eq!((status, answer), (StatusCode::OK, json!([])));

    // More than 100 items in all: 413, nothing applied.
    let items: Vec<Value> = (0..101)
        .map(|_| json!({"id": a, "stock_quantity": 99}))
        .collect();
    let (status, answer) = send(
        &shop,
        post.clone(),
        "products/batch",
        json!({"update": items}),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer["code"], "woocommerce_rest_request_entity_too_large");
    assert_eq!(
        answer["message"],
        "Unable to accept more than 100 items for this request."
    );
    assert_eq!(store.product(a).unwrap()["stock_quantity"], 12);

    // Not a list: 400; no credentials: 401 cannot_batch.
    let (status, answer) = send(
        &shop,
        post.clone(),
        "orders/batch",
        json!({"update": {"id": order}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["code"], "rest_invalid_param");
    let resp = client()
        .post(url(&shop, "orders/batch"))
        .json(&json!({"update": [{"id": order, "status": "on-hold"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "woocommerce_rest_cannot_batch");
    assert_eq!(store.order(order).unwrap()["status"], "completed");

    // The index lists the batch routes.
    let (_, _, index) = get_json(&shop, "").await;
    assert!(index["routes"]["/wc/v3/products/batch"].is_object());
    assert!(index["routes"]["/wc/v3/orders/batch"].is_object());
}

#[tokio::test]
async fn invalid_writes_are_rejected() {
    let shop = shop(WooConfig::default()).await;
    let store = shop.store();
    let put = reqwest::Method::PUT;
    let pid = store.product_ids()[0];
    let before = store.product(pid).unwrap();

    let (status, body) = send(
        &shop,
        put.clone(),
        &format!("products/{pid}"),
        json!({"stock_quantity": "abc"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "rest_invalid_param");
    assert_eq!(
        body["data"]["params"]["stock_quantity"],
        "stock_quantity is not of type integer."
    );
    let (status, body) = send(
        &shop,
        put.clone(),
        &format!("products/{pid}"),
        json!({"regular_price": "12,50"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["data"]["params"]["regular_price"].is_string());
    let (status, body) = send(
        &shop,
        put.clone(),
        &format!("products/{pid}"),
        json!({"regular_price": 12.5}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["data"]["params"]["regular_price"],
        "regular_price is not of type string."
    );
    let (_, body) = send(
        &shop,
        put.clone(),
        &format!("products/{pid}"),
        json!({"stock_status": "maybe"}),
    )
    .await;
    assert_eq!(
        body["data"]["params"]["stock_status"],
        "stock_status is not one of instock, outofstock, and onbackorder."
    );
    assert_eq!(
        store.product(pid).unwrap(),
        before,
        "rejected writes change nothing"
    );

    let order = store.order_ids()[0];
    let (status, body) = send(
        &shop,
        put.clone(),
        &format!("orders/{order}"),
        json!({"status": "shipped"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["data"]["params"]["status"]
            .as_str()
            .unwrap()
            .starts_with("status is not one of pending, processing,")
    );
    let (status, body) = send(
        &shop,
        put.clone(),
        "orders/1",
        json!({"status": "completed"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "woocommerce_rest_shop_order_invalid_id");

    let resp = client()
        .put(url(&shop, &format!("orders/{order}")))
        .basic_auth("ck_test", Some("cs_test"))
        .header("content-type", "application/json")
        .body("{\"status\":")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "rest_invalid_json"
    );
    let (status, body) = send(
        &shop,
        reqwest::Method::POST,
        &format!("orders/{order}/notes"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "rest_missing_callback_param");
    assert_eq!(
        store
            .update_order_status(order, "bogus")
            .unwrap_err()
            .code(),
        "rest_invalid_param"
    );
}

#[tokio::test]
async fn latency_server_error_and_rate_limit_faults() {
    let shop = shop(WooConfig::default()).await;
    shop.set_faults(vec![Fault::times(FaultKind::Latency { ms: 300 }, 1)]);
    let t = Instant::now();
    assert_eq!(get(&shop, "orders").await.status(), StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(300));
    let t = Instant::now();
    assert_eq!(get(&shop, "orders").await.status(), StatusCode::OK);
    assert!(t.elapsed() < Duration::from_millis(300));

    shop.set_faults(vec![Fault::times(FaultKind::ServerError, 2)]);
    for _ in 0..2 {
        let resp = get(&shop, "orders").await;
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "internal_server_error");
        assert_eq!(body["data"]["status"], 500);
    }
    assert_eq!(get(&shop, "orders").await.status(), StatusCode::OK);
    assert!(shop.faults().is_empty(), "exhausted faults are dropped");

    shop.set_faults(vec![Fault::always(FaultKind::RateLimited {
        retry_after_secs: 2,
    })]);
    for _ in 0..3 {
        let resp = get(&shop, "products").await;
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(header(resp.headers(), "retry-after"), "2");
    }
    shop.clear_faults();
    assert_eq!(get(&shop, "products").await.status(), StatusCode::OK);

    // A faulted write does not happen.
    let id = shop.store().order_ids()[0];
    let before = shop.store().order(id).unwrap();
    shop.set_faults(vec![Fault::times(FaultKind::ServerError, 1)]);
    let (status, _) = send(
        &shop,
        reqwest::Method::PUT,
        &format!("orders/{id}"),
        json!({"status": "cancelled"}),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(shop.store().order(id).unwrap(), before);
}

#[tokio::test]
async fn malformed_json_and_dropped_connections() {
    let shop = shop(WooConfig::default()).await;
    shop.set_faults(vec![Fault::times(FaultKind::MalformedJson, 1)]);
    let resp = get(&shop, "orders?per_page=5").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert!(!text.is_empty());
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "body must not parse"
    );

    // reqwest sees the body fail.
    shop.set_faults(vec![Fault::times(FaultKind::DropMidBody, 1)]);
    let resp = get(&shop, "orders?per_page=50").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.bytes().await.is_err(),
        "a dropped body is an error, not a short success"
    );
    assert_eq!(
        get(&shop, "orders?per_page=50").await.status(),
        StatusCode::OK
    );

    // A raw socket sees fewer bytes than Content-Length announced, then the connection end.
    shop.set_faults(vec![Fault::times(FaultKind::DropMidBody, 1)]);
    let mut sock = tokio::net::TcpStream::connect(shop.local_addr())
        .await
        .unwrap();
    let request = format!(
        "GET /wp-json/wc/v3/orders?per_page=50&consumer_key=ck_test&consumer_secret=cs_test HTTP/1.1\r\nHost: {}\r\n\r\n",
        shop.local_addr()
    );
    sock.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), sock.read(&mut buf))
            .await
            .unwrap()
        {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&received);
    let head_end = text.find("\r\n\r\n").unwrap();
    let head = &text[..head_end].to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"));
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .unwrap()
        .parse()
        .unwrap();
    let body_len = received.len() - head_end - 4;
    assert!(body_len > 0, "part of the body is sent");
    assert!(
        body_len < length,
        "body {body_len} < Content-Length {length}"
    );
}

#[tokio::test]
async fn control_endpoints_and_deterministic_probabilities() {
    let shop = shop(WooConfig::default()).await;
    let c = client();
    let faults_url = format!("{}/__emulator/faults", shop.base_url());
    let resp = c
        .post(&faults_url)
        .json(&json!([{"kind": "rate_limited", "retry_after_secs": 2, "probability": 1.0, "remaining": 3}]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let statuses = futures_statuses(&shop, 4).await;
    assert_eq!(statuses, vec![429, 429, 429, 200]);
    let stats: Value = c
        .get(format!("{}/__emulator/stats", shop.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], 4);
    assert_eq!(stats["faults_injected"], 3);
    assert_eq!(shop.request_count(), 4);

    let resp = c
        .post(&faults_url)
        .json(&json!([{"kind": "server_error"}, {"kind": "latency", "ms": 1}]))
        .send()
        .await
        .unwrap();
    let listed: Value = resp.json().await.unwrap();
    assert_eq!(
        listed,
        json!([{"kind":"server_error","probability":1.0,"remaining":null},{"kind":"latency","ms":1,"probability":1.0,"remaining":null}])
    );
    assert_eq!(futures_statuses(&shop, 1).await, vec![500]);
    assert_eq!(
        c.delete(&faults_url).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(futures_statuses(&shop, 1).await, vec![200]);
    let resp = c
        .post(&faults_url)
        .json(&json!([{"kind": "explode"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // The same probability fault hits the same requests in two emulators with one seed.
    let other = self::shop(WooConfig::default()).await;
    let mut runs = Vec::new();
    for s in [&shop, &other] {
        s.set_faults(vec![Fault::with_probability(FaultKind::ServerError, 0.5)]);
        runs.push(futures_statuses(s, 24).await);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&500) && runs[0].contains(&200));
    let third = self::shop(WooConfig {
        seed: 7,
        ..WooConfig::default()
    })
    .await;
    third.set_faults(vec![Fault::with_probability(FaultKind::ServerError, 0.5)]);
    assert_ne!(
        futures_statuses(&third, 24).await,
        runs[0],
        "another seed, another pattern"
    );
}

async fn futures_statuses(shop: &WooEmulator, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(get(shop, "orders?per_page=1").await.status().as_u16());
    }
    out
}

#[tokio::test]
async fn same_seed_same_data() {
    let a = shop(WooConfig::default()).await;
    let b = shop(WooConfig::default()).await;
    let c = shop(WooConfig {
        seed: 43,
        ..WooConfig::default()
    })
    .await;
    for path in [
        "orders?per_page=100",
        "orders?per_page=100&page=2&orderby=modified&order=asc",
        "customers?per_page=50",
        "products?per_page=40",
    ] {
        let body = |s: &WooEmulator| {
            let s_url = s.base_url();
            let path = path.to_owned();
            let shop_url = url(s, &path);
            async move {
                let text = client()
                    .get(shop_url)
                    .basic_auth("ck_test", Some("cs_test"))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                text.replace(&s_url, "http://shop")
            }
        };
        let (x, y, z) = (body(&a).await, body(&b).await, body(&c).await);
        assert_eq!(x, y, "{path}");
        assert_ne!(x, z, "{path}");
    }
    // Seeded dates are fixed, not relative to now.
    let newest = newest_modified(&a, "orders").await;
    assert!(newest <= junction_emulators::woocommerce::REFERENCE_INSTANT);
}

#[tokio::test]
async fn hundred_thousand_orders() {
    let t = Instant::now();
    let shop = shop(WooConfig {
        orders: 100_000,
        customers: 5_000,
        products: 2_000,
        ..WooConfig::default()
    })
    .await;
    let generated = t.elapsed();
    assert!(
        generated < Duration::from_secs(20),
        "generation took {generated:?}"
    );
    assert_eq!(shop.store().counts().orders, 100_000);

    let t = Instant::now();
    let (status, h, body) = get_json(&shop, "orders?per_page=100&page=1000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "x-wp-total"), "100000");
    assert_eq!(header(&h, "x-wp-totalpages"), "1000");
    assert_eq!(body.as_array().unwrap().len(), 100);
    assert!(!header(&h, "link").contains("rel=\"next\""));
    let oldest = shop.store().order_ids()[0];
    assert_eq!(
        body[99]["id"], oldest,
        "last page of date desc ends with the oldest order"
    );

    let (_, h, body) = get_json(
        &shop,
        "orders?per_page=100&page=1000&orderby=modified&order=asc",
    )
    .await;
    assert_eq!(body.as_array().unwrap().len(), 100);
    assert!(header(&h, "link").contains("rel=\"prev\""));
    let (_, _, body) = get_json(&shop, "orders?per_page=100&page=1001").await;
    assert_eq!(body, json!([]));
    let (_, h, _) = get_json(&shop, "orders?per_page=100&status=processing").await;
    assert!(header(&h, "x-wp-total").parse::<u64>().unwrap() > 5_000);
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "paging took {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn standalone_binary_serves_and_stops() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_junction-emulator"))
        .args([
            "woocommerce",
            "--listen",
            "127.0.0.1:0",
            "--orders",
            "30",
            "--consumer-key",
            "ck_demo",
            "--consumer-secret",
            "cs_demo",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        line
    })
    .await
    .unwrap();
    let base = line
        .trim()
        .strip_prefix("woocommerce emulator listening on ")
        .unwrap()
        .to_owned();
    let resp = client()
        .get(format!("{base}/wp-json/wc/v3/orders"))
        .basic_auth("ck_demo", Some("cs_demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(resp.headers(), "x-wp-total"), "30");
    let stats: Value = client()
        .get(format!("{base}/__emulator/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], 1);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exits cleanly on SIGTERM: {status}");
            break;
        }
        assert!(Instant::now() < deadline, "binary did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn deletes_use_the_trash_or_force_as_woocommerce_does() {
    let shop = shop(WooConfig::default()).await;
    let store = shop.store();
    let total = |h: &reqwest::header::HeaderMap| header(h, "x-wp-total").parse::<usize>().unwrap();
    let (_, h, _) = get_json(&shop, "orders").await;
    let orders_before = total(&h);

    // An order to the trash: left out of `any`, listed by `status=trash`, still readable.
    let order_id = store.order_ids()[3];
    let modified_before = store.order(order_id).unwrap()["date_modified_gmt"].clone();
    let (status, trashed) = send(
        &shop,
        reqwest::Method::DELETE,
        &format!("orders/{order_id}"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{trashed}");
    assert_eq!(trashed["status"], "trash");
    assert_ne!(
        trashed["date_modified_gmt"], modified_before,
        "trashing is a modification"
    );
    let (_, h, _) = get_json(&shop, "orders").await;
    assert_eq!(total(&h), orders_before - 1);
    let (_, _, in_trash) = get_json(&shop, "orders?status=trash&_fields=id").await;
    assert_eq!(in_trash, json!([{"id": order_id}]));
    let (status, _, order) = get_json(&shop, &format!("orders/{order_id}")).await;
    assert_eq!(
        (status, order["status"].as_str()),
        (StatusCode::OK, Some("trash"))
    );
    let (status, again) = send(
        &shop,
        reqwest::Method::DELETE,
        &format!("orders/{order_id}"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(again["code"], "woocommerce_rest_already_trashed");

    // For good: gone from every listing and 404 to a read.
    let (status, last) = send(
        &shop,
        reqwest::Method::DELETE,
        &format!("orders/{order_id}?force=true"),
        json!({}),
    )
    .await;
    assert_eq!((status, &last["id"]), (StatusCode::OK, &json!(order_id)));
    let (status, _, missing) = get_json(&shop, &format!("orders/{order_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["code"], "woocommerce_rest_shop_order_invalid_id");
    let (_, _, in_trash) = get_json(&shop, "orders?status=trash").await;
    assert_eq!(in_trash, json!([]));

    // Customers and variations do not support the trash.
    let customer_id = store.customer_ids()[0];
    let (status, refused) = send(
        &shop,
        reqwest::Method::DELETE,
        &format!("customers/{customer_id}"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    assert_eq!(refused["code"], "woocommerce_rest_trash_not_supported");
    let (status, _) = send(
        &shop,
        reqwest::Method::DELETE,
        &format!("customers/{customer_id}?force=true"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(store.customer(customer_id).is_none());

    // A variable product deleted for good takes its variations with it.
    let variable = store
        .product_ids()
        .into_iter()
        .find(|id| !store.variation_ids(*id).unwrap().is_empty())
        .unwrap();
    let vid = store.variation_ids(variable).unwrap()[0];
    let (status, refused) = send(
        &shop,
        reqwest::Method::DELETE,
        &format!("products/{variable}/variations/{vid}"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (
            StatusCode::NOT_IMPLEMENTED,
            Some("woocommerce_rest_trash_not_supported")
        )
    );
    let (status, _) = send(
        &shop,
        reqwest::Method::DELETE,
        &format!("products/{variable}?force=true"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(store.product(variable).is_none());
    assert!(store.variation(variable, vid).is_none());
    let (status, _, _) = get_json(&shop, &format!("products/{variable}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A bad `force` is named.
    let (status, bad) = send(
        &shop,
        reqwest::Method::DELETE,
        &format!("orders/{}?force=maybe", store.order_ids()[0]),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
}
