//! The Tryton connector against a real trytond (installed by `cargo xtask test`, started per
//! test on a copy of the seeded template): what the conformance suite (which also runs it)
//! does not check — every resource mapped to the truth read over JSON-RPC, each write read
//! back the same way, and a wrong password then login throttling.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::realsys;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use junction::runtime::types::{
    Address, ConnectorError, Entity, LineItem, ListRequest, Order, OrderUpsert, Page,
    ProductPriceChange, ProductStockChange, ResourceKind, WriteOp,
};
use junction::runtime::{CallError, CallOptions, LoadedConnector, SandboxLimits};
use realsys::tryton::{self, TrytonServer};
use serde_json::{Value, json};

struct Setup {
    erp: TrytonServer,
    connector: Arc<LoadedConnector>,
    options: CallOptions,
}

/// Limits for a real ERP on 2 cores: Python answers slower than the emulators.
fn limits() -> SandboxLimits {
    SandboxLimits {
        cpu_ms: 3_000,
        call_timeout_ms: 60_000,
        first_byte_timeout_ms: 30_000,
        between_bytes_timeout_ms: 30_000,
        max_response_mib: 8,
        ..common::test_limits()
    }
}

async fn setup() -> Setup {
    let erp = tryton::start().await;
    let config = erp.config();
    connect(erp, config).await
}

async fn connect(erp: TrytonServer, config: Value) -> Setup {
    let runtime = common::runtime(limits());
    let connector = LoadedConnector::load_file(&runtime, &common::component("tryton"))
        .await
        .unwrap();
    let options = connector.prepare(&config).unwrap();
    Setup {
        erp,
        connector,
        options,
    }
}

fn request(resource: ResourceKind, cursor: Option<String>, since: Option<String>) -> ListRequest {
    ListRequest {
        resource,
        updated_since: since,
        cursor,
        page_size: 10,
        parent_id: None,
        ids_only: false,
    }
}

async fn page(s: &Setup, req: ListRequest) -> Result<Page, CallError> {
    s.connector.list(&s.options, req).await.value
}

/// Pages to the end; `between(n)` runs after page `n` (to change data mid-run). Returns the
/// entities and the number of pages.
async fn list_all<F, Fut>(
    s: &Setup,
    resource: ResourceKind,
    since: Option<String>,
    mut between: F,
) -> (Vec<Entity>, usize)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut all = Vec::new();
    let mut cursor = None;
    for n in 0.. {
        assert!(n < 1_000, "paging does not terminate");
        let p = page(s, request(resource, cursor.take(), since.clone()))
            .await
            .unwrap();
        assert!(p.entities.len() <= 10, "page larger than asked");
        all.extend(p.entities);
        between(n).await;
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => return (all, n + 1),
        }
    }
    unreachable!()
}

fn ids(entities: &[Entity]) -> Vec<i64> {
    entities
        .iter()
        .map(|e| e.external_id().parse().unwrap())
        .collect()
}

fn no_op(_: usize) -> std::future::Ready<()> {
    std::future::ready(())
}

