//! The records browser: what the local copy holds for one connection's resource
//! (`/portal/connections/{id}/records/{resource}`), searched (a part of the id, order
//! number, email or SKU), filtered by status and changed-since, live or deleted, 50 per
//! page by keyset (the next page starts after the last row shown, so no record is shown
//! twice while others change; one that changes moves to the top of the first page); and
//! one record's page
//! (`.../{resource}/{external_id}`): its canonical fields, its JSON as served and the
//! system's raw answer (collapsible, copyable), its source and local change times, its
//! earlier versions with what changed, and the automation links to the other side. Every
//! filter is checked before the query; the connection goes through `access` like every
//! page, so another tenant's records are a 404.

use std::collections::BTreeSet;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;

use super::PortalState;
use super::error::{PortalError, render};
use super::runs::{day_start_ms, non_empty};
use super::session::SignedIn;
use super::views::{Nav, Section, When, capitalised, query_value};
use junction_contract::ResourceKind;
use junction_store::browse::{BrowseKey, BrowseQuery, Shown};
use junction_store::connections::Connection;
use junction_store::records::{StoredRecord, VERSIONS_KEPT};

/// Records shown per page.
pub const PAGE_SIZE: i64 = 50;
/// The longest search text (it is a substring of the record's JSON).
const MAX_SEARCH: usize = 200;

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new()
        .route("/portal/connections/{id}/records/{resource}", get(list))
        .route(
            "/portal/connections/{id}/records/{resource}/{external_id}",
            get(record),
        )
}

/// The list's raw form values (all optional).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    since: Option<String>,
    shown: Option<String>,
    after_ms: Option<String>,
    after_parent: Option<String>,
    after_id: Option<String>,
}

/// Why a filter was refused, per field.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors {
    pub q: Option<String>,
    pub status: Option<String>,
    pub since: Option<String>,
    pub shown: Option<String>,
    pub after: Option<String>,
}

impl FieldErrors {
    pub fn any(&self) -> bool {
        [&self.q, &self.status, &self.since, &self.shown, &self.after]
            .iter()
            .any(|e| e.is_some())
    }
}

/// The filters after checking.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filters {
    pub search: Option<String>,
    pub status: Option<String>,
    pub since: Option<jiff::civil::Date>,
    pub shown: Shown,
    pub after: Option<BrowseKey>,
}

fn shown_value(shown: Shown) -> &'static str {
    match shown {
        Shown::Live => "live",
        Shown::Deleted => "deleted",
        Shown::Both => "all",
    }
}

/// Check the form's values for `resource` (a status filters orders only).
pub fn validate(query: &ListQuery, resource: ResourceKind) -> Result<Filters, Box<FieldErrors>> {
    let mut errors = FieldErrors::default();
    let search = non_empty(&query.q).map(str::to_string);
    if let Some(text) = &search
        && text.chars().count() > MAX_SEARCH
    {
        errors.q = Some(format!(
            "The search is {} characters long: at most {MAX_SEARCH} are searched for.",
            text.chars().count()
        ));
    }
    let status = non_empty(&query.status).map(str::to_string);
    if let Some(s) = &status {
        if resource != ResourceKind::Orders {
            errors.status = Some(format!(
                "Only orders have a status here; {} are not filtered by it.",
                resource.as_str()
            ));
        } else if s.len() > 64 {
            errors.status = Some("A status is at most 64 characters long.".into());
        }
    }
    let since = match non_empty(&query.since) {
        None => None,
        Some(text) => match text.parse::<jiff::civil::Date>() {
            Ok(d) if day_start_ms(d).is_some() => Some(d),
            _ => {
                errors.since = Some(format!(
                    "`{text}` is not a date: use the form YYYY-MM-DD (for example 2026-11-20)."
                ));
                None
            }
        },
    };
    let shown = match non_empty(&query.shown) {
        None | Some("live") => Shown::Live,
        Some("deleted") => Shown::Deleted,
        Some("all") => Shown::Both,
        Some(other) => {
            errors.shown = Some(format!(
                "Unknown choice `{other}`: show live, deleted or all records."
            ));
            Shown::Live
        }
    };
    let after = match (
        non_empty(&query.after_ms),
        &query.after_parent,
        non_empty(&query.after_id),
    ) {
        (None, _, None) => None,
        (Some(ms), parent, Some(id)) => match ms.parse::<i64>() {
            Ok(changed_ms) => Some(BrowseKey {
                changed_ms,
                parent_id: parent.clone().unwrap_or_default(),
                external_id: id.to_string(),
            }),
            Err(_) => {
                errors.after = Some(
                    "This page's position is not valid: start again from the first page.".into(),
                );
                None
            }
        },
        _ => {
            errors.after =
                Some("This page's position is incomplete: start again from the first page.".into());
            None
        }
    };
    if errors.any() {
        return Err(Box::new(errors));
    }
    Ok(Filters {
        search,
        status,
        since,
        shown,
        after,
    })
}

