//! Scale-out benchmark (issue 7): prints figures, asserts nothing. Both parts run the real
//! release binary (`target/release/junction serve`) against PostgreSQL.
//!
//! 1. Idle host: 10,000 WooCommerce connections (the second argument changes the number),
//!    created through `Hub::create_connection` (what the admin API calls), each with its
//!    four resources enabled on cadences of 1 h to 1 day and next runs at least 15 minutes
//!    ahead — scheduled, nothing due. One host serves that database; after 10 s to settle,
//!    its CPU (`/proc/<pid>/stat`) and memory (`/proc/<pid>/status`) are sampled for 60 s
//!    (the first argument changes the window), beside the same host on an empty database.
//!    Also the runs started in the window (should be 0) and the transactions/s the host
//!    issues (`pg_stat_database.xact_commit`; PostgreSQL flushes these counters about once a
//!    second per busy backend and after 10 s idle, so short windows are rough).
//! 2. Runtime API throughput: one connection with 5,000 orders (a real sync from the
//!    emulator), an API key, and 16 clients reading random pages of 50 orders for 15 s (the
//!    third argument changes it) from one host, then from two hosts on the same database
//!    with the clients spread round-robin: requests/s, p50, p99, errors, and the ratio.
//!
//! Each run creates its databases (`j_bench_<random>_*`) on the server
//! `JUNCTION_TEST_POSTGRES_URL` names and drops them at the end; child processes are killed
//! on every exit path. Run with `cargo xtask bench scaleout [idle-secs [connections
//! [load-secs]]]`, which builds the release binary and finds or starts PostgreSQL as
//! `cargo xtask test` does.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use junction::hub::Hub;
use junction::runtime::types::ResourceKind;
use junction::runtime::{Registry, Runtime, SandboxLimits};
use junction::secrets::Vault;
use junction::store::{Store, now_ms};
use junction::sync::autosync::{SyncSettings, run_job};
use junction_emulators::{WooConfig, WooEmulator};
use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::postgres::{PgPool, PgPoolOptions};

/// Shared by the seeding process and every host, as on a real multi-host deployment.
const SECRET_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const SETTLE: Duration = Duration::from_secs(10);
const ORDERS: usize = 5_000;
const CLIENTS: usize = 16;
const API_PAGE_SIZE: usize = 50;
/// Connections created at once while seeding (the store's pool has 16 connections).
const SEED_IN_FLIGHT: usize = 32;

/// A `junction serve` child process, killed when dropped (also on every error path).
struct Host {
    name: String,
    child: Child,
    base: String,
    log: PathBuf,
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Host {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An error if the process has exited, with the end of its log.
    fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
            bail!(
                "host {} exited ({status}); last lines of {} (newest first):\n{tail}",
                self.name,
                self.log.display()
            );
        }
        Ok(())
    }
}

/// Where the benchmark works: the binary, the components, a temporary directory.
struct Bench {
    binary: PathBuf,
    plugins: PathBuf,
    work: tempfile::TempDir,
    http: reqwest::Client,
    clk_tck: f64,
}

