//! `junction serve`: loads the connector registry, keeps it hot-reloaded, and serves the
//! HTTP endpoints: `/healthz` (the process is up), `/readyz` (connectors loaded, ready for
//! traffic) and `/api/v1/connectors` (what is loaded and what failed). Stops gracefully on
//! SIGINT or SIGTERM.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::config::ServerConfig;
use crate::runtime::registry::FileStatus;
use crate::runtime::{Registry, Runtime, manifest};

#[derive(Clone)]
struct AppState {
    registry: Arc<Registry>,
}

/// Run the server until a shutdown signal.
pub async fn serve(config: ServerConfig) -> anyhow::Result<()> {
    let runtime = Runtime::new(config.sandbox.clone(), Some(config.cache_dir()))?;
    let registry = Registry::open(runtime, config.plugins_dir.clone()).await?;
    let _watch = registry.watch()?;
    let snapshot = registry.snapshot();
    tracing::info!(
        plugins_dir = %config.plugins_dir.display(),
        connectors = snapshot.connectors().count(),
        "connector registry ready; watching for changes"
    );

    let app = router(registry);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    tracing::info!(listen = %listener.local_addr()?, "junction serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("junction stopped");
    Ok(())
}

/// The HTTP routes.
fn router(registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/api/v1/connectors", get(connectors))
        .with_state(AppState { registry })
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if state.registry.snapshot().connectors().next().is_some() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "no connectors loaded")
    }
}

async fn connectors(State(state): State<AppState>) -> Json<Value> {
    Json(registry_listing(&state.registry))
}

/// Loaded connectors and the status of every file, as JSON.
pub fn registry_listing(registry: &Registry) -> Value {
    let snapshot = registry.snapshot();
    let connectors: Vec<Value> = snapshot
        .connectors()
        .map(|c| {
            let mut described = manifest::describe(&c.manifest);
            if let Some(obj) = described.as_object_mut() {
                obj.insert("digest".into(), json!(c.digest));
                obj.insert("file".into(), json!(c.source.display().to_string()));
            }
            described
        })
        .collect();
    let files: Vec<Value> = snapshot
        .files()
        .map(|(path, status)| {
            let mut entry = serde_json::to_value(status).unwrap_or(Value::Null);
            if let Some(obj) = entry.as_object_mut() {
                obj.insert("file".into(), json!(path.display().to_string()));
            }
            entry
        })
        .collect();
    let failed = snapshot
        .files()
        .filter(|(_, s)| matches!(s, FileStatus::Failed { .. }))
        .count();
    json!({ "connectors": connectors, "files": files, "failed": failed })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested");
}
