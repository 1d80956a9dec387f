//! The calls to WooCommerce: `check`, `list`, `get`, `write` and `write_batch` over the
//! SDK's HTTP client.
//!
//! All HTTP errors go through the SDK's mapping (401/403 → unauthorized, 404 → not-found,
//! 429 → rate-limited, 5xx → upstream, malformed JSON → upstream "invalid JSON", dropped
//! connections → transport). The paging logic is in [`crate::keyset`], the JSON mapping in
//! [`crate::mapping`], the write bodies in [`crate::writes`], the batch plan in
//! [`crate::batch`]; this module only strings them together with requests.

use junction_sdk::batch::{Outcomes, Requests, WriteResult};
use junction_sdk::http::{Client, Response};
use junction_sdk::paging::{decode_cursor, encode_cursor};
use junction_sdk::time;
use junction_sdk::types::{
    CheckInfo, ConnectorError, Entity, ListRequest, Page, ResourceKind, WriteOp, WriteOutcome,
};
use serde_json::value::RawValue;

use crate::config::{Config, host_label};
use crate::keyset::{self, Cursor, Key, Order, Step, Window};
use crate::mapping::{self, entity_id_and_modified};
use crate::model::{WcOrder, WcSystemStatus};
use crate::{batch, deletions, writes};

/// Requests one `list` call may make before it returns what it has (possibly an empty page
/// with a cursor): retries after concurrent changes and skipping already-returned records.
const MAX_REQUESTS_PER_LIST: usize = 8;

/// A configured WooCommerce API.
pub struct Api {
    client: Client,
}

fn resource_name(r: ResourceKind) -> &'static str {
    match r {
        ResourceKind::Orders => "order",
        ResourceKind::Customers => "customer",
        ResourceKind::Products => "product",
        ResourceKind::Variations => "variation",
    }
}

/// A WooCommerce id: digits only. Anything else cannot exist, so it is `not-found`.
pub fn check_id(what: &str, id: &str) -> Result<u64, ConnectorError> {
    let trimmed = id.trim();
    match trimmed.parse::<u64>() {
        Ok(n) if n > 0 && trimmed.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(ConnectorError::not_found(format!(
            "no {what} with id {id:?} (WooCommerce ids are positive numbers)"
        ))),
    }
}

/// The parent product id variations need.
pub fn parent_of(parent_id: Option<&str>) -> Result<u64, ConnectorError> {
    let parent = parent_id.ok_or_else(|| {
        ConnectorError::invalid_request(
            "variations are listed and fetched per product: parent-id (the product's id) is required",
        )
    })?;
    check_id("product", parent)
}

/// The path segments of a resource's collection.
fn collection(resource: ResourceKind, parent: Option<u64>) -> Vec<String> {
    match (resource, parent) {
        (ResourceKind::Variations, Some(p)) => {
            vec!["products".into(), p.to_string(), "variations".into()]
        }
        (ResourceKind::Orders, _) => vec!["orders".into()],
        (ResourceKind::Customers, _) => vec!["customers".into()],
        (ResourceKind::Products, _) | (ResourceKind::Variations, None) => {
            vec!["products".into()]
        }
    }
}

/// The name of a listing, kept in its cursors.
fn listing_name(resource: ResourceKind, parent: Option<u64>) -> String {
    match parent {
        Some(p) if resource == ResourceKind::Variations => format!("variations:{p}"),
        _ => match resource {
            ResourceKind::Orders => "orders",
            ResourceKind::Customers => "customers",
            ResourceKind::Products => "products",
            ResourceKind::Variations => "variations",
        }
        .to_owned(),
    }
}

/// The keyset key of a mapped record.
pub fn key_of(order: Order, entity: &Entity) -> Result<Key, ConnectorError> {
    let (id, modified) = entity_id_and_modified(entity);
    let numeric = id
        .parse::<u64>()
        .map_err(|_| ConnectorError::upstream(200, format!("record id {id:?} is not a number")))?;
    Ok(match order {
        Order::Id => (0, numeric),
        Order::Modified => {
            let secs = time::epoch_seconds(modified)
                .map_err(|e| ConnectorError::upstream(200, e.to_string()))?;
            (secs, numeric)
        }
    })
}

