//! The Junction connector for Magento 2 / Adobe Commerce (REST `V1`, `{base_url}/rest/V1/`).
//!
//! - Resources: orders, customers, products (simple and configurable parents) and
//!   variations (a configurable's children; `parent-id` is the configurable's id).
//! - Writes: order status (a status-history comment carrying the status), order tracking (a
//!   shipment of all unshipped lines with the track), product and variation stock (stock
//!   items) and price (base prices).
//! - Auth: an integration's access token as a bearer token.
//! - Paging: a keyset cursor over `(updated_at, entity_id)` in `searchCriteria` filters,
//!   stopped by `total_count`; see [`keyset`].
//!
//! Modules: [`config`] (config, schema, client), [`criteria`] (`searchCriteria`
//! parameters), [`keyset`] (the cursor), [`mapping`] (Magento JSON → canonical records),
//! [`writes`] (write bodies), [`errors`] (Magento's error bodies), [`api`] (the requests).
//! Everything but [`api`] is pure and unit tested natively
//! (`cargo test -p junction-plugin-magento`).

pub mod api;
pub mod config;
pub mod criteria;
pub mod errors;
pub mod keyset;
pub mod mapping;
pub mod writes;

use junction_sdk::types::{
    CheckInfo, ConnectorError, ConnectorManifest, Entity, ListRequest, Page, ResourceKind,
    WriteKind, WriteOp, WriteOutcome,
};

/// The connector.
pub struct Magento;

/// The manifest: constant, no I/O.
pub fn manifest() -> ConnectorManifest {
    ConnectorManifest {
        key: "magento".into(),
        name: "Magento".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "Magento 2 and Adobe Commerce stores through the REST API (V1): orders, \
                      customers, products and configurable variations; order status and \
                      tracking, stock and price writes."
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
        // Magento reports no deletions: the host reconciles every resource.
        deletions: vec![],
    }
}

impl junction_sdk::Connector for Magento {
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
}

junction_sdk::export_connector!(Magento);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn manifest_is_as_documented() {
        let m = manifest();
        assert_eq!(m.key, "magento");
        assert_eq!(m.resources.len(), 4);
        assert_eq!(m.writes.len(), 6);
        assert_eq!(m.hosts, vec!["config:base_url".to_owned()]);
        let schema: serde_json::Value = serde_json::from_str(&m.config_schema).unwrap();
        assert_eq!(
            schema["required"],
            serde_json::json!(["base_url", "access_token"])
        );
    }
}
