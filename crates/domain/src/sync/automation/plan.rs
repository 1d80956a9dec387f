//! Mapping: a canonical record read from one side becomes the writes the other side takes.
//!
//! Orders and customers become upserts. Products become an upsert where the writing side
//! takes one; otherwise a stock and a price update, matched to the writing side's product
//! or variation by SKU when delivered (see `deliver`). A plan is what the outbox stores; its
//! fingerprint (a digest of the content without timestamps and the system's raw JSON) tells
//! whether a record changed since it was last written.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::MappingOptions;
use junction_contract::{Customer, Entity, Manifest, Order, Product, Variation, WriteKind};

/// One planned write, as the outbox keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Planned {
    UpsertOrder {
        order: Box<Order>,
    },
    UpsertCustomer {
        customer: Box<Customer>,
    },
    UpsertProduct {
        product: Box<Product>,
    },
    /// Set the stock of the writing side's product or variation with this SKU.
    Stock {
        sku: Option<String>,
        quantity: i64,
    },
    /// Set the price of the writing side's product or variation with this SKU.
    Price {
        sku: Option<String>,
        price: String,
        sale_price: Option<String>,
    },
}

impl Planned {
    /// The outbox's write-kind column: one row per record and kind.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Planned::UpsertOrder { .. } => "upsert-order",
            Planned::UpsertCustomer { .. } => "upsert-customer",
            Planned::UpsertProduct { .. } => "upsert-product",
            Planned::Stock { .. } => "stock",
            Planned::Price { .. } => "price",
        }
    }
}

/// The writes a record becomes on a writing side with this manifest. Empty when the record
/// carries nothing that side takes (a product without stock or price for a stock/price-only
/// target).
pub fn plan(entity: &Entity, writer: &Manifest, options: &MappingOptions) -> Vec<Planned> {
    let takes = |w: WriteKind| writer.writes.contains(&w);
    match entity {
        Entity::Order(order) if takes(WriteKind::UpsertOrder) => {
            let mut order = order.clone();
            if let Some(mapped) = options.order_status_map.get(&order.status) {
                order.status = mapped.clone();
            }
            vec![Planned::UpsertOrder {
                order: Box::new(order),
            }]
        }
        Entity::Customer(customer) if takes(WriteKind::UpsertCustomer) => {
            vec![Planned::UpsertCustomer {
                customer: Box::new(customer.clone()),
            }]
        }
        Entity::Product(product) if takes(WriteKind::UpsertProduct) => {
            vec![Planned::UpsertProduct {
                product: Box::new(product.clone()),
            }]
        }
        Entity::Product(product) => {
            let sku = product.sku.clone().filter(|s| !s.trim().is_empty());
            let mut writes = Vec::new();
            let stock = takes(WriteKind::ProductStock) || takes(WriteKind::VariationStock);
            if let (true, Some(quantity)) = (stock, product.stock_quantity) {
                writes.push(Planned::Stock {
                    sku: sku.clone(),
                    quantity,
                });
            }
            let price = takes(WriteKind::ProductPrice) || takes(WriteKind::VariationPrice);
            let list_price = product.regular_price.clone().or(product.price.clone());
            if let (true, Some(list_price)) = (price, list_price) {
                writes.push(Planned::Price {
                    sku,
                    price: list_price,
                    sale_price: product.sale_price.clone(),
                });
            }
            writes
        }
        _ => Vec::new(),
    }
}

/// A product whose price and stock live on its variations (variable products, Vendure's
/// products) takes the cheapest variation's price and the sum of their stock, so a target
/// that keeps products whole still gets a price and a stock level.
pub fn fill_from_variations(product: &mut Product, variations: &[Variation]) {
    let cheapest = variations
        .iter()
        .filter_map(|v| {
            let price = v.regular_price.as_deref().or(v.price.as_deref())?;
            Some((price.parse::<f64>().ok()?, v))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    if product.price.is_none()
        && product.regular_price.is_none()
        && let Some((_, v)) = cheapest
    {
        product.price = v.price.clone().or(v.regular_price.clone());
        product.regular_price = v.regular_price.clone().or(v.price.clone());
        product.sale_price = v.sale_price.clone();
    }
    if product.stock_quantity.is_none() {
        let stocks: Vec<i64> = variations.iter().filter_map(|v| v.stock_quantity).collect();
        if !stocks.is_empty() {
            product.stock_quantity = Some(stocks.iter().sum());
        }
    }
}

/// A digest of what the writes would carry, without timestamps and raw JSON: equal
/// fingerprints mean writing again would change nothing.
pub fn fingerprint(writes: &[Planned]) -> String {
    let mut value = serde_json::to_value(writes).unwrap_or_default();
    strip_volatile(&mut value);
    hex::encode(Sha256::digest(value.to_string().as_bytes()))
}

fn strip_volatile(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for key in ["raw", "modified_at", "created_at"] {
                map.remove(key);
            }
            map.values_mut().for_each(strip_volatile);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_volatile),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use junction_contract::ResourceKind;

    fn manifest(writes: Vec<WriteKind>) -> Manifest {
        Manifest {
            key: "t".into(),
            name: "T".into(),
            version: "1.0.0".into(),
            description: String::new(),
            resources: vec![ResourceKind::Products],
            writes,
            config_schema: "{}".into(),
            hosts: vec![],
            rate_limit: None,
            deletions: vec![],
        }
    }

    fn product(stock: Option<i64>, price: Option<&str>) -> Product {
        Product {
            external_id: "7".into(),
            sku: Some("SKU-7".into()),
            name: "Seven".into(),
            status: None,
            price: price.map(str::to_string),
            regular_price: None,
            sale_price: None,
            currency: None,
            stock_quantity: stock,
            has_variations: false,
            created_at: "2026-01-01T00:00:00Z".into(),
            modified_at: "2026-01-02T00:00:00Z".into(),
            raw: "{}".into(),
        }
    }

    #[test]
    fn products_become_stock_and_price_updates_where_upserts_are_not_taken() {
        let writer = manifest(vec![WriteKind::VariationStock, WriteKind::VariationPrice]);
        let writes = plan(
            &Entity::Product(product(Some(4), Some("9.50"))),
            &writer,
            &MappingOptions::default(),
        );
        assert_eq!(writes.len(), 2);
        assert!(matches!(&writes[0], Planned::Stock { quantity: 4, sku: Some(s) } if s == "SKU-7"));
        assert!(matches!(&writes[1], Planned::Price { price, .. } if price == "9.50"));
        let upserting = manifest(vec![WriteKind::UpsertProduct]);
        let writes = plan(
            &Entity::Product(product(None, None)),
            &upserting,
            &MappingOptions::default(),
        );
        assert_eq!(writes[0].kind_name(), "upsert-product");
    }

    #[test]
    fn fingerprints_ignore_timestamps_and_raw_but_not_content() {
        let writer = manifest(vec![WriteKind::UpsertProduct]);
        let opts = MappingOptions::default();
        let a = plan(
            &Entity::Product(product(Some(1), Some("1"))),
            &writer,
            &opts,
        );
        let mut later = product(Some(1), Some("1"));
        later.modified_at = "2026-02-01T00:00:00Z".into();
        later.raw = r#"{"x":1}"#.into();
        let b = plan(&Entity::Product(later), &writer, &opts);
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let c = plan(
            &Entity::Product(product(Some(2), Some("1"))),
            &writer,
            &opts,
        );
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}
