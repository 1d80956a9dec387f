//! The automation form: creating one (`GET /portal/automations/new`, `POST
//! /portal/automations`) and the settings part of an automation's page, which share the
//! fields (per entity a "sync" checkbox and a direction, cadence, on-change, enabled,
//! mapping options as JSON). Values come back into the form after a refusal, and each
//! problem the automation service names (`entities.customers.direction`, ...) is shown
//! beside its field.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use askama::Template;

use super::super::PortalState;
use super::super::access;
use super::super::error::{PortalError, render};
use super::super::session::SignedIn;
use super::super::views::{Nav, Section, sentence};
use super::page_path;
use junction_domain::DomainError;
use junction_domain::automations::{self, NewAutomation};
use junction_domain::hub::HubError;
use junction_domain::sync::automation::model::{
    Direction, Entities, EntitySetting, MappingOptions, Problem,
};
use junction_store::StoreError;
use junction_store::automations::AutomationRow;
use junction_store::connections::Connection;

/// The entities, in the order the form shows them.
pub const ENTITY_ORDER: [&str; 3] = ["orders", "customers", "products"];

/// A new automation runs this often unless told otherwise (as in the admin API).
const DEFAULT_CADENCE: i64 = 300;

/// One entity's part of the form.
pub struct EntityField {
    pub key: &'static str,
    pub label: &'static str,
    pub sync: bool,
    pub direction: Direction,
    pub error: Option<String>,
}

impl EntityField {
    pub fn source_to_target(&self) -> bool {
        self.direction == Direction::SourceToTarget
    }
}

/// Problems per field, as sentences.
#[derive(Default)]
pub struct FormErrors {
    pub name: Option<String>,
    pub source: Option<String>,
    pub target: Option<String>,
    pub cadence: Option<String>,
    /// About the entities as a whole (none enabled).
    pub entities: Option<String>,
    pub options: Option<String>,
    /// Problems that belong to no field of the form.
    pub other: Vec<String>,
}

/// A link of the error summary to the field it is about.
pub struct SummaryItem {
    pub href: String,
    pub text: String,
}

/// The form's values as typed (so a refused form comes back as it was) and its problems.
pub struct AutomationForm {
    pub name: String,
    pub source: String,
    pub target: String,
    pub entities: Vec<EntityField>,
    pub cadence: String,
    pub on_change: bool,
    pub enabled: bool,
    pub options: String,
    pub errors: FormErrors,
}

/// What a form says once its values check out locally.
pub struct Parsed {
    pub name: String,
    pub cadence_secs: i64,
    pub entities: Entities,
    pub options: MappingOptions,
}

fn label_of(key: &str) -> &'static str {
    match key {
        "orders" => "Orders",
        "customers" => "Customers",
        _ => "Products",
    }
}

/// Add a problem to a field's text (a field may have several).
fn add(slot: &mut Option<String>, message: &str) {
    let message = sentence(message);
    match slot {
        Some(text) => {
            text.push(' ');
            text.push_str(&message);
        }
        None => *slot = Some(message),
    }
}

impl AutomationForm {
    /// A fresh create form: orders from source to target, every 5 minutes, enabled.
    pub fn blank() -> Self {
        Self {
            name: String::new(),
            source: String::new(),
            target: String::new(),
            entities: ENTITY_ORDER
                .iter()
                .map(|key| EntityField {
                    key,
                    label: label_of(key),
                    sync: *key == "orders",
                    direction: Direction::SourceToTarget,
                    error: None,
                })
                .collect(),
            cadence: DEFAULT_CADENCE.to_string(),
            on_change: false,
            enabled: true,
            options: String::new(),
            errors: FormErrors::default(),
        }
    }

    /// An existing automation's settings.
    pub fn from_row(row: &AutomationRow) -> Self {
        let entities: Entities = serde_json::from_str(&row.entities).unwrap_or_default();
        let options: MappingOptions = serde_json::from_str(&row.options).unwrap_or_default();
        Self {
            name: row.name.clone(),
            source: row.source_connection_id.clone(),
            target: row.target_connection_id.clone(),
            entities: ENTITY_ORDER
                .iter()
                .map(|key| {
                    let setting = entities.get(*key);
                    EntityField {
                        key,
                        label: label_of(key),
                        sync: setting.is_some_and(|s| s.enabled),
                        direction: setting.map_or(Direction::SourceToTarget, |s| s.direction),
                        error: None,
                    }
                })
                .collect(),
            cadence: row.cadence_secs.to_string(),
            on_change: row.on_change,
            enabled: row.enabled,
            options: if options == MappingOptions::default() {
                String::new()
            } else {
                serde_json::to_string_pretty(&options).unwrap_or_default()
            },
            errors: FormErrors::default(),
        }
    }

