//! The admin API (`/api/v1/admin/...`), for the operator: tenants, connectors,
//! connections (create, show, resources and cadence, sync now, runs) and API keys (create,
//! list, revoke); webhooks, automations and portal users chain their own route tables.
//! Authenticated by the admin token (`Authorization: Bearer <token>`).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use utoipa::{OpenApi, ToSchema};

use super::Verb::{Delete, Get, Patch, Post};
use super::error::ApiError;
use super::error::ApiError as ApiErrorDoc;
use super::{ApiState, RouteDef, at, build};
use crate::answers::{self, SyncState, Tenant};
use crate::answers::{
    ApiKeyList, ConnectionList, ConnectionView, CreatedKey, RunDetail, RunList, SyncQueued,
    TenantList,
};
use junction_contract::ResourceKind;
use junction_domain::accounts::api_keys;
use junction_domain::connections;
use junction_domain::connectors::{self, UploadError};
use junction_domain::connectors::{ConnectorListing, UploadedConnector};

/// Proof that the request carries the admin token.
pub struct Admin;

impl FromRequestParts<ApiState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let given = super::auth::bearer_token(&parts.headers)?.unwrap_or("");
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

/// Where the admin API is mounted.
pub const PREFIX: &str = "/api/v1/admin";

/// The admin routes, relative to [`PREFIX`]: the one list both the router and the OpenAPI
/// test read.
pub fn route_table() -> Vec<RouteDef> {
    vec![
        at(Get, "/tenants", list_tenants),
        at(Post, "/tenants", create_tenant),
        at(Get, "/connectors", list_connectors),
        at(Post, "/connectors", upload_connector).body_limit(connectors::MAX_COMPONENT_BYTES),
        at(Get, "/connections", list_connections),
        at(Post, "/connections", create_connection),
        at(Get, "/connections/{id}", show_connection),
        at(Patch, "/connections/{id}", edit_connection),
        at(Post, "/connections/{id}/test", test_connection),
        at(Post, "/connections/{id}/pause", pause_connection),
        at(Post, "/connections/{id}/resume", resume_connection),
        at(Delete, "/connections/{id}", delete_connection),
        at(
            Patch,
            "/connections/{id}/resources/{resource}",
            configure_resource,
        ),
        at(Post, "/connections/{id}/sync", sync_now),
        at(Post, "/connections/{id}/reconcile", reconcile_now),
        at(Get, "/connections/{id}/runs", runs),
        at(Get, "/connections/{id}/runs/{run}", run_detail),
        at(Get, "/connections/{id}/keys", list_keys),
        at(Post, "/connections/{id}/keys", create_key),
        at(Get, "/keys", list_all_keys),
        at(Delete, "/keys/{id}", revoke_key),
    ]
    .into_iter()
    .chain(super::admin_webhooks::route_table())
    .chain(super::admin_automations::route_table())
    .chain(super::admin_users::route_table())
    .collect()
}

/// The admin routes, relative to [`PREFIX`].
pub fn routes() -> axum::Router<ApiState> {
    build(route_table())
}

/// The admin API's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    list_tenants,
    create_tenant,
    list_connectors,
    upload_connector,
    list_connections,
    create_connection,
    show_connection,
    edit_connection,
    test_connection,
    pause_connection,
    resume_connection,
    delete_connection,
    configure_resource,
    sync_now,
    reconcile_now,
    runs,
    run_detail,
    list_keys,
    create_key,
    list_all_keys,
    revoke_key,
))]
pub struct AdminApiDoc;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    name: String,
}

