//! `junction serve`: opens the store, loads the connector registry (hot-reloaded), runs
//! the autosync scheduler and the webhook worker, and serves HTTP: `/healthz` (the process
//! is up), `/readyz` (database answering and connectors loaded), `/api/v1/connectors` (what
//! is loaded and what failed), the Runtime API, the admin API and the portal (`/portal`).
//! Stops gracefully on SIGINT or SIGTERM.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::config::ServerConfig;
use junction_api::ApiState;
use junction_domain::hub::Hub;
use junction_domain::secrets::Vault;
use junction_domain::sync::automation::scheduler::AutomationScheduler;
use junction_domain::sync::scheduler::Scheduler;
use junction_domain::webhooks::WebhookWorker;
use junction_runtime::{Registry, Runtime};
use junction_store::Store;

#[derive(Clone)]
struct AppState {
    registry: Arc<Registry>,
    store: Store,
}

/// Run the server until a shutdown signal: open the store, load connectors, start the
/// autosync scheduler, serve the APIs; on SIGINT/SIGTERM stop taking requests, let running
/// sync jobs checkpoint, and exit.
pub async fn serve(config: ServerConfig) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create data directory {}: {e}",
            config.data_dir.display()
        )
    })?;
    let metrics = crate::metrics::install()?;
    let store = Store::open(&config.database_url()).await?;
    // Checked before this host changes anything: a host with another key must not
    // recover, claim or seal anything in a database the others share.
    let vault = Vault::open_or_create(config.secret_key.as_deref(), &config.data_dir)?;
    junction_domain::key_check::ensure_same_key(&store, &vault).await?;
    // Named before recovery: with several hosts on one database, recovery leaves other
    // hosts' live leases alone and frees only what dead processes of this machine held
    // (so a restarted host resumes its work at once, not after its old leases expire).
    let owner = format!("{}-{}", hostname(), std::process::id());
    let dead = dead_local_owners(&owner, store.lease_owners().await?);
    let interrupted = store.recover_interrupted_runs(&dead).await?
        + store.recover_interrupted_automation_runs(&dead).await?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "runs interrupted by the last stop will resume from their checkpoints"
        );
    }
    let admin_token = admin_token(&config)?;

    let runtime = Runtime::new(config.sandbox.clone(), Some(config.cache_dir()))?;
    let registry = Registry::open(runtime, config.plugins_dir.clone()).await?;
    let _watch = registry.watch()?;
    // Every connector published to the database is installed before this host serves (and
    // so before `/readyz`); then a poll keeps it in step with uploads on any host.
    let mut component_sync =
        junction_domain::sync::components::ComponentSync::new(store.clone(), registry.clone());
    if let Err(e) = component_sync.tick().await {
        tracing::error!(error = %e, "cannot read connector components from the database");
    }
    let _component_sync = component_sync.spawn(junction_domain::sync::components::POLL_INTERVAL);
    tracing::info!(
        plugins_dir = %config.plugins_dir.display(),
        connectors = registry.snapshot().connectors().count(),
        "connector registry ready; watching for changes"
    );

    let hub = Hub::new(store.clone(), registry.clone(), vault);
    let automations = AutomationScheduler::new(
        hub.clone(),
        config.automations.clone(),
        config.sync.clone(),
        owner.clone(),
    );
    let automations_handle = automations.handle();
    let automations_task = tokio::spawn(automations.run());
    let scheduler = Scheduler::new(hub.clone(), config.sync.clone(), owner.clone());
    let scheduler_handle = scheduler.handle();
    let scheduler_task = tokio::spawn(scheduler.run());
    let webhooks = WebhookWorker::new(hub.clone(), config.webhooks.clone(), owner);
    let webhooks_handle = webhooks.handle();
    let webhooks_task = tokio::spawn(webhooks.run());

    let portal = junction_portal::router(junction_portal::PortalState::new(
        hub.clone(),
        &admin_token,
        config.portal.clone(),
    ));
    let api = junction_api::router(ApiState { hub, admin_token });
    let app = router(registry, store.clone())
        .merge(portal)
        .merge(api)
        .route_layer(axum::middleware::from_fn(crate::metrics::track_http))
        .route(
            "/metrics",
            get(move || std::future::ready(metrics.render())),
        )
        .layer(axum::middleware::from_fn(
            junction_api::rejections::close_after_refused_bodies,
        ));
    let shutdown = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    tracing::info!(listen = %listener.local_addr()?, data_dir = %config.data_dir.display(), "junction serving");
    // Connection info gives the portal's sign-in throttle the client's address.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    scheduler_handle.stop();
    automations_handle.stop();
    webhooks_handle.stop();
    if let Err(e) = automations_task.await {
        tracing::error!(error = %e, "automation scheduler task failed");
    }
    if let Err(e) = scheduler_task.await {
        tracing::error!(error = %e, "scheduler task failed");
    }
    match webhooks_task.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "webhook worker failed"),
        Err(e) => tracing::error!(error = %e, "webhook worker task failed"),
    }
    store.close().await;
    tracing::info!("junction stopped");
    Ok(())
}

/// The configured admin token, or the one in `<data-dir>/admin.token` (created once).
fn admin_token(config: &ServerConfig) -> anyhow::Result<String> {
    if let Some(token) = &config.admin_token {
        return Ok(token.clone());
    }
    let path = config.data_dir.join("admin.token");
    if let Ok(token) = std::fs::read_to_string(&path) {
        return Ok(token.trim().to_string());
    }
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let token = format!(
        "jct_admin_{}",
        data_encoding::BASE64URL_NOPAD.encode(&random)
    );
    junction_domain::secrets::write_private(&path, token.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "generated the admin API token");
    Ok(token)
}

/// Of the lease owners (`hostname-pid`), those that are this process or a process of this
/// machine (same host name) that no longer runs; with a shared database every other
/// owner may be alive elsewhere. This process's own name is always included.
fn dead_local_owners(me: &str, owners: Vec<String>) -> Vec<String> {
    let prefix = format!("{}-", hostname());
    let mut dead: Vec<String> = owners
        .into_iter()
        .filter(|owner| {
            owner.strip_prefix(&prefix).is_some_and(|pid| {
                pid.parse::<u32>().is_ok_and(|pid| {
                    pid == std::process::id()
                        || !std::path::Path::new(&format!("/proc/{pid}")).exists()
                })
            })
        })
        .collect();
    if !dead.iter().any(|owner| owner == me) {
        dead.push(me.to_string());
    }
    dead
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "junction".into())
}

/// Health, readiness and the public connector listing.
fn router(registry: Arc<Registry>, store: Store) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/api/v1/connectors", get(connectors))
        .with_state(AppState { registry, store })
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if !state.store.ping().await {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
    }
    if state.registry.snapshot().connectors().next().is_some() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "no connectors loaded")
    }
}

async fn connectors(State(state): State<AppState>) -> Json<Value> {
    Json(
        serde_json::to_value(junction_domain::connectors::listing(&state.registry))
            .unwrap_or(Value::Null),
    )
}

/// SIGINT and SIGTERM, listened for before the host listens: a handler installed only when
/// serving began left a window where a prompt SIGTERM killed the process without a clean stop.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())
        .map_err(|e| anyhow::anyhow!("cannot listen for SIGTERM: {e}"))?;
    let mut interrupt = signal(SignalKind::interrupt())
        .map_err(|e| anyhow::anyhow!("cannot listen for SIGINT: {e}"))?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = interrupt.recv() => {},
        }
        tracing::info!("shutdown requested");
    })
}
