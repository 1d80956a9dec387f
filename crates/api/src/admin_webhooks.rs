//! The admin API's webhook routes (`/api/v1/admin/webhooks...`): endpoints (create — the
//! secret shown once —, list, show, update, delete, rotate the secret, send a test event)
//! and their deliveries (list with the attempt log, retry one by hand). The work is done
//! by `junction_domain::webhooks::endpoints`; this module parses, checks fields and shapes answers.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::Verb::{Delete, Get, Patch, Post};
use super::admin::{Admin, parse};
use super::error::ApiError;
use super::error::ApiError as ApiErrorDoc;
use super::{ApiState, RouteDef, at};
use crate::answers::{self, WebhookDelivery, WebhookEndpoint};
use junction_domain::webhooks::endpoints::{self, EndpointError, EndpointSpec};
use junction_store::StoreError;
use junction_store::webhooks::DELIVERY_STATUSES;

/// The webhook routes, relative to the admin prefix; `admin::route_table` includes them.
pub fn route_table() -> Vec<RouteDef> {
    vec![
        at(Get, "/webhooks", list_webhooks),
        at(Post, "/webhooks", create_webhook),
        at(Get, "/webhooks/{id}", show_webhook),
        at(Patch, "/webhooks/{id}", update_webhook),
        at(Delete, "/webhooks/{id}", delete_webhook),
        at(Get, "/webhooks/{id}/deliveries", list_deliveries),
        at(Post, "/webhooks/{id}/rotate-secret", rotate_secret),
        at(Post, "/webhooks/{id}/test", send_test),
        at(Post, "/webhook-deliveries/{id}/retry", retry_delivery),
    ]
}

/// The webhook routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    list_webhooks,
    create_webhook,
    show_webhook,
    update_webhook,
    delete_webhook,
    list_deliveries,
    rotate_secret,
    send_test,
    retry_delivery,
))]
pub struct AdminWebhooksDoc;

impl From<EndpointError> for ApiError {
    fn from(e: EndpointError) -> Self {
        match e {
            EndpointError::Invalid { field, message } => ApiError::invalid(field, message),
            EndpointError::Store(s) => s.into(),
            EndpointError::Secrets(s) => {
                tracing::error!(error = %s, "webhook secret unusable");
                ApiError::internal(
                    "the webhook secret cannot be sealed or opened with this server's key",
                )
            }
            EndpointError::Signing(s) => ApiError::internal(s.to_string()),
        }
    }
}

// ---- documentation types --------------------------------------------------------------------

/// `POST /webhooks`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewWebhook {
    /// Tenant id or name.
    tenant: String,
    /// Only this connection's events (its id); omit for every connection of the tenant.
    connection: Option<String>,
    /// Where events are POSTed: http or https.
    #[schema(
        example = "https://erp.example.com/hooks/junction",
        pattern = "^[hH][tT][tT][pP][sS]?://"
    )]
    url: String,
    description: Option<String>,
    /// `<entity>.created`, `<entity>.updated` or `<entity>.deleted` for the entities
    /// `order`, `customer`, `product` and `variation`; `<entity>.*` or `*` (the default).
    event_types: Option<Vec<String>>,
    /// Default true.
    enabled: Option<bool>,
}

/// `PATCH /webhooks/{id}`: only the fields given change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WebhookChange {
    url: Option<String>,
    description: Option<String>,
    event_types: Option<Vec<String>>,
    enabled: Option<bool>,
    /// A connection id, or null for every connection of the tenant.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    connection: Option<Option<String>>,
}

/// A field that may be given as null (`Some(None)`) or left out (`None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A delivery's status (for the document).
#[allow(dead_code)]
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

/// The parameters of a delivery listing (anything else is refused with a 400). For the
/// document only: the handler parses them strictly itself.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveryQuery {
    /// Only deliveries in this status.
    #[param(inline)]
    status: Option<DeliveryStatus>,
    /// Deliveries per answer, 1-1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// `POST /webhooks/{id}/rotate-secret` (the body is optional).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Rotation {
    /// How long the old secret keeps signing alongside the new one, in seconds
    /// (0-604800, default 86400).
    #[schema(minimum = 0, maximum = 604800)]
    overlap_seconds: Option<i64>,
}

/// An endpoint with its secret: shown only at creation and rotation.
#[derive(Serialize, ToSchema)]
struct CreatedWebhook {
    endpoint: WebhookEndpoint,
    /// `whsec_...`: verify signatures with it (Standard Webhooks).
    secret: String,
    warning: String,
}

/// `{"data": [...]}`: webhook endpoints (never their secrets).
#[derive(Serialize, ToSchema)]
struct WebhookList {
    data: Vec<WebhookEndpoint>,
}