    /// A posted form's values, as typed. Unchecked boxes are simply absent.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let value = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, v)| v.clone())
        };
        let checked = |name: &str| value(name).is_some();
        let mut form = Self::blank();
        form.name = value("name").unwrap_or_default();
        form.source = value("source").unwrap_or_default();
        form.target = value("target").unwrap_or_default();
        form.cadence = value("cadence").unwrap_or_default();
        form.on_change = checked("on_change");
        form.enabled = checked("enabled");
        form.options = value("options").unwrap_or_default();
        for entity in &mut form.entities {
            entity.sync = checked(&format!("entity-{}", entity.key));
            match value(&format!("direction-{}", entity.key)).as_deref() {
                Some("source_to_target") => entity.direction = Direction::SourceToTarget,
                Some("target_to_source") => entity.direction = Direction::TargetToSource,
                // A browser always sends one of the two radios (one is checked); anything
                // else is a hand-made request.
                None if !entity.sync => {}
                _ => {
                    entity.error = Some("Choose source → target or target → source.".into());
                }
            }
        }
        form
    }

    /// Check what can be checked without the connectors; none when a field is wrong (its
    /// error is set).
    pub fn parse(&mut self) -> Option<Parsed> {
        let name = self.name.trim().to_string();
        if name.is_empty() {
            add(&mut self.errors.name, "Give the automation a name.");
        } else if name.chars().count() > 200 {
            add(&mut self.errors.name, "Use at most 200 characters.");
        }
        let cadence = self.cadence.trim().parse::<i64>().ok();
        if cadence.is_none() {
            add(
                &mut self.errors.cadence,
                "Enter a whole number of seconds, from 10 to 604800 (one week).",
            );
        }
        let options = match self.options.trim() {
            "" => Some(MappingOptions::default()),
            text => match serde_json::from_str::<MappingOptions>(text) {
                Ok(options) => Some(options),
                Err(e) => {
                    add(
                        &mut self.errors.options,
                        &format!("These mapping options are not valid: {e}"),
                    );
                    None
                }
            },
        };
        let entities: Entities = self
            .entities
            .iter()
            .map(|e| {
                (
                    e.key.to_string(),
                    EntitySetting {
                        enabled: e.sync,
                        direction: e.direction,
                    },
                )
            })
            .collect();
        if self.has_errors() {
            return None;
        }
        Some(Parsed {
            name,
            cadence_secs: cadence?,
            entities,
            options: options?,
        })
    }

    /// Put the automation service's problems beside their fields.
    pub fn place(&mut self, problems: &[Problem]) {
        for problem in problems {
            let field = problem.field.as_str();
            let message = problem.message.as_str();
            let entity = field
                .strip_prefix("entities.")
                .map(|rest| rest.split('.').next().unwrap_or(rest))
                .and_then(|key| self.entities.iter_mut().find(|e| e.key == key));
            match (field, entity) {
                (_, Some(entity)) => add(&mut entity.error, message),
                ("name", _) => add(&mut self.errors.name, message),
                ("sourceConnectionId", _) => add(&mut self.errors.source, message),
                ("targetConnectionId", _) => add(&mut self.errors.target, message),
                ("cadenceSeconds", _) => add(&mut self.errors.cadence, message),
                ("entities", _) => add(&mut self.errors.entities, message),
                (f, _) if f.starts_with("options") => {
                    add(&mut self.errors.options, &format!("{f}: {message}"));
                }
                (f, _) => self.errors.other.push(sentence(&format!("{f}: {message}"))),
            }
        }
    }

    pub fn has_errors(&self) -> bool {
        let e = &self.errors;
        e.name.is_some()
            || e.source.is_some()
            || e.target.is_some()
            || e.cadence.is_some()
            || e.entities.is_some()
            || e.options.is_some()
            || !e.other.is_empty()
            || self.entities.iter().any(|x| x.error.is_some())
    }

    /// The error summary: every problem, linked to its field.
    pub fn summary(&self) -> Vec<SummaryItem> {
        let e = &self.errors;
        let mut items = Vec::new();
        let mut push = |href: &str, label: &str, text: &Option<String>| {
            if let Some(text) = text {
                items.push(SummaryItem {
                    href: format!("#{href}"),
                    text: format!("{label}: {text}"),
                });
            }
        };
        push("automation-name", "Name", &e.name);
        push("source", "Source connection", &e.source);
        push("target", "Target connection", &e.target);
        push("entity-orders", "Entities", &e.entities);
        for entity in &self.entities {
            let direction = if entity.source_to_target() {
                "source_to_target"
            } else {
                "target_to_source"
            };
            push(
                &format!("direction-{}-{direction}", entity.key),
                entity.label,
                &entity.error,
            );
        }
        push("cadence", "Cadence", &e.cadence);
        push("options", "Mapping options", &e.options);
        items
    }
}

