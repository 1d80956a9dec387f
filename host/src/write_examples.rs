//! Example `write` JSON for `junction connector call … write`, one per write kind: built as
//! the contract's own values (`junction_contract::WriteOp`, generated from the WIT) and
//! printed in the CLI's form (`"op"` plus kebab-case fields), so an example can never name
//! a field the contract does not have; `cli::parse_write_op` reads each back (tested).

use serde_json::{Map, Value};

use junction_contract::{
    Address, Customer, CustomerUpsert, LineItem, Order, OrderStatusChange, OrderTrackingChange,
    OrderUpsert, Product, ProductPriceChange, ProductStockChange, ProductUpsert, Tracking,
    VariationPriceChange, VariationStockChange, WriteKind, WriteOp,
};

const AT: &str = "2026-01-31T12:00:00Z";

/// A realistic example of each write kind.
pub fn example(kind: WriteKind) -> WriteOp {
    match kind {
        WriteKind::OrderStatus => WriteOp::OrderStatus(OrderStatusChange {
            order_id: "1042".into(),
            status: "completed".into(),
        }),
        WriteKind::OrderTracking => WriteOp::OrderTracking(OrderTrackingChange {
            order_id: "1042".into(),
            tracking: Tracking {
                number: "BE123456789".into(),
                provider: Some("bpost".into()),
                url: Some("https://track.bpost.example/BE123456789".into()),
                shipped_at: Some(AT.into()),
            },
        }),
        WriteKind::ProductStock => WriteOp::ProductStock(ProductStockChange {
            product_id: "77".into(),
            quantity: 42,
        }),
        WriteKind::ProductPrice => WriteOp::ProductPrice(ProductPriceChange {
            product_id: "77".into(),
            price: "19.99".into(),
            sale_price: Some("17.50".into()),
        }),
        WriteKind::VariationStock => WriteOp::VariationStock(VariationStockChange {
            product_id: "77".into(),
            variation_id: "78".into(),
            quantity: 5,
        }),
        WriteKind::VariationPrice => WriteOp::VariationPrice(VariationPriceChange {
            product_id: "77".into(),
            variation_id: "78".into(),
            price: "21.00".into(),
            sale_price: None,
        }),
        WriteKind::UpsertOrder => WriteOp::UpsertOrder(OrderUpsert {
            target_id: None,
            order: order(),
        }),
        WriteKind::UpsertCustomer => WriteOp::UpsertCustomer(CustomerUpsert {
            target_id: Some("c-9".into()),
            customer: Customer {
                external_id: "501".into(),
                email: Some("ann@example.com".into()),
                first_name: Some("Ann".into()),
                last_name: Some("Peeters".into()),
                company: None,
                phone: Some("+32 470 00 00 00".into()),
                billing: Some(address()),
                shipping: None,
                created_at: AT.into(),
                modified_at: AT.into(),
                raw: "{}".into(),
            },
        }),
        WriteKind::UpsertProduct => WriteOp::UpsertProduct(ProductUpsert {
            target_id: None,
            product: Product {
                external_id: "77".into(),
                sku: Some("MUG-RED".into()),
                name: "Red mug".into(),
                status: Some("publish".into()),
                price: Some("17.50".into()),
                regular_price: Some("19.99".into()),
                sale_price: Some("17.50".into()),
                currency: Some("EUR".into()),
                stock_quantity: Some(42),
                has_variations: false,
                created_at: AT.into(),
                modified_at: AT.into(),
                raw: "{}".into(),
            },
        }),
    }
}

fn address() -> Address {
    Address {
        first_name: Some("Ann".into()),
        last_name: Some("Peeters".into()),
        company: None,
        line1: Some("Kerkstraat 1".into()),
        line2: None,
        city: Some("Gent".into()),
        region: None,
        postcode: Some("9000".into()),
        country: Some("BE".into()),
        email: Some("ann@example.com".into()),
        phone: None,
    }
}

fn order() -> Order {
    Order {
        external_id: "1042".into(),
        order_number: Some("1042".into()),
        status: "processing".into(),
        currency: Some("EUR".into()),
        total: "40.49".into(),
        subtotal: Some("35.00".into()),
        tax_total: Some("5.49".into()),
        shipping_total: Some("0.00".into()),
        discount_total: None,
        customer_id: Some("501".into()),
        customer_email: Some("ann@example.com".into()),
        billing: Some(address()),
        shipping: Some(address()),
        payment_status: Some("paid".into()),
        payment_method: Some("bancontact".into()),
        line_items: vec![LineItem {
            external_id: Some("1".into()),
            product_id: Some("77".into()),
            variation_id: None,
            sku: Some("MUG-RED".into()),
            name: "Red mug".into(),
            quantity: "2".into(),
            unit_price: "17.50".into(),
            total: "35.00".into(),
            tax: Some("5.49".into()),
        }],
        tracking: vec![],
        created_at: AT.into(),
        modified_at: AT.into(),
        raw: "{}".into(),
    }
}

/// `op` in the CLI's JSON form: `{"op": "<kind>", <its fields in kebab-case>}`.
pub fn to_cli_json(op: &WriteOp) -> Value {
    let mut out = Map::new();
    out.insert("op".into(), Value::String(op.kind().as_str().to_string()));
    // serde writes a variant as `{"Variant": {fields}}`.
    if let Ok(Value::Object(tagged)) = serde_json::to_value(op)
        && let Some((_, Value::Object(fields))) = tagged.into_iter().next()
    {
        for (key, value) in fields {
            out.insert(key.replace('_', "-"), rename_keys(value, '_', '-'));
        }
    }
    Value::Object(out)
}

/// Every object key in `value`, at any depth, with `from` replaced by `to`: the CLI's
/// kebab-case JSON and serde's snake_case field names, both ways.
pub fn rename_keys(value: Value, from: char, to: char) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.replace(from, &to.to_string()), rename_keys(v, from, to)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| rename_keys(v, from, to))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_example_reads_back_as_the_same_write() {
        for kind in WriteKind::ALL {
            let op = example(kind);
            assert_eq!(op.kind(), kind);
            let json = to_cli_json(&op);
            assert_eq!(json["op"], kind.as_str());
            let back = crate::cli::parse_write_op(&json)
                .unwrap_or_else(|e| panic!("{}: {e}: {json}", kind.as_str()));
            assert_eq!(back, op, "{}", kind.as_str());
        }
    }

    #[test]
    fn examples_use_the_cli_spelling() {
        let json = to_cli_json(&example(WriteKind::OrderTracking));
        assert_eq!(json["order-id"], "1042");
        assert_eq!(json["tracking"]["shipped-at"], AT);
    }
}