#[tokio::main]
async fn main() -> Result<()> {
    let arg = |n: usize, default: u64| -> Result<u64> {
        std::env::args().nth(n).map_or(Ok(default), |v| {
            v.parse().map_err(|_| {
                anyhow!("usage: scaleout_bench [idle-secs [connections [load-secs]]], got `{v}`")
            })
        })
    };
    let window = Duration::from_secs(arg(1, 60)?);
    let connections = usize::try_from(arg(2, 10_000)?)?;
    let load_secs = Duration::from_secs(arg(3, 15)?);
    let server = std::env::var("JUNCTION_TEST_POSTGRES_URL").map_err(|_| {
        anyhow!(
            "JUNCTION_TEST_POSTGRES_URL is not set: run `cargo xtask bench scaleout`, which finds \
             or starts PostgreSQL, or set it to a server URL (e.g. postgres://postgres@127.0.0.1:5432/test)"
        )
    })?;
    let bench = Bench::new()?;
    let prefix = format!("j_bench_{}", uuid::Uuid::now_v7().simple());
    let names = [format!("{prefix}_empty"), format!("{prefix}_conns")];
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .with_context(|| format!("cannot connect to JUNCTION_TEST_POSTGRES_URL={server}"))?;
    let mut created = Ok(());
    for name in &names {
        if created.is_ok() {
            created = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut admin)
                .await
                .map(|_| ())
                .with_context(|| format!("cannot create database {name}"));
        }
    }
    let outcome = match created {
        Ok(()) => run(&bench, &server, &names, window, connections, load_secs).await,
        Err(e) => Err(e),
    };
    // Hosts are gone by now (their guards dropped in `run`); FORCE ends any straggler.
    for name in &names {
        let dropped = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await;
        if let Err(e) = dropped {
            eprintln!("scaleout_bench: cannot drop database {name}: {e}");
        }
    }
    outcome
}

