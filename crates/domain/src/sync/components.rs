//! Shared connector components: every host serves the versions the database names.
//!
//! This module owns both directions between the registry and the `components` tables.
//! [`publish`] is the upload path (admin API and portal): validate with the registry, store
//! the component content-addressed and make it its key's head, then install it locally.
//! [`ComponentSync`] is what every host runs: it polls a one-row marker of the heads every
//! [`POLL_INTERVAL`] and installs, through the registry's own validate-and-install path, each
//! head whose digest is not the one serving locally — so an upload on one host is live on
//! every host within seconds, and a host that starts later materialises every head before it
//! serves. Installing from the database never publishes, so hosts cannot echo each other.
//!
//! Files put into one host's plugins directory by hand are not published: they stay local.
//! For a key the database has a head for, the head wins: a hand-placed file serving another
//! digest of that key is replaced (upload a version instead of copying it onto one host).
//! A head that fails to install (corrupt row, refused by this host's runtime) is logged once
//! and remembered by digest, so it is not retried every poll; an I/O failure (disk full) is
//! retried after [`RETRY_AFTER_IO`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use junction_runtime::LoadError;
use junction_runtime::registry::{Installed, Registry};
use junction_store::components::{ComponentHead, HeadsMarker};
use junction_store::{Store, StoreError};

/// How often each host compares the heads' marker with the last one it saw.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// When a head that failed for a local, possibly passing reason (I/O) is tried again.
pub const RETRY_AFTER_IO: Duration = Duration::from_secs(60);

/// The largest component an upload accepts (admin API and portal alike): Python
/// components carry an interpreter.
pub const MAX_COMPONENT_BYTES: usize = 64 << 20;

/// How many uploads one host reads at once. Each may hold [`MAX_COMPONENT_BYTES`] in
/// memory while it is validated, so more at once would let a few requests hold the
/// server's memory; a further upload is refused at once ("busy, try again"), before its
/// body is read.
pub const MAX_CONCURRENT_UPLOADS: usize = 2;

static UPLOAD_SLOTS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(MAX_CONCURRENT_UPLOADS);

/// A slot to read one upload in, held until dropped; `None` while every slot is taken.
pub fn upload_slot() -> Option<tokio::sync::SemaphorePermit<'static>> {
    UPLOAD_SLOTS.try_acquire().ok()
}

/// Why an upload was not published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The registry refused the component (or could not read or compile it).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The database did not store it; nothing was installed.
    #[error("cannot store the component: {0}")]
    Store(#[from] StoreError),
}

/// Upload a component: validate it completely, store it in the database (one row per
/// distinct bytes) as its key's head, then install it here. Other hosts pick it up from the
/// database. A component that fails validation is neither stored nor installed; one the
/// database refuses is not installed (it would otherwise serve on this host only).
pub async fn publish(
    store: &Store,
    registry: &Registry,
    bytes: Vec<u8>,
) -> Result<Installed, PublishError> {
    let validated = registry.validate(bytes).await?;
    let connector = validated.connector();
    let published = store
        .publish_component(
            connector.key(),
            &connector.manifest.version,
            validated.bytes(),
        )
        .await?;
    tracing::info!(
        connector = %connector.key(),
        version = %connector.manifest.version,
        digest = %&published.digest[..12],
        new_row = published.stored,
        head_moved = published.head_moved,
        "connector component published to the database"
    );
    Ok(registry.install_validated(validated).await?)
}

/// What one [`ComponentSync::tick`] did.
#[derive(Debug, Default)]
pub struct SyncReport {
    /// Connector keys installed from the database.
    pub installed: Vec<String>,
    /// Digests that failed to install this time.
    pub failed: Vec<String>,
    /// Heads not tried because they failed before.
    pub skipped: usize,
}

/// A head that failed: `retry_at` None means never again in this process.
#[derive(Debug)]
struct Failure {
    retry_at: Option<Instant>,
}

/// One failed attempt, classified.
enum Attempt {
    /// The row or the component is bad: retrying cannot help.
    Permanent(String),
    /// Something local (I/O, the compile cache, the database): retry later.
    Transient(String),
}

/// The propagation task's state: the last marker and heads seen, and the failed digests.
pub struct ComponentSync {
    store: Store,
    registry: Arc<Registry>,
    marker: Option<HeadsMarker>,
    heads: Vec<ComponentHead>,
    /// By (connector key, digest): a digest is refused for the key it heads (the same
    /// bytes may head another key, as a forged row's rightful owner).
    failed: HashMap<(String, String), Failure>,
}

impl ComponentSync {
    pub fn new(store: Store, registry: Arc<Registry>) -> Self {
        Self {
            store,
            registry,
            marker: None,
            heads: Vec::new(),
            failed: HashMap::new(),
        }
    }

