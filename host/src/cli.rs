//! The `junction` command line: `serve`, and the `connector` tools for authors
//! (`inspect`, `call`, `list`). Output meant for programs goes to stdout as JSON; progress
//! and connector log lines go to stderr.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use crate::config::{FileConfig, ServerConfig};
use junction_contract::{ListRequest, ResourceKind, WriteOp};
use junction_runtime::cache::CacheOutcome;
use junction_runtime::call::CallResult;
use junction_runtime::config_check;
use junction_runtime::{LoadedConnector, Registry, Runtime, SandboxLimits, manifest};

#[derive(Debug, Parser)]
#[command(
    name = "junction",
    version,
    about = "A self-hosted connector hub with sandboxed WebAssembly connectors"
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, env = "JUNCTION_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: load connectors, keep them hot-reloaded, serve HTTP.
    Serve(ServeArgs),
    /// Tools for connector authors and operators.
    #[command(subcommand)]
    Connector(ConnectorCommand),
    /// Operate a running server through its admin API: tenants, connectors, connections,
    /// resources, sync now, runs, API keys.
    Admin(crate::admin_cli::AdminArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "JUNCTION_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory for the database, keys, plugins and caches.
    #[arg(long, env = "JUNCTION_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (default: SQLite in the data directory).
    #[arg(long, env = "JUNCTION_DATABASE_URL")]
    pub database_url: Option<String>,
    /// TOML config file (keys: docs/configuration.md).
    #[arg(long, env = "JUNCTION_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory of connector components (default `<data-dir>/plugins`).
    #[arg(long, env = "JUNCTION_PLUGINS_DIR")]
    pub plugins_dir: Option<PathBuf>,
    /// Allow connectors to reach loopback and private networks (local testing only).
    #[arg(long, env = "JUNCTION_ALLOW_PRIVATE_NETWORKS")]
    pub allow_private_networks: bool,
    /// Admin API token (default: generated into `<data-dir>/admin.token`).
    #[arg(long, env = "JUNCTION_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Base64 32-byte key sealing connection secrets (default: `<data-dir>/secret.key`).
    #[arg(long, env = "JUNCTION_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConnectorCommand {
    /// Print a component's manifest as JSON.
    Inspect {
        /// The connector component (.wasm).
        file: PathBuf,
        #[command(flatten)]
        cache: CompileCacheArgs,
    },
    /// Run one call of a component in the sandbox and print the result as JSON.
    Call(CallArgs),
    /// Run the conformance checks (the test suite's own) against an already running system:
    /// a readable report, a non-zero exit when a check fails.
    Check(crate::author::check::CheckArgs),
    /// Make a new connector: a working template in Rust, JavaScript or Python, with its
    /// config schema, README and the contract.
    New {
        /// The connector's key: lowercase letters, digits and `-`, e.g. `my-shop`.
        name: String,
        #[arg(long, value_enum)]
        lang: crate::author::Lang,
        /// Where to create it (default: ./<name>); must not exist or be empty.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Rust only: the `sdk/` folder of a Junction checkout (found by itself inside one).
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Build a connector made by `connector new` into a component, with its language's
    /// pinned toolchain only (installed on first use).
    Build {
        /// The connector's folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The component to write (default: <dir>/<folder name>.wasm).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Where the JavaScript and Python toolchains are installed (default:
        /// `$XDG_CACHE_HOME/junction/toolchains`, or `~/.cache/junction/toolchains`).
        #[arg(long, env = "JUNCTION_TOOLCHAINS_DIR")]
        toolchains_dir: Option<PathBuf>,
    },
    /// Print example JSON for `call … write`, one per write kind (or only KIND), built from
    /// the contract's own types.
    Examples {
        /// A write kind, e.g. `order-tracking`; all when omitted.
        kind: Option<String>,
    },
    /// Load every component in a plugins directory and show what loaded and what failed.
    List {
        #[arg(long, env = "JUNCTION_PLUGINS_DIR")]
        plugins_dir: Option<PathBuf>,
        #[arg(long, env = "JUNCTION_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        cache: CompileCacheArgs,
    },
}

#[derive(Debug, Args)]
pub struct CallArgs {
    /// The connector component (.wasm).
    pub file: PathBuf,
    /// The connection config: inline JSON, or @path to a JSON file.
    #[arg(long, default_value = "{}")]
    pub config: String,
    /// Allow egress to loopback and private networks (for local emulators).
    #[arg(long)]
    pub allow_private_networks: bool,
    /// TOML file with a `[sandbox]` table of limits.
    #[arg(long = "limits")]
    pub limits_file: Option<PathBuf>,
    #[command(flatten)]
    pub cache: CompileCacheArgs,
    #[command(subcommand)]
    pub call: CallKind,
}

/// Where the author tools keep compiled components: compiling a large component (a Python
/// one is ~20 MB) takes seconds, loading its compiled artifact a fraction of one, so every
/// call after the first of a component version is quick.
#[derive(Debug, Args)]
pub struct CompileCacheArgs {
    /// Directory of compiled components (default: `$XDG_CACHE_HOME/junction/compiled`, or
    /// `~/.cache/junction/compiled`).
    #[arg(long, env = "JUNCTION_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compile in memory and keep nothing.
    #[arg(long)]
    pub no_cache: bool,
}

impl CompileCacheArgs {
    /// The directory to use, if any: the flag, else the user's cache directory (none when
    /// neither `XDG_CACHE_HOME` nor `HOME` is set).
    pub(crate) fn dir(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        if let Some(dir) = &self.cache_dir {
            return Some(dir.clone());
        }
        Some(user_cache_dir()?.join("compiled"))
    }
}

/// `$XDG_CACHE_HOME/junction`, else `~/.cache/junction`; none when neither variable is set.
/// The author tools keep compiled components and toolchains under it.
pub fn user_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })?;
    Some(base.join("junction"))
}

