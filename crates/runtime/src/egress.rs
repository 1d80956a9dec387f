//! Outgoing HTTP for connectors: the `wasi:http` send hook that enforces the egress policy.
//!
//! Every request is checked against the connection's allow-list (host and port of the URL
//! the guest built), then the host resolves the name itself and refuses loopback, private,
//! link-local and other non-public addresses unless the operator allows them. The
//! connection is made to the address that was checked, so a DNS answer that changes between
//! check and connect (rebinding) cannot slip through. Connect, first-byte and between-bytes
//! timeouts and a response-size cap bound what a slow or hostile server can do. Why a
//! request was refused is recorded in the call's [`EgressReport`], so the host can say it
//! plainly even though the guest only sees a wasi:http error code.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use super::budget::{RequestBudget, retry_after};
use super::hosts::AllowList;
use super::limits::SandboxLimits;

/// What one call may reach and how long it may wait.
#[derive(Debug, Clone)]
pub struct EgressPolicy {
    pub allow: AllowList,
    pub allow_private_networks: bool,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub between_bytes_timeout: Duration,
    pub max_response_bytes: u64,
    pub max_requests: u32,
    /// The connection's request budget: one permit per request; 429s pause it.
    pub budget: Option<Arc<RequestBudget>>,
}

impl EgressPolicy {
    pub fn new(
        allow: AllowList,
        budget: Option<Arc<RequestBudget>>,
        limits: &SandboxLimits,
    ) -> Self {
        Self {
            budget,
            allow,
            allow_private_networks: limits.allow_private_networks,
            connect_timeout: limits.connect_timeout(),
            first_byte_timeout: limits.first_byte_timeout(),
            between_bytes_timeout: limits.between_bytes_timeout(),
            max_response_bytes: limits.max_response_bytes(),
            max_requests: limits.max_requests_per_call,
        }
    }
}

/// The requests kept per call in [`EgressReport::log`] (a call may make up to
/// `max_requests_per_call`; a run's history needs the shape, not every one).
pub const LOGGED_REQUESTS: usize = 50;

/// One outgoing request as a run's history shows it. The query string is left out: it can
/// carry credentials (WooCommerce's `consumer_secret`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub method: String,
    /// `host:port/path`.
    pub target: String,
    /// The answer's status, when one came.
    pub status: Option<u16>,
    /// From the hook being called to the answer's headers (or the failure).
    pub duration_ms: u64,
    /// Of that, time spent waiting for the connection's request budget.
    pub budget_wait_ms: u64,
    /// Why no answer came (refused, timed out, ...).
    pub error: Option<String>,
}

/// What happened on the network during one call, for error messages and metrics.
#[derive(Debug, Default, Clone)]
pub struct EgressReport {
    pub requests: u32,
    /// The first [`LOGGED_REQUESTS`] requests.
    pub log: Vec<RequestRecord>,
    /// Human-readable reasons for refused requests and cut-off responses.
    pub refusals: Vec<String>,
    /// Set when a request was not sent because the connection's budget is paused after a
    /// rate-limit answer: how long the pause still lasts.
    pub budget_paused: Option<Duration>,
}

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;
type SendFuture =
    Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>;

/// The per-call `wasi:http` hooks.
pub struct EgressHooks {
    policy: Arc<EgressPolicy>,
    report: Arc<Mutex<EgressReport>>,
}

impl EgressHooks {
    /// The connection's request budget this call's requests go through, if any.
    pub(crate) fn budget(&self) -> Option<&Arc<RequestBudget>> {
        self.policy.budget.as_ref()
    }

    pub fn new(policy: EgressPolicy) -> Self {
        Self {
            policy: Arc::new(policy),
            report: Arc::default(),
        }
    }

    /// A snapshot of what happened so far.
    pub fn report(&self) -> EgressReport {
        self.report.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl WasiHttpHooks for EgressHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _request_body_result: IoFuture,
    ) -> SendFuture {
        let policy = self.policy.clone();
        let report = self.report.clone();
        Box::new(async move { send(policy, report, request, options).await })
    }
}

