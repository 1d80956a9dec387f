//! The portal against the real `junction serve`, as a browser without JavaScript would use
//! it (reqwest with a cookie store, redirects observed one by one): users created through
//! the admin CLI (password on standard input) and API, sign-in as a tenant user who sees
//! only that tenant's connections (health, last error, record counts from real syncs with
//! the WooCommerce emulator; a connection named `<script>` shown as text), refusals that
//! never say which part was wrong, the operator signing in with the admin token and seeing
//! every tenant, the empty state, cookie attributes, sign-out (the old cookie stops
//! working), deleting a user ending their session; then CSRF: POSTs without or with a wrong
//! token, or from another origin, get a 403 page; the sign-in throttle; and after a restart
//! with another admin token, a user's session goes on while the operator's is over.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::common::admin::{AdminApi, wait_for_runs};
use crate::common::portal::{open_sign_in, sign_in, sign_in_operator};

use common::portal::{browser, csrf_of, location, page};

use std::io::Write;
use std::process::Stdio;

use junction_emulators::WooConfig;
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

const ADMIN: &str = "portal-admin-token";
const ACME_PASSWORD: &str = "acme correct horse";
const GLOBEX_PASSWORD: &str = "globex battery staple";
const INITECH_PASSWORD: &str = "initech stapler 42";

/// A client without cookies or redirects, to replay a cookie by hand.
fn bare() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `Set-Cookie` header setting `name`, if any.
fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with(&format!("{name}=")))
}

