//! Tryton records (as `search_read` returns them) → canonical records, and the field lists
//! each resource reads.
//!
//! Dotted fields (`party.email`) come back nested under the relation's name with a trailing
//! dot (`"party.": {"email": ...}`).
//!
//! - orders: `sale.sale` with its `sale.line`s; `number` is empty until the sale is quoted, so
//!   `order-number` falls back to `reference`; `invoice_state` is the payment status.
//! - customers: `party.party`; a party has one `name` (a person or a company), carried as
//!   `last-name`; email and phone are the party's first contact mechanisms of that type.
//! - products: `product.product` with its template's `name` and `list_price` (the price lives
//!   on the template, per company), and `quantity` in the warehouse given as context.

use junction_sdk::types::{Address, Customer, Entity, LineItem, Order, Product};
use serde_json::{Map, Value};

use crate::codec::{self, CodecError, TrytonDateTime};

/// One Tryton record.
pub type Record = Map<String, Value>;

/// Fields read for orders.
pub const ORDER_FIELDS: &[&str] = &[
    "id",
    "number",
    "reference",
    "description",
    "state",
    "invoice_state",
    "shipment_state",
    "party",
    "party.name",
    "party.email",
    "party.phone",
    "currency.code",
    "total_amount",
    "untaxed_amount",
    "tax_amount",
    "sale_date",
    "create_date",
    "write_date",
    "invoice_address.party_name",
    "invoice_address.street",
    "invoice_address.city",
    "invoice_address.postal_code",
    "invoice_address.country.code",
    "invoice_address.subdivision.name",
    "shipment_address.party_name",
    "shipment_address.street",
    "shipment_address.city",
    "shipment_address.postal_code",
    "shipment_address.country.code",
    "shipment_address.subdivision.name",
];

/// Fields read for sale lines.
pub const LINE_FIELDS: &[&str] = &[
    "id",
    "sale",
    "type",
    "product",
    "product.code",
    "description",
    "quantity",
    "unit_price",
    "amount",
];

/// Fields read for customers.
pub const CUSTOMER_FIELDS: &[&str] = &[
    "id",
    "name",
    "code",
    "email",
    "phone",
    "create_date",
    "write_date",
    "addresses",
];

/// Fields read for a customer's addresses.
pub const ADDRESS_FIELDS: &[&str] = &[
    "id",
    "party",
    "party_name",
    "street",
    "city",
    "postal_code",
    "country.code",
    "subdivision.name",
    "sequence",
];

/// Fields read for products.
pub const PRODUCT_FIELDS: &[&str] = &[
    "id",
    "code",
    "name",
    "active",
    "type",
    "quantity",
    "create_date",
    "write_date",
    "template",
    "template.list_price",
    "template.salable",
    "template.create_date",
    "template.write_date",
];

/// A mapping failure: Tryton answered something this connector cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError(pub String);

impl From<CodecError> for MappingError {
    fn from(e: CodecError) -> Self {
        Self(e.0)
    }
}

type Result<T> = std::result::Result<T, MappingError>;

fn id_of(record: &Record) -> Result<i64> {
    record
        .get("id")
        .and_then(Value::as_i64)
        .ok_or_else(|| MappingError("a record without an integer id".into()))
}

/// A non-empty string field.
fn text(record: &Record, field: &str) -> Option<String> {
    record
        .get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The nested record of a dotted read (`"party."`), if the relation is set.
fn nested<'a>(record: &'a Record, relation: &str) -> Option<&'a Record> {
    record
        .get(&format!("{relation}."))
        .and_then(Value::as_object)
}

fn decimal(record: &Record, field: &str) -> Result<Option<String>> {
    codec::decimal_from_json(record.get(field)).map_err(|e| MappingError(format!("{field}: {e}")))
}

fn datetime(record: &Record, field: &str) -> Result<Option<TrytonDateTime>> {
    TrytonDateTime::from_json_opt(record.get(field))
        .map_err(|e| MappingError(format!("{field}: {e}")))
}

/// `(created-at, modified-at)`: modification is `write_date`, or `create_date` for a record
/// never written. `also` are further `(create, write)` pairs that count (a product's
/// template): the newest of all wins.
fn stamps(record: &Record, also: Option<&Record>) -> Result<(String, String)> {
    let created = datetime(record, "create_date")?
        .ok_or_else(|| MappingError("a record without create_date".into()))?;
    let mut modified = datetime(record, "write_date")?.unwrap_or(created);
    if let Some(other) = also {
        for field in ["create_date", "write_date"] {
            if let Some(t) = datetime(other, field)? {
                modified = modified.max(t);
            }
        }
    }
    Ok((created.to_rfc3339(), modified.to_rfc3339()))
}

fn raw(record: &Record) -> String {
    Value::Object(record.clone()).to_string()
}