async fn run(
    bench: &Bench,
    server: &str,
    names: &[String; 2],
    window: Duration,
    connections: usize,
    load_secs: Duration,
) -> Result<()> {
    let urls = names.clone().map(|name| with_database(server, &name));
    let shop_config = WooConfig {
        orders: ORDERS,
        customers: 10,
        products: 10,
        ..WooConfig::default()
    };
    let shop = junction_emulators::start(shop_config.clone(), "127.0.0.1:0".parse()?).await?;
    println!(
        "scale-out benchmark on PostgreSQL, {} cores available",
        cores()
    );

    println!("\n== idle host: {connections} connections x 4 resources scheduled ==");
    // Seeding first: the baseline host and the loaded one are measured back to back.
    let hub = bench.hub(&urls[1]).await?;
    let started = Instant::now();
    seed_connections(&hub, &shop, &shop_config, connections).await?;
    let created = started.elapsed();
    let db = pg_pool(&urls[1]).await?;
    let started = Instant::now();
    schedule_ahead(&db).await?;
    println!(
        "seeded {connections} connections through Hub::create_connection in {:.1} s \
         ({:.0}/s), schedules moved ahead in {:.2} s",
        created.as_secs_f64(),
        connections as f64 / created.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    drop(hub);

    let empty_db = pg_pool(&urls[0]).await?;
    let mut host = bench.spawn("idle-empty", &urls[0])?;
    bench.wait_ready(&mut host).await?;
    let empty = bench
        .measure_idle(&mut host, &empty_db, &names[0], window)
        .await?;
    drop(host);
    let mut host = bench.spawn("idle-conns", &urls[1])?;
    bench.wait_ready(&mut host).await?;
    let loaded = bench
        .measure_idle(&mut host, &db, &names[1], window)
        .await?;
    drop(host);
    db.close().await;
    print_idle([&empty, &loaded], connections, window);

    println!(
        "\n== Runtime API: GET /api/v1/api/orders?page=K&pageSize={API_PAGE_SIZE} from {ORDERS} \
         orders, {CLIENTS} clients, {} s ==",
        load_secs.as_secs()
    );
    let key = seed_api_connection(bench, &urls[0], &shop, &shop_config).await?;
    let pages = ORDERS.div_ceil(API_PAGE_SIZE);
    let mut first = bench.spawn("api-1", &urls[0])?;
    bench.wait_ready(&mut first).await?;
    let one = bench
        .load(&mut [&mut first], &key, pages, load_secs)
        .await?;
    report("one host", &one);
    let mut second = bench.spawn("api-2", &urls[0])?;
    bench.wait_ready(&mut second).await?;
    let two = bench
        .load(&mut [&mut first, &mut second], &key, pages, load_secs)
        .await?;
    report("two hosts", &two);
    println!(
        "ratio two hosts / one host: {:.2} (requests/s)",
        two.rate() / one.rate()
    );
    println!(
        "note: {} cores on this machine; the hosts, this load generator and PostgreSQL share \
         them, so a second host adds processes, not cores",
        cores()
    );
    empty_db.close().await;
    drop((first, second, shop));
    Ok(())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

impl Bench {
    fn new() -> Result<Self> {
        // The benchmark runs from target/release/ (target/debug/ in CI's smoke run); the
        // server binary is the one beside it.
        let exe = std::env::current_exe()?;
        let profile_dir = exe
            .parent()
            .ok_or_else(|| anyhow!("cannot place {}", exe.display()))?;
        let binary = profile_dir.join("junction");
        if !binary.exists() {
            bail!(
                "{} is missing: build it with `cargo build --release -p junction --bin junction` \
                 (`cargo xtask bench scaleout` does)",
                binary.display()
            );
        }
        let components = std::env::var_os("JUNCTION_COMPONENTS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
        let wasm = components.join("plugins/woocommerce.wasm");
        let work = tempfile::tempdir()?;
        let plugins = work.path().join("plugins");
        std::fs::create_dir_all(&plugins)?;
        std::fs::copy(&wasm, plugins.join("woocommerce.wasm")).with_context(|| {
            format!(
                "cannot copy {}: run `cargo xtask plugins` first",
                wasm.display()
            )
        })?;
        Ok(Self {
            binary,
            plugins,
            work,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(CLIENTS)
                .timeout(Duration::from_secs(30))
                .build()?,
            clk_tck: clock_ticks(),
        })
    }

    /// A hub on `url` in this process, with the WooCommerce component loaded.
    async fn hub(&self, url: &str) -> Result<Hub> {
        let limits = SandboxLimits {
            allow_private_networks: true,
            ..SandboxLimits::default()
        };
        let runtime = Runtime::new(limits, Some(self.work.path().join("cache")))?;
        let registry = Registry::open(runtime, self.plugins.clone()).await?;
        Ok(Hub::new(
            Store::open(url).await?,
            registry,
            Vault::from_base64(SECRET_KEY)?,
        ))
    }

    /// `junction serve` on a free port with its own data directory, on database `url`.
    fn spawn(&self, name: &str, url: &str) -> Result<Host> {
        let data_dir = self.work.path().join(name);
        std::fs::create_dir_all(&data_dir)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = self.work.path().join(format!("{name}.log"));
        let out = std::fs::File::create(&log)?;
        let child = Command::new(&self.binary)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--plugins-dir")
            .arg(&self.plugins)
            .args(["--database-url", url, "--allow-private-networks"])
            .env("JUNCTION_LOG", "warn")
            .env("JUNCTION_SECRET_KEY", SECRET_KEY)
            .env("JUNCTION_ADMIN_TOKEN", "scaleout-bench-admin-token")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("cannot start {}", self.binary.display()))?;
        Ok(Host {
            name: name.to_string(),
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        })
    }

    async fn wait_ready(&self, host: &mut Host) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            host.check_alive()?;
            let ready = self.http.get(format!("{}/readyz", host.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "host {} not ready after 180 s (log: {})",
                    host.name,
                    host.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Settle, then sample the host's CPU and memory once a second over `window`.
    async fn measure_idle(
        &self,
        host: &mut Host,
        db: &PgPool,
        db_name: &str,
        window: Duration,
    ) -> Result<Idle> {
        let runs_at_start: i64 = count(db, "SELECT COUNT(*) FROM runs").await?;
        tokio::time::sleep(SETTLE).await;
        host.check_alive()?;
        let pid = host.pid();
        let runs_before = count(db, "SELECT COUNT(*) FROM runs").await?;
        let xacts_before = xact_commit(db, db_name).await?;
        let ticks_before = cpu_ticks(pid)?;
        let (rss_start, _) = memory_kib(pid)?;
        let started = Instant::now();
        let mut rss_max = rss_start;
        while started.elapsed() < window {
            tokio::time::sleep(Duration::from_secs(1).min(window)).await;
            host.check_alive()?;
            rss_max = rss_max.max(memory_kib(pid)?.0);
        }
        let ticks = cpu_ticks(pid)? - ticks_before;
        let elapsed = started.elapsed().as_secs_f64();
        let (rss_end, hwm) = memory_kib(pid)?;
        let xacts = xact_commit(db, db_name).await? - xacts_before;
        let runs_after = count(db, "SELECT COUNT(*) FROM runs").await?;
        let (jobs, earliest): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MIN(next_run_ms) FROM sync_state WHERE enabled = 1")
                .fetch_one(db)
                .await?;
        Ok(Idle {
            cpu_pct: ticks as f64 / self.clk_tck / elapsed * 100.0,
            rss_start,
            rss_end,
            rss_max,
            hwm,
            jobs,
            earliest_min: earliest.map(|ms| (ms - now_ms()) as f64 / 60_000.0),
            runs_window: runs_after - runs_before,
            runs_total: runs_after - runs_at_start,
            // Two of the commits are this benchmark's own counter reads.
            xacts_per_s: (xacts - 2).max(0) as f64 / elapsed,
        })
    }

    /// `CLIENTS` clients reading random pages for `duration`, spread round-robin over
    /// `hosts`; every answer must be a 200 (others are counted and the first few kept).
    async fn load(
        &self,
        hosts: &mut [&mut Host],
        key: &str,
        pages: usize,
        duration: Duration,
    ) -> Result<Load> {
        let bases: Vec<String> = hosts.iter().map(|h| h.base.clone()).collect();
        let url = move |base: &str, n: usize| {
            // A fixed pseudo-random spread over all pages (Knuth's multiplicative hash).
            let page = (n.wrapping_mul(2_654_435_761) % pages) + 1;
            format!("{base}/api/v1/api/orders?page={page}&pageSize={API_PAGE_SIZE}")
        };
        // Warm up every host's connection pool and caches.
        for base in &bases {
            for n in 0..50 {
                let r = self
                    .http
                    .get(url(base, n))
                    .header("X-API-KEY", key)
                    .send()
                    .await?;
                if r.status() != 200 {
                    bail!(
                        "warm-up on {base}: HTTP {}: {}",
                        r.status(),
                        r.text().await?
                    );
                }
            }
        }
        let ticks_before: Vec<u64> = hosts
            .iter()
            .map(|h| cpu_ticks(h.pid()))
            .collect::<Result<_>>()?;
        let counter = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for client in 0..CLIENTS {
            let (http, key, counter, stop) = (
                self.http.clone(),
                key.to_string(),
                counter.clone(),
                stop.clone(),
            );
            let base = bases[client % bases.len()].clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = Vec::new();
                let mut failed = 0;
                while !stop.load(Ordering::Relaxed) {
                    let target = url(&base, counter.fetch_add(1, Ordering::Relaxed));
                    let t = Instant::now();
                    let outcome = match http.get(&target).header("X-API-KEY", &key).send().await {
                        Ok(r) if r.status() == 200 => {
                            r.bytes().await.map(|_| ()).map_err(|e| e.to_string())
                        }
                        Ok(r) => Err(format!(
                            "HTTP {}: {}",
                            r.status(),
                            r.text().await.unwrap_or_default()
                        )),
                        Err(e) => Err(e.to_string()),
                    };
                    match outcome {
                        Ok(()) => latencies.push(t.elapsed()),
                        Err(e) => {
                            failed += 1;
                            if errors.len() < 5 {
                                errors.push(format!("{target}: {e}"));
                            }
                        }
                    }
                }
                (latencies, failed, errors)
            }));
        }
        tokio::time::sleep(duration).await;
        stop.store(true, Ordering::Relaxed);
        let mut figures = Load::default();
        for task in tasks {
            let (latencies, failed, errors) = task.await?;
            figures.latencies.extend(latencies);
            figures.failed += failed;
            figures.errors.extend(errors);
        }
        figures.elapsed = started.elapsed();
        for (host, before) in hosts.iter_mut().zip(ticks_before) {
            host.check_alive()?;
            let ticks = cpu_ticks(host.pid())? - before;
            figures
                .host_cpu
                .push(ticks as f64 / self.clk_tck / figures.elapsed.as_secs_f64() * 100.0);
        }
        figures.latencies.sort();
        Ok(figures)
    }
}

/// Create `n` connections the way the admin API does, `SEED_IN_FLIGHT` at a time.
async fn seed_connections(
    hub: &Hub,
    shop: &WooEmulator,
    shop_config: &WooConfig,
    n: usize,
) -> Result<()> {
    let tenant = hub.store.create_tenant("bench").await?;
    let config = Arc::new(woo_config(shop, shop_config));
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        if set.len() >= SEED_IN_FLIGHT {
            set.join_next().await.transpose()?.transpose()?;
        }
        let (hub, tenant, config) = (hub.clone(), tenant.id.clone(), config.clone());
        set.spawn(async move {
            hub.create_connection(&tenant, "woocommerce", &format!("shop {i}"), &config)
                .await
                .map(|_| ())
        });
        if (i + 1) % 2_000 == 0 {
            eprintln!("scaleout_bench: {} connections created", i + 1);
        }
    }
    while let Some(done) = set.join_next().await {
        done??;
    }
    Ok(())
}

