//! `junction-emulator`: runs an emulator as a standalone server for demos and benchmarks.
//!
//! ```text
//! junction-emulator woocommerce --listen 127.0.0.1:8090 --orders 100000 --customers 5000 \
//!     --products 2000 --seed 42 --consumer-key ck_demo --consumer-secret cs_demo
//! ```
//!
//! `junction-emulator connectif --listen 127.0.0.1:8091 --budget 100 --window-secs 60` and
//! `junction-emulator bugalou --listen 127.0.0.1:8092 --orders 50` start the target
//! emulators. Prints `<system> emulator listening on http://...` once serving, and runs until
//! SIGINT or SIGTERM. Faults are set over HTTP: `POST /__emulator/faults`.
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
    /// A Shopify shop's GraphQL Admin API (with its cost-based rate limit).
    Shopify(ShopifyArgs),
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
                ..Default::default()
            };
            let emu = junction_emulators::connectif::start(config, args.listen).await?;
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
