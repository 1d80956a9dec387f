//! `junction connector check`: the conformance checks of `junction-conformance` — the same
//! implementation the test suite runs on every connector Junction ships — against an
//! author's already running system.
//!
//! The system's ids come from the connector itself: each resource is listed directly at
//! 100 records a page, and the paging check then walks it at the subject's small page size
//! through the fault proxy and must find the same ids. The proxy goes where the config's URL
//! field (the manifest's `config:<field>` host) points. What only the author can do —
//! change or delete a record upstream, say which writes to try — comes from the subject
//! file ([`super::subject_file`]); writes are read back with the connector's own `get`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use junction_conformance::{
    Deletion, Expected, NotOffered, RunOptions, Subject, VerifyFn, WriteCase,
};
use junction_runtime::types::{Entity, ListRequest, ResourceKind, WriteOp};
use junction_runtime::{CallOptions, LoadedConnector, SandboxLimits};
use serde_json::Value;

use super::subject_file::SubjectFile;
use crate::cli::{CompileCacheArgs, cli_runtime, load_for_cli, parse_json_arg};

/// Records a page when listing the system directly for its ids.
const REFERENCE_PAGE_SIZE: u32 = 100;
/// Beyond this many pages of 100 the system is no test shop.
const REFERENCE_MAX_PAGES: usize = 1_000;
/// Products tried when looking for one with enough variations.
const PARENTS_TRIED: usize = 20;
/// What replaces each secret of the config for the refused-credentials check.
const REFUSED_SECRET: &str = "junction-check-refused-credential";

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The connector component (.wasm).
    pub file: PathBuf,
    /// The config of a connection to the running system: inline JSON, or @path.
    #[arg(long)]
    pub config: String,
    /// The system runs on loopback or a private network (a local test shop).
    #[arg(long)]
    pub allow_private_networks: bool,
    /// The subject file: how to change and delete records upstream, which writes to try
    /// (default: ./junction-check.toml when present; see docs/writing-a-connector.md).
    #[arg(long)]
    pub subject: Option<PathBuf>,
    #[command(flatten)]
    pub cache: CompileCacheArgs,
}

