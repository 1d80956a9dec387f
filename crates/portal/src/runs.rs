//! Runs: the run history across the session's connections (the operator: every tenant's),
//! newest first, 50 per page, filtered by a GET form: what ran (sync runs of connections
//! or automation runs), connection, resource, status, trigger and a range of UTC dates.
//! Every filter value is checked before the query (an unknown status is a 400 with the
//! message beside its field, never an empty list that looks like "no runs"), and the query
//! itself is scoped to the session's tenant in SQL (`Store::filtered_runs`).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::PortalState;
use super::error::{PortalError, render};
use super::session::SignedIn;
use super::views::{Badge, Nav, Section, When};
use junction_contract::ResourceKind;
use junction_store::runs::{ListedAutomationRun, ListedRun, RunFilter};

/// Runs shown per page.
pub const PAGE_SIZE: i64 = 50;
/// The deepest page (50,000 runs back): the list is for recent history, and an offset
/// this large is still cheap.
const MAX_PAGE: i64 = 1000;
const PATH: &str = "/portal/runs";

/// The statuses of sync runs (`sync::autosync`: running, then one of the others).
const SYNC_STATUSES: [&str; 5] = ["running", "succeeded", "failed", "interrupted", "deferred"];
/// The statuses of automation runs (`sync::automation::run`).
const AUTOMATION_STATUSES: [&str; 5] = ["running", "succeeded", "partial", "failed", "interrupted"];
/// What starts a sync run, and its words on every page: its schedule, someone's "Sync now"
/// or "Find deletions now" (manual), or an automation refreshing its reading side.
const SYNC_TRIGGERS: [(&str, &str); 3] = [
    ("schedule", "Schedule"),
    ("manual", "Sync now"),
    ("automation", "Automation"),
];
/// What starts an automation run (`store::automations::AutomationRun::trigger`), and its
/// words on every page.
const AUTOMATION_TRIGGERS: [(&str, &str); 4] = [
    ("schedule", "Schedule"),
    // "Run now" and retries by hand both wake it with this reason.
    ("manual", "By hand"),
    ("change", "Records changed"),
    ("retry", "Retry"),
];

/// A run's trigger in words, the same on the Runs page, a connection's and an automation's
/// page; a trigger this version does not know is shown as stored.
pub fn trigger_label(kind: Kind, trigger: &str) -> String {
    kind.triggers()
        .iter()
        .find(|(value, _)| *value == trigger)
        .map_or_else(|| trigger.to_string(), |(_, label)| label.to_string())
}

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new().route(PATH, get(page))
}

/// The filter form's raw values (all optional; empty means "any").
#[derive(Debug, Default, Deserialize)]
pub struct RunsQuery {
    kind: Option<String>,
    connection: Option<String>,
    resource: Option<String>,
    status: Option<String>,
    trigger: Option<String>,
    since: Option<String>,
    until: Option<String>,
    page: Option<String>,
}

/// Which history the page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sync,
    Automation,
}

impl Kind {
    fn value(self) -> &'static str {
        match self {
            Kind::Sync => "sync",
            Kind::Automation => "automation",
        }
    }
    fn statuses(self) -> &'static [&'static str] {
        match self {
            Kind::Sync => &SYNC_STATUSES,
            Kind::Automation => &AUTOMATION_STATUSES,
        }
    }
    fn triggers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Sync => &SYNC_TRIGGERS,
            Kind::Automation => &AUTOMATION_TRIGGERS,
        }
    }
    fn noun(self) -> &'static str {
        match self {
            Kind::Sync => "sync runs",
            Kind::Automation => "automation runs",
        }
    }
}

/// The filters after checking: what the query uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    pub kind: Kind,
    pub connection: Option<String>,
    pub resource: Option<String>,
    pub status: Option<String>,
    pub trigger: Option<String>,
    pub since: Option<jiff::civil::Date>,
    pub until: Option<jiff::civil::Date>,
    /// 1-based.
    pub page: i64,
}

impl Filters {
    /// Is anything narrowing the list (beyond which history it is)?
    fn narrowed(&self) -> bool {
        self.connection.is_some()
            || self.resource.is_some()
            || self.status.is_some()
            || self.trigger.is_some()
            || self.since.is_some()
            || self.until.is_some()
    }

    /// The store's filter, for the session's tenant.
    fn store_filter(&self, tenant_id: Option<&str>) -> RunFilter {
        RunFilter {
            tenant_id: tenant_id.map(str::to_string),
            connection_id: self.connection.clone(),
            resource: self.resource.clone(),
            status: self.status.clone(),
            trigger: self.trigger.clone(),
            since_ms: self.since.and_then(day_start_ms),
            until_ms: self
                .until
                .and_then(|d| d.tomorrow().ok())
                .and_then(day_start_ms),
        }
    }

