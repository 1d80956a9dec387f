//! Conformance subject: the `catalog-py` connector (Python, componentize-py) against the
//! CSV catalogue emulator (API key auth, offset paging with `Link` headers,
//! `updated_since`, products and their variants). Read-only; `touch` re-dates a product.

use std::collections::BTreeSet;

use junction_emulators::feeds::{self, FeedConfig};
use serde_json::json;

use super::{Deletion, Expected, ResourceKind, Subject};

pub async fn subject() -> Subject {
    let config = FeedConfig {
        products: 23,
        variable_every: 4,
        ..FeedConfig::default()
    };
    let key = config.api_key.clone().unwrap_or_default();
    let emulator = feeds::start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("feed emulator");
    let store = emulator.store();
    let ids: BTreeSet<String> = store.product_ids().iter().map(u64::to_string).collect();
    let parent = store
        .product_ids()
        .into_iter()
        .find(|id| store.variant_ids(*id).is_some_and(|v| v.len() >= 3))
        .expect("a product with three variants");
    let variants: BTreeSet<String> = store
        .variant_ids(parent)
        .unwrap_or_default()
        .iter()
        .map(u64::to_string)
        .collect();
    let touched = store.clone();
    let deleting = store.clone();
    Subject {
        component: crate::common::component("catalog-py"),
        upstream: emulator.base_url(),
        config: Box::new(
            move |origin| json!({"catalog_url": format!("{origin}/catalog"), "api_key": key}),
        ),
        bad_credentials: Some(Box::new(
            |origin| json!({"catalog_url": format!("{origin}/catalog"), "api_key": "wrong-key"}),
        )),
        resources: vec![ResourceKind::Products, ResourceKind::Variations],
        writes: vec![],
        page_size: 2,
        expected: vec![
            Expected {
                resource: ResourceKind::Products,
                parent_id: None,
                ids,
            },
            Expected {
                resource: ResourceKind::Variations,
                parent_id: Some(parent.to_string()),
                ids: variants,
            },
        ],
        touch: Some(Box::new(move |resource| {
            let store = touched.clone();
            Box::pin(async move {
                anyhow::ensure!(
                    resource == ResourceKind::Products,
                    "only products can be touched"
                );
                store
                    .touch(3)
                    .map(|_| "3".to_owned())
                    .ok_or_else(|| anyhow::anyhow!("product 3 is missing"))
            })
        })),
        delete: Some(Deletion {
            resource: ResourceKind::Products,
            victim: None,
            delete: Box::new(move |resource, id| {
                let store = deleting.clone();
                Box::pin(async move {
                    anyhow::ensure!(
                        resource == ResourceKind::Products,
                        "products are deleted here"
                    );
                    anyhow::ensure!(store.remove(id.parse()?), "no product {id}");
                    Ok(())
                })
            }),
        }),
        missing_id: "999999".into(),
        write_cases: vec![],
        batch_cases: vec![],
        writes_required: true,
        guard: Box::new(emulator),
    }
}
