//! Outgoing webhooks: endpoints (subscribed URLs with their sealed signing secret), their
//! cursors into the change feed, deliveries and the attempt log.
//!
//! Fan-out moves an endpoint's cursor and creates the deliveries for what it passed over in
//! one transaction, with a compare-and-set on the cursor ([`Store::commit_webhook_fanout`]),
//! so a crash or a second worker never loses or doubles an event. Deliveries are claimed
//! with a lease before an attempt and the attempt's outcome is written together with its
//! log entry ([`Store::finish_webhook_attempt`]).

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

use super::{Store, StoreError, now_ms};
use junction_contract::ResourceKind;

/// A subscribed URL. The secret never leaves the store unsealed and is never serialised.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    pub id: String,
    pub tenant_id: String,
    /// Only this connection's events; null for every connection of the tenant.
    pub connection_id: Option<String>,
    pub url: String,
    pub description: String,
    /// Event types delivered: `order.created`, `order.*`, `*`, ...
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// The `whsec_...` secret, sealed.
    #[serde(skip)]
    pub sealed_secret: String,
    /// The secret before the last rotation, sealed; it signs alongside until
    /// `previous_secret_until_ms`.
    #[serde(skip)]
    pub sealed_previous_secret: Option<String>,
    /// Until when the secret replaced by the last rotation still signs (epoch ms).
    pub previous_secret_until_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// What a new endpoint is made of (validated; the secret already sealed to `id`).
pub struct NewEndpoint<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub connection_id: Option<&'a str>,
    pub url: &'a str,
    pub description: &'a str,
    pub event_types: &'a [String],
    pub enabled: bool,
    pub sealed_secret: &'a str,
}

/// Where an endpoint starts reading one (connection, resource) of the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorStart {
    pub connection_id: String,
    pub resource: ResourceKind,
    pub change_seq: i64,
}

/// One entry of a connection's change feed as fan-out needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub change_seq: i64,
    /// The number the record had when it first arrived.
    pub first_seq: i64,
    pub parent_id: String,
    pub external_id: String,
    /// The record JSON as served (`modifiedAt` the local change time); for a deletion,
    /// the last state the copy held.
    pub data: String,
    /// Set when this change is the record's deletion.
    pub deleted_ms: Option<i64>,
}

/// A delivery to create.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// The `webhook-id`.
    pub id: String,
    pub endpoint_id: String,
    pub event_type: String,
    pub connection_id: Option<String>,
    pub resource: Option<String>,
    pub external_id: Option<String>,
    pub change_seq: Option<i64>,
    /// The exact body to send.
    pub payload: String,
}

/// A delivery claimed for an attempt.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: String,
    pub endpoint_id: String,
    pub event_type: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// One attempt, as logged.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttempt {
    /// 1 for the first attempt.
    pub attempt: i64,
    pub started_ms: i64,
    pub duration_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i64>,
    /// Why the attempt failed (non-2xx, timeout, refused destination, ...).
    pub error: Option<String>,
    /// At most 1 KiB of the response body.
    pub response_excerpt: Option<String>,
}

/// A delivery with its attempt log.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// The `webhook-id` header, stable across retries.
    pub id: String,
    pub endpoint_id: String,
    pub event_type: String,
    pub connection_id: Option<String>,
    pub resource: Option<String>,
    pub external_id: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempt_count: i64,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_ms: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub delivered_ms: Option<i64>,
    /// The body sent.
    pub payload: Value,
    /// Every attempt, oldest first.
    pub attempts: Vec<WebhookAttempt>,
}

/// How an attempt ended, and so what becomes of the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    /// Try again at this time (epoch ms).
    RetryAt(i64),
    /// No attempts left.
    Failed,
}

/// The end of one attempt, written with its log entry.
#[derive(Debug, Clone)]
pub struct AttemptEnd<'a> {
    pub delivery_id: &'a str,
    /// The lease holder; a delivery no longer leased by it is left alone.
    pub owner: &'a str,
    pub attempt: WebhookAttempt,
    pub outcome: AttemptOutcome,
}

/// The delivery statuses.
pub const DELIVERY_STATUSES: [&str; 3] = ["pending", "delivered", "failed"];

const ENDPOINT_COLUMNS: &str = "id, tenant_id, connection_id, url, description, event_types, enabled, secret, previous_secret, previous_until_ms, created_ms, updated_ms";

