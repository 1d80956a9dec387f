//! Reading from the Admin API: `check`, `list` (keyset paging, see [`crate::keyset`]) and
//! `get`. Writes are in [`crate::writes`].

use junction_sdk::paging::{decode_cursor, encode_cursor};
use junction_sdk::types::{CheckInfo, ConnectorError, Entity, ListRequest, Page, ResourceKind};
use serde_json::{Value, json};

use crate::config::Config;
use crate::gql::Admin;
use crate::keyset::{self, MAX_WINDOW, Position, Step};
use crate::mapping::{self, CUSTOMER_FIELDS, ORDER_FIELDS, PRODUCT_FIELDS, VARIANT_FIELDS};

/// A connected Admin API with the config's money precision.
pub struct Api {
    pub admin: Admin,
    pub decimals: u32,
}

/// The parts of a resource's GraphQL: list field, single field, list options type, fields.
struct Shape {
    list: &'static str,
    one: &'static str,
    options: &'static str,
    fields: &'static str,
    what: &'static str,
}

fn shape(resource: ResourceKind) -> Shape {
    match resource {
        ResourceKind::Orders => Shape {
            list: "orders",
            one: "order",
            options: "OrderListOptions",
            fields: ORDER_FIELDS,
            what: "order",
        },
        ResourceKind::Customers => Shape {
            list: "customers",
            one: "customer",
            options: "CustomerListOptions",
            fields: CUSTOMER_FIELDS,
            what: "customer",
        },
        ResourceKind::Products => Shape {
            list: "products",
            one: "product",
            options: "ProductListOptions",
            fields: PRODUCT_FIELDS,
            what: "product",
        },
        ResourceKind::Variations => Shape {
            list: "productVariants",
            one: "productVariant",
            options: "ProductVariantListOptions",
            fields: VARIANT_FIELDS,
            what: "variant",
        },
    }
}

/// A Vendure id as the request gave it: non-empty, no spaces (anything else cannot exist).
pub fn check_id(what: &str, id: &str) -> Result<String, ConnectorError> {
    let id = id.trim();
    if id.is_empty() || id.len() > 64 || id.contains(char::is_whitespace) {
        return Err(ConnectorError::not_found(format!(
            "no {what} with id {id:?}"
        )));
    }
    Ok(id.to_owned())
}

/// The product id variations need.
pub fn parent_of(parent_id: Option<&str>) -> Result<String, ConnectorError> {
    let parent = parent_id.ok_or_else(|| {
        ConnectorError::invalid_request(
            "variations are listed per product: parent-id (the product's id) is required",
        )
    })?;
    check_id("product", parent)
}

