//! The calls to Lightspeed eCom over the SDK's HTTP client (everything under
//! `{base_url}/{language}/`):
//!
//! - `check`: `GET orders/count.json`.
//! - `list`: `GET {orders|customers|products}.json`, `GET variants.json?product={parent}`,
//!   paged by [`crate::keyset`] (`since_id` within a window of `updatedAt`). Orders come
//!   without their lines and shipments (one more request per order would spend the request
//!   limits fast); `get` fetches them.
//! - `get`: `GET {res}/{id}.json`; for orders also `orders/{id}/products.json` and
//!   `shipments.json?order={id}`.
//! - `write`: see [`crate::writes`]; tracking first looks up the order's shipments, a
//!   product-level stock or price write the product's variants.
//!
//! Every answer's `X-RateLimit-*` windows are kept ([`crate::limits`]): once one is spent,
//! the next request of the same call is not sent but answered `rate-limited` with the wait
//! until that window resets, and a 429 waits the same way.

use std::cell::RefCell;

use junction_sdk::http::{Client, Request, Response};
use junction_sdk::paging::{decode_cursor, encode_cursor};
use junction_sdk::time;
use junction_sdk::types::{
    CheckInfo, ConnectorError, Entity, ListRequest, Page, ResourceKind, WriteOp, WriteOutcome,
};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::Config;
use crate::keyset::{Cursor, Key};
use crate::limits::{self, RateState};
use crate::{mapping, writes};

/// A configured Lightspeed API.
pub struct Api {
    client: Client,
    config: Config,
    /// The request limits as the last answer reported them.
    rate: RefCell<Option<RateState>>,
}

/// The path and list wrapper of a resource, e.g. `orders`; variations are `variants`.
fn listing(resource: ResourceKind) -> &'static str {
    match resource {
        ResourceKind::Orders => "orders",
        ResourceKind::Customers => "customers",
        ResourceKind::Products => "products",
        ResourceKind::Variations => "variants",
    }
}

fn numeric_id(what: &str, id: &str) -> Result<u64, ConnectorError> {
    id.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ConnectorError::invalid_request(format!(
                "{what} {id:?} is not a Lightspeed id (a positive number)"
            ))
        })
}

fn unexpected(message: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::upstream(200, format!("unexpected answer from Lightspeed: {message}"))
}

/// The records under `key` in an answer such as `{"orders": [...]}`.
fn records(resp: &Response, key: &str) -> Result<Vec<Box<RawValue>>, ConnectorError> {
    let mut answer: serde_json::Map<String, Value> = resp.json()?;
    let list = answer
        .remove(key)
        .ok_or_else(|| unexpected(format!("no {key:?} list")))?;
    let items = match list {
        Value::Array(items) => items,
        // An empty list given as `false` or `null` is tolerated as empty.
        Value::Bool(false) | Value::Null => Vec::new(),
        other => return Err(unexpected(format!("{key:?} is {other}"))),
    };
    items
        .into_iter()
        .map(|v| RawValue::from_string(v.to_string()).map_err(unexpected))
        .collect()
}

/// The single record under `key` in an answer such as `{"order": {...}}`, as JSON text.
fn record(resp: &Response, key: &str) -> Result<String, ConnectorError> {
    let answer: serde_json::Map<String, Value> = resp.json()?;
    answer
        .get(key)
        .filter(|v| v.is_object())
        .map(Value::to_string)
        .ok_or_else(|| unexpected(format!("no {key:?} object")))
}

/// The shop's clock from the `Date` header, else the host's.
fn shop_now(resp: &Response) -> i64 {
    resp.headers()
        .get("date")
        .and_then(|d| jiff::fmt::rfc2822::parse(d.trim()).ok())
        .map_or_else(|| time::now().as_second(), |z| z.timestamp().as_second())
}

impl Api {
    /// The API for a config JSON string.
    pub fn new(config_json: &str) -> Result<Self, ConnectorError> {
        let config = Config::parse(config_json)?;
        Ok(Self {
            client: config.client()?,
            config,
            rate: RefCell::new(None),
        })
    }

    /// Sends a request unless a limit window is known to be spent; keeps the answer's
    /// windows; maps errors.
    fn send(&self, request: Request) -> Result<Response, ConnectorError> {
        if let Some(e) = self.rate.borrow().as_ref().and_then(RateState::error) {
            return Err(e);
        }
        let resp = request.send()?;
        let state = RateState::from_headers(resp.headers(), time::now().as_second());
        if let Some(e) = limits::refused(resp.status(), state.as_ref()) {
            return Err(e);
        }
        if let Some(state) = state {
            // The host paces every later request of the connection by these windows.
            let windows: Vec<(u64, u64, u64)> = state
                .windows
                .iter()
                .map(|w| (w.limit, w.remaining, resets_in_ms(w.reset_secs)))
                .collect();
            junction_sdk::budget::report_windows(&windows);
            junction_sdk::log::debug(
                "lightspeed request limits",
                &[("windows", &state.describe())],
            );
            *self.rate.borrow_mut() = Some(state);
        }
        resp.error_for_status()
    }

