//! The store against a real database: SQLite in a temporary data directory, and PostgreSQL
//! too when `JUNCTION_TEST_POSTGRES_URL` names one (a fresh schema per run).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use junction::runtime::types::ResourceKind;
use junction::store::connections::NewConnection;
use junction::store::records::{PageCheckpoint, PageQuery, Paging, RecordQuery, StoredRecord};
use junction::store::{Store, sqlite_url};

async fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut stores = vec![(
        Store::open(&sqlite_url(dir.path())).await.unwrap(),
        Some(dir),
    )];
    if let Ok(url) = std::env::var("JUNCTION_TEST_POSTGRES_URL") {
        let scoped = common::fresh_postgres_schema(&url, "t").await;
        stores.push((Store::open(&scoped).await.unwrap(), None));
    }
    stores
}

fn record(id: &str, modified_ms: i64, status: &str) -> StoredRecord {
    StoredRecord {
        parent_id: String::new(),
        external_id: id.into(),
        modified_ms,
        status: Some(status.into()),
        sku: None,
        data: format!(r#"{{"externalId":"{id}","status":"{status}"}}"#),
        ..StoredRecord::default()
    }
}

#[tokio::test]
async fn pages_commit_with_their_checkpoint_and_list_in_order() {
    for (store, _dir) in stores().await {
        let tenant = store.create_tenant("acme").await.unwrap();
        assert!(
            store
                .create_tenant("acme")
                .await
                .unwrap_err()
                .to_string()
                .contains("already exists")
        );
        let conn = store
            .create_connection(NewConnection {
                tenant_id: &tenant.id,
                connector_key: "woocommerce",
                name: "shop",
                public_config: r#"{"base_url":"http://x"}"#,
                sealed_secrets: "v1:xyz",
                resources: vec![(ResourceKind::Orders, true, 300)],
            })
            .await
            .unwrap();
        store
            .start_run("run-1", &conn.id, ResourceKind::Orders, "manual")
            .await
            .unwrap();
        store
            .begin_sync_run(&conn.id, ResourceKind::Orders, "run-1", None)
            .await
            .unwrap();
        let page = [
            record("2", 2_000, "processing"),
            record("1", 1_000, "completed"),
            record("3", 2_000, "completed"),
        ];
        store
            .commit_page(PageCheckpoint {
                connection_id: &conn.id,
                resource: ResourceKind::Orders,
                run_id: "run-1",
                records: &page,
                next_cursor: Some("c2"),
                deleted: &[],
            })
            .await
            .unwrap();
        assert_eq!(
            store
                .sync_state(&conn.id, ResourceKind::Orders)
                .await
                .unwrap()
                .run_cursor
                .as_deref(),
            Some("c2")
        );
        // An older copy never overwrites a newer one; a newer one does.
        let again = [record("1", 500, "stale"), record("2", 3_000, "completed")];
        store
            .commit_page(PageCheckpoint {
                connection_id: &conn.id,
                resource: ResourceKind::Orders,
                run_id: "run-1",
                records: &again,
                next_cursor: None,
                deleted: &[],
            })
            .await
            .unwrap();
        let all = store
            .list_records(
                &conn.id,
                ResourceKind::Orders,
                &RecordQuery {
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let ids: Vec<&str> = all.iter().map(|r| r.external_id.as_str()).collect();
        assert_eq!(ids, vec!["1", "3", "2"]);
        assert_eq!(all[0].status.as_deref(), Some("completed"));
        let completed = store
            .page_records(
                &conn.id,
                ResourceKind::Orders,
                &PageQuery {
                    parent_id: String::new(),
                    statuses: vec!["completed".into()],
                    updated_since_ms: None,
                    paging: Paging::Number(1),
                    limit: 1,
                },
            )
            .await
            .unwrap();
        let ids: Vec<&str> = completed
            .records
            .iter()
            .map(|r| r.external_id.as_str())
            .collect();
        assert_eq!((ids, completed.has_more), (vec!["1"], true));
        let runs = store.runs(&conn.id, None, 10).await.unwrap();
        assert_eq!((runs[0].pages, runs[0].records), (2, 5));
        assert_eq!(
            store
                .count_records(&conn.id, ResourceKind::Orders)
                .await
                .unwrap(),
            3
        );
    }
}

/// Page numbers are fixed windows of the change order: a record that changes mid-walk
/// leaves a hole and comes again at the end, nothing else moves; `updatedSince` starts the
/// windows after the last place changed by then; an unchanged record keeps its place and time.
#[tokio::test]
async fn page_numbers_are_windows_that_records_leave_but_never_shift() {
    for (store, _dir) in stores().await {
        let tenant = store.create_tenant("acme").await.unwrap();
        let conn = store
            .create_connection(NewConnection {
                tenant_id: &tenant.id,
                connector_key: "woocommerce",
                name: "shop",
                public_config: "{}",
                sealed_secrets: "v1:xyz",
                resources: vec![(ResourceKind::Orders, true, 300)],
            })
            .await
            .unwrap();
        let put = |records: Vec<StoredRecord>| {
            let store = store.clone();
            let id = conn.id.clone();
            async move {
                for record in records {
                    store
                        .upsert_record(&id, ResourceKind::Orders, &record)
                        .await
                        .unwrap();
                }
            }
        };
        put(["a", "b", "c", "d", "e"]
            .iter()
            .map(|id| record(id, 1_000, "processing"))
            .collect())
        .await;
        let page = |paging: Paging, since: Option<i64>| {
            let store = store.clone();
            let id = conn.id.clone();
            async move {
                let page = store
                    .page_records(
                        &id,
                        ResourceKind::Orders,
                        &PageQuery {
                            parent_id: String::new(),
                            updated_since_ms: since,
                            statuses: vec![],
                            paging,
                            limit: 2,
                        },
                    )
                    .await
                    .unwrap();
                let ids: Vec<String> = page.records.iter().map(|r| r.external_id.clone()).collect();
                (ids, page.has_more, page.records)
            }
        };
        assert_eq!(page(Paging::Number(1), None).await.0, ["a", "b"]);
        // `a` changes; `b` is written again unchanged (keeps its place and time).
        let b_before = page(Paging::Number(1), None).await.2[1].clone();
        put(vec![
            record("a", 2_000, "completed"),
            record("b", 1_000, "processing"),
        ])
        .await;
        let (ids, more, _) = page(Paging::Number(1), None).await;
        assert_eq!(
            (ids, more),
            (vec!["b".to_string()], true),
            "a hole where `a` was"
        );
        let (ids, more, records) = page(Paging::Number(1), None).await;
        assert_eq!(records[0], b_before, "an unchanged write changes nothing");
        assert!(more && ids == ["b"]);
        assert_eq!(page(Paging::Number(2), None).await.0, ["c", "d"]);
        let (ids, more, last) = page(Paging::Number(3), None).await;
        assert_eq!((ids, more), (vec!["e".to_string(), "a".to_string()], false));
        assert!(
            last[1].changed_ms > last[0].changed_ms,
            "the change clock moved on"
        );
        assert!(last[1].served().starts_with(r#"{"modifiedAt":""#));
        // From `e`'s time on, only `a` is newer: page 1 is the window after `e`'s place.
        let (ids, more, _) = page(Paging::Number(1), Some(last[0].changed_ms)).await;
        assert_eq!((ids, more), (vec!["a".to_string()], false));
        let (ids, _, _) = page(Paging::Number(1), Some(last[1].changed_ms)).await;
        assert!(ids.is_empty(), "updatedSince is exclusive");
        // A keyset cursor continues after a place, with full pages.
        let (ids, more, _) = page(Paging::After(2), None).await;
        assert_eq!((ids, more), (vec!["c".to_string(), "d".to_string()], true));
    }
}

#[tokio::test]
async fn api_keys_resolve_until_revoked() {
    for (store, _dir) in stores().await {
        let tenant = store.create_tenant("t").await.unwrap();
        let conn = store
            .create_connection(NewConnection {
                tenant_id: &tenant.id,
                connector_key: "k",
                name: "c",
                public_config: "{}",
                sealed_secrets: "",
                resources: vec![],
            })
            .await
            .unwrap();
        let key = store
            .create_api_key(&conn.id, "ci", "jct_live_ab", "hash-1")
            .await
            .unwrap();
        let owner = store.resolve_api_key("hash-1").await.unwrap().unwrap();
        assert_eq!(
            (owner.connection_id.as_str(), owner.tenant_id.as_str()),
            (conn.id.as_str(), tenant.id.as_str())
        );
        assert!(store.resolve_api_key("hash-2").await.unwrap().is_none());
        assert!(
            store.api_keys(Some(&conn.id), None).await.unwrap()[0]
                .last_used_ms
                .is_some()
        );
        assert_eq!(
            store.api_keys(None, Some(&tenant.id)).await.unwrap().len(),
            1
        );
        store.revoke_api_key(&key.id).await.unwrap();
        assert!(store.resolve_api_key("hash-1").await.unwrap().is_none());
        assert!(store.revoke_api_key(&key.id).await.is_err());
    }
}

/// Issue 14: resolving a key records its use only when it can. With that write failing
/// (a full disk, injected by a trigger; on PostgreSQL with SQLSTATE 53100 disk_full), the
/// key still resolves: bookkeeping never fails the read it rides on.
#[tokio::test]
async fn a_key_resolves_when_recording_its_use_fails() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let mut databases = vec![(sqlite_url(dir.path()), false)];
    if let Ok(url) = std::env::var("JUNCTION_TEST_POSTGRES_URL") {
        databases.push((common::fresh_postgres_schema(&url, "t").await, true));
    }
    for (url, postgres) in databases {
        let store = Store::open(&url).await.unwrap();
        let tenant = store.create_tenant("t").await.unwrap();
        let conn = store
            .create_connection(NewConnection {
                tenant_id: &tenant.id,
                connector_key: "k",
                name: "c",
                public_config: "{}",
                sealed_secrets: "",
                resources: vec![],
            })
            .await
            .unwrap();
        store
            .create_api_key(&conn.id, "ci", "jct_live_ab", "hash-full")
            .await
            .unwrap();
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        let fault: &[&str] = if postgres {
            &[
                "CREATE FUNCTION fail_last_used() RETURNS trigger AS $$ BEGIN \
                 RAISE EXCEPTION 'could not extend file: No space left on device (injected)' \
                 USING ERRCODE = '53100'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER fail_last_used BEFORE UPDATE OF last_used_ms ON api_keys \
                 FOR EACH ROW EXECUTE FUNCTION fail_last_used()",
            ]
        } else {
            &[
                "CREATE TRIGGER fail_last_used BEFORE UPDATE OF last_used_ms ON api_keys \
               BEGIN SELECT RAISE(ABORT, 'database or disk is full (injected)'); END",
            ]
        };
        for statement in fault {
            sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
                .execute(&raw)
                .await
                .unwrap();
        }
        let owner = store.resolve_api_key("hash-full").await.unwrap();
        assert_eq!(owner.map(|o| o.connection_id), Some(conn.id.clone()));
        assert!(
            store.api_keys(Some(&conn.id), None).await.unwrap()[0]
                .last_used_ms
                .is_none(),
            "the use could not be recorded"
        );
        raw.close().await;
    }
}

#[tokio::test]
async fn due_jobs_are_leased_once() {
    for (store, _dir) in stores().await {
        let tenant = store.create_tenant("t").await.unwrap();
        let conn = store
            .create_connection(NewConnection {
                tenant_id: &tenant.id,
                connector_key: "k",
                name: "c",
                public_config: "{}",
                sealed_secrets: "",
                resources: vec![
                    (ResourceKind::Orders, true, 60),
                    (ResourceKind::Products, false, 60),
                ],
            })
            .await
            .unwrap();
        let due = store
            .due_jobs(junction::store::now_ms() + 1, 10)
            .await
            .unwrap();
        assert_eq!(
            due,
            vec![(conn.id.clone(), "orders".to_string(), false)],
            "disabled resources are never due"
        );
        // "Sync now" marks the job as asked for by hand (the run is recorded `manual`).
        store.sync_now(&conn.id, None).await.unwrap();
        let due = store
            .due_jobs(junction::store::now_ms() + 1, 10)
            .await
            .unwrap();
        assert_eq!(due, vec![(conn.id.clone(), "orders".to_string(), true)]);
        assert!(
            store
                .claim_job(&conn.id, "orders", "host-a", 60_000)
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_job(&conn.id, "orders", "host-b", 60_000)
                .await
                .unwrap()
        );
        assert!(
            store
                .due_jobs(junction::store::now_ms() + 1, 10)
                .await
                .unwrap()
                .is_empty(),
            "a leased job is not due"
        );
        assert_eq!(
            store
                .recover_interrupted_runs(&["host-c".to_string()])
                .await
                .unwrap(),
            0
        );
        // One host owns an SQLite database: its recovery frees every lease. On PostgreSQL
        // host-a may be alive: its lease stays (see tests/e2e/scaleout.rs).
        let sqlite = store.backend() == junction::store::Backend::Sqlite;
        assert_eq!(
            store
                .claim_job(&conn.id, "orders", "host-b", 60_000)
                .await
                .unwrap(),
            sqlite,
            "recovery frees leases only on SQLite"
        );
    }
}

/// The sign-in budget cell on both databases: the burst, then refusals, refill with time,
/// a refused attempt spends nothing, and the sweep keeps unrefilled budgets.
#[tokio::test]
async fn sign_in_budgets_allow_a_burst_then_refill() {
    for (store, _dir) in stores().await {
        let t0 = 1_000_000;
        for i in 0..3 {
            assert!(
                store
                    .take_sign_in_attempt("account:ada", t0, 1_000, 3)
                    .await
                    .unwrap()
                    .is_some(),
                "attempt {i} is within the burst"
            );
        }
        for _ in 0..5 {
            assert!(
                store
                    .take_sign_in_attempt("account:ada", t0 + 10, 1_000, 3)
                    .await
                    .unwrap()
                    .is_none()
            );
        }
        // One refill interval later exactly one attempt is back (refusals spent nothing).
        assert!(
            store
                .take_sign_in_attempt("account:ada", t0 + 1_000, 1_000, 3)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .take_sign_in_attempt("account:ada", t0 + 1_000, 1_000, 3)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .take_sign_in_attempt("account:bob", t0, 1_000, 3)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(store.sweep_sign_in_attempts(t0 + 2_000).await.unwrap(), 1);
        assert!(
            store
                .take_sign_in_attempt("account:ada", t0 + 1_500, 1_000, 3)
                .await
                .unwrap()
                .is_none(),
            "the sweep kept ada's spent budget"
        );
    }
}

/// The portal's state shared by every host: a form nonce is fresh once (until it is older
/// than the keep time), and a health check outcome is shown only to the session and on the
/// connection it was run for, only within the keep time, and goes with its session.
#[tokio::test]
async fn portal_nonces_are_used_once_and_health_checks_stay_with_their_session() {
    use junction::store::portal_state::HealthCheck;
    for (store, _dir) in stores().await {
        let t0 = 5_000_000;
        let hour = 3_600_000;
        assert!(
            store
                .use_form_nonce("nonce-a", t0, hour, 100)
                .await
                .unwrap()
        );
        assert!(
            !store
                .use_form_nonce("nonce-a", t0 + 10, hour, 100)
                .await
                .unwrap(),
            "the same form again"
        );
        assert!(
            store
                .use_form_nonce("nonce-b", t0 + 20, hour, 100)
                .await
                .unwrap()
        );
        assert!(
            store
                .use_form_nonce("nonce-a", t0 + hour + 1, hour, 100)
                .await
                .unwrap(),
            "forgotten after the keep time"
        );
        // The bound: only about the newest `max_kept` are remembered.
        for i in 0..5 {
            assert!(
                store
                    .use_form_nonce(&format!("bounded-{i}"), t0 + 2 * hour + i, hour, 2)
                    .await
                    .unwrap()
            );
        }
        assert!(
            store
                .use_form_nonce("bounded-0", t0 + 2 * hour + 10, hour, 2)
                .await
                .unwrap(),
            "the oldest went first"
        );
        assert!(
            !store
                .use_form_nonce("bounded-4", t0 + 2 * hour + 11, hour, 2)
                .await
                .unwrap()
        );

        let tenant = store.create_tenant("t").await.unwrap();
        let mut connections = Vec::new();
        for name in ["c1", "c2"] {
            let conn = store
                .create_connection(NewConnection {
                    tenant_id: &tenant.id,
                    connector_key: "k",
                    name,
                    public_config: "{}",
                    sealed_secrets: "",
                    resources: vec![],
                })
                .await
                .unwrap();
            connections.push(conn.id);
        }
        let now = junction::store::now_ms();
        for session in ["session-1", "session-2"] {
            store
                .create_portal_session(session, None, Some("token-hash"), now, now + hour)
                .await
                .unwrap();
        }
        let check = HealthCheck {
            ok: true,
            message: "Reached the shop".into(),
            at_ms: now,
            elapsed_ms: 420,
        };
        store
            .save_health_check("check-1", "session-1", &connections[0], &check, hour, 10)
            .await
            .unwrap();
        let read = |id: &'static str, session: &'static str, connection: String, at: i64| {
            let store = store.clone();
            async move {
                store
                    .health_check(id, session, &connection, at, hour)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            read("check-1", "session-1", connections[0].clone(), now + 1).await,
            Some(check.clone())
        );
        assert_eq!(
            read("check-1", "session-2", connections[0].clone(), now + 1).await,
            None,
            "another session"
        );
        assert_eq!(
            read("check-1", "session-1", connections[1].clone(), now + 1).await,
            None,
            "another connection's page"
        );
        assert_eq!(
            read("check-1", "session-1", connections[0].clone(), now + hour).await,
            None,
            "past the keep time"
        );
        let failed = HealthCheck {
            ok: false,
            message: "The system could not be reached".into(),
            at_ms: now + 5,
            elapsed_ms: 30_000,
        };
        store
            .save_health_check("check-2", "session-2", &connections[1], &failed, hour, 10)
            .await
            .unwrap();
        assert_eq!(
            read("check-2", "session-2", connections[1].clone(), now + 6).await,
            Some(failed)
        );
        // A session that ended meanwhile keeps nothing (no error), and its outcomes go.
        store
            .save_health_check(
                "check-3",
                "no-such-session",
                &connections[0],
                &check,
                hour,
                10,
            )
            .await
            .unwrap();
        assert_eq!(
            read(
                "check-3",
                "no-such-session",
                connections[0].clone(),
                now + 1
            )
            .await,
            None
        );
        store.delete_portal_session("session-1").await.unwrap();
        assert_eq!(
            read("check-1", "session-1", connections[0].clone(), now + 1).await,
            None,
            "gone with its session"
        );
    }
}

/// Tombstones: only records unchanged since the scan's clock are deleted; a deletion takes
/// the next place and clock value (lists leave it out, `updatedSince` pages carry it in
/// `deleted`, the change feed shows it); a product takes its variations; a record written
/// again is restored.
#[tokio::test]
async fn deletions_are_changes_that_lists_leave_out_and_writes_undo() {
    use junction::store::deletions::Gone;
    for (store, _dir) in stores().await {
        let tenant = store.create_tenant("acme").await.unwrap();
        let conn = store
            .create_connection(NewConnection {
                tenant_id: &tenant.id,
                connector_key: "woocommerce",
                name: "shop",
                public_config: "{}",
                sealed_secrets: "v1:xyz",
                resources: vec![(ResourceKind::Orders, true, 300)],
            })
            .await
            .unwrap();
        let orders = ResourceKind::Orders;
        for id in ["a", "b", "c"] {
            store
                .upsert_record(&conn.id, orders, &record(id, 1_000, "processing"))
                .await
                .unwrap();
        }
        // The resource's count follows writes at once (not only at a run's end).
        let shown = |store: Store, id: String| async move {
            store.sync_state(&id, orders).await.unwrap().record_count
        };
        assert_eq!(shown(store.clone(), conn.id.clone()).await, 3);
        let scan_clock = store.change_clock(&conn.id).await.unwrap();
        let feed_before = store.latest_change_seq(&conn.id).await.unwrap();
        // `c` changes after the scan began: the scan not seeing it proves nothing.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        store
            .upsert_record(&conn.id, orders, &record("c", 2_000, "completed"))
            .await
            .unwrap();
        let keys: Vec<(String, String)> = ["a", "c"]
            .iter()
            .map(|id| (String::new(), id.to_string()))
            .collect();
        let done = store
            .tombstone_unchanged(Gone {
                connection_id: &conn.id,
                resource: orders,
                keys: &keys,
                scan_clock_ms: scan_clock,
            })
            .await
            .unwrap();
        assert_eq!((done.deleted, done.cascaded), (1, 0), "only `a` is deleted");
        let a = store
            .record(&conn.id, orders, "", "a")
            .await
            .unwrap()
            .unwrap();
        let deleted_ms = a.deleted_ms.expect("a is a tombstone");
        assert_eq!(a.changed_ms, deleted_ms, "the deletion is a change");
        assert_eq!(store.count_records(&conn.id, orders).await.unwrap(), 2);
        assert_eq!(shown(store.clone(), conn.id.clone()).await, 2);
        let query = |since: Option<i64>| PageQuery {
            parent_id: String::new(),
            updated_since_ms: since,
            statuses: vec![],
            paging: Paging::Number(1),
            limit: 10,
        };
        let full = store
            .page_records(&conn.id, orders, &query(None))
            .await
            .unwrap();
        let ids: Vec<&str> = full
            .records
            .iter()
            .map(|r| r.external_id.as_str())
            .collect();
        assert_eq!(ids, ["b", "c"]);
        assert!(full.deleted.is_empty(), "a full walk leaves deletions out");
        let since = store
            .page_records(&conn.id, orders, &query(Some(scan_clock)))
            .await
            .unwrap();
        let changed: Vec<&str> = since
            .records
            .iter()
            .map(|r| r.external_id.as_str())
            .collect();
        let gone: Vec<&str> = since
            .deleted
            .iter()
            .map(|r| r.external_id.as_str())
            .collect();
        assert_eq!((changed, gone), (vec!["c"], vec!["a"]));
        let feed = store
            .changes_since(&conn.id, orders, feed_before, 10)
            .await
            .unwrap();
        assert!(
            feed.iter()
                .any(|c| c.record.external_id == "a" && c.record.deleted_ms.is_some()),
            "the change feed carries the deletion"
        );
        // Deleting again changes nothing; the same record written again is restored.
        let again = store
            .tombstone_unchanged(Gone {
                connection_id: &conn.id,
                resource: orders,
                keys: &keys,
                scan_clock_ms: i64::MAX,
            })
            .await
            .unwrap();
        assert_eq!(again.deleted, 1, "`c` now, `a` already gone");
        assert!(
            store
                .upsert_record(&conn.id, orders, &record("a", 1_000, "processing"))
                .await
                .unwrap(),
            "an unchanged record seen again is restored"
        );
        assert_eq!(
            shown(store.clone(), conn.id.clone()).await,
            2,
            "`c` deleted, `a` restored"
        );
        let a = store
            .record(&conn.id, orders, "", "a")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.deleted_ms, None);

        // A product's variations go with it.
        store
            .upsert_record(
                &conn.id,
                ResourceKind::Products,
                &record("p", 1_000, "publish"),
            )
            .await
            .unwrap();
        for v in ["v1", "v2"] {
            let mut variation = record(v, 1_000, "publish");
            variation.parent_id = "p".into();
            store
                .upsert_record(&conn.id, ResourceKind::Variations, &variation)
                .await
                .unwrap();
        }
        let done = store
            .tombstone_unchanged(Gone {
                connection_id: &conn.id,
                resource: ResourceKind::Products,
                keys: &[(String::new(), "p".into())],
                scan_clock_ms: i64::MAX,
            })
            .await
            .unwrap();
        assert_eq!((done.deleted, done.cascaded), (1, 2));
        let v1 = store
            .record(&conn.id, ResourceKind::Variations, "p", "v1")
            .await
            .unwrap()
            .unwrap();
        assert!(v1.deleted_ms.is_some());
    }
}

/// "Find deletions now" asked for while the resource's sync runs is kept: the job that read
/// no due time (or another one) at its start does not overwrite it with the next scheduled
/// time when it ends, so the next run reconciles (the portal test once lost it this way).
#[tokio::test]
async fn a_reconciliation_asked_for_during_a_run_is_kept() {
    use junction::store::sync_state::ReconcileDue;
    for (store, _dir) in stores().await {
        let tenant = store.create_tenant("t").await.unwrap();
        let conn = store
            .create_connection(NewConnection {
                tenant_id: &tenant.id,
                connector_key: "k",
                name: "c",
                public_config: "{}",
                sealed_secrets: "",
                resources: vec![(ResourceKind::Orders, true, 60)],
            })
            .await
            .unwrap();
        let due_of = |store: &Store| {
            let store = store.clone();
            let id = conn.id.clone();
            async move {
                store
                    .sync_state(&id, ResourceKind::Orders)
                    .await
                    .unwrap()
                    .reconcile_due_ms
            }
        };
        for read_ms in [None, Some(5_000)] {
            assert!(
                store
                    .claim_job(&conn.id, "orders", "host-a", 60_000)
                    .await
                    .unwrap()
            );
            store
                .begin_sync_run(&conn.id, ResourceKind::Orders, "run-1", None)
                .await
                .unwrap();
            store.reconcile_now(&conn.id, None).await.unwrap();
            store
                .schedule_reconciliation(
                    &conn.id,
                    ResourceKind::Orders,
                    "run-1",
                    ReconcileDue {
                        next_ms: 9_000,
                        read_ms,
                    },
                    None,
                )
                .await
                .unwrap();
            assert_eq!(
                due_of(&store).await,
                Some(0),
                "asked for by hand during a run that read {read_ms:?}"
            );
            // The run that reconciles (it read the 0) replaces it with the next due time.
            store
                .schedule_reconciliation(
                    &conn.id,
                    ResourceKind::Orders,
                    "run-1",
                    ReconcileDue {
                        next_ms: 9_000,
                        read_ms: Some(0),
                    },
                    Some(1),
                )
                .await
                .unwrap();
            assert_eq!(due_of(&store).await, Some(9_000));
            if read_ms.is_none() {
                // Back to "never scheduled" for the second round's read of 5,000: a run
                // that read 5,000 replaces only 5,000.
                store
                    .schedule_reconciliation(
                        &conn.id,
                        ResourceKind::Orders,
                        "run-1",
                        ReconcileDue {
                            next_ms: 5_000,
                            read_ms: Some(9_000),
                        },
                        None,
                    )
                    .await
                    .unwrap();
                assert_eq!(due_of(&store).await, Some(5_000));
            }
            store
                .release_job_lease(&conn.id, "orders", "host-a", 0)
                .await
                .unwrap();
        }
    }
}

/// A run keeps at most `STEPS_KEPT` steps, numbered in order; steps older than the prune
/// time go, newer ones stay.
#[tokio::test]
async fn run_steps_are_bounded_per_run_and_pruned_by_age() {
    use junction::store::run_steps::STEPS_KEPT;
    for (store, _dir) in stores().await {
        for i in 0..STEPS_KEPT {
            assert!(
                store
                    .add_run_step("run-1", "page", &format!("{{\"page\":{i}}}"))
                    .await
                    .unwrap()
            );
        }
        assert!(
            !store.add_run_step("run-1", "page", "{}").await.unwrap(),
            "the run is full"
        );
        store.add_run_step("run-2", "page", "{}").await.unwrap();
        let steps = store.run_steps("run-1").await.unwrap();
        assert_eq!(steps.len() as i64, STEPS_KEPT);
        assert_eq!(steps[0].seq, 1);
        assert_eq!(steps[0].body, "{\"page\":0}");
        assert_eq!(steps.last().unwrap().seq, STEPS_KEPT);
        // Nothing is older than a minute ago; everything is older than a minute ahead.
        let now = junction::store::now_ms();
        assert_eq!(store.prune_run_steps(now - 60_000).await.unwrap(), 0);
        assert_eq!(
            store.prune_run_steps(now + 60_000).await.unwrap() as i64,
            STEPS_KEPT + 1
        );
        assert!(store.run_steps("run-1").await.unwrap().is_empty());
    }
}

/// "Sync now" (or "reconcile now") asked for while the job runs is not pushed back to the
/// next cadence by the run's end: the job is due again at once.
#[tokio::test]
async fn a_sync_asked_for_during_a_run_runs_right_after_it() {
    use junction::store::sync_state::RunEnd;
    for (store, _dir) in stores().await {
        let tenant = store.create_tenant("t").await.unwrap();
        let conn = store
            .create_connection(NewConnection {
                tenant_id: &tenant.id,
                connector_key: "k",
                name: "c",
                public_config: "{}",
                sealed_secrets: "",
                resources: vec![(ResourceKind::Orders, true, 60)],
            })
            .await
            .unwrap();
        for asked in [false, true] {
            assert!(
                store
                    .claim_job(&conn.id, "orders", "host-a", 60_000)
                    .await
                    .unwrap()
            );
            store
                .begin_sync_run(&conn.id, ResourceKind::Orders, "run-1", None)
                .await
                .unwrap();
            if asked {
                store.sync_now(&conn.id, None).await.unwrap();
            }
            let later = junction::store::now_ms() + 3_600_000;
            store
                .end_sync_run(
                    &conn.id,
                    ResourceKind::Orders,
                    RunEnd {
                        run_id: "run-1",
                        status: "succeeded",
                        error: None,
                        high_water: None,
                        keep_checkpoint: false,
                        failures: 0,
                        next_run_ms: later,
                        record_count: 0,
                    },
                )
                .await
                .unwrap();
            let due = store
                .due_jobs(junction::store::now_ms() + 1, 10)
                .await
                .unwrap();
            assert_eq!(
                !due.is_empty(),
                asked,
                "due again at once only when asked for during the run: {due:?}"
            );
        }
    }
}

/// A connector that reports deletions (`page.deleted`) has them applied with the page: the
/// live records it names become tombstones in the same commit, an id the copy does not hold
/// is ignored, and a record the same page lists as live is kept.
#[tokio::test]
async fn deletions_reported_on_a_page_are_applied_with_it() {
    for (store, _dir) in stores().await {
        let tenant = store.create_tenant("acme").await.unwrap();
        let conn = store
            .create_connection(NewConnection {
                tenant_id: &tenant.id,
                connector_key: "woocommerce",
                name: "shop",
                public_config: r#"{"base_url":"http://x"}"#,
                sealed_secrets: "v1:xyz",
                resources: vec![(ResourceKind::Orders, true, 300)],
            })
            .await
            .unwrap();
        let commit = async |run: &str, records: &[StoredRecord], deleted: &[(String, String)]| {
            store
                .start_run(run, &conn.id, ResourceKind::Orders, "manual")
                .await
                .unwrap();
            store
                .begin_sync_run(&conn.id, ResourceKind::Orders, run, None)
                .await
                .unwrap();
            store
                .commit_page(PageCheckpoint {
                    connection_id: &conn.id,
                    resource: ResourceKind::Orders,
                    run_id: run,
                    records,
                    next_cursor: None,
                    deleted,
                })
                .await
                .unwrap()
        };
        let first = [
            record("1", 1_000, "processing"),
            record("2", 1_000, "processing"),
            record("3", 1_000, "processing"),
        ];
        assert_eq!(commit("run-1", &first, &[]).await.deleted, 0);
        let key = |id: &str| (String::new(), id.to_string());
        // 1 reported gone; 3 reported gone but listed again on the same page; 9 unknown.
        let done = commit(
            "run-2",
            &[record("3", 2_000, "completed")],
            &[key("1"), key("3"), key("9")],
        )
        .await;
        assert_eq!(done.deleted, 1, "{done:?}");
        let state = |id: &'static str| {
            let store = &store;
            let conn = &conn.id;
            async move {
                store
                    .record(conn, ResourceKind::Orders, "", id)
                    .await
                    .unwrap()
                    .map(|r| r.deleted_ms.is_some())
            }
        };
        assert_eq!(state("1").await, Some(true), "reported deleted");
        assert_eq!(state("2").await, Some(false), "not reported");
        assert_eq!(
            state("3").await,
            Some(false),
            "listed live on the same page"
        );
        assert_eq!(state("9").await, None, "never held: nothing written");
        assert_eq!(
            store
                .count_records(&conn.id, ResourceKind::Orders)
                .await
                .unwrap(),
            2
        );
        // Reported again (the next sync's overlap): nothing more happens.
        assert_eq!(commit("run-3", &[], &[key("1")]).await.deleted, 0);
    }
}
