//! Connectors written in JavaScript (`feed-js`, componentize-js) and Python (`catalog-py`,
//! componentize-py), loaded by the same runtime as the Rust ones and run against the feed
//! emulators: paging to the end without gaps or duplicates (also while records change),
//! updated-since, get, variations, every failure mapped to the right contract error, and the
//! registry path a server uses.
//!
//! These components bundle a JavaScript engine or CPython, so compiling one takes many
//! seconds: each is loaded once per test binary, through a runtime whose compiled-artifact
//! cache lives in the target dir (shared with the conformance suite; later runs skip
//! compilation entirely).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use junction::runtime::types::{ConnectorError, Entity, ListRequest, Page, ResourceKind};
use junction::runtime::{
    CallError, CallOptions, LoadedConnector, Registry, Runtime, SandboxLimits,
};
use junction_emulators::feeds::{self, FeedConfig, FeedEmulator, format_time};
use junction_emulators::{Fault, FaultKind};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

const API_KEY: &str = "feed-key-test";

/// Production-sized memory (CPython and SpiderMonkey need more than the Rust test limits),
/// short network timeouts.
fn limits() -> SandboxLimits {
    SandboxLimits {
        memory_mib: 256,
        cpu_ms: 5_000,
        call_timeout_ms: 20_000,
        connect_timeout_ms: 2_000,
        first_byte_timeout_ms: 5_000,
        between_bytes_timeout_ms: 5_000,
        max_response_mib: 4,
        allow_private_networks: true,
        // As the conformance suite's runtime, so both can reuse one compiled artifact.
        max_concurrent_instances: 8,
        ..SandboxLimits::default()
    }
}

fn runtime() -> Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            // Shared with the conformance suite: artifacts are keyed by component digest and
            // engine compatibility, so a mismatch is recompiled, never reused.
            let cache = common::components_root().join("conformance-cache");
            Runtime::new(limits(), Some(cache)).expect("runtime")
        })
        .clone()
}

/// The language under test: its component and its config for an emulator.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Lang {
    Js,
    Py,
}

impl Lang {
    fn component(self) -> &'static str {
        match self {
            Lang::Js => "feed-js",
            Lang::Py => "catalog-py",
        }
    }

    fn config(self, feeds: &FeedEmulator, api_key: &str) -> Value {
        match self {
            Lang::Js => json!({"feed_url": feeds.feed_url(), "api_key": api_key}),
            Lang::Py => json!({"catalog_url": feeds.catalog_url(), "api_key": api_key}),
        }
    }

    async fn connector(self) -> Arc<LoadedConnector> {
        static JS: OnceCell<Arc<LoadedConnector>> = OnceCell::const_new();
        static PY: OnceCell<Arc<LoadedConnector>> = OnceCell::const_new();
        let cell = match self {
            Lang::Js => &JS,
            Lang::Py => &PY,
        };
        cell.get_or_init(|| async {
            LoadedConnector::load_file(&runtime(), &common::component(self.component()))
                .await
                .unwrap_or_else(|e| panic!("loading {}: {e}", self.component()))
        })
        .await
        .clone()
    }
}

struct Setup {
    lang: Lang,
    feeds: FeedEmulator,
    connector: Arc<LoadedConnector>,
    options: CallOptions,
}

