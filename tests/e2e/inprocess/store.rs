//! The store against a real database: SQLite in a temporary data directory, and PostgreSQL
//! too when `JUNCTION_TEST_POSTGRES_URL` names one (a fresh schema per run).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use junction::runtime::types::ResourceKind;
use junction::store::connections::NewConnection;
use junction::store::records::{PageCheckpoint, RecordQuery, StoredRecord};
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
            .list_records(
                &conn.id,
                ResourceKind::Orders,
                &RecordQuery {
                    statuses: vec!["completed".into()],
                    updated_since_ms: Some(1_500),
                    limit: 1,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            completed.len(),
            2,
            "limit + 1 rows tell the caller more follow"
        );
        assert_eq!(completed[0].external_id, "3");
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
