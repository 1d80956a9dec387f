//! `junction admin ...`: the operator's command line over the admin API of a running server
//! (tenants, connectors, connections, resources, sync now, runs, API keys, webhooks,
//! automations, portal users). Every subcommand is one admin API request, so the CLI and
//! the API can never disagree about what is allowed; answers are printed as JSON on stdout,
//! errors as the API's message (and the field it names) on stderr with a non-zero exit
//! code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

mod automations;
mod users;
mod webhooks;

use automations::AutomationCommand;
use users::UserCommand;
use webhooks::WebhookCommand;

/// Where the server is and how to authenticate.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Base URL of the running `junction serve`.
    #[arg(long, env = "JUNCTION_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// Admin token (default: read from `<data-dir>/admin.token`).
    #[arg(long, env = "JUNCTION_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The server's data directory, to read its admin token from.
    #[arg(long, env = "JUNCTION_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Tenants: list or create.
    #[command(subcommand)]
    Tenants(TenantCommand),
    /// Connectors: list what is loaded, or upload a component.
    #[command(subcommand)]
    Connectors(ConnectorAdminCommand),
    /// Connections: create, list, show, configure resources, sync now, reconcile now, run history.
    #[command(subcommand)]
    Connections(ConnectionCommand),
    /// API keys: create (shown once), list, revoke.
    #[command(subcommand)]
    Keys(KeyCommand),
    /// Webhooks: endpoints (create — secret shown once —, list, show, update, delete,
    /// rotate-secret, test) and their deliveries (list with attempts, retry).
    #[command(subcommand)]
    Webhooks(WebhookCommand),
    /// Automations between two connections: create (checked against both connectors),
    /// list, show, update, delete, run now, runs, outbox, retry parked writes.
    #[command(subcommand)]
    Automations(AutomationCommand),
    /// Portal users: create (password from standard input), list, delete.
    #[command(subcommand)]
    Users(UserCommand),
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    List,
    Create { name: String },
}

