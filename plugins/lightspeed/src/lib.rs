//! The Junction connector for Lightspeed eCom (C-Series), the webshop API at
//! `{cluster}/{language}/` (`https://api.webshopapp.com/nl/`, or
//! `https://api.shoplightspeed.com/en/` in the US).
//!
//! - Resources: orders, customers, products, and variations (Lightspeed's variants, per
//!   product: `parent-id`).
//! - Writes: order status and shipment status, tracking (on the order's shipment), variant
//!   stock and price, and product stock and price for single-variant products.
//! - Auth: HTTP Basic with the API key and secret.
//! - Paging: `since_id` within a fixed window of `updatedAt`, so nothing is skipped or
//!   repeated while the shop changes; see [`keyset`].
//! - Limits: several windows at once, read from every answer; see [`limits`]. The manifest
//!   declares the shortest (300 requests per 5 minutes) for the host's pacing.
//!
//! Modules: [`config`] (config, schema, client), [`api`] (the requests), [`keyset`]
//! (paging decisions), [`limits`] (rate-limit headers), [`mapping`] (Lightspeed JSON →
//! canonical records), [`writes`] (write bodies). Everything but [`api`] is pure and unit
//! tested natively (`cargo test -p junction-plugin-lightspeed`).

pub mod api;
pub mod config;
pub mod keyset;
pub mod limits;
pub mod mapping;
pub mod writes;

use junction_sdk::types::{
    CheckInfo, ConnectorError, ConnectorManifest, Entity, ListRequest, Page, RateLimit,
    ResourceKind, WriteKind, WriteOp, WriteOutcome,
};

/// Lightspeed's shortest default window: 300 requests per 5 minutes per API key (the hour
/// and day windows are read from the answers).
pub const RATE_LIMIT: RateLimit = RateLimit {
    requests: 300,
    per_seconds: 300,
};

/// The connector.
pub struct Lightspeed;

/// The manifest: constant, no I/O.
pub fn manifest() -> ConnectorManifest {
    ConnectorManifest {
        key: "lightspeed".into(),
        name: "Lightspeed eCom".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "Lightspeed eCom (C-Series) webshops through the eCom REST API: orders, \
                      customers, products and variants; order and shipment status, tracking, \
                      stock and price writes."
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
        rate_limit: Some(RATE_LIMIT),
        // Lightspeed forgets deleted records: the host finds deletions by reconciliation.
        deletions: vec![],
    }
}

impl junction_sdk::Connector for Lightspeed {
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

junction_sdk::export_connector!(Lightspeed);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn manifest_is_as_documented() {
        let m = manifest();
        assert_eq!(m.key, "lightspeed");
        assert_eq!(m.resources.len(), 4);
        assert_eq!(m.writes.len(), 6);
        assert_eq!(m.hosts, vec!["config:base_url".to_owned()]);
        let limit = m.rate_limit.unwrap();
        assert_eq!((limit.requests, limit.per_seconds), (300, 300));
        let schema: serde_json::Value = serde_json::from_str(&m.config_schema).unwrap();
        assert_eq!(schema["required"][0], "base_url");
    }
}
