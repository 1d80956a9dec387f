//! The reads: `check`, `list` and `get`, strung together from [`crate::queries`] (the
//! documents), [`crate::graphql`] (the call), [`crate::keyset`] (paging decisions) and
//! [`crate::mapping`] (the records). Writes are in [`crate::writes`].

use junction_sdk::http::{Client, Request};
use junction_sdk::paging::{decode_cursor, encode_cursor};
use junction_sdk::time;
use junction_sdk::types::{CheckInfo, ConnectorError, Entity, ListRequest, Page, ResourceKind};
use serde_json::{Value, json};

use crate::bulk::{self, BulkCursor, Poll};
use crate::config::Config;
use crate::keyset::{self, CURSOR_VERSION, Cursor};
use crate::{API_VERSION, graphql, mapping, queries};

/// How long to wait before asking again about a running bulk operation.
const BULK_POLL_MS: u64 = 2000;

/// A configured Shopify API.
pub struct Api {
    pub(crate) client: Client,
    pub(crate) config: Config,
}

/// A numeric Shopify id; anything else cannot exist, so it is `not-found`.
pub fn check_id(what: &str, id: &str) -> Result<u64, ConnectorError> {
    let trimmed = id.trim();
    let digits = trimmed.rsplit('/').next().unwrap_or(trimmed);
    match digits.parse::<u64>() {
        Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(ConnectorError::not_found(format!(
            "no {what} with id {id:?} (Shopify ids are positive numbers)"
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

/// The root field, document and node cost of a top-level listing.
fn listing_of(resource: ResourceKind) -> (&'static str, String, u32) {
    match resource {
        ResourceKind::Orders => ("orders", queries::orders_page(), queries::ORDER_COST),
        ResourceKind::Customers => (
            "customers",
            queries::customers_page(),
            queries::CUSTOMER_COST,
        ),
        ResourceKind::Products | ResourceKind::Variations => {
            ("products", queries::products_page(), queries::PRODUCT_COST)
        }
    }
}

fn connection_parts(conn: &Value) -> (Vec<Value>, bool, Option<String>) {
    let nodes = conn
        .get("nodes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let has_next = conn
        .pointer("/pageInfo/hasNextPage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let end = conn
        .pointer("/pageInfo/endCursor")
        .and_then(Value::as_str)
        .map(str::to_owned);
    (nodes, has_next, end)
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

    /// Sends one document.
    pub(crate) fn run(&self, query: &str, variables: Value) -> Result<Value, ConnectorError> {
        graphql::run(&self.client, query, variables)
    }

    /// `shop { name myshopifyDomain }` → `Shopify shop NAME (DOMAIN), Admin API 2026-07`.
    pub fn check(&self) -> Result<CheckInfo, ConnectorError> {
        let data = self.run(queries::SHOP, json!({}))?;
        let name = data
            .pointer("/shop/name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let domain = data
            .pointer("/shop/myshopifyDomain")
            .and_then(Value::as_str)
            .unwrap_or("?");
        Ok(CheckInfo {
            message: format!("Shopify shop {name} ({domain}), Admin API {API_VERSION}"),
        })
    }

    /// One page of a resource (see [`crate::keyset`]).
    pub fn list(&self, req: &ListRequest) -> Result<Page, ConnectorError> {
        let parent = match req.resource {
            ResourceKind::Variations => Some(parent_of(req.parent_id.as_deref())?),
            _ => None,
        };
        let listing = match parent {
            Some(p) => format!("variations:{p}"),
            None => req.resource.as_str().to_owned(),
        };
        let since = match req.updated_since.as_deref() {
            Some(s) => Some(time::epoch_seconds(s).map_err(|e| {
                ConnectorError::invalid_request(format!("invalid updated-since: {e}"))
            })?),
            None => None,
        };
        let at = match req.cursor.as_deref() {
            Some(c) => {
                let cursor: Cursor = decode_cursor(c)?;
                if cursor.version != CURSOR_VERSION || cursor.listing != listing {
                    return Err(ConnectorError::invalid_request(format!(
                        "invalid cursor: it belongs to listing {:?} (v{}), not {listing:?}",
                        cursor.listing, cursor.version
                    )));
                }
                cursor
            }
            None => Cursor::start(listing, since),
        };
        let starts_bulk = self.config.bulk_first_sync
            && req.cursor.is_none()
            && req.updated_since.is_none()
            && !req.ids_only;
        match (parent, &at.bulk) {
            (Some(p), _) => self.list_variations(req, p, &at),
            (None, Some(b)) => self.list_bulk(req, &at, b),
            (None, None) if starts_bulk => self.start_bulk(req, &at),
            (None, None) => self.list_sorted(req, &at),
        }
    }

    /// Starts the bulk operation of a first sync; an empty page whose cursor names it.
    fn start_bulk(&self, req: &ListRequest, at: &Cursor) -> Result<Page, ConnectorError> {
        let (root, _, _) = listing_of(req.resource);
        let data = self.run(queries::BULK_RUN, json!({"query": queries::bulk(root)}))?;
        let payload = &data["bulkOperationRunQuery"];
        graphql::user_errors("start the bulk operation", payload, "userErrors")?;
        let operation = payload
            .pointer("/bulkOperation/id")
            .and_then(Value::as_str)
            .ok_or_else(|| ConnectorError::upstream(200, "Shopify started no bulk operation"))?;
        let next = Cursor {
            bulk: Some(BulkCursor {
                operation: operation.to_owned(),
                started: time::now().as_second(),
                offset: 0,
            }),
            ..at.clone()
        };
        Ok(Page {
            entities: vec![],
            next_cursor: Some(encode_cursor(&next)?),
            deleted: vec![],
            ids: vec![],
        })
    }

    /// A page of a first sync from the bulk operation's file (see [`crate::bulk`]).
    fn list_bulk(
        &self,
        req: &ListRequest,
        at: &Cursor,
        b: &BulkCursor,
    ) -> Result<Page, ConnectorError> {
        let empty = |next: Cursor| -> Result<Page, ConnectorError> {
            Ok(Page {
                entities: vec![],
                next_cursor: Some(encode_cursor(&next)?),
                deleted: vec![],
                ids: vec![],
            })
        };
        // After the file: the changes made since the operation started.
        let incremental = Cursor::start(at.listing.clone(), Some(b.started));
        let data = self.run(queries::BULK_STATUS, json!({"id": b.operation}))?;
        let url = match bulk::poll(data.get("node").unwrap_or(&Value::Null))? {
            Poll::Running(status) => {
                return Err(ConnectorError::rate_limited(
                    BULK_POLL_MS,
                    format!("Shopify bulk operation {} is {status}", b.operation),
                ));
            }
            Poll::Abandoned(why) => {
                junction_sdk::log::warn(
                    "bulk operation abandoned: paging the plain way",
                    &[("operation", &b.operation), ("why", &why)],
                );
                return empty(Cursor::start(at.listing.clone(), None));
            }
            Poll::Completed(None) => return empty(incremental),
            Poll::Completed(Some(url)) => url,
        };
        let timeout = junction_sdk::config::timeout_seconds(self.config.timeout_seconds)?;
        let resp = Request::get(&url)?
            .header("range", bulk::range(b.offset))
            .timeout(timeout)
            .send()?;
        let offset = usize::try_from(b.offset).unwrap_or(usize::MAX);
        let (bytes, eof) = match resp.status() {
            206 => (resp.body(), bulk::reaches_end(resp.header("content-range"))),
            // A server that ignores Range sends the whole file.
            200 => (resp.body().get(offset..).unwrap_or(&[]), true),
            416 => (&[][..], true),
            _ => return Err(resp.to_error()),
        };
        let page_size = self.config.page_size(req.page_size) as usize;
        let taken = bulk::take(bytes, eof, page_size)?;
        let entities = taken
            .records
            .iter()
            .map(|node| mapping::map_entity(req.resource, node, None))
            .collect::<Result<Vec<_>, _>>()?;
        let next = if taken.done {
            incremental
        } else {
            Cursor {
                bulk: Some(BulkCursor {
                    offset: b.offset + taken.consumed,
                    ..b.clone()
                }),
                ..at.clone()
            }
        };
        Ok(Page {
            entities,
            next_cursor: Some(encode_cursor(&next)?),
            deleted: vec![],
            ids: vec![],
        })
    }

    fn list_sorted(&self, req: &ListRequest, at: &Cursor) -> Result<Page, ConnectorError> {
        let (root, document, node_cost) = listing_of(req.resource);
        let wanted = self.config.page_size(req.page_size);
        let (document, first) = if req.ids_only {
            (queries::ids_page(root), queries::fit_page_size(wanted, 1))
        } else {
            (document, queries::fit_page_size(wanted, node_cost))
        };
        let since = at
            .since
            .map(time::from_epoch_seconds)
            .transpose()
            .map_err(|e| ConnectorError::internal(e.to_string()))?;
        let data = self.run(
            &document,
            json!({"first": first, "after": at.after, "query": keyset::search(since.as_deref())}),
        )?;
        let (mut nodes, has_next, end) = connection_parts(data.get(root).unwrap_or(&Value::Null));
        if req.ids_only {
            // Scans run in id order, which no change can shift: follow Shopify's cursor.
            let ids = nodes
                .iter()
                .filter_map(|n| n.get("legacyResourceId").and_then(Value::as_str))
                .map(str::to_owned)
                .collect();
            let next = keyset::follow(at, has_next, end);
            return Ok(Page {
                entities: vec![],
                next_cursor: next.map(|c| encode_cursor(&c)).transpose()?,
                deleted: vec![],
                ids,
            });
        }
        let keys = nodes
            .iter()
            .map(mapping::key_of)
            .collect::<Result<Vec<_>, _>>()?;
        let step = keyset::step(at, &keys, has_next, end);
        let mut entities = Vec::with_capacity(step.keep.len());
        for i in step.keep {
            let node = &mut nodes[i];
            if req.resource == ResourceKind::Orders {
                self.complete_lines(node)?;
            }
            entities.push(mapping::map_entity(req.resource, node, None)?);
        }
        Ok(Page {
            entities,
            next_cursor: step.next.map(|c| encode_cursor(&c)).transpose()?,
            deleted: vec![],
            ids: vec![],
        })
    }

    fn list_variations(
        &self,
        req: &ListRequest,
        parent: u64,
        at: &Cursor,
    ) -> Result<Page, ConnectorError> {
        let first =
            queries::fit_page_size(self.config.page_size(req.page_size), queries::VARIANT_COST);
        let data = self.run(
            &queries::variants_page(),
            json!({"id": format!("gid://shopify/Product/{parent}"), "first": first, "after": at.after}),
        )?;
        let product = data
            .get("product")
            .filter(|p| !p.is_null())
            .ok_or_else(|| {
                ConnectorError::not_found(format!(
                    "no product with id {parent} to list variations of"
                ))
            })?;
        let (nodes, has_next, end) =
            connection_parts(product.get("variants").unwrap_or(&Value::Null));
        let updated = nodes
            .iter()
            .map(|n| mapping::key_of(n).map(|k| k.0))
            .collect::<Result<Vec<_>, _>>()?;
        let step = keyset::step_unsorted(at, &updated, has_next, end);
        let parent_text = parent.to_string();
        let kept: Vec<&Value> = step.keep.iter().map(|i| &nodes[*i]).collect();
        let (entities, ids) = if req.ids_only {
            let ids = kept
                .iter()
                .filter_map(|n| n.get("legacyResourceId").and_then(Value::as_str))
                .map(str::to_owned)
                .collect();
            (vec![], ids)
        } else {
            let entities = kept
                .iter()
                .map(|n| mapping::map_entity(ResourceKind::Variations, n, Some(&parent_text)))
                .collect::<Result<Vec<_>, _>>()?;
            (entities, vec![])
        };
        Ok(Page {
            entities,
            next_cursor: step.next.map(|c| encode_cursor(&c)).transpose()?,
            deleted: vec![],
            ids,
        })
    }

    /// Reads the lines an order node did not carry (more than [`queries::ORDER_LINES`]).
    fn complete_lines(&self, order: &mut Value) -> Result<(), ConnectorError> {
        let mut has_next = order
            .pointer("/lineItems/pageInfo/hasNextPage")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut after = order
            .pointer("/lineItems/pageInfo/endCursor")
            .cloned()
            .unwrap_or(Value::Null);
        let id = order.get("id").cloned().unwrap_or(Value::Null);
        while has_next {
            let data = self.run(
                &queries::order_more_lines(),
                json!({"id": id, "after": after}),
            )?;
            let (more, next, end) =
                connection_parts(data.pointer("/order/lineItems").unwrap_or(&Value::Null));
            if let Some(lines) = order
                .pointer_mut("/lineItems/nodes")
                .and_then(Value::as_array_mut)
            {
                lines.extend(more);
            }
            has_next = next && end.is_some();
            after = end.map_or(Value::Null, Value::String);
        }
        Ok(())
    }

    /// One record by id.
    pub fn get(
        &self,
        resource: ResourceKind,
        id: &str,
        parent_id: Option<&str>,
    ) -> Result<Entity, ConnectorError> {
        let (root, kind) = match resource {
            ResourceKind::Orders => ("order", "Order"),
            ResourceKind::Customers => ("customer", "Customer"),
            ResourceKind::Products => ("product", "Product"),
            ResourceKind::Variations => ("productVariant", "ProductVariant"),
        };
        let number = check_id(kind, id)?;
        let parent = match resource {
            ResourceKind::Variations => Some(parent_of(parent_id)?),
            _ => None,
        };
        let data = self.run(
            &queries::single(root),
            json!({"id": format!("gid://shopify/{kind}/{number}")}),
        )?;
        let missing = || ConnectorError::not_found(format!("no {root} with id {number}"));
        let mut node = data
            .get(root)
            .filter(|n| !n.is_null())
            .cloned()
            .ok_or_else(missing)?;
        if let Some(p) = parent {
            let owner = node
                .pointer("/product/legacyResourceId")
                .and_then(Value::as_str);
            if owner != Some(p.to_string().as_str()) {
                return Err(missing());
            }
        }
        if resource == ResourceKind::Orders {
            self.complete_lines(&mut node)?;
        }
        let parent_text = parent.map(|p| p.to_string());
        mapping::map_entity(resource, &node, parent_text.as_deref())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_numbers_or_global_ids() {
        assert_eq!(check_id("order", "5100000001").unwrap(), 5_100_000_001);
        assert_eq!(check_id("order", "gid://shopify/Order/12").unwrap(), 12);
        assert!(matches!(
            check_id("order", "abc"),
            Err(ConnectorError::NotFound(_))
        ));
        assert!(matches!(
            check_id("order", "0"),
            Err(ConnectorError::NotFound(_))
        ));
        assert!(matches!(
            parent_of(None),
            Err(ConnectorError::InvalidRequest(_))
        ));
    }

    #[test]
    fn connections_split_into_nodes_and_paging() {
        let conn =
            json!({"pageInfo": {"hasNextPage": true, "endCursor": "c"}, "nodes": [{"a": 1}]});
        let (nodes, next, end) = connection_parts(&conn);
        assert_eq!((nodes.len(), next, end.as_deref()), (1, true, Some("c")));
        assert_eq!(connection_parts(&Value::Null), (vec![], false, None));
    }
}
