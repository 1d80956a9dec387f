//! The registry of loaded connectors, kept in step with a plugins directory.
//!
//! Every `*.wasm` file in the directory is loaded and validated at start; a watcher then
//! reconciles the registry with the directory whenever a file is added, changed or
//! removed. Readers take a snapshot (an `Arc`), so a call that started on one version
//! finishes on it even if a newer version is swapped in meanwhile. A file that fails to
//! load never replaces a working version of its connector: the failure is recorded in
//! the snapshot's file list (shown by `junction connector list`) and logged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use notify_debouncer_mini::{DebounceEventResult, new_debouncer};
use serde::Serialize;

use super::connector::LoadedConnector;
use super::engine::Runtime;
use super::error::LoadError;

/// How long file events are coalesced before the registry reconciles.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// The state of one file in the plugins directory.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum FileStatus {
    /// Loaded and serving (or superseded by nothing: it is the live version of `key`).
    Loaded {
        key: String,
        version: String,
        digest: String,
    },
    /// The file failed to load; `error` says why. A previous version of the same
    /// connector, if any, keeps serving.
    Failed { error: String, digest: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
}

#[derive(Debug, Clone)]
struct FileEntry {
    status: FileStatus,
    fingerprint: Fingerprint,
}

/// A consistent view of the registry.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    connectors: BTreeMap<String, Arc<LoadedConnector>>,
    files: BTreeMap<PathBuf, FileEntry>,
}

impl Snapshot {
    pub fn get(&self, key: &str) -> Option<&Arc<LoadedConnector>> {
        self.connectors.get(key)
    }
    pub fn connectors(&self) -> impl Iterator<Item = &Arc<LoadedConnector>> {
        self.connectors.values()
    }
    pub fn files(&self) -> impl Iterator<Item = (&Path, &FileStatus)> {
        self.files.iter().map(|(p, e)| (p.as_path(), &e.status))
    }
}

/// What one reconcile changed.
#[derive(Debug, Default)]
pub struct ReconcileReport {
    pub loaded: Vec<String>,
    pub unloaded: Vec<String>,
    pub failed: Vec<String>,
}

/// The outcome of [`Registry::install_validated`].
#[derive(Debug)]
pub struct Installed {
    /// The live connector now serving the uploaded component's key.
    pub connector: Arc<LoadedConnector>,
    /// The version it replaced, if the key was already served.
    pub previous_version: Option<String>,
    /// Where the component was written.
    pub file: PathBuf,
}

/// A component that passed [`Registry::validate`], with its bytes.
pub struct Validated {
    candidate: Arc<LoadedConnector>,
    bytes: Vec<u8>,
}