const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_type, connection_id, resource, external_id, payload, status, attempts, next_attempt_ms, last_status_code, last_error, created_ms, updated_ms, delivered_ms";

impl Store {
    /// Create an endpoint and its starting cursors in one transaction.
    pub async fn create_webhook_endpoint(
        &self,
        new: NewEndpoint<'_>,
        cursors: &[CursorStart],
    ) -> Result<WebhookEndpoint, StoreError> {
        let now = now_ms();
        let types = serde_json::to_string(new.event_types)
            .map_err(|e| StoreError::Corrupt(format!("event types: {e}")))?;
        let mut tx = self.pool().begin().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, $9, $9)"
        )))
        .bind(new.id)
        .bind(new.tenant_id)
        .bind(new.connection_id)
        .bind(new.url)
        .bind(new.description)
        .bind(&types)
        .bind(i64::from(new.enabled))
        .bind(new.sealed_secret)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        set_cursors(&mut tx, new.id, cursors).await?;
        tx.commit().await?;
        self.webhook_endpoint(new.id).await
    }

    pub async fn webhook_endpoint(&self, id: &str) -> Result<WebhookEndpoint, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("webhook endpoint", id))?;
        endpoint_from_row(&row)
    }

    /// All endpoints, or a tenant's, oldest first.
    pub async fn webhook_endpoints(
        &self,
        tenant_id: Option<&str>,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let rows = match tenant_id {
            Some(tenant) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_ms, id"
                )))
                .bind(tenant)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_ms, id"
                )))
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(endpoint_from_row).collect()
    }

    /// The endpoints fan-out follows.
    pub async fn enabled_webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE enabled = 1 ORDER BY created_ms, id"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(endpoint_from_row).collect()
    }

    /// Replace an endpoint's settings (url, description, filters, enabled) and move the
    /// cursors of newly covered (connection, resource) pairs, in one transaction.
    pub async fn update_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        cursors: &[CursorStart],
    ) -> Result<WebhookEndpoint, StoreError> {
        let types = serde_json::to_string(&endpoint.event_types)
            .map_err(|e| StoreError::Corrupt(format!("event types: {e}")))?;
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET connection_id = $1, url = $2, description = $3, event_types = $4, enabled = $5, updated_ms = $6 WHERE id = $7",
        )
        .bind(endpoint.connection_id.as_deref())
        .bind(&endpoint.url)
        .bind(&endpoint.description)
        .bind(&types)
        .bind(i64::from(endpoint.enabled))
        .bind(now_ms())
        .bind(&endpoint.id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("webhook endpoint", &endpoint.id));
        }
        set_cursors(&mut tx, &endpoint.id, cursors).await?;
        tx.commit().await?;
        self.webhook_endpoint(&endpoint.id).await
    }

    /// Install a new sealed secret; the previous one keeps signing until `previous_until_ms`.
    pub async fn rotate_webhook_secret(
        &self,
        id: &str,
        sealed_secret: &str,
        sealed_previous: &str,
        previous_until_ms: i64,
    ) -> Result<WebhookEndpoint, StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET secret = $1, previous_secret = $2, previous_until_ms = $3, updated_ms = $4 WHERE id = $5",
        )
        .bind(sealed_secret)
        .bind(sealed_previous)
        .bind(previous_until_ms)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("webhook endpoint", id));
        }
        self.webhook_endpoint(id).await
    }

    /// Delete an endpoint with its cursors, deliveries and their log.
    pub async fn delete_webhook_endpoint(&self, id: &str) -> Result<(), StoreError> {
        // Children first: foreign-key cascades are not guaranteed to be on everywhere.
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for table in ["webhook_deliveries", "webhook_cursors"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE endpoint_id = $1"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("webhook endpoint", id));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Where an endpoint has read to in one (connection, resource); `None` before it
    /// has ever read it.
    pub async fn webhook_cursor(
        &self,
        endpoint_id: &str,
        connection_id: &str,
        resource: ResourceKind,
    ) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT change_seq FROM webhook_cursors WHERE endpoint_id = $1 AND connection_id = $2 AND resource = $3",
        )
        .bind(endpoint_id)
        .bind(connection_id)
        .bind(resource.as_str())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| r.try_get("change_seq"))
            .transpose()
            .map_err(Into::into)
    }

    /// All of an endpoint's cursors: (connection id, resource, change_seq).
    pub async fn webhook_cursors(
        &self,
        endpoint_id: &str,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT connection_id, resource, change_seq FROM webhook_cursors WHERE endpoint_id = $1",
        )
        .bind(endpoint_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("connection_id")?,
                    r.try_get("resource")?,
                    r.try_get("change_seq")?,
                ))
            })
            .collect()
    }

    /// The change feed of one (connection, resource) after `after_seq`, oldest first, with
    /// each record's first number (so fan-out can tell a creation the endpoint has not
    /// seen from an update).
    pub async fn webhook_feed(
        &self,
        connection_id: &str,
        resource: ResourceKind,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT change_seq, first_seq, parent_id, external_id, data, changed_ms, deleted_ms FROM records \
             WHERE connection_id = $1 AND resource = $2 AND change_seq > $3 \
             ORDER BY change_seq LIMIT $4",
        )
        .bind(connection_id)
        .bind(resource.as_str())
        .bind(after_seq)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(FeedEntry {
                    change_seq: row.try_get("change_seq")?,
                    first_seq: row.try_get("first_seq")?,
                    parent_id: row.try_get("parent_id")?,
                    external_id: row.try_get("external_id")?,
                    data: {
                        let stored: String = row.try_get("data")?;
                        let mut served = String::with_capacity(stored.len() + 48);
                        crate::records::write_served(
                            &mut served,
                            &stored,
                            row.try_get("changed_ms")?,
                        );
                        served
                    },
                    deleted_ms: row.try_get("deleted_ms")?,
                })
            })
            .collect()
    }

    /// Move an endpoint's cursor from `from_seq` (`None`: no cursor yet) to `to_seq` and
    /// create `deliveries`, atomically. Returns false, changing nothing, when the cursor
    /// was not at `from_seq` any more (another worker got there first).
    pub async fn commit_webhook_fanout(
        &self,
        endpoint_id: &str,
        connection_id: &str,
        resource: ResourceKind,
        from_seq: Option<i64>,
        to_seq: i64,
        deliveries: &[NewDelivery],
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        let moved = match from_seq {
            Some(from) => {
                sqlx::query(
                    "UPDATE webhook_cursors SET change_seq = $1 WHERE endpoint_id = $2 AND connection_id = $3 AND resource = $4 AND change_seq = $5",
                )
                .bind(to_seq)
                .bind(endpoint_id)
                .bind(connection_id)
                .bind(resource.as_str())
                .bind(from)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1
            }
            None => match sqlx::query(
                "INSERT INTO webhook_cursors (endpoint_id, connection_id, resource, change_seq) VALUES ($1, $2, $3, $4)",
            )
            .bind(endpoint_id)
            .bind(connection_id)
            .bind(resource.as_str())
            .bind(to_seq)
            .execute(&mut *tx)
            .await
            {
                Ok(_) => true,
                Err(e) if StoreError::is_unique_violation(&e) => false,
                Err(e) => return Err(e.into()),
            },
        };
        if !moved {
            tx.rollback().await?;
            return Ok(false);
        }
        for delivery in deliveries {
            insert_delivery(&mut tx, delivery).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Create one delivery outside fan-out (a test event).
    pub async fn insert_webhook_delivery(&self, delivery: &NewDelivery) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        insert_delivery(&mut tx, delivery).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Pending deliveries of enabled endpoints whose attempt is due and that nobody holds,
    /// oldest due first.
    pub async fn due_webhook_deliveries(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id, d.endpoint_id FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.status = 'pending' AND d.next_attempt_ms <= $1 AND e.enabled = 1 \
             AND (d.lease_until_ms IS NULL OR d.lease_until_ms < $1) \
             ORDER BY d.next_attempt_ms, d.id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("endpoint_id")?)))
            .collect()
    }

    /// Lease a due delivery for one attempt. `None` when someone else holds it or it is no
    /// longer pending.
    pub async fn claim_webhook_delivery(
        &self,
        id: &str,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Option<DueDelivery>, StoreError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET lease_owner = $1, lease_until_ms = $2 \
             WHERE id = $3 AND status = 'pending' AND (lease_until_ms IS NULL OR lease_until_ms < $4)",
        )
        .bind(owner)
        .bind(now + lease_ms)
        .bind(id)
        .bind(now)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT id, endpoint_id, event_type, payload, attempts FROM webhook_deliveries WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(DueDelivery {
                id: r.try_get("id")?,
                endpoint_id: r.try_get("endpoint_id")?,
                event_type: r.try_get("event_type")?,
                payload: r.try_get("payload")?,
                attempts: r.try_get("attempts")?,
            })
        })
        .transpose()
    }

    /// Record an attempt and its outcome, releasing the lease, in one transaction.
    /// Returns false (nothing written) when `owner` no longer holds the delivery.
    pub async fn finish_webhook_attempt(&self, end: &AttemptEnd<'_>) -> Result<bool, StoreError> {
        let now = now_ms();
        let (status, next_ms, delivered_ms) = match end.outcome {
            AttemptOutcome::Delivered => ("delivered", now, Some(now)),
            AttemptOutcome::RetryAt(at) => ("pending", at, None),
            AttemptOutcome::Failed => ("failed", now, None),
        };
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_ms = $3, \
             last_status_code = $4, last_error = $5, delivered_ms = COALESCE($6, delivered_ms), \
             updated_ms = $7, lease_owner = NULL, lease_until_ms = NULL \
             WHERE id = $8 AND lease_owner = $9",
        )
        .bind(status)
        .bind(end.attempt.attempt)
        .bind(next_ms)
        .bind(end.attempt.status_code)
        .bind(end.attempt.error.as_deref())
        .bind(delivered_ms)
        .bind(now)
        .bind(end.delivery_id)
        .bind(end.owner)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, started_ms, duration_ms, status_code, error, response_excerpt) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(end.delivery_id)
        .bind(end.attempt.attempt)
        .bind(end.attempt.started_ms)
        .bind(end.attempt.duration_ms)
        .bind(end.attempt.status_code)
        .bind(end.attempt.error.as_deref())
        .bind(end.attempt.response_excerpt.as_deref())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Give up a lease without an attempt (the worker is stopping, or the endpoint cannot
    /// be read): the delivery stays pending and is due at once.
    pub async fn release_webhook_delivery(&self, id: &str, owner: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_deliveries SET lease_owner = NULL, lease_until_ms = NULL WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// An endpoint's deliveries, newest first, with their attempts.
    pub async fn webhook_deliveries(
        &self,
        endpoint_id: &str,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let rows = match status {
            Some(status) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 AND status = $2 \
                     ORDER BY created_ms DESC, id DESC LIMIT $3"
                )))
                .bind(endpoint_id)
                .bind(status)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 \
                     ORDER BY created_ms DESC, id DESC LIMIT $2"
                )))
                .bind(endpoint_id)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        let mut deliveries = rows
            .iter()
            .map(delivery_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        self.attach_attempts(&mut deliveries).await?;
        Ok(deliveries)
    }

    /// One delivery with its attempts.
    pub async fn webhook_delivery(&self, id: &str) -> Result<WebhookDelivery, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("webhook delivery", id))?;
        let mut deliveries = vec![delivery_from_row(&row)?];
        self.attach_attempts(&mut deliveries).await?;
        deliveries
            .pop()
            .ok_or_else(|| StoreError::not_found("webhook delivery", id))
    }

    /// Make a failed (or delivered) delivery due again now, for one more attempt. A
    /// pending one is refused: it is already scheduled.
    pub async fn retry_webhook_delivery(&self, id: &str) -> Result<WebhookDelivery, StoreError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_ms = $1, updated_ms = $1 \
             WHERE id = $2 AND status <> 'pending'",
        )
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            // Missing (404), or pending: its next attempt is already scheduled.
            let current = self.webhook_delivery(id).await?;
            let due = current
                .next_attempt_ms
                .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                .map(|t| t.to_string())
                .unwrap_or_default();
            return Err(StoreError::Conflict(format!(
                "delivery `{id}` is still pending (next attempt due at {due}); only failed or delivered deliveries can be retried"
            )));
        }
        self.webhook_delivery(id).await
    }

    /// How many of an endpoint's deliveries are in each status.
    pub async fn webhook_delivery_counts(
        &self,
        endpoint_id: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM webhook_deliveries WHERE endpoint_id = $1 GROUP BY status",
        )
        .bind(endpoint_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }

    async fn attach_attempts(&self, deliveries: &mut [WebhookDelivery]) -> Result<(), StoreError> {
        if deliveries.is_empty() {
            return Ok(());
        }
        // Built only from placeholders: `$1, $2, ...`.
        let placeholders: Vec<String> = (1..=deliveries.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT delivery_id, attempt, started_ms, duration_ms, status_code, error, response_excerpt \
             FROM webhook_attempts WHERE delivery_id IN ({}) ORDER BY delivery_id, attempt",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for delivery in deliveries.iter() {
            query = query.bind(delivery.id.clone());
        }
        let rows = query.fetch_all(self.pool()).await?;
        for row in &rows {
            let delivery_id: String = row.try_get("delivery_id")?;
            let attempt = WebhookAttempt {
                attempt: row.try_get("attempt")?,
                started_ms: row.try_get("started_ms")?,
                duration_ms: row.try_get("duration_ms")?,
                status_code: row.try_get("status_code")?,
                error: row.try_get("error")?,
                response_excerpt: row.try_get("response_excerpt")?,
            };
            if let Some(d) = deliveries.iter_mut().find(|d| d.id == delivery_id) {
                d.attempts.push(attempt);
            }
        }
        Ok(())
    }
}