/// The text of the page's alert paragraph.
fn alert_of(html: &str) -> String {
    let start = html
        .find(r#"role="alert">"#)
        .unwrap_or_else(|| panic!("no alert in {html}"))
        + r#"role="alert">"#.len();
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

/// `junction admin users create ... --password-stdin`, the password written to stdin.
fn cli_create_user(base: &str, tenant: &str, email: &str, password: &str) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_junction"))
        .args([
            "admin", "--server", base, "--token", ADMIN, "users", "create",
        ])
        .args(["--tenant", tenant, "--email", email, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

fn cli(base: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_junction"))
        .args(["admin", "--server", base, "--token", ADMIN])
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn users_see_only_their_tenant_and_the_operator_sees_all() {
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

    // Tenants; users through the CLI (password on stdin) and the API.
    let mut tenant_ids = std::collections::HashMap::new();
    for name in ["acme", "globex", "initech"] {
        let (status, tenant) = api.post("/tenants", json!({ "name": name })).await;
        assert_eq!(status, 201, "{tenant}");
        tenant_ids.insert(name, tenant["id"].as_str().unwrap().to_string());
    }
    let out = cli_create_user(base, "acme", "Ada@Acme.example", ACME_PASSWORD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ada: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        ada["email"], "ada@acme.example",
        "emails are stored lower-case"
    );
    assert_eq!(ada["tenantId"], tenant_ids["acme"].as_str());
    let (status, globex_user) = api
        .post(
            "/users",
            json!({"tenant": "globex", "email": "gil@globex.example", "password": GLOBEX_PASSWORD}),
        )
        .await;
    assert_eq!(status, 201, "{globex_user}");
    let (status, _) = api
        .post(
            "/users",
            json!({"tenant": "initech", "email": "ina@initech.example", "password": INITECH_PASSWORD}),
        )
        .await;
    assert_eq!(status, 201);

    // Refusals name the field and never echo the password.
    let (status, short) = api
        .post(
            "/users",
            json!({"tenant": "acme", "email": "bob@acme.example", "password": "tooshort"}),
        )
        .await;
    assert_eq!(
        (status, short["field"].as_str()),
        (400, Some("password")),
        "{short}"
    );
    assert!(short["message"].as_str().unwrap().contains("12"), "{short}");
    assert!(!short.to_string().contains("tooshort"));
    let out = cli_create_user(base, "acme", "bob@acme.example", "tooshort");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("field `password`") && !stderr.contains("tooshort"),
        "{stderr}"
    );
    let (status, taken) = api
        .post(
            "/users",
            json!({"tenant": "globex", "email": "ADA@acme.example", "password": GLOBEX_PASSWORD}),
        )
        .await;
    assert_eq!(status, 409, "an email is unique across tenants: {taken}");
    let (status, no_tenant) = api
        .post(
            "/users",
            json!({"tenant": "nobody", "email": "x@y.example", "password": GLOBEX_PASSWORD}),
        )
        .await;
    assert_eq!((status, no_tenant["field"].as_str()), (400, Some("tenant")));
    let (status, bad_email) = api
        .post(
            "/users",
            json!({"tenant": "acme", "email": "not an email", "password": GLOBEX_PASSWORD}),
        )
        .await;
    assert_eq!((status, bad_email["field"].as_str()), (400, Some("email")));
    let listed = cli(base, &["users", "list", "--tenant", "acme"]);
    assert!(listed.status.success());
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["data"][0]["email"], "ada@acme.example");
    let all = api.get("/users").await.1.to_string();
    assert!(
        !all.contains("argon2") && !all.contains("password"),
        "{all}"
    );

    // Acme's shop (named like markup) syncs; Globex's ERP has a wrong secret and fails.
    let (status, acme_shop) = api
        .post(
            "/connections",
            json!({
                "tenant": "acme",
                "connector": "woocommerce",
                "name": "<script>alert(1)</script> shop",
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

    // Nothing but the sign-in page without a session.
    let anonymous = browser();
    let to_login = anonymous
        .get(format!("{base}/portal/connections"))
        .send()
        .await
        .unwrap();
    assert_eq!(to_login.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&to_login), "/portal/login");

    // A wrong password and an unknown email get the same refusal, and no session.
    let ada_browser = browser();
    let wrong = sign_in(&ada_browser, base, "ada@acme.example", "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&wrong, "junction_session").is_none());
    let wrong_alert = alert_of(&wrong.text().await.unwrap());
    let unknown = sign_in(&ada_browser, base, "nobody@acme.example", ACME_PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown_alert = alert_of(&unknown.text().await.unwrap());
    assert_eq!(
        wrong_alert, unknown_alert,
        "the refusal does not say which part was wrong"
    );
    assert!(
        !wrong_alert.to_lowercase().contains("unknown"),
        "{wrong_alert}"
    );

    // The right password (typed in another case) signs in: the cookie's attributes.
    let signed_in = sign_in(&ada_browser, base, " ADA@acme.example", ACME_PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_in), "/portal/connections");
    let cookie = set_cookie(&signed_in, "junction_session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/portal"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http without settings: not Secure: {cookie}"
    );
    let session_value = cookie
        .trim_start_matches("junction_session=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(session_value.len(), 43, "256 random bits, base64url");

    // Ada sees Acme's shop, its name as text, its counts, and nothing of Globex.
    let response = ada_browser
        .get(format!("{base}/portal/connections"))
        .send()
        .await
        .unwrap();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = response.text().await.unwrap();
    assert!(html.contains("<title>Connections · Junction portal</title>"));
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62; shop"),
        "{html}"
    );
    assert!(
        !html.contains("<script>"),
        "markup from the database is escaped: {html}"
    );
    assert!(html.contains("Healthy"), "{html}");
    assert!(html.contains("WooCommerce"), "{html}");
    assert!(
        html.contains("/records/orders\">30</a></td>"),
        "30 orders, linked to the records browser: {html}"
    );
    assert!(html.contains("ada@acme.example") && html.contains("Tenant <strong>acme</strong>"));
    assert!(
        html.contains(r#"aria-current="page">Connections</a>"#),
        "{html}"
    );
    assert!(!html.contains("Globex ERP"), "{html}");
    // Asking for another tenant changes nothing for a user.
    let other = page(
        &ada_browser,
        &format!("{base}/portal/connections?tenant={}", tenant_ids["globex"]),
    )
    .await;
    assert!(
        !other.contains("Globex ERP") && other.contains("alert(1)"),
        "{other}"
    );
    // The other sidebar pages answer too.
    for path in ["api-keys", "automations", "connectors", "runs"] {
        let html = page(&ada_browser, &format!("{base}/portal/{path}")).await;
        assert!(html.contains("aria-current=\"page\""), "{path}");
    }

    // A user of a tenant without connections sees the empty state saying what to do.
    let ina = browser();
    assert_eq!(
        sign_in(&ina, base, "ina@initech.example", INITECH_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let empty = page(&ina, &format!("{base}/portal/connections")).await;
    assert!(empty.contains("No connections yet"), "{empty}");
    assert!(empty.contains("ask your Junction operator"), "{empty}");
    assert!(!empty.contains("alert(1)") && !empty.contains("Globex"));

    // The operator: a wrong token is refused; the right one shows every tenant.
    let operator = browser();
    let refused = sign_in_operator(&operator, base, "not-the-token").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&refused, "junction_session").is_none());
    let accepted = sign_in_operator(&operator, base, ADMIN).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let all = page(&operator, &format!("{base}/portal/connections")).await;
    assert!(
        all.contains("Signed in as <strong>the operator</strong>"),
        "{all}"
    );
    for expected in [
        "Tenant acme",
        "Tenant globex",
        "Tenant initech",
        "&#60;script&#62;alert(1)&#60;/script&#62; shop",
        "Globex ERP",
        "Failing",
        "No connections yet",
        "junction admin connections create --tenant initech",
    ] {
        assert!(
            all.contains(expected),
            "the operator's page lacks {expected}: {all}"
        );
    }
    assert!(!all.contains("<script>"));
    // The failing connection shows its last error.
    let (_, globex_view) = api.get(&format!("/connections/{globex_erp}")).await;
    let last_error = globex_view["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "orders")
        .unwrap()["lastError"]
        .as_str()
        .unwrap()
        .to_string();
    let escaped_error = last_error
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;");
    assert!(
        all.contains(&escaped_error),
        "last error {last_error:?} not shown: {all}"
    );
    // The tenant picker narrows to one tenant.
    let globex_only = page(
        &operator,
        &format!("{base}/portal/connections?tenant={}", tenant_ids["globex"]),
    )
    .await;
    assert!(globex_only.contains("Globex ERP") && !globex_only.contains("alert(1)"));
    let missing = operator
        .get(format!("{base}/portal/connections?tenant=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // Behind an https proxy the cookie is Secure.
    let via_proxy = bare();
    let login_page = via_proxy
        .get(format!("{base}/portal/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let login_cookie = set_cookie(&login_page, "junction_login").unwrap();
    assert!(login_cookie.contains("; Secure"), "{login_cookie}");
    let login_cookie = login_cookie.split(';').next().unwrap().to_string();
    let csrf = csrf_of(&login_page.text().await.unwrap());
    let secure = via_proxy
        .post(format!("{base}/portal/login"))
        .header("x-forwarded-proto", "https")
        .header(COOKIE, &login_cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "gil@globex.example"),
            ("password", GLOBEX_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(secure.status(), StatusCode::SEE_OTHER);
    let gil_cookie = set_cookie(&secure, "junction_session").unwrap();
    assert!(gil_cookie.contains("; Secure"), "{gil_cookie}");
    let gil_cookie = gil_cookie.split(';').next().unwrap().to_string();
    let gil_page = via_proxy
        .get(format!("{base}/portal/connections"))
        .header(COOKIE, &gil_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(gil_page.status(), StatusCode::OK);
    let gil_html = gil_page.text().await.unwrap();
    assert!(gil_html.contains("Globex ERP") && !gil_html.contains("alert(1)"));

    // Deleting a user ends their session at once.
    let deleted = cli(
        base,
        &["users", "delete", globex_user["id"].as_str().unwrap()],
    );
    assert!(
        deleted.status.success(),
        "{}",
        String::from_utf8_lossy(&deleted.stderr)
    );
    let after_delete = via_proxy
        .get(format!("{base}/portal/connections"))
        .header(COOKIE, &gil_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after_delete.status(), StatusCode::SEE_OTHER);

    // Sign-out ends the session: the old cookie no longer works.
    let html = page(&ada_browser, &format!("{base}/portal/connections")).await;
    let csrf = csrf_of(&html);
    let out = ada_browser
        .post(format!("{base}/portal/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), "/portal/login?signed_out=1");
    let cleared = set_cookie(&out, "junction_session").unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let replayed = bare()
        .get(format!("{base}/portal/connections"))
        .header(COOKIE, format!("junction_session={session_value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&replayed), "/portal/login");
    let notice = page(&ada_browser, &format!("{base}/portal/login?signed_out=1")).await;
    assert!(notice.contains("You have signed out."));
}

#[tokio::test]
async fn forms_without_the_session_token_or_from_elsewhere_are_refused() {
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(data.path().join("plugins")).unwrap();
    std::fs::write(data.path().join("admin.token"), ADMIN).unwrap();
    let server = common::spawn_server(data.path(), common::free_port(), &[]);
    common::wait_for_status(&server.base, "/healthz", 200).await;
    let first_base = server.base.clone();
    let base = first_base.as_str();
    let api = AdminApi::new(base, ADMIN);
    assert_eq!(api.post("/tenants", json!({"name": "acme"})).await.0, 201);
    let (status, _) = api
        .post(
            "/users",
            json!({"tenant": "acme", "email": "ada@acme.example", "password": ACME_PASSWORD}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = api
        .post(
            "/users",
            json!({"tenant": "acme", "email": "bea@acme.example", "password": GLOBEX_PASSWORD}),
        )
        .await;
    assert_eq!(status, 201);

    // The sign-in form itself needs its token.
    let client = browser();
    open_sign_in(&client, base).await;
    let no_token = client
        .post(format!("{base}/portal/login"))
        .form(&[("email", "ada@acme.example"), ("password", ACME_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&no_token, "junction_session").is_none());
    let text = no_token.text().await.unwrap();
    assert!(
        text.contains("CSRF") && text.contains("no security token"),
        "{text}"
    );
    let without_cookie = bare()
        .post(format!("{base}/portal/login"))
        .form(&[
            ("csrf", "x".repeat(43).as_str()),
            ("email", "ada@acme.example"),
            ("password", ACME_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        without_cookie.status(),
        StatusCode::FORBIDDEN,
        "double submit needs the cookie"
    );

    let empty = sign_in(&client, base, "ada@acme.example", "").await;
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        alert_of(&empty.text().await.unwrap()),
        "Enter your email and your password."
    );
    assert_eq!(
        sign_in(&client, base, "ada@acme.example", ACME_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let html = page(&client, &format!("{base}/portal/connections")).await;
    let csrf = csrf_of(&html);
    assert!(
        html.contains("No connections yet"),
        "the empty state: {html}"
    );

    // Sign-out without a token, with a wrong one, or from another origin: 403, still signed in.
    let missing = client
        .post(format!("{base}/portal/logout"))
        .form(&[("other", "field")])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert!(missing.text().await.unwrap().contains("CSRF"));
    let mut wrong = csrf.clone().into_bytes();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    let wrong = String::from_utf8(wrong).unwrap();
    let wrong_token = client
        .post(format!("{base}/portal/logout"))
        .form(&[("csrf", wrong.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), StatusCode::FORBIDDEN);
    assert!(wrong_token.text().await.unwrap().contains("does not match"));
    let foreign = client
        .post(format!("{base}/portal/logout"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let cross_site = client
        .post(format!("{base}/portal/logout"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    page(&client, &format!("{base}/portal/connections")).await;
    // The right token from the same origin signs out.
    let out = client
        .post(format!("{base}/portal/logout"))
        .header("origin", base)
        .header("sec-fetch-site", "same-origin")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let gone = client
        .get(format!("{base}/portal/connections"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&gone), "/portal/login");

    // Guessing: after a few refusals for one account the throttle answers instead.
    let guesser = browser();
    let mut statuses = Vec::new();
    for i in 0..10 {
        let response = sign_in(
            &guesser,
            base,
            "ada@acme.example",
            &format!("guess number {i}"),
        )
        .await;
        statuses.push(response.status().as_u16());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(
                response
                    .text()
                    .await
                    .unwrap()
                    .contains("Too many sign-in attempts")
            );
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(
        statuses[..statuses.len() - 1].iter().all(|s| *s == 401),
        "{statuses:?}"
    );
    // The operator sees no tenants' connections here but the one tenant's empty state.
    let operator = browser();
    let accepted = sign_in_operator(&operator, base, ADMIN).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let operator_cookie = set_cookie(&accepted, "junction_session").unwrap();
    let operator_cookie = operator_cookie.split(';').next().unwrap().to_string();
    let html = page(&operator, &format!("{base}/portal/connections")).await;
    assert!(
        html.contains("Tenant acme") && html.contains("No connections yet"),
        "{html}"
    );
    // Unknown portal pages are a 404 page; signed in, it keeps the sidebar (every section
    // and the sign-out form), with no section marked current.
    let nowhere = operator
        .get(format!("{base}/portal/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);
    let nowhere = nowhere.text().await.unwrap();
    assert!(
        nowhere.contains("There is no such page in the portal")
            && nowhere.contains(r#"aria-label="Portal sections""#)
            && nowhere.contains(r#"action="/portal/logout""#)
            && !nowhere.contains("aria-current"),
        "{nowhere}"
    );
    // A missing record too.
    let no_connection = operator
        .get(format!(
            "{base}/portal/connections/01a00000-0000-7000-8000-000000000000"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(no_connection.status(), StatusCode::NOT_FOUND);
    assert!(
        no_connection
            .text()
            .await
            .unwrap()
            .contains(r#"aria-label="Portal sections""#)
    );
    // Not signed in: the plain error page, no sidebar.
    let stranger = bare()
        .get(format!("{base}/portal/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND);
    assert!(!stranger.text().await.unwrap().contains("Portal sections"));
    let css = operator
        .get(format!("{base}/portal/static/portal.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );

    // After a restart, a user's session goes on; an operator's ends when the admin token
    // changed.
    let bea = bare();
    let login = bea
        .get(format!("{base}/portal/login"))
        .send()
        .await
        .unwrap();
    let login_cookie = set_cookie(&login, "junction_login").unwrap();
    let login_cookie = login_cookie.split(';').next().unwrap().to_string();
    let csrf = csrf_of(&login.text().await.unwrap());
    let signed_in = bea
        .post(format!("{base}/portal/login"))
        .header(COOKIE, &login_cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "bea@acme.example"),
            ("password", GLOBEX_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let bea_cookie = set_cookie(&signed_in, "junction_session").unwrap();
    let bea_cookie = bea_cookie.split(';').next().unwrap().to_string();
    drop(server);
    std::fs::write(data.path().join("admin.token"), "a-rotated-admin-token").unwrap();
    let server = common::spawn_server(data.path(), common::free_port(), &[]);
    common::wait_for_status(&server.base, "/healthz", 200).await;
    let base = server.base.as_str();
    let replay = |cookie: String| {
        bare()
            .get(format!("{base}/portal/connections"))
            .header(COOKIE, cookie)
            .send()
    };
    assert_eq!(replay(bea_cookie).await.unwrap().status(), StatusCode::OK);
    let operator_replay = replay(operator_cookie).await.unwrap();
    assert_eq!(operator_replay.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&operator_replay), "/portal/login");
}
