//! Creating a connection: `GET /portal/connections/new` (step 1: the connector, and for the
//! operator the tenant), `GET /portal/connections/new?connector=KEY[&tenant=..]` (step 2: a
//! form generated from the connector's config JSON Schema) and `POST /portal/connections/new`
//! (create it, or show the form again with each error beside its field).
//!
//! The form follows the schema the connector's manifest carries (`config-schema`): one input
//! per top-level property, labelled by its `title` (else the property name in words), with
//! its `description` as help. Secret properties (`"writeOnly": true`, the convention
//! [`junction_runtime::manifest::secret_fields`] reads) are password inputs whose values never
//! come back into a page. What a form cannot express (objects, arrays, untyped properties)
//! is a JSON text area. The submitted values are converted to JSON by the schema's types,
//! checked against the schema (as [`Hub::create_connection`](junction_domain::hub::Hub::create_connection)
//! will), and only then created. The connector's health check is not run here: the details
//! page has a button for it.
//!
//! Form field names: `csrf`, `connector`, `tenant` (operator; a user's is ignored when it is
//! their own and refused otherwise), `name`, and `config.<property>` per config property.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Map, Number, Value};

use super::PortalState;
use super::error::{PortalError, render};
use super::session::SignedIn;
use super::views::{Nav, Section, query_value};
use junction_domain::hub::HubError;
use junction_runtime::config_check::FieldProblem;
use junction_runtime::connector::LoadedConnector;
use junction_store::portal_sessions::SessionOwner;
use junction_store::{StoreError, Tenant};

/// The form's page; the form posts back to it.
pub const NEW_PATH: &str = "/portal/connections/new";
/// Prefix of a config property's form field name (`config.base_url`).
const CONFIG_PREFIX: &str = "config.";

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new().route(NEW_PATH, get(new_page).post(create))
}

// ---------------------------------------------------------------------------------------
// The schema as form fields.

/// The input a config property gets.
#[derive(Debug, Clone, PartialEq)]
pub enum Control {
    /// `type="text"`, `"url"` (format uri) or `"email"` (format email).
    Text {
        input_type: &'static str,
    },
    /// A secret string: `type="password"`, never echoed.
    Secret,
    Number {
        integer: bool,
        min: Option<Number>,
        max: Option<Number>,
    },
    Checkbox,
    /// The schema's `enum` values.
    Select {
        options: Vec<Value>,
    },
    /// A JSON text area (objects, arrays, untyped properties).
    Json,
}

/// One config property as a form field.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigField {
    pub property: String,
    pub label: String,
    pub help: Option<String>,
    pub required: bool,
    /// Marked `writeOnly`: sealed at rest, never shown again.
    pub secret: bool,
    pub control: Control,
    pub default: Option<Value>,
    pub max_length: Option<u64>,
}

impl ConfigField {
    /// The input's `id`: `config-<property>` (what browser tests address).
    pub fn id(&self) -> String {
        format!("config-{}", self.property)
    }

    /// The input's form `name`.
    pub fn input_name(&self) -> String {
        format!("{CONFIG_PREFIX}{}", self.property)
    }
}

/// The form fields of a config schema: required properties first (in the schema's
/// `required` order), then optional ones without a default, then those with one (settings
/// most people leave alone); alphabetical within each group, secrets last.
pub fn fields_of(schema: &Value) -> Vec<ConfigField> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields: Vec<ConfigField> = properties
        .iter()
        .map(|(name, property)| field_of(name, property, required.contains(&name.as_str())))
        .collect();
    // Optional secrets after the plain fields of their group: a login before its password.
    fields.sort_by_key(|f| match required.iter().position(|r| *r == f.property) {
        Some(at) => (0, at, false),
        None if f.default.is_none() => (1, 0, f.secret),
        None => (2, 0, f.secret),
    });
    fields
}