/// Set cursors (insert, or move existing ones) inside a transaction.
async fn set_cursors(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    endpoint_id: &str,
    cursors: &[CursorStart],
) -> Result<(), StoreError> {
    for cursor in cursors {
        sqlx::query(
            "INSERT INTO webhook_cursors (endpoint_id, connection_id, resource, change_seq) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (endpoint_id, connection_id, resource) DO UPDATE SET change_seq = excluded.change_seq",
        )
        .bind(endpoint_id)
        .bind(&cursor.connection_id)
        .bind(cursor.resource.as_str())
        .bind(cursor.change_seq)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_delivery(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    delivery: &NewDelivery,
) -> Result<(), StoreError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_type, connection_id, resource, external_id, change_seq, payload, status, attempts, next_attempt_ms, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9, $9)",
    )
    .bind(&delivery.id)
    .bind(&delivery.endpoint_id)
    .bind(&delivery.event_type)
    .bind(delivery.connection_id.as_deref())
    .bind(delivery.resource.as_deref())
    .bind(delivery.external_id.as_deref())
    .bind(delivery.change_seq)
    .bind(&delivery.payload)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn endpoint_from_row(row: &sqlx::any::AnyRow) -> Result<WebhookEndpoint, StoreError> {
    let types: String = row.try_get("event_types")?;
    let event_types = serde_json::from_str(&types)
        .map_err(|e| StoreError::Corrupt(format!("webhook event types `{types}`: {e}")))?;
    let enabled: i64 = row.try_get("enabled")?;
    Ok(WebhookEndpoint {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        connection_id: row.try_get("connection_id")?,
        url: row.try_get("url")?,
        description: row.try_get("description")?,
        event_types,
        enabled: enabled != 0,
        sealed_secret: row.try_get("secret")?,
        sealed_previous_secret: row.try_get("previous_secret")?,
        previous_secret_until_ms: row.try_get("previous_until_ms")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}

fn delivery_from_row(row: &sqlx::any::AnyRow) -> Result<WebhookDelivery, StoreError> {
    let payload: String = row.try_get("payload")?;
    let status: String = row.try_get("status")?;
    let next_attempt_ms: i64 = row.try_get("next_attempt_ms")?;
    Ok(WebhookDelivery {
        id: row.try_get("id")?,
        endpoint_id: row.try_get("endpoint_id")?,
        event_type: row.try_get("event_type")?,
        connection_id: row.try_get("connection_id")?,
        resource: row.try_get("resource")?,
        external_id: row.try_get("external_id")?,
        next_attempt_ms: (status == "pending").then_some(next_attempt_ms),
        status,
        attempt_count: row.try_get("attempts")?,
        last_status_code: row.try_get("last_status_code")?,
        last_error: row.try_get("last_error")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
        delivered_ms: row.try_get("delivered_ms")?,
        payload: serde_json::from_str(&payload).unwrap_or(Value::String(payload)),
        attempts: Vec::new(),
    })
}
