//! The HTTP side of exports and imports (reference: api-docs.connectif.cloud, "Exports" and
//! "Imports"): `POST /exports` (JSON `ExportCreation`, 201 with the `Export`), `GET
//! /exports/{id}`, `POST /imports` (`multipart/form-data`: `type`, `delimiter`,
//! `overrideExisting`, `updateOnlyEmptyFields`, `file`; 201 with the `Import`), `GET
//! /imports/{id}`; and the files they point to, served by [`files_router`] outside the API
//! key and the budget, as signed download links on storage would be.
//!
//! Refused as the reference says: a body of the wrong media type (415), a file over 50 MB
//! (413), a missing or invalid field (422, naming it), date filters on a contacts export
//! (they apply to activity exports only). Not emulated, and refused with 422 saying so:
//! activity exports, segment filters, dates other than ISO, product and coupon imports.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value};

use super::api::AppState;
use super::error::Problem;
use super::input;
use super::jobs::{ImportOptions, RowError};
use super::{csvfile, multipart};

/// The largest import file Connectif takes.
const MAX_IMPORT_BYTES: usize = 50 * 1024 * 1024;

fn unprocessable(detail: impl Into<String>) -> Problem {
    Problem::new(422, "Unprocessable Entity", detail)
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The origin the client reached (its `Host`), so file links point back through a proxy in
/// front of the emulator; the emulator's own URL without one.
fn origin(st: &AppState, headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty())
        .map_or_else(|| st.base_url.clone(), |host| format!("http://{host}"))
}