/// How many deliveries are in each status.
#[derive(Serialize, ToSchema)]
struct DeliveryCounts {
    pending: i64,
    delivered: i64,
    failed: i64,
}

/// An endpoint and its delivery counts.
#[derive(Serialize, ToSchema)]
struct WebhookView {
    endpoint: WebhookEndpoint,
    deliveries: DeliveryCounts,
}

/// `{"data": [...]}`: deliveries, newest first, each with its attempts.
#[derive(Serialize, ToSchema)]
struct DeliveryList {
    data: Vec<WebhookDelivery>,
}

// ---- handlers ---------------------------------------------------------------------------------

const CREATED_WARNING: &str = "copy the secret now: it is shown only once";

#[utoipa::path(
    post,
    path = "/api/v1/admin/webhooks",
    tag = "admin",
    summary = "Create a webhook endpoint",
    description = "Events for the tenant's connections (or one of them) are POSTed to `url`, \
        signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). \
        The endpoint starts at the current end of the change feed: history is not replayed. \
        The secret is in this answer only.",
    request_body = NewWebhook,
    responses(
        (status = 201, description = "the endpoint and its secret, shown only once", body = CreatedWebhook),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 500, description = "the secret cannot be sealed with this server's key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn create_webhook(
    _: Admin,
    State(s): State<ApiState>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let new: NewWebhook = parse(&body)?;
    let tenant = s
        .hub
        .store
        .tenant(&new.tenant)
        .await
        .map_err(|e| not_found_as_field(e, "tenant", &new.tenant))?;
    let spec = EndpointSpec {
        tenant_id: tenant.id,
        connection_id: new.connection,
        url: new.url,
        description: new.description.unwrap_or_default(),
        event_types: new.event_types.unwrap_or_else(|| vec!["*".into()]),
        enabled: new.enabled.unwrap_or(true),
    };
    let (endpoint, secret) = endpoints::create(&s.hub, spec).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            endpoint: endpoint.into(),
            secret,
            warning: CREATED_WARNING.into(),
        }),
    ))
}

