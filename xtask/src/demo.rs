//! `cargo xtask run [--smoke]`: the one-command demo, once the binaries and components are
//! built. Starts a seeded WooCommerce emulator and `junction serve` (output in
//! `<data>/logs/`), waits until both answer, provisions tenant `demo`, connection
//! `woocommerce-demo` and an API key through the admin API (reusing whatever exists, so it
//! can be rerun), follows the first sync, then prints the API key and ready-to-paste curl
//! lines and keeps both processes running until Ctrl-C / SIGTERM.
//!
//! `--smoke` does the same in a fresh temporary data dir on free ports, then runs those
//! requests itself, checks each returns 200, stops both processes and exits. `cargo xtask
//! test` uses [`Mode::Fuzz`]: the smoke run, then schemathesis against the live server.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::api::{Admin, Http, write_private};
use crate::procs::{Children, StopFlag};
use crate::progress::{Tracked, follow_sync};

/// The emulator's credentials (its defaults) and their Basic-auth form.
const CONSUMER_KEY: &str = "ck_test";
const CONSUMER_SECRET: &str = "cs_test";
const EMULATOR_BASIC_AUTH: &str = "Basic Y2tfdGVzdDpjc190ZXN0"; // base64("ck_test:cs_test")

/// How much seeded data the emulator holds.
struct Dataset {
    orders: u64,
    customers: u64,
    products: u64,
}

const DEMO_DATA: Dataset = Dataset {
    orders: 20_000,
    customers: 2_000,
    products: 500,
};

/// How the demo ends.
pub enum Mode {
    /// Keep running until Ctrl-C.
    Interactive,
    /// Run the example requests, then stop.
    Smoke,
    /// Smoke, then schemathesis (this executable) against both APIs.
    Fuzz(PathBuf),
}

/// Where and how this demo runs.
struct Setup {
    smoke: bool,
    data_dir: PathBuf,
    emulator_port: u16,
    dashboard_port: u16,
    junction_port: u16,
    dataset: Dataset,
    sync_timeout: Duration,
}

impl Setup {
    fn new(root: &Path, smoke: bool) -> Result<Self> {
        if smoke {
            let data_dir =
                std::env::temp_dir().join(format!("junction-smoke-{}", std::process::id()));
            if data_dir.exists() {
                std::fs::remove_dir_all(&data_dir)
                    .with_context(|| format!("cannot clear {}", data_dir.display()))?;
            }
            return Ok(Self {
                smoke,
                data_dir,
                emulator_port: free_port()?,
                dashboard_port: free_port()?,
                junction_port: free_port()?,
                dataset: DEMO_DATA,
                sync_timeout: Duration::from_secs(15 * 60),
            });
        }
        for (port, what) in [
            (8090, "emulator"),
            (8092, "dashboard emulator"),
            (8080, "junction"),
        ] {
            if TcpListener::bind(("127.0.0.1", port)).is_err() {
                bail!(
                    "127.0.0.1:{port} (for the {what}) is in use: is a demo already running? \
                     Stop it first (`cargo xtask run --smoke` uses free ports instead)"
                );
            }
        }
        Ok(Self {
            smoke,
            data_dir: root.join("data"),
            emulator_port: 8090,
            dashboard_port: 8092,
            junction_port: 8080,
            dataset: DEMO_DATA,
            sync_timeout: Duration::from_secs(30 * 60),
        })
    }

    fn emulator_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.emulator_port)
    }

    fn dashboard_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.dashboard_port)
    }

    fn junction_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.junction_port)
    }
}

