//! Connections: a tenant's link to one external system through a connector. The config is
//! stored in two halves: the public properties as JSON, the secret ones sealed (the store
//! never sees them in plaintext; see `junction_domain::secrets`).

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{Store, StoreError, new_id, now_ms};
use junction_contract::ResourceKind;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub id: String,
    pub tenant_id: String,
    pub connector_key: String,
    pub name: String,
    /// The config without its secret properties.
    #[serde(skip)]
    pub public_config: String,
    /// The sealed secret properties.
    #[serde(skip)]
    pub sealed_secrets: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// A request budget replacing the connector manifest's, if the operator set one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitOverride>,
    /// Paused: no autosync and no automation touching it runs.
    pub paused: bool,
}

/// An operator's request budget for one connection: `requests` per `perSeconds`, or
/// `unlimited`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unlimited: bool,
}

/// What deleting a connection removed.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeletedConnection {
    pub records: i64,
    pub keys: i64,
    pub webhook_endpoints: i64,
    pub automations_disabled: i64,
}

/// What a new connection is made of (config already validated and split).
pub struct NewConnection<'a> {
    pub tenant_id: &'a str,
    pub connector_key: &'a str,
    pub name: &'a str,
    pub public_config: &'a str,
    pub sealed_secrets: &'a str,
    /// Per resource: enabled and cadence in seconds.
    pub resources: Vec<(ResourceKind, bool, i64)>,
}

const COLUMNS: &str = "id, tenant_id, connector_key, name, config, secrets, created_ms, updated_ms, rate_limit, paused";

impl Store {
    /// Create a connection and its per-resource sync state in one transaction.
    pub async fn create_connection(
        &self,
        new: NewConnection<'_>,
    ) -> Result<Connection, StoreError> {
        self.create_connection_with_id(&new_id(), new).await
    }

