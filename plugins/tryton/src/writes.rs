//! The writes: product price (the template's `list_price`), product stock (an inventory) and
//! order upsert (a `sale.sale`).
//!
//! - **product-price**: `list_price` lives on `product.template` (company-dependent, hence
//!   the session's company context). Tryton core has no separate sale price, so a
//!   `sale-price` is refused rather than dropped. The product row is touched (an empty
//!   `write`) so its `write_date` moves and incremental syncs see the change.
//! - **product-stock**: Tryton never sets a quantity directly: stock is the sum of moves.
//!   The faithful equivalent of "the quantity is now N" is a stock inventory (a count) of the
//!   warehouse's storage location with one line `product = N`, confirmed: Tryton creates the
//!   move from/to its lost-and-found location that makes the quantity N. The product is
//!   touched as above.
//! - **upsert-order**: the natural key is the source order's external id, kept as the sale's
//!   `reference`. With a `target-id` that sale is updated; else a sale with that reference is
//!   updated; else one is created. The party is found by email (a contact mechanism) or
//!   created from the billing address; lines are matched to products by code (SKU). An
//!   update replaces the lines, which Tryton allows only while the sale is a draft. So a
//!   re-run writes the same sale again instead of duplicating it.

use junction_sdk::types::{
    ConnectorError, Order, OrderUpsert, ProductPriceChange, ProductStockChange, ResourceKind,
    WriteOutcome,
};
use serde_json::{Map, Value, json};

use crate::api;
use crate::codec::decimal_to_json;
use crate::rpc::{Session, ids, records};

fn product_id(id: &str) -> Result<i64, ConnectorError> {
    id.trim()
        .parse()
        .map_err(|_| ConnectorError::not_found(format!("product {id:?}: Tryton ids are integers")))
}

/// The product's template id; `not-found` when there is no such product.
fn template_of(session: &Session, product: i64) -> Result<i64, ConnectorError> {
    let found = session.search_read(
        "product.product",
        json!([["id", "=", product]]),
        Some(1),
        Value::Null,
        &["id", "template"],
        &Map::new(),
    )?;
    found
        .first()
        .and_then(|p| p.get("template"))
        .and_then(Value::as_i64)
        .ok_or_else(|| ConnectorError::not_found(format!("no product {product} in Tryton")))
}

/// Moves the product's `write_date` (an empty write) so incremental listings see it.
fn touch_product(session: &Session, product: i64) -> Result<(), ConnectorError> {
    session.call("model.product.product.write", json!([[product], {}]))?;
    Ok(())
}

fn product_outcome(session: &Session, product: i64) -> Result<WriteOutcome, ConnectorError> {
    let entity = api::get(session, ResourceKind::Products, &product.to_string())?;
    Ok(WriteOutcome {
        external_id: product.to_string(),
        entity: Some(entity),
    })
}

/// Sets the template's `list_price`.
pub fn product_price(
    session: &Session,
    change: &ProductPriceChange,
) -> Result<WriteOutcome, ConnectorError> {
    if change.sale_price.is_some() {
        return Err(ConnectorError::invalid_request(
            "sale-price: Tryton has no separate sale price (only the template's list price); \
             send the price alone",
        ));
    }
    let price = junction_sdk::decimal::normalize(&change.price).map_err(|_| {
        ConnectorError::invalid_request(format!("price: {:?} is not a decimal", change.price))
    })?;
    if price.starts_with('-') {
        return Err(ConnectorError::invalid_request(format!(
            "price: {price} is negative"
        )));
    }
    let product = product_id(&change.product_id)?;
    let template = template_of(session, product)?;
    session.call(
        "model.product.template.write",
        json!([[template], {"list_price": decimal_to_json(&price)}]),
    )?;
    touch_product(session, product)?;
    product_outcome(session, product)
}

/// Makes the product's warehouse quantity `quantity` with a confirmed inventory.
pub fn product_stock(
    session: &Session,
    change: &ProductStockChange,
) -> Result<WriteOutcome, ConnectorError> {
    if change.quantity < 0 {
        return Err(ConnectorError::invalid_request(format!(
            "quantity: {} is negative; a Tryton inventory counts what is there",
            change.quantity
        )));
    }
    let product = product_id(&change.product_id)?;
    template_of(session, product)?;
    let warehouse = api::warehouse(session)?;
    let company = session
        .context()
        .get("company")
        .cloned()
        .unwrap_or(Value::Null);
    let created = session.call(
        "model.stock.inventory.create",
        json!([[{
            "location": warehouse.storage_location,
            "company": company,
            "lines": [["create", [{"product": product, "quantity": change.quantity as f64}]]],
        }]]),
    )?;
    let inventory = ids(&created, "stock.inventory.create")?;
    session.call("model.stock.inventory.confirm", json!([inventory]))?;
    touch_product(session, product)?;
    product_outcome(session, product)
}

