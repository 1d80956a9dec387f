//! The first sync of a large shop through a bulk operation (opt-in: `bulk_first_sync`),
//! decided without I/O.
//!
//! A full listing (no cursor, no `updated-since`) of orders, customers or products starts
//! `bulkOperationRunQuery` with the listing's fields and answers an empty page whose cursor
//! names the operation. Later calls poll it: while it runs the call answers `rate-limited`
//! (the host keeps its cursor and comes back after the wait); once completed, the JSON
//! Lines file at its `url` is read a chunk at a time with HTTP `Range` requests (a server
//! that ignores `Range` sends the whole file, which works too), each page holding up to the
//! page size of root records with their child lines (`__parentId`) put back under them
//! ([`take`]). The cursor keeps the byte offset of the next root line.
//!
//! When the file is read, the listing goes on as an incremental one from the instant the
//! operation started (`updated_at:>=`), so records changed while it ran are read again
//! (newer versions, not duplicates). An operation that failed, was cancelled or expired
//! falls back to the plain paged listing.

use junction_sdk::types::ConnectorError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Bytes asked for per request of the file.
pub const CHUNK_BYTES: u64 = 4 * 1024 * 1024;

/// Where a bulk-backed listing stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkCursor {
    /// The operation's global id.
    #[serde(rename = "id")]
    pub operation: String,
    /// When it was started (seconds): the incremental listing after it starts here.
    #[serde(rename = "t")]
    pub started: i64,
    /// Byte offset of the next root line in the file.
    #[serde(rename = "o")]
    pub offset: u64,
}

/// What the operation's status means for the listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// Still running: come back later.
    Running(String),
    /// Completed: the file is at this URL (none: nothing matched).
    Completed(Option<String>),
    /// Failed, cancelled or expired: page the plain way instead.
    Abandoned(String),
}

/// Reads a `BulkOperation` object.
pub fn poll(op: &Value) -> Result<Poll, ConnectorError> {
    let status = op.get("status").and_then(Value::as_str).ok_or_else(|| {
        ConnectorError::upstream(200, "the bulk operation has no status (is its id right?)")
    })?;
    Ok(match status {
        "COMPLETED" => Poll::Completed(op.get("url").and_then(Value::as_str).map(str::to_owned)),
        "CREATED" | "RUNNING" | "CANCELING" => Poll::Running(status.to_owned()),
        other => {
            let code = op
                .get("errorCode")
                .and_then(Value::as_str)
                .unwrap_or("none");
            Poll::Abandoned(format!("{other} (error code {code})"))
        }
    })
}

/// Root records taken from a chunk of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Taken {
    /// Root objects with their children put back (`lineItems`/`variants` `{nodes}`).
    pub records: Vec<Value>,
    /// Bytes of the chunk used; the next page starts there.
    pub consumed: u64,
    /// The file is read to its end.
    pub done: bool,
}

/// The field a child line belongs under in its parent, from its global id's kind.
fn child_field(child: &Value) -> &'static str {
    let id = child.get("id").and_then(Value::as_str).unwrap_or("");
    if id.starts_with("gid://shopify/LineItem/") {
        "lineItems"
    } else if id.starts_with("gid://shopify/ProductVariant/") {
        "variants"
    } else {
        "children"
    }
}

struct Root {
    start: u64,
    object: Map<String, Value>,
}

/// Takes up to `max_roots` root records (with their children) from `bytes`, a chunk of
/// the file; `eof` says the chunk reaches the file's end. A root is only taken once the
/// next root (or the end) shows its children are complete.
pub fn take(bytes: &[u8], eof: bool, max_roots: usize) -> Result<Taken, ConnectorError> {
    let bad = |m: String| ConnectorError::upstream(200, format!("bulk operation file: {m}"));
    let mut roots: Vec<Root> = Vec::new();
    let mut pos = 0usize;
    let mut stopped_at = None;
    while pos < bytes.len() {
        let end = match bytes[pos..].iter().position(|b| *b == b'\n') {
            Some(n) => pos + n,
            None if eof => bytes.len(),
            None => break,
        };
        let line = &bytes[pos..end];
        let start = pos as u64;
        pos = end + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: Value =
            serde_json::from_slice(line).map_err(|e| bad(format!("a line is not JSON: {e}")))?;
        let Value::Object(mut object) = value else {
            return Err(bad("a line is not an object".into()));
        };
        match object.remove("__parentId") {
            None => {
                if roots.len() == max_roots {
                    stopped_at = Some(start);
                    break;
                }
                roots.push(Root { start, object });
            }
            Some(parent) => {
                let parent = parent.as_str().unwrap_or("");
                let owner = roots
                    .iter_mut()
                    .rev()
                    .find(|r| r.object.get("id").and_then(Value::as_str) == Some(parent))
                    .ok_or_else(|| bad(format!("a line names parent {parent:?} before it")))?;
                let child = Value::Object(object);
                let field = child_field(&child);
                let slot = owner
                    .object
                    .entry(field)
                    .or_insert_with(|| json!({"nodes": []}));
                if let Some(nodes) = slot.get_mut("nodes").and_then(Value::as_array_mut) {
                    nodes.push(child);
                }
            }
        }
    }
    let (consumed, done) = match stopped_at {
        Some(at) => (at, false),
        None if eof => (bytes.len() as u64, true),
        None => {
            // The chunk ended inside the last root's lines: it waits for the next chunk.
            let last = roots
                .pop()
                .ok_or_else(|| bad(format!("one record is larger than {CHUNK_BYTES} bytes")))?;
            if roots.is_empty() {
                return Err(bad(format!(
                    "one record is larger than {CHUNK_BYTES} bytes"
                )));
            }
            (last.start, false)
        }
    };
    Ok(Taken {
        records: roots.into_iter().map(|r| Value::Object(r.object)).collect(),
        consumed,
        done,
    })
}

