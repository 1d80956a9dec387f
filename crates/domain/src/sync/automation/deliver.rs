//! Delivering outbox rows: turn a planned write into the writing side's operation (the
//! target id from the links, or the product/variation matched by SKU), call the connector
//! under the connection's request budget, and settle the row.
//!
//! Success records the link (target id, content digest, the target's modification time as
//! the echo mark) and deletes the row in one transaction, then updates the writing side's
//! local copy with the record the connector returned (in that order: see `settle_success`). A rate-limit answer is not a failure:
//! the row waits out the retry-after without spending an attempt. Other failures that a
//! retry may fix wait with exponential backoff and jitter until the attempt limit, then
//! park; refusals a retry cannot fix (bad data, unsupported, credentials) park at once.
//! Upserts are idempotent by the source record's id (connectors find the record by it when
//! no target id is known), so a write repeated after a crash updates instead of duplicating.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::plan::Planned;
use crate::hub::Hub;
use crate::sync::autosync::jitter_ms;
use crate::sync::record_json::to_stored;
use junction_contract::{
    ConnectorError, CustomerUpsert, OrderUpsert, ProductPriceChange, ProductStockChange,
    ProductUpsert, ResourceKind, VariationPriceChange, VariationStockChange, WriteKind, WriteOp,
    WriteOutcome,
};
use junction_runtime::{CallError, CallOptions, LoadedConnector};
use junction_store::outbox::{IdLink, OutboxEntry};
use junction_store::{StoreError, now_ms};

/// Outbox tunables, with their defaults.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxSettings {
    /// Failed attempts before a row is parked. Default 8.
    pub max_attempts: i64,
    /// First retry delay, in seconds; doubles per attempt. Default 5.
    pub backoff_base_secs: f64,
    /// Longest retry delay, in seconds. Default 3600.
    pub backoff_max_secs: f64,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            backoff_base_secs: 5.0,
            backoff_max_secs: 3600.0,
        }
    }
}

impl OutboxSettings {
    /// The wait before the next attempt after `attempts` failed ones (with up to 20 %
    /// jitter so rows that failed together spread out).
    pub fn backoff_ms(&self, attempts: i64) -> i64 {
        let exp = self.backoff_base_secs
            * 2_f64.powi(i32::try_from(attempts.clamp(0, 30)).unwrap_or(30) - 1);
        let ms = (exp.min(self.backoff_max_secs).max(0.05) * 1000.0) as i64;
        ms + jitter_ms(ms / 5)
    }
}

/// The writing side of a flow, ready for calls.
pub struct Writer {
    pub connection_id: String,
    pub connector: Arc<LoadedConnector>,
    pub options: CallOptions,
}

/// How one row ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Written,
    /// Nothing to write (its content is what the target already has).
    Unchanged,
    /// Failed; waits for its next attempt.
    Failed(String),
    /// Parked until retried by hand.
    Parked(String),
    /// The writing side asked to slow down; the row waits this long (no attempt spent).
    RateLimited(i64),
}

/// Why a row could not become an operation.
enum Unresolved {
    /// Retrying later may work (the match may appear once the target's copy is synced).
    Retry(String),
    /// The writing side's copy is still being synced: wait without spending an attempt.
    Wait(String),
    /// Only a hand can fix it.
    Park(String),
}

