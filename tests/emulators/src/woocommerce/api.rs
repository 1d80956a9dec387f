//! The HTTP side: routes under `/wp-json/wc/v3`, authentication, WordPress's response
//! headers and pagination headers, and fault injection.
//!
//! Request handling follows WordPress's order: wrong credentials are refused first (401, on
//! any path), then the route is matched (404 `rest_no_route`), then parameters and body are
//! validated (400 `rest_invalid_param`), then the permission check runs (401 for requests
//! without credentials), then the handler (404 / 400 for unknown ids, ...). Like
//! WooCommerce's CRUD controllers, a GET or PUT of an order, product or variation that does
//! not exist answers 404 / 400 even without credentials, because the permission check only
//! runs for existing objects.
//!
//! Authentication is WooCommerce's over HTTPS (the emulator serves plain HTTP but behaves
//! as if it were HTTPS): HTTP Basic `consumer_key:consumer_secret`, or the `consumer_key`
//! and `consumer_secret` query parameters. OAuth 1.0a (plain-HTTP shops) is not emulated.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use base64::Engine;
use serde::Serialize;
use serde_json::{Value, json};

use super::WooConfig;
use super::batch;
use super::deletion;
use super::error::{Kind, WcError};
use super::input::{
    CustomerPatch, NoteInput, OrderPatch, ProductPatch, VariationPatch, parse_body,
};
use super::listing::{self, Plan, SortBy, SortKey};
use super::model::{Customer, Order, OrderStatus, Product, ProductType, Variation};
use super::params::{Collection, Query, Validator};
use super::store::WooStore;
use super::views::{self, Site, WC_VERSION};
use crate::faults::{self, FaultInjector, FaultKind};

/// Everything a request handler needs.
#[derive(Clone)]
pub(crate) struct AppState {
    pub store: WooStore,
    pub config: Arc<WooConfig>,
    pub faults: Arc<FaultInjector>,
    /// The shop root used when a request has no `Host` header.
    pub default_base: Arc<str>,
}

impl IntoResponse for WcError {
    fn into_response(self) -> Response {
        let body = self.to_json_bytes();
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_bytes(status, body)
    }
}

pub(super) fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    resp
}

pub(super) fn internal_error() -> WcError {
    WcError::new(
        500,
        "internal_server_error",
        "The response could not be serialised.",
    )
}

/// Whether the request carried valid credentials (set by the auth middleware).
#[derive(Debug, Clone, Copy)]
struct Authed(bool);

/// What a handler knows about its request.
pub(crate) struct Ctx {
    query: Query,
    base: String,
    authed: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = Query::parse(parts.uri.query());
        let base = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| format!("http://{h}"))
            .unwrap_or_default();
        let authed = parts.extensions.get::<Authed>().is_some_and(|a| a.0);
        Ok(Self {
            query,
            base,
            authed,
        })
    }
}

/// The permission a request needs, for WooCommerce's 401 messages.
#[derive(Debug, Clone, Copy)]
pub(super) enum Action {
    List,
    View,
    Create,
    Edit,
    Batch,
    Delete,
}

impl Ctx {
    pub(super) fn site<'a>(&'a self, st: &'a AppState) -> Site<'a> {
        Site {
            base: if self.base.is_empty() {
                &st.default_base
            } else {
                &self.base
            },
        }
    }

    pub(super) fn require(&self, action: Action) -> Result<(), WcError> {
        if self.authed {
            return Ok(());
        }
        let (code, message) = match action {
            Action::List => (
                "woocommerce_rest_cannot_view",
                "Sorry, you cannot list resources.",
            ),
            Action::View => (
                "woocommerce_rest_cannot_view",
                "Sorry, you cannot view this resource.",
            ),
            Action::Create => (
                "woocommerce_rest_cannot_create",
                "Sorry, you are not allowed to create resources.",
            ),
            Action::Edit => (
                "woocommerce_rest_cannot_edit",
                "Sorry, you are not allowed to edit this resource.",
            ),
            Action::Batch => (
                "woocommerce_rest_cannot_batch",
                "Sorry, you are not allowed to batch manipulate this resource.",
            ),
            Action::Delete => (
                "woocommerce_rest_cannot_delete",
                "Sorry, you are not allowed to delete this resource.",
            ),
        };
        Err(WcError::new(401, code, message))
    }

    fn fields(&self) -> Option<Vec<String>> {
        self.query.list("_fields")
    }

    pub(super) fn query(&self) -> &Query {
        &self.query
    }

