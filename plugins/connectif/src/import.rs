//! Batches of contacts written as one Connectif import, decided without I/O: the CSV
//! (`_email` plus the contact fields of the batch), the `multipart/form-data` body of
//! `POST /imports`, the import's state, and its error report read back per contact.
//!
//! Options sent: `type=contacts`, `delimiter=,`, `overrideExisting=true` (an upsert must
//! change existing contacts) and `updateOnlyEmptyFields=false` (it must overwrite them).
//!
//! The reference gives an import `errors` (a count) and `errorReportFileUrl` ("a file
//! containing all import errors") but not that file's layout; the connector assumes a CSV
//! naming the row's `_email` (or its 1-based data `row`) and the reason (`error`,
//! `message` or `reason`). A failed row it cannot place fails every op of the import
//! rather than report a success that may be false.

use std::collections::BTreeMap;

use junction_sdk::types::ConnectorError;
use serde_json::{Map, Value};

use crate::csv;

/// The fewest contacts a batch must hold to go as an import. An import costs about four
/// requests (create, a poll or two, the error report) and seconds of latency, against one
/// quick `PATCH` per contact; from five contacts on it saves budget, below that single
/// writes are cheaper and answer at once.
pub const IMPORT_THRESHOLD: usize = 5;

/// The multipart boundary (never in a CSV of contacts: it holds no such line).
const BOUNDARY: &str = "junction-connectif-import-7f3a91c2";

/// One contact to import: its email and the fields of its `PATCH` body.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub email: String,
    pub fields: Map<String, Value>,
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The import CSV: `_email` then every field any row has (sorted), a row per contact;
/// a field a contact lacks is left empty, which an import does not write.
pub fn contacts_csv(rows: &[ImportRow]) -> String {
    let mut columns: Vec<String> = rows
        .iter()
        .flat_map(|r| r.fields.keys().cloned())
        .filter(|k| k != "_email")
        .collect();
    columns.sort();
    columns.dedup();
    let mut table = Vec::with_capacity(rows.len() + 1);
    table.push(
        std::iter::once("_email".to_owned())
            .chain(columns.iter().cloned())
            .collect(),
    );
    for row in rows {
        let mut line = vec![row.email.clone()];
        line.extend(
            columns
                .iter()
                .map(|c| row.fields.get(c).map(as_text).unwrap_or_default()),
        );
        table.push(line);
    }
    csv::write(&table, ',')
}

/// The `Content-Type` and body of `POST /imports` for a contacts CSV.
pub fn multipart(csv_text: &str) -> (String, Vec<u8>) {
    let mut body = String::new();
    for (name, value) in [
        ("type", "contacts"),
        ("delimiter", ","),
        ("overrideExisting", "true"),
        ("updateOnlyEmptyFields", "false"),
    ] {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"contacts.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv_text}\r\n--{BOUNDARY}--\r\n"
    ));
    (
        format!("multipart/form-data; boundary={BOUNDARY}"),
        body.into_bytes(),
    )
}

/// Where an import stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportState {
    /// Queued or in progress.
    Running(String),
    /// Done; how many rows failed and where their report is.
    Finished {
        errors: u64,
        report_url: Option<String>,
    },
}

/// Reads an import resource; `error` and `cancelled` imports are `upstream` errors.
pub fn state(import: &Value) -> Result<ImportState, ConnectorError> {
    let status = import
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| ConnectorError::upstream(200, "the import has no status"))?;
    match status {
        "finished" => Ok(ImportState::Finished {
            errors: import.get("errors").and_then(Value::as_u64).unwrap_or(0),
            report_url: import
                .get("errorReportFileUrl")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
                .map(str::to_owned),
        }),
        "error" | "cancelled" => Err(ConnectorError::upstream(
            200,
            format!("the Connectif import ended with status {status}"),
        )),
        other => Ok(ImportState::Running(other.to_owned())),
    }
}

/// The id of a created import.
pub fn created_id(import: &Value) -> Result<String, ConnectorError> {
    import
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ConnectorError::upstream(201, "the created import has no id"))
}