/// A urlencoded body as pairs; anything unreadable counts as an empty form (which then
/// fails its checks, changing nothing).
pub fn pairs_of(body: &Bytes) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// A connection in a select.
pub struct ConnectionOption {
    pub id: String,
    pub label: String,
}

/// A tenant's connections (one group for a user; per tenant for the operator).
pub struct ConnectionGroup {
    pub tenant: String,
    pub options: Vec<ConnectionOption>,
}

/// Does some tenant have the two connections an automation needs?
pub fn some_tenant_has_two(connections: &[Connection]) -> bool {
    let mut per_tenant = std::collections::HashMap::<&str, usize>::new();
    for c in connections {
        *per_tenant.entry(c.tenant_id.as_str()).or_default() += 1;
    }
    per_tenant.values().any(|n| *n >= 2)
}

/// The connections the selects offer: the user's tenant's, or for the operator every
/// tenant's with at least two (an automation stays within one tenant).
async fn connection_groups(
    state: &PortalState,
    session: &SignedIn,
) -> Result<Vec<ConnectionGroup>, PortalError> {
    let store = &state.hub.store;
    let tenants: Vec<(String, String)> = match session.tenant_id() {
        Some(id) => vec![(id.to_string(), String::new())],
        None => store
            .tenants()
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect(),
    };
    let mut groups = Vec::new();
    for (tenant_id, tenant_name) in tenants {
        let connections = store.connections(Some(&tenant_id)).await?;
        if connections.len() < 2 {
            continue;
        }
        let options = connections
            .into_iter()
            .map(|c| {
                let connector = match state.hub.registry.get(&c.connector_key) {
                    Some(loaded) => loaded.manifest.name.clone(),
                    None => format!("{}, not loaded", c.connector_key),
                };
                ConnectionOption {
                    label: format!("{} ({connector})", c.name),
                    id: c.id,
                }
            })
            .collect();
        groups.push(ConnectionGroup {
            tenant: tenant_name,
            options,
        });
    }
    Ok(groups)
}

#[derive(Template)]
#[template(path = "portal/automation_new.html")]
pub struct NewPage {
    pub title: &'static str,
    pub nav: Nav,
    pub operator: bool,
    pub groups: Vec<ConnectionGroup>,
    pub form: AutomationForm,
    /// The session's connections (for the empty state's advice).
    pub connection_count: usize,
}

async fn render_new(
    state: &PortalState,
    session: &SignedIn,
    status: StatusCode,
    form: AutomationForm,
) -> Result<Response, PortalError> {
    let groups = connection_groups(state, session).await?;
    let connection_count = state
        .hub
        .store
        .connections(session.tenant_id())
        .await?
        .len();
    Ok(render(
        status,
        &NewPage {
            title: "New automation",
            nav: Nav::new(session, Section::Automations),
            operator: session.is_operator(),
            groups,
            form,
            connection_count,
        },
    ))
}

/// `GET /portal/automations/new`.
pub async fn new_page(
    State(state): State<PortalState>,
    session: SignedIn,
) -> Result<Response, PortalError> {
    render_new(&state, &session, StatusCode::OK, AutomationForm::blank()).await
}

