//! Listing customers through a contacts export, decided without I/O.
//!
//! Connectif lists no contacts; it exports them. The first page of a listing requests an
//! export (`POST /exports`, `exportType: contacts`, ISO dates), looks at it once after
//! [`FIRST_LOOK`] (serving its first rows when it is already done) and otherwise answers an
//! empty page whose cursor names it ([`ExportCursor`]). Later pages read the export again (`GET
//! /exports/{id}`: every read mints a fresh `fileUrl`, valid 100 minutes, so a cursor never
//! holds a URL that may have expired): while it runs the page answers `rate-limited` with
//! a short wait, as the Shopify connector does for its bulk operation; once finished the
//! file is read ([`crate::zip`], [`crate::csv`]) and the page holds rows from the cursor's
//! offset on.
//!
//! `updated-since`: the reference allows date filters only on activity and data-explorer
//! exports, not on contacts, so the whole account is exported and rows modified before
//! `updated-since` are dropped here. Rows are put in ascending modification order (then
//! email) so offsets stay stable from page to page of the same file.

use junction_sdk::types::ConnectorError;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::csv;
use crate::customer::{self, Fields};

/// The delimiter the connector asks for (and the file's when the export does not say).
pub const DELIMITER: &str = ",";

/// How long a page waits for a running export (ms): exports of a few thousand contacts
/// finish in seconds, and each look costs one request of the 100 per minute.
pub const POLL_WAIT_MS: u64 = 3_000;

/// The pause before the first page's one look at a new export.
pub const FIRST_LOOK: std::time::Duration = std::time::Duration::from_secs(1);

/// Where a listing stands: the export it reads and the offset of the next row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCursor {
    #[serde(rename = "export")]
    pub export_id: String,
    #[serde(rename = "o")]
    pub offset: usize,
}

/// The body of `POST /exports` for all contacts.
pub fn creation_body() -> Value {
    json!({"exportType": "contacts", "delimiter": DELIMITER, "dateFormat": "ISO"})
}

/// The id of a created export.
pub fn created_id(export: &Value) -> Result<String, ConnectorError> {
    export
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ConnectorError::upstream(201, "the created export has no id"))
}

/// What an export's state means for the listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportState {
    /// Still being produced: status and progress (percent, when given).
    Running {
        status: String,
        progress: Option<u64>,
    },
    /// Done: the file's URL and its delimiter.
    Finished { file_url: String, delimiter: char },
}

/// Reads an export resource; a failed or cancelled export is an `upstream` error (a new
/// listing requests a new one).
pub fn state(export: &Value) -> Result<ExportState, ConnectorError> {
    let status = export
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| ConnectorError::upstream(200, "the export has no status"))?;
    match status {
        "finished" => {
            let file_url = export
                .get("fileUrl")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
                .ok_or_else(|| {
                    ConnectorError::upstream(200, "the finished export has no fileUrl")
                })?;
            let delimiter = export
                .get("delimiter")
                .and_then(Value::as_str)
                .and_then(|d| d.chars().next())
                .unwrap_or(',');
            Ok(ExportState::Finished {
                file_url: file_url.to_owned(),
                delimiter,
            })
        }
        "error" | "failed" | "cancelled" | "expired" => Err(ConnectorError::upstream(
            200,
            format!(
                "the contacts export ended with status {status}; list again to request a new one"
            ),
        )),
        running => Ok(ExportState::Running {
            status: running.to_owned(),
            progress: export.get("progress").and_then(Value::as_u64),
        }),
    }
}

/// The `rate-limited` answer for a page asked while the export runs.
pub fn still_running(export_id: &str, status: &str, progress: Option<u64>) -> ConnectorError {
    let progress = progress.map_or_else(String::new, |p| format!(", {p}% done"));
    ConnectorError::rate_limited(
        POLL_WAIT_MS,
        format!("Connectif contacts export {export_id} is {status}{progress}; come back shortly"),
    )
}

