//! The target connectors through the real runtime against their emulators: Connectif
//! (contacts, catalogue products and purchases within a budget of 100 requests per minute)
//! and Bugalou (orders upserted by platform + order number, read back by page).
//!
//! Each write is checked in the emulator's own records; a second upsert must update, never
//! duplicate; refused keys are `unauthorized`; bad input is `invalid-request` naming the
//! field with nothing sent; Connectif's budget is hammered past its limit and the emulator's
//! audit must show that no request was ever accepted over budget.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use junction::runtime::types::{
    Address, ConnectorError, Customer, CustomerUpsert, Entity, LineItem, ListRequest, Order,
    OrderUpsert, Product, ProductUpsert, ResourceKind, Tracking, WriteOp, WriteOutcome,
};
use junction::runtime::{CallError, CallOptions, LoadedConnector};
use junction_emulators::bugalou::{BugalouConfig, BugalouEmulator};
use junction_emulators::connectif::{BudgetConfig, ConnectifConfig, ConnectifEmulator};
use junction_emulators::{Fault, FaultKind};
use serde_json::{Value, json};

struct Target<E> {
    emu: E,
    connector: Arc<LoadedConnector>,
    options: CallOptions,
}

impl<E> Target<E> {
    async fn write(&self, op: WriteOp) -> Result<WriteOutcome, CallError> {
        self.connector.write(&self.options, op).await.value
    }

    fn with_config(&self, config: Value) -> CallOptions {
        self.connector.prepare(&config).unwrap()
    }
}

async fn load(name: &str) -> Arc<LoadedConnector> {
    let runtime = common::runtime(common::test_limits());
    LoadedConnector::load_file(&runtime, &common::component(name))
        .await
        .unwrap()
}

fn connectif_config(emu: &ConnectifEmulator, key: &str) -> Value {
    json!({
        "api_key": key,
        "base_url": emu.base_url(),
        "product_url_template": "https://shop.example.com/product/{id}",
    })
}

async fn connectif(config: ConnectifConfig) -> Target<ConnectifEmulator> {
    let emu = junction_emulators::connectif::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let connector = load("connectif").await;
    let options = connector
        .prepare(&connectif_config(&emu, "cnf_test_key"))
        .unwrap();
    Target {
        emu,
        connector,
        options,
    }
}

fn address(first: &str, last: &str, email: Option<&str>) -> Address {
    Address {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        company: None,
        line1: Some("Kerkstraat 1".into()),
        line2: None,
        city: Some("Gent".into()),
        region: None,
        postcode: Some("9000".into()),
        country: Some("BE".into()),
        email: email.map(Into::into),
        phone: None,
    }
}

fn customer(email: Option<&str>, first: &str) -> WriteOp {
    WriteOp::UpsertCustomer(CustomerUpsert {
        target_id: None,
        customer: Customer {
            external_id: "42".into(),
            email: email.map(Into::into),
            first_name: Some(first.into()),
            last_name: Some("Peeters".into()),
            company: None,
            phone: Some("+32 470 12 34 56".into()),
            billing: None,
            shipping: None,
            created_at: "2025-01-01T00:00:00Z".into(),
            modified_at: "2025-01-01T00:00:00Z".into(),
            raw: "{}".into(),
        },
    })
}

fn product(id: &str, price: Option<&str>) -> WriteOp {
    WriteOp::UpsertProduct(ProductUpsert {
        target_id: None,
        product: Product {
            external_id: id.into(),
            sku: Some(format!("SKU-{id}")),
            name: format!("Product {id}"),
            status: Some("publish".into()),
            price: price.map(Into::into),
            regular_price: price.map(Into::into),
            sale_price: None,
            currency: Some("EUR".into()),
            stock_quantity: Some(12),
            has_variations: false,
            created_at: "2025-01-01T00:00:00Z".into(),
            modified_at: "2025-01-01T00:00:00Z".into(),
            raw: "{}".into(),
        },
    })
}