    /// A JSON response, restricted to `_fields` when the request asks for it.
    pub(super) fn json<T: Serialize>(
        &self,
        status: StatusCode,
        value: &T,
    ) -> Result<Response, WcError> {
        let body = match self.fields() {
            Some(fields) => {
                let v = serde_json::to_value(value).map_err(|_| internal_error())?;
                serde_json::to_vec(&views::filter_fields(v, &fields))
            }
            None => serde_json::to_vec(value),
        };
        Ok(json_bytes(status, body.map_err(|_| internal_error())?))
    }

    /// A collection page with `X-WP-Total`, `X-WP-TotalPages` and `Link` headers.
    fn page<T: Serialize>(
        &self,
        st: &AppState,
        route: &str,
        coll: &Collection,
        total: usize,
        items: &[T],
    ) -> Result<Response, WcError> {
        let mut resp = self.json(StatusCode::OK, &items)?;
        let per_page = coll.per_page.max(1);
        let total = total as u64;
        let max_pages = total.div_ceil(per_page);
        let headers = resp.headers_mut();
        headers.insert("x-wp-total", HeaderValue::from(total));
        headers.insert("x-wp-totalpages", HeaderValue::from(max_pages));
        let base = self.site(st).rest(route);
        let mut links = Vec::new();
        if coll.page > 1 {
            let prev = (coll.page - 1).min(max_pages);
            links.push(format!(
                "<{}>; rel=\"prev\"",
                page_link(&base, &self.query, prev)
            ));
        }
        if max_pages > coll.page {
            links.push(format!(
                "<{}>; rel=\"next\"",
                page_link(&base, &self.query, coll.page + 1)
            ));
        }
        if !links.is_empty()
            && let Ok(v) = HeaderValue::from_str(&links.join(", "))
        {
            headers.insert(header::LINK, v);
        }
        Ok(resp)
    }
}

/// The URL of another page: the request's query with `page` replaced (or appended), as
/// WordPress's `add_query_arg` builds it.
fn page_link(base: &str, query: &Query, page: u64) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    let mut replaced = false;
    for (k, v) in query.pairs() {
        if k == "page" {
            if !replaced {
                ser.append_pair("page", &page.to_string());
                replaced = true;
            }
        } else {
            ser.append_pair(k, v);
        }
    }
    if !replaced {
        ser.append_pair("page", &page.to_string());
    }
    format!("{base}?{}", ser.finish())
}

pub(super) fn parse_id(raw: &str) -> Result<u64, WcError> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WcError::no_route());
    }
    raw.parse().map_err(|_| WcError::no_route())
}

pub(super) fn body_map(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Map<String, Value>, WcError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    parse_body(ct, body)
}

