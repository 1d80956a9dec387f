//! Connectors written in JavaScript (`feed-js`, componentize-js) and Python (`catalog-py`,
//! componentize-py): what the conformance suite (which runs both) does not check — the
//! Python catalogue's variations, loading through the registry a server uses with hot
//! reload, the SDK templates and the example API, and `junction connector new` + `build` in
//! every language.
//!
//! These components bundle a JavaScript engine or CPython, so compiling one takes many
//! seconds: each is loaded once per test binary, through a runtime whose compiled-artifact
//! cache lives in the target dir (shared with the conformance suite; later runs skip
//! compilation entirely).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::{Arc, OnceLock};

use junction::runtime::types::{ConnectorError, Entity, ListRequest, Page, ResourceKind};
use junction::runtime::{
    CallError, CallOptions, LoadedConnector, Registry, Runtime, SandboxLimits,
};
use junction_emulators::feeds::{self, FeedConfig, FeedEmulator};
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
        ids_only: false,
    }
}

async fn page(s: &Setup, req: ListRequest) -> Result<Page, CallError> {
    s.connector.list(&s.options, req).await.value
}

fn ids(entities: &[Entity]) -> Vec<u64> {
    entities
        .iter()
        .map(|e| e.external_id().parse().unwrap())
        .collect()
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

fn expect_error(lang: Lang, what: &str, got: Result<Page, CallError>) -> ConnectorError {
    match got {
        Err(CallError::Connector(e)) => e,
        other => panic!("{lang:?} {what}: expected a connector error, got {other:?}"),
    }
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

/// The example API the templates read (`junction_emulators::example`), five items.
async fn example_api() -> junction_emulators::example::ExampleApi {
    junction_emulators::example::start(
        junction_emulators::example::ExampleConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

/// Page the example API to its end through `connector` and refuse a wrong key: what a
/// template or a new connector must do out of the box.
async fn pages_the_example_api(connector: &LoadedConnector, base: &str, name: &str) {
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

/// `junction connector new` then `junction connector build`, as an author runs them (the
/// real binary, outside this repository, each language's toolchain installed on first use
/// into a toolchains folder of its own): the JavaScript and Python connectors' own unit
/// tests pass natively, and the component loads under its new key and pages the example API.
#[tokio::test]
async fn a_new_connector_builds_and_runs_in_every_language() {
    let api = example_api().await;
    let base = api.base_url();
    let work = tempfile::tempdir().unwrap();
    // Kept between runs, as a user's cache is (a first run installs).
    let toolchains = common::components_root().join("author-toolchains");
    for lang in ["rust", "js", "python"] {
        let name = format!("my-{lang}-shop");
        let dir = work.path().join(&name);
        let junction = |args: &[&str]| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_junction"))
                .args(args)
                .env("JUNCTION_TOOLCHAINS_DIR", &toolchains)
                .current_dir(work.path())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).to_string();
            assert!(out.status.success(), "junction {args:?}: {stderr}");
            String::from_utf8_lossy(&out.stdout).to_string()
        };
        let created = junction(&["connector", "new", &name, "--lang", lang]);
        assert!(created.contains("README.md"), "{created}");
        let built = tokio::task::spawn_blocking({
            let (dir, toolchains) = (dir.clone(), toolchains.clone());
            move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_junction"))
                    .args(["connector", "build"])
                    .arg(&dir)
                    .env("JUNCTION_TOOLCHAINS_DIR", &toolchains)
                    .output()
                    .unwrap()
            }
        })
        .await
        .unwrap();
        assert!(
            built.status.success(),
            "{lang}: {}",
            String::from_utf8_lossy(&built.stderr)
        );
        // Its own unit tests run natively, through the SDK's harness, as its README says.
        let native = match lang {
            "js" => Some(
                std::process::Command::new("node")
                    .args(["--import", "./lib/native/register.js", "--test", "test/"])
                    .current_dir(&dir)
                    .output()
                    .unwrap(),
            ),
            "python" => Some(
                std::process::Command::new("python3")
                    .args(["-m", "unittest", "discover", "-s", "tests", "-t", "."])
                    .env("PYTHONPATH", "bindings")
                    .current_dir(&dir)
                    .output()
                    .unwrap(),
            ),
            _ => None,
        };
        if let Some(out) = native {
            assert!(
                out.status.success(),
                "{lang}: native tests: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let component = dir.join(format!("{name}.wasm"));
        let connector = LoadedConnector::load_file(&runtime(), &component)
            .await
            .unwrap_or_else(|e| panic!("loading {name}: {e}"));
        assert_eq!(connector.key(), name);
        pages_the_example_api(&connector, &base, &name).await;
    }
}

/// The SDK templates build, load and page an example API (so a copy starts from working
/// code), and map a refused key.
#[tokio::test]
async fn sdk_templates_work() {
    let api = example_api().await;
    let base = api.base_url();
    for name in ["template-js", "template-py"] {
        let connector = LoadedConnector::load_file(&runtime(), &common::component(name))
            .await
            .unwrap_or_else(|e| panic!("loading {name}: {e}"));
        assert_eq!(connector.key(), name);
        pages_the_example_api(&connector, &base, name).await;
    }
}

/// `docs/writing-a-connector.md`, *From zero to live*, step by step for JavaScript, as a
/// newcomer runs it (the real binary, outside this repository): scaffold, build, the native
/// unit tests, a call paging to the end, `connector check` against the running example API
/// with the guide's subject file (every check passes, none skipped but the writes), then a
/// running server: upload, tenant, connection, sync, key, and the products through the
/// Runtime API — with the check's change and deletion in them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_from_zero_to_live() {
    let api = example_api().await;
    let base = api.base_url();
    let config = json!({"base_url": base, "api_key": "t-key"}).to_string();
    let work = tempfile::tempdir().unwrap();
    let shop = work.path().join("my-shop");
    let toolchains = common::components_root().join("author-toolchains");
    let junction = |dir: &std::path::Path, args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_junction"))
            .args(args)
            .env("JUNCTION_TOOLCHAINS_DIR", &toolchains)
            .current_dir(dir)
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        );
        assert!(
            out.status.success(),
            "junction {args:?}:\n{stdout}\n{stderr}"
        );
        stdout
    };

    // 2. Scaffold and build.
    tokio::task::block_in_place(|| {
        junction(
            work.path(),
            &["connector", "new", "my-shop", "--lang", "js"],
        )
    });
    tokio::task::block_in_place(|| junction(work.path(), &["connector", "build", "my-shop"]));
    assert!(shop.join("my-shop.wasm").exists());

    // 3. Its unit tests, natively.
    let native = tokio::task::block_in_place(|| {
        std::process::Command::new("node")
            .args(["--import", "./lib/native/register.js", "--test", "test/"])
            .current_dir(&shop)
            .output()
            .unwrap()
    });
    assert!(
        native.status.success(),
        "{}",
        String::from_utf8_lossy(&native.stdout)
    );

    // 4. Try it: page to the end.
    let summary: Value = serde_json::from_str(&tokio::task::block_in_place(|| {
        junction(
            work.path(),
            &[
                "connector",
                "call",
                "my-shop/my-shop.wasm",
                "--allow-private-networks",
                "--config",
                &config,
                "list",
                "products",
                "--all",
            ],
        )
    }))
    .unwrap();
    assert_eq!(summary["records"], 5, "{summary}");

    // 5. Check it, with the guide's subject file.
    std::fs::write(
        shop.join("junction-check.toml"),
        format!(
            "[touch]\nproducts = \"curl -sf -X POST {base}/__emulator/items/2/touch > /dev/null && echo 2\"\n\n\
             [delete]\nresource = \"products\"\ncommand = \"curl -sf -X DELETE {base}/__emulator/items/$JUNCTION_ID\"\n"
        ),
    )
    .unwrap();
    let report = tokio::task::block_in_place(|| {
        junction(
            &shop,
            &[
                "connector",
                "check",
                "my-shop.wasm",
                "--allow-private-networks",
                "--config",
                &config,
            ],
        )
    });
    for check in [
        "manifest",
        "paging",
        "get",
        "errors",
        "updated-since",
        "changes-between-pages",
        "deletion",
    ] {
        assert!(
            report
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("pass  {check} "))),
            "{check} did not pass:\n{report}"
        );
    }
    assert!(report.contains("0 failed, 2 skipped"), "{report}");
    assert_eq!(
        api.ids(),
        vec![1, 2, 3, 4],
        "the check deleted the last item"
    );

    // A check that fails says which and why, and the command exits non-zero.
    std::fs::write(
        shop.join("broken.toml"),
        "[touch]\nproducts = \"echo 999\"\n",
    )
    .unwrap();
    let failed = tokio::task::block_in_place(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_junction"))
            .args([
                "connector",
                "check",
                "my-shop.wasm",
                "--allow-private-networks",
            ])
            .args(["--subject", "broken.toml", "--config", &config])
            .current_dir(&shop)
            .output()
            .unwrap()
    });
    let failed_report = String::from_utf8_lossy(&failed.stdout);
    assert!(!failed.status.success(), "{failed_report}");
    assert!(
        failed_report.contains("FAIL  updated-since")
            && failed_report.contains("get of touched products 999 failed"),
        "{failed_report}"
    );

    // 6. Live in a running server.
    let data = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let server = common::spawn_server(data.path(), port, &[]);
    // Not ready before a connector is loaded: alive is enough to upload one.
    common::wait_for_status(&server.base, "/healthz", 200).await;
    // The example API answers the server's sync from this process: never block a worker.
    let admin = |args: &[&str]| {
        tokio::task::block_in_place(|| {
            common::admin::cli_json(
                common::admin::cli(&server.base, data.path(), args),
                &args.join(" "),
            )
        })
    };
    let upload = shop.join("my-shop.wasm");
    admin(&["connectors", "upload", upload.to_str().unwrap()]);
    admin(&["tenants", "create", "acme"]);
    let created = admin(&[
        "connections",
        "create",
        "--tenant",
        "acme",
        "--connector",
        "my-shop",
        "--name",
        "shop",
        "--config",
        &config,
    ]);
    let id = created["connection"]["id"].as_str().unwrap().to_owned();
    admin(&["connections", "sync", &id]);
    let key = admin(&["keys", "create", &id, "--name", "reader"])["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    loop {
        let answer = client
            .get(format!("{}/api/v1/api/products", server.base))
            .header("X-API-Key", &key)
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        if status == 200 && body["data"].as_array().is_some_and(|d| d.len() == 4) {
            let names: Vec<&str> = body["data"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| p["name"].as_str())
                .collect();
            assert!(names.contains(&"Item 2 (changed)"), "{body}");
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the products never arrived: {status} {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
