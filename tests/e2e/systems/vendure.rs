//! The Vendure connector against a real Vendure server (installed by `cargo xtask test`,
//! started fresh per test from the seeded database): what the conformance suite (which also
//! runs it) does not check — every resource and `get` mapped to the truth of Vendure's Admin
//! API, every write read back from it, and a batch of stock and price writes sent as one
//! mutation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::realsys;

use std::collections::BTreeSet;
use std::sync::Arc;

use junction::runtime::types::{
    ConnectorError, Entity, ListRequest, OrderStatusChange, OrderTrackingChange, Page,
    ProductPriceChange, ProductStockChange, ResourceKind, Tracking, VariationPriceChange,
    VariationStockChange, WriteOp, WriteOutcome,
};
use junction::runtime::{CallError, CallOptions, LoadedConnector, SandboxLimits};
use realsys::vendure::VendureServer;

/// Vendure on sql.js answers in tens to hundreds of milliseconds, and a login hashes a
/// password: wider limits than the emulator tests use.
fn limits() -> SandboxLimits {
    SandboxLimits {
        cpu_ms: 5_000,
        call_timeout_ms: 60_000,
        first_byte_timeout_ms: 30_000,
        between_bytes_timeout_ms: 30_000,
        max_response_mib: 16,
        memory_mib: 128,
        ..common::test_limits()
    }
}

struct Setup {
    shop: VendureServer,
    connector: Arc<LoadedConnector>,
    options: CallOptions,
}

async fn setup() -> Setup {
    let shop = realsys::vendure::start().await;
    let runtime = common::runtime(limits());
    let connector = LoadedConnector::load_file(&runtime, &common::component("vendure"))
        .await
        .unwrap();
    let options = connector.prepare(&shop.config()).unwrap();
    Setup {
        shop,
        connector,
        options,
    }
}

const PAGE_SIZE: u32 = 10;

fn request(resource: ResourceKind, parent: Option<&str>, since: Option<&str>) -> ListRequest {
    ListRequest {
        resource,
        updated_since: since.map(str::to_owned),
        cursor: None,
        page_size: PAGE_SIZE,
        parent_id: parent.map(str::to_owned),
        ids_only: false,
    }
}

async fn page(s: &Setup, options: &CallOptions, req: ListRequest) -> Result<Page, CallError> {
    s.connector.list(options, req).await.value
}

/// Pages to the end; `between(n)` runs after page `n`. Returns the entities and the number
/// of pages.
async fn list_all_with<F, Fut>(s: &Setup, base: ListRequest, mut between: F) -> (Vec<Entity>, usize)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut all = Vec::new();
    let mut req = base;
    for n in 0.. {
        assert!(n < 200, "paging does not terminate");
        let p = page(s, &s.options, req.clone()).await.unwrap();
        assert!(
            p.entities.len() <= PAGE_SIZE as usize,
            "page larger than asked"
        );
        all.extend(p.entities);
        between(n).await;
        match p.next_cursor {
            Some(c) => req.cursor = Some(c),
            None => return (all, n + 1),
        }
    }
    unreachable!()
}

async fn list_all(s: &Setup, req: ListRequest) -> (Vec<Entity>, usize) {
    list_all_with(s, req, |_| async {}).await
}

fn ids(entities: &[Entity]) -> Vec<String> {
    entities
        .iter()
        .map(|e| e.external_id().to_owned())
        .collect()
}

fn modified(e: &Entity) -> String {
    match e {
        Entity::Order(o) => o.modified_at.clone(),
        Entity::Customer(c) => c.modified_at.clone(),
        Entity::Product(p) => p.modified_at.clone(),
        Entity::Variation(v) => v.modified_at.clone(),
    }
}

fn assert_complete(what: &str, got: &[String], expected: &BTreeSet<String>) {
    let unique: BTreeSet<String> = got.iter().cloned().collect();
    assert_eq!(got.len(), unique.len(), "{what}: duplicates in {got:?}");
    assert_eq!(&unique, expected, "{what}: gaps or strays");
}

