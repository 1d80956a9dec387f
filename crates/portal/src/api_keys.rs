//! API keys in the portal: a connection's keys on its details page, and every key of the
//! session's connections on `/portal/api-keys` (the operator: every tenant's). Generating a
//! key is `domain::accounts::api_keys::create`, as for the admin API (the key shown once,
//! only its SHA-256 stored), answered with the page showing the key, never stored and
//! `no-store` — there is no URL to fetch it again. Each generate form carries a random
//! nonce, remembered as used in the database (`api_keys::first_use_of_nonce`, so every
//! host sees it); posting the same form again (a reload of that page) creates nothing and
//! says the key was shown already. Revoking asks for confirmation on a page of its own
//! (works without JavaScript), then revokes through the domain too.
//!
//! A key id from the URL is looked up among the keys of the session's tenant only, so
//! another tenant's key id is a 404 and stays untouched.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::PortalState;
use super::connection_detail::{Extras, details_href, details_response, notice_text};
use super::error::{PortalError, render};
use super::session::{SignedIn, new_token};
use super::views::{Nav, Section, When};
use junction_domain::DomainError;
use junction_domain::accounts::api_keys;
use junction_store::{ApiKey, Connection};

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new()
        .route("/portal/api-keys", get(page).post(generate_from_list))
        .route(
            "/portal/connections/{id}/keys",
            post(generate_for_connection).get(to_connection_keys),
        )
        .route(
            "/portal/api-keys/{key_id}/revoke",
            get(confirm_revoke).post(revoke),
        )
}

/// One key in a list (never the key itself: it exists only as a hash).
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created: Option<When>,
    pub last_used: Option<When>,
    pub revoked: Option<When>,
    pub connection_id: String,
    pub connection_name: String,
    pub tenant_name: String,
    created_ms: i64,
}

impl KeyRow {
    pub fn active(&self) -> bool {
        self.revoked.is_none()
    }

    fn new(key: ApiKey, connection_name: &str, tenant_name: &str) -> Self {
        Self {
            created_ms: key.created_ms,
            created: When::from_ms(key.created_ms),
            last_used: key.last_used_ms.and_then(When::from_ms),
            revoked: key.revoked_ms.and_then(When::from_ms),
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            connection_id: key.connection_id,
            connection_name: connection_name.to_string(),
            tenant_name: tenant_name.to_string(),
        }
    }
}

/// The generate form's values and errors.
pub struct KeyForm {
    pub name: String,
    pub name_error: Option<String>,
    /// Marks this form: a second POST of it creates nothing.
    pub nonce: String,
    /// The chosen connection (the across-connections page).
    pub connection: String,
    pub connection_error: Option<String>,
}

impl KeyForm {
    pub fn blank() -> Result<Self, PortalError> {
        Ok(Self {
            name: String::new(),
            name_error: None,
            nonce: new_token()?,
            connection: String::new(),
            connection_error: None,
        })
    }

    fn has_errors(&self) -> bool {
        self.name_error.is_some() || self.connection_error.is_some()
    }
}

/// The keys of one connection, newest first (the caller has checked access).
pub async fn connection_keys(
    state: &PortalState,
    connection: &Connection,
) -> Result<Vec<KeyRow>, PortalError> {
    let mut keys = state.hub.store.api_keys(Some(&connection.id), None).await?;
    keys.sort_by_key(|k| std::cmp::Reverse(k.created_ms));
    Ok(keys
        .into_iter()
        .map(|k| KeyRow::new(k, &connection.name, ""))
        .collect())
}

/// A connection of the generate form's select.
pub struct ConnectionOption {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "portal/api_keys.html")]
pub struct ApiKeysPage {
    pub title: &'static str,
    pub nav: Nav,
    pub operator: bool,
    pub notice: Option<String>,
    pub keys: Vec<KeyRow>,
    pub connections: Vec<ConnectionOption>,
    pub form: KeyForm,
}

#[derive(Template)]
#[template(path = "portal/key_created.html")]
pub struct KeyCreatedPage {
    pub title: &'static str,
    pub nav: Nav,
    pub key: String,
    pub key_name: String,
    pub connection_id: String,
    pub connection_name: String,
    /// Where the Runtime API is, as the browser reached this server.
    pub api_base: String,
    /// Back to the page the form was on.
    pub back_href: String,
    pub back_label: &'static str,
}

