//! Connectors: the installed connectors with their versions and capabilities (from the
//! registry's snapshot, as `GET /api/v1/admin/connectors` lists them), the hot-reload
//! status of the plugins directory (every file, with the load error of each broken one),
//! and for the operator an upload form. An upload runs the component's code for every
//! tenant, so only the operator may send one; users see the page read-only.
//!
//! The upload is the portal's one multipart form: the CSRF guard (`super::csrf`) refuses
//! anyone but the operator before reading the body and checks the leading `csrf` field;
//! [`upload`] then takes one of the few upload slots (`sync::components::upload_slot`; busy
//! means 429, before the body is read) and reads the file up to the component limit; the
//! component then goes through `sync::components::publish` exactly as
//! the admin API's upload does (validated completely before it replaces anything, stored in
//! the database for every host, installed here), and the page says
//! what was installed (post/redirect/get, the notice carried in the query) or why not (422).

use std::path::Path;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::PortalState;
use super::error::{PortalError, render};
use super::session::SignedIn;
use super::views::{Badge, ErrorPage, Nav, Section};
use junction_domain::connectors::{self, MAX_COMPONENT_BYTES, UploadError, upload_slot};
use junction_runtime::connector::LoadedConnector;
use junction_runtime::registry::FileStatus;

/// Where the page lives and the upload form posts to.
pub const UPLOAD_PATH: &str = "/portal/connectors";
/// The upload form's file field.
const FILE_FIELD: &str = "component";

/// This part's routes (full paths), merged into the portal router.
pub fn routes() -> Router<PortalState> {
    Router::new().route(UPLOAD_PATH, get(page).post(upload))
}

/// One installed connector.
pub struct ConnectorView {
    pub key: String,
    pub name: String,
    pub version: String,
    pub description: String,
    pub resources: Vec<String>,
    pub writes: Vec<String>,
    /// "100 requests per 60 seconds", or none declared.
    pub rate_limit: Option<String>,
    /// Where its sandbox may connect (the manifest's egress allow-list).
    pub hosts: Vec<EgressHost>,
    /// The file it was loaded from (a full path for the operator, the name for users).
    pub file: String,
    pub digest: String,
    pub size: String,
}

/// One entry of a connector's egress allow-list: a fixed host (`api.example.com`,
/// `*.example.com`, `host:443`), or the host of a connection setting (`config:base_url`:
/// each connection's own shop).
pub struct EgressHost {
    pub host: String,
    /// The setting naming the host, for `config:<setting>` entries.
    pub setting: Option<String>,
}

/// One file of the plugins directory.
pub struct FileView {
    pub file: String,
    pub status: Badge,
    /// What it serves (`woocommerce 1.2.0`) when loaded.
    pub serves: Option<String>,
    /// Why it failed to load, in full.
    pub error: Option<String>,
    pub digest: String,
}

#[derive(Template)]
#[template(path = "portal/connectors.html")]
pub struct ConnectorsPage {
    pub title: &'static str,
    pub nav: Nav,
    pub operator: bool,
    pub connectors: Vec<ConnectorView>,
    pub files: Vec<FileView>,
    /// How many files failed to load.
    pub broken: usize,
    /// The watched plugins directory (operator only; users see none).
    pub plugins_dir: Option<String>,
    pub notice: Option<String>,
    /// Why the last upload was refused (beside the file input).
    pub upload_error: Option<String>,
}

/// The query carrying the notice of a successful upload across the redirect.
#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    installed: Option<String>,
    version: Option<String>,
    was: Option<String>,
}

/// `GET /portal/connectors`.
pub async fn page(
    State(state): State<PortalState>,
    session: SignedIn,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let notice = notice(&query);
    render(StatusCode::OK, &build(&state, &session, notice, None))
}