fn record(report: &Mutex<EgressReport>, why: String) {
    tracing::warn!(target: "junction::egress", "{why}");
    if let Ok(mut r) = report.lock()
        && r.refusals.len() < 20
    {
        r.refusals.push(why);
    }
}

/// Send one request and log it (method, target, status or error, time, budget wait).
async fn send(
    policy: Arc<EgressPolicy>,
    report: Arc<Mutex<EgressReport>>,
    request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<(http::Response<WasiBody>, IoFuture), HttpError> {
    let method = request.method().to_string();
    let uri = request.uri();
    let target = format!(
        "{}{}{}",
        uri.host().unwrap_or_default(),
        uri.port_u16().map(|p| format!(":{p}")).unwrap_or_default(),
        uri.path()
    );
    let started = std::time::Instant::now();
    let mut budget_wait = Duration::ZERO;
    let outcome = send_checked(policy, report.clone(), request, options, &mut budget_wait).await;
    let entry = RequestRecord {
        method,
        target,
        status: outcome.as_ref().ok().map(|(r, _)| r.status().as_u16()),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        budget_wait_ms: u64::try_from(budget_wait.as_millis()).unwrap_or(u64::MAX),
        error: outcome.as_ref().err().map(|e| format!("{e:?}")),
    };
    if let Ok(mut r) = report.lock()
        && r.log.len() < LOGGED_REQUESTS
    {
        r.log.push(entry);
    }
    outcome
}

async fn send_checked(
    policy: Arc<EgressPolicy>,
    report: Arc<Mutex<EgressReport>>,
    mut request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
    budget_wait: &mut Duration,
) -> Result<(http::Response<WasiBody>, IoFuture), HttpError> {
    let uri = request.uri().clone();
    let tls = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        other => {
            record(
                &report,
                format!("request to {uri} refused: scheme {other:?} is not http or https"),
            );
            return Err(HttpError::HttpRequestDenied);
        }
    };
    let host = uri
        .host()
        .ok_or(HttpError::HttpRequestUriInvalid)?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });

    let over_budget = report
        .lock()
        .map(|mut r| {
            r.requests += 1;
            r.requests > policy.max_requests
        })
        .unwrap_or(false);
    if over_budget {
        record(
            &report,
            format!(
                "request to {host}:{port} refused: the call already made its {} allowed requests",
                policy.max_requests
            ),
        );
        return Err(HttpError::HttpRequestDenied);
    }
    if !policy.allow.allows(&host, port) {
        record(
            &report,
            format!(
                "request to {host}:{port} refused: not an allowed destination for this connection (allowed: {})",
                policy.allow
            ),
        );
        return Err(HttpError::HttpRequestDenied);
    }

    let waiting = std::time::Instant::now();
    let acquired = match &policy.budget {
        Some(budget) => budget.acquire().await,
        None => Ok(()),
    };
    *budget_wait = waiting.elapsed();
    if let Err(paused) = acquired {
        if let Ok(mut r) = report.lock() {
            r.budget_paused = Some(paused.remaining);
        }
        record(
            &report,
            format!(
                "request to {host}:{port} not sent: the connection's request budget is paused or spent for {} ms (a rate-limit answer, or the budget the system reported)",
                paused.remaining.as_millis()
            ),
        );
        return Err(HttpError::HttpRequestDenied);
    }

    let connect_timeout = shorter(
        options.and_then(|o| o.connect_timeout),
        policy.connect_timeout,
    );
    let addrs = resolve(&host, port, connect_timeout).await?;
    let permitted: Vec<SocketAddr> = addrs
        .iter()
        .copied()
        .filter(|a| policy.allow_private_networks || is_public(a.ip()))
        .collect();
    if permitted.is_empty() {
        let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
        record(
            &report,
            format!(
                "request to {host}:{port} refused: it resolves to {} which is loopback, private or otherwise non-public, and private networks are not allowed (set sandbox.allow_private_networks to permit)",
                shown.join(", ")
            ),
        );
        return Err(HttpError::DestinationIpProhibited);
    }

    let stream = connect_first(&permitted, connect_timeout).await?;
    let stream: Box<dyn Stream> = if tls {
        Box::new(tls_handshake(&host, stream, connect_timeout).await?)
    } else {
        Box::new(stream)
    };
    let (mut sender, connection) = tokio::time::timeout(
        connect_timeout,
        hyper::client::conn::http1::handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| HttpError::ConnectionTimeout)??;
    let connection = tokio::spawn(connection);

    // The request line carries only the path; the Host header names the server.
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    *request.uri_mut() = path.parse().map_err(|_| HttpError::HttpRequestUriInvalid)?;

    let first_byte = shorter(
        options.and_then(|o| o.first_byte_timeout),
        policy.first_byte_timeout,
    );
    let response = tokio::time::timeout(first_byte, sender.send_request(request))
        .await
        .map_err(|_| HttpError::ConnectionReadTimeout)??;

    if let Some(budget) = &policy.budget
        && response.status() == http::StatusCode::TOO_MANY_REQUESTS
    {
        // Without a header, wait one budget interval (or a second when unlimited).
        let fallback = budget.limit().map_or(Duration::from_secs(1), |l| {
            l.interval().max(Duration::from_secs(1))
        });
        budget.pause_for(retry_after(response.headers(), fallback));
    }

    let declared = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared.filter(|len| *len > policy.max_response_bytes) {
        record(
            &report,
            format!(
                "response from {host}:{port} refused: {len} bytes exceeds the {} byte response cap",
                policy.max_response_bytes
            ),
        );
        return Err(HttpError::HttpResponseBodySize(Some(len)));
    }

    let between = shorter(
        options.and_then(|o| o.between_bytes_timeout),
        policy.between_bytes_timeout,
    );
    let origin = format!("{host}:{port}");
    let response = response.map(|incoming| {
        CappedBody {
            inner: incoming,
            remaining: policy.max_response_bytes,
            limit: policy.max_response_bytes,
            idle: between,
            idle_timer: Box::pin(tokio::time::sleep(between)),
            report: report.clone(),
            origin,
        }
        .boxed_unsync()
    });
    let io: IoFuture = Box::new(async move {
        match connection.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(HttpError::from(e)),
            Err(e) => Err(HttpError::InternalError(Some(e.to_string()))),
        }
    });
    Ok((response, io))
}

