//! The Junction connector for WooCommerce (REST API v3, `{base_url}/wp-json/wc/v3/`).
//!
//! - Resources: orders, customers, products and variations (per product: `parent-id`).
//! - Writes: order status, order tracking (a private order note plus the `_junction_tracking`
//!   meta list, so tracking shows up in the canonical order), product and variation stock
//!   and prices.
//! - Batches: stock, price and order-status writes go through WooCommerce's batch endpoints
//!   (`products/batch`, `products/{id}/variations/batch`, `orders/batch`; see [`batch`]).
//! - Auth: HTTP Basic with the consumer key and secret.
//! - Paging: a keyset cursor over `modified_after` + `offset` that neither skips nor repeats
//!   records while the shop changes underneath; see [`keyset`].
//!
//! Modules: [`config`] (config, schema, client), [`api`] (the requests), [`keyset`] (paging
//! decisions), [`mapping`] (WooCommerce JSON → canonical records), [`writes`] (write
//! bodies), [`batch`] (which ops go into which batch request, and the answers), [`model`]
//! (the WooCommerce JSON read). Everything but [`api`] is pure and unit tested natively
//! (`cargo test -p junction-plugin-woocommerce`).

pub mod api;
pub mod batch;
pub mod config;
pub mod deletions;
pub mod keyset;
pub mod mapping;
pub mod model;
pub mod writes;

use junction_sdk::types::{
    CheckInfo, ConnectorError, ConnectorManifest, Entity, ListRequest, Page, ResourceKind,
    WriteKind, WriteOp, WriteOutcome,
};

/// The connector.
pub struct WooCommerce;

/// The manifest: constant, no I/O.
pub fn manifest() -> ConnectorManifest {
    ConnectorManifest {
        key: "woocommerce".into(),
        name: "WooCommerce".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "WooCommerce shops through the WooCommerce REST API v3: orders, customers, \
                      products and variations; order status and tracking, stock and price writes."
            .into(),
        resources: vec![
            ResourceKind::Orders,
            ResourceKind::Customers,
            ResourceKind::Products,
            ResourceKind::Variations,
        ],
        writes: vec![
            WriteKind::OrderStatus,
            WriteKind::OrderTracking,
            WriteKind::ProductStock,
            WriteKind::ProductPrice,
            WriteKind::VariationStock,
            WriteKind::VariationPrice,
        ],
        config_schema: config::schema(),
        hosts: vec!["config:base_url".into()],
        rate_limit: None,
        // The trash is reported; permanent deletes (and customers, variations) are found
        // by reconciliation.
        deletions: vec![
            junction_sdk::deletions::reported(ResourceKind::Orders, true),
            junction_sdk::deletions::reported(ResourceKind::Products, true),
        ],
    }
}

impl junction_sdk::Connector for WooCommerce {
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
        parent_id: Option<String>,
    ) -> Result<Entity, ConnectorError> {
        api::Api::new(&config)?.get(resource, &id, parent_id.as_deref())
    }

    fn write(config: String, op: WriteOp) -> Result<WriteOutcome, ConnectorError> {
        api::Api::new(&config)?.write(&op)
    }

    fn write_batch(
        config: String,
        ops: Vec<WriteOp>,
    ) -> Result<Vec<junction_sdk::batch::WriteResult>, ConnectorError> {
        api::Api::new(&config)?.write_batch(&ops)
    }
}

junction_sdk::export_connector!(WooCommerce);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn manifest_is_as_documented() {
        let m = manifest();
        assert_eq!(m.key, "woocommerce");
        assert_eq!(m.name, "WooCommerce");
        assert_eq!(m.version, "0.1.0");
        assert_eq!(m.resources.len(), 4);
        assert_eq!(m.writes.len(), 6);
        assert_eq!(m.hosts, vec!["config:base_url".to_owned()]);
        assert!(m.rate_limit.is_none());
        let schema: serde_json::Value = serde_json::from_str(&m.config_schema).unwrap();
        assert_eq!(schema["type"], "object");
    }
}