fn line(product_id: &str, quantity: &str, unit: &str, total: &str) -> LineItem {
    LineItem {
        external_id: None,
        product_id: Some(product_id.into()),
        variation_id: None,
        sku: None,
        name: format!("Product {product_id}"),
        quantity: quantity.into(),
        unit_price: unit.into(),
        total: total.into(),
        tax: None,
    }
}

fn order(id: &str, email: Option<&str>, status: &str, total: &str, lines: Vec<LineItem>) -> Order {
    Order {
        external_id: id.into(),
        order_number: Some(format!("WC-{id}")),
        status: status.into(),
        currency: Some("EUR".into()),
        total: total.into(),
        subtotal: None,
        tax_total: None,
        shipping_total: None,
        discount_total: None,
        customer_id: None,
        customer_email: email.map(Into::into),
        billing: Some(address("Jan", "de Vries", email)),
        shipping: None,
        payment_status: Some("paid".into()),
        payment_method: Some("iDEAL".into()),
        line_items: lines,
        tracking: vec![],
        created_at: "2025-01-02T10:00:00Z".into(),
        modified_at: "2025-01-02T10:00:00Z".into(),
        raw: "{}".into(),
    }
}

fn upsert_order(o: Order) -> WriteOp {
    WriteOp::UpsertOrder(OrderUpsert {
        target_id: None,
        order: o,
    })
}

fn connector_error(r: Result<WriteOutcome, CallError>) -> ConnectorError {
    match r {
        Err(CallError::Connector(e)) => e,
        other => panic!("expected a connector error, got {other:?}"),
    }
}

fn invalid_request(r: Result<WriteOutcome, CallError>) -> String {
    match connector_error(r) {
        ConnectorError::InvalidRequest(m) => m,
        other => panic!("expected invalid-request, got {other:?}"),
    }
}

// --- Connectif -----------------------------------------------------------------------------

#[tokio::test]
async fn connectif_writes_land_and_second_upserts_update() {
    let t = connectif(ConnectifConfig::default()).await;
    let store = t.emu.store();

    // Customers become contacts keyed by email; a second upsert patches the same contact.
    let out = t
        .write(customer(Some("Lies@Example.com"), "Lies"))
        .await
        .unwrap();
    assert_eq!(out.external_id, "lies@example.com");
    let c = store.contact("lies@example.com").unwrap();
    assert_eq!(c["_name"], "Lies");
    assert_eq!(c["_surname"], "Peeters");
    assert_eq!(c["_mobilePhone"], "+32470123456");
    t.write(customer(Some("lies@example.com"), "Elisabeth"))
        .await
        .unwrap();
    assert_eq!(store.contact_emails(), vec!["lies@example.com"]);
    assert_eq!(
        store.contact("lies@example.com").unwrap()["_name"],
        "Elisabeth"
    );

    // Products go into the catalogue by their id; an upsert changes the price in place.
    t.write(product("7", Some("10.25"))).await.unwrap();
    let p = store.product("7").unwrap();
    assert_eq!(p["name"], "Product 7");
    assert_eq!(p["unitPrice"], 10.25);
    assert_eq!(p["inStockUnits"], 12);
    assert_eq!(p["productDetailUrl"], "https://shop.example.com/product/7");
    t.write(product("7", Some("12"))).await.unwrap();
    assert_eq!(store.product_ids(), vec!["7"]);
    assert_eq!(store.product("7").unwrap()["unitPrice"], 12.0);

    // An order becomes a purchase; its buyer is not a contact yet, so the connector creates
    // the contact (Connectif's E0101) and sends the purchase again.
    let first = order(
        "1001",
        Some("jan@example.com"),
        "processing",
        "24.50",
        vec![line("7", "2", "12.25", "24.50")],
    );
    let out = t.write(upsert_order(first.clone())).await.unwrap();
    assert_eq!(out.external_id, "1001");
    let purchases = store.purchases_with_id("1001");
    assert_eq!(purchases.len(), 1);
    let p = &purchases[0];
    assert_eq!(p["contactEmail"], "jan@example.com");
    assert_eq!(p["totalPrice"], 24.5);
    assert_eq!(p["totalQuantity"], 2);
    assert_eq!(p["paymentMethod"], "iDEAL");
    assert_eq!(p["purchaseDate"], "2025-01-02T10:00:00Z");
    assert_eq!(
        p["products"],
        json!([{"productId": "7", "name": "Product 7", "quantity": 2, "unitPrice": 12.25, "price": 24.5}])
    );
    assert_eq!(store.contact("jan@example.com").unwrap()["_name"], "Jan");
    assert_eq!(store.purchase_events(), 1);

    // The same order again: looked up, found unchanged, nothing written.
    let before = t.emu.request_count();
    t.write(upsert_order(first.clone())).await.unwrap();
    assert_eq!(t.emu.request_count(), before + 1);
    assert_eq!(store.purchases_with_id("1001").len(), 1);

    // A changed order replaces the purchase: still one, with the new total, and the
    // purchase workflow is not fired a second time.
    let mut changed = first.clone();
    changed.total = "36.75".into();
    changed.line_items = vec![line("7", "3", "12.25", "36.75")];
    t.write(upsert_order(changed)).await.unwrap();
    let purchases = store.purchases_with_id("1001");
    assert_eq!(purchases.len(), 1, "a second upsert must not duplicate");
    assert_eq!(purchases[0]["totalPrice"], 36.75);
    assert_eq!(purchases[0]["totalQuantity"], 3);
    assert_eq!(store.purchase_events(), 1);

    // A product the catalogue lacks is created from the order line (Connectif's E0102).
    let other = order(
        "1002",
        Some("jan@example.com"),
        "completed",
        "5",
        vec![line("99", "1", "5", "5")],
    );
    t.write(upsert_order(other)).await.unwrap();
    assert_eq!(store.product("99").unwrap()["unitPrice"], 5.0);
    assert_eq!(store.purchases_with_id("1002").len(), 1);
    assert_eq!(t.emu.budget_stats().accepted_over_budget, 0);
}

