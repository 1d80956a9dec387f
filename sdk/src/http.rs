//! A small blocking HTTP client over the raw `wasi:http` bindings of the [`wasip2`] crate.
//!
//! A connector's only way out of its sandbox is `wasi:http/outgoing-handler`, and the host
//! allows only the hosts of its manifest. This module wraps the resource dance (fields,
//! outgoing request and body, future response, input stream) into builder-style requests:
//!
//! ```ignore
//! use junction_sdk::http::Client;
//!
//! let client = Client::new("https://shop.example.com/wp-json/wc/v3/")?
//!     .basic_auth("ck_...", "cs_...")
//!     .timeout(std::time::Duration::from_secs(30));
//! let orders: Vec<serde_json::Value> = client
//!     .get(["orders"])
//!     .query("per_page", 100)
//!     .send_ok()?          // non-2xx answers become the matching ConnectorError
//!     .json()?;            // malformed JSON becomes an `upstream` error
//! ```
//!
//! Every failure is already a [`ConnectorError`]: transport failures (DNS, refused or reset
//! connections, timeouts, the host's egress denial, a truncated body) are `transport`, HTTP
//! error statuses are mapped by [`crate::error::status_error`], and bodies that are not the
//! expected JSON are `upstream`. Calls block the (single-threaded) component until the answer
//! is complete; the host bounds the total time of a call.
//!
//! Timeouts are passed to the host as `wasi:http` request options (connect, first byte,
//! between bytes); a host that refuses to set one is not an error, its own limits apply.
//! Response bodies are read completely, up to a size cap ([`DEFAULT_MAX_BODY_BYTES`] unless
//! set with [`Request::max_body_bytes`]).

use std::fmt;
use std::time::{Duration, Instant};

pub use crate::url::Url;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{self, ConnectorResult};
use crate::types::ConnectorError;

/// The default cap on a response body: 32 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// How much a single read asks the stream for.
const READ_CHUNK: u64 = 64 * 1024;
/// `blocking-write-and-flush` accepts at most 4096 bytes per call.
const WRITE_CHUNK: usize = 4096;

/// An HTTP method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    /// Any other method, by name.
    Other(String),
}

impl Method {
    /// The method's name, e.g. `GET`.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other(name) => name,
        }
    }

    fn to_wasi(&self) -> wasip2::http::types::Method {
        use wasip2::http::types::Method as M;
        match self {
            Method::Get => M::Get,
            Method::Head => M::Head,
            Method::Post => M::Post,
            Method::Put => M::Put,
            Method::Patch => M::Patch,
            Method::Delete => M::Delete,
            Method::Options => M::Options,
            Method::Other(name) => M::Other(name.clone()),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Header fields: an ordered list of (name, value) pairs, looked up case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(String, Vec<u8>)>,
}

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Headers from (name, value) pairs.
    pub fn from_pairs<N: Into<String>, V: AsRef<[u8]>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        Self {
            entries: pairs
                .into_iter()
                .map(|(n, v)| (n.into(), v.as_ref().to_vec()))
                .collect(),
        }
    }

    /// The first value of a header as text (case-insensitive name; `None` when absent or not
    /// valid UTF-8). Surrounding whitespace is trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .find_map(|(_, v)| std::str::from_utf8(v).ok())
            .map(str::trim)
    }

    /// All values of a header as text, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
            .map(str::trim)
    }

    /// Whether a header is present.
    pub fn contains(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// Appends a header.
    pub fn append(&mut self, name: impl Into<String>, value: impl AsRef<[u8]>) {
        self.entries.push((name.into(), value.as_ref().to_vec()));
    }

    /// Replaces every value of a header with one value.
    pub fn set(&mut self, name: impl Into<String>, value: impl AsRef<[u8]>) {
        let name = name.into();
        self.entries.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.entries.push((name, value.as_ref().to_vec()));
    }

    /// Iterates over all (name, raw value) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// The number of header lines.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Timeouts passed to the host with each request. `None` leaves the host's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Time to establish the connection.
    pub connect: Option<Duration>,
    /// Time from sending the request to the first byte of the response.
    pub first_byte: Option<Duration>,
    /// Longest pause between two chunks of the response body.
    pub between_bytes: Option<Duration>,
}

