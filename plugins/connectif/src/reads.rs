//! The reads: customers listed through a contacts export (the steps are decided in
//! [`crate::export`]) and one customer by email (`GET /contacts/{email}`; 404 →
//! `not-found`).
//!
//! Files Connectif points to (an export's `fileUrl`, an import's `errorReportFileUrl`) are
//! fetched by [`Api::download`]: with the API key only when they are on the API's own
//! origin; elsewhere as given, since the reference presents them as download links valid
//! for a while (already signed), and the key must not leak to another host. The reference
//! does not say which host serves them; the manifest allows Connectif's API host and the
//! configured `base_url` only, so a file on another host is refused by Junction's egress
//! list (a clear error) until that host is known and added to the manifest.

use junction_sdk::http::{Method, Request, Response, Url};
use junction_sdk::paging::{decode_cursor, encode_cursor};
use junction_sdk::types::{ConnectorError, Entity, ListRequest, Page, ResourceKind};
use serde_json::Value;

use crate::api::Api;
use crate::customer;
use crate::export::{self, ExportCursor, ExportState};

/// What reading an export gave.
enum Read {
    Page(Page),
    Running {
        status: String,
        progress: Option<u64>,
    },
}

fn only_customers(resource: ResourceKind) -> Result<(), ConnectorError> {
    if resource == ResourceKind::Customers {
        Ok(())
    } else {
        Err(ConnectorError::unsupported(
            "Connectif reads customers (its contacts) only",
        ))
    }
}

impl Api {
    /// One page of customers (see the module docs of [`crate::export`]).
    pub fn list(&mut self, req: &ListRequest) -> Result<Page, ConnectorError> {
        only_customers(req.resource)?;
        let Some(cursor) = req.cursor.as_deref() else {
            let at = self.request_export()?;
            // Small accounts export in about a second: one look after a pause often saves
            // the host a round trip through its rate-limit wait.
            std::thread::sleep(export::FIRST_LOOK);
            return match self.read_export(&at, req)? {
                Read::Page(page) => Ok(page),
                Read::Running { .. } => Ok(Page::of(Vec::new(), Some(encode_cursor(&at)?))),
            };
        };
        let at: ExportCursor = decode_cursor(cursor)?;
        match self.read_export(&at, req)? {
            Read::Page(page) => Ok(page),
            Read::Running { status, progress } => {
                Err(export::still_running(&at.export_id, &status, progress))
            }
        }
    }

    /// The page at `at` of the export, unless it is still running.
    fn read_export(
        &mut self,
        at: &ExportCursor,
        req: &ListRequest,
    ) -> Result<Read, ConnectorError> {
        let resp = self.send(
            self.client.get(["exports", at.export_id.as_str()]),
            "reading the contacts export",
        )?;
        let exported: Value = resp.error_for_status()?.json()?;
        let (file_url, delimiter) = match export::state(&exported)? {
            ExportState::Running { status, progress } => {
                return Ok(Read::Running { status, progress });
            }
            ExportState::Finished {
                file_url,
                delimiter,
            } => (file_url, delimiter),
        };
        let file = self.download(&file_url, "downloading the contacts export")?;
        let text = crate::zip::export_csv(file.body())?;
        let rows = export::contacts(&text, delimiter, req.updated_since.as_deref())?;
        let (rows, next) = export::page(rows, at, req.page_size);
        let next_cursor = next.as_ref().map(encode_cursor).transpose()?;
        let customers = rows
            .iter()
            .map(customer::from_fields)
            .collect::<Result<Vec<_>, _>>()?;
        if req.ids_only {
            let ids = customers.into_iter().map(|c| c.external_id).collect();
            return Ok(Read::Page(Page::of_ids(ids, next_cursor)));
        }
        let entities = customers.into_iter().map(Entity::Customer).collect();
        Ok(Read::Page(Page::of(entities, next_cursor)))
    }

    /// Fetches a file Connectif named (see the module docs).
    pub(crate) fn download(&mut self, url: &str, doing: &str) -> Result<Response, ConnectorError> {
        let parsed = Url::parse(url).map_err(|e| {
            ConnectorError::upstream(200, format!("Connectif gave a bad file URL {url:?}: {e}"))
        })?;
        let base = self.client.base_url();
        let same_origin = parsed.scheme() == base.scheme()
            && parsed.host_str() == base.host_str()
            && parsed.port_or_known_default() == base.port_or_known_default();
        let resp = if same_origin {
            self.send(self.client.request_url(Method::Get, parsed), doing)?
        } else {
            let timeout = junction_sdk::config::timeout_seconds(self.config.timeout_seconds)?;
            Request::get(url)?.timeout(timeout).send()?
        };
        resp.error_for_status()
    }

    /// Requests the export; the cursor of its first row.
    fn request_export(&mut self) -> Result<ExportCursor, ConnectorError> {
        let request = self
            .client
            .post(["exports"])
            .json(&export::creation_body())?;
        let created: Value = self
            .send(request, "requesting a contacts export")?
            .error_for_status()?
            .json()?;
        Ok(ExportCursor {
            export_id: export::created_id(&created)?,
            offset: 0,
        })
    }

    /// One customer by email.
    pub fn get(&mut self, resource: ResourceKind, email: &str) -> Result<Entity, ConnectorError> {
        only_customers(resource)?;
        let email = email.trim();
        if email.is_empty() {
            return Err(ConnectorError::invalid_request(
                "id: a Connectif customer id is the contact's email and must not be empty",
            ));
        }
        let resp = self.send(self.client.get(["contacts", email]), "reading the contact")?;
        let contact: Value = resp.error_for_status()?.json()?;
        let fields = customer::fields_of_json(&contact)?;
        Ok(Entity::Customer(customer::from_fields(&fields)?))
    }
}