/// Deliver rows to one writing side (the caller holds their leases), as one batch call —
/// connectors whose system has batch endpoints send them in few requests — and settle
/// each. Returns how each row ended, in order.
pub async fn deliver_batch(
    hub: &Hub,
    writer: &Writer,
    entries: &[OutboxEntry],
    settings: &OutboxSettings,
) -> Result<Vec<Settled>, StoreError> {
    let mut settled: Vec<Option<Settled>> = Vec::with_capacity(entries.len());
    let mut ops = Vec::new();
    let mut sent = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        match prepare(hub, writer, entry, settings).await? {
            Ok((op, matched)) => {
                settled.push(None);
                ops.push(op);
                sent.push((i, matched));
            }
            Err(done) => settled.push(Some(done)),
        }
    }
    let results: Vec<Result<WriteOutcome, CallError>> = match ops.len() {
        0 => Vec::new(),
        1 => {
            let op = ops.remove(0);
            vec![writer.connector.write(&writer.options, op).await.value]
        }
        n => match writer
            .connector
            .write_batch(&writer.options, ops)
            .await
            .value
        {
            Ok(outcomes) => outcomes
                .into_iter()
                .map(|r| r.map_err(CallError::Connector))
                .collect(),
            // The whole call failed: every op shares its error.
            Err(error) => (0..n).map(|_| Err(clone_error(&error))).collect(),
        },
    };
    for ((i, matched), result) in sent.into_iter().zip(results) {
        let entry = &entries[i];
        let done = match result {
            Ok(outcome) => {
                settle_success(hub, writer, entry, matched, outcome).await?;
                Settled::Written
            }
            Err(error) => settle_error(hub, entry, settings, error).await?,
        };
        settled[i] = Some(done);
    }
    Ok(settled
        .into_iter()
        .map(|s| s.unwrap_or(Settled::Unchanged))
        .collect())
}

/// A call error for each op of a failed batch call.
fn clone_error(error: &CallError) -> CallError {
    match error {
        CallError::Connector(e) => CallError::Connector(e.clone()),
        CallError::Timeout {
            connector,
            limit_ms,
        } => CallError::Timeout {
            connector: connector.clone(),
            limit_ms: *limit_ms,
        },
        other => CallError::Connector(ConnectorError::Internal(other.to_string())),
    }
}

/// The operation for a row, or how the row ended without one (parked, or waiting).
async fn prepare(
    hub: &Hub,
    writer: &Writer,
    entry: &OutboxEntry,
    settings: &OutboxSettings,
) -> Result<Result<(WriteOp, Option<String>), Settled>, StoreError> {
    let planned: Planned = match serde_json::from_str(&entry.payload) {
        Ok(p) => p,
        Err(e) => {
            let why = format!("the stored write cannot be read: {e}");
            hub.store
                .outbox_failed(&entry.id, &why, true, now_ms(), true)
                .await?;
            return Ok(Err(Settled::Parked(why)));
        }
    };
    match resolve(hub, writer, entry, planned).await? {
        Ok(op) => Ok(Ok(op)),
        Err(Unresolved::Park(why)) => {
            hub.store
                .outbox_failed(&entry.id, &why, true, now_ms(), true)
                .await?;
            Ok(Err(Settled::Parked(why)))
        }
        Err(Unresolved::Retry(why)) => Ok(Err(fail(hub, entry, settings, why).await?)),
        Err(Unresolved::Wait(why)) => {
            hub.store
                .outbox_failed(&entry.id, &why, false, now_ms() + COPY_WAIT_MS, false)
                .await?;
            Ok(Err(Settled::Failed(why)))
        }
    }
}

/// Record a successful write: link + row removal first, then the writing side's copy.
///
/// The order matters: the copy's change wakes the writing side's on-change automations at
/// once, and a reverse automation tells Junction's own writes from real changes by the
/// link's echo mark. Stored the other way round, it could read the change before the mark
/// and send the write back. (A copy update that fails after the link is stored costs
/// nothing: the next autosync brings the same record.)
pub async fn settle_success(
    hub: &Hub,
    writer: &Writer,
    entry: &OutboxEntry,
    matched_id: Option<String>,
    outcome: WriteOutcome,
) -> Result<(), StoreError> {
    let written = outcome.entity.as_ref().and_then(|entity| {
        to_stored(entity)
            .map(|record| (entity.kind(), record))
            .inspect_err(|e| {
                tracing::warn!(error = %e, "write succeeded but its returned record cannot be stored")
            })
            .ok()
    });
    let target_id = if outcome.external_id.is_empty() {
        matched_id.unwrap_or_default()
    } else {
        outcome.external_id
    };
    let link = IdLink {
        resource: entry.resource.clone(),
        source_connection_id: entry.source_connection_id.clone(),
        source_id: entry.source_id.clone(),
        target_connection_id: entry.target_connection_id.clone(),
        target_id,
        fingerprint: Some(entry.fingerprint.clone()),
        echo_modified_ms: written.as_ref().map(|(_, record)| record.modified_ms),
    };
    hub.store.outbox_delivered(entry, &link).await?;
    if let Some((kind, record)) = written
        && hub
            .store
            .upsert_record(&writer.connection_id, kind, &record)
            .await?
    {
        hub.store
            .wake_automations_on_change(&writer.connection_id)
            .await?;
    }
    Ok(())
}