/// The export's contacts modified at or after `since`, in ascending modification order
/// (then email), each with its modification instant.
pub fn contacts(
    text: &str,
    delimiter: char,
    since: Option<&str>,
) -> Result<Vec<Fields>, ConnectorError> {
    let mut rows = csv::parse(text, delimiter)?.into_iter();
    let Some(header) = rows.next() else {
        return Ok(Vec::new());
    };
    if !header.iter().any(|h| h.trim() == "_email") {
        return Err(ConnectorError::upstream(
            200,
            "the contacts export has no _email column",
        ));
    }
    let since = since
        .map(junction_sdk::time::normalize_utc)
        .transpose()
        .map_err(|e| ConnectorError::invalid_request(format!("updated-since: {}", e.reason)))?;
    let mut keyed = Vec::new();
    for row in rows {
        let fields: Fields = header
            .iter()
            .map(|h| h.trim().to_owned())
            .zip(row)
            .collect();
        let modified = customer::modified_at(&fields)?;
        let newer = match &since {
            Some(s) => junction_sdk::time::compare(&modified, s)
                .map_err(|e| e.into_upstream(200))?
                .is_ge(),
            None => true,
        };
        if newer {
            let email = fields.get("_email").map(|e| e.trim().to_lowercase());
            keyed.push((modified, email, fields));
        }
    }
    keyed.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Ok(keyed.into_iter().map(|(_, _, fields)| fields).collect())
}

/// The rows of one page from `offset`, and the cursor of the next (none at the end).
pub fn page(
    rows: Vec<Fields>,
    at: &ExportCursor,
    page_size: u32,
) -> (Vec<Fields>, Option<ExportCursor>) {
    let size = usize::try_from(page_size.max(1)).unwrap_or(usize::MAX);
    let total = rows.len();
    let taken: Vec<Fields> = rows.into_iter().skip(at.offset).take(size).collect();
    let next_offset = at.offset.saturating_add(taken.len());
    let next = (next_offset < total).then(|| ExportCursor {
        export_id: at.export_id.clone(),
        offset: next_offset,
    });
    (taken, next)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const CSV: &str = "_email,_name,_updatedAt\n\
        c@x.io,Cy,2026-03-01T00:00:00.000Z\n\
        a@x.io,Al,2026-01-01T00:00:00.000Z\n\
        b@x.io,Bo,2026-03-01T00:00:00.000Z\n";

    fn emails(rows: &[Fields]) -> Vec<&str> {
        rows.iter().map(|r| r["_email"].as_str()).collect()
    }

    #[test]
    fn rows_are_ordered_and_filtered_by_date() {
        let all = contacts(CSV, ',', None).unwrap();
        assert_eq!(emails(&all), ["a@x.io", "b@x.io", "c@x.io"]);
        let recent = contacts(CSV, ',', Some("2026-02-01T00:00:00Z")).unwrap();
        assert_eq!(emails(&recent), ["b@x.io", "c@x.io"]);
        assert!(contacts("", ',', None).unwrap().is_empty());
        assert!(contacts("_name\nx", ',', None).is_err());
        assert!(contacts(CSV, ',', Some("later")).is_err());
    }

    #[test]
    fn pages_walk_the_rows_with_the_export_in_the_cursor() {
        let at = ExportCursor {
            export_id: "e1".into(),
            offset: 0,
        };
        let (first, next) = page(contacts(CSV, ',', None).unwrap(), &at, 2);
        assert_eq!(emails(&first), ["a@x.io", "b@x.io"]);
        let next = next.unwrap();
        assert_eq!(
            next,
            ExportCursor {
                export_id: "e1".into(),
                offset: 2
            }
        );
        let (last, end) = page(contacts(CSV, ',', None).unwrap(), &next, 2);
        assert_eq!(emails(&last), ["c@x.io"]);
        assert!(end.is_none());
        let text = junction_sdk::paging::encode_cursor(&next).unwrap();
        let back: ExportCursor = junction_sdk::paging::decode_cursor(&text).unwrap();
        assert_eq!(back, next);
    }

    #[test]
    fn states_of_an_export() {
        let running = state(&json!({"id": "e1", "status": "running", "progress": 40})).unwrap();
        assert_eq!(
            running,
            ExportState::Running {
                status: "running".into(),
                progress: Some(40)
            }
        );
        let done = state(&json!({"status": "finished", "fileUrl": "http://f/x.zip",
            "delimiter": ";"}))
        .unwrap();
        assert_eq!(
            done,
            ExportState::Finished {
                file_url: "http://f/x.zip".into(),
                delimiter: ';'
            }
        );
        assert!(state(&json!({"status": "finished"})).is_err());
        assert!(state(&json!({"status": "error"})).is_err());
        assert!(state(&json!({})).is_err());
        match still_running("e1", "running", Some(40)) {
            ConnectorError::RateLimited(r) => {
                assert_eq!(r.retry_after_ms, POLL_WAIT_MS);
                assert!(r.message.contains("40%"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(created_id(&json!({"id": "e9"})).unwrap(), "e9");
        assert!(created_id(&json!({})).is_err());
    }
}
