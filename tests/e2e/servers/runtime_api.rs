//! The Runtime API and admin API over HTTP against the real `junction` binary, the real
//! WooCommerce component and the emulator: set-up through the admin API, autosync, reads,
//! paging (also while records change), every write-back, idempotency, key isolation and
//! revocation, and a 400 naming the field for each kind of bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use junction_emulators::{WooConfig, WooEmulator};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const ADMIN: &str = "test-admin-token";

struct Server {
    process: common::ServerProcess,
    _data: tempfile::TempDir,
}

async fn start_server() -> Server {
    let data = tempfile::tempdir().unwrap();
    let plugins = data.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(
        common::component("woocommerce"),
        plugins.join("woocommerce.wasm"),
    )
    .unwrap();
    let process = common::spawn_server(
        data.path(),
        common::free_port(),
        &[("JUNCTION_ADMIN_TOKEN", ADMIN)],
    );
    common::wait_for_status(&process.base, "/readyz", 200).await;
    Server {
        process,
        _data: data,
    }
}

struct Api {
    client: Client,
    base: String,
}

impl Api {
    async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}/api/v1/admin{path}", self.base))
            .bearer_auth(ADMIN);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, key: &str, path: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(format!("{}/api/v1/api{path}", self.base))
            .header("X-API-KEY", key)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn post(
        &self,
        key: &str,
        path: &str,
        body: Value,
        idem: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(format!("{}/api/v1/api{path}", self.base))
            .bearer_auth(key)
            .json(&body);
        if let Some(idem) = idem {
            req = req.header("Idempotency-Key", idem);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

/// B's key against every Runtime API route, aimed at A's records: reads answer only from
/// B's copy (A's ids are 404), writes change nothing, and not one request reaches A's shop.
/// Every route of the route table must be exercised here.
async fn every_endpoint_is_isolated(
    api: &Api,
    key_b: &str,
    conn_b: &str,
    shop_a: &WooEmulator,
    shop_b: &WooEmulator,
) {
    let (a, b) = (shop_a.store(), shop_b.store());
    let only_a = |a_ids: Vec<u64>, b_ids: Vec<u64>| {
        a_ids.into_iter().find(|id| !b_ids.contains(id)).unwrap()
    };
    let order = only_a(a.order_ids(), b.order_ids());
    let product = a
        .product_ids()
        .into_iter()
        .filter(|id| !b.product_ids().contains(id))
        .find(|id| a.variation_ids(*id).is_some_and(|v| !v.is_empty()))
        .expect("an A-only variable product");
    let variation = a.variation_ids(product).unwrap()[0];
    let customer = a.customer_ids()[0];
    let before = (
        a.order(order),
        a.order_notes(order),
        a.product(product),
        a.variation(product, variation),
    );
    let a_requests = shop_a.request_count();

    let get = |path: String| async move { api.get(key_b, &path).await };
    let ids = |page: &Value| -> BTreeSet<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["externalId"].as_str().unwrap().to_string())
            .collect()
    };
    let strings = |ids: Vec<u64>| ids.into_iter().map(|i| i.to_string()).collect();
    let mut covered: BTreeSet<(&str, &str)> = BTreeSet::new();

    let (status, me) = get("/me".into()).await;
    assert_eq!(
        (status, me["connectionId"].as_str()),
        (StatusCode::OK, Some(conn_b))
    );
    covered.insert(("get", "/me"));
    assert_eq!(get("/capabilities".into()).await.0, StatusCode::OK);
    covered.insert(("get", "/capabilities"));
    assert_eq!(get("/health/connection".into()).await.0, StatusCode::OK);
    covered.insert(("get", "/health/connection"));

    for (path, b_ids) in [
        ("/orders", b.order_ids()),
        ("/customers", b.customer_ids()),
        ("/products", b.product_ids()),
    ] {
        let (status, page) = get(format!("{path}?pageSize=500")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(ids(&page), strings(b_ids), "{path} lists B's records only");
        covered.insert(("get", path));
    }
    for (route, path) in [
        ("/orders/{id}", format!("/orders/{order}")),
        ("/products/{id}", format!("/products/{product}")),
        (
            "/products/{id}/variations",
            format!("/products/{product}/variations"),
        ),
    ] {
        assert_eq!(get(path.clone()).await.0, StatusCode::NOT_FOUND, "{path}");
        covered.insert(("get", route));
    }
    // Customer ids overlap between the shops: B's key must get B's customer, never A's.
    let (status, shown) = get(format!("/customers/{customer}")).await;
    match b.customer(customer) {
        Some(theirs) => {
            assert_eq!(status, StatusCode::OK);
            assert_eq!(
                shown["email"], theirs["email"],
                "B's own customer {customer}"
            );
        }
        None => assert_eq!(status, StatusCode::NOT_FOUND),
    }
    covered.insert(("get", "/customers/{id}"));

    let v = format!("/products/{product}/variations/{variation}");
    for (route, path, body) in [
        (
            "/orders/{id}/status",
            format!("/orders/{order}/status"),
            json!({"status": "completed"}),
        ),
        (
            "/orders/{id}/tracking",
            format!("/orders/{order}/tracking"),
            json!({"trackingNumber": "X1"}),
        ),
        (
            "/products/{id}/stock",
            format!("/products/{product}/stock"),
            json!({"stockQuantity": 999}),
        ),
        (
            "/products/{id}/price",
            format!("/products/{product}/price"),
            json!({"price": "1.23"}),
        ),
        (
            "/products/{id}/variations/{vid}/stock",
            format!("{v}/stock"),
            json!({"stockQuantity": 999}),
        ),
        (
            "/products/{id}/variations/{vid}/price",
            format!("{v}/price"),
            json!({"price": "1.23"}),
        ),
    ] {
        // Forwarded (if at all) to B's own shop, which has no such record: a 4xx either way.
        let (status, _) = api.post(key_b, &path, body, None).await;
        assert!(status.is_client_error(), "B writing {path}: {status}");
        covered.insert(("post", route));
    }

    // A push names no connection, and B's connector (a shop) takes none: refused, and
    // nothing lands in B's copy or in A's.
    let pushed = json!({"platform": "custom", "orderNumber": order.to_string(), "orderStatus": "processing"});
    let (status, answer) = api.post(key_b, "/orders", pushed, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(answer["code"], "push_not_accepted");
    let (status, _) = get(format!("/orders/custom:{order}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    covered.insert(("post", "/orders"));

    let routes: BTreeSet<(&str, &str)> = junction::api::runtime_api::route_table()
        .iter()
        .map(|r| (r.verb.as_str(), r.path))
        .collect();
    assert_eq!(
        covered, routes,
        "every Runtime API route is checked for isolation"
    );
    let after = (
        a.order(order),
        a.order_notes(order),
        a.product(product),
        a.variation(product, variation),
    );
    assert_eq!(before, after, "A's records are unchanged");
    assert_eq!(
        shop_a.request_count(),
        a_requests,
        "no request reached A's shop"
    );
}

/// Tenant + connection + key for a shop; waits until orders and products are synced.
async fn connect(api: &Api, tenant: &str, shop: &WooEmulator) -> (String, String) {
    let (status, _) = api
        .admin(
            reqwest::Method::POST,
            "/tenants",
            Some(json!({"name": tenant})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let config = json!({"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"});
    let (status, created) = api
        .admin(reqwest::Method::POST, "/connections", Some(json!({"tenant": tenant, "connector": "woocommerce", "name": "shop", "config": config})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["config"]["consumer_secret"], "***",
        "secrets are never shown"
    );
    let id = created["connection"]["id"].as_str().unwrap().to_string();
    let (status, key) = api
        .admin(
            reqwest::Method::POST,
            &format!("/connections/{id}/keys"),
            Some(json!({"name": "test"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let key = key["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("jct_live_") && key.len() >= 9 + 22, "{key}");
    wait_synced(api, &id, &["orders", "products"]).await;
    (id, key)
}

async fn wait_synced(api: &Api, id: &str, resources: &[&str]) {
    let start = Instant::now();
    loop {
        let (_, view) = api
            .admin(reqwest::Method::GET, &format!("/connections/{id}"), None)
            .await;
        let states = view["resources"].as_array().cloned().unwrap_or_default();
        let done = resources.iter().all(|r| {
            states.iter().any(|s| {
                s["resource"] == *r && s["lastStatus"] == "succeeded" && s["runId"].is_null()
            })
        });
        if done {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "sync did not finish: {view}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn all_ids(api: &Api, key: &str, path: &str, page_size: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for page in 1.. {
        let (status, body) = api
            .get(key, &format!("{path}?page={page}&pageSize={page_size}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["page"], page);
        ids.extend(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["externalId"].as_str().unwrap().to_string()),
        );
        if !body["hasMore"].as_bool().unwrap() {
            return ids;
        }
    }
    unreachable!()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_api_end_to_end() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: 120,
            products: 12,
            variable_every: 3,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let other_shop = junction_emulators::start(
        WooConfig {
            orders: 7,
            products: 3,
            seed: 7,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let server = start_server().await;
    let api = Api {
        client: Client::new(),
        base: server.process.base.clone(),
    };
    let (conn_a, key_a) = connect(&api, "acme", &shop).await;
    let (conn_b, key_b) = connect(&api, "globex", &other_shop).await;

    // me
    let (status, me) = api.get(&key_a, "/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["connectionId"], conn_a.as_str());
    assert_eq!(me["connectorKey"], "woocommerce");

    // Lists page to the end; keys are isolated.
    let ids = all_ids(&api, &key_a, "/orders", 50).await;
    assert_eq!(ids.len(), 120);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 120);
    assert_eq!(all_ids(&api, &key_b, "/orders", 50).await.len(), 7);
    let b_only = shop
        .store()
        .order_ids()
        .into_iter()
        .map(|i| i.to_string())
        .find(|i| {
            !other_shop
                .store()
                .order_ids()
                .iter()
                .any(|o| o.to_string() == *i)
        })
        .unwrap();
    assert_eq!(
        api.get(&key_b, &format!("/orders/{b_only}")).await.0,
        StatusCode::NOT_FOUND,
        "B cannot read A's order"
    );
    let (status, _) = api
        .post(
            &key_b,
            &format!("/orders/{b_only}/status"),
            json!({"status": "completed"}),
            None,
        )
        .await;
    assert_ne!(status, StatusCode::OK, "B cannot write A's order");
    assert_ne!(
        shop.store().order(b_only.parse().unwrap()).unwrap()["status"],
        "completed"
    );
    every_endpoint_is_isolated(&api, &key_b, &conn_b, &shop, &other_shop).await;

    // Single reads, filters.
    let (status, order) = api.get(&key_a, &format!("/orders/{}", ids[0])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(order["modifiedAt"].as_str().unwrap().ends_with('Z') && order["lineItems"].is_array());
    let (_, processing) = api
        .get(&key_a, "/orders?status=processing&pageSize=500")
        .await;
    assert!(
        processing["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "processing")
    );
    let newest = order["modifiedAt"].as_str().unwrap();
    let (_, since) = api
        .get(
            &key_a,
            &format!("/orders?updatedSince={newest}&pageSize=500"),
        )
        .await;
    assert!(
        since["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["modifiedAt"].as_str().unwrap() >= newest)
    );

    // Cursor paging has no gaps or duplicates while records change between pages.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut changed = BTreeSet::new();
    let store = shop.store();
    for round in 0.. {
        let path = match &cursor {
            Some(c) => format!("/orders?pageSize=25&cursor={c}"),
            None => "/orders?pageSize=25".into(),
        };
        let (_, page) = api.get(&key_a, &path).await;
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["externalId"].as_str().unwrap().to_string()),
        );
        if round < 2 {
            // Change an order already read, upstream and locally (via a write-back).
            let id = &seen[round * 3];
            let (status, _) = api
                .post(
                    &key_a,
                    &format!("/orders/{id}/status"),
                    json!({"status": "on-hold"}),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            changed.insert(id.clone());
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 120, "no gaps");
    assert_eq!(
        seen.len(),
        120 + changed.len(),
        "only the changed orders appear twice (again at the end)"
    );
    assert_eq!(
        store
            .order(changed.iter().next().unwrap().parse().unwrap())
            .unwrap()["status"],
        "on-hold"
    );

    // Write-backs reach the shop and the local copy.
    let order_id = &ids[5];
    let (status, body) = api.post(&key_a, &format!("/orders/{order_id}/tracking"), json!({"trackingNumber": "BE123456789", "trackingProvider": "bpost", "trackingUrl": "https://track.example/BE123456789"}), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, local) = api.get(&key_a, &format!("/orders/{order_id}")).await;
    // The single-record envelope: a write's `data` is the record a read answers bare.
    assert_eq!(
        (&body["success"], &body["externalId"]),
        (&json!(true), &json!(order_id))
    );
    assert_eq!(body["data"], local, "a write's data is what GET answers");
    assert!(
        local["tracking"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["number"] == "BE123456789"),
        "{local}"
    );
    let simple = store
        .product_ids()
        .into_iter()
        .find(|p| store.product(*p).unwrap()["type"] == "simple")
        .unwrap();
    let (status, _) = api
        .post(
            &key_a,
            &format!("/products/{simple}/stock"),
            json!({"stockQuantity": 42}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(store.product(simple).unwrap()["stock_quantity"], 42);
    let (status, _) = api
        .post(
            &key_a,
            &format!("/products/{simple}/price"),
            json!({"price": 19.99}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(store.product(simple).unwrap()["regular_price"], "19.99");
    let (_, local) = api.get(&key_a, &format!("/products/{simple}")).await;
    assert_eq!(
        (
            local["stockQuantity"].clone(),
            local["regularPrice"].clone()
        ),
        (json!(42), json!("19.99"))
    );
    // A sale runs (set in the shop); a price write without `salePrice` keeps it, and the
    // answer says so; `"salePrice": ""` ends it.
    store
        .update_product(simple, json!({"sale_price": "15.00"}))
        .unwrap();
    let (status, answer) = api
        .post(
            &key_a,
            &format!("/products/{simple}/price"),
            json!({"price": "21.00"}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let in_shop = store.product(simple).unwrap();
    assert_eq!(
        (
            &in_shop["regular_price"],
            &in_shop["sale_price"],
            &in_shop["price"]
        ),
        (&json!("21.00"), &json!("15.00"), &json!("15.00")),
        "a price write ended the sale"
    );
    assert_eq!(answer["data"]["salePrice"], "15.00", "{answer}");
    let (status, answer) = api
        .post(
            &key_a,
            &format!("/products/{simple}/price"),
            json!({"price": "21.00", "salePrice": ""}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(store.product(simple).unwrap()["sale_price"], "");
    assert_eq!(store.product(simple).unwrap()["price"], "21.00");
    let variable = store
        .product_ids()
        .into_iter()
        .find(|p| store.variation_ids(*p).is_some_and(|v| !v.is_empty()))
        .unwrap();
    let vid = store.variation_ids(variable).unwrap()[0];
    let (status, _) = api
        .post(
            &key_a,
            &format!("/products/{variable}/variations/{vid}/stock"),
            json!({"stockQuantity": "10"}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api
        .post(
            &key_a,
            &format!("/products/{variable}/variations/{vid}/price"),
            json!({"price": "9.99"}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let v = store.variation(variable, vid).unwrap();
    assert_eq!(
        (v["stock_quantity"].clone(), v["regular_price"].clone()),
        (json!(10), json!("9.99"))
    );
    // A write to a record the copy does not hold — an unknown order, a variation under
    // another product — is a 404 from the copy; nothing reaches the shop.
    let requests_before = shop.request_count();
    for (path, body) in [
        (
            "/orders/999999/status".to_string(),
            json!({"status": "completed"}),
        ),
        (
            format!("/products/{simple}/variations/{vid}/stock"),
            json!({"stockQuantity": 1}),
        ),
        (
            format!("/products/{variable}/variations/999999/price"),
            json!({"price": "1.00"}),
        ),
    ] {
        let (status, refused) = api.post(&key_a, &path, body, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {refused}");
        assert_eq!(refused["code"], "not_found", "{path}: {refused}");
    }
    assert_eq!(
        shop.request_count(),
        requests_before,
        "no request reached the shop"
    );

    let (status, variations) = api
        .get(&key_a, &format!("/products/{variable}/variations"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        variations["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["externalId"].as_str() == Some(vid.to_string().as_str())),
        "{variations}"
    );
    assert_eq!(
        api.get(&key_a, "/products/999999/variations").await.0,
        StatusCode::NOT_FOUND
    );

    // Idempotency: the same key replays, a different body with it is refused.
    let requests = shop.request_count();
    let (s1, b1) = api
        .post(
            &key_a,
            &format!("/orders/{order_id}/status"),
            json!({"status": "completed"}),
            Some("idem-1"),
        )
        .await;
    let after_first = shop.request_count();
    let (s2, b2) = api
        .post(
            &key_a,
            &format!("/orders/{order_id}/status"),
            json!({"status": "completed"}),
            Some("idem-1"),
        )
        .await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(b1, b2);
    assert!(
        after_first > requests && shop.request_count() == after_first,
        "the replay did not call the shop"
    );
    let (s3, b3) = api
        .post(
            &key_a,
            &format!("/orders/{order_id}/status"),
            json!({"status": "cancelled"}),
            Some("idem-1"),
        )
        .await;
    assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY, "{b3}");

    // Capabilities and health.
    let (_, caps) = api.get(&key_a, "/capabilities").await;
    assert_eq!(caps["orderStatus"], true);
    let (status, health) = api.get(&key_a, "/health/connection").await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert!(health["latencyMs"].is_number());

    // Bad input: a 400 naming the field, in the one error shape.
    for (path, field) in [
        ("/orders?page=0", "page"),
        ("/orders?pageSize=9999", "pageSize"),
        ("/orders?updatedSince=yesterday", "updatedSince"),
        ("/orders?cursor=garbage", "cursor"),
        ("/orders?sort=asc", "sort"),
        ("/customers?status=x", "status"),
    ] {
        let (status, body) = api.get(&key_a, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["field"], field, "{path}: {body}");
        assert!(
            body["code"].is_string() && body["message"].is_string(),
            "{body}"
        );
    }
    for (path, body, field) in [
        (format!("/orders/{order_id}/status"), json!({}), "status"),
        (
            format!("/orders/{order_id}/status"),
            json!({"status": 5}),
            "status",
        ),
        (
            format!("/orders/{order_id}/tracking"),
            json!({"trackingProvider": "bpost"}),
            "trackingNumber",
        ),
        (
            format!("/products/{simple}/stock"),
            json!({"stockQuantity": 1.5}),
            "stockQuantity",
        ),
        (
            format!("/products/{simple}/price"),
            json!({"price": "abc"}),
            "price",
        ),
        (
            format!("/products/{simple}/price"),
            json!({"price": -3}),
            "price",
        ),
    ] {
        let (status, resp) = api.post(&key_a, &path, body.clone(), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {resp}");
        assert_eq!(resp["field"], field, "{path} {body}: {resp}");
    }
    let raw = api
        .client
        .post(format!(
            "{}/api/v1/api/orders/{order_id}/status",
            server.process.base
        ))
        .header("X-API-KEY", &key_a)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);

    // Auth: none, wrong, revoked — on reads and writes.
    let none = api
        .client
        .get(format!("{}/api/v1/api/orders", server.process.base))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        api.get("jct_live_wrong", "/orders").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, keys) = api
        .admin(
            reqwest::Method::GET,
            &format!("/connections/{conn_b}/keys"),
            None,
        )
        .await;
    let key_b_id = keys["data"][0]["id"].as_str().unwrap().to_string();
    assert!(
        keys["data"][0]["prefix"]
            .as_str()
            .unwrap()
            .starts_with("jct_live_")
    );
    assert!(keys["data"][0]["lastUsedMs"].is_number());
    let (status, _) = api
        .admin(reqwest::Method::DELETE, &format!("/keys/{key_b_id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get(&key_b, "/me").await.0,
        StatusCode::UNAUTHORIZED,
        "revocation is immediate"
    );
    assert_eq!(
        api.post(&key_b, "/orders/1/status", json!({"status": "x"}), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.admin(reqwest::Method::GET, "/tenants", None).await.0,
        StatusCode::OK
    );
    let no_admin = api
        .client
        .get(format!("{}/api/v1/admin/tenants", server.process.base))
        .send()
        .await
        .unwrap();
    assert_eq!(no_admin.status(), StatusCode::UNAUTHORIZED);

    // Prometheus metrics: runs, records, connector calls and API latency by route template.
    let metrics = api
        .client
        .get(format!("{}/metrics", server.process.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = |name: &str, parts: &[&str]| {
        metrics
            .lines()
            .any(|l| l.starts_with(name) && parts.iter().all(|p| l.contains(p)))
    };
    assert!(
        line(
            "junction_sync_runs_total",
            &[r#"resource="orders""#, r#"status="succeeded""#]
        ),
        "{metrics}"
    );
    assert!(
        line("junction_sync_records_total", &[r#"resource="orders""#]),
        "{metrics}"
    );
    assert!(
        line(
            "junction_connector_calls_total",
            &[r#"connector="woocommerce""#, r#"call="write""#]
        ),
        "{metrics}"
    );
    assert!(
        line(
            "junction_http_requests_total",
            &[r#"route="/api/v1/api/orders/{id}""#, r#"status="200""#]
        ),
        "{metrics}"
    );
    assert!(
        line(
            "junction_http_request_duration_seconds_bucket",
            &[r#"route="/api/v1/api/orders""#]
        ),
        "{metrics}"
    );

    // Runs are recorded.
    let (_, runs) = api
        .admin(
            reqwest::Method::GET,
            &format!("/connections/{conn_a}/runs?resource=orders"),
            None,
        )
        .await;
    let run = &runs["data"][0];
    assert_eq!(run["status"], "succeeded");
    assert!(
        run["records"].as_i64().unwrap() >= 120 && run["pages"].as_i64().unwrap() >= 1,
        "{run}"
    );
}

/// Answers are compressed when the client asks: gzip, brotli and zstd by `Accept-Encoding`,
/// each decoding to exactly the identity answer and several times smaller; a client asking
/// for none gets identity. The admin API too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_compressed_when_the_client_asks() {
    use std::io::Read;
    let shop = junction_emulators::start(
        WooConfig {
            orders: 60,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let server = start_server().await;
    let api = Api {
        client: Client::new(),
        base: server.process.base.clone(),
    };
    let (_, key) = connect(&api, "acme", &shop).await;
    let fetch = |path: String, auth: (&'static str, String), encoding: Option<&'static str>| {
        let client = api.client.clone();
        async move {
            let mut req = client.get(path).header(auth.0, auth.1);
            if let Some(encoding) = encoding {
                req = req.header("accept-encoding", encoding);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            let header = resp
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_string());
            (header, resp.bytes().await.unwrap().to_vec())
        }
    };
    let orders = format!("{}/api/v1/api/orders?pageSize=50", api.base);
    let runtime_auth = || ("x-api-key", key.clone());
    let (plain_encoding, plain) = fetch(orders.clone(), runtime_auth(), None).await;
    assert_eq!(plain_encoding, None, "no Accept-Encoding, no compression");
    let identity = fetch(orders.clone(), runtime_auth(), Some("identity")).await;
    assert_eq!(identity, (None, plain.clone()));
    for (asked, answered) in [
        ("gzip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("br;q=0.5, gzip;q=1.0", "gzip"),
    ] {
        let (encoding, body) = fetch(orders.clone(), runtime_auth(), Some(asked)).await;
        assert_eq!(
            encoding.as_deref(),
            Some(answered),
            "Accept-Encoding: {asked}"
        );
        let mut decoded = Vec::new();
        match answered {
            "gzip" => {
                flate2::read::GzDecoder::new(&body[..])
                    .read_to_end(&mut decoded)
                    .unwrap();
            }
            "br" => {
                brotli::Decompressor::new(&body[..], 4096)
                    .read_to_end(&mut decoded)
                    .unwrap();
            }
            _ => decoded = zstd::stream::decode_all(&body[..]).unwrap(),
        }
        assert_eq!(decoded, plain, "{answered} decodes to the identity answer");
        assert!(
            body.len() * 3 < plain.len(),
            "{answered}: {} bytes for {} plain",
            body.len(),
            plain.len()
        );
    }
    // The admin API answers compressed too.
    let (encoding, _) = fetch(
        format!("{}/api/v1/admin/connections", api.base),
        ("authorization", format!("Bearer {ADMIN}")),
        Some("gzip"),
    )
    .await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
}
