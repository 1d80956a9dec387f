//! `junction-emulator`: runs an emulator as a standalone server for demos and benchmarks.
//!
//! ```text
//! junction-emulator woocommerce --listen 127.0.0.1:8090 --orders 100000 --customers 5000 \
//!     --products 2000 --seed 42 --consumer-key ck_demo --consumer-secret cs_demo
//! ```
//!
//! `junction-emulator connectif --listen 127.0.0.1:8091 --budget 100 --window-secs 60` and
//! `junction-emulator bugalou --listen 127.0.0.1:8092 --orders 50` start the target
//! emulators; `junction-emulator example --listen 127.0.0.1:8095` the example API the
//! connector templates read; `junction-emulator lightspeed --listen 127.0.0.1:8093 --limit
//! 300/300` a Lightspeed eCom shop. Prints `<system> emulator listening on http://...` once serving, and runs until
//! SIGINT or SIGTERM. Faults are set over HTTP: `POST /__emulator/faults`.
//! `junction-emulator magento --listen 127.0.0.1:8093 --orders 500` serves a Magento store.
//! `junction-emulator shopify --listen 127.0.0.1:8093 --bucket-max 1000 --restore-rate 100` serves a Shopify shop.

use std::net::SocketAddr;

use anyhow::Context;
use clap::{Parser, Subcommand};
use junction_emulators::WooConfig;

#[derive(Debug, Parser)]
#[command(
    name = "junction-emulator",
    version,
    about = "Emulators of external systems for Junction"
)]
struct Cli {
    #[command(subcommand)]
    system: System,
}

#[derive(Debug, Subcommand)]
enum System {
    /// A WooCommerce REST v3 shop.
    Woocommerce(WooArgs),
    /// A Connectif account (contacts, products, purchases) with its request budget.
    Connectif(ConnectifArgs),
    /// A Bugalou dashboard's Orders API.
    Bugalou(BugalouArgs),
    /// The example API the connector templates read (`junction connector new`).
    Example(ExampleArgs),
    /// A Magento 2.4 store's REST API.
    Magento(MagentoArgs),
    /// A Lightspeed eCom shop with its request limits in several windows.
    Lightspeed(LightspeedArgs),
    /// A Shopify shop's GraphQL Admin API (with its cost-based rate limit).
    Shopify(ShopifyArgs),
}

#[derive(Debug, clap::Args)]
struct ExampleArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8095")]
    listen: SocketAddr,
    /// The API key clients must present (`X-API-Key`).
    #[arg(long, default_value = "t-key")]
    api_key: String,
    /// Number of seeded items.
    #[arg(long, default_value_t = 5)]
    items: u64,
}

#[derive(Debug, clap::Args)]
struct MagentoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8093")]
    listen: SocketAddr,
    /// The integration access token clients must present as a bearer token.
    #[arg(long, default_value = "mg_test_token")]
    access_token: String,
    /// Number of seeded orders.
    #[arg(long, default_value_t = 30)]
    orders: usize,
    /// Number of seeded customers.
    #[arg(long, default_value_t = 12)]
    customers: usize,
    /// Number of seeded top-level products.
    #[arg(long, default_value_t = 12)]
    products: usize,
    /// Every Nth product is configurable (2-3 children); 0 = none.
    #[arg(long, default_value_t = 3)]
    configurable_every: usize,
    /// Seed of the generated data and of fault probabilities.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Debug, clap::Args)]
