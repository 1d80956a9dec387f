//! `junction admin automations ...` and `junction admin connections rate-limit ...`: each
//! one admin API request.

use clap::Subcommand;
use serde_json::{Map, Value, json};

use super::{AdminClient, Answer};

#[derive(Debug, Subcommand)]
pub enum AutomationCommand {
    /// Automations (of one tenant, or all).
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Create an automation; refused (naming the field) when a direction's writing side
    /// lacks the write it needs. Entities as `name=direction`, e.g.
    /// `--entity customers=source_to_target --entity orders=target_to_source`.
    Create {
        /// Tenant id or name.
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// The source connection id.
        #[arg(long)]
        source: String,
        /// The target connection id.
        #[arg(long)]
        target: String,
        /// `orders|customers|products=source_to_target|target_to_source` (repeatable).
        #[arg(long = "entity", required = true)]
        entities: Vec<String>,
        /// Seconds between scheduled runs (10..=604800, default 300).
        #[arg(long)]
        cadence: Option<i64>,
        /// Also run as soon as a side's records change.
        #[arg(long)]
        on_change: bool,
        /// Mapping options as JSON (inline or @file), e.g.
        /// `{"orderStatusMap": {"processing": "paid"}, "targetConfig": {"platform": "shop"}}`.
        #[arg(long)]
        options: Option<String>,
        /// Create it disabled.
        #[arg(long)]
        disabled: bool,
    },
    /// One automation with its outbox counts.
    Show { id: String },
    /// Change an automation; only what is given changes.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        #[arg(long)]
        disable: bool,
        #[arg(long)]
        cadence: Option<i64>,
        /// `true` or `false`.
        #[arg(long)]
        on_change: Option<bool>,
        /// Replaces all entities (repeatable, as for create).
        #[arg(long = "entity")]
        entities: Vec<String>,
        #[arg(long)]
        options: Option<String>,
    },
    /// Delete an automation (its cursors, outbox and history).
    Delete { id: String },
    /// Run it now.
    Run { id: String },
    /// Its runs, newest first, with counts read/written/skipped/failed/parked.
    Runs {
        id: String,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Writes waiting in its outbox (attempts, next attempt, last error).
    Outbox {
        id: String,
        /// pending or parked.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Retry parked writes by hand: one (`--entry`), or all of the automation's.
    Retry {
        id: String,
        #[arg(long)]
        entry: Option<String>,
    },
}

/// Parse `name=direction` pairs into the API's entities object.
fn entities(pairs: &[String]) -> anyhow::Result<Value> {
    let mut out = Map::new();
    for pair in pairs {
        let Some((name, direction)) = pair.split_once('=') else {
            anyhow::bail!(
                "--entity `{pair}`: expected NAME=DIRECTION, e.g. orders=source_to_target"
            );
        };
        out.insert(
            name.trim().to_string(),
            json!({"enabled": true, "direction": direction.trim()}),
        );
    }
    Ok(Value::Object(out))
}

pub(super) async fn automations(
    client: &AdminClient,
    command: AutomationCommand,
) -> anyhow::Result<Answer> {
    match command {
        AutomationCommand::List { tenant } => {
            client
                .get("/automations", &[("tenant", tenant.as_deref())])
                .await
        }
        AutomationCommand::Create {
            tenant,
            name,
            source,
            target,
            entities: pairs,
            cadence,
            on_change,
            options,
            disabled,
        } => {
            let mut body = json!({
                "tenant": tenant,
                "name": name,
                "sourceConnectionId": source,
                "targetConnectionId": target,
                "entities": entities(&pairs)?,
                "onChange": on_change,
                "enabled": !disabled,
            });
            if let Some(c) = cadence {
                body["cadenceSeconds"] = json!(c);
            }
            if let Some(o) = options {
                body["options"] = crate::cli::parse_json_arg("--options", &o)?;
            }
            client.send("POST", "/automations", body).await
        }
        AutomationCommand::Show { id } => client.get(&format!("/automations/{id}"), &[]).await,
        AutomationCommand::Update {
            id,
            name,
            enable,
            disable,
            cadence,
            on_change,
            entities: pairs,
            options,
        } => {
            let mut change = Map::new();
            if let Some(n) = name {
                change.insert("name".into(), json!(n));
            }
            if enable || disable {
                change.insert("enabled".into(), json!(enable));
            }
            if let Some(c) = cadence {
                change.insert("cadenceSeconds".into(), json!(c));
            }
            if let Some(o) = on_change {
                change.insert("onChange".into(), json!(o));
            }
            if !pairs.is_empty() {
                change.insert("entities".into(), entities(&pairs)?);
            }
            if let Some(o) = options {
                change.insert(
                    "options".into(),
                    crate::cli::parse_json_arg("--options", &o)?,
                );
            }
            client
                .send(
                    "PATCH",
                    &format!("/automations/{id}"),
                    Value::Object(change),
                )
                .await
        }
        AutomationCommand::Delete { id } => {
            client
                .send("DELETE", &format!("/automations/{id}"), json!({}))
                .await
        }
        AutomationCommand::Run { id } => {
            client
                .send("POST", &format!("/automations/{id}/run"), json!({}))
                .await
        }
        AutomationCommand::Runs { id, limit } => {
            let limit = limit.map(|l| l.to_string());
            client
                .get(
                    &format!("/automations/{id}/runs"),
                    &[("limit", limit.as_deref())],
                )
                .await
        }
        AutomationCommand::Outbox { id, status, limit } => {
            let limit = limit.map(|l| l.to_string());
            client
                .get(
                    &format!("/automations/{id}/outbox"),
                    &[("status", status.as_deref()), ("limit", limit.as_deref())],
                )
                .await
        }
        AutomationCommand::Retry { id, entry } => {
            let body = match entry {
                Some(e) => json!({"entry": e}),
                None => json!({}),
            };
            client
                .send("POST", &format!("/automations/{id}/outbox/retry"), body)
                .await
        }
    }
}

/// `connections rate-limit`: show, override or reset a connection's request budget.
pub(super) async fn rate_limit(
    client: &AdminClient,
    id: &str,
    requests: Option<u32>,
    per_seconds: Option<u32>,
    unlimited: bool,
    reset: bool,
) -> anyhow::Result<Answer> {
    let path = format!("/connections/{id}/rate-limit");
    if reset {
        return client
            .send("PATCH", &path, json!({"rateLimit": null}))
            .await;
    }
    if unlimited {
        return client
            .send("PATCH", &path, json!({"rateLimit": {"unlimited": true}}))
            .await;
    }
    match (requests, per_seconds) {
        (None, None) => client.get(&path, &[]).await,
        (requests, per_seconds) => {
            client
                .send(
                    "PATCH",
                    &path,
                    json!({"rateLimit": {"requests": requests, "perSeconds": per_seconds}}),
                )
                .await
        }
    }
}