fn created(body: &Value) -> Response {
    let mut resp = (StatusCode::CREATED, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

fn ok(body: &Value) -> Response {
    let mut resp = created(body);
    *resp.status_mut() = StatusCode::OK;
    resp
}

/// Checks an `ExportCreation`; its delimiter and date format.
fn export_request(body: &Map<String, Value>) -> Result<(String, String), Problem> {
    let text = |k: &str| body.get(k).and_then(Value::as_str);
    match text("exportType") {
        Some("contacts") => {}
        Some("activities") => {
            return Err(unprocessable("Activity exports are not emulated."));
        }
        _ => {
            return Err(unprocessable(
                "\"exportType\" must be one of contacts, activities.",
            ));
        }
    }
    let delimiter = match text("delimiter") {
        Some(d @ ("," | ";")) => d.to_owned(),
        _ => return Err(unprocessable("\"delimiter\" must be one of ,, ;.")),
    };
    let date_format = match text("dateFormat") {
        Some("ISO") => "ISO".to_owned(),
        Some("L" | "LL" | "LLL") => {
            return Err(unprocessable("Only the ISO \"dateFormat\" is emulated."));
        }
        _ => {
            return Err(unprocessable(
                "\"dateFormat\" must be one of ISO, L, LL, LLL.",
            ));
        }
    };
    if let Some(version) = body.get("version")
        && !matches!(version.as_str(), Some("v1" | "v2"))
    {
        return Err(unprocessable("\"version\" must be one of v1, v2."));
    }
    if let Some(filters) = body.get("filters") {
        let filters = filters
            .as_object()
            .ok_or_else(|| unprocessable("\"filters\" must be an object."))?;
        for key in ["fromDate", "toDate", "activityTypes"] {
            if filters.contains_key(key) {
                return Err(unprocessable(format!(
                    "\"filters.{key}\" can be set only for \"activities\" export type."
                )));
            }
        }
        if filters.contains_key("segmentId") {
            return Err(unprocessable("Segment filters are not emulated."));
        }
    }
    for key in body.keys() {
        if ![
            "exportType",
            "delimiter",
            "dateFormat",
            "filters",
            "version",
        ]
        .contains(&key.as_str())
        {
            return Err(unprocessable(format!("\"{key}\" is not an export field.")));
        }
    }
    Ok((delimiter, date_format))
}

async fn post_export(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !content_type(&headers).starts_with("application/json") {
        return Problem::new(
            415,
            "Unsupported Media Type",
            "Request without application/json Content-Type header.",
        )
        .into_response();
    }
    let request = input::object(&body).and_then(|b| export_request(&b));
    match request {
        Ok((delimiter, date_format)) => {
            let contacts = st.store.contact_records();
            created(
                &st.jobs
                    .create_export(&contacts, &delimiter, &date_format, &st.base_url),
            )
        }
        Err(p) => p.into_response(),
    }
}

async fn get_export(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match st.jobs.export(&id, &origin(&st, &headers)) {
        Some(v) => ok(&v),
        None => Problem::not_found("Export not found.").into_response(),
    }
}

fn flag(parts: &std::collections::BTreeMap<String, Vec<u8>>, name: &str) -> Result<bool, Problem> {
    match parts.get(name).map(|v| v.as_slice()) {
        Some(b"true") => Ok(true),
        Some(b"false") => Ok(false),
        Some(_) => Err(unprocessable(format!("\"{name}\" must be true or false."))),
        None => Err(unprocessable(format!("\"{name}\" is required."))),
    }
}

/// The options and CSV text of an import request.
fn import_request(headers: &HeaderMap, body: &[u8]) -> Result<(ImportOptions, String), Problem> {
    let Some(boundary) = multipart::boundary(content_type(headers)) else {
        return Err(Problem::new(
            415,
            "Unsupported Media Type",
            "Request without multipart/form-data Content-Type header.",
        ));
    };
    let parts = multipart::parts(body, &boundary)
        .map_err(|why| Problem::bad_request(format!("Malformed multipart body: {why}.")))?;
    match parts.get("type").map(|v| v.as_slice()) {
        Some(b"contacts") => {}
        Some(b"products" | b"coupons") => {
            return Err(unprocessable("Only contacts imports are emulated."));
        }
        _ => {
            return Err(unprocessable(
                "\"type\" must be one of contacts, products, coupons.",
            ));
        }
    }
    let delimiter = match parts.get("delimiter").map(|v| v.as_slice()) {
        Some(b",") => ',',
        Some(b";") => ';',
        _ => return Err(unprocessable("\"delimiter\" must be one of ,, ;.")),
    };
    let override_existing = flag(&parts, "overrideExisting")?;
    let update_only_empty_fields = flag(&parts, "updateOnlyEmptyFields")?;
    if update_only_empty_fields && !override_existing {
        return Err(unprocessable(
            "\"updateOnlyEmptyFields\" can only be true if \"overrideExisting\" is also true.",
        ));
    }
    let file = parts
        .get("file")
        .ok_or_else(|| unprocessable("\"file\" is required."))?;
    if file.len() > MAX_IMPORT_BYTES {
        return Err(Problem::new(
            413,
            "Request Entity Too Large",
            "file is too big. Maximum allowed size is 50Mb.",
        ));
    }
    let text = String::from_utf8(file.clone())
        .map_err(|_| unprocessable("\"file\" must be a UTF-8 encoded CSV file."))?;
    let options = ImportOptions {
        delimiter,
        override_existing,
        update_only_empty_fields,
    };
    Ok((options, text))
}

/// One row as a contact patch (empty cells are not written).
fn row_patch(header: &[String], row: &[String]) -> Result<(String, Map<String, Value>), String> {
    let mut email = String::new();
    let mut patch = Map::new();
    for (column, value) in header.iter().zip(row) {
        let value = value.trim();
        if column == "_email" {
            email = value.to_owned();
        } else if !value.is_empty() {
            let typed = if column == "_points" {
                value
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| format!("\"_points\" must be an integer, not \"{value}\"."))?
            } else {
                Value::from(value)
            };
            patch.insert(column.clone(), typed);
        }
    }
    if !input::is_email(&email) {
        return Err(format!("\"{email}\" is not a valid email address."));
    }
    Ok((email, patch))
}

/// Applies the rows of an import; the count of data rows and the failed ones.
fn apply_import(
    st: &AppState,
    options: &ImportOptions,
    text: &str,
) -> Result<(usize, Vec<RowError>), Problem> {
    let rows = csvfile::parse(text, options.delimiter)
        .ok_or_else(|| unprocessable("\"file\" is not a valid CSV file."))?;
    let mut rows = rows.into_iter();
    let header: Vec<String> = rows
        .next()
        .unwrap_or_default()
        .into_iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if !header.iter().any(|h| h == "_email") {
        return Err(unprocessable("The CSV file must have an _email column."));
    }
    let mut total = 0;
    let mut failed = Vec::new();
    for row in rows {
        total += 1;
        let checked = row_patch(&header, &row).and_then(|(email, patch)| {
            let body = Value::Object(patch).to_string();
            input::contact_patch(body.as_bytes(), &st.config.custom_fields)
                .map(|patch| (email, patch))
                .map_err(|p| p.detail)
        });
        let (email, mut patch) = match checked {
            Ok(ok) => ok,
            Err(reason) => {
                let email = header
                    .iter()
                    .position(|h| h == "_email")
                    .and_then(|i| row.get(i))
                    .cloned()
                    .unwrap_or_default();
                failed.push(RowError {
                    row: total,
                    email,
                    reason,
                });
                continue;
            }
        };
        if let Some(existing) = st.store.contact(&email) {
            if !options.override_existing {
                continue;
            }
            if options.update_only_empty_fields {
                patch.retain(|k, _| {
                    existing
                        .get(k)
                        .is_none_or(|v| v.is_null() || v.as_str() == Some(""))
                });
            }
        }
        st.store.patch_contact(&email, patch);
        st.store.count_imported();
    }
    Ok((total, failed))
}

async fn post_import(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let applied = import_request(&headers, &body)
        .and_then(|(options, text)| apply_import(&st, &options, &text).map(|r| (options, r)));
    match applied {
        Ok((options, (total, failed))) => {
            created(
                &st.jobs
                    .create_import(options, total, failed, &origin(&st, &headers)),
            )
        }
        Err(p) => p.into_response(),
    }
}

async fn get_import(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match st.jobs.import(&id, &origin(&st, &headers)) {
        Some(v) => ok(&v),
        None => Problem::not_found("Import not found.").into_response(),
    }
}

/// The API routes of exports and imports (behind the key and the budget).
pub(crate) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/exports", axum::routing::post(post_export))
        .route("/exports/", axum::routing::post(post_export))
        .route("/exports/{id}", get(get_export))
        .route("/imports", axum::routing::post(post_import))
        .route("/imports/", axum::routing::post(post_import))
        .route("/imports/{id}", get(get_import))
}

async fn export_file(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    match st.jobs.export_file(&id) {
        Some(bytes) => ([(header::CONTENT_TYPE, "application/zip")], bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

async fn import_errors(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    match st.jobs.import_errors(&id) {
        Some(text) => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// The files exports and imports point to.
pub(crate) fn files_router(state: AppState) -> Router {
    Router::new()
        .route("/__files/exports/{id}/contacts.zip", get(export_file))
        .route("/__files/imports/{id}/errors.csv", get(import_errors))
        .with_state(state)
}