fn created(resp: Result<Response, WcError>, location: String) -> Result<Response, WcError> {
    let mut resp = resp?;
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

// --- index and system status ---------------------------------------------------------------

const ROUTES: [(&str, &[&str]); 15] = [
    ("", &["GET"]),
    ("/system_status", &["GET"]),
    ("/orders", &["GET", "POST"]),
    ("/orders/batch", &["POST", "PUT", "PATCH"]),
    ("/orders/(?P<id>[\\d]+)", &["GET", "POST", "PUT", "PATCH"]),
    ("/orders/(?P<order_id>[\\d]+)/notes", &["GET", "POST"]),
    (
        "/orders/(?P<order_id>[\\d]+)/notes/(?P<id>[\\d]+)",
        &["GET"],
    ),
    ("/customers", &["GET", "POST"]),
    (
        "/customers/(?P<id>[\\d]+)",
        &["GET", "POST", "PUT", "PATCH"],
    ),
    ("/products", &["GET", "POST"]),
    ("/products/batch", &["POST", "PUT", "PATCH"]),
    ("/products/(?P<id>[\\d]+)", &["GET", "POST", "PUT", "PATCH"]),
    (
        "/products/(?P<product_id>[\\d]+)/variations",
        &["GET", "POST"],
    ),
    (
        "/products/(?P<product_id>[\\d]+)/variations/batch",
        &["POST", "PUT", "PATCH"],
    ),
    (
        "/products/(?P<product_id>[\\d]+)/variations/(?P<id>[\\d]+)",
        &["GET", "POST", "PUT", "PATCH"],
    ),
];

async fn index(State(st): State<AppState>, ctx: Ctx) -> Result<Response, WcError> {
    let site = ctx.site(&st);
    let mut routes = serde_json::Map::new();
    for (path, methods) in ROUTES {
        let endpoints: Vec<Value> = methods
            .iter()
            .map(|m| json!({ "methods": [m], "args": {} }))
            .collect();
        let mut entry = json!({ "namespace": "wc/v3", "methods": methods, "endpoints": endpoints });
        if !path.contains('(') {
            entry["_links"] =
                json!({ "self": [{ "href": format!("{}/wp-json/wc/v3{path}", site.base) }] });
        }
        routes.insert(format!("/wc/v3{path}"), entry);
    }
    ctx.json(
        StatusCode::OK,
        &json!({ "namespace": "wc/v3", "routes": routes }),
    )
}

async fn wp_root(State(st): State<AppState>, ctx: Ctx) -> Result<Response, WcError> {
    let site = ctx.site(&st);
    ctx.json(
        StatusCode::OK,
        &json!({
            "name": "Junction Emulated Shop",
            "description": "A WooCommerce REST v3 emulator",
            "url": site.base,
            "home": site.base,
            "gmt_offset": "0",
            "timezone_string": "UTC",
            "namespaces": ["wp/v2", "wc/v3"],
            "authentication": [],
            "routes": {},
        }),
    )
}

async fn system_status(State(st): State<AppState>, ctx: Ctx) -> Result<Response, WcError> {
    ctx.require(Action::List)?;
    let site = ctx.site(&st);
    let counts = st.store.counts();
    ctx.json(
        StatusCode::OK,
        &json!({
            "environment": {
                "home_url": site.base,
                "site_url": site.base,
                "store_id": format!("{:016x}", crate::rng::mix(st.config.seed)),
                "version": WC_VERSION,
                "log_directory": "/var/www/html/wp-content/uploads/wc-logs/",
                "log_directory_writable": true,
                "wp_version": "6.7.1",
                "wp_multisite": false,
                "wp_memory_limit": 268_435_456,
                "wp_debug_mode": false,
                "wp_cron": true,
                "language": "en_US",
                "external_object_cache": null,
                "server_info": "Junction emulator",
                "php_version": "8.3.14",
                "mysql_version": "8.0.40",
                "default_timezone": "UTC",
            },
            "database": { "wc_database_version": WC_VERSION, "database_prefix": "wp_" },
            "active_plugins": [{ "plugin": "woocommerce/woocommerce.php", "name": "WooCommerce", "version": WC_VERSION }],
            "theme": { "name": "Storefront", "version": "4.6.0" },
            "settings": {
                "api_enabled": true,
                "force_ssl": false,
                "currency": "EUR",
                "currency_symbol": "&euro;",
                "currency_position": "left",
                "thousand_separator": ".",
                "decimal_separator": ",",
                "number_of_decimals": 2,
                "geolocation_enabled": false,
                "woocommerce_com_connected": "no",
            },
            "post_type_counts": [
                { "type": "product", "count": counts.products },
                { "type": "product_variation", "count": counts.variations },
                { "type": "shop_order", "count": counts.orders },
            ],
        }),
    )
}

// --- orders --------------------------------------------------------------------------------

const POST_ORDERBY: [&str; 6] = ["date", "id", "include", "title", "slug", "modified"];
const PRODUCT_ORDERBY: [&str; 10] = [
    "date",
    "id",
    "include",
    "title",
    "slug",
    "modified",
    "price",
    "popularity",
    "rating",
    "menu_order",
];

fn post_sort<'a, T>(orderby: &str, key: Option<&'a dyn Fn(&T) -> SortKey>) -> SortBy<'a, T> {
    match (orderby, key) {
        ("id", _) => SortBy::Id,
        ("modified", _) => SortBy::Modified,
        ("include", _) => SortBy::Include,
        ("date", _) | (_, None) => SortBy::Created,
        (_, Some(k)) => SortBy::Key(k),
    }
}

fn plan<'a, T>(
    coll: &'a Collection,
    sort: SortBy<'a, T>,
    filter: Option<&'a dyn Fn(&T) -> bool>,
) -> Plan<'a, T> {
    Plan {
        sort,
        desc: coll.desc,
        created: (coll.after, coll.before),
        modified: (coll.modified_after, coll.modified_before),
        include: &coll.include,
        exclude: &coll.exclude,
        filter,
        start: coll.start(),
        limit: usize::try_from(coll.per_page).unwrap_or(100),
    }
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(needle)
}