struct LightspeedArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8093")]
    listen: SocketAddr,
    /// The API key (Basic auth user).
    #[arg(long, default_value = "ls_test_key")]
    api_key: String,
    /// The API secret (Basic auth password).
    #[arg(long, default_value = "ls_test_secret")]
    api_secret: String,
    /// The shop language every path starts with.
    #[arg(long, default_value = "nl")]
    language: String,
    /// Number of seeded orders.
    #[arg(long, default_value_t = 30)]
    orders: usize,
    /// Number of seeded customers.
    #[arg(long, default_value_t = 10)]
    customers: usize,
    /// Number of seeded products (every third has three variants).
    #[arg(long, default_value_t = 12)]
    products: usize,
    /// Request limits as REQUESTS/SECONDS, one per window, e.g. `--limit 300/300 --limit
    /// 3000/3600 --limit 12000/86400` (Lightspeed's defaults when none is given).
    #[arg(long = "limit", value_parser = parse_window)]
    limits: Vec<junction_emulators::lightspeed::RateWindow>,
}

fn parse_window(text: &str) -> Result<junction_emulators::lightspeed::RateWindow, String> {
    let (requests, secs) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} is not REQUESTS/SECONDS"))?;
    let requests = requests
        .trim()
        .parse::<u32>()
        .map_err(|e| format!("requests in {text:?}: {e}"))?;
    let secs = secs
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| format!("seconds in {text:?} must be a positive integer"))?;
    Ok(junction_emulators::lightspeed::RateWindow::per_secs(
        requests, secs,
    ))
}

#[derive(Debug, clap::Args)]
struct ShopifyArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8093")]
    listen: SocketAddr,
    /// Number of seeded orders.
    #[arg(long, default_value_t = 200)]
    orders: usize,
    /// Number of seeded customers.
    #[arg(long, default_value_t = 50)]
    customers: usize,
    /// Number of seeded products.
    #[arg(long, default_value_t = 40)]
    products: usize,
    /// Every Nth product has 2-4 variants; 0 = none.
    #[arg(long, default_value_t = 4)]
    variable_every: usize,
    /// Seed of the generated data and of fault probabilities.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The Admin API access token clients must present.
    #[arg(long, default_value = "shpat_test_token")]
    access_token: String,
    /// Cost bucket size in points (Standard plan: 1000).
    #[arg(long, default_value_t = 1000.0)]
    bucket_max: f64,
    /// Points restored per second (Standard plan: 100).
    #[arg(long, default_value_t = 100.0)]
    restore_rate: f64,
}

#[derive(Debug, clap::Args)]
struct ConnectifArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8091")]
    listen: SocketAddr,
    /// The API key clients must present (`Authorization: apiKey <KEY>`).
    #[arg(long, default_value = "cnf_test_key")]
    api_key: String,
    /// Requests allowed per key and window.
    #[arg(long, default_value_t = 100)]
    budget: u32,
    /// The budget window in seconds.
    #[arg(long, default_value_t = 60)]
    window_secs: u64,
    /// How long exports and imports take to finish, in milliseconds.
    #[arg(long, default_value_t = 600)]
    job_delay_ms: u64,
    /// Number of seeded contacts (`contact-N@example.com`).
    #[arg(long, default_value_t = 0)]
    contacts: usize,
}

#[derive(Debug, clap::Args)]
struct BugalouArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8092")]
    listen: SocketAddr,
    /// The API key clients must present (`X-API-Key` or bearer).
    #[arg(long, default_value = "bg_live_test_key")]
    api_key: String,
    /// Number of seeded orders.
    #[arg(long, default_value_t = 0)]
    orders: usize,
}

#[derive(Debug, clap::Args)]
struct WooArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Number of seeded orders.
    #[arg(long, default_value_t = 200)]
    orders: usize,
    /// Number of seeded customers.
    #[arg(long, default_value_t = 50)]
    customers: usize,
    /// Number of seeded products.
    #[arg(long, default_value_t = 40)]
    products: usize,
    /// Every Nth product is variable (2-4 variations); 0 = none.
    #[arg(long, default_value_t = 4)]
    variable_every: usize,
    /// Seed of the generated data and of fault probabilities.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Consumer key clients must present.
    #[arg(long, default_value = "ck_test")]
    consumer_key: String,
    /// Consumer secret clients must present.
    #[arg(long, default_value = "cs_test")]
    consumer_secret: String,
}