fn address(
    record: Option<&Record>,
    email: Option<String>,
    phone: Option<String>,
) -> Option<Address> {
    let a = record?;
    let street = text(a, "street").unwrap_or_default();
    // Tryton keeps the street as one multi-line text: the first line is line 1.
    let (line1, line2) = match street.split_once('\n') {
        Some((first, rest)) => (first.trim().to_owned(), Some(rest.trim().to_owned())),
        None => (street, None),
    };
    Some(Address {
        first_name: None,
        last_name: text(a, "party_name"),
        company: None,
        line1: Some(line1).filter(|s| !s.is_empty()),
        line2: line2.filter(|s| !s.is_empty()),
        city: text(a, "city"),
        region: nested(a, "subdivision").and_then(|s| text(s, "name")),
        postcode: text(a, "postal_code"),
        country: nested(a, "country").and_then(|c| text(c, "code")),
        email,
        phone,
    })
}

/// A `sale.sale` with its lines (the lines of this sale, in order).
pub fn order(sale: &Record, lines: &[&Record]) -> Result<Entity> {
    let id = id_of(sale)?;
    let at = |e: MappingError| MappingError(format!("sale {id}: {}", e.0));
    let (created_at, modified_at) = stamps(sale, None).map_err(at)?;
    let party = nested(sale, "party");
    let email = party.and_then(|p| text(p, "email"));
    let phone = party.and_then(|p| text(p, "phone"));
    let line_items = lines
        .iter()
        .filter(|l| {
            l.get("type")
                .and_then(Value::as_str)
                .is_none_or(|t| t == "line")
        })
        .map(|l| line_item(l))
        .collect::<Result<Vec<_>>>()
        .map_err(at)?;
    Ok(Entity::Order(Order {
        external_id: id.to_string(),
        order_number: text(sale, "number").or_else(|| text(sale, "reference")),
        status: text(sale, "state").unwrap_or_else(|| "draft".into()),
        currency: nested(sale, "currency").and_then(|c| text(c, "code")),
        total: decimal(sale, "total_amount")
            .map_err(at)?
            .unwrap_or_else(|| "0".into()),
        subtotal: decimal(sale, "untaxed_amount").map_err(at)?,
        tax_total: decimal(sale, "tax_amount").map_err(at)?,
        shipping_total: None,
        discount_total: None,
        customer_id: sale
            .get("party")
            .and_then(Value::as_i64)
            .map(|p| p.to_string()),
        customer_email: email.clone(),
        billing: address(
            nested(sale, "invoice_address"),
            email.clone(),
            phone.clone(),
        ),
        shipping: address(nested(sale, "shipment_address"), None, None),
        payment_status: text(sale, "invoice_state"),
        payment_method: None,
        line_items,
        tracking: vec![],
        created_at,
        modified_at,
        raw: raw(sale),
    }))
}

fn line_item(line: &Record) -> Result<LineItem> {
    let id = id_of(line)?;
    let at = |e: MappingError| MappingError(format!("sale line {id}: {}", e.0));
    let quantity = decimal(line, "quantity")
        .map_err(at)?
        .unwrap_or_else(|| "0".into());
    let unit_price = decimal(line, "unit_price")
        .map_err(at)?
        .unwrap_or_else(|| "0".into());
    let total = decimal(line, "amount")
        .map_err(at)?
        .unwrap_or_else(|| "0".into());
    let sku = nested(line, "product").and_then(|p| text(p, "code"));
    Ok(LineItem {
        external_id: Some(id.to_string()),
        product_id: line
            .get("product")
            .and_then(Value::as_i64)
            .map(|p| p.to_string()),
        variation_id: None,
        name: text(line, "description")
            .or_else(|| sku.clone())
            .unwrap_or_default(),
        sku,
        quantity,
        unit_price,
        total,
        tax: None,
    })
}

/// A `party.party` with its addresses (first = billing, second = shipping when present).
pub fn customer(party: &Record, addresses: &[&Record]) -> Result<Entity> {
    let id = id_of(party)?;
    let at = |e: MappingError| MappingError(format!("party {id}: {}", e.0));
    let (created_at, modified_at) = stamps(party, None).map_err(at)?;
    let email = text(party, "email");
    let phone = text(party, "phone");
    let billing = address(addresses.first().copied(), email.clone(), phone.clone());
    let shipping = address(addresses.get(1).or(addresses.first()).copied(), None, None);
    Ok(Entity::Customer(Customer {
        external_id: id.to_string(),
        email,
        first_name: None,
        last_name: text(party, "name"),
        company: None,
        phone,
        billing,
        shipping,
        created_at,
        modified_at,
        raw: raw(party),
    }))
}

