//! The Junction connector for Connectif (marketing automation), a write target: customers
//! become contacts, products catalogue products, orders purchases.
//!
//! - Writes: upsert-customer (`PATCH /contacts/{email}`), upsert-product (`PATCH
//!   /products/product-id/{id}`), upsert-order (a purchase, made idempotent by the connector;
//!   see [`api`]).
//! - Reads: none. Connectif's API reads contacts, products and purchases one at a time by
//!   key, and offers whole-account data only as asynchronous CSV exports; with no listing
//!   there is nothing to page through, so the manifest declares no readable resource.
//! - Auth: `Authorization: apiKey <KEY>`.
//! - Budget: 100 requests per minute per account, declared as the manifest's `rate-limit`
//!   so the host paces calls; answers announce the budget (`X-RateLimit-*`), which the
//!   connector logs and honours (see [`budget`]); a 429 is `rate-limited` with the wait until
//!   `X-RateLimit-Reset`.
//! - Coupons: not written. Connectif's coupons are sets filled by CSV imports and have no
//!   counterpart among Junction's canonical records.
//!
//! Modules: [`config`] (config, schema, client), [`mapping`] (canonical → Connectif bodies,
//! pure and unit-tested), [`budget`] (rate-limit headers), [`api`] (the requests).

pub mod api;
pub mod budget;
pub mod config;
pub mod mapping;

use junction_sdk::types::{
    CheckInfo, ConnectorError, ConnectorManifest, Entity, ListRequest, Page, RateLimit,
    ResourceKind, WriteKind, WriteOp, WriteOutcome,
};

/// The connector.
pub struct Connectif;

/// Connectif's documented budget: 100 requests per minute per account.
pub const RATE_LIMIT: RateLimit = RateLimit {
    requests: 100,
    per_seconds: 60,
};

const NO_READS: &str = "Connectif is a write target: its API has no listing of contacts, \
                        products or purchases (only asynchronous CSV exports), so this connector \
                        reads nothing";

/// The manifest: constant, no I/O.
pub fn manifest() -> ConnectorManifest {
    ConnectorManifest {
        key: "connectif".into(),
        name: "Connectif".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "Connectif marketing automation as a target: customers become contacts, \
                      products catalogue products and orders purchases, within its budget of \
                      100 requests per minute."
            .into(),
        resources: vec![],
        writes: vec![
            WriteKind::UpsertCustomer,
            WriteKind::UpsertProduct,
            WriteKind::UpsertOrder,
        ],
        config_schema: config::schema(),
        hosts: vec!["api.connectif.cloud".into(), "config:base_url".into()],
        rate_limit: Some(RATE_LIMIT),
        deletions: vec![],
    }
}

impl junction_sdk::Connector for Connectif {
    fn manifest() -> ConnectorManifest {
        manifest()
    }

    fn check(config: String) -> Result<CheckInfo, ConnectorError> {
        let mut api = api::Api::new(&config)?;
        let result = api.check();
        api.log_budget();
        result
    }

    fn list(_: String, _: ListRequest) -> Result<Page, ConnectorError> {
        Err(ConnectorError::unsupported(NO_READS))
    }

    fn get(
        _: String,
        _: ResourceKind,
        _: String,
        _: Option<String>,
    ) -> Result<Entity, ConnectorError> {
        Err(ConnectorError::unsupported(NO_READS))
    }

    fn write(config: String, op: WriteOp) -> Result<WriteOutcome, ConnectorError> {
        api::Api::new(&config)?.write(&op)
    }
}

junction_sdk::export_connector!(Connectif);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn manifest_declares_writes_and_budget() {
        let m = manifest();
        assert_eq!(m.key, "connectif");
        assert!(m.resources.is_empty());
        assert_eq!(m.writes.len(), 3);
        let limit = m.rate_limit.unwrap();
        assert_eq!((limit.requests, limit.per_seconds), (100, 60));
        assert!(m.hosts.contains(&"api.connectif.cloud".to_owned()));
    }
}