/// Parses a JSON array of records, keeping each record's own JSON text.
fn records(resp: &Response) -> Result<Vec<Box<RawValue>>, ConnectorError> {
    resp.json::<Vec<Box<RawValue>>>()
}

fn parse_total(resp: &Response) -> Option<u64> {
    resp.header("x-wp-total").and_then(|v| v.parse().ok())
}

impl Api {
    /// The API for a config JSON string.
    pub fn new(config_json: &str) -> Result<Self, ConnectorError> {
        let config = Config::parse(config_json)?;
        Ok(Self {
            client: config.client()?,
        })
    }

    /// `GET system_status` (or, where that endpoint is missing, the API index plus one
    /// authenticated read) → `WooCommerce 9.4.0 at shop.example.com`.
    pub fn check(&self) -> Result<CheckInfo, ConnectorError> {
        let host = host_label(self.client.base_url());
        let resp = self.client.get(["system_status"]).send()?;
        if resp.status() == 404 {
            // No system_status (blocked by a security plugin, say): reach the index, then
            // prove the credentials with one small authenticated read.
            self.client.get(Vec::<String>::new()).send_ok()?;
            self.client
                .get(["products"])
                .query("per_page", 1)
                .query("_fields", "id")
                .send_ok()?;
            return Ok(CheckInfo {
                message: format!("WooCommerce (version unknown) at {host}"),
            });
        }
        let status: WcSystemStatus = resp.error_for_status()?.json()?;
        let version = status
            .environment
            .and_then(|e| e.version)
            .filter(|v| !v.trim().is_empty());
        Ok(CheckInfo {
            message: match version {
                Some(v) => format!("WooCommerce {v} at {host}"),
                None => format!("WooCommerce (version unknown) at {host}"),
            },
        })
    }

