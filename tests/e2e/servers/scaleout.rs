//! Scale-out: several hosts sharing one database.
//!
//! Store level (SQLite, and PostgreSQL when `JUNCTION_TEST_POSTGRES_URL` names one): two
//! hosts (two `Store` handles, two lease owners) claiming in a loop get disjoint jobs and
//! every due job exactly once; an expired lease is taken over and the dead host's run is
//! recorded interrupted (and can commit nothing more); a live lease survives another host's
//! startup recovery on PostgreSQL.
//!
//! End to end on PostgreSQL (`JUNCTION_TEST_POSTGRES_URL`, default
//! postgres://postgres@127.0.0.1:5432/test): three `junction serve` processes on one fresh
//! database with 200 connections to one WooCommerce emulator. No job runs twice at once or
//! twice in a cadence window, all three hosts run jobs, every copy matches the shop; then
//! one host is SIGKILLed mid-run and its jobs complete elsewhere after its leases expire.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::hosts::{self, Host, admin};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use junction::runtime::types::ResourceKind;
use junction::store::automations::AutomationRow;
use junction::store::connections::NewConnection;
use junction::store::records::{PageCheckpoint, StoredRecord};
use junction::store::{Backend, Store, now_ms, sqlite_url};
use junction_emulators::{Fault, FaultKind, WooConfig};
use reqwest::Client;
use serde_json::json;
use sqlx::Row;

/// Pairs of handles on one database: SQLite in a temporary directory, and a fresh
/// PostgreSQL schema when `JUNCTION_TEST_POSTGRES_URL` is set.
async fn store_pairs() -> Vec<(Store, Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let mut pairs = vec![(
        Store::open(&url).await.unwrap(),
        Store::open(&url).await.unwrap(),
        Some(dir),
    )];
    if let Ok(url) = std::env::var("JUNCTION_TEST_POSTGRES_URL") {
        let scoped = common::fresh_postgres_schema(&url, "s").await;
        let first = Store::open(&scoped).await.unwrap();
        pairs.push((first, Store::open(&scoped).await.unwrap(), None));
    }
    pairs
}

async fn connections(store: &Store, n: usize) -> Vec<String> {
    let tenant = store.create_tenant("t").await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let conn = store
            .create_connection(NewConnection {
                tenant_id: &tenant.id,
                connector_key: "k",
                name: &format!("c{i}"),
                public_config: "{}",
                sealed_secrets: "",
                resources: vec![
                    (ResourceKind::Orders, true, 60),
                    (ResourceKind::Customers, true, 60),
                ],
            })
            .await
            .unwrap();
        ids.push(conn.id);
    }
    ids
}