/// `bytes=FROM-TO` for the chunk at `offset`.
pub fn range(offset: u64) -> String {
    format!("bytes={offset}-{}", offset + CHUNK_BYTES - 1)
}

/// Whether a `206` answer with this `Content-Range` (`bytes a-b/total`) reaches the end.
pub fn reaches_end(content_range: Option<&str>) -> bool {
    let Some(spec) = content_range.and_then(|v| v.trim().strip_prefix("bytes ")) else {
        return true;
    };
    let Some((span, total)) = spec.split_once('/') else {
        return true;
    };
    let last = span
        .split_once('-')
        .and_then(|(_, b)| b.parse::<u64>().ok());
    match (last, total.parse::<u64>()) {
        (Some(last), Ok(total)) => last + 1 >= total,
        _ => true,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const FILE: &str = concat!(
        "{\"id\":\"gid://shopify/Order/1\",\"name\":\"#1\"}\n",
        "{\"id\":\"gid://shopify/LineItem/10\",\"sku\":\"A\",\"__parentId\":\"gid://shopify/Order/1\"}\n",
        "{\"id\":\"gid://shopify/LineItem/11\",\"sku\":\"B\",\"__parentId\":\"gid://shopify/Order/1\"}\n",
        "{\"id\":\"gid://shopify/Order/2\",\"name\":\"#2\"}\n",
        "{\"id\":\"gid://shopify/Order/3\",\"name\":\"#3\"}\n",
    );

    #[test]
    fn roots_come_back_with_their_children() {
        let t = take(FILE.as_bytes(), true, 2).unwrap();
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.records[0]["lineItems"]["nodes"][1]["sku"], "B");
        assert!(
            t.records[0]["lineItems"]["nodes"][0]
                .get("__parentId")
                .is_none()
        );
        assert!(!t.done);
        let rest = take(&FILE.as_bytes()[t.consumed as usize..], true, 2).unwrap();
        assert_eq!(rest.records.len(), 1);
        assert_eq!(rest.records[0]["name"], "#3");
        assert!(rest.done);
    }

    #[test]
    fn a_chunk_ending_inside_a_record_leaves_it_for_the_next() {
        // Cut inside order 1's second line item: order 1, the only root, is incomplete, so
        // the chunk is too small for one record.
        let cut = FILE.find("LineItem/11").unwrap();
        assert!(take(&FILE.as_bytes()[..cut], false, 10).is_err());
        // Cut inside the line after order 2: it could be a child of order 2, so order 2
        // waits with it; order 1 is complete.
        let cut = FILE.find("#3").unwrap();
        let t = take(&FILE.as_bytes()[..cut], false, 10).unwrap();
        assert_eq!(t.records.len(), 1);
        assert_eq!(
            t.consumed as usize,
            FILE.find("{\"id\":\"gid://shopify/Order/2").unwrap()
        );
        assert!(!t.done);
        assert!(take(b"{\"id\":\"x\",\"__parentId\":\"y\"}\n", true, 5).is_err());
    }

    #[test]
    fn statuses_and_ranges() {
        assert_eq!(
            poll(&json!({"status": "RUNNING"})).unwrap(),
            Poll::Running("RUNNING".into())
        );
        assert_eq!(
            poll(&json!({"status": "COMPLETED", "url": "http://f"})).unwrap(),
            Poll::Completed(Some("http://f".into()))
        );
        assert!(
            matches!(poll(&json!({"status": "FAILED", "errorCode": "TIMEOUT"})).unwrap(), Poll::Abandoned(m) if m.contains("TIMEOUT"))
        );
        assert!(poll(&json!(null)).is_err());
        assert_eq!(range(10), format!("bytes=10-{}", 10 + CHUNK_BYTES - 1));
        assert!(!reaches_end(Some("bytes 0-99/500")));
        assert!(reaches_end(Some("bytes 400-499/500")));
        assert!(reaches_end(None));
    }
}
