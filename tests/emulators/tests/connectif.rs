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

fn quick_jobs() -> ConnectifConfig {
    ConnectifConfig {
        job_delay: Duration::from_millis(200),
        ..ConnectifConfig::default()
    }
}

/// Polls `path` until its `status` is `finished` (at most ~2 s); the statuses seen.
async fn until_finished(emu: &ConnectifEmulator, path: &str) -> (Vec<String>, Value) {
    let mut seen = Vec::new();
    for _ in 0..40 {
        let a = call(emu, KEY, Method::GET, path, None).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let status = a.body["status"].as_str().unwrap().to_owned();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status == "finished" {
            return (seen, a.body);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{path} never finished: {seen:?}");
}

/// The data of the single stored entry of a zip the emulator serves.
fn stored_entry(zip: &[u8]) -> String {
    assert_eq!(&zip[..4], b"PK\x03\x04");
    assert_eq!(u16::from_le_bytes([zip[8], zip[9]]), 0, "stored");
    let size = u32::from_le_bytes([zip[18], zip[19], zip[20], zip[21]]) as usize;
    let name = u16::from_le_bytes([zip[26], zip[27]]) as usize;
    let extra = u16::from_le_bytes([zip[28], zip[29]]) as usize;
    let start = 30 + name + extra;
    String::from_utf8(zip[start..start + size].to_vec()).unwrap()
}

#[tokio::test]
async fn contacts_export_runs_then_serves_a_zipped_csv() {
    let emu = account(quick_jobs()).await;
    emu.store().seed_contacts(3);
    let body = json!({"exportType": "contacts", "delimiter": ",", "dateFormat": "ISO"});
    let a = call(&emu, KEY, Method::POST, "/exports", Some(body)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["status"], "created");
    assert_eq!(a.body["exportType"], "contacts");
    assert!(a.body.get("fileUrl").is_none());
    let remaining = header(&a, "x-ratelimit-remaining");
    let id = a.body["id"].as_str().unwrap().to_owned();

    // A contact changed after the request is not in the file: it is a snapshot.
    emu.store().seed_contacts(4);
    let (seen, done) = until_finished(&emu, &format!("/exports/{id}")).await;
    assert_eq!(seen.last().unwrap(), "finished");
    assert!(
        seen.contains(&"running".to_owned()) || seen.len() >= 2,
        "{seen:?}"
    );
    assert_eq!(done["progress"], 100);
    assert_eq!(done["total"], 3);
    let polled = call(&emu, KEY, Method::GET, &format!("/exports/{id}"), None).await;
    assert!(
        header(&polled, "x-ratelimit-remaining") < remaining,
        "polls are counted"
    );

    let file = reqwest::get(done["fileUrl"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    let csv = stored_entry(&file.bytes().await.unwrap());
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("_email,_name,_surname"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[0].starts_with("contact-1@example.com,Contact1,Seeded"));

    let a = call(&emu, KEY, Method::GET, "/exports/nope", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn exports_refuse_what_the_reference_refuses() {
    let emu = account(quick_jobs()).await;
    let dated = json!({"exportType": "contacts", "delimiter": ",", "dateFormat": "ISO",
        "filters": {"fromDate": "2026-01-01T00:00:00Z"}});
    let a = call(&emu, KEY, Method::POST, "/exports", Some(dated)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body["detail"]
            .as_str()
            .unwrap()
            .contains("filters.fromDate")
    );
    let a = call(
        &emu,
        KEY,
        Method::POST,
        "/exports",
        Some(json!({"exportType": "contacts"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body["detail"].as_str().unwrap().contains("delimiter"));
    let resp = reqwest::Client::new()
        .post(format!("{}/exports", emu.base_url()))
        .header("Authorization", "apiKey cnf_test_key")
        .body("exportType=contacts")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

fn multipart(fields: &[(&str, &str)], csv: &str) -> (String, Vec<u8>) {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--b0undary\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--b0undary--\r\n"
    ));
    (
        "multipart/form-data; boundary=b0undary".to_owned(),
        body.into_bytes(),
    )
}

async fn post_import(emu: &ConnectifEmulator, fields: &[(&str, &str)], csv: &str) -> Answer {
    let (content_type, body) = multipart(fields, csv);
    let resp = reqwest::Client::new()
        .post(format!("{}/imports", emu.base_url()))
        .header("Authorization", "apiKey cnf_test_key")
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap();
    Answer {
        status,
        headers,
        body,
    }
}

const UPSERT: &[(&str, &str)] = &[
    ("type", "contacts"),
    ("delimiter", ","),
    ("overrideExisting", "true"),
    ("updateOnlyEmptyFields", "false"),
];

#[tokio::test]
async fn contacts_import_applies_rows_and_reports_failed_ones() {
    let emu = account(quick_jobs()).await;
    emu.store().seed_contacts(1);
    let csv = "_email,_name,_mobilePhone,_points\r\n\
        contact-1@example.com,Renamed,,\r\n\
        new@example.com,\"Doe, Jo\",+34600000000,7\r\n\
        not-an-email,X,,\r\n\
        bad@example.com,Y,12,\r\n";
    let a = post_import(&emu, UPSERT, csv).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["status"], "queued");
    assert_eq!(a.body["options"]["overrideExisting"], true);
    assert!(
        header(&a, "x-ratelimit-remaining") < 100,
        "imports are counted"
    );
    let id = a.body["id"].as_str().unwrap().to_owned();
    let (_, done) = until_finished(&emu, &format!("/imports/{id}")).await;
    assert_eq!(
        (done["total"].as_u64(), done["success"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(done["errors"], 2);

    let store = emu.store();
    assert_eq!(
        store.contact("contact-1@example.com").unwrap()["_name"],
        "Renamed"
    );
    let new = store.contact("new@example.com").unwrap();
    assert_eq!(new["_name"], "Doe, Jo");
    assert_eq!(new["_points"], 7);
    assert!(store.contact("bad@example.com").is_none());
    assert_eq!(store.imported_contacts(), 2);

    let report = reqwest::get(done["errorReportFileUrl"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], "row,_email,error");
    assert!(lines[1].starts_with("3,not-an-email,"), "{report}");
    assert!(
        lines[2].starts_with("4,bad@example.com,") && lines[2].contains("_mobilePhone"),
        "{report}"
    );
}

#[tokio::test]
async fn import_options_are_honoured_and_checked() {
    let emu = account(ConnectifConfig {
        job_delay: Duration::ZERO,
        ..ConnectifConfig::default()
    })
    .await;
    emu.store().seed_contacts(1);
    let keep = [
        ("type", "contacts"),
        ("delimiter", ";"),
        ("overrideExisting", "false"),
        ("updateOnlyEmptyFields", "false"),
    ];
    let a = post_import(
        &emu,
        &keep,
        "_email;_name\r\ncontact-1@example.com;Other\r\n",
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.body["errors"], 0);
    assert_eq!(
        emu.store().contact("contact-1@example.com").unwrap()["_name"],
        "Contact1"
    );
    let fill = [
        ("type", "contacts"),
        ("delimiter", ","),
        ("overrideExisting", "true"),
        ("updateOnlyEmptyFields", "true"),
    ];
    let a = post_import(
        &emu,
        &fill,
        "_email,_name,_mobilePhone\r\ncontact-1@example.com,Other,+34600000001\r\n",
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let c = emu.store().contact("contact-1@example.com").unwrap();
    assert_eq!(c["_name"], "Contact1", "a filled field is kept");
    assert_eq!(
        c["_mobilePhone"], "+34600000001",
        "an empty field is filled"
    );

    let wrong = [
        ("type", "contacts"),
        ("delimiter", ","),
        ("overrideExisting", "false"),
        ("updateOnlyEmptyFields", "true"),
    ];
    let a = post_import(&emu, &wrong, "_email\r\n").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body["detail"]
            .as_str()
            .unwrap()
            .contains("updateOnlyEmptyFields")
    );
    let a = post_import(&emu, &UPSERT[..3], "_email\r\n").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = post_import(&emu, UPSERT, "_name\r\nX\r\n").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body["detail"].as_str().unwrap().contains("_email"));
    let a = call(
        &emu,
        KEY,
        Method::POST,
        "/imports",
        Some(json!({"type": "contacts"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let a = call(&emu, KEY, Method::GET, "/imports/nope", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn contacts_are_read_and_deleted_by_email() {
    let emu = account(ConnectifConfig::default()).await;
    let a = call(
        &emu,
        KEY,
        Method::PATCH,
        "/contacts/Ann@Example.com",
        Some(json!({"_name": "Ann"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let a = call(&emu, KEY, Method::GET, "/contacts/ann@example.com", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["_email"], "ann@example.com");
    assert!(a.body["_updatedAt"].is_string());
    let a = call(&emu, KEY, Method::DELETE, "/contacts/ann@example.com", None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = call(&emu, KEY, Method::GET, "/contacts/ann@example.com", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = call(&emu, KEY, Method::DELETE, "/contacts/ann@example.com", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    emu.store().seed_contacts(2);
    assert!(emu.store().delete_contact("contact-2@example.com"));
    assert_eq!(emu.store().contact_emails(), vec!["contact-1@example.com"]);
}