    /// One page of a resource (see [`crate::keyset`] for the paging).
    pub fn list(&self, req: &ListRequest) -> Result<Page, ConnectorError> {
        let resource = req.resource;
        let parent = match resource {
            ResourceKind::Variations => Some(parent_of(req.parent_id.as_deref())?),
            _ => None,
        };
        let order = match resource {
            ResourceKind::Customers => Order::Id,
            _ => Order::Modified,
        };
        let listing = listing_name(resource, parent);
        if req.ids_only {
            return deletions::ids_page(&self.client, &collection(resource, parent), &listing, req);
        }
        let since = match req.updated_since.as_deref() {
            Some(s) => Some(time::parse_utc(s).map_err(|e| {
                ConnectorError::invalid_request(format!("invalid updated-since: {e}"))
            })?),
            None => None,
        };
        // The first page of an incremental listing reports what went to the trash since.
        let trashed = match since {
            Some(since) if req.cursor.is_none() && deletions::has_trash(resource) => {
                deletions::trashed_since(&self.client, &collection(resource, parent), since)?
            }
            _ => Vec::new(),
        };
        let mut at = match req.cursor.as_deref() {
            Some(c) => {
                let cursor: Cursor = decode_cursor(c)?;
                if cursor.version != keyset::CURSOR_VERSION || cursor.listing != listing {
                    return Err(ConnectorError::invalid_request(format!(
                        "invalid cursor: it belongs to listing {:?} (v{}), not {listing:?}",
                        cursor.listing, cursor.version
                    )));
                }
                cursor
            }
            None => match order {
                Order::Modified => Cursor::start(listing, since.map(|t| t.as_second()), None),
                Order::Id => Cursor::start(listing, None, since.map(time::format_utc)),
            },
        };
        let client_since = match &at.since {
            Some(s) => Some(
                time::parse_utc(s)
                    .map_err(|e| ConnectorError::invalid_request(format!("invalid cursor: {e}")))?,
            ),
            None => None,
        };
        let per_page = keyset::per_page_for(req.page_size);
        let want = usize::try_from(req.page_size.max(1))
            .unwrap_or(usize::MAX)
            .min(per_page as usize);
        let segments = collection(resource, parent);
        let parent_text = parent.map(|p| p.to_string());

        let mut attempt = 0;
        for _ in 0..MAX_REQUESTS_PER_LIST {
            let mut request = self
                .client
                .get(&segments)
                .query("per_page", per_page)
                .query("offset", at.offset)
                .query("order", "asc");
            request = match order {
                Order::Modified => {
                    let r = request
                        .query("orderby", "modified")
                        .query("dates_are_gmt", "true");
                    match at
                        .base
                        .and_then(|b| jiff::Timestamp::from_second(b - 1).ok())
                    {
                        Some(after) => r.query("modified_after", time::format_naive_utc(after)),
                        None => r,
                    }
                }
                Order::Id => request.query("orderby", "id"),
            };
            let resp = request.send_ok()?;
            let total = parse_total(&resp);
            let raws = records(&resp)?;
            let mut entities = Vec::with_capacity(raws.len());
            let mut keys = Vec::with_capacity(raws.len());
            for raw in &raws {
                let entity = mapping::map_entity(resource, raw.get(), parent_text.as_deref())?;
                keys.push(key_of(order, &entity)?);
                entities.push(Some(entity));
            }
            let window = Window {
                keys: &keys,
                per_page,
                total,
            };
            match keyset::step(order, &at, &window, want, attempt) {
                Step::Retry { offset } => {
                    junction_sdk::log::debug(
                        "window moved under a concurrent change; re-reading",
                        &[("listing", &at.listing), ("offset", &offset.to_string())],
                    );
                    attempt += 1;
                    at.offset = offset;
                }
                Step::Continue(next) => {
                    attempt = 0;
                    at = next;
                }
                Step::Page { keep, next } => {
                    let mut out = Vec::with_capacity(keep.len());
                    for i in keep {
                        let Some(entity) = entities.get_mut(i).and_then(Option::take) else {
                            continue;
                        };
                        if let Some(since) = client_since {
                            let (_, modified) = entity_id_and_modified(&entity);
                            if time::parse_utc(modified).is_ok_and(|m| m < since) {
                                continue;
                            }
                        }
                        out.push(entity);
                    }
                    let next_cursor = match next {
                        Some(c) if out.is_empty() => {
                            // All filtered out client-side: read on within this call.
                            at = c;
                            attempt = 0;
                            continue;
                        }
                        Some(c) => Some(encode_cursor(&c)?),
                        None => None,
                    };
                    return Ok(Page::of(out, next_cursor).with_deleted(trashed));
                }
            }
        }
        // Out of requests for this call: hand back the position reached.
        Ok(Page::of(Vec::new(), Some(encode_cursor(&at)?)).with_deleted(trashed))
    }

    /// One record by id.
    pub fn get(
        &self,
        resource: ResourceKind,
        id: &str,
        parent_id: Option<&str>,
    ) -> Result<Entity, ConnectorError> {
        let what = resource_name(resource);
        let n = check_id(what, id)?;
        let parent = match resource {
            ResourceKind::Variations => Some(parent_of(parent_id)?),
            _ => None,
        };
        let mut segments = collection(resource, parent);
        segments.push(n.to_string());
        let resp = self.client.get(&segments).send_ok()?;
        let raw: Box<RawValue> = resp.json()?;
        // A trashed order or product is still readable, but listings leave it out: for
        // Junction it is deleted (restoring it from the trash brings it back).
        if in_trash(raw.get()) {
            return Err(ConnectorError::NotFound(format!(
                "{what} {n} is in the WooCommerce trash"
            )));
        }
        let parent_text = parent.map(|p| p.to_string());
        mapping::map_entity(resource, raw.get(), parent_text.as_deref())
    }

    /// `PUT` a JSON body to a record and map the record it returns.
    fn put_record(
        &self,
        resource: ResourceKind,
        segments: &[String],
        parent: Option<u64>,
        body: &serde_json::Value,
    ) -> Result<WriteOutcome, ConnectorError> {
        let resp = self
            .client
            .put(segments)
            .json(body)?
            .send_ok()
            .map_err(invalid_id_is_not_found)?;
        let raw: Box<RawValue> = resp.json()?;
        let parent_text = parent.map(|p| p.to_string());
        let entity = mapping::map_entity(resource, raw.get(), parent_text.as_deref())?;
        let external_id = entity_id_and_modified(&entity).0.to_owned();
        Ok(WriteOutcome {
            external_id,
            entity: Some(entity),
        })
    }

