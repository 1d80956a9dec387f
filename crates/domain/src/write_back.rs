//! Runtime API writes (order status and tracking, stock, price): the connector must take
//! the write, a repeated `Idempotency-Key` replays the first answer (and refuses a different
//! request under the same key), the external system is called under the connection's
//! budget, and the record it returns replaces the local copy's (waking automations that run
//! on change).

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::DomainError;
use crate::hub::Hub;
use crate::sync::record_json::to_stored;
use junction_contract::{ResourceKind, WriteOp};
use junction_runtime::CallError;
use junction_store::api_keys::KeyOwner;
use junction_store::idempotency::SavedResponse;

/// The answer to a successful write (also replayed for a repeated `Idempotency-Key`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WriteResult {
    pub success: bool,
    /// The written record's id in the external system.
    pub external_id: String,
    /// The record as now stored locally (Order, Product or Variation), or null when the
    /// connector returned none.
    #[schema(value_type = Object)]
    pub data: Value,
}

/// What a write answers: its JSON body, and whether it is a replay of an earlier answer.
#[derive(Debug)]
pub struct WriteAnswer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// Why a write was not done.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("Idempotency-Key `{0}` was already used for a different request")]
    KeyReused(String),
    #[error("the `{connector}` connector does not support `{kind}` writes; supported: {supported}")]
    Unsupported {
        connector: String,
        kind: &'static str,
        supported: String,
    },
    /// The connector or the external system failed or refused.
    #[error(transparent)]
    Call(#[from] CallError),
    /// The record to write is not in the connection's local copy (or not under that parent).
    #[error("{0}")]
    NotInCopy(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

/// A record just stored, as the Runtime API serves it (with the local copy's change time,
/// which only the store knows); null when it cannot be read back as JSON.
pub(crate) async fn served_value(
    hub: &Hub,
    connection_id: &str,
    resource: ResourceKind,
    record: &junction_store::records::StoredRecord,
) -> Result<Value, junction_store::StoreError> {
    let stored = hub
        .store
        .record(
            connection_id,
            resource,
            &record.parent_id,
            &record.external_id,
        )
        .await?;
    Ok(stored
        .and_then(|r| serde_json::from_str(&r.served()).ok())
        .unwrap_or(Value::Null))
}

/// The record a Runtime API write changes: (resource, parent id, id, how people call it).
fn write_target(op: &WriteOp) -> Option<(ResourceKind, &str, &str, String)> {
    let order = |id: &str| format!("order `{id}`");
    let product = |id: &str| format!("product `{id}`");
    let variation = |p: &str, v: &str| format!("variation `{v}` of product `{p}`");
    Some(match op {
        WriteOp::OrderStatus(c) => (ResourceKind::Orders, "", &c.order_id, order(&c.order_id)),
        WriteOp::OrderTracking(c) => (ResourceKind::Orders, "", &c.order_id, order(&c.order_id)),
        WriteOp::ProductStock(c) => (
            ResourceKind::Products,
            "",
            &c.product_id,
            product(&c.product_id),
        ),
        WriteOp::ProductPrice(c) => (
            ResourceKind::Products,
            "",
            &c.product_id,
            product(&c.product_id),
        ),
        WriteOp::VariationStock(c) => (
            ResourceKind::Variations,
            &c.product_id,
            &c.variation_id,
            variation(&c.product_id, &c.variation_id),
        ),
        WriteOp::VariationPrice(c) => (
            ResourceKind::Variations,
            &c.product_id,
            &c.variation_id,
            variation(&c.product_id, &c.variation_id),
        ),
        WriteOp::UpsertOrder(_) | WriteOp::UpsertCustomer(_) | WriteOp::UpsertProduct(_) => {
            return None;
        }
    })
}

impl From<junction_store::StoreError> for WriteError {
    fn from(e: junction_store::StoreError) -> Self {
        WriteError::Domain(e.into())
    }
}

impl From<crate::hub::HubError> for WriteError {
    fn from(e: crate::hub::HubError) -> Self {
        WriteError::Domain(e.into())
    }
}

/// Write `op` through the key owner's connection.
pub async fn write(
    hub: &Hub,
    owner: &KeyOwner,
    op: WriteOp,
    idempotency_key: Option<&str>,
) -> Result<WriteAnswer, WriteError> {
    let kind = op.kind();
    let request_hash = hex::encode(Sha256::digest(format!(
        "{}:{}",
        kind.as_str(),
        serde_json::to_string(&op).unwrap_or_default()
    )));
    if let Some(key) = idempotency_key
        && let Some(saved) = hub.store.saved_response(&owner.key_id, key).await?
    {
        if saved.request_hash != request_hash {
            return Err(WriteError::KeyReused(key.to_string()));
        }
        return Ok(WriteAnswer {
            status: saved.status,
            body: saved.body,
            replayed: true,
        });
    }
    let connection = hub.store.connection(&owner.connection_id).await?;
    let (connector, options) = hub.prepare(&connection)?;
    if !connector.manifest.writes.contains(&kind) {
        let supported: Vec<&str> = connector
            .manifest
            .writes
            .iter()
            .map(|w| w.as_str())
            .collect();
        return Err(WriteError::Unsupported {
            connector: connector.manifest.key.clone(),
            kind: kind.as_str(),
            supported: if supported.is_empty() {
                "none".to_string()
            } else {
                supported.join(", ")
            },
        });
    }
    // A write names a record of the local copy: one it does not hold (or not under that
    // product) is a 404 here, not whatever the external system makes of a stranger's id.
    if let Some((resource, parent, id, named)) = write_target(&op) {
        match hub
            .store
            .record(&owner.connection_id, resource, parent, id)
            .await?
        {
            None => {
                return Err(WriteError::NotInCopy(format!(
                    "no {named} in this connection's copy (records are written back once synced)"
                )));
            }
            Some(record) if record.deleted_ms.is_some() => {
                return Err(WriteError::NotInCopy(format!(
                    "{named} was deleted in the external system; nothing was written"
                )));
            }
            Some(_) => {}
        }
    }
    let outcome = connector.write(&options, op).await.value?;
    let mut data = Value::Null;
    if let Some(entity) = &outcome.entity {
        match to_stored(entity) {
            Ok(record) => {
                if hub
                    .store
                    .upsert_record(&owner.connection_id, entity.kind(), &record)
                    .await?
                {
                    hub.store
                        .wake_automations_on_change(&owner.connection_id)
                        .await?;
                }
                data = served_value(hub, &owner.connection_id, entity.kind(), &record).await?;
            }
            Err(e) => {
                tracing::warn!(error = %e, "write succeeded but its returned record cannot be stored")
            }
        }
    }
    let body = serde_json::to_string(&WriteResult {
        success: true,
        external_id: outcome.external_id,
        data,
    })
    .map_err(|e| DomainError::Internal(e.to_string()))?;
    if let Some(key) = idempotency_key {
        let saved = SavedResponse {
            request_hash,
            status: 200,
            body: body.clone(),
        };
        hub.store.save_response(&owner.key_id, key, &saved).await?;
    }
    Ok(WriteAnswer {
        status: 200,
        body,
        replayed: false,
    })
}