fn shorter(guest: Option<Duration>, policy: Duration) -> Duration {
    guest.map_or(policy, |g| g.min(policy))
}

async fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, HttpError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(HttpError::DnsTimeout),
        Ok(Err(e)) => Err(HttpError::DnsError {
            rcode: Some(e.to_string()),
            info_code: None,
        }),
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(HttpError::DestinationNotFound)
            } else {
                Ok(addrs)
            }
        }
    }
}

async fn connect_first(addrs: &[SocketAddr], timeout: Duration) -> Result<TcpStream, HttpError> {
    let mut last = HttpError::ConnectionRefused;
    for addr in addrs {
        match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) => last = HttpError::Connect(e),
            Err(_) => last = HttpError::ConnectionTimeout,
        }
    }
    Err(last)
}

trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// The TLS client configuration (webpki roots, ring), built once per process.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, HttpError> {
    static CONFIG: OnceLock<Option<Arc<rustls::ClientConfig>>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            match rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
            {
                Ok(builder) => Some(Arc::new(
                    builder.with_root_certificates(roots).with_no_client_auth(),
                )),
                Err(e) => {
                    tracing::error!(error = %e, "TLS configuration failed; https egress is unavailable");
                    None
                }
            }
        })
        .clone()
        .ok_or(HttpError::TlsProtocolError)
}