    /// Performs one write (see [`crate::writes`]).
    pub fn write(&self, op: &WriteOp) -> Result<WriteOutcome, ConnectorError> {
        match op {
            WriteOp::OrderStatus(c) => {
                let id = check_id("order", &c.order_id)?;
                let body = writes::status_body(&c.status)?;
                self.put_record(ResourceKind::Orders, &order_path(id), None, &body)
            }
            WriteOp::OrderTracking(c) => {
                let id = check_id("order", &c.order_id)?;
                // Validate before any request.
                writes::tracking_entry(&c.tracking)?;
                let current: WcOrder = self.client.get(order_path(id)).send_ok()?.json()?;
                let body = writes::tracking_meta_body(&current.meta_data, &c.tracking)?;
                let outcome =
                    self.put_record(ResourceKind::Orders, &order_path(id), None, &body)?;
                let mut notes = order_path(id);
                notes.push("notes".into());
                self.client
                    .post(&notes)
                    .json(&writes::note_body(&c.tracking))?
                    .send_ok()?;
                Ok(outcome)
            }
            WriteOp::ProductStock(c) => {
                let id = check_id("product", &c.product_id)?;
                let body = writes::stock_body(c.quantity);
                self.put_record(ResourceKind::Products, &product_path(id), None, &body)
            }
            WriteOp::ProductPrice(c) => {
                let id = check_id("product", &c.product_id)?;
                let body = writes::price_body(&c.price, c.sale_price.as_deref())?;
                self.put_record(ResourceKind::Products, &product_path(id), None, &body)
            }
            WriteOp::VariationStock(c) => {
                let (p, v) = variation_ids(&c.product_id, &c.variation_id)?;
                let body = writes::stock_body(c.quantity);
                self.put_record(
                    ResourceKind::Variations,
                    &variation_path(p, v),
                    Some(p),
                    &body,
                )
            }
            WriteOp::VariationPrice(c) => {
                let (p, v) = variation_ids(&c.product_id, &c.variation_id)?;
                let body = writes::price_body(&c.price, c.sale_price.as_deref())?;
                self.put_record(
                    ResourceKind::Variations,
                    &variation_path(p, v),
                    Some(p),
                    &body,
                )
            }
            WriteOp::UpsertOrder(_) => Err(ConnectorError::unsupported(
                "the WooCommerce connector does not create or replace orders (upsert-order)",
            )),
            WriteOp::UpsertCustomer(_) => Err(ConnectorError::unsupported(
                "the WooCommerce connector does not create or replace customers (upsert-customer)",
            )),
            WriteOp::UpsertProduct(_) => Err(ConnectorError::unsupported(
                "the WooCommerce connector does not create or replace products (upsert-product)",
            )),
        }
    }
}

impl Api {
    /// Performs several writes, using WooCommerce's batch endpoints where they exist (see
    /// [`crate::batch`]); one result per op, in the order of `ops`.
    ///
    /// Batch requests go first (per endpoint, chunks of [`batch::MAX_BATCH_ITEMS`]), then the
    /// ops without a batch form, one by one. A request that fails as a whole fails the ops
    /// it carried; after a `rate-limited` answer nothing more is sent and every op still
    /// open gets that error. When the very first request is refused for its credentials,
    /// the whole call fails with that error (every other request would be refused too).
    pub fn write_batch(&self, ops: &[WriteOp]) -> Result<Vec<WriteResult>, ConnectorError> {
        let plan = batch::plan(ops);
        let mut outcomes = Outcomes::new(ops.len());
        for (index, error) in plan.refused {
            outcomes.record(index, Err(error));
        }
        let mut requests = Requests::new();
        for (endpoint, items) in &plan.groups {
            for chunk in items.chunks(batch::MAX_BATCH_ITEMS) {
                let answer = requests.send(|| {
                    self.client
                        .post(endpoint.segments())
                        .json(&batch::request_body(chunk))?
                        .send_ok()?
                        .json::<batch::Answer>()
                })?;
                match answer {
                    Ok(answer) => {
                        for (index, result) in batch::read_answer(*endpoint, chunk, &answer) {
                            outcomes.record(index, result);
                        }
                    }
                    Err(error) => {
                        let indexes: Vec<usize> = chunk.iter().map(|i| i.index).collect();
                        outcomes.record_all(&indexes, &Err(error));
                    }
                }
            }
        }
        for index in plan.single {
            if let Some(op) = ops.get(index) {
                let result = requests.send(|| self.write(op))?;
                outcomes.record(index, result);
            }
        }
        Ok(outcomes.finish())
    }
}

