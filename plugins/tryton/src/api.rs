//! The reads: `check`, `list` (two-phase keyset paging, see [`crate::keyset`]) and `get`,
//! each over one [`Session`].

use junction_sdk::types::{CheckInfo, ConnectorError, Entity, ListRequest, Page, ResourceKind};
use serde_json::{Map, Value, json};

use crate::codec::TrytonDateTime;
use crate::keyset::{self, Cursor, Next, Phase};
use crate::mapping::{self, MappingError, Record};
use crate::rpc::{Session, records};

/// Largest page this connector returns (one `search_read` each, plus the lines/addresses).
pub const MAX_PAGE_SIZE: u32 = 500;

/// What one resource is in Tryton.
pub struct Listing {
    /// The cursor's listing name.
    pub name: &'static str,
    pub model: &'static str,
    pub fields: &'static [&'static str],
    /// Further dates that count as a modification for `updated-since`.
    pub since_also: &'static [&'static str],
}

/// The listing of a resource, or `unsupported`.
pub fn listing(resource: ResourceKind) -> Result<Listing, ConnectorError> {
    match resource {
        ResourceKind::Orders => Ok(Listing {
            name: "orders",
            model: "sale.sale",
            fields: mapping::ORDER_FIELDS,
            since_also: &[],
        }),
        ResourceKind::Customers => Ok(Listing {
            name: "customers",
            model: "party.party",
            fields: mapping::CUSTOMER_FIELDS,
            since_also: &[],
        }),
        ResourceKind::Products => Ok(Listing {
            name: "products",
            model: "product.product",
            fields: mapping::PRODUCT_FIELDS,
            since_also: &["template.write_date", "template.create_date"],
        }),
        ResourceKind::Variations => Err(ConnectorError::unsupported(
            "Tryton products are listed as products (each product.product is one product); \
             there are no separate variations",
        )),
    }
}

/// A mapping failure as the contract reports it: Tryton sent something unreadable.
pub fn unreadable(e: MappingError) -> ConnectorError {
    ConnectorError::upstream(200, format!("unreadable Tryton record: {}", e.0))
}

/// `check`: the login worked (the session is open); name what was reached.
pub fn check(session: &Session, database_hint: &str) -> Result<CheckInfo, ConnectorError> {
    let company = session
        .context()
        .get("company.rec_name")
        .and_then(Value::as_str)
        .unwrap_or("no company set for this user");
    let count = session.call("model.sale.sale.search_count", json!([[]]))?;
    Ok(CheckInfo {
        message: format!("Tryton {database_hint}: company {company}, {count} sale orders"),
    })
}

/// One page of a resource.
pub fn list(session: &Session, request: &ListRequest) -> Result<Page, ConnectorError> {
    let listing = listing(request.resource)?;
    let mut cursor = match &request.cursor {
        Some(c) => Cursor::decode(c, listing.name)?,
        None => {
            let since = request
                .updated_since
                .as_deref()
                .map(junction_sdk::time::normalize_utc)
                .transpose()
                .map_err(|e| {
                    ConnectorError::invalid_request(format!("updated-since: {}", e.reason))
                })?;
            Cursor::start(listing.name, since)
        }
    };
    let since = cursor
        .since
        .as_deref()
        .map(TrytonDateTime::from_rfc3339)
        .transpose()
        .map_err(|e| ConnectorError::invalid_request(format!("updated-since: {e}")))?;
    let page_size = request.page_size.clamp(1, MAX_PAGE_SIZE) as usize;
    let context = read_context(session, request.resource)?;

    let mut found: Vec<Record> = Vec::new();
    let next_cursor = loop {
        let wanted = page_size - found.len();
        let domain = keyset::domain(
            cursor.phase,
            since,
            listing.since_also,
            cursor.parsed_key()?,
        );
        let mut window = session.search_read(
            listing.model,
            domain,
            Some(wanted as u32 + 1),
            keyset::order(cursor.phase),
            listing.fields,
            &context,
        )?;
        match keyset::next(window.len(), wanted) {
            Next::SamePhase => {
                window.truncate(wanted);
                let last = window.last().map(|r| keyset::record_key(cursor.phase, r));
                found.extend(window);
                break match last {
                    Some(key) => Some(cursor.after(key?)),
                    None => Some(cursor),
                };
            }
            Next::PhaseDone => {
                found.extend(window);
                match cursor.phase {
                    Phase::Written => break None,
                    Phase::Created => {
                        cursor = cursor.written_phase();
                        if found.len() >= page_size {
                            break Some(cursor);
                        }
                    }
                }
            }
        }
    };
    let entities = to_entities(session, request.resource, &found)?;
    let next_cursor = next_cursor
        .map(|c| junction_sdk::paging::encode_cursor(&c))
        .transpose()?;
    Ok(Page::of(entities, next_cursor))
}