/// Run the checks; prints the report and exits non-zero when a check failed.
pub async fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let (file, file_path) = SubjectFile::load(args.subject.as_deref())?;
    if let Some(path) = &file_path {
        eprintln!("subject file: {}", path.display());
    }
    let config = parse_json_arg("--config", &args.config)?;
    if !config.is_object() {
        anyhow::bail!("--config must be a JSON object");
    }
    let runtime = cli_runtime(
        SandboxLimits {
            allow_private_networks: args.allow_private_networks,
            ..SandboxLimits::default()
        },
        &args.cache,
    )?;
    let connector = load_for_cli(&runtime, &args.file).await?;
    let direct = connector.prepare(&config).map_err(|problems| {
        anyhow::anyhow!(
            "config does not match the `{}` connector's schema: {}",
            connector.key(),
            junction_runtime::config_check::summarize(&problems)
        )
    })?;
    let target = Target::from_config(&connector, &config)?;
    target.ensure_reachable(args.allow_private_networks).await?;

    let page_size = file.page_size.unwrap_or(2);
    let expected = reference(&connector, &direct, &file, page_size).await?;
    let missing_id = file
        .missing_id
        .clone()
        .unwrap_or_else(|| missing_id(&expected));
    let touch = file.touch_commands()?;
    let delete = match (file.delete_resource()?, &file.delete) {
        (Some(resource), Some(commands)) => Some(Deletion {
            resource,
            victim: commands
                .create
                .clone()
                .map(|create| -> junction_conformance::CreateFn {
                    Box::new(move || {
                        let create = create.clone();
                        Box::pin(async move { shell("create", &create, &[]).await })
                    })
                }),
            delete: {
                let command = commands.command.clone();
                Box::new(move |resource: ResourceKind, id: String| {
                    let command = command.clone();
                    Box::pin(async move {
                        shell(
                            "delete",
                            &command,
                            &[
                                ("JUNCTION_RESOURCE", resource.as_str()),
                                ("JUNCTION_ID", &id),
                            ],
                        )
                        .await
                        .map(drop)
                    })
                })
            },
        }),
        _ => None,
    };
    let cases = |entries: &[super::subject_file::WriteEntry], table: &str| {
        entries
            .iter()
            .enumerate()
            .map(|(at, entry)| {
                let op = entry.op(&format!("[[{table}]] {}", at + 1))?;
                let verify = read_back(connector.clone(), direct.clone(), &op);
                Ok(WriteCase { op, verify })
            })
            .collect::<anyhow::Result<Vec<_>>>()
    };
    let write_cases = cases(&file.write, "write")?;
    let batch_cases = cases(&file.batch, "batch")?;
    let manifest = &connector.manifest;
    let subject = Subject {
        component: args.file.clone(),
        upstream: target.origin.clone(),
        config: target.config_for_origin(&config),
        bad_credentials: refused_credentials(&manifest.config_schema, &config)
            .map(|refused| target.config_for_origin(&refused)),
        resources: manifest.resources.clone(),
        writes: manifest.writes.clone(),
        page_size,
        expected,
        touch: (!touch.is_empty()).then(|| shell_touch(touch)),
        delete,
        missing_id,
        write_cases,
        writes_required: false,
        batch_cases,
        guard: Box::new(()),
    };
    let report = junction_conformance::run(
        subject,
        RunOptions {
            cache_dir: args.cache.dir(),
        },
    )
    .await;
    println!("{report}");
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Where the system is: the config field the manifest names as a host (`config:<field>`),
/// and the URL in it split into its origin and the rest.
struct Target {
    field: String,
    /// `scheme://host[:port]`.
    origin: String,
    /// Path, query and fragment as written in the config (kept as they are).
    rest: String,
    host: String,
    port: u16,
}

impl Target {
    fn from_config(connector: &LoadedConnector, config: &Value) -> anyhow::Result<Self> {
        let fields: Vec<&str> = connector
            .manifest
            .hosts
            .iter()
            .filter_map(|h| h.strip_prefix("config:"))
            .collect();
        let Some(field) = fields.first() else {
            anyhow::bail!(
                "the `{}` connector names no config field as its host (hosts: {:?}); the check \
                 puts its fault proxy in front of the system by changing the URL in that field",
                connector.key(),
                connector.manifest.hosts
            );
        };
        let text = config
            .get(*field)
            .and_then(Value::as_str)
            .with_context(|| format!("--config has no `{field}`: the system's URL goes there"))?;
        let url = reqwest::Url::parse(text)
            .with_context(|| format!("--config `{field}` = `{text}` is not a URL"))?;
        let host = url
            .host_str()
            .with_context(|| format!("--config `{field}` = `{text}` names no host"))?
            .to_owned();
        let port = url
            .port_or_known_default()
            .with_context(|| format!("--config `{field}` = `{text}`: unknown port"))?;
        let after_scheme = text.find("://").map_or(0, |at| at + 3);
        let authority_end = text[after_scheme..]
            .find(['/', '?', '#'])
            .map_or(text.len(), |at| after_scheme + at);
        Ok(Self {
            field: (*field).to_owned(),
            origin: text[..authority_end].to_owned(),
            rest: text[authority_end..].to_owned(),
            host,
            port,
        })
    }

    /// The sandbox refuses private networks unless allowed; say so before any check does.
    async fn ensure_reachable(&self, allow_private: bool) -> anyhow::Result<()> {
        if allow_private {
            return Ok(());
        }
        let addresses = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .with_context(|| format!("cannot resolve {}", self.host))?;
        for address in addresses {
            if !junction_runtime::egress::is_public(address.ip()) {
                anyhow::bail!(
                    "{} ({}) is on a loopback or private network: pass --allow-private-networks \
                     (and start `junction serve` with it to use this system)",
                    self.origin,
                    address.ip()
                );
            }
        }
        Ok(())
    }