#[tokio::test]
async fn every_resource_pages_to_the_end_and_maps_the_truth() {
    let s = setup().await;
    let mut listed = BTreeMap::new();
    for (resource, model, seeded) in [
        (ResourceKind::Orders, "sale.sale", tryton::SEED_SALES),
        (ResourceKind::Customers, "party.party", tryton::SEED_PARTIES),
        (
            ResourceKind::Products,
            "product.product",
            tryton::SEED_PRODUCTS,
        ),
    ] {
        let (entities, pages) = list_all(&s, resource, None, no_op).await;
        let got = ids(&entities);
        let unique: BTreeSet<i64> = got.iter().copied().collect();
        assert_eq!(got.len(), unique.len(), "{resource:?}: duplicates");
        let truth: BTreeSet<i64> = s.erp.ids(model).await.into_iter().collect();
        assert_eq!(unique, truth, "{resource:?}: not exactly Tryton's records");
        assert!(truth.len() >= seeded, "{resource:?}: seed missing");
        assert!(
            pages >= 3,
            "{resource:?}: {pages} pages do not exercise paging"
        );
        listed.insert(resource.as_str(), entities);
    }

    // One order in detail against what Tryton holds.
    let orders = &listed["orders"];
    let Some(Entity::Order(order)) = orders.first() else {
        panic!("no order")
    };
    let truth = s.erp.sale(order.external_id.parse().unwrap()).await;
    assert_eq!(
        order.total,
        truth["sale"]["total_amount"]["decimal"].as_str().unwrap()
    );
    assert_eq!(order.status, truth["sale"]["state"].as_str().unwrap());
    assert_eq!(
        order.customer_id.as_deref(),
        Some(
            truth["sale"]["party"]
                .as_i64()
                .unwrap()
                .to_string()
                .as_str()
        )
    );
    assert_eq!(
        order.customer_email.as_deref(),
        truth["sale"]["party."]["email"].as_str()
    );
    let truth_lines = truth["lines"].as_array().unwrap();
    assert_eq!(order.line_items.len(), truth_lines.len());
    for (item, line) in order.line_items.iter().zip(truth_lines) {
        assert_eq!(item.sku.as_deref(), line["product."]["code"].as_str());
        assert_eq!(
            item.unit_price,
            line["unit_price"]["decimal"].as_str().unwrap()
        );
    }
    assert_eq!(order.currency.as_deref(), Some("EUR"));

    // Products carry their template's price and a stock figure.
    let products = &listed["products"];
    let Some(Entity::Product(p)) = products.first() else {
        panic!("no product")
    };
    let id: i64 = p.external_id.parse().unwrap();
    assert_eq!(
        p.price.as_deref(),
        Some(s.erp.product_price(id).await.as_str())
    );
    assert!(p.sku.as_deref().is_some_and(|c| c.starts_with("SEED-")));
    assert_eq!(p.stock_quantity, Some(0));

    // Variations are not a Tryton resource.
    let err = page(&s, request(ResourceKind::Variations, None, None))
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::Unsupported { .. }), "{err:?}");
    // A cursor of another listing is refused.
    let first = page(&s, request(ResourceKind::Orders, None, None))
        .await
        .unwrap();
    let err = page(
        &s,
        request(ResourceKind::Customers, first.next_cursor, None),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, CallError::Connector(ConnectorError::InvalidRequest(_))),
        "{err:?}"
    );
}

fn shop_order(external_id: &str, email: &str, lines: &[(&str, &str, &str)]) -> Order {
    Order {
        external_id: external_id.into(),
        order_number: Some(format!("#{external_id}")),
        status: "processing".into(),
        currency: Some("EUR".into()),
        total: "0".into(),
        subtotal: None,
        tax_total: None,
        shipping_total: None,
        discount_total: None,
        customer_id: None,
        customer_email: Some(email.into()),
        billing: Some(Address {
            first_name: Some("Ada".into()),
            last_name: Some("Shopper".into()),
            company: None,
            line1: Some("2 Market Square".into()),
            line2: None,
            city: Some("Bruges".into()),
            region: None,
            postcode: Some("8000".into()),
            country: Some("BE".into()),
            email: Some(email.into()),
            phone: Some("+32 50 00 00 00".into()),
        }),
        shipping: None,
        payment_status: None,
        payment_method: None,
        line_items: lines
            .iter()
            .map(|(sku, qty, price)| LineItem {
                external_id: None,
                product_id: None,
                variation_id: None,
                sku: Some((*sku).into()),
                name: format!("Item {sku}"),
                quantity: (*qty).into(),
                unit_price: (*price).into(),
                total: "0".into(),
                tax: None,
            })
            .collect(),
        tracking: vec![],
        created_at: "2026-11-01T10:00:00Z".into(),
        modified_at: "2026-11-01T10:00:00Z".into(),
        raw: "{}".into(),
    }
}

async fn write(
    s: &Setup,
    op: WriteOp,
) -> Result<junction::runtime::types::WriteOutcome, CallError> {
    s.connector.write(&s.options, op).await.value
}