/// A tenant named in a body that does not exist is a field error, not a missing route.
fn not_found_as_field(e: StoreError, field: &str, value: &str) -> ApiError {
    match e {
        StoreError::NotFound { .. } => ApiError::invalid(field, format!("no {field} `{value}`")),
        other => other.into(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/webhooks",
    tag = "admin",
    summary = "List webhook endpoints",
    params(
        ("tenant" = Option<String>, Query, description = "Only this tenant (id or name)"),
    ),
    responses(
        (status = 200, description = "the endpoints (never their secrets)", body = WebhookList),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such tenant", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn list_webhooks(
    _: Admin,
    State(s): State<ApiState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<WebhookList>, ApiError> {
    let tenant = match q.get("tenant") {
        Some(t) => Some(s.hub.store.tenant(t).await?.id),
        None => None,
    };
    let data = answers::all(s.hub.store.webhook_endpoints(tenant.as_deref()).await?);
    Ok(Json(WebhookList { data }))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/webhooks/{id}",
    tag = "admin",
    summary = "One webhook endpoint",
    params(("id" = String, Path, description = "The endpoint id")),
    responses(
        (status = 200, description = "the endpoint and its delivery counts", body = WebhookView),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such endpoint", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn show_webhook(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>, ApiError> {
    let endpoint = s.hub.store.webhook_endpoint(&id).await?;
    let counts = s.hub.store.webhook_delivery_counts(&id).await?;
    let count = |status: &str| {
        counts
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n)
    };
    Ok(Json(WebhookView {
        deliveries: DeliveryCounts {
            pending: count("pending"),
            delivered: count("delivered"),
            failed: count("failed"),
        },
        endpoint: endpoint.into(),
    }))
}

#[utoipa::path(
    patch,
    path = "/api/v1/admin/webhooks/{id}",
    tag = "admin",
    summary = "Change a webhook endpoint",
    description = "URL, description, event types, connection filter, enabled. Connections and \
        resources newly covered start at the current end of the change feed. A disabled \
        endpoint is paused: it resumes where it stopped when enabled again.",
    params(("id" = String, Path, description = "The endpoint id")),
    request_body = WebhookChange,
    responses(
        (status = 200, description = "the endpoint", body = WebhookEndpoint),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such endpoint", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn update_webhook(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let change: WebhookChange = parse(&body)?;
    let current = s.hub.store.webhook_endpoint(&id).await?;
    let spec = EndpointSpec {
        tenant_id: current.tenant_id.clone(),
        connection_id: change
            .connection
            .unwrap_or_else(|| current.connection_id.clone()),
        url: change.url.unwrap_or_else(|| current.url.clone()),
        description: change
            .description
            .unwrap_or_else(|| current.description.clone()),
        event_types: change
            .event_types
            .unwrap_or_else(|| current.event_types.clone()),
        enabled: change.enabled.unwrap_or(current.enabled),
    };
    let endpoint = endpoints::update(&s.hub, &current, spec).await?;
    Ok(Json(endpoint.into()))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/webhooks/{id}",
    tag = "admin",
    summary = "Delete a webhook endpoint",
    description = "With its pending deliveries and its delivery log.",
    params(("id" = String, Path, description = "The endpoint id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such endpoint", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn delete_webhook(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    endpoints::delete(&s.hub, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/webhooks/{id}/deliveries",
    tag = "admin",
    summary = "An endpoint's deliveries with their attempts",
    params(
        ("id" = String, Path, description = "The endpoint id"),
        DeliveryQuery,
    ),
    responses(
        (status = 200, description = "the deliveries, newest first", body = DeliveryList),
        (status = 400, description = "invalid parameter (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such endpoint", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn list_deliveries(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<DeliveryList>, ApiError> {
    if let Some(unknown) = q
        .keys()
        .find(|k| !["status", "limit"].contains(&k.as_str()))
    {
        return Err(ApiError::invalid(
            unknown,
            format!("unknown parameter `{unknown}`; accepted: status, limit"),
        ));
    }
    let status = match q.get("status") {
        Some(status) if DELIVERY_STATUSES.contains(&status.as_str()) => Some(status.as_str()),
        Some(status) => {
            return Err(ApiError::invalid(
                "status",
                format!(
                    "unknown status `{status}`; accepted: {}",
                    DELIVERY_STATUSES.join(", ")
                ),
            ));
        }
        None => None,
    };
    let limit = match q.get("limit") {
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| ApiError::invalid("limit", "limit must be 1-1000"))?,
        None => 50,
    };
    s.hub.store.webhook_endpoint(&id).await?;
    let data = answers::all(s.hub.store.webhook_deliveries(&id, status, limit).await?);
    Ok(Json(DeliveryList { data }))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/webhooks/{id}/rotate-secret",
    tag = "admin",
    summary = "Rotate an endpoint's secret",
    description = "A new secret is generated and shown in this answer only. The old one keeps \
        signing alongside (two signatures in `webhook-signature`) for `overlapSeconds`.",
    params(("id" = String, Path, description = "The endpoint id")),
    request_body(content = Rotation, description = "optional"),
    responses(
        (status = 200, description = "the endpoint and its new secret, shown only once", body = CreatedWebhook),
        (status = 400, description = "invalid parameter, body or header (`field` names it)", body = ApiErrorDoc),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such endpoint", body = ApiErrorDoc),
        (status = 500, description = "the secret cannot be sealed with this server's key", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn rotate_secret(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<CreatedWebhook>, ApiError> {
    let rotation: Rotation = if body.iter().all(u8::is_ascii_whitespace) {
        Rotation::default()
    } else {
        parse(&body)?
    };
    let overlap = rotation.overlap_seconds.unwrap_or(24 * 3600);
    let (endpoint, secret) = endpoints::rotate_secret(&s.hub, &id, overlap).await?;
    Ok(Json(CreatedWebhook {
        endpoint: endpoint.into(),
        secret,
        warning: CREATED_WARNING.into(),
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/webhooks/{id}/test",
    tag = "admin",
    summary = "Send a test event",
    description = "Queues a `webhook.test` event for the endpoint, whatever its event types; \
        follow it in the endpoint's deliveries.",
    params(("id" = String, Path, description = "The endpoint id")),
    responses(
        (status = 202, description = "queued", body = WebhookDelivery),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such endpoint", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn send_test(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<WebhookDelivery>), ApiError> {
    let delivery = endpoints::send_test_event(&s.hub, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery.into())))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/webhook-deliveries/{id}/retry",
    tag = "admin",
    summary = "Retry a delivery by hand",
    description = "A failed (or delivered) delivery gets one more attempt now, with the same \
        `webhook-id` and body.",
    params(("id" = String, Path, description = "The delivery id (its `webhook-id`)")),
    responses(
        (status = 200, description = "queued", body = WebhookDelivery),
        (status = 401, description = "missing or wrong admin token", body = ApiErrorDoc),
        (status = 404, description = "no such delivery", body = ApiErrorDoc),
        (status = 409, description = "the delivery is pending already", body = ApiErrorDoc),
        (status = 503, description = "the database is unavailable", body = ApiErrorDoc),
    ),
    security(("adminToken" = []))
)]
async fn retry_delivery(
    _: Admin,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<WebhookDelivery>, ApiError> {
    let delivery = endpoints::retry_delivery(&s.hub, &id).await?;
    Ok(Json(delivery.into()))
}
