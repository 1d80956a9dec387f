//! What the portal's HTTP tests share: a browser without JavaScript (cookie store, every
//! redirect observed by the test), reading a page's CSRF token and a response's
//! `Location`, and fetching a page that must answer 200.

use reqwest::header::LOCATION;
use reqwest::{Client, Response, StatusCode};

/// A browser: keeps cookies, follows no redirect by itself.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of the first hidden `csrf` field of a page.
pub fn csrf_of(html: &str) -> String {
    let start = html
        .find(r#"name="csrf" value=""#)
        .unwrap_or_else(|| panic!("no csrf field in {html}"))
        + r#"name="csrf" value=""#.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// A redirect's target, or empty.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// `GET url`, which must answer 200; its HTML.
pub async fn page(client: &Client, url: &str) -> String {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{url}: {}",
        location(&response)
    );
    response.text().await.unwrap()
}

/// Open the sign-in page (which sets the form-token cookie) and return the form token.
pub async fn open_sign_in(client: &Client, base: &str) -> String {
    csrf_of(&page(client, &format!("{base}/portal/login")).await)
}

/// Post the user sign-in form.
pub async fn sign_in(client: &Client, base: &str, email: &str, password: &str) -> Response {
    let csrf = open_sign_in(client, base).await;
    client
        .post(format!("{base}/portal/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// Post the operator sign-in form.
pub async fn sign_in_operator(client: &Client, base: &str, token: &str) -> Response {
    let csrf = open_sign_in(client, base).await;
    client
        .post(format!("{base}/portal/login/operator"))
        .form(&[("csrf", csrf.as_str()), ("token", token)])
        .send()
        .await
        .unwrap()
}

/// A browser whose connections come from `address` (any of 127.0.0.0/8 on Linux), so a
/// test can be several clients on one machine.
pub fn browser_at(address: std::net::IpAddr) -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(address)
        .build()
        .unwrap()
}

/// Sign a user in; it must succeed (303 to the portal).
pub async fn signed_in(client: &Client, base: &str, email: &str, password: &str) {
    let response = sign_in(client, base, email, password).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{email}");
}

/// Sign the operator in; it must succeed.
pub async fn signed_in_operator(client: &Client, base: &str, token: &str) {
    let response = sign_in_operator(client, base, token).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}
