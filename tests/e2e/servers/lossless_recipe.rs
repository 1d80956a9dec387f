//! Seed 000's recipe, followed literally by a client of the real binary while the shop
//! changes underneath: walk `page=1..` until `hasMore=false`, keep the largest `modifiedAt`,
//! pass it as `updatedSince` next run. A seeded random loop of scenarios interleaves the
//! client's page requests with shop changes, new orders, syncs and write-backs through the
//! Runtime API, orders deleted in the shop (for good or to the trash) and reconciliations,
//! with a random page size per run; at quiescence the client's replica must equal the local
//! copy (nothing lost, no stale version kept, nothing deleted kept: the recipe learns
//! deletions from the pages' `deleted` entries) and the copy must equal the emulated shop. The two ways the recipe used to lose records are fixed cases first:
//! (a) page offsets shifting while an earlier record changes, (b) a write-back's newer shop
//! time hiding an older shop change that reaches the copy later.

use crate::common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use junction_emulators::{WooConfig, WooEmulator};
use reqwest::Client;
use serde_json::{Value, json};

use common::admin::AdminApi;

const ADMIN: &str = "recipe-admin-token";
const STATUSES: [&str; 4] = ["processing", "on-hold", "completed", "pending"];

/// A small deterministic generator (the scenarios must replay from their seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The world: the emulated shop, the server, the connection and its key.
struct World {
    shop: WooEmulator,
    admin: AdminApi,
    http: Client,
    base: String,
    connection: String,
    key: String,
}