/// Give every resource a cadence of 1 h to 1 day and its next run 25-100 % of a cadence
/// ahead: scheduled, and nothing due during the measurement (the earliest is 15 min out).
async fn schedule_ahead(db: &PgPool) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE sync_state SET enabled = 1, cadence_secs = CASE resource \
         WHEN 'orders' THEN 3600 WHEN 'customers' THEN 21600 WHEN 'products' THEN 43200 \
         ELSE 86400 END",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE sync_state SET next_run_ms = $1 + (cadence_secs * 1000 * (0.25 + 0.75 * random()))::bigint",
    )
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One connection synced from the emulator (all its orders), its schedules a day ahead so
/// the hosts do not sync during the load, and an API key for it.
async fn seed_api_connection(
    bench: &Bench,
    url: &str,
    shop: &WooEmulator,
    shop_config: &WooConfig,
) -> Result<String> {
    let hub = bench.hub(url).await?;
    let tenant = hub.store.create_tenant("api").await?;
    let connection = hub
        .create_connection(
            &tenant.id,
            "woocommerce",
            "api",
            &woo_config(shop, shop_config),
        )
        .await?;
    hub.store
        .claim_job(&connection.id, "orders", "bench", 3_600_000)
        .await?;
    let started = Instant::now();
    let settings = SyncSettings {
        page_size: 100,
        ..SyncSettings::default()
    };
    let outcome = run_job(
        &hub,
        &settings,
        &connection.id,
        ResourceKind::Orders,
        "manual",
        "bench",
        &AtomicBool::new(false),
    )
    .await?;
    if outcome.records != ORDERS as u64 {
        bail!(
            "the sync stored {} orders, expected {ORDERS}: {outcome:?}",
            outcome.records
        );
    }
    println!(
        "synced {} orders through the WooCommerce component in {:.1} s",
        outcome.records,
        started.elapsed().as_secs_f64()
    );
    for resource in ResourceKind::ALL {
        hub.store
            .defer_job(&connection.id, resource, now_ms() + 86_400_000)
            .await?;
    }
    let (key, prefix, hash) = junction::domain::accounts::api_keys::generate()
        .map_err(|e| anyhow!("cannot generate an API key: {e:?}"))?;
    hub.store
        .create_api_key(&connection.id, "bench", &prefix, &hash)
        .await?;
    Ok(key)
}