impl Timeouts {
    /// One overall budget: connect within it (at most 10 s), first byte and every later
    /// chunk within it.
    pub fn uniform(timeout: Duration) -> Self {
        Self {
            connect: Some(timeout.min(Duration::from_secs(10))),
            first_byte: Some(timeout),
            between_bytes: Some(timeout),
        }
    }
}

/// Shared settings for the requests to one API: a base URL, default headers, auth,
/// timeouts and the body cap.
#[derive(Debug, Clone)]
pub struct Client {
    base: Url,
    headers: Headers,
    timeouts: Timeouts,
    max_body_bytes: usize,
}

impl Client {
    /// A client for the API under `base_url` (must be absolute `http` or `https`).
    ///
    /// Fails with `invalid-config` (field `base_url`) when the URL is not usable; use
    /// [`Client::from_url`] to choose the error yourself.
    pub fn new(base_url: &str) -> ConnectorResult<Self> {
        let url = crate::config::http_url("base_url", base_url)?;
        Ok(Self::from_url(url))
    }

    /// A client for an already parsed and checked base URL.
    pub fn from_url(base: Url) -> Self {
        Self {
            base,
            headers: Headers::new(),
            timeouts: Timeouts::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// Adds a header sent with every request.
    pub fn header(mut self, name: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sends HTTP Basic credentials with every request.
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.headers
            .set("authorization", basic_auth_value(user, password));
        self
    }

    /// Sends a bearer token with every request.
    pub fn bearer_auth(mut self, token: &str) -> Self {
        self.headers.set("authorization", format!("Bearer {token}"));
        self
    }

    /// Sets all timeouts from one budget (see [`Timeouts::uniform`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeouts = Timeouts::uniform(timeout);
        self
    }

    /// Sets the timeouts individually.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Sets the response body cap for every request.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The URL of a resource below the base: each segment is appended as one path segment,
    /// percent-encoded (so an id can never escape its place in the path).
    pub fn url<S: AsRef<str>>(&self, segments: impl IntoIterator<Item = S>) -> Url {
        join_segments(&self.base, segments)
    }

    /// A request to a path below the base URL (see [`Client::url`]).
    pub fn request<S: AsRef<str>>(
        &self,
        method: Method,
        segments: impl IntoIterator<Item = S>,
    ) -> Request {
        self.request_url(method, self.url(segments))
    }

    /// A request to an absolute URL (e.g. a `Link: rel="next"` target) with this client's
    /// headers and settings.
    pub fn request_url(&self, method: Method, url: Url) -> Request {
        Request {
            method,
            url,
            headers: self.headers.clone(),
            body: None,
            timeouts: self.timeouts,
            max_body_bytes: self.max_body_bytes,
        }
    }

    /// A `GET` below the base URL.
    pub fn get<S: AsRef<str>>(&self, segments: impl IntoIterator<Item = S>) -> Request {
        self.request(Method::Get, segments)
    }

    /// A `POST` below the base URL.
    pub fn post<S: AsRef<str>>(&self, segments: impl IntoIterator<Item = S>) -> Request {
        self.request(Method::Post, segments)
    }

    /// A `PUT` below the base URL.
    pub fn put<S: AsRef<str>>(&self, segments: impl IntoIterator<Item = S>) -> Request {
        self.request(Method::Put, segments)
    }

    /// A `PATCH` below the base URL.
    pub fn patch<S: AsRef<str>>(&self, segments: impl IntoIterator<Item = S>) -> Request {
        self.request(Method::Patch, segments)
    }

    /// A `DELETE` below the base URL.
    pub fn delete<S: AsRef<str>>(&self, segments: impl IntoIterator<Item = S>) -> Request {
        self.request(Method::Delete, segments)
    }
}

/// Appends path segments to a base URL, percent-encoding each one. A trailing `/` of the
/// base does not produce an empty segment.
pub fn join_segments<S: AsRef<str>>(base: &Url, segments: impl IntoIterator<Item = S>) -> Url {
    let mut url = base.clone();
    for segment in segments {
        url.push_segment(segment.as_ref());
    }
    url
}

/// The `Authorization` value for HTTP Basic credentials.
pub fn basic_auth_value(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// One HTTP request, built step by step and sent with [`Request::send`].
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    url: Url,
    headers: Headers,
    body: Option<Vec<u8>>,
    timeouts: Timeouts,
    max_body_bytes: usize,
}

impl Request {
    /// A request to an absolute URL.
    pub fn new(method: Method, url: &str) -> ConnectorResult<Self> {
        let url = Url::parse(url)
            .map_err(|e| ConnectorError::internal(format!("invalid request URL {url:?}: {e}")))?;
        Ok(Self {
            method,
            url,
            headers: Headers::new(),
            body: None,
            timeouts: Timeouts::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        })
    }