    /// One poll: re-read the heads only when the marker moved, then install every head not
    /// serving locally. The comparison with the registry runs on every tick (no query), so
    /// a head replaced locally by hand, or one whose install failed on I/O, is restored.
    pub async fn tick(&mut self) -> Result<SyncReport, StoreError> {
        let marker = self.store.component_heads_marker().await?;
        if self.marker != Some(marker) {
            self.heads = self.store.component_heads().await?;
            self.marker = Some(marker);
        }
        let mut report = SyncReport::default();
        for head in self.heads.clone() {
            let serving = self
                .registry
                .get(&head.connector_key)
                .is_some_and(|c| c.digest == head.digest);
            if serving {
                continue;
            }
            let id = (head.connector_key.clone(), head.digest.clone());
            if let Some(failure) = self.failed.get(&id)
                && failure.retry_at.is_none_or(|at| Instant::now() < at)
            {
                report.skipped += 1;
                continue;
            }
            match self.install(&head).await {
                Ok(()) => {
                    tracing::info!(
                        connector = %head.connector_key,
                        version = %head.version,
                        digest = %short(&head.digest),
                        "connector installed from the database"
                    );
                    metrics::counter!("junction_components_synced_total", "outcome" => "installed")
                        .increment(1);
                    self.failed.remove(&id);
                    report.installed.push(head.connector_key.clone());
                }
                Err(attempt) => {
                    let (message, retry_at) = match attempt {
                        Attempt::Permanent(m) => (m, None),
                        Attempt::Transient(m) => (m, Some(Instant::now() + RETRY_AFTER_IO)),
                    };
                    tracing::error!(
                        connector = %head.connector_key,
                        version = %head.version,
                        digest = %short(&head.digest),
                        error = %message,
                        retry = retry_at.is_some(),
                        "a connector component from the database failed to install; \
                         any previous version keeps serving"
                    );
                    metrics::counter!("junction_components_synced_total", "outcome" => "failed")
                        .increment(1);
                    self.failed.insert(id, Failure { retry_at });
                    report.failed.push(head.digest.clone());
                }
            }
        }
        Ok(report)
    }

    async fn install(&self, head: &ComponentHead) -> Result<(), Attempt> {
        let bytes = match self.store.component_bytes(&head.digest).await {
            Ok(bytes) => bytes,
            Err(e @ (StoreError::Corrupt(_) | StoreError::NotFound { .. })) => {
                return Err(Attempt::Permanent(e.to_string()));
            }
            Err(e) => return Err(Attempt::Transient(e.to_string())),
        };
        let classify = |e: LoadError| match e {
            LoadError::Read { .. } | LoadError::Cache { .. } => Attempt::Transient(e.to_string()),
            other => Attempt::Permanent(other.to_string()),
        };
        let validated = self.registry.validate(bytes).await.map_err(classify)?;
        let key = validated.connector().key().to_string();
        if key != head.connector_key {
            return Err(Attempt::Permanent(format!(
                "stored as the head of `{}` but its manifest says `{key}`",
                head.connector_key
            )));
        }
        self.registry
            .install_validated(validated)
            .await
            .map_err(classify)?;
        // Installed but not serving (another file claims the key): remembered as failed, or
        // every poll would write it again.
        match self.registry.get(&key) {
            Some(live) if live.digest == head.digest => Ok(()),
            _ => Err(Attempt::Permanent(
                "installed, but another file in the plugins directory serves this key".into(),
            )),
        }
    }

    /// Poll every `interval` until the returned handle is dropped. Errors (the database
    /// unreachable) are logged and the next poll waits longer (`ErrorBackoff`).
    pub fn spawn(mut self, interval: Duration) -> SyncTask {
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut backoff = junction_store::health::ErrorBackoff::default();
            loop {
                ticker.tick().await;
                match self.tick().await {
                    Ok(_) => backoff.succeeded(),
                    Err(e) => {
                        let delay = backoff.failed();
                        tracing::warn!(error = %e, retry_in_secs = delay.as_secs(), "cannot read connector components from the database");
                        tokio::time::sleep(delay).await;
                    }
                }
            }
        });
        SyncTask { task }
    }
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// The running propagation task; dropping it stops it.
pub struct SyncTask {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SyncTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use junction_runtime::{Runtime, SandboxLimits};

    async fn setup() -> (tempfile::TempDir, Store, Arc<Registry>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&junction_store::sqlite_url(dir.path()))
            .await
            .unwrap();
        let runtime = Runtime::new(SandboxLimits::default(), None).unwrap();
        let registry = Registry::open(runtime, dir.path().join("plugins"))
            .await
            .unwrap();
        (dir, store, registry)
    }

    #[tokio::test]
    async fn a_bad_head_is_tried_once_and_remembered() {
        let (_dir, store, registry) = setup().await;
        // A row no runtime accepts (what a corrupt or foreign upload would look like).
        let bad = store
            .publish_component("shop", "1.0.0", b"not a component")
            .await
            .unwrap();
        let mut sync = ComponentSync::new(store.clone(), registry.clone());
        let first = sync.tick().await.unwrap();
        assert_eq!(first.failed, [bad.digest]);
        assert!(first.installed.is_empty());
        for _ in 0..3 {
            let next = sync.tick().await.unwrap();
            assert!(next.failed.is_empty(), "a failed digest is not retried");
            assert_eq!(next.skipped, 1);
        }
        assert!(registry.get("shop").is_none());
        assert_eq!(
            std::fs::read_dir(registry.dir()).unwrap().count(),
            0,
            "nothing was written"
        );

        // A new head for the key is tried (the failure is per digest, not per key).
        let other = store
            .publish_component("shop", "1.0.1", b"still not a component")
            .await
            .unwrap();
        let after = sync.tick().await.unwrap();
        assert_eq!(after.failed, [other.digest]);
    }
}