/// Both hosts claim at once in small batches, as the scheduler does, until nothing is
/// due; what each got.
///
/// Each host pauses briefly after a batch, as a scheduler does while it starts the jobs it
/// claimed: on SQLite, where writers take turns, a host claiming back to back could
/// otherwise drain every job before the other's first claim gets the lock, and the test
/// would not exercise two hosts at all.
async fn claim_on_both<T, F, Fut>(a: &Store, b: &Store, claim: F) -> (Vec<T>, Vec<T>)
where
    T: Send + 'static,
    F: Fn(Store, &'static str) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Vec<T>> + Send,
{
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let drain = |store: Store,
                 owner: &'static str,
                 claim: F,
                 start: std::sync::Arc<tokio::sync::Barrier>| async move {
        start.wait().await;
        let mut got = Vec::new();
        loop {
            let batch = claim(store.clone(), owner).await;
            if batch.is_empty() {
                return got;
            }
            got.extend(batch);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let (ja, jb) = tokio::join!(
        tokio::spawn(drain(a.clone(), "host-a", claim.clone(), start.clone())),
        tokio::spawn(drain(b.clone(), "host-b", claim, start))
    );
    (ja.unwrap(), jb.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hosts_claiming_at_once_get_every_due_job_exactly_once() {
    for (a, b, _dir) in store_pairs().await {
        let ids = connections(&a, 60).await;
        let (ja, jb) = claim_on_both(&a, &b, |store, owner| async move {
            store
                .claim_due_jobs(owner, now_ms() + 1, 600_000, 3)
                .await
                .unwrap()
        })
        .await;
        let keys =
            |jobs: &[junction::store::sync_state::ClaimedJob]| -> BTreeSet<(String, String)> {
                jobs.iter()
                    .map(|j| (j.connection_id.clone(), j.resource.clone()))
                    .collect()
            };
        let (ka, kb) = (keys(&ja), keys(&jb));
        assert_eq!(ka.len(), ja.len(), "host-a got a job twice");
        assert_eq!(kb.len(), jb.len(), "host-b got a job twice");
        assert!(ka.is_disjoint(&kb), "a job was leased to both hosts");
        assert_eq!(ka.len() + kb.len(), ids.len() * 2, "every due job once");
        assert!(
            !ka.is_empty() && !kb.is_empty(),
            "both hosts got work ({} / {}) on {:?}",
            ka.len(),
            kb.len(),
            a.backend()
        );
        // Nothing is left due while the leases live.
        assert!(
            b.claim_due_jobs("host-c", now_ms() + 1, 600_000, 100)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// Automations between pairs of `connections`, all due now.
async fn automations(store: &Store, n: usize) -> Vec<String> {
    let ids = connections(store, 2).await;
    let tenant = store.connection(&ids[0]).await.unwrap().tenant_id;
    let mut made = Vec::new();
    for i in 0..n {
        let row = AutomationRow {
            id: format!("auto_{i}"),
            tenant_id: tenant.clone(),
            name: format!("a{i}"),
            source_connection_id: ids[0].clone(),
            target_connection_id: ids[1].clone(),
            enabled: true,
            cadence_secs: 60,
            on_change: false,
            entities: "[]".into(),
            options: "{}".into(),
            next_run_ms: now_ms() - 1,
            last_run_ms: None,
            last_status: None,
            last_error: None,
            failures: 0,
            created_ms: now_ms(),
            updated_ms: now_ms(),
        };
        store.create_automation(&row).await.unwrap();
        made.push(row.id);
    }
    made
}

/// Automation work is leased like sync jobs: two hosts claiming at once split the due
/// automations between them, each exactly once; "run now" and a change keep their reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hosts_claiming_automations_at_once_get_each_exactly_once() {
    for (a, b, _dir) in store_pairs().await {
        let ids = automations(&a, 40).await;
        a.run_automation_now(&ids[0]).await.unwrap();
        let (ja, jb) = claim_on_both(&a, &b, |store, owner| async move {
            store
                .claim_due_automations(owner, now_ms() + 1, 600_000, 3)
                .await
                .unwrap()
        })
        .await;
        let ka: BTreeSet<&String> = ja.iter().map(|(id, _)| id).collect();
        let kb: BTreeSet<&String> = jb.iter().map(|(id, _)| id).collect();
        assert_eq!(ka.len(), ja.len(), "host-a got an automation twice");
        assert_eq!(kb.len(), jb.len(), "host-b got an automation twice");
        assert!(
            ka.is_disjoint(&kb),
            "an automation was leased to both hosts"
        );
        assert_eq!(ka.len() + kb.len(), ids.len(), "every due automation once");
        let reasons: BTreeMap<&String, &String> = ja
            .iter()
            .chain(jb.iter())
            .map(|(id, why)| (id, why))
            .collect();
        assert_eq!(reasons[&ids[0]], "manual");
        assert_eq!(reasons[&ids[1]], "schedule");
        assert!(
            b.claim_due_automations("host-c", now_ms() + 1, 600_000, 100)
                .await
                .unwrap()
                .is_empty(),
            "nothing is due while the leases live"
        );
    }
}

/// A host that stops mid-run leaves its automation leased and its run `running`; once the
/// lease expires another host claims it, and the left run is recorded interrupted.
#[tokio::test]
async fn an_expired_automation_lease_is_taken_over() {
    for (a, b, _dir) in store_pairs().await {
        let ids = automations(&a, 1).await;
        let claimed = a
            .claim_due_automations("host-a", now_ms() + 1, 1, 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        a.start_automation_run("run_dead", &ids[0], "schedule")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let taken = b
            .claim_due_automations("host-b", now_ms(), 60_000, 10)
            .await
            .unwrap();
        assert_eq!(taken, vec![(ids[0].clone(), "schedule".to_string())]);
        let runs = b.automation_runs(&ids[0], 10).await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].status, "interrupted", "{runs:?}");
        // The dead host can no longer renew it.
        assert!(
            !a.renew_automation_lease(&ids[0], "host-a", 60_000)
                .await
                .unwrap()
        );
    }
}

#[tokio::test]
async fn sync_now_is_claimed_as_manual() {
    for (a, _b, _dir) in store_pairs().await {
        let ids = connections(&a, 1).await;
        a.sync_now(&ids[0], Some(ResourceKind::Orders))
            .await
            .unwrap();
        let mut claimed = a
            .claim_due_jobs("host-a", now_ms() + 1, 60_000, 10)
            .await
            .unwrap();
        claimed.sort_by(|x, y| x.resource.cmp(&y.resource));
        let manual: Vec<(&str, bool)> = claimed
            .iter()
            .map(|j| (j.resource.as_str(), j.manual))
            .collect();
        assert_eq!(manual, vec![("customers", false), ("orders", true)]);
    }
}

fn record(id: &str) -> StoredRecord {
    StoredRecord {
        parent_id: String::new(),
        external_id: id.into(),
        modified_ms: 1_000,
        status: Some("processing".into()),
        sku: None,
        data: format!(r#"{{"externalId":"{id}"}}"#),
        ..StoredRecord::default()
    }
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_the_dead_run_is_interrupted() {
    for (a, b, _dir) in store_pairs().await {
        let ids = connections(&a, 1).await;
        let conn = &ids[0];
        // host-a claims with a lease that expires at once, starts a run and commits a page.
        let claimed = a
            .claim_due_jobs("host-a", now_ms() + 1, 1, 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(claimed.iter().all(|j| j.taken_over.is_none()));
        a.start_run("run-a", conn, ResourceKind::Orders, "schedule")
            .await
            .unwrap();
        a.begin_sync_run(conn, ResourceKind::Orders, "run-a", None)
            .await
            .unwrap();
        let page = |run_id: &'static str, id: &'static str| PageCheckpoint {
            connection_id: conn,
            resource: ResourceKind::Orders,
            run_id,
            records: std::slice::from_ref(Box::leak(Box::new(record(id)))),
            next_cursor: Some("2"),
            deleted: &[],
        };
        a.commit_page(page("run-a", "1")).await.unwrap();
        let runs = a.runs(conn, Some(ResourceKind::Orders), 10).await.unwrap();
        assert_eq!(
            runs[0].host.as_deref(),
            Some("host-a"),
            "runs record their host"
        );

        tokio::time::sleep(Duration::from_millis(20)).await;
        // host-b takes the expired jobs over; host-a's run is recorded interrupted.
        let taken = b
            .claim_due_jobs("host-b", now_ms(), 60_000, 10)
            .await
            .unwrap();
        let orders = taken.iter().find(|j| j.resource == "orders").unwrap();
        assert_eq!(orders.taken_over.as_deref(), Some("run-a"));
        let runs = b.runs(conn, Some(ResourceKind::Orders), 10).await.unwrap();
        assert_eq!(runs[0].status, "interrupted");
        assert!(
            runs[0]
                .error
                .as_deref()
                .unwrap()
                .contains("process stopped"),
            "{:?}",
            runs[0].error
        );
        // host-a, still alive but late, can commit nothing more nor end the job...
        let late = a.commit_page(page("run-a", "2")).await;
        assert!(late.is_err(), "a page committed after the takeover");
        a.finish_run("run-a", "succeeded", None).await.unwrap();
        let runs = b.runs(conn, Some(ResourceKind::Orders), 10).await.unwrap();
        assert_eq!(
            runs[0].status, "interrupted",
            "the late finish changed nothing"
        );
        // ...while host-b's run resumes from host-a's checkpoint.
        let state = b.sync_state(conn, ResourceKind::Orders).await.unwrap();
        assert_eq!(state.run_cursor.as_deref(), Some("2"));
        assert_eq!(state.run_id, None);
        b.start_run("run-b", conn, ResourceKind::Orders, "schedule")
            .await
            .unwrap();
        b.begin_sync_run(conn, ResourceKind::Orders, "run-b", None)
            .await
            .unwrap();
        b.commit_page(page("run-b", "2")).await.unwrap();
        let runs = b.runs(conn, Some(ResourceKind::Orders), 10).await.unwrap();
        assert_eq!(runs[0].host.as_deref(), Some("host-b"));
        assert_eq!(
            b.count_records(conn, ResourceKind::Orders).await.unwrap(),
            2
        );
    }
}

#[tokio::test]
async fn startup_recovery_leaves_live_leases_of_other_hosts_alone() {
    for (a, b, _dir) in store_pairs().await {
        let ids = connections(&a, 1).await;
        let conn = &ids[0];
        assert_eq!(
            a.claim_due_jobs("host-a", now_ms() + 1, 600_000, 10)
                .await
                .unwrap()
                .len(),
            2
        );
        a.start_run("run-a", conn, ResourceKind::Orders, "schedule")
            .await
            .unwrap();
        a.begin_sync_run(conn, ResourceKind::Orders, "run-a", None)
            .await
            .unwrap();
        // host-b starts: it is dead-owner "host-b" only.
        let interrupted = b
            .recover_interrupted_runs(&["host-b".to_string()])
            .await
            .unwrap();
        let status = b.runs(conn, None, 10).await.unwrap()[0].status.clone();
        let state = b.sync_state(conn, ResourceKind::Orders).await.unwrap();
        match b.backend() {
            Backend::Postgres => {
                assert_eq!(interrupted, 0);
                assert_eq!(status, "running", "host-a's live run is left alone");
                assert_eq!(state.run_id.as_deref(), Some("run-a"));
                assert!(
                    b.claim_due_jobs("host-b", now_ms() + 1, 600_000, 10)
                        .await
                        .unwrap()
                        .is_empty(),
                    "host-a's live leases survive host-b's start"
                );
                // A dead owner's leases are freed and its run interrupted.
                assert_eq!(
                    b.recover_interrupted_runs(&["host-a".to_string()])
                        .await
                        .unwrap(),
                    1
                );
                assert_eq!(
                    b.runs(conn, None, 10).await.unwrap()[0].status,
                    "interrupted"
                );
                assert_eq!(
                    b.claim_due_jobs("host-b", now_ms() + 1, 600_000, 10)
                        .await
                        .unwrap()
                        .len(),
                    2
                );
            }
            // One host owns an SQLite database: a start recovers everything.
            Backend::Sqlite => {
                assert_eq!(interrupted, 1);
                assert_eq!(status, "interrupted");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// End to end: three hosts on one PostgreSQL database.

const CONNECTIONS: usize = 200;
const ORDERS: usize = 5;
const CUSTOMERS: usize = 2;
const PRODUCTS: usize = 2;
const CADENCE_SECS: i64 = 10;
const LEASE_SECS: i64 = 6;

/// A host running up to 8 jobs at once, with short leases (a killed host's work is taken
/// over within seconds).
fn start_host(database_url: &str) -> Host {
    hosts::start_host(
        database_url,
        &format!("[sync]\nlease_secs = {LEASE_SECS}\nconcurrency = 8\n"),
    )
}

#[derive(Debug, Clone)]
struct RunRow {
    id: String,
    connection_id: String,
    resource: String,
    trigger: String,
    started_ms: i64,
    finished_ms: Option<i64>,
    status: String,
    host: Option<String>,
}

async fn all_runs(db: &sqlx::PgPool) -> Vec<RunRow> {
    sqlx::query(
        "SELECT id, connection_id, resource, trigger_kind, started_ms, finished_ms, status, host FROM runs ORDER BY started_ms",
    )
    .fetch_all(db)
    .await
    .unwrap()
    .iter()
    .map(|r| RunRow {
        id: r.get("id"),
        connection_id: r.get("connection_id"),
        resource: r.get("resource"),
        trigger: r.get("trigger_kind"),
        started_ms: r.get("started_ms"),
        finished_ms: r.get("finished_ms"),
        status: r.get("status"),
        host: r.get("host"),
    })
    .collect()
}

/// Record counts per (connection, resource).
async fn record_counts(db: &sqlx::PgPool) -> HashMap<(String, String), i64> {
    sqlx::query("SELECT connection_id, resource, COUNT(*) AS n FROM records GROUP BY connection_id, resource")
        .fetch_all(db)
        .await
        .unwrap()
        .iter()
        .map(|r| ((r.get("connection_id"), r.get("resource")), r.get("n")))
        .collect()
}

/// Every run of a job: none overlaps the next, and two scheduled runs that both ran to
/// the end start at least a cadence apart. Returns how many windows were checked.
fn check_windows(runs: &[RunRow], cadence_ms: i64) -> usize {
    let mut by_job: BTreeMap<(String, String), Vec<&RunRow>> = BTreeMap::new();
    for run in runs {
        by_job
            .entry((run.connection_id.clone(), run.resource.clone()))
            .or_default()
            .push(run);
    }
    let mut windows = 0;
    for (job, runs) in &by_job {
        for pair in runs.windows(2) {
            let (before, after) = (pair[0], pair[1]);
            let end = before.finished_ms.unwrap_or_else(|| {
                panic!(
                    "{job:?}: run {} never ended but {} started",
                    before.id, after.id
                )
            });
            assert!(
                end <= after.started_ms,
                "{job:?}: runs overlap: {before:?} and {after:?}"
            );
            if before.status == "succeeded"
                && after.trigger == "schedule"
                && before.trigger == "schedule"
            {
                windows += 1;
                assert!(
                    after.started_ms - before.started_ms >= cadence_ms,
                    "{job:?}: two scheduled runs in one {cadence_ms} ms window: {before:?} and {after:?}"
                );
            }
        }
    }
    windows
}

#[ignore = "needs PostgreSQL: `cargo xtask test` runs it with one"]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_hosts_share_one_postgres() {
    hosts::on_fresh_database(&common::postgres_url(), "scaleout_", scenario).await;
}

async fn scenario(url: String) {
    let shop = junction_emulators::start(
        WooConfig {
            orders: ORDERS,
            customers: CUSTOMERS,
            products: PRODUCTS,
            variable_every: 0,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    // The first host migrates the database; the others start on a migrated one.
    let mut hosts = vec![start_host(&url)];
    common::wait_for_status(&hosts[0].process.base, "/readyz", 200).await;
    hosts.push(start_host(&url));
    hosts.push(start_host(&url));
    for host in &hosts {
        common::wait_for_status(&host.process.base, "/readyz", 200).await;
    }
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let client = Client::new();
    let base = hosts[0].process.base.clone();
    admin(
        &client,
        &base,
        reqwest::Method::POST,
        "/tenants",
        Some(json!({"name": "acme"})),
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..CONNECTIONS {
        // Spread the admin calls over the hosts: any host serves any connection.
        let base = &hosts[i % hosts.len()].process.base;
        let created = admin(
            &client,
            base,
            reqwest::Method::POST,
            "/connections",
            Some(json!({"tenant": "acme", "connector": "woocommerce", "name": format!("shop-{i}"),
                "config": {"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}})),
        )
        .await;
        let id = created["connection"]["id"].as_str().unwrap().to_string();
        admin(
            &client,
            base,
            reqwest::Method::PATCH,
            &format!("/connections/{id}/resources/orders"),
            Some(json!({"cadenceSeconds": CADENCE_SECS})),
        )
        .await;
        admin(
            &client,
            base,
            reqwest::Method::PATCH,
            &format!("/connections/{id}/resources/variations"),
            Some(json!({"enabled": false})),
        )
        .await;
        ids.push(id);
    }
    let created_at = Instant::now();

    // Phase 1: observe.
    tokio::time::sleep(Duration::from_secs(70).saturating_sub(created_at.elapsed())).await;
    let runs = all_runs(&db).await;
    let windows = check_windows(&runs, CADENCE_SECS * 1000);
    let mut per_host: BTreeMap<String, usize> = BTreeMap::new();
    for run in &runs {
        *per_host
            .entry(run.host.clone().unwrap_or_default())
            .or_default() += 1;
    }
    println!(
        "phase 1: {} runs, {windows} cadence windows checked, runs per host: {per_host:?}",
        runs.len()
    );
    for host in &hosts {
        assert!(
            per_host.get(&host.owner).copied().unwrap_or(0) > 0,
            "host {} ran nothing: {per_host:?}",
            host.owner
        );
    }
    assert!(
        windows >= CONNECTIONS * 2,
        "too few windows observed: {windows}"
    );
    let orders_runs = runs
        .iter()
        .filter(|r| r.resource == "orders" && r.status == "succeeded")
        .count();
    assert!(
        orders_runs >= CONNECTIONS * 4,
        "orders ran {orders_runs} times in ~70 s"
    );
    let counts = record_counts(&db).await;
    for id in &ids {
        for (resource, want) in [
            ("orders", ORDERS),
            ("customers", CUSTOMERS),
            ("products", PRODUCTS),
        ] {
            assert_eq!(
                counts
                    .get(&(id.clone(), resource.to_string()))
                    .copied()
                    .unwrap_or(0),
                want as i64,
                "{id} {resource}"
            );
        }
    }

    // Phase 2: slow the shop down and SIGKILL a host holding running jobs.
    shop.set_faults(vec![Fault::always(FaultKind::Latency { ms: 2_500 })]);
    let victim = 2;
    let victim_owner = hosts[victim].owner.clone();
    let start = Instant::now();
    let held: Vec<RunRow> = loop {
        let running: Vec<RunRow> = all_runs(&db)
            .await
            .into_iter()
            .filter(|r| r.status == "running" && r.host.as_deref() == Some(victim_owner.as_str()))
            .collect();
        if running.len() >= 2 {
            break running;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the victim never held running jobs"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    hosts[victim].process.child.kill().unwrap();
    hosts[victim].process.child.wait().unwrap();
    let killed_ms = now_ms();
    println!("killed {victim_owner} holding {} running jobs", held.len());

    // Every job it held completes on another host once its lease expires.
    let start = Instant::now();
    let mut takeover_ms = Vec::new();
    'wait: loop {
        let runs = all_runs(&db).await;
        let by_id: HashMap<&str, &RunRow> = runs.iter().map(|r| (r.id.as_str(), r)).collect();
        takeover_ms.clear();
        let mut done = true;
        for dead in &held {
            let now = by_id[dead.id.as_str()];
            let next = runs.iter().find(|r| {
                r.connection_id == dead.connection_id
                    && r.resource == dead.resource
                    && r.started_ms > dead.started_ms
                    && r.status == "succeeded"
            });
            match (now.status.as_str(), next) {
                ("interrupted", Some(next)) => {
                    assert_ne!(next.host.as_deref(), Some(victim_owner.as_str()));
                    takeover_ms.push(next.started_ms - killed_ms);
                }
                _ => done = false,
            }
        }
        if done {
            break 'wait;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the killed host's jobs were not taken over: {:?}",
            held.iter()
                .map(|r| by_id[r.id.as_str()])
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shop.clear_faults();
    let runs = all_runs(&db).await;
    let interrupted: Vec<&RunRow> = runs.iter().filter(|r| r.status == "interrupted").collect();
    for run in &interrupted {
        assert_eq!(
            run.host.as_deref(),
            Some(victim_owner.as_str()),
            "only the killed host's runs are interrupted"
        );
    }
    // No overlaps even across the takeover; nothing lost, nothing doubled.
    check_windows(
        &runs
            .iter()
            .filter(|r| r.status != "running")
            .cloned()
            .collect::<Vec<_>>(),
        0,
    );
    let counts = record_counts(&db).await;
    for id in &ids {
        for (resource, want) in [
            ("orders", ORDERS),
            ("customers", CUSTOMERS),
            ("products", PRODUCTS),
        ] {
            assert_eq!(
                counts
                    .get(&(id.clone(), resource.to_string()))
                    .copied()
                    .unwrap_or(0),
                want as i64,
                "{id} {resource} after the takeover"
            );
        }
    }
    println!(
        "takeover: {} jobs interrupted, taken over {:?} ms after the kill (lease {LEASE_SECS} s)",
        interrupted.len(),
        takeover_ms
    );
    db.close().await;
    drop(hosts);
}
