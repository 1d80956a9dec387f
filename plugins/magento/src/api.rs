//! The calls to Magento's REST API over the SDK's HTTP client.
//!
//! - `check`: one `GET orders` search of page size 1 (proves the token and the orders ACL).
//! - `list`: searches (`GET orders`, `GET customers/search`, `GET products`) paged by the
//!   keyset cursor of [`crate::keyset`]. Products leave out `visibility` 1 ("not visible
//!   individually"), the configurables' children, which are listed as variations: the
//!   parent is found by `entity_id`, its children by `entity_id in` its
//!   `configurable_product_links`, paged the same way. Each orders page costs one more
//!   request: the page's shipments (`GET shipments`, `order_id in`), for their tracks.
//! - An ids-only `list` (the host's reconciliation scan) is the same search with
//!   `fields=items[<id>,updated_at],total_count`: ids only, no shipments request.
//! - `get`: `GET orders/{id}`, `GET customers/{id}`; products and variations by an
//!   `entity_id eq` search (Magento reads single products by SKU only).
//! - writes: see [`crate::writes`]; each answers the record read back after the write.
//!
//! Error answers go through [`crate::errors`] (Magento's message with its parameters).

use junction_sdk::http::{Client, Request, Response};
use junction_sdk::paging::{decode_cursor, encode_cursor};
use junction_sdk::time;
use junction_sdk::types::{
    CheckInfo, ConnectorError, Entity, ListRequest, Page, ResourceKind, Tracking, WriteOp,
    WriteOutcome,
};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::Config;
use crate::criteria::{Filter, Search};
use crate::keyset::{Cursor, Key};
use crate::{errors, mapping, writes};

/// A search answer: the page's records as Magento wrote them, and the match count.
#[derive(Debug, Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    items: Vec<Box<RawValue>>,
    #[serde(default)]
    total_count: u64,
}

/// A configured Magento API.
pub struct Api {
    client: Client,
    config: Config,
}

fn with_search(mut request: Request, search: &Search) -> Request {
    for (name, value) in search.query_pairs() {
        request = request.query(&name, value);
    }
    request
}

/// A Magento entity id (digits); anything else cannot exist.
fn entity_id(what: &str, id: &str) -> Result<u64, ConnectorError> {
    id.trim()
        .parse::<u64>()
        .map_err(|_| ConnectorError::not_found(format!("no Magento {what} with id {id:?}")))
}

/// A record's keyset position: `updated_at` as Magento wrote it, and its id.
fn key_of(record: &Value, id_field: &str) -> Result<Key, ConnectorError> {
    let updated = record.get("updated_at").and_then(Value::as_str);
    let id = record.get(id_field).and_then(Value::as_u64);
    match (updated, id) {
        (Some(u), Some(id)) => Ok((u.to_owned(), id)),
        _ => Err(ConnectorError::upstream(
            200,
            format!("a Magento record without updated_at or {id_field}: cannot page past it"),
        )),
    }
}

/// `updated-since` (RFC 3339) as a Magento date, floored to the second.
fn magento_date(since: &str) -> Result<String, ConnectorError> {
    let ts = time::parse_utc(since)
        .map_err(|e| ConnectorError::invalid_request(format!("invalid updated-since: {e}")))?;
    Ok(time::format_naive_utc(ts).replacen('T', " ", 1))
}

impl Api {
    /// The API for a config JSON string.
    pub fn new(config_json: &str) -> Result<Self, ConnectorError> {
        let config = Config::parse(config_json)?;
        Ok(Self {
            client: config.client()?,
            config,
        })
    }