    /// `config` with the origin of the URL field replaced by the one given (the proxy's).
    fn config_for_origin(&self, config: &Value) -> junction_conformance::ConfigFn {
        let config = config.clone();
        let field = self.field.clone();
        let rest = self.rest.clone();
        Box::new(move |origin: &str| {
            let mut config = config.clone();
            if let Some(object) = config.as_object_mut() {
                object.insert(field.clone(), Value::String(format!("{origin}{rest}")));
            }
            config
        })
    }
}

/// The config with every secret it holds (`writeOnly` in the schema) replaced by a wrong
/// one; `None` when it holds none (a system without credentials).
fn refused_credentials(schema: &str, config: &Value) -> Option<Value> {
    let schema: Value = serde_json::from_str(schema).ok()?;
    let properties = schema.get("properties")?.as_object()?;
    let mut refused = config.clone();
    let object = refused.as_object_mut()?;
    let mut changed = false;
    for (key, property) in properties {
        if property.get("writeOnly") == Some(&Value::Bool(true))
            && object.get(key).is_some_and(Value::is_string)
        {
            object.insert(key.clone(), Value::String(REFUSED_SECRET.into()));
            changed = true;
        }
    }
    changed.then_some(refused)
}

/// Every id of `resource` (under `parent`), listed directly.
async fn all_ids(
    connector: &LoadedConnector,
    options: &CallOptions,
    resource: ResourceKind,
    parent: Option<&str>,
) -> anyhow::Result<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    let mut cursor = None;
    for page in 1..=REFERENCE_MAX_PAGES {
        let request = ListRequest {
            resource,
            updated_since: None,
            cursor,
            page_size: REFERENCE_PAGE_SIZE,
            parent_id: parent.map(str::to_owned),
            ids_only: false,
        };
        let listed = connector.list(options, request).await.value.map_err(|e| {
            anyhow::anyhow!(
                "listing {} (page {page}) directly failed: {e}",
                resource.as_str()
            )
        })?;
        ids.extend(listed.entities.iter().map(|e| e.external_id().to_owned()));
        match listed.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(ids),
        }
    }
    anyhow::bail!(
        "{}: still a next cursor after {REFERENCE_MAX_PAGES} pages of {REFERENCE_PAGE_SIZE}; \
         point the check at a small test system",
        resource.as_str()
    )
}

/// What the paging checks compare with: every readable resource listed directly; for
/// variations, under the product the subject names or the first one with enough of them.
async fn reference(
    connector: &LoadedConnector,
    options: &CallOptions,
    file: &SubjectFile,
    page_size: u32,
) -> anyhow::Result<Vec<Expected>> {
    let mut expected = Vec::new();
    for &resource in &connector.manifest.resources {
        let (parent_id, ids) = if resource == ResourceKind::Variations {
            variations_reference(connector, options, file, page_size).await?
        } else {
            (None, all_ids(connector, options, resource, None).await?)
        };
        if ids.len() <= page_size as usize {
            anyhow::bail!(
                "{} has {} record(s) in the system; the paging check needs more than page_size \
                 ({page_size}): add records, or lower page_size in the subject file",
                resource.as_str(),
                ids.len()
            );
        }
        eprintln!(
            "{}: {} record(s) in the system",
            resource.as_str(),
            ids.len()
        );
        expected.push(Expected {
            resource,
            parent_id,
            ids,
        });
    }
    Ok(expected)
}

async fn variations_reference(
    connector: &LoadedConnector,
    options: &CallOptions,
    file: &SubjectFile,
    page_size: u32,
) -> anyhow::Result<(Option<String>, BTreeSet<String>)> {
    if let Some(parent) = &file.variations_parent {
        let ids = all_ids(connector, options, ResourceKind::Variations, Some(parent)).await?;
        return Ok((Some(parent.clone()), ids));
    }
    let products = all_ids(connector, options, ResourceKind::Products, None).await?;
    for product in products.iter().take(PARENTS_TRIED) {
        let ids = all_ids(connector, options, ResourceKind::Variations, Some(product)).await?;
        if ids.len() > page_size as usize {
            return Ok((Some(product.clone()), ids));
        }
    }
    anyhow::bail!(
        "none of the first {PARENTS_TRIED} products has more than {page_size} variations: name \
         one with `variations_parent` in the subject file"
    )
}