    /// The query string of these filters on `page` (empty values left out).
    fn query_for(&self, page: i64) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if self.kind != Kind::Sync {
            pairs.push(("kind", self.kind.value().into()));
        }
        for (name, value) in [
            ("connection", &self.connection),
            ("resource", &self.resource),
            ("status", &self.status),
            ("trigger", &self.trigger),
        ] {
            if let Some(v) = value {
                pairs.push((name, v.clone()));
            }
        }
        if let Some(d) = self.since {
            pairs.push(("since", d.to_string()));
        }
        if let Some(d) = self.until {
            pairs.push(("until", d.to_string()));
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
        if query.is_empty() {
            PATH.to_string()
        } else {
            format!("{PATH}?{query}")
        }
    }
}

/// Why a filter value was refused, per field.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors {
    pub kind: Option<String>,
    pub connection: Option<String>,
    pub resource: Option<String>,
    pub status: Option<String>,
    pub trigger: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub page: Option<String>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        [
            &self.kind,
            &self.connection,
            &self.resource,
            &self.status,
            &self.trigger,
            &self.since,
            &self.until,
            &self.page,
        ]
        .iter()
        .any(|e| e.is_some())
    }
}

pub(crate) fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The start of a UTC day in epoch milliseconds.
pub(crate) fn day_start_ms(date: jiff::civil::Date) -> Option<i64> {
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

/// Check the form's values. `connections` are the ids this session may see: any other id
/// is refused as unknown (whether it exists for another tenant or not).
pub fn validate(query: &RunsQuery, connections: &[String]) -> Result<Filters, Box<FieldErrors>> {
    let mut errors = FieldErrors::default();
    let kind = match non_empty(&query.kind) {
        None | Some("sync") => Kind::Sync,
        Some("automation") => Kind::Automation,
        Some(other) => {
            errors.kind = Some(format!(
                "Unknown kind of run `{other}`: choose sync runs or automation runs."
            ));
            Kind::Sync
        }
    };
    let connection = non_empty(&query.connection).map(str::to_string);
    if let Some(id) = &connection
        && !connections.contains(id)
    {
        errors.connection = Some("There is no such connection: choose one from the list.".into());
    }
    let resource = non_empty(&query.resource).map(str::to_string);
    if let Some(name) = &resource {
        if kind == Kind::Automation {
            errors.resource = Some(
                "Automation runs are not per resource: choose any resource, or show sync runs."
                    .into(),
            );
        } else if let Err(e) = ResourceKind::parse(name) {
            errors.resource = Some(capitalised(&e));
        }
    }
    let status = non_empty(&query.status).map(str::to_string);
    if let Some(s) = &status
        && !kind.statuses().contains(&s.as_str())
    {
        errors.status = Some(format!(
            "Unknown status `{s}` for {}: expected one of {}.",
            kind.noun(),
            kind.statuses().join(", ")
        ));
    }
    let trigger = non_empty(&query.trigger).map(str::to_string);
    if let Some(t) = &trigger
        && !kind.triggers().iter().any(|(value, _)| value == t)
    {
        errors.trigger = Some(format!(
            "Unknown trigger `{t}` for {}: expected one of {}.",
            kind.noun(),
            kind.triggers()
                .iter()
                .map(|(value, _)| *value)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let date = |value: &Option<String>, slot: &mut Option<String>| match non_empty(value) {
        None => None,
        Some(text) => match text.parse::<jiff::civil::Date>() {
            Ok(d) if day_start_ms(d).is_some() && d.tomorrow().is_ok() => Some(d),
            _ => {
                *slot = Some(format!(
                    "`{text}` is not a date: use the form YYYY-MM-DD (for example 2026-11-20)."
                ));
                None
            }
        },
    };
    let since = date(&query.since, &mut errors.since);
    let until = date(&query.until, &mut errors.until);
    if let (Some(s), Some(u)) = (since, until)
        && u < s
    {
        errors.until = Some(format!(
            "The range ends before it starts: choose a date on or after {s}."
        ));
    }
    let page = match non_empty(&query.page) {
        None => 1,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                errors.page = Some(format!(
                    "There is no page `{text}`: pages are numbered from 1 to {MAX_PAGE}."
                ));
                1
            }
        },
    };
    if errors.any() {
        return Err(Box::new(errors));
    }
    Ok(Filters {
        kind,
        connection,
        resource,
        status,
        trigger,
        since,
        until,
        page,
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// An option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One sync run.
pub struct SyncRunRow {
    /// The run's page: `/portal/runs/{id}`.
    pub id: String,
    pub connection_id: String,
    pub connection_name: String,
    pub tenant_name: String,
    pub resource: String,
    pub trigger: String,
    pub started: Option<When>,
    pub duration: String,
    pub pages: i64,
    pub records: i64,
    pub status: Badge,
    pub error: Option<String>,
}

/// One automation run.
pub struct AutomationRunRow {
    /// The run's page.
    pub href: String,
    pub automation_id: String,
    pub automation_name: String,
    pub tenant_name: String,
    pub trigger: String,
    pub started: Option<When>,
    pub duration: String,
    pub read: i64,
    pub written: i64,
    pub skipped: i64,
    pub failed: i64,
    pub parked: i64,
    pub status: Badge,
    pub error: Option<String>,
}

/// What the list area shows.
pub enum Listing {
    /// The filters were refused: only the form (with its errors).
    Refused,
    Sync(Vec<SyncRunRow>),
    Automation(Vec<AutomationRunRow>),
}

#[derive(Template)]
#[template(path = "portal/runs.html")]
pub struct RunsPage {
    pub title: &'static str,
    pub nav: Nav,
    pub operator: bool,
    pub kinds: Vec<Choice>,
    pub connections: Vec<Choice>,
    pub resources: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub triggers: Vec<Choice>,
    /// The date fields as typed (kept after an error).
    pub since: String,
    pub until: String,
    pub errors: FieldErrors,
    pub listing: Listing,
    /// The filters were fine and found no run: an empty state instead of the table.
    pub empty: bool,
    /// The list is narrowed by filters (its empty state offers to clear them).
    pub narrowed: bool,
    /// The session sees no connection at all (the empty state says to create one).
    pub no_connections: bool,
    /// "sync runs" or "automation runs".
    pub noun: &'static str,
    pub page: i64,
    pub previous_href: Option<String>,
    pub next_href: Option<String>,
    /// The first page with the same filters (from an empty later page).
    pub first_href: String,
}

/// `GET /portal/runs?kind=&connection=&resource=&status=&trigger=&since=&until=&page=`.
pub async fn page(
    State(state): State<PortalState>,
    session: SignedIn,
    Query(query): Query<RunsQuery>,
) -> Result<Response, PortalError> {
    let store = &state.hub.store;
    let operator = session.is_operator();
    let mut visible = store.connections(session.tenant_id()).await?;
    if operator {
        let tenants = store.tenants().await?;
        let tenant_name = |id: &str| {
            tenants
                .iter()
                .find(|t| t.id == id)
                .map(|t| t.name.clone())
                .unwrap_or_default()
        };
        // "acme / Shop" sorted by tenant, then name.
        for c in &mut visible {
            c.name = format!("{} / {}", tenant_name(&c.tenant_id), c.name);
        }
        visible.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let ids: Vec<String> = visible.iter().map(|c| c.id.clone()).collect();
    let checked = validate(&query, &ids);
    // The form shows what was asked (kept after an error), with the kind's options.
    let kind = match &checked {
        Ok(f) => f.kind,
        Err(_) if non_empty(&query.kind) == Some("automation") => Kind::Automation,
        Err(_) => Kind::Sync,
    };
    let asked = |v: &Option<String>| non_empty(v).unwrap_or("").to_string();
    let choices = |any: &str, values: Vec<(String, String)>, current: &str| {
        let mut list = vec![Choice {
            value: String::new(),
            label: any.to_string(),
            selected: current.is_empty(),
        }];
        // Keep a refused value selectable, so the form shows what was sent.
        if !current.is_empty() && !values.iter().any(|(v, _)| v == current) {
            list.push(Choice {
                value: current.to_string(),
                label: current.to_string(),
                selected: true,
            });
        }
        list.extend(values.into_iter().map(|(value, label)| Choice {
            selected: value == current,
            value,
            label,
        }));
        list
    };
    let words = |list: &[&str]| -> Vec<(String, String)> {
        list.iter()
            .map(|w| (w.to_string(), w.to_string()))
            .collect()
    };
    let kinds = [Kind::Sync, Kind::Automation]
        .into_iter()
        .map(|k| Choice {
            value: k.value().into(),
            label: match k {
                Kind::Sync => "Sync runs".into(),
                Kind::Automation => "Automation runs".into(),
            },
            selected: k == kind,
        })
        .collect();
    let connections = choices(
        "Any connection",
        visible
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect(),
        &asked(&query.connection),
    );
    let resources = choices(
        "Any resource",
        ResourceKind::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), r.as_str().to_string()))
            .collect(),
        &asked(&query.resource),
    );
    let statuses = choices("Any status", words(kind.statuses()), &asked(&query.status));
    let triggers = choices(
        "Any trigger",
        kind.triggers()
            .iter()
            .map(|(value, label)| (value.to_string(), label.to_string()))
            .collect(),
        &asked(&query.trigger),
    );
    let mut view = RunsPage {
        title: "Runs",
        nav: Nav::new(&session, Section::Runs),
        operator,
        kinds,
        connections,
        resources,
        statuses,
        triggers,
        since: asked(&query.since),
        until: asked(&query.until),
        errors: FieldErrors::default(),
        listing: Listing::Refused,
        empty: false,
        narrowed: false,
        no_connections: visible.is_empty(),
        noun: kind.noun(),
        page: 1,
        previous_href: None,
        next_href: None,
        first_href: PATH.to_string(),
    };
    let filters = match checked {
        Ok(filters) => filters,
        Err(errors) => {
            view.errors = *errors;
            return Ok(render(StatusCode::BAD_REQUEST, &view));
        }
    };
    let store_filter = filters.store_filter(session.tenant_id());
    let offset = (filters.page - 1) * PAGE_SIZE;
    // One more than a page says whether there is a next one.
    let (listing, more) = match filters.kind {
        Kind::Sync => {
            let mut runs = store
                .filtered_runs(&store_filter, offset, PAGE_SIZE + 1)
                .await?;
            let more = runs.len() as i64 > PAGE_SIZE;
            runs.truncate(PAGE_SIZE as usize);
            (
                Listing::Sync(runs.into_iter().map(sync_row).collect()),
                more,
            )
        }
        Kind::Automation => {
            let mut runs = store
                .filtered_automation_runs(&store_filter, offset, PAGE_SIZE + 1)
                .await?;
            let more = runs.len() as i64 > PAGE_SIZE;
            runs.truncate(PAGE_SIZE as usize);
            (
                Listing::Automation(runs.into_iter().map(automation_row).collect()),
                more,
            )
        }
    };
    view.empty = match &listing {
        Listing::Refused => false,
        Listing::Sync(rows) => rows.is_empty(),
        Listing::Automation(rows) => rows.is_empty(),
    };
    view.listing = listing;
    view.narrowed = filters.narrowed();
    view.page = filters.page;
    view.previous_href = (filters.page > 1).then(|| filters.query_for(filters.page - 1));
    view.next_href = (more && filters.page < MAX_PAGE).then(|| filters.query_for(filters.page + 1));
    view.first_href = filters.query_for(1);
    Ok(render(StatusCode::OK, &view))
}

fn sync_row(listed: ListedRun) -> SyncRunRow {
    let run = listed.run;
    SyncRunRow {
        id: run.id.clone(),
        started: When::from_ms(run.started_ms),
        duration: duration_text(run.started_ms, run.finished_ms),
        status: status_badge(&run.status),
        connection_id: run.connection_id,
        connection_name: listed.connection_name,
        tenant_name: listed.tenant_name,
        resource: run.resource,
        trigger: trigger_label(Kind::Sync, &run.trigger),
        pages: run.pages,
        records: run.records,
        error: run.error,
    }
}

fn automation_row(listed: ListedAutomationRun) -> AutomationRunRow {
    let run = listed.run;
    AutomationRunRow {
        href: super::automations::run_page::run_path(&run.automation_id, &run.id),
        started: When::from_ms(run.started_ms),
        duration: duration_text(run.started_ms, run.finished_ms),
        status: status_badge(&run.status),
        automation_id: run.automation_id,
        automation_name: listed.automation_name,
        tenant_name: listed.tenant_name,
        trigger: trigger_label(Kind::Automation, &run.trigger),
        read: run.read,
        written: run.written,
        skipped: run.skipped,
        failed: run.failed,
        parked: run.parked,
        error: run.error,
    }
}

/// A run's status in words; the tone only colours it.
pub fn status_badge(status: &str) -> Badge {
    let (label, tone) = match status {
        "running" => ("Running", "neutral"),
        "succeeded" => ("Succeeded", "good"),
        "failed" => ("Failed", "bad"),
        "interrupted" => ("Interrupted", "warn"),
        "deferred" => ("Deferred", "warn"),
        "partial" => ("Partial", "warn"),
        other => (other, "neutral"),
    };
    Badge {
        label: label.to_string(),
        tone,
    }
}

/// How long a run took: `850 ms`, `12 s`, `3 min 05 s`, `1 h 02 min`; a run without an
/// end is still running.
pub fn duration_text(started_ms: i64, finished_ms: Option<i64>) -> String {
    let Some(finished) = finished_ms else {
        return "Still running".into();
    };
    let ms = finished.saturating_sub(started_ms).max(0);
    let secs = ms / 1000;
    if ms < 1000 {
        format!("{ms} ms")
    } else if secs < 60 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if secs < 3600 {
        format!("{} min {:02} s", secs / 60, secs % 60)
    } else {
        format!("{} h {:02} min", secs / 3600, (secs % 3600) / 60)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> RunsQuery {
        let text = serde_urlencoded::to_string(pairs).unwrap();
        serde_urlencoded::from_str(&text).unwrap()
    }

    fn ids() -> Vec<String> {
        vec!["c1".into(), "c2".into()]
    }

    #[test]
    fn no_filters_list_sync_runs_on_the_first_page() {
        let f = validate(&RunsQuery::default(), &ids()).unwrap();
        assert_eq!(f.kind, Kind::Sync);
        assert_eq!(f.page, 1);
        assert!(!f.narrowed());
        // Empty form fields are "any".
        let f = validate(
            &query(&[("status", ""), ("resource", " "), ("page", "")]),
            &ids(),
        )
        .unwrap();
        assert!(!f.narrowed());
        assert_eq!(f.query_for(1), "/portal/runs");
    }

    #[test]
    fn valid_filters_narrow_and_carry_over_to_other_pages() {
        let f = validate(
            &query(&[
                ("connection", "c2"),
                ("resource", "orders"),
                ("status", "failed"),
                ("trigger", "schedule"),
                ("since", "2026-11-01"),
                ("until", "2026-11-20"),
                ("page", "3"),
            ]),
            &ids(),
        )
        .unwrap();
        assert!(f.narrowed());
        assert_eq!(f.page, 3);
        assert_eq!(
            f.query_for(4),
            "/portal/runs?connection=c2&resource=orders&status=failed&trigger=schedule\
             &since=2026-11-01&until=2026-11-20&page=4"
        );
        let store = f.store_filter(Some("t1"));
        assert_eq!(store.tenant_id.as_deref(), Some("t1"));
        // The range covers whole UTC days: until is inclusive.
        assert_eq!(store.since_ms, Some(1_793_491_200_000));
        assert_eq!(store.until_ms, Some(1_795_219_200_000));
        let automation = validate(
            &query(&[
                ("kind", "automation"),
                ("status", "partial"),
                ("trigger", "change"),
            ]),
            &ids(),
        )
        .unwrap();
        assert_eq!(automation.kind, Kind::Automation);
        assert_eq!(
            automation.query_for(1),
            "/portal/runs?kind=automation&status=partial&trigger=change"
        );
    }

    #[test]
    fn unknown_values_are_refused_beside_their_fields() {
        let e = validate(&query(&[("status", "exploded")]), &ids()).unwrap_err();
        assert_eq!(
            e.status.as_deref(),
            Some(
                "Unknown status `exploded` for sync runs: expected one of running, succeeded, \
                 failed, interrupted, deferred."
            )
        );
        assert!(e.resource.is_none() && e.page.is_none());
        // Statuses belong to a kind of run.
        let e = validate(&query(&[("status", "partial")]), &ids()).unwrap_err();
        assert!(e.status.unwrap().contains("for sync runs"));
        let e = validate(
            &query(&[("kind", "automation"), ("status", "deferred")]),
            &ids(),
        )
        .unwrap_err();
        assert!(e.status.unwrap().contains("partial"));
        let e = validate(&query(&[("resource", "invoices")]), &ids()).unwrap_err();
        assert_eq!(
            e.resource.as_deref(),
            Some(
                "Unknown resource `invoices`: expected one of orders, customers, products, variations."
            )
        );
        let e = validate(
            &query(&[("kind", "automation"), ("resource", "orders")]),
            &ids(),
        )
        .unwrap_err();
        assert!(e.resource.is_some());
        let e = validate(&query(&[("trigger", "cron")]), &ids()).unwrap_err();
        assert!(e.trigger.unwrap().contains("schedule, manual, automation"));
        let e = validate(&query(&[("kind", "everything")]), &ids()).unwrap_err();
        assert!(e.kind.is_some());
        // Another tenant's connection id is as unknown as a made-up one.
        let e = validate(&query(&[("connection", "c3")]), &ids()).unwrap_err();
        assert!(e.connection.is_some());
    }

    #[test]
    fn dates_and_pages_are_checked() {
        let e = validate(
            &query(&[("since", "20/11/2026"), ("until", "2026-13-01")]),
            &ids(),
        )
        .unwrap_err();
        assert!(e.since.unwrap().contains("YYYY-MM-DD"));
        assert!(e.until.unwrap().contains("`2026-13-01`"));
        let e = validate(
            &query(&[("since", "2026-11-20"), ("until", "2026-11-19")]),
            &ids(),
        )
        .unwrap_err();
        assert_eq!(
            e.until.as_deref(),
            Some("The range ends before it starts: choose a date on or after 2026-11-20.")
        );
        assert!(
            validate(
                &query(&[("since", "2026-11-20"), ("until", "2026-11-20")]),
                &ids()
            )
            .is_ok()
        );
        for bad in ["0", "-1", "two", "1001", "99999999999999999999"] {
            let e = validate(&query(&[("page", bad)]), &ids()).unwrap_err();
            assert!(e.page.is_some(), "{bad}");
        }
        assert_eq!(
            validate(&query(&[("page", "1000")]), &ids()).unwrap().page,
            1000
        );
    }

    /// Stores to test against: SQLite in a temporary directory, and PostgreSQL too when
    /// `JUNCTION_TEST_POSTGRES_URL` names one (a fresh schema per run).
    async fn stores() -> Vec<(junction_store::Store, String, Option<tempfile::TempDir>)> {
        let dir = tempfile::tempdir().unwrap();
        let url = junction_store::sqlite_url(dir.path());
        let sqlite = junction_store::Store::open(&url).await.unwrap();
        let mut stores = vec![(sqlite, url, Some(dir))];
        if let Ok(url) = std::env::var("JUNCTION_TEST_POSTGRES_URL") {
            let scoped = junction_store::testing::fresh_postgres_schema(&url, "runs")
                .await
                .unwrap();
            let store = junction_store::Store::open(&scoped).await.unwrap();
            stores.push((store, scoped, None));
        }
        stores
    }

    /// Two tenants with a connection each, and runs.
    async fn store_with_runs(store: &junction_store::Store, url: &str) -> [String; 2] {
        // The test backdates runs with SQL of its own (the store has no such operation).
        let raw = sqlx::AnyPool::connect(url).await.unwrap();
        use junction_store::connections::NewConnection;
        let mut ids = Vec::new();
        for name in ["acme", "globex"] {
            let tenant = store.create_tenant(name).await.unwrap();
            let c = store
                .create_connection(NewConnection {
                    tenant_id: &tenant.id,
                    connector_key: "woocommerce",
                    name: &format!("{name} shop"),
                    public_config: "{}",
                    sealed_secrets: "",
                    resources: vec![],
                })
                .await
                .unwrap();
            ids.push((tenant.id, c.id));
        }
        // acme: 60 runs (orders, every tenth failed), globex: 3 customers runs.
        for i in 0..60i64 {
            let id = format!("a{i:03}");
            store
                .start_run(&id, &ids[0].1, ResourceKind::Orders, "schedule")
                .await
                .unwrap();
            let failed = i % 10 == 0;
            store
                .finish_run(
                    &id,
                    if failed { "failed" } else { "succeeded" },
                    failed.then_some("HTTP 500"),
                )
                .await
                .unwrap();
            // Four hours apart from 2026-11-01 00:00 UTC (six a day): known ranges and order.
            sqlx::query("UPDATE runs SET started_ms = $1, records = $2 WHERE id = $3")
                .bind(1_793_491_200_000 + i * 4 * 3_600_000)
                .bind(i)
                .bind(&id)
                .execute(&raw)
                .await
                .unwrap();
        }
        for i in 0..3 {
            let id = format!("g{i}");
            store
                .start_run(&id, &ids[1].1, ResourceKind::Customers, "schedule")
                .await
                .unwrap();
            store
                .finish_run(&id, "failed", Some("globex secret error"))
                .await
                .unwrap();
        }
        [ids[0].0.clone(), ids[1].0.clone()]
    }

    #[tokio::test]
    async fn the_store_query_is_tenant_scoped_filtered_newest_first_and_bounded() {
        for (store, url, _dir) in stores().await {
            check_filtered_runs(&store, &url).await;
        }
    }

    async fn check_filtered_runs(store: &junction_store::Store, url: &str) {
        let [acme, globex] = store_with_runs(store, url).await;
        let mine = |extra: RunFilter| RunFilter {
            tenant_id: Some(acme.clone()),
            ..extra
        };
        let page = store
            .filtered_runs(&mine(RunFilter::default()), 0, 51)
            .await
            .unwrap();
        assert_eq!(page.len(), 51);
        assert!(
            page.iter()
                .all(|r| r.tenant_name == "acme" && r.connection_name == "acme shop")
        );
        assert_eq!(page[0].run.id, "a059", "newest first");
        let rest = store
            .filtered_runs(&mine(RunFilter::default()), 50, 51)
            .await
            .unwrap();
        assert_eq!(rest.len(), 10);
        assert_eq!(rest.last().unwrap().run.id, "a000");
        // Another tenant's rows never appear, even when asked for by connection or status.
        let failed = store
            .filtered_runs(
                &mine(RunFilter {
                    status: Some("failed".into()),
                    ..RunFilter::default()
                }),
                0,
                100,
            )
            .await
            .unwrap();
        assert_eq!(failed.len(), 6);
        assert!(
            failed
                .iter()
                .all(|r| r.run.error.as_deref() == Some("HTTP 500"))
        );
        let globex_connection = store.connections(Some(&globex)).await.unwrap()[0]
            .id
            .clone();
        let theirs = store
            .filtered_runs(
                &mine(RunFilter {
                    connection_id: Some(globex_connection),
                    ..RunFilter::default()
                }),
                0,
                100,
            )
            .await
            .unwrap();
        assert!(theirs.is_empty());
        let customers = store
            .filtered_runs(
                &mine(RunFilter {
                    resource: Some("customers".into()),
                    ..RunFilter::default()
                }),
                0,
                100,
            )
            .await
            .unwrap();
        assert!(customers.is_empty());
        // The operator (no tenant) sees both.
        let all = store
            .filtered_runs(&RunFilter::default(), 0, 200)
            .await
            .unwrap();
        assert_eq!(all.len(), 63);
        // A day range through the page's filters: 2026-11-02 holds runs 6..=11.
        let day = validate(
            &query(&[("since", "2026-11-02"), ("until", "2026-11-02")]),
            &[],
        )
        .unwrap();
        let on_day = store
            .filtered_runs(&day.store_filter(Some(&acme)), 0, 100)
            .await
            .unwrap();
        let ids: Vec<&str> = on_day.iter().map(|r| r.run.id.as_str()).collect();
        assert_eq!(ids, ["a011", "a010", "a009", "a008", "a007", "a006"]);
        // The limit is capped whatever the caller asks.
        assert_eq!(
            store
                .filtered_runs(&RunFilter::default(), 0, 1_000_000)
                .await
                .unwrap()
                .len(),
            63
        );
        // Triggers filter too; automation runs are scoped the same way (none here).
        let manual = store
            .filtered_runs(
                &mine(RunFilter {
                    trigger: Some("manual".into()),
                    ..RunFilter::default()
                }),
                0,
                100,
            )
            .await
            .unwrap();
        assert!(manual.is_empty());
        assert!(
            store
                .filtered_automation_runs(&mine(RunFilter::default()), 0, 10)
                .await
                .unwrap()
                .is_empty()
        );
        // An automation between two of Acme's connections, with one partial run.
        let acme_connection = store.connections(Some(&acme)).await.unwrap()[0].id.clone();
        assert_eq!(page[0].run.connection_id, acme_connection);
        let erp = store
            .create_connection(junction_store::connections::NewConnection {
                tenant_id: &acme,
                connector_key: "tryton",
                name: "acme erp",
                public_config: "{}",
                sealed_secrets: "",
                resources: vec![],
            })
            .await
            .unwrap();
        store
            .create_automation(&junction_store::automations::AutomationRow {
                id: "auto1".into(),
                tenant_id: acme.clone(),
                name: "shop to erp".into(),
                source_connection_id: acme_connection.clone(),
                target_connection_id: erp.id.clone(),
                enabled: true,
                cadence_secs: 300,
                on_change: false,
                entities: "{}".into(),
                options: "{}".into(),
                next_run_ms: i64::MAX,
                last_run_ms: None,
                last_status: None,
                last_error: None,
                failures: 0,
                created_ms: 0,
                updated_ms: 0,
            })
            .await
            .unwrap();
        store
            .start_automation_run("ar1", "auto1", "manual")
            .await
            .unwrap();
        store
            .finish_automation_run("ar1", "partial", Some("2 writes wait for a retry"))
            .await
            .unwrap();
        let listed = store
            .filtered_automation_runs(&mine(RunFilter::default()), 0, 10)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].automation_name, "shop to erp");
        assert_eq!(listed[0].run.status, "partial");
        for (filter, expected) in [
            (
                RunFilter {
                    connection_id: Some(erp.id.clone()),
                    ..RunFilter::default()
                },
                1,
            ),
            (
                RunFilter {
                    connection_id: Some(acme_connection.clone()),
                    ..RunFilter::default()
                },
                1,
            ),
            (
                RunFilter {
                    trigger: Some("manual".into()),
                    ..RunFilter::default()
                },
                1,
            ),
            (
                RunFilter {
                    status: Some("failed".into()),
                    ..RunFilter::default()
                },
                0,
            ),
            (
                RunFilter {
                    since_ms: Some(i64::MAX - 1),
                    ..RunFilter::default()
                },
                0,
            ),
        ] {
            let found = store
                .filtered_automation_runs(&mine(filter.clone()), 0, 10)
                .await
                .unwrap();
            assert_eq!(found.len(), expected, "{filter:?}");
        }
        let other_tenant = RunFilter {
            tenant_id: Some(globex.clone()),
            ..RunFilter::default()
        };
        assert!(
            store
                .filtered_automation_runs(&other_tenant, 0, 10)
                .await
                .unwrap()
                .is_empty()
        );
        // The chart's sums: 60 finished acme runs, hour by hour (4 hours apart here).
        let hourly = store.hourly_records(&acme_connection, 0).await.unwrap();
        assert_eq!(hourly.len(), 60);
        assert_eq!(
            hourly.iter().map(|h| h.records).sum::<i64>(),
            (0..60).sum::<i64>()
        );
        assert_eq!(hourly[0].hour, 1_793_491_200_000 / 3_600_000);
        let later = store
            .hourly_records(&acme_connection, 1_793_491_200_000 + 4 * 3_600_000)
            .await
            .unwrap();
        assert_eq!(later.len(), 59);
    }

    fn sync_rows(n: usize) -> Vec<SyncRunRow> {
        (0..n)
            .map(|i| SyncRunRow {
                id: format!("run-{i}"),
                connection_id: "c1".into(),
                connection_name: "<b>Shop</b>".into(),
                tenant_name: "acme".into(),
                resource: "orders".into(),
                trigger: "schedule".into(),
                started: When::from_ms(1_795_188_600_000),
                duration: duration_text(0, Some(1200)),
                pages: 2,
                records: 100 + i as i64,
                status: status_badge("failed"),
                error: Some(format!("HTTP 500: {}", "very long error ".repeat(40))),
            })
            .collect()
    }

    fn rendered(operator: bool, rows: Vec<SyncRunRow>, filters: &Filters) -> String {
        let page = RunsPage {
            title: "Runs",
            nav: Nav {
                current: Some(Section::Runs),
                who: "ada@acme.example".into(),
                tenant: (!operator).then(|| "acme".into()),
                csrf: "token".into(),
            },
            operator,
            kinds: Vec::new(),
            connections: Vec::new(),
            resources: Vec::new(),
            statuses: Vec::new(),
            triggers: Vec::new(),
            since: String::new(),
            until: String::new(),
            errors: FieldErrors::default(),
            empty: rows.is_empty(),
            listing: Listing::Sync(rows),
            narrowed: filters.narrowed(),
            no_connections: false,
            noun: filters.kind.noun(),
            page: filters.page,
            previous_href: (filters.page > 1).then(|| filters.query_for(filters.page - 1)),
            next_href: Some(filters.query_for(filters.page + 1)),
            first_href: filters.query_for(1),
        };
        page.render().unwrap()
    }

    #[test]
    fn the_table_shows_each_run_in_full_with_links_to_other_pages() {
        let filters = validate(&query(&[("status", "failed"), ("page", "2")]), &ids()).unwrap();
        let html = rendered(false, sync_rows(50), &filters);
        assert_eq!(html.matches("<tr>").count(), 51, "a header row and 50 runs");
        assert!(html.contains("<caption>Sync runs, newest first (page 2)</caption>"));
        assert!(html.contains(r#"<th scope="col" class="number">Records</th>"#));
        assert!(
            html.contains(r#"<a href="/portal/connections/c1">&#60;b&#62;Shop&#60;/b&#62;</a>"#),
            "names are text"
        );
        let error = format!("HTTP 500: {}", "very long error ".repeat(40));
        assert!(
            html.contains(&format!(r#"<span class="error-text">{error}</span>"#)),
            "in full"
        );
        assert!(
            html.contains(r#"<a href="/portal/runs?status=failed" id="runs-previous" rel="prev">"#)
        );
        assert!(
            html.contains(
                r#"<a href="/portal/runs?status=failed&#38;page=3" id="runs-next" rel="next">"#
            ),
            "{html}"
        );
        assert!(
            !html.contains(r#"<th scope="col">Tenant</th>"#),
            "users see one tenant"
        );
        assert!(rendered(true, sync_rows(1), &filters).contains(r#"<th scope="col">Tenant</th>"#));
        // No runs: the filtered-empty state offers to clear the filters.
        let first = validate(&query(&[("status", "failed")]), &ids()).unwrap();
        let empty = rendered(false, Vec::new(), &first);
        assert!(empty.contains("<h2>No runs match these filters</h2>"));
        assert!(!empty.contains(r#"id="runs-table""#));
    }

    #[test]
    fn durations_and_statuses_read_as_words() {
        assert_eq!(duration_text(1000, Some(1850)), "850 ms");
        assert_eq!(duration_text(0, Some(12_345)), "12.3 s");
        assert_eq!(duration_text(0, Some(185_000)), "3 min 05 s");
        assert_eq!(duration_text(0, Some(3_720_000)), "1 h 02 min");
        assert_eq!(duration_text(5, Some(1)), "0 ms");
        assert_eq!(duration_text(0, None), "Still running");
        assert_eq!(status_badge("failed").tone, "bad");
        assert_eq!(status_badge("succeeded").label, "Succeeded");
        assert_eq!(status_badge("deferred").tone, "warn");
    }

    #[test]
    fn a_trigger_reads_the_same_on_every_page() {
        assert_eq!(trigger_label(Kind::Sync, "automation"), "Automation");
        assert_eq!(trigger_label(Kind::Sync, "manual"), "Sync now");
        assert_eq!(trigger_label(Kind::Automation, "manual"), "By hand");
        assert_eq!(trigger_label(Kind::Automation, "change"), "Records changed");
        // A trigger a later version adds is shown as stored, not hidden as "Other".
        assert_eq!(trigger_label(Kind::Sync, "webhook"), "webhook");
    }
}
