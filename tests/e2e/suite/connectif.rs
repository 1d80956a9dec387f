//! Conformance subject: the Connectif connector against the Connectif emulator. The
//! account is seeded with contacts, which the connector lists as customers through a
//! contacts export; a touch patches one contact in the emulator's store and the deletion
//! removes one there, as Connectif's own users would. The write cases (a contact, a
//! catalogue product, a purchase) are read back from the store; the batch holds enough
//! contacts to go as one import, which the store's import counter proves.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, ensure};
use junction::runtime::types::{
    Address, Customer, CustomerUpsert, LineItem, Order, OrderUpsert, Product, ProductUpsert,
};
use junction_emulators::connectif::{ConnectifConfig, ConnectifStore};
use serde_json::json;

use super::{BoxFut, Deletion, Expected, ResourceKind, Subject, WriteCase, WriteKind, WriteOp};

/// Contacts the account starts with: three pages of [`PAGE_SIZE`] and a bit.
const SEEDED_CONTACTS: usize = 12;
const PAGE_SIZE: u32 = 5;
/// Contacts in the batch: at least the connector's import threshold (5).
const BATCH_CONTACTS: usize = 5;

fn verify(
    store: &ConnectifStore,
    check: impl Fn(&ConnectifStore) -> anyhow::Result<()> + Send + Sync + 'static,
) -> Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync> {
    let store = store.clone();
    let check = Arc::new(check);
    Box::new(move || {
        let store = store.clone();
        let check = check.clone();
        Box::pin(async move { check(&store) })
    })
}

fn customer() -> WriteOp {
    WriteOp::UpsertCustomer(CustomerUpsert {
        target_id: None,
        customer: Customer {
            external_id: "c-1".into(),
            email: Some("conformance@example.com".into()),
            first_name: Some("Conny".into()),
            last_name: Some("Formance".into()),
            company: None,
            phone: None,
            billing: None,
            shipping: None,
            created_at: "2025-01-01T00:00:00Z".into(),
            modified_at: "2025-01-01T00:00:00Z".into(),
            raw: "{}".into(),
        },
    })
}

fn product() -> WriteOp {
    WriteOp::UpsertProduct(ProductUpsert {
        target_id: None,
        product: Product {
            external_id: "p-1".into(),
            sku: None,
            name: "Conformance mug".into(),
            status: None,
            price: Some("9.95".into()),
            regular_price: Some("9.95".into()),
            sale_price: None,
            currency: Some("EUR".into()),
            stock_quantity: Some(3),
            has_variations: false,
            created_at: "2025-01-01T00:00:00Z".into(),
            modified_at: "2025-01-01T00:00:00Z".into(),
            raw: "{}".into(),
        },
    })
}

fn order() -> WriteOp {
    WriteOp::UpsertOrder(OrderUpsert {
        target_id: None,
        order: Order {
            external_id: "o-1".into(),
            order_number: Some("O-1".into()),
            status: "processing".into(),
            currency: Some("EUR".into()),
            total: "19.90".into(),
            subtotal: None,
            tax_total: None,
            shipping_total: None,
            discount_total: None,
            customer_id: None,
            // A buyer that is not a contact yet: the connector creates it.
            customer_email: Some("buyer@example.com".into()),
            billing: Some(Address {
                first_name: Some("Bea".into()),
                last_name: Some("Buyer".into()),
                company: None,
                line1: None,
                line2: None,
                city: None,
                region: None,
                postcode: None,
                country: None,
                email: None,
                phone: None,
            }),
            shipping: None,
            payment_status: None,
            payment_method: None,
            line_items: vec![LineItem {
                external_id: None,
                product_id: Some("p-1".into()),
                variation_id: None,
                sku: None,
                name: "Conformance mug".into(),
                quantity: "2".into(),
                unit_price: "9.95".into(),
                total: "19.90".into(),
                tax: None,
            }],
            tracking: vec![],
            created_at: "2025-01-02T00:00:00Z".into(),
            modified_at: "2025-01-02T00:00:00Z".into(),
            raw: "{}".into(),
        },
    })
}

fn write_cases(store: &ConnectifStore) -> Vec<WriteCase> {
    vec![
        WriteCase {
            op: customer(),
            verify: verify(store, |s| {
                let c = s.contact("conformance@example.com").context("no contact")?;
                ensure!(c["_name"] == "Conny", "contact name is {}", c["_name"]);
                Ok(())
            }),
        },
        WriteCase {
            op: product(),
            verify: verify(store, |s| {
                let p = s.product("p-1").context("no catalogue product")?;
                ensure!(p["unitPrice"] == 9.95, "unit price is {}", p["unitPrice"]);
                Ok(())
            }),
        },
        WriteCase {
            op: order(),
            verify: verify(store, |s| {
                let purchases = s.purchases_with_id("o-1");
                ensure!(purchases.len() == 1, "{} purchases o-1", purchases.len());
                ensure!(
                    purchases[0]["totalPrice"] == 19.9,
                    "total is {}",
                    purchases[0]["totalPrice"]
                );
                ensure!(s.has_contact("buyer@example.com"), "no buyer contact");
                Ok(())
            }),
        },
    ]
}

