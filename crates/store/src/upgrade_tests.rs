//! Databases made before a migration open with their data intact: the local copy stored
//! before the change clock (migrations up to 0012) is numbered in its change-feed order,
//! served with one clock value, and pages and later writes behave as for new data — no
//! resync. On SQLite, and on PostgreSQL when `JUNCTION_TEST_POSTGRES_URL` names one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;

use sqlx::any::AnyPoolOptions;

use crate::records::{PageQuery, Paging, StoredRecord};
use crate::{Store, sqlite_url};
use junction_contract::ResourceKind;

/// A database at migration 0012 with a tenant, a connection and its copy: orders whose
/// change-feed order (3, 1, 2) differs from their ids, and variations of product `p`.
async fn database_before_the_clock(url: &str) {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.migrations = Cow::Owned(
        migrator
            .migrations
            .iter()
            .filter(|m| m.version <= 12)
            .cloned()
            .collect(),
    );
    migrator.run(&pool).await.unwrap();
    for sql in [
        "INSERT INTO tenants (id, name, created_ms) VALUES ('t', 'acme', 1)",
        "INSERT INTO connections (id, tenant_id, connector_key, name, config, secrets, created_ms, updated_ms, change_seq) \
         VALUES ('c', 't', 'woocommerce', 'shop', '{}', '', 1, 1, 5)",
        "INSERT INTO records (connection_id, resource, parent_id, external_id, modified_ms, status, data, change_seq, first_seq) VALUES \
         ('c', 'orders', '', '1', 1000, 'processing', '{\"externalId\":\"1\",\"modifiedAt\":\"1970-01-01T00:00:01Z\"}', 3, 3), \
         ('c', 'orders', '', '2', 3000, 'processing', '{\"externalId\":\"2\",\"modifiedAt\":\"1970-01-01T00:00:03Z\"}', 1, 1), \
         ('c', 'orders', '', '3', 2000, 'completed', '{\"externalId\":\"3\",\"modifiedAt\":\"1970-01-01T00:00:02Z\"}', 2, 2), \
         ('c', 'variations', 'p', 'v1', 500, NULL, '{\"externalId\":\"v1\"}', 4, 4), \
         ('c', 'variations', 'p', 'v2', 500, NULL, '{\"externalId\":\"v2\"}', 5, 5)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

fn query(parent: &str, since: Option<i64>, page: i64) -> PageQuery {
    PageQuery {
        parent_id: parent.to_string(),
        updated_since_ms: since,
        statuses: vec![],
        paging: Paging::Number(page),
        limit: 2,
    }
}

async fn ids(store: &Store, resource: ResourceKind, q: &PageQuery) -> (Vec<String>, bool) {
    let page = store.page_records("c", resource, q).await.unwrap();
    let ids = page.records.iter().map(|r| r.external_id.clone()).collect();
    (ids, page.has_more)
}

#[tokio::test]
async fn a_copy_stored_before_the_change_clock_opens_without_a_resync() {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![sqlite_url(dir.path())];
    if let Ok(url) = std::env::var("JUNCTION_TEST_POSTGRES_URL") {
        urls.push(
            crate::testing::fresh_postgres_schema(&url, "upgrade")
                .await
                .unwrap(),
        );
    }
    for url in urls {
        if url.starts_with("sqlite:") {
            crate::sqlite_file::prepare(&url).unwrap();
        }
        database_before_the_clock(&url).await;
        let store = Store::open(&url).await.unwrap();
        // Numbered in change-feed order, pages as windows, every record kept.
        let orders = ResourceKind::Orders;
        assert_eq!(
            ids(&store, orders, &query("", None, 1)).await,
            (vec!["2".into(), "3".into()], true),
            "{url}"
        );
        assert_eq!(
            ids(&store, orders, &query("", None, 2)).await,
            (vec!["1".into()], false)
        );
        let variations = ResourceKind::Variations;
        assert_eq!(
            ids(&store, variations, &query("p", None, 1)).await,
            (vec!["v1".into(), "v2".into()], false)
        );
        // One clock value for the old copy (the newest source time), served as modifiedAt,
        // the system's own time beside it.
        let old = store.record("c", orders, "", "1").await.unwrap().unwrap();
        assert_eq!(old.changed_ms, 3000);
        let served: serde_json::Value = serde_json::from_str(&old.served()).unwrap();
        assert_eq!(served["modifiedAt"], "1970-01-01T00:00:03.000Z");
        assert_eq!(served["sourceModifiedAt"], "1970-01-01T00:00:01Z");
        // A client that kept an old `modifiedAt` reads the old copy again (never less); one
        // that kept the upgrade's clock reads only what changes after it.
        assert_eq!(
            ids(&store, orders, &query("", Some(2_999), 1))
                .await
                .0
                .len(),
            2
        );
        assert_eq!(
            ids(&store, orders, &query("", Some(3_000), 1)).await,
            (vec![], false)
        );
        // New changes continue the numbering and the clock.
        let changed = StoredRecord {
            external_id: "3".into(),
            modified_ms: 4000,
            status: Some("refunded".into()),
            data: r#"{"externalId":"3","modifiedAt":"1970-01-01T00:00:04Z"}"#.into(),
            ..StoredRecord::default()
        };
        assert!(store.upsert_record("c", orders, &changed).await.unwrap());
        let now = store.record("c", orders, "", "3").await.unwrap().unwrap();
        assert_eq!(now.position, 4);
        assert!(now.changed_ms > 3000);
        assert_eq!(
            ids(&store, orders, &query("", Some(3_000), 1)).await,
            (vec!["3".into()], false)
        );
        assert_eq!(
            ids(&store, orders, &query("", None, 1)).await,
            (vec!["2".into()], true),
            "a hole where 3 was"
        );
        store.close().await;
    }
}
