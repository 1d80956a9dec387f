//! The feed emulators over real HTTP: the JSON feed's keyset cursor and the CSV catalogue's
//! Link paging cover every product once, `updated_since` is at-or-after, the API key is
//! enforced, bad parameters are 400s naming the parameter, and the shared fault model
//! applies.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use junction_emulators::feeds::{self, FeedConfig, FeedEmulator, format_time};
use junction_emulators::{Fault, FaultKind};
use serde_json::Value;

const KEY: &str = "k-123";

async fn start(api_key: Option<&str>) -> FeedEmulator {
    feeds::start(
        FeedConfig {
            products: 57,
            variable_every: 4,
            seed: 3,
            api_key: api_key.map(str::to_owned),
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn get(url: &str) -> reqwest::Response {
    client()
        .get(url)
        .header(feeds::API_KEY_HEADER, KEY)
        .send()
        .await
        .unwrap()
}

/// Pages the JSON feed to the end; returns the ids in order.
async fn json_ids(feeds: &FeedEmulator, query: &str) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/products?limit=10{query}", feeds.feed_url());
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let resp = get(&url).await;
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        ids.extend(
            body["products"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_u64().unwrap()),
        );
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return ids,
        }
    }
}

fn ordered_ids(feeds: &FeedEmulator, since: Option<i64>) -> Vec<u64> {
    feeds.store().ordered(since).iter().map(|p| p.id).collect()
}

