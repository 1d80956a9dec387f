//! The portal's records browser against the real `junction serve` and the WooCommerce
//! emulator, as a browser without JavaScript uses it: a resource's record count links to
//! its records; 60 orders page by keyset (50, then 10, no id twice, every id once); search
//! finds an order by its number and by its customer's email; the status filter; refused
//! filters answer 400 with the message beside the field; a record's page shows its fields,
//! its raw answer and its times; after the order changes in the shop and syncs, the page
//! lists the earlier version and what changed; an order deleted in the shop and found by a
//! reconciliation is listed under "Deleted in the system" and says so on its page; another
//! tenant's records, an unknown resource and an unknown record are 404s.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::common::admin::{AdminApi, wait_for_runs};
use crate::common::portal::{browser, page, sign_in};

use std::time::{Duration, Instant};

use junction_emulators::WooConfig;
use reqwest::{Client, StatusCode};
use serde_json::json;

const ADMIN: &str = "records-admin-token";
const ORDERS: usize = 60;

/// The record ids of a list page's table rows, in order.
fn listed_ids(html: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(r#"<th scope="row"><a href="/portal/connections/"#) {
        rest = &rest[at..];
        let text_start = rest.find('>').unwrap() + 1;
        let link = &rest[text_start..];
        let text_start = link.find('>').unwrap() + 1;
        let text_end = link.find("</a>").unwrap();
        ids.push(link[text_start..text_end].to_string());
        rest = &link[text_end..];
    }
    ids
}

/// The `href` of the element with this id.
fn href_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!(r#"id="{id}""#))?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..at + html[at..].find('>')?];
    let href = tag.find("href=\"")? + "href=\"".len();
    Some(tag[href..href + tag[href..].find('"')?].replace("&#38;", "&"))
}

