//! Automations end to end: the real `junction` binary, real connector components, the real
//! Vendure and Tryton, and the Connectif and WooCommerce emulators.
//!
//! - Vendure → Connectif (customers → contacts, products, orders → purchases) while
//!   Connectif answers random 429s and 500s: every record arrives exactly once, and no
//!   request reaches Connectif over its budget or before a 429's announced reset.
//! - Tryton ↔ Vendure: products ERP → shop (stock and price, matched by SKU), orders shop →
//!   ERP (sales); records the shop does not have are parked with a clear error.
//! - SIGKILL in the middle of a run: after a restart the automation resumes from its
//!   cursor and outbox; nothing is lost and no purchase is created twice.
//! - Two automations in opposite directions between two shops do not loop, and a write is
//!   marked as Junction's own before the writing side's copy shows it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::realsys;

use std::time::{Duration, Instant};

use junction_emulators::connectif::{BudgetConfig, ConnectifConfig, ConnectifEmulator};
use junction_emulators::{Fault, FaultKind, WooConfig, WooEmulator};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

const ADMIN: &str = "automation-admin-token";

/// A running `junction serve` with its data directory.
struct Junction {
    process: Option<common::ServerProcess>,
    port: u16,
    data: tempfile::TempDir,
    base: String,
    client: Client,
}

impl Junction {
    /// Start with these components installed and this config file.
    async fn start(components: &[&str], config: &str) -> Self {
        let data = tempfile::tempdir().unwrap();
        let plugins = data.path().join("plugins");
        std::fs::create_dir_all(&plugins).unwrap();
        for name in components {
            std::fs::copy(
                common::component(name),
                plugins.join(format!("{name}.wasm")),
            )
            .unwrap();
        }
        std::fs::write(data.path().join("junction.toml"), config).unwrap();
        let port = common::free_port();
        let mut junction = Junction {
            process: None,
            port,
            base: format!("http://127.0.0.1:{port}"),
            data,
            client: Client::new(),
        };
        junction.spawn().await;
        junction
    }

    async fn spawn(&mut self) {
        let config = self.data.path().join("junction.toml");
        let env = [
            ("JUNCTION_ADMIN_TOKEN", ADMIN),
            ("JUNCTION_CONFIG", config.to_str().unwrap()),
            ("JUNCTION_LOG", "error"),
        ];
        self.process = Some(common::spawn_server(self.data.path(), self.port, &env));
        common::wait_for_status(&self.base, "/readyz", 200).await;
    }

    /// SIGKILL the process (no shutdown of any kind).
    fn kill(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.child.kill().unwrap();
            p.child.wait().unwrap();
        }
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1/admin{path}", self.base))
            .bearer_auth(ADMIN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.admin(method, path, body).await;
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    }

    async fn tenant(&self) {
        self.ok(Method::POST, "/tenants", Some(json!({"name": "acme"})))
            .await;
    }

    async fn connection(&self, connector: &str, name: &str, config: Value) -> String {
        let created = self
            .ok(
                Method::POST,
                "/connections",
                Some(json!({"tenant": "acme", "connector": connector, "name": name, "config": config})),
            )
            .await;
        created["connection"]["id"].as_str().unwrap().to_string()
    }

