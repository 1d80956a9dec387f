//! The portal's Automations pages against the real `junction serve`, as a browser without
//! JavaScript uses them (reqwest with a cookie store, redirects observed one by one), with
//! the WooCommerce emulator as the source and the Bugalou emulator as the target:
//!
//! - the empty states (fewer than two connections: create connections first; then: create
//!   an automation);
//! - the create form refusing customers from Bugalou (which cannot be read for customers)
//!   with 422 and the message beside that entity's direction, values kept, nothing created;
//! - a valid automation created through the form while Bugalou answers 500s: its first run
//!   parks every order write (max_attempts = 1); the page lists the parked rows; one row
//!   retried from the page arrives, then "Retry all parked" brings the rest;
//! - "Run now" after an order changed in the shop: a run appears in the history with
//!   written > 0 and the change arrives at Bugalou;
//! - the settings form (a refused cadence beside its field; disabling; run now refused
//!   while disabled);
//! - another tenant's user gets 404 for the page and every form, and nothing changes; their
//!   create form cannot use this tenant's connections;
//! - the operator sees the automation with its tenant; delete with a confirmation step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::common::admin::AdminApi;
use crate::common::portal::{signed_in, signed_in_operator};

/// Wait until an automation's state and runs satisfy `done`.
async fn wait_for(
    api: &AdminApi,
    automation: &str,
    what: &str,
    done: impl Fn(&Value, &[Value]) -> bool,
) {
    let start = Instant::now();
    loop {
        let shown = api.ok(&format!("/automations/{automation}")).await;
        let runs = api.ok(&format!("/automations/{automation}/runs")).await["data"]
            .as_array()
            .unwrap()
            .clone();
        if done(&shown, &runs) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "never {what}: {shown}\nruns: {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

use common::portal::{browser, csrf_of, location, page};

use std::time::{Duration, Instant};

use junction_emulators::bugalou::BugalouConfig;
use junction_emulators::{Fault, FaultKind, WooConfig};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const ADMIN: &str = "portal-automations-admin-token";
const ACME_PASSWORD: &str = "acme correct horse";
const GLOBEX_PASSWORD: &str = "globex battery staple";
const ORDERS: usize = 6;

/// The text of the element with this id (up to its first tag).
fn text_of(html: &str, id: &str) -> String {
    let marker = format!(r#"id="{id}">"#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no element #{id} in {html}"))
        + marker.len();
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

/// The opening tag of the element with this id.
fn tag_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no element #{id} in {html}"));
    let start = html[..at].rfind('<').unwrap();
    html[start..at + html[at..].find('>').unwrap() + 1].to_string()
}

/// POST a form (with the session's token); the response's status, location and body.
async fn post(
    client: &Client,
    url: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    let response = client.post(url).form(&form).send().await.unwrap();
    let status = response.status();
    let to = location(&response);
    (status, to, response.text().await.unwrap())
}

/// No run going (there is at least one) and nothing pending in the outbox.
fn settled(shown: &Value, runs: &[Value]) -> bool {
    shown["outbox"]["pending"] == 0 && runs.first().is_some_and(|r| r["status"] != "running")
}

#[tokio::test]
async fn automations_are_created_run_retried_and_kept_to_their_tenant() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: ORDERS,
            customers: 3,
            products: 2,
            variable_every: 0,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let dashboard = junction_emulators::bugalou::start(
        BugalouConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let plugins = data.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for name in ["woocommerce", "bugalou"] {
        std::fs::copy(
            common::component(name),
            plugins.join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    std::fs::write(data.path().join("admin.token"), ADMIN).unwrap();
    // One attempt before parking, so Bugalou's 500s park the writes at once.
    let config = data.path().join("junction.toml");
    std::fs::write(
        &config,
        "[automations.outbox]\nmax_attempts = 1\nbackoff_base_secs = 0.2\n",
    )
    .unwrap();
    let server = common::spawn_server(
        data.path(),
        common::free_port(),
        &[("JUNCTION_CONFIG", config.to_str().unwrap())],
    );
    common::wait_for_status(&server.base, "/readyz", 200).await;
    let base = server.base.as_str();
    let api = AdminApi::new(base, ADMIN);
    api.posted("/tenants", json!({"name": "acme"})).await;
    api.posted("/tenants", json!({"name": "globex"})).await;
    api.posted(
        "/users",
        json!({"tenant": "acme", "email": "ada@acme.example", "password": ACME_PASSWORD}),
    )
    .await;
    api.posted(
        "/users",
        json!({"tenant": "globex", "email": "gil@globex.example", "password": GLOBEX_PASSWORD}),
    )
    .await;

    // No connections yet: the empty states say to create connections first.
    let ada = browser();
    signed_in(&ada, base, "ada@acme.example", ACME_PASSWORD).await;
    let list = page(&ada, &format!("{base}/portal/automations")).await;
    assert!(list.contains("No automations yet"), "{list}");
    assert!(
        list.contains("needs two connections of one tenant"),
        "{list}"
    );
    assert!(list.contains(r#"href="/portal/connections/new""#), "{list}");
    assert!(!list.contains(r#"id="new-automation""#));
    let new = page(&ada, &format!("{base}/portal/automations/new")).await;
    assert!(new.contains("Two connections are needed"), "{new}");
    assert!(!new.contains(r#"id="create-automation""#));

    let connection = |connector: &str, name: &str, config: Value| {
        let body =
            json!({"tenant": "acme", "connector": connector, "name": name, "config": config});
        let api = &api;
        async move {
            api.posted("/connections", body).await["connection"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let source = connection(
        "woocommerce",
        "shop",
        json!({"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}),
    )
    .await;
    let target = connection(
        "bugalou",
        "dashboard",
        json!({"api_key": "bg_live_test_key", "platform": "custom", "base_url": dashboard.base_url()}),
    )
    .await;

    let list = page(&ada, &format!("{base}/portal/automations")).await;
    assert!(list.contains(r#"href="/portal/automations/new""#), "{list}");
    assert!(list.contains(r#"id="new-automation""#));
    let new = page(&ada, &format!("{base}/portal/automations/new")).await;
    for id in [
        "automation-name",
        "source",
        "target",
        "entity-orders",
        "entity-customers",
        "entity-products",
        "direction-orders-source_to_target",
        "direction-orders-target_to_source",
        "direction-customers-target_to_source",
        "cadence",
        "on-change",
        "enabled",
        "options",
        "create-automation",
    ] {
        assert!(new.contains(&format!(r#"id="{id}""#)), "no #{id}");
        // Every input has its label.
        if id != "create-automation" {
            assert!(
                new.contains(&format!(r#"<label for="{id}""#)),
                "#{id} unlabelled"
            );
        }
    }
    assert!(
        new.contains(&format!(r#"<option value="{source}">shop (WooCommerce)"#)),
        "{new}"
    );
    let csrf = csrf_of(&new);
    let create_url = format!("{base}/portal/automations");

    // Customers from Bugalou (target → source): Bugalou cannot be read for customers.
    let (status, _, refused) = post(
        &ada,
        &create_url,
        &csrf,
        &[
            ("name", "backwards"),
            ("source", &source),
            ("target", &target),
            ("entity-customers", "on"),
            ("direction-customers", "target_to_source"),
            ("direction-orders", "source_to_target"),
            ("direction-products", "source_to_target"),
            ("cadence", "3600"),
            ("enabled", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let beside = text_of(&refused, "direction-customers-error");
    assert!(beside.contains("cannot be read for customers"), "{beside}");
    assert!(beside.contains("dashboard"), "{beside}");
    let radio = tag_of(&refused, "direction-customers-target_to_source");
    assert!(radio.contains("checked"), "the choice is kept: {radio}");
    assert!(radio.contains(r#"aria-invalid="true""#), "{radio}");
    assert!(
        radio.contains(r#"aria-describedby="direction-customers-error""#),
        "{radio}"
    );
    assert!(!refused.contains(r#"id="direction-orders-error""#));
    assert!(tag_of(&refused, "automation-name").contains(r#"value="backwards""#));
    assert!(refused.contains(&format!(r#"<option value="{source}" selected>"#)));
    assert!(tag_of(&refused, "entity-customers").contains("checked"));
    assert!(!tag_of(&refused, "entity-orders").contains("checked"));
    assert!(refused.contains(r#"role="alert""#));
    assert!(
        refused.contains(r##"href="#direction-customers-target_to_source""##),
        "the summary links to the field"
    );
    let (_, listed) = api.get("/automations?tenant=acme").await;
    assert_eq!(listed["data"], json!([]), "nothing was created");

    // Bugalou fails every request while the first run goes: every order write parks.
    dashboard.set_faults(vec![Fault::always(FaultKind::ServerError)]);
    let (status, to, body) = post(
        &ada,
        &create_url,
        &csrf,
        &[
            ("name", "shop to dashboard"),
            ("source", &source),
            ("target", &target),
            ("entity-orders", "on"),
            ("direction-orders", "source_to_target"),
            ("direction-customers", "source_to_target"),
            ("direction-products", "source_to_target"),
            ("cadence", "3600"),
            ("enabled", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let id = to
        .strip_prefix("/portal/automations/")
        .and_then(|rest| rest.strip_suffix("?notice=created"))
        .unwrap_or_else(|| panic!("{to}"))
        .to_string();
    let automation_url = format!("{base}/portal/automations/{id}");
    let created = page(&ada, &format!("{base}{to}")).await;
    assert!(created.contains("Automation created."), "{created}");
    assert!(created.contains(&format!(r#"href="/portal/connections/{source}""#)));
    assert!(created.contains(&format!(r#"href="/portal/connections/{target}""#)));
    assert!(created.contains("orders: shop → dashboard"), "{created}");
    wait_for(&api, &id, "parked every order", |shown, runs| {
        settled(shown, runs) && shown["outbox"]["parked"] == ORDERS
    })
    .await;
    dashboard.clear_faults();
    let html = page(&ada, &automation_url).await;
    assert_eq!(
        text_of(&html, "parked-heading"),
        format!("Parked ({ORDERS})")
    );
    assert!(html.contains(r#"id="retry-parked""#));
    assert!(html.contains("500"), "the last error is shown: {html}");
    assert!(html.contains("Create or update the order (upsert-order)"));
    let (_, parked) = api
        .get(&format!("/automations/{id}/outbox?status=parked"))
        .await;
    let entries: Vec<String> = parked["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(entries.len(), ORDERS);
    for entry in &entries {
        assert!(
            html.contains(&format!(r#"id="retry-{entry}""#)),
            "a Retry per row"
        );
    }
    let list = page(&ada, &format!("{base}/portal/automations")).await;
    assert!(
        list.contains(&format!("0 pending, {ORDERS} parked")),
        "{list}"
    );
    assert!(list.contains("Every hour"), "{list}");

    // One row retried from the page arrives; then the rest with "Retry all parked".
    let csrf = csrf_of(&html);
    let (status, to, _) = post(
        &ada,
        &format!("{automation_url}/outbox/{}/retry", entries[0]),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("/portal/automations/{id}?notice=retried&count=1").as_str()
        )
    );
    wait_for(&api, &id, "delivered the retried row", |shown, runs| {
        settled(shown, runs) && shown["outbox"]["parked"] == ORDERS - 1
    })
    .await;
    assert_eq!(dashboard.store().orders().len(), 1);
    let html = page(&ada, &format!("{base}{to}")).await;
    assert!(html.contains("1 parked write is queued"), "{html}");
    let (status, to, _) = post(&ada, &format!("{automation_url}/outbox/retry"), &csrf, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        to.ends_with(&format!("notice=retried&count={}", ORDERS - 1)),
        "{to}"
    );
    wait_for(&api, &id, "delivered every retried row", |shown, runs| {
        settled(shown, runs) && shown["outbox"]["parked"] == 0
    })
    .await;
    assert_eq!(dashboard.store().orders().len(), ORDERS);
    // The records browser shows where the automation wrote an order (its id on Bugalou).
    let (_, link) = api
        .get(&format!("/automations/{id}/outbox?status=parked"))
        .await;
    assert_eq!(link["data"].as_array().map(Vec::len), Some(0));
    let order_id = shop.store().order_ids()[0];
    let record = page(
        &ada,
        &format!("{base}/portal/connections/{source}/records/orders/{order_id}"),
    )
    .await;
    let links = &record[record
        .find(r#"id="links-list""#)
        .expect("links listed: {record}")..];
    assert!(links.contains("Written to dashboard: "), "{links}");
    // The runs' pages: the first run parked every order (each with its error, each linked
    // to its record); a later one wrote them.
    let runs = api.ok(&format!("/automations/{id}/runs")).await["data"]
        .as_array()
        .unwrap()
        .clone();
    let oldest = runs.last().unwrap()["id"].as_str().unwrap().to_string();
    let history = page(&ada, &automation_url).await;
    assert!(
        history.contains(&format!(
            r#"<a href="/portal/automations/{id}/runs/{oldest}">"#
        )),
        "{history}"
    );
    let first_run = page(&ada, &format!("{automation_url}/runs/{oldest}")).await;
    assert!(
        first_run.contains("Parked: needs a retry by hand"),
        "{first_run}"
    );
    assert!(
        first_run.contains("500"),
        "the error beside it: {first_run}"
    );
    assert!(first_run.contains(&format!(
        r#"href="/portal/connections/{source}/records/orders/"#
    )));
    let mut wrote = false;
    for run in &runs {
        let run_id = run["id"].as_str().unwrap();
        let html = page(&ada, &format!("{automation_url}/runs/{run_id}")).await;
        wrote |= html.contains(">Written</span>");
    }
    assert!(wrote, "a run lists the orders it wrote");
    let missing = ada
        .get(format!("{automation_url}/runs/no-such-run"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let html = page(&ada, &automation_url).await;
    assert_eq!(text_of(&html, "parked-heading"), "Parked (0)");
    assert!(!html.contains(r#"id="retry-parked""#));

    // An order changes in the shop; Run now carries it to Bugalou.
    let woo = shop.store();
    let changed = woo
        .order_ids()
        .into_iter()
        .map(|id| woo.order(id).unwrap())
        .find(|o| {
            matches!(
                o["status"].as_str(),
                Some("processing" | "pending" | "on-hold")
            )
        })
        .expect("an open order");
    woo.update_order_status(changed["id"].as_u64().unwrap(), "completed")
        .unwrap();
    let number = changed["number"].as_str().unwrap().to_string();
    let runs_before = api.ok(&format!("/automations/{id}/runs")).await["data"]
        .as_array()
        .unwrap()
        .len();
    let (status, to, _) = post(&ada, &format!("{automation_url}/run"), &csrf, &[]).await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("/portal/automations/{id}?notice=run-queued").as_str()
        )
    );
    assert!(
        page(&ada, &format!("{base}{to}"))
            .await
            .contains("Run queued")
    );
    wait_for(&api, &id, "run after Run now", |shown, runs| {
        settled(shown, runs) && runs.len() > runs_before
    })
    .await;
    let runs = api.ok(&format!("/automations/{id}/runs")).await;
    let newest = &runs["data"][0];
    assert_eq!(newest["trigger"], "manual", "{newest}");
    assert!(newest["written"].as_i64().unwrap() > 0, "{newest}");
    assert_eq!(
        dashboard
            .store()
            .order("custom", &number)
            .unwrap()
            .order_status,
        "shipped"
    );
    let html = page(&ada, &automation_url).await;
    assert!(html.contains(r#"<table class="wide" id="run-history">"#));
    assert!(html.contains("<caption"), "{html}");
    let history = &html[html.find(r#"id="run-history""#).unwrap()..];
    let body = &history[history.find("<tbody>").unwrap()..];
    let first_row = &body[..body.find("</tr>").unwrap()];
    assert!(first_row.contains("<td>By hand</td>"), "{first_row}");
    assert!(
        first_row.contains(&format!(r#"<td class="number">{}</td>"#, newest["written"])),
        "{first_row}"
    );

    // Settings: a refused cadence beside its field; then disabled (Run now is refused).
    let settings_url = format!("{automation_url}/settings");
    let keep = [
        ("name", "shop to dashboard"),
        ("entity-orders", "on"),
        ("direction-orders", "source_to_target"),
        ("direction-customers", "source_to_target"),
        ("direction-products", "source_to_target"),
    ];
    let mut fields = keep.to_vec();
    fields.extend([("cadence", "5"), ("enabled", "on")]);
    let (status, _, refused) = post(&ada, &settings_url, &csrf, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text_of(&refused, "cadence-error").contains("between 10 and 604800"),
        "{refused}"
    );
    assert!(tag_of(&refused, "cadence").contains(r#"value="5""#));
    assert!(tag_of(&refused, "cadence").contains(r#"aria-invalid="true""#));
    let mut fields = keep.to_vec();
    fields.push(("cadence", "900"));
    let (status, to, _) = post(&ada, &settings_url, &csrf, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(to.ends_with("notice=saved"), "{to}");
    let shown = api.ok(&format!("/automations/{id}")).await;
    assert_eq!(
        (shown["enabled"].as_bool(), shown["cadenceSeconds"].as_i64()),
        (Some(false), Some(900))
    );
    let html = page(&ada, &automation_url).await;
    assert!(!html.contains(r#"id="run-now""#));
    assert!(html.contains("Disabled: does not run"));
    assert!(!tag_of(&html, "enabled").contains("checked"));
    let (_, to, _) = post(&ada, &format!("{automation_url}/run"), &csrf, &[]).await;
    assert!(to.ends_with("notice=run-disabled"), "{to}");

    // Another tenant's user: 404 for the page and every form; nothing changes.
    let gil = browser();
    signed_in(&gil, base, "gil@globex.example", GLOBEX_PASSWORD).await;
    let theirs = page(&gil, &format!("{base}/portal/automations")).await;
    assert!(!theirs.contains("shop to dashboard"));
    assert!(theirs.contains("No automations yet"));
    let gil_csrf = csrf_of(&theirs);
    let response = gil.get(&automation_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = gil
        .get(format!("{automation_url}/delete"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let runs_before = api.ok(&format!("/automations/{id}/runs")).await;
    for path in [
        "/run".to_string(),
        "/outbox/retry".to_string(),
        format!("/outbox/{}/retry", entries[0]),
        "/delete".to_string(),
    ] {
        let (status, _, _) = post(&gil, &format!("{automation_url}{path}"), &gil_csrf, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let mut fields = keep.to_vec();
    fields.extend([("cadence", "60"), ("enabled", "on")]);
    let (status, _, _) = post(&gil, &settings_url, &gil_csrf, &fields).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Their create form offers their own connections only, and cannot use acme's.
    let mut globex = Vec::new();
    for (connector, name, config) in [
        (
            "woocommerce",
            "globex shop",
            json!({"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}),
        ),
        (
            "bugalou",
            "globex dashboard",
            json!({"api_key": "bg_live_test_key", "platform": "globex", "base_url": dashboard.base_url()}),
        ),
    ] {
        let created = api
            .posted(
                "/connections",
                json!({"tenant": "globex", "connector": connector, "name": name, "config": config}),
            )
            .await;
        globex.push(created["connection"]["id"].as_str().unwrap().to_string());
    }
    let theirs = page(&gil, &format!("{base}/portal/automations/new")).await;
    assert!(theirs.contains("globex shop (WooCommerce)"), "{theirs}");
    assert!(
        !theirs.contains(&source),
        "acme's connections are not offered"
    );
    let (status, _, refused) = post(
        &gil,
        &create_url,
        &gil_csrf,
        &[
            ("name", "stolen"),
            ("source", &source),
            ("target", &target),
            ("entity-orders", "on"),
            ("direction-orders", "source_to_target"),
            ("cadence", "60"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text_of(&refused, "source-error").contains("There is no such connection"));
    assert!(
        !refused.contains(&format!(r#"value="{source}""#)),
        "acme's connections are not offered"
    );
    let shown_after = api.ok(&format!("/automations/{id}")).await;
    assert_eq!(
        (
            shown_after["enabled"].as_bool(),
            shown_after["cadenceSeconds"].as_i64()
        ),
        (Some(false), Some(900)),
        "nothing changed"
    );
    assert_eq!(
        api.ok(&format!("/automations/{id}/runs")).await,
        runs_before
    );
    assert_eq!(
        api.ok("/automations?tenant=globex").await["data"],
        json!([])
    );

    // The operator sees it with its tenant.
    let operator = browser();
    signed_in_operator(&operator, base, ADMIN).await;
    let all = page(&operator, &format!("{base}/portal/automations")).await;
    assert!(all.contains("shop to dashboard"), "{all}");
    assert!(all.contains("<dt>Tenant</dt><dd>acme</dd>"), "{all}");
    let new = page(&operator, &format!("{base}/portal/automations/new")).await;
    assert!(new.contains(r#"<optgroup label="Tenant acme">"#), "{new}");
    assert!(new.contains(r#"<optgroup label="Tenant globex">"#), "{new}");
    // A pair across tenants is refused beside the target.
    let (status, _, refused) = post(
        &operator,
        &create_url,
        &csrf_of(&new),
        &[
            ("name", "across"),
            ("source", &source),
            ("target", &globex[1]),
            ("entity-orders", "on"),
            ("direction-orders", "source_to_target"),
            ("cadence", "60"),
            ("enabled", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        text_of(&refused, "target-error").contains("must belong to the same tenant"),
        "{refused}"
    );
    assert_eq!(
        api.ok("/automations").await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Delete, after a confirmation step.
    let confirm = page(&ada, &format!("{automation_url}/delete")).await;
    assert!(confirm.contains(r#"id="confirm-delete""#));
    assert!(confirm.contains("cannot be undone"));
    let (status, to, _) = post(&ada, &format!("{automation_url}/delete"), &csrf, &[]).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/portal/automations?notice=deleted")
    );
    assert!(
        page(&ada, &format!("{base}{to}"))
            .await
            .contains("The automation was deleted.")
    );
    assert_eq!(
        ada.get(&automation_url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get(&format!("/automations/{id}")).await.0, 404);
}
