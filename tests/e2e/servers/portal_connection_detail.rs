//! A connection's details page and the API keys pages against the real `junction serve`
//! and the WooCommerce emulator, used as a browser without JavaScript would (reqwest with a
//! cookie store, redirects observed one by one): resources with counts after a sync; a
//! schedule change the admin API then shows; a bad cadence refused with 422 and the message
//! beside its field; "Sync now" making a new run appear; the health check's outcome (shown
//! again on reload without running again, to nobody else) against the running emulator and,
//! in words, after it stopped; a key generated, shown once (no-store, never again: not in
//! any later page, not on a second POST of the same form), working against the Runtime API,
//! revoked after a confirmation and then refused; the across-connections page showing the
//! session's tenant's keys only, a forged revoke of another tenant's key refused with 404
//! (the key still works); the live status JSON for one's own connection only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::common::admin::{AdminApi, wait_for_runs};
use crate::common::portal::{signed_in, signed_in_operator};

/// One resource's state of a connection, as the admin API shows it.
async fn resource(api: &AdminApi, connection: &str, resource: &str) -> Value {
    let (_, shown) = api.get(&format!("/connections/{connection}")).await;
    shown["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == resource)
        .unwrap()
        .clone()
}

/// How many sync runs a connection has.
async fn run_count(api: &AdminApi, connection: &str) -> usize {
    let (_, runs) = api
        .get(&format!("/connections/{connection}/runs?limit=1000"))
        .await;
    runs["data"].as_array().unwrap().len()
}

use common::portal::{browser, location, page};

use std::time::{Duration, Instant};

use junction_emulators::WooConfig;
use reqwest::header::CACHE_CONTROL;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

const ADMIN: &str = "detail-admin-token";
const ACME_PASSWORD: &str = "acme correct horse";
const GLOBEX_PASSWORD: &str = "globex battery staple";
const INITECH_PASSWORD: &str = "initech stapler 42";

/// The value of the first hidden field `name` of a page.
fn hidden_of(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {html}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

fn csrf_of(html: &str) -> String {
    hidden_of(html, "csrf")
}

/// The value of the input with `id`.
fn input_value(html: &str, id: &str) -> String {
    let start = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start..];
    let value = rest.find(r#"value=""#).unwrap() + r#"value=""#.len();
    rest[value..value + rest[value..].find('"').unwrap()].to_string()
}

/// The inner HTML of the element with `id`, up to its first closing tag.
fn element_text(html: &str, id: &str) -> String {
    let start = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find("</td>").unwrap_or(rest.len() - open);
    // The cell's text without its tags (a count is a link to the records).
    let mut text = String::new();
    let mut in_tag = false;
    for c in rest[open..open + close].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// POST a form; the response as it came.
async fn post(client: &Client, url: &str, form: &[(&str, &str)]) -> Response {
    client.post(url).form(form).send().await.unwrap()
}

/// A Runtime API read with a key: its status.
async fn runtime_orders(base: &str, key: &str) -> u16 {
    Client::new()
        .get(format!("{base}/api/v1/api/orders"))
        .header("X-API-Key", key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn portal_connection_detail() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: 30,
            customers: 5,
            products: 4,
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

    for (tenant, email, password) in [
        ("acme", "ada@acme.example", ACME_PASSWORD),
        ("globex", "gil@globex.example", GLOBEX_PASSWORD),
        ("initech", "ina@initech.example", INITECH_PASSWORD),
    ] {
        let (status, body) = api.post("/tenants", json!({ "name": tenant })).await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = api
            .post(
                "/users",
                json!({"tenant": tenant, "email": email, "password": password}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let config = json!({"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"});
    let (status, acme) = api
        .post(
            "/connections",
            json!({"tenant": "acme", "connector": "woocommerce", "name": "Acme <b>shop</b>", "config": config}),
        )
        .await;
    assert_eq!(status, 201, "{acme}");
    let acme = acme["connection"]["id"].as_str().unwrap().to_string();
    let (status, globex) = api
        .post(
            "/connections",
            json!({"tenant": "globex", "connector": "woocommerce", "name": "Globex shop", "config": config}),
        )
        .await;
    assert_eq!(status, 201, "{globex}");
    let globex = globex["connection"]["id"].as_str().unwrap().to_string();
    wait_for_runs(
        &api,
        &acme,
        &["orders", "customers", "products"],
        "succeeded",
    )
    .await;

    let ada = browser();
    signed_in(&ada, base, "ada@acme.example", ACME_PASSWORD).await;
    let detail_url = format!("{base}/portal/connections/{acme}");

    // The Connections page links to the details page.
    let list = page(&ada, &format!("{base}/portal/connections")).await;
    assert!(
        list.contains(&format!(r#"<a href="/portal/connections/{acme}">"#)),
        "{list}"
    );

    // The details page: what it is, its resources with counts, runs, the empty key list.
    let html = page(&ada, &detail_url).await;
    assert!(
        html.contains("<h1>Acme &#60;b&#62;shop&#60;/b&#62;</h1>"),
        "{html}"
    );
    assert!(!html.contains("<b>shop"), "names are text");
    assert!(html.contains("WooCommerce"), "{html}");
    assert!(html.contains("Healthy"), "{html}");
    assert!(
        !html.contains("<dt>Tenant</dt>"),
        "a user knows their tenant"
    );
    for (resource, count) in [("orders", "30"), ("customers", "5"), ("products", "4")] {
        assert_eq!(element_text(&html, &format!("records-{resource}")), count);
        assert!(
            element_text(&html, &format!("lastrun-{resource}"))
                .contains(&format!("Succeeded, {count} records")),
            "{html}"
        );
        assert!(
            html.contains(&format!(
                r#"id="status-{resource}"><span class="badge badge-good">OK</span>"#
            )),
            "{html}"
        );
    }
    assert!(element_text(&html, "cadence-text-orders").contains("Every 5 minutes"));
    assert!(html.contains(r#"id="sync-now""#) && html.contains(r#"id="health-check""#));
    assert!(html.contains(r#"id="sync-orders""#) && html.contains(r#"id="save-orders""#));
    assert!(
        html.contains("Recent runs") && html.contains("Succeeded"),
        "{html}"
    );
    assert!(html.contains("No API keys yet"), "{html}");
    assert!(html.contains(r#"<label for="key-name">Key name</label>"#));
    assert!(html.contains(r#"<label for="cadence-custom-orders">"#));
    assert!(html.contains(&format!(
        r#"data-status-url="/portal/connections/{acme}/status""#
    )));
    assert!(
        html.contains("Records synced over time"),
        "the chart's section"
    );

    // The live status JSON: own connection only.
    let status = ada
        .get(format!("{detail_url}/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), StatusCode::OK);
    let status: Value = status.json().await.unwrap();
    let orders = status["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "orders")
        .unwrap();
    assert_eq!(orders["records"], 30, "{status}");
    assert_eq!(orders["status"], "OK", "{status}");
    assert_eq!(orders["lastRun"]["records"], 30, "{status}");
    assert!(status["busy"].is_boolean());
    let foreign = ada
        .get(format!("{base}/portal/connections/{globex}/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let foreign = ada
        .get(format!("{base}/portal/connections/{globex}"))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);

    // Disable a resource and set a custom cadence; enable another with a preset.
    let csrf = csrf_of(&html);
    let saved = post(
        &ada,
        &format!("{detail_url}/resources/customers"),
        &[
            ("csrf", &csrf),
            ("cadence", "custom"),
            ("cadence_custom", "120"),
        ],
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&saved),
        format!("/portal/connections/{acme}?done=saved-customers#resources")
    );
    let customers = resource(&api, &acme, "customers").await;
    assert_eq!(customers["enabled"], false, "{customers}");
    assert_eq!(customers["cadenceSecs"], 120, "{customers}");
    let saved = post(
        &ada,
        &format!("{detail_url}/resources/orders"),
        &[
            ("csrf", &csrf),
            ("enabled", "on"),
            ("cadence", "900"),
            ("cadence_custom", ""),
        ],
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let orders = resource(&api, &acme, "orders").await;
    assert_eq!(
        (orders["enabled"].as_bool(), orders["cadenceSecs"].as_i64()),
        (Some(true), Some(900))
    );
    let html = page(&ada, &format!("{detail_url}?done=saved-customers")).await;
    assert!(
        html.contains("The schedule of customers is saved."),
        "{html}"
    );
    assert_eq!(input_value(&html, "cadence-custom-customers"), "120");
    assert!(html.contains(r#"id="enabled-orders" name="enabled" value="on" checked"#));
    assert!(!html.contains(r#"id="enabled-customers" name="enabled" value="on" checked"#));
    assert!(html.contains(r#"<option value="900" selected>Every 15 minutes</option>"#));
    assert!(element_text(&html, "status-customers").contains("Off"));

    // A cadence out of range: 422, the message beside the field, the values kept.
    for (typed, message) in [
        (
            "5",
            "Cadence must be between 10 and 604800 seconds (one week).",
        ),
        (
            "604801",
            "Cadence must be between 10 and 604800 seconds (one week).",
        ),
        ("soon", "Enter a whole number of seconds."),
    ] {
        let refused = post(
            &ada,
            &format!("{detail_url}/resources/orders"),
            &[
                ("csrf", &csrf),
                ("enabled", "on"),
                ("cadence", "custom"),
                ("cadence_custom", typed),
            ],
        )
        .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = refused.text().await.unwrap();
        assert!(
            html.contains(&format!(
                r#"<p class="field-error" id="cadence-error-orders">{message}"#
            )),
            "{html}"
        );
        assert!(
            html.contains(
                r#"aria-describedby="cadence-hint-orders cadence-error-orders" aria-invalid="true""#
            ),
            "{html}"
        );
        assert_eq!(input_value(&html, "cadence-custom-orders"), typed);
        assert!(html.contains(r#"role="alert">The schedule of orders was not saved"#));
    }
    assert_eq!(resource(&api, &acme, "orders").await["cadenceSecs"], 900);
    let unknown = post(
        &ada,
        &format!("{detail_url}/resources/invoices"),
        &[("csrf", &csrf), ("cadence", "300")],
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let forged = post(
        &ada,
        &format!("{base}/portal/connections/{globex}/resources/orders"),
        &[("csrf", &csrf), ("cadence", "60")],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    assert_eq!(resource(&api, &globex, "orders").await["enabled"], true);

    // Sync now: a new run appears; the page polls while it runs.
    let before = run_count(&api, &acme).await;
    let queued = post(
        &ada,
        &format!("{detail_url}/sync"),
        &[("csrf", &csrf), ("resource", "orders")],
    )
    .await;
    assert_eq!(queued.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&queued),
        format!("/portal/connections/{acme}?done=sync-orders#resources")
    );
    let html = page(&ada, &format!("{detail_url}?done=sync-orders")).await;
    assert!(html.contains(r#"data-live="true""#), "{html}");
    assert!(html.contains("A sync of orders is queued."), "{html}");
    let start = Instant::now();
    while run_count(&api, &acme).await <= before {
        assert!(start.elapsed() < Duration::from_secs(60), "no new run");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The history says a person asked for it.
    let (_, newest) = api
        .get(&format!("/connections/{acme}/runs?resource=orders&limit=1"))
        .await;
    assert_eq!(newest["data"][0]["trigger"], "manual", "{newest}");
    let all = post(&ada, &format!("{detail_url}/sync"), &[("csrf", &csrf)]).await;
    assert_eq!(
        location(&all),
        format!("/portal/connections/{acme}?done=sync#resources")
    );
    let off = post(
        &ada,
        &format!("{detail_url}/sync"),
        &[("csrf", &csrf), ("resource", "customers")],
    )
    .await;
    assert_eq!(
        location(&off),
        format!("/portal/connections/{acme}?done=off-customers#resources")
    );
    let html = page(&ada, &format!("{detail_url}?done=off-customers")).await;
    assert!(
        html.contains("Nothing was queued: customers is off."),
        "{html}"
    );
    let forged = post(
        &ada,
        &format!("{base}/portal/connections/{globex}/sync"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    wait_for_runs(&api, &acme, &["orders"], "succeeded").await;

    // "Find deletions now": queued through the domain's reconcile, said on the page, and a
    // reconciliation of orders follows its sync in the history; not for another tenant's.
    assert!(html.contains(r#"id="reconcile-now""#), "{html}");
    let reconcile = post(&ada, &format!("{detail_url}/reconcile"), &[("csrf", &csrf)]).await;
    assert_eq!(
        location(&reconcile),
        format!("/portal/connections/{acme}?done=reconcile#resources")
    );
    let html = page(&ada, &format!("{detail_url}?done=reconcile")).await;
    assert!(html.contains("Finding deletions is queued"), "{html}");
    let forged = post(
        &ada,
        &format!("{base}/portal/connections/{globex}/reconcile"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    let start = std::time::Instant::now();
    loop {
        let (_, runs) = api
            .get(&format!(
                "/connections/{acme}/runs?resource=orders&limit=20"
            ))
            .await;
        let reconciled = runs["data"].as_array().unwrap().iter().any(|r| {
            r["kind"] == "reconcile" && r["trigger"] == "manual" && r["status"] == "succeeded"
        });
        if reconciled {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "no reconciliation: {runs}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The health check: the outcome on the page, again on reload without a new check,
    // and only for this session.
    let checked = post(&ada, &format!("{detail_url}/check"), &[("csrf", &csrf)]).await;
    assert_eq!(checked.status(), StatusCode::SEE_OTHER);
    let outcome = location(&checked);
    assert!(
        outcome.starts_with(&format!("/portal/connections/{acme}?check="))
            && outcome.ends_with("#health"),
        "{outcome}"
    );
    let outcome_url = format!("{base}{}", outcome.trim_end_matches("#health"));
    let html = page(&ada, &outcome_url).await;
    let result = html[html.find(r#"id="health-result""#).expect("a result")..].to_string();
    let result = &result[..result.find("</div>").unwrap()];
    assert!(result.contains("badge-good\">OK</span>"), "{result}");
    assert!(
        result.contains("WooCommerce"),
        "check-info's message: {result}"
    );
    let requests = shop.request_count();
    let again = page(&ada, &outcome_url).await;
    assert!(again.contains(r#"id="health-result""#));
    assert_eq!(
        shop.request_count(),
        requests,
        "a reload does not check again"
    );
    let operator = browser();
    signed_in_operator(&operator, base, ADMIN).await;
    let other_session = page(&operator, &outcome_url).await;
    assert!(!other_session.contains(r#"id="health-result""#));
    assert!(
        other_session.contains("<dt>Tenant</dt><dd>acme</dd>"),
        "the operator sees the tenant"
    );
    let forged = post(
        &ada,
        &format!("{base}/portal/connections/{globex}/check"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);

    // Generate a key: a name is required.
    let html = page(&ada, &detail_url).await;
    let nonce = hidden_of(&html, "nonce");
    let unnamed = post(
        &ada,
        &format!("{detail_url}/keys"),
        &[("csrf", &csrf), ("nonce", &nonce), ("name", "  ")],
    )
    .await;
    assert_eq!(unnamed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = unnamed.text().await.unwrap();
    assert!(
        html.contains(r#"<p class="field-error" id="key-name-error">Give the key a name"#),
        "{html}"
    );
    assert!(
        html.contains(r#"aria-describedby="key-name-hint key-name-error" aria-invalid="true""#)
    );
    let created = post(
        &ada,
        &format!("{detail_url}/keys"),
        &[
            ("csrf", &csrf),
            ("nonce", &nonce),
            ("name", "Warehouse app"),
        ],
    )
    .await;
    assert_eq!(created.status(), StatusCode::OK);
    let cache = created.headers()[CACHE_CONTROL]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cache.contains("no-store"), "{cache}");
    let html = created.text().await.unwrap();
    assert!(
        html.contains("Copy it now; it will not be shown again."),
        "{html}"
    );
    let key = input_value(&html, "new-key");
    assert!(key.starts_with("jct_live_") && key.len() > 30, "{key}");
    assert!(html.contains(r#"data-copy="new-key" data-copy-status="copy-status" hidden>"#));
    assert!(html.contains(r#"<input type="text" id="new-key" class="secret" readonly"#));
    assert!(html.contains(&format!(
        "curl -H \"X-API-Key: {key}\" {base}/api/v1/api/orders"
    )));
    assert_eq!(runtime_orders(base, &key).await, 200, "the key works");
    let (_, keys) = api.get(&format!("/connections/{acme}/keys")).await;
    let keys = keys["data"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1);
    let key_id = keys[0]["id"].as_str().unwrap().to_string();
    let prefix = keys[0]["prefix"].as_str().unwrap().to_string();
    assert!(key.starts_with(&prefix));

    // The same form again (a reload of that page) creates nothing and shows no key.
    let again = post(
        &ada,
        &format!("{detail_url}/keys"),
        &[
            ("csrf", &csrf),
            ("nonce", &nonce),
            ("name", "Warehouse app"),
        ],
    )
    .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&again),
        format!("/portal/connections/{acme}?done=key-already-shown#keys")
    );
    let (_, keys) = api.get(&format!("/connections/{acme}/keys")).await;
    assert_eq!(keys["data"].as_array().unwrap().len(), 1);

    // The key never appears again: only its prefix, in the lists.
    let shown = page(&ada, &format!("{detail_url}?done=key-already-shown")).await;
    assert!(shown.contains("already created and shown once"), "{shown}");
    let everywhere = [
        shown,
        page(&ada, &detail_url).await,
        page(&ada, &format!("{base}/portal/api-keys")).await,
        page(&ada, &format!("{base}/portal/connections")).await,
    ];
    for html in &everywhere {
        assert!(!html.contains(&key), "the key shown again: {html}");
    }
    assert!(everywhere[1].contains(&format!(r#"data-key-prefix="{prefix}""#)));
    assert!(everywhere[1].contains("Warehouse app"));
    assert!(everywhere[1].contains(&format!(
        r#"id="key-status-{key_id}"><span class="badge badge-good">Active</span>"#
    )));
    assert!(everywhere[2].contains(&format!(r#"id="revoke-{key_id}""#)));

    // Another tenant's key: not listed, not revocable by a forged POST.
    let (status, globex_key) = api
        .post(
            &format!("/connections/{globex}/keys"),
            json!({"name": "Globex secret app"}),
        )
        .await;
    assert_eq!(status, 201, "{globex_key}");
    let globex_secret = globex_key["key"].as_str().unwrap().to_string();
    let globex_key_id = globex_key["apiKey"]["id"].as_str().unwrap().to_string();
    let globex_prefix = globex_key["apiKey"]["prefix"].as_str().unwrap().to_string();
    let list = page(&ada, &format!("{base}/portal/api-keys")).await;
    assert!(
        list.contains("Warehouse app") && list.contains(&prefix),
        "{list}"
    );
    assert!(
        !list.contains("Globex secret app")
            && !list.contains(&globex_prefix)
            && !list.contains(&globex_key_id),
        "{list}"
    );
    assert!(
        list.contains(&format!(
            r#"<a href="/portal/connections/{acme}">Acme &#60;b&#62;shop&#60;/b&#62;</a>"#
        )),
        "{list}"
    );
    let forged = post(
        &ada,
        &format!("{base}/portal/api-keys/{globex_key_id}/revoke"),
        &[("csrf", &csrf), ("back", "all")],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    let confirm = ada
        .get(format!("{base}/portal/api-keys/{globex_key_id}/revoke"))
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        runtime_orders(base, &globex_secret).await,
        200,
        "still works"
    );

    // Generating from the across-connections page: the connection must be one's own.
    let list_csrf = csrf_of(&list);
    let list_nonce = hidden_of(&list, "nonce");
    let refused = post(
        &ada,
        &format!("{base}/portal/api-keys"),
        &[
            ("csrf", &list_csrf),
            ("nonce", &list_nonce),
            ("connection", &globex),
            ("name", "Sneaky"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(r#"id="key-connection-error">There is no such connection."#),
        "{html}"
    );
    let refused = post(
        &ada,
        &format!("{base}/portal/api-keys"),
        &[
            ("csrf", &list_csrf),
            ("nonce", &list_nonce),
            ("connection", ""),
            ("name", ""),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Choose the connection the key is for.")
            && html.contains("Give the key a name")
    );
    let (_, globex_keys) = api.get(&format!("/connections/{globex}/keys")).await;
    assert_eq!(
        globex_keys["data"].as_array().unwrap().len(),
        1,
        "nothing made for Globex"
    );
    let created = post(
        &ada,
        &format!("{base}/portal/api-keys"),
        &[
            ("csrf", &list_csrf),
            ("nonce", &list_nonce),
            ("connection", &acme),
            ("name", "Reporting"),
        ],
    )
    .await;
    assert_eq!(created.status(), StatusCode::OK);
    let second_key = input_value(&created.text().await.unwrap(), "new-key");
    assert_eq!(runtime_orders(base, &second_key).await, 200);

    // Revoke, after confirming: the list shows it revoked and the Runtime API refuses it.
    let html = page(&ada, &detail_url).await;
    assert!(html.contains(&format!(
        r#"<form method="get" action="/portal/api-keys/{key_id}/revoke"><input type="hidden" name="back" value="connection"><button type="submit" class="danger small" id="revoke-{key_id}""#
    )));
    let confirm = page(
        &ada,
        &format!("{base}/portal/api-keys/{key_id}/revoke?back=connection"),
    )
    .await;
    assert!(
        confirm.contains(r#"id="confirm-revoke""#) && confirm.contains(&prefix),
        "{confirm}"
    );
    assert!(!confirm.contains(&key));
    let revoked = post(
        &ada,
        &format!("{base}/portal/api-keys/{key_id}/revoke"),
        &[
            ("csrf", &hidden_of(&confirm, "csrf")),
            ("back", &hidden_of(&confirm, "back")),
        ],
    )
    .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&revoked),
        format!("/portal/connections/{acme}?done=key-revoked#keys")
    );
    assert_eq!(
        runtime_orders(base, &key).await,
        401,
        "a revoked key is refused"
    );
    assert_eq!(
        runtime_orders(base, &second_key).await,
        200,
        "the other key works"
    );
    let html = page(&ada, &format!("{detail_url}?done=key-revoked")).await;
    assert!(html.contains("The key is revoked."), "{html}");
    assert!(html.contains(&format!(
        r#"id="key-status-{key_id}"><span class="badge badge-neutral">Revoked</span>"#
    )));
    assert!(!html.contains(&format!(r#"id="revoke-{key_id}""#)));

    // The operator sees every tenant's keys, with the tenant.
    let all = page(&operator, &format!("{base}/portal/api-keys")).await;
    assert!(
        all.contains("Globex secret app") && all.contains("Warehouse app"),
        "{all}"
    );
    assert!(all.contains(r#"<th scope="col">Tenant</th>"#) && all.contains("<td>globex</td>"));

    // A tenant without connections is told to create one first.
    let ina = browser();
    signed_in(&ina, base, "ina@initech.example", INITECH_PASSWORD).await;
    let empty = page(&ina, &format!("{base}/portal/api-keys")).await;
    assert!(empty.contains("Create a connection first"), "{empty}");
    assert!(!empty.contains("Warehouse app") && !empty.contains("Globex secret app"));

    // The emulator stops: the health check says so, in words.
    shop.shutdown().await;
    let checked = post(&ada, &format!("{detail_url}/check"), &[("csrf", &csrf)]).await;
    assert_eq!(checked.status(), StatusCode::SEE_OTHER);
    let html = page(
        &ada,
        &format!("{base}{}", location(&checked).trim_end_matches("#health")),
    )
    .await;
    let result = html[html.find(r#"id="health-result""#).expect("a result")..].to_string();
    let result = &result[..result.find("</div>").unwrap()];
    assert!(result.contains("badge-bad\">Failed</span>"), "{result}");
    assert!(
        result.contains("The system could not be reached"),
        "{result}"
    );

    // Manage: pause and resume (the domain's), another tenant's connection is a 404.
    let paused = post(&ada, &format!("{detail_url}/pause"), &[("csrf", &csrf)]).await;
    assert_eq!(
        location(&paused),
        format!("/portal/connections/{acme}?done=paused#manage")
    );
    assert_eq!(
        api.ok(&format!("/connections/{acme}")).await["connection"]["paused"],
        true
    );
    let html = page(&ada, &format!("{detail_url}?done=paused")).await;
    assert!(
        html.contains(r#"id="paused-badge""#) && html.contains("The connection is paused"),
        "{html}"
    );
    assert!(html.contains(r#"id="resume-connection""#));
    let forged = post(
        &ada,
        &format!("{base}/portal/connections/{globex}/pause"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        api.ok(&format!("/connections/{globex}")).await["connection"]["paused"],
        false
    );
    let resumed = post(&ada, &format!("{detail_url}/resume"), &[("csrf", &csrf)]).await;
    assert_eq!(
        location(&resumed),
        format!("/portal/connections/{acme}?done=resumed#resources")
    );
    assert_eq!(
        api.ok(&format!("/connections/{acme}")).await["connection"]["paused"],
        false
    );
    // Without the CSRF token nothing happens.
    let no_csrf = post(&ada, &format!("{detail_url}/pause"), &[]).await;
    assert_ne!(no_csrf.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        api.ok(&format!("/connections/{acme}")).await["connection"]["paused"],
        false
    );

    // Delete: the name must be typed; then the connection is gone for everyone.
    let refused = post(
        &ada,
        &format!("{detail_url}/delete"),
        &[("csrf", &csrf), ("confirm", "not it")],
    )
    .await;
    assert_eq!(
        location(&refused),
        format!("/portal/connections/{acme}?done=delete-refused#manage")
    );
    assert_eq!(api.get(&format!("/connections/{acme}")).await.0, 200);
    let forged = post(
        &ada,
        &format!("{base}/portal/connections/{globex}/delete"),
        &[("csrf", &csrf), ("confirm", "globex shop")],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.get(&format!("/connections/{globex}")).await.0, 200);
    let name = api.ok(&format!("/connections/{acme}")).await["connection"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let deleted = post(
        &ada,
        &format!("{detail_url}/delete"),
        &[("csrf", &csrf), ("confirm", &name)],
    )
    .await;
    assert_eq!(location(&deleted), "/portal/connections?done=deleted");
    let list = page(&ada, &format!("{base}/portal/connections?done=deleted")).await;
    assert!(list.contains("The connection is deleted"), "{list}");
    assert_eq!(api.get(&format!("/connections/{acme}")).await.0, 404);
    assert_eq!(
        ada.get(&detail_url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

/// Two `junction serve` hosts on one database, as behind a load balancer: the portal keeps
/// nothing in a host's memory. A health check run on host A is shown by host B when the
/// redirect lands there (same cookie), and a generate-key form answered by A and posted
/// again to B creates no second key (from the details page and from the API keys page).
#[tokio::test]
async fn the_portal_shows_the_same_on_every_host() {
    use common::hosts;
    use reqwest::Method;

    let shop = junction_emulators::start(
        WooConfig {
            orders: 3,
            customers: 1,
            products: 1,
            variable_every: 0,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let database_dir = tempfile::tempdir().unwrap();
    let database = common::database_url(database_dir.path())
        .unwrap_or_else(|| junction::store::sqlite_url(database_dir.path()));
    // One after the other: the first migrates the database.
    let host_a = hosts::start_host(&database, "");
    common::wait_for_status(&host_a.process.base, "/readyz", 200).await;
    let host_b = hosts::start_host(&database, "");
    common::wait_for_status(&host_b.process.base, "/readyz", 200).await;
    let (a, b) = (host_a.process.base.as_str(), host_b.process.base.as_str());

    let http = Client::new();
    hosts::admin(
        &http,
        a,
        Method::POST,
        "/tenants",
        Some(json!({ "name": "acme" })),
    )
    .await;
    hosts::admin(
        &http,
        a,
        Method::POST,
        "/users",
        Some(json!({"tenant": "acme", "email": "ada@acme.example", "password": ACME_PASSWORD})),
    )
    .await;
    let config = json!({"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"});
    let created = hosts::admin(
        &http,
        a,
        Method::POST,
        "/connections",
        Some(json!({"tenant": "acme", "connector": "woocommerce", "name": "Acme shop", "config": config})),
    )
    .await;
    let acme = created["connection"]["id"].as_str().unwrap().to_string();
    let key_count = || {
        let http = http.clone();
        let path = format!("/connections/{acme}/keys");
        async move {
            hosts::admin(&http, b, Method::GET, &path, None).await["data"]
                .as_array()
                .unwrap()
                .len()
        }
    };

    // Signed in on A; the session cookie works on B too (the session is in the database).
    let ada = browser();
    signed_in(&ada, a, "ada@acme.example", ACME_PASSWORD).await;
    let html = page(&ada, &format!("{a}/portal/connections/{acme}")).await;
    let csrf = csrf_of(&html);

    // The health check runs on A; the page it redirects to is answered by B.
    let checked = post(
        &ada,
        &format!("{a}/portal/connections/{acme}/check"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(checked.status(), StatusCode::SEE_OTHER);
    let outcome = location(&checked);
    assert!(
        outcome.starts_with(&format!("/portal/connections/{acme}?check=")),
        "{outcome}"
    );
    let outcome_path = outcome.trim_end_matches("#health");
    for base in [b, a] {
        let html = page(&ada, &format!("{base}{outcome_path}")).await;
        let start = html
            .find(r#"id="health-result""#)
            .unwrap_or_else(|| panic!("{base} shows no outcome: {html}"));
        let result = &html[start..];
        let result = &result[..result.find("</div>").unwrap()];
        assert!(
            result.contains("badge-good\">OK</span>"),
            "{base}: {result}"
        );
        assert!(result.contains("WooCommerce"), "{base}: {result}");
    }
    // Still only for the session that ran it, on either host.
    let operator = browser();
    let login = page(&operator, &format!("{b}/portal/login")).await;
    let signed_in = post(
        &operator,
        &format!("{b}/portal/login/operator"),
        &[("csrf", &csrf_of(&login)), ("token", hosts::ADMIN)],
    )
    .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let other_session = page(&operator, &format!("{b}{outcome_path}")).await;
    assert!(!other_session.contains(r#"id="health-result""#));

    // The details page's generate form: answered by A, posted again to B.
    let html = page(&ada, &format!("{a}/portal/connections/{acme}")).await;
    let nonce = hidden_of(&html, "nonce");
    let form = [
        ("csrf", csrf.as_str()),
        ("nonce", nonce.as_str()),
        ("name", "Warehouse app"),
    ];
    let first = post(&ada, &format!("{a}/portal/connections/{acme}/keys"), &form).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(
        first
            .text()
            .await
            .unwrap()
            .contains("Copy it now; it will not be shown again.")
    );
    let again = post(&ada, &format!("{b}/portal/connections/{acme}/keys"), &form).await;
    assert_eq!(
        again.status(),
        StatusCode::SEE_OTHER,
        "B created a second key"
    );
    assert_eq!(
        location(&again),
        format!("/portal/connections/{acme}?done=key-already-shown#keys")
    );
    assert_eq!(key_count().await, 1);

    // The API keys page's form: the same, the other way round.
    let list = page(&ada, &format!("{b}/portal/api-keys")).await;
    let list_nonce = hidden_of(&list, "nonce");
    let form = [
        ("csrf", csrf.as_str()),
        ("nonce", list_nonce.as_str()),
        ("connection", acme.as_str()),
        ("name", "Reporting app"),
    ];
    let first = post(&ada, &format!("{b}/portal/api-keys"), &form).await;
    assert_eq!(first.status(), StatusCode::OK);
    let again = post(&ada, &format!("{a}/portal/api-keys"), &form).await;
    assert_eq!(
        again.status(),
        StatusCode::SEE_OTHER,
        "A created a second key"
    );
    assert_eq!(location(&again), "/portal/api-keys?done=key-already-shown");
    assert_eq!(key_count().await, 2);
}