/// A chosen connection the session may use; the problem for its field otherwise.
async fn chosen(
    state: &PortalState,
    session: &SignedIn,
    id: &str,
    role: &str,
) -> Result<Result<Connection, String>, PortalError> {
    if id.is_empty() {
        return Ok(Err(format!("Choose the {role} connection.")));
    }
    match access::connection(state, session, id).await {
        Ok(c) => Ok(Ok(c)),
        // Another tenant's id, or one deleted meanwhile: the same words, nothing created.
        Err(PortalError::NotFound(_)) => Ok(Err(format!(
            "There is no such connection: choose the {role} from the list."
        ))),
        Err(e) => Err(e),
    }
}

/// `POST /portal/automations`: create, then to the automation's page; a refusal shows the
/// form again (422) with each problem beside its field.
pub async fn create(
    State(state): State<PortalState>,
    session: SignedIn,
    body: Bytes,
) -> Result<Response, PortalError> {
    let mut form = AutomationForm::from_pairs(&pairs_of(&body));
    let source = chosen(&state, &session, &form.source, "source").await?;
    let target = chosen(&state, &session, &form.target, "target").await?;
    let parsed = form.parse();
    let source = source.map_err(|e| form.errors.source = Some(e)).ok();
    let target = target.map_err(|e| form.errors.target = Some(e)).ok();
    let (Some(parsed), Some(source), Some(target)) = (parsed, source, target) else {
        return render_new(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, form).await;
    };
    let new = NewAutomation {
        // A user's automation is their tenant's; the operator's, the source's tenant (the
        // service refuses a target of another tenant).
        tenant: session
            .tenant_id()
            .map_or_else(|| source.tenant_id.clone(), str::to_string),
        name: parsed.name,
        source_connection_id: source.id,
        target_connection_id: target.id,
        enabled: Some(form.enabled),
        cadence_seconds: Some(parsed.cadence_secs),
        on_change: Some(form.on_change),
        entities: parsed.entities,
        options: Some(parsed.options),
    };
    match automations::create(&state.hub, new).await {
        Ok(created) => {
            Ok(Redirect::to(&format!("{}?notice=created", page_path(&created.id))).into_response())
        }
        Err(e) => {
            let status = refusal(e, &mut form)?;
            render_new(&state, &session, status, form).await
        }
    }
}