/// A `product.product` read with [`PRODUCT_FIELDS`].
pub fn product(record: &Record) -> Result<Entity> {
    let id = id_of(record)?;
    let at = |e: MappingError| MappingError(format!("product {id}: {}", e.0));
    let template = nested(record, "template");
    let (created_at, modified_at) = stamps(record, template).map_err(at)?;
    let price = match template {
        Some(t) => decimal(t, "list_price").map_err(at)?,
        None => None,
    };
    let stock_quantity = match record.get("quantity") {
        Some(Value::Number(n)) => n.as_f64().map(|q| q.round() as i64),
        _ => None,
    };
    let active = match record.get("active") {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() != Some(0),
        _ => true,
    };
    Ok(Entity::Product(Product {
        external_id: id.to_string(),
        sku: text(record, "code"),
        name: text(record, "name").unwrap_or_default(),
        status: Some(if active { "active" } else { "inactive" }.into()),
        price: price.clone(),
        regular_price: price,
        sale_price: None,
        currency: None,
        stock_quantity,
        has_variations: false,
        created_at,
        modified_at,
        raw: raw(record),
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dt(second: u8) -> Value {
        json!({"__class__": "datetime", "year": 2026, "month": 11, "day": 23,
               "hour": 20, "minute": 9, "second": second, "microsecond": 12})
    }

    fn rec(v: Value) -> Record {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_sale_maps_with_lines_and_never_written_uses_create_date() {
        let sale = rec(json!({
            "id": 9, "number": null, "reference": "SHOP-1", "state": "draft",
            "invoice_state": "none", "party": 10,
            "party.": {"id": 10, "name": "Ann", "email": "ann@example.com", "phone": ""},
            "currency.": {"id": 1, "code": "EUR"},
            "total_amount": {"__class__": "Decimal", "decimal": "125.00"},
            "untaxed_amount": {"__class__": "Decimal", "decimal": "125.00"},
            "tax_amount": {"__class__": "Decimal", "decimal": "0"},
            "create_date": dt(3), "write_date": null,
            "invoice_address.": {"id": 1, "street": "1 Main St\nFlat 2", "city": "Ghent",
                                 "postal_code": "9000", "country.": {"id": 3, "code": "BE"},
                                 "party_name": null, "subdivision.": null},
            "shipment_address.": null
        }));
        let line = rec(json!({
            "id": 16, "sale": 9, "type": "line", "product": 1, "product.": {"code": "SKU-1"},
            "description": "Shirt", "quantity": 2.0,
            "unit_price": {"__class__": "Decimal", "decimal": "11.50"},
            "amount": {"__class__": "Decimal", "decimal": "23.00"}
        }));
        let comment = rec(
            json!({"id": 17, "sale": 9, "type": "comment", "description": "note",
                                 "quantity": null, "unit_price": null, "amount": null}),
        );
        let Entity::Order(o) = order(&sale, &[&line, &comment]).unwrap() else {
            panic!()
        };
        assert_eq!(o.external_id, "9");
        assert_eq!(o.order_number.as_deref(), Some("SHOP-1"));
        assert_eq!(o.total, "125.00");
        assert_eq!(o.currency.as_deref(), Some("EUR"));
        assert_eq!(o.customer_id.as_deref(), Some("10"));
        assert_eq!(o.customer_email.as_deref(), Some("ann@example.com"));
        assert_eq!(o.created_at, "2026-11-23T20:09:03Z");
        assert_eq!(o.modified_at, o.created_at);
        let billing = o.billing.unwrap();
        assert_eq!(billing.line1.as_deref(), Some("1 Main St"));
        assert_eq!(billing.line2.as_deref(), Some("Flat 2"));
        assert_eq!(billing.country.as_deref(), Some("BE"));
        assert!(o.shipping.is_none());
        assert_eq!(o.line_items.len(), 1, "comment lines are not items");
        let item = &o.line_items[0];
        assert_eq!(
            (item.sku.as_deref(), item.quantity.as_str()),
            (Some("SKU-1"), "2.0")
        );
        assert_eq!(
            (item.unit_price.as_str(), item.total.as_str()),
            ("11.50", "23.00")
        );
    }

    #[test]
    fn a_product_takes_price_from_its_template_and_the_newest_date() {
        let p = rec(json!({
            "id": 4, "code": "SKU-4", "name": "Mug", "active": 1, "quantity": 7.0,
            "create_date": dt(1), "write_date": dt(2),
            "template": 4,
            "template.": {"id": 4, "list_price": {"__class__": "Decimal", "decimal": "9.90"},
                          "create_date": dt(1), "write_date": dt(5)}
        }));
        let Entity::Product(p) = product(&p).unwrap() else {
            panic!()
        };
        assert_eq!(p.price.as_deref(), Some("9.90"));
        assert_eq!(p.stock_quantity, Some(7));
        assert_eq!(p.modified_at, "2026-11-23T20:09:05Z");
        assert_eq!(p.status.as_deref(), Some("active"));
    }

    #[test]
    fn unreadable_values_name_the_record_and_field() {
        let bad = rec(json!({"id": 3, "create_date": dt(1), "write_date": null,
                             "total_amount": "lots"}));
        let err = order(&bad, &[]).unwrap_err();
        assert!(
            err.0.contains("sale 3") && err.0.contains("total_amount"),
            "{}",
            err.0
        );
        let no_date = rec(json!({"id": 5, "name": "x"}));
        assert!(customer(&no_date, &[]).is_err());
    }
}
