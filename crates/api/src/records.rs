//! The records the Runtime API serves, as the OpenAPI document describes them. The answers
//! are the local copy's stored JSON (`junction_domain::sync::record_json`), sent as stored
//! without re-parsing; these types describe that JSON, and the test below renders a fully
//! populated entity of every kind through `to_stored` and reads it back into them with
//! unknown fields refused — so a change to the stored shape fails here until the description
//! follows.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// A postal address.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    /// State, province or region.
    pub region: Option<String>,
    pub postcode: Option<String>,
    /// ISO 3166-1 alpha-2 country code where the system provides one.
    pub country: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// One line of an order. Amounts are decimal strings.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LineItem {
    pub external_id: Option<String>,
    pub product_id: Option<String>,
    pub variation_id: Option<String>,
    pub sku: Option<String>,
    pub name: String,
    pub quantity: String,
    pub unit_price: String,
    pub total: String,
    pub tax: Option<String>,
}

/// A shipment's tracking details as stored on an order.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tracking {
    pub number: String,
    pub provider: Option<String>,
    pub url: Option<String>,
    pub shipped_at: Option<String>,
}

/// A sales order. Amounts are decimal strings; timestamps RFC 3339.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Order {
    pub external_id: String,
    pub order_number: Option<String>,
    pub status: String,
    pub currency: Option<String>,
    pub total: String,
    pub subtotal: Option<String>,
    pub tax_total: Option<String>,
    pub shipping_total: Option<String>,
    pub discount_total: Option<String>,
    pub customer_id: Option<String>,
    pub customer_email: Option<String>,
    pub billing: Option<Address>,
    pub shipping: Option<Address>,
    pub payment_status: Option<String>,
    pub payment_method: Option<String>,
    pub line_items: Vec<LineItem>,
    pub tracking: Vec<Tracking>,
    pub created_at: String,
    /// When the local copy last changed this record (UTC, milliseconds): what `updatedSince`
    /// compares. Strictly later for every later change of this connection's copy, and never
    /// visible before an earlier one: keep the largest seen as the next `updatedSince`.
    pub modified_at: String,
    /// The external system's own modification time for this record.
    pub source_modified_at: String,
    /// The external system's own JSON for this record.
    pub raw: Value,
}

/// A customer.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Customer {
    pub external_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub billing: Option<Address>,
    pub shipping: Option<Address>,
    pub created_at: String,
    /// When the local copy last changed this record (UTC, milliseconds): what `updatedSince`
    /// compares. Strictly later for every later change of this connection's copy, and never
    /// visible before an earlier one: keep the largest seen as the next `updatedSince`.
    pub modified_at: String,
    /// The external system's own modification time for this record.
    pub source_modified_at: String,
    pub raw: Value,
}

/// A product.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Product {
    pub external_id: String,
    pub sku: Option<String>,
    pub name: String,
    pub status: Option<String>,
    pub price: Option<String>,
    pub regular_price: Option<String>,
    pub sale_price: Option<String>,
    pub currency: Option<String>,
    pub stock_quantity: Option<i64>,
    pub has_variations: bool,
    pub created_at: String,
    /// When the local copy last changed this record (UTC, milliseconds): what `updatedSince`
    /// compares. Strictly later for every later change of this connection's copy, and never
    /// visible before an earlier one: keep the largest seen as the next `updatedSince`.
    pub modified_at: String,
    /// The external system's own modification time for this record.
    pub source_modified_at: String,
    pub raw: Value,
}

/// A variation attribute, e.g. `{"name": "Colour", "value": "Red"}`.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

/// A variation of a product.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Variation {
    pub external_id: String,
    pub product_id: String,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub attributes: Vec<Attribute>,
    pub price: Option<String>,
    pub regular_price: Option<String>,
    pub sale_price: Option<String>,
    pub stock_quantity: Option<i64>,
    pub created_at: String,
    /// When the local copy last changed this record (UTC, milliseconds): what `updatedSince`
    /// compares. Strictly later for every later change of this connection's copy, and never
    /// visible before an earlier one: keep the largest seen as the next `updatedSince`.
    pub modified_at: String,
    /// The external system's own modification time for this record.
    pub source_modified_at: String,
    pub raw: Value,
}

/// A record the external system deleted, as a list page with `updatedSince` reports it.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tombstone {
    pub external_id: String,
    /// When the local copy learned of the deletion (UTC, milliseconds).
    pub deleted_at: String,
    /// The deletion's place in the local copy's change order: the same clock as records'
    /// `modifiedAt`, so keep the largest seen as the next `updatedSince`.
    pub modified_at: String,
}

macro_rules! list_envelope {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            pub data: Vec<$item>,
            /// With `updatedSince`: records of this page's range that the external system
            /// deleted since then (remove them from a replica). Always empty without
            /// `updatedSince`, where deleted records are simply left out.
            pub deleted: Vec<Tombstone>,
            /// The page asked for (from 1).
            pub page: i64,
            pub page_size: i64,
            /// Whether a later page may hold records: keep paging until false. A page is a
            /// fixed window of the change order, so it may hold fewer than `pageSize`
            /// records (where records changed and moved on) while this is true.
            pub has_more: bool,
            /// Pass as `cursor` to continue after this page; null on the last page.
            #[schema(required = true)]
            pub next_cursor: Option<String>,
        }
    };
}