/// A port nothing listens on right now.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The demo admin token in `<data>/demo-admin.token`, generated (0600) the first time.
fn demo_admin_token(data_dir: &Path) -> Result<String> {
    let path = data_dir.join("demo-admin.token");
    if let Ok(token) = std::fs::read_to_string(&path)
        && !token.trim().is_empty()
    {
        return Ok(token.trim().to_string());
    }
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let token = random
        .iter()
        .fold(String::from("jct_admin_demo_"), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
    write_private(&path, &token)?;
    Ok(token)
}

/// Run the demo with the built binaries in `bin` and the connector component `wasm`.
pub fn run(root: &Path, bin: &Path, wasm: &Path, mode: Mode) -> Result<()> {
    let setup = Setup::new(root, !matches!(mode, Mode::Interactive))?;
    let stop = StopFlag::install()?;
    let mut children = Children::default();
    let outcome = run_with(&setup, bin, wasm, &mode, &mut children, &stop);
    children.stop_all();
    match outcome {
        Ok(()) => {
            if setup.smoke {
                let _ = std::fs::remove_dir_all(&setup.data_dir);
                println!("smoke: OK — both processes stopped");
            } else {
                println!("demo stopped (emulator and junction shut down)");
            }
            Ok(())
        }
        Err(_) if stop.raised() && !setup.smoke => {
            println!("interrupted; demo stopped (emulator and junction shut down)");
            Ok(())
        }
        Err(e) => {
            let logs = setup.data_dir.join("logs");
            Err(e.context(format!(
                "the demo failed; both processes are stopped; logs in {}",
                logs.display()
            )))
        }
    }
}

fn run_with(
    setup: &Setup,
    bin: &Path,
    wasm: &Path,
    mode: &Mode,
    children: &mut Children,
    stop: &StopFlag,
) -> Result<()> {
    let data = &setup.data_dir;
    let plugins = data.join("plugins");
    let logs = data.join("logs");
    std::fs::create_dir_all(&plugins)?;
    std::fs::create_dir_all(&logs)?;
    crate::copy_if_changed(wasm, &plugins.join("woocommerce.wasm"))?;
    crate::copy_if_changed(
        &wasm.with_file_name("bugalou.wasm"),
        &plugins.join("bugalou.wasm"),
    )?;
    let http = Http::new();

    // 1. The emulator, seeded.
    let d = &setup.dataset;
    let emulator_log = logs.join("emulator.log");
    children.spawn(
        "WooCommerce emulator",
        Command::new(bin.join("junction-emulator"))
            .arg("woocommerce")
            .args(["--listen", &format!("127.0.0.1:{}", setup.emulator_port)])
            .args(["--orders", &d.orders.to_string()])
            .args(["--customers", &d.customers.to_string()])
            .args(["--products", &d.products.to_string()])
            .args(["--consumer-key", CONSUMER_KEY])
            .args(["--consumer-secret", CONSUMER_SECRET]),
        &emulator_log,
    )?;
    println!(
        "starting the WooCommerce emulator on {} ({} orders, {} customers, {} products)…",
        setup.emulator_url(),
        d.orders,
        d.customers,
        d.products
    );
    http.wait_ok(
        "WooCommerce emulator",
        &format!("{}/wp-json/wc/v3/orders?per_page=1", setup.emulator_url()),
        &[("Authorization", EMULATOR_BASIC_AUTH)],
        Duration::from_secs(120),
        children,
        stop,
    )?;

    // An order dashboard (the Bugalou emulator) that an automation feeds.
    children.spawn(
        "Bugalou emulator",
        Command::new(bin.join("junction-emulator"))
            .arg("bugalou")
            .args(["--listen", &format!("127.0.0.1:{}", setup.dashboard_port)]),
        &logs.join("dashboard.log"),
    )?;

    // 2. junction serve with the demo admin token.
    let token = demo_admin_token(data)?;
    let junction_log = logs.join("junction.log");
    children.spawn(
        "junction server",
        Command::new(bin.join("junction"))
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{}", setup.junction_port)])
            .arg("--data-dir")
            .arg(data)
            .arg("--allow-private-networks")
            .env("JUNCTION_ADMIN_TOKEN", &token)
            .env("NO_COLOR", "1"),
        &junction_log,
    )?;
    println!("starting junction on {}…", setup.junction_url());
    http.wait_ok(
        "junction server",
        &format!("{}/readyz", setup.junction_url()),
        &[],
        Duration::from_secs(180),
        children,
        stop,
    )?;

    // 3. Tenant, connection and API key, reused when they exist.
    let admin = Admin {
        http: &http,
        base: setup.junction_url(),
        token: token.clone(),
    };
    let config = json!({
        "base_url": setup.emulator_url(),
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
    });
    let p = admin.provision(
        "demo",
        "woocommerce",
        "woocommerce-demo",
        &config,
        &data.join("demo-api-key"),
    )?;
    println!(
        "tenant demo, connection woocommerce-demo ({}), API key {}",
        p.connection_id,
        if p.new_key {
            "created"
        } else {
            "reused from demo-api-key"
        }
    );

    // 4. The first sync.
    println!("first sync:");
    let tracked = [
        Tracked {
            resource: "orders",
            total: Some(d.orders),
            required: true,
        },
        Tracked {
            resource: "customers",
            total: Some(d.customers),
            required: true,
        },
        Tracked {
            resource: "products",
            total: Some(d.products),
            required: true,
        },
        Tracked {
            resource: "variations",
            total: None,
            required: false,
        },
    ];
    let took = follow_sync(
        &admin,
        &p.connection_id,
        &tracked,
        setup.sync_timeout,
        children,
        stop,
    )?;
    println!("synced in {:.1} s", took.as_secs_f64());

    // 5. An automation: the shop's orders into the order dashboard, at once on changes.
    let dashboard = admin.ensure_connection(
        "demo",
        "bugalou",
        "dashboard-demo",
        &json!({"api_key": "bg_live_test_key", "platform": "woocommerce", "base_url": setup.dashboard_url()}),
    )?;
    let automation = admin.ensure_automation(
        "demo",
        "shop orders to dashboard",
        json!({"sourceConnectionId": p.connection_id, "targetConnectionId": dashboard,
            "cadenceSeconds": 300, "onChange": true,
            "entities": {"orders": {"direction": "source_to_target"}}}),
    )?;
    println!(
        "automation \"shop orders to dashboard\" ({automation}): woocommerce-demo → dashboard-demo (Bugalou emulator on {})",
        setup.dashboard_url()
    );

    // 6. What to try, with a real order id.
    let mut examples = examples(&http, setup, &p.api_key, &p.connection_id)?;
    examples.push(Example {
        title: "The automation's runs (admin API): orders read, written, skipped",
        method: "GET",
        path: format!("/api/v1/admin/automations/{automation}/runs?limit=3"),
        body: None,
        auth: Auth::Admin,
    });
    let portal_password_file = setup.data_dir.join("demo-portal-password");
    admin.ensure_user("demo", DEMO_USER, &portal_password_file)?;
    print_ready(setup, &p.api_key, &p.connection_id, &examples, &logs);

    if setup.smoke {
        smoke(&http, setup, &p.api_key, &token, &examples)?;
        // The automation delivers orders into the dashboard.
        let started = std::time::Instant::now();
        loop {
            let runs = admin
                .get(&format!("/automations/{automation}/runs?limit=5"))?
                .expect("reading the automation's runs", &[200])?;
            let written: i64 = runs["data"]
                .as_array()
                .map(|all| all.iter().filter_map(|r| r["written"].as_i64()).sum())
                .unwrap_or(0);
            if written > 0 {
                println!(
                    "smoke: ok   the automation wrote {written} orders into the dashboard so far"
                );
                break;
            }
            if started.elapsed() > Duration::from_secs(180) {
                bail!("smoke: the automation wrote nothing within 180 s: {runs}");
            }
            stop.sleep(Duration::from_millis(500))?;
        }
        if let Mode::Fuzz(schemathesis) = mode {
            // Reports outlive the temporary data directory.
            let reports = crate::target_dir().join("reports");
            std::fs::create_dir_all(&reports)?;
            crate::api_fuzz::run(
                schemathesis,
                &setup.junction_url(),
                &p.api_key,
                &token,
                &reports,
            )?;
        }
        return Ok(());
    }
    println!("\nthe demo is running; press Ctrl-C to stop both processes");
    loop {
        if stop.raised() {
            return Ok(());
        }
        children.check_alive()?;
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Who a request authenticates as.
enum Auth {
    ApiKey,
    Admin,
}

/// One example request: printed as curl, and run by `--smoke`.
struct Example {
    title: &'static str,
    method: &'static str,
    path: String,
    body: Option<Value>,
    auth: Auth,
}

/// The example requests, using the first order of the first page.
fn examples(http: &Http, setup: &Setup, key: &str, connection: &str) -> Result<Vec<Example>> {
    let page = http
        .send(
            "GET",
            &format!("{}/api/v1/api/orders?pageSize=1", setup.junction_url()),
            &[("X-API-KEY", key)],
            None,
        )?
        .expect("reading the first page of orders", &[200])?;
    let order = &page["data"][0];
    let order_id = order["externalId"]
        .as_str()
        .context("the first page of orders is empty (or has no externalId)")?;
    // The day of the first (oldest) order's modification: a real `updatedSince` value.
    let since = order["modifiedAt"]
        .as_str()
        .and_then(|m| m.get(..10))
        .map(|date| format!("{date}T00:00:00Z"))
        .unwrap_or_else(|| "2024-01-01T00:00:00Z".into());
    let key_get = |title, path: String| Example {
        title,
        method: "GET",
        path,
        body: None,
        auth: Auth::ApiKey,
    };
    Ok(vec![
        key_get("who am I", "/api/v1/api/me".into()),
        key_get("orders, 5 per page", "/api/v1/api/orders?pageSize=5".into()),
        key_get(
            "orders changed since a time",
            format!("/api/v1/api/orders?updatedSince={since}&pageSize=5"),
        ),
        key_get("one order", format!("/api/v1/api/orders/{order_id}")),
        key_get("customers", "/api/v1/api/customers?pageSize=5".into()),
        key_get("products", "/api/v1/api/products?pageSize=5".into()),
        Example {
            title: "write back: set the order's status (forwarded to WooCommerce)",
            method: "POST",
            path: format!("/api/v1/api/orders/{order_id}/status"),
            body: Some(json!({ "status": "completed" })),
            auth: Auth::ApiKey,
        },
        Example {
            title: "admin: the connection and its sync state",
            method: "GET",
            path: format!("/api/v1/admin/connections/{connection}"),
            body: None,
            auth: Auth::Admin,
        },
    ])
}

/// The demo tenant's portal user.
const DEMO_USER: &str = "demo@junction.example";

fn print_ready(setup: &Setup, key: &str, connection: &str, examples: &[Example], logs: &Path) {
    let base = setup.junction_url();
    let token_file = setup.data_dir.join("demo-admin.token");
    println!();
    println!("Junction is ready at {base}");
    println!("  connection  woocommerce-demo ({connection}) of tenant demo");
    println!(
        "  API key     {key}   (saved in {})",
        setup.data_dir.join("demo-api-key").display()
    );
    println!(
        "  portal      {base}/portal   sign in as {DEMO_USER} (password in {}) or as the operator with the admin token",
        setup.data_dir.join("demo-portal-password").display()
    );
    println!("  admin token in {}", token_file.display());
    println!("  logs        {}", logs.display());
    println!();
    println!("export KEY={key}");
    println!("export ADMIN_TOKEN=$(cat {})", token_file.display());
    for e in examples {
        let auth = match e.auth {
            Auth::ApiKey => "-H \"X-API-KEY: $KEY\"",
            Auth::Admin => "-H \"Authorization: Bearer $ADMIN_TOKEN\"",
        };
        let body = match &e.body {
            Some(b) => format!(" -X POST -H 'Content-Type: application/json' -d '{b}'"),
            None => String::new(),
        };
        println!("\n# {}", e.title);
        println!("curl -s {auth}{body} '{base}{}'", e.path);
    }
}

/// Run every example, each must answer 200.
fn smoke(http: &Http, setup: &Setup, key: &str, token: &str, examples: &[Example]) -> Result<()> {
    println!("\nsmoke: running the requests above");
    let bearer = format!("Bearer {token}");
    let mut failures = Vec::new();
    for e in examples {
        let header = match e.auth {
            Auth::ApiKey => ("X-API-KEY", key),
            Auth::Admin => ("Authorization", bearer.as_str()),
        };
        let url = format!("{}{}", setup.junction_url(), e.path);
        let reply = http.send(e.method, &url, &[header], e.body.as_ref())?;
        let ok = reply.status == 200;
        println!(
            "smoke: {} {} {} → {}",
            if ok { "ok  " } else { "FAIL" },
            e.method,
            e.path,
            reply.status
        );
        if !ok {
            failures.push(format!(
                "{} {} → HTTP {} {}",
                e.method, e.path, reply.status, reply.body
            ));
        }
    }
    if !failures.is_empty() {
        bail!(
            "smoke: {} request(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    Ok(())
}