#[tokio::test]
async fn connectif_refused_keys_are_unauthorized() {
    let t = connectif(ConnectifConfig::default()).await;
    for key in ["wrong_key", "cnf_blocked_key"] {
        let options = t.with_config(connectif_config(&t.emu, key));
        let r = t
            .connector
            .write(&options, customer(Some("a@example.com"), "A"))
            .await
            .value;
        assert!(
            matches!(connector_error(r), ConnectorError::Unauthorized(_)),
            "{key}"
        );
        let check = t.connector.check(&options).await.value;
        assert!(
            matches!(
                check,
                Err(CallError::Connector(ConnectorError::Unauthorized(_)))
            ),
            "{key}: {check:?}"
        );
    }
    let ok = t.connector.check(&t.options).await.value.unwrap();
    assert!(ok.message.contains("key accepted"), "{}", ok.message);
    assert!(t.emu.store().contact_emails().is_empty());
}

#[tokio::test]
async fn connectif_budget_is_hammered_but_never_exceeded() {
    let t = connectif(ConnectifConfig::default()).await;
    let started = std::time::Instant::now();
    let mut accepted = 0;
    let mut limited = None;
    let mut last_ok_logs = Vec::new();
    for i in 0..105 {
        let result = t
            .connector
            .write(
                &t.options,
                customer(Some(&format!("c{i}@example.com")), "C"),
            )
            .await;
        match result.value {
            Ok(_) => {
                accepted += 1;
                last_ok_logs = result.logs;
            }
            Err(CallError::Connector(ConnectorError::RateLimited(info))) => {
                limited = Some(info);
                break;
            }
            Err(other) => panic!("write {i}: {other:?}"),
        }
    }
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap();
    assert_eq!(accepted, 100, "exactly the budget is accepted");
    let info = limited.expect("the 101st request is rate-limited");
    // The window opened with the first request and lasts 60 s: the wait is what is left.
    assert!(
        info.retry_after_ms <= 61_000 && info.retry_after_ms + elapsed_ms >= 58_000,
        "retry-after {} ms after {} ms of hammering",
        info.retry_after_ms,
        elapsed_ms
    );
    assert!(info.message.contains("429"), "{}", info.message);
    let stats = t.emu.budget_stats();
    assert_eq!(stats.accepted_over_budget, 0, "{stats:?}");
    assert_eq!(stats.max_accepted_in_window, 100);
    assert_eq!(stats.rejected, 1);
    assert_eq!(t.emu.store().contact_emails().len(), 100);
    // The connector logged the budget it saw, and warned once it ran low.
    let budget_log = last_ok_logs
        .iter()
        .find(|l| l.message.contains("request budget"))
        .expect("a budget log line");
    let remaining = budget_log
        .fields
        .iter()
        .find(|(k, _)| k == "remaining")
        .map(|(_, v)| v.as_str());
    assert_eq!(remaining, Some("0"));
    assert!(budget_log.message.contains("low"), "{}", budget_log.message);
}