/// The batch: five contacts (enough to go as one import), a product and a purchase, other
/// than the single writes'.
fn batch_cases(store: &ConnectifStore) -> Vec<WriteCase> {
    let mut cases = Vec::new();
    for n in 1..=BATCH_CONTACTS {
        let mut contact = customer();
        if let WriteOp::UpsertCustomer(c) = &mut contact {
            c.customer.external_id = format!("c-batch-{n}");
            c.customer.email = Some(batch_email(n));
            c.customer.first_name = Some(format!("Batty{n}"));
        }
        cases.push(WriteCase {
            op: contact,
            verify: verify(store, move |s| {
                let c = s.contact(&batch_email(n)).context("no contact")?;
                ensure!(
                    c["_name"] == format!("Batty{n}").as_str(),
                    "contact name is {}",
                    c["_name"]
                );
                ensure!(
                    s.imported_contacts() >= BATCH_CONTACTS as u64,
                    "the batch's contacts were not imported ({} imported)",
                    s.imported_contacts()
                );
                Ok(())
            }),
        });
    }
    let mut item = product();
    if let WriteOp::UpsertProduct(p) = &mut item {
        p.product.external_id = "p-2".into();
        p.product.name = "Batch mug".into();
        p.product.price = Some("4.50".into());
        p.product.regular_price = Some("4.50".into());
    }
    let mut purchase = order();
    if let WriteOp::UpsertOrder(o) = &mut purchase {
        o.order.external_id = "o-2".into();
        o.order.order_number = Some("O-2".into());
        o.order.customer_email = Some(batch_email(1));
        o.order.total = "9.00".into();
        for line in &mut o.order.line_items {
            line.product_id = Some("p-2".into());
            line.name = "Batch mug".into();
            line.unit_price = "4.50".into();
            line.total = "9.00".into();
        }
    }
    cases.extend([
        WriteCase {
            op: item,
            verify: verify(store, |s| {
                let p = s.product("p-2").context("no catalogue product")?;
                ensure!(p["unitPrice"] == 4.5, "unit price is {}", p["unitPrice"]);
                Ok(())
            }),
        },
        WriteCase {
            op: purchase,
            verify: verify(store, |s| {
                let purchases = s.purchases_with_id("o-2");
                ensure!(purchases.len() == 1, "{} purchases o-2", purchases.len());
                ensure!(
                    purchases[0]["totalPrice"] == 9.0,
                    "total is {}",
                    purchases[0]["totalPrice"]
                );
                Ok(())
            }),
        },
    ]);
    cases
}

fn batch_email(n: usize) -> String {
    format!("batch-{n}@example.com")
}

/// Moves one seeded contact's modification time: a new name through the store, as a
/// `PATCH /contacts/{email}` would.
fn touch(store: &ConnectifStore, resource: ResourceKind) -> anyhow::Result<String> {
    ensure!(
        resource == ResourceKind::Customers,
        "only customers are read"
    );
    let email = store
        .contact_emails()
        .into_iter()
        .next()
        .context("no contact to touch")?;
    let mut patch = serde_json::Map::new();
    patch.insert("_name".into(), json!("Touched"));
    store.patch_contact(&email, patch);
    Ok(email)
}

pub async fn subject() -> Subject {
    let emu = junction_emulators::connectif::start(
        ConnectifConfig {
            // Well within the connector's first look at a new export (1 s), so every
            // listing's first page already holds rows.
            job_delay: Duration::from_millis(100),
            ..ConnectifConfig::default()
        },
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("Connectif emulator");
    let store = emu.store();
    store.seed_contacts(SEEDED_CONTACTS);
    let expected = vec![Expected {
        resource: ResourceKind::Customers,
        parent_id: None,
        ids: store.contact_emails().into_iter().collect::<BTreeSet<_>>(),
    }];
    let touching = store.clone();
    let deleting = store.clone();
    let config = |key: &'static str| {
        move |origin: &str| {
            json!({
                "api_key": key,
                "base_url": origin,
                "product_url_template": "https://shop.example.com/p/{id}",
            })
        }
    };
    Subject {
        component: crate::common::component("connectif"),
        upstream: emu.base_url(),
        config: Box::new(config("cnf_test_key")),
        bad_credentials: Some(Box::new(config("cnf_wrong_key"))),
        resources: vec![ResourceKind::Customers],
        writes: vec![
            WriteKind::UpsertCustomer,
            WriteKind::UpsertProduct,
            WriteKind::UpsertOrder,
        ],
        page_size: PAGE_SIZE,
        expected,
        touch: Some(Box::new(move |resource| {
            let store = touching.clone();
            Box::pin(async move { touch(&store, resource) })
        })),
        delete: Some(Deletion {
            resource: ResourceKind::Customers,
            victim: None,
            delete: Box::new(move |resource, email| {
                let store = deleting.clone();
                Box::pin(async move {
                    ensure!(
                        resource == ResourceKind::Customers,
                        "only customers are read"
                    );
                    ensure!(store.delete_contact(&email), "no contact {email} to delete");
                    Ok(())
                })
            }),
        }),
        missing_id: "nobody@example.com".into(),
        write_cases: write_cases(&store),
        batch_cases: batch_cases(&store),
        writes_required: true,
        guard: Box::new(emu),
    }
}