/// The list's URL with these filters, starting after `after` (the first page without).
fn list_url(
    connection_id: &str,
    resource: ResourceKind,
    filters: &Filters,
    after: Option<&BrowseKey>,
) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(q) = &filters.search {
        pairs.push(("q", q.clone()));
    }
    if let Some(s) = &filters.status {
        pairs.push(("status", s.clone()));
    }
    if let Some(d) = filters.since {
        pairs.push(("since", d.to_string()));
    }
    if filters.shown != Shown::Live {
        pairs.push(("shown", shown_value(filters.shown).into()));
    }
    if let Some(key) = after {
        pairs.push(("after_ms", key.changed_ms.to_string()));
        if !key.parent_id.is_empty() {
            pairs.push(("after_parent", key.parent_id.clone()));
        }
        pairs.push(("after_id", key.external_id.clone()));
    }
    let base = format!(
        "/portal/connections/{connection_id}/records/{}",
        resource.as_str()
    );
    match serde_urlencoded::to_string(pairs) {
        Ok(query) if !query.is_empty() => format!("{base}?{query}"),
        _ => base,
    }
}

/// A record's page URL.
pub fn record_url(
    connection_id: &str,
    resource: ResourceKind,
    parent_id: &str,
    external_id: &str,
) -> String {
    let base = format!(
        "/portal/connections/{connection_id}/records/{}/{}",
        resource.as_str(),
        query_value(external_id)
    );
    if parent_id.is_empty() {
        base
    } else {
        format!("{base}?parent={}", query_value(parent_id))
    }
}

/// One row of the list.
pub struct RecordRow {
    pub href: String,
    pub external_id: String,
    /// The product of a variation.
    pub parent_id: String,
    /// What a person recognises it by: an order's number and email, a customer's name or
    /// email, a product's name and SKU.
    pub summary: String,
    pub status: Option<String>,
    pub changed: Option<When>,
    pub source_modified: Option<When>,
    pub deleted: Option<When>,
}

/// An option of a select.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "portal/records.html")]
pub struct RecordsPage {
    pub title: String,
    pub nav: Nav,
    pub connection_id: String,
    pub connection_name: String,
    pub resource: &'static str,
    pub is_orders: bool,
    pub search: String,
    pub status: String,
    pub since: String,
    pub shown: Vec<Choice>,
    pub errors: FieldErrors,
    pub rows: Vec<RecordRow>,
    /// The copy holds records of this resource at all (for the empty state's words).
    pub total: i64,
    pub narrowed: bool,
    pub first_href: Option<String>,
    pub next_href: Option<String>,
}

fn resource_of(name: &str) -> Result<ResourceKind, PortalError> {
    ResourceKind::parse(name).map_err(|_| {
        PortalError::NotFound(format!(
            "There is no resource `{name}`: a connection holds orders, customers, products and variations"
        ))
    })
}

