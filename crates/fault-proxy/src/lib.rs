//! A fault-injecting reverse proxy: put it in front of any HTTP origin (an emulator, a real
//! server) to make that system misbehave on demand, and to see the traffic a client sends.
//!
//! Every request is forwarded to the origin with its method, path, query, headers (the
//! `Host` header included, so the origin builds links that point back at the proxy) and
//! body, and the origin's status, headers and body come back unchanged. Switchable faults
//! ([`ProxyFault`]) answer instead of the origin: 401 with a JSON body, 429 with
//! `Retry-After`, 500, a stall (no answer for longer than any sane client timeout), or add
//! latency. Faults follow the same rules as the emulators' faults: each is
//! considered in list order, its `remaining` budget is spent on every request it sees,
//! latencies add up and the first terminal fault decides the answer.
//!
//! It is a crate of its own because two front ends use it: the conformance checks
//! (`junction connector check` and the test suite) and the emulators' tests. [`server`] is
//! the small serving layer the emulators share with it.

pub mod server;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::server::ServerTask;

/// The largest request body the proxy forwards.
const MAX_REQUEST_BODY: usize = 64 << 20;

/// What a proxy fault does to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProxyFaultKind {
    /// Wait `ms` milliseconds, then forward (or apply the next terminal fault).
    Latency { ms: u64 },
    /// Answer 401 with a JSON body, as a system refusing the credentials would.
    Unauthorized,
    /// Answer 429 with `Retry-After: <retry_after_secs>`.
    RateLimited { retry_after_secs: u64 },
    /// Answer 500 with a JSON body.
    ServerError,
    /// Send nothing for `ms` milliseconds, then answer 504: long enough that a client with
    /// a shorter timeout gives up first.
    Stall { ms: u64 },
}

/// A proxy fault and how many requests it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyFault {
    #[serde(flatten)]
    pub kind: ProxyFaultKind,
    /// Apply to the next N requests only; `None` = until cleared.
    #[serde(default)]
    pub remaining: Option<u64>,
}

impl ProxyFault {
    /// A fault on every request until cleared.
    pub fn always(kind: ProxyFaultKind) -> Self {
        Self {
            kind,
            remaining: None,
        }
    }

    /// A fault on each of the next `n` requests.
    pub fn times(kind: ProxyFaultKind, n: u64) -> Self {
        Self {
            kind,
            remaining: Some(n),
        }
    }
}

/// One request the proxy received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    pub method: String,
    /// Path and query, e.g. `/wp-json/wc/v3/orders?page=2`.
    pub path_and_query: String,
    /// The status the proxy answered with; `None` while the request is still in flight.
    /// An unreachable origin answers 502.
    pub status: Option<u16>,
    /// Whether a fault (latency included) applied.
    pub faulted: bool,
    /// When the request arrived (for pacing checks).
    pub received: std::time::Instant,
}

/// What one request gets: a delay, and an answer instead of the origin's.
#[derive(Debug, Default)]
struct Decision {
    latency: Duration,
    terminal: Option<ProxyFaultKind>,
}

#[derive(Debug)]
struct Shared {
    origin: String,
    client: reqwest::Client,
    faults: Mutex<Vec<ProxyFault>>,
    seen: Mutex<Vec<SeenRequest>>,
    requests: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn decide(&self) -> Decision {
        let mut faults = lock(&self.faults);
        let mut decision = Decision::default();
        for fault in faults.iter_mut() {
            if let Some(n) = fault.remaining.as_mut() {
                *n = n.saturating_sub(1);
            }
            match &fault.kind {
                ProxyFaultKind::Latency { ms } => decision.latency += Duration::from_millis(*ms),
                other if decision.terminal.is_none() => decision.terminal = Some(other.clone()),
                _ => {}
            }
        }
        faults.retain(|f| f.remaining != Some(0));
        decision
    }

    /// Records a request; returns its index in the log.
    fn record(&self, method: &str, path_and_query: &str, faulted: bool) -> usize {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut seen = lock(&self.seen);
        seen.push(SeenRequest {
            method: method.to_owned(),
            path_and_query: path_and_query.to_owned(),
            status: None,
            faulted,
            received: std::time::Instant::now(),
        });
        seen.len() - 1
    }

    fn answered(&self, index: usize, status: StatusCode) {
        if let Some(entry) = lock(&self.seen).get_mut(index) {
            entry.status = Some(status.as_u16());
        }
    }
}

/// A running proxy. Dropping it stops the server.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: ServerTask,
}