fn field_of(name: &str, property: &Value, required: bool) -> ConfigField {
    let text = |key: &str| {
        property
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let secret = property.get("writeOnly").and_then(Value::as_bool) == Some(true);
    let number = |key: &str| match property.get(key) {
        Some(Value::Number(n)) => Some(n.clone()),
        _ => None,
    };
    let control = match (
        property.get("enum").and_then(Value::as_array),
        type_of(property),
    ) {
        (Some(options), _) if !options.is_empty() => Control::Select {
            options: options.clone(),
        },
        (_, Some("string")) if secret => Control::Secret,
        (_, Some("string")) => Control::Text {
            input_type: match property.get("format").and_then(Value::as_str) {
                Some("uri" | "url" | "iri") => "url",
                Some("email" | "idn-email") => "email",
                _ => "text",
            },
        },
        (_, Some(kind @ ("integer" | "number"))) => Control::Number {
            integer: kind == "integer",
            min: number("minimum"),
            max: number("maximum"),
        },
        (_, Some("boolean")) => Control::Checkbox,
        _ => Control::Json,
    };
    ConfigField {
        property: name.to_string(),
        label: text("title").unwrap_or_else(|| humanize(name)),
        help: text("description"),
        // A checkbox always sends true or false: it cannot be left out.
        required: required && control != Control::Checkbox,
        secret,
        // A secret's default would be shown in the page; secrets are never pre-filled.
        default: property.get("default").filter(|_| !secret).cloned(),
        max_length: property.get("maxLength").and_then(Value::as_u64),
        control,
    }
}

/// The property's JSON type; for a list such as `["string", "null"]`, the non-null one.
fn type_of(property: &Value) -> Option<&str> {
    match property.get("type")? {
        Value::String(kind) => Some(kind),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null"),
        _ => None,
    }
}

/// A property name as words: `timeout_seconds` → "Timeout seconds", `apiKey` → "API key".
pub fn humanize(name: &str) -> String {
    const ACRONYMS: [&str; 14] = [
        "api", "csv", "erp", "ftp", "http", "https", "id", "ip", "json", "sku", "ssl", "tls",
        "uri", "url",
    ];
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for ch in name.chars() {
        if matches!(ch, '_' | '-' | ' ' | '.') {
            words.push(std::mem::take(&mut word));
            previous_lower = false;
            continue;
        }
        if ch.is_uppercase() && previous_lower {
            words.push(std::mem::take(&mut word));
        }
        previous_lower = ch.is_lowercase() || ch.is_ascii_digit();
        word.extend(ch.to_lowercase());
    }
    words.push(word);
    let words: Vec<String> = words
        .into_iter()
        .filter(|w| !w.is_empty())
        .map(|w| {
            if ACRONYMS.contains(&w.as_str()) {
                w.to_uppercase()
            } else {
                w
            }
        })
        .collect();
    let text = words.join(" ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name.to_string(),
    }
}

/// A JSON value as a form shows it: strings as they are, objects and arrays as JSON.
pub(super) fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------------------
// Form values as the config.

/// The submitted form: field name → value (a repeated name keeps its first value).
pub type FormValues = HashMap<String, String>;

/// The config a form describes, by the schema's types: an empty optional field is left
/// out, numbers are parsed, an unticked checkbox is `false`, JSON areas are parsed. Every
/// value that cannot be converted, and every empty required field, is a problem named by
/// its property (and left out of the config).
pub fn config_from_form(
    fields: &[ConfigField],
    form: &FormValues,
) -> (Map<String, Value>, Vec<FieldProblem>) {
    let mut config = Map::new();
    let mut problems = Vec::new();
    for field in fields {
        let raw = form.get(&field.input_name()).map(String::as_str);
        match convert(field, raw) {
            Ok(Some(value)) => {
                config.insert(field.property.clone(), value);
            }
            Ok(None) if field.required => problems.push(FieldProblem {
                field: field.property.clone(),
                message: "This field is required.".into(),
            }),
            Ok(None) => {}
            Err(message) => problems.push(FieldProblem {
                field: field.property.clone(),
                message,
            }),
        }
    }
    (config, problems)
}

/// One field's value: none when left empty.
fn convert(field: &ConfigField, raw: Option<&str>) -> Result<Option<Value>, String> {
    if field.control == Control::Checkbox {
        // Browsers send a ticked box's value and nothing for an unticked one.
        return Ok(Some(Value::Bool(raw.is_some())));
    }
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(None);
    };
    // A secret is taken exactly as typed (spaces may be part of it); the rest is trimmed.
    let text = if field.secret { raw } else { raw.trim() };
    match &field.control {
        Control::Secret => Ok(Some(Value::String(text.to_string()))),
        Control::Text { input_type } => {
            // The schema's `format` is not enforced by its validator; checked here so the
            // mistake is named beside the field rather than when the connector first calls.
            let lower = text.to_ascii_lowercase();
            let web_address = ["https://", "http://"]
                .iter()
                .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len());
            if *input_type == "url" && !web_address {
                return Err(
                    "Enter a full web address starting with https:// or http://, e.g. \
                     https://shop.example.com."
                        .into(),
                );
            }
            if *input_type == "email" && !text.contains('@') {
                return Err("Enter an email address, e.g. name@example.com.".into());
            }
            Ok(Some(Value::String(text.to_string())))
        }
        Control::Number { integer: true, .. } => text
            .parse::<i64>()
            .map(|n| Some(Value::from(n)))
            .map_err(|_| "Enter a whole number, e.g. 30.".into()),
        Control::Number { integer: false, .. } => {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Some(Value::from(n)));
            }
            text.parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(|n| Some(Value::Number(n)))
                .ok_or_else(|| "Enter a number, e.g. 2.5.".into())
        }
        Control::Select { options } => options
            .iter()
            .find(|option| display_value(option) == text)
            .map(|option| Some(option.clone()))
            .ok_or_else(|| "Choose one of the listed options.".into()),
        Control::Json => serde_json::from_str::<Value>(text)
            .map(Some)
            .map_err(|e| format!("This is not valid JSON ({e}).")),
        Control::Checkbox => Ok(Some(Value::Bool(true))),
    }
}

/// Problems sorted to where they are shown: beside a field (by property), or in the
/// summary only.
#[derive(Debug, Default, PartialEq)]
pub struct Placed {
    pub by_field: BTreeMap<String, String>,
    pub general: Vec<String>,
}