#[derive(Debug, Subcommand)]
pub enum CallKind {
    /// Check that the config reaches the system.
    Check,
    /// List one page of a resource.
    List {
        /// orders, customers, products or variations.
        resource: String,
        /// Only records modified at or after this RFC 3339 instant.
        #[arg(long)]
        since: Option<String>,
        /// The next-cursor of a previous page.
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long, default_value_t = 50)]
        page_size: u32,
        /// Product id, for variations.
        #[arg(long)]
        parent: Option<String>,
        /// Follow next-cursors to the end and print a summary (records, pages, first and
        /// last ids, ids seen twice, requests, time) instead of the page.
        #[arg(long)]
        all: bool,
    },
    /// Get one record.
    Get {
        resource: String,
        id: String,
        #[arg(long)]
        parent: Option<String>,
    },
    /// Perform a write, given as JSON: {"op": "order-status", "order-id": "1", "status": "completed"}
    /// (inline, or @path).
    Write { op: String },
}

/// Run the CLI; returns the process exit code.
pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Connector(ConnectorCommand::Inspect { file, cache }) => {
            inspect(&file, &cache).await
        }
        Command::Connector(ConnectorCommand::Call(args)) => call(args).await,
        Command::Connector(ConnectorCommand::Check(args)) => {
            crate::author::check::check(args).await
        }
        Command::Connector(ConnectorCommand::List {
            plugins_dir,
            data_dir,
            json,
            cache,
        }) => list(plugins_dir, data_dir, json, &cache).await,
        Command::Connector(ConnectorCommand::Examples { kind }) => examples(kind.as_deref()),
        Command::Connector(ConnectorCommand::New {
            name,
            lang,
            dir,
            sdk,
        }) => new_connector(name, lang, dir, sdk),
        Command::Connector(ConnectorCommand::Build {
            dir,
            out,
            toolchains_dir,
        }) => crate::author::toolchain::root(toolchains_dir.as_deref())
            .and_then(|root| crate::author::build::build(&dir, out.as_deref(), &root))
            .map(|_| ExitCode::SUCCESS),
        Command::Admin(args) => crate::admin_cli::run(args).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let file = match &args.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let data_dir = args
        .data_dir
        .or(file.data_dir)
        .unwrap_or_else(|| PathBuf::from("data"));
    let mut sandbox = file.sandbox;
    sandbox.allow_private_networks |= args.allow_private_networks;
    let config = ServerConfig {
        listen: args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
        plugins_dir: args
            .plugins_dir
            .or(file.plugins_dir)
            .unwrap_or_else(|| data_dir.join("plugins")),
        database_url: args.database_url.or(file.database_url),
        admin_token: args.admin_token.or(file.admin_token),
        secret_key: args.secret_key.or(file.secret_key),
        data_dir,
        sandbox,
        sync: file.sync,
        webhooks: file.webhooks,
        automations: file.automations,
        portal: file.portal,
    };
    crate::server::serve(config).await?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn cli_runtime(
    limits: SandboxLimits,
    cache: &CompileCacheArgs,
) -> anyhow::Result<Runtime> {
    // One-off CLI calls need no instance pool.
    Runtime::new(
        SandboxLimits {
            pooling: false,
            ..limits
        },
        cache.dir(),
    )
}