/// A well-formed id that does not exist: past the largest numeric id, or a made-up one.
fn missing_id(expected: &[Expected]) -> String {
    let numeric: Option<Vec<u64>> = expected
        .first()
        .map(|first| first.ids.iter().map(|id| id.parse().ok()).collect())
        .unwrap_or_default();
    match numeric.and_then(|ids| ids.into_iter().max()) {
        Some(largest) => largest.saturating_add(1_000_000).to_string(),
        None => "junction-check-missing-id".to_owned(),
    }
}

/// Run `command` with `sh -c`; the last line it prints is its answer.
async fn shell(what: &str, command: &str, env: &[(&str, &str)]) -> anyhow::Result<String> {
    let output = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("cannot run the {what} command `{command}`"))?;
    if !output.status.success() {
        anyhow::bail!(
            "the {what} command `{command}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    Ok(stdout
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .unwrap_or_default()
        .to_owned())
}

fn shell_touch(commands: Vec<(ResourceKind, String)>) -> junction_conformance::TouchFn {
    let commands = Arc::new(commands);
    Box::new(move |resource: ResourceKind| {
        let commands = commands.clone();
        Box::pin(async move {
            let Some((_, command)) = commands.iter().find(|(r, _)| *r == resource) else {
                return Err(NotOffered(resource.as_str()).into());
            };
            let id = shell(
                "touch",
                command,
                &[("JUNCTION_RESOURCE", resource.as_str())],
            )
            .await?;
            if id.is_empty() {
                anyhow::bail!("the touch command for {} printed no id", resource.as_str());
            }
            Ok(id)
        })
    })
}

/// Reads a write's effect back with the connector's own `get`.
fn read_back(connector: Arc<LoadedConnector>, options: CallOptions, op: &WriteOp) -> VerifyFn {
    let op = op.clone();
    Box::new(move || {
        let (connector, options, op) = (connector.clone(), options.clone(), op.clone());
        Box::pin(async move {
            let Some((resource, id, parent)) = written_record(&op) else {
                // An upsert: its success and target id are what the write check sees.
                return Ok(());
            };
            let entity = connector
                .get(&options, resource, id.clone(), parent)
                .await
                .value
                .map_err(|e| anyhow::anyhow!("get {} {id}: {e}", resource.as_str()))?;
            effect_is_in(&op, &entity)
        })
    })
}

/// The record a write changes: resource, id and parent.
fn written_record(op: &WriteOp) -> Option<(ResourceKind, String, Option<String>)> {
    Some(match op {
        WriteOp::OrderStatus(c) => (ResourceKind::Orders, c.order_id.clone(), None),
        WriteOp::OrderTracking(c) => (ResourceKind::Orders, c.order_id.clone(), None),
        WriteOp::ProductStock(c) => (ResourceKind::Products, c.product_id.clone(), None),
        WriteOp::ProductPrice(c) => (ResourceKind::Products, c.product_id.clone(), None),
        WriteOp::VariationStock(c) => (
            ResourceKind::Variations,
            c.variation_id.clone(),
            Some(c.product_id.clone()),
        ),
        WriteOp::VariationPrice(c) => (
            ResourceKind::Variations,
            c.variation_id.clone(),
            Some(c.product_id.clone()),
        ),
        WriteOp::UpsertOrder(_) | WriteOp::UpsertCustomer(_) | WriteOp::UpsertProduct(_) => {
            return None;
        }
    })
}

