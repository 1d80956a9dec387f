//! Webhooks in the portal (`/portal/webhooks`): the session's tenant's endpoints (the
//! operator: every tenant's) with their scope, events and delivery counts; creating one
//! (URL, events, a connection or all, a description) answered with its signing secret shown
//! once; an endpoint's page with its delivery log (newest first, each attempt's status,
//! time and error) and **Retry** per delivery, **Send test event**, **Rotate secret** (the old
//! one keeps signing for the chosen overlap; the new one shown once), enable/disable and
//! delete after a confirmation. Every operation is `domain::webhooks::endpoints`', as for the
//! admin API; an endpoint or delivery of another tenant is a 404, like one that does not
//! exist.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::PortalState;
use super::access::may_see_tenant;
use super::error::{PortalError, render};
use super::session::SignedIn;
use super::views::{self, Nav, Section, When, capitalised};
use junction_domain::webhooks::endpoints::{self, EndpointError, EndpointSpec};
use junction_domain::webhooks::events::EVENT_TYPES;
use junction_store::StoreError;
use junction_store::webhooks::{WebhookDelivery, WebhookEndpoint};

const PATH: &str = "/portal/webhooks";
/// Deliveries shown on an endpoint's page.
const DELIVERIES_SHOWN: i64 = 50;
/// The overlaps offered when rotating a secret, in seconds, with their words.
const OVERLAPS: [(i64, &str); 4] = [
    (0, "None: the old secret stops at once"),
    (3600, "1 hour"),
    (86_400, "24 hours"),
    (604_800, "1 week"),
];

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new()
        .route(PATH, get(page).post(create))
        .route("/portal/webhooks/{id}", get(endpoint_page))
        .route("/portal/webhooks/{id}/test", post(send_test))
        .route("/portal/webhooks/{id}/rotate", post(rotate))
        .route("/portal/webhooks/{id}/enabled", post(set_enabled))
        .route(
            "/portal/webhooks/{id}/delete",
            get(confirm_delete).post(delete),
        )
        .route(
            "/portal/webhooks/{id}/deliveries/{delivery}/retry",
            post(retry),
        )
}

impl From<EndpointError> for PortalError {
    fn from(e: EndpointError) -> Self {
        match e {
            EndpointError::Invalid { message, .. } => PortalError::Invalid(sentence(&message)),
            EndpointError::Store(s) => s.into(),
            other => {
                tracing::error!(error = %other, "portal: webhook endpoint failure");
                PortalError::Internal(other.to_string())
            }
        }
    }
}

/// "url must be http" → "The URL must be http." (the domain's messages name the admin
/// API's field).
fn sentence(message: &str) -> String {
    match message.strip_prefix("url ") {
        Some(rest) => views::sentence(&format!("the URL {rest}")),
        None => views::sentence(message),
    }
}

/// The endpoint `id`, if this session may see it.
async fn visible_endpoint(
    state: &PortalState,
    session: &SignedIn,
    id: &str,
) -> Result<WebhookEndpoint, PortalError> {
    let not_found = || PortalError::NotFound("There is no such webhook endpoint".into());
    match state.hub.store.webhook_endpoint(id).await {
        Ok(endpoint) if may_see_tenant(session, &endpoint.tenant_id) => Ok(endpoint),
        Ok(_) | Err(StoreError::NotFound { .. }) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

/// One endpoint in the list.
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub description: String,
    pub tenant_name: String,
    /// A connection's name, or "Every connection".
    pub scope: String,
    pub events: String,
    pub enabled: bool,
    pub pending: i64,
    pub failed: i64,
    pub delivered: i64,
}

/// A choice of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The create form as typed, and its problem (the domain names one field at a time).
#[derive(Default)]
pub struct NewEndpointForm {
    pub tenant: String,
    pub connection: String,
    pub url: String,
    pub description: String,
    pub events: String,
    pub error_field: Option<&'static str>,
    pub error: Option<String>,
}

impl NewEndpointForm {
    /// The error if it belongs to `field` (the template puts it beside that field).
    pub fn error_of(&self, field: &str) -> Option<&str> {
        (self.error_field == Some(field))
            .then_some(self.error.as_deref())
            .flatten()
    }
}

#[derive(Template)]
#[template(path = "portal/webhooks.html")]
pub struct WebhooksPage {
    pub title: &'static str,
    pub nav: Nav,
    pub operator: bool,
    pub rows: Vec<EndpointRow>,
    pub tenants: Vec<Choice>,
    pub connections: Vec<Choice>,
    pub event_types: String,
    pub form: NewEndpointForm,
    pub notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "portal/webhook_secret.html")]
pub struct SecretPage {
    pub title: &'static str,
    pub nav: Nav,
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
    /// "created" or "rotated".
    pub created: bool,
    pub overlap: Option<String>,
}