/// A service refusal placed on the form, with the status to answer; failures that are
/// no refusal (the database) pass on.
pub fn refusal(error: DomainError, form: &mut AutomationForm) -> Result<StatusCode, PortalError> {
    match error {
        DomainError::Invalid(problems) => {
            form.place(&problems);
            Ok(StatusCode::UNPROCESSABLE_ENTITY)
        }
        DomainError::Store(StoreError::Conflict(message))
        | DomainError::Hub(HubError::Store(StoreError::Conflict(message))) => {
            add(&mut form.errors.name, &message);
            Ok(StatusCode::UNPROCESSABLE_ENTITY)
        }
        DomainError::Hub(HubError::ConnectorMissing(key)) => {
            form.errors.other.push(format!(
                "The connector `{key}` is not loaded on this server, so this automation \
                 cannot be checked. Ask the operator to install it, then try again."
            ));
            Ok(StatusCode::SERVICE_UNAVAILABLE)
        }
        DomainError::Store(e) | DomainError::Hub(HubError::Store(e)) => Err(e.into()),
        DomainError::Hub(e) => Err(PortalError::Internal(e.to_string())),
        DomainError::Internal(e) => Err(PortalError::Internal(e)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_posted_form_keeps_its_values_and_unchecked_boxes_are_off() {
        let mut form = AutomationForm::from_pairs(&pairs(&[
            ("name", " shop to dashboard "),
            ("source", "s"),
            ("target", "t"),
            ("entity-orders", "on"),
            ("direction-orders", "source_to_target"),
            ("direction-customers", "target_to_source"),
            ("direction-products", "source_to_target"),
            ("cadence", "600"),
            ("on_change", "on"),
        ]));
        assert!(!form.enabled, "an absent checkbox is unchecked");
        assert!(form.on_change);
        let customers = &form.entities[1];
        assert_eq!(
            (customers.key, customers.sync, customers.direction),
            ("customers", false, Direction::TargetToSource)
        );
        let parsed = form.parse().unwrap();
        assert_eq!(parsed.name, "shop to dashboard");
        assert_eq!(parsed.cadence_secs, 600);
        assert!(parsed.entities["orders"].enabled);
        assert!(!parsed.entities["customers"].enabled);
        assert_eq!(parsed.options, MappingOptions::default());
    }

    #[test]
    fn local_problems_are_set_beside_their_fields() {
        let mut form = AutomationForm::from_pairs(&pairs(&[
            ("name", "  "),
            ("cadence", "often"),
            ("entity-orders", "on"),
            ("direction-orders", "sideways"),
            ("options", "{\"orderStatusMap\": 3}"),
        ]));
        assert!(form.parse().is_none());
        assert!(form.errors.name.is_some());
        assert!(
            form.errors
                .cadence
                .as_deref()
                .unwrap()
                .contains("whole number")
        );
        assert!(
            form.errors
                .options
                .as_deref()
                .unwrap()
                .contains("not valid")
        );
        assert!(form.entities[0].error.is_some(), "an unknown direction");
        let summary = form.summary();
        assert!(summary.iter().any(|i| i.href == "#automation-name"));
        assert!(
            summary
                .iter()
                .any(|i| i.href == "#direction-orders-source_to_target")
        );
        let mut unknown = AutomationForm::from_pairs(&pairs(&[
            ("name", "x"),
            ("cadence", "60"),
            ("options", "{\"colour\": \"red\"}"),
        ]));
        assert!(
            unknown.parse().is_none(),
            "unknown mapping options are refused"
        );
    }

    #[test]
    fn service_problems_go_beside_their_fields() {
        let mut form = AutomationForm::blank();
        let problem = |field: &str, message: &str| Problem {
            field: field.into(),
            message: message.into(),
        };
        form.place(&[
            problem(
                "entities.customers.direction",
                "the target connection `d` (bugalou) cannot be read for customers: its connector lists orders",
            ),
            problem("entities.customers.direction", "the source cannot take customers"),
            problem("targetConnectionId", "the source and the target must belong to the same tenant"),
            problem("cadenceSeconds", "cadenceSeconds must be between 10 and 604800 (one week)"),
            problem("options.targetConfig.api_key", "secret properties cannot be overridden per automation"),
            problem("tenant", "no tenant `x`"),
        ]);
        let customers = form.entities[1].error.as_deref().unwrap();
        assert!(
            customers
                .starts_with("The target connection `d` (bugalou) cannot be read for customers")
        );
        assert!(customers.ends_with("The source cannot take customers."));
        assert!(form.entities[0].error.is_none());
        assert!(
            form.errors
                .target
                .as_deref()
                .unwrap()
                .contains("same tenant")
        );
        assert!(form.errors.cadence.is_some());
        assert!(form.errors.options.as_deref().unwrap().contains("api_key"));
        assert_eq!(
            form.errors.other,
            vec!["Tenant: no tenant `x`.".to_string()]
        );
        assert!(form.has_errors());
    }

    #[test]
    fn an_automation_needs_two_connections_of_one_tenant() {
        let connection = |id: &str, tenant: &str| Connection {
            id: id.into(),
            tenant_id: tenant.into(),
            connector_key: "k".into(),
            name: id.into(),
            public_config: "{}".into(),
            sealed_secrets: String::new(),
            created_ms: 0,
            updated_ms: 0,
            rate_limit: None,
            paused: false,
        };
        assert!(!some_tenant_has_two(&[
            connection("a", "t1"),
            connection("b", "t2")
        ]));
        assert!(some_tenant_has_two(&[
            connection("a", "t1"),
            connection("b", "t2"),
            connection("c", "t2")
        ]));
    }

    #[test]
    fn a_stored_automation_fills_the_settings_form() {
        let row = AutomationRow {
            id: "a".into(),
            tenant_id: "t".into(),
            name: "n".into(),
            source_connection_id: "s".into(),
            target_connection_id: "d".into(),
            enabled: false,
            cadence_secs: 900,
            on_change: true,
            entities: r#"{"customers":{"enabled":true,"direction":"target_to_source"}}"#.into(),
            options: r#"{"orderStatusMap":{"processing":"paid"}}"#.into(),
            next_run_ms: 0,
            last_run_ms: None,
            last_status: None,
            last_error: None,
            failures: 0,
            created_ms: 0,
            updated_ms: 0,
        };
        let form = AutomationForm::from_row(&row);
        assert!(!form.enabled && form.on_change);
        assert_eq!(form.cadence, "900");
        assert!(!form.entities[0].sync, "orders are off");
        assert!(form.entities[1].sync && !form.entities[1].source_to_target());
        assert!(form.options.contains("\"processing\": \"paid\""));
    }
}
