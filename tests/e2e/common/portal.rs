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