#[derive(Template)]
#[template(path = "portal/revoke_key.html")]
pub struct RevokePage {
    pub title: &'static str,
    pub nav: Nav,
    pub key: KeyRow,
    pub back: &'static str,
    pub back_href: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    done: Option<String>,
}

/// What the session may see: its connections with their tenant names, by connection id.
async fn visible_connections(
    state: &PortalState,
    session: &SignedIn,
) -> Result<Vec<(Connection, String)>, PortalError> {
    let store = &state.hub.store;
    let tenants = match session.tenant_id() {
        Some(own) => vec![store.tenant(own).await?],
        None => store.tenants().await?,
    };
    let mut all = Vec::new();
    for tenant in tenants {
        for connection in store.connections(Some(&tenant.id)).await? {
            all.push((connection, tenant.name.clone()));
        }
    }
    Ok(all)
}

/// `GET /portal/api-keys`.
pub async fn page(
    State(state): State<PortalState>,
    session: SignedIn,
    Query(query): Query<ListQuery>,
) -> Result<Response, PortalError> {
    let notice = query.done.as_deref().and_then(notice_text);
    list_response(&state, &session, notice, KeyForm::blank()?, StatusCode::OK).await
}

async fn list_response(
    state: &PortalState,
    session: &SignedIn,
    notice: Option<String>,
    form: KeyForm,
    status: StatusCode,
) -> Result<Response, PortalError> {
    let connections = visible_connections(state, session).await?;
    let names: HashMap<&str, (&str, &str)> = connections
        .iter()
        .map(|(c, tenant)| (c.id.as_str(), (c.name.as_str(), tenant.as_str())))
        .collect();
    let keys = state.hub.store.api_keys(None, session.tenant_id()).await?;
    let mut rows: Vec<KeyRow> = keys
        .into_iter()
        .filter_map(|k| {
            let (name, tenant) = *names.get(k.connection_id.as_str())?;
            Some(KeyRow::new(k, name, tenant))
        })
        .collect();
    // By tenant, then connection, newest key first.
    rows.sort_by(|a, b| {
        (&a.tenant_name, &a.connection_name)
            .cmp(&(&b.tenant_name, &b.connection_name))
            .then_with(|| b.created_ms.cmp(&a.created_ms))
    });
    let operator = session.is_operator();
    // One connection: nothing to choose.
    let only = connections
        .first()
        .filter(|_| connections.len() == 1 && form.connection.is_empty())
        .map(|(c, _)| c.id.clone());
    let options = connections
        .iter()
        .map(|(c, tenant)| ConnectionOption {
            label: if operator {
                format!("{} (tenant {tenant})", c.name)
            } else {
                c.name.clone()
            },
            selected: form.connection == c.id || only.as_deref() == Some(c.id.as_str()),
            id: c.id.clone(),
        })
        .collect();
    Ok(render(
        status,
        &ApiKeysPage {
            title: "API keys",
            nav: Nav::new(session, Section::ApiKeys),
            operator,
            notice,
            keys: rows,
            connections: options,
            form,
        },
    ))
}

#[derive(Deserialize)]
pub struct GenerateForm {
    name: Option<String>,
    nonce: Option<String>,
    /// The across-connections page's select.
    connection: Option<String>,
}

/// A key name as the form sent it, or the error to show beside the field. The admin API
/// trims the name; the portal also wants one (it is how people tell keys apart) and bounds
/// its length.
fn key_name(raw: Option<&str>) -> Result<String, String> {
    api_keys::check_name(raw.unwrap_or("")).map_err(|e| match e {
        DomainError::Invalid(problems) => problems
            .into_iter()
            .map(|p| p.message)
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    })
}

