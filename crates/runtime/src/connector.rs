//! A loaded connector: one component version, compiled, linked, pre-instantiated and
//! validated, with typed methods for each call of the contract.
//!
//! Loading goes: read bytes → digest → compiled artifact from the cache (or compile) →
//! link against the host's imports (a component of another world fails here) → call
//! `manifest` in the sandbox → validate the manifest. Only a connector that passed all of
//! that is ever served.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::cache::{CacheOutcome, content_digest};
use super::call::{self, CallResult, Reply, Request};
use super::config_check::{self, FieldProblem};
use super::engine::Runtime;
use super::error::{CallError, LoadError};
use super::hosts;
use super::manifest;
use super::sandbox::CallState;
use super::types::{
    CheckInfo, ConnectorError, Entity, ListRequest, Manifest, Page, PluginPre, ResourceKind,
    WriteOp, WriteOutcome,
};

/// A component version ready to serve calls. Cheap to share behind an `Arc`; calls hold
/// their own reference, so a hot reload never pulls a version from under a running call.
pub struct LoadedConnector {
    pub manifest: Manifest,
    /// SHA-256 of the component bytes.
    pub digest: String,
    /// Where it was loaded from (a file, or an upload label).
    pub source: PathBuf,
    pub size_bytes: usize,
    /// Whether the compiled artifact came from the cache.
    pub cache: CacheOutcome,
    config_schema: Value,
    pre: PluginPre<CallState>,
    runtime: Runtime,
}

impl std::fmt::Debug for LoadedConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedConnector")
            .field("key", &self.manifest.key)
            .field("version", &self.manifest.version)
            .field("digest", &self.digest)
            .field("source", &self.source)
            .finish()
    }
}

