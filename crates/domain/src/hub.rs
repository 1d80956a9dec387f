//! The hub: the store, the connector registry and the secrets vault together, and the
//! operations that need all three — creating a connection (validate the config against the
//! connector's schema, seal its secrets) and preparing a call for a connection (open the
//! secrets, rebuild the config, resolve its egress allow-list).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::budgets::{Budgets, effective_limit};
use crate::secrets::{SecretError, Vault};
use junction_contract::ResourceKind;
use junction_runtime::config_check::{FieldProblem, summarize};
use junction_runtime::{CallOptions, LoadedConnector, Registry, manifest};
use junction_store::connections::{Connection, NewConnection};
use junction_store::{Store, StoreError};

/// Default autosync cadence per resource, in seconds.
pub fn default_cadence_secs(resource: ResourceKind) -> i64 {
    match resource {
        ResourceKind::Orders => 5 * 60,
        ResourceKind::Customers => 30 * 60,
        ResourceKind::Products | ResourceKind::Variations => 60 * 60,
    }
}

/// Why a hub operation failed.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("connector `{0}` is not loaded")]
    ConnectorMissing(String),
    #[error("invalid config: {}", summarize(.0))]
    InvalidConfig(Vec<FieldProblem>),
    #[error("connection secrets: {0}")]
    Secrets(#[from] SecretError),
}

/// Store + registry + vault, and the connections' request budgets.
#[derive(Clone)]
pub struct Hub {
    pub store: Store,
    pub registry: Arc<Registry>,
    pub vault: Vault,
    pub budgets: Arc<Budgets>,
    /// Wakes this host's autosync scheduler (`sync::scheduler` waits on it).
    pub sync_wake: Arc<tokio::sync::Notify>,
}