/// Creates or updates a sale for `upsert.order`.
pub fn upsert_order(
    session: &Session,
    upsert: &OrderUpsert,
) -> Result<WriteOutcome, ConnectorError> {
    let order = &upsert.order;
    let key = order.external_id.trim();
    if key.is_empty() {
        return Err(ConnectorError::invalid_request(
            "order.external-id: the source order's id is needed (it becomes the sale's reference)",
        ));
    }
    // Resolve everything before writing, so a bad line leaves Tryton untouched.
    let lines = sale_lines(session, order)?;
    let currency = currency(session, order.currency.as_deref())?;
    let existing = match &upsert.target_id {
        Some(target) => {
            let id: i64 = target.trim().parse().map_err(|_| {
                ConnectorError::not_found(format!("target-id {target:?}: Tryton ids are integers"))
            })?;
            Some(sale_state(session, id)?.ok_or_else(|| {
                ConnectorError::not_found(format!("no sale {id} in Tryton (target-id)"))
            })?)
        }
        None => find_sale_by_reference(session, key)?,
    };
    if let Some((id, state)) = &existing
        && state != "draft"
    {
        return Err(ConnectorError::upstream(
            409,
            format!("sale {id} is {state}: Tryton only changes the lines of draft sales"),
        ));
    }
    let (party, address) = party_for(session, order)?;
    let mut values = json!({
        "party": party,
        "invoice_address": address,
        "shipment_address": address,
        "currency": currency,
        "reference": key,
        "description": order.order_number.as_deref().map(|n| format!("Order {n}")),
    });
    let id = match existing {
        Some((id, _)) => {
            let old_lines = session.call("model.sale.line.search", json!([[["sale", "=", id]]]))?;
            values["lines"] = json!([
                ["delete", ids(&old_lines, "sale.line.search")?],
                ["create", lines]
            ]);
            session.call("model.sale.sale.write", json!([[id], values]))?;
            id
        }
        None => {
            values["lines"] = json!([["create", lines]]);
            values["company"] = session
                .context()
                .get("company")
                .cloned()
                .unwrap_or(Value::Null);
            let created = session.call("model.sale.sale.create", json!([[values]]))?;
            *ids(&created, "sale.sale.create")?
                .first()
                .ok_or_else(|| ConnectorError::upstream(200, "sale.sale.create returned no id"))?
        }
    };
    let entity = api::get(session, ResourceKind::Orders, &id.to_string())?;
    Ok(WriteOutcome {
        external_id: id.to_string(),
        entity: Some(entity),
    })
}

/// `(id, state)` of a sale, if it exists.
fn sale_state(session: &Session, id: i64) -> Result<Option<(i64, String)>, ConnectorError> {
    let found = session.search_read(
        "sale.sale",
        json!([["id", "=", id]]),
        Some(1),
        Value::Null,
        &["id", "state"],
        &Map::new(),
    )?;
    Ok(found.first().map(|s| (id, state_of(s))))
}

fn state_of(sale: &Map<String, Value>) -> String {
    sale.get("state")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

fn find_sale_by_reference(
    session: &Session,
    reference: &str,
) -> Result<Option<(i64, String)>, ConnectorError> {
    let found = session.search_read(
        "sale.sale",
        json!([["reference", "=", reference]]),
        Some(1),
        json!([["id", "ASC"]]),
        &["id", "state"],
        &Map::new(),
    )?;
    Ok(found.first().and_then(|s| {
        s.get("id")
            .and_then(Value::as_i64)
            .map(|id| (id, state_of(s)))
    }))
}

/// The currency by ISO code, or the company's when the order has none.
fn currency(session: &Session, code: Option<&str>) -> Result<Value, ConnectorError> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(Value::Null); // Tryton defaults the sale's currency to the company's.
    };
    let found = session.call(
        "model.currency.currency.search",
        json!([[["code", "=", code.to_uppercase()]], 0, 1, null]),
    )?;
    ids(&found, "currency.currency.search")?
        .first()
        .map(|id| json!(id))
        .ok_or_else(|| {
            ConnectorError::invalid_request(format!(
                "order.currency: Tryton has no currency {code}"
            ))
        })
}