pub(super) fn parse<T: serde::de::DeserializeOwned>(
    body: &axum::body::Bytes,
) -> Result<T, ApiError> {
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

#[utoipa::path(
    get,
    path = "/api/v1/admin/tenants",
    tag = "admin",
    summary = "List tenants",
    responses(
        (status = 200, description = "the tenants", body = TenantList),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn list_tenants(_: Admin, State(s): State<ApiState>) -> Result<Json<TenantList>, ApiError> {
    Ok(Json(TenantList {
        data: answers::all(s.hub.store.tenants().await?),
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/tenants",
    tag = "admin",
    summary = "Create a tenant",
    request_body = NewTenant,
    responses(
        (status = 201, description = "the new tenant", body = Tenant),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 409, description = "conflicts with an existing tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn create_tenant(
    _: Admin,
    State(s): State<ApiState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Tenant>), ApiError> {
    let new: NewTenant = parse(&body)?;
    let tenant = junction_domain::tenants::create(&s.hub.store, &new.name).await?;
    Ok((StatusCode::CREATED, Json(tenant.into())))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/connectors",
    tag = "admin",
    summary = "List loaded connectors",
    responses(
        (status = 200, description = "the connector registry", body = ConnectorListing),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn list_connectors(_: Admin, State(s): State<ApiState>) -> Json<ConnectorListing> {
    Json(connectors::listing(&s.hub.registry))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/connectors",
    tag = "admin",
    summary = "Upload a connector component",
    description = "The body is the component itself (the .wasm bytes, at most 64 MiB). It is \
        validated completely (a component of the junction:connector/plugin world with a valid \
        manifest) before it replaces anything; then it is live at once, replacing the version \
        serving the same key. Calls in flight finish on the version they started with. \
        It is stored in the database, content-addressed, and every host sharing the database \
        installs it within seconds.",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the .wasm component (any content type is accepted, e.g. application/wasm)"),
    responses(
        (status = 201, description = "installed and serving", body = UploadedConnector),
        (status = 400, description = "not a valid connector component (`message` says why)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 413, description = "larger than 64 MiB", body = ApiErrorDoc),
        (status = 429, description = "other uploads are being read; try again after `Retry-After` seconds", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable (nothing was installed)", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn upload_connector(
    _: Admin,
    State(s): State<ApiState>,
    body: axum::body::Body,
) -> Result<(StatusCode, Json<UploadedConnector>), ApiError> {
    // A slot first, then the body: at most a few uploads are held in memory at once.
    let Some(_slot) = connectors::upload_slot() else {
        return Err(ApiError {
            retry_after_secs: Some(5),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "uploads_busy",
                UploadError::Busy.to_string(),
            )
        });
    };
    let body = axum::body::to_bytes(body, connectors::MAX_COMPONENT_BYTES)
        .await
        .map_err(|_| ApiError {
            field: Some("body".into()),
            ..ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the component is larger than 64 MiB (or its body could not be read)",
            )
        })?;
    let uploaded = connectors::upload(&s.hub.store, &s.hub.registry, body.to_vec())
        .await
        .map_err(|e| match e {
            UploadError::Invalid(message) => ApiError {
                field: Some("body".into()),
                ..ApiError::new(StatusCode::BAD_REQUEST, "invalid_component", message)
            },
            UploadError::Store(e) => ApiError::from(e),
            UploadError::Local(message) => ApiError::internal(message),
            UploadError::Busy => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "uploads_busy",
                UploadError::Busy.to_string(),
            ),
        })?;
    Ok((StatusCode::CREATED, Json(uploaded)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewConnectionBody {
    /// Tenant id or name.
    tenant: String,
    connector: String,
    name: String,
    config: Value,
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/connections",
    tag = "admin",
    summary = "Create a connection",
    request_body = NewConnectionBody,
    responses(
        (status = 201, description = "the new connection", body = ConnectionView),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 409, description = "conflicts with an existing tenant, connection or key", body = ApiErrorDoc),
        (status = 500, description = "the server cannot open the connection's secrets", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn create_connection(
    _: Admin,
    State(s): State<ApiState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<ConnectionView>), ApiError> {
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

#[utoipa::path(
    get,
    path = "/api/v1/admin/connections",
    tag = "admin",
    summary = "List connections",
    params(
        ("tenant" = Option<String>, Query, description = "Only this tenant (id or name)"),
    ),
    responses(
        (status = 200, description = "the connections", body = ConnectionList),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn list_connections(
    _: Admin,
    State(s): State<ApiState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<ConnectionList>, ApiError> {
    let tenant = match q.get("tenant") {
        Some(t) => Some(s.hub.store.tenant(t).await?.id),
        None => None,
    };
    Ok(Json(ConnectionList {
        data: answers::all(s.hub.store.connections(tenant.as_deref()).await?),
    }))
}

/// A connection with its public config (secrets shown only as "***") and resources.
async fn connection_view(s: &ApiState, id: &str) -> Result<ConnectionView, ApiError> {
    let connection = s.hub.store.connection(id).await?;
    let mut config: serde_json::Map<String, Value> =
        serde_json::from_str(&connection.public_config).unwrap_or_default();
    if let Some(connector) = s.hub.registry.get(&connection.connector_key) {
        for field in junction_runtime::manifest::secret_fields(&connector.manifest) {
            config.insert(field, Value::String("***".into()));
        }
    }
    let resources = s.hub.store.sync_states(id).await?;
    Ok(ConnectionView {
        connection: connection.into(),
        config: Value::Object(config),
        resources: answers::all(resources),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/connections/{id}",
    tag = "admin",
    summary = "One connection",
    params(
        ("id" = String, Path, description = "The connection id"),
    ),
    responses(
        (status = 200, description = "the connection", body = ConnectionView),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn show_connection(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    Ok(Json(connection_view(&s, &id).await?))
}

/// `PATCH /connections/{id}`: a new name and/or config.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ConnectionChange {
    /// A new name.
    name: Option<String>,
    /// The whole new config; secret properties left out, empty or null keep their stored
    /// values, other properties left out are removed.
    #[schema(value_type = Option<Object>)]
    config: Option<Value>,
    /// Save even when the connector's check fails with the new config.
    #[serde(default)]
    force: bool,
}

/// An edited connection, with the check its new config passed (or failed, when forced).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct EditedConnection {
    connection: answers::Connection,
    /// The connection config; secret properties read `"***"`.
    #[schema(value_type = Object)]
    config: Value,
    resources: Vec<SyncState>,
    /// The connector's check with the new config; null when the config did not change.
    #[schema(required = true)]
    check: Option<CheckResult>,
}

/// The outcome of the connector's check against the external system.
#[derive(Serialize, ToSchema)]
struct CheckResult {
    ok: bool,
    /// What the system answered, or what is wrong and what to do, in words.
    message: String,
}

impl From<Result<String, String>> for CheckResult {
    fn from(outcome: Result<String, String>) -> Self {
        match outcome {
            Ok(message) => Self { ok: true, message },
            Err(message) => Self { ok: false, message },
        }
    }
}

#[utoipa::path(
    patch,
    path = "/api/v1/admin/connections/{id}",
    tag = "admin",
    summary = "Edit a connection's name or config (tested before it is saved)",
    description = "The new config must pass the connector's schema and then its check against the external system; a failing check saves nothing (422 `check_failed`) unless `force` is true. Secrets left blank keep their stored values. After a config change every enabled resource syncs at once.",
    params(
        ("id" = String, Path, description = "The connection id"),
    ),
    request_body = ConnectionChange,
    responses(
        (status = 200, description = "saved", body = EditedConnection),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 422, description = "the connector's check failed with the new config (`check_failed`); nothing was saved", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn edit_connection(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<EditedConnection>, ApiError> {
    let change: ConnectionChange = parse(&body)?;
    let edit = connections::ConnectionEdit {
        name: change.name,
        config: change.config,
        force: change.force,
    };
    match connections::edit(&s.hub, &id, edit).await? {
        connections::EditOutcome::CheckFailed(why) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "check_failed",
            format!("nothing was saved: {why} (send \"force\": true to save anyway)"),
        )),
        connections::EditOutcome::Saved { connection, check } => {
            let view = connection_view(&s, &connection.id).await?;
            Ok(Json(EditedConnection {
                connection: view.connection,
                config: view.config,
                resources: view.resources,
                check: check.map(CheckResult::from),
            }))
        }
    }
}

/// `POST /connections/{id}/test`: a config to check (none: the stored one).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct ConfigTest {
    /// A config to try (secrets left blank keep their stored values); none: the stored one.
    #[schema(value_type = Option<Object>)]
    config: Option<Value>,
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/connections/{id}/test",
    tag = "admin",
    summary = "Run the connector's check with the stored or a proposed config (nothing is saved)",
    params(
        ("id" = String, Path, description = "The connection id"),
    ),
    request_body = ConfigTest,
    responses(
        (status = 200, description = "the check's outcome (`ok` false says what is wrong)", body = CheckResult),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn test_connection(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<CheckResult>, ApiError> {
    let test: ConfigTest = if body.is_empty() {
        ConfigTest::default()
    } else {
        parse(&body)?
    };
    let outcome = connections::test_config(&s.hub, &id, test.config.as_ref()).await?;
    Ok(Json(outcome.into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/connections/{id}/pause",
    tag = "admin",
    summary = "Pause a connection: no autosync and no automation touching it runs",
    params(
        ("id" = String, Path, description = "The connection id"),
    ),
    responses(
        (status = 200, description = "the connection, paused", body = ConnectionView),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn pause_connection(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    connections::set_paused(&s.hub, &id, true).await?;
    Ok(Json(connection_view(&s, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/connections/{id}/resume",
    tag = "admin",
    summary = "Resume a paused connection; every enabled resource syncs at once",
    params(
        ("id" = String, Path, description = "The connection id"),
    ),
    responses(
        (status = 200, description = "the connection, running", body = ConnectionView),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn resume_connection(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    connections::set_paused(&s.hub, &id, false).await?;
    Ok(Json(connection_view(&s, &id).await?))
}

/// What deleting a connection removed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct DeletedConnection {
    records: i64,
    /// API keys revoked (and their idempotency rows removed).
    keys: i64,
    webhook_endpoints: i64,
    /// Automations that used the connection, now turned off with the reason.
    automations_disabled: i64,
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/connections/{id}",
    tag = "admin",
    summary = "Delete a connection and everything it holds (confirmed by its name or id)",
    description = "Removes its records, sync state, API keys (revoked at once) and their idempotency rows, and the webhook endpoints scoped to it; turns off, with the reason, the automations that use it. Its run history and the automations' own history are kept.",
    params(
        ("id" = String, Path, description = "The connection id"),
        ("confirm" = String, Query, description = "The connection's name (or its id), to confirm"),
    ),
    responses(
        (status = 200, description = "deleted; what was removed", body = DeletedConnection),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn delete_connection(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<DeletedConnection>, ApiError> {
    let confirm = q.get("confirm").map(String::as_str).unwrap_or("");
    let deleted = connections::delete(&s.hub, &id, confirm).await?;
    Ok(Json(DeletedConnection {
        records: deleted.records,
        keys: deleted.keys,
        webhook_endpoints: deleted.webhook_endpoints,
        automations_disabled: deleted.automations_disabled,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ResourceChange {
    enabled: Option<bool>,
    cadence_seconds: Option<i64>,
}

fn resource_param(name: &str) -> Result<ResourceKind, ApiError> {
    ResourceKind::parse(name).map_err(|m| ApiError::invalid("resource", m))
}

#[utoipa::path(
    patch,
    path = "/api/v1/admin/connections/{id}/resources/{resource}",
    tag = "admin",
    summary = "Enable, disable or re-time a resource's sync",
    params(
        ("id" = String, Path, description = "The connection id"),
        ("resource" = String, Path, description = "One of orders, customers, products, variations"),
    ),
    request_body = ResourceChange,
    responses(
        (status = 200, description = "the resource's sync state", body = SyncState),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn configure_resource(
    _: Admin,
    State(s): State<ApiState>,
    Path((id, resource)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<SyncState>, ApiError> {
    let resource = resource_param(&resource)?;
    let change: ResourceChange = parse(&body)?;
    let change = connections::ScheduleChange {
        enabled: change.enabled,
        cadence_secs: change.cadence_seconds,
    };
    let state = connections::configure_resource(&s.hub, &id, resource, change).await?;
    Ok(Json(SyncState::from(state)))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/connections/{id}/sync",
    tag = "admin",
    summary = "Queue a sync now",
    params(
        ("id" = String, Path, description = "The connection id"),
        ("resource" = Option<String>, Query, description = "One of orders, customers, products, variations"),
    ),
    responses(
        (status = 200, description = "queued", body = SyncQueued),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn sync_now(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<SyncQueued>, ApiError> {
    let resource = q.get("resource").map(|r| resource_param(r)).transpose()?;
    let queued = connections::sync_now(&s.hub, &id, resource).await?;
    Ok(Json(SyncQueued { queued }))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/connections/{id}/reconcile",
    tag = "admin",
    summary = "Reconcile now: find what the external system deleted",
    description = "Makes the resource's job due; after its sync, a complete scan lists every record, and the records the copy holds that the scan did not see — and that the connector's `get` confirms gone — are marked deleted. A partial, failed or interrupted scan deletes nothing. The outcome is a run of kind `reconcile` in the run history.",
    params(
        ("id" = String, Path, description = "The connection id"),
        ("resource" = Option<String>, Query, description = "One of orders, customers, products, variations (default: every enabled resource)"),
    ),
    responses(
        (status = 200, description = "queued (`queued`: how many resources will reconcile)", body = SyncQueued),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn reconcile_now(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<SyncQueued>, ApiError> {
    let resource = q.get("resource").map(|r| resource_param(r)).transpose()?;
    let queued = connections::reconcile_now(&s.hub, &id, resource).await?;
    Ok(Json(SyncQueued { queued }))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/connections/{id}/runs",
    tag = "admin",
    summary = "Recent sync runs",
    params(
        ("id" = String, Path, description = "The connection id"),
        ("resource" = Option<String>, Query, description = "One of orders, customers, products, variations"),
        ("limit" = Option<i64>, Query, description = "1-1000 (default 50)"),
    ),
    responses(
        (status = 200, description = "the runs, newest first", body = RunList),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn runs(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<RunList>, ApiError> {
    let resource = q.get("resource").map(|r| resource_param(r)).transpose()?;
    let limit = match q.get("limit") {
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| ApiError::invalid("limit", "limit must be 1-1000"))?,
        None => 50,
    };
    // An unknown connection is a 404, as on every sibling route, not an empty list.
    s.hub.store.connection(&id).await?;
    Ok(Json(RunList {
        data: answers::all(s.hub.store.runs(&id, resource, limit).await?),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/connections/{id}/runs/{run}",
    tag = "admin",
    summary = "One sync or reconciliation run with its steps",
    description = "Each page the run read (records new, changed and unchanged; every request's \
        method, target without its query string, status, time and budget wait; the connector's \
        log lines) and the call that failed, as recorded (up to 300 per run, kept \
        `sync.run_detail_days`); for a failed run, its cause and what to do about it.",
    params(
        ("id" = String, Path, description = "The connection id"),
        ("run" = String, Path, description = "The run id"),
    ),
    responses(
        (status = 200, description = "the run and its steps", body = RunDetail),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such connection, or no such run of it", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn run_detail(
    _: Admin,
    State(s): State<ApiState>,
    Path((id, run)): Path<(String, String)>,
) -> Result<Json<RunDetail>, ApiError> {
    s.hub.store.connection(&id).await?;
    let detail = junction_domain::runs::detail(&s.hub.store, &run).await?;
    if detail.run.connection_id != id {
        return Err(junction_store::StoreError::not_found("run", run).into());
    }
    Ok(Json(detail.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/connections/{id}/keys",
    tag = "admin",
    summary = "Create an API key",
    params(
        ("id" = String, Path, description = "The connection id"),
    ),
    request_body = NewKey,
    responses(
        (status = 201, description = "the key, shown only once", body = CreatedKey),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 409, description = "conflicts with an existing tenant, connection or key", body = ApiErrorDoc),
        (status = 500, description = "the server cannot open the connection's secrets", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn create_key(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let new: NewKey = parse(&body)?;
    let created = api_keys::create(&s.hub.store, &id, &new.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            key: created.key,
            api_key: created.stored.into(),
            warning: "copy the key now: it is shown only once".into(),
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/connections/{id}/keys",
    tag = "admin",
    summary = "A connection's API keys",
    params(
        ("id" = String, Path, description = "The connection id"),
    ),
    responses(
        (status = 200, description = "the keys (never the secret)", body = ApiKeyList),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn list_keys(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyList>, ApiError> {
    s.hub.store.connection(&id).await?;
    Ok(Json(ApiKeyList {
        data: answers::all(s.hub.store.api_keys(Some(&id), None).await?),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/keys",
    tag = "admin",
    summary = "All API keys",
    params(
        ("tenant" = Option<String>, Query, description = "Only this tenant (id or name)"),
    ),
    responses(
        (status = 200, description = "the keys (never the secret)", body = ApiKeyList),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn list_all_keys(
    _: Admin,
    State(s): State<ApiState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<ApiKeyList>, ApiError> {
    let tenant = match q.get("tenant") {
        Some(t) => Some(s.hub.store.tenant(t).await?.id),
        None => None,
    };
    Ok(Json(ApiKeyList {
        data: answers::all(s.hub.store.api_keys(None, tenant.as_deref()).await?),
    }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/keys/{id}",
    tag = "admin",
    summary = "Revoke an API key",
    params(
        ("id" = String, Path, description = "The key id"),
    ),
    responses(
        (status = 204, description = "revoked"),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant, connection or key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable, or the connector is not loaded", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn revoke_key(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    api_keys::revoke(&s.hub.store, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}
