//! Conformance subject: the `hello-feed` connector (the README's example) against a JSON
//! feed served from the test. The feed is read-only and has no auth; `touch` re-dates one
//! item in the served feed.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::Json;
use axum::routing::get;
use serde_json::{Value, json};

use super::{Deletion, Expected, ResourceKind, Subject};

const PAGE_SIZE: u32 = 3;

/// The served feed: items in the shape `[{"id", "name", "price", "updated"}]`.
type Feed = Arc<Mutex<Vec<Value>>>;

fn seed() -> Vec<Value> {
    (1..=8)
        .map(|n| {
            json!({
                "id": format!("p{n:02}"),
                "name": format!("Product {n}"),
                "price": format!("{n}.50"),
                // Two items per day, some with an offset, all in the past.
                "updated": if n % 3 == 0 {
                    format!("2025-03-{:02}T10:00:00+02:00", n / 2 + 1)
                } else {
                    format!("2025-03-{:02}T08:00:00Z", n / 2 + 1)
                },
            })
        })
        .collect()
}

pub async fn subject() -> Subject {
    let feed: Feed = Arc::new(Mutex::new(seed()));
    let served = feed.clone();
    let app = axum::Router::new().route(
        "/feed.json",
        get(move || {
            let items = served.lock().map(|f| f.clone()).unwrap_or_default();
            async move { Json(items) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("feed listener");
    let addr = listener.local_addr().expect("feed address");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let ids: BTreeSet<String> = feed
        .lock()
        .expect("feed")
        .iter()
        .filter_map(|item| item["id"].as_str().map(str::to_owned))
        .collect();
    let touched = feed.clone();
    let deleting = feed.clone();
    Subject {
        component: crate::common::component("hello-feed"),
        upstream: format!("http://{addr}"),
        config: Box::new(|origin| json!({"feed_url": format!("{origin}/feed.json")})),
        bad_credentials: None,
        resources: vec![ResourceKind::Products],
        writes: vec![],
        page_size: PAGE_SIZE,
        expected: vec![Expected {
            resource: ResourceKind::Products,
            parent_id: None,
            ids,
        }],
        touch: Some(Box::new(move |resource| {
            let feed = touched.clone();
            Box::pin(async move {
                anyhow::ensure!(
                    resource == ResourceKind::Products,
                    "the feed has products only"
                );
                let mut items = feed.lock().map_err(|e| anyhow::anyhow!("{e}"))?;
                let item = items
                    .get_mut(2)
                    .context("the feed has fewer than 3 items")?;
                item["updated"] = json!(jiff::Timestamp::now().to_string());
                item["id"]
                    .as_str()
                    .map(str::to_owned)
                    .context("item without id")
            })
        })),
        delete: Some(Deletion {
            victim: None,
            resource: ResourceKind::Products,
            delete: Box::new(move |resource, id| {
                let feed = deleting.clone();
                Box::pin(async move {
                    anyhow::ensure!(
                        resource == ResourceKind::Products,
                        "the feed has products only"
                    );
                    let mut items = feed.lock().map_err(|e| anyhow::anyhow!("{e}"))?;
                    let before = items.len();
                    items.retain(|item| item["id"].as_str() != Some(id.as_str()));
                    anyhow::ensure!(items.len() < before, "no item {id} in the feed");
                    Ok(())
                })
            }),
        }),
        missing_id: "no-such-product".into(),
        write_cases: vec![],
        batch_cases: vec![],
        writes_required: true,
        guard: Box::new(AbortOnDrop(server)),
    }
}

/// Stops the feed server when the subject is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
