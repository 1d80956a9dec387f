//! The Junction connector for Tryton (JSON-RPC, verified against trytond 8.2).
//!
//! - Resources: orders (`sale.sale` with its lines), customers (`party.party`), products
//!   (`product.product` with its template's name and list price, stock in the first
//!   warehouse).
//! - Writes: upsert-order (a sale found by the source order id as its reference, party by
//!   email, lines by product code), product-stock (a confirmed inventory), product-price (the
//!   template's list price). See [`writes`].
//! - Auth: one `common.db.login` session per call ([`rpc`]).
//! - Paging: a two-phase keyset cursor on `(write_date | create_date, id)` that loses nothing
//!   while records change ([`keyset`]).
//!
//! Modules: [`config`] (config and schema), [`rpc`] (session, JSON-RPC, error mapping),
//! [`codec`] (Tryton's Decimal/datetime JSON), [`keyset`] (paging domains and cursors),
//! [`mapping`] (Tryton records → canonical), [`api`] (check/list/get), [`writes`]. All but
//! [`rpc`], [`api`] and [`writes`] are pure and unit tested natively
//! (`cargo test -p junction-plugin-tryton`).

pub mod api;
pub mod codec;
pub mod config;
pub mod keyset;
pub mod mapping;
pub mod rpc;
pub mod writes;

use junction_sdk::types::{
    CheckInfo, ConnectorError, ConnectorManifest, Entity, ListRequest, Page, ResourceKind,
    WriteKind, WriteOp, WriteOutcome,
};

use crate::rpc::Session;

/// The connector.
pub struct Tryton;

/// The manifest: constant, no I/O.
pub fn manifest() -> ConnectorManifest {
    ConnectorManifest {
        key: "tryton".into(),
        name: "Tryton".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "Tryton ERP over JSON-RPC: sale orders, parties as customers and products; \
                      upserts sale orders, sets stock (by inventory) and list prices."
            .into(),
        resources: vec![
            ResourceKind::Orders,
            ResourceKind::Customers,
            ResourceKind::Products,
        ],
        writes: vec![
            WriteKind::UpsertOrder,
            WriteKind::ProductStock,
            WriteKind::ProductPrice,
        ],
        config_schema: config::schema(),
        hosts: vec!["config:base_url".into()],
        rate_limit: None,
        deletions: vec![],
    }
}

fn session(config: &str) -> Result<Session, ConnectorError> {
    Session::open(config::settings(config)?)
}

impl junction_sdk::Connector for Tryton {
    fn manifest() -> ConnectorManifest {
        manifest()
    }

    fn check(config: String) -> Result<CheckInfo, ConnectorError> {
        let settings = config::settings(&config)?;
        let shown = format!("database at {}", settings.rpc_url);
        api::check(&Session::open(settings)?, &shown)
    }

    fn list(config: String, request: ListRequest) -> Result<Page, ConnectorError> {
        api::listing(request.resource)?;
        api::list(&session(&config)?, &request)
    }

    fn get(
        config: String,
        resource: ResourceKind,
        id: String,
        _parent_id: Option<String>,
    ) -> Result<Entity, ConnectorError> {
        api::listing(resource)?;
        api::get(&session(&config)?, resource, &id)
    }

    fn write(config: String, op: WriteOp) -> Result<WriteOutcome, ConnectorError> {
        let supported = matches!(
            op,
            WriteOp::UpsertOrder(_) | WriteOp::ProductStock(_) | WriteOp::ProductPrice(_)
        );
        if !supported {
            return Err(ConnectorError::unsupported(
                "Tryton supports upsert-order, product-stock and product-price",
            ));
        }
        let session = session(&config)?;
        match &op {
            WriteOp::UpsertOrder(upsert) => writes::upsert_order(&session, upsert),
            WriteOp::ProductStock(change) => writes::product_stock(&session, change),
            WriteOp::ProductPrice(change) => writes::product_price(&session, change),
            _ => Err(ConnectorError::unsupported("this write")),
        }
    }
}

junction_sdk::export_connector!(Tryton);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lists_what_the_connector_does() {
        let m = manifest();
        assert_eq!(m.key, "tryton");
        assert_eq!(m.resources.len(), 3);
        assert_eq!(m.writes.len(), 3);
        assert_eq!(m.hosts, vec!["config:base_url".to_owned()]);
        let schema: serde_json::Value = serde_json::from_str(&m.config_schema).unwrap();
        assert_eq!(schema["required"][3], "password");
    }
}
