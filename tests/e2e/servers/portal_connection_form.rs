//! Creating a connection in the portal against the real `junction serve`, as a browser
//! without JavaScript would (reqwest with a cookie store, redirects observed one by one):
//! a tenant user chooses a connector from the loaded ones, gets the WooCommerce form
//! generated from its config schema (secrets as password inputs, labels and required marks
//! from the schema), sees each mistake beside its field (422, `aria-invalid`, the message,
//! non-secret values kept, secrets never echoed), creates the connection (303 to its page;
//! the admin API shows it in the user's tenant with the secrets sealed, and it syncs with
//! the WooCommerce emulator), cannot create in another tenant, cannot post without the CSRF
//! token; the operator picks the tenant. A second test renders and submits the form of every
//! real connector.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::common::admin::AdminApi;
use crate::common::portal::{signed_in, signed_in_operator};

use common::portal::{browser, csrf_of, location};

use std::time::{Duration, Instant};

use junction_emulators::WooConfig;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

const ADMIN: &str = "portal-form-admin-token";
const ADA_PASSWORD: &str = "acme correct horse";
const GIL_PASSWORD: &str = "globex battery staple";
/// A secret that must never come back in a page or the admin API.
const SECRET: &str = "cs-never-shown-again-7731";

/// The whole start tag of the element with `id` (`<input ... id="x" ...>`).
fn tag(html: &str, id: &str) -> String {
    let at = html
        .find(&format!(r#" id="{id}""#))
        .unwrap_or_else(|| panic!("no element #{id} in {html}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    html[start..=end].to_string()
}

/// The text of the element with `id` (up to its first child tag's end; enough for
/// paragraphs whose only child is the hidden "Error:" prefix).
fn text_of(html: &str, id: &str) -> String {
    let start_tag = tag(html, id);
    let at = html.find(&start_tag).unwrap() + start_tag.len();
    let rest = &html[at..];
    let end = rest.find("</p>").or_else(|| rest.find("</")).unwrap();
    let mut text = String::new();
    let mut inside = false;
    for ch in rest[..end].chars() {
        match ch {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => text.push(c),
            _ => {}
        }
    }
    text.trim().to_string()
}

/// GET a portal page: its status and HTML.
async fn get(client: &Client, url: &str) -> (StatusCode, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// POST the connection form: its response.
async fn post_form(client: &Client, base: &str, fields: &[(&str, &str)]) -> Response {
    client
        .post(format!("{base}/portal/connections/new"))
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// Start `junction serve` with these components and wait until all are loaded (compiling
/// the big polyglot ones takes a while on a small machine).
async fn serve_with(components: &[&str]) -> (tempfile::TempDir, common::ServerProcess) {
    let data = tempfile::tempdir().unwrap();
    let plugins = data.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for name in components {
        std::fs::copy(
            common::component(name),
            plugins.join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    std::fs::write(data.path().join("admin.token"), ADMIN).unwrap();
    let server = common::spawn_server(data.path(), common::free_port(), &[]);
    let client = Client::new();
    let start = Instant::now();
    loop {
        let loaded = match client
            .get(format!("{}/api/v1/connectors", server.base))
            .send()
            .await
        {
            Ok(r) => r.json::<Value>().await.unwrap()["connectors"]
                .as_array()
                .map_or(0, Vec::len),
            Err(_) => 0,
        };
        if loaded == components.len() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the server never loaded {components:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    (data, server)
}

/// Wait until a connection's resource has ended a run with `status`.
async fn wait_for_run(api: &AdminApi, connection: &str, resource: &str, status: &str) {
    let start = Instant::now();
    loop {
        let (_, shown) = api.get(&format!("/connections/{connection}")).await;
        let done = shown["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["resource"] == resource && r["lastStatus"] == status);
        if done {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "{connection} never reached {status}: {shown}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The connection id a successful create redirected to.
fn created_id(response: &Response) -> String {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "a created connection redirects to its page"
    );
    let to = location(response);
    let id = to
        .strip_prefix("/portal/connections/")
        .and_then(|rest| rest.strip_suffix("?done=created"))
        .unwrap_or_else(|| panic!("redirected to {to}"));
    assert!(
        !id.is_empty() && !id.contains('/') && !id.contains('?'),
        "{to}"
    );
    id.to_string()
}

#[tokio::test]
async fn portal_connection_form() {
    let shop = junction_emulators::start(
        WooConfig {
            orders: 5,
            customers: 2,
            products: 2,
            variable_every: 0,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let (_data, server) = serve_with(&["woocommerce", "hello-feed"]).await;
    let base = server.base.as_str();
    let api = AdminApi::new(base, ADMIN);
    let mut tenant_ids = std::collections::HashMap::new();
    for name in ["acme", "globex"] {
        let (status, tenant) = api.post("/tenants", json!({ "name": name })).await;
        assert_eq!(status, 201, "{tenant}");
        tenant_ids.insert(name, tenant["id"].as_str().unwrap().to_string());
    }
    for (tenant, email, password) in [
        ("acme", "ada@acme.example", ADA_PASSWORD),
        ("globex", "gil@globex.example", GIL_PASSWORD),
    ] {
        let (status, user) = api
            .post(
                "/users",
                json!({"tenant": tenant, "email": email, "password": password}),
            )
            .await;
        assert_eq!(status, 201, "{user}");
    }

    // Ada's empty Connections page leads to the form.
    let ada = browser();
    signed_in(&ada, base, "ada@acme.example", ADA_PASSWORD).await;
    let (_, list) = get(&ada, &format!("{base}/portal/connections")).await;
    assert!(
        tag(&list, "new-connection").contains(r#"href="/portal/connections/new""#),
        "{list}"
    );
    assert!(
        list.contains(r#"<a href="/portal/connections/new">create a connection</a>"#),
        "the empty state's next step is the form: {list}"
    );

    // Step 1: the loaded connectors, with versions and what they do; no tenant choice.
    let (status, choose) = get(&ada, &format!("{base}/portal/connections/new")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(choose.contains("<title>New connection · Junction portal</title>"));
    for expected in [
        r#">WooCommerce</a> <span class="version">version 0.1.0</span></h2>"#,
        r#">Hello feed</a> <span class="version">version 0.1.0</span></h2>"#,
        "WooCommerce shops through the WooCommerce REST API v3",
        "Reads: orders, customers, products, variations.",
        "your tenant, <strong>acme</strong>",
    ] {
        assert!(
            choose.contains(expected),
            "step 1 lacks {expected}: {choose}"
        );
    }
    let link = tag(&choose, "connector-woocommerce");
    assert!(
        link.starts_with("<a ")
            && link.contains(r#"href="/portal/connections/new?connector=woocommerce""#),
        "each connector links to its form: {link}"
    );
    assert!(
        !choose.contains(r#"id="tenant""#),
        "a user does not choose a tenant"
    );
    let (status, unknown) = get(
        &ada,
        &format!("{base}/portal/connections/new?connector=nope"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        unknown.contains("No connector `nope` is loaded on this server"),
        "{unknown}"
    );

    // Step 2: the WooCommerce form from its schema.
    let form_url = format!("{base}/portal/connections/new?connector=woocommerce");
    let (status, form) = get(&ada, &form_url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains("<h1>New WooCommerce connection</h1>"),
        "{form}"
    );
    for (id, label) in [
        ("config-base_url", "Shop URL"),
        ("config-consumer_key", "Consumer key"),
        ("config-consumer_secret", "Consumer secret"),
        ("name", "Connection name"),
    ] {
        assert!(
            form.contains(&format!(
                r#"<label for="{id}">{label} <span class="required-mark">(required)</span></label>"#
            )),
            "{id} is labelled and marked required: {form}"
        );
        assert!(tag(&form, id).contains(" required"), "{id}");
    }
    assert!(
        form.contains(r#"<label for="config-timeout_seconds">Request timeout (seconds)</label>"#),
        "an optional field has no mark: {form}"
    );
    let url = tag(&form, "config-base_url");
    assert!(
        url.contains(r#"type="url""#) && url.contains(r#"name="config.base_url""#),
        "{url}"
    );
    assert!(
        url.contains(r#"aria-describedby="config-base_url-help""#),
        "{url}"
    );
    assert!(
        text_of(&form, "config-base_url-help")
            .contains("The REST API is used under /wp-json/wc/v3/")
    );
    for secret in ["config-consumer_key", "config-consumer_secret"] {
        let input = tag(&form, secret);
        for attribute in [
            r#"type="password""#,
            r#"autocomplete="new-password""#,
            r#"value="""#,
        ] {
            assert!(input.contains(attribute), "{secret}: {input}");
        }
    }
    let timeout = tag(&form, "config-timeout_seconds");
    for attribute in [
        r#"type="number""#,
        r#"value="30""#,
        r#"min="1""#,
        r#"max="300""#,
        r#"step="1""#,
    ] {
        assert!(timeout.contains(attribute), "{timeout}");
    }
    assert!(!timeout.contains(" required"), "{timeout}");
    assert!(tag(&form, "create-connection").starts_with(r#"<button type="submit""#));
    assert!(tag(&form, "name").contains(r#"type="text""#));
    let csrf = csrf_of(&form);

    // A bad URL and a missing secret: 422, each error beside its field, typed values kept
    // except the secret; a number over the schema's maximum is the schema's own message.
    let refused = post_form(
        &ada,
        base,
        &[
            ("csrf", csrf.as_str()),
            ("connector", "woocommerce"),
            ("name", "Main shop"),
            ("config.base_url", "shop.example.com"),
            ("config.consumer_key", "ck_test"),
            ("config.consumer_secret", SECRET),
            ("config.timeout_seconds", "500"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        !html.contains(SECRET) && !html.contains("ck_test"),
        "secrets are never echoed: {html}"
    );
    let url = tag(&html, "config-base_url");
    assert!(url.contains(r#"aria-invalid="true""#), "{url}");
    assert!(
        url.contains(r#"aria-describedby="config-base_url-help config-base_url-error""#),
        "{url}"
    );
    assert!(url.contains(r#"value="shop.example.com""#), "kept: {url}");
    assert!(
        text_of(&html, "config-base_url-error")
            .contains("Enter a full web address starting with https:// or http://"),
        "{html}"
    );
    let timeout = tag(&html, "config-timeout_seconds");
    assert!(
        timeout.contains(r#"aria-invalid="true""#) && timeout.contains(r#"value="500""#),
        "{timeout}"
    );
    assert!(
        text_of(&html, "config-timeout_seconds-error").contains("maximum of 300"),
        "{html}"
    );
    assert!(tag(&html, "name").contains(r#"value="Main shop""#));
    assert!(!tag(&html, "name").contains("aria-invalid"));
    for secret in ["config-consumer_key", "config-consumer_secret"] {
        let input = tag(&html, secret);
        assert!(input.contains(r#"value="""#), "{input}");
        assert!(
            text_of(&html, &format!("{secret}-note")).contains("Enter it again"),
            "the page says why the secret is empty: {html}"
        );
    }
    let summary = tag(&html, "error-summary");
    assert!(
        summary.contains(r#"role="alert""#) && summary.contains(r#"tabindex="-1""#),
        "{summary}"
    );
    assert!(html.contains(r##"<a href="#config-base_url">Shop URL: Enter a full web address"##));
    assert!(html.contains(r##"<a href="#config-timeout_seconds">Request timeout (seconds): "##));

    let missing = post_form(
        &ada,
        base,
        &[
            ("csrf", csrf.as_str()),
            ("connector", "woocommerce"),
            ("name", "  "),
            ("config.base_url", shop.base_url().as_str()),
            ("config.consumer_key", "ck_test"),
            ("config.consumer_secret", ""),
            ("config.timeout_seconds", ""),
        ],
    )
    .await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = missing.text().await.unwrap();
    let secret = tag(&html, "config-consumer_secret");
    assert!(secret.contains(r#"aria-invalid="true""#), "{secret}");
    assert_eq!(
        text_of(&html, "config-consumer_secret-error"),
        "Error: This field is required."
    );
    assert!(tag(&html, "name").contains(r#"aria-invalid="true""#));
    assert_eq!(
        text_of(&html, "name-error"),
        "Error: Enter a name for the connection."
    );
    assert!(
        !tag(&html, "config-consumer_key").contains("aria-invalid"),
        "a filled secret is not in error"
    );
    assert!(
        !tag(&html, "config-timeout_seconds").contains("aria-invalid"),
        "an empty optional field is fine"
    );
    assert!(
        tag(&html, "config-base_url").contains(&format!(r#"value="{}""#, shop.base_url())),
        "kept"
    );

    // Without the form token, or with another, the POST is refused before anything happens.
    let valid = |csrf: &str| -> Vec<(String, String)> {
        [
            ("csrf", csrf),
            ("connector", "woocommerce"),
            ("name", "Main shop"),
            ("config.base_url", shop.base_url().as_str()),
            ("config.consumer_key", "ck_test"),
            ("config.consumer_secret", "cs_test"),
            ("config.timeout_seconds", "20"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let no_token: Vec<(String, String)> = valid("").into_iter().skip(1).collect();
    let forbidden = ada
        .post(format!("{base}/portal/connections/new"))
        .form(&no_token)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let forbidden = ada
        .post(format!("{base}/portal/connections/new"))
        .form(&valid(&"x".repeat(43)))
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    // A user cannot create in another tenant, whatever the form says.
    let mut forged = valid(&csrf);
    forged.push(("tenant".into(), tenant_ids["globex"].clone()));
    let refused = ada
        .post(format!("{base}/portal/connections/new"))
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let (status, _) = get(
        &ada,
        &format!(
            "{base}/portal/connections/new?connector=woocommerce&tenant={}",
            tenant_ids["globex"]
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, none) = api.get("/connections?tenant=globex").await;
    assert_eq!(none["data"].as_array().map(Vec::len), Some(0), "{none}");
    let (_, none) = api.get("/connections?tenant=acme").await;
    assert_eq!(
        none["data"].as_array().map(Vec::len),
        Some(0),
        "nothing created so far: {none}"
    );

    // A valid form creates the connection in Ada's tenant and goes to its page.
    let created = ada
        .post(format!("{base}/portal/connections/new"))
        .form(&valid(&csrf))
        .send()
        .await
        .unwrap();
    let id = created_id(&created);
    assert!(
        created.text().await.unwrap().is_empty(),
        "nothing but the redirect"
    );
    let (status, shown) = api.get(&format!("/connections/{id}")).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["connection"]["tenantId"], tenant_ids["acme"].as_str());
    assert_eq!(shown["connection"]["name"], "Main shop");
    assert_eq!(shown["connection"]["connectorKey"], "woocommerce");
    assert_eq!(
        shown["config"],
        json!({
            "base_url": shop.base_url(),
            "timeout_seconds": 20,
            "consumer_key": "***",
            "consumer_secret": "***",
        }),
        "numbers are numbers; secrets are sealed"
    );
    let raw = api.text(&format!("/connections/{id}")).await;
    assert!(
        !raw.contains("ck_test") && !raw.contains("cs_test"),
        "{raw}"
    );
    // The sealed secrets work: the first sync against the emulator succeeds.
    wait_for_run(&api, &id, "orders", "succeeded").await;

    // The same name again in the same tenant: said beside the name.
    let again = ada
        .post(format!("{base}/portal/connections/new"))
        .form(&valid(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = again.text().await.unwrap();
    assert!(
        text_of(&html, "name-error").contains("already has a connection named"),
        "{html}"
    );
    // An unknown connector in the form: a clear error, nothing created.
    let mut unknown = valid(&csrf);
    unknown[1].1 = "nope".into();
    unknown[2].1 = "Other shop".into();
    let refused = ada
        .post(format!("{base}/portal/connections/new"))
        .form(&unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("No connector `nope` is loaded on this server")
    );
    let (_, acme) = api.get("/connections?tenant=acme").await;
    assert_eq!(acme["data"].as_array().map(Vec::len), Some(1), "{acme}");

    // The operator chooses the tenant in a select on the form (one chosen before, e.g. from
    // a tenant's empty state, is carried through step 1); it is required on submit.
    let operator = browser();
    signed_in_operator(&operator, base, ADMIN).await;
    let (_, choose) = get(&operator, &format!("{base}/portal/connections/new")).await;
    assert!(choose.contains("You choose the tenant"), "{choose}");
    let (_, form) = get(
        &operator,
        &format!("{base}/portal/connections/new?connector=woocommerce"),
    )
    .await;
    let select = tag(&form, "tenant");
    assert!(
        select.starts_with("<select") && select.contains(" required"),
        "{select}"
    );
    for name in ["acme", "globex"] {
        assert!(
            form.contains(&format!(
                r#"<option value="{}">{name}</option>"#,
                tenant_ids[name]
            )),
            "{form}"
        );
    }
    let (_, choose) = get(
        &operator,
        &format!("{base}/portal/connections/new?tenant=globex"),
    )
    .await;
    assert!(
        tag(&choose, "connector-woocommerce").contains(&format!(
            "?connector=woocommerce&#38;tenant={}",
            tenant_ids["globex"]
        )),
        "{choose}"
    );
    let (_, list) = get(&operator, &format!("{base}/portal/connections")).await;
    assert!(
        list.contains(r#"href="/portal/connections/new?tenant=globex""#),
        "a tenant's empty state leads to the form for that tenant: {list}"
    );
    let (status, form) = get(
        &operator,
        &format!(
            "{base}/portal/connections/new?connector=woocommerce&tenant={}",
            tenant_ids["globex"]
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains(&format!(
            r#"<option value="{}" selected>globex</option>"#,
            tenant_ids["globex"]
        )),
        "{form}"
    );
    let operator_csrf = csrf_of(&form);
    let mut no_tenant = valid(&operator_csrf);
    no_tenant[2].1 = "Globex shop".into();
    let refused = operator
        .post(format!("{base}/portal/connections/new"))
        .form(&no_tenant)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(tag(&html, "tenant").contains(r#"aria-invalid="true""#));
    assert!(text_of(&html, "tenant-error").contains("Choose the tenant"));
    let mut for_globex = no_tenant.clone();
    for_globex.push(("tenant".into(), tenant_ids["globex"].clone()));
    let created = operator
        .post(format!("{base}/portal/connections/new"))
        .form(&for_globex)
        .send()
        .await
        .unwrap();
    let globex_id = created_id(&created);
    let (_, shown) = api.get(&format!("/connections/{globex_id}")).await;
    assert_eq!(
        shown["connection"]["tenantId"],
        tenant_ids["globex"].as_str()
    );
    assert_eq!(shown["connection"]["name"], "Globex shop");

    // Gil sees Globex's new connection; Ada does not.
    let gil = browser();
    signed_in(&gil, base, "gil@globex.example", GIL_PASSWORD).await;
    let (_, list) = get(&gil, &format!("{base}/portal/connections")).await;
    assert!(list.contains("Globex shop") && !list.contains("Main shop"));
    let (_, list) = get(&ada, &format!("{base}/portal/connections")).await;
    assert!(list.contains("Main shop") && !list.contains("Globex shop"));
}

/// A connector, what is typed into its form (property, value), its secret inputs' ids, and
/// the config the admin API then shows.
type Case<'a> = (&'a str, Vec<(&'a str, String)>, &'a [&'a str], Value);

/// Every real connector's form renders from its schema and a filled-in form creates a
/// connection whose config has the schema's types.
#[tokio::test]
async fn every_connector_form_renders_and_submits() {
    let all = [
        "woocommerce",
        "vendure",
        "tryton",
        "connectif",
        "bugalou",
        "push",
        "hello-feed",
        "feed-js",
        "catalog-py",
    ];
    let (_data, server) = serve_with(&all).await;
    let base = server.base.as_str();
    let api = AdminApi::new(base, ADMIN);
    let (status, _) = api.post("/tenants", json!({ "name": "acme" })).await;
    assert_eq!(status, 201);
    let (status, _) = api
        .post(
            "/users",
            json!({"tenant": "acme", "email": "ada@acme.example", "password": ADA_PASSWORD}),
        )
        .await;
    assert_eq!(status, 201);
    let ada = browser();
    signed_in(&ada, base, "ada@acme.example", ADA_PASSWORD).await;
    let (_, choose) = get(&ada, &format!("{base}/portal/connections/new")).await;
    for key in all {
        assert!(
            choose.contains(&format!(r#"id="connector-{key}""#)),
            "{key} is listed"
        );
    }

    // Nothing listens on port 9 of loopback: the syncs these start fail harmlessly.
    let nowhere = "http://127.0.0.1:9";
    let cases: Vec<Case> = vec![
        (
            "woocommerce",
            vec![
                ("base_url", nowhere.into()),
                ("consumer_key", "ck".into()),
                ("consumer_secret", "cs".into()),
            ],
            &["config-consumer_key", "config-consumer_secret"],
            json!({"base_url": nowhere, "timeout_seconds": 30, "consumer_key": "***", "consumer_secret": "***"}),
        ),
        (
            "vendure",
            vec![
                ("base_url", nowhere.into()),
                ("api_key", "vendure-key".into()),
                ("username", String::new()),
                ("password", String::new()),
            ],
            &["config-api_key", "config-password"],
            json!({"base_url": nowhere, "admin_api_path": "admin-api", "money_decimals": 2,
                "timeout_seconds": 30, "api_key": "***", "password": "***"}),
        ),
        (
            "tryton",
            vec![
                ("base_url", nowhere.into()),
                ("database", "tryton".into()),
                ("user", "admin".into()),
                ("password", "pw".into()),
            ],
            &["config-password"],
            json!({"base_url": nowhere, "database": "tryton", "user": "admin",
                "timeout_seconds": 30, "password": "***"}),
        ),
        (
            "connectif",
            vec![
                ("api_key", "cn-key".into()),
                (
                    "product_url_template",
                    "https://shop.example/?p={id}".into(),
                ),
                // Unticked: the default (ticked) is left out of the form's values.
                ("trigger_purchase_event", "(unticked)".into()),
            ],
            &["config-api_key"],
            json!({"api_key": "***", "base_url": "https://api.connectif.cloud",
                "product_url_template": "https://shop.example/?p={id}",
                "timeout_seconds": 30, "trigger_purchase_event": false}),
        ),
        (
            "bugalou",
            vec![
                ("api_key", "bg_live_x".into()),
                ("platform", "woocommerce".into()),
                ("base_url", nowhere.into()),
                ("status_map", r#"{"completed": "delivered"}"#.into()),
            ],
            &["config-api_key"],
            // The endpoint select submits its default (the Orders API).
            json!({"api_key": "***", "platform": "woocommerce", "base_url": nowhere,
                "endpoint": "orders", "status_map": {"completed": "delivered"},
                "timeout_seconds": 30}),
        ),
        (
            "push",
            vec![("description", "Our ERP pushes its orders".into())],
            &[],
            json!({"description": "Our ERP pushes its orders"}),
        ),
        (
            "hello-feed",
            vec![("feed_url", format!("{nowhere}/feed"))],
            &[],
            json!({"feed_url": format!("{nowhere}/feed")}),
        ),
        (
            "feed-js",
            vec![
                ("feed_url", format!("{nowhere}/feed/v1")),
                ("api_key", String::new()),
            ],
            &["config-api_key"],
            // The admin view stars every secret property, set or not.
            json!({"feed_url": format!("{nowhere}/feed/v1"), "api_key": "***"}),
        ),
        (
            "catalog-py",
            vec![
                ("catalog_url", format!("{nowhere}/catalog")),
                ("api_key", "catalog-key".into()),
            ],
            &["config-api_key"],
            json!({"catalog_url": format!("{nowhere}/catalog"), "api_key": "***"}),
        ),
    ];
    for (key, typed, secrets, expected) in cases {
        let (status, form) = get(
            &ada,
            &format!("{base}/portal/connections/new?connector={key}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{key}: {form}");
        for secret in secrets {
            let input = tag(&form, secret);
            assert!(
                input.contains(r#"type="password""#)
                    && input.contains(r#"autocomplete="new-password""#),
                "{key}: {input}"
            );
        }
        assert_eq!(
            form.matches(r#"type="password""#).count(),
            secrets.len(),
            "{key}: only secrets are password inputs"
        );
        // What a browser sends: every pre-filled value, changed by what was typed.
        let mut fields: Vec<(String, String)> = vec![
            ("csrf".into(), csrf_of(&form)),
            ("connector".into(), key.into()),
            ("name".into(), format!("{key} connection")),
        ];
        fields.extend(prefilled(&form));
        for (property, value) in typed {
            let name = format!("config.{property}");
            fields.retain(|(n, _)| *n != name);
            if value != "(unticked)" {
                fields.push((name, value));
            }
        }
        let response = ada
            .post(format!("{base}/portal/connections/new"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        if response.status() != StatusCode::SEE_OTHER {
            panic!("{key}: {}", response.text().await.unwrap());
        }
        let id = created_id(&response);
        let (_, shown) = api.get(&format!("/connections/{id}")).await;
        assert_eq!(shown["config"], expected, "{key}");
    }
    // The special form controls: Bugalou's map is a JSON area, Connectif's flag a ticked box.
    let (_, bugalou) = get(
        &ada,
        &format!("{base}/portal/connections/new?connector=bugalou"),
    )
    .await;
    assert!(tag(&bugalou, "config-status_map").starts_with("<textarea"));
    let (_, connectif) = get(
        &ada,
        &format!("{base}/portal/connections/new?connector=connectif"),
    )
    .await;
    let flag = tag(&connectif, "config-trigger_purchase_event");
    assert!(
        flag.contains(r#"type="checkbox""#) && flag.contains(" checked"),
        "{flag}"
    );
    assert!(connectif.contains(
        r#"<label for="config-trigger_purchase_event">Trigger purchase workflows</label>"#
    ));
    let (_, catalog) = get(
        &ada,
        &format!("{base}/portal/connections/new?connector=catalog-py"),
    )
    .await;
    assert!(
        catalog.contains(r#"<label for="config-catalog_url">Catalog URL <span class="required-mark">(required)</span></label>"#),
        "no title: the property name in words: {catalog}"
    );
}

/// Undo askama's HTML escaping of an attribute value or text.
fn unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

/// The values a browser would send for the form's config inputs as rendered: text-like
/// inputs' `value`, ticked checkboxes, selected options, text areas.
fn prefilled(html: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(r#"name="config."#) {
        let start = rest[..at].rfind('<').unwrap();
        let end = at + rest[at..].find('>').unwrap();
        let tag = &rest[start..=end];
        let attribute = |name: &str| {
            let key = format!(r#" {name}=""#);
            tag.find(&key).map(|i| {
                let from = i + key.len();
                tag[from..from + tag[from..].find('"').unwrap()].to_string()
            })
        };
        let name = attribute("name").unwrap();
        if tag.starts_with("<input") {
            let kind = attribute("type").unwrap_or_default();
            if kind == "checkbox" {
                if tag.contains(" checked") {
                    fields.push((name, attribute("value").unwrap()));
                }
            } else {
                fields.push((name, unescape(&attribute("value").unwrap_or_default())));
            }
        } else if tag.starts_with("<textarea") {
            let body = &rest[end + 1..];
            let text = &body[..body.find("</textarea>").unwrap()];
            fields.push((name, unescape(text)));
        } else if tag.starts_with("<select") {
            let body = &rest[end + 1..];
            let options = &body[..body.find("</select>").unwrap()];
            let selected = options
                .split("<option")
                .find(|o| o.contains(" selected"))
                .and_then(|o| {
                    let from = o.find(r#"value=""#)? + 7;
                    Some(o[from..from + o[from..].find('"')?].to_string())
                })
                .unwrap_or_default();
            fields.push((name, selected));
        }
        rest = &rest[end..];
    }
    fields
}