/// `POST /portal/connectors` (multipart: `csrf`, `component`), operator only.
pub async fn upload(
    State(state): State<PortalState>,
    session: SignedIn,
    request: Request,
) -> Response {
    if !session.is_operator() {
        return not_allowed();
    }
    let Some(_slot) = upload_slot() else {
        return PortalError::Busy("Other connector uploads are being read.".into()).into_response();
    };
    let bytes = match component_of(request).await {
        Ok(bytes) => bytes,
        Err(UploadProblem::TooLarge) => return PortalError::TooLarge.into_response(),
        Err(UploadProblem::Invalid(message)) => return refused(&state, &session, message),
    };
    // The admin API's path: validated, stored in the database for every host, installed here.
    match connectors::upload(&state.hub.store, &state.hub.registry, bytes.to_vec()).await {
        Ok(uploaded) => {
            let mut query = vec![
                ("installed", uploaded.connector.key),
                ("version", uploaded.connector.version),
            ];
            if let Some(was) = uploaded.previous_version {
                query.push(("was", was));
            }
            let query = serde_urlencoded::to_string(query).unwrap_or_default();
            Redirect::to(&format!("{UPLOAD_PATH}?{query}")).into_response()
        }
        Err(UploadError::Local(message)) => PortalError::Internal(message).into_response(),
        Err(UploadError::Store(e)) => PortalError::from(e).into_response(),
        Err(UploadError::Busy) => {
            PortalError::Busy("Other connector uploads are being read.".into()).into_response()
        }
        Err(UploadError::Invalid(message)) => refused(&state, &session, message),
    }
}

/// Why an upload's body held no component to install.
#[derive(Debug, PartialEq, Eq)]
enum UploadProblem {
    TooLarge,
    /// Shown beside the file input.
    Invalid(String),
}

/// The `component` file of the upload form.
async fn component_of(request: Request) -> Result<Bytes, UploadProblem> {
    let Some(boundary) = super::csrf::multipart_boundary(request.headers()) else {
        return Err(UploadProblem::Invalid(
            "the upload must be sent by the form (multipart/form-data with a file)".into(),
        ));
    };
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().for_field(FILE_FIELD, MAX_COMPONENT_BYTES as u64));
    let stream = request.into_body().into_data_stream();
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let unreadable = |e: multer::Error| match e {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            UploadProblem::TooLarge
        }
        other => UploadProblem::Invalid(format!("the upload could not be read: {other}")),
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() == Some(FILE_FIELD) {
            let bytes = field.bytes().await.map_err(unreadable)?;
            if bytes.is_empty() {
                break;
            }
            return Ok(bytes);
        }
    }
    // The admin API's words for an empty body, said of the form's file.
    Err(UploadProblem::Invalid(
        "the file must be the connector component (.wasm bytes): choose one to upload".into(),
    ))
}

/// The page again, with the upload's error beside the file input (422).
fn refused(state: &PortalState, session: &SignedIn, message: String) -> Response {
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &build(state, session, None, Some(message)),
    )
}

/// A user's upload: refused whatever it holds (the CSRF guard answers this too, before
/// reading the body).
pub(super) fn not_allowed() -> Response {
    render(
        StatusCode::FORBIDDEN,
        &ErrorPage {
            title: "Not allowed",
            heading: "Not allowed",
            message: "Only the operator can upload connectors: an uploaded connector runs for \
                      every tenant on this server. Ask your Junction operator to install it.",
        },
    )
}

/// The success notice, from the redirect's query: shown only when every part looks like a
/// connector key and versions (anything else in the link is ignored, not echoed).
fn notice(query: &NoticeQuery) -> Option<String> {
    let plain = |v: &str| {
        !v.is_empty()
            && v.len() <= 64
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
    };
    let key = query.installed.as_deref().filter(|v| plain(v))?;
    let version = query.version.as_deref().filter(|v| plain(v))?;
    Some(match query.was.as_deref() {
        Some(was) if plain(was) => format!("{key} {version} installed (was {was})."),
        Some(_) => return None,
        None => format!("{key} {version} installed (a new connector)."),
    })
}

fn build(
    state: &PortalState,
    session: &SignedIn,
    notice: Option<String>,
    upload_error: Option<String>,
) -> ConnectorsPage {
    let operator = session.is_operator();
    let registry = &state.hub.registry;
    let snapshot = registry.snapshot();
    // Users see file names only: where the server keeps its files is the operator's business.
    let shown = |path: &Path| {
        if operator {
            path.display().to_string()
        } else {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        }
    };
    let connectors = snapshot
        .connectors()
        .map(|c| connector_view(c, shown(&c.source)))
        .collect();
    // Load errors name the file by its full path: users get it without the directory.
    let dir_prefix = format!("{}{}", registry.dir().display(), std::path::MAIN_SEPARATOR);
    let files: Vec<FileView> = snapshot
        .files()
        .map(|(path, status)| {
            let mut view = file_view(shown(path), status);
            if !operator {
                view.error = view.error.map(|e| e.replace(&dir_prefix, ""));
            }
            view
        })
        .collect();
    let broken = files.iter().filter(|f| f.error.is_some()).count();
    ConnectorsPage {
        title: "Connectors",
        nav: Nav::new(session, Section::Connectors),
        operator,
        connectors,
        files,
        broken,
        plugins_dir: operator.then(|| registry.dir().display().to_string()),
        notice,
        upload_error,
    }
}