    /// A `GET` of an absolute URL.
    pub fn get(url: &str) -> ConnectorResult<Self> {
        Self::new(Method::Get, url)
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL, including the query parameters added so far.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The headers so far.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The body so far.
    pub fn body_bytes(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// Appends a query parameter (form-urlencoded).
    pub fn query(mut self, name: &str, value: impl fmt::Display) -> Self {
        self.url.append_query_pair(name, &value.to_string());
        self
    }

    /// Appends a query parameter when the value is present.
    pub fn query_opt(self, name: &str, value: Option<impl fmt::Display>) -> Self {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    /// Appends a header.
    pub fn header(mut self, name: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sends HTTP Basic credentials.
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.headers
            .set("authorization", basic_auth_value(user, password));
        self
    }

    /// Sends a bearer token.
    pub fn bearer_auth(mut self, token: &str) -> Self {
        self.headers.set("authorization", format!("Bearer {token}"));
        self
    }

    /// Sets a raw body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> ConnectorResult<Self> {
        let body = serde_json::to_vec(value)
            .map_err(|e| ConnectorError::internal(format!("cannot encode JSON body: {e}")))?;
        self.headers.set("content-type", "application/json");
        self.body = Some(body);
        Ok(self)
    }

    /// Sets all timeouts from one budget (see [`Timeouts::uniform`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeouts = Timeouts::uniform(timeout);
        self
    }

    /// Sets the timeouts individually.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Sets the response body cap.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The URL without query and credentials, for messages and logs (queries may carry keys).
    pub fn display_url(&self) -> String {
        display_url(&self.url)
    }

    /// Sends the request and reads the whole response, whatever its status.
    pub fn send(self) -> ConnectorResult<Response> {
        let started = Instant::now();
        let method = self.method.clone();
        let shown = self.display_url();
        let result = transport::send(self);
        let ms = started.elapsed().as_millis().to_string();
        match &result {
            Ok(resp) => crate::log::debug(
                "http request",
                &[
                    ("method", method.as_str()),
                    ("url", &shown),
                    ("status", &resp.status().to_string()),
                    ("ms", &ms),
                ],
            ),
            Err(e) => crate::log::debug(
                "http request failed",
                &[
                    ("method", method.as_str()),
                    ("url", &shown),
                    ("error", &format!("{}: {}", e.kind(), e.message())),
                    ("ms", &ms),
                ],
            ),
        }
        result
    }

    /// Sends the request and turns a non-2xx answer into the matching [`ConnectorError`]
    /// (see [`crate::error::status_error`]).
    pub fn send_ok(self) -> ConnectorResult<Response> {
        self.send()?.error_for_status()
    }
}

/// A URL without its query, fragment and credentials.
pub fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    shown.clear_credentials();
    shown.to_string()
}

/// A complete HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: u16,
    headers: Headers,
    body: Vec<u8>,
}