fn woo_config(shop: &WooEmulator, shop_config: &WooConfig) -> Value {
    json!({
        "base_url": shop.base_url(),
        "consumer_key": shop_config.consumer_key,
        "consumer_secret": shop_config.consumer_secret,
    })
}

struct Idle {
    cpu_pct: f64,
    rss_start: u64,
    rss_end: u64,
    rss_max: u64,
    hwm: u64,
    jobs: i64,
    earliest_min: Option<f64>,
    runs_window: i64,
    runs_total: i64,
    xacts_per_s: f64,
}

fn print_idle(idle: [&Idle; 2], connections: usize, window: Duration) {
    fn mib(kib: u64) -> String {
        format!("{:.1} MiB", kib as f64 / 1024.0)
    }
    type Cell = fn(&Idle) -> String;
    let rows: [(&str, Cell); 10] = [
        ("CPU (% of one core, window average)", |i| {
            format!("{:.2} %", i.cpu_pct)
        }),
        ("RSS at window start", |i| mib(i.rss_start)),
        ("RSS at window end", |i| mib(i.rss_end)),
        ("RSS peak in window (1 s samples)", |i| mib(i.rss_max)),
        ("peak RSS since start (VmHWM)", |i| mib(i.hwm)),
        ("scheduled jobs (enabled sync_state rows)", |i| {
            i.jobs.to_string()
        }),
        ("earliest next run", |i| {
            i.earliest_min
                .map_or("-".into(), |m| format!("in {m:.0} min"))
        }),
        ("runs started in the window", |i| i.runs_window.to_string()),
        ("runs started since the host was ready", |i| {
            i.runs_total.to_string()
        }),
        ("database transactions/s (xact_commit)", |i| {
            format!("{:.1}", i.xacts_per_s)
        }),
    ];
    let header = format!(
        "idle {} s, after {} s to settle",
        window.as_secs(),
        SETTLE.as_secs()
    );
    let loaded = format!("{connections} conns");
    println!("{header:<40} {:>16} {loaded:>16}", "0 connections");
    for (name, cell) in rows {
        println!("{name:<40} {:>16} {:>16}", cell(idle[0]), cell(idle[1]));
    }
}