#[tokio::test]
async fn connectif_waits_out_the_window_and_never_half_replaces_a_purchase() {
    let t = connectif(ConnectifConfig::default()).await;
    let store = t.emu.store();
    let first = order(
        "2001",
        Some("an@example.com"),
        "processing",
        "10",
        vec![line("7", "1", "10", "10")],
    );
    t.write(product("7", Some("10"))).await.unwrap();
    t.write(upsert_order(first.clone())).await.unwrap();
    assert_eq!(store.purchases_with_id("2001").len(), 1);

    // A tight budget: 3 requests per 4 s.
    t.emu.set_budget(BudgetConfig {
        requests: 3,
        window: Duration::from_secs(4),
    });
    t.write(customer(Some("x@example.com"), "X")).await.unwrap();
    // Replacing the purchase needs GET + DELETE + POST; after the GET one request is left,
    // so the connector stops before deleting anything.
    let mut changed = first.clone();
    changed.total = "20".into();
    changed.line_items = vec![line("7", "2", "10", "20")];
    let r = t.write(upsert_order(changed.clone())).await;
    let ConnectorError::RateLimited(info) = connector_error(r) else {
        panic!("expected rate-limited")
    };
    assert!(info.retry_after_ms <= 5_000, "{}", info.retry_after_ms);
    let kept = store.purchases_with_id("2001");
    assert_eq!(kept.len(), 1, "the purchase is not deleted half way");
    assert_eq!(kept[0]["totalPrice"], 10);
    // After the wait the same write goes through.
    tokio::time::sleep(Duration::from_millis(info.retry_after_ms + 100)).await;
    t.write(upsert_order(changed)).await.unwrap();
    let updated = store.purchases_with_id("2001");
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["totalPrice"], 20);
    assert_eq!(t.emu.budget_stats().accepted_over_budget, 0);
}

#[tokio::test]
async fn connectif_bad_input_is_refused_naming_the_field() {
    let t = connectif(ConnectifConfig::default()).await;
    let before = t.emu.request_count();
    let m = invalid_request(t.write(customer(None, "Nobody")).await);
    assert!(m.contains("customer.email"), "{m}");
    let m = invalid_request(t.write(product("8", None)).await);
    assert!(m.contains("product.price"), "{m}");
    let m = invalid_request(t.write(product("8", Some("ten euro"))).await);
    assert!(m.contains("product.price"), "{m}");
    let by_weight = order(
        "3001",
        Some("a@example.com"),
        "processing",
        "3",
        vec![line("7", "1.5", "2", "3")],
    );
    let m = invalid_request(t.write(upsert_order(by_weight)).await);
    assert!(m.contains("line-items[0].quantity"), "{m}");
    let anonymous = order(
        "3002",
        None,
        "processing",
        "3",
        vec![line("7", "1", "3", "3")],
    );
    let mut anonymous = anonymous;
    anonymous.billing = None;
    let m = invalid_request(t.write(upsert_order(anonymous)).await);
    assert!(m.contains("order.customer-email"), "{m}");
    assert_eq!(t.emu.request_count(), before, "nothing was sent");
}

