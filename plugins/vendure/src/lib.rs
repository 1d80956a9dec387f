//! The Junction connector for Vendure, over its Admin GraphQL API (`{base_url}/admin-api`).
//!
//! - Resources: orders (placed ones; open carts are not orders), customers, products and
//!   variations (Vendure's product variants, per product: `parent-id`).
//! - Writes: order status (Vendure state transitions), order tracking (a fulfillment with the
//!   tracking code, then shipped), variant stock and price, and product stock and price for
//!   products with a single variant.
//! - Batches: every stock and price write of a batch goes into one `updateProductVariants`
//!   mutation (see [`batch`]); order writes run one by one.
//! - Auth: an administrator's login (session token) or a Vendure API key.
//! - Paging: a keyset cursor on `updatedAt` plus the ids seen at the boundary instant, which
//!   neither skips nor repeats records while the shop changes; see [`keyset`].
//!
//! Modules: [`config`] (config and schema), [`gql`] (the GraphQL client, auth, error mapping),
//! [`api`] (check, list, get), [`writes`], [`batch`] (batch writes), [`keyset`] (paging
//! decisions), [`mapping`] (Vendure JSON → canonical records), [`money`] (minor units ↔
//! decimals). Everything but the requests is unit tested natively
//! (`cargo test -p junction-plugin-vendure`).

pub mod api;
pub mod batch;
pub mod config;
pub mod gql;
pub mod keyset;
pub mod mapping;
pub mod money;
pub mod writes;

use junction_sdk::types::{
    CheckInfo, ConnectorError, ConnectorManifest, Entity, ListRequest, Page, ResourceKind,
    WriteKind, WriteOp, WriteOutcome,
};

/// The connector.
pub struct Vendure;

/// The manifest: constant, no I/O.
pub fn manifest() -> ConnectorManifest {
    ConnectorManifest {
        key: "vendure".into(),
        name: "Vendure".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "Vendure shops through the Admin GraphQL API: orders, customers, products \
                      and variants; order status and tracking, variant stock and price writes."
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
        deletions: vec![],
    }
}

impl junction_sdk::Connector for Vendure {
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

junction_sdk::export_connector!(Vendure);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn manifest_is_as_documented() {
        let m = manifest();
        assert_eq!(m.key, "vendure");
        assert_eq!(m.resources.len(), 4);
        assert_eq!(m.writes.len(), 6);
        assert_eq!(m.hosts, vec!["config:base_url".to_owned()]);
        let schema: serde_json::Value = serde_json::from_str(&m.config_schema).unwrap();
        assert_eq!(schema["properties"]["password"]["writeOnly"], true);
        assert_eq!(schema["properties"]["api_key"]["writeOnly"], true);
    }
}