#[derive(Default)]
struct Load {
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// Failed requests, and the first few failures' messages.
    failed: usize,
    errors: Vec<String>,
    host_cpu: Vec<f64>,
}

impl Load {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

fn report(name: &str, load: &Load) {
    let n = load.latencies.len();
    let ms = |d: Option<&Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1e3);
    let cpu: Vec<String> = load.host_cpu.iter().map(|c| format!("{c:.0} %")).collect();
    println!(
        "{name:<10} {:>7.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  {n} ok, {} errors  (host CPU {})",
        load.rate(),
        ms(load.latencies.get(n / 2)),
        ms(load.latencies.get((n * 99 / 100).min(n.saturating_sub(1)))),
        load.failed,
        cpu.join(" + ")
    );
    for error in load.errors.iter().take(5) {
        println!("  error: {error}");
    }
}

async fn pg_pool(url: &str) -> Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .with_context(|| format!("cannot connect to {url}"))
}

async fn count(db: &PgPool, sql: &'static str) -> Result<i64> {
    Ok(sqlx::query_scalar(sql).fetch_one(db).await?)
}

async fn xact_commit(db: &PgPool, name: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT xact_commit FROM pg_stat_database WHERE datname = $1")
            .bind(name)
            .fetch_one(db)
            .await?,
    )
}

/// `url` with its database (the path) replaced by `name`, the query string kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let server = base[authority..]
        .find('/')
        .map_or(base, |slash| &base[..authority + slash]);
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// Clock ticks per second for `/proc/<pid>/stat` (`getconf CLK_TCK`; Linux uses 100).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces; the fields after it start with the state (field 3),
    // so utime (field 14) and stime (field 15) are the 12th and 13th.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| anyhow!("unexpected /proc/{pid}/stat"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| -> Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| anyhow!("unexpected /proc/{pid}/stat"))
    };
    Ok(field(11)? + field(12)?)
}

/// (VmRSS, VmHWM) of `pid` in KiB.
fn memory_kib(pid: u32) -> Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let value = |key: &str| -> Result<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow!("no {key} in /proc/{pid}/status"))
    };
    Ok((value("VmRSS:")?, value("VmHWM:")?))
}