impl Response {
    /// A response from its parts (for tests and for connectors that build them).
    pub fn from_parts(status: u16, headers: Headers, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers,
            body: body.into(),
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The response headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// One header's first value (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body, owned.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// The body as UTF-8 text (`upstream` error when it is not).
    pub fn text(&self) -> ConnectorResult<&str> {
        std::str::from_utf8(&self.body).map_err(|e| {
            ConnectorError::upstream(self.status, format!("response body is not UTF-8: {e}"))
        })
    }

    /// Parses the body as JSON. A body that does not parse (or does not have the expected
    /// shape) is an `upstream` error "invalid JSON from upstream: ...".
    pub fn json<T: DeserializeOwned>(&self) -> ConnectorResult<T> {
        error::parse_json(self.status, &self.body)
    }

    /// `Ok(self)` for 2xx, else the [`ConnectorError`] the status means.
    pub fn error_for_status(self) -> ConnectorResult<Self> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(self.to_error())
        }
    }

    /// The [`ConnectorError`] this response's status means (see
    /// [`crate::error::status_error`]); meaningful for non-2xx responses.
    pub fn to_error(&self) -> ConnectorError {
        error::status_error(self.status, &self.headers, &self.body, crate::time::now())
    }
}

/// The `wasi:http` plumbing. Only this module touches wasi resources.
mod transport {
    use wasip2::http::outgoing_handler;
    use wasip2::http::types::{
        ErrorCode, Fields, FutureIncomingResponse, IncomingResponse, OutgoingBody, OutgoingRequest,
        RequestOptions, Scheme,
    };
    use wasip2::io::streams::StreamError;

    use super::{READ_CHUNK, Request, Response, WRITE_CHUNK};
    use crate::error::transport_error;
    use crate::types::ConnectorError;

    fn nanos(d: std::time::Duration) -> u64 {
        u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
    }

    pub(super) fn send(req: Request) -> Result<Response, ConnectorError> {
        let shown = req.display_url();
        let scheme = match req.url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => Scheme::Other(other.to_owned()),
        };
        let authority = req.url.authority();
        let path = req.url.path_with_query();