    async fn automation(&self, body: Value) -> String {
        let mut body = body;
        body["tenant"] = json!("acme");
        let (status, created) = self.admin(Method::POST, "/automations", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created["id"].as_str().unwrap().to_string()
    }

    async fn show(&self, automation: &str) -> Value {
        self.ok(Method::GET, &format!("/automations/{automation}"), None)
            .await
    }

    async fn runs(&self, automation: &str) -> Vec<Value> {
        self.ok(
            Method::GET,
            &format!("/automations/{automation}/runs?limit=500"),
            None,
        )
        .await["data"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Sum of a count over all runs.
    async fn total(&self, automation: &str, count: &str) -> i64 {
        self.runs(automation)
            .await
            .iter()
            .map(|r| r[count].as_i64().unwrap_or(0))
            .sum()
    }

    /// Wait until `done` holds, showing the automation's state when it never does.
    async fn wait_for<F, Fut>(&self, automation: &str, limit: Duration, mut done: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = Instant::now();
        while !done().await {
            if started.elapsed() > limit {
                let outbox = self
                    .ok(
                        Method::GET,
                        &format!("/automations/{automation}/outbox?limit=20"),
                        None,
                    )
                    .await;
                panic!(
                    "not done after {limit:?}\nautomation: {}\nruns: {:#?}\noutbox: {outbox:#}",
                    self.show(automation).await,
                    &self
                        .runs(automation)
                        .await
                        .iter()
                        .take(5)
                        .collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// True once no run is going and the outbox holds nothing pending.
    async fn idle(&self, automation: &str) -> bool {
        let shown = self.show(automation).await;
        let runs = self.runs(automation).await;
        shown["outbox"]["pending"] == 0 && runs.first().is_some_and(|r| r["status"] != "running")
    }
}

/// Outbox retries fast enough for tests; everything else as shipped.
fn config(max_attempts: u32) -> String {
    format!(
        "[automations]\nconcurrency = 2\n[automations.outbox]\nmax_attempts = {max_attempts}\n\
         backoff_base_secs = 0.2\nbackoff_max_secs = 1.5\n[sync]\nbackoff_base_secs = 1\n"
    )
}

fn connectif_config(emu: &ConnectifEmulator) -> Value {
    json!({
        "api_key": "cnf_test_key",
        "base_url": emu.base_url(),
        "product_url_template": "https://shop.example.com/product/{id}",
    })
}

/// The Connectif budget of these tests: 30 requests per 3 s, on both sides.
const BUDGET: BudgetConfig = BudgetConfig {
    requests: 30,
    window: Duration::from_secs(3),
};

async fn connectif_emulator() -> ConnectifEmulator {
    junction_emulators::connectif::start(
        ConnectifConfig {
            budget: BUDGET,
            ..ConnectifConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendure_to_connectif_under_random_429s_and_500s_arrives_exactly_once_within_budget() {
    let vendure = realsys::vendure::start().await;
    let connectif = connectif_emulator().await;
    connectif.set_faults(vec![
        Fault::with_probability(
            FaultKind::RateLimited {
                retry_after_secs: 1,
            },
            0.08,
        ),
        Fault::with_probability(FaultKind::ServerError, 0.08),
    ]);
    let junction = Junction::start(&["vendure", "connectif"], &config(40)).await;
    junction.tenant().await;
    let shop = junction
        .connection("vendure", "shop", vendure.config())
        .await;
    let marketing = junction
        .connection("connectif", "marketing", connectif_config(&connectif))
        .await;
    // The connector's manifest says 100/min (the real service); this emulator's is smaller.
    let budget = junction
        .ok(
            Method::PATCH,
            &format!("/connections/{marketing}/rate-limit"),
            Some(json!({"rateLimit": {"requests": BUDGET.requests, "perSeconds": 3}})),
        )
        .await;
    assert_eq!(budget["source"], "override");
    let automation = junction
        .automation(json!({
            "name": "shop to marketing",
            "sourceConnectionId": shop,
            "targetConnectionId": marketing,
            "cadenceSeconds": 600,
            "entities": {
                "customers": {"direction": "source_to_target"},
                "products": {"direction": "source_to_target"},
                "orders": {"direction": "source_to_target"},
            },
        }))
        .await;

    // A cancelled order has no line left with a quantity: nothing was purchased, so it is
    // parked with that reason instead of becoming a purchase.
    let cancelled = vendure.orders_in_state("Cancelled").await;
    assert!(!cancelled.is_empty());
    let orders = vendure.order_ids().await;
    let purchased = orders.len() - cancelled.len();
    let customers = vendure.customer_ids().await;
    let products = vendure.product_ids().await;
    let store = connectif.store();
    junction
        .wait_for(&automation, Duration::from_secs(300), || async {
            store.purchase_count() >= purchased
                && store.contact_count() >= customers.len()
                && junction.idle(&automation).await
        })
        .await;

    // Every record exactly once.
    assert!(
        store.duplicate_purchase_ids().is_empty(),
        "{:?}",
        store.duplicate_purchase_ids()
    );
    let creations = store.purchase_creation_counts();
    assert_eq!(creations.len(), purchased, "one purchase per placed order");
    assert!(
        creations.values().all(|n| *n == 1),
        "a purchase created twice: {creations:?}"
    );
    assert_eq!(store.contact_count(), customers.len());
    for id in &products {
        assert!(
            store.product(id).is_some(),
            "product {id} missing in Connectif"
        );
    }
    // The faults fired, and were recovered from: nothing parked, nothing pending.
    let stats = connectif.budget_stats();
    assert!(
        stats.injected_rejected > 0,
        "no 429 was injected: {stats:?}"
    );
    let shown = junction.show(&automation).await;
    let parked = junction
        .ok(
            Method::GET,
            &format!("/automations/{automation}/outbox?status=parked"),
            None,
        )
        .await;
    for row in parked["data"].as_array().unwrap() {
        assert!(
            cancelled.contains(&row["sourceId"].as_str().unwrap().to_string()),
            "{row}"
        );
        assert!(
            row["lastError"]
                .as_str()
                .unwrap()
                .contains("no line has a quantity above 0"),
            "{row}"
        );
    }
    assert_eq!(
        shown["outbox"],
        json!({"pending": 0, "parked": cancelled.len()}),
        "{shown}"
    );
    let failed = junction.total(&automation, "failed").await;
    assert!(
        failed > 0,
        "the injected 500s must have failed some writes first"
    );
    // The budget: never over it, never back before a 429's reset.
    assert_eq!(stats.accepted_over_budget, 0, "{stats:?}");
    assert_eq!(stats.early_after_429, 0, "{stats:?}");
    assert!(stats.max_accepted_in_window <= BUDGET.requests, "{stats:?}");

    // A re-run writes nothing: the links know every record is unchanged.
    let written_before = junction.total(&automation, "written").await;
    junction
        .ok(
            Method::POST,
            &format!("/automations/{automation}/run"),
            Some(json!({})),
        )
        .await;
    let runs_before = junction.runs(&automation).await.len();
    junction
        .wait_for(&automation, Duration::from_secs(60), || async {
            junction.runs(&automation).await.len() > runs_before && junction.idle(&automation).await
        })
        .await;
    assert_eq!(junction.total(&automation, "written").await, written_before);
    assert!(store.purchase_creation_counts().values().all(|n| *n == 1));
}

/// Create a Tryton product for each SKU (list price 20 + k), returning their list prices.
async fn tryton_products_for(
    tryton: &realsys::tryton::TrytonServer,
    skus: &[String],
) -> Vec<String> {
    let unit = tryton
        .call(
            "product.uom.search",
            json!([[["symbol", "=", "u"]], 0, 1, null]),
        )
        .await[0]
        .clone();
    let prices: Vec<String> = (0..skus.len()).map(|k| format!("{}.25", 20 + k)).collect();
    let templates: Vec<Value> = skus
        .iter()
        .zip(&prices)
        .map(|(sku, price)| {
            json!({
                "name": format!("ERP {sku}"),
                "type": "goods",
                "default_uom": unit,
                "salable": true,
                "sale_uom": unit,
                "list_price": {"__class__": "Decimal", "decimal": price},
                "products": [["create", [{"suffix_code": sku}]]],
            })
        })
        .collect();
    tryton
        .call("product.template.create", json!([templates]))
        .await;
    prices
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tryton_and_vendure_products_to_the_shop_and_orders_to_the_erp() {
    let (tryton, vendure) = tokio::join!(realsys::tryton::start(), realsys::vendure::start());
    // The ERP knows every variant the shop sells, by SKU.
    let data = vendure
        .admin(
            "{ productVariants(options: {take: 200}) { items { id sku price stockOnHand } } }",
            json!({}),
        )
        .await;
    let variants = data["productVariants"]["items"].as_array().unwrap().clone();
    let skus: Vec<String> = variants
        .iter()
        .map(|v| v["sku"].as_str().unwrap().to_string())
        .collect();
    let prices = tryton_products_for(&tryton, &skus).await;

    let junction = Junction::start(&["tryton", "vendure"], &config(3)).await;
    junction.tenant().await;
    let erp = junction.connection("tryton", "erp", tryton.config()).await;
    let shop = junction
        .connection("vendure", "shop", vendure.config())
        .await;
    // A refused combination first: Vendure cannot take customers.
    let (status, refused) = junction
        .admin(
            Method::POST,
            "/automations",
            Some(json!({"tenant": "acme", "name": "bad", "sourceConnectionId": erp, "targetConnectionId": shop,
                "entities": {"customers": {"direction": "source_to_target"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(
        refused["field"], "entities.customers.direction",
        "{refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("upsert-customer"),
        "{refused}"
    );

    let automation = junction
        .automation(json!({
            "name": "erp and shop",
            "sourceConnectionId": erp,
            "targetConnectionId": shop,
            "cadenceSeconds": 600,
            "onChange": true,
            "entities": {
                "products": {"direction": "source_to_target"},
                "orders": {"direction": "target_to_source"},
            },
        }))
        .await;
    // A cancelled order has no line with a quantity left: Tryton refuses it (parked).
    let cancelled = vendure.orders_in_state("Cancelled").await;
    let orders: Vec<String> = vendure
        .order_ids()
        .await
        .into_iter()
        .filter(|id| !cancelled.contains(id))
        .collect();
    // Tryton's own seed products have no match in the shop: they park after 3 attempts.
    junction
        .wait_for(&automation, Duration::from_secs(300), || async {
            let shown = junction.show(&automation).await;
            let mut all_sales = true;
            for id in &orders {
                if tryton.sales_with_reference(id).await.is_empty() {
                    all_sales = false;
                    break;
                }
            }
            all_sales
                && shown["outbox"]["pending"] == 0
                && shown["outbox"]["parked"].as_i64().unwrap_or(0)
                    >= 2 * realsys::tryton::SEED_PRODUCTS as i64
                && junction.idle(&automation).await
        })
        .await;

    // Products ERP → shop: every variant has the ERP's price (and its stock, 0).
    for (variant, price) in variants.iter().zip(&prices) {
        let now = vendure.variant(variant["id"].as_str().unwrap()).await;
        let cents = (price.parse::<f64>().unwrap() * 100.0).round() as i64;
        assert_eq!(
            now["price"].as_i64(),
            Some(cents),
            "variant {}: {now}",
            variant["sku"]
        );
        assert_eq!(
            now["stockOnHand"].as_i64(),
            Some(0),
            "variant {}: {now}",
            variant["sku"]
        );
    }
    // Orders shop → ERP: one sale per placed order.
    for id in &orders {
        assert_eq!(tryton.sales_with_reference(id).await.len(), 1, "order {id}");
    }
    // The ERP's products the shop does not sell are parked, saying why.
    let parked = junction
        .ok(
            Method::GET,
            &format!("/automations/{automation}/outbox?status=parked&limit=500"),
            None,
        )
        .await;
    let parked = parked["data"].as_array().unwrap();
    assert!(!parked.is_empty());
    // Stock and price of each of Tryton's own seed products, and the cancelled order.
    assert_eq!(
        parked.len(),
        2 * realsys::tryton::SEED_PRODUCTS + cancelled.len()
    );
    for row in parked {
        let error = row["lastError"].as_str().unwrap();
        if row["resource"] == "orders" {
            assert!(
                cancelled.contains(&row["sourceId"].as_str().unwrap().to_string()),
                "{row}"
            );
        } else {
            assert!(
                error.contains("no product or variation with SKU `SEED-"),
                "{row}"
            );
        }
    }

    // A re-run after a price change in the ERP updates exactly that variant.
    let first = &variants[0];
    let product = tryton
        .call(
            "product.product.search",
            json!([[["code", "=", first["sku"]]], 0, 1, null]),
        )
        .await[0]
        .as_i64()
        .unwrap();
    let template = tryton.read("product.product", product, &["template"]).await["template"]
        .as_i64()
        .unwrap();
    tryton
        .write(
            "product.template",
            &[template],
            json!({"list_price": {"__class__": "Decimal", "decimal": "99.75"}}),
        )
        .await;
    junction
        .ok(
            Method::POST,
            &format!("/automations/{automation}/run"),
            Some(json!({})),
        )
        .await;
    junction
        .wait_for(&automation, Duration::from_secs(120), || async {
            vendure.variant(first["id"].as_str().unwrap()).await["price"].as_i64() == Some(9975)
        })
        .await;
}

async fn woo(seed: u64, orders: usize) -> WooEmulator {
    junction_emulators::start(
        WooConfig {
            orders,
            customers: 40,
            products: 12,
            seed,
            ..WooConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

fn woo_config(shop: &WooEmulator) -> Value {
    json!({"base_url": shop.base_url(), "consumer_key": "ck_test", "consumer_secret": "cs_test"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_mid_run_resumes_and_nothing_is_lost_or_written_twice() {
    const ORDERS: usize = 300;
    let shop = woo(7, ORDERS).await;
    let connectif = connectif_emulator().await;
    // Slow Connectif down so the kill lands in the middle of the deliveries.
    connectif.set_faults(vec![Fault::always(FaultKind::Latency { ms: 25 })]);
    let mut junction = Junction::start(&["woocommerce", "connectif"], &config(8)).await;
    junction.tenant().await;
    let source = junction
        .connection("woocommerce", "shop", woo_config(&shop))
        .await;
    let target = junction
        .connection("connectif", "marketing", connectif_config(&connectif))
        .await;
    junction
        .ok(
            Method::PATCH,
            &format!("/connections/{target}/rate-limit"),
            Some(json!({"rateLimit": {"unlimited": true}})),
        )
        .await;
    connectif.set_budget(BudgetConfig {
        requests: 100_000,
        window: Duration::from_secs(1),
    });
    let automation = junction
        .automation(json!({
            "name": "orders to marketing",
            "sourceConnectionId": source,
            "targetConnectionId": target,
            "cadenceSeconds": 600,
            "entities": {"orders": {"direction": "source_to_target"}},
        }))
        .await;
    let store = connectif.store();
    let started = Instant::now();
    while store.purchase_count() < 60 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "deliveries never got going"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    junction.kill();
    let at_kill = store.purchase_count();
    assert!(
        at_kill < ORDERS,
        "the run finished before the kill; slow Connectif down more"
    );

    junction.spawn().await;
    junction
        .wait_for(&automation, Duration::from_secs(240), || async {
            store.purchase_count() >= ORDERS && junction.idle(&automation).await
        })
        .await;
    let creations = store.purchase_creation_counts();
    assert_eq!(creations.len(), ORDERS, "every order arrived");
    assert!(
        creations.values().all(|n| *n == 1),
        "a purchase was created twice: {creations:?}"
    );
    assert!(store.duplicate_purchase_ids().is_empty());
    let runs = junction.runs(&automation).await;
    assert!(
        runs.iter().any(|r| r["status"] == "interrupted"),
        "the killed run is recorded as interrupted: {runs:#?}"
    );
}

/// Stock of a WooCommerce emulator product.
fn stock(shop: &WooEmulator, id: u64) -> Option<i64> {
    shop.store()
        .product(id)
        .and_then(|p| p["stock_quantity"].as_i64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bidirectional_pair_does_not_loop() {
    // Two shops with the same catalogue (same seed → same SKUs).
    let (a, b) = (woo(11, 5).await, woo(11, 5).await);
    let junction = Junction::start(&["woocommerce"], &config(8)).await;
    junction.tenant().await;
    let shop_a = junction
        .connection("woocommerce", "shop-a", woo_config(&a))
        .await;
    let shop_b = junction
        .connection("woocommerce", "shop-b", woo_config(&b))
        .await;
    let products = json!({"products": {"direction": "source_to_target"}});
    let forward = junction
        .automation(
            json!({"name": "a to b", "sourceConnectionId": shop_a, "targetConnectionId": shop_b,
            "cadenceSeconds": 600, "onChange": true, "entities": products}),
        )
        .await;
    junction
        .wait_for(&forward, Duration::from_secs(120), || async {
            junction.total(&forward, "written").await > 0 && junction.idle(&forward).await
        })
        .await;
    let backward = junction
        .automation(
            json!({"name": "b to a", "sourceConnectionId": shop_b, "targetConnectionId": shop_a,
            "cadenceSeconds": 600, "onChange": true, "entities": products}),
        )
        .await;
    junction
        .wait_for(&backward, Duration::from_secs(120), || async {
            !junction.runs(&backward).await.is_empty() && junction.idle(&backward).await
        })
        .await;
    assert_eq!(
        junction.total(&backward, "written").await,
        0,
        "b's records are a's writes coming back: nothing to write"
    );

    // A change in A flows to B once, and does not come back.
    let managed: Vec<u64> = a
        .store()
        .product_ids()
        .into_iter()
        .filter(|id| stock(&a, *id).is_some())
        .collect();
    let (p, q) = (managed[0], managed[1]);
    let written_forward = junction.total(&forward, "written").await;
    a.store()
        .update_product(p, json!({"stock_quantity": 777}))
        .unwrap();
    junction
        .ok(
            Method::POST,
            &format!("/connections/{shop_a}/sync?resource=products"),
            Some(json!({})),
        )
        .await;
    junction
        .wait_for(&forward, Duration::from_secs(60), || async {
            stock(&b, p) == Some(777)
        })
        .await;
    // And the other way: a change in B flows to A once.
    b.store()
        .update_product(q, json!({"stock_quantity": 555}))
        .unwrap();
    junction
        .ok(
            Method::POST,
            &format!("/connections/{shop_b}/sync?resource=products"),
            Some(json!({})),
        )
        .await;
    junction
        .wait_for(&backward, Duration::from_secs(60), || async {
            stock(&a, q) == Some(555)
        })
        .await;
    // Let both settle (on-change runs, autosyncs), then count: one write each way.
    tokio::time::sleep(Duration::from_secs(4)).await;
    for id in [&shop_a, &shop_b] {
        junction
            .ok(
                Method::POST,
                &format!("/connections/{id}/sync?resource=products"),
                Some(json!({})),
            )
            .await;
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    junction
        .wait_for(&forward, Duration::from_secs(60), || async {
            junction.idle(&forward).await && junction.idle(&backward).await
        })
        .await;
    let forward_writes = junction.total(&forward, "written").await - written_forward;
    let backward_writes = junction.total(&backward, "written").await;
    // One product changed each way; its stock write (its price is unchanged, but the
    // record's content is compared as a whole, so price is written along with it).
    assert!(
        (1..=2).contains(&forward_writes),
        "a→b wrote {forward_writes}"
    );
    assert!(
        (1..=2).contains(&backward_writes),
        "b→a wrote {backward_writes}"
    );
    let skipped: i64 =
        junction.total(&backward, "skipped").await + junction.total(&forward, "skipped").await;
    assert!(skipped > 0, "echoes were seen and skipped");
    assert_eq!(stock(&a, p), Some(777));
    assert_eq!(stock(&b, q), Some(555));
}

/// A probe in the database that notes every change to `connection`'s copy of products made
/// while no link yet marks the new content as Junction's own write (`echo_modified_ms`).
async fn watch_for_unmarked_copy_changes(junction: &Junction, connection: &str) -> sqlx::AnyPool {
    let db = common::database(junction.data.path()).await;
    let unmarked = format!(
        "NEW.connection_id = '{connection}' AND NEW.resource = 'products' AND NOT EXISTS ( \
         SELECT 1 FROM id_links l WHERE l.resource = NEW.resource \
         AND l.target_connection_id = NEW.connection_id AND l.target_id = NEW.external_id \
         AND l.echo_modified_ms >= NEW.modified_ms)"
    );
    let statements = if common::database_url(junction.data.path()).is_some() {
        vec![
            "CREATE TABLE probe_unmarked (external_id TEXT)".to_string(),
            format!(
                "CREATE FUNCTION probe_unmarked() RETURNS trigger AS $$ BEGIN \
                 IF {unmarked} THEN INSERT INTO probe_unmarked VALUES (NEW.external_id); END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER probe_unmarked AFTER UPDATE ON records FOR EACH ROW \
             EXECUTE FUNCTION probe_unmarked()"
                .to_string(),
        ]
    } else {
        vec![
            "CREATE TABLE probe_unmarked (external_id TEXT)".to_string(),
            format!(
                "CREATE TRIGGER probe_unmarked AFTER UPDATE ON records WHEN {unmarked} \
                 BEGIN INSERT INTO probe_unmarked VALUES (NEW.external_id); END"
            ),
        ]
    };
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&db)
            .await
            .unwrap();
    }
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_is_marked_as_ours_before_the_writing_side_sees_it() {
    // The writing side's copy takes the written record, which wakes its on-change
    // automations at once; were the echo mark stored after that, a reverse automation
    // could read the change first and send it back. The probe sees the order in which the
    // copy and the mark change, so the race is caught every time, not only when it is lost.
    let (a, b) = (woo(13, 1).await, woo(13, 1).await);
    let junction = Junction::start(&["woocommerce"], &config(8)).await;
    junction.tenant().await;
    let shop_a = junction
        .connection("woocommerce", "shop-a", woo_config(&a))
        .await;
    let shop_b = junction
        .connection("woocommerce", "shop-b", woo_config(&b))
        .await;
    // B's copy holds its products first, so the automation's writes update rows.
    let started = Instant::now();
    loop {
        let runs = junction
            .ok(Method::GET, &format!("/connections/{shop_b}/runs"), None)
            .await;
        let synced = runs["data"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|run| run["resource"] == "products" && run["status"] == "succeeded");
        if synced {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "shop-b's products never synced: {runs}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let db = watch_for_unmarked_copy_changes(&junction, &shop_b).await;
    let managed: Vec<u64> = a
        .store()
        .product_ids()
        .into_iter()
        .filter(|id| stock(&a, *id).is_some())
        .collect();
    for (n, id) in managed.iter().take(3).enumerate() {
        a.store()
            .update_product(*id, json!({"stock_quantity": 900 + n}))
            .unwrap();
    }
    let forward = junction
        .automation(
            json!({"name": "a to b", "sourceConnectionId": shop_a, "targetConnectionId": shop_b,
            "cadenceSeconds": 600, "onChange": true,
            "entities": {"products": {"direction": "source_to_target"}}}),
        )
        .await;
    junction
        .wait_for(&forward, Duration::from_secs(120), || async {
            managed
                .iter()
                .take(3)
                .enumerate()
                .all(|(n, id)| stock(&b, *id) == Some(900 + n as i64))
                && junction.idle(&forward).await
        })
        .await;
    assert!(
        junction.total(&forward, "written").await >= 3,
        "the changed products were written"
    );
    let unmarked: Vec<String> = sqlx::query_scalar("SELECT external_id FROM probe_unmarked")
        .fetch_all(&db)
        .await
        .unwrap();
    assert!(
        unmarked.is_empty(),
        "shop-b's copy changed before the write was marked as Junction's own: {unmarked:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_orders_are_upserted_and_flow_on_to_an_automation_at_once() {
    let dashboard = junction_emulators::bugalou::start(
        junction_emulators::bugalou::BugalouConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let junction = Junction::start(&["push", "bugalou"], &config(8)).await;
    junction.tenant().await;
    let custom = junction
        .connection("push", "webshop", json!({"description": "our own shop"}))
        .await;
    let target = junction
        .connection(
            "bugalou",
            "dashboard",
            json!({"api_key": "bg_live_test_key", "platform": "custom", "base_url": dashboard.base_url()}),
        )
        .await;
    let key = junction
        .ok(
            Method::POST,
            &format!("/connections/{custom}/keys"),
            Some(json!({"name": "shop"})),
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    // Mapping options: the platform Bugalou files the orders under, and a status word.
    let automation = junction
        .automation(json!({
            "name": "push to dashboard",
            "sourceConnectionId": custom,
            "targetConnectionId": target,
            "cadenceSeconds": 3600,
            "onChange": true,
            "entities": {"orders": {"direction": "source_to_target"}},
            "options": {"targetConfig": {"platform": "webshop"}, "orderStatusMap": {"shipped": "delivered"}},
        }))
        .await;
    let push = |body: Value| {
        let client = junction.client.clone();
        let url = format!("{}/api/v1/api/orders", junction.base);
        let key = key.clone();
        async move {
            let response = client
                .post(url)
                .header("X-API-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    // Bad input names the field and what is accepted.
    let (status, refused) =
        push(json!({"platform": "custom", "orderNumber": "A-1", "orderStatus": "lost"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["field"], "orderStatus", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("processing, shipped, delivered, cancelled")
    );
    let (status, refused) = push(json!({"platform": "custom", "orderStatus": "processing"})).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("orderNumber"))
    );
    let (status, refused) = push(
        json!({"platform": "custom", "orderNumber": "A-1", "orderStatus": "processing",
        "items": [{"name": "Mug", "quantity": 0, "price": "4.50"}]}),
    )
    .await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("items[0].quantity"))
    );

    let order = |number: &str, status: &str| {
        json!({"platform": "custom", "orderNumber": number, "orderStatus": status,
            "customerEmail": "jan@example.nl", "customerName": "Jan de Vries",
            "items": [{"name": "Mug", "quantity": 2, "price": "4.50"}], "currency": "EUR",
            "paymentStatus": "paid", "paymentMethod": "iDEAL"})
    };
    let (status, created) = push(order("A-1", "processing")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["order"]["total"], "9.00");
    assert_eq!(
        push(order("A-2", "processing")).await.0,
        StatusCode::CREATED
    );
    let store = dashboard.store();
    junction
        .wait_for(&automation, Duration::from_secs(60), || async {
            store.order("webshop", "A-1").is_some() && store.order("webshop", "A-2").is_some()
        })
        .await;
    // The run that delivered them ends first: the next push must start a run of its own
    // (a push arriving while a run goes on is picked up by that run).
    junction
        .wait_for(&automation, Duration::from_secs(60), || async {
            let runs = junction.runs(&automation).await;
            !runs.is_empty() && runs.iter().all(|r| r["status"] != "running")
        })
        .await;
    // The same platform + orderNumber again is an update, and flows on as one.
    let (status, updated) = push(order("A-1", "shipped")).await;
    assert_eq!(
        (status, updated["created"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    junction
        .wait_for(&automation, Duration::from_secs(60), || async {
            store
                .order("webshop", "A-1")
                .is_some_and(|o| o.order_status == "delivered")
        })
        .await;
    assert_eq!(store.orders().len(), 2, "upserted, not duplicated");
    let triggers: Vec<String> = junction
        .runs(&automation)
        .await
        .iter()
        .map(|r| r["trigger"].as_str().unwrap().to_string())
        .collect();
    assert!(
        triggers.iter().any(|t| t == "change"),
        "runs were started by the pushes: {triggers:?}"
    );
    // The Runtime API serves pushed orders like synced ones.
    let listed: Value = junction
        .client
        .get(format!("{}/api/v1/api/orders", junction.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 2, "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_budget_paces_autosync_write_backs_and_automations_together() {
    // The shop behind a recording proxy, so every request it receives is timed.
    let shop = woo(21, 250).await;
    let proxy = junction_emulators::start_proxy(&shop.base_url())
        .await
        .unwrap();
    let catalogue = woo(21, 5).await;
    let junction = Junction::start(&["woocommerce"], &config(8)).await;
    junction.tenant().await;
    let mut shop_config = woo_config(&shop);
    shop_config["base_url"] = json!(proxy.url());
    let target = junction
        .connection("woocommerce", "shop", shop_config)
        .await;
    let source = junction
        .connection("woocommerce", "catalogue", woo_config(&catalogue))
        .await;
    // Four requests per second for everything that goes through the shop's connection.
    junction
        .ok(
            Method::PATCH,
            &format!("/connections/{target}/rate-limit"),
            Some(json!({"rateLimit": {"requests": 4, "perSeconds": 1}})),
        )
        .await;
    let key = junction
        .ok(
            Method::POST,
            &format!("/connections/{target}/keys"),
            Some(json!({"name": "erp"})),
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    // Write-backs name records of the local copy: the shop's products are synced first.
    let admin = common::admin::AdminApi::new(&junction.base, ADMIN);
    common::admin::wait_for_runs(&admin, &target, &["products"], "succeeded").await;
    // All three at once: an automation writing prices and stock into the shop, autosync
    // of the shop, and write-backs through the Runtime API.
    let automation = junction
        .automation(json!({"name": "catalogue to shop", "sourceConnectionId": source, "targetConnectionId": target,
            "cadenceSeconds": 600, "entities": {"products": {"direction": "source_to_target"}}}))
        .await;
    junction
        .ok(
            Method::POST,
            &format!("/connections/{target}/sync"),
            Some(json!({})),
        )
        .await;
    // A write-back for every product: with the syncs, always more traffic than the budget
    // lets through in a few seconds, however much the automation finds to write.
    let products = shop.store().product_ids();
    let mut writes = Vec::new();
    for (n, id) in products.iter().enumerate() {
        let client = junction.client.clone();
        let url = format!("{}/api/v1/api/products/{id}/price", junction.base);
        let key = key.clone();
        writes.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(key)
                .json(&json!({"price": format!("{}.99", 10 + n)}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for write in writes {
        let status = write.await.unwrap();
        assert!(
            status.is_success() || status == StatusCode::NOT_FOUND,
            "{status}"
        );
    }
    junction
        .wait_for(&automation, Duration::from_secs(180), || async {
            junction.idle(&automation).await && junction.total(&automation, "written").await > 0
        })
        .await;
    let seen = proxy.seen();
    assert!(
        seen.len() > 12,
        "enough traffic to test pacing: {}",
        seen.len()
    );
    // No window of (a little under) one second holds more than four requests.
    let mut times: Vec<Instant> = seen.iter().map(|r| r.received).collect();
    times.sort();
    let window = Duration::from_millis(950);
    let busiest = (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t - times[i] < window)
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(busiest <= 4, "{busiest} requests within {window:?}");
    let budget = junction
        .ok(
            Method::GET,
            &format!("/connections/{target}/rate-limit"),
            None,
        )
        .await;
    assert_eq!(budget["sent"].as_u64(), Some(seen.len() as u64), "{budget}");
}