    /// One authenticated read.
    pub fn check(&self) -> Result<CheckInfo, ConnectorError> {
        let resp = self.send(self.client.get(["orders", "count.json"]))?;
        let count = resp
            .json::<Value>()?
            .get("count")
            .and_then(Value::as_u64)
            .ok_or_else(|| unexpected("no order count"))?;
        let host = self.client.base_url().host_str().unwrap_or("?").to_owned();
        let windows = self
            .rate
            .borrow()
            .as_ref()
            .map_or_else(|| "not reported".into(), RateState::describe);
        Ok(CheckInfo {
            message: format!(
                "Lightspeed eCom at {host} (language {}): key accepted, {count} orders; requests left per window: {windows}",
                self.config.language.trim()
            ),
        })
    }

    /// One page of a resource.
    pub fn list(&self, req: &ListRequest) -> Result<Page, ConnectorError> {
        let path = listing(req.resource);
        let parent = match (req.resource, req.parent_id.as_deref()) {
            (ResourceKind::Variations, Some(p)) => Some(numeric_id("parent-id", p)?),
            (ResourceKind::Variations, None) => {
                return Err(ConnectorError::invalid_request(
                    "listing variations needs parent-id (the product's id)",
                ));
            }
            _ => None,
        };
        let cursor = match req.cursor.as_deref() {
            Some(c) => {
                let cursor: Cursor = decode_cursor(c)?;
                if cursor.listing != path || cursor.parent != parent {
                    return Err(ConnectorError::invalid_request(
                        "invalid cursor: it belongs to another listing",
                    ));
                }
                cursor
            }
            None => {
                let min = req
                    .updated_since
                    .as_deref()
                    .map(|s| {
                        time::parse_utc(s).map(|t| t.as_second()).map_err(|e| {
                            ConnectorError::invalid_request(format!("invalid updated-since: {e}"))
                        })
                    })
                    .transpose()?;
                Cursor::first(path, parent, min, self.config.page_size(req.page_size))
            }
        };
        let mut request = self.client.get([format!("{path}.json")]);
        for (name, value) in cursor.query() {
            request = request.query(name, value);
        }
        if let Some(p) = parent {
            request = request.query("product", p);
        }
        let resp = self.send(request)?;
        let now = shop_now(&resp);
        let raws = records(&resp, path)?;
        let mut parsed = Vec::with_capacity(raws.len());
        let mut keys: Vec<Key> = Vec::with_capacity(raws.len());
        for raw in &raws {
            let value: Value = serde_json::from_str(raw.get()).map_err(unexpected)?;
            let id = mapping::id_of(&value)
                .ok_or_else(|| unexpected(format!("a {path} record without id")))?;
            keys.push((id, mapping::updated_secs(path, &value)?));
            parsed.push(raw.get());
        }
        let step = cursor.advance(&keys, now).map_err(unexpected)?;
        let mut entities = Vec::new();
        for (raw, keep) in parsed.into_iter().zip(step.keep) {
            if keep {
                entities.push(self.entity(req.resource, raw, &[], &[])?);
            }
        }
        let next = step.next.as_ref().map(encode_cursor).transpose()?;
        Ok(Page::of(entities, next))
    }

    fn entity(
        &self,
        resource: ResourceKind,
        raw: &str,
        lines: &[Value],
        shipments: &[Value],
    ) -> Result<Entity, ConnectorError> {
        Ok(match resource {
            ResourceKind::Orders => Entity::Order(mapping::order(raw, lines, shipments)?),
            ResourceKind::Customers => Entity::Customer(mapping::customer(raw)?),
            ResourceKind::Products => Entity::Product(mapping::product(raw)?),
            _ => Entity::Variation(mapping::variation(raw)?),
        })
    }

    fn values(&self, request: Request, key: &str) -> Result<Vec<Value>, ConnectorError> {
        let resp = self.send(request)?;
        records(&resp, key)?
            .iter()
            .map(|r| serde_json::from_str(r.get()).map_err(unexpected))
            .collect()
    }

    fn shipments_of(&self, order: u64) -> Result<Vec<Value>, ConnectorError> {
        self.values(
            self.client
                .get(["shipments.json"])
                .query("order", order)
                .query("limit", crate::config::MAX_PAGE_SIZE),
            "shipments",
        )
    }