#[tokio::test]
async fn get_and_every_write_read_back_over_json_rpc() {
    let s = setup().await;
    // get
    let sale = s.erp.ids("sale.sale").await[3];
    let got = s
        .connector
        .get(&s.options, ResourceKind::Orders, sale.to_string(), None)
        .await
        .value
        .unwrap();
    assert_eq!(got.external_id(), sale.to_string());
    let party = s.erp.ids("party.party").await[4];
    let Entity::Customer(c) = s
        .connector
        .get(&s.options, ResourceKind::Customers, party.to_string(), None)
        .await
        .value
        .unwrap()
    else {
        panic!("not a customer")
    };
    let truth = s.erp.read("party.party", party, &["name", "email"]).await;
    assert_eq!(c.last_name.as_deref(), truth["name"].as_str());
    assert_eq!(
        c.email.as_deref(),
        truth["email"].as_str().filter(|e| !e.is_empty())
    );
    for (resource, id) in [
        (ResourceKind::Orders, "999999"),
        (ResourceKind::Products, "abc"),
    ] {
        let err = s
            .connector
            .get(&s.options, resource, id.into(), None)
            .await
            .value
            .unwrap_err();
        assert!(
            matches!(err, CallError::Connector(ConnectorError::NotFound(_))),
            "{err:?}"
        );
    }

    // product-price: the template's list price.
    let product = s.erp.ids("product.product").await[2];
    let out = write(
        &s,
        WriteOp::ProductPrice(ProductPriceChange {
            product_id: product.to_string(),
            price: "42.75".into(),
            sale_price: None,
        }),
    )
    .await
    .unwrap();
    assert_eq!(s.erp.product_price(product).await, "42.75");
    let Some(Entity::Product(p)) = out.entity else {
        panic!("no product back")
    };
    assert_eq!(p.price.as_deref(), Some("42.75"));
    let err = write(
        &s,
        WriteOp::ProductPrice(ProductPriceChange {
            product_id: product.to_string(),
            price: "12".into(),
            sale_price: Some("10".into()),
        }),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, CallError::Connector(ConnectorError::InvalidRequest(_))),
        "{err:?}"
    );
    assert_eq!(
        s.erp.product_price(product).await,
        "42.75",
        "a refused write changed nothing"
    );

    // product-stock: up, then down, each time exactly the quantity asked for.
    for quantity in [17, 5] {
        let out = write(
            &s,
            WriteOp::ProductStock(ProductStockChange {
                product_id: product.to_string(),
                quantity,
            }),
        )
        .await
        .unwrap();
        assert_eq!(s.erp.product_quantity(product).await, quantity as f64);
        let Some(Entity::Product(p)) = out.entity else {
            panic!("no product back")
        };
        assert_eq!(p.stock_quantity, Some(quantity));
    }

    // upsert-order: twice → one sale; the second time with other lines.
    let sales_before = s.erp.ids("sale.sale").await.len();
    let order = shop_order("WOO-7001", "ada@example.com", &[("SEED-003", "2", "13.50")]);
    let first = write(
        &s,
        WriteOp::UpsertOrder(OrderUpsert {
            target_id: None,
            order: order.clone(),
        }),
    )
    .await
    .unwrap();
    let changed = shop_order(
        "WOO-7001",
        "ada@example.com",
        &[("SEED-003", "3", "13.50"), ("SEED-004", "1", "9.99")],
    );
    let second = write(
        &s,
        WriteOp::UpsertOrder(OrderUpsert {
            target_id: None,
            order: changed.clone(),
        }),
    )
    .await
    .unwrap();
    assert_eq!(
        first.external_id, second.external_id,
        "the re-run made another sale"
    );
    assert_eq!(s.erp.sales_with_reference("WOO-7001").await.len(), 1);
    assert_eq!(s.erp.ids("sale.sale").await.len(), sales_before + 1);
    let truth = s.erp.sale(second.external_id.parse().unwrap()).await;
    assert_eq!(truth["sale"]["party."]["email"], "ada@example.com");
    let lines: Vec<(String, f64, String)> = truth["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["product."]["code"].as_str().unwrap().to_owned(),
                l["quantity"].as_f64().unwrap(),
                l["unit_price"]["decimal"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("SEED-003".to_owned(), 3.0, "13.50".to_owned()),
            ("SEED-004".to_owned(), 1.0, "9.99".to_owned())
        ]
    );
    // The same customer's next order reuses the party (found by email).
    let other = write(
        &s,
        WriteOp::UpsertOrder(OrderUpsert {
            target_id: None,
            order: shop_order("WOO-7002", "ada@example.com", &[("SEED-001", "1", "11.50")]),
        }),
    )
    .await
    .unwrap();
    let other_truth = s.erp.sale(other.external_id.parse().unwrap()).await;
    assert_eq!(other_truth["sale"]["party"], truth["sale"]["party"]);
    // With a target id, that sale is updated.
    let targeted = write(
        &s,
        WriteOp::UpsertOrder(OrderUpsert {
            target_id: Some(other.external_id.clone()),
            order: shop_order("WOO-7002", "ada@example.com", &[("SEED-002", "4", "12.50")]),
        }),
    )
    .await
    .unwrap();
    assert_eq!(targeted.external_id, other.external_id);
    let targeted_truth = s.erp.sale(other.external_id.parse().unwrap()).await;
    assert_eq!(targeted_truth["lines"][0]["product."]["code"], "SEED-002");
    // An unknown SKU is refused before anything is written.
    let err = write(
        &s,
        WriteOp::UpsertOrder(OrderUpsert {
            target_id: None,
            order: shop_order("WOO-7003", "bob@example.com", &[("NO-SUCH", "1", "1")]),
        }),
    )
    .await
    .unwrap_err();
    match err {
        CallError::Connector(ConnectorError::InvalidRequest(m)) => {
            assert!(
                m.contains("line-items[0].sku") && m.contains("NO-SUCH"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(s.erp.sales_with_reference("WOO-7003").await.is_empty());
    // A sale past draft cannot get new lines: a clear conflict, not a silent duplicate.
    let seeded_quoted = s
        .erp
        .call(
            "sale.sale.search",
            json!([[["state", "=", "quotation"]], 0, 1, [["id", "ASC"]]]),
        )
        .await[0]
        .as_i64()
        .unwrap();
    let err = write(
        &s,
        WriteOp::UpsertOrder(OrderUpsert {
            target_id: Some(seeded_quoted.to_string()),
            order: shop_order("WOO-7004", "ada@example.com", &[("SEED-001", "1", "11.50")]),
        }),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(ConnectorError::Upstream(u)) if u.status == 409),
        "{err:?}"
    );
}

#[tokio::test]
async fn wrong_password_is_unauthorized_then_login_throttling_is_rate_limited() {
    let erp = tryton::start().await;
    let good = erp.config();
    let mut bad = erp.config();
    bad["password"] = json!("not-the-password");
    let s = connect(erp, good).await;
    let info = s.connector.check(&s.options).await.value.unwrap();
    assert!(
        info.message.contains("Junction Test Shop Ltd"),
        "{}",
        info.message
    );

    let options = s.connector.prepare(&bad).unwrap();
    let err = s
        .connector
        .list(&options, request(ResourceKind::Orders, None, None))
        .await
        .value
        .unwrap_err();
    assert!(
        matches!(err, CallError::Connector(ConnectorError::Unauthorized(_))),
        "{err:?}"
    );
    // Tryton counts failed logins ([session] max_attempt, see tryton::MAX_LOGIN_ATTEMPTS)
    // and then answers 429.
    let mut throttled = None;
    for _ in 0..8 {
        match s.connector.check(&options).await.value.unwrap_err() {
            CallError::Connector(ConnectorError::Unauthorized(_)) => continue,
            CallError::Connector(ConnectorError::RateLimited(info)) => {
                throttled = Some(info);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    let info = throttled.expect("Tryton never throttled the failing login");
    assert!(info.retry_after_ms >= 60_000, "{info:?}");
    assert!(info.message.contains("password"), "{}", info.message);
}