    fn send(&self, request: Request) -> Result<Response, ConnectorError> {
        let response = request.send()?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(errors::from_response(&response))
        }
    }

    fn search(&self, path: &[&str], search: &Search) -> Result<SearchAnswer, ConnectorError> {
        self.send(with_search(self.client.get(path), search))?
            .json()
    }

    /// One authenticated read.
    pub fn check(&self) -> Result<CheckInfo, ConnectorError> {
        let probe = Search {
            page_size: Some(1),
            current_page: Some(1),
            ..Default::default()
        };
        let answer = self.search(&["orders"], &probe)?;
        let host = self.client.base_url().host_str().unwrap_or("?").to_owned();
        Ok(CheckInfo {
            message: format!(
                "Magento REST API at {host}: token accepted, {} orders",
                answer.total_count
            ),
        })
    }

    /// The product with this entity id, as JSON text.
    fn product_raw(&self, id: &str) -> Result<Option<Box<RawValue>>, ConnectorError> {
        let id = entity_id("product", id)?;
        let search = Search::default().group(vec![Filter::new("entity_id", "eq", id.to_string())]);
        Ok(self
            .search(&["products"], &search)?
            .items
            .into_iter()
            .next())
    }

    fn product_value(&self, id: &str) -> Result<Value, ConnectorError> {
        let raw = self
            .product_raw(id)?
            .ok_or_else(|| ConnectorError::not_found(format!("no Magento product with id {id}")))?;
        mapping::parse("product", raw.get())
    }

    /// The tracks of these orders' shipments, per order id.
    fn tracks_of(&self, order_ids: &[String]) -> Result<Vec<(String, Tracking)>, ConnectorError> {
        if order_ids.is_empty() {
            return Ok(Vec::new());
        }
        let search =
            Search::default().group(vec![Filter::new("order_id", "in", order_ids.join(","))]);
        let answer = self.search(&["shipments"], &search)?;
        let mut out = Vec::new();
        for raw in answer.items {
            let shipment = mapping::parse("shipment", raw.get())?;
            let order_id = mapping::id_of(&shipment, "order_id").unwrap_or_default();
            for track in mapping::tracks(std::slice::from_ref(&shipment)) {
                out.push((order_id.clone(), track));
            }
        }
        Ok(out)
    }

    fn orders_with_tracks(&self, raws: &[Box<RawValue>]) -> Result<Vec<Entity>, ConnectorError> {
        let mut ids = Vec::new();
        for raw in raws {
            let value = mapping::parse("order", raw.get())?;
            ids.extend(mapping::id_of(&value, "entity_id"));
        }
        let tracks = self.tracks_of(&ids)?;
        raws.iter()
            .zip(ids.iter())
            .map(|(raw, id)| {
                let mine = tracks
                    .iter()
                    .filter(|(o, _)| o == id)
                    .map(|(_, t)| t.clone())
                    .collect();
                mapping::order(raw.get(), mine).map(Entity::Order)
            })
            .collect()
    }

    /// One page of a resource.
    pub fn list(&self, req: &ListRequest) -> Result<Page, ConnectorError> {
        let (listing, path, id_field): (String, &[&str], &str) = match req.resource {
            ResourceKind::Orders => ("orders".into(), &["orders"], "entity_id"),
            ResourceKind::Customers => ("customers".into(), &["customers", "search"], "id"),
            ResourceKind::Products => ("products".into(), &["products"], "id"),
            ResourceKind::Variations => {
                let parent = req.parent_id.as_deref().ok_or_else(|| {
                    ConnectorError::invalid_request(
                        "variations need parent-id (the configurable product's id)",
                    )
                })?;
                (format!("variations:{}", parent.trim()), &["products"], "id")
            }
        };
        let cursor = match req.cursor.as_deref() {
            Some(text) => {
                let cursor: Cursor = decode_cursor(text)?;
                if cursor.listing != listing {
                    return Err(ConnectorError::invalid_request(format!(
                        "invalid cursor: it belongs to listing {:?}, not {listing:?}",
                        cursor.listing
                    )));
                }
                cursor
            }
            None => Cursor {
                listing,
                since: req.updated_since.as_deref().map(magento_date).transpose()?,
                key: None,
            },
        };
        let mut search = Search {
            sort_ascending: vec!["updated_at", "entity_id"],
            page_size: Some(self.config.page_size_for(req.page_size)),
            current_page: Some(1),
            ..Default::default()
        };
        for group in cursor.filter_groups() {
            search = search.group(group);
        }
        let mut labels = Vec::new();
        match req.resource {
            ResourceKind::Products => {
                search = search.group(vec![Filter::new("visibility", "neq", "1")]);
            }
            ResourceKind::Variations => {
                let parent_id = req.parent_id.as_deref().unwrap_or_default();
                let parent = self.product_value(parent_id)?;
                let children = mapping::child_ids(&parent);
                if children.is_empty() {
                    return Ok(Page::of(Vec::new(), None));
                }
                labels = mapping::option_labels(&parent);
                search = search.group(vec![Filter::new("entity_id", "in", children.join(","))]);
            }
            _ => {}
        }
        if req.ids_only {
            search.fields = Some(format!("items[{id_field},updated_at],total_count"));
        }
        let answer = self.search(path, &search)?;
        let last = match answer.items.last() {
            Some(raw) => Some(key_of(&mapping::parse("record", raw.get())?, id_field)?),
            None => None,
        };
        if req.ids_only {
            let mut ids = Vec::with_capacity(answer.items.len());
            for raw in &answer.items {
                ids.push(
                    key_of(&mapping::parse("record", raw.get())?, id_field)?
                        .1
                        .to_string(),
                );
            }
            let next = cursor
                .after(answer.items.len(), answer.total_count, last)
                .map(|c| encode_cursor(&c))
                .transpose()?;
            return Ok(Page::of_ids(ids, next));
        }
        let entities = match req.resource {
            ResourceKind::Orders => self.orders_with_tracks(&answer.items)?,
            ResourceKind::Customers => answer
                .items
                .iter()
                .map(|r| mapping::customer(r.get()).map(Entity::Customer))
                .collect::<Result<_, _>>()?,
            ResourceKind::Products => answer
                .items
                .iter()
                .map(|r| mapping::product(r.get()).map(Entity::Product))
                .collect::<Result<_, _>>()?,
            ResourceKind::Variations => {
                let parent_id = req.parent_id.as_deref().unwrap_or_default().trim();
                answer
                    .items
                    .iter()
                    .map(|r| mapping::variation(r.get(), parent_id, &labels).map(Entity::Variation))
                    .collect::<Result<_, _>>()?
            }
        };
        let next = cursor
            .after(answer.items.len(), answer.total_count, last)
            .map(|c| encode_cursor(&c))
            .transpose()?;
        Ok(Page::of(entities, next))
    }

    fn order_entity(&self, id: &str) -> Result<Entity, ConnectorError> {
        let id = entity_id("order", id)?;
        let response = self.send(self.client.get(["orders".to_owned(), id.to_string()]))?;
        let raw = response.text()?.to_owned();
        let tracks = self.tracks_of(&[id.to_string()])?;
        let tracks = tracks.into_iter().map(|(_, t)| t).collect();
        Ok(Entity::Order(mapping::order(&raw, tracks)?))
    }

    /// A configurable's child: the parent's JSON (for its option labels) and the child's
    /// JSON text; not-found unless the child is one of the parent's.
    fn variation_parts(
        &self,
        id: &str,
        parent_id: &str,
    ) -> Result<(Value, Box<RawValue>), ConnectorError> {
        let parent = self.product_value(parent_id)?;
        if !mapping::child_ids(&parent).iter().any(|c| c == id.trim()) {
            return Err(ConnectorError::not_found(format!(
                "Magento product {parent_id} has no variation {id}"
            )));
        }
        let raw = self
            .product_raw(id)?
            .ok_or_else(|| ConnectorError::not_found(format!("no Magento product with id {id}")))?;
        Ok((parent, raw))
    }

    fn variation_entity(&self, id: &str, parent_id: &str) -> Result<Entity, ConnectorError> {
        let (parent, raw) = self.variation_parts(id, parent_id)?;
        let labels = mapping::option_labels(&parent);
        Ok(Entity::Variation(mapping::variation(
            raw.get(),
            parent_id.trim(),
            &labels,
        )?))
    }

    /// One record by id.
    pub fn get(
        &self,
        resource: ResourceKind,
        id: &str,
        parent_id: Option<&str>,
    ) -> Result<Entity, ConnectorError> {
        match resource {
            ResourceKind::Orders => self.order_entity(id),
            ResourceKind::Customers => {
                let id = entity_id("customer", id)?;
                let response =
                    self.send(self.client.get(["customers".to_owned(), id.to_string()]))?;
                Ok(Entity::Customer(mapping::customer(response.text()?)?))
            }
            ResourceKind::Products => {
                let raw = self.product_raw(id)?.ok_or_else(|| {
                    ConnectorError::not_found(format!("no Magento product with id {id}"))
                })?;
                Ok(Entity::Product(mapping::product(raw.get())?))
            }
            ResourceKind::Variations => {
                let parent = parent_id.ok_or_else(|| {
                    ConnectorError::invalid_request(
                        "variations need parent-id (the configurable product's id)",
                    )
                })?;
                self.variation_entity(id, parent)
            }
        }
    }

    /// Sets the stock of a product (its JSON) through its SKU and stock item.
    fn set_stock(&self, product: &Value, quantity: i64) -> Result<(), ConnectorError> {
        let sku = product
            .get("sku")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let item_id = product
            .pointer("/extension_attributes/stock_item/item_id")
            .and_then(Value::as_u64)
            .ok_or_else(|| {
                ConnectorError::invalid_request(format!(
                    "Magento product {sku} has no stock item (a configurable's stock is its children's)"
                ))
            })?;
        let request = self
            .client
            .put(["products", sku, "stockItems", &item_id.to_string()])
            .json(&writes::stock_item(quantity))?;
        self.send(request)?;
        Ok(())
    }

    /// Sets the base price of a product (its JSON); `price` is already checked.
    fn set_price(&self, product: &Value, price: &writes::Price) -> Result<(), ConnectorError> {
        let sku = product
            .get("sku")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let body = writes::base_price(sku, price);
        let rows: Vec<Value> = self
            .send(self.client.post(["products", "base-prices"]).json(&body)?)?
            .json()?;
        match errors::price_update_errors(&rows) {
            Some(message) => Err(ConnectorError::upstream(
                400,
                format!("Magento refused the price: {message}"),
            )),
            None => Ok(()),
        }
    }

    /// A variation write: checks the child belongs to the parent, performs `write` on the
    /// child's JSON, and reads the child back.
    fn write_variation(
        &self,
        id: &str,
        parent_id: &str,
        write: impl FnOnce(&Value) -> Result<(), ConnectorError>,
    ) -> Result<(String, Entity), ConnectorError> {
        let (parent, raw) = self.variation_parts(id, parent_id)?;
        write(&mapping::parse("variation", raw.get())?)?;
        let after = self
            .product_raw(id)?
            .ok_or_else(|| ConnectorError::not_found(format!("no Magento product with id {id}")))?;
        let labels = mapping::option_labels(&parent);
        let variation = mapping::variation(after.get(), parent_id.trim(), &labels)?;
        Ok((id.trim().to_owned(), Entity::Variation(variation)))
    }

    /// Performs one write and reads the record back.
    pub fn write(&self, op: &WriteOp) -> Result<WriteOutcome, ConnectorError> {
        let (id, entity) = match op {
            WriteOp::OrderStatus(change) => {
                let body = writes::status_comment(&change.order_id, &change.status)?;
                let id = entity_id("order", &change.order_id)?.to_string();
                self.send(self.client.post(["orders", &id, "comments"]).json(&body)?)?;
                (id.clone(), self.order_entity(&id)?)
            }
            WriteOp::OrderTracking(change) => {
                let id = entity_id("order", &change.order_id)?.to_string();
                let order: Value = self.send(self.client.get(["orders", &id]))?.json()?;
                let body = writes::shipment(&order, &change.tracking)?;
                self.send(self.client.post(["order", &id, "ship"]).json(&body)?)?;
                (id.clone(), self.order_entity(&id)?)
            }
            WriteOp::ProductStock(change) => {
                self.set_stock(&self.product_value(&change.product_id)?, change.quantity)?;
                let entity = self.get(ResourceKind::Products, &change.product_id, None)?;
                (change.product_id.clone(), entity)
            }
            WriteOp::VariationStock(change) => {
                self.write_variation(&change.variation_id, &change.product_id, |child| {
                    self.set_stock(child, change.quantity)
                })?
            }
            WriteOp::ProductPrice(change) => {
                let price = writes::Price::checked(
                    &change.price,
                    change.sale_price.as_deref(),
                    "product-price",
                )?;
                self.set_price(&self.product_value(&change.product_id)?, &price)?;
                let entity = self.get(ResourceKind::Products, &change.product_id, None)?;
                (change.product_id.clone(), entity)
            }
            WriteOp::VariationPrice(change) => {
                let price = writes::Price::checked(
                    &change.price,
                    change.sale_price.as_deref(),
                    "variation-price",
                )?;
                self.write_variation(&change.variation_id, &change.product_id, |child| {
                    self.set_price(child, &price)
                })?
            }
            _ => {
                return Err(ConnectorError::unsupported(
                    "Magento takes order-status, order-tracking, stock and price writes",
                ));
            }
        };
        Ok(WriteOutcome {
            external_id: id,
            entity: Some(entity),
        })
    }
}