impl Hub {
    pub fn new(store: Store, registry: Arc<Registry>, vault: Vault) -> Self {
        // Shared through the database on PostgreSQL (several hosts), in memory on SQLite.
        let budgets = Arc::new(Budgets::for_store(&store));
        Self {
            store,
            registry,
            vault,
            budgets,
            sync_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Tell this host's scheduler to look for due work now (after "sync now").
    pub fn wake_sync(&self) {
        self.sync_wake.notify_one();
    }

    /// The live connector behind a key.
    pub fn connector(&self, key: &str) -> Result<Arc<LoadedConnector>, HubError> {
        self.registry
            .get(key)
            .ok_or_else(|| HubError::ConnectorMissing(key.to_string()))
    }

    /// Create a connection: the config must pass the connector's schema; its secret
    /// properties are sealed before they reach the database. Every resource the connector
    /// serves gets a sync schedule with the default cadence, enabled.
    pub async fn create_connection(
        &self,
        tenant_id: &str,
        connector_key: &str,
        name: &str,
        config: &Value,
    ) -> Result<Connection, HubError> {
        let connector = self.connector(connector_key)?;
        if name.trim().is_empty() {
            return Err(HubError::InvalidConfig(vec![FieldProblem {
                field: "name".into(),
                message: "a connection needs a non-empty name".into(),
            }]));
        }
        connector.prepare(config).map_err(HubError::InvalidConfig)?;
        let secret_fields = manifest::secret_fields(&connector.manifest);
        let (public, secret) = split_config(config, &secret_fields);
        // The id is chosen first so the sealed secrets can be bound to it.
        let id = junction_store::new_id();
        let sealed = self
            .vault
            .seal(Value::Object(secret).to_string().as_bytes(), &id)?;
        let resources = connector
            .manifest
            .resources
            .iter()
            .map(|r| (*r, true, default_cadence_secs(*r)))
            .collect();
        let connection = self
            .store
            .create_connection_with_id(
                &id,
                NewConnection {
                    tenant_id,
                    connector_key,
                    name,
                    public_config: &Value::Object(public).to_string(),
                    sealed_secrets: &sealed,
                    resources,
                },
            )
            .await?;
        Ok(connection)
    }

    /// A connection as it would be with a new name and config, validated against the
    /// connector's schema and sealed, but not stored. A secret property left out, empty or
    /// null keeps its stored value (secrets are never shown, so a form cannot send them
    /// back) — unless a property that decides where requests go changed: then every secret
    /// must be given again. Any other property left out is removed.
    pub fn edited(
        &self,
        connection: &Connection,
        name: Option<&str>,
        config: Option<&Value>,
    ) -> Result<Connection, HubError> {
        let connector = self.connector(&connection.connector_key)?;
        let name = name.unwrap_or(&connection.name);
        if name.trim().is_empty() {
            return Err(HubError::InvalidConfig(vec![FieldProblem {
                field: "name".into(),
                message: "a connection needs a non-empty name".into(),
            }]));
        }
        let Some(config) = config else {
            return Ok(Connection {
                name: name.to_string(),
                ..connection.clone()
            });
        };
        let Some(given) = config.as_object() else {
            return Err(HubError::InvalidConfig(vec![FieldProblem {
                field: "config".into(),
                message: "config must be a JSON object of the connector's settings".into(),
            }]));
        };
        let stored = self.full_config(connection)?;
        let secret_fields = manifest::secret_fields(&connector.manifest);
        // A stored secret is only sent where it was sent before: with a new destination,
        // every secret must be given again.
        let moved: Vec<String> =
            junction_runtime::overrides::destination_fields(&connector.manifest)
                .into_iter()
                .filter(|field| given.get(field) != stored.get(field))
                .collect();
        let mut merged = given.clone();
        let mut problems = Vec::new();
        for field in &secret_fields {
            let left_blank = merged
                .get(field)
                .is_none_or(|v| v.is_null() || v.as_str() == Some(""));
            if left_blank && !moved.is_empty() && stored.get(field).is_some() {
                problems.push(FieldProblem {
                    field: field.clone(),
                    message: format!(
                        "`{}` changed, so enter `{field}` again: a stored secret is only sent where it was sent before",
                        moved.join("`, `")
                    ),
                });
                continue;
            }
            if left_blank {
                match stored.get(field) {
                    Some(kept) => {
                        merged.insert(field.clone(), kept.clone());
                    }
                    None => {
                        merged.remove(field);
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(HubError::InvalidConfig(problems));
        }
        let merged = Value::Object(merged);
        connector
            .prepare(&merged)
            .map_err(HubError::InvalidConfig)?;
        let (public, secret) = split_config(&merged, &secret_fields);
        let sealed = self
            .vault
            .seal(Value::Object(secret).to_string().as_bytes(), &connection.id)?;
        Ok(Connection {
            name: name.to_string(),
            public_config: Value::Object(public).to_string(),
            sealed_secrets: sealed,
            ..connection.clone()
        })
    }

    /// The full config of a connection (secrets opened), for one call.
    pub fn full_config(&self, connection: &Connection) -> Result<Value, HubError> {
        let mut config: Map<String, Value> = serde_json::from_str(&connection.public_config)
            .map_err(|e| {
                StoreError::Corrupt(format!("connection {} config: {e}", connection.id))
            })?;
        if !connection.sealed_secrets.is_empty() {
            let opened = self
                .vault
                .open(&connection.sealed_secrets, &connection.id)?;
            let secrets: Map<String, Value> = serde_json::from_slice(&opened).map_err(|e| {
                StoreError::Corrupt(format!("connection {} secrets: {e}", connection.id))
            })?;
            config.extend(secrets);
        }
        Ok(Value::Object(config))
    }

    /// The connector and call options for a connection.
    pub fn prepare(
        &self,
        connection: &Connection,
    ) -> Result<(Arc<LoadedConnector>, CallOptions), HubError> {
        self.prepare_with(connection, &Map::new())
    }

    /// As [`Hub::prepare`], with some config properties replaced (an automation's
    /// per-target options) where `runtime::overrides` allows it; the result must still pass
    /// the connector's schema, and the egress allow-list is the stored config's.
    pub fn prepare_with(
        &self,
        connection: &Connection,
        overrides: &Map<String, Value>,
    ) -> Result<(Arc<LoadedConnector>, CallOptions), HubError> {
        let connector = self.connector(&connection.connector_key)?;
        let stored = self.full_config(connection)?;
        let mut options = connector
            .prepare_with(&stored, overrides)
            .map_err(HubError::InvalidConfig)?;
        let (limit, _) = effective_limit(connection, &connector.manifest);
        options.budget = Some(self.budgets.for_connection(&connection.id, limit));
        Ok((connector, options))
    }
}

/// Split a config object into its public and secret properties.
fn split_config(
    config: &Value,
    secret_fields: &[String],
) -> (Map<String, Value>, Map<String, Value>) {
    let mut public = Map::new();
    let mut secret = Map::new();
    if let Some(object) = config.as_object() {
        for (key, value) in object {
            if secret_fields.iter().any(|s| s == key) {
                secret.insert(key.clone(), value.clone());
            } else {
                public.insert(key.clone(), value.clone());
            }
        }
    }
    (public, secret)
}