/// Settle a failed write.
pub async fn settle_error(
    hub: &Hub,
    entry: &OutboxEntry,
    settings: &OutboxSettings,
    error: CallError,
) -> Result<Settled, StoreError> {
    let message = error.to_string();
    if let CallError::Connector(ConnectorError::RateLimited(info)) = &error {
        let wait = i64::try_from(info.retry_after_ms)
            .unwrap_or(i64::MAX)
            .max(1);
        hub.store
            .outbox_failed(
                &entry.id,
                &message,
                false,
                now_ms().saturating_add(wait),
                false,
            )
            .await?;
        return Ok(Settled::RateLimited(wait));
    }
    if error.is_retryable() {
        return fail(hub, entry, settings, message).await;
    }
    hub.store
        .outbox_failed(&entry.id, &message, true, now_ms(), true)
        .await?;
    Ok(Settled::Parked(message))
}

/// Count a failed attempt: wait for the next, or park after the last.
async fn fail(
    hub: &Hub,
    entry: &OutboxEntry,
    settings: &OutboxSettings,
    why: String,
) -> Result<Settled, StoreError> {
    let attempts = entry.attempts + 1;
    if attempts >= settings.max_attempts {
        let why = format!("{why} (parked after {attempts} attempts)");
        hub.store
            .outbox_failed(&entry.id, &why, true, now_ms(), true)
            .await?;
        return Ok(Settled::Parked(why));
    }
    let next = now_ms() + settings.backoff_ms(attempts);
    hub.store
        .outbox_failed(&entry.id, &why, true, next, false)
        .await?;
    Ok(Settled::Failed(why))
}

/// The operation for a planned write on this writing side, and the id of the record it
/// was matched to (stock and price updates).
async fn resolve(
    hub: &Hub,
    writer: &Writer,
    entry: &OutboxEntry,
    planned: Planned,
) -> Result<Result<(WriteOp, Option<String>), Unresolved>, StoreError> {
    let takes = |w: WriteKind| writer.connector.manifest.writes.contains(&w);
    let known = || target_id_for(hub, entry);
    Ok(Ok(match planned {
        Planned::UpsertOrder { order } => (
            WriteOp::UpsertOrder(OrderUpsert {
                target_id: known().await?,
                order: *order,
            }),
            None,
        ),
        Planned::UpsertCustomer { customer } => (
            WriteOp::UpsertCustomer(CustomerUpsert {
                target_id: known().await?,
                customer: *customer,
            }),
            None,
        ),
        Planned::UpsertProduct { product } => (
            WriteOp::UpsertProduct(ProductUpsert {
                target_id: known().await?,
                product: *product,
            }),
            None,
        ),
        Planned::Stock { sku, quantity } => {
            let matched = match by_sku(hub, writer, entry, sku.as_deref()).await? {
                Ok(m) => m,
                Err(u) => return Ok(Err(u)),
            };
            let op = match &matched {
                Match::Product(id) if takes(WriteKind::ProductStock) => {
                    WriteOp::ProductStock(ProductStockChange {
                        product_id: id.clone(),
                        quantity,
                    })
                }
                Match::Variation { product, id } if takes(WriteKind::VariationStock) => {
                    WriteOp::VariationStock(VariationStockChange {
                        product_id: product.clone(),
                        variation_id: id.clone(),
                        quantity,
                    })
                }
                other => return Ok(Err(Unresolved::Park(other.cannot("stock")))),
            };
            (op, Some(matched.id().to_string()))
        }
        Planned::Price {
            sku,
            price,
            sale_price,
        } => {
            let matched = match by_sku(hub, writer, entry, sku.as_deref()).await? {
                Ok(m) => m,
                Err(u) => return Ok(Err(u)),
            };
            let op = match &matched {
                Match::Product(id) if takes(WriteKind::ProductPrice) => {
                    WriteOp::ProductPrice(ProductPriceChange {
                        product_id: id.clone(),
                        price,
                        sale_price,
                    })
                }
                Match::Variation { product, id } if takes(WriteKind::VariationPrice) => {
                    WriteOp::VariationPrice(VariationPriceChange {
                        product_id: product.clone(),
                        variation_id: id.clone(),
                        price,
                        sale_price,
                    })
                }
                other => return Ok(Err(Unresolved::Park(other.cannot("price")))),
            };
            (op, Some(matched.id().to_string()))
        }
    }))
}