/// `GET /portal/connections/{id}/records/{resource}`.
async fn list(
    State(state): State<PortalState>,
    session: SignedIn,
    Path((id, resource)): Path<(String, String)>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    let resource = resource_of(&resource)?;
    let total = state
        .hub
        .store
        .count_records(&connection.id, resource)
        .await?;
    let (filters, errors, status_code) = match validate(&query, resource) {
        Ok(filters) => (filters, FieldErrors::default(), StatusCode::OK),
        Err(errors) => (Filters::default(), *errors, StatusCode::BAD_REQUEST),
    };
    let mut rows = Vec::new();
    let mut next_href = None;
    if status_code == StatusCode::OK {
        let page = state
            .hub
            .store
            .browse_records(
                &connection.id,
                resource,
                &BrowseQuery {
                    search: filters.search.clone(),
                    status: filters.status.clone(),
                    changed_since_ms: filters.since.and_then(day_start_ms),
                    shown: filters.shown,
                    after: filters.after.clone(),
                    limit: PAGE_SIZE,
                },
            )
            .await?;
        rows = page
            .records
            .iter()
            .map(|r| row_of(&connection.id, resource, r))
            .collect();
        next_href = page
            .next
            .as_ref()
            .map(|key| list_url(&connection.id, resource, &filters, Some(key)));
    }
    let shown_now = if status_code == StatusCode::OK {
        filters.shown
    } else {
        match non_empty(&query.shown) {
            Some("deleted") => Shown::Deleted,
            Some("all") => Shown::Both,
            _ => Shown::Live,
        }
    };
    let page = RecordsPage {
        title: format!("{} of {}", capitalised(resource.as_str()), connection.name),
        nav: Nav::new(&session, Section::Connections),
        connection_id: connection.id.clone(),
        connection_name: connection.name.clone(),
        resource: resource.as_str(),
        is_orders: resource == ResourceKind::Orders,
        // A refused value is shown back as typed, beside its error.
        search: query.q.clone().unwrap_or_default(),
        status: query.status.clone().unwrap_or_default(),
        since: query.since.clone().unwrap_or_default(),
        shown: [
            (Shown::Live, "Live records"),
            (Shown::Deleted, "Deleted in the system"),
            (Shown::Both, "Both"),
        ]
        .into_iter()
        .map(|(shown, label)| Choice {
            value: shown_value(shown),
            label,
            selected: shown == shown_now,
        })
        .collect(),
        errors,
        rows,
        total,
        narrowed: filters.search.is_some()
            || filters.status.is_some()
            || filters.since.is_some()
            || filters.shown != Shown::Live,
        first_href: filters
            .after
            .is_some()
            .then(|| list_url(&connection.id, resource, &filters, None)),
        next_href,
    };
    Ok(render(status_code, &page))
}

/// A string field of the record's JSON.
fn text_field<'a>(data: &'a Value, key: &str) -> Option<&'a str> {
    data.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// What a person recognises a record by (see [`RecordRow::summary`]).