/// Load a component through the compile cache, saying on stderr which it was and how long
/// it took (an author sees why the first call of a new build is the slow one).
pub(crate) async fn load_for_cli(
    runtime: &Runtime,
    file: &Path,
) -> anyhow::Result<std::sync::Arc<LoadedConnector>> {
    let started = std::time::Instant::now();
    let connector = LoadedConnector::load_file(runtime, file).await?;
    let how = match connector.cache {
        CacheOutcome::Hit => "loaded from the compile cache",
        CacheOutcome::Compiled => "compiled",
    };
    eprintln!(
        "{}: {how} in {:.2} s",
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(connector)
}

async fn inspect(file: &Path, cache: &CompileCacheArgs) -> anyhow::Result<ExitCode> {
    let runtime = cli_runtime(SandboxLimits::default(), cache)?;
    let connector = load_for_cli(&runtime, file).await?;
    let mut described = manifest::describe(&connector.manifest);
    if let Some(obj) = described.as_object_mut() {
        obj.insert("digest".into(), Value::String(connector.digest.clone()));
        obj.insert("sizeBytes".into(), Value::from(connector.size_bytes));
    }
    print_json(&described);
    Ok(ExitCode::SUCCESS)
}

async fn call(args: CallArgs) -> anyhow::Result<ExitCode> {
    let mut limits = match &args.limits_file {
        Some(path) => FileConfig::load(path)?.sandbox,
        None => SandboxLimits::default(),
    };
    limits.allow_private_networks |= args.allow_private_networks;
    let runtime = cli_runtime(limits, &args.cache)?;
    let connector = load_for_cli(&runtime, &args.file).await?;
    let config: Value = parse_json_arg("--config", &args.config)?;
    if !config.is_object() {
        anyhow::bail!(
            "--config must be a JSON object, e.g. '{{\"base_url\": \"https://shop.example\"}}'"
        );
    }
    let options = connector.prepare(&config).map_err(|problems| {
        anyhow::anyhow!(
            "config does not match the `{}` connector's schema: {}",
            connector.key(),
            config_check::summarize(&problems)
        )
    })?;

    let outcome = match args.call {
        CallKind::Check => to_json(connector.check(&options).await),
        CallKind::List {
            resource,
            since,
            cursor,
            page_size,
            parent,
            all,
        } => {
            let resource = ResourceKind::parse(&resource).map_err(anyhow::Error::msg)?;
            if let Some(since) = &since {
                since
                    .parse::<jiff::Timestamp>()
                    .map_err(|e| anyhow::anyhow!("--since `{since}` is not an RFC 3339 timestamp ({e}); e.g. 2026-01-01T00:00:00Z"))?;
            }
            if page_size == 0 {
                anyhow::bail!("--page-size must be at least 1");
            }
            let request = ListRequest {
                resource,
                updated_since: since,
                cursor,
                page_size,
                parent_id: parent,
                ids_only: false,
            };
            if all {
                list_all(&connector, &options, request).await
            } else {
                to_json(connector.list(&options, request).await)
            }
        }
        CallKind::Get {
            resource,
            id,
            parent,
        } => {
            let resource = ResourceKind::parse(&resource).map_err(anyhow::Error::msg)?;
            to_json(connector.get(&options, resource, id, parent).await)
        }
        CallKind::Write { op } => {
            let op = parse_write_op(&parse_json_arg("write", &op)?)?;
            to_json(connector.write(&options, op).await)
        }
    };
    for log in &outcome.logs {
        eprintln!("[{:?}] {} {:?}", log.level, log.message, log.fields);
    }
    eprintln!("({} outgoing request(s))", outcome.requests);
    match outcome.value {
        Ok(value) => {
            print_json(&value);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `connector new`: create it and say what was written and what to do next.
fn new_connector(
    name: String,
    lang: crate::author::Lang,
    dir: Option<PathBuf>,
    sdk: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
    let new = crate::author::scaffold::NewConnector {
        name,
        lang,
        dir,
        sdk,
    };
    let written = crate::author::scaffold::create(&new)?;
    println!("created {} ({}):", new.dir.display(), lang.as_str());
    for file in written {
        println!("  {file}");
    }
    println!(
        "next: junction connector build {} && junction connector inspect {}/{}.wasm",
        new.dir.display(),
        new.dir.display(),
        new.dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(&new.name)
    );
    Ok(ExitCode::SUCCESS)
}

/// `connector examples [KIND]`: one JSON line per write kind.
fn examples(kind: Option<&str>) -> anyhow::Result<ExitCode> {
    let kinds: Vec<junction_contract::WriteKind> = match kind {
        None => junction_contract::WriteKind::ALL.to_vec(),
        Some(name) => {
            let accepted = junction_contract::WriteKind::ALL
                .map(|k| k.as_str())
                .join(", ");
            let found = junction_contract::WriteKind::ALL
                .into_iter()
                .find(|k| k.as_str() == name)
                .ok_or_else(|| {
                    anyhow::anyhow!("unknown write kind `{name}`; expected one of {accepted}")
                })?;
            vec![found]
        }
    };
    for kind in kinds {
        let example = crate::write_examples::to_cli_json(&crate::write_examples::example(kind));
        println!("{example}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `call list --all`: every page from `request`'s cursor to the end, as one result whose
/// value is a summary. Stops at the first failing page (its error is the result) and when a
/// connector hands back the cursor it was given (it would loop forever).
async fn list_all(
    connector: &LoadedConnector,
    options: &junction_runtime::CallOptions,
    mut request: ListRequest,
) -> CallResult<Value> {
    let started = std::time::Instant::now();
    let (mut pages, mut records, mut requests) = (0u64, 0u64, 0u32);
    let mut logs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut repeated = Vec::new();
    let (mut first, mut last) = (None, None);
    loop {
        let result = connector.list(options, request.clone()).await;
        requests += result.requests;
        logs.extend(result.logs);
        let page = match result.value {
            Ok(page) => page,
            Err(e) => {
                eprintln!("page {} failed after {records} records", pages + 1);
                return CallResult {
                    value: Err(e),
                    logs,
                    requests,
                    request_log: Vec::new(),
                };
            }
        };
        pages += 1;
        for entity in &page.entities {
            let id = entity.external_id().to_string();
            records += 1;
            first.get_or_insert_with(|| id.clone());
            if !seen.insert(id.clone()) && repeated.len() < 20 {
                repeated.push(id.clone());
            }
            last = Some(id);
        }
        match page.next_cursor {
            None => break,
            Some(next) if Some(&next) == request.cursor.as_ref() => {
                return CallResult {
                    value: Err(junction_runtime::CallError::Trap {
                        connector: connector.key().to_string(),
                        reason: format!(
                            "page {pages} handed back the cursor it was given (`{next}`): \
                             paging would never end"
                        ),
                    }),
                    logs,
                    requests,
                    request_log: Vec::new(),
                };
            }
            Some(next) => request.cursor = Some(next),
        }
    }
    CallResult {
        value: Ok(serde_json::json!({
            "resource": request.resource.as_str(),
            "records": records,
            "pages": pages,
            "first": first,
            "last": last,
            "distinctIds": seen.len(),
            "idsSeenTwice": repeated,
            "requests": requests,
            "seconds": (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
        })),
        logs,
        requests,
        request_log: Vec::new(),
    }
}

fn to_json<T: serde::Serialize>(result: CallResult<T>) -> CallResult<Value> {
    result.map(|v| {
        serde_json::to_value(v).map_err(|e| junction_runtime::CallError::Trap {
            connector: String::new(),
            reason: format!("cannot render the result as JSON: {e}"),
        })
    })
}

async fn list(
    plugins_dir: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    json: bool,
    cache: &CompileCacheArgs,
) -> anyhow::Result<ExitCode> {
    let data_dir = data_dir.unwrap_or_else(|| PathBuf::from("data"));
    let dir = plugins_dir.unwrap_or_else(|| data_dir.join("plugins"));
    if !dir.is_dir() {
        anyhow::bail!("plugins directory {} does not exist", dir.display());
    }
    let runtime = cli_runtime(SandboxLimits::default(), cache)?;
    let registry = Registry::open(runtime, dir).await?;
    let listing =
        serde_json::to_value(junction_domain::connectors::listing(&registry)).unwrap_or_default();
    if json {
        print_json(&listing);
    } else {
        print_listing(&registry);
    }
    let failed = listing.get("failed").and_then(Value::as_u64).unwrap_or(0);
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_listing(registry: &Registry) {
    use junction_runtime::registry::FileStatus;
    let snapshot = registry.snapshot();
    println!("{:<20} {:<10} {:<8} FILE", "CONNECTOR", "VERSION", "STATUS");
    for (path, status) in snapshot.files() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        match status {
            FileStatus::Loaded { key, version, .. } => {
                println!("{key:<20} {version:<10} {:<8} {name}", "loaded");
            }
            FileStatus::Failed { error, .. } => {
                println!(
                    "{:<20} {:<10} {:<8} {name}\n    {error}",
                    "-", "-", "FAILED"
                );
            }
        }
    }
}

fn print_json(value: &Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

/// Inline JSON, or `@path` to a file holding it.
pub(crate) fn parse_json_arg(name: &str, text: &str) -> anyhow::Result<Value> {
    let (source, content) = match text.strip_prefix('@') {
        Some(path) => (
            format!("{name} file {path}"),
            std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {name} file {path}: {e}"))?,
        ),
        None => (name.to_string(), text.to_string()),
    };
    serde_json::from_str(&content).map_err(|e| anyhow::anyhow!("{source} is not valid JSON: {e}"))
}

/// Parse `{"op": "order-status", "order-id": "1", ...}` (kebab or snake case keys) into a
/// write operation.
pub fn parse_write_op(value: &Value) -> anyhow::Result<WriteOp> {
    let accepted = junction_contract::WriteKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let Some(obj) = value.as_object() else {
        anyhow::bail!("a write must be a JSON object with an \"op\" field ({accepted})");
    };
    let Some(op) = obj.get("op").and_then(Value::as_str) else {
        anyhow::bail!("the write has no \"op\" field; expected one of {accepted}");
    };
    if !junction_contract::WriteKind::ALL
        .iter()
        .any(|k| k.as_str() == op)
    {
        anyhow::bail!("unknown write op `{op}`; expected one of {accepted}");
    }
    let variant: String = op
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    let mut fields = serde_json::Map::new();
    for (key, field) in obj.iter().filter(|(k, _)| *k != "op") {
        fields.insert(
            key.replace('-', "_"),
            crate::write_examples::rename_keys(field.clone(), '-', '_'),
        );
    }
    let tagged = serde_json::json!({ variant: Value::Object(fields) });
    serde_json::from_value(tagged).map_err(|e| anyhow::anyhow!("write `{op}` is malformed: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn write_ops_parse_from_kebab_json() {
        let op = parse_write_op(
            &serde_json::json!({"op": "order-status", "order-id": "7", "status": "completed"}),
        )
        .unwrap();
        assert!(
            matches!(op, WriteOp::OrderStatus(ref c) if c.order_id == "7" && c.status == "completed")
        );
        let op = parse_write_op(&serde_json::json!({"op": "order-tracking", "order-id": "7", "tracking": {"number": "BE1", "provider": "bpost", "url": null, "shipped-at": null}})).unwrap();
        assert!(matches!(op, WriteOp::OrderTracking(ref c) if c.tracking.number == "BE1"));
        let err = parse_write_op(&serde_json::json!({"op": "delete-everything"})).unwrap_err();
        assert!(err.to_string().contains("order-status"), "{err}");
        let err = parse_write_op(&serde_json::json!({"op": "product-stock", "product-id": "1"}))
            .unwrap_err();
        assert!(err.to_string().contains("quantity"), "{err}");
    }
}
