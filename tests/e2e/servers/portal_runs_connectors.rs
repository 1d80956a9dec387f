//! The portal's Runs page, the records chart and the Connectors page against the real
//! `junction serve` and the WooCommerce emulator, as a browser without JavaScript uses
//! them (cookie store, redirects observed one by one): runs listed after real syncs with
//! their counts and errors, filters by status and resource (another tenant's runs never
//! appear), a bad filter refused with its message beside the field (400), the chart route
//! summing the runs' records; the connectors with their versions and capabilities, a broken
//! file dropped into the plugins directory shown with its load error, the operator's
//! multipart upload (notice, listed, a newer version "was" the older), and the refusals: a
//! user's upload (403), an upload without the CSRF token (403), a file that is not a
//! component (422 with the error beside the field), a large multipart body anywhere else
//! (413).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::common::admin::{AdminApi, wait_for_runs};
use crate::common::portal::signed_in_operator;

use common::portal::{browser, csrf_of, location};

use std::time::{Duration, Instant};

use junction_emulators::WooConfig;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

const ADMIN: &str = "runs-connectors-admin-token";
const ACME_PASSWORD: &str = "acme correct horse";
const GLOBEX_PASSWORD: &str = "globex battery staple";

/// Text as askama writes it into HTML.
fn html_escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn sign_in(client: &Client, base: &str, form: &[(&str, &str)], path: &str) {
    let page = client
        .get(format!("{base}/portal/login"))
        .send()
        .await
        .unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    let response = client
        .post(format!("{base}{path}"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in {form:?}");
}

async fn sign_in_user(client: &Client, base: &str, email: &str, password: &str) {
    sign_in(
        client,
        base,
        &[("email", email), ("password", password)],
        "/portal/login",
    )
    .await;
}

/// GET a portal page: (status, body).
async fn get(client: &Client, url: &str) -> (StatusCode, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// GET a portal page that must answer 200.
async fn page(client: &Client, url: &str) -> String {
    let (status, html) = get(client, url).await;
    assert_eq!(status, StatusCode::OK, "{url}: {html}");
    html
}

const BOUNDARY: &str = "----junction-test-boundary-7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body as a browser sends it: (name, file name, bytes) per part.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(file) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                     Content-Type: application/wasm\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// POST the upload form with these parts.
async fn upload(client: &Client, base: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Response {
    let (content_type, body) = multipart(parts);
    client
        .post(format!("{base}/portal/connectors"))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn portal_runs_connectors() {
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
    let (data, server) = common::serve_with(&["woocommerce"], ADMIN).await;
    let plugins = data.path().join("plugins");
    let base = server.base.as_str();
    let api = AdminApi::new(base, ADMIN);

    for name in ["acme", "globex"] {
        let (status, tenant) = api.post("/tenants", json!({ "name": name })).await;
        assert_eq!(status, 201, "{tenant}");
    }
    for (tenant, email, password) in [
        ("acme", "ada@acme.example", ACME_PASSWORD),
        ("globex", "gil@globex.example", GLOBEX_PASSWORD),
    ] {
        let (status, user) = api
            .post(
                "/users",
                json!({"tenant": tenant, "email": email, "password": password}),
            )
            .await;
        assert_eq!(status, 201, "{user}");
    }

    // A new user's Runs page before anything ran: the new-user empty state.
    let ada = browser();
    sign_in_user(&ada, base, "ada@acme.example", ACME_PASSWORD).await;
    let empty = page(&ada, &format!("{base}/portal/runs")).await;
    assert!(empty.contains("<h2>No runs yet</h2>"), "{empty}");
    assert!(empty.contains("/portal/connections"), "says where to go");
    assert!(!empty.contains("No runs match these filters"));

    // Acme's shop syncs; Globex's has a wrong secret and fails.
    let (status, acme_shop) = api
        .post(
            "/connections",
            json!({
                "tenant": "acme",
                "connector": "woocommerce",
                "name": "Acme shop",
                "config": {"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"},
            }),
        )
        .await;
    assert_eq!(status, 201, "{acme_shop}");
    let acme_shop = acme_shop["connection"]["id"].as_str().unwrap().to_string();
    let (status, globex_erp) = api
        .post(
            "/connections",
            json!({
                "tenant": "globex",
                "connector": "woocommerce",
                "name": "Globex ERP",
                "config": {"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "wrong"},
            }),
        )
        .await;
    assert_eq!(status, 201, "{globex_erp}");
    let globex_erp = globex_erp["connection"]["id"].as_str().unwrap().to_string();
    wait_for_runs(
        &api,
        &acme_shop,
        &["orders", "customers", "products"],
        "succeeded",
    )
    .await;
    wait_for_runs(&api, &globex_erp, &["orders"], "failed").await;
    let (_, globex_runs) = api.get(&format!("/connections/{globex_erp}/runs")).await;
    let globex_error = globex_runs["data"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|r| r["error"].as_str())
        .expect("the failed run's error")
        .to_string();

    // Ada's Runs page: her shop's runs with their counts, nothing of Globex.
    let runs = page(&ada, &format!("{base}/portal/runs")).await;
    assert!(runs.contains(r#"id="runs-table""#), "{runs}");
    assert!(runs.contains("<caption>Sync runs, newest first</caption>"));
    assert!(runs.contains(&format!(
        r#"<a href="/portal/connections/{acme_shop}">Acme shop</a>"#
    )));
    assert!(runs.contains("<td>orders</td>") && runs.contains("<td>customers</td>"));
    assert!(
        runs.contains(r#"<td class="number">30</td>"#),
        "the orders run read 30 records: {runs}"
    );
    assert!(runs.contains(r#"<span class="badge badge-good">Succeeded</span>"#));
    // The trigger in the same words as on the connection's page.
    assert!(runs.contains("<td>Schedule</td>"));
    assert!(!runs.contains("Globex") && !runs.contains(&globex_erp));
    assert!(!runs.contains(&html_escaped(&globex_error)));
    for id in [
        "filter-kind",
        "filter-connection",
        "filter-resource",
        "filter-status",
        "filter-trigger",
        "filter-since",
        "filter-until",
        "apply-filters",
    ] {
        assert!(runs.contains(&format!(r#"id="{id}""#)), "{id}");
        if !id.starts_with("apply") {
            assert!(
                runs.contains(&format!(r#"<label for="{id}">"#)),
                "{id} labelled"
            );
        }
    }

    // Filtering by resource: orders only.
    let orders = page(&ada, &format!("{base}/portal/runs?resource=orders")).await;
    assert!(orders.contains("<td>orders</td>"));
    assert!(!orders.contains("<td>customers</td>") && !orders.contains("<td>products</td>"));
    assert!(orders.contains(r#"<option value="orders" selected>orders</option>"#));
    // By status: Acme has no failed run: the filtered-empty state, not the new-user one.
    let none = page(&ada, &format!("{base}/portal/runs?status=failed")).await;
    assert!(none.contains("No runs match these filters"), "{none}");
    assert!(none.contains(r#"<a href="/portal/runs" id="clear-filters">"#));
    assert!(!none.contains("<h2>No runs yet</h2>"));
    // By date: today (UTC) holds them all, a day in the past none.
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let dated = page(
        &ada,
        &format!("{base}/portal/runs?since={today}&until={today}&trigger=schedule"),
    )
    .await;
    assert!(dated.contains("<td>orders</td>"), "{dated}");
    let past = page(&ada, &format!("{base}/portal/runs?until=2020-01-01")).await;
    assert!(past.contains("No runs match these filters"));

    // Past the end: its own empty state, with the way back (the filters kept).
    let beyond = page(&ada, &format!("{base}/portal/runs?resource=orders&page=2")).await;
    assert!(beyond.contains("<h2>No runs on page 2</h2>"), "{beyond}");
    assert!(
        beyond.contains(r#"<a href="/portal/runs?resource=orders" id="runs-previous" rel="prev">"#)
    );

    // A bad filter: 400, the message beside the field, the values kept.
    let (status, bad) = get(
        &ada,
        &format!("{base}/portal/runs?status=exploded&resource=orders"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        bad.contains(
            r#"<select id="filter-status" name="status" aria-invalid="true" aria-describedby="filter-status-error">"#
        ),
        "{bad}"
    );
    assert!(bad.contains(r#"<p class="field-error" id="filter-status-error">Unknown status `exploded` for sync runs: expected one of running, succeeded, failed, interrupted, deferred.</p>"#), "{bad}");
    assert!(bad.contains(r#"<option value="orders" selected>orders</option>"#));
    assert!(!bad.contains(r#"id="runs-table""#));
    let (status, bad_date) = get(&ada, &format!("{base}/portal/runs?since=yesterday")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad_date.contains(r#"id="filter-since-error""#));
    assert!(
        bad_date.contains(r#"value="yesterday""#),
        "the typed value is kept"
    );

    // Another tenant's connection id as a filter is unknown; Gil sees only Globex's failure,
    // with its error in full.
    let gil = browser();
    sign_in_user(&gil, base, "gil@globex.example", GLOBEX_PASSWORD).await;
    let (status, foreign) = get(&gil, &format!("{base}/portal/runs?connection={acme_shop}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(foreign.contains("There is no such connection"));
    assert!(!foreign.contains("Acme shop"));
    let failed = page(&gil, &format!("{base}/portal/runs?status=failed")).await;
    assert!(failed.contains(&format!(
        r#"<a href="/portal/connections/{globex_erp}">Globex ERP</a>"#
    )));
    assert!(failed.contains(r#"<span class="badge badge-bad">Failed</span>"#));
    assert!(
        failed.contains(&format!(
            r#"<span class="error-text">{}</span>"#,
            html_escaped(&globex_error)
        )),
        "the error in full: {globex_error}\n{failed}"
    );
    assert!(!failed.contains("Acme shop") && !failed.contains(&acme_shop));
    let gil_all = page(&gil, &format!("{base}/portal/runs")).await;
    assert!(!gil_all.contains("Acme shop"));

    // A run's page: Ada's orders sync, page by page with its requests (no query string:
    // the credentials travel in it), linked from the Runs page.
    let (_, acme_runs) = api
        .get(&format!("/connections/{acme_shop}/runs?resource=orders"))
        .await;
    let orders_run = acme_runs["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "sync" && r["status"] == "succeeded" && r["records"] == 30)
        .expect("the orders sync")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let listed = page(&ada, &format!("{base}/portal/runs?resource=orders")).await;
    assert!(
        listed.contains(&format!(r#"<a href="/portal/runs/{orders_run}">"#)),
        "{listed}"
    );
    let run_page = page(&ada, &format!("{base}/portal/runs/{orders_run}")).await;
    assert!(run_page.contains(r#"id="steps-table""#), "{run_page}");
    assert!(
        run_page.contains("Page 1: 30 records, 30 new, 0 changed, 0 unchanged"),
        "{run_page}"
    );
    assert!(run_page.contains("GET 127.0.0.1:"), "{run_page}");
    assert!(
        run_page.contains("/wp-json/wc/v3/orders</code>: HTTP 200"),
        "{run_page}"
    );
    assert!(!run_page.contains("consumer_secret") && !run_page.contains("cs_test"));
    assert!(
        !run_page.contains(r#"id="run-cause""#),
        "no advice for a success"
    );
    // Gil's failed run: its cause and what to do, and the refused request.
    let globex_run = globex_runs["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "failed")
        .expect("the failed run")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let failed_page = page(&gil, &format!("{base}/portal/runs/{globex_run}")).await;
    assert!(
        failed_page.contains(r#"data-cause="credentials""#),
        "{failed_page}"
    );
    assert!(failed_page.contains("Edit name and settings"), "the action");
    assert!(failed_page.contains("The call failed: "), "{failed_page}");
    assert!(
        failed_page.contains(": <span class=\"error-text\">HTTP 401</span>"),
        "{failed_page}"
    );
    // Another tenant's run, an unknown run: 404.
    for (client, run, theirs) in [
        (&ada, &globex_run, "Globex ERP"),
        (&gil, &orders_run, "Acme shop"),
    ] {
        let (status, html) = get(client, &format!("{base}/portal/runs/{run}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{html}");
        assert!(
            !html.contains(theirs),
            "nothing of the other tenant: {html}"
        );
    }
    let (status, _) = get(&ada, &format!("{base}/portal/runs/no-such-run")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The admin API answers the same story from the same home (domain::runs::detail).
    let (status, detail) = api
        .get(&format!("/connections/{acme_shop}/runs/{orders_run}"))
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["run"]["id"], orders_run.as_str());
    assert_eq!(detail["steps"][0]["kind"], "page", "{detail}");
    assert_eq!(detail["steps"][0]["detail"]["records"], 30, "{detail}");
    assert_eq!(detail["steps"][0]["detail"]["requests"][0]["status"], 200);
    assert!(detail["advice"].is_null());
    let (_, failed) = api
        .get(&format!("/connections/{globex_erp}/runs/{globex_run}"))
        .await;
    assert_eq!(failed["advice"]["cause"], "credentials", "{failed}");
    let (status, _) = api
        .get(&format!("/connections/{acme_shop}/runs/{globex_run}"))
        .await;
    assert_eq!(status, 404, "another connection's run");

    // Automation runs: none yet, their own empty state.
    let automations = page(&ada, &format!("{base}/portal/runs?kind=automation")).await;
    assert!(
        automations.contains("<h2>No automation runs yet</h2>"),
        "{automations}"
    );
    let (status, _) = get(
        &ada,
        &format!("{base}/portal/runs?kind=automation&status=deferred"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "deferred is a sync status");

    // The operator sees both tenants' runs, with the tenant named.
    let operator = browser();
    signed_in_operator(&operator, base, ADMIN).await;
    let all = page(&operator, &format!("{base}/portal/runs")).await;
    assert!(
        all.contains("Acme shop") && all.contains("Globex ERP"),
        "{all}"
    );
    assert!(all.contains(r#"<th scope="col">Tenant</th>"#));
    assert!(all.contains("<td>globex</td>") && all.contains("<td>acme</td>"));

    // The chart route: SVG whose summary sums the finished runs' records (the runs read
    // before and after the chart agree, so no run ended in between).
    let start = Instant::now();
    loop {
        let finished = |runs: &Value| -> (i64, usize) {
            let done: Vec<&Value> = runs["data"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| !r["finishedMs"].is_null())
                .collect();
            (
                done.iter().map(|r| r["records"].as_i64().unwrap()).sum(),
                done.len(),
            )
        };
        let (_, before) = api.get(&format!("/connections/{acme_shop}/runs")).await;
        let response = ada
            .get(format!("{base}/portal/connections/{acme_shop}/chart.svg"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[CONTENT_TYPE].to_str().unwrap(),
            "image/svg+xml; charset=utf-8"
        );
        let svg = response.text().await.unwrap();
        let (_, after) = api.get(&format!("/connections/{acme_shop}/runs")).await;
        if before != after {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "runs kept changing"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
            continue;
        }
        let (records, count) = finished(&before);
        assert!(
            records >= 39,
            "30 orders, 5 customers, 4 products: {records}"
        );
        assert!(
            svg.starts_with("<svg ") && svg.contains(r#"role="img""#),
            "{svg}"
        );
        assert!(svg.contains(r#"aria-labelledby="records-chart-title records-chart-desc""#));
        let plural = if count == 1 { "run" } else { "runs" };
        let expected = format!(
            r#"<desc id="records-chart-desc">{records} records in {count} {plural} over the last 48 hours"#
        );
        assert!(svg.contains(&expected), "{expected}\n{svg}");
        break;
    }
    let (status, _) = get(
        &gil,
        &format!("{base}/portal/connections/{acme_shop}/chart.svg"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another tenant's chart");
    let (status, globex_chart) = get(
        &gil,
        &format!("{base}/portal/connections/{globex_erp}/chart.svg"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(globex_chart.contains("0 records in"), "{globex_chart}");

    // The Connectors page for a user: the loaded connector with its version and
    // capabilities, read-only (no upload form, no server paths).
    let (_, listing) = api.get("/connectors").await;
    let woo = listing["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "woocommerce")
        .unwrap()
        .clone();
    let woo_version = woo["version"].as_str().unwrap();
    let connectors = page(&ada, &format!("{base}/portal/connectors")).await;
    assert!(
        connectors.contains(r#"id="connector-card-woocommerce""#),
        "{connectors}"
    );
    assert!(connectors.contains(&format!(
        r#"{} <span class="version">{woo_version}</span>"#,
        html_escaped(woo["name"].as_str().unwrap())
    )));
    assert!(connectors.contains("orders, customers, products"));
    assert_eq!(woo["hosts"], json!(["config:base_url"]));
    assert!(connectors.contains(
        "<dt>May connect to</dt><dd>the host in each connection's <code>base_url</code> setting</dd>"
    ), "{connectors}");
    assert!(connectors.contains("<dd>orders, customers, products, variations</dd>"));
    assert!(
        connectors.contains("<code>order-status</code>"),
        "write operations"
    );
    assert!(connectors.contains("<code>woocommerce.wasm</code>"));
    assert!(!connectors.contains(r#"id="component""#));
    assert!(connectors.contains("Only the operator can upload connectors"));
    let plugins_path = plugins.display().to_string();
    assert!(
        !connectors.contains(&plugins_path),
        "users see no server paths"
    );

    // A broken file dropped into the plugins directory: its load error on the page.
    std::fs::write(plugins.join("broken.wasm"), b"this is not webassembly").unwrap();
    let start = Instant::now();
    let broken_error = loop {
        let (_, listing) = api.get("/connectors").await;
        let error = listing["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["file"].as_str().unwrap().ends_with("broken.wasm"))
            .and_then(|f| f["error"].as_str().map(str::to_string));
        if let Some(error) = error {
            break error;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "never reloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let connectors = page(&ada, &format!("{base}/portal/connectors")).await;
    assert!(connectors.contains(r#"id="load-errors""#), "{connectors}");
    assert!(
        connectors.contains("<strong>1 file in the plugins directory failed to load.</strong>")
    );
    assert!(connectors.contains(r#"<span class="badge badge-bad">Failed to load</span>"#));
    assert!(connectors.contains("<code>broken.wasm</code>"));
    // Users read the error with the file's name, not the server's path.
    assert!(broken_error.contains(&plugins_path), "{broken_error}");
    let user_error = broken_error.replace(&format!("{plugins_path}/"), "");
    assert!(user_error.starts_with("broken.wasm "), "{user_error}");
    assert!(
        connectors.contains(&format!(
            r#"<span class="error-text">{}</span>"#,
            html_escaped(&user_error)
        )),
        "{user_error}\n{connectors}"
    );
    assert!(!connectors.contains(&plugins_path));
    let operator_page = page(&operator, &format!("{base}/portal/connectors")).await;
    assert!(
        operator_page.contains(&format!(
            r#"<span class="error-text">{}</span>"#,
            html_escaped(&broken_error)
        )),
        "the load error in full: {broken_error}\n{operator_page}"
    );
    assert!(operator_page.contains(&format!(
        r#"<code id="plugins-dir">{}</code>"#,
        html_escaped(&plugins_path)
    )));
    assert!(operator_page.contains(r#"<input id="component" name="component" type="file" accept=".wasm,application/wasm" required>"#));
    assert!(operator_page.contains(r#"<button type="submit" id="upload-connector">"#));
    assert!(operator_page.contains(r#"enctype="multipart/form-data""#));

    // The operator uploads a new connector, then a newer version of it.
    let csrf = csrf_of(&operator_page);
    let minimal = std::fs::read(common::component("minimal")).unwrap();
    let uploaded = upload(
        &operator,
        base,
        &[
            ("csrf", None, csrf.as_bytes()),
            ("component", Some("minimal.wasm"), &minimal),
        ],
    )
    .await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let to = location(&uploaded);
    assert_eq!(to, "/portal/connectors?installed=minimal&version=0.1.0");
    let after = page(&operator, &format!("{base}{to}")).await;
    assert!(
        after.contains(r#"<p class="notice" role="status" id="connectors-notice">minimal 0.1.0 installed (a new connector).</p>"#),
        "{after}"
    );
    assert!(after.contains(r#"id="connector-card-minimal""#));
    let next = std::fs::read(common::component("minimal-next")).unwrap();
    let uploaded = upload(
        &operator,
        base,
        &[
            ("csrf", None, csrf.as_bytes()),
            ("component", Some("minimal-next.wasm"), &next),
        ],
    )
    .await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let to = location(&uploaded);
    assert_eq!(
        to,
        "/portal/connectors?installed=minimal&version=0.2.0&was=0.1.0"
    );
    let after = page(&operator, &format!("{base}{to}")).await;
    assert!(
        after.contains("minimal 0.2.0 installed (was 0.1.0)."),
        "{after}"
    );
    let (_, listing) = api.get("/connectors").await;
    assert!(
        listing["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["key"] == "minimal" && c["version"] == "0.2.0"),
        "{listing}"
    );
    // A notice in a hand-made link is not echoed.
    let forged = page(
        &operator,
        &format!("{base}/portal/connectors?installed=%3Cscript%3E&version=1"),
    )
    .await;
    assert!(!forged.contains("connectors-notice") && !forged.contains("<script>"));

    // A user cannot upload, even with a valid token.
    let ada_csrf = csrf_of(&page(&ada, &format!("{base}/portal/connectors")).await);
    let refused = upload(
        &ada,
        base,
        &[
            ("csrf", None, ada_csrf.as_bytes()),
            ("component", Some("minimal.wasm"), &minimal),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Only the operator can upload connectors")
    );
    // An upload without the token is refused before anything is read into the registry.
    let no_token = upload(
        &operator,
        base,
        &[("component", Some("minimal.wasm"), &minimal)],
    )
    .await;
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    assert!(
        no_token
            .text()
            .await
            .unwrap()
            .contains("it carried no security token")
    );
    let wrong_token = upload(
        &operator,
        base,
        &[
            ("csrf", None, ada_csrf.as_bytes()),
            ("component", Some("minimal.wasm"), &minimal),
        ],
    )
    .await;
    assert_eq!(wrong_token.status(), StatusCode::FORBIDDEN);

    // Not a component (3 MiB: more than other forms may send, and more than axum's default
    // body limit): 422, the error beside the field, nothing installed.
    let junk = vec![b'x'; 3 << 20];
    let invalid = upload(
        &operator,
        base,
        &[
            ("csrf", None, csrf.as_bytes()),
            ("component", Some("notes.wasm"), &junk),
        ],
    )
    .await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let invalid = invalid.text().await.unwrap();
    assert!(
        invalid.contains(r#"aria-invalid="true" aria-describedby="component-error""#),
        "{invalid}"
    );
    assert!(
        invalid.contains(
            r#"<p class="field-error" id="component-error">(upload) is not a WebAssembly component"#
        ),
        "{invalid}"
    );
    let empty_file = upload(
        &operator,
        base,
        &[
            ("csrf", None, csrf.as_bytes()),
            ("component", Some("empty.wasm"), b""),
        ],
    )
    .await;
    assert_eq!(empty_file.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty_file
            .text()
            .await
            .unwrap()
            .contains("choose one to upload")
    );
    let files_after: Vec<String> = std::fs::read_dir(&plugins)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !files_after
            .iter()
            .any(|f| f.contains("notes") || f.contains("empty")),
        "{files_after:?}"
    );
    // Every other path keeps the small form limit, multipart or not. (200 KiB: over the
    // 64 KiB limit, small enough to be sent whole before the early 413 arrives.)
    let over_form_limit = vec![b'x'; 200 << 10];
    let (content_type, body) = multipart(&[
        ("csrf", None, csrf.as_bytes()),
        ("component", Some("notes.wasm"), &over_form_limit),
    ]);
    let too_large = operator
        .post(format!("{base}/portal/logout"))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // And the upload's own limit: a component over 64 MiB is refused.
    // The server answers 413 as soon as the limit is passed and stops reading; a client
    // still writing the rest may see the connection reset before it reads that answer (no
    // lingering close), so a reset while sending counts as the same refusal here. Either
    // way nothing is installed and the server goes on serving.
    let huge = vec![0u8; (64 << 20) + (128 << 10)];
    let (content_type, body) = multipart(&[
        ("csrf", None, csrf.as_bytes()),
        ("component", Some("huge.wasm"), &huge),
    ]);
    match operator
        .post(format!("{base}/portal/connectors"))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
    {
        Ok(over) => assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE),
        Err(e) => assert!(
            e.is_request() || e.is_body(),
            "the upload failed otherwise than by a refused body: {e}"
        ),
    }
    let files_at_end = std::fs::read_dir(&plugins).unwrap().count();
    assert_eq!(files_at_end, files_after.len(), "nothing was installed");
    assert_eq!(
        operator
            .get(format!("{base}/portal/connectors"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