/// The writing side's id for the row's record, when Junction knows it: from a link it
/// wrote before, or — when the record itself came from the writing side — its origin.
async fn target_id_for(hub: &Hub, entry: &OutboxEntry) -> Result<Option<String>, StoreError> {
    if let Some(link) = hub
        .store
        .link_from(
            &entry.resource,
            &entry.source_connection_id,
            &entry.source_id,
            &entry.target_connection_id,
        )
        .await?
    {
        return Ok(Some(link.target_id));
    }
    let origins = hub
        .store
        .links_to(
            &entry.resource,
            &entry.source_connection_id,
            &entry.source_id,
        )
        .await?;
    Ok(origins
        .into_iter()
        .find(|l| l.source_connection_id == entry.target_connection_id)
        .map(|l| l.source_id))
}

/// A product or variation of the writing side, found by SKU.
enum Match {
    Product(String),
    Variation { product: String, id: String },
}

impl Match {
    fn id(&self) -> &str {
        match self {
            Match::Product(id) => id,
            Match::Variation { id, .. } => id,
        }
    }

    fn cannot(&self, what: &str) -> String {
        match self {
            Match::Product(id) => format!(
                "the SKU matches product {id} on the writing side, whose connector does not take product {what} updates"
            ),
            Match::Variation { id, .. } => format!(
                "the SKU matches variation {id} on the writing side, whose connector does not take variation {what} updates"
            ),
        }
    }
}

/// How long a row waits, without spending attempts, for the writing side's first sync.
const COPY_WAIT_LIMIT_MS: i64 = 10 * 60 * 1000;
/// How often it looks again meanwhile.
const COPY_WAIT_MS: i64 = 2_000;

/// Has the writing side's copy of products and variations been synced to the end at least
/// once, with no sync of them in the middle of a run?
async fn copy_ready(hub: &Hub, writer: &Writer) -> Result<bool, StoreError> {
    for resource in [ResourceKind::Products, ResourceKind::Variations] {
        match hub.store.sync_state(&writer.connection_id, resource).await {
            Ok(state) if state.enabled => {
                let synced =
                    state.high_water.is_some() || state.last_status.as_deref() == Some("succeeded");
                if !synced || state.run_cursor.is_some() {
                    return Ok(false);
                }
            }
            Ok(_) | Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

async fn by_sku(
    hub: &Hub,
    writer: &Writer,
    entry: &OutboxEntry,
    sku: Option<&str>,
) -> Result<Result<Match, Unresolved>, StoreError> {
    let Some(sku) = sku.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(Err(Unresolved::Park(
            "the product has no SKU; a target that only takes stock and price updates is matched by SKU".into(),
        )));
    };
    let found = hub.store.records_by_sku(&writer.connection_id, sku).await?;
    let Some((kind, record)) = found.into_iter().next() else {
        if entry.created_ms + COPY_WAIT_LIMIT_MS > now_ms() && !copy_ready(hub, writer).await? {
            return Ok(Err(Unresolved::Wait(format!(
                "no product or variation with SKU `{sku}` yet: the writing side's products are still being synced"
            ))));
        }
        return Ok(Err(Unresolved::Retry(format!(
            "no product or variation with SKU `{sku}` in the writing side's local copy (is its products/variations sync enabled and up to date?)"
        ))));
    };
    Ok(Ok(match kind {
        ResourceKind::Variations => Match::Variation {
            product: record.parent_id,
            id: record.external_id,
        },
        _ => Match::Product(record.external_id),
    }))
}
