//! Exports and imports: Connectif's asynchronous jobs. Each goes through its statuses by
//! the wall clock — the first half of the account's `job_delay` in its waiting status
//! (`created` for exports, `queued` for imports), the second half running (`running`,
//! `inProgress`), then `finished` — so clients must poll as they would the real API.
//!
//! - An export snapshots the contacts when it is requested, as a CSV whose header names
//!   the contact field ids (`_email`, `_name`, ..., `_createdAt`, `_updatedAt`, then the
//!   custom fields), dates in ISO 8601, zipped ([`super::zipfile`]).
//! - An import applies its rows when it is created (the account changes at once; the
//!   status still takes the delay) and keeps each failed row (its 1-based data row, its
//!   `_email`, the reason) for its error report (`row,_email,error`).

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::clock;
use super::csvfile;

/// Fields every exported contact has, in the export's column order.
const EXPORT_COLUMNS: &[&str] = &[
    "_email",
    "_name",
    "_surname",
    "_mobilePhone",
    "_birthdate",
    "_emailStatus",
    "_newsletterSubscriptionStatus",
    "_smsSubscriptionStatus",
    "_mobilePhoneStatus",
    "_points",
    "_createdAt",
    "_updatedAt",
];

/// One requested export.
#[derive(Debug, Clone)]
struct ExportJob {
    id: String,
    started: Instant,
    created_at: String,
    delimiter: String,
    date_format: String,
    total: usize,
    csv: String,
}

/// The options of an import, as it echoes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportOptions {
    pub delimiter: char,
    pub override_existing: bool,
    pub update_only_empty_fields: bool,
}

/// A failed import row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowError {
    /// 1-based among the data rows.
    pub row: usize,
    pub email: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
struct ImportJob {
    id: String,
    started: Instant,
    created_at: String,
    options: ImportOptions,
    total: usize,
    failed: Vec<RowError>,
}

#[derive(Debug, Default)]
struct Records {
    exports: Vec<ExportJob>,
    imports: Vec<ImportJob>,
    next_id: u64,
}

/// The account's jobs.
#[derive(Debug)]
pub(crate) struct Jobs {
    delay: Duration,
    records: Mutex<Records>,
}

