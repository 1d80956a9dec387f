//! A real trytond for tests: [`start`] copies the template database that `cargo xtask test`
//! prepared (`xtask/src/realsys/tryton.rs`: sale activated, a company, seed parties, products
//! and sale orders), starts trytond on a free local port, waits until it answers, and kills
//! it on drop. [`TrytonServer`] also reads the truth directly over JSON-RPC (as the admin
//! user, without the connector) and changes records upstream.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The template database's name and admin password (as `xtask/src/realsys/tryton.rs` made them).
pub const DATABASE: &str = "junction";
pub const USER: &str = "admin";
pub const PASSWORD: &str = "junction-admin";

/// Failed logins before Tryton throttles (answers 429). Tryton's default is 5, and it sleeps
/// up to 2^n - 1 s after the n-th failure, so a lower bound keeps the throttling test short.
pub const MAX_LOGIN_ATTEMPTS: u32 = 3;

/// Seed sizes (`tests/realsys/tryton/bootstrap.py`): parties include the company's own.
pub const SEED_PARTIES: usize = 35;
pub const SEED_PRODUCTS: usize = 27;
pub const SEED_SALES: usize = 23;

/// A running trytond with its own copy of the template database.
pub struct TrytonServer {
    child: Child,
    _dir: tempfile::TempDir,
    pub base_url: String,
    client: reqwest::Client,
    session: String,
    context: Value,
}

