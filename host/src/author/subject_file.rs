//! The subject file of `junction connector check` (`junction-check.toml` in the connector's
//! directory, or `--subject FILE`): what the checks may do in the author's own system that
//! they cannot work out alone — how to change or delete a record upstream, which writes to
//! try. Every key is optional; what is not given is skipped and the report says so.
//!
//! ```toml
//! page_size = 2               # records per page in the paging checks (default 2)
//! missing_id = "999999"       # an id that does not exist (default: worked out from the ids)
//! variations_parent = "12"    # a product with more than page_size variations (default: found)
//!
//! [touch]                     # per resource, a shell command that changes one record
//! orders = "curl -s -X PUT … && echo 12"   # the last line it prints is the record's id
//!
//! [delete]                    # a shell command that deletes the record $JUNCTION_ID
//! resource = "customers"
//! command = "curl -s -X DELETE …/customers/$JUNCTION_ID?force=true"
//! create = "…"                # optional: makes the record to delete, prints its id
//!
//! [[write]]                   # as `junction connector examples` prints them
//! op = { op = "order-status", order-id = "12", status = "completed" }
//! [[batch]]                   # sent together in one write-batch
//! op = '{"op": "product-stock", "product-id": "7", "quantity": 5}'
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use junction_runtime::types::{ResourceKind, WriteOp};
use serde::Deserialize;

/// The file's name in the connector's directory.
pub const FILE_NAME: &str = "junction-check.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectFile {
    pub page_size: Option<u32>,
    pub missing_id: Option<String>,
    pub variations_parent: Option<String>,
    #[serde(default)]
    pub touch: BTreeMap<String, String>,
    pub delete: Option<DeleteCommands>,
    #[serde(default)]
    pub write: Vec<WriteEntry>,
    #[serde(default)]
    pub batch: Vec<WriteEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteCommands {
    pub resource: String,
    pub command: String,
    pub create: Option<String>,
}

/// One write: a TOML table, or a JSON object in a string.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteEntry {
    pub op: toml::Value,
}

impl SubjectFile {
    /// The file named, else `junction-check.toml` in the current directory when there is
    /// one, else an empty subject.
    pub fn load(named: Option<&Path>) -> anyhow::Result<(Self, Option<PathBuf>)> {
        let path = match named {
            Some(path) => path.to_path_buf(),
            None => {
                let default = PathBuf::from(FILE_NAME);
                if !default.exists() {
                    return Ok((Self::default(), None));
                }
                default
            }
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the subject file {}", path.display()))?;
        let file: Self = toml::from_str(&text)
            .with_context(|| format!("the subject file {} is not valid", path.display()))?;
        if file.page_size == Some(0) {
            anyhow::bail!("{}: page_size must be at least 1", path.display());
        }
        Ok((file, Some(path)))
    }

    /// The touch commands by resource, each name checked.
    pub fn touch_commands(&self) -> anyhow::Result<Vec<(ResourceKind, String)>> {
        self.touch
            .iter()
            .map(|(resource, command)| Ok((parse_resource("[touch]", resource)?, command.clone())))
            .collect()
    }

    /// The resource the delete command deletes.
    pub fn delete_resource(&self) -> anyhow::Result<Option<ResourceKind>> {
        self.delete
            .as_ref()
            .map(|d| parse_resource("[delete] resource", &d.resource))
            .transpose()
    }
}

fn parse_resource(key: &str, name: &str) -> anyhow::Result<ResourceKind> {
    ResourceKind::parse(name).map_err(|e| anyhow::anyhow!("{key}: {e}"))
}

impl WriteEntry {
    /// The write operation, in the same JSON as `connector call … write`.
    pub fn op(&self, at: &str) -> anyhow::Result<WriteOp> {
        let json = match &self.op {
            toml::Value::String(text) => serde_json::from_str(text)
                .with_context(|| format!("{at}: `op` is not valid JSON"))?,
            table => serde_json::to_value(table)
                .with_context(|| format!("{at}: `op` cannot be read as JSON"))?,
        };
        crate::cli::parse_write_op(&json).with_context(|| format!("{at}: `op`"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_optional_and_unknown_keys_are_refused() {
        let empty: SubjectFile = toml::from_str("").unwrap();
        assert!(empty.touch.is_empty() && empty.write.is_empty() && empty.delete.is_none());
        let wrong = toml::from_str::<SubjectFile>("pagesize = 3").unwrap_err();
        assert!(wrong.to_string().contains("pagesize"), "{wrong}");
    }

    #[test]
    fn writes_come_as_tables_or_json_and_resources_are_named() {
        let file: SubjectFile = toml::from_str(
            r#"
            [touch]
            orders = "echo 1"
            [[write]]
            op = { op = "order-status", order-id = "12", status = "completed" }
            [[write]]
            op = '{"op": "product-stock", "product-id": "7", "quantity": 5}'
            "#,
        )
        .unwrap();
        let ops: Vec<WriteOp> = file
            .write
            .iter()
            .map(|w| w.op("[[write]]").unwrap())
            .collect();
        assert!(
            matches!(&ops[0], WriteOp::OrderStatus(c) if c.order_id == "12" && c.status == "completed")
        );
        assert!(matches!(&ops[1], WriteOp::ProductStock(c) if c.quantity == 5));
        assert_eq!(
            file.touch_commands()
                .unwrap()
                .into_iter()
                .map(|(resource, _)| resource)
                .collect::<Vec<_>>(),
            vec![ResourceKind::Orders]
        );
        let bad: SubjectFile = toml::from_str("[touch]\norder = \"echo 1\"").unwrap();
        let err = bad.touch_commands().unwrap_err().to_string();
        assert!(err.contains("[touch]") && err.contains("order"), "{err}");
    }
}