/// A job's stage from its age.
fn stage(started: Instant, delay: Duration) -> u8 {
    let age = started.elapsed();
    if age >= delay {
        2
    } else if age >= delay / 2 {
        1
    } else {
        0
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

/// The CSV of an export of `contacts`.
pub(crate) fn export_csv(contacts: &[Map<String, Value>], delimiter: char) -> String {
    let custom: BTreeSet<&String> = contacts
        .iter()
        .flat_map(Map::keys)
        .filter(|k| !k.starts_with('_') && k.as_str() != "id")
        .collect();
    let mut header: Vec<String> = EXPORT_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    header.extend(custom.iter().map(|c| (*c).clone()));
    let mut rows = vec![header.clone()];
    for contact in contacts {
        rows.push(
            header
                .iter()
                .map(|column| contact.get(column).map(text_of).unwrap_or_default())
                .collect(),
        );
    }
    csvfile::write(&rows, delimiter)
}

impl Jobs {
    pub(crate) fn new(delay: Duration) -> Self {
        Self {
            delay,
            records: Mutex::new(Records::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn new_id(records: &mut Records) -> String {
        records.next_id += 1;
        format!("6a1f{:020x}", records.next_id)
    }

    /// Records an export of `contacts`; its resource.
    pub(crate) fn create_export(
        &self,
        contacts: &[Map<String, Value>],
        delimiter: &str,
        date_format: &str,
        base_url: &str,
    ) -> Value {
        let mut records = self.lock();
        let job = ExportJob {
            id: Self::new_id(&mut records),
            started: Instant::now(),
            created_at: clock::now_iso(),
            delimiter: delimiter.to_owned(),
            date_format: date_format.to_owned(),
            total: contacts.len(),
            csv: export_csv(contacts, delimiter.chars().next().unwrap_or(',')),
        };
        let resource = self.export_resource(&job, base_url);
        records.exports.push(job);
        resource
    }

    fn export_resource(&self, job: &ExportJob, base_url: &str) -> Value {
        let stage = stage(job.started, self.delay);
        let (status, progress) = match stage {
            0 => ("created", 0),
            1 => ("running", 50),
            _ => ("finished", 100),
        };
        let mut v = json!({
            "id": job.id,
            "exportType": "contacts",
            "origin": "api",
            "delimiter": job.delimiter,
            "dateFormat": job.date_format,
            "filters": {},
            "createdAt": job.created_at,
            "status": status,
            "progress": progress,
            "total": job.total,
        });
        if stage == 2 {
            v["finishedAt"] = json!(job.created_at);
            v["fileName"] = json!(format!("contacts-{}.zip", job.id));
            v["fileExtension"] = json!("zip");
            v["fileUrl"] = json!(format!(
                "{base_url}/__files/exports/{}/contacts.zip",
                job.id
            ));
        }
        v
    }

    /// An export's resource, as `GET /exports/{id}` serves it.
    pub(crate) fn export(&self, id: &str, base_url: &str) -> Option<Value> {
        let records = self.lock();
        let job = records.exports.iter().find(|j| j.id == id)?;
        Some(self.export_resource(job, base_url))
    }

    /// A finished export's zipped CSV; `None` when there is no such export or it is not
    /// finished yet (its file does not exist).
    pub(crate) fn export_file(&self, id: &str) -> Option<Vec<u8>> {
        let records = self.lock();
        let job = records.exports.iter().find(|j| j.id == id)?;
        (stage(job.started, self.delay) == 2)
            .then(|| super::zipfile::single_entry("contacts.csv", job.csv.as_bytes()))
    }

    /// Records an import already applied; its resource.
    pub(crate) fn create_import(
        &self,
        options: ImportOptions,
        total: usize,
        failed: Vec<RowError>,
        base_url: &str,
    ) -> Value {
        let mut records = self.lock();
        let job = ImportJob {
            id: Self::new_id(&mut records),
            started: Instant::now(),
            created_at: clock::now_iso(),
            options,
            total,
            failed,
        };
        let resource = self.import_resource(&job, base_url);
        records.imports.push(job);
        resource
    }

    fn import_resource(&self, job: &ImportJob, base_url: &str) -> Value {
        let stage = stage(job.started, self.delay);
        let status = ["queued", "inProgress", "finished"][usize::from(stage)];
        let mut v = json!({
            "id": job.id,
            "type": "contacts",
            "origin": "api",
            "options": {
                "delimiter": job.options.delimiter.to_string(),
                "overrideExisting": job.options.override_existing,
                "updateOnlyEmptyFields": job.options.update_only_empty_fields,
            },
            "createdAt": job.created_at,
            "status": status,
            "total": job.total,
            "success": 0,
            "errors": 0,
        });
        if stage >= 1 {
            v["startedAt"] = json!(job.created_at);
        }
        if stage == 2 {
            v["finishedAt"] = json!(job.created_at);
            v["success"] = json!(job.total - job.failed.len());
            v["errors"] = json!(job.failed.len());
            if !job.failed.is_empty() {
                v["errorReportFileUrl"] =
                    json!(format!("{base_url}/__files/imports/{}/errors.csv", job.id));
            }
        }
        v
    }

    /// An import's resource, as `GET /imports/{id}` serves it.
    pub(crate) fn import(&self, id: &str, base_url: &str) -> Option<Value> {
        let records = self.lock();
        let job = records.imports.iter().find(|j| j.id == id)?;
        Some(self.import_resource(job, base_url))
    }

    /// A finished import's error report (`row,_email,error`).
    pub(crate) fn import_errors(&self, id: &str) -> Option<String> {
        let records = self.lock();
        let job = records.imports.iter().find(|j| j.id == id)?;
        if stage(job.started, self.delay) != 2 {
            return None;
        }
        let mut rows = vec![vec![
            "row".to_owned(),
            "_email".to_owned(),
            "error".to_owned(),
        ]];
        rows.extend(
            job.failed
                .iter()
                .map(|e| vec![e.row.to_string(), e.email.clone(), e.reason.clone()]),
        );
        Some(csvfile::write(&rows, ','))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn contact(pairs: Value) -> Map<String, Value> {
        pairs.as_object().unwrap().clone()
    }

    #[test]
    fn exports_move_through_their_statuses() {
        let jobs = Jobs::new(Duration::from_millis(200));
        let contacts = [contact(
            json!({"id": "1", "_email": "a@x.io", "_points": 3, "vip": true}),
        )];
        let created = jobs.create_export(&contacts, ",", "ISO", "http://emu");
        assert_eq!(created["status"], "created");
        assert!(created.get("fileUrl").is_none());
        let id = created["id"].as_str().unwrap();
        assert!(jobs.export_file(id).is_none(), "no file before it finishes");
        std::thread::sleep(Duration::from_millis(110));
        assert_eq!(jobs.export(id, "http://emu").unwrap()["status"], "running");
        std::thread::sleep(Duration::from_millis(110));
        let done = jobs.export(id, "http://emu").unwrap();
        assert_eq!(done["status"], "finished");
        assert_eq!(done["total"], 1);
        assert_eq!(
            done["fileUrl"],
            format!("http://emu/__files/exports/{id}/contacts.zip")
        );
        assert!(jobs.export_file(id).unwrap().starts_with(b"PK"));
        assert!(jobs.export("nope", "http://emu").is_none());
    }

    #[test]
    fn export_csv_names_columns_by_field_id() {
        let text = export_csv(
            &[contact(
                json!({"_email": "a@x.io", "_points": 3, "vip": true, "id": "x"}),
            )],
            ',',
        );
        let rows = csvfile::parse(&text, ',').unwrap();
        assert_eq!(rows[0][0], "_email");
        assert_eq!(rows[0].last().unwrap(), "vip");
        assert!(!rows[0].contains(&"id".to_owned()));
        let points = rows[0].iter().position(|c| c == "_points").unwrap();
        assert_eq!(rows[1][points], "3");
    }

    #[test]
    fn imports_report_counts_and_errors_once_finished() {
        let jobs = Jobs::new(Duration::ZERO);
        let options = ImportOptions {
            delimiter: ',',
            override_existing: true,
            update_only_empty_fields: false,
        };
        let failed = vec![RowError {
            row: 2,
            email: "bad".into(),
            reason: "not an email".into(),
        }];
        let v = jobs.create_import(options, 3, failed, "http://emu");
        assert_eq!(v["status"], "finished");
        assert_eq!(
            (v["success"].as_u64(), v["errors"].as_u64()),
            (Some(2), Some(1))
        );
        let id = v["id"].as_str().unwrap();
        assert_eq!(
            jobs.import_errors(id).unwrap(),
            "row,_email,error\r\n2,bad,not an email\r\n"
        );
    }
}