async fn list_orders(State(st): State<AppState>, ctx: Ctx) -> Result<Response, WcError> {
    let mut v = Validator::new(&ctx.query);
    let coll = Collection::parse(&mut v, &POST_ORDERBY, "date", "desc");
    let status = v.list_of("status", &OrderStatus::FILTERS);
    let customer = v.int("customer", None, None);
    let product = v.int("product", None, None);
    v.finish()?;
    ctx.require(Action::List)?;

    let statuses: Option<Vec<OrderStatus>> = status
        .filter(|s| !s.contains(&"any"))
        .map(|s| s.iter().filter_map(|x| OrderStatus::parse(x)).collect());
    let search = coll.search.as_ref().map(|s| s.to_lowercase());
    let db = st.store.read();
    // WordPress's `any` leaves out trashed posts.
    let needs_filter = statuses.is_some()
        || db.any_trashed_order()
        || customer.is_some()
        || product.is_some()
        || search.is_some();
    let filter = |o: &Order| {
        statuses
            .as_ref()
            .map_or(o.status != OrderStatus::Trash, |s| s.contains(&o.status))
            && customer.is_none_or(|c| o.customer_id == c.unsigned_abs())
            && product.is_none_or(|p| {
                o.line_items
                    .iter()
                    .any(|l| l.product_id == p.unsigned_abs() || l.variation_id == p.unsigned_abs())
            })
            && search.as_ref().is_none_or(|q| {
                o.id.to_string() == *q
                    || contains_ci(&o.billing.first_name, q)
                    || contains_ci(&o.billing.last_name, q)
                    || o.billing
                        .email
                        .as_deref()
                        .is_some_and(|e| contains_ci(e, q))
                    || o.line_items.iter().any(|l| contains_ci(&l.name, q))
            })
    };
    let filter_ref: Option<&dyn Fn(&Order) -> bool> =
        if needs_filter { Some(&filter) } else { None };
    // Orders' titles ("Order – <date>") and slugs sort like their creation dates.
    let plan = plan(&coll, post_sort(coll.orderby, None), filter_ref);
    let page = listing::run(&db.orders, &plan);
    let site = ctx.site(&st);
    let items: Vec<_> = page
        .ids
        .iter()
        .filter_map(|id| db.orders.get(*id))
        .map(|o| views::order(site, o))
        .collect();
    ctx.page(&st, "orders", &coll, page.total, &items)
}

