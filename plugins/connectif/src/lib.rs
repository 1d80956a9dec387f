//! The Junction connector for Connectif (marketing automation): customers become contacts,
//! products catalogue products, orders purchases; contacts are read back as customers.
//!
//! - Writes: upsert-customer (`PATCH /contacts/{email}`), upsert-product (`PATCH
//!   /products/product-id/{id}`), upsert-order (a purchase, made idempotent by the connector;
//!   see [`api`]). A `write-batch` of enough customers goes as one import ([`imports`]).
//! - Reads: `customers`, listed through a contacts export ([`export`], [`reads`]), and one
//!   by email (`GET /contacts/{email}`). Connectif reports no deletions: a contact deleted
//!   there simply drops out of the next export, so the manifest declares none and the host
//!   finds deleted contacts by reconciliation (an ids-only listing, answered from the
//!   export).
//! - Auth: `Authorization: apiKey <KEY>`.
//! - Budget: 100 requests per minute per account, declared as the manifest's `rate-limit`
//!   so the host paces calls; answers announce the budget (`X-RateLimit-*`), which the
//!   connector logs and honours (see [`budget`]); a 429 is `rate-limited` with the wait until
//!   `X-RateLimit-Reset`.
//! - Coupons: not written. Connectif's coupons are sets filled by CSV imports and have no
//!   counterpart among Junction's canonical records.
//!
//! Modules: [`config`] (config, schema, client), [`mapping`] (canonical → Connectif bodies),
//! [`customer`] (contacts → canonical customers), [`csv`], [`zip`], [`export`] and
//! [`import`] (the pure steps of exports and imports), [`budget`] (rate-limit headers),
//! [`api`] (checks and writes), [`reads`] (list and get), [`imports`] (write-batch).

pub mod api;
pub mod budget;
pub mod config;
pub mod csv;
pub mod customer;
pub mod export;
pub mod import;
pub mod imports;
pub mod mapping;
pub mod reads;
pub mod zip;

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

/// The manifest: constant, no I/O.
pub fn manifest() -> ConnectorManifest {
    ConnectorManifest {
        key: "connectif".into(),
        name: "Connectif".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "Connectif marketing automation: customers become contacts (in batches \
                      through imports), products catalogue products and orders purchases; \
                      contacts are read back as customers through exports, within its budget \
                      of 100 requests per minute."
            .into(),
        resources: vec![ResourceKind::Customers],
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

    fn list(config: String, request: ListRequest) -> Result<Page, ConnectorError> {
        let mut api = api::Api::new(&config)?;
        let result = api.list(&request);
        api.log_budget();
        result
    }

    fn get(
        config: String,
        resource: ResourceKind,
        id: String,
        _: Option<String>,
    ) -> Result<Entity, ConnectorError> {
        let mut api = api::Api::new(&config)?;
        let result = api.get(resource, &id);
        api.log_budget();
        result
    }

    fn write(config: String, op: WriteOp) -> Result<WriteOutcome, ConnectorError> {
        api::Api::new(&config)?.write(&op)
    }

    fn write_batch(
        config: String,
        ops: Vec<WriteOp>,
    ) -> Result<Vec<junction_sdk::batch::WriteResult>, ConnectorError> {
        api::Api::new(&config)?.write_batch(ops)
    }
}

junction_sdk::export_connector!(Connectif);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn manifest_declares_reads_writes_and_budget() {
        let m = manifest();
        assert_eq!(m.key, "connectif");
        assert_eq!(m.resources, vec![ResourceKind::Customers]);
        assert!(
            m.deletions.is_empty(),
            "deleted contacts are found by reconciliation"
        );
        assert_eq!(m.writes.len(), 3);
        let limit = m.rate_limit.unwrap();
        assert_eq!((limit.requests, limit.per_seconds), (100, 60));
        assert!(m.hosts.contains(&"api.connectif.cloud".to_owned()));
    }
}