list_envelope!(OrderList, Order, "A page of orders.");
list_envelope!(CustomerList, Customer, "A page of customers.");
list_envelope!(ProductList, Product, "A page of products.");
list_envelope!(
    VariationList,
    Variation,
    "A page of a product's variations."
);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use junction_contract as c;
    use junction_domain::sync::record_json::to_stored;

    fn address() -> c::Address {
        c::Address {
            first_name: Some("Jan".into()),
            last_name: Some("de Vries".into()),
            company: Some("Acme".into()),
            line1: Some("Dam 1".into()),
            line2: Some("2nd floor".into()),
            city: Some("Amsterdam".into()),
            region: Some("NH".into()),
            postcode: Some("1012 JS".into()),
            country: Some("NL".into()),
            email: Some("jan@example.nl".into()),
            phone: Some("+31 20 000 0000".into()),
        }
    }

    /// Render an entity as the local copy stores it, read it back into the documented
    /// type (unknown fields refused), and render that again: the same JSON.
    fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(entity: c::Entity) {
        let mut stored = to_stored(&entity).unwrap();
        stored.changed_ms = 1_767_323_045_006;
        let served = stored.served();
        let as_served: serde_json::Value = serde_json::from_str(&served).unwrap();
        let documented: T = serde_json::from_str(&served).unwrap_or_else(|e| {
            panic!("the served JSON is not the documented shape: {e}\n{as_served:#}")
        });
        assert_eq!(serde_json::to_value(documented).unwrap(), as_served);
        // The local copy's time is `modifiedAt`; the system's own stays beside it, and a
        // `modifiedAt` inside the system's raw JSON is left alone.
        assert_eq!(as_served["modifiedAt"], "2026-01-02T03:04:05.006Z");
        assert_eq!(as_served["sourceModifiedAt"], entity.modified_at());
        assert_eq!(as_served["raw"]["modifiedAt"], "raw's own");
    }

    #[test]
    fn the_documented_records_are_what_the_local_copy_serves() {
        let raw = r#"{"id":7,"meta_data":[],"modifiedAt":"raw's own"}"#.to_string();
        round_trip::<super::Order>(c::Entity::Order(c::Order {
            external_id: "7".into(),
            order_number: Some("1007".into()),
            status: "processing".into(),
            currency: Some("EUR".into()),
            total: "10.00".into(),
            subtotal: Some("8.00".into()),
            tax_total: Some("1.00".into()),
            shipping_total: Some("1.00".into()),
            discount_total: Some("0.00".into()),
            customer_id: Some("3".into()),
            customer_email: Some("jan@example.nl".into()),
            billing: Some(address()),
            shipping: Some(address()),
            payment_status: Some("paid".into()),
            payment_method: Some("iDEAL".into()),
            line_items: vec![c::LineItem {
                external_id: Some("1".into()),
                product_id: Some("4".into()),
                variation_id: Some("9".into()),
                sku: Some("TS-RED".into()),
                name: "T-shirt".into(),
                quantity: "2".into(),
                unit_price: "4.00".into(),
                total: "8.00".into(),
                tax: Some("0.84".into()),
            }],
            tracking: vec![c::Tracking {
                number: "3S123".into(),
                provider: Some("PostNL".into()),
                url: Some("https://track.example/3S123".into()),
                shipped_at: Some("2026-01-02T00:00:00Z".into()),
            }],
            created_at: "2026-01-01T00:00:00Z".into(),
            modified_at: "2026-01-02T00:00:00Z".into(),
            raw: raw.clone(),
        }));
        round_trip::<super::Customer>(c::Entity::Customer(c::Customer {
            external_id: "3".into(),
            email: Some("jan@example.nl".into()),
            first_name: Some("Jan".into()),
            last_name: Some("de Vries".into()),
            company: Some("Acme".into()),
            phone: Some("+31".into()),
            billing: Some(address()),
            shipping: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            modified_at: "2026-01-02T00:00:00Z".into(),
            raw: raw.clone(),
        }));
        round_trip::<super::Product>(c::Entity::Product(c::Product {
            external_id: "4".into(),
            sku: Some("TS".into()),
            name: "T-shirt".into(),
            status: Some("publish".into()),
            price: Some("4.00".into()),
            regular_price: Some("5.00".into()),
            sale_price: Some("4.00".into()),
            currency: Some("EUR".into()),
            stock_quantity: Some(3),
            has_variations: true,
            created_at: "2026-01-01T00:00:00Z".into(),
            modified_at: "2026-01-02T00:00:00Z".into(),
            raw: raw.clone(),
        }));
        round_trip::<super::Variation>(c::Entity::Variation(c::Variation {
            external_id: "9".into(),
            product_id: "4".into(),
            sku: Some("TS-RED".into()),
            name: Some("T-shirt red".into()),
            attributes: vec![("Colour".into(), "Red".into())],
            price: Some("4.00".into()),
            regular_price: Some("5.00".into()),
            sale_price: None,
            stock_quantity: Some(1),
            created_at: "2026-01-01T00:00:00Z".into(),
            modified_at: "2026-01-02T00:00:00Z".into(),
            raw,
        }));
    }
}