/// Place problems: one tied to a property's path (`status_map/shipped`) goes beside that
/// property's field; a field-less one naming a property (the host check of URL
/// properties says "config property `base_url` ...") too; the rest are general. A field
/// keeps its first problem source: the form's own check, then the schema's.
pub fn place(fields: &[ConfigField], local: &[FieldProblem], schema: &[FieldProblem]) -> Placed {
    let mut placed = Placed::default();
    let known = |name: &str| fields.iter().any(|f| f.property == name);
    for problem in local {
        add(&mut placed.by_field, &problem.field, &problem.message);
    }
    let locally_wrong: Vec<&str> = local.iter().map(|p| p.field.as_str()).collect();
    for problem in schema {
        let top = problem.field.split('/').next().unwrap_or_default();
        let target = if !top.is_empty() {
            Some(top.to_string()).filter(|t| known(t))
        } else {
            named_property(&problem.message).filter(|t| known(t))
        };
        match target {
            Some(t) if locally_wrong.contains(&t.as_str()) => {}
            Some(t) => add(&mut placed.by_field, &t, &problem.message),
            None => placed.general.push(problem.message.clone()),
        }
    }
    placed
}

fn add(by_field: &mut BTreeMap<String, String>, field: &str, message: &str) {
    by_field
        .entry(field.to_string())
        .and_modify(|m| {
            m.push_str("; ");
            m.push_str(message);
        })
        .or_insert_with(|| message.to_string());
}

/// The property a message names as "config property `NAME`".
fn named_property(message: &str) -> Option<String> {
    let rest = message.split_once("config property `")?.1;
    Some(rest.split_once('`')?.0.to_string())
}

// ---------------------------------------------------------------------------------------
// Pages.

/// A connector to choose.
pub struct ConnectorChoice {
    pub key: String,
    pub name: String,
    pub version: String,
    pub description: String,
    /// What it reads (resources) and writes, as words; empty when none.
    pub reads: String,
    pub writes: String,
    /// Step 2 for it (keeping the operator's tenant, if chosen).
    pub href: String,
}

impl ConnectorChoice {
    pub(super) fn of(connector: &LoadedConnector, tenant_id: Option<&str>) -> Self {
        let m = &connector.manifest;
        let join = |items: Vec<&str>| items.join(", ");
        Self {
            key: m.key.clone(),
            name: m.name.clone(),
            version: m.version.clone(),
            description: m.description.clone(),
            reads: join(m.resources.iter().map(|r| r.as_str()).collect()),
            writes: join(m.writes.iter().map(|w| w.as_str()).collect()),
            href: match tenant_id {
                Some(t) => format!(
                    "{NEW_PATH}?connector={}&tenant={}",
                    query_value(&m.key),
                    query_value(t)
                ),
                None => format!("{NEW_PATH}?connector={}", query_value(&m.key)),
            },
        }
    }
}

/// An option of the operator's tenant select.
pub struct TenantOption {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "portal/connection_new.html")]
pub struct ChoosePage {
    pub title: &'static str,
    pub nav: Nav,
    pub operator: bool,
    /// The operator has no tenant yet.
    pub no_tenants: bool,
    /// A user's own tenant, or the one the operator chose already.
    pub tenant_name: Option<String>,
    pub connectors: Vec<ConnectorChoice>,
    pub alert: Option<String>,
}

/// An `<option>`.
pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One config field as the template shows it.
pub struct FieldView {
    pub id: String,
    pub name: String,
    pub label: String,
    pub help: Option<String>,
    /// Secret and JSON fields say so here.
    pub note: Option<String>,
    pub required: bool,
    pub secret: bool,
    /// `input`, `checkbox`, `select` or `textarea`.
    pub widget: &'static str,
    pub input_type: &'static str,
    pub autocomplete: &'static str,
    pub min: Option<String>,
    pub max: Option<String>,
    pub step: &'static str,
    pub max_length: Option<u64>,
    pub value: String,
    pub checked: bool,
    pub options: Vec<OptionView>,
    pub error: Option<String>,
    /// The ids of the help, note and error texts.
    pub described_by: String,
}

/// A line of the error summary: a link to its field, or a problem of the whole form.
pub struct SummaryItem {
    pub href: Option<String>,
    pub text: String,
}

#[derive(Template)]
#[template(path = "portal/connection_new_form.html")]
pub struct FormPage {
    pub title: String,
    pub nav: Nav,
    pub operator: bool,
    pub connector: ConnectorChoice,
    /// Back to step 1 (keeping the operator's tenant).
    pub back_href: String,
    pub tenants: Vec<TenantOption>,
    pub tenant_error: Option<String>,
    pub tenant_name: String,
    pub name: String,
    pub name_error: Option<String>,
    pub fields: Vec<FieldView>,
    pub summary: Vec<SummaryItem>,
}