/// The sale lines to create: each line item's product found by code (SKU).
fn sale_lines(session: &Session, order: &Order) -> Result<Vec<Value>, ConnectorError> {
    if order.line_items.is_empty() {
        return Err(ConnectorError::invalid_request(
            "order.line-items: an order needs at least one line",
        ));
    }
    let mut lines = Vec::with_capacity(order.line_items.len());
    for (n, item) in order.line_items.iter().enumerate() {
        let field = |f: &str| format!("order.line-items[{n}].{f}");
        let sku = item
            .sku
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ConnectorError::invalid_request(format!(
                    "{}: Tryton products are matched by code, and this line has no SKU",
                    field("sku")
                ))
            })?;
        let quantity: f64 = junction_sdk::decimal::normalize(&item.quantity)
            .ok()
            .and_then(|q| q.parse().ok())
            .filter(|q: &f64| *q > 0.0)
            .ok_or_else(|| {
                ConnectorError::invalid_request(format!(
                    "{}: {:?} is not a positive number",
                    field("quantity"),
                    item.quantity
                ))
            })?;
        let unit_price = junction_sdk::decimal::normalize(&item.unit_price).map_err(|_| {
            ConnectorError::invalid_request(format!(
                "{}: {:?} is not a decimal",
                field("unit-price"),
                item.unit_price
            ))
        })?;
        let found = session.search_read(
            "product.product",
            json!([["code", "=", sku]]),
            Some(1),
            Value::Null,
            &["id", "default_uom", "name"],
            &Map::new(),
        )?;
        let product = found.first().ok_or_else(|| {
            ConnectorError::invalid_request(format!(
                "{}: no Tryton product has code {sku:?}",
                field("sku")
            ))
        })?;
        lines.push(json!({
            "type": "line",
            "product": product.get("id"),
            "unit": product.get("default_uom"),
            "quantity": quantity,
            "unit_price": decimal_to_json(&unit_price),
            "description": if item.name.trim().is_empty() {
                product.get("name").cloned().unwrap_or(Value::Null)
            } else {
                json!(item.name)
            },
        }));
    }
    Ok(lines)
}

/// The party for the order's customer (by email) and an address of it.
fn party_for(session: &Session, order: &Order) -> Result<(i64, i64), ConnectorError> {
    let billing = order.billing.as_ref();
    let email = order
        .customer_email
        .as_deref()
        .or_else(|| billing.and_then(|b| b.email.as_deref()))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            ConnectorError::invalid_request(
                "order.customer-email: the email (or billing.email) is needed to find or create \
                 the Tryton party",
            )
        })?;
    let found = session.call(
        "model.party.party.search",
        json!([
            [[
                "contact_mechanisms",
                "where",
                [["type", "=", "email"], ["value", "=", email]]
            ]],
            0,
            1,
            [["id", "ASC"]]
        ]),
    )?;
    let party = match ids(&found, "party.party.search")?.first() {
        Some(id) => *id,
        None => {
            let name = billing
                .map(|b| {
                    [b.first_name.as_deref(), b.last_name.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|n| !n.trim().is_empty())
                .or_else(|| billing.and_then(|b| b.company.clone()))
                .unwrap_or_else(|| email.to_owned());
            let mut mechanisms = vec![json!({"type": "email", "value": email})];
            if let Some(phone) = billing
                .and_then(|b| b.phone.as_deref())
                .filter(|p| !p.trim().is_empty())
            {
                mechanisms.push(json!({"type": "phone", "value": phone}));
            }
            let created = session.call(
                "model.party.party.create",
                json!([[{"name": name, "contact_mechanisms": [["create", mechanisms]]}]]),
            )?;
            *ids(&created, "party.party.create")?
                .first()
                .ok_or_else(|| ConnectorError::upstream(200, "party.party.create returned no id"))?
        }
    };
    let addresses = session.call(
        "model.party.address.search_read",
        json!([
            [["party", "=", party]],
            0,
            1,
            [["sequence", "ASC"], ["id", "ASC"]],
            ["id"]
        ]),
    )?;
    let existing = records(addresses, "party.address")?
        .first()
        .and_then(|a| a.get("id"))
        .and_then(Value::as_i64);
    let address = match existing {
        Some(id) => id,
        None => {
            let street = billing
                .map(|b| {
                    [b.line1.as_deref(), b.line2.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            let created = session.call(
                "model.party.address.create",
                json!([[{
                    "party": party,
                    "street": street,
                    "city": billing.and_then(|b| b.city.clone()),
                    "postal_code": billing.and_then(|b| b.postcode.clone()),
                }]]),
            )?;
            *ids(&created, "party.address.create")?
                .first()
                .ok_or_else(|| {
                    ConnectorError::upstream(200, "party.address.create returned no id")
                })?
        }
    };
    Ok((party, address))
}