/// SIGINT and SIGTERM, listened for from the start: a handler installed only after the
/// "listening on" line left a window where a prompt SIGTERM killed the process outright.
struct StopSignals {
    term: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }

    async fn stopped(mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let signals = StopSignals::install()?;
    match cli.system {
        System::Woocommerce(args) => {
            let config = WooConfig {
                orders: args.orders,
                customers: args.customers,
                products: args.products,
                variable_every: args.variable_every,
                seed: args.seed,
                consumer_key: args.consumer_key,
                consumer_secret: args.consumer_secret,
            };
            let shop = junction_emulators::start(config, args.listen).await?;
            println!("woocommerce emulator listening on {}", shop.base_url());
            signals.stopped().await;
            shop.shutdown().await;
        }
        System::Connectif(args) => {
            let config = junction_emulators::connectif::ConnectifConfig {
                api_key: args.api_key,
                budget: junction_emulators::connectif::BudgetConfig {
                    requests: args.budget,
                    window: std::time::Duration::from_secs(args.window_secs),
                },
                job_delay: std::time::Duration::from_millis(args.job_delay_ms),
                ..Default::default()
            };
            let emu = junction_emulators::connectif::start(config, args.listen).await?;
            emu.store().seed_contacts(args.contacts);
            println!("connectif emulator listening on {}", emu.base_url());
            signals.stopped().await;
            emu.shutdown().await;
        }
        System::Bugalou(args) => {
            let config = junction_emulators::bugalou::BugalouConfig {
                api_key: args.api_key,
                seed_orders: args.orders,
                ..Default::default()
            };
            let emu = junction_emulators::bugalou::start(config, args.listen).await?;
            println!("bugalou emulator listening on {}", emu.base_url());
            signals.stopped().await;
            emu.shutdown().await;
        }
        System::Example(args) => {
            let config = junction_emulators::example::ExampleConfig {
                api_key: args.api_key,
                items: args.items,
            };
            let api = junction_emulators::example::start(config, args.listen).await?;
            println!("example API listening on {}", api.base_url());
            signals.stopped().await;
        }
        System::Magento(args) => {
            let config = junction_emulators::magento::MagentoConfig {
                access_token: args.access_token,
                orders: args.orders,
                customers: args.customers,
                products: args.products,
                configurable_every: args.configurable_every,
                seed: args.seed,
            };
            let emu = junction_emulators::magento::start(config, args.listen).await?;
            println!("magento emulator listening on {}", emu.base_url());
            signals.stopped().await;
            emu.shutdown().await;
        }
        System::Lightspeed(args) => {
            let defaults = junction_emulators::lightspeed::LightspeedConfig::default();
            let config = junction_emulators::lightspeed::LightspeedConfig {
                api_key: args.api_key,
                api_secret: args.api_secret,
                language: args.language,
                orders: args.orders,
                customers: args.customers,
                products: args.products,
                limits: if args.limits.is_empty() {
                    defaults.limits.clone()
                } else {
                    args.limits
                },
                ..defaults
            };
            let emu = junction_emulators::lightspeed::start(config, args.listen).await?;
            println!("lightspeed emulator listening on {}", emu.base_url());
            signals.stopped().await;
            emu.shutdown().await;
        }
        System::Shopify(args) => {
            use junction_emulators::shopify::{BucketConfig, ShopifyConfig};
            let config = ShopifyConfig {
                orders: args.orders,
                customers: args.customers,
                products: args.products,
                variable_every: args.variable_every,
                seed: args.seed,
                access_token: args.access_token,
                bucket: BucketConfig {
                    maximum: args.bucket_max,
                    restore_rate: args.restore_rate,
                },
                ..ShopifyConfig::default()
            };
            let emu = junction_emulators::shopify::start(config, args.listen).await?;
            println!("shopify emulator listening on {}", emu.base_url());
            signals.stopped().await;
            emu.shutdown().await;
        }
    }
    Ok(())
}