impl Validated {
    /// The connector the bytes load as (key, version, digest, manifest).
    pub fn connector(&self) -> &Arc<LoadedConnector> {
        &self.candidate
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Makes staging file names unique within the process (the pid makes them unique across
/// processes sharing a directory).
static STAGING_NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Connectors loaded from a directory, hot-reloaded.
pub struct Registry {
    runtime: Runtime,
    dir: PathBuf,
    state: ArcSwap<Snapshot>,
    reconciling: tokio::sync::Mutex<()>,
}

impl Registry {
    /// Load every component in `dir` (created if missing).
    pub async fn open(runtime: Runtime, dir: PathBuf) -> anyhow::Result<Arc<Self>> {
        std::fs::create_dir_all(&dir).map_err(|e| {
            anyhow::anyhow!("cannot create plugins directory {}: {e}", dir.display())
        })?;
        let registry = Arc::new(Self {
            runtime,
            dir,
            state: ArcSwap::from_pointee(Snapshot::default()),
            reconciling: tokio::sync::Mutex::new(()),
        });
        registry.reconcile().await;
        Ok(registry)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.state.load_full()
    }

    /// The live version of a connector.
    pub fn get(&self, key: &str) -> Option<Arc<LoadedConnector>> {
        self.state.load().get(key).cloned()
    }

    /// Bring the registry in line with the directory.
    pub async fn reconcile(&self) -> ReconcileReport {
        let _one_at_a_time = self.reconciling.lock().await;
        let mut next: Snapshot = (**self.state.load()).clone();
        let mut report = ReconcileReport::default();
        let on_disk = match list_components(&self.dir) {
            Ok(files) => files,
            Err(e) => {
                tracing::error!(dir = %self.dir.display(), error = %e, "cannot list the plugins directory");
                return report;
            }
        };

        // Files that disappeared take their connector with them.
        let gone: Vec<PathBuf> = next
            .files
            .keys()
            .filter(|p| !on_disk.contains_key(*p))
            .cloned()
            .collect();
        for path in gone {
            if let Some(key) = next.remove_file(&path) {
                tracing::info!(connector = %key, file = %path.display(), "connector unloaded: file removed");
                report.unloaded.push(key);
            }
        }

        for (path, fingerprint) in on_disk {
            if next
                .files
                .get(&path)
                .is_some_and(|e| e.fingerprint == fingerprint)
            {
                continue;
            }
            self.load_one(&mut next, path, fingerprint, &mut report)
                .await;
        }
        self.state.store(Arc::new(next));
        report
    }

    async fn load_one(
        &self,
        next: &mut Snapshot,
        path: PathBuf,
        fingerprint: Fingerprint,
        report: &mut ReconcileReport,
    ) {
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) => {
                // Vanished between listing and reading: the next event reconciles it.
                tracing::debug!(file = %path.display(), error = %e, "skipping unreadable plugin file");
                return;
            }
        };
        let digest = super::cache::content_digest(&bytes);
        let unchanged = next.files.get(&path).is_some_and(|e| match &e.status {
            FileStatus::Loaded { digest: d, .. } | FileStatus::Failed { digest: d, .. } => {
                *d == digest
            }
        });
        if unchanged {
            if let Some(entry) = next.files.get_mut(&path) {
                entry.fingerprint = fingerprint;
            }
            return;
        }
        let result = LoadedConnector::load_bytes(&self.runtime, bytes, path.clone()).await;
        let result = result.and_then(|connector| match next.connectors.get(connector.key()) {
            Some(other) if other.source != path && next.files.contains_key(&other.source) => {
                Err(LoadError::DuplicateKey {
                    path: path.clone(),
                    key: connector.key().to_string(),
                    other: other.source.clone(),
                })
            }
            _ => Ok(connector),
        });
        match result {
            Ok(connector) => {
                let key = connector.key().to_string();
                // A file that used to provide another key no longer does.
                let replaced_key = match next.files.get(&path).map(|e| &e.status) {
                    Some(FileStatus::Loaded { key: old, .. }) if *old != key => Some(old.clone()),
                    _ => None,
                };
                if let Some(old) = replaced_key
                    && next.connectors.get(&old).is_some_and(|c| c.source == path)
                {
                    next.connectors.remove(&old);
                    report.unloaded.push(old);
                }
                tracing::info!(
                    connector = %key,
                    version = %connector.manifest.version,
                    digest = %&connector.digest[..12],
                    file = %path.display(),
                    cache = ?connector.cache,
                    "connector loaded"
                );
                next.files.insert(
                    path,
                    FileEntry {
                        status: FileStatus::Loaded {
                            key: key.clone(),
                            version: connector.manifest.version.clone(),
                            digest: connector.digest.clone(),
                        },
                        fingerprint,
                    },
                );
                next.connectors.insert(key.clone(), connector);
                report.loaded.push(key);
            }
            Err(error) => {
                let message = error.to_string();
                tracing::error!(file = %path.display(), error = %message, "connector failed to load; any previous version keeps serving");
                report.failed.push(message.clone());
                next.files.insert(
                    path,
                    FileEntry {
                        status: FileStatus::Failed {
                            error: message,
                            digest,
                        },
                        fingerprint,
                    },
                );
            }
        }
    }

    /// Installing an upload, first half: load the bytes as a connector without touching the
    /// plugins directory (a component that fails here changes nothing). Uploads validate, store the component in the database
    /// and only then install it, so a component the database holds has passed this check.
    pub async fn validate(&self, bytes: Vec<u8>) -> Result<Validated, LoadError> {
        let upload = PathBuf::from("(upload)");
        let candidate = LoadedConnector::load_bytes(&self.runtime, bytes.clone(), upload).await?;
        Ok(Validated { candidate, bytes })
    }

    /// Installing an upload, second half: write a validated component atomically over the
    /// file serving the same key (or `<key>.wasm`) and reconcile, so it is live on return.
    pub async fn install_validated(&self, validated: Validated) -> Result<Installed, LoadError> {
        let Validated { candidate, bytes } = validated;
        let key = candidate.key().to_string();
        let previous = self.get(&key);
        let path = match &previous {
            Some(live) if live.source.parent() == Some(self.dir.as_path()) => live.source.clone(),
            _ => self.dir.join(format!("{key}.wasm")),
        };
        // A dot-file without the .wasm extension is invisible to the watcher until renamed.
        // Its name is unique per install: an upload and the database's propagation task may
        // install the same key at once, and must not write into each other's staging file.
        let nonce = STAGING_NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let staging = self
            .dir
            .join(format!(".{key}.{}-{nonce}.upload", std::process::id()));
        std::fs::write(&staging, &bytes)
            .and_then(|()| std::fs::rename(&staging, &path))
            .map_err(|source| {
                let _ = std::fs::remove_file(&staging);
                LoadError::Read {
                    path: path.clone(),
                    source,
                }
            })?;
        self.reconcile().await;
        let snapshot = self.snapshot();
        match snapshot.files.get(&path).map(|e| &e.status) {
            Some(FileStatus::Loaded { digest, .. }) if *digest == candidate.digest => {}
            Some(FileStatus::Failed { error, .. }) => {
                return Err(LoadError::NotAComponent {
                    path,
                    reason: error.clone(),
                });
            }
            _ => {
                // Replaced again by someone else between our write and our reconcile.
                tracing::warn!(file = %path.display(), "an uploaded component was superseded at once");
            }
        }
        Ok(Installed {
            connector: snapshot.get(&key).cloned().unwrap_or(candidate),
            previous_version: previous.map(|p| p.manifest.version.clone()),
            file: path,
        })
    }

    /// Watch the directory and reconcile on every change until the handle is dropped.
    pub fn watch(self: &Arc<Self>) -> anyhow::Result<WatchHandle> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        let mut debouncer =
            new_debouncer(DEBOUNCE, move |result: DebounceEventResult| match result {
                Ok(events) if !events.is_empty() => {
                    let _ = tx.send(());
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "plugin directory watch error"),
            })
            .map_err(|e| anyhow::anyhow!("cannot watch {}: {e}", self.dir.display()))?;
        debouncer
            .watcher()
            .watch(&self.dir, notify::RecursiveMode::NonRecursive)
            .map_err(|e| anyhow::anyhow!("cannot watch {}: {e}", self.dir.display()))?;
        let registry = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            while rx.recv().await.is_some() {
                while rx.try_recv().is_ok() {}
                let Some(registry) = registry.upgrade() else {
                    return;
                };
                registry.reconcile().await;
            }
        });
        Ok(WatchHandle {
            _debouncer: debouncer,
            task,
        })
    }
}

/// Keeps the directory watch alive; dropping it stops hot reload.
pub struct WatchHandle {
    _debouncer: notify_debouncer_mini::Debouncer<notify::RecommendedWatcher>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Snapshot {
    /// Forget a file; returns the key it was serving, if it was the live version.
    fn remove_file(&mut self, path: &Path) -> Option<String> {
        let entry = self.files.remove(path)?;
        let FileStatus::Loaded { key, .. } = entry.status else {
            return None;
        };
        if self.connectors.get(&key).is_some_and(|c| c.source == path) {
            self.connectors.remove(&key);
            return Some(key);
        }
        None
    }
}

fn list_components(dir: &Path) -> std::io::Result<BTreeMap<PathBuf, Fingerprint>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || path.extension().is_none_or(|e| e != "wasm") {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        files.insert(
            path,
            Fingerprint {
                len: meta.len(),
                modified: meta.modified().ok(),
            },
        );
    }
    Ok(files)
}
