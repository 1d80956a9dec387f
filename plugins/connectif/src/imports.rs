//! `write-batch`: a batch with at least [`IMPORT_THRESHOLD`] upsert-customer ops sends them
//! as one Connectif import (`POST /imports`, then `GET /imports/{id}` until it finishes,
//! then its error report when rows failed); every other op, and every op of a smaller
//! batch, goes one by one through [`Api::write`]. Outcomes come back one per op, in order
//! ([`junction_sdk::batch::Outcomes`]).
//!
//! Products stay single writes although Connectif imports products too: the reference
//! does not document the product CSV's columns (prices, images, categories), and a guess
//! wrong there would fail whole batches.
//!
//! The import is polled inside the call (short sleeps, at most [`MAX_POLL_WAIT`] in all):
//! the outcomes must come back from this call. One still running after that answers
//! `rate-limited` for its ops; sending them again is safe, as an import upserts by email.

use std::time::Duration;

use junction_sdk::batch::{Outcomes, Requests, WriteResult, write_each};
use junction_sdk::log;
use junction_sdk::types::{ConnectorError, WriteOp, WriteOutcome};
use serde_json::Value;

use crate::api::Api;
use crate::import::{self, IMPORT_THRESHOLD, ImportRow, ImportState};
use crate::mapping;

/// The longest a batch waits for its import.
pub const MAX_POLL_WAIT: Duration = Duration::from_secs(60);

/// Waits between polls: quick at first (small imports finish in a second), then every 5 s
/// so a slow import costs few of the 100 requests per minute.
fn poll_wait(poll: u32) -> Duration {
    Duration::from_millis(match poll {
        0 => 500,
        1 => 1_000,
        2 => 2_000,
        _ => 5_000,
    })
}

impl Api {
    /// Performs a batch (see the module docs).
    pub fn write_batch(&mut self, ops: Vec<WriteOp>) -> Result<Vec<WriteResult>, ConnectorError> {
        let contacts: Vec<usize> = ops
            .iter()
            .enumerate()
            .filter(|(_, op)| matches!(op, WriteOp::UpsertCustomer(_)))
            .map(|(i, _)| i)
            .collect();
        if contacts.len() < IMPORT_THRESHOLD {
            return write_each(ops, |op| self.write(&op));
        }
        let mut outcomes = Outcomes::new(ops.len());
        let mut rows = Vec::new();
        let mut row_ops = Vec::new();
        for &index in &contacts {
            let Some(WriteOp::UpsertCustomer(up)) = ops.get(index) else {
                continue;
            };
            match mapping::contact(&up.customer) {
                Ok(contact) => {
                    let fields = match contact.body {
                        Value::Object(map) => map,
                        _ => serde_json::Map::new(),
                    };
                    rows.push(ImportRow {
                        email: contact.email,
                        fields,
                    });
                    row_ops.push(index);
                }
                Err(e) => outcomes.record(index, Err(e)),
            }
        }
        let mut requests = Requests::new();
        if !rows.is_empty() {
            let result = requests.send(|| self.import_contacts(&rows))?;
            for (row, &index) in row_ops.iter().enumerate() {
                let outcome = match &result {
                    Ok(failed) => match failed.get(&row) {
                        Some(reason) => Err(ConnectorError::upstream(
                            422,
                            format!(
                                "Connectif import refused contact {}: {reason}",
                                rows[row].email
                            ),
                        )),
                        None => Ok(WriteOutcome {
                            external_id: rows[row].email.clone(),
                            entity: None,
                        }),
                    },
                    Err(e) => Err(e.clone()),
                };
                outcomes.record(index, outcome);
            }
        }
        for (index, op) in ops.iter().enumerate() {
            if !matches!(op, WriteOp::UpsertCustomer(_)) {
                let result = requests.send(|| self.write(op))?;
                outcomes.record(index, result);
            }
        }
        self.log_budget();
        Ok(outcomes.finish())
    }

    /// Sends one import and waits for it; the failed rows by index, with their reasons.
    fn import_contacts(
        &mut self,
        rows: &[ImportRow],
    ) -> Result<std::collections::BTreeMap<usize, String>, ConnectorError> {
        let (content_type, body) = import::multipart(&import::contacts_csv(rows));
        let request = self
            .client
            .post(["imports"])
            .header("content-type", content_type)
            .body(body);
        let created: Value = self
            .send(request, "sending the contacts import")?
            .error_for_status()?
            .json()?;
        let id = import::created_id(&created)?;
        log::info(
            "connectif import created",
            &[("import", &id), ("contacts", &rows.len().to_string())],
        );
        let mut waited = Duration::ZERO;
        let mut poll = 0;
        loop {
            let wait = poll_wait(poll);
            if waited + wait > MAX_POLL_WAIT {
                return Err(ConnectorError::rate_limited(
                    5_000,
                    format!(
                        "Connectif import {id} still running after {}s; sending the batch again is safe",
                        waited.as_secs()
                    ),
                ));
            }
            std::thread::sleep(wait);
            waited += wait;
            poll += 1;
            let resp = self.send(
                self.client.get(["imports", id.as_str()]),
                "waiting for the contacts import",
            )?;
            let status: Value = resp.error_for_status()?.json()?;
            match import::state(&status)? {
                ImportState::Running(_) => continue,
                ImportState::Finished { errors: 0, .. } => return Ok(Default::default()),
                ImportState::Finished {
                    report_url: None,
                    errors,
                } => {
                    return Err(ConnectorError::upstream(
                        200,
                        format!(
                            "Connectif import {id} failed {errors} rows but gave no error report"
                        ),
                    ));
                }
                ImportState::Finished {
                    report_url: Some(url),
                    ..
                } => {
                    let report = self.download(&url, "reading the import's error report")?;
                    let text = String::from_utf8_lossy(report.body()).into_owned();
                    return import::row_errors(&text, rows);
                }
            }
        }
    }
}