    /// As [`Store::create_connection`], with an id chosen by the caller (secrets are sealed
    /// to the id before the row exists).
    pub async fn create_connection_with_id(
        &self,
        id: &str,
        new: NewConnection<'_>,
    ) -> Result<Connection, StoreError> {
        let now = now_ms();
        let connection = Connection {
            id: id.to_string(),
            tenant_id: new.tenant_id.to_string(),
            connector_key: new.connector_key.to_string(),
            name: new.name.to_string(),
            public_config: new.public_config.to_string(),
            sealed_secrets: new.sealed_secrets.to_string(),
            created_ms: now,
            updated_ms: now,
            rate_limit: None,
            paused: false,
        };
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO connections (id, tenant_id, connector_key, name, config, secrets, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&connection.id)
        .bind(&connection.tenant_id)
        .bind(&connection.connector_key)
        .bind(&connection.name)
        .bind(&connection.public_config)
        .bind(&connection.sealed_secrets)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict(format!(
                    "the tenant already has a connection named `{}`",
                    new.name
                ))
            } else {
                e.into()
            }
        })?;
        for (resource, enabled, cadence_secs) in &new.resources {
            sqlx::query(
                "INSERT INTO sync_state (connection_id, resource, enabled, cadence_secs, next_run_ms) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&connection.id)
            .bind(resource.as_str())
            .bind(i64::from(*enabled))
            .bind(*cadence_secs)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(connection)
    }

    /// Replace a connection's name and config (already validated, split and sealed).
    pub async fn update_connection(
        &self,
        id: &str,
        name: &str,
        public_config: &str,
        sealed_secrets: &str,
    ) -> Result<Connection, StoreError> {
        let done = sqlx::query(
            "UPDATE connections SET name = $1, config = $2, secrets = $3, updated_ms = $4 WHERE id = $5",
        )
        .bind(name)
        .bind(public_config)
        .bind(sealed_secrets)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("connection", id));
        }
        self.connection(id).await
    }

    /// Delete a connection, in one transaction: its records, positions, sync state, keys
    /// (and their idempotency rows), request budget, stored health checks and the webhook
    /// endpoints scoped to it are removed; the automations that use it are disabled with
    /// `reason`; the row stays as a tombstone (name and connector, config and secrets wiped)
    /// so those automations and the run history still name it. Returns what was removed.
    pub async fn delete_connection(
        &self,
        id: &str,
        reason: &str,
    ) -> Result<DeletedConnection, StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let marked = sqlx::query(
            "UPDATE connections SET deleted_ms = $1, paused = 1, config = '{}', secrets = '', updated_ms = $1 \
             WHERE id = $2 AND deleted_ms IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if marked == 0 {
            tx.rollback().await?;
            return Err(StoreError::not_found("connection", id));
        }
        let removed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        sqlx::query("DELETE FROM record_versions WHERE connection_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let records = sqlx::query("DELETE FROM records WHERE connection_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE api_key_id IN (SELECT id FROM api_keys WHERE connection_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let keys = sqlx::query("DELETE FROM api_keys WHERE connection_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        for table in [
            "position_marks",
            "sync_state",
            "request_budgets",
            "portal_health_checks",
            "webhook_cursors",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE connection_id = $1"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let webhooks = sqlx::query("DELETE FROM webhook_endpoints WHERE connection_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let automations = sqlx::query(
            "UPDATE automations SET enabled = 0, last_error = $1, updated_ms = $2 \
             WHERE source_connection_id = $3 OR target_connection_id = $3",
        )
        .bind(reason)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(DeletedConnection {
            records: removed(records),
            keys: removed(keys),
            webhook_endpoints: removed(webhooks),
            automations_disabled: removed(automations),
        })
    }

    /// Pause or resume a connection.
    pub async fn set_connection_paused(
        &self,
        id: &str,
        paused: bool,
    ) -> Result<Connection, StoreError> {
        let done = sqlx::query("UPDATE connections SET paused = $1, updated_ms = $2 WHERE id = $3")
            .bind(i64::from(paused))
            .bind(now_ms())
            .bind(id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("connection", id));
        }
        self.connection(id).await
    }

    pub async fn connection(&self, id: &str) -> Result<Connection, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM connections WHERE id = $1 AND deleted_ms IS NULL"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => connection_from_row(&row),
            None => Err(StoreError::not_found("connection", id)),
        }
    }

    /// All connections, or a tenant's.
    pub async fn connections(
        &self,
        tenant_id: Option<&str>,
    ) -> Result<Vec<Connection>, StoreError> {
        let rows = match tenant_id {
            Some(tenant) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM connections WHERE tenant_id = $1 AND deleted_ms IS NULL ORDER BY name"
                )))
                .bind(tenant)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM connections WHERE deleted_ms IS NULL ORDER BY tenant_id, name"
                )))
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(connection_from_row).collect()
    }

    /// Set (or with `None`, remove) a connection's request budget override.
    pub async fn set_connection_rate_limit(
        &self,
        id: &str,
        rate_limit: Option<&RateLimitOverride>,
    ) -> Result<(), StoreError> {
        let text = rate_limit
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let done =
            sqlx::query("UPDATE connections SET rate_limit = $1, updated_ms = $2 WHERE id = $3")
                .bind(text)
                .bind(now_ms())
                .bind(id)
                .execute(self.pool())
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("connection", id));
        }
        Ok(())
    }

    /// One connection's sealed secrets, with the connection id they are bound to: lets a
    /// database from before the key check prove the key against what it already holds.
    pub async fn some_sealed_secret(&self) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, secrets FROM connections WHERE secrets <> '' ORDER BY created_ms LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| Ok((r.try_get("id")?, r.try_get("secrets")?)))
            .transpose()
    }
}

fn connection_from_row(row: &sqlx::any::AnyRow) -> Result<Connection, StoreError> {
    let id: String = row.try_get("id")?;
    let rate_limit: Option<String> = row.try_get("rate_limit")?;
    let rate_limit = rate_limit
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("connection {id} rate_limit: {e}")))
        })
        .transpose()?;
    Ok(Connection {
        rate_limit,
        id,
        tenant_id: row.try_get("tenant_id")?,
        connector_key: row.try_get("connector_key")?,
        name: row.try_get("name")?,
        public_config: row.try_get("config")?,
        sealed_secrets: row.try_get("secrets")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
        paused: row.try_get::<i64, _>("paused")? != 0,
    })
}