/// One record by id.
pub fn get(session: &Session, resource: ResourceKind, id: &str) -> Result<Entity, ConnectorError> {
    let listing = listing(resource)?;
    let numeric: i64 = id.trim().parse().map_err(|_| {
        ConnectorError::not_found(format!("{} {id:?}: Tryton ids are integers", listing.name))
    })?;
    let context = read_context(session, resource)?;
    let found = session.search_read(
        listing.model,
        json!([["id", "=", numeric]]),
        Some(1),
        Value::Null,
        listing.fields,
        &context,
    )?;
    if found.is_empty() {
        return Err(ConnectorError::not_found(format!(
            "no {} record {numeric} in Tryton ({})",
            listing.name, listing.model
        )));
    }
    to_entities(session, resource, &found)?
        .pop()
        .ok_or_else(|| ConnectorError::internal("a found record did not map"))
}

/// Extra context for reading a resource: products read their stock in the warehouse.
fn read_context(
    session: &Session,
    resource: ResourceKind,
) -> Result<Map<String, Value>, ConnectorError> {
    let mut context = Map::new();
    if resource == ResourceKind::Products {
        let warehouse = warehouse(session)?;
        context.insert("locations".into(), json!([warehouse.id]));
    }
    Ok(context)
}

/// The stock warehouse this connector reads and sets quantities in: the first one.
pub struct Warehouse {
    pub id: i64,
    /// Where goods are kept (inventories count here).
    pub storage_location: i64,
}

/// The first warehouse (by id).
pub fn warehouse(session: &Session) -> Result<Warehouse, ConnectorError> {
    let found = session.search_read(
        "stock.location",
        json!([["type", "=", "warehouse"]]),
        Some(1),
        json!([["id", "ASC"]]),
        &["id", "storage_location"],
        &Map::new(),
    )?;
    let first = found.first().ok_or_else(|| {
        ConnectorError::upstream(
            409,
            "Tryton has no warehouse (stock.location of type warehouse)",
        )
    })?;
    let id = first.get("id").and_then(Value::as_i64);
    let storage = first.get("storage_location").and_then(Value::as_i64);
    match (id, storage) {
        (Some(id), Some(storage_location)) => Ok(Warehouse {
            id,
            storage_location,
        }),
        _ => Err(ConnectorError::upstream(
            409,
            "the Tryton warehouse has no storage location",
        )),
    }
}

/// Maps found records, reading what they refer to (sale lines, party addresses) in one
/// request per page.
fn to_entities(
    session: &Session,
    resource: ResourceKind,
    found: &[Record],
) -> Result<Vec<Entity>, ConnectorError> {
    let ids: Vec<i64> = found
        .iter()
        .filter_map(|r| r.get("id").and_then(Value::as_i64))
        .collect();
    match resource {
        ResourceKind::Orders => {
            let lines = children(session, "sale.line", "sale", &ids, mapping::LINE_FIELDS)?;
            found
                .iter()
                .map(|sale| {
                    let mine: Vec<&Record> = lines
                        .iter()
                        .filter(|l| l.get("sale") == sale.get("id"))
                        .collect();
                    mapping::order(sale, &mine).map_err(unreadable)
                })
                .collect()
        }
        ResourceKind::Customers => {
            let addresses = children(
                session,
                "party.address",
                "party",
                &ids,
                mapping::ADDRESS_FIELDS,
            )?;
            found
                .iter()
                .map(|party| {
                    let mine: Vec<&Record> = addresses
                        .iter()
                        .filter(|a| a.get("party") == party.get("id"))
                        .collect();
                    mapping::customer(party, &mine).map_err(unreadable)
                })
                .collect()
        }
        ResourceKind::Products => found
            .iter()
            .map(|p| mapping::product(p).map_err(unreadable))
            .collect(),
        ResourceKind::Variations => Err(ConnectorError::unsupported("variations")),
    }
}

/// The records of `model` whose `parent_field` is one of `ids`, in Tryton's order.
fn children(
    session: &Session,
    model: &str,
    parent_field: &str,
    ids: &[i64],
    fields: &[&str],
) -> Result<Vec<Record>, ConnectorError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let result = session.call(
        &format!("model.{model}.search_read"),
        json!([
            [[parent_field, "in", ids]],
            0,
            null,
            [["sequence", "ASC"], ["id", "ASC"]],
            fields
        ]),
    )?;
    records(result, model)
}
