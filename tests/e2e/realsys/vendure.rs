//! A real Vendure server for tests: [`start`] copies the seeded database that
//! `cargo xtask test` prepared (`$JUNCTION_REALSYS_DIR/vendure/seed.sqlite`, see
//! `tests/realsys/vendure/seed.js` for what it holds) into a fresh temporary folder, runs
//! `node server.js` on a free local port, waits until the Admin API answers, and kills the
//! server when the [`VendureServer`] is dropped.
//!
//! The helpers read the truth straight from Vendure's Admin API (with the seeded SuperAdmin
//! API key), never through a connector, and change records upstream.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The administrator the seeded shop has.
pub const ADMIN_USER: &str = "superadmin";
/// Its password.
pub const ADMIN_PASSWORD: &str = "superadmin";

/// A running Vendure server with its own database; killed on drop.
pub struct VendureServer {
    child: Child,
    dir: tempfile::TempDir,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// A SuperAdmin API key (`vendure-api-key` header).
    pub api_key: String,
    http: reqwest::Client,
}

impl Drop for VendureServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where `cargo xtask test` installed Vendure; panics with what to do when it did not.
pub fn install_dir() -> PathBuf {
    let Some(root) = std::env::var_os("JUNCTION_REALSYS_DIR") else {
        panic!(
            "JUNCTION_REALSYS_DIR is not set: the Vendure tests need the real Vendure server \
             that `cargo xtask test` installs; run `cargo xtask test` (or set \
             JUNCTION_REALSYS_DIR=<repo>/target/realsys after it ran once)"
        );
    };
    let dir = PathBuf::from(root).join("vendure");
    for needed in [
        "server.js",
        "seed.sqlite",
        "seed.sqlite.api-key",
        "node_modules",
    ] {
        assert!(
            dir.join(needed).exists(),
            "Vendure is not installed in {} ({needed} is missing): run `cargo xtask test`",
            dir.display()
        );
    }
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts a fresh Vendure with the seeded data.
pub async fn start() -> VendureServer {
    let install = install_dir();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vendure.sqlite");
    std::fs::copy(install.join("seed.sqlite"), &db).unwrap();
    let api_key = std::fs::read_to_string(install.join("seed.sqlite.api-key"))
        .unwrap()
        .trim()
        .to_owned();
    let log = std::fs::File::create(dir.path().join("vendure.log")).unwrap();
    let port = free_port();
    let child = Command::new("node")
        .arg(install.join("server.js"))
        .current_dir(&install)
        .env("PORT", port.to_string())
        .env("VENDURE_DB", &db)
        .env("VENDURE_DISABLE_TELEMETRY", "true")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("cannot start node (is Node.js installed? run `cargo xtask test`)");
    let mut server = VendureServer {
        child,
        base_url: format!("http://127.0.0.1:{port}"),
        api_key,
        http: reqwest::Client::new(),
        dir,
    };
    server.wait_ready().await;
    server
}

impl VendureServer {
    /// What the server wrote to stderr (warnings and errors).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("vendure.log")).unwrap_or_default()
    }

    async fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "Vendure exited with {status} before it was ready; its log:\n{}",
                    self.log()
                );
            }
            let answer = self
                .http
                .post(format!("{}/admin-api", self.base_url))
                .json(&json!({"query": "{ __typename }"}))
                .send()
                .await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            if started.elapsed() > Duration::from_secs(90) {
                panic!(
                    "Vendure did not start within 90 s; its log:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A connector config logging in as the seeded administrator.
    pub fn config(&self) -> Value {
        json!({"base_url": self.base_url, "username": ADMIN_USER, "password": ADMIN_PASSWORD})
    }

    /// A connector config with the seeded API key.
    pub fn api_key_config(&self) -> Value {
        json!({"base_url": self.base_url, "api_key": self.api_key})
    }

    /// One Admin API request as SuperAdmin; panics on GraphQL errors. Returns `data`.
    pub async fn admin(&self, query: &str, variables: Value) -> Value {
        let body: Value = self
            .http
            .post(format!("{}/admin-api", self.base_url))
            .header("vendure-api-key", &self.api_key)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(body.get("errors").is_none(), "Vendure: {body}\n{query}");
        body["data"].clone()
    }

    /// Every id of a list query (`orders`, `customers`, `products`, `productVariants`) with
    /// an optional filter.
    pub async fn ids(&self, list: &str, filter: Value) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        loop {
            let query = format!(
                "query($o: {}ListOptions) {{ {list}(options: $o) {{ totalItems items {{ id }} }} }}",
                list_type(list)
            );
            let data = self
                .admin(
                    &query,
                    json!({"o": {"skip": ids.len(), "take": 100, "filter": filter, "sort": {"id": "ASC"}}}),
                )
                .await;
            let items = data[list]["items"].as_array().unwrap().clone();
            for item in &items {
                ids.insert(item["id"].as_str().unwrap().to_owned());
            }
            if items.is_empty() || ids.len() as u64 >= data[list]["totalItems"].as_u64().unwrap() {
                return ids;
            }
        }
    }

    /// Placed orders (not open carts).
    pub async fn order_ids(&self) -> BTreeSet<String> {
        self.ids("orders", json!({"active": {"eq": false}})).await
    }

    pub async fn customer_ids(&self) -> BTreeSet<String> {
        self.ids("customers", json!({})).await
    }

    pub async fn product_ids(&self) -> BTreeSet<String> {
        self.ids("products", json!({})).await
    }

    /// The variants of one product.
    pub async fn variant_ids(&self, product_id: &str) -> BTreeSet<String> {
        self.ids("productVariants", json!({"productId": {"eq": product_id}}))
            .await
    }

    /// The product with the most variants (the seeded poster) and its variant count.
    pub async fn biggest_product(&self) -> (String, usize) {
        let mut best = (String::new(), 0);
        for id in self.product_ids().await {
            let n = self.variant_ids(&id).await.len();
            if n > best.1 {
                best = (id, n);
            }
        }
        best
    }

    /// An order: `state`, `code`, `fulfillments { state method trackingCode }`, payments.
    pub async fn order(&self, id: &str) -> Value {
        self.admin(
            "query($id: ID!) { order(id: $id) { id code state updatedAt totalWithTax \
             lines { id quantity } payments { id state } \
             fulfillments { id state method trackingCode } } }",
            json!({"id": id}),
        )
        .await["order"]
            .clone()
    }

    /// Ids of placed orders in a state.
    pub async fn orders_in_state(&self, state: &str) -> Vec<String> {
        self.ids(
            "orders",
            json!({"active": {"eq": false}, "state": {"eq": state}}),
        )
        .await
        .into_iter()
        .collect()
    }

    /// A variant: `price` (minor units), `stockOnHand`, `productId`, `sku`.
    pub async fn variant(&self, id: &str) -> Value {
        self.admin(
            "query($id: ID!) { productVariant(id: $id) { id productId sku price stockOnHand updatedAt } }",
            json!({"id": id}),
        )
        .await["productVariant"]
            .clone()
    }

    /// Sets a variant's stock upstream (changes its `updatedAt`).
    pub async fn set_variant_stock(&self, id: &str, stock: i64) {
        self.admin(
            "mutation($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i) { id } }",
            json!({"i": [{"id": id, "stockOnHand": stock}]}),
        )
        .await;
    }

    /// Changes a customer upstream (its phone number); returns the new number.
    pub async fn touch_customer(&self, id: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let phone = format!("+32 {}", nanos % 1_000_000_000);
        self.admin(
            "mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { ... on Customer { id } } }",
            json!({"i": {"id": id, "phoneNumber": phone}}),
        )
        .await;
        phone
    }

    /// Deletes a customer, as the dashboard's "Delete" does (Vendure keeps the row with a
    /// `deletedAt`; its API no longer returns it).
    pub async fn delete_customer(&self, id: &str) {
        let answer = self
            .admin(
                "mutation($id: ID!) { deleteCustomer(id: $id) { result message } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(
            answer["deleteCustomer"]["result"], "DELETED",
            "Vendure refused to delete customer {id}: {answer}"
        );
    }

    /// Changes a product upstream (disables and enables it again).
    pub async fn touch_product(&self, id: &str) {
        for enabled in [false, true] {
            self.admin(
                "mutation($i: UpdateProductInput!) { updateProduct(input: $i) { id } }",
                json!({"i": {"id": id, "enabled": enabled}}),
            )
            .await;
        }
    }

    /// Changes an order upstream in a way that moves its `updatedAt` (Vendure leaves it alone
    /// on most transitions): cancels it.
    pub async fn cancel_order(&self, id: &str) {
        let data = self
            .admin(
                "mutation($id: ID!) { cancelOrder(input: {orderId: $id, cancelShipping: true}) { \
                 __typename ... on ErrorResult { message } } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(data["cancelOrder"]["__typename"], "Order", "{data}");
    }
}

fn list_type(list: &str) -> &'static str {
    match list {
        "orders" => "Order",
        "customers" => "Customer",
        "products" => "Product",
        "productVariants" => "ProductVariant",
        other => panic!("no list {other}"),
    }
}
