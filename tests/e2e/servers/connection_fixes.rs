//! A connection made with a wrong credential can be fixed, through the admin CLI and API of
//! the real binary against the WooCommerce emulator: its first sync fails; a test of the
//! stored config says why, a test of a proposed config says whether it would work, and
//! neither saves anything; an edit whose check fails saves nothing unless forced; the fix
//! (secret sent again, or left blank to keep it) is checked, saved, and syncs at once rather
//! than after the failure backoff; pause stops autosync and resume starts it at once.

use crate::common;

use std::time::{Duration, Instant};

use junction_emulators::WooConfig;
use serde_json::{Value, json};

use common::admin::{AdminApi, cli, cli_json};

const ADMIN: &str = "fixes-admin-token";

/// The number of orders runs that have ended, and the newest one.
async fn orders_runs(admin: &AdminApi, connection: &str) -> (usize, Value) {
    let runs = admin
        .ok(&format!(
            "/connections/{connection}/runs?resource=orders&limit=1000"
        ))
        .await;
    let ended: Vec<Value> = runs["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] != "running")
        .cloned()
        .collect();
    let newest = ended.first().cloned().unwrap_or(Value::Null);
    (ended.len(), newest)
}

async fn wait_for_ended_runs(
    admin: &AdminApi,
    connection: &str,
    at_least: usize,
    within: Duration,
) -> Value {
    let start = Instant::now();
    loop {
        let (count, newest) = orders_runs(admin, connection).await;
        if count >= at_least {
            return newest;
        }
        assert!(
            start.elapsed() < within,
            "no {at_least} ended orders runs within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_credential_is_tested_fixed_and_synced_at_once() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: 4,
            customers: 1,
            products: 1,
            variable_every: 0,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let (data, server) = common::serve_with(&["woocommerce"], ADMIN).await;
    let admin = AdminApi::new(&server.base, ADMIN);
    let base = server.base.clone();
    admin.posted("/tenants", json!({"name": "acme"})).await;
    let good = json!({"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"});
    let mut wrong = good.clone();
    wrong["consumer_secret"] = json!("cs_typo");
    let created = admin
        .posted(
            "/connections",
            json!({"tenant": "acme", "connector": "woocommerce", "name": "shop", "config": wrong}),
        )
        .await;
    let id = created["connection"]["id"].as_str().unwrap().to_string();
    let failed = wait_for_ended_runs(&admin, &id, 1, Duration::from_secs(60)).await;
    assert_eq!(failed["status"], "failed", "{failed}");

    // Testing says why the stored config fails and whether a proposed one works; neither
    // saves anything.
    let stored = cli_json(
        cli(&base, data.path(), &["connections", "test", &id]),
        "test",
    );
    assert_eq!(stored["ok"], false, "{stored}");
    assert!(!stored["message"].as_str().unwrap().is_empty());
    let good_text = good.to_string();
    let proposed = cli_json(
        cli(
            &base,
            data.path(),
            &["connections", "test", &id, "--config", &good_text],
        ),
        "test --config",
    );
    assert_eq!(proposed["ok"], true, "{proposed}");
    let (status, refused) = admin
        .post(
            &format!("/connections/{id}/test"),
            json!({"config": {"base_url": 7}}),
        )
        .await;
    assert_eq!(
        (status, refused["ok"].clone()),
        (200, json!(false)),
        "{refused}"
    );

    // A name another connection of the tenant has is refused, naming the field.
    admin
        .posted(
            "/connections",
            json!({"tenant": "acme", "connector": "woocommerce", "name": "other", "config": good}),
        )
        .await;
    let (status, taken) = admin
        .call(
            reqwest::Method::PATCH,
            &format!("/connections/{id}"),
            Some(json!({"name": "other"})),
        )
        .await;
    assert_eq!(
        (status, taken["field"].clone()),
        (400, json!("name")),
        "{taken}"
    );

    // An edit whose check fails saves nothing (unless forced).
    let mut still_wrong = good.clone();
    still_wrong["consumer_secret"] = json!("cs_typo_again");
    let (status, refused) = admin
        .call(
            reqwest::Method::PATCH,
            &format!("/connections/{id}"),
            Some(json!({"config": still_wrong, "name": "renamed"})),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["code"], "check_failed");
    assert!(
        refused["message"].as_str().unwrap().contains("force"),
        "{refused}"
    );
    assert_eq!(
        admin.ok(&format!("/connections/{id}")).await["connection"]["name"],
        "shop"
    );

    // The fix: checked, saved, and the next sync runs at once (the failure backoff is 30 s
    // or more; this waits 20 s at most).
    let before = orders_runs(&admin, &id).await.0;
    let fixed = cli_json(
        cli(
            &base,
            data.path(),
            &[
                "connections",
                "edit",
                &id,
                "--name",
                "shop (fixed)",
                "--config",
                &good_text,
            ],
        ),
        "edit",
    );
    assert_eq!(fixed["check"]["ok"], true, "{fixed}");
    assert_eq!(fixed["connection"]["name"], "shop (fixed)");
    assert_eq!(
        fixed["config"]["consumer_secret"], "***",
        "secrets are never shown"
    );
    let synced = wait_for_ended_runs(&admin, &id, before + 1, Duration::from_secs(20)).await;
    assert_eq!(synced["status"], "succeeded", "{synced}");

    // A secret left blank keeps its stored value (a form never gets secrets back).
    let mut blank = good.clone();
    blank["consumer_secret"] = json!("");
    let kept = admin
        .call(
            reqwest::Method::PATCH,
            &format!("/connections/{id}"),
            Some(json!({"config": blank})),
        )
        .await;
    assert_eq!(kept.0, 200, "{}", kept.1);
    assert_eq!(
        kept.1["check"]["ok"], true,
        "the kept secret still works: {}",
        kept.1
    );

    // A new address with a blank secret: refused — a stored secret only goes where it went.
    let mut moved = blank.clone();
    moved["base_url"] = json!("http://127.0.0.1:9");
    let (status, refused) = admin
        .call(
            reqwest::Method::PATCH,
            &format!("/connections/{id}"),
            Some(json!({"config": moved, "force": true})),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("only sent where it was sent before"),
        "{refused}"
    );
    let tested = admin
        .posted(&format!("/connections/{id}/test"), json!({"config": moved}))
        .await;
    assert_eq!(
        tested["ok"], false,
        "the stored secret is not sent to the new address: {tested}"
    );
    assert_eq!(
        admin.ok(&format!("/connections/{id}")).await["config"]["base_url"],
        shop.base_url(),
        "nothing was saved"
    );

    // Pause: a sync asked for does not run; resume: it runs at once.
    let paused = cli_json(
        cli(&base, data.path(), &["connections", "pause", &id]),
        "pause",
    );
    assert_eq!(paused["connection"]["paused"], true);
    // Let whatever the edit queued finish, then ask for a sync while paused.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (before, _) = orders_runs(&admin, &id).await;
    admin
        .posted(
            &format!("/connections/{id}/sync?resource=orders"),
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        orders_runs(&admin, &id).await.0,
        before,
        "no run while paused"
    );
    let resumed = cli_json(
        cli(&base, data.path(), &["connections", "resume", &id]),
        "resume",
    );
    assert_eq!(resumed["connection"]["paused"], false);
    let after = wait_for_ended_runs(&admin, &id, before + 1, Duration::from_secs(20)).await;
    assert_eq!(after["status"], "succeeded");
}

/// Deleting takes the connection's name (or id) as confirmation; its records, keys (refused
/// at once), sync state and scoped webhooks go; automations using it are turned off with
/// the reason and cannot be turned on again; the other connection is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_connection_removes_what_it_held_and_turns_off_its_automations() {
    let config = WooConfig {
        orders: 3,
        customers: 1,
        products: 3,
        variable_every: 0,
        ..WooConfig::default()
    };
    let shop = junction_emulators::start(config.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let other = junction_emulators::start(
        WooConfig { seed: 9, ..config },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let (data, server) = common::serve_with(&["woocommerce"], ADMIN).await;
    let admin = AdminApi::new(&server.base, ADMIN);
    let base = server.base.clone();
    admin.posted("/tenants", json!({"name": "acme"})).await;
    let connect = |name: &str, shop: &junction_emulators::WooEmulator| {
        json!({"tenant": "acme", "connector": "woocommerce", "name": name,
               "config": {"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}})
    };
    let doomed = admin.posted("/connections", connect("doomed", &shop)).await["connection"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let kept = admin.posted("/connections", connect("kept", &other)).await["connection"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    common::admin::wait_for_runs(&admin, &doomed, &["orders"], "succeeded").await;
    common::admin::wait_for_runs(&admin, &kept, &["orders"], "succeeded").await;
    let key = admin
        .posted(&format!("/connections/{doomed}/keys"), json!({"name": "k"}))
        .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let automation = admin
        .posted(
            "/automations",
            json!({"tenant": "acme", "name": "doomed to kept", "sourceConnectionId": doomed, "targetConnectionId": kept,
                   "cadenceSeconds": 3600, "entities": {"products": {"direction": "source_to_target"}}}),
        )
        .await;
    let automation_id = automation["id"].as_str().unwrap().to_string();
    admin
        .posted(
            "/webhooks",
            json!({"tenant": "acme", "connection": doomed, "url": "http://127.0.0.1:9/hook"}),
        )
        .await;
    let http = reqwest::Client::new();
    let read = |key: String| {
        let http = http.clone();
        let url = format!("{base}/api/v1/api/orders");
        async move {
            http.get(url)
                .header("X-API-KEY", key)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(read(key.clone()).await, 200);

    // Without the right confirmation nothing happens.
    let refused = cli(
        &base,
        data.path(),
        &["connections", "delete", &doomed, "--confirm", "kept"],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("confirm"));
    assert_eq!(read(key.clone()).await, 200);

    let deleted = cli_json(
        cli(
            &base,
            data.path(),
            &["connections", "delete", &doomed, "--confirm", "doomed"],
        ),
        "delete",
    );
    assert!(deleted["records"].as_i64().unwrap() > 0, "{deleted}");
    assert_eq!(
        (
            deleted["keys"].clone(),
            deleted["webhookEndpoints"].clone(),
            deleted["automationsDisabled"].clone()
        ),
        (json!(1), json!(1), json!(1)),
        "{deleted}"
    );
    assert_eq!(read(key).await, 401, "its keys are refused at once");
    assert_eq!(admin.get(&format!("/connections/{doomed}")).await.0, 404);
    let listed = admin.ok("/connections").await;
    assert!(!listed.to_string().contains(&doomed), "gone from the list");
    let webhooks = admin.ok("/webhooks").await;
    assert!(
        !webhooks.to_string().contains(&doomed),
        "its webhooks are gone: {webhooks}"
    );
    let shown = admin.ok(&format!("/automations/{automation_id}")).await;
    let shown_text = shown.to_string();
    assert!(
        shown_text.contains("was deleted") && shown_text.contains("\"enabled\":false"),
        "{shown}"
    );
    // The other side is untouched and still syncs.
    assert!(
        admin.ok(&format!("/connections/{kept}")).await["resources"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );
}

/// The portal's edit form: the stored settings filled in (never the secrets), "Test
/// settings" saves nothing, a save whose check fails saves nothing unless forced, the fix
/// saves and syncs at once, and a blank secret keeps the stored one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_tests_settings_before_it_saves_them() {
    use common::portal::{browser, csrf_of, location, page, signed_in_operator};
    let shop = junction_emulators::start(
        WooConfig {
            orders: 2,
            customers: 1,
            products: 1,
            variable_every: 0,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let (_data, server) = common::serve_with(&["woocommerce"], ADMIN).await;
    let admin = AdminApi::new(&server.base, ADMIN);
    let base = server.base.clone();
    admin.posted("/tenants", json!({"name": "acme"})).await;
    let created = admin
        .posted(
            "/connections",
            json!({"tenant": "acme", "connector": "woocommerce", "name": "shop",
                   "config": {"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_typo"}}),
        )
        .await;
    let id = created["connection"]["id"].as_str().unwrap().to_string();
    let failed = wait_for_ended_runs(&admin, &id, 1, Duration::from_secs(60)).await;
    assert_eq!(failed["status"], "failed");

    let operator = browser();
    signed_in_operator(&operator, &base, ADMIN).await;
    let edit_url = format!("{base}/portal/connections/{id}/edit");
    let form = page(&operator, &edit_url).await;
    assert!(
        form.contains(&shop.base_url()),
        "the stored address is filled in"
    );
    assert!(
        !form.contains("cs_typo"),
        "a secret never comes back into a page"
    );
    assert!(form.contains("Leave it blank to keep it"), "{form}");
    let csrf = csrf_of(&form);
    let submit = |fields: Vec<(&'static str, String)>| {
        let operator = operator.clone();
        let url = edit_url.clone();
        let csrf = csrf.clone();
        async move {
            let mut pairs = vec![("csrf", csrf)];
            pairs.extend(fields);
            operator.post(url).form(&pairs).send().await.unwrap()
        }
    };
    let settings = |secret: &str| {
        vec![
            ("name", "shop".to_string()),
            ("config.base_url", shop.base_url()),
            ("config.consumer_key", "ck_test".to_string()),
            ("config.consumer_secret", secret.to_string()),
        ]
    };

    // Test settings: the outcome on the page, nothing saved.
    let mut fields = settings("cs_test");
    fields.push(("action", "test".into()));
    let tested = submit(fields).await;
    assert_eq!(tested.status(), 200);
    let html = tested.text().await.unwrap();
    assert!(html.contains("Check passed"), "{html}");
    let before = orders_runs(&admin, &id).await.0;

    // Save with a failing check: refused, nothing saved.
    let mut fields = settings("cs_wrong");
    fields.push(("action", "save".into()));
    let refused = submit(fields).await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Check failed") && html.contains("Nothing was saved"),
        "{html}"
    );

    // The fix: saved, and the sync runs at once (not after the failure backoff).
    let mut fields = settings("cs_test");
    fields.push(("action", "save".into()));
    let saved = submit(fields).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(
        location(&saved),
        format!("/portal/connections/{id}?done=edited#main")
    );
    let synced = wait_for_ended_runs(&admin, &id, before + 1, Duration::from_secs(20)).await;
    assert_eq!(synced["status"], "succeeded", "{synced}");

    // A blank secret keeps the stored (working) one; the name changes.
    let mut fields = settings("");
    fields[0].1 = "shop (renamed)".into();
    fields.push(("action", "save".into()));
    let kept = submit(fields).await;
    assert_eq!(
        kept.status(),
        303,
        "{}",
        kept.text().await.unwrap_or_default()
    );
    assert_eq!(
        admin.ok(&format!("/connections/{id}")).await["connection"]["name"],
        "shop (renamed)"
    );
    let tested = cli_free_check(&admin, &id).await;
    assert_eq!(
        tested["ok"], true,
        "the stored secret still works: {tested}"
    );

    // Forced: saved although the check fails.
    let mut fields = settings("cs_wrong");
    fields.push(("action", "save".into()));
    fields.push(("force", "true".into()));
    let forced = submit(fields).await;
    assert_eq!(
        location(&forced),
        format!("/portal/connections/{id}?done=edited-forced#main")
    );
    assert_eq!(cli_free_check(&admin, &id).await["ok"], false);
}

/// The connector's check with the stored config, through the admin API.
async fn cli_free_check(admin: &AdminApi, id: &str) -> Value {
    admin
        .posted(&format!("/connections/{id}/test"), json!({}))
        .await
}