#[tokio::test]
async fn reads_page_every_resource_and_get_records() {
    let s = setup().await;
    let shop = &s.shop;

    // check, with the login and with the API key.
    let info = s.connector.check(&s.options).await.value.unwrap();
    assert!(info.message.contains("Vendure"), "{}", info.message);
    let keyed = s.connector.prepare(&shop.api_key_config()).unwrap();
    s.connector.check(&keyed).await.value.unwrap();

    // Every resource to the end, over several pages, nothing lost or repeated.
    for (resource, expected) in [
        (ResourceKind::Orders, shop.order_ids().await),
        (ResourceKind::Customers, shop.customer_ids().await),
        (ResourceKind::Products, shop.product_ids().await),
    ] {
        assert!(
            expected.len() > 2 * PAGE_SIZE as usize,
            "{resource:?}: seed too small"
        );
        let (got, pages) = list_all(&s, request(resource, None, None)).await;
        assert!(pages >= 3, "{resource:?}: {pages} pages");
        assert_complete(&format!("{resource:?}"), &ids(&got), &expected);
        let times: Vec<String> = got.iter().map(modified).collect();
        let mut sorted = times.clone();
        sorted.sort();
        if resource != ResourceKind::Orders {
            // (Orders' modified-at also counts payments and fulfillments; the list is in
            // Vendure's updatedAt order.)
            assert_eq!(times, sorted, "{resource:?}: not in modification order");
        }
    }
    // The API key reads the same orders.
    let keyed_page = page(&s, &keyed, request(ResourceKind::Orders, None, None))
        .await
        .unwrap();
    assert_eq!(keyed_page.entities.len(), PAGE_SIZE as usize);

    // Variations: the poster's 24 variants span pages; every variant names its product.
    let (poster, count) = shop.biggest_product().await;
    assert!(
        count > 2 * PAGE_SIZE as usize,
        "the poster has {count} variants"
    );
    let (got, pages) = list_all(&s, request(ResourceKind::Variations, Some(&poster), None)).await;
    assert!(pages >= 3);
    assert_complete(
        "poster variants",
        &ids(&got),
        &shop.variant_ids(&poster).await,
    );
    for e in &got {
        let Entity::Variation(v) = e else {
            panic!("{e:?}")
        };
        assert_eq!(v.product_id, poster);
        assert_eq!(v.attributes.len(), 2, "{:?}", v.attributes);
        let truth = shop.variant(&v.external_id).await;
        assert_eq!(v.stock_quantity, truth["stockOnHand"].as_i64());
        assert_eq!(
            v.price,
            Some(minor_to_decimal(truth["price"].as_i64().unwrap()))
        );
    }
    let missing_parent = page(
        &s,
        &s.options,
        request(ResourceKind::Variations, None, None),
    )
    .await;
    assert!(
        matches!(
            missing_parent,
            Err(CallError::Connector(ConnectorError::InvalidRequest(_)))
        ),
        "{missing_parent:?}"
    );

    // get: an order with its lines, addresses and tracking, as Vendure holds it.
    let shipped = shop.orders_in_state("Shipped").await;
    let truth = shop.order(&shipped[0]).await;
    let got = s
        .connector
        .get(&s.options, ResourceKind::Orders, shipped[0].clone(), None)
        .await
        .value
        .unwrap();
    let Entity::Order(order) = got else { panic!() };
    assert_eq!(order.order_number.as_deref(), truth["code"].as_str());
    assert_eq!(order.status, "Shipped");
    assert_eq!(
        order.total,
        minor_to_decimal(truth["totalWithTax"].as_i64().unwrap())
    );
    assert_eq!(
        order.line_items.len(),
        truth["lines"].as_array().unwrap().len()
    );
    assert!(order.shipping.as_ref().is_some_and(|a| a.city.is_some()));
    assert_eq!(order.tracking.len(), 1);
    assert_eq!(
        Some(order.tracking[0].number.as_str()),
        truth["fulfillments"][0]["trackingCode"].as_str()
    );
    assert!(order.tracking[0].shipped_at.is_some());
    assert_eq!(order.currency.as_deref(), Some("EUR"));

    // get of each other resource, and a variant under the wrong product.
    let customer = shop.customer_ids().await.into_iter().next().unwrap();
    let got = s
        .connector
        .get(&s.options, ResourceKind::Customers, customer.clone(), None)
        .await
        .value
        .unwrap();
    assert_eq!(got.external_id(), customer);
    let got = s
        .connector
        .get(&s.options, ResourceKind::Products, poster.clone(), None)
        .await
        .value
        .unwrap();
    let Entity::Product(p) = got else { panic!() };
    assert!(p.has_variations);
    let variant = shop.variant_ids(&poster).await.into_iter().next().unwrap();
    let got = s
        .connector
        .get(
            &s.options,
            ResourceKind::Variations,
            variant.clone(),
            Some(poster.clone()),
        )
        .await
        .value
        .unwrap();
    assert_eq!(got.external_id(), variant);
    let other_product = shop
        .product_ids()
        .await
        .into_iter()
        .find(|p| *p != poster)
        .unwrap();
    let wrong = s
        .connector
        .get(
            &s.options,
            ResourceKind::Variations,
            variant,
            Some(other_product),
        )
        .await
        .value;
    assert!(
        matches!(
            wrong,
            Err(CallError::Connector(ConnectorError::NotFound(_)))
        ),
        "{wrong:?}"
    );
    for resource in [
        ResourceKind::Orders,
        ResourceKind::Customers,
        ResourceKind::Products,
    ] {
        let missing = s
            .connector
            .get(&s.options, resource, "999999".into(), None)
            .await
            .value;
        assert!(
            matches!(
                missing,
                Err(CallError::Connector(ConnectorError::NotFound(_)))
            ),
            "{resource:?}: {missing:?}"
        );
    }

    // Refused credentials, both ways.
    let mut bad = shop.config();
    bad["password"] = "wrong".into();
    let bad = s.connector.prepare(&bad).unwrap();
    let refused = s
        .connector
        .list(&bad, request(ResourceKind::Orders, None, None))
        .await
        .value;
    assert!(
        matches!(
            refused,
            Err(CallError::Connector(ConnectorError::Unauthorized(_)))
        ),
        "{refused:?}"
    );
    let mut bad_key = shop.api_key_config();
    bad_key["api_key"] = "not-a-key".into();
    let bad_key = s.connector.prepare(&bad_key).unwrap();
    let refused = s.connector.check(&bad_key).await.value;
    assert!(
        matches!(
            refused,
            Err(CallError::Connector(ConnectorError::Unauthorized(_)))
        ),
        "{refused:?}"
    );
}