fn connector_view(c: &LoadedConnector, file: String) -> ConnectorView {
    let m = &c.manifest;
    ConnectorView {
        key: m.key.clone(),
        name: m.name.clone(),
        version: m.version.clone(),
        description: m.description.clone(),
        resources: m.resources.iter().map(|r| r.as_str().to_string()).collect(),
        writes: m.writes.iter().map(|w| w.as_str().to_string()).collect(),
        rate_limit: m.rate_limit.as_ref().map(|l| {
            let per = match l.per_seconds {
                1 => "second".to_string(),
                n => format!("{n} seconds"),
            };
            format!("{} requests per {per}", l.requests)
        }),
        hosts: m
            .hosts
            .iter()
            .map(|h| EgressHost {
                host: h.clone(),
                setting: h.strip_prefix("config:").map(str::to_string),
            })
            .collect(),
        file,
        digest: c.digest.clone(),
        size: size_text(c.size_bytes),
    }
}

fn file_view(file: String, status: &FileStatus) -> FileView {
    match status {
        FileStatus::Loaded {
            key,
            version,
            digest,
        } => FileView {
            file,
            status: Badge {
                label: "Loaded".into(),
                tone: "good",
            },
            serves: Some(format!("{key} {version}")),
            error: None,
            digest: digest.clone(),
        },
        FileStatus::Failed { error, digest } => FileView {
            file,
            status: Badge {
                label: "Failed to load".into(),
                tone: "bad",
            },
            serves: None,
            error: Some(error.clone()),
            digest: digest.clone(),
        },
    }
}

/// A size for people: `812 KiB`, `14.2 MiB`.
fn size_text(bytes: usize) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} bytes")
    } else if b < KIB * KIB {
        format!("{:.0} KiB", b / KIB)
    } else {
        format!("{:.1} MiB", b / (KIB * KIB))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn query(installed: &str, version: &str, was: Option<&str>) -> NoticeQuery {
        NoticeQuery {
            installed: Some(installed.into()),
            version: Some(version.into()),
            was: was.map(str::to_string),
        }
    }

    #[test]
    fn the_notice_says_what_was_installed_and_ignores_anything_odd() {
        assert_eq!(
            notice(&query("woocommerce", "1.2.0", Some("1.1.0"))).as_deref(),
            Some("woocommerce 1.2.0 installed (was 1.1.0).")
        );
        assert_eq!(
            notice(&query("minimal", "0.1.0-rc.1+b7", None)).as_deref(),
            Some("minimal 0.1.0-rc.1+b7 installed (a new connector).")
        );
        assert_eq!(notice(&NoticeQuery::default()), None);
        assert_eq!(notice(&query("<script>", "1.0.0", None)), None);
        assert_eq!(notice(&query("shop", "1 0", None)), None);
        assert_eq!(notice(&query("shop", "1.0.0", Some("x\"y"))), None);
        assert_eq!(notice(&query("shop", "", None)), None);
        assert_eq!(notice(&query(&"a".repeat(65), "1.0.0", None)), None);
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_text(900), "900 bytes");
        assert_eq!(size_text(812 * 1024), "812 KiB");
        assert_eq!(size_text(14 * 1024 * 1024 + 200 * 1024), "14.2 MiB");
    }

    #[test]
    fn a_broken_file_shows_its_error_and_a_loaded_one_what_it_serves() {
        let broken = file_view(
            "x.wasm".into(),
            &FileStatus::Failed {
                error: "x.wasm is not a WebAssembly component: bad magic".into(),
                digest: "ab".into(),
            },
        );
        assert_eq!(broken.status.label, "Failed to load");
        assert_eq!(broken.status.tone, "bad");
        assert!(broken.error.unwrap().contains("bad magic"));
        let loaded = file_view(
            "shop.wasm".into(),
            &FileStatus::Loaded {
                key: "shop".into(),
                version: "1.0.0".into(),
                digest: "cd".into(),
            },
        );
        assert_eq!(loaded.serves.as_deref(), Some("shop 1.0.0"));
        assert_eq!(loaded.error, None);
    }
}