/// ISO 8601 with milliseconds, as Vendure's DateTime scalar takes it.
fn iso_ms(ms: i64) -> Result<String, ConnectorError> {
    let t = jiff::Timestamp::from_millisecond(ms)
        .map_err(|e| ConnectorError::invalid_request(format!("timestamp out of range: {e}")))?;
    Ok(t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

impl Api {
    /// Parses the config and connects (logs in when configured so).
    pub fn new(config: &str) -> Result<Self, ConnectorError> {
        let config = Config::parse(config)?;
        Ok(Self {
            admin: Admin::connect(&config)?,
            decimals: config.money_decimals(),
        })
    }

    /// Reads who we are and the server's default channel.
    pub fn check(&self) -> Result<CheckInfo, ConnectorError> {
        let data = self.admin.query(
            "{ activeAdministrator { emailAddress } activeChannel { code defaultCurrencyCode } }",
            json!({}),
        )?;
        let channel = &data["activeChannel"];
        Ok(CheckInfo {
            message: format!(
                "Vendure Admin API, channel {} ({}), as {}",
                channel["code"].as_str().unwrap_or("?"),
                channel["defaultCurrencyCode"].as_str().unwrap_or("?"),
                data["activeAdministrator"]["emailAddress"]
                    .as_str()
                    .unwrap_or("an API key")
            ),
        })
    }

    /// One page of a resource.
    pub fn list(&self, request: &ListRequest) -> Result<Page, ConnectorError> {
        let resource = request.resource;
        let parent = match resource {
            ResourceKind::Variations => Some(parent_of(request.parent_id.as_deref())?),
            _ => None,
        };
        let listing = match &parent {
            Some(p) => format!("variations:{p}"),
            None => shape(resource).list.to_owned(),
        };
        let at = match &request.cursor {
            Some(c) => {
                let at: Position = decode_cursor(c)?;
                if at.listing != listing || at.version != keyset::CURSOR_VERSION {
                    return Err(ConnectorError::invalid_request(format!(
                        "the cursor belongs to another listing ({}), not {listing}",
                        at.listing
                    )));
                }
                at
            }
            None => {
                let since = match &request.updated_since {
                    Some(s) => Some(
                        junction_sdk::time::parse_utc(s)
                            .map_err(|e| {
                                ConnectorError::invalid_request(format!("updated-since: {e}"))
                            })?
                            .as_millisecond(),
                    ),
                    None => None,
                };
                Position::start(listing, since)
            }
        };
        let want = (request.page_size as usize).clamp(1, keyset::MAX_PAGE);
        let mut take = keyset::window_for(request.page_size);
        loop {
            let items = self.window(resource, parent.as_deref(), &at, take)?;
            let keys = items
                .iter()
                .map(|v| {
                    Ok((
                        mapping::updated_ms(v)?,
                        v["id"].as_str().unwrap_or("").to_owned(),
                    ))
                })
                .collect::<Result<Vec<_>, ConnectorError>>()?;
            match keyset::step(&at, &keys, take, want) {
                Step::Widen if take < MAX_WINDOW => take = (take * 4).min(MAX_WINDOW),
                Step::Widen => {
                    return Err(ConnectorError::internal(format!(
                        "{MAX_WINDOW} records in a row were already returned; cannot page on"
                    )));
                }
                Step::Page { keep, next } => {
                    let entities = keep
                        .into_iter()
                        .map(|i| mapping::entity(resource, &items[i], self.decimals))
                        .collect::<Result<Vec<_>, _>>()?;
                    let next_cursor = next.map(|n| encode_cursor(&n)).transpose()?;
                    return Ok(Page::of(entities, next_cursor));
                }
            }
        }
    }

    /// One window of a listing: `updatedAt after boundary - 1 ms`, `id notIn seen`.
    fn window(
        &self,
        resource: ResourceKind,
        parent: Option<&str>,
        at: &Position,
        take: usize,
    ) -> Result<Vec<Value>, ConnectorError> {
        let s = shape(resource);
        let mut filter = serde_json::Map::new();
        if let Some(after) = at.after_ms() {
            filter.insert("updatedAt".into(), json!({"after": iso_ms(after)?}));
        }
        if !at.seen.is_empty() {
            filter.insert("id".into(), json!({"notIn": at.seen.ids()}));
        }
        match resource {
            // Open carts are orders in Vendure's tables, not placed orders.
            ResourceKind::Orders => {
                filter.insert("active".into(), json!({"eq": false}));
            }
            ResourceKind::Variations => {
                filter.insert("productId".into(), json!({"eq": parent}));
            }
            _ => {}
        }
        let query = format!(
            "query List($o: {}) {{ {}(options: $o) {{ items {{ {} }} }} }}",
            s.options, s.list, s.fields
        );
        let options = json!({"take": take, "sort": {"updatedAt": "ASC"}, "filter": filter});
        let mut data = self.admin.query(&query, json!({"o": options}))?;
        match data[s.list]["items"].take() {
            Value::Array(items) => Ok(items),
            _ => Err(ConnectorError::upstream(
                200,
                format!("invalid JSON from upstream: {} without items", s.list),
            )),
        }
    }

    /// One record by id; variations must belong to `parent_id` when it is given.
    pub fn get(
        &self,
        resource: ResourceKind,
        id: &str,
        parent_id: Option<&str>,
    ) -> Result<Entity, ConnectorError> {
        let value = self.fetch(resource, id)?;
        if resource == ResourceKind::Variations
            && let Some(parent) = parent_id
            && value["productId"].as_str() != Some(parent.trim())
        {
            return Err(ConnectorError::not_found(format!(
                "variant {id} does not belong to product {parent}"
            )));
        }
        mapping::entity(resource, &value, self.decimals)
    }

    /// The raw JSON of one record; `not-found` when Vendure has none with this id.
    pub fn fetch(&self, resource: ResourceKind, id: &str) -> Result<Value, ConnectorError> {
        let s = shape(resource);
        let id = check_id(s.what, id)?;
        let query = format!(
            "query One($id: ID!) {{ {}(id: $id) {{ {} }} }}",
            s.one, s.fields
        );
        let mut data = self.admin.query(&query, json!({"id": id}))?;
        match data[s.one].take() {
            Value::Null => Err(ConnectorError::not_found(format!(
                "no {} with id {id}",
                s.what
            ))),
            v => Ok(v),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_times() {
        assert_eq!(check_id("order", " 12 ").unwrap(), "12");
        assert!(matches!(
            check_id("order", "1 2"),
            Err(ConnectorError::NotFound(_))
        ));
        assert!(matches!(
            parent_of(None),
            Err(ConnectorError::InvalidRequest(_))
        ));
        assert_eq!(iso_ms(1_000).unwrap(), "1970-01-01T00:00:01.000Z");
        assert_eq!(
            iso_ms(1_767_225_599_999).unwrap(),
            "2025-12-31T23:59:59.999Z"
        );
    }
}