/// Per-row failures of an import, by index into the imported rows.
pub fn row_errors(
    report: &str,
    rows: &[ImportRow],
) -> Result<BTreeMap<usize, String>, ConnectorError> {
    let mut lines = csv::parse(report, ',')?.into_iter();
    let Some(header) = lines.next() else {
        return Ok(BTreeMap::new());
    };
    let column = |names: &[&str]| header.iter().position(|h| names.contains(&h.trim()));
    let email_at = column(&["_email", "email"]);
    let row_at = column(&["row", "line"]);
    let reason_at = column(&["error", "message", "reason"]);
    let unplaced = || {
        ConnectorError::upstream(
            200,
            "the import's error report names a row the connector cannot place",
        )
    };
    let mut failed = BTreeMap::new();
    for line in lines {
        let cell = |at: Option<usize>| at.and_then(|i| line.get(i)).map(|v| v.trim());
        let by_email =
            cell(email_at).and_then(|e| rows.iter().position(|r| r.email.eq_ignore_ascii_case(e)));
        let by_row = cell(row_at)
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
            .filter(|&i| i < rows.len());
        let index = by_email.or(by_row).ok_or_else(unplaced)?;
        let reason = cell(reason_at)
            .filter(|r| !r.is_empty())
            .unwrap_or("rejected by the import");
        failed.insert(index, reason.to_owned());
    }
    Ok(failed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn row(email: &str, fields: Value) -> ImportRow {
        ImportRow {
            email: email.into(),
            fields: fields.as_object().unwrap().clone(),
        }
    }

    #[test]
    fn csv_has_every_field_once() {
        let rows = [
            row("a@x.io", json!({"_name": "Ann", "_mobilePhone": "+3460"})),
            row("b@x.io", json!({"_surname": "Doe, Jr"})),
        ];
        assert_eq!(
            contacts_csv(&rows),
            "_email,_mobilePhone,_name,_surname\r\na@x.io,+3460,Ann,\r\nb@x.io,,,\"Doe, Jr\"\r\n"
        );
    }

    #[test]
    fn multipart_carries_options_and_file() {
        let (content_type, body) = multipart("_email\r\na@x.io\r\n");
        assert_eq!(
            content_type,
            format!("multipart/form-data; boundary={BOUNDARY}")
        );
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains("name=\"type\"\r\n\r\ncontacts\r\n"));
        assert!(body.contains("name=\"overrideExisting\"\r\n\r\ntrue\r\n"));
        assert!(body.contains("name=\"updateOnlyEmptyFields\"\r\n\r\nfalse\r\n"));
        assert!(body.contains(
            "filename=\"contacts.csv\"\r\nContent-Type: text/csv\r\n\r\n_email\r\na@x.io\r\n\r\n"
        ));
        assert!(body.ends_with(&format!("--{BOUNDARY}--\r\n")));
    }

    #[test]
    fn states_and_error_reports() {
        assert_eq!(
            state(&json!({"status": "inProgress"})).unwrap(),
            ImportState::Running("inProgress".into())
        );
        assert_eq!(
            state(&json!({"status": "finished", "errors": 1, "errorReportFileUrl": "u"})).unwrap(),
            ImportState::Finished {
                errors: 1,
                report_url: Some("u".into())
            }
        );
        assert!(state(&json!({"status": "error"})).is_err());
        let rows = [row("a@x.io", json!({})), row("b@x.io", json!({}))];
        let by_email = row_errors("row,_email,error\r\n2,B@x.io,bad phone\r\n", &rows).unwrap();
        assert_eq!(by_email, BTreeMap::from([(1, "bad phone".to_owned())]));
        let by_row = row_errors("row,message\n1,nope\n", &rows).unwrap();
        assert_eq!(by_row, BTreeMap::from([(0, "nope".to_owned())]));
        assert!(row_errors("row,error\n9,x\n", &rows).is_err());
        assert!(row_errors("", &rows).unwrap().is_empty());
    }
}