async fn tls_handshake(
    host: &str,
    stream: TcpStream,
    timeout: Duration,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, HttpError> {
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| HttpError::HttpRequestUriInvalid)?;
    let connector = tokio_rustls::TlsConnector::from(tls_config()?);
    tokio::time::timeout(timeout, connector.connect(name, stream))
        .await
        .map_err(|_| HttpError::ConnectionTimeout)?
        .map_err(HttpError::Tls)
}

/// True for addresses on the public internet. Everything a server could use to reach the
/// host itself or its internal network is excluded. IPv6 addresses that carry an IPv4
/// address (IPv4-mapped and -compatible, 6to4, Teredo) are judged by what they carry, so
/// `[::127.0.0.1]` or `[2002:7f00:1::]` is loopback, not public.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            let embedded = embedded_ipv4(v6);
            if embedded.is_empty() {
                is_public_v6(v6)
            } else {
                embedded.into_iter().all(is_public_v4)
            }
        }
    }
}

/// The IPv4 addresses an IPv6 address carries, by its prefix: `::/96` (IPv4-compatible,
/// which includes `::` and `::1`), `::ffff:0:0/96` (IPv4-mapped), `2002::/16` (6to4: the
/// next 32 bits) and `2001::/32` (Teredo: the server in bits 32-63, the client inverted in
/// the last 32).
fn embedded_ipv4(ip: Ipv6Addr) -> Vec<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0 | 0xffff, hi, lo] => vec![v4(hi, lo)],
        [0x2002, hi, lo, ..] => vec![v4(hi, lo)],
        [0x2001, 0, server_hi, server_lo, _, _, client_hi, client_lo] => {
            vec![v4(server_hi, server_lo), v4(!client_hi, !client_lo)]
        }
        _ => Vec::new(),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated, still routed internally)
        || (first == 0x0100 && ip.segments()[1..4] == [0, 0, 0]) // discard-only
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64 (well-known and local-use) reaches IPv4 space
}

/// A response body with a size cap and an idle timeout.
struct CappedBody {
    inner: Incoming,
    remaining: u64,
    limit: u64,
    idle: Duration,
    idle_timer: Pin<Box<tokio::time::Sleep>>,
    report: Arc<Mutex<EgressReport>>,
    origin: String,
}

impl Body for CappedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let len = data.len() as u64;
                    if len > this.remaining {
                        record(
                            &this.report,
                            format!(
                                "response from {} cut off: body exceeds the {} byte response cap",
                                this.origin, this.limit
                            ),
                        );
                        this.remaining = 0;
                        return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(None))));
                    }
                    this.remaining -= len;
                }
                let deadline = tokio::time::Instant::now() + this.idle;
                this.idle_timer.as_mut().reset(deadline);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(if e.is_timeout() {
                HttpError::HttpResponseTimeout
            } else {
                HttpError::from(e)
            }))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match this.idle_timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    record(
                        &this.report,
                        format!(
                            "response from {} stalled for {} ms and was cut off",
                            this.origin,
                            this.idle.as_millis()
                        ),
                    );
                    Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "255.255.255.255",
            // IPv4 carried in IPv6: compatible, 6to4 and Teredo (server or client private).
            "::127.0.0.1",
            "::10.0.0.1",
            "::",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2001:0:7f00:1::1",
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            "fec0::1",
            "100::1",
            "64:ff9b:1::a00:1",
        ] {
            let parsed: IpAddr = ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
            assert!(!is_public(parsed), "{ip} must not count as public");
        }
        for ip in [
            "93.184.216.34",
            "2606:4700::1111",
            "8.8.8.8",
            "::ffff:93.184.216.34",
            "2002:5db8:d822::1",
            "2001:0:4136:e378:8000:63bf:a247:27dd",
        ] {
            let parsed: IpAddr = ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
            assert!(is_public(parsed), "{ip} is public");
        }
    }
}