/// Why a proxy did not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("proxy origin `{0}` must be an http:// or https:// URL")]
    Origin(String),
    #[error(transparent)]
    Bind(#[from] server::BindError),
    #[error("building the proxy's HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Starts a proxy on a free loopback port in front of `origin` (e.g.
/// `http://127.0.0.1:8090`; a trailing `/` is ignored).
pub async fn start_proxy(origin: &str) -> Result<FaultProxy, ProxyError> {
    let origin = origin.trim_end_matches('/').to_owned();
    if !(origin.starts_with("http://") || origin.starts_with("https://")) {
        return Err(ProxyError::Origin(origin));
    }
    let bound = server::bind("fault proxy", SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let client = reqwest::Client::builder()
        // The client follows nothing itself: redirects go back to the caller as they are.
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let shared = Arc::new(Shared {
        origin,
        client,
        faults: Mutex::new(Vec::new()),
        seen: Mutex::new(Vec::new()),
        requests: AtomicU64::new(0),
    });
    let app = Router::new().fallback(handle).with_state(shared.clone());
    let (server, addr, _) = bound.serve(app);
    Ok(FaultProxy {
        addr,
        shared,
        server,
    })
}

impl FaultProxy {
    /// The proxy's origin-form URL, e.g. `http://127.0.0.1:41234`: use it where the
    /// system's URL would go.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the proxy listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The origin requests are forwarded to.
    pub fn origin(&self) -> &str {
        &self.shared.origin
    }

    /// Replaces the active faults.
    pub fn set_faults(&self, faults: Vec<ProxyFault>) {
        *lock(&self.shared.faults) = faults
            .into_iter()
            .filter(|f| f.remaining != Some(0))
            .collect();
    }

    /// Makes every request misbehave with `kind` until cleared.
    pub fn set_fault(&self, kind: ProxyFaultKind) {
        self.set_faults(vec![ProxyFault::always(kind)]);
    }

    /// Removes all faults: requests pass through again.
    pub fn clear_faults(&self) {
        self.set_faults(Vec::new());
    }

    /// The faults still active.
    pub fn faults(&self) -> Vec<ProxyFault> {
        lock(&self.shared.faults).clone()
    }

    /// Requests received so far, faulted ones included.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Every request received so far, oldest first.
    pub fn seen(&self) -> Vec<SeenRequest> {
        lock(&self.shared.seen).clone()
    }

    /// Stops the server and waits (up to 5 s) for it to finish.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().to_string();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let decision = shared.decide();
    let faulted = decision.terminal.is_some() || !decision.latency.is_zero();
    let index = shared.record(&method, &path_and_query, faulted);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let response = match decision.terminal {
        Some(kind) => injected(kind).await,
        None => forward(&shared, request, &path_and_query).await,
    };
    shared.answered(index, response.status());
    response
}

/// The answer a terminal fault gives instead of the origin's.
async fn injected(kind: ProxyFaultKind) -> Response {
    match kind {
        ProxyFaultKind::Unauthorized => json_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The credentials were refused (injected by the fault proxy).",
        ),
        ProxyFaultKind::RateLimited { retry_after_secs } => {
            let mut response = json_error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests (injected by the fault proxy).",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        ProxyFaultKind::ServerError => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            "The server failed (injected by the fault proxy).",
        ),
        ProxyFaultKind::Stall { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            json_error(
                StatusCode::GATEWAY_TIMEOUT,
                "stalled",
                "The request stalled (injected by the fault proxy).",
            )
        }
        // Latency alone never decides an answer (see `Shared::decide`); forwarding is the
        // caller's job, so this arm only keeps the match total.
        ProxyFaultKind::Latency { .. } => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            "latency is not a terminal fault",
        ),
    }
}

fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "code": code,
        "message": message,
        "data": {"status": status.as_u16()},
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

/// Headers that describe one connection, not the message: never forwarded (RFC 9110 7.6.1).
fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
    )
}

fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if !is_hop_by_hop(name) {
            to.append(name.clone(), value.clone());
        }
    }
}

/// Sends the request on to the origin and relays its answer; 502 when the origin cannot be
/// reached or its body cannot be read.
async fn forward(shared: &Shared, request: Request, path_and_query: &str) -> Response {
    let (parts, body) = request.into_parts();
    let body: Bytes = match axum::body::to_bytes(body, MAX_REQUEST_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "bad_request_body",
                &format!("reading the request body: {e}"),
            );
        }
    };
    let url = format!("{}{}", shared.origin, path_and_query);
    let mut headers = HeaderMap::new();
    copy_headers(&parts.headers, &mut headers);
    let sent = shared
        .client
        .request(parts.method, &url)
        .headers(headers)
        .body(body)
        .send()
        .await;
    let upstream = match sent {
        Ok(response) => response,
        Err(e) => {
            return json_error(
                StatusCode::BAD_GATEWAY,
                "origin_unreachable",
                &format!("forwarding to {url}: {e}"),
            );
        }
    };
    let status = upstream.status();
    let mut response_headers = HeaderMap::new();
    copy_headers(upstream.headers(), &mut response_headers);
    let bytes = match upstream.bytes().await {
        Ok(bytes) => bytes,
        Err(e) => {
            return json_error(
                StatusCode::BAD_GATEWAY,
                "origin_body",
                &format!("reading the answer of {url}: {e}"),
            );
        }
    };
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = response_headers;
    response
}
