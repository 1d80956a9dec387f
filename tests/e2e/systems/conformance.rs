//! The connector conformance suite run against every connector: one test per connector,
//! each building its [`suite::Subject`] (the component and a system to talk to) and
//! running every check of `suite::run` on it.

use crate::suite;

#[tokio::test]
async fn woocommerce_conforms() {
    suite::run(suite::woocommerce::subject().await).await;
}

#[tokio::test]
async fn hello_feed_conforms() {
    suite::run(suite::hello_feed::subject().await).await;
}

#[tokio::test]
async fn vendure_conforms() {
    suite::run(suite::vendure::subject().await).await;
}

#[tokio::test]
async fn connectif_conforms() {
    suite::run(suite::connectif::subject().await).await;
}

#[tokio::test]
async fn bugalou_conforms() {
    suite::run(suite::bugalou::subject().await).await;
}

#[tokio::test]
async fn lightspeed_conforms() {
    suite::run(suite::lightspeed::subject().await).await;
}

#[tokio::test]
async fn shopify_conforms() {
    suite::run(suite::shopify::subject().await).await;
}

#[tokio::test]
async fn feed_js_conforms() {
    suite::run(suite::feed_js::subject().await).await;
}

#[tokio::test]
async fn catalog_py_conforms() {
    suite::run(suite::catalog_py::subject().await).await;
}

#[tokio::test]
async fn tryton_conforms() {
    suite::run(suite::tryton::subject().await).await;
}

#[tokio::test]
async fn magento_conforms() {
    suite::run(suite::magento::subject().await).await;
}
