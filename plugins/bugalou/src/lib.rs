//! The Junction connector for Bugalou's Orders API (an order dashboard): orders are written
//! into it and read back.
//!
//! - Writes: upsert-order (`POST /api/v1/orders`, or `POST /api/zapier/order` when the
//!   config's `endpoint` is `zapier`; Bugalou upserts by platform + order number, the platform
//!   coming from the connection config).
//! - Reads: orders (`GET /api/v1/orders?page=&limit=`), and one order by id. Without a
//!   change filter or a documented sort every sync reads every page (see [`api`]), so the
//!   manifest advises an orders cadence of 30 minutes instead of the host's default 5.
//! - Auth: `X-API-Key`.
//!
//! Modules: [`config`] (config, schema, client), [`endpoint`] (where writes go), [`mapping`] (canonical ↔ Bugalou orders,
//! pure and unit-tested), [`api`] (the requests).

pub mod api;
pub mod config;
pub mod endpoint;
pub mod mapping;

use junction_sdk::types::{
    CheckInfo, ConnectorError, ConnectorManifest, Entity, ListRequest, Page, ResourceKind,
    WriteKind, WriteOp, WriteOutcome,
};

/// The connector.
pub struct Bugalou;

/// The manifest: constant, no I/O.
pub fn manifest() -> ConnectorManifest {
    ConnectorManifest {
        key: "bugalou".into(),
        name: "Bugalou".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "Bugalou order dashboard through its Orders API: orders are upserted by \
                      platform and order number (through the Orders API or the Zapier \
                      endpoint), and read back. The API cannot filter or sort by change, so \
                      every orders sync reads every page: schedule orders every 30 minutes \
                      or more rather than the default 5."
            .into(),
        resources: vec![ResourceKind::Orders],
        writes: vec![WriteKind::UpsertOrder],
        config_schema: config::schema(),
        hosts: vec!["app.bugalou.com".into(), "config:base_url".into()],
        rate_limit: None,
        deletions: vec![],
    }
}

impl junction_sdk::Connector for Bugalou {
    fn manifest() -> ConnectorManifest {
        manifest()
    }

    fn check(config: String) -> Result<CheckInfo, ConnectorError> {
        api::Api::new(&config)?.check()
    }

    fn list(config: String, request: ListRequest) -> Result<Page, ConnectorError> {
        api::Api::new(&config)?.list(&request)
    }

    fn get(
        config: String,
        resource: ResourceKind,
        id: String,
        _: Option<String>,
    ) -> Result<Entity, ConnectorError> {
        api::Api::new(&config)?.get(resource, &id)
    }

    fn write(config: String, op: WriteOp) -> Result<WriteOutcome, ConnectorError> {
        api::Api::new(&config)?.write(&op)
    }
}

junction_sdk::export_connector!(Bugalou);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn manifest_is_as_documented() {
        let m = manifest();
        assert_eq!(m.key, "bugalou");
        assert_eq!(m.resources, vec![ResourceKind::Orders]);
        assert_eq!(m.writes, vec![WriteKind::UpsertOrder]);
        assert!(m.rate_limit.is_none());
        assert!(m.description.contains("every 30 minutes"));
    }
}