fn summary_of(resource: ResourceKind, data: &Value) -> String {
    let parts: Vec<String> = match resource {
        ResourceKind::Orders => {
            let number = text_field(data, "orderNumber").map(|n| format!("#{n}"));
            let email = text_field(data, "customerEmail")
                .or_else(|| data.get("billing").and_then(|b| text_field(b, "email")))
                .map(str::to_string);
            // Decimals are served as strings; a number is shown as it is.
            let total = data.get("total").and_then(|t| match t {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
            let total = match (total, text_field(data, "currency")) {
                (Some(t), Some(c)) => Some(format!("{t} {c}")),
                (t, _) => t,
            };
            [number, email, total].into_iter().flatten().collect()
        }
        ResourceKind::Customers => {
            let name = [text_field(data, "firstName"), text_field(data, "lastName")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let email = text_field(data, "email").map(str::to_string);
            [(!name.is_empty()).then_some(name), email]
                .into_iter()
                .flatten()
                .collect()
        }
        ResourceKind::Products | ResourceKind::Variations => {
            let name = text_field(data, "name").map(str::to_string);
            let sku = text_field(data, "sku").map(|s| format!("SKU {s}"));
            [name, sku].into_iter().flatten().collect()
        }
    };
    parts.join(" · ")
}

fn row_of(connection_id: &str, resource: ResourceKind, record: &StoredRecord) -> RecordRow {
    let data: Value = serde_json::from_str(&record.data).unwrap_or(Value::Null);
    RecordRow {
        href: record_url(
            connection_id,
            resource,
            &record.parent_id,
            &record.external_id,
        ),
        external_id: record.external_id.clone(),
        parent_id: record.parent_id.clone(),
        summary: summary_of(resource, &data),
        status: record.status.clone(),
        changed: When::from_ms(record.changed_ms),
        source_modified: When::from_ms(record.modified_ms),
        deleted: record.deleted_ms.and_then(When::from_ms),
    }
}

/// The record page's query: the product of a variation.
#[derive(Debug, Default, Deserialize)]
pub struct RecordQueryString {
    parent: Option<String>,
}

/// One canonical field: its name and its value as text (nested values as indented JSON).
pub struct FieldRow {
    pub name: String,
    pub value: String,
    /// Nested (shown in a `<pre>`).
    pub nested: bool,
}

/// One earlier version and what the next one changed in it.
pub struct VersionRow {
    pub replaced: Option<When>,
    pub changed: Option<When>,
    pub source_modified: Option<When>,
    /// The top-level fields the replacing version changed (`raw` left out: it changes with
    /// everything).
    pub fields_changed: String,
    pub json: String,
    pub index: usize,
}

/// A link to the same record on another connection, written by an automation.
pub struct LinkRow {
    /// "Written to" or "Written from".
    pub direction: &'static str,
    pub connection_name: String,
    pub record_id: String,
    /// The other record's page, when this session may see that connection.
    pub href: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/record.html")]
pub struct RecordPage {
    pub title: String,
    pub nav: Nav,
    pub connection_id: String,
    pub connection_name: String,
    pub resource: &'static str,
    pub list_href: String,
    pub external_id: String,
    pub parent_id: String,
    pub status: Option<String>,
    pub sku: Option<String>,
    pub changed: Option<When>,
    pub source_modified: Option<When>,
    pub deleted: Option<When>,
    pub fields: Vec<FieldRow>,
    pub served_json: String,
    pub raw_json: Option<String>,
    pub versions: Vec<VersionRow>,
    pub versions_kept: i64,
    pub links: Vec<LinkRow>,
}

/// `GET /portal/connections/{id}/records/{resource}/{external_id}[?parent=P]`.
async fn record(
    State(state): State<PortalState>,
    session: SignedIn,
    Path((id, resource, external_id)): Path<(String, String, String)>,
    Query(query): Query<RecordQueryString>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    let resource = resource_of(&resource)?;
    let parent_id = query.parent.unwrap_or_default();
    let store = &state.hub.store;
    let Some(stored) = store
        .record(&connection.id, resource, &parent_id, &external_id)
        .await?
    else {
        return Err(PortalError::NotFound(format!(
            "The local copy of {} holds no {} with id {external_id}{}",
            connection.name,
            singular(resource),
            if parent_id.is_empty() {
                String::new()
            } else {
                format!(" under product {parent_id}")
            }
        )));
    };
    let served: Value = serde_json::from_str(&stored.served()).unwrap_or(Value::Null);
    let fields = fields_of(&served);
    let raw_json = served.get("raw").map(|raw| match raw {
        // Connectors keep the system's answer as text; shown indented when it is JSON.
        Value::String(text) => serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| text.clone()),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    });
    let versions = store
        .record_versions(
            &connection.id,
            resource,
            &parent_id,
            &external_id,
            VERSIONS_KEPT,
        )
        .await?;
    // Each version beside what replaced it: the newer one is the previous in the list (or
    // the current record for the newest).
    let mut newer = stored.data.clone();
    let mut version_rows = Vec::with_capacity(versions.len());
    for (index, version) in versions.iter().enumerate() {
        version_rows.push(VersionRow {
            replaced: When::from_ms(version.replaced_ms),
            changed: When::from_ms(version.changed_ms),
            source_modified: When::from_ms(version.modified_ms),
            fields_changed: changed_fields(&version.data, &newer),
            json: pretty(&version.data),
            index,
        });
        newer = version.data.clone();
    }
    let links = links_of(&state, &session, &connection, resource, &stored).await?;
    let page = RecordPage {
        title: format!(
            "{} {external_id} of {}",
            capitalised(singular(resource)),
            connection.name
        ),
        nav: Nav::new(&session, Section::Connections),
        connection_id: connection.id.clone(),
        connection_name: connection.name.clone(),
        resource: resource.as_str(),
        list_href: format!(
            "/portal/connections/{}/records/{}",
            connection.id,
            resource.as_str()
        ),
        external_id: stored.external_id.clone(),
        parent_id: stored.parent_id.clone(),
        status: stored.status.clone(),
        sku: stored.sku.clone(),
        changed: When::from_ms(stored.changed_ms),
        source_modified: When::from_ms(stored.modified_ms),
        deleted: stored.deleted_ms.and_then(When::from_ms),
        fields,
        served_json: serde_json::to_string_pretty(&served).unwrap_or_default(),
        raw_json,
        versions: version_rows,
        versions_kept: VERSIONS_KEPT,
        links,
    };
    Ok(render(StatusCode::OK, &page))
}

fn singular(resource: ResourceKind) -> &'static str {
    match resource {
        ResourceKind::Orders => "order",
        ResourceKind::Customers => "customer",
        ResourceKind::Products => "product",
        ResourceKind::Variations => "variation",
    }
}

fn pretty(data: &str) -> String {
    serde_json::from_str::<Value>(data)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| data.to_string())
}

/// The served record's top-level fields but `raw` (shown on its own).
fn fields_of(served: &Value) -> Vec<FieldRow> {
    let Some(object) = served.as_object() else {
        return Vec::new();
    };
    object
        .iter()
        .filter(|(name, _)| name.as_str() != "raw")
        .map(|(name, value)| match value {
            Value::String(text) => FieldRow {
                name: name.clone(),
                value: text.clone(),
                nested: false,
            },
            Value::Null => FieldRow {
                name: name.clone(),
                value: "—".into(),
                nested: false,
            },
            Value::Array(items) if items.is_empty() => FieldRow {
                name: name.clone(),
                value: "none".into(),
                nested: false,
            },
            Value::Object(_) | Value::Array(_) => FieldRow {
                name: name.clone(),
                value: serde_json::to_string_pretty(value).unwrap_or_default(),
                nested: true,
            },
            other => FieldRow {
                name: name.clone(),
                value: other.to_string(),
                nested: false,
            },
        })
        .collect()
}

/// The top-level fields that differ between two stored versions, `raw` left out; "nothing
/// but the system's raw answer" when only that changed.
pub fn changed_fields(older: &str, newer: &str) -> String {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let (older, newer) = (parse(older), parse(newer));
    let empty = serde_json::Map::new();
    let (a, b) = (
        older.as_object().unwrap_or(&empty),
        newer.as_object().unwrap_or(&empty),
    );
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let changed: Vec<&str> = names
        .into_iter()
        .filter(|name| name.as_str() != "raw" && a.get(*name) != b.get(*name))
        .map(String::as_str)
        .collect();
    if changed.is_empty() {
        "nothing but the system's raw answer".into()
    } else {
        changed.join(", ")
    }
}

async fn links_of(
    state: &PortalState,
    session: &SignedIn,
    connection: &Connection,
    resource: ResourceKind,
    record: &StoredRecord,
) -> Result<Vec<LinkRow>, PortalError> {
    let links = state
        .hub
        .store
        .links_of_record(resource, &connection.id, &record.external_id)
        .await?;
    let mut rows = Vec::with_capacity(links.len());
    for link in links {
        let (direction, other_id, other_record) =
            if link.source_connection_id == connection.id && link.source_id == record.external_id {
                ("Written to", link.target_connection_id, link.target_id)
            } else {
                ("Written from", link.source_connection_id, link.source_id)
            };
        // Links only join one tenant's connections; checked anyway, and a deleted
        // connection is named as such.
        let (connection_name, href) =
            match super::access::connection(state, session, &other_id).await {
                Ok(other) => (
                    other.name.clone(),
                    Some(record_url(
                        &other.id,
                        resource,
                        &record.parent_id,
                        &other_record,
                    )),
                ),
                Err(PortalError::NotFound(_)) => ("a deleted connection".to_string(), None),
                Err(e) => return Err(e),
            };
        rows.push(LinkRow {
            direction,
            connection_name,
            record_id: other_record,
            href,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> ListQuery {
        let text = serde_urlencoded::to_string(pairs).unwrap_or_default();
        serde_urlencoded::from_str(&text).unwrap_or_default()
    }

    #[test]
    fn filters_are_checked_field_by_field() {
        let ok = validate(
            &query(&[
                ("q", " ada@example.com "),
                ("status", "processing"),
                ("since", "2026-11-20"),
            ]),
            ResourceKind::Orders,
        );
        let Ok(filters) = ok else {
            panic!("valid filters refused: {ok:?}");
        };
        assert_eq!(filters.search.as_deref(), Some("ada@example.com"));
        assert_eq!(filters.status.as_deref(), Some("processing"));

        let refused = validate(
            &query(&[
                ("status", "processing"),
                ("since", "20-11-2026"),
                ("shown", "gone"),
            ]),
            ResourceKind::Products,
        );
        let Err(errors) = refused else {
            panic!("bad filters accepted");
        };
        assert!(
            errors
                .status
                .as_deref()
                .is_some_and(|e| e.contains("Only orders"))
        );
        assert!(
            errors
                .since
                .as_deref()
                .is_some_and(|e| e.contains("YYYY-MM-DD"))
        );
        assert!(
            errors
                .shown
                .as_deref()
                .is_some_and(|e| e.contains("live, deleted or all"))
        );

        let half = validate(&query(&[("after_ms", "12")]), ResourceKind::Orders);
        assert!(half.is_err_and(|e| e.after.is_some()));
        let long = "x".repeat(MAX_SEARCH + 1);
        let too_long = validate(&query(&[("q", &long)]), ResourceKind::Orders);
        assert!(too_long.is_err_and(|e| e.q.is_some()));
    }

    #[test]
    fn a_version_names_the_fields_its_successor_changed() {
        assert_eq!(
            changed_fields(
                r#"{"status":"pending","total":"5.00","raw":"a"}"#,
                r#"{"status":"completed","total":"5.00","raw":"b","note":"x"}"#
            ),
            "note, status"
        );
        assert_eq!(
            changed_fields(r#"{"raw":"a"}"#, r#"{"raw":"b"}"#),
            "nothing but the system's raw answer"
        );
    }

    #[test]
    fn summaries_name_what_people_recognise() {
        let order = serde_json::json!({"orderNumber": "1042", "customerEmail": "ada@example.com", "total": "12.50", "currency": "EUR"});
        assert_eq!(
            summary_of(ResourceKind::Orders, &order),
            "#1042 · ada@example.com · 12.50 EUR"
        );
        let product = serde_json::json!({"name": "Mug", "sku": "MUG-1"});
        assert_eq!(
            summary_of(ResourceKind::Products, &product),
            "Mug · SKU MUG-1"
        );
    }
}
