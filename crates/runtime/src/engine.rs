//! The one wasmtime [`Engine`] of the process, its linker and the epoch ticker that
//! enforces CPU limits. [`Runtime`] bundles them with the sandbox limits and the compiled
//! component cache; it is cheap to clone and shared by everything that runs connectors.

use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::cache::ComponentCache;
use super::limits::SandboxLimits;
use super::sandbox::CallState;
use super::types::junction;

/// Shared runtime: engine, linker, limits and cache.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

struct RuntimeInner {
    engine: Engine,
    linker: Linker<CallState>,
    limits: SandboxLimits,
    cache: ComponentCache,
}

impl Runtime {
    /// Build the engine for `limits`, with compiled components cached under `cache_dir`
    /// (none: compile in memory every time). Starts the epoch ticker thread, which stops
    /// when the last clone of the runtime is dropped.
    pub fn new(
        limits: SandboxLimits,
        cache_dir: Option<std::path::PathBuf>,
    ) -> anyhow::Result<Self> {
        let engine = build_engine(&limits)?;
        let linker = build_linker(&engine)?;
        let cache = ComponentCache::new(cache_dir, &engine);
        start_epoch_ticker(&engine, limits.epoch_tick());
        Ok(Self {
            inner: Arc::new(RuntimeInner {
                engine,
                linker,
                limits,
                cache,
            }),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }
    pub fn linker(&self) -> &Linker<CallState> {
        &self.inner.linker
    }
    pub fn limits(&self) -> &SandboxLimits {
        &self.inner.limits
    }
    pub fn cache(&self) -> &ComponentCache {
        &self.inner.cache
    }
}

fn build_engine(limits: &SandboxLimits) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    // CPU limits: the guest checks the epoch at loop heads and function entries.
    config.epoch_interruption(true);
    if limits.pooling {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling_config(limits)));
    }
    Engine::new(&config).map_err(|e| anyhow::anyhow!("cannot create the wasmtime engine: {e}"))
}

/// Pool sizes generous enough for the componentize-py and componentize-js runtimes, which
/// bundle dozens of core modules and tables into one component.
fn pooling_config(limits: &SandboxLimits) -> PoolingAllocationConfig {
    let instances = limits.max_concurrent_instances.max(1);
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(instances);
    pool.total_core_instances(instances * 16);
    pool.total_memories(instances * 4);
    pool.total_tables(instances * 16);
    pool.total_stacks(instances);
    pool.max_core_instances_per_component(64);
    pool.max_memories_per_component(16);
    pool.max_tables_per_component(64);
    pool.max_memory_size(limits.memory_bytes());
    pool.table_elements(100_000);
    pool.max_core_instance_size(4 << 20);
    pool.max_component_instance_size(4 << 20);
    pool
}

/// All of WASI p2 is linked because Python and JavaScript runtimes import cli, filesystem,
/// random and sockets; the per-call `WasiCtx` grants none of them anything.
fn build_linker(engine: &Engine) -> anyhow::Result<Linker<CallState>> {
    let mut linker: Linker<CallState> = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)
        .map_err(|e| anyhow::anyhow!("linking WASI: {e}"))?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
        .map_err(|e| anyhow::anyhow!("linking wasi:http: {e}"))?;
    junction::connector::host::add_to_linker::<CallState, HasSelf<CallState>>(
        &mut linker,
        |state| state,
    )
    .map_err(|e| anyhow::anyhow!("linking the junction host interface: {e}"))?;
    Ok(linker)
}

fn start_epoch_ticker(engine: &Engine, tick: std::time::Duration) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(tick);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => return,
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the epoch ticker: CPU limits are not enforced");
    }
}
