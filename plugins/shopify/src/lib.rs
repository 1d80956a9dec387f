//! The Junction connector for Shopify through the **GraphQL Admin API, version 2026-07**
//! (`POST {shop_url}/admin/api/2026-07/graphql.json`, header `X-Shopify-Access-Token`).
//!
//! - Resources: orders, customers, products and variations (per product: `parent-id`).
//!   Ids are Shopify's numeric ids (`legacyResourceId`).
//! - Incremental reads: `sortKey: UPDATED_AT` with `query: "updated_at:>='…'"`, paged with
//!   Shopify's keyset cursors; see [`keyset`] for why nothing is skipped or repeated.
//! - Writes: order status ([`status`] has the table), order tracking (`fulfillmentCreate`
//!   with `trackingInfo`), product and variation stock (`inventorySetQuantities` at the
//!   configured `location_id`) and price (`productVariantsBulkUpdate`); see [`writes`].
//! - Rate limit: Shopify's calculated query cost. Pages are sized to a cost budget of half
//!   the Standard bucket ([`queries`]); a `THROTTLED` answer is `rate-limited` with the
//!   wait the bucket implies, and [`cost`] reads the bucket's state from every answer.
//! - First sync of a large shop (opt-in `bulk_first_sync`): a bulk operation, its JSON
//!   Lines file read in `Range` chunks; see [`bulk`].
//! - Deletions: Shopify deletes for good and reports nothing while listing, so the host
//!   reconciles (ids-only scans are served cheaply, `legacyResourceId` only).
//!
//! Modules: [`config`] (config, schema, endpoint), [`api`] (reads), [`writes`],
//! [`graphql`] (one call and its errors), [`queries`] (documents and their cost),
//! [`keyset`] (paging decisions), [`mapping`] (Shopify → canonical), [`status`],
//! [`cost`], [`bulk`]. All but [`api`] and [`writes`]' I/O are pure and unit tested natively
//! (`cargo test -p junction-plugin-shopify`).

pub mod api;
pub mod bulk;
pub mod config;
pub mod cost;
pub mod graphql;
pub mod keyset;
pub mod mapping;
pub mod queries;
pub mod status;
pub mod writes;

use junction_sdk::types::{
    CheckInfo, ConnectorError, ConnectorManifest, Entity, ListRequest, Page, ResourceKind,
    WriteKind, WriteOp, WriteOutcome,
};

/// The Admin API version the connector speaks.
pub const API_VERSION: &str = "2026-07";

/// The connector.
pub struct Shopify;

/// The manifest: constant, no I/O.
pub fn manifest() -> ConnectorManifest {
    ConnectorManifest {
        key: "shopify".into(),
        name: "Shopify".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "Shopify shops through the GraphQL Admin API (2026-07): orders, customers, \
                      products and variants; order status and tracking, stock and price writes."
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
        // Bulk operation files are served from Google Cloud Storage.
        hosts: vec!["config:shop_url".into(), "storage.googleapis.com".into()],
        // Shopify budgets points, not requests: the connector reports THROTTLED waits.
        rate_limit: None,
        deletions: vec![],
    }
}

impl junction_sdk::Connector for Shopify {
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

junction_sdk::export_connector!(Shopify);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn manifest_is_as_documented() {
        let m = manifest();
        assert_eq!(m.key, "shopify");
        assert_eq!(m.resources.len(), 4);
        assert_eq!(m.writes.len(), 6);
        assert_eq!(m.hosts[0], "config:shop_url");
        let schema: serde_json::Value = serde_json::from_str(&m.config_schema).unwrap();
        assert_eq!(schema["properties"]["access_token"]["writeOnly"], true);
    }
}
