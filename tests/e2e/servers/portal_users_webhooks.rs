//! The portal's Users pages (the operator's) and Webhooks pages against the real
//! `junction serve`, as a browser without JavaScript uses them: the operator lists every
//! tenant's users, creates one with a generated password shown once (which then signs in),
//! is refused a short password (422) and a taken email (409) beside the field, deletes a
//! user after a confirmation (their session ends at once); a tenant user has no Users
//! section and gets 404s there. A tenant user adds a webhook endpoint (a bad URL is refused
//! beside its field), sees its secret once, sends a test event that a real receiver gets,
//! retries a delivery (a second arrival), rotates the secret (shown once, the old one's
//! overlap shown), turns it off, and deletes it after a confirmation; another tenant's user
//! sees none of it and gets 404s on every route of it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::common::admin::AdminApi;
use crate::common::portal::{browser, csrf_of, location, page, sign_in, sign_in_operator};

use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const ADMIN: &str = "users-webhooks-admin-token";
const PASSWORD: &str = "a long enough password";

/// POST a portal form with the page's CSRF token: (status, Location, body).
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

async fn get(client: &Client, url: &str) -> (StatusCode, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// The `value` of the input with this id.
fn value_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let tag = &html[at..at + html[at..].find('>').unwrap()];
    let start = tag.find(r#"value=""#).unwrap() + r#"value=""#.len();
    tag[start..start + tag[start..].find('"').unwrap()].to_string()
}

/// Poll the endpoint's page until `check` holds.
async fn wait_for_page(client: &Client, url: &str, what: &str, check: impl Fn(&str) -> bool) {
    let start = Instant::now();
    loop {
        let html = page(client, url).await;
        if check(&html) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{what}: {html}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_operator_manages_users_and_tenants_manage_their_webhooks() {
    let (_data, server) = common::serve_with(&["woocommerce"], ADMIN).await;
    let base = server.base.as_str();
    let api = AdminApi::new(base, ADMIN);
    for (tenant, email) in [
        ("acme", "ada@acme.example"),
        ("globex", "gil@globex.example"),
    ] {
        api.posted("/tenants", json!({ "name": tenant })).await;
        api.posted(
            "/users",
            json!({"tenant": tenant, "email": email, "password": PASSWORD}),
        )
        .await;
    }
    let acme_id = api.ok("/tenants").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "acme")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The operator's Users page lists every tenant's users.
    let operator = browser();
    assert_eq!(
        sign_in_operator(&operator, base, ADMIN).await.status(),
        StatusCode::SEE_OTHER
    );
    let users_url = format!("{base}/portal/users");
    let users = page(&operator, &users_url).await;
    assert!(
        users.contains(r#"<a href="/portal/users">Users</a>"#)
            || users.contains(r#"<a href="/portal/users" aria-current="page">Users</a>"#)
    );
    assert!(users.contains("ada@acme.example") && users.contains("gil@globex.example"));
    let csrf = csrf_of(&users);

    // Created with a generated password, shown once; the user signs in with it.
    let (status, _, created) = post(
        &operator,
        &users_url,
        &csrf,
        &[
            ("tenant", &acme_id),
            ("email", " Bea@Acme.example "),
            ("password", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert!(created.contains("bea@acme.example"), "{created}");
    let generated = value_of(&created, "new-password");
    assert_eq!(generated.len(), 24);
    let bea = browser();
    assert_eq!(
        sign_in(&bea, base, "bea@acme.example", &generated)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    page(&bea, &format!("{base}/portal/connections")).await;
    let users = page(&operator, &users_url).await;
    assert!(
        !users.contains(&generated),
        "the password is never shown again"
    );

    // Refusals beside their field: a short password (422), a taken email (409).
    let (status, _, refused) = post(
        &operator,
        &users_url,
        &csrf,
        &[
            ("tenant", &acme_id),
            ("email", "cy@acme.example"),
            ("password", "short"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains(r#"id="user-password-error""#), "{refused}");
    assert!(refused.contains("at least 12 characters"));
    assert!(
        refused.contains(r#"value="cy@acme.example""#),
        "the email is kept"
    );
    let (status, _, refused) = post(
        &operator,
        &users_url,
        &csrf,
        &[
            ("tenant", &acme_id),
            ("email", "ada@acme.example"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(refused.contains(r#"id="user-email-error""#), "{refused}");
    let (status, _, refused) = post(
        &operator,
        &users_url,
        &csrf,
        &[("email", "dee@acme.example")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains(r#"id="user-tenant-error""#), "{refused}");

    // A form without its CSRF token is refused (403) and creates nothing.
    let forged = operator
        .post(&users_url)
        .form(&[
            ("tenant", acme_id.as_str()),
            ("email", "mal@acme.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(!api.text("/users").await.contains("mal@acme.example"));

    // Deleted after a confirmation: Bea's session ends at once.
    let bea_id = api.ok("/users").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "bea@acme.example")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let confirm = page(&operator, &format!("{users_url}/{bea_id}/delete")).await;
    assert!(confirm.contains("Delete bea@acme.example?"), "{confirm}");
    let (status, to, _) = post(
        &operator,
        &format!("{users_url}/{bea_id}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/portal/users?notice=deleted")
    );
    let (status, _) = get(&bea, &format!("{base}/portal/connections")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out at once");
    assert!(
        !page(&operator, &users_url)
            .await
            .contains("bea@acme.example")
    );

    // A tenant user has no Users section: 404s, nothing created.
    let ada = browser();
    assert_eq!(
        sign_in(&ada, base, "ada@acme.example", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let connections = page(&ada, &format!("{base}/portal/connections")).await;
    assert!(!connections.contains(r#"href="/portal/users""#));
    assert!(connections.contains(r#"href="/portal/webhooks""#));
    let ada_csrf = csrf_of(&connections);
    let (status, _) = get(&ada, &users_url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = post(
        &ada,
        &users_url,
        &ada_csrf,
        &[
            ("tenant", &acme_id),
            ("email", "eve@acme.example"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&ada, &format!("{users_url}/{bea_id}/delete")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!api.text("/users").await.contains("eve@acme.example"));

    // Webhooks: a bad URL is refused beside its field.
    let hooks_url = format!("{base}/portal/webhooks");
    let empty = page(&ada, &hooks_url).await;
    assert!(empty.contains(r#"id="webhooks-empty""#), "{empty}");
    let (status, _, refused) = post(
        &ada,
        &hooks_url,
        &ada_csrf,
        &[("url", "ftp://example.com/hook"), ("events", "*")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains(r#"id="webhook-url-error""#), "{refused}");
    assert!(refused.contains("http or https"), "{refused}");
    let (status, _, refused) = post(
        &ada,
        &hooks_url,
        &ada_csrf,
        &[
            ("url", "https://example.com/hook"),
            ("events", "order.shipped-ish"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains(r#"id="webhook-events-error""#),
        "{refused}"
    );

    let forged = ada
        .post(&hooks_url)
        .form(&[("url", "https://example.com/forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "no CSRF token");
    assert!(!api.text("/webhooks").await.contains("forged"));

    // Created: the secret shown once.
    let (hook, received) = common::webhook_receiver().await;
    let (status, _, created) = post(
        &ada,
        &hooks_url,
        &ada_csrf,
        &[
            ("url", &hook),
            ("events", "order.*, product.updated"),
            ("description", "warehouse"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let secret = value_of(&created, "webhook-secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    let listed = page(&ada, &hooks_url).await;
    assert!(listed.contains(&hook) && listed.contains("order.*, product.updated"));
    assert!(!listed.contains(&secret), "never shown again");
    let endpoint = api.ok("/webhooks").await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let endpoint_url = format!("{hooks_url}/{endpoint}");

    // A test event reaches the receiver and shows in the log as delivered.
    let (status, to, _) = post(&ada, &format!("{endpoint_url}/test"), &ada_csrf, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        to,
        format!("/portal/webhooks/{endpoint}?notice=test#deliveries")
    );
    wait_for_page(&ada, &endpoint_url, "the test delivered", |html| {
        html.contains("webhook.test")
            && html.contains(r#"<span class="badge badge-good">Delivered</span>"#)
    })
    .await;
    assert_eq!(received.lock().unwrap().len(), 1);
    assert_eq!(received.lock().unwrap()[0]["type"], "webhook.test");
    let (_, deliveries) = api.get(&format!("/webhooks/{endpoint}/deliveries")).await;
    let delivery = deliveries["data"][0]["id"].as_str().unwrap().to_string();

    // Retry: it arrives again, and the log shows two attempts.
    let (status, to, _) = post(
        &ada,
        &format!("{endpoint_url}/deliveries/{delivery}/retry"),
        &ada_csrf,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(to.contains("notice=retried"), "{to}");
    wait_for_page(&ada, &endpoint_url, "the retry delivered", |html| {
        html.contains("2 attempts")
    })
    .await;
    assert_eq!(received.lock().unwrap().len(), 2);

    // Rotate: a new secret once, the old one's overlap shown.
    let (status, _, rotated) = post(
        &ada,
        &format!("{endpoint_url}/rotate"),
        &ada_csrf,
        &[("overlap", "3600")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = value_of(&rotated, "webhook-secret");
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);
    assert!(rotated.contains("for: 1 hour"), "{rotated}");
    let shown = page(&ada, &endpoint_url).await;
    assert!(shown.contains("Previous secret signs until"), "{shown}");
    let (status, _, _) = post(
        &ada,
        &format!("{endpoint_url}/rotate"),
        &ada_csrf,
        &[("overlap", "12")],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an overlap not offered"
    );

    // Off, then on.
    let (_, to, _) = post(
        &ada,
        &format!("{endpoint_url}/enabled"),
        &ada_csrf,
        &[("enabled", "off")],
    )
    .await;
    assert!(to.ends_with("notice=disabled"), "{to}");
    let off: Value = api.ok(&format!("/webhooks/{endpoint}")).await;
    assert_eq!(off["endpoint"]["enabled"], false, "{off}");
    assert!(page(&ada, &endpoint_url).await.contains(r#"id="turn-on""#));

    // Another tenant's user: nothing listed, 404 on every route of it.
    let gil = browser();
    assert_eq!(
        sign_in(&gil, base, "gil@globex.example", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let theirs = page(&gil, &hooks_url).await;
    assert!(!theirs.contains(&hook), "{theirs}");
    let gil_csrf = csrf_of(&theirs);
    let (status, _) = get(&gil, &endpoint_url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&gil, &format!("{endpoint_url}/delete")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (path, fields) in [
        ("test", vec![]),
        ("rotate", vec![("overlap", "0")]),
        ("enabled", vec![("enabled", "on")]),
        ("delete", vec![]),
    ] {
        let (status, _, _) =
            post(&gil, &format!("{endpoint_url}/{path}"), &gil_csrf, &fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _, _) = post(
        &gil,
        &format!("{endpoint_url}/deliveries/{delivery}/retry"),
        &gil_csrf,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(received.lock().unwrap().len(), 2, "nothing sent for Gil");
    assert_eq!(
        api.ok(&format!("/webhooks/{endpoint}")).await["endpoint"]["enabled"],
        false
    );

    // Deleted after a confirmation.
    let confirm = page(&ada, &format!("{endpoint_url}/delete")).await;
    assert!(
        confirm.contains(r#"id="confirm-delete-webhook""#),
        "{confirm}"
    );
    let (status, to, _) = post(&ada, &format!("{endpoint_url}/delete"), &ada_csrf, &[]).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/portal/webhooks?notice=deleted")
    );
    assert!(
        page(&ada, &hooks_url)
            .await
            .contains(r#"id="webhooks-empty""#)
    );
    let (status, _) = api.get(&format!("/webhooks/{endpoint}")).await;
    assert_eq!(status, 404);
}