fn order_path(id: u64) -> Vec<String> {
    vec!["orders".into(), id.to_string()]
}

fn product_path(id: u64) -> Vec<String> {
    vec!["products".into(), id.to_string()]
}

fn variation_path(product: u64, variation: u64) -> Vec<String> {
    vec![
        "products".into(),
        product.to_string(),
        "variations".into(),
        variation.to_string(),
    ]
}

fn variation_ids(product: &str, variation: &str) -> Result<(u64, u64), ConnectorError> {
    Ok((
        check_id("product", product)?,
        check_id("variation", variation)?,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_parents() {
        assert_eq!(check_id("order", "727").unwrap(), 727);
        for bad in ["", "0", "-1", "abc", "1.5", "+3", "../x"] {
            assert!(
                matches!(check_id("order", bad), Err(ConnectorError::NotFound(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            parent_of(None),
            Err(ConnectorError::InvalidRequest(_))
        ));
        assert_eq!(parent_of(Some("799")).unwrap(), 799);
        assert_eq!(
            collection(ResourceKind::Variations, Some(5)),
            vec!["products", "5", "variations"]
        );
        assert_eq!(
            listing_name(ResourceKind::Variations, Some(5)),
            "variations:5"
        );
        assert_eq!(listing_name(ResourceKind::Orders, None), "orders");
    }

    #[test]
    fn keys() {
        let o = mapping::map_order(
            r#"{"id": 9, "total": "1.00", "date_created_gmt": "1970-01-01T00:00:10", "date_modified_gmt": "1970-01-01T00:01:00"}"#,
        )
        .unwrap();
        let e = Entity::Order(o);
        assert_eq!(key_of(Order::Modified, &e).unwrap(), (60, 9));
        assert_eq!(key_of(Order::Id, &e).unwrap(), (0, 9));
    }
}

/// WooCommerce answers an update of a record it does not hold (deleted since, say) with
/// `400 woocommerce_rest_*_invalid_id`: that is a `not-found`, not a refused change.
fn invalid_id_is_not_found(e: ConnectorError) -> ConnectorError {
    match e {
        ConnectorError::Upstream(u) if u.status == 400 && u.message.contains("_invalid_id") => {
            ConnectorError::NotFound(u.message)
        }
        other => other,
    }
}

/// Whether a record's JSON says it is in the trash (`"status": "trash"`).
fn in_trash(raw: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Status<'a> {
        #[serde(borrow)]
        status: Option<&'a str>,
    }
    serde_json::from_str::<Status<'_>>(raw).is_ok_and(|s| s.status == Some("trash"))
}

#[cfg(test)]
mod trash_tests {
    #[test]
    fn trashed_records_are_recognised() {
        assert!(super::in_trash(r#"{"id":1,"status":"trash"}"#));
        assert!(!super::in_trash(r#"{"id":1,"status":"processing"}"#));
        assert!(!super::in_trash(r#"{"id":1}"#));
    }

    #[test]
    fn an_update_of_an_unknown_id_is_not_found() {
        use super::ConnectorError;
        let e = ConnectorError::upstream(
            400,
            "HTTP 400: Invalid ID. (woocommerce_rest_shop_order_invalid_id)",
        );
        assert!(matches!(
            super::invalid_id_is_not_found(e),
            ConnectorError::NotFound(_)
        ));
        let other = ConnectorError::upstream(400, "HTTP 400: Invalid parameter(s): status");
        assert!(matches!(
            super::invalid_id_is_not_found(other),
            ConnectorError::Upstream(_)
        ));
    }
}
