//! Editing a connection's name and settings (`/portal/connections/{id}/edit`): the form is
//! the one a new connection gets (`connection_form`'s fields from the connector's config
//! schema), filled with the stored settings — never the secrets: a secret left blank keeps
//! its stored value. **Test settings** runs the connector's check with what the form holds
//! and saves nothing; **Save** goes through the domain's edit (`domain::connections::edit`,
//! the admin API's too), which runs the same check first and saves settings that fail it only
//! when "Save even if the check fails" is ticked. After a save every enabled resource syncs
//! at once.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::Value;

use super::PortalState;
use super::connection_form::{
    ConfigField, ConnectorChoice, FieldView, FormState, FormValues, SummaryItem, config_from_form,
    display_value, field_view, fields_of, place, schema_of, summary,
};
use super::error::{PortalError, render};
use super::session::SignedIn;
use super::views::{Nav, Section};
use junction_domain::DomainError;
use junction_domain::connections::{self, ConnectionEdit, EditOutcome};
use junction_domain::hub::HubError;
use junction_runtime::connector::LoadedConnector;
use junction_store::Connection;

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new().route("/portal/connections/{id}/edit", get(page).post(submit))
}

/// The outcome of the connector's check, as the page shows it.
pub struct CheckShown {
    pub ok: bool,
    pub message: String,
}

#[derive(Template)]
#[template(path = "portal/connection_edit.html")]
pub struct EditPage {
    pub title: String,
    pub nav: Nav,
    pub id: String,
    pub connector: ConnectorChoice,
    pub name: String,
    pub name_error: Option<String>,
    pub fields: Vec<FieldView>,
    pub summary: Vec<SummaryItem>,
    pub check: Option<CheckShown>,
    /// The save was refused because the check failed (the page offers to force it).
    pub check_refused: bool,
    pub force: bool,
}

/// `GET /portal/connections/{id}/edit`: the form with the stored settings.
async fn page(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    let connector = loaded(&state, &connection)?;
    let fields = fields_of(&schema_of(&connector));
    let form = FormState {
        submitted: Some(stored_values(&connection, &fields)),
        editing: true,
        ..FormState::default()
    };
    Ok(edit_page(
        &session,
        &connection,
        &connector,
        &fields,
        &form,
        None,
        false,
        StatusCode::OK,
    ))
}

/// `POST /portal/connections/{id}/edit`: test (`action=test`) or save the settings.
async fn submit(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    let connector = loaded(&state, &connection)?;
    let fields = fields_of(&schema_of(&connector));
    let mut values = FormValues::new();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| PortalError::Forbidden(format!("the form could not be read ({e})")))?;
    for (name, value) in pairs {
        values.entry(name).or_insert(value);
    }
    let testing = values.get("action").map(String::as_str) == Some("test");
    let force = values.contains_key("force");
    let name = values
        .get("name")
        .map(|n| n.trim().to_string())
        .unwrap_or_default();
    let (config, mut local) = config_from_form(&fields, &values);
    // A blank secret keeps its stored value: not a missing required field here.
    local.retain(|problem| {
        !fields
            .iter()
            .any(|f| f.secret && f.property == problem.field && blank(&values, f))
    });
    let config = Value::Object(config);
    let mut form = FormState {
        name_error: name
            .is_empty()
            .then(|| "Enter a name for the connection.".to_string()),
        editing: true,
        ..FormState::default()
    };
    // The schema's verdict on the merged settings (stored secrets included), beside each field.
    let schema_problems = match state.hub.edited(&connection, None, Some(&config)) {
        Err(HubError::InvalidConfig(problems)) => problems,
        Err(other) => return Err(DomainError::from(other).into()),
        Ok(_) => Vec::new(),
    };
    form.placed = place(&fields, &local, &schema_problems);
    form.submitted = Some(values);
    let invalid = form.name_error.is_some()
        || !form.placed.by_field.is_empty()
        || !form.placed.general.is_empty();
    if invalid {
        return Ok(edit_page(
            &session,
            &connection,
            &connector,
            &fields,
            &form,
            None,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    if testing {
        let outcome = connections::test_config(&state.hub, &connection.id, Some(&config)).await?;
        let check = CheckShown {
            ok: outcome.is_ok(),
            message: outcome.unwrap_or_else(|why| why),
        };
        return Ok(edit_page(
            &session,
            &connection,
            &connector,
            &fields,
            &form,
            Some(check),
            false,
            StatusCode::OK,
        ));
    }
    let edit = ConnectionEdit {
        name: Some(name),
        config: Some(config),
        force,
    };
    match connections::edit(&state.hub, &connection.id, edit).await? {
        EditOutcome::Saved { check, .. } => {
            let done = match check {
                Some(Err(_)) => "edited-forced",
                _ => "edited",
            };
            tracing::info!(connection = %connection.id, forced = force, "portal: connection edited");
            Ok(Redirect::to(&format!(
                "/portal/connections/{}?done={done}#main",
                connection.id
            ))
            .into_response())
        }
        EditOutcome::CheckFailed(why) => {
            let check = CheckShown {
                ok: false,
                message: why,
            };
            Ok(edit_page(
                &session,
                &connection,
                &connector,
                &fields,
                &form,
                Some(check),
                true,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}

fn blank(values: &FormValues, field: &ConfigField) -> bool {
    values
        .get(&field.input_name())
        .is_none_or(|v| v.trim().is_empty())
}

/// The connection's connector, or a page saying it is not loaded here.
fn loaded(
    state: &PortalState,
    connection: &Connection,
) -> Result<std::sync::Arc<LoadedConnector>, PortalError> {
    state
        .hub
        .registry
        .get(&connection.connector_key)
        .ok_or_else(|| {
            PortalError::NotFound(format!(
                "The connector `{}` is not loaded on this server, so its settings cannot be edited",
                connection.connector_key
            ))
        })
}

/// The stored settings as form values (secrets are not among them).
fn stored_values(connection: &Connection, fields: &[ConfigField]) -> FormValues {
    let public: serde_json::Map<String, Value> =
        serde_json::from_str(&connection.public_config).unwrap_or_default();
    let mut values = FormValues::new();
    values.insert("name".into(), connection.name.clone());
    for field in fields.iter().filter(|f| !f.secret) {
        match public.get(&field.property) {
            Some(Value::Bool(false)) | None => {}
            Some(Value::Bool(true)) => {
                values.insert(field.input_name(), "true".into());
            }
            Some(value) => {
                values.insert(field.input_name(), display_value(value));
            }
        }
    }
    values
}

#[allow(clippy::too_many_arguments)]
fn edit_page(
    session: &SignedIn,
    connection: &Connection,
    connector: &LoadedConnector,
    fields: &[ConfigField],
    form: &FormState,
    check: Option<CheckShown>,
    check_refused: bool,
    status: StatusCode,
) -> Response {
    let name = form
        .submitted
        .as_ref()
        .and_then(|f| f.get("name"))
        .cloned()
        .unwrap_or_else(|| connection.name.clone());
    let force = form
        .submitted
        .as_ref()
        .is_some_and(|f| f.contains_key("force"));
    render(
        status,
        &EditPage {
            title: format!("Edit {}", connection.name),
            nav: Nav::new(session, Section::Connections),
            id: connection.id.clone(),
            connector: ConnectorChoice::of(connector, None),
            name,
            name_error: form.name_error.clone(),
            summary: summary(fields, form),
            fields: fields.iter().map(|f| field_view(f, form)).collect(),
            check,
            check_refused,
            force,
        },
    )
}
