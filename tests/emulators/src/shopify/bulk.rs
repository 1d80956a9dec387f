//! Bulk query operations, as Shopify runs them:
//!
//! - `bulkOperationRunQuery(query: "…")` starts one: the inner query is parsed and run over
//!   a snapshot of the shop with its connections unbounded (bulk queries give no `first`),
//!   one operation at a time per shop (another while one runs is a `userErrors` entry).
//! - It is `CREATED`, then `RUNNING`, and `COMPLETED` once the configured delay has passed;
//!   read it through `currentBulkOperation` or `node(id:)` (`status`, `objectCount`,
//!   `rootObjectCount`, `fileSize`, `url`; counts are `UnsignedInt64` strings).
//! - `url` (set when completed) serves the result as JSON Lines from the emulator itself,
//!   `GET /__emulator/shopify/bulk/{id}.jsonl`, without auth like Shopify's signed URL:
//!   one object per line, nested connections pulled out into lines of their own that name
//!   their parent in `__parentId` (the parent's `id`), each right after its parent.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::views::{datetime, gid};

/// One bulk operation.
#[derive(Debug, Clone)]
pub struct BulkOperation {
    pub id: u64,
    pub query: String,
    pub started: Instant,
    pub created_at: i64,
    /// The JSON Lines result, computed when it started.
    pub lines: Vec<Value>,
    pub root_objects: usize,
}

impl BulkOperation {
    /// `CREATED`, `RUNNING` or `COMPLETED`, by the time elapsed.
    pub fn status(&self, delay: Duration, now: Instant) -> &'static str {
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed >= delay {
            "COMPLETED"
        } else if elapsed >= delay / 2 {
            "RUNNING"
        } else {
            "CREATED"
        }
    }

    /// The file's text.
    pub fn jsonl(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
    }

    /// The `BulkOperation` object.
    pub fn view(&self, delay: Duration, now: Instant, base_url: &str) -> Value {
        let status = self.status(delay, now);
        let done = status == "COMPLETED";
        let created = datetime(self.created_at);
        json!({
            "__typename": "BulkOperation", "__id": self.id,
            "id": gid("BulkOperation", self.id), "type": "QUERY", "status": status,
            "errorCode": null, "query": self.query,
            "createdAt": created, "completedAt": done.then(|| created.clone()),
            "objectCount": if done { self.lines.len() } else { 0 }.to_string(),
            "rootObjectCount": if done { self.root_objects } else { 0 }.to_string(),
            "fileSize": done.then(|| self.jsonl().len().to_string()),
            "url": done.then(|| format!("{base_url}/__emulator/shopify/bulk/{}.jsonl", self.id)),
            "partialDataUrl": null,
        })
    }
}

fn connection_nodes(v: &Value) -> Option<Vec<Value>> {
    let obj = v.as_object()?;
    if let Some(nodes) = obj.get("nodes").and_then(Value::as_array) {
        return Some(nodes.clone());
    }
    let edges = obj.get("edges").and_then(Value::as_array)?;
    Some(
        edges
            .iter()
            .filter_map(|e| e.get("node").cloned())
            .collect(),
    )
}

/// Appends `node` and, after it, the nodes of its nested connections.
fn flatten_node(node: &Value, parent: Option<&str>, out: &mut Vec<Value>) {
    let Some(obj) = node.as_object() else {
        return;
    };
    let mut line = Map::new();
    let mut children = Vec::new();
    for (k, v) in obj {
        match connection_nodes(v) {
            Some(nodes) if v.get("nodes").is_some() || v.get("edges").is_some() => {
                children.extend(nodes)
            }
            _ => {
                line.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(p) = parent {
        line.insert("__parentId".into(), json!(p));
    }
    let id = obj.get("id").and_then(Value::as_str).map(str::to_owned);
    out.push(Value::Object(line));
    for child in &children {
        flatten_node(child, id.as_deref(), out);
    }
}

/// The JSON Lines of a bulk query's `data`, and how many root objects it holds.
pub fn flatten(data: &Value) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut roots = 0;
    if let Some(obj) = data.as_object() {
        for v in obj.values() {
            if let Some(nodes) = connection_nodes(v) {
                roots += nodes.len();
                for n in &nodes {
                    flatten_node(n, None, &mut out);
                }
            }
        }
    }
    (out, roots)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn nested_connections_become_lines_with_parent_ids() {
        let data = json!({"products": {"edges": [
            {"node": {"id": "gid://shopify/Product/1", "title": "A",
                      "variants": {"edges": [{"node": {"id": "gid://shopify/ProductVariant/5", "price": "1.00"}}]}}},
            {"node": {"id": "gid://shopify/Product/2", "title": "B", "variants": {"nodes": []}}}
        ]}});
        let (lines, roots) = flatten(&data);
        assert_eq!(roots, 2);
        assert_eq!(
            lines,
            vec![
                json!({"id": "gid://shopify/Product/1", "title": "A"}),
                json!({"id": "gid://shopify/ProductVariant/5", "price": "1.00", "__parentId": "gid://shopify/Product/1"}),
                json!({"id": "gid://shopify/Product/2", "title": "B"}),
            ]
        );
    }

    #[test]
    fn completes_after_the_delay() {
        let start = Instant::now();
        let op = BulkOperation {
            id: 3,
            query: "{ products { edges { node { id } } } }".into(),
            started: start,
            created_at: 0,
            lines: vec![json!({"id": "x"})],
            root_objects: 1,
        };
        let delay = Duration::from_millis(200);
        assert_eq!(op.status(delay, start), "CREATED");
        let running = op.view(delay, start + Duration::from_millis(150), "http://h");
        assert_eq!(
            (running["status"].as_str(), running["url"].is_null()),
            (Some("RUNNING"), true)
        );
        let done = op.view(delay, start + delay, "http://h");
        assert_eq!(done["status"], "COMPLETED");
        assert_eq!(done["objectCount"], "1");
        assert_eq!(done["url"], "http://h/__emulator/shopify/bulk/3.jsonl");
        assert_eq!(op.jsonl(), "{\"id\":\"x\"}\n");
    }
}