impl Drop for TrytonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn install_dir() -> PathBuf {
    let hint = "run `cargo xtask test` (it installs Tryton into target/realsys and sets \
                JUNCTION_REALSYS_DIR)";
    let root = std::env::var_os("JUNCTION_REALSYS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("JUNCTION_REALSYS_DIR is not set: {hint}"));
    let home = root.join("tryton");
    for needed in ["venv/bin/trytond", "template/junction.sqlite"] {
        assert!(
            home.join(needed).exists(),
            "Tryton is not installed in {} (no {needed}): {hint}",
            home.display()
        );
    }
    home
}

/// Starts a fresh trytond on the seeded template.
pub async fn start() -> TrytonServer {
    let home = install_dir();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        home.join("template/junction.sqlite"),
        dir.path().join(format!("{DATABASE}.sqlite")),
    )
    .unwrap();
    let port = free_port();
    let conf = dir.path().join("trytond.conf");
    std::fs::write(
        &conf,
        format!(
            "[database]\nuri = sqlite://\npath = {}\n[web]\nlisten = 127.0.0.1:{port}\n\
             [session]\nauthentications = password\nmax_attempt = {MAX_LOGIN_ATTEMPTS}\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("trytond.log")).unwrap();
    // `-d` loads the database's pool at start; without it the first login fails (8.2).
    let child = Command::new(home.join("venv/bin/trytond"))
        .arg("-c")
        .arg(&conf)
        .args(["-d", DATABASE])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start trytond");
    let mut server = TrytonServer {
        child,
        base_url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
        client: reqwest::Client::new(),
        session: String::new(),
        context: json!({}),
    };
    server.wait_ready().await;
    server
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl TrytonServer {
    /// The connector config for this server.
    pub fn config(&self) -> Value {
        json!({"base_url": self.base_url, "database": DATABASE, "user": USER, "password": PASSWORD})
    }

    async fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let log = std::fs::read_to_string(self._dir.path().join("trytond.log"))
                    .unwrap_or_default();
                panic!("trytond exited with {status}:\n{log}");
            }
            let answer = self
                .client
                .post(format!("{}/rpc/", self.base_url))
                .json(&json!({"id": 0, "method": "common.server.version", "params": []}))
                .send()
                .await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "trytond did not answer within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let login = self
            .raw_call(
                "common.db.login",
                json!([USER, {"password": PASSWORD}, "en"]),
            )
            .await;
        let user_id = login[0].as_i64().unwrap();
        let token = login[1].as_str().unwrap();
        self.session = format!(
            "Session {}",
            base64(format!("{USER}:{user_id}:{token}").as_bytes())
        );
        self.context = self
            .raw_call("model.res.user.get_preferences", json!([true, {}]))
            .await;
    }

    async fn raw_call(&self, method: &str, params: Value) -> Value {
        let mut request = self
            .client
            .post(format!("{}/{DATABASE}/rpc/", self.base_url))
            .json(&json!({"id": 1, "method": method, "params": params}));
        if !self.session.is_empty() {
            request = request.header("authorization", &self.session);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{method}: HTTP {status}, not JSON: {e}"));
        assert!(
            body.get("error").is_none_or(Value::is_null),
            "{method} failed: {}",
            body["error"]
        );
        body["result"].clone()
    }

    /// `model.<model>.<method>(args..., context)` as the admin user, with extra context.
    pub async fn call_with(&self, model_method: &str, args: Value, extra: Value) -> Value {
        let mut params = args.as_array().cloned().unwrap();
        let mut context = self.context.clone();
        if let (Some(c), Some(e)) = (context.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        params.push(context);
        self.raw_call(&format!("model.{model_method}"), Value::Array(params))
            .await
    }

    /// `model.<model>.<method>(args..., context)` as the admin user.
    pub async fn call(&self, model_method: &str, args: Value) -> Value {
        self.call_with(model_method, args, json!({})).await
    }

    /// All ids of a model (active records), ascending.
    pub async fn ids(&self, model: &str) -> Vec<i64> {
        let found = self
            .call(
                &format!("{model}.search"),
                json!([[], 0, null, [["id", "ASC"]]]),
            )
            .await;
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    }

    /// One record's fields.
    pub async fn read(&self, model: &str, id: i64, fields: &[&str]) -> Value {
        let found = self
            .call(&format!("{model}.read"), json!([[id], fields]))
            .await;
        found[0].clone()
    }

    /// A product's list price (on its template) as a decimal string.
    pub async fn product_price(&self, product: i64) -> String {
        let p = self.read("product.product", product, &["template"]).await;
        let t = self
            .read(
                "product.template",
                p["template"].as_i64().unwrap(),
                &["list_price"],
            )
            .await;
        t["list_price"]["decimal"].as_str().unwrap().to_owned()
    }

    /// A product's quantity in the (first) warehouse.
    pub async fn product_quantity(&self, product: i64) -> f64 {
        let warehouses = self
            .call(
                "stock.location.search",
                json!([[["type", "=", "warehouse"]], 0, 1, [["id", "ASC"]]]),
            )
            .await;
        let found = self
            .call_with(
                "product.product.read",
                json!([[product], ["quantity"]]),
                json!({"locations": warehouses}),
            )
            .await;
        found[0]["quantity"].as_f64().unwrap()
    }

    /// A sale's state, reference, party and lines (`[{product code, quantity, unit_price}]`).
    pub async fn sale(&self, sale: i64) -> Value {
        let s = self
            .read(
                "sale.sale",
                sale,
                &["state", "reference", "party", "party.email", "total_amount"],
            )
            .await;
        let lines = self
            .call(
                "sale.line.search_read",
                json!([
                    [["sale", "=", sale]],
                    0,
                    null,
                    [["id", "ASC"]],
                    ["product.code", "quantity", "unit_price"]
                ]),
            )
            .await;
        json!({"sale": s, "lines": lines})
    }

    /// Sale ids with this reference.
    pub async fn sales_with_reference(&self, reference: &str) -> Vec<i64> {
        let found = self
            .call(
                "sale.sale.search",
                json!([[["reference", "=", reference]], 0, null, [["id", "ASC"]]]),
            )
            .await;
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    }

    /// Writes `values` to records upstream (e.g. a changed name).
    pub async fn write(&self, model: &str, ids: &[i64], values: Value) {
        self.call(&format!("{model}.write"), json!([ids, values]))
            .await;
    }

    /// Creates a party upstream; returns its id.
    pub async fn create_party(&self, name: &str) -> i64 {
        let created = self
            .call("party.party.create", json!([[{"name": name}]]))
            .await;
        created[0].as_i64().unwrap()
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}