async fn get_order(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WcError> {
    let id = parse_id(&id)?;
    let db = st.store.read();
    let order = db
        .orders
        .get(id)
        .ok_or_else(|| WcError::not_found(Kind::Order))?;
    ctx.require(Action::View)?;
    ctx.json(StatusCode::OK, &views::order(ctx.site(&st), order))
}

async fn create_order(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WcError> {
    let map = body_map(&headers, &body)?;
    let patch = OrderPatch::parse(&map)?;
    ctx.require(Action::Create)?;
    let mut db = st.store.write();
    let id = db.create_order(&patch)?;
    let order = db.orders.get(id).ok_or_else(internal_error)?;
    let site = ctx.site(&st);
    created(
        ctx.json(StatusCode::CREATED, &views::order(site, order)),
        site.rest(&format!("orders/{id}")),
    )
}

async fn update_order(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WcError> {
    let id = parse_id(&id)?;
    let map = body_map(&headers, &body)?;
    let patch = OrderPatch::parse(&map)?;
    let mut db = st.store.write();
    if db.orders.get(id).is_some() {
        ctx.require(Action::Edit)?;
    }
    db.update_order(id, &patch)?;
    let order = db.orders.get(id).ok_or_else(internal_error)?;
    ctx.json(StatusCode::OK, &views::order(ctx.site(&st), order))
}

async fn list_notes(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WcError> {
    let id = parse_id(&id)?;
    let mut v = Validator::new(&ctx.query);
    let kind = v.one_of("type", &["any", "customer", "internal"], "any");
    v.finish()?;
    ctx.require(Action::List)?;
    let db = st.store.read();
    if db.orders.get(id).is_none() {
        return Err(WcError::invalid_order_id());
    }
    let site = ctx.site(&st);
    let notes: Vec<_> = db
        .notes_newest_first(id)
        .into_iter()
        .filter(|n| match kind {
            "customer" => n.customer_note,
            "internal" => !n.customer_note,
            _ => true,
        })
        .map(|n| views::note(site, id, n))
        .collect();
    ctx.json(StatusCode::OK, &notes)
}

async fn get_note(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, note_id)): Path<(String, String)>,
) -> Result<Response, WcError> {
    let (id, note_id) = (parse_id(&id)?, parse_id(&note_id)?);
    ctx.require(Action::View)?;
    let db = st.store.read();
    if db.orders.get(id).is_none() {
        return Err(WcError::invalid_order_id());
    }
    let note = db
        .notes
        .get(&id)
        .and_then(|n| n.iter().find(|n| n.id == note_id))
        .ok_or_else(|| WcError::not_found(Kind::OrderNote))?;
    ctx.json(StatusCode::OK, &views::note(ctx.site(&st), id, note))
}

async fn create_note(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WcError> {
    let id = parse_id(&id)?;
    let map = body_map(&headers, &body)?;
    let input = NoteInput::parse(&map)?;
    ctx.require(Action::Create)?;
    let mut db = st.store.write();
    let note_id = db.add_note(id, &input)?;
    let note = db
        .notes
        .get(&id)
        .and_then(|n| n.iter().find(|n| n.id == note_id))
        .ok_or_else(internal_error)?;
    let site = ctx.site(&st);
    created(
        ctx.json(StatusCode::CREATED, &views::note(site, id, note)),
        site.rest(&format!("orders/{id}/notes/{note_id}")),
    )
}

// --- customers -----------------------------------------------------------------------------

async fn list_customers(State(st): State<AppState>, ctx: Ctx) -> Result<Response, WcError> {
    let mut v = Validator::new(&ctx.query);
    let coll = Collection::parse(
        &mut v,
        &["id", "include", "name", "registered_date"],
        "name",
        "asc",
    );
    let email = v.string("email").map(|e| e.to_lowercase());
    let role = v.string("role").unwrap_or_else(|| "customer".to_owned());
    v.finish()?;
    ctx.require(Action::List)?;
    let search = coll
        .search
        .as_ref()
        .map(|s| s.trim_matches('*').to_lowercase());
    let role_ok = role == "customer" || role == "all";
    let needs_filter = email.is_some() || search.is_some() || !role_ok;
    let filter = |c: &Customer| {
        role_ok
            && email.as_ref().is_none_or(|e| c.email.to_lowercase() == *e)
            && search.as_ref().is_none_or(|q| {
                contains_ci(&c.email, q) || contains_ci(&c.username, q) || c.id.to_string() == *q
            })
    };
    let filter_ref: Option<&dyn Fn(&Customer) -> bool> =
        if needs_filter { Some(&filter) } else { None };
    // WP_User_Query's `name` is the display name, which for shop customers is the username.
    let name_key = |c: &Customer| SortKey::Text(c.username.to_lowercase());
    let sort = match coll.orderby {
        "id" => SortBy::Id,
        "include" => SortBy::Include,
        "registered_date" => SortBy::Created,
        _ => SortBy::Key(&name_key),
    };
    let plan = plan(&coll, sort, filter_ref);
    let db = st.store.read();
    let page = listing::run(&db.customers, &plan);
    let site = ctx.site(&st);
    let items: Vec<_> = page
        .ids
        .iter()
        .filter_map(|id| db.customers.get(*id))
        .map(|c| views::customer(site, c))
        .collect();
    ctx.page(&st, "customers", &coll, page.total, &items)
}

async fn get_customer(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WcError> {
    let id = parse_id(&id)?;
    ctx.require(Action::View)?;
    let db = st.store.read();
    let c = db
        .customers
        .get(id)
        .ok_or_else(|| WcError::not_found(Kind::Customer))?;
    ctx.json(StatusCode::OK, &views::customer(ctx.site(&st), c))
}

async fn create_customer(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WcError> {
    let map = body_map(&headers, &body)?;
    if !map.contains_key("email") {
        return Err(WcError::missing_params(&["email"]));
    }
    let patch = CustomerPatch::parse(&map)?;
    ctx.require(Action::Create)?;
    let mut db = st.store.write();
    let id = db.create_customer(&patch)?;
    let c = db.customers.get(id).ok_or_else(internal_error)?;
    let site = ctx.site(&st);
    created(
        ctx.json(StatusCode::CREATED, &views::customer(site, c)),
        site.rest(&format!("customers/{id}")),
    )
}

async fn update_customer(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WcError> {
    let id = parse_id(&id)?;
    let map = body_map(&headers, &body)?;
    let patch = CustomerPatch::parse(&map)?;
    ctx.require(Action::Edit)?;
    let mut db = st.store.write();
    db.update_customer(id, &patch)?;
    let c = db.customers.get(id).ok_or_else(internal_error)?;
    ctx.json(StatusCode::OK, &views::customer(ctx.site(&st), c))
}

// --- products and variations ---------------------------------------------------------------

fn price_key(p: &str) -> SortKey {
    SortKey::Int(super::model::parse_cents(p).unwrap_or(0))
}

async fn list_products(State(st): State<AppState>, ctx: Ctx) -> Result<Response, WcError> {
    let mut v = Validator::new(&ctx.query);
    let coll = Collection::parse(&mut v, &PRODUCT_ORDERBY, "date", "desc");
    let status = v.one_of(
        "status",
        &[
            "any", "future", "trash", "draft", "pending", "private", "publish",
        ],
        "any",
    );
    let kind = v.list_of("type", &ProductType::ALL);
    let sku = v.list_of_strings("sku");
    let stock_status = v.one_of(
        "stock_status",
        &["instock", "outofstock", "onbackorder", ""],
        "",
    );
    v.finish()?;
    ctx.require(Action::List)?;
    let search = coll.search.as_ref().map(|s| s.to_lowercase());
    let db = st.store.read();
    // WordPress's `any` leaves out trashed posts.
    let needs_filter = status != "any"
        || db.any_trashed_product()
        || kind.is_some()
        || sku.is_some()
        || !stock_status.is_empty()
        || search.is_some();
    let filter = |p: &Product| {
        (if status == "any" {
            p.status != "trash"
        } else {
            p.status == status
        }) && kind.as_ref().is_none_or(|k| k.contains(&p.kind.as_str()))
            && sku.as_ref().is_none_or(|s| s.iter().any(|x| *x == *p.sku))
            && (stock_status.is_empty() || p.stock.stock_status == stock_status)
            && search
                .as_ref()
                .is_none_or(|q| contains_ci(&p.name, q) || contains_ci(&p.sku, q))
    };
    let filter_ref: Option<&dyn Fn(&Product) -> bool> =
        if needs_filter { Some(&filter) } else { None };
    let variations = &db.variations;
    let key = |p: &Product| match coll.orderby {
        "title" => SortKey::Text(p.name.to_lowercase()),
        "slug" => SortKey::Text(p.slug.clone()),
        "price" => {
            if p.kind == ProductType::Variable {
                let min = p
                    .variations
                    .iter()
                    .filter_map(|id| variations.get(*id))
                    .filter_map(|v| super::model::parse_cents(v.stock.price()))
                    .min();
                SortKey::Int(min.unwrap_or(0))
            } else {
                price_key(p.stock.price())
            }
        }
        "popularity" => SortKey::Int(i64::try_from(p.total_sales).unwrap_or(i64::MAX)),
        "menu_order" => SortKey::Int(p.menu_order),
        _ => SortKey::Int(0),
    };
    let plan = plan(&coll, post_sort(coll.orderby, Some(&key)), filter_ref);
    let page = listing::run(&db.products, &plan);
    let site = ctx.site(&st);
    let items: Vec<_> = page
        .ids
        .iter()
        .filter_map(|id| db.products.get(*id))
        .map(|p| views::product(site, p, &db.variations))
        .collect();
    ctx.page(&st, "products", &coll, page.total, &items)
}

async fn get_product(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WcError> {
    let id = parse_id(&id)?;
    let db = st.store.read();
    let p = db
        .products
        .get(id)
        .ok_or_else(|| WcError::not_found(Kind::Product))?;
    ctx.require(Action::View)?;
    ctx.json(
        StatusCode::OK,
        &views::product(ctx.site(&st), p, &db.variations),
    )
}

async fn create_product(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WcError> {
    let map = body_map(&headers, &body)?;
    let patch = ProductPatch::parse(&map)?;
    ctx.require(Action::Create)?;
    let mut db = st.store.write();
    let id = db.create_product(&patch)?;
    let p = db.products.get(id).ok_or_else(internal_error)?;
    let site = ctx.site(&st);
    created(
        ctx.json(
            StatusCode::CREATED,
            &views::product(site, p, &db.variations),
        ),
        site.rest(&format!("products/{id}")),
    )
}

async fn update_product(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WcError> {
    let id = parse_id(&id)?;
    let map = body_map(&headers, &body)?;
    let patch = ProductPatch::parse(&map)?;
    let mut db = st.store.write();
    if db.products.get(id).is_some() {
        ctx.require(Action::Edit)?;
    }
    db.update_product(id, &patch)?;
    let p = db.products.get(id).ok_or_else(internal_error)?;
    ctx.json(
        StatusCode::OK,
        &views::product(ctx.site(&st), p, &db.variations),
    )
}

async fn list_variations(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(pid): Path<String>,
) -> Result<Response, WcError> {
    let pid = parse_id(&pid)?;
    let mut v = Validator::new(&ctx.query);
    let coll = Collection::parse(&mut v, &PRODUCT_ORDERBY, "date", "desc");
    let status = v.one_of(
        "status",
        &[
            "any", "future", "trash", "draft", "pending", "private", "publish",
        ],
        "any",
    );
    let sku = v.list_of_strings("sku");
    let stock_status = v.one_of(
        "stock_status",
        &["instock", "outofstock", "onbackorder", ""],
        "",
    );
    v.finish()?;
    ctx.require(Action::List)?;
    let db = st.store.read();
    let parent = db.products.get(pid);
    let filter = |x: &Variation| {
        x.parent_id == pid
            && (status == "any" || x.status == status)
            && sku.as_ref().is_none_or(|s| s.iter().any(|k| *k == *x.sku))
            && (stock_status.is_empty() || x.stock.stock_status == stock_status)
    };
    let parent_name = parent.map_or("", |p| &*p.name);
    let key = |x: &Variation| match coll.orderby {
        "title" | "slug" => SortKey::Text(views::variation_name(parent_name, x).to_lowercase()),
        "price" => price_key(x.stock.price()),
        "menu_order" => SortKey::Int(x.menu_order),
        _ => SortKey::Int(0),
    };
    let plan = plan(&coll, post_sort(coll.orderby, Some(&key)), Some(&filter));
    let page = listing::run(&db.variations, &plan);
    let site = ctx.site(&st);
    let items: Vec<_> = match parent {
        Some(parent) => page
            .ids
            .iter()
            .filter_map(|id| db.variations.get(*id))
            .map(|x| views::variation(site, parent, x))
            .collect(),
        None => Vec::new(),
    };
    ctx.page(
        &st,
        &format!("products/{pid}/variations"),
        &coll,
        page.total,
        &items,
    )
}

async fn get_variation(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((pid, vid)): Path<(String, String)>,
) -> Result<Response, WcError> {
    let (pid, vid) = (parse_id(&pid)?, parse_id(&vid)?);
    let db = st.store.read();
    let x = db
        .variations
        .get(vid)
        .filter(|x| x.parent_id == pid)
        .ok_or_else(|| WcError::not_found(Kind::Variation))?;
    let parent = db
        .products
        .get(pid)
        .ok_or_else(|| WcError::not_found(Kind::Variation))?;
    ctx.require(Action::View)?;
    ctx.json(StatusCode::OK, &views::variation(ctx.site(&st), parent, x))
}

async fn create_variation(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WcError> {
    let pid = parse_id(&pid)?;
    let map = body_map(&headers, &body)?;
    let patch = VariationPatch::parse(&map)?;
    ctx.require(Action::Create)?;
    let mut db = st.store.write();
    let vid = db.create_variation(pid, &patch)?;
    let parent = db.products.get(pid).ok_or_else(internal_error)?;
    let x = db.variations.get(vid).ok_or_else(internal_error)?;
    let site = ctx.site(&st);
    created(
        ctx.json(StatusCode::CREATED, &views::variation(site, parent, x)),
        site.rest(&format!("products/{pid}/variations/{vid}")),
    )
}

async fn update_variation(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((pid, vid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WcError> {
    let (pid, vid) = (parse_id(&pid)?, parse_id(&vid)?);
    let map = body_map(&headers, &body)?;
    let patch = VariationPatch::parse(&map)?;
    let mut db = st.store.write();
    if db.variations.get(vid).is_some() {
        ctx.require(Action::Edit)?;
    }
    db.update_variation(pid, vid, &patch)?;
    let parent = db.products.get(pid).ok_or_else(internal_error)?;
    let x = db.variations.get(vid).ok_or_else(internal_error)?;
    ctx.json(StatusCode::OK, &views::variation(ctx.site(&st), parent, x))
}

async fn no_route() -> WcError {
    WcError::no_route()
}

// --- middleware ----------------------------------------------------------------------------

/// The `WWW-Authenticate` challenge WooCommerce sends with Basic-auth failures.
const CHALLENGE: &str = "Basic realm=\"WooCommerce API. Use a consumer key in the username field and a consumer secret in the password field.\"";

/// Checks credentials when present; wrong ones are refused here, on any path.
async fn authenticate(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            let (scheme, rest) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        })
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| s.split_once(':').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty());
    let query = Query::parse(req.uri().query());
    let from_query = match (query.get("consumer_key"), query.get("consumer_secret")) {
        (Some(k), Some(s)) if !k.is_empty() && !s.is_empty() => Some((k.to_owned(), s.to_owned())),
        _ => None,
    };
    let via_basic = basic.is_some();
    let authed = match basic.or(from_query) {
        None => false,
        Some((key, secret)) => {
            let error = if key != st.config.consumer_key {
                Some("Consumer key is invalid.")
            } else if secret != st.config.consumer_secret {
                Some("Consumer secret is invalid.")
            } else {
                None
            };
            if let Some(message) = error {
                let mut resp = WcError::new(401, "woocommerce_rest_authentication_error", message)
                    .into_response();
                if via_basic {
                    resp.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static(CHALLENGE),
                    );
                }
                return resp;
            }
            true
        }
    };
    req.extensions_mut().insert(Authed(authed));
    next.run(req).await
}

/// Headers WordPress sends with every REST response.
async fn wp_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("X-WP-Total, X-WP-TotalPages, Link"),
    );
    h.insert(
        "access-control-allow-headers",
        HeaderValue::from_static(
            "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type",
        ),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, must-revalidate, max-age=0, no-store, private"),
    );
    resp
}

/// Counts API requests and applies the configured faults to them.
async fn inject_faults(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let decision = st.faults.decide();
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.terminal {
        None => next.run(req).await,
        Some(FaultKind::ServerError) => {
            // What WordPress's fatal error handler answers to a REST request.
            let body = concat!(
                r#"{"code":"internal_server_error","message":"<p>There has been a critical error on this website.<\/p>"#,
                r#"<p><a href=\"https:\/\/wordpress.org\/documentation\/article\/faq-troubleshooting\/\">"#,
                r#"Learn more about troubleshooting WordPress.<\/a><\/p>","data":{"status":500},"additional_errors":[]}"#
            );
            wp_headers(json_bytes(
                StatusCode::INTERNAL_SERVER_ERROR,
                body.as_bytes().to_vec(),
            ))
            .await
        }
        Some(FaultKind::RateLimited { retry_after_secs }) => {
            let error = WcError::new(
                429,
                "rate_limit_exceeded",
                "Too many requests. Please wait and try again.",
            );
            let mut resp = error.into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            wp_headers(resp).await
        }
        Some(FaultKind::MalformedJson) => faults::malformed(next.run(req).await).await,
        Some(FaultKind::DropMidBody) => faults::drop_mid_body(next.run(req).await).await,
        Some(FaultKind::Latency { .. }) => next.run(req).await,
    }
}

/// Registers a route with and without a trailing slash (WordPress accepts both).
fn route(
    router: Router<AppState>,
    path: &str,
    handler: MethodRouter<AppState>,
) -> Router<AppState> {
    router
        .route(path, handler.clone())
        .route(&format!("{path}/"), handler)
}

/// The API router (everything but the control endpoints).
pub(crate) fn router(state: AppState) -> Router {
    use axum::routing::{delete, patch, post, put};
    let base = "/wp-json/wc/v3";
    let mut r: Router<AppState> = Router::new()
        .route("/wp-json", get(wp_root))
        .route("/wp-json/", get(wp_root))
        .route(base, get(index))
        .route(&format!("{base}/"), get(index));
    r = route(r, &format!("{base}/system_status"), get(system_status));
    r = route(
        r,
        &format!("{base}/orders"),
        get(list_orders).post(create_order),
    );
    r = route(
        r,
        &format!("{base}/orders/batch"),
        post(batch::orders)
            .merge(put(batch::orders))
            .merge(patch(batch::orders)),
    );
    r = route(
        r,
        &format!("{base}/orders/{{id}}"),
        get(get_order)
            .merge(put(update_order))
            .merge(post(update_order))
            .merge(patch(update_order))
            .merge(delete(deletion::order)),
    );
    r = route(
        r,
        &format!("{base}/orders/{{id}}/notes"),
        get(list_notes).post(create_note),
    );
    r = route(
        r,
        &format!("{base}/orders/{{id}}/notes/{{note_id}}"),
        get(get_note),
    );
    r = route(
        r,
        &format!("{base}/customers"),
        get(list_customers).post(create_customer),
    );
    r = route(
        r,
        &format!("{base}/customers/{{id}}"),
        get(get_customer)
            .merge(put(update_customer))
            .merge(post(update_customer))
            .merge(patch(update_customer))
            .merge(delete(deletion::customer)),
    );
    r = route(
        r,
        &format!("{base}/products"),
        get(list_products).post(create_product),
    );
    r = route(
        r,
        &format!("{base}/products/batch"),
        post(batch::products)
            .merge(put(batch::products))
            .merge(patch(batch::products)),
    );
    r = route(
        r,
        &format!("{base}/products/{{id}}"),
        get(get_product)
            .merge(put(update_product))
            .merge(post(update_product))
            .merge(patch(update_product))
            .merge(delete(deletion::product)),
    );
    r = route(
        r,
        &format!("{base}/products/{{id}}/variations"),
        get(list_variations).post(create_variation),
    );
    r = route(
        r,
        &format!("{base}/products/{{id}}/variations/batch"),
        post(batch::variations)
            .merge(put(batch::variations))
            .merge(patch(batch::variations)),
    );
    r = route(
        r,
        &format!("{base}/products/{{id}}/variations/{{vid}}"),
        get(get_variation)
            .merge(put(update_variation))
            .merge(post(update_variation))
            .merge(patch(update_variation))
            .merge(delete(deletion::variation)),
    );
    r.fallback(no_route)
        .method_not_allowed_fallback(no_route)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::map_response(wp_headers))
        .layer(middleware::from_fn_with_state(state.clone(), inject_faults))
        .with_state(state)
}