#[tokio::test]
async fn connectif_upstream_failures_map_to_contract_errors() {
    let t = connectif(ConnectifConfig::default()).await;
    t.emu
        .set_faults(vec![Fault::times(FaultKind::ServerError, 1)]);
    let e = connector_error(t.write(customer(Some("a@example.com"), "A")).await);
    assert!(
        matches!(e, ConnectorError::Upstream(ref u) if u.status == 500),
        "{e:?}"
    );
    t.emu.set_faults(vec![Fault::times(
        FaultKind::RateLimited {
            retry_after_secs: 3,
        },
        1,
    )]);
    let e = connector_error(t.write(customer(Some("a@example.com"), "A")).await);
    assert!(
        matches!(e, ConnectorError::RateLimited(ref r) if r.retry_after_ms == 3000),
        "{e:?}"
    );
    t.write(customer(Some("a@example.com"), "A")).await.unwrap();
}

// --- Bugalou -------------------------------------------------------------------------------

async fn bugalou(seed_orders: usize) -> Target<BugalouEmulator> {
    let emu = junction_emulators::bugalou::start(
        BugalouConfig {
            seed_orders,
            ..BugalouConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let connector = load("bugalou").await;
    let options = connector
        .prepare(&json!({
            "api_key": "bg_live_test_key",
            "platform": "woocommerce",
            "base_url": emu.base_url(),
        }))
        .unwrap();
    Target {
        emu,
        connector,
        options,
    }
}

#[tokio::test]
async fn bugalou_upserts_by_platform_and_order_number_and_reads_back() {
    let t = bugalou(7).await;
    let mut o = order(
        "812",
        Some("klant@voorbeeld.nl"),
        "completed",
        "59.98",
        vec![line("7", "2", "29.99", "59.98")],
    );
    o.tracking = vec![Tracking {
        number: "3SPOST1234567".into(),
        provider: Some("PostNL".into()),
        url: Some("https://postnl.nl/track/3SPOST1234567".into()),
        shipped_at: None,
    }];
    let out = t.write(upsert_order(o.clone())).await.unwrap();
    let stored = t.emu.store().order("woocommerce", "WC-812").unwrap();
    assert_eq!(out.external_id, stored.id);
    assert_eq!(stored.order_status, "shipped");
    assert_eq!(stored.customer_email.as_deref(), Some("klant@voorbeeld.nl"));
    assert_eq!(stored.customer_name.as_deref(), Some("Jan de Vries"));
    assert_eq!(
        stored.items,
        vec![json!({"name": "Product 7", "quantity": 2, "price": "29.99"})]
    );
    assert_eq!(stored.total.as_deref(), Some("59.98"));
    assert_eq!(stored.currency.as_deref(), Some("EUR"));
    assert_eq!(stored.payment_status.as_deref(), Some("paid"));
    assert_eq!(stored.payment_method.as_deref(), Some("iDEAL"));
    assert_eq!(stored.tracking_code.as_deref(), Some("3SPOST1234567"));
    let Some(Entity::Order(returned)) = &out.entity else {
        panic!("the written order comes back")
    };
    assert_eq!(returned.status, "shipped");
    assert_eq!(returned.line_items[0].total, "59.98");

    // The second upsert updates the same order.
    o.status = "cancelled".into();
    o.total = "0".into();
    let again = t.write(upsert_order(o)).await.unwrap();
    assert_eq!(again.external_id, stored.id);
    assert_eq!(t.emu.store().orders().len(), 8);
    assert_eq!(t.emu.store().upsert_counts(), (8, 1));
    let updated = t.emu.store().order_by_id(&stored.id).unwrap();
    assert_eq!(updated.order_status, "cancelled");
    assert_eq!(updated.total.as_deref(), Some("0"));

    // Reading: every order once, by pages of 3.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = t
            .connector
            .list(
                &t.options,
                ListRequest {
                    resource: ResourceKind::Orders,
                    updated_since: None,
                    cursor: cursor.take(),
                    page_size: 3,
                    parent_id: None,
                    ids_only: false,
                },
            )
            .await
            .value
            .unwrap();
        assert!(page.entities.len() <= 3);
        seen.extend(page.entities.iter().map(|e| e.external_id().to_owned()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let expected: BTreeSet<String> = t.emu.store().orders().into_iter().map(|o| o.id).collect();
    assert_eq!(seen.len(), expected.len(), "no duplicates");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);

    // updated-since keeps only the order written just now (seeded ones are older).
    let recent = t
        .connector
        .list(
            &t.options,
            ListRequest {
                resource: ResourceKind::Orders,
                updated_since: Some("2026-01-01T00:00:00Z".into()),
                cursor: None,
                page_size: 100,
                parent_id: None,
                ids_only: false,
            },
        )
        .await
        .value
        .unwrap();
    let ids: Vec<&str> = recent.entities.iter().map(Entity::external_id).collect();
    assert_eq!(ids, vec![stored.id.as_str()]);

    // get: by id, by order number, and a missing one.
    for key in [stored.id.as_str(), "WC-812"] {
        let got = t
            .connector
            .get(&t.options, ResourceKind::Orders, key.into(), None)
            .await
            .value
            .unwrap();
        assert_eq!(got.external_id(), stored.id, "{key}");
    }
    let missing = t
        .connector
        .get(
            &t.options,
            ResourceKind::Orders,
            "ord_99999999".into(),
            None,
        )
        .await
        .value;
    assert!(
        matches!(
            missing,
            Err(CallError::Connector(ConnectorError::NotFound(_)))
        ),
        "{missing:?}"
    );
}

#[tokio::test]
async fn bugalou_refused_key_and_bad_input() {
    let t = bugalou(0).await;
    let wrong = t.with_config(json!({
        "api_key": "bg_live_wrong",
        "platform": "woocommerce",
        "base_url": t.emu.base_url(),
    }));
    let o = order(
        "1",
        Some("a@example.com"),
        "processing",
        "1",
        vec![line("7", "1", "1", "1")],
    );
    let r = t
        .connector
        .write(&wrong, upsert_order(o.clone()))
        .await
        .value;
    let e = connector_error(r);
    assert!(
        matches!(&e, ConnectorError::Unauthorized(m) if m.contains("403") && m.contains("Invalid or expired API key")),
        "{e:?}"
    );
    assert!(t.emu.store().orders().is_empty());

    let before = t.emu.request_count();
    let mut unknown = o.clone();
    unknown.status = "awaiting-pickup".into();
    let m = invalid_request(t.write(upsert_order(unknown)).await);
    assert!(m.contains("order.status"), "{m}");
    let mut bad_total = o.clone();
    bad_total.total = "1,00".into();
    let m = invalid_request(t.write(upsert_order(bad_total)).await);
    assert!(m.contains("order.total"), "{m}");
    assert_eq!(t.emu.request_count(), before, "nothing was sent");

    // A translation in the config makes the unknown status writable.
    let mapped = t.with_config(json!({
        "api_key": "bg_live_test_key",
        "platform": "woocommerce",
        "base_url": t.emu.base_url(),
        "status_map": {"awaiting-pickup": "shipped"},
    }));
    let mut unknown = o.clone();
    unknown.status = "awaiting-pickup".into();
    t.connector
        .write(&mapped, upsert_order(unknown))
        .await
        .value
        .unwrap();
    assert_eq!(
        t.emu
            .store()
            .order("woocommerce", "WC-1")
            .unwrap()
            .order_status,
        "shipped"
    );

    t.emu
        .set_faults(vec![Fault::times(FaultKind::ServerError, 1)]);
    let e = connector_error(t.write(upsert_order(o)).await);
    assert!(
        matches!(&e, ConnectorError::Upstream(u) if u.status == 500),
        "{e:?}"
    );
}
