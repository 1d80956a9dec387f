//! The admin API (`/api/v1/admin/...`), for the operator: tenants, connectors,
//! connections (create, show, resources and cadence, sync now, runs) and API keys (create,
//! list, revoke). Authenticated by the admin token (`Authorization: Bearer <token>`).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{delete, get, patch, post};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::ApiState;
use super::auth::generate_key;
use super::error::ApiError;
use crate::runtime::types::ResourceKind;

/// Proof that the request carries the admin token.
pub struct Admin;

impl FromRequestParts<ApiState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let given = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Compare digests so the comparison time says nothing about the token.
        let matches =
            Sha256::digest(given.as_bytes()) == Sha256::digest(state.admin_token.as_bytes());
        if given.is_empty() || !matches {
            return Err(ApiError {
                field: Some("Authorization".into()),
                ..ApiError::unauthorized(
                    "the admin API needs `Authorization: Bearer <admin token>`",
                )
            });
        }
        Ok(Admin)
    }
}

pub fn routes() -> axum::Router<ApiState> {
    axum::Router::new()
        .route("/tenants", get(list_tenants).post(create_tenant))
        .route("/connectors", get(list_connectors))
        .route(
            "/connections",
            get(list_connections).post(create_connection),
        )
        .route("/connections/{id}", get(show_connection))
        .route(
            "/connections/{id}/resources/{resource}",
            patch(configure_resource),
        )
        .route("/connections/{id}/sync", post(sync_now))
        .route("/connections/{id}/runs", get(runs))
        .route("/connections/{id}/keys", get(list_keys).post(create_key))
        .route("/keys", get(list_all_keys))
        .route("/keys/{id}", delete(revoke_key))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    name: String,
}

fn parse<T: serde::de::DeserializeOwned>(body: &axum::body::Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        // serde names the field in "missing field `x`" / "unknown field `x`".
        let field = text.split('`').nth(1).map(str::to_string);
        ApiError {
            field,
            ..ApiError::invalid("body", format!("invalid request body: {text}"))
        }
    })
}

async fn list_tenants(_: Admin, State(s): State<ApiState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "data": s.hub.store.tenants().await? })))
}

async fn create_tenant(
    _: Admin,
    State(s): State<ApiState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new: NewTenant = parse(&body)?;
    if new.name.trim().is_empty() {
        return Err(ApiError::invalid("name", "name must not be empty"));
    }
    let tenant = s.hub.store.create_tenant(new.name.trim()).await?;
    Ok((StatusCode::CREATED, Json(json!(tenant))))
}

async fn list_connectors(_: Admin, State(s): State<ApiState>) -> Json<Value> {
    Json(crate::server::registry_listing(&s.hub.registry))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewConnectionBody {
    /// Tenant id or name.
    tenant: String,
    connector: String,
    name: String,
    config: Value,
}

async fn create_connection(
    _: Admin,
    State(s): State<ApiState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new: NewConnectionBody = parse(&body)?;
    let tenant = s
        .hub
        .store
        .tenant(&new.tenant)
        .await
        .map_err(|_| ApiError::invalid("tenant", format!("no tenant `{}`", new.tenant)))?;
    if !new.config.is_object() {
        return Err(ApiError::invalid("config", "config must be a JSON object"));
    }
    let connection = s
        .hub
        .create_connection(&tenant.id, &new.connector, &new.name, &new.config)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(connection_view(&s, &connection.id).await?),
    ))
}

async fn list_connections(
    _: Admin,
    State(s): State<ApiState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let tenant = match q.get("tenant") {
        Some(t) => Some(s.hub.store.tenant(t).await?.id),
        None => None,
    };
    Ok(Json(
        json!({ "data": s.hub.store.connections(tenant.as_deref()).await? }),
    ))
}

/// A connection with its public config (secrets shown only as "***") and resources.
async fn connection_view(s: &ApiState, id: &str) -> Result<Value, ApiError> {
    let connection = s.hub.store.connection(id).await?;
    let mut config: serde_json::Map<String, Value> =
        serde_json::from_str(&connection.public_config).unwrap_or_default();
    if let Some(connector) = s.hub.registry.get(&connection.connector_key) {
        for field in crate::runtime::manifest::secret_fields(&connector.manifest) {
            config.insert(field, Value::String("***".into()));
        }
    }
    let resources = s.hub.store.sync_states(id).await?;
    Ok(json!({ "connection": connection, "config": config, "resources": resources }))
}

async fn show_connection(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(connection_view(&s, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ResourceChange {
    enabled: Option<bool>,
    cadence_seconds: Option<i64>,
}

fn resource_param(name: &str) -> Result<ResourceKind, ApiError> {
    ResourceKind::parse(name).map_err(|m| ApiError::invalid("resource", m))
}

async fn configure_resource(
    _: Admin,
    State(s): State<ApiState>,
    Path((id, resource)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let resource = resource_param(&resource)?;
    let change: ResourceChange = parse(&body)?;
    let current = s.hub.store.sync_state(&id, resource).await?;
    let cadence = change.cadence_seconds.unwrap_or(current.cadence_secs);
    if !(10..=7 * 24 * 3600).contains(&cadence) {
        return Err(ApiError::invalid(
            "cadenceSeconds",
            "cadenceSeconds must be between 10 and 604800 (one week)",
        ));
    }
    s.hub
        .store
        .configure_resource(
            &id,
            resource,
            change.enabled.unwrap_or(current.enabled),
            cadence,
        )
        .await?;
    Ok(Json(json!(s.hub.store.sync_state(&id, resource).await?)))
}

async fn sync_now(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    s.hub.store.connection(&id).await?;
    let resource = q.get("resource").map(|r| resource_param(r)).transpose()?;
    let queued = s.hub.store.sync_now(&id, resource).await?;
    if let Some(scheduler) = &s.scheduler {
        scheduler.wake();
    }
    Ok(Json(json!({ "queued": queued })))
}

async fn runs(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let resource = q.get("resource").map(|r| resource_param(r)).transpose()?;
    let limit = match q.get("limit") {
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| ApiError::invalid("limit", "limit must be 1-1000"))?,
        None => 50,
    };
    Ok(Json(
        json!({ "data": s.hub.store.runs(&id, resource, limit).await? }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
}

async fn create_key(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new: NewKey = parse(&body)?;
    s.hub.store.connection(&id).await?;
    let (key, prefix, hash) = generate_key()?;
    let stored = s
        .hub
        .store
        .create_api_key(&id, new.name.trim(), &prefix, &hash)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "key": key, "apiKey": stored, "warning": "copy the key now: it is shown only once" }),
        ),
    ))
}

async fn list_keys(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "data": s.hub.store.api_keys(Some(&id), None).await? }),
    ))
}

async fn list_all_keys(
    _: Admin,
    State(s): State<ApiState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let tenant = match q.get("tenant") {
        Some(t) => Some(s.hub.store.tenant(t).await?.id),
        None => None,
    };
    Ok(Json(
        json!({ "data": s.hub.store.api_keys(None, tenant.as_deref()).await? }),
    ))
}

async fn revoke_key(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.hub.store.revoke_api_key(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