/// `POST /portal/connections/{id}/keys` (the details page's form).
pub async fn generate_for_connection(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<GenerateForm>,
) -> Result<Response, PortalError> {
    let connection = super::access::connection(&state, &session, &id).await?;
    let name = match key_name(form.name.as_deref()) {
        Ok(name) => name,
        Err(error) => {
            let mut extras = Extras::plain()?;
            extras.key_form.name = form.name.unwrap_or_default();
            extras.key_form.name_error = Some(error);
            return details_response(
                &state,
                &session,
                connection,
                extras,
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let back_href = details_href(&connection.id, None, "keys");
    if !api_keys::first_use_of_nonce(&state.hub.store, form.nonce.as_deref()).await? {
        let href = details_href(&connection.id, Some("key-already-shown"), "keys");
        return Ok(Redirect::to(&href).into_response());
    }
    create(
        &state,
        &session,
        &headers,
        connection,
        name,
        Section::Connections,
        back_href,
        "Back to the connection",
    )
    .await
}

/// `POST /portal/api-keys` (the across-connections page's form, with a connection select).
pub async fn generate_from_list(
    State(state): State<PortalState>,
    session: SignedIn,
    headers: HeaderMap,
    Form(form): Form<GenerateForm>,
) -> Result<Response, PortalError> {
    let chosen = form.connection.as_deref().unwrap_or("").trim().to_string();
    let connection = if chosen.is_empty() {
        Err("Choose the connection the key is for.".to_string())
    } else {
        match super::access::connection(&state, &session, &chosen).await {
            Ok(c) => Ok(c),
            Err(PortalError::NotFound(_)) => Err("There is no such connection.".to_string()),
            Err(e) => return Err(e),
        }
    };
    let name = key_name(form.name.as_deref());
    let (connection, name) = match (connection, name) {
        (Ok(c), Ok(n)) => (c, n),
        (connection, name) => {
            let mut again = KeyForm::blank()?;
            again.name = form.name.unwrap_or_default();
            again.connection = chosen;
            again.connection_error = connection.err();
            again.name_error = name.err();
            debug_assert!(again.has_errors());
            return list_response(
                &state,
                &session,
                None,
                again,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if !api_keys::first_use_of_nonce(&state.hub.store, form.nonce.as_deref()).await? {
        return Ok(Redirect::to("/portal/api-keys?done=key-already-shown").into_response());
    }
    create(
        &state,
        &session,
        &headers,
        connection,
        name,
        Section::ApiKeys,
        Section::ApiKeys.href().to_string(),
        "Back to API keys",
    )
    .await
}

/// Create the key (as the admin API's `create_key`) and answer with the page showing it
/// once: not stored anywhere, not cacheable, not reachable by any GET.
#[allow(clippy::too_many_arguments)]
async fn create(
    state: &PortalState,
    session: &SignedIn,
    headers: &HeaderMap,
    connection: Connection,
    name: String,
    section: Section,
    back_href: String,
    back_label: &'static str,
) -> Result<Response, PortalError> {
    let api_keys::CreatedKey { key, stored } =
        api_keys::create(&state.hub.store, &connection.id, &name).await?;
    let mut response = render(
        StatusCode::OK,
        &KeyCreatedPage {
            title: "Your new API key",
            nav: Nav::new(session, section),
            key,
            key_name: stored.name,
            connection_id: connection.id,
            connection_name: connection.name,
            api_base: api_base(headers),
            back_href,
            back_label,
        },
    );
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, max-age=0"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// `http(s)://host` as the browser addressed this server (for the example command).
fn api_base(headers: &HeaderMap) -> String {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let https = value("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let host = value("x-forwarded-host")
        .or_else(|| value(header::HOST.as_str()))
        // Only what a host name can contain: it goes into a shell command people copy.
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost:8080");
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// `GET /portal/connections/{id}/keys`: the keys are on the details page.
async fn to_connection_keys(Path(id): Path<String>) -> Redirect {
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    Redirect::to(&details_href(&id, None, "keys"))
}

#[derive(Deserialize)]
pub struct RevokeQuery {
    back: Option<String>,
}

#[derive(Deserialize)]
pub struct RevokeForm {
    back: Option<String>,
}

/// Where to go after a revoke: the connection's page or the keys page (a fixed choice, so
/// the form cannot send anybody elsewhere).
fn back_choice(back: Option<&str>) -> &'static str {
    match back {
        Some("connection") => "connection",
        _ => "all",
    }
}

fn back_href(back: &str, key: &KeyRow, done: Option<&str>) -> String {
    match (back, done) {
        ("connection", _) => details_href(&key.connection_id, done, "keys"),
        (_, Some(done)) => format!("/portal/api-keys?done={done}"),
        (_, None) => Section::ApiKeys.href().to_string(),
    }
}

/// The key `key_id`, if it belongs to a connection this session may see.
async fn visible_key(
    state: &PortalState,
    session: &SignedIn,
    key_id: &str,
) -> Result<KeyRow, PortalError> {
    let not_found = || PortalError::NotFound("There is no such API key".into());
    let key = state
        .hub
        .store
        .api_keys(None, session.tenant_id())
        .await?
        .into_iter()
        .find(|k| k.id == key_id)
        .ok_or_else(not_found)?;
    let connection = super::access::connection(state, session, &key.connection_id).await?;
    let tenant = if session.is_operator() {
        state.hub.store.tenant(&connection.tenant_id).await?.name
    } else {
        String::new()
    };
    Ok(KeyRow::new(key, &connection.name, &tenant))
}

/// `GET /portal/api-keys/{key_id}/revoke`: are you sure?
pub async fn confirm_revoke(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(key_id): Path<String>,
    Query(query): Query<RevokeQuery>,
) -> Result<Response, PortalError> {
    let key = visible_key(&state, &session, &key_id).await?;
    let back = back_choice(query.back.as_deref());
    if !key.active() {
        return Ok(Redirect::to(&back_href(back, &key, None)).into_response());
    }
    let section = if back == "connection" {
        Section::Connections
    } else {
        Section::ApiKeys
    };
    Ok(render(
        StatusCode::OK,
        &RevokePage {
            title: "Revoke API key",
            nav: Nav::new(&session, section),
            back_href: back_href(back, &key, None),
            back,
            key,
        },
    ))
}

/// `POST /portal/api-keys/{key_id}/revoke`: revoke (as the admin API's `revoke_key`), then
/// back to the list, which shows it revoked.
pub async fn revoke(
    State(state): State<PortalState>,
    session: SignedIn,
    Path(key_id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, PortalError> {
    let key = visible_key(&state, &session, &key_id).await?;
    let back = back_choice(form.back.as_deref());
    if key.active() {
        // Revoked by someone else in the meantime: the outcome is the same.
        api_keys::revoke(&state.hub.store, &key.id, true).await?;
    }
    Ok(Redirect::to(&back_href(back, &key, Some("key-revoked"))).into_response())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_required_trimmed_and_bounded() {
        assert_eq!(key_name(Some("  Warehouse app ")).unwrap(), "Warehouse app");
        assert!(key_name(None).unwrap_err().contains("Give the key a name"));
        assert!(key_name(Some("   ")).is_err());
        assert!(key_name(Some(&"x".repeat(100))).is_ok());
        assert!(
            key_name(Some(&"x".repeat(101)))
                .unwrap_err()
                .contains("100")
        );
        assert!(key_name(Some("a\nb")).is_err());
    }

    #[test]
    fn the_example_uses_the_address_the_browser_used() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(api_base(&headers), "http://127.0.0.1:8080");
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        headers.insert(
            "x-forwarded-host",
            HeaderValue::from_static("junction.example"),
        );
        assert_eq!(api_base(&headers), "https://junction.example");
        let mut odd = HeaderMap::new();
        odd.insert(header::HOST, HeaderValue::from_static("a$(b)"));
        assert_eq!(api_base(&odd), "http://localhost:8080");
    }

    #[test]
    fn revoking_goes_back_only_to_the_portals_own_pages() {
        let key = KeyRow {
            id: "k".into(),
            name: "n".into(),
            prefix: "jct_live_abc".into(),
            created: None,
            last_used: None,
            revoked: None,
            connection_id: "c1".into(),
            connection_name: "Shop".into(),
            tenant_name: String::new(),
            created_ms: 0,
        };
        assert_eq!(back_choice(Some("https://evil.example")), "all");
        assert_eq!(
            back_href(back_choice(Some("connection")), &key, Some("key-revoked")),
            "/portal/connections/c1?done=key-revoked#keys"
        );
        assert_eq!(
            back_href("all", &key, Some("key-revoked")),
            "/portal/api-keys?done=key-revoked"
        );
    }
}
