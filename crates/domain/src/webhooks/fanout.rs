//! Fan-out: turn the change feed into deliveries. For every enabled endpoint, every
//! connection it covers and every resource its filters select, read the feed after the
//! endpoint's cursor, make one delivery per change its filters select, and move the cursor
//! past the batch — deliveries and cursor in one transaction, with a compare-and-set on
//! the cursor, so nothing is lost or doubled by a crash or a second worker.
//!
//! A change is `<entity>.created` when the record first appeared after the endpoint's
//! cursor (so a record created and then changed before fan-out saw it is still announced
//! as created), `<entity>.deleted` when the change is its deletion (the payload's `record`
//! is the last state the copy held, with `deletedAt`), `<entity>.updated` otherwise. A record changed several times between two
//! passes produces one event carrying its newest state. A connection created after the
//! endpoint (no cursor yet) is read from its beginning.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::Pause;
use super::endpoints::new_delivery_id;
use super::events;
use crate::hub::Hub;
use junction_contract::ResourceKind;
use junction_store::StoreError;
use junction_store::health::ErrorBackoff;
use junction_store::webhooks::{FeedEntry, NewDelivery, WebhookEndpoint};

/// Changes read per (endpoint, connection, resource) and pass.
const BATCH: i64 = 200;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Deliveries created.
    pub created: u64,
    /// Some batch was full: there is more to read at once.
    pub more: bool,
}

/// Fan out until stopped.
pub(crate) async fn run(hub: &Hub, pause: &Pause) {
    let mut backoff = ErrorBackoff::default();
    while !pause.stopping() {
        match fan_out(hub).await {
            Ok(pass) => {
                backoff.succeeded();
                if pass.created > 0 {
                    super::wake();
                }
                if pass.more {
                    continue;
                }
            }
            Err(e) => {
                let delay = backoff.failed();
                tracing::error!(error = %e, retry_in_secs = delay.as_secs(), "webhook fan-out failed");
                pause.back_off(delay).await;
                continue;
            }
        }
        pause.wait().await;
    }
}

/// One pass over every enabled endpoint. Reads the feed only where it has moved past the
/// endpoint's cursor, so an idle pass costs a query per endpoint and per connection.
pub async fn fan_out(hub: &Hub) -> Result<Pass, StoreError> {
    let mut pass = Pass::default();
    let mut tenant_connections: HashMap<String, Vec<String>> = HashMap::new();
    let mut latest: HashMap<String, i64> = HashMap::new();
    for endpoint in hub.store.enabled_webhook_endpoints().await? {
        let resources = events::resources(&endpoint.event_types);
        if resources.is_empty() {
            continue;
        }
        let connections = match &endpoint.connection_id {
            Some(id) => vec![id.clone()],
            None => match tenant_connections.get(&endpoint.tenant_id) {
                Some(ids) => ids.clone(),
                None => {
                    let ids: Vec<String> = hub
                        .store
                        .connections(Some(&endpoint.tenant_id))
                        .await?
                        .into_iter()
                        .map(|c| c.id)
                        .collect();
                    tenant_connections.insert(endpoint.tenant_id.clone(), ids.clone());
                    ids
                }
            },
        };
        let cursors: HashMap<(String, String), i64> = hub
            .store
            .webhook_cursors(&endpoint.id)
            .await?
            .into_iter()
            .map(|(connection, resource, seq)| ((connection, resource), seq))
            .collect();
        for connection_id in &connections {
            let newest = match latest.get(connection_id) {
                Some(seq) => *seq,
                None => match hub.store.latest_change_seq(connection_id).await {
                    Ok(seq) => {
                        latest.insert(connection_id.clone(), seq);
                        seq
                    }
                    // Deleted since the list was read.
                    Err(StoreError::NotFound { .. }) => continue,
                    Err(e) => return Err(e),
                },
            };
            for resource in &resources {
                let key = (connection_id.clone(), resource.as_str().to_string());
                let from = cursors.get(&key).copied();
                if from.unwrap_or(0) >= newest {
                    continue;
                }
                let (created, full) =
                    fan_out_one(hub, &endpoint, connection_id, *resource, from).await?;
                pass.created += created;
                pass.more |= full;
            }
        }
    }
    Ok(pass)
}

/// One batch of one (endpoint, connection, resource) after the cursor `from` (`None`: none
/// yet, read from the start). Returns deliveries created and whether the batch was full.
async fn fan_out_one(
    hub: &Hub,
    endpoint: &WebhookEndpoint,
    connection_id: &str,
    resource: ResourceKind,
    from: Option<i64>,
) -> Result<(u64, bool), StoreError> {
    let after = from.unwrap_or(0);
    let feed = hub
        .store
        .webhook_feed(connection_id, resource, after, BATCH)
        .await?;
    let Some(last) = feed.last().map(|e| e.change_seq) else {
        return Ok((0, false));
    };
    let timestamp = jiff::Timestamp::now().to_string();
    let deliveries: Vec<NewDelivery> = feed
        .iter()
        .filter_map(|entry| {
            let change = if entry.deleted_ms.is_some() {
                events::Change::Deleted
            } else if entry.first_seq > after {
                events::Change::Created
            } else {
                events::Change::Updated
            };
            let event_type = events::event_type(resource, change);
            events::matches(&endpoint.event_types, &event_type).then(|| NewDelivery {
                id: new_delivery_id(),
                endpoint_id: endpoint.id.clone(),
                payload: payload(
                    &event_type,
                    &timestamp,
                    endpoint,
                    connection_id,
                    resource,
                    entry,
                ),
                event_type,
                connection_id: Some(connection_id.to_string()),
                resource: Some(resource.as_str().to_string()),
                external_id: Some(entry.external_id.clone()),
                change_seq: Some(entry.change_seq),
            })
        })
        .collect();
    let committed = hub
        .store
        .commit_webhook_fanout(
            &endpoint.id,
            connection_id,
            resource,
            from,
            last,
            &deliveries,
        )
        .await?;
    if !committed {
        // Another worker moved the cursor first; it made these deliveries.
        return Ok((0, false));
    }
    if !deliveries.is_empty() {
        tracing::debug!(endpoint = %endpoint.id, connection = %connection_id, resource = resource.as_str(), events = deliveries.len(), "webhook events queued");
    }
    let full = i64::try_from(feed.len()).unwrap_or(i64::MAX) >= BATCH;
    Ok((deliveries.len() as u64, full))
}

/// The event body: `{"type", "timestamp", "data": {"tenantId", "connectionId",
/// "resource", "externalId", ("parentId" for variations), "record"}}`.
fn payload(
    event_type: &str,
    timestamp: &str,
    endpoint: &WebhookEndpoint,
    connection_id: &str,
    resource: ResourceKind,
    entry: &FeedEntry,
) -> String {
    let record: Value =
        serde_json::from_str(&entry.data).unwrap_or_else(|_| Value::String(entry.data.clone()));
    let mut data = json!({
        "tenantId": endpoint.tenant_id,
        "connectionId": connection_id,
        "resource": resource.as_str(),
        "externalId": entry.external_id,
        "record": record,
    });
    if let Some(object) = data.as_object_mut() {
        if !entry.parent_id.is_empty() {
            object.insert("parentId".into(), Value::String(entry.parent_id.clone()));
        }
        if let Some(at) = entry.deleted_ms {
            object.insert(
                "deletedAt".into(),
                Value::String(junction_store::records::format_changed_ms(at)),
            );
        }
    }
    json!({ "type": event_type, "timestamp": timestamp, "data": data }).to_string()
}