fn minor_to_decimal(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[tokio::test]
async fn every_write_reaches_vendure() {
    let s = setup().await;
    let shop = &s.shop;
    let write = |op: WriteOp| {
        let s = &s;
        async move { s.connector.write(&s.options, op).await.value }
    };
    let ok = |r: Result<WriteOutcome, CallError>| r.unwrap();

    // Order status: settle an authorized payment ("processing").
    let authorized = shop.orders_in_state("PaymentAuthorized").await;
    let out = ok(write(WriteOp::OrderStatus(OrderStatusChange {
        order_id: authorized[0].clone(),
        status: "processing".into(),
    }))
    .await);
    assert_eq!(shop.order(&authorized[0]).await["state"], "PaymentSettled");
    assert!(matches!(out.entity, Some(Entity::Order(ref o)) if o.status == "PaymentSettled"));

    // Tracking: a fulfillment with the code, shipped; the order follows to Shipped.
    let settled = shop.orders_in_state("PaymentSettled").await;
    let target = settled[0].clone();
    let out = ok(write(WriteOp::OrderTracking(OrderTrackingChange {
        order_id: target.clone(),
        tracking: Tracking {
            number: "JUNCTION-123".into(),
            provider: Some("DHL".into()),
            url: None,
            shipped_at: None,
        },
    }))
    .await);
    let truth = shop.order(&target).await;
    assert_eq!(truth["state"], "Shipped", "{truth}");
    let f = &truth["fulfillments"][0];
    assert_eq!(
        (
            f["trackingCode"].as_str(),
            f["method"].as_str(),
            f["state"].as_str()
        ),
        (Some("JUNCTION-123"), Some("DHL"), Some("Shipped"))
    );
    let Some(Entity::Order(o)) = out.entity else {
        panic!()
    };
    assert_eq!(
        o.tracking.last().map(|t| t.number.as_str()),
        Some("JUNCTION-123")
    );
    // The same tracking again changes nothing.
    ok(write(WriteOp::OrderTracking(OrderTrackingChange {
        order_id: target.clone(),
        tracking: Tracking {
            number: "JUNCTION-123".into(),
            provider: None,
            url: None,
            shipped_at: None,
        },
    }))
    .await);
    assert_eq!(
        shop.order(&target).await["fulfillments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Completed: Shipped → Delivered.
    ok(write(WriteOp::OrderStatus(OrderStatusChange {
        order_id: target.clone(),
        status: "completed".into(),
    }))
    .await);
    assert_eq!(shop.order(&target).await["state"], "Delivered");
    // Completed straight from PaymentSettled: fulfilled, shipped, delivered.
    ok(write(WriteOp::OrderStatus(OrderStatusChange {
        order_id: settled[1].clone(),
        status: "completed".into(),
    }))
    .await);
    assert_eq!(shop.order(&settled[1]).await["state"], "Delivered");
    // Cancelled.
    ok(write(WriteOp::OrderStatus(OrderStatusChange {
        order_id: settled[2].clone(),
        status: "cancelled".into(),
    }))
    .await);
    assert_eq!(shop.order(&settled[2]).await["state"], "Cancelled");
    // Impossible: a delivered order cannot go back to PaymentSettled (Vendure refuses), a
    // cancelled one cannot be shipped; neither changes the order.
    for (order, status, state) in [
        (&target, "processing", "Delivered"),
        (&settled[2], "completed", "Cancelled"),
    ] {
        let refused = write(WriteOp::OrderStatus(OrderStatusChange {
            order_id: order.clone(),
            status: status.into(),
        }))
        .await;
        assert!(
            matches!(&refused, Err(CallError::Connector(ConnectorError::Upstream(u))) if u.status == 409),
            "{status} on a {state} order: {refused:?}"
        );
        assert_eq!(shop.order(order).await["state"], state);
    }
    let unknown = write(WriteOp::OrderStatus(OrderStatusChange {
        order_id: target.clone(),
        status: "teleported".into(),
    }))
    .await;
    assert!(
        matches!(
            unknown,
            Err(CallError::Connector(ConnectorError::InvalidRequest(_)))
        ),
        "{unknown:?}"
    );
    let missing = write(WriteOp::OrderStatus(OrderStatusChange {
        order_id: "999999".into(),
        status: "processing".into(),
    }))
    .await;
    assert!(
        matches!(
            missing,
            Err(CallError::Connector(ConnectorError::NotFound(_)))
        ),
        "{missing:?}"
    );

    // Variant stock and price.
    let (poster, _) = shop.biggest_product().await;
    let variant = shop.variant_ids(&poster).await.into_iter().next().unwrap();
    let out = ok(write(WriteOp::VariationStock(VariationStockChange {
        product_id: poster.clone(),
        variation_id: variant.clone(),
        quantity: 77,
    }))
    .await);
    assert_eq!(shop.variant(&variant).await["stockOnHand"], 77);
    assert!(matches!(out.entity, Some(Entity::Variation(ref v)) if v.stock_quantity == Some(77)));
    ok(write(WriteOp::VariationPrice(VariationPriceChange {
        product_id: poster.clone(),
        variation_id: variant.clone(),
        price: "24.5".into(),
        sale_price: None,
    }))
    .await);
    assert_eq!(shop.variant(&variant).await["price"], 2450);
    let bad_price = write(WriteOp::VariationPrice(VariationPriceChange {
        product_id: poster.clone(),
        variation_id: variant.clone(),
        price: "1.999".into(),
        sale_price: None,
    }))
    .await;
    assert!(
        matches!(
            bad_price,
            Err(CallError::Connector(ConnectorError::InvalidRequest(_)))
        ),
        "{bad_price:?}"
    );
    assert_eq!(shop.variant(&variant).await["price"], 2450);

    // Product stock and price: only for a single-variant product.
    let mut single = None;
    for p in shop.product_ids().await {
        let v = shop.variant_ids(&p).await;
        if v.len() == 1 {
            single = Some((p, v.into_iter().next().unwrap()));
            break;
        }
    }
    let (product, its_variant) = single.unwrap();
    let out = ok(write(WriteOp::ProductStock(ProductStockChange {
        product_id: product.clone(),
        quantity: 5,
    }))
    .await);
    assert_eq!(shop.variant(&its_variant).await["stockOnHand"], 5);
    assert!(matches!(out.entity, Some(Entity::Product(ref p)) if p.stock_quantity == Some(5)));
    ok(write(WriteOp::ProductPrice(ProductPriceChange {
        product_id: product.clone(),
        price: "3".into(),
        sale_price: None,
    }))
    .await);
    assert_eq!(shop.variant(&its_variant).await["price"], 300);
    let many = write(WriteOp::ProductStock(ProductStockChange {
        product_id: poster.clone(),
        quantity: 5,
    }))
    .await;
    assert!(
        matches!(
            many,
            Err(CallError::Connector(ConnectorError::InvalidRequest(_)))
        ),
        "{many:?}"
    );
}

#[tokio::test]
async fn a_batch_of_stock_and_price_writes_is_one_mutation() {
    let s = setup().await;
    let shop = &s.shop;
    let (poster, _) = shop.biggest_product().await;
    let variants: Vec<String> = shop.variant_ids(&poster).await.into_iter().collect();
    let mut single = None;
    for p in shop.product_ids().await {
        let v = shop.variant_ids(&p).await;
        if v.len() == 1 {
            single = Some((p, v.into_iter().next().unwrap()));
            break;
        }
    }
    let (product, its_variant) = single.unwrap();
    let variation_stock = |variant: &str, quantity: i64| {
        WriteOp::VariationStock(VariationStockChange {
            product_id: poster.clone(),
            variation_id: variant.to_owned(),
            quantity,
        })
    };
    let variation_price = |variant: &str, price: &str| {
        WriteOp::VariationPrice(VariationPriceChange {
            product_id: poster.clone(),
            variation_id: variant.to_owned(),
            price: price.into(),
            sale_price: None,
        })
    };
    let ops = vec![
        variation_stock(&variants[0], 11),
        variation_price(&variants[0], "12.50"),
        variation_stock(&variants[1], 12),
        WriteOp::ProductStock(ProductStockChange {
            product_id: product.clone(),
            quantity: 13,
        }),
        variation_price(&variants[2], "7"),
        // A variant named under another product: not-found, the others still go through.
        WriteOp::VariationStock(VariationStockChange {
            product_id: product.clone(),
            variation_id: variants[3].clone(),
            quantity: 1,
        }),
        // Product writes need a single-variant product.
        WriteOp::ProductStock(ProductStockChange {
            product_id: poster.clone(),
            quantity: 1,
        }),
        // Refused before anything is sent: Vendure keeps two decimals.
        variation_price(&variants[3], "1.999"),
        WriteOp::ProductPrice(ProductPriceChange {
            product_id: product.clone(),
            price: "4.25".into(),
            sale_price: None,
        }),
        variation_stock(&variants[3], 14),
    ];
    let result = s.connector.write_batch(&s.options, ops).await;
    let outcomes = result.value.unwrap();
    assert_eq!(outcomes.len(), 10);
    let variation = |at: usize| match &outcomes[at] {
        Ok(WriteOutcome {
            entity: Some(Entity::Variation(v)),
            ..
        }) => v.clone(),
        other => panic!("op {at}: {other:?}"),
    };
    // Both ops on variant 0 were one input: each outcome shows both changes.
    for at in [0, 1] {
        let v = variation(at);
        assert_eq!(
            (v.external_id.as_str(), v.stock_quantity, v.price.as_deref()),
            (variants[0].as_str(), Some(11), Some("12.50")),
            "op {at}"
        );
    }
    assert_eq!(variation(2).stock_quantity, Some(12));
    assert_eq!(variation(4).price.as_deref(), Some("7.00"));
    assert_eq!(variation(9).stock_quantity, Some(14));
    for at in [3, 8] {
        match &outcomes[at] {
            Ok(WriteOutcome {
                external_id,
                entity: Some(Entity::Product(p)),
            }) => {
                assert_eq!(external_id, &product);
                assert_eq!(p.stock_quantity, Some(13), "op {at}");
            }
            other => panic!("op {at}: {other:?}"),
        }
    }
    assert!(
        matches!(&outcomes[5], Err(ConnectorError::NotFound(m)) if m.contains("does not belong")),
        "{:?}",
        outcomes[5]
    );
    assert!(
        matches!(&outcomes[6], Err(ConnectorError::InvalidRequest(m)) if m.contains("variants")),
        "{:?}",
        outcomes[6]
    );
    assert!(
        matches!(&outcomes[7], Err(ConnectorError::InvalidRequest(_))),
        "{:?}",
        outcomes[7]
    );

    // Each read back from Vendure.
    let v0 = shop.variant(&variants[0]).await;
    assert_eq!(
        (&v0["stockOnHand"], &v0["price"]),
        (&11.into(), &1250.into())
    );
    assert_eq!(shop.variant(&variants[1]).await["stockOnHand"], 12);
    assert_eq!(shop.variant(&variants[2]).await["price"], 700);
    assert_eq!(shop.variant(&variants[3]).await["stockOnHand"], 14);
    let single = shop.variant(&its_variant).await;
    assert_eq!(
        (&single["stockOnHand"], &single["price"]),
        (&13.into(), &425.into())
    );

    // Login, the variants and the products looked up, one mutation, the products read back.
    assert_eq!(result.requests, 5);

    // Order writes in a batch run one by one beside the mutation.
    let authorized = shop.orders_in_state("PaymentAuthorized").await;
    let outcomes = s
        .connector
        .write_batch(
            &s.options,
            vec![
                WriteOp::OrderStatus(OrderStatusChange {
                    order_id: authorized[0].clone(),
                    status: "processing".into(),
                }),
                variation_stock(&variants[1], 21),
            ],
        )
        .await
        .value
        .unwrap();
    assert!(
        matches!(&outcomes[0], Ok(WriteOutcome { entity: Some(Entity::Order(o)), .. }) if o.status == "PaymentSettled"),
        "{:?}",
        outcomes[0]
    );
    assert!(
        matches!(&outcomes[1], Ok(o) if o.external_id == variants[1]),
        "{:?}",
        outcomes[1]
    );
    assert_eq!(shop.order(&authorized[0]).await["state"], "PaymentSettled");
    assert_eq!(shop.variant(&variants[1]).await["stockOnHand"], 21);
}