        let mut entries: Vec<(String, Vec<u8>)> = req
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_vec()))
            .collect();
        // Credentials in the URL become Basic auth, unless the request has its own.
        if !req.url.username().is_empty() && !req.headers.contains("authorization") {
            let user = crate::url::percent_decode(req.url.username());
            let pass = crate::url::percent_decode(req.url.password().unwrap_or(""));
            entries.push((
                "authorization".into(),
                super::basic_auth_value(&user, &pass).into_bytes(),
            ));
        }
        if let Some(body) = &req.body
            && !req.headers.contains("content-length")
        {
            entries.push(("content-length".into(), body.len().to_string().into_bytes()));
        }
        if !req.headers.contains("user-agent") {
            entries.push((
                "user-agent".into(),
                concat!("junction-sdk/", env!("CARGO_PKG_VERSION"))
                    .as_bytes()
                    .to_vec(),
            ));
        }
        let fields = Fields::from_list(&entries).map_err(|e| {
            ConnectorError::internal(format!("request headers refused for {shown}: {e:?}"))
        })?;

        let outgoing = OutgoingRequest::new(fields);
        let refused = |what: &str| ConnectorError::internal(format!("cannot set {what}"));
        outgoing
            .set_method(&req.method.to_wasi())
            .map_err(|()| refused("the method"))?;
        outgoing
            .set_scheme(Some(&scheme))
            .map_err(|()| refused("the scheme"))?;
        outgoing
            .set_authority(Some(&authority))
            .map_err(|()| refused("the authority"))?;
        outgoing
            .set_path_with_query(Some(&path))
            .map_err(|()| refused("the path"))?;

        let options = RequestOptions::new();
        // A host may refuse to set a timeout; its own limit applies then.
        if let Some(t) = req.timeouts.connect {
            let _ = options.set_connect_timeout(Some(nanos(t)));
        }
        if let Some(t) = req.timeouts.first_byte {
            let _ = options.set_first_byte_timeout(Some(nanos(t)));
        }
        if let Some(t) = req.timeouts.between_bytes {
            let _ = options.set_between_bytes_timeout(Some(nanos(t)));
        }

        let body = outgoing
            .body()
            .map_err(|()| ConnectorError::internal("request body already taken"))?;
        let future = outgoing_handler::handle(outgoing, Some(options))
            .map_err(|code| transport_error(&code, &shown))?;
        write_body(body, req.body.as_deref(), &future, &shown)?;
        let response = wait(&future, &shown)?;
        read_response(response, req.max_body_bytes, &req.method, &shown)
    }

    fn write_body(
        body: OutgoingBody,
        bytes: Option<&[u8]>,
        future: &FutureIncomingResponse,
        shown: &str,
    ) -> Result<(), ConnectorError> {
        if let Some(bytes) = bytes {
            let stream = body
                .write()
                .map_err(|()| ConnectorError::internal("request body stream already taken"))?;
            for chunk in bytes.chunks(WRITE_CHUNK) {
                if let Err(e) = stream.blocking_write_and_flush(chunk) {
                    drop(stream);
                    // The response (an early error answer or the transport error) says more.
                    if let Some(code) = early_error(future) {
                        return Err(transport_error(&code, shown));
                    }
                    return Err(stream_error(e, "sending the request body", shown));
                }
            }
            drop(stream);
        }
        OutgoingBody::finish(body, None).map_err(|code| transport_error(&code, shown))
    }

    /// The transport error of a request that already failed, if it did.
    fn early_error(future: &FutureIncomingResponse) -> Option<ErrorCode> {
        match future.get() {
            Some(Ok(Err(code))) => Some(code),
            _ => None,
        }
    }

    fn wait(
        future: &FutureIncomingResponse,
        shown: &str,
    ) -> Result<IncomingResponse, ConnectorError> {
        loop {
            match future.get() {
                Some(Ok(Ok(response))) => return Ok(response),
                Some(Ok(Err(code))) => return Err(transport_error(&code, shown)),
                Some(Err(())) => {
                    return Err(ConnectorError::internal("response already taken"));
                }
                None => future.subscribe().block(),
            }
        }
    }

    fn read_response(
        response: IncomingResponse,
        max_body_bytes: usize,
        method: &super::Method,
        shown: &str,
    ) -> Result<Response, ConnectorError> {
        let status = response.status();
        let headers = super::Headers {
            entries: response.headers().entries(),
        };
        let declared: Option<u64> = headers.get("content-length").and_then(|v| v.parse().ok());
        if let Some(len) = declared
            && len > max_body_bytes as u64
        {
            return Err(too_large(status, max_body_bytes, shown));
        }
        let incoming = response
            .consume()
            .map_err(|()| ConnectorError::internal("response body already taken"))?;
        let stream = incoming
            .stream()
            .map_err(|()| ConnectorError::internal("response body stream already taken"))?;
        let mut body = Vec::with_capacity(
            declared
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(0)
                .min(max_body_bytes),
        );
        loop {
            match stream.blocking_read(READ_CHUNK) {
                Ok(chunk) => {
                    if body.len() + chunk.len() > max_body_bytes {
                        return Err(too_large(status, max_body_bytes, shown));
                    }
                    body.extend_from_slice(&chunk);
                }
                Err(StreamError::Closed) => break,
                Err(e) => return Err(stream_error(e, "reading the response body", shown)),
            }
        }
        drop(stream);
        // Trailers are not used; finishing the body releases it.
        drop(wasip2::http::types::IncomingBody::finish(incoming));

        let bodyless = *method == super::Method::Head || status == 204 || status == 304;
        if let Some(len) = declared
            && !bodyless
            && body.len() as u64 != len
        {
            return Err(ConnectorError::transport(format!(
                "response body truncated: got {} of {len} bytes from {shown}",
                body.len()
            )));
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    fn too_large(status: u16, max: usize, shown: &str) -> ConnectorError {
        ConnectorError::upstream(
            status,
            format!("response body from {shown} is larger than the {max}-byte cap"),
        )
    }

    fn stream_error(e: StreamError, doing: &str, shown: &str) -> ConnectorError {
        match e {
            StreamError::Closed => {
                ConnectorError::transport(format!("connection closed while {doing} ({shown})"))
            }
            StreamError::LastOperationFailed(err) => {
                match wasip2::http::types::http_error_code(&err) {
                    Some(code) => {
                        let inner = transport_error(&code, shown);
                        match inner {
                            ConnectorError::Transport(m) => {
                                ConnectorError::transport(format!("{doing}: {m}"))
                            }
                            other => other,
                        }
                    }
                    None => ConnectorError::transport(format!(
                        "{doing} failed ({shown}): {}",
                        err.to_debug_string()
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive() {
        let mut h = Headers::from_pairs([("Content-Type", "application/json"), ("X-A", " 1 ")]);
        assert_eq!(h.get("content-type"), Some("application/json"));
        assert_eq!(h.get("x-a"), Some("1"));
        assert!(h.get("missing").is_none());
        h.append("x-a", "2");
        assert_eq!(h.get_all("X-A").collect::<Vec<_>>(), vec!["1", "2"]);
        h.set("X-a", "3");
        assert_eq!(h.get_all("x-a").collect::<Vec<_>>(), vec!["3"]);
    }

    #[test]
    fn builds_urls_and_queries() {
        let client = Client::new("https://shop.example.com/wp-json/wc/v3/").unwrap();
        let req = client
            .get(["products", "12", "variations"])
            .query("per_page", 100)
            .query("modified_after", "2025-01-02T03:04:05")
            .query("search", "a b&c=d/é")
            .query_opt("page", None::<u32>);
        assert_eq!(
            req.url().to_string(),
            "https://shop.example.com/wp-json/wc/v3/products/12/variations?per_page=100\
             &modified_after=2025-01-02T03%3A04%3A05&search=a+b%26c%3Dd%2F%C3%A9"
        );
        // A hostile id stays one segment.
        let url = client.url(["orders", "../customers?x=1"]);
        assert_eq!(
            url.to_string(),
            "https://shop.example.com/wp-json/wc/v3/orders/..%2Fcustomers%3Fx%3D1"
        );
        // A base without a trailing slash works the same.
        let client = Client::new("http://127.0.0.1:8090/shop").unwrap();
        assert_eq!(
            client.url(["a"]).to_string(),
            "http://127.0.0.1:8090/shop/a"
        );
    }

    #[test]
    fn auth_and_json_body() {
        let req = Request::get("http://h/x")
            .unwrap()
            .basic_auth("ck_test", "cs_test")
            .json(&serde_json::json!({"status": "completed"}))
            .unwrap();
        assert_eq!(
            req.headers().get("authorization"),
            Some("Basic Y2tfdGVzdDpjc190ZXN0")
        );
        assert_eq!(req.headers().get("content-type"), Some("application/json"));
        assert_eq!(req.body_bytes(), Some(&br#"{"status":"completed"}"#[..]));
        let req = req.bearer_auth("t0k");
        assert_eq!(req.headers().get("Authorization"), Some("Bearer t0k"));
    }

    #[test]
    fn display_url_hides_query_and_credentials() {
        let url = Url::parse("https://u:p@h.example/a/b?consumer_secret=x#f").unwrap();
        assert_eq!(display_url(&url), "https://h.example/a/b");
    }

    #[test]
    fn response_helpers() {
        let ok = Response::from_parts(200, Headers::new(), br#"{"a":1}"#.to_vec());
        let v: serde_json::Value = ok.json().unwrap();
        assert_eq!(v["a"], 1);
        let bad = Response::from_parts(200, Headers::new(), b"<br>Warning".to_vec());
        match bad.json::<serde_json::Value>() {
            Err(ConnectorError::Upstream(u)) => {
                assert_eq!(u.status, 200);
                assert!(
                    u.message.starts_with("invalid JSON from upstream"),
                    "{}",
                    u.message
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        let nf = Response::from_parts(404, Headers::new(), b"{}".to_vec());
        assert!(matches!(
            nf.error_for_status(),
            Err(ConnectorError::NotFound(_))
        ));
    }
}