    /// One record by id (a variation also by its product, when given).
    pub fn get(
        &self,
        resource: ResourceKind,
        id: &str,
        parent_id: Option<&str>,
    ) -> Result<Entity, ConnectorError> {
        let path = listing(resource);
        let id = numeric_id("id", id)?;
        let singular = path.trim_end_matches('s');
        let resp = self.send(self.client.get([path.to_owned(), format!("{id}.json")]))?;
        let raw = record(&resp, singular)?;
        if resource == ResourceKind::Orders {
            let lines = self.values(
                self.client.get([
                    "orders".to_owned(),
                    id.to_string(),
                    "products.json".to_owned(),
                ]),
                "orderProducts",
            )?;
            let shipments = self.shipments_of(id)?;
            return self.entity(resource, &raw, &lines, &shipments);
        }
        let entity = self.entity(resource, &raw, &[], &[])?;
        if let (Entity::Variation(v), Some(parent)) = (&entity, parent_id)
            && v.product_id != parent.trim()
        {
            return Err(ConnectorError::not_found(format!(
                "variant {id} belongs to product {}, not {parent}",
                v.product_id
            )));
        }
        Ok(entity)
    }

    fn put(&self, path: &str, id: u64, body: &Value) -> Result<String, ConnectorError> {
        let resp = self.send(
            self.client
                .put([path.to_owned(), format!("{id}.json")])
                .json(body)?,
        )?;
        record(&resp, path.trim_end_matches('s'))
    }

    fn variant_write(&self, variant: u64, body: &Value) -> Result<WriteOutcome, ConnectorError> {
        let raw = self.put("variants", variant, body)?;
        let variation = mapping::variation(&raw)?;
        Ok(WriteOutcome {
            external_id: variation.external_id.clone(),
            entity: Some(Entity::Variation(variation)),
        })
    }

    fn product_variant(&self, product_id: &str) -> Result<u64, ConnectorError> {
        let product = numeric_id("product-id", product_id)?;
        let variants = self.values(
            self.client
                .get(["variants.json"])
                .query("product", product)
                .query("limit", 2),
            "variants",
        )?;
        writes::only_variant(product_id, &variants)
    }

    /// Performs one write.
    pub fn write(&self, op: &WriteOp) -> Result<WriteOutcome, ConnectorError> {
        match op {
            WriteOp::OrderStatus(change) => {
                let id = numeric_id("order-status.order-id", &change.order_id)?;
                let body = writes::order_status(&change.status)?;
                let order = mapping::order(&self.put("orders", id, &body)?, &[], &[])?;
                Ok(WriteOutcome {
                    external_id: order.external_id.clone(),
                    entity: Some(Entity::Order(order)),
                })
            }
            WriteOp::OrderTracking(change) => {
                let id = numeric_id("order-tracking.order-id", &change.order_id)?;
                let body = writes::tracking(&change.tracking)?;
                let shipment = writes::pick_shipment(&self.shipments_of(id)?).ok_or_else(|| {
                    ConnectorError::not_found(format!("order {id} has no shipment to track"))
                })?;
                self.put("shipments", shipment, &body)?;
                Ok(WriteOutcome {
                    external_id: id.to_string(),
                    entity: None,
                })
            }
            WriteOp::VariationStock(change) => {
                let id = numeric_id("variation-stock.variation-id", &change.variation_id)?;
                self.variant_write(id, &writes::stock(change.quantity))
            }
            WriteOp::VariationPrice(change) => {
                let id = numeric_id("variation-price.variation-id", &change.variation_id)?;
                let body = writes::price(
                    "variation-price",
                    &change.price,
                    change.sale_price.as_deref(),
                )?;
                self.variant_write(id, &body)
            }
            WriteOp::ProductStock(change) => {
                let body = writes::stock(change.quantity);
                let variant = self.product_variant(&change.product_id)?;
                self.variant_write(variant, &body)?;
                Ok(WriteOutcome {
                    external_id: change.product_id.trim().to_owned(),
                    entity: None,
                })
            }
            WriteOp::ProductPrice(change) => {
                let body =
                    writes::price("product-price", &change.price, change.sale_price.as_deref())?;
                let variant = self.product_variant(&change.product_id)?;
                self.variant_write(variant, &body)?;
                Ok(WriteOutcome {
                    external_id: change.product_id.trim().to_owned(),
                    entity: None,
                })
            }
            _ => Err(ConnectorError::unsupported(
                "Lightspeed takes order status, order tracking, stock and price writes",
            )),
        }
    }
}

/// A window's reset in milliseconds for the host: Lightspeed counts whole seconds, rounded
/// down, so one second more never sends a request into the old window.
fn resets_in_ms(reset_secs: u64) -> u64 {
    reset_secs.saturating_add(1).saturating_mul(1000)
}