/// One attempt of a delivery.
pub struct AttemptRow {
    pub attempt: i64,
    pub started: Option<When>,
    pub duration_ms: i64,
    pub outcome: String,
}

/// One delivery of the log.
pub struct DeliveryRow {
    pub id: String,
    pub event_type: String,
    pub record: Option<String>,
    pub created: Option<When>,
    pub status: String,
    pub tone: &'static str,
    pub attempts: Vec<AttemptRow>,
    pub next_attempt: Option<When>,
    pub last_error: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/webhook.html")]
pub struct EndpointPage {
    pub title: String,
    pub nav: Nav,
    pub endpoint: EndpointRow,
    pub created: Option<When>,
    pub previous_until: Option<When>,
    pub deliveries: Vec<DeliveryRow>,
    pub overlaps: Vec<Choice>,
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/webhook_delete.html")]
pub struct DeletePage {
    pub title: &'static str,
    pub nav: Nav,
    pub endpoint: EndpointRow,
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// `GET /portal/webhooks`.
async fn page(
    State(state): State<PortalState>,
    session: SignedIn,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, PortalError> {
    let notice = match query.notice.as_deref() {
        Some("deleted") => Some("The endpoint is deleted; nothing more is sent to it."),
        _ => None,
    };
    let form = NewEndpointForm {
        events: "*".into(),
        ..NewEndpointForm::default()
    };
    list_page(&state, &session, form, notice, StatusCode::OK).await
}

/// Names of tenants and connections, for the rows.
struct Names {
    tenants: HashMap<String, String>,
    connections: HashMap<String, String>,
}

async fn names(state: &PortalState, session: &SignedIn) -> Result<Names, PortalError> {
    let store = &state.hub.store;
    Ok(Names {
        tenants: store
            .tenants()
            .await?
            .into_iter()
            .filter(|t| may_see_tenant(session, &t.id))
            .map(|t| (t.id, t.name))
            .collect(),
        connections: store
            .connections(session.tenant_id())
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
    })
}

async fn row_of(
    state: &PortalState,
    endpoint: &WebhookEndpoint,
    names: &Names,
) -> Result<EndpointRow, PortalError> {
    let counts: HashMap<String, i64> = state
        .hub
        .store
        .webhook_delivery_counts(&endpoint.id)
        .await?
        .into_iter()
        .collect();
    Ok(EndpointRow {
        id: endpoint.id.clone(),
        url: endpoint.url.clone(),
        description: endpoint.description.clone(),
        tenant_name: names
            .tenants
            .get(&endpoint.tenant_id)
            .cloned()
            .unwrap_or_else(|| endpoint.tenant_id.clone()),
        scope: match &endpoint.connection_id {
            None => "Every connection".into(),
            Some(id) => names
                .connections
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("connection {id}")),
        },
        events: endpoint.event_types.join(", "),
        enabled: endpoint.enabled,
        pending: counts.get("pending").copied().unwrap_or(0),
        failed: counts.get("failed").copied().unwrap_or(0),
        delivered: counts.get("delivered").copied().unwrap_or(0),
    })
}

async fn list_page(
    state: &PortalState,
    session: &SignedIn,
    form: NewEndpointForm,
    notice: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, PortalError> {
    let names = names(state, session).await?;
    let mut rows = Vec::new();
    for endpoint in state
        .hub
        .store
        .webhook_endpoints(session.tenant_id())
        .await?
    {
        rows.push(row_of(state, &endpoint, &names).await?);
    }
    let mut tenants: Vec<Choice> = names
        .tenants
        .iter()
        .map(|(id, name)| Choice {
            value: id.clone(),
            label: name.clone(),
            selected: *id == form.tenant,
        })
        .collect();
    tenants.sort_by(|a, b| a.label.cmp(&b.label));
    let mut connections: Vec<Choice> = names
        .connections
        .iter()
        .map(|(id, name)| Choice {
            value: id.clone(),
            label: name.clone(),
            selected: *id == form.connection,
        })
        .collect();
    connections.sort_by(|a, b| a.label.cmp(&b.label));
    let page = WebhooksPage {
        title: "Webhooks",
        nav: Nav::new(session, Section::Webhooks),
        operator: session.is_operator(),
        rows,
        tenants,
        connections,
        event_types: EVENT_TYPES.join(", "),
        form,
        notice,
    };
    Ok(render(status, &page))
}

#[derive(Debug, Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    connection: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    events: String,
}

/// `POST /portal/webhooks`: create an endpoint; its secret is shown once.
async fn create(
    State(state): State<PortalState>,
    session: SignedIn,
    Form(submitted): Form<CreateForm>,
) -> Result<Response, PortalError> {
    let form = NewEndpointForm {
        tenant: submitted.tenant.trim().to_string(),
        connection: submitted.connection.trim().to_string(),
        url: submitted.url.trim().to_string(),
        description: submitted.description,
        events: submitted.events,
        ..NewEndpointForm::default()
    };
    // A user's endpoints are their tenant's; the operator chooses (or the connection's).
    let tenant_id = match session.tenant_id() {
        Some(own) => Some(own.to_string()),
        None if !form.tenant.is_empty() => Some(form.tenant.clone()),
        None => match form.connection.as_str() {
            "" => None,
            id => state
                .hub
                .store
                .connection(id)
                .await
                .ok()
                .map(|c| c.tenant_id),
        },
    };
    let refuse = |mut form: NewEndpointForm, field: &'static str, message: String| {
        form.error_field = Some(field);
        form.error = Some(message);
        form
    };
    let Some(tenant_id) = tenant_id.filter(|t| may_see_tenant(&session, t)) else {
        let form = refuse(
            form,
            "tenant",
            "Choose the tenant whose changes the endpoint receives.".into(),
        );
        return list_page(
            &state,
            &session,
            form,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if form.url.is_empty() {
        let form = refuse(
            form,
            "url",
            "Enter the address Junction posts events to, like https://example.com/hooks/junction."
                .into(),
        );
        return list_page(
            &state,
            &session,
            form,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let event_types: Vec<String> = form
        .events
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect();
    let spec = EndpointSpec {
        tenant_id,
        connection_id: (!form.connection.is_empty()).then(|| form.connection.clone()),
        url: form.url.clone(),
        description: form.description.clone(),
        event_types: if event_types.is_empty() {
            vec!["*".into()]
        } else {
            event_types
        },
        enabled: true,
    };
    match endpoints::create(&state.hub, spec).await {
        Ok((endpoint, secret)) => {
            let page = SecretPage {
                title: "Webhook endpoint created",
                nav: Nav::new(&session, Section::Webhooks),
                endpoint_id: endpoint.id,
                url: endpoint.url,
                secret,
                created: true,
                overlap: None,
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(EndpointError::Invalid { field, message }) => {
            let field = match field {
                "eventTypes" => "events",
                "connection" => "connection",
                "description" => "description",
                _ => "url",
            };
            let form = refuse(form, field, sentence(&message));
            list_page(
                &state,
                &session,
                form,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

fn delivery_row(delivery: WebhookDelivery) -> DeliveryRow {
    let tone = match delivery.status.as_str() {
        "delivered" => "good",
        "failed" => "bad",
        _ => "warn",
    };
    DeliveryRow {
        record: match (&delivery.resource, &delivery.external_id) {
            (Some(resource), Some(id)) => Some(format!("{resource} {id}")),
            _ => None,
        },
        created: When::from_ms(delivery.created_ms),
        status: capitalised(&delivery.status),
        tone,
        attempts: delivery
            .attempts
            .iter()
            .map(|a| AttemptRow {
                attempt: a.attempt,
                started: When::from_ms(a.started_ms),
                duration_ms: a.duration_ms,
                outcome: match (&a.status_code, &a.error) {
                    (Some(code), None) => format!("HTTP {code}"),
                    (Some(code), Some(error)) => format!("HTTP {code}: {error}"),
                    (None, Some(error)) => error.clone(),
                    (None, None) => "no answer".into(),
                },
            })
            .collect(),
        next_attempt: (delivery.status == "pending")
            .then_some(delivery.next_attempt_ms)
            .flatten()
            .and_then(When::from_ms),
        last_error: delivery.last_error,
        id: delivery.id,
        event_type: delivery.event_type,
    }
}

/// `GET /portal/webhooks/{id}`.
async fn endpoint_page(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, PortalError> {
    let endpoint = visible_endpoint(&state, &session, &id).await?;
    let names = names(&state, &session).await?;
    let deliveries = state
        .hub
        .store
        .webhook_deliveries(&endpoint.id, None, DELIVERIES_SHOWN)
        .await?
        .into_iter()
        .map(delivery_row)
        .collect();
    let notice = match query.notice.as_deref() {
        Some("test") => Some("A test event is queued; it appears below in a moment.".into()),
        Some("retried") => Some("The delivery is queued for another attempt.".into()),
        Some("enabled") => Some("The endpoint is on: new changes are sent to it.".into()),
        Some("disabled") => Some(
            "The endpoint is off: nothing is sent until it is turned on again (changes meanwhile are sent then)."
                .into(),
        ),
        _ => None,
    };
    let row = row_of(&state, &endpoint, &names).await?;
    let page = EndpointPage {
        title: format!("Webhook {}", endpoint.url),
        nav: Nav::new(&session, Section::Webhooks),
        created: When::from_ms(endpoint.created_ms),
        previous_until: endpoint
            .previous_secret_until_ms
            .filter(|until| *until > junction_store::now_ms())
            .and_then(When::from_ms),
        endpoint: row,
        deliveries,
        overlaps: OVERLAPS
            .iter()
            .map(|(secs, label)| Choice {
                value: secs.to_string(),
                label: (*label).to_string(),
                selected: *secs == 86_400,
            })
            .collect(),
        notice,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /portal/webhooks/{id}/test`.
async fn send_test(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let endpoint = visible_endpoint(&state, &session, &id).await?;
    endpoints::send_test_event(&state.hub, &endpoint.id).await?;
    Ok(Redirect::to(&format!("{PATH}/{}?notice=test#deliveries", endpoint.id)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct RotateForm {
    #[serde(default)]
    overlap: String,
}

/// `POST /portal/webhooks/{id}/rotate`: a new secret, shown once.
async fn rotate(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<RotateForm>,
) -> Result<Response, PortalError> {
    let endpoint = visible_endpoint(&state, &session, &id).await?;
    let Some((overlap_secs, overlap_label)) = OVERLAPS
        .iter()
        .find(|(secs, _)| secs.to_string() == form.overlap.trim())
    else {
        return Err(PortalError::Invalid(format!(
            "Choose how long the old secret keeps signing: one of {}.",
            OVERLAPS
                .iter()
                .map(|(_, label)| *label)
                .collect::<Vec<_>>()
                .join("; ")
        )));
    };
    let (rotated, secret) =
        endpoints::rotate_secret(&state.hub, &endpoint.id, *overlap_secs).await?;
    let page = SecretPage {
        title: "Webhook secret rotated",
        nav: Nav::new(&session, Section::Webhooks),
        endpoint_id: rotated.id,
        url: rotated.url,
        secret,
        created: false,
        overlap: Some((*overlap_label).to_string()),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Default, Deserialize)]
pub struct EnabledForm {
    #[serde(default)]
    enabled: String,
}

/// `POST /portal/webhooks/{id}/enabled`: turn the endpoint on (`enabled=on`) or off.
async fn set_enabled(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<EnabledForm>,
) -> Result<Response, PortalError> {
    let endpoint = visible_endpoint(&state, &session, &id).await?;
    let enabled = form.enabled == "on";
    let spec = EndpointSpec {
        tenant_id: endpoint.tenant_id.clone(),
        connection_id: endpoint.connection_id.clone(),
        url: endpoint.url.clone(),
        description: endpoint.description.clone(),
        event_types: endpoint.event_types.clone(),
        enabled,
    };
    endpoints::update(&state.hub, &endpoint, spec).await?;
    let notice = if enabled { "enabled" } else { "disabled" };
    Ok(Redirect::to(&format!("{PATH}/{}?notice={notice}", endpoint.id)).into_response())
}

/// `GET /portal/webhooks/{id}/delete`: the confirmation.
async fn confirm_delete(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let endpoint = visible_endpoint(&state, &session, &id).await?;
    let names = names(&state, &session).await?;
    let page = DeletePage {
        title: "Delete webhook endpoint",
        nav: Nav::new(&session, Section::Webhooks),
        endpoint: row_of(&state, &endpoint, &names).await?,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /portal/webhooks/{id}/delete`.
async fn delete(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let endpoint = visible_endpoint(&state, &session, &id).await?;
    endpoints::delete(&state.hub, &endpoint.id).await?;
    Ok(Redirect::to(&format!("{PATH}?notice=deleted")).into_response())
}

/// `POST /portal/webhooks/{id}/deliveries/{delivery}/retry`.
async fn retry(
    State(state): State<PortalState>,
    session: SignedIn,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<Response, PortalError> {
    let endpoint = visible_endpoint(&state, &session, &id).await?;
    let belongs = match state.hub.store.webhook_delivery(&delivery).await {
        Ok(d) => d.endpoint_id == endpoint.id,
        Err(StoreError::NotFound { .. }) => false,
        Err(e) => return Err(e.into()),
    };
    if !belongs {
        return Err(PortalError::NotFound("There is no such delivery".into()));
    }
    endpoints::retry_delivery(&state.hub, &delivery).await?;
    Ok(Redirect::to(&format!("{PATH}/{}?notice=retried#deliveries", endpoint.id)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_error_shows_beside_its_field_only() {
        let form = NewEndpointForm {
            error_field: Some("url"),
            error: Some("Url must be http.".into()),
            ..NewEndpointForm::default()
        };
        assert_eq!(form.error_of("url"), Some("Url must be http."));
        assert_eq!(form.error_of("events"), None);
        assert_eq!(
            sentence("url must name a host"),
            "The URL must name a host."
        );
    }
}
