//! Connectors as people see them: the registry's listing (what is loaded, every file of
//! the plugins directory with its load error) for the admin API, the CLI and the portal;
//! and uploads (at most a few read at once, validated completely, stored in the database
//! for every host, installed here — `sync::components`).

use serde::Serialize;
use utoipa::ToSchema;

pub use crate::sync::components::{
    MAX_COMPONENT_BYTES, MAX_CONCURRENT_UPLOADS, PublishError, upload_slot,
};
use junction_runtime::manifest::secret_fields;
use junction_runtime::registry::{FileStatus, Installed, Registry};
use junction_runtime::{LoadError, LoadedConnector};
use junction_store::Store;

/// A connector's rate limit as its manifest declares it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitView {
    pub requests: u32,
    pub per_seconds: u32,
}

/// A loaded connector: its manifest, where it came from and its content digest.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorInfo {
    pub key: String,
    pub name: String,
    pub version: String,
    pub description: String,
    /// Readable resources: orders, customers, products, variations.
    pub resources: Vec<String>,
    /// Supported write operations, e.g. `order-status`, `variation-price`.
    pub writes: Vec<String>,
    /// The JSON Schema a connection config must satisfy.
    #[schema(value_type = Object)]
    pub config_schema: serde_json::Value,
    /// Config properties that are secrets (sealed at rest, never shown).
    pub secret_fields: Vec<String>,
    pub hosts: Vec<String>,
    pub rate_limit: Option<RateLimitView>,
    /// SHA-256 of the component.
    pub digest: String,
    pub file: String,
}

impl ConnectorInfo {
    pub fn of(connector: &LoadedConnector) -> Self {
        let manifest = &connector.manifest;
        Self {
            key: manifest.key.clone(),
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            description: manifest.description.clone(),
            resources: manifest
                .resources
                .iter()
                .map(|r| r.as_str().into())
                .collect(),
            writes: manifest.writes.iter().map(|w| w.as_str().into()).collect(),
            config_schema: serde_json::from_str(&manifest.config_schema)
                .unwrap_or(serde_json::Value::Null),
            secret_fields: secret_fields(manifest),
            hosts: manifest.hosts.clone(),
            rate_limit: manifest.rate_limit.as_ref().map(|l| RateLimitView {
                requests: l.requests,
                per_seconds: l.per_seconds,
            }),
            digest: connector.digest.clone(),
            file: connector.source.display().to_string(),
        }
    }
}

/// One file of the plugins directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginFile {
    pub file: String,
    /// `loaded` or `failed`.
    pub status: String,
    pub key: Option<String>,
    pub version: Option<String>,
    pub digest: String,
    /// Why it failed to load (a previous version of the same connector keeps serving).
    pub error: Option<String>,
}

/// The connector registry: what is loaded, and the state of every file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectorListing {
    pub connectors: Vec<ConnectorInfo>,
    pub files: Vec<PluginFile>,
    /// How many files failed to load.
    pub failed: u64,
}

/// The registry as it is now.
pub fn listing(registry: &Registry) -> ConnectorListing {
    let snapshot = registry.snapshot();
    let connectors = snapshot
        .connectors()
        .map(|c| ConnectorInfo::of(c))
        .collect();
    let files: Vec<PluginFile> = snapshot
        .files()
        .map(|(path, status)| {
            let file = path.display().to_string();
            match status {
                FileStatus::Loaded {
                    key,
                    version,
                    digest,
                } => PluginFile {
                    file,
                    status: "loaded".into(),
                    key: Some(key.clone()),
                    version: Some(version.clone()),
                    digest: digest.clone(),
                    error: None,
                },
                FileStatus::Failed { error, digest } => PluginFile {
                    file,
                    status: "failed".into(),
                    key: None,
                    version: None,
                    digest: digest.clone(),
                    error: Some(error.clone()),
                },
            }
        })
        .collect();
    let failed = files.iter().filter(|f| f.status == "failed").count() as u64;
    ConnectorListing {
        connectors,
        files,
        failed,
    }
}

/// The answer to an upload: the connector now serving, and the version it replaced.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadedConnector {
    #[serde(flatten)]
    pub connector: ConnectorInfo,
    pub previous_version: Option<String>,
}

/// Why an upload was not installed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Every upload slot is taken; try again shortly (nothing was read).
    #[error("other connector uploads are being read; try again in a few seconds")]
    Busy,
    /// Not a valid connector component: the message says why.
    #[error("{0}")]
    Invalid(String),
    /// The server could not read or compile it (a local fault, not the upload's).
    #[error("{0}")]
    Local(String),
    #[error("cannot store the component: {0}")]
    Store(#[from] junction_store::StoreError),
}

/// Install an uploaded component (validated completely first; stored for every host;
/// live here at once). The caller holds an upload slot while it read the bytes.
pub async fn upload(
    store: &Store,
    registry: &Registry,
    bytes: Vec<u8>,
) -> Result<UploadedConnector, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Invalid(
            "the body must be the connector component (.wasm bytes)".into(),
        ));
    }
    let installed: Installed = crate::sync::components::publish(store, registry, bytes)
        .await
        .map_err(|e| match e {
            PublishError::Store(e) => UploadError::Store(e),
            PublishError::Load(e @ (LoadError::Read { .. } | LoadError::Cache { .. })) => {
                UploadError::Local(e.to_string())
            }
            PublishError::Load(other) => UploadError::Invalid(other.to_string()),
        })?;
    let connector = &installed.connector;
    tracing::info!(
        connector = %connector.key(),
        version = %connector.manifest.version,
        previous = ?installed.previous_version,
        "connector uploaded"
    );
    let mut info = ConnectorInfo::of(connector);
    info.file = installed.file.display().to_string();
    Ok(UploadedConnector {
        connector: info,
        previous_version: installed.previous_version,
    })
}