impl World {
    async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}/api/v1/api{path}", self.base))
            .header("X-API-KEY", &self.key)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// A write-back through the Runtime API (shop and local copy change together). An order
    /// the shop created after the last sync is not in the copy yet: a 404, nothing written.
    async fn write_back_status(&self, order: u64, status: &str) {
        let response = self
            .http
            .post(format!("{}/api/v1/api/orders/{order}/status", self.base))
            .header("X-API-KEY", &self.key)
            .json(&json!({ "status": status }))
            .send()
            .await
            .unwrap();
        let code = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(
            code == 200 || (code == 404 && body["code"] == "not_found"),
            "write-back: {code} {body}"
        );
    }

    /// Queue an orders sync and wait until it has finished.
    async fn sync(&self) {
        let runs = |v: &Value| v["data"].as_array().map_or(0, Vec::len);
        let path = format!(
            "/connections/{}/runs?resource=orders&limit=1000",
            self.connection
        );
        let before = runs(&self.admin.ok(&path).await);
        self.admin
            .posted(
                &format!("/connections/{}/sync?resource=orders", self.connection),
                json!({}),
            )
            .await;
        let start = Instant::now();
        loop {
            let shown = self.admin.ok(&path).await;
            if runs(&shown) > before && shown["data"][0]["status"] != "running" {
                assert_eq!(shown["data"][0]["status"], "succeeded", "{shown}");
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the sync did not end: {shown}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Queue an orders reconciliation (after its sync) and wait until it has finished.
    async fn reconcile(&self) {
        let path = format!(
            "/connections/{}/runs?resource=orders&limit=1000",
            self.connection
        );
        let reconciliations = |v: &Value| {
            v["data"].as_array().map_or(0, |runs| {
                runs.iter().filter(|r| r["kind"] == "reconcile").count()
            })
        };
        let before = reconciliations(&self.admin.ok(&path).await);
        self.admin
            .posted(
                &format!("/connections/{}/reconcile?resource=orders", self.connection),
                json!({}),
            )
            .await;
        let start = Instant::now();
        loop {
            let shown = self.admin.ok(&path).await;
            let newest = shown["data"]
                .as_array()
                .and_then(|runs| runs.iter().find(|r| r["kind"] == "reconcile"));
            if reconciliations(&shown) > before
                && let Some(run) = newest
                && run["status"] != "running"
            {
                assert_eq!(run["status"], "succeeded", "{run}");
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the reconciliation did not end: {shown}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The local copy as the API shows it when nothing moves: every order by id.
    async fn copy(&self) -> BTreeMap<String, Value> {
        let mut all = BTreeMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/orders?pageSize=500&cursor={c}"),
                None => "/orders?pageSize=500".to_string(),
            };
            let page = self.get(&path).await;
            for record in page["data"].as_array().unwrap() {
                all.insert(id_of(record), record.clone());
            }
            match page["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return all,
            }
        }
    }
}

fn id_of(record: &Value) -> String {
    record["externalId"].as_str().unwrap().to_string()
}

/// Milliseconds of an RFC 3339 `modifiedAt`, whatever its precision or offset.
fn ms_of(record: &Value) -> i64 {
    record["modifiedAt"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond()
}

/// A client that knows only seed 000's recipe.
struct RecipeClient {
    replica: BTreeMap<String, Value>,
    /// The largest `modifiedAt` kept from the runs that ended (text as served, its instant):
    /// the next run's `updatedSince`.
    since: Option<(String, i64)>,
    /// The run in progress: next page number, its page size, its `updatedSince`, and the
    /// largest `modifiedAt` it has seen.
    walk: Option<Walk>,
    pages: u64,
    /// Deletions learned from pages' `deleted` entries.
    deletions: u64,
}

#[derive(Clone)]
struct Walk {
    page: u64,
    size: u64,
    since: Option<String>,
    newest: Option<(String, i64)>,
}

impl RecipeClient {
    fn new() -> Self {
        Self {
            replica: BTreeMap::new(),
            since: None,
            walk: None,
            pages: 0,
            deletions: 0,
        }
    }

    /// Request the next page of the current run (starting one with this page size if none
    /// is in progress). Returns whether the run ended with this page, and the page's ids.
    async fn step(&mut self, world: &World, page_size: u64) -> (bool, Vec<String>) {
        let since = self.since.clone();
        let mut walk = self.walk.take().unwrap_or_else(|| Walk {
            page: 1,
            size: page_size,
            since: since.as_ref().map(|(text, _)| text.clone()),
            newest: since,
        });
        let mut path = format!("/orders?page={}&pageSize={}", walk.page, walk.size);
        if let Some(since) = &walk.since {
            path.push_str(&format!("&updatedSince={}", since.replace('+', "%2B")));
        }
        let body = world.get(&path).await;
        self.pages += 1;
        let mut ids = Vec::new();
        for record in body["data"].as_array().unwrap() {
            ids.push(id_of(record));
            let at = ms_of(record);
            if walk.newest.as_ref().is_none_or(|(_, max)| at > *max) {
                walk.newest = Some((record["modifiedAt"].as_str().unwrap().to_string(), at));
            }
            self.replica.insert(id_of(record), record.clone());
        }
        // Deletions since `updatedSince` come as entries of their own, in the same change
        // order: drop them from the replica and count their `modifiedAt` like a record's.
        for gone in body["deleted"].as_array().unwrap() {
            let at = ms_of(gone);
            if walk.newest.as_ref().is_none_or(|(_, max)| at > *max) {
                walk.newest = Some((gone["modifiedAt"].as_str().unwrap().to_string(), at));
            }
            if self.replica.remove(&id_of(gone)).is_some() {
                self.deletions += 1;
            }
        }
        if body["hasMore"].as_bool().unwrap() {
            walk.page += 1;
            self.walk = Some(walk);
            (false, ids)
        } else {
            // The run is complete: keep its largest `modifiedAt` for the next one.
            self.since = walk.newest;
            (true, ids)
        }
    }

    /// Finish the run in progress, then run the recipe once more from the start.
    async fn catch_up(&mut self, world: &World, page_size: u64) {
        while self.walk.is_some() {
            self.step(world, page_size).await;
        }
        while !self.step(world, page_size).await.0 {}
    }
}

async fn start_world(
    orders: usize,
    seed: u64,
) -> (World, tempfile::TempDir, common::ServerProcess) {
    let shop = junction_emulators::start(
        WooConfig {
            orders,
            customers: 2,
            products: 2,
            variable_every: 0,
            seed,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let (data, server) = common::serve_with(&["woocommerce"], ADMIN).await;
    let admin = AdminApi::new(&server.base, ADMIN);
    admin.posted("/tenants", json!({"name": "acme"})).await;
    let created = admin
        .posted(
            "/connections",
            json!({"tenant": "acme", "connector": "woocommerce", "name": "shop",
                   "config": {"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"}}),
        )
        .await;
    let connection = created["connection"]["id"].as_str().unwrap().to_string();
    // Syncs happen when a scenario says so, never on their own.
    for resource in ["orders", "customers", "products", "variations"] {
        let (status, body) = admin
            .call(
                reqwest::Method::PATCH,
                &format!("/connections/{connection}/resources/{resource}"),
                Some(json!({"cadenceSeconds": 86_400})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    common::admin::wait_for_runs(&admin, &connection, &["orders"], "succeeded").await;
    let key = admin
        .posted(
            &format!("/connections/{connection}/keys"),
            json!({"name": "recipe"}),
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let world = World {
        shop,
        http: Client::new(),
        base: server.base.clone(),
        admin,
        connection,
        key,
    };
    (world, data, server)
}

/// At quiescence: the shop's changes synced, the client caught up; then the replica is the
/// copy and the copy is the shop.
async fn assert_converged(world: &World, client: &mut RecipeClient, case: &str) {
    world.reconcile().await;
    client.catch_up(world, 7).await;
    let copy = world.copy().await;
    let lost: Vec<&String> = copy
        .keys()
        .filter(|id| !client.replica.contains_key(*id))
        .collect();
    let stale: Vec<String> = copy
        .iter()
        .filter_map(|(id, record)| {
            let kept = client.replica.get(id)?;
            (kept != record).then(|| {
                format!(
                    "{id}: replica has {} modified {}, copy has {} modified {}",
                    kept["status"], kept["modifiedAt"], record["status"], record["modifiedAt"]
                )
            })
        })
        .collect();
    assert!(
        lost.is_empty() && stale.is_empty(),
        "{case}: the recipe's replica is not the copy: never seen {lost:?}; stale {stale:?}"
    );
    assert_eq!(
        client.replica.len(),
        copy.len(),
        "{case}: the replica holds records the copy does not"
    );
    let store = world.shop.store();
    // The shop's orders as its listings show them: trashed ones are deleted for Junction.
    let shop: BTreeMap<String, String> = store
        .order_ids()
        .into_iter()
        .map(|id| {
            (
                id.to_string(),
                store.order(id).unwrap()["status"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .filter(|(_, status)| status != "trash")
        .collect();
    let copied: BTreeMap<String, String> = copy
        .iter()
        .map(|(id, r)| (id.clone(), r["status"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(copied, shop, "{case}: the copy is not the shop");
}

/// (a) Walking by page numbers while an earlier record changes must not skip a later one.
async fn offsets_shift_under_a_walk(world: &World) {
    // A first run over everything, two at a time; after the first page, a record of that
    // page changes in the shop and is synced: every later record moves one place forward.
    let mut client = RecipeClient::new();
    let (_, first_page) = client.step(world, 2).await;
    let id: u64 = first_page[0].parse().unwrap();
    let now = world.shop.store().order(id).unwrap()["status"].clone();
    let other = if now == "on-hold" {
        "completed"
    } else {
        "on-hold"
    };
    world.shop.store().update_order_status(id, other).unwrap();
    world.sync().await;
    while !client.step(world, 2).await.0 {}
    assert_converged(world, &mut client, "(a) page offsets under a walk").await;
}

/// (b) An order changed in the shop before another is written back through the API, and
/// synced after the client read the write-back: it must still reach the client.
async fn a_write_back_hides_no_older_change(world: &World) {
    let mut client = RecipeClient::new();
    client.catch_up(world, 50).await;
    let ids = world.shop.store().order_ids();
    let (x, y) = (ids[0], ids[1]);
    world
        .shop
        .store()
        .update_order_status(x, "completed")
        .unwrap();
    // The shop keeps whole seconds: the write-back must be a later second than X's change.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    world.write_back_status(y, "on-hold").await;
    client.catch_up(world, 50).await;
    assert_converged(
        world,
        &mut client,
        "(b) a write-back newer than an unsynced change",
    )
    .await;
}

/// One random scenario: a run of interleaved steps, then quiescence.
async fn random_scenario(world: &World, client: &mut RecipeClient, rng: &mut Rng, n: u64) {
    let page_size = 1 + rng.below(6);
    let steps = 4 + rng.below(12);
    for _ in 0..steps {
        let ids = world.shop.store().order_ids();
        let pick = ids[rng.below(ids.len() as u64) as usize];
        let status = STATUSES[rng.below(STATUSES.len() as u64) as usize];
        match rng.below(13) {
            0..=3 => {
                client.step(world, page_size).await;
            }
            4 | 5 => {
                world
                    .shop
                    .store()
                    .update_order_status(pick, status)
                    .unwrap();
            }
            6 => {
                world.shop.store().touch_order(pick).unwrap();
            }
            7 => world.sync().await,
            8 => world.write_back_status(pick, status).await,
            9 if ids.len() > 4 => {
                // Gone for good, or to the trash (a trashed order may be trashed again).
                let force = rng.below(2) == 0;
                let _ = world.shop.store().delete_order(pick, force);
            }
            10 => world.reconcile().await,
            _ => {
                let created = world.shop.store().create_order(json!({"status": status}));
                created.unwrap();
            }
        }
    }
    assert_converged(
        world,
        client,
        &format!("random scenario {n} (page size {page_size})"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_numbers_lose_nothing_while_an_earlier_record_changes() {
    let (world, _data, _server) = start_world(12, 3).await;
    offsets_shift_under_a_walk(&world).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_back_newer_than_an_unsynced_change_hides_nothing() {
    let (world, _data, _server) = start_world(12, 3).await;
    a_write_back_hides_no_older_change(&world).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipe_loses_nothing_in_200_random_scenarios() {
    let seed: u64 = std::env::var("JUNCTION_RECIPE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_0000_0000_0001);
    let (world, _data, _server) = start_world(12, 3).await;
    let mut rng = Rng(seed);
    let mut client = RecipeClient::new();
    let scenarios = 200;
    for n in 0..scenarios {
        random_scenario(&world, &mut client, &mut rng, n).await;
    }
    eprintln!(
        "{scenarios} scenarios from seed {seed:#x}: the client asked for {} pages, learned {} deletions; {} orders in the copy",
        client.pages,
        client.deletions,
        client.replica.len()
    );
    assert!(client.deletions > 0, "the scenarios deleted nothing");
}