#[derive(Debug, Subcommand)]
pub enum ConnectorAdminCommand {
    /// Loaded connectors (key, version, resources, writes) and files that failed to load.
    List,
    /// Upload a component; it is validated, then live on the server at once.
    Upload { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    List {
        /// Only this tenant (id or name).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Create a connection; the config is checked against the connector's JSON Schema.
    Create {
        /// Tenant id or name.
        #[arg(long)]
        tenant: String,
        /// Connector key, e.g. `woocommerce`.
        #[arg(long)]
        connector: String,
        #[arg(long)]
        name: String,
        /// The config: inline JSON, or @path to a JSON file.
        #[arg(long)]
        config: String,
    },
    /// The connection, its config (secrets as ***) and per-resource sync state.
    Show { id: String },
    /// Change the name and/or config. The new config is checked against the external system
    /// before anything is saved (a failing check saves only with --force); secrets left
    /// out keep their stored values. After a config change every resource syncs at once.
    Edit {
        id: String,
        #[arg(long)]
        name: Option<String>,
        /// The whole new config: inline JSON, or @path to a JSON file.
        #[arg(long)]
        config: Option<String>,
        /// Save even when the check fails.
        #[arg(long)]
        force: bool,
    },
    /// Run the connector's check with the stored config, or with --config (nothing saved).
    Test {
        id: String,
        #[arg(long)]
        config: Option<String>,
    },
    /// Pause: no autosync and no automation touching the connection runs.
    Pause { id: String },
    /// Delete the connection and everything it holds (records, sync state, keys, webhooks
    /// scoped to it); automations using it are turned off. Confirm with its name or id.
    Delete {
        id: String,
        #[arg(long)]
        confirm: String,
    },
    /// Resume a paused connection (every enabled resource syncs at once).
    Resume { id: String },
    /// Enable or disable a resource's autosync, or change its cadence.
    Resource {
        id: String,
        /// orders, customers, products or variations.
        resource: String,
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        #[arg(long)]
        disable: bool,
        /// Seconds between runs (10..=604800).
        #[arg(long)]
        cadence: Option<i64>,
    },
    /// Queue a sync now (all enabled resources, or one).
    Sync {
        id: String,
        #[arg(long)]
        resource: Option<String>,
    },
    /// Reconcile now (all enabled resources, or one): after its sync, a complete scan marks
    /// deleted what the system no longer holds (confirmed one by one); a partial scan
    /// deletes nothing. See the outcome with `runs`.
    Reconcile {
        id: String,
        #[arg(long)]
        resource: Option<String>,
    },
    /// Recent runs, newest first.
    Runs {
        id: String,
        #[arg(long)]
        resource: Option<String>,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Show the connection's request budget, or override it (`--requests N --per-seconds S`,
    /// `--unlimited`), or go back to the connector's (`--reset`).
    RateLimit {
        id: String,
        #[arg(long, requires = "per_seconds", conflicts_with_all = ["unlimited", "reset"])]
        requests: Option<u32>,
        #[arg(long, requires = "requests")]
        per_seconds: Option<u32>,
        #[arg(long, conflicts_with = "reset")]
        unlimited: bool,
        #[arg(long)]
        reset: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an API key for a connection; the key is printed once and never again.
    Create {
        /// The connection id.
        connection: String,
        #[arg(long)]
        name: String,
    },
    /// List keys (prefix, name, created, last used, revoked), of one connection or all.
    List {
        #[arg(long, conflicts_with = "tenant")]
        connection: Option<String>,
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revoke a key by its id; it stops working at once.
    Revoke { id: String },
}

/// Run one admin subcommand against the server.
pub async fn run(args: AdminArgs) -> anyhow::Result<ExitCode> {
    let client = AdminClient::new(&args)?;
    let answer = match args.command {
        AdminCommand::Tenants(TenantCommand::List) => client.get("/tenants", &[]).await,
        AdminCommand::Tenants(TenantCommand::Create { name }) => {
            client
                .send("POST", "/tenants", json!({ "name": name }))
                .await
        }
        AdminCommand::Connectors(ConnectorAdminCommand::List) => {
            client.get("/connectors", &[]).await
        }
        AdminCommand::Connectors(ConnectorAdminCommand::Upload { file }) => {
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            client.upload("/connectors", bytes).await
        }
        AdminCommand::Connections(command) => connections(&client, command).await,
        AdminCommand::Keys(command) => keys(&client, command).await,
        AdminCommand::Webhooks(command) => webhooks::webhooks(&client, command).await,
        AdminCommand::Automations(command) => automations::automations(&client, command).await,
        AdminCommand::Users(command) => users::users(&client, command).await,
    }?;
    match answer {
        Answer::Ok(Some(value)) => println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        ),
        Answer::Ok(None) => {}
        Answer::Refused {
            status,
            code,
            message,
            field,
        } => {
            let field = field.map(|f| format!(" (field `{f}`)")).unwrap_or_default();
            eprintln!("error: {status} {code}: {message}{field}");
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn connections(client: &AdminClient, command: ConnectionCommand) -> anyhow::Result<Answer> {
    match command {
        ConnectionCommand::List { tenant } => {
            client
                .get("/connections", &[("tenant", tenant.as_deref())])
                .await
        }
        ConnectionCommand::Create {
            tenant,
            connector,
            name,
            config,
        } => {
            let config = crate::cli::parse_json_arg("--config", &config)?;
            client
                .send(
                    "POST",
                    "/connections",
                    json!({ "tenant": tenant, "connector": connector, "name": name, "config": config }),
                )
                .await
        }
        ConnectionCommand::Show { id } => client.get(&format!("/connections/{id}"), &[]).await,
        ConnectionCommand::Edit {
            id,
            name,
            config,
            force,
        } => {
            let mut change = serde_json::Map::new();
            if let Some(name) = name {
                change.insert("name".into(), json!(name));
            }
            if let Some(config) = config {
                change.insert(
                    "config".into(),
                    crate::cli::parse_json_arg("--config", &config)?,
                );
            }
            if change.is_empty() {
                anyhow::bail!("nothing to change: pass --name and/or --config");
            }
            if force {
                change.insert("force".into(), json!(true));
            }
            client
                .send(
                    "PATCH",
                    &format!("/connections/{id}"),
                    Value::Object(change),
                )
                .await
        }
        ConnectionCommand::Test { id, config } => {
            let body = match config {
                Some(config) => {
                    json!({ "config": crate::cli::parse_json_arg("--config", &config)? })
                }
                None => json!({}),
            };
            client
                .send("POST", &format!("/connections/{id}/test"), body)
                .await
        }
        ConnectionCommand::Delete { id, confirm } => {
            client
                .send_with_query(
                    "DELETE",
                    &format!("/connections/{id}"),
                    &[("confirm", Some(confirm.as_str()))],
                    json!({}),
                )
                .await
        }
        ConnectionCommand::Pause { id } => {
            client
                .send("POST", &format!("/connections/{id}/pause"), json!({}))
                .await
        }
        ConnectionCommand::Resume { id } => {
            client
                .send("POST", &format!("/connections/{id}/resume"), json!({}))
                .await
        }
        ConnectionCommand::RateLimit {
            id,
            requests,
            per_seconds,
            unlimited,
            reset,
        } => automations::rate_limit(client, &id, requests, per_seconds, unlimited, reset).await,
        ConnectionCommand::Resource {
            id,
            resource,
            enable,
            disable,
            cadence,
        } => {
            let mut change = serde_json::Map::new();
            if enable || disable {
                change.insert("enabled".into(), json!(enable));
            }
            if let Some(seconds) = cadence {
                change.insert("cadenceSeconds".into(), json!(seconds));
            }
            if change.is_empty() {
                anyhow::bail!("nothing to change: pass --enable, --disable or --cadence SECONDS");
            }
            client
                .send(
                    "PATCH",
                    &format!("/connections/{id}/resources/{resource}"),
                    Value::Object(change),
                )
                .await
        }
        ConnectionCommand::Sync { id, resource } => {
            client
                .send_with_query(
                    "POST",
                    &format!("/connections/{id}/sync"),
                    &[("resource", resource.as_deref())],
                    json!({}),
                )
                .await
        }
        ConnectionCommand::Reconcile { id, resource } => {
            client
                .send_with_query(
                    "POST",
                    &format!("/connections/{id}/reconcile"),
                    &[("resource", resource.as_deref())],
                    json!({}),
                )
                .await
        }
        ConnectionCommand::Runs {
            id,
            resource,
            limit,
        } => {
            let limit = limit.map(|l| l.to_string());
            client
                .get(
                    &format!("/connections/{id}/runs"),
                    &[
                        ("resource", resource.as_deref()),
                        ("limit", limit.as_deref()),
                    ],
                )
                .await
        }
    }
}

async fn keys(client: &AdminClient, command: KeyCommand) -> anyhow::Result<Answer> {
    match command {
        KeyCommand::Create { connection, name } => {
            let answer = client
                .send(
                    "POST",
                    &format!("/connections/{connection}/keys"),
                    json!({ "name": name }),
                )
                .await?;
            if let Answer::Ok(Some(created)) = &answer
                && let Some(key) = created.get("key").and_then(Value::as_str)
            {
                eprintln!("API key (copy it now, it is shown only once): {key}");
            }
            Ok(answer)
        }
        KeyCommand::List {
            connection: Some(connection),
            ..
        } => {
            client
                .get(&format!("/connections/{connection}/keys"), &[])
                .await
        }
        KeyCommand::List {
            connection: None,
            tenant,
        } => client.get("/keys", &[("tenant", tenant.as_deref())]).await,
        KeyCommand::Revoke { id } => {
            client
                .send("DELETE", &format!("/keys/{id}"), json!({}))
                .await
        }
    }
}

/// What the server answered.
enum Answer {
    /// 2xx, with the JSON body if there was one.
    Ok(Option<Value>),
    /// 4xx/5xx with the API's error shape.
    Refused {
        status: u16,
        code: String,
        message: String,
        field: Option<String>,
    },
}

struct AdminClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl AdminClient {
    fn new(args: &AdminArgs) -> anyhow::Result<Self> {
        let token = match &args.token {
            Some(token) => token.clone(),
            None => {
                let path = args.data_dir.join("admin.token");
                std::fs::read_to_string(&path)
                    .map(|t| t.trim().to_string())
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "no admin token: pass --token (or JUNCTION_ADMIN_TOKEN), or \
                             --data-dir pointing at the server's data directory \
                             ({} is unreadable: {e})",
                            path.display()
                        )
                    })?
            }
        };
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()?;
        Ok(Self {
            http,
            base: format!(
                "{}{}",
                args.server.trim_end_matches('/'),
                junction_api::admin::PREFIX
            ),
            token,
        })
    }

    async fn get(&self, path: &str, query: &[(&str, Option<&str>)]) -> anyhow::Result<Answer> {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .query(&present(query));
        self.finish(request).await
    }

    async fn send(&self, method: &str, path: &str, body: Value) -> anyhow::Result<Answer> {
        self.send_with_query(method, path, &[], body).await
    }

    async fn send_with_query(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, Option<&str>)],
        body: Value,
    ) -> anyhow::Result<Answer> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .query(&present(query));
        if method != reqwest::Method::DELETE {
            request = request.json(&body);
        }
        self.finish(request).await
    }

    async fn upload(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<Answer> {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/wasm")
            .body(bytes);
        self.finish(request).await
    }

    async fn finish(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Answer> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach the server at {}: {e}", self.base))?;
        let status = response.status();
        let text = response.text().await?;
        let body: Option<Value> = if text.trim().is_empty() {
            None
        } else {
            Some(serde_json::from_str(&text).unwrap_or(Value::String(text)))
        };
        if status.is_success() {
            return Ok(Answer::Ok(body));
        }
        let field = |name: &str| {
            body.as_ref()
                .and_then(|b| b.get(name))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Ok(Answer::Refused {
            status: status.as_u16(),
            code: field("code").unwrap_or_else(|| "error".into()),
            message: field("message").unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("request failed")
                    .to_string()
            }),
            field: field("field"),
        })
    }
}

/// The query parameters that were given.
fn present<'a>(query: &[(&'a str, Option<&'a str>)]) -> Vec<(&'a str, &'a str)> {
    query
        .iter()
        .filter_map(|(k, v)| v.map(|v| (*k, v)))
        .collect()
}
