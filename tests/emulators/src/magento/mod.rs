//! A Magento 2.4 / Adobe Commerce REST API emulator (the `V1` REST API of Magento Open
//! Source 2.4, as documented at developer.adobe.com/commerce/webapi/rest): orders,
//! customers, simple and configurable products, shipments, searched with `searchCriteria`,
//! and the writes a connector makes (status comments, shipments with tracks, stock items,
//! base prices). Integration-token bearer auth and Magento's `{message, parameters}` errors.
//!
//! [`start`] serves a store seeded from a [`MagentoConfig`] on a tokio task; the returned
//! [`MagentoEmulator`] gives its URL, its records ([`MagentoStore`]: touch, delete, read) and
//! fault injection. Modules: [`search`] (`searchCriteria`), [`fields`] (`fields`), `seed` (the data), `store` (the
//! records and writes), `api` (routes), `error` (error bodies), `time` (date format).
//!
//! Assumptions where the reference is silent: product searches include
//! `extension_attributes.stock_item`; an unknown search field or condition is a 400 naming
//! it (Magento itself fails deeper, with a 500 or an SQL error).

mod api;
pub mod error;
pub mod fields;
pub mod search;
mod seed;
mod store;
mod time;

use std::net::SocketAddr;
use std::sync::Arc;

pub use error::MagentoError;
pub use store::{Kind, MagentoStore, ORDER_STATUSES};
pub use time::format_magento;

use crate::faults::FaultInjector;
use crate::serving::{self, Served};

/// The token and seeded data of an emulated store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MagentoConfig {
    /// The integration access token clients must present as a bearer token.
    pub access_token: String,
    /// Seeded orders.
    pub orders: usize,
    /// Seeded customers.
    pub customers: usize,
    /// Seeded top-level products (configurable children come on top).
    pub products: usize,
    /// Every Nth top-level product is configurable (2-3 children); 0 = none.
    pub configurable_every: usize,
    /// Seed of the generated data and of fault probabilities.
    pub seed: u64,
}

impl Default for MagentoConfig {
    fn default() -> Self {
        Self {
            access_token: "mg_test_token".to_owned(),
            orders: 30,
            customers: 12,
            products: 12,
            configurable_every: 3,
            seed: 42,
        }
    }
}

/// A running emulator; dropping it stops the server.
#[derive(Debug)]
pub struct MagentoEmulator {
    served: Served,
    store: MagentoStore,
}

impl std::ops::Deref for MagentoEmulator {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

fn seeded(config: &MagentoConfig) -> MagentoStore {
    let store = MagentoStore::default();
    let products = seed::products(config.seed, config.products, config.configurable_every);
    for id in 1..=config.customers as u64 {
        store.insert(
            Kind::Customers,
            seed::customer(config.seed, id, config.customers),
        );
    }
    for id in 1..=config.orders as u64 {
        let order = seed::order(config.seed, id, config.orders, &products, config.customers);
        store.insert(Kind::Orders, order);
    }
    for product in products {
        store.insert(Kind::Products, product);
    }
    store
}

/// Serves the store described by `config` on `listen` (`127.0.0.1:0` for a free port).
pub async fn start(config: MagentoConfig, listen: SocketAddr) -> anyhow::Result<MagentoEmulator> {
    let bound = serving::bind("Magento emulator", listen).await?;
    let store = seeded(&config);
    let faults = Arc::new(FaultInjector::new(config.seed));
    let state = api::AppState {
        store: store.clone(),
        config: Arc::new(config),
        faults: faults.clone(),
    };
    let app = crate::control::router(faults.clone()).merge(api::router(state));
    Ok(MagentoEmulator {
        served: bound.serve_emulator(app, faults),
        store,
    })
}

impl MagentoEmulator {
    /// Direct access to the records.
    pub fn store(&self) -> MagentoStore {
        self.store.clone()
    }

    /// The REST root clients use, `{base_url}/rest/V1`.
    pub fn rest_url(&self) -> String {
        format!("{}/rest/V1", self.served.base_url())
    }

    /// Stops the server and waits (up to 5 s) for it to finish.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn seeding_is_deterministic_and_linked() {
        let config = MagentoConfig::default();
        let a = seeded(&config);
        let b = seeded(&config);
        assert_eq!(a.all(Kind::Orders), b.all(Kind::Orders));
        let products = a.all(Kind::Products);
        let parents: Vec<&Value> = products
            .iter()
            .filter(|p| p["type_id"] == "configurable")
            .collect();
        assert_eq!(parents.len(), 4);
        for parent in parents {
            let links = parent["extension_attributes"]["configurable_product_links"]
                .as_array()
                .unwrap();
            assert!((2..=3).contains(&links.len()));
            for link in links {
                let child = a.get(Kind::Products, link.as_u64().unwrap()).unwrap();
                assert_eq!(child["visibility"], 1);
                assert!(child["extension_attributes"]["stock_item"]["qty"].is_number());
            }
        }
        let orders = a.all(Kind::Orders);
        assert_eq!(orders.len(), 30);
        let child_rows = orders
            .iter()
            .flat_map(|o| o["items"].as_array().unwrap().clone())
            .filter(|i| i.get("parent_item_id").is_some())
            .count();
        assert!(child_rows > 0, "some orders buy configurable products");
        assert_ne!(
            seeded(&MagentoConfig { seed: 7, ..config }).all(Kind::Orders),
            orders
        );
    }

    #[test]
    fn writes_change_the_records() {
        let store = seeded(&MagentoConfig::default());
        let order = store.get(Kind::Orders, 2).unwrap();
        store.add_comment(2, Some("holded"), "wait", false).unwrap();
        let after = store.get(Kind::Orders, 2).unwrap();
        assert_eq!(
            (after["status"].as_str(), after["state"].as_str()),
            (Some("holded"), Some("holded"))
        );
        assert!(after["updated_at"].as_str() > order["updated_at"].as_str());
        let e = store.add_comment(2, Some("lost"), "", false).unwrap_err();
        assert_eq!(e.parameters, serde_json::json!(["lost"]));
        assert!(store.ship(2, &[], &[]).is_err(), "a held order cannot ship");
        store.add_comment(2, Some("processing"), "", false).unwrap();
        let id = store
            .ship(
                2,
                &[],
                &[store::Track {
                    track_number: "T1".into(),
                    title: "DHL".into(),
                    carrier_code: "dhl".into(),
                }],
            )
            .unwrap();
        assert_eq!(store.get(Kind::Orders, 2).unwrap()["status"], "complete");
        assert_eq!(
            store.get(Kind::Shipments, id).unwrap()["tracks"][0]["track_number"],
            "T1"
        );
        assert!(store.ship(2, &[], &[]).is_err(), "nothing left to ship");
        let sku = store.get(Kind::Products, 1).unwrap()["sku"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(store.set_stock(&sku, Some(0.0), None).unwrap(), 1);
        assert_eq!(
            store.get(Kind::Products, 1).unwrap()["extension_attributes"]["stock_item"]["is_in_stock"],
            false
        );
        let failed = store.set_base_prices(&[(sku.clone(), 9.5), ("nope".into(), 1.0)]);
        assert_eq!(failed.len(), 1);
        assert_eq!(store.get(Kind::Products, 1).unwrap()["price"], 9.5);
    }
}