/// The written value as the record now holds it.
fn effect_is_in(op: &WriteOp, entity: &Entity) -> anyhow::Result<()> {
    let same_price = |held: Option<&String>, wanted: &str| {
        held.is_some_and(|held| canonical_decimal(held) == canonical_decimal(wanted))
    };
    let holds = match (op, entity) {
        (WriteOp::OrderStatus(c), Entity::Order(o)) => o.status == c.status,
        (WriteOp::OrderTracking(c), Entity::Order(o)) => {
            o.tracking.iter().any(|t| t.number == c.tracking.number)
        }
        (WriteOp::ProductStock(c), Entity::Product(p)) => p.stock_quantity == Some(c.quantity),
        (WriteOp::VariationStock(c), Entity::Variation(v)) => v.stock_quantity == Some(c.quantity),
        (WriteOp::ProductPrice(c), Entity::Product(p)) => {
            same_price(p.regular_price.as_ref().or(p.price.as_ref()), &c.price)
                && c.sale_price
                    .as_ref()
                    .is_none_or(|sale| same_price(p.sale_price.as_ref(), sale))
        }
        (WriteOp::VariationPrice(c), Entity::Variation(v)) => {
            same_price(v.regular_price.as_ref().or(v.price.as_ref()), &c.price)
                && c.sale_price
                    .as_ref()
                    .is_none_or(|sale| same_price(v.sale_price.as_ref(), sale))
        }
        _ => false,
    };
    if holds {
        Ok(())
    } else {
        let shown: String = serde_json::to_string(entity)
            .unwrap_or_default()
            .chars()
            .take(600)
            .collect();
        anyhow::bail!("read back with get, the record does not hold the write: {shown}")
    }
}

/// `9.90`, `9.9` and `09.900` are one price.
fn canonical_decimal(text: &str) -> String {
    let text = text.trim();
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    if frac.is_empty() {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn prices_compare_as_numbers_written_differently() {
        assert_eq!(canonical_decimal("09.900"), canonical_decimal("9.9"));
        assert_eq!(canonical_decimal("10"), canonical_decimal("10.00"));
        assert_eq!(canonical_decimal("0.50"), "0.5");
        assert_ne!(canonical_decimal("1.5"), canonical_decimal("15"));
    }

    #[test]
    fn the_missing_id_is_past_the_largest_numeric_id() {
        let expected = |ids: &[&str]| {
            vec![Expected {
                resource: ResourceKind::Orders,
                parent_id: None,
                ids: ids.iter().map(|id| (*id).to_owned()).collect(),
            }]
        };
        assert_eq!(missing_id(&expected(&["7", "12", "3"])), "1000012");
        assert_eq!(
            missing_id(&expected(&["a1", "7"])),
            "junction-check-missing-id"
        );
    }

    #[test]
    fn refused_credentials_replace_only_the_secrets() {
        let schema = r#"{"type":"object","properties":{
            "base_url":{"type":"string"},
            "consumer_key":{"type":"string"},
            "consumer_secret":{"type":"string","writeOnly":true}}}"#;
        let config = serde_json::json!({"base_url": "http://x", "consumer_key": "ck", "consumer_secret": "cs"});
        let refused = refused_credentials(schema, &config).unwrap();
        assert_eq!(refused["consumer_secret"], REFUSED_SECRET);
        assert_eq!(refused["consumer_key"], "ck");
        let open = r#"{"type":"object","properties":{"feed_url":{"type":"string"}}}"#;
        assert!(refused_credentials(open, &serde_json::json!({"feed_url": "http://x"})).is_none());
    }

    #[tokio::test]
    async fn a_shell_answer_is_its_last_printed_line_and_a_failure_says_why() {
        let id = shell("touch", "echo noise; echo 42; echo", &[])
            .await
            .unwrap();
        assert_eq!(id, "42");
        let env = shell("delete", "echo $JUNCTION_ID", &[("JUNCTION_ID", "7")])
            .await
            .unwrap();
        assert_eq!(env, "7");
        let err = shell("touch", "echo broken >&2; exit 3", &[])
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("broken") && err.contains("touch"), "{err}");
    }
}