async fn setup(lang: Lang) -> Setup {
    let feeds = feeds::start(
        FeedConfig {
            products: 73,
            variable_every: 5,
            seed: 7,
            api_key: Some(API_KEY.to_owned()),
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let connector = lang.connector().await;
    let options = connector.prepare(&lang.config(&feeds, API_KEY)).unwrap();
    Setup {
        lang,
        feeds,
        connector,
        options,
    }
}

fn request(resource: ResourceKind, cursor: Option<String>, since: Option<String>) -> ListRequest {
    ListRequest {
        resource,
        updated_since: since,
        cursor,
        page_size: 9,
        parent_id: None,
    }
}

async fn page(s: &Setup, req: ListRequest) -> Result<Page, CallError> {
    s.connector.list(&s.options, req).await.value
}

/// Pages to the end; `between` runs after every page (to change data mid-run).
async fn list_all(s: &Setup, since: Option<String>, mut between: impl FnMut(usize)) -> Vec<Entity> {
    let mut all = Vec::new();
    let mut cursor = None;
    for n in 0.. {
        assert!(n < 1_000, "{:?}: paging does not terminate", s.lang);
        let p = page(
            s,
            request(ResourceKind::Products, cursor.take(), since.clone()),
        )
        .await
        .unwrap_or_else(|e| panic!("{:?} page {n}: {e}", s.lang));
        all.extend(p.entities);
        between(n);
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    all
}

fn ids(entities: &[Entity]) -> Vec<u64> {
    entities
        .iter()
        .map(|e| e.external_id().parse().unwrap())
        .collect()
}

/// Every product once, each field as the emulator holds it (names with quotes, commas and
/// accents survive the CSV; prices stay decimal strings; times are UTC with `Z`).
async fn pages_to_the_end(lang: Lang) {
    let s = setup(lang).await;
    let store = s.feeds.store();
    let got = list_all(&s, None, |_| {}).await;
    let got_ids = ids(&got);
    let unique: BTreeSet<u64> = got_ids.iter().copied().collect();
    assert_eq!(got_ids.len(), unique.len(), "{lang:?}: duplicates");
    assert_eq!(
        unique,
        store.product_ids().into_iter().collect(),
        "{lang:?}: gaps"
    );
    let modified: Vec<&str> = got
        .iter()
        .map(|e| match e {
            Entity::Product(p) => p.modified_at.as_str(),
            other => panic!("{lang:?}: not a product: {other:?}"),
        })
        .collect();
    assert!(
        modified.is_sorted(),
        "{lang:?}: ascending modification order"
    );
    for entity in &got {
        let Entity::Product(p) = entity else {
            unreachable!()
        };
        let want = store.product(p.external_id.parse().unwrap()).unwrap();
        assert_eq!(p.name, want.name, "{lang:?}");
        assert_eq!(p.sku.as_deref(), Some(want.sku.as_str()));
        assert_eq!(
            p.regular_price.as_deref(),
            Some(want.price.as_str()),
            "{lang:?}"
        );
        assert_eq!(p.sale_price, want.sale_price, "{lang:?}");
        assert_eq!(
            p.price.as_deref(),
            Some(want.sale_price.as_deref().unwrap_or(&want.price))
        );
        assert_eq!(p.stock_quantity, want.stock, "{lang:?}");
        assert_eq!(p.has_variations, !want.variants.is_empty(), "{lang:?}");
        assert_eq!(p.currency.as_deref(), Some("EUR"));
        assert_eq!(p.status.as_deref(), Some(want.status.as_str()));
        assert_eq!(p.created_at, format_time(want.created_at));
        assert_eq!(p.modified_at, format_time(want.updated_at));
        let raw: Value = serde_json::from_str(&p.raw).unwrap();
        assert!(
            raw.is_object(),
            "{lang:?}: raw is the source record as JSON"
        );
    }
}

/// Products changed while paging are never lost, and no unchanged product is skipped
/// (which a plain offset would do when a product already read moves to the end): both
/// connectors page by key, and a changed product shows up again at the end.
async fn changes_between_pages_are_not_lost(lang: Lang) {
    let s = setup(lang).await;
    let store = s.feeds.store();
    let order: Vec<u64> = store.ordered(None).iter().map(|p| p.id).collect();
    let mut touched = Vec::new();
    let got = list_all(&s, None, |n| {
        if n == 1 {
            // One already read, one not yet read.
            for id in [order[2], order[40]] {
                store.touch(id).unwrap();
                touched.push(id);
            }
        }
    })
    .await;
    let got_ids = ids(&got);
    let unique: BTreeSet<u64> = got_ids.iter().copied().collect();
    assert_eq!(
        unique,
        order.iter().copied().collect(),
        "{lang:?}: nothing skipped"
    );
    for id in &unique {
        let n = got_ids.iter().filter(|x| *x == id).count();
        if !touched.contains(id) {
            assert_eq!(n, 1, "{lang:?}: unchanged product {id} listed {n} times");
        }
    }
}

async fn updated_since_returns_only_later_changes(lang: Lang) {
    let s = setup(lang).await;
    let store = s.feeds.store();
    let changed = [5u64, 17, 33];
    let first = store.set_price(changed[0], "12.34").unwrap();
    store.touch(changed[1]).unwrap();
    let newest = store.touch(changed[2]).unwrap();
    let got = list_all(&s, Some(format_time(first)), |_| {}).await;
    assert_eq!(
        ids(&got),
        changed.to_vec(),
        "{lang:?}: the changes, oldest first"
    );
    let Entity::Product(p) = &got[0] else {
        panic!()
    };
    assert_eq!(p.regular_price.as_deref(), Some("12.34"));
    let got = list_all(&s, Some(format_time(newest)), |_| {}).await;
    assert_eq!(ids(&got), vec![changed[2]], "{lang:?}: at-or-after");
    let after = list_all(&s, Some(format_time(newest + 1)), |_| {}).await;
    assert!(after.is_empty(), "{lang:?}: nothing newer");
}

async fn get_and_not_found(lang: Lang) {
    let s = setup(lang).await;
    let store = s.feeds.store();
    let got = s
        .connector
        .get(&s.options, ResourceKind::Products, "12".into(), None)
        .await
        .value
        .unwrap();
    let Entity::Product(p) = got else {
        panic!("not a product")
    };
    assert_eq!(p.external_id, "12");
    assert_eq!(p.name, store.product(12).unwrap().name);
    let missing = s
        .connector
        .get(&s.options, ResourceKind::Products, "9999".into(), None)
        .await
        .value;
    assert!(
        matches!(&missing, Err(CallError::Connector(ConnectorError::NotFound(m))) if m.contains("404")),
        "{lang:?}: {missing:?}"
    );
    let bad = s
        .connector
        .get(&s.options, ResourceKind::Products, "../status".into(), None)
        .await
        .value;
    assert!(
        matches!(
            &bad,
            Err(CallError::Connector(ConnectorError::InvalidRequest(_)))
        ),
        "{lang:?}: an id that is not one is refused before any request: {bad:?}"
    );
    let foreign = page(
        &s,
        request(ResourceKind::Products, Some("someone-else's".into()), None),
    )
    .await;
    assert!(
        matches!(
            &foreign,
            Err(CallError::Connector(ConnectorError::InvalidRequest(_)))
        ),
        "{lang:?}: {foreign:?}"
    );
}

fn expect_error(lang: Lang, what: &str, got: Result<Page, CallError>) -> ConnectorError {
    match got {
        Err(CallError::Connector(e)) => e,
        other => panic!("{lang:?} {what}: expected a connector error, got {other:?}"),
    }
}

/// 401, 429, 500, a truncated body, a dropped connection and an unreachable server, each
/// mapped to the contract error the host acts on.
async fn failures_are_mapped(lang: Lang) {
    let s = setup(lang).await;
    let first = || page(&s, request(ResourceKind::Products, None, None));

    let wrong_key = s
        .connector
        .prepare(&lang.config(&s.feeds, "not-the-key"))
        .unwrap();
    let e = s
        .connector
        .list(&wrong_key, request(ResourceKind::Products, None, None))
        .await
        .value;
    let e = expect_error(lang, "401", e);
    assert!(
        matches!(&e, ConnectorError::Unauthorized(m) if m.contains("401") && m.contains("invalid API key")),
        "{lang:?}: {e:?}"
    );
    let e = s.connector.check(&wrong_key).await.value.unwrap_err();
    assert!(
        matches!(e, CallError::Connector(ConnectorError::Unauthorized(_))),
        "{lang:?} check: {e:?}"
    );
    let info = s.connector.check(&s.options).await.value.unwrap();
    assert!(info.message.contains("73"), "{lang:?}: {}", info.message);

    s.feeds.set_faults(vec![Fault::times(
        FaultKind::RateLimited {
            retry_after_secs: 7,
        },
        1,
    )]);
    let e = expect_error(lang, "429", first().await);
    assert!(
        matches!(&e, ConnectorError::RateLimited(r) if r.retry_after_ms == 7_000),
        "{lang:?}: {e:?}"
    );

    s.feeds
        .set_faults(vec![Fault::times(FaultKind::ServerError, 1)]);
    let e = expect_error(lang, "500", first().await);
    assert!(
        matches!(&e, ConnectorError::Upstream(u) if u.status == 500 && u.message.contains("unavailable")),
        "{lang:?}: {e:?}"
    );

    s.feeds
        .set_faults(vec![Fault::times(FaultKind::MalformedJson, 1)]);
    let e = expect_error(lang, "truncated body", first().await);
    assert!(
        matches!(&e, ConnectorError::Upstream(u) if u.status == 200),
        "{lang:?}: {e:?}"
    );

    s.feeds
        .set_faults(vec![Fault::times(FaultKind::DropMidBody, 1)]);
    let e = expect_error(lang, "dropped connection", first().await);
    assert!(
        matches!(&e, ConnectorError::Transport(_)),
        "{lang:?}: {e:?}"
    );

    // Everything works again once the faults are spent.
    assert!(first().await.is_ok(), "{lang:?}: recovers");

    let closed = common::free_port();
    let unreachable = match lang {
        Lang::Js => json!({"feed_url": format!("http://127.0.0.1:{closed}/feed/v1")}),
        Lang::Py => json!({"catalog_url": format!("http://127.0.0.1:{closed}/catalog")}),
    };
    let options = s.connector.prepare(&unreachable).unwrap();
    let e = s
        .connector
        .list(&options, request(ResourceKind::Products, None, None))
        .await
        .value;
    let e = expect_error(lang, "connection refused", e);
    assert!(
        matches!(&e, ConnectorError::Transport(_)),
        "{lang:?}: {e:?}"
    );
}

#[tokio::test]
async fn feed_js_pages_to_the_end_without_gaps_or_duplicates() {
    pages_to_the_end(Lang::Js).await;
}

#[tokio::test]
async fn catalog_py_pages_to_the_end_without_gaps_or_duplicates() {
    pages_to_the_end(Lang::Py).await;
}

#[tokio::test]
async fn feed_js_keeps_changes_made_between_pages() {
    changes_between_pages_are_not_lost(Lang::Js).await;
}

#[tokio::test]
async fn catalog_py_keeps_changes_made_between_pages() {
    changes_between_pages_are_not_lost(Lang::Py).await;
}

#[tokio::test]
async fn feed_js_updated_since() {
    updated_since_returns_only_later_changes(Lang::Js).await;
}

#[tokio::test]
async fn catalog_py_updated_since() {
    updated_since_returns_only_later_changes(Lang::Py).await;
}

#[tokio::test]
async fn feed_js_get() {
    get_and_not_found(Lang::Js).await;
}

#[tokio::test]
async fn catalog_py_get() {
    get_and_not_found(Lang::Py).await;
}

#[tokio::test]
async fn feed_js_maps_failures() {
    failures_are_mapped(Lang::Js).await;
}

#[tokio::test]
async fn catalog_py_maps_failures() {
    failures_are_mapped(Lang::Py).await;
}

#[tokio::test]
async fn catalog_py_lists_and_gets_variations() {
    let s = setup(Lang::Py).await;
    let store = s.feeds.store();
    let parent = store
        .product_ids()
        .into_iter()
        .find(|id| store.variant_ids(*id).is_some_and(|v| v.len() == 3))
        .expect("a product with three variants");
    let want = store.product(parent).unwrap();
    let mut req = request(ResourceKind::Variations, None, None);
    req.parent_id = Some(parent.to_string());
    req.page_size = 2;
    let first = page(&s, req.clone()).await.unwrap();
    assert_eq!(first.entities.len(), 2);
    req.cursor = Some(first.next_cursor.clone().expect("a second page"));
    let second = page(&s, req.clone()).await.unwrap();
    assert_eq!(second.next_cursor, None);
    let got: Vec<Entity> = first.entities.into_iter().chain(second.entities).collect();
    assert_eq!(ids(&got), store.variant_ids(parent).unwrap());
    for (entity, variant) in got.iter().zip(&want.variants) {
        let Entity::Variation(v) = entity else {
            panic!("not a variation")
        };
        assert_eq!(v.product_id, parent.to_string());
        assert_eq!(v.name.as_deref(), Some(variant.name.as_str()));
        assert_eq!(v.attributes, variant.attributes);
        assert_eq!(v.price.as_deref(), Some(variant.price.as_str()));
        assert_eq!(v.stock_quantity, variant.stock);
    }

    let one = want.variants[2].id.to_string();
    let got = s
        .connector
        .get(
            &s.options,
            ResourceKind::Variations,
            one.clone(),
            Some(parent.to_string()),
        )
        .await
        .value
        .unwrap();
    assert_eq!(got.external_id(), one);
    let missing = s
        .connector
        .get(
            &s.options,
            ResourceKind::Variations,
            "1".into(),
            Some(parent.to_string()),
        )
        .await
        .value;
    assert!(
        matches!(
            missing,
            Err(CallError::Connector(ConnectorError::NotFound(_)))
        ),
        "{missing:?}"
    );
    req.parent_id = None;
    req.cursor = None;
    let e = expect_error(Lang::Py, "no parent", page(&s, req.clone()).await);
    assert!(matches!(e, ConnectorError::InvalidRequest(m) if m.contains("parent-id")));
    req.parent_id = Some("9999".into());
    let e = expect_error(Lang::Py, "unknown parent", page(&s, req).await);
    assert!(matches!(e, ConnectorError::NotFound(_)), "{e:?}");
}

/// Both components load through the registry a server uses (the same plugins directory as
/// the Rust connectors): one present at start, one dropped in while the registry watches
/// (hot reload), and both serve calls from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_load_through_the_registry_and_hot_reload() {
    // Compile (or fetch from the cache) once through the shared runtime first.
    Lang::Js.connector().await;
    Lang::Py.connector().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::component(Lang::Js.component()),
        dir.path().join("feed-js.wasm"),
    )
    .unwrap();
    let registry = Registry::open(runtime(), dir.path().to_path_buf())
        .await
        .unwrap();
    let _watch = registry.watch().unwrap();
    assert!(registry.get("feed-js").is_some(), "loaded at start");
    assert!(registry.get("catalog-py").is_none());
    // Dropped in the way deploy tools do: written beside, then renamed into place.
    let partial = dir.path().join("catalog-py.partial");
    std::fs::copy(common::component(Lang::Py.component()), &partial).unwrap();
    std::fs::rename(&partial, dir.path().join("catalog-py.wasm")).unwrap();
    let start = std::time::Instant::now();
    while registry.get("catalog-py").is_none() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "catalog-py was not hot-loaded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let feeds = feeds::start(FeedConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let key = FeedConfig::default().api_key.unwrap();
    for lang in [Lang::Js, Lang::Py] {
        let connector = registry.get(lang.component()).unwrap();
        let options = connector.prepare(&lang.config(&feeds, &key)).unwrap();
        let info = connector.check(&options).await.value.unwrap();
        assert!(info.message.contains("120"), "{lang:?}: {}", info.message);
        let secret = junction::runtime::manifest::secret_fields(&connector.manifest);
        assert_eq!(secret, vec!["api_key".to_owned()], "{lang:?}");
    }
}

/// The example API the SDK templates are written against: five items, `page`/`per_page`,
/// `X-API-Key: t-key`.
async fn example_api() -> String {
    use axum::extract::Query;
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use std::collections::HashMap;
    let items = |q: Query<HashMap<String, String>>, headers: HeaderMap| async move {
        if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some("t-key") {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"error": "bad key"})),
            )
                .into_response();
        }
        let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let per_page: usize = q.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(10);
        let all: Vec<Value> = (1..=5)
            .map(|n| {
                json!({"id": n, "name": format!("Item {n}"), "price": format!("{n}.00"),
                "updated_at": format!("2026-01-0{n}T00:00:00Z")})
            })
            .collect();
        let start = (page - 1) * per_page;
        let chunk: Vec<Value> = all.iter().skip(start).take(per_page).cloned().collect();
        axum::Json(json!({"items": chunk, "has_more": start + per_page < all.len()}))
            .into_response()
    };
    let app = axum::Router::new().route("/items", axum::routing::get(items));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// The SDK templates build, load and page an example API (so a copy starts from working
/// code), and map a refused key.
#[tokio::test]
async fn sdk_templates_work() {
    let base = example_api().await;
    for name in ["template-js", "template-py"] {
        let connector = LoadedConnector::load_file(&runtime(), &common::component(name))
            .await
            .unwrap_or_else(|e| panic!("loading {name}: {e}"));
        assert_eq!(connector.key(), name);
        let options = connector
            .prepare(&json!({"base_url": base, "api_key": "t-key"}))
            .unwrap();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let mut req = request(ResourceKind::Products, cursor.take(), None);
            req.page_size = 2;
            let p = connector.list(&options, req).await.value.unwrap();
            seen.extend(ids(&p.entities));
            match p.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, vec![1, 2, 3, 4, 5], "{name}");
        let wrong = connector
            .prepare(&json!({"base_url": base, "api_key": "nope"}))
            .unwrap();
        let e = connector.check(&wrong).await.value.unwrap_err();
        assert!(
            matches!(e, CallError::Connector(ConnectorError::Unauthorized(_))),
            "{name}: {e:?}"
        );
    }
}