async fn status_of(client: &Client, url: &str) -> (StatusCode, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn records_are_browsed_searched_and_shown_with_their_history() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: ORDERS,
            customers: 3,
            products: 3,
            variable_every: 0,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let (_data, server) = common::serve_with(&["woocommerce"], ADMIN).await;
    let base = server.base.as_str();
    let api = AdminApi::new(base, ADMIN);
    let mut connections = Vec::new();
    for (tenant, email) in [
        ("acme", "ada@acme.example"),
        ("globex", "gil@globex.example"),
    ] {
        api.posted("/tenants", json!({ "name": tenant })).await;
        api.posted(
            "/users",
            json!({"tenant": tenant, "email": email, "password": "a long enough password"}),
        )
        .await;
        let created = api
            .posted(
                "/connections",
                json!({
                    "tenant": tenant,
                    "connector": "woocommerce",
                    "name": format!("{tenant} shop"),
                    "config": {"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"},
                }),
            )
            .await;
        connections.push(created["connection"]["id"].as_str().unwrap().to_string());
    }
    let (acme, globex) = (connections[0].clone(), connections[1].clone());
    wait_for_runs(&api, &acme, &["orders", "customers"], "succeeded").await;
    wait_for_runs(&api, &globex, &["orders"], "succeeded").await;

    let ada = browser();
    assert_eq!(
        sign_in(&ada, base, "ada@acme.example", "a long enough password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let records_url = format!("{base}/portal/connections/{acme}/records/orders");

    // The count on the connection's page links to the records.
    let detail = page(&ada, &format!("{base}/portal/connections/{acme}")).await;
    assert_eq!(
        href_of(&detail, "records-orders").as_deref(),
        Some(format!("/portal/connections/{acme}/records/orders").as_str()),
        "{detail}"
    );

    // Paged by keyset: 50, then the other 10, each order once.
    let first = page(&ada, &records_url).await;
    assert!(first.contains(r#"id="records-table""#), "{first}");
    assert!(
        first.contains(&format!("({ORDERS} in the copy)")),
        "{first}"
    );
    let mut seen = listed_ids(&first);
    assert_eq!(seen.len(), 50, "{first}");
    let next = href_of(&first, "records-next").expect("a next page");
    let second = page(&ada, &format!("{base}{next}")).await;
    let rest = listed_ids(&second);
    assert_eq!(rest.len(), ORDERS - 50, "{second}");
    assert!(href_of(&second, "records-next").is_none());
    assert!(href_of(&second, "records-first").is_some());
    seen.extend(rest);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ORDERS, "no order twice: {seen:?}");
    let mut expected: Vec<String> = shop
        .store()
        .order_ids()
        .iter()
        .map(u64::to_string)
        .collect();
    expected.sort();
    assert_eq!(sorted, expected, "every order of the shop");

    // Search by order number and by the customer's email; filter by status.
    let woo = shop.store();
    let order_id = woo.order_ids()[7];
    let order = woo.order(order_id).unwrap();
    let number = order["number"].as_str().unwrap().to_string();
    let by_number = page(&ada, &format!("{records_url}?q={number}")).await;
    assert!(
        listed_ids(&by_number).contains(&order_id.to_string()),
        "{by_number}"
    );
    let email = order["billing"]["email"].as_str().unwrap().to_string();
    assert!(!email.is_empty());
    let by_email = page(&ada, &format!("{records_url}?q={}", email.to_uppercase())).await;
    let found = listed_ids(&by_email);
    assert!(found.contains(&order_id.to_string()), "{by_email}");
    for id in &found {
        let other = woo.order(id.parse().unwrap()).unwrap();
        // A substring search: customer1@ also finds customer11@.
        assert!(
            other["billing"]["email"]
                .as_str()
                .is_some_and(|e| e.to_lowercase().contains(&email.to_lowercase())),
            "only orders with that email: {other}"
        );
    }
    let status = order["status"].as_str().unwrap().to_string();
    let by_status = page(&ada, &format!("{records_url}?status={status}")).await;
    let with_status = listed_ids(&by_status);
    let expected_count = woo
        .order_ids()
        .into_iter()
        .filter(|id| woo.order(*id).unwrap()["status"] == status.as_str())
        .count();
    assert_eq!(with_status.len(), expected_count.min(50), "{by_status}");
    let nothing = page(&ada, &format!("{records_url}?q=no-such-order-anywhere")).await;
    assert!(nothing.contains("No records match"), "{nothing}");

    // Refused filters: 400, the message beside the field, the value kept.
    let (code, refused) = status_of(&ada, &format!("{records_url}?since=yesterday")).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(refused.contains(r#"id="records-since-error""#), "{refused}");
    assert!(refused.contains("YYYY-MM-DD") && refused.contains(r#"value="yesterday""#));
    let (code, refused) = status_of(
        &ada,
        &format!("{base}/portal/connections/{acme}/records/customers?status=processing"),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(refused.contains("Only orders have a status"), "{refused}");
    let (code, refused) = status_of(&ada, &format!("{records_url}?after_ms=x&after_id=1")).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(refused.contains(r#"id="filter-after-error""#), "{refused}");

    // A record's page: fields, raw answer, times, no history yet.
    let record_url = format!("{records_url}/{order_id}");
    let record = page(&ada, &record_url).await;
    assert!(record.contains("<code>externalId</code>"), "{record}");
    assert!(record.contains(&number), "the order number is shown");
    assert!(record.contains(r#"id="raw-json""#) && record.contains(r#"id="served-json""#));
    assert!(record.contains(r#"id="record-changed""#) && record.contains("<time datetime="));
    assert!(record.contains(r#"id="history-empty""#), "{record}");
    assert!(record.contains(r#"id="links-empty""#));

    // The order changes in the shop and syncs: the page lists the earlier version.
    let new_status = if status == "completed" {
        "on-hold"
    } else {
        "completed"
    };
    woo.update_order_status(order_id, new_status).unwrap();
    api.posted(
        &format!("/connections/{acme}/sync?resource=orders"),
        json!({}),
    )
    .await;
    let start = Instant::now();
    let record = loop {
        let record = page(&ada, &record_url).await;
        if record.contains(r#"id="history-table""#) {
            break record;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no earlier version: {record}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let history = &record[record.find(r#"id="history-table""#).unwrap()..];
    assert!(history.contains("status"), "what changed: {history}");
    assert!(
        history.contains(&format!("&#34;status&#34;: &#34;{status}&#34;")),
        "the earlier version's JSON: {history}"
    );

    // An order deleted in the shop and found by a reconciliation: listed as deleted.
    let gone = woo.order_ids()[3];
    woo.delete_order(gone, true).unwrap();
    let queued = api
        .posted(
            &format!("/connections/{acme}/reconcile?resource=orders"),
            json!({}),
        )
        .await;
    assert_eq!(queued["queued"], 1, "{queued}");
    let start = Instant::now();
    let deleted = loop {
        let deleted = page(&ada, &format!("{records_url}?shown=deleted")).await;
        if listed_ids(&deleted).contains(&gone.to_string()) {
            break deleted;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no deleted order listed: {deleted}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(listed_ids(&deleted), vec![gone.to_string()]);
    assert!(deleted.contains(r#"<span class="badge badge-warn">Deleted</span>"#));
    let live = listed_ids(&page(&ada, &records_url).await);
    assert!(!live.contains(&gone.to_string()), "gone from the live list");
    let both = page(&ada, &format!("{records_url}?shown=all")).await;
    assert!(
        href_of(&both, "records-next").is_some(),
        "60 records: two pages"
    );
    let tombstone = page(&ada, &format!("{records_url}/{gone}")).await;
    assert!(tombstone.contains(r#"id="record-deleted""#), "{tombstone}");
    // The reconciliation's page: the scan's pages (every order the shop still has) and the
    // one it found deleted.
    let start = Instant::now();
    let reconciliation = loop {
        let runs = api
            .ok(&format!(
                "/connections/{acme}/runs?resource=orders&limit=50"
            ))
            .await;
        let done =
            runs["data"].as_array().unwrap().iter().find(|r| {
                r["kind"] == "reconcile" && r["status"] == "succeeded" && r["deleted"] == 1
            });
        if let Some(run) = done {
            break run["id"].as_str().unwrap().to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{runs}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let detail = api
        .ok(&format!("/connections/{acme}/runs/{reconciliation}"))
        .await;
    let scanned: u64 = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "page")
        .map(|s| s["detail"]["records"].as_u64().unwrap())
        .sum();
    assert_eq!(scanned, (ORDERS - 1) as u64, "{detail}");
    let run_page = page(&ada, &format!("{base}/portal/runs/{reconciliation}")).await;
    assert!(run_page.contains("Reconciliation of orders"), "{run_page}");
    assert!(
        run_page.contains(r#"<dd id="run-deleted">1</dd>"#),
        "{run_page}"
    );
    assert!(
        run_page.contains("Page 1: 59 records, 0 new, 0 changed, 59 unchanged"),
        "{run_page}"
    );

    // Another tenant's records, an unknown resource, an unknown record: 404.
    for url in [
        format!("{base}/portal/connections/{globex}/records/orders"),
        format!("{base}/portal/connections/{globex}/records/orders/{order_id}"),
        format!("{base}/portal/connections/{acme}/records/invoices"),
        format!("{records_url}/999999999"),
    ] {
        let (code, html) = status_of(&ada, &url).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{url}: {html}");
        assert!(!html.contains("globex shop"), "nothing of Globex: {html}");
    }
    let (_, missing) = status_of(&ada, &format!("{records_url}/999999999")).await;
    assert!(
        missing.contains("holds no order with id 999999999"),
        "{missing}"
    );
}