#[tokio::test]
async fn json_feed_pages_every_product_once_in_order() {
    let feeds = start(Some(KEY)).await;
    assert_eq!(json_ids(&feeds, "").await, ordered_ids(&feeds, None));
    let first = feeds.store().product(1).unwrap();
    let body: Value = get(&format!("{}/products/1", feeds.feed_url()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["title"], first.name.as_str());
    assert_eq!(body["updated_at"], format_time(first.updated_at).as_str());
    assert_eq!(body["variant_count"], first.variants.len());
    let missing = get(&format!("{}/products/999", feeds.feed_url())).await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn json_feed_cursor_survives_changes_and_filters_by_updated_since() {
    let feeds = start(Some(KEY)).await;
    let store = feeds.store();
    let before = ordered_ids(&feeds, None);
    // Page once, then move a product not yet read and one already read to the end.
    let body: Value = get(&format!("{}/products?limit=10", feeds.feed_url()))
        .await
        .json()
        .await
        .unwrap();
    let cursor = body["next_cursor"].as_str().unwrap().to_owned();
    let changed_at = store.touch(before[30]).unwrap();
    store.touch(before[3]).unwrap();
    let rest = json_ids(&feeds, &format!("&cursor={cursor}")).await;
    let unread: BTreeSet<u64> = before[10..].iter().copied().collect();
    assert!(
        unread.iter().all(|id| rest.contains(id)),
        "no product is skipped"
    );
    assert_eq!(&rest[rest.len() - 2..], &[before[30], before[3]]);

    let since = format_time(changed_at);
    let got = json_ids(&feeds, &format!("&updated_since={since}")).await;
    assert_eq!(got, vec![before[30], before[3]], "at-or-after");
}

#[tokio::test]
async fn csv_catalog_pages_with_link_headers() {
    let feeds = start(Some(KEY)).await;
    let mut url = format!("{}/products.csv?limit=20", feeds.catalog_url());
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let resp = get(&url).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(resp.headers()["x-total-count"], "57");
        let link = resp
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = resp.text().await.unwrap();
        let mut lines = body.split("\r\n");
        assert_eq!(lines.next().unwrap(), feeds::csv_catalog::PRODUCT_COLUMNS);
        ids.extend(
            lines
                .filter(|l| !l.is_empty())
                .map(|l| l.split(',').next().unwrap().parse::<u64>().unwrap()),
        );
        pages += 1;
        match link {
            Some(link) => {
                let next = link
                    .strip_prefix('<')
                    .and_then(|l| l.split_once(">; rel=\"next\""))
                    .unwrap()
                    .0;
                assert!(next.starts_with(&feeds.base_url()), "absolute: {next}");
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(ids, ordered_ids(&feeds, None));
}

#[tokio::test]
async fn csv_catalog_quotes_fields_serves_variants_and_filters() {
    let feeds = start(Some(KEY)).await;
    let store = feeds.store();
    let quoted = store
        .product_ids()
        .into_iter()
        .find(|id| store.product(*id).unwrap().name.contains(','))
        .expect("a seeded name with a comma");
    let body = get(&format!("{}/products/{quoted}.csv", feeds.catalog_url()))
        .await
        .text()
        .await
        .unwrap();
    let name = store.product(quoted).unwrap().name;
    assert!(
        body.contains(&format!("\"{}\"", name.replace('"', "\"\""))),
        "{body}"
    );

    let parent = store
        .product_ids()
        .into_iter()
        .find(|id| !store.variant_ids(*id).unwrap().is_empty())
        .unwrap();
    let body = get(&format!(
        "{}/products/{parent}/variants.csv",
        feeds.catalog_url()
    ))
    .await
    .text()
    .await
    .unwrap();
    assert!(body.starts_with(feeds::csv_catalog::VARIANT_COLUMNS));
    assert!(body.contains("Colour=Red;Size="), "{body}");
    assert_eq!(
        body.lines().count() - 1,
        store.variant_ids(parent).unwrap().len()
    );
    let missing = get(&format!(
        "{}/products/999/variants.csv",
        feeds.catalog_url()
    ))
    .await;
    assert_eq!(missing.status(), 404);

    let at = store.set_price(9, "1.25").unwrap();
    let body = get(&format!(
        "{}/products.csv?updated_since={}",
        feeds.catalog_url(),
        format_time(at)
    ))
    .await
    .text()
    .await
    .unwrap();
    let rows: Vec<&str> = body.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{body}");
    assert!(rows[0].starts_with("9,SKU-0009,") && rows[0].contains(",1.25,"));
}

#[tokio::test]
async fn api_key_and_parameters_are_checked() {
    let feeds = start(Some(KEY)).await;
    for url in [
        format!("{}/products", feeds.feed_url()),
        format!("{}/products.csv", feeds.catalog_url()),
    ] {
        let none = client().get(&url).send().await.unwrap();
        assert_eq!(none.status(), 401);
        let wrong = client()
            .get(&url)
            .header(feeds::API_KEY_HEADER, "nope")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
        let body: Value = wrong.json().await.unwrap();
        assert_eq!(body["error"], "invalid API key");
    }
    for (url, param) in [
        (format!("{}/products?limit=0", feeds.feed_url()), "limit"),
        (format!("{}/products?cursor=zz", feeds.feed_url()), "cursor"),
        (
            format!(
                "{}/products.csv?updated_since=yesterday",
                feeds.catalog_url()
            ),
            "updated_since",
        ),
        (
            format!("{}/products.csv?offset=-1", feeds.catalog_url()),
            "offset",
        ),
    ] {
        let resp = get(&url).await;
        assert_eq!(resp.status(), 400, "{url}");
        let body: Value = resp.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(param),
            "{url}: {body}"
        );
    }
    let open = start(None).await;
    let resp = client()
        .get(format!("{}/status", open.feed_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "no key configured: public");
}

#[tokio::test]
async fn faults_apply_to_both_feeds() {
    let feeds = start(Some(KEY)).await;
    feeds.set_faults(vec![
        Fault::times(
            FaultKind::RateLimited {
                retry_after_secs: 4,
            },
            1,
        ),
        Fault::times(FaultKind::ServerError, 2),
    ]);
    let resp = get(&format!("{}/products", feeds.feed_url())).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "4");
    let resp = get(&format!("{}/products.csv", feeds.catalog_url())).await;
    assert_eq!(resp.status(), 500);
    let resp = get(&format!("{}/products.csv", feeds.catalog_url())).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(feeds.request_count(), 3);

    feeds.set_faults(vec![Fault::times(FaultKind::MalformedJson, 1)]);
    let resp = get(&format!("{}/products", feeds.feed_url())).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.json::<Value>().await.is_err(), "truncated JSON");

    // Faults are controlled over HTTP too.
    let set = client()
        .post(format!("{}/__emulator/faults", feeds.base_url()))
        .body(r#"[{"kind":"drop_mid_body","remaining":1}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let resp = get(&format!("{}/products.csv", feeds.catalog_url())).await;
    assert!(resp.text().await.is_err(), "connection dropped mid-body");
}
