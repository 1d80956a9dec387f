//! `junction admin webhooks ...`: webhook endpoints and their deliveries, each one admin
//! API request.

use clap::Subcommand;
use serde_json::{Value, json};

use super::{AdminClient, Answer};

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Subscribe a URL to events; the signing secret is printed once and never again.
    Create {
        /// Tenant id or name.
        #[arg(long)]
        tenant: String,
        /// Only this connection's events (default: every connection of the tenant).
        #[arg(long)]
        connection: Option<String>,
        /// Where events are POSTed (http or https).
        #[arg(long)]
        url: String,
        #[arg(long)]
        description: Option<String>,
        /// Comma-separated event types: order.created, order.updated, customer.*, ... or *
        /// (the default).
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// Create it paused.
        #[arg(long)]
        disabled: bool,
    },
    /// Endpoints (never their secrets), of one tenant or all.
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// One endpoint and how many of its deliveries are pending, delivered, failed.
    Show { id: String },
    /// Change an endpoint: URL, description, event types, connection filter, enabled.
    Update {
        id: String,
        #[arg(long)]
        url: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Comma-separated event types (replaces the list).
        #[arg(long, value_delimiter = ',')]
        events: Option<Vec<String>>,
        /// Only this connection's events.
        #[arg(long, conflicts_with = "all_connections")]
        connection: Option<String>,
        /// Every connection of the tenant.
        #[arg(long)]
        all_connections: bool,
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        /// Pause it (it resumes where it stopped when enabled).
        #[arg(long)]
        disable: bool,
    },
    /// Delete an endpoint with its deliveries and their log.
    Delete { id: String },
    /// An endpoint's deliveries, newest first, each with its attempts.
    Deliveries {
        id: String,
        /// pending, delivered or failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Give a failed (or delivered) delivery one more attempt now.
    Retry {
        /// The delivery id (its webhook-id).
        delivery: String,
    },
    /// Replace the signing secret (printed once); the old one keeps signing alongside
    /// for --overlap seconds (default 86400).
    RotateSecret {
        id: String,
        #[arg(long)]
        overlap: Option<i64>,
    },
    /// Queue a `webhook.test` event for the endpoint.
    Test { id: String },
}

pub(super) async fn webhooks(
    client: &AdminClient,
    command: WebhookCommand,
) -> anyhow::Result<Answer> {
    let answer = match command {
        WebhookCommand::Create {
            tenant,
            connection,
            url,
            description,
            events,
            disabled,
        } => {
            let mut body = json!({ "tenant": tenant, "url": url, "enabled": !disabled });
            if let Some(connection) = connection {
                body["connection"] = json!(connection);
            }
            if let Some(description) = description {
                body["description"] = json!(description);
            }
            if !events.is_empty() {
                body["eventTypes"] = json!(events);
            }
            client.send("POST", "/webhooks", body).await?
        }
        WebhookCommand::List { tenant } => {
            client
                .get("/webhooks", &[("tenant", tenant.as_deref())])
                .await?
        }
        WebhookCommand::Show { id } => client.get(&format!("/webhooks/{id}"), &[]).await?,
        WebhookCommand::Update {
            id,
            url,
            description,
            events,
            connection,
            all_connections,
            enable,
            disable,
        } => {
            let mut change = serde_json::Map::new();
            if let Some(url) = url {
                change.insert("url".into(), json!(url));
            }
            if let Some(description) = description {
                change.insert("description".into(), json!(description));
            }
            if let Some(events) = events {
                change.insert("eventTypes".into(), json!(events));
            }
            if let Some(connection) = connection {
                change.insert("connection".into(), json!(connection));
            } else if all_connections {
                change.insert("connection".into(), Value::Null);
            }
            if enable || disable {
                change.insert("enabled".into(), json!(enable));
            }
            if change.is_empty() {
                anyhow::bail!(
                    "nothing to change: pass --url, --description, --events, --connection, \
                     --all-connections, --enable or --disable"
                );
            }
            client
                .send("PATCH", &format!("/webhooks/{id}"), Value::Object(change))
                .await?
        }
        WebhookCommand::Delete { id } => {
            client
                .send("DELETE", &format!("/webhooks/{id}"), json!({}))
                .await?
        }
        WebhookCommand::Deliveries { id, status, limit } => {
            let limit = limit.map(|l| l.to_string());
            client
                .get(
                    &format!("/webhooks/{id}/deliveries"),
                    &[("status", status.as_deref()), ("limit", limit.as_deref())],
                )
                .await?
        }
        WebhookCommand::Retry { delivery } => {
            client
                .send(
                    "POST",
                    &format!("/webhook-deliveries/{delivery}/retry"),
                    json!({}),
                )
                .await?
        }
        WebhookCommand::RotateSecret { id, overlap } => {
            let mut body = json!({});
            if let Some(seconds) = overlap {
                body["overlapSeconds"] = json!(seconds);
            }
            client
                .send("POST", &format!("/webhooks/{id}/rotate-secret"), body)
                .await?
        }
        WebhookCommand::Test { id } => {
            client
                .send("POST", &format!("/webhooks/{id}/test"), json!({}))
                .await?
        }
    };
    if let Answer::Ok(Some(created)) = &answer
        && let Some(secret) = created.get("secret").and_then(Value::as_str)
    {
        eprintln!("webhook secret (copy it now, it is shown only once): {secret}");
    }
    Ok(answer)
}
