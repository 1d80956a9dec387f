//! Conformance subject: the `feed-js` connector (JavaScript, componentize-js) against the
//! JSON product feed emulator (API key auth, keyset cursor, `updated_since`). Read-only;
//! `touch` re-dates a product in the emulator's store.

use std::collections::BTreeSet;

use junction_emulators::feeds::{self, FeedConfig};
use serde_json::json;

use super::{Deletion, Expected, ResourceKind, Subject};

pub async fn subject() -> Subject {
    let config = FeedConfig {
        products: 23,
        ..FeedConfig::default()
    };
    let key = config.api_key.clone().unwrap_or_default();
    let emulator = feeds::start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("feed emulator");
    let store = emulator.store();
    let ids: BTreeSet<String> = store.product_ids().iter().map(u64::to_string).collect();
    let touched = store.clone();
    let deleting = store.clone();
    Subject {
        component: crate::common::component("feed-js"),
        upstream: emulator.base_url(),
        config: Box::new(
            move |origin| json!({"feed_url": format!("{origin}/feed/v1"), "api_key": key}),
        ),
        bad_credentials: Some(Box::new(
            |origin| json!({"feed_url": format!("{origin}/feed/v1"), "api_key": "wrong-key"}),
        )),
        resources: vec![ResourceKind::Products],
        writes: vec![],
        page_size: 5,
        expected: vec![Expected {
            resource: ResourceKind::Products,
            parent_id: None,
            ids,
        }],
        touch: Some(Box::new(move |resource| {
            let store = touched.clone();
            Box::pin(async move {
                anyhow::ensure!(
                    resource == ResourceKind::Products,
                    "the feed has products only"
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
