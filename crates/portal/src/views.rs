//! The templates' data: one struct per page under `host/templates/portal/`, plus the
//! sidebar ([`Nav`]) every signed-in page shows. askama escapes every value for HTML, so
//! names from the database (a connection called `<script>`) are shown as text.

use askama::Template;

use super::session::SignedIn;
use junction_store::portal_sessions::SessionOwner;

/// A sidebar section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Connections,
    ApiKeys,
    Automations,
    Connectors,
    Runs,
    Webhooks,
    /// The operator's only.
    Users,
}

impl Section {
    pub const ALL: [Section; 7] = [
        Section::Connections,
        Section::ApiKeys,
        Section::Automations,
        Section::Webhooks,
        Section::Connectors,
        Section::Runs,
        Section::Users,
    ];

    /// Sections only the operator sees.
    pub fn operator_only(self) -> bool {
        self == Section::Users
    }

    pub fn href(self) -> &'static str {
        match self {
            Section::Connections => "/portal/connections",
            Section::ApiKeys => "/portal/api-keys",
            Section::Automations => "/portal/automations",
            Section::Connectors => "/portal/connectors",
            Section::Runs => "/portal/runs",
            Section::Webhooks => "/portal/webhooks",
            Section::Users => "/portal/users",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Section::Connections => "Connections",
            Section::ApiKeys => "API keys",
            Section::Automations => "Automations",
            Section::Connectors => "Connectors",
            Section::Runs => "Runs",
            Section::Webhooks => "Webhooks",
            Section::Users => "Users",
        }
    }
}

/// One sidebar link.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The sidebar: the sections, who is signed in, and the sign-out form's CSRF token.
pub struct Nav {
    /// The section the page belongs to; none on an error page.
    pub current: Option<Section>,
    pub who: String,
    /// The user's tenant; none for the operator.
    pub tenant: Option<String>,
    pub csrf: String,
}

impl Nav {
    pub fn new(session: &SignedIn, current: Section) -> Self {
        Self::of_page(session, Some(current))
    }

    /// The sidebar of a page in no section (an error page of a signed-in session).
    pub fn of_page(session: &SignedIn, current: Option<Section>) -> Self {
        let (who, tenant) = match &session.owner {
            SessionOwner::Operator => ("the operator".to_string(), None),
            SessionOwner::User {
                email, tenant_name, ..
            } => (email.clone(), Some(tenant_name.clone())),
        };
        Self {
            current,
            who,
            tenant,
            csrf: session.csrf.clone(),
        }
    }

    pub fn items(&self) -> Vec<NavItem> {
        let operator = self.tenant.is_none();
        Section::ALL
            .iter()
            .filter(|s| operator || !s.operator_only())
            .map(|s| NavItem {
                href: s.href(),
                label: s.label(),
                current: Some(*s) == self.current,
            })
            .collect()
    }
}

/// A value for a link's query string or path: ids are UUIDs, anything else is
/// percent-encoded before it goes back into a URL.
pub fn query_value(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)])
        .map(|s| s.trim_start_matches("v=").to_string())
        .unwrap_or_default()
}

/// `orders` → `Orders`.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A message as a sentence: trimmed, capitalised, ending with a full stop (the domain's
/// messages start lower-case and have none).
pub fn sentence(message: &str) -> String {
    let mut text = capitalised(message.trim());
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

/// A moment, for `<time datetime=...>` and for people (UTC).
pub struct When {
    pub iso: String,
    pub text: String,
}

impl When {
    pub fn from_ms(ms: i64) -> Option<Self> {
        let at = jiff::Timestamp::from_millisecond(ms).ok()?;
        Some(Self {
            iso: at.to_string(),
            text: at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        })
    }
}

/// How something is doing: the words say it, the class only colours it.
pub struct Badge {
    pub label: String,
    /// `good`, `bad`, `warn` or `neutral` (CSS classes `badge-...`).
    pub tone: &'static str,
}

#[derive(Template)]
#[template(path = "portal/login.html")]
pub struct LoginPage<'a> {
    pub title: &'a str,
    pub csrf: &'a str,
    /// The email to fill back in after a refusal.
    pub email: &'a str,
    pub error: Option<&'a str>,
    pub notice: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "portal/error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub heading: &'a str,
    pub message: &'a str,
}

/// The same error page for a signed-in session: inside the layout, with the sidebar, so a
/// missing record or page leaves every section one click away.
#[derive(Template)]
#[template(path = "portal/error_signed_in.html")]
pub struct SignedInErrorPage<'a> {
    pub title: &'a str,
    pub nav: Nav,
    pub heading: &'a str,
    pub message: &'a str,
}

/// A link of the operator's tenant picker.
pub struct TenantLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

/// One resource of a connection.
pub struct ResourceRow {
    pub name: String,
    pub status: Badge,
    pub last_sync: Option<When>,
    pub records: i64,
    pub last_error: Option<String>,
}

/// One connection.
pub struct ConnectionCard {
    pub id: String,
    pub name: String,
    /// The connector's name and version, or its key and "not loaded".
    pub connector: String,
    pub health: Badge,
    pub last_sync: Option<When>,
    pub records: i64,
    pub resources: Vec<ResourceRow>,
}

/// A tenant's connections.
pub struct TenantGroup {
    pub tenant_name: String,
    pub connections: Vec<ConnectionCard>,
}

#[derive(Template)]
#[template(path = "portal/connections.html")]
pub struct ConnectionsPage {
    pub title: &'static str,
    pub nav: Nav,
    pub operator: bool,
    /// The operator's tenant picker (empty for users).
    pub picker: Vec<TenantLink>,
    pub groups: Vec<TenantGroup>,
    /// The operator has no tenant at all yet.
    pub no_tenants: bool,
    /// Keys of the loaded connectors, for the empty state's example.
    pub connector_keys: Vec<String>,
    /// What the last action did (`?done=`), in words.
    pub notice: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::{capitalised, sentence};

    #[test]
    fn domain_messages_become_sentences() {
        assert_eq!(
            sentence("give an email address like name@example.com"),
            "Give an email address like name@example.com."
        );
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(capitalised("orders"), "Orders");
    }
}
