//! A connector that misbehaves on purpose, for the sandbox tests. The config's `mode`
//! picks the misdeed `list` commits: spin forever, allocate without end, trap, or fetch a
//! URL (to try a host outside the allow-list, a loopback address, or an oversized
//! response). `manifest` and `check` behave, so the component loads like any other.
//!
//! Writes: it declares `product-stock` and "performs" it without I/O (the outcome names
//! the product), so the host's batch handling can be tested. `write-batch` answers one
//! outcome per op, except in mode `short-batch`, where it drops the last one (a contract
//! breach the host must catch).

wit_bindgen::generate!({
    world: "plugin",
    path: "../../../wit",
    generate_all,
});

use exports::junction::connector::connector::{
    CheckInfo, ConnectorError, ConnectorManifest as Manifest, Entity, Guest, ListRequest, Page,
    ResourceKind, WriteOp, WriteOutcome,
};
use junction::connector::types::{Product, UpstreamError, WriteKind};

#[derive(serde::Deserialize)]
struct Config {
    mode: String,
    /// The URL the manifest allows (`config:allowed_url`).
    #[allow(dead_code)]
    allowed_url: Option<String>,
    /// The URL `fetch` requests; may differ from `allowed_url` on purpose.
    url: Option<String>,
}

struct Misbehave;

impl Guest for Misbehave {
    fn manifest() -> Manifest {
        Manifest {
            key: "misbehave".into(),
            name: "Misbehave".into(),
            version: "0.1.0".into(),
            description: "Misbehaves on purpose to test the sandbox.".into(),
            resources: vec![ResourceKind::Products],
            writes: vec![WriteKind::ProductStock],
            config_schema: r#"{
                "type": "object",
                "properties": {
                    "mode": {"enum": ["ok", "spin", "memory", "trap", "fetch", "escape", "short-batch"]},
                    "allowed_url": {"type": "string"},
                    "url": {"type": "string"}
                },
                "required": ["mode"]
            }"#
            .into(),
            hosts: vec!["config:allowed_url".into()],
            rate_limit: None,
            deletions: vec![],
        }
    }

    fn check(_config: String) -> Result<CheckInfo, ConnectorError> {
        Ok(CheckInfo {
            message: "misbehave is ready to misbehave".into(),
        })
    }

    fn list(config: String, _request: ListRequest) -> Result<Page, ConnectorError> {
        let config: Config = serde_json::from_str(&config)
            .map_err(|e| ConnectorError::Internal(format!("bad config: {e}")))?;
        match config.mode.as_str() {
            "spin" => {
                let mut x: u64 = 0;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![7u8; 8 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "trap" => panic!("misbehave was told to trap"),
            "escape" => {
                let report = try_escape(config.url.as_deref().unwrap_or("127.0.0.1:80"));
                Ok(Page {
                    entities: vec![Entity::Product(Product {
                        name: report,
                        ..product(0)
                    })],
                    next_cursor: None,
                    deleted: vec![],
                    ids: vec![],
                })
            }
            "fetch" => {
                let url = config.url.unwrap_or_default();
                let body = fetch(&url)?;
                Ok(Page {
                    entities: vec![Entity::Product(product(body.len()))],
                    next_cursor: None,
                    deleted: vec![],
                    ids: vec![],
                })
            }
            _ => Ok(Page {
                entities: vec![],
                next_cursor: None,
                deleted: vec![],
                ids: vec![],
            }),
        }
    }

    fn get(
        _config: String,
        _resource: ResourceKind,
        id: String,
        _parent_id: Option<String>,
    ) -> Result<Entity, ConnectorError> {
        Err(ConnectorError::NotFound(id))
    }

    fn write(_config: String, op: WriteOp) -> Result<WriteOutcome, ConnectorError> {
        match op {
            WriteOp::ProductStock(change) => Ok(WriteOutcome {
                external_id: change.product_id,
                entity: None,
            }),
            _ => Err(ConnectorError::Unsupported(
                "misbehave writes product stock only".into(),
            )),
        }
    }

    fn write_batch(
        config: String,
        ops: Vec<WriteOp>,
    ) -> Result<Vec<Result<WriteOutcome, ConnectorError>>, ConnectorError> {
        let config: Config = serde_json::from_str(&config)
            .map_err(|e| ConnectorError::Internal(format!("bad config: {e}")))?;
        let mut outcomes: Vec<_> = ops
            .into_iter()
            .map(|op| Self::write(String::new(), op))
            .collect();
        if config.mode == "short-batch" {
            outcomes.pop();
        }
        Ok(outcomes)
    }
}

/// Try the filesystem, the environment and a raw socket; report what happened.
fn try_escape(socket_target: &str) -> String {
    let fs = match std::fs::read_dir("/") {
        Ok(_) => "fs=OPEN".to_string(),
        Err(_) => "fs=denied".to_string(),
    };
    let env = if std::env::vars().next().is_some() {
        "env=VISIBLE"
    } else {
        "env=empty"
    };
    let socket = match std::net::TcpStream::connect(socket_target) {
        Ok(_) => "socket=CONNECTED",
        Err(_) => "socket=denied",
    };
    format!("{fs} {env} {socket}")
}

fn product(body_len: usize) -> Product {
    Product {
        external_id: "fetched".into(),
        sku: None,
        name: format!("{body_len} bytes"),
        status: None,
        price: None,
        regular_price: None,
        sale_price: None,
        currency: None,
        stock_quantity: None,
        has_variations: false,
        created_at: "2026-01-01T00:00:00Z".into(),
        modified_at: "2026-01-01T00:00:00Z".into(),
        raw: "{}".into(),
    }
}

/// A plain GET over raw wasi:http, reporting failures the way a real connector would.
fn fetch(url: &str) -> Result<Vec<u8>, ConnectorError> {
    use wasip2::http::outgoing_handler;
    use wasip2::http::types::{Fields, Method, OutgoingBody, OutgoingRequest, Scheme};
    use wasip2::io::streams::StreamError;

    let transport = |what: String| ConnectorError::Transport(what);
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| ConnectorError::Internal(format!("bad url {url}")))?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let request = OutgoingRequest::new(Fields::new());
    let _ = request.set_method(&Method::Get);
    let _ = request.set_scheme(Some(if scheme == "https" {
        &Scheme::Https
    } else {
        &Scheme::Http
    }));
    let _ = request.set_authority(Some(authority));
    let _ = request.set_path_with_query(Some(&format!("/{path}")));
    if let Ok(body) = request.body() {
        let _ = OutgoingBody::finish(body, None);
    }
    let pending =
        outgoing_handler::handle(request, None).map_err(|e| transport(format!("{e:?}")))?;
    let response = loop {
        match pending.get() {
            Some(Ok(Ok(response))) => break response,
            Some(Ok(Err(e))) => return Err(transport(format!("{e:?}"))),
            Some(Err(())) => return Err(transport("response already taken".into())),
            None => pending.subscribe().block(),
        }
    };
    let status = response.status();
    let body = response
        .consume()
        .map_err(|_| transport("no body".into()))?;
    let stream = body
        .stream()
        .map_err(|_| transport("no body stream".into()))?;
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(transport(format!("reading body: {}", e.to_debug_string())));
            }
        }
    }
    if !(200..300).contains(&status) {
        return Err(ConnectorError::Upstream(UpstreamError {
            status,
            message: format!("status {status}"),
        }));
    }
    Ok(bytes)
}

export!(Misbehave);