/// What a (re-)rendered form shows: the values (none on first view: the defaults) and the
/// problems.
#[derive(Default)]
pub(super) struct FormState {
    pub(super) submitted: Option<FormValues>,
    pub(super) tenant_error: Option<String>,
    pub(super) name_error: Option<String>,
    pub(super) placed: Placed,
    /// Editing a stored connection: a secret left blank keeps its stored value.
    pub(super) editing: bool,
}

pub(super) fn field_view(field: &ConfigField, state: &FormState) -> FieldView {
    let id = field.id();
    let name = field.input_name();
    let submitted = state.submitted.as_ref();
    let raw = submitted.and_then(|form| form.get(&name)).cloned();
    // Secrets are never echoed: on a re-shown form they are empty and say why.
    let value = match (&raw, submitted) {
        _ if field.secret => String::new(),
        (Some(raw), _) => raw.clone(),
        (None, Some(_)) => String::new(),
        (None, None) => field
            .default
            .as_ref()
            .map(display_value)
            .unwrap_or_default(),
    };
    let checked = match submitted {
        Some(_) => raw.is_some(),
        None => field.default == Some(Value::Bool(true)),
    };
    let note = match (&field.control, field.secret, submitted.is_some()) {
        (_, true, _) if state.editing => Some(
            "Secret: stored encrypted and never shown. Leave it blank to keep it; type a new \
             value to replace it."
                .to_string(),
        ),
        (_, true, true) => Some(
            "Secret: not kept after an error, for your safety. Enter it again. \
             It is stored encrypted and never shown again."
                .to_string(),
        ),
        (_, true, false) => Some("Secret: stored encrypted and never shown again.".to_string()),
        (Control::Json, _, _) => Some(
            "Write this as JSON, e.g. an object: {\"key\": \"value\"}. Leave empty to use none."
                .to_string(),
        ),
        _ => None,
    };
    let error = state.placed.by_field.get(&field.property).cloned();
    let described_by = [
        field.help.as_ref().map(|_| format!("{id}-help")),
        note.as_ref().map(|_| format!("{id}-note")),
        error.as_ref().map(|_| format!("{id}-error")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let (widget, input_type, autocomplete) = match &field.control {
        Control::Text { input_type } => ("input", *input_type, "off"),
        Control::Secret => ("input", "password", "new-password"),
        Control::Number { .. } => ("input", "number", "off"),
        Control::Checkbox => ("checkbox", "checkbox", "off"),
        Control::Select { .. } => ("select", "", "off"),
        Control::Json => ("textarea", "", "off"),
    };
    let (min, max, step) = match &field.control {
        Control::Number { integer, min, max } => (
            min.as_ref().map(ToString::to_string),
            max.as_ref().map(ToString::to_string),
            if *integer { "1" } else { "any" },
        ),
        _ => (None, None, ""),
    };
    let options = match &field.control {
        Control::Select { options } => {
            let mut views = Vec::with_capacity(options.len() + 1);
            if !field.required || field.default.is_none() {
                views.push(OptionView {
                    value: String::new(),
                    label: if field.required {
                        "Choose one".into()
                    } else {
                        "Not set".into()
                    },
                    selected: value.is_empty(),
                });
            }
            views.extend(options.iter().map(|o| {
                let shown = display_value(o);
                OptionView {
                    selected: shown == value,
                    label: shown.clone(),
                    value: shown,
                }
            }));
            views
        }
        _ => Vec::new(),
    };
    FieldView {
        id,
        name,
        label: field.label.clone(),
        help: field.help.clone(),
        note,
        // Editing: a blank secret keeps the stored one, so it is never required.
        required: field.required && !(state.editing && field.secret),
        secret: field.secret,
        widget,
        input_type,
        autocomplete,
        min,
        max,
        step,
        max_length: field.max_length,
        value,
        checked,
        options,
        error,
        described_by,
    }
}

/// The summary: problems of the whole form first, then each field's, in form order.
pub(super) fn summary(fields: &[ConfigField], state: &FormState) -> Vec<SummaryItem> {
    let mut items: Vec<SummaryItem> = state
        .placed
        .general
        .iter()
        .map(|text| SummaryItem {
            href: None,
            text: text.clone(),
        })
        .collect();
    let mut link = |id: &str, label: &str, message: &str| {
        items.push(SummaryItem {
            href: Some(format!("#{id}")),
            text: format!("{label}: {message}"),
        })
    };
    if let Some(e) = &state.tenant_error {
        link("tenant", "Tenant", e);
    }
    if let Some(e) = &state.name_error {
        link("name", "Connection name", e);
    }
    for field in fields {
        if let Some(e) = state.placed.by_field.get(&field.property) {
            link(&field.id(), &field.label, e);
        }
    }
    items
}

/// The session's tenant for a new connection, from what was asked (`tenant`: id or name).
/// A user gets their own; asking for another is a 404, like any other tenant's id. The
/// operator gets the one named, none when nothing was named.
enum TenantChoice {
    Chosen(Tenant),
    NotChosen,
    Unknown(String),
}

async fn choose_tenant(
    state: &PortalState,
    session: &SignedIn,
    wanted: Option<&str>,
) -> Result<TenantChoice, PortalError> {
    let wanted = wanted.map(str::trim).filter(|w| !w.is_empty());
    match &session.owner {
        SessionOwner::User {
            tenant_id,
            tenant_name,
            ..
        } => match wanted {
            Some(w) if w != tenant_id && w != tenant_name => {
                Err(PortalError::NotFound("There is no such tenant".into()))
            }
            _ => Ok(TenantChoice::Chosen(Tenant {
                id: tenant_id.clone(),
                name: tenant_name.clone(),
                created_ms: 0,
            })),
        },
        SessionOwner::Operator => match wanted {
            None => Ok(TenantChoice::NotChosen),
            Some(w) => match state.hub.store.tenant(w).await {
                Ok(t) => Ok(TenantChoice::Chosen(t)),
                Err(StoreError::NotFound { .. }) => Ok(TenantChoice::Unknown(w.to_string())),
                Err(e) => Err(e.into()),
            },
        },
    }
}

fn user_tenant_name(session: &SignedIn) -> String {
    match &session.owner {
        SessionOwner::User { tenant_name, .. } => tenant_name.clone(),
        SessionOwner::Operator => String::new(),
    }
}

/// The operator's tenant select (empty for a user).
async fn tenant_options(
    state: &PortalState,
    session: &SignedIn,
    selected: Option<&str>,
) -> Result<Vec<TenantOption>, PortalError> {
    if !session.is_operator() {
        return Ok(Vec::new());
    }
    Ok(state
        .hub
        .store
        .tenants()
        .await?
        .into_iter()
        .map(|t| TenantOption {
            selected: selected == Some(t.id.as_str()),
            id: t.id,
            name: t.name,
        })
        .collect())
}

/// The config schema of a connector (an unreadable one has no fields; the registry refuses
/// connectors whose schema does not compile, so this does not happen in practice).
pub(super) fn schema_of(connector: &LoadedConnector) -> Value {
    serde_json::from_str(&connector.manifest.config_schema).unwrap_or(Value::Null)
}

#[derive(Deserialize)]
pub struct NewQuery {
    connector: Option<String>,
    tenant: Option<String>,
}

/// `GET /portal/connections/new[?connector=KEY][&tenant=ID_OR_NAME]`.
async fn new_page(
    State(state): State<PortalState>,
    session: SignedIn,
    Query(query): Query<NewQuery>,
) -> Result<Response, PortalError> {
    let tenant = match choose_tenant(&state, &session, query.tenant.as_deref()).await? {
        TenantChoice::Chosen(t) => Some(t),
        TenantChoice::NotChosen => None,
        TenantChoice::Unknown(_) => {
            return Err(PortalError::NotFound("There is no such tenant".into()));
        }
    };
    let tenant_id = tenant.as_ref().map(|t| t.id.clone());
    let wanted = query
        .connector
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let Some(key) = wanted else {
        return choose_page(&state, &session, tenant.as_ref(), None, StatusCode::OK).await;
    };
    let Some(connector) = state.hub.registry.get(key) else {
        return choose_page(
            &state,
            &session,
            tenant.as_ref(),
            Some(unknown_connector(key)),
            StatusCode::NOT_FOUND,
        )
        .await;
    };
    form_page(
        &state,
        &session,
        &connector,
        tenant_id.as_deref(),
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

fn unknown_connector(key: &str) -> String {
    format!(
        "No connector `{key}` is loaded on this server. Choose one of the loaded connectors below."
    )
}

/// Step 1: the loaded connectors, each a link to its form; the operator's tenant, when
/// chosen already, is carried into those links.
async fn choose_page(
    state: &PortalState,
    session: &SignedIn,
    tenant: Option<&Tenant>,
    alert: Option<String>,
    status: StatusCode,
) -> Result<Response, PortalError> {
    let operator = session.is_operator();
    let no_tenants = operator && state.hub.store.tenants().await?.is_empty();
    let carried = tenant.filter(|_| operator).map(|t| t.id.as_str());
    let connectors = state
        .hub
        .registry
        .snapshot()
        .connectors()
        .map(|c| ConnectorChoice::of(c, carried))
        .collect();
    Ok(render(
        status,
        &ChoosePage {
            title: "New connection",
            nav: Nav::new(session, Section::Connections),
            operator,
            no_tenants,
            tenant_name: tenant.map(|t| t.name.clone()),
            connectors,
            alert,
        },
    ))
}

async fn form_page(
    state: &PortalState,
    session: &SignedIn,
    connector: &Arc<LoadedConnector>,
    tenant_id: Option<&str>,
    form: FormState,
    status: StatusCode,
) -> Result<Response, PortalError> {
    let tenants = tenant_options(state, session, tenant_id).await?;
    if session.is_operator() && tenants.is_empty() {
        // Nothing to create it in: step 1 says how to make a tenant.
        return choose_page(state, session, None, None, StatusCode::OK).await;
    }
    let fields = fields_of(&schema_of(connector));
    let choice = ConnectorChoice::of(connector, tenant_id);
    let back_href = match tenant_id.filter(|_| session.is_operator()) {
        Some(t) => format!("{NEW_PATH}?tenant={}", query_value(t)),
        None => NEW_PATH.to_string(),
    };
    let name = form
        .submitted
        .as_ref()
        .and_then(|f| f.get("name"))
        .cloned()
        .unwrap_or_default();
    Ok(render(
        status,
        &FormPage {
            title: format!("New {} connection", choice.name),
            nav: Nav::new(session, Section::Connections),
            operator: session.is_operator(),
            back_href,
            tenants,
            tenant_error: form.tenant_error.clone(),
            tenant_name: user_tenant_name(session),
            name,
            name_error: form.name_error.clone(),
            summary: summary(&fields, &form),
            fields: fields.iter().map(|f| field_view(f, &form)).collect(),
            connector: choice,
        },
    ))
}

/// `POST /portal/connections/new`: create the connection and go to its page (303), or show
/// the form again (422) with each problem beside its field.
async fn create(
    State(state): State<PortalState>,
    session: SignedIn,
    body: Bytes,
) -> Result<Response, PortalError> {
    let mut form = FormValues::new();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| PortalError::Forbidden(format!("the form could not be read ({e})")))?;
    for (name, value) in pairs {
        form.entry(name).or_insert(value);
    }
    let key = form.get("connector").map(|k| k.trim()).unwrap_or_default();
    let tenant = choose_tenant(&state, &session, form.get("tenant").map(String::as_str)).await?;
    let (tenant, tenant_error) = match tenant {
        TenantChoice::Chosen(t) => (Some(t), None),
        TenantChoice::NotChosen => (
            None,
            Some("Choose the tenant the connection belongs to.".to_string()),
        ),
        TenantChoice::Unknown(name) => (None, Some(format!("There is no tenant `{name}`."))),
    };
    let tenant_id = tenant.as_ref().map(|t| t.id.clone());
    let Some(connector) = state.hub.registry.get(key) else {
        let alert = if key.is_empty() {
            "Choose a connector first.".to_string()
        } else {
            unknown_connector(key)
        };
        return choose_page(
            &state,
            &session,
            tenant.as_ref(),
            Some(alert),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let fields = fields_of(&schema_of(&connector));
    let name = form
        .get("name")
        .map(|n| n.trim().to_string())
        .unwrap_or_default();
    let name_error = name
        .is_empty()
        .then(|| "Enter a name for the connection.".to_string());
    let (config, local) = config_from_form(&fields, &form);
    let config = Value::Object(config);
    // The schema's verdict now, so every problem is shown at once (creating checks again).
    let schema_problems = connector.prepare(&config).err().unwrap_or_default();
    let placed = place(&fields, &local, &schema_problems);
    let mut state_of_form = FormState {
        submitted: Some(form),
        tenant_error,
        name_error,
        placed,
        editing: false,
    };
    let invalid = |form_state: FormState| {
        form_page(
            &state,
            &session,
            &connector,
            tenant_id.as_deref(),
            form_state,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let has_problems = state_of_form.tenant_error.is_some()
        || state_of_form.name_error.is_some()
        || !state_of_form.placed.by_field.is_empty()
        || !state_of_form.placed.general.is_empty();
    let Some(tenant) = tenant.filter(|_| !has_problems) else {
        return invalid(state_of_form).await;
    };
    match state
        .hub
        .create_connection(&tenant.id, connector.key(), &name, &config)
        .await
    {
        Ok(connection) => {
            tracing::info!(
                connection = %connection.id,
                tenant = %tenant.id,
                connector = %connector.key(),
                operator = session.is_operator(),
                "portal: connection created"
            );
            // `done=created` greets the new connection and watches its first sync live.
            Ok(Redirect::to(&format!(
                "/portal/connections/{}?done=created",
                connection.id
            ))
            .into_response())
        }
        Err(HubError::InvalidConfig(problems)) => {
            // The name check of the hub names the field `name`; the rest are the config's.
            let (named, config_problems): (Vec<_>, Vec<_>) = problems
                .into_iter()
                .partition(|p| p.field == "name" && !fields.iter().any(|f| f.property == "name"));
            state_of_form.name_error = named.into_iter().next().map(|p| p.message);
            state_of_form.placed = place(&fields, &[], &config_problems);
            invalid(state_of_form).await
        }
        Err(HubError::ConnectorMissing(key)) => {
            choose_page(
                &state,
                &session,
                Some(&tenant),
                Some(unknown_connector(&key)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(HubError::Store(StoreError::Conflict(_))) => {
            state_of_form.name_error = Some(format!(
                "Tenant {} already has a connection named \u{201c}{name}\u{201d}. Choose another name.",
                tenant.name
            ));
            invalid(state_of_form).await
        }
        Err(HubError::Store(e)) => Err(e.into()),
        Err(HubError::Secrets(e)) => Err(PortalError::Internal(format!(
            "sealing the connection's secrets: {e}"
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn woocommerce_schema() -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "base_url": {"type": "string", "format": "uri", "pattern": "^https?://",
                    "title": "Shop URL", "description": "The shop's address."},
                "consumer_key": {"type": "string", "minLength": 1, "title": "Consumer key",
                    "writeOnly": true},
                "consumer_secret": {"type": "string", "minLength": 1,
                    "title": "Consumer secret", "writeOnly": true},
                "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 300,
                    "default": 30, "title": "Request timeout (seconds)"}
            },
            "required": ["base_url", "consumer_key", "consumer_secret"]
        })
    }

    fn mixed_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "api_key": {"type": "string", "writeOnly": true, "description": "Optional."},
                "contact_email": {"type": "string", "format": "email"},
                "ratio": {"type": "number", "minimum": 0.5},
                "trigger": {"type": "boolean", "default": true},
                "verbose": {"type": "boolean"},
                "mode": {"enum": ["fast", "safe"], "default": "safe"},
                "status_map": {"type": "object", "additionalProperties": {"type": "string"}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "anything": {},
                "nickname": {"type": ["string", "null"]},
                "feedUrl": {"type": "string", "format": "uri"}
            },
            "required": ["feedUrl"]
        })
    }

    fn form(pairs: &[(&str, &str)]) -> FormValues {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn field<'a>(fields: &'a [ConfigField], property: &str) -> &'a ConfigField {
        fields.iter().find(|f| f.property == property).unwrap()
    }

    #[test]
    fn schema_properties_become_fields_in_a_useful_order() {
        let fields = fields_of(&woocommerce_schema());
        let order: Vec<&str> = fields.iter().map(|f| f.property.as_str()).collect();
        assert_eq!(
            order,
            [
                "base_url",
                "consumer_key",
                "consumer_secret",
                "timeout_seconds"
            ]
        );
        let url = field(&fields, "base_url");
        assert_eq!(url.label, "Shop URL");
        assert_eq!(url.help.as_deref(), Some("The shop's address."));
        assert!(url.required && !url.secret);
        assert_eq!(url.control, Control::Text { input_type: "url" });
        assert_eq!(url.id(), "config-base_url");
        assert_eq!(url.input_name(), "config.base_url");
        let key = field(&fields, "consumer_key");
        assert!(key.secret && key.required);
        assert_eq!(key.control, Control::Secret);
        let timeout = field(&fields, "timeout_seconds");
        assert!(!timeout.required);
        assert_eq!(timeout.default, Some(json!(30)));
        assert_eq!(
            timeout.control,
            Control::Number {
                integer: true,
                min: Some(1.into()),
                max: Some(300.into())
            }
        );

        let fields = fields_of(&mixed_schema());
        let order: Vec<&str> = fields.iter().map(|f| f.property.as_str()).collect();
        assert_eq!(
            order,
            [
                "feedUrl",
                "anything",
                "contact_email",
                "nickname",
                "ratio",
                "status_map",
                "tags",
                "verbose",
                "api_key",
                "mode",
                "trigger"
            ],
            "required, then optional without a default, then with one"
        );
        assert_eq!(field(&fields, "feedUrl").label, "Feed URL");
        assert_eq!(field(&fields, "api_key").label, "API key");
        assert_eq!(field(&fields, "status_map").label, "Status map");
        let secret = field(&fields, "api_key");
        assert!(secret.secret && !secret.required);
        assert_eq!(
            field(&fields, "contact_email").control,
            Control::Text {
                input_type: "email"
            }
        );
        assert_eq!(
            field(&fields, "nickname").control,
            Control::Text { input_type: "text" }
        );
        assert_eq!(
            field(&fields, "ratio").control,
            Control::Number {
                integer: false,
                min: Number::from_f64(0.5),
                max: None
            }
        );
        assert_eq!(field(&fields, "trigger").control, Control::Checkbox);
        assert_eq!(
            field(&fields, "mode").control,
            Control::Select {
                options: vec![json!("fast"), json!("safe")]
            }
        );
        for json_field in ["status_map", "tags", "anything"] {
            assert_eq!(field(&fields, json_field).control, Control::Json);
        }
    }

    #[test]
    fn names_read_as_words() {
        assert_eq!(humanize("timeout_seconds"), "Timeout seconds");
        assert_eq!(humanize("apiKey"), "API key");
        assert_eq!(humanize("catalog_url"), "Catalog URL");
        assert_eq!(humanize("admin-api-path"), "Admin API path");
        assert_eq!(humanize("sku"), "SKU");
        assert_eq!(humanize("_"), "_");
    }

    #[test]
    fn secrets_are_never_prefilled_even_with_a_default() {
        let fields = fields_of(&json!({
            "properties": {"token": {"type": "string", "writeOnly": true, "default": "s3cret"}}
        }));
        assert_eq!(fields[0].default, None);
        let view = field_view(&fields[0], &FormState::default());
        assert_eq!(view.value, "");
        assert_eq!(
            (view.input_type, view.autocomplete),
            ("password", "new-password")
        );
    }

    #[test]
    fn form_values_become_json_by_the_schema_types() {
        let fields = fields_of(&mixed_schema());
        let (config, problems) = config_from_form(
            &fields,
            &form(&[
                ("config.feedUrl", " https://feed.example/v1 "),
                ("config.api_key", " key with spaces "),
                ("config.ratio", "2.5"),
                ("config.mode", "fast"),
                ("config.trigger", "true"),
                ("config.status_map", r#"{"shipped": "delivered"}"#),
                ("config.tags", "[\"a\", \"b\"]"),
                ("config.contact_email", ""),
                ("config.nickname", "   "),
                ("name", "not a config field"),
            ]),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            Value::Object(config),
            json!({
                "feedUrl": "https://feed.example/v1",
                "api_key": " key with spaces ",
                "ratio": 2.5,
                "mode": "fast",
                "trigger": true,
                "verbose": false,
                "status_map": {"shipped": "delivered"},
                "tags": ["a", "b"],
            }),
            "empty optional fields are left out, an absent checkbox is false"
        );

        let fields = fields_of(&woocommerce_schema());
        let (config, problems) = config_from_form(
            &fields,
            &form(&[
                ("config.base_url", "https://shop.example"),
                ("config.consumer_key", "ck"),
                ("config.consumer_secret", "cs"),
                ("config.timeout_seconds", "45"),
            ]),
        );
        assert!(problems.is_empty());
        assert_eq!(config["timeout_seconds"], json!(45));
    }

    #[test]
    fn values_that_do_not_convert_are_problems_of_their_field() {
        let fields = fields_of(&mixed_schema());
        let (config, problems) = config_from_form(
            &fields,
            &form(&[
                ("config.feedUrl", "feed.example/v1"),
                ("config.ratio", "lots"),
                ("config.mode", "reckless"),
                ("config.status_map", "{not json"),
                ("config.contact_email", "nobody"),
            ]),
        );
        let named: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            named,
            ["feedUrl", "contact_email", "ratio", "status_map", "mode"],
            "{problems:?}"
        );
        assert!(problems[0].message.contains("https://"));
        assert!(problems[3].message.contains("not valid JSON"));
        assert!(!config.contains_key("ratio") && !config.contains_key("feedUrl"));

        let fields = fields_of(&woocommerce_schema());
        let (_, problems) = config_from_form(
            &fields,
            &form(&[("config.base_url", ""), ("config.timeout_seconds", "1.5")]),
        );
        let named: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("base_url", "This field is required."),
                ("consumer_key", "This field is required."),
                ("consumer_secret", "This field is required."),
                ("timeout_seconds", "Enter a whole number, e.g. 30."),
            ]
        );
    }

    #[test]
    fn problems_are_placed_beside_their_field_or_in_the_summary() {
        let fields = fields_of(&mixed_schema());
        let problem = |field: &str, message: &str| FieldProblem {
            field: field.into(),
            message: message.into(),
        };
        let placed = place(
            &fields,
            &[problem("ratio", "Enter a number, e.g. 2.5.")],
            &[
                problem("ratio", "\"ratio\" is a required property"),
                problem("status_map/shipped", "1 is not of type \"string\""),
                problem("", "config property `feedUrl` has no host: `https://`"),
                problem("", "the connector's config schema is invalid"),
                problem("elsewhere", "not a field of the form"),
            ],
        );
        assert_eq!(
            placed.by_field.get("ratio").map(String::as_str),
            Some("Enter a number, e.g. 2.5."),
            "the form's own problem, not a repeat from the schema"
        );
        assert_eq!(
            placed.by_field.get("status_map").map(String::as_str),
            Some("1 is not of type \"string\"")
        );
        assert!(placed.by_field["feedUrl"].contains("has no host"));
        assert_eq!(
            placed.general,
            [
                "the connector's config schema is invalid",
                "not a field of the form"
            ]
        );

        let state = FormState {
            submitted: Some(form(&[
                ("config.api_key", "typed"),
                ("config.ratio", "lots"),
            ])),
            name_error: Some("Enter a name for the connection.".into()),
            placed,
            ..FormState::default()
        };
        let items = summary(&fields, &state);
        let hrefs: Vec<Option<&str>> = items.iter().map(|i| i.href.as_deref()).collect();
        assert_eq!(
            hrefs,
            [
                None,
                None,
                Some("#name"),
                Some("#config-feedUrl"),
                Some("#config-ratio"),
                Some("#config-status_map")
            ]
        );
        assert_eq!(items[4].text, "Ratio: Enter a number, e.g. 2.5.");
        // A re-shown form keeps what was typed, except secrets.
        let ratio = field_view(field(&fields, "ratio"), &state);
        assert_eq!(ratio.value, "lots");
        assert_eq!(ratio.described_by, "config-ratio-error");
        let secret = field_view(field(&fields, "api_key"), &state);
        assert_eq!(secret.value, "");
        assert!(secret.note.unwrap().contains("Enter it again"));
        assert_eq!(
            secret.described_by,
            "config-api_key-help config-api_key-note"
        );
        // A box ticked by default, left unticked on the submitted form, stays unticked.
        assert!(!field_view(field(&fields, "trigger"), &state).checked);
        assert!(field_view(field(&fields, "trigger"), &FormState::default()).checked);
        assert_eq!(
            field_view(field(&fields, "mode"), &FormState::default()).value,
            "safe"
        );
    }
}
