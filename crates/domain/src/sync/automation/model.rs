//! What an automation is: a source and a target connection of one tenant, a cadence, an
//! optional run-on-change trigger, per entity (orders, customers, products) an enabled flag
//! and a direction, and mapping options. [`validate`] checks a definition against the two
//! connectors' manifests and refuses, naming the field, what could never run: a reading
//! side that does not list the entity, or a writing side without the write it needs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use junction_contract::{Manifest, ResourceKind, WriteKind};
use junction_runtime::overrides;
use junction_store::connections::Connection;

/// Which way an entity flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    SourceToTarget,
    TargetToSource,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SourceToTarget => "source_to_target",
            Direction::TargetToSource => "target_to_source",
        }
    }
}

/// One entity's setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntitySetting {
    #[serde(default = "yes")]
    pub enabled: bool,
    pub direction: Direction,
}

fn yes() -> bool {
    true
}

/// The entities an automation can carry, in the order a run handles them (customers
/// before the orders that name them).
pub const ENTITIES: [ResourceKind; 3] = [
    ResourceKind::Customers,
    ResourceKind::Products,
    ResourceKind::Orders,
];

/// Per entity settings, keyed by `orders`, `customers`, `products`.
pub type Entities = BTreeMap<String, EntitySetting>;

/// Mapping options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MappingOptions {
    /// Order status words of the reading side → the writing side's, e.g.
    /// `{"processing": "paid"}`. Unlisted statuses pass unchanged.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub order_status_map: BTreeMap<String, String>,
    /// Config properties of the target connection to use for this automation's writes,
    /// e.g. `{"platform": "woocommerce"}`: which platform name a Bugalou target files orders
    /// under. Only properties the connector marks overridable, never secrets, URLs or
    /// anything that decides where requests go (see `runtime::overrides`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = Object)]
    pub target_config: Map<String, Value>,
    /// The same for writes to the source connection (entities flowing target → source).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = Object)]
    pub source_config: Map<String, Value>,
}

pub use junction_runtime::config_check::FieldProblem as Problem;

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

/// The writes that can carry an entity to a writing side, best first.
pub fn writes_for(resource: ResourceKind) -> &'static [WriteKind] {
    match resource {
        ResourceKind::Orders => &[WriteKind::UpsertOrder],
        ResourceKind::Customers => &[WriteKind::UpsertCustomer],
        ResourceKind::Products => &[
            WriteKind::UpsertProduct,
            WriteKind::ProductStock,
            WriteKind::ProductPrice,
            WriteKind::VariationStock,
            WriteKind::VariationPrice,
        ],
        ResourceKind::Variations => &[],
    }
}

/// One side of an automation for validation: the connection and its connector's manifest.
pub struct Side<'a> {
    pub connection: &'a Connection,
    pub manifest: &'a Manifest,
}

/// Check a definition. `entities` keys must be entity names; at least one must be enabled;
/// for each enabled one the reading side must list it and the writing side must take one of
/// its writes; config overrides must pass `runtime::overrides` for that connector.
pub fn validate(
    source: &Side<'_>,
    target: &Side<'_>,
    cadence_secs: i64,
    entities: &Entities,
    options: &MappingOptions,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if source.connection.id == target.connection.id {
        problems.push(problem(
            "targetConnectionId",
            "the source and the target must be two different connections",
        ));
    }
    if source.connection.tenant_id != target.connection.tenant_id {
        problems.push(problem(
            "targetConnectionId",
            "the source and the target must belong to the same tenant",
        ));
    }
    if !(10..=7 * 24 * 3600).contains(&cadence_secs) {
        problems.push(problem(
            "cadenceSeconds",
            "cadenceSeconds must be between 10 and 604800 (one week)",
        ));
    }
    let mut enabled = 0;
    for (name, setting) in entities {
        let field = format!("entities.{name}");
        let resource = match ResourceKind::parse(name) {
            Ok(r) if ENTITIES.contains(&r) => r,
            _ => {
                problems.push(problem(
                    field,
                    format!("unknown entity `{name}`: expected orders, customers or products"),
                ));
                continue;
            }
        };
        if !setting.enabled {
            continue;
        }
        enabled += 1;
        let (reader, writer, reader_role, writer_role) = match setting.direction {
            Direction::SourceToTarget => (source, target, "source", "target"),
            Direction::TargetToSource => (target, source, "target", "source"),
        };
        if !reader.manifest.resources.contains(&resource) {
            problems.push(problem(
                format!("{field}.direction"),
                format!(
                    "the {reader_role} connection `{}` ({}) cannot be read for {name}: its connector lists {}",
                    reader.connection.name,
                    reader.manifest.key,
                    listing(&reader.manifest.resources.iter().map(|r| r.as_str()).collect::<Vec<_>>()),
                ),
            ));
        }
        let needed = writes_for(resource);
        if !needed.iter().any(|w| writer.manifest.writes.contains(w)) {
            problems.push(problem(
                format!("{field}.direction"),
                format!(
                    "the {writer_role} connection `{}` ({}) cannot take {name}: that needs one of {}, and its connector supports {}",
                    writer.connection.name,
                    writer.manifest.key,
                    listing(&needed.iter().map(|w| w.as_str()).collect::<Vec<_>>()),
                    listing(&writer.manifest.writes.iter().map(|w| w.as_str()).collect::<Vec<_>>()),
                ),
            ));
        }
    }
    if enabled == 0 {
        problems.push(problem(
            "entities",
            "enable at least one of orders, customers, products, each with a direction",
        ));
    }
    for (key, overrides, side) in [
        ("options.targetConfig", &options.target_config, target),
        ("options.sourceConfig", &options.source_config, source),
    ] {
        for refused in overrides::problems(side.manifest, overrides) {
            problems.push(problem(format!("{key}.{}", refused.field), refused.message));
        }
    }
    problems
}

fn listing(items: &[&str]) -> String {
    if items.is_empty() {
        "nothing".into()
    } else {
        items.join(", ")
    }
}

/// An enabled entity of an automation and where it flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    pub resource: ResourceKind,
    pub direction: Direction,
}

/// The enabled flows of a definition, in run order.
pub fn flows(entities: &Entities) -> Vec<Flow> {
    ENTITIES
        .iter()
        .filter_map(|resource| {
            let setting = entities.get(resource.as_str())?;
            setting.enabled.then_some(Flow {
                resource: *resource,
                direction: setting.direction,
            })
        })
        .collect()
}
