//! On-disk cache of compiled components, content-addressed.
//!
//! A compiled artifact is only valid for the exact wasmtime build and engine config that
//! produced it, so the file name combines the component's SHA-256 digest with a digest of
//! the engine's compatibility hash: `<component-digest>-<engine-digest>.cwasm`. A restart
//! (or a second host with the same binary) deserialises the artifact instead of compiling.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// SHA-256 of a component's bytes, hex encoded: the identity of a connector version.
pub fn content_digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Where a component came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Deserialised from a precompiled artifact.
    Hit,
    /// Compiled now (and stored, when the cache has a directory).
    Compiled,
}

/// The compiled-component cache. Without a directory it compiles every time.
pub struct ComponentCache {
    dir: Option<PathBuf>,
    engine_digest: String,
}

impl ComponentCache {
    pub fn new(dir: Option<PathBuf>, engine: &Engine) -> Self {
        Self {
            dir,
            engine_digest: engine_digest(engine),
        }
    }

    /// The artifact path for a component digest, if the cache has a directory.
    pub fn artifact_path(&self, digest: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(dir.join(format!("{digest}-{}.cwasm", &self.engine_digest[..16])))
    }

    /// Compile `bytes`, or load the precompiled artifact for `digest`.
    ///
    /// A corrupt or stale artifact is removed and the component compiled afresh.
    pub fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
        digest: &str,
    ) -> Result<(Component, CacheOutcome), wasmtime::Error> {
        let Some(path) = self.artifact_path(digest) else {
            return Ok((Component::new(engine, bytes)?, CacheOutcome::Compiled));
        };
        // Read the artifact into memory rather than mmap it: a file changed in place under
        // a mapping (by an operator, a sync tool, a second host) would crash the process.
        if let Ok(artifact) = std::fs::read(&path) {
            // SAFETY: artifacts in this directory are written only by `store` below, from
            // `Component::serialize` of this same engine configuration (the file name
            // carries the engine digest); deserialisation re-checks the wasmtime version
            // and config and fails cleanly on a mismatch or a corrupt header.
            match unsafe { Component::deserialize(engine, &artifact) } {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding unusable compiled artifact");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        if let Err(e) = store(&path, &component) {
            tracing::warn!(path = %path.display(), error = %e, "cannot write compiled artifact; continuing without cache");
        }
        Ok((component, CacheOutcome::Compiled))
    }
}

/// Write atomically (temp file, then rename) so a crash never leaves a torn artifact.
fn store(path: &Path, component: &Component) -> anyhow::Result<()> {
    let bytes = component.serialize().map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// A stable digest of the engine's compatibility hash: same wasmtime, same config, same
/// digest.
fn engine_digest(engine: &Engine) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hex::encode(hasher.0.finalize())
}

/// Feeds `Hash` output into SHA-256, whose result (unlike `DefaultHasher`'s) is stable.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first)
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}