impl LoadedConnector {
    /// Load a component file.
    pub async fn load_file(runtime: &Runtime, path: &Path) -> Result<Arc<Self>, LoadError> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| LoadError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        Self::load_bytes(runtime, bytes, path.to_path_buf()).await
    }

    /// Load a component from bytes; `source` names it in messages.
    pub async fn load_bytes(
        runtime: &Runtime,
        bytes: Vec<u8>,
        source: PathBuf,
    ) -> Result<Arc<Self>, LoadError> {
        check_component_header(&bytes, &source)?;
        let digest = content_digest(&bytes);
        let size_bytes = bytes.len();
        let compile_runtime = runtime.clone();
        let compile_digest = digest.clone();
        // Compiling can take seconds (Python components): keep it off the async workers.
        let compiled = tokio::task::spawn_blocking(move || {
            compile_runtime
                .cache()
                .load(compile_runtime.engine(), &bytes, &compile_digest)
        })
        .await
        .map_err(|e| LoadError::NotAComponent {
            path: source.clone(),
            reason: format!("compilation task failed: {e}"),
        })?
        .map_err(|e| LoadError::NotAComponent {
            path: source.clone(),
            reason: format!("{e:#}"),
        })?;
        let (component, cache) = compiled;

        let instance_pre =
            runtime
                .linker()
                .instantiate_pre(&component)
                .map_err(|e| LoadError::WrongWorld {
                    path: source.clone(),
                    reason: format!("{}{e:#}", older_contract_hint(&component, runtime.engine())),
                })?;
        let pre = PluginPre::new(instance_pre).map_err(|e| LoadError::WrongWorld {
            path: source.clone(),
            reason: format!("{}{e:#}", older_contract_hint(&component, runtime.engine())),
        })?;

        let manifest_call = call::run(
            runtime,
            &pre,
            "(loading)",
            &super::CallOptions::default(),
            Request::Manifest,
        )
        .await;
        let manifest = match manifest_call.value {
            Ok(Reply::Manifest(m)) => m,
            Ok(_) => unreachable_reply(&source)?,
            Err(e) => {
                return Err(LoadError::ManifestCall {
                    path: source,
                    reason: e.to_string(),
                });
            }
        };
        let problems = manifest::problems(&manifest);
        if !problems.is_empty() {
            return Err(LoadError::InvalidManifest {
                path: source,
                problems: problems.join("; "),
            });
        }
        let config_schema = serde_json::from_str(&manifest.config_schema).unwrap_or(Value::Null);
        Ok(Arc::new(Self {
            manifest,
            digest,
            source,
            size_bytes,
            cache,
            config_schema,
            pre,
            runtime: runtime.clone(),
        }))
    }

    pub fn key(&self) -> &str {
        &self.manifest.key
    }

    /// Validate a config against the schema and resolve the hosts it may reach.
    pub fn prepare(&self, config: &Value) -> Result<super::CallOptions, Vec<FieldProblem>> {
        self.prepare_with(config, &serde_json::Map::new())
    }

    /// As [`LoadedConnector::prepare`], with some properties of `stored` replaced by an
    /// automation's `overrides`. Only properties the override rule allows may be replaced
    /// (`runtime::overrides`), the merged config must pass the schema, and the egress
    /// allow-list comes from `stored` alone: an override can never widen where requests go.
    pub fn prepare_with(
        &self,
        stored: &Value,
        overrides: &serde_json::Map<String, Value>,
    ) -> Result<super::CallOptions, Vec<FieldProblem>> {
        let refused = super::overrides::problems(&self.manifest, overrides);
        if !refused.is_empty() {
            return Err(refused);
        }
        let mut config = stored.clone();
        if let Some(object) = config.as_object_mut() {
            object.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let problems = config_check::validate(&self.config_schema, &config);
        if !problems.is_empty() {
            return Err(problems);
        }
        let allow = hosts::resolve(&self.manifest.hosts, stored).map_err(|message| {
            vec![FieldProblem {
                field: String::new(),
                message,
            }]
        })?;
        Ok(super::CallOptions {
            config: config.to_string(),
            allow,
            budget: None,
        })
    }

    /// Call `manifest` in a fresh instance (used by benchmarks and health checks).
    pub async fn call_manifest(&self) -> CallResult<Manifest> {
        self.run(&super::CallOptions::default(), Request::Manifest)
            .await
            .map(|reply| match reply {
                Reply::Manifest(m) => Ok(m),
                _ => Err(self.mismatch()),
            })
    }

    pub async fn check(&self, options: &super::CallOptions) -> CallResult<CheckInfo> {
        let request = Request::Check {
            config: options.config.clone(),
        };
        self.run(options, request).await.map(|reply| match reply {
            Reply::Check(r) => r.map_err(CallError::Connector),
            _ => Err(self.mismatch()),
        })
    }

    pub async fn list(
        &self,
        options: &super::CallOptions,
        request: ListRequest,
    ) -> CallResult<Page> {
        if let Err(e) = self.supports_resource(request.resource) {
            return CallResult::failed(e);
        }
        let request = Request::List {
            config: options.config.clone(),
            request,
        };
        self.run(options, request).await.map(|reply| match reply {
            Reply::List(r) => r.map_err(CallError::Connector),
            _ => Err(self.mismatch()),
        })
    }

    pub async fn get(
        &self,
        options: &super::CallOptions,
        resource: ResourceKind,
        id: String,
        parent_id: Option<String>,
    ) -> CallResult<Entity> {
        if let Err(e) = self.supports_resource(resource) {
            return CallResult::failed(e);
        }
        let request = Request::Get {
            config: options.config.clone(),
            resource,
            id,
            parent_id,
        };
        self.run(options, request).await.map(|reply| match reply {
            Reply::Get(r) => r.map_err(CallError::Connector),
            _ => Err(self.mismatch()),
        })
    }

    /// Perform a write; refused up front when the manifest does not list it.
    pub async fn write(
        &self,
        options: &super::CallOptions,
        op: WriteOp,
    ) -> CallResult<WriteOutcome> {
        let kind = op.kind();
        if !self.manifest.writes.contains(&kind) {
            return CallResult::failed(CallError::Unsupported {
                connector: self.manifest.key.clone(),
                what: format!("the `{}` write", kind.as_str()),
            });
        }
        let request = Request::Write {
            config: options.config.clone(),
            op: Box::new(op),
        };
        self.run(options, request).await.map(|reply| match reply {
            Reply::Write(r) => r.map_err(CallError::Connector),
            _ => Err(self.mismatch()),
        })
    }

    /// Perform several writes in one call; one outcome per op, in the order of `ops`.
    ///
    /// Ops whose kind the manifest does not list are answered `unsupported` here and never
    /// reach the guest (when none is listed, or `ops` is empty, the guest is not called at
    /// all); the rest go to the guest's `write-batch` in their original order. A guest
    /// answering with another number of outcomes than it was sent ops breaks the contract:
    /// the call fails as a connector bug rather than pairing outcomes with the wrong ops.
    pub async fn write_batch(
        &self,
        options: &super::CallOptions,
        ops: Vec<WriteOp>,
    ) -> CallResult<Vec<Result<WriteOutcome, ConnectorError>>> {
        let total = ops.len();
        let mut outcomes: Vec<Option<Result<WriteOutcome, ConnectorError>>> =
            Vec::with_capacity(total);
        let mut sent = Vec::new();
        for op in ops {
            let kind = op.kind();
            if self.manifest.writes.contains(&kind) {
                outcomes.push(None);
                sent.push(op);
            } else {
                outcomes.push(Some(Err(ConnectorError::Unsupported(format!(
                    "connector `{}` does not support the `{}` write",
                    self.manifest.key,
                    kind.as_str()
                )))));
            }
        }
        if sent.is_empty() {
            return CallResult::answered(outcomes.into_iter().flatten().collect());
        }
        let sent_count = sent.len();
        let request = Request::WriteBatch {
            config: options.config.clone(),
            ops: sent,
        };
        self.run(options, request).await.map(|reply| match reply {
            Reply::WriteBatch(Ok(answers)) if answers.len() != sent_count => {
                Err(CallError::Connector(ConnectorError::Internal(format!(
                    "connector `{}` broke the contract: write-batch was sent {sent_count} \
                     op(s) and answered with {} outcome(s), but must answer exactly one \
                     outcome per op, in order (a bug in the connector)",
                    self.manifest.key,
                    answers.len()
                ))))
            }
            Reply::WriteBatch(Ok(answers)) => {
                let mut answers = answers.into_iter();
                Ok(outcomes
                    .into_iter()
                    .map(|slot| match slot {
                        Some(refused) => refused,
                        // Counted above: there is one answer per sent op.
                        None => answers.next().unwrap_or_else(|| {
                            Err(ConnectorError::Internal("missing outcome".into()))
                        }),
                    })
                    .collect())
            }
            Reply::WriteBatch(Err(e)) => Err(CallError::Connector(e)),
            _ => Err(self.mismatch()),
        })
    }

    fn supports_resource(&self, resource: ResourceKind) -> Result<(), CallError> {
        if self.manifest.resources.contains(&resource) {
            Ok(())
        } else {
            Err(CallError::Unsupported {
                connector: self.manifest.key.clone(),
                what: format!("the `{}` resource", resource.as_str()),
            })
        }
    }

    async fn run(&self, options: &super::CallOptions, request: Request) -> CallResult<Reply> {
        call::run(
            &self.runtime,
            &self.pre,
            &self.manifest.key,
            options,
            request,
        )
        .await
    }

    fn mismatch(&self) -> CallError {
        CallError::Trap {
            connector: self.manifest.key.clone(),
            reason: "host bug: reply does not match the request".into(),
        }
    }
}

