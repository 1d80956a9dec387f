//! The connector for custom systems that push their orders to Junction instead of being
//! polled: a connection made with it has no external system to call. Orders arrive
//! through the Runtime API's push endpoint (`POST /api/v1/api/orders`, upserted by
//! platform + order number, authenticated by the connection's API key) and flow on to
//! automations like synced ones. Listing returns nothing new (there is nothing to pull)
//! and writes are not taken.

use junction_sdk::deletions;
use junction_sdk::prelude::*;

struct Push;

impl Connector for Push {
    fn manifest() -> ConnectorManifest {
        ConnectorManifest {
            key: "push".into(),
            name: "Custom system (push)".into(),
            version: "0.1.0".into(),
            description:
                "Orders pushed by a custom system to Junction's push endpoint; nothing is pulled."
                    .into(),
            resources: vec![ResourceKind::Orders],
            writes: vec![],
            config_schema: r#"{"type": "object", "additionalProperties": false,
                "x-junction-push": ["orders"],
                "properties": {"description": {"type": "string", "maxLength": 500,
                    "description": "What pushes to this connection (shown to people only)."}}}"#
                .into(),
            hosts: vec![],
            rate_limit: None,
            // Pushed orders exist only in Junction's copy: a reconciliation would find none of
            // them in the (empty) listing and, `get` answering not-found, delete them all.
            deletions: vec![deletions::never_deleted(ResourceKind::Orders)],
        }
    }

    fn check(_: String) -> Result<CheckInfo, ConnectorError> {
        Ok(CheckInfo {
            message: "push connection: orders arrive at POST /api/v1/api/orders".into(),
        })
    }

    fn list(_: String, _: ListRequest) -> Result<Page, ConnectorError> {
        Ok(Page::of(vec![], None))
    }

    fn get(
        _: String,
        _: ResourceKind,
        id: String,
        _: Option<String>,
    ) -> Result<Entity, ConnectorError> {
        Err(ConnectorError::NotFound(format!(
            "order {id}: pushed orders live only in Junction's copy"
        )))
    }

    fn write(_: String, _: WriteOp) -> Result<WriteOutcome, ConnectorError> {
        Err(ConnectorError::Unsupported(
            "a push connection has no external system to write to".into(),
        ))
    }
}

junction_sdk::export_connector!(Push);