fn unreachable_reply(source: &Path) -> Result<Manifest, LoadError> {
    Err(LoadError::ManifestCall {
        path: source.to_path_buf(),
        reason: "host bug: reply does not match the request".into(),
    })
}

/// Recognise a core module or a non-wasm file before the compiler gives a vaguer answer.
fn check_component_header(bytes: &[u8], path: &Path) -> Result<(), LoadError> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_MODULE: [u8; 4] = [1, 0, 0, 0];
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(LoadError::NotAComponent {
            path: path.to_path_buf(),
            reason: "the file is not WebAssembly (no \\0asm header)".into(),
        });
    }
    if bytes[4..8] == CORE_MODULE {
        return Err(LoadError::NotAComponent {
            path: path.to_path_buf(),
            reason: "it is a core WebAssembly module, not a component; build for wasm32-wasip2 \
                     or wrap it with `wasm-tools component new`"
                .into(),
        });
    }
    Ok(())
}

/// The version of the contract this host speaks, as connectors export it.
const CONTRACT_EXPORT: &str = "junction:connector/connector@0.2.0";

/// When a component exports an older version of the contract, say so first: "rebuild it"
/// is the fix, which the linker's type mismatch does not tell an author.
fn older_contract_hint(
    component: &wasmtime::component::Component,
    engine: &wasmtime::Engine,
) -> String {
    component
        .component_type()
        .exports(engine)
        .map(|(name, _)| name)
        .find(|name| name.starts_with("junction:connector/connector@") && *name != CONTRACT_EXPORT)
        .map(|name| {
            format!(
                "it exports `{name}`, an older contract than this host's `{CONTRACT_EXPORT}` \
                 (0.2.0 added deletions to the manifest and to list pages): rebuild it against \
                 the current wit/ or SDK; "
            )
        })
        .unwrap_or_default()
}
