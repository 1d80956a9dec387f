//! The calls to Bugalou's Orders API over the SDK's HTTP client.
//!
//! - `check`: `GET /api/v1/orders?page=1&limit=1`.
//! - `list orders`: `GET /api/v1/orders?page=N&limit=L`; the cursor carries the next page
//!   number and the limit. Bugalou has no modification filter, so `updated-since` is applied
//!   to each page here (a page may then come back empty but with a cursor). The listing's
//!   order is not documented: offset pages can shift if orders are deleted while paging.
//! - Why an incremental listing reads every page: stopping at the first page whose orders
//!   are all older than `updated-since` is only sound if the listing is sorted by
//!   `updatedAt`, newest first. Bugalou documents no sort (nor a sort parameter), and the
//!   emulator lists in creation order: an order updated today keeps its place among orders
//!   last touched months ago, so any page of unchanged orders can be followed by a changed
//!   one. An early stop would lose those changes
//!   silently, so every sync costs one request per page of the whole dashboard; the
//!   manifest advises a longer cadence instead.
//! - `get orders`: Bugalou has no single-order endpoint, so the listing is walked (pages of
//!   100) until the order with that id, or that order number on the configured platform,
//!   turns up.
//! - `upsert-order`: `POST /api/v1/orders`, or `POST /api/zapier/order` when the config's
//!   `endpoint` is `zapier` (the same fields; both answer `{"success": true, "order": ...}`);
//!   Bugalou upserts by platform + order number.
//!
//! Answers are `{"success": true, ...}`; errors `{"error": "..."}` and go through the SDK's
//! mapping (401/403 → unauthorized, 400 → upstream with Bugalou's message, 429 →
//! rate-limited, 5xx → upstream).

use junction_sdk::http::{Client, Method};
use junction_sdk::paging::{decode_cursor, encode_cursor};
use junction_sdk::time;
use junction_sdk::types::{
    CheckInfo, ConnectorError, Entity, ListRequest, Page, ResourceKind, WriteOp, WriteOutcome,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::config::Config;
use crate::mapping;

/// Bugalou's largest page (the emulator's; the real maximum is not documented).
pub const MAX_LIMIT: u32 = 100;
/// Pages `get` walks before it gives up.
const MAX_GET_PAGES: u32 = 200;

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub page: u32,
    pub limit: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Pagination {
    #[serde(rename = "totalPages")]
    total_pages: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct ListAnswer {
    orders: Vec<Box<RawValue>>,
    pagination: Option<Pagination>,
}

#[derive(Debug, Deserialize)]
struct UpsertAnswer {
    order: Box<RawValue>,
}

/// A configured Bugalou API.
pub struct Api {
    client: Client,
    config: Config,
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

    fn page(&self, page: u32, limit: u32) -> Result<(Vec<Box<RawValue>>, bool), ConnectorError> {
        let answer: ListAnswer = self
            .client
            .get(["orders"])
            .query("page", page)
            .query("limit", limit)
            .send_ok()?
            .json()?;
        let more = match answer.pagination.and_then(|p| p.total_pages) {
            Some(total) => u64::from(page) < total,
            // Without pagination info, a full page means there may be more.
            None => answer.orders.len() >= limit as usize,
        };
        Ok((answer.orders, more))
    }

    /// One authenticated read.
    pub fn check(&self) -> Result<CheckInfo, ConnectorError> {
        self.page(1, 1)?;
        let host = self.client.base_url().host_str().unwrap_or("?").to_owned();
        Ok(CheckInfo {
            message: format!(
                "Bugalou Orders API at {host}: key accepted, writing as platform {:?} through POST {}",
                self.config.platform(),
                self.config.endpoint.path()
            ),
        })
    }

    /// One page of orders.
    pub fn list(&self, req: &ListRequest) -> Result<Page, ConnectorError> {
        if req.resource != ResourceKind::Orders {
            return Err(ConnectorError::unsupported("Bugalou serves orders only"));
        }
        let cursor = match req.cursor.as_deref() {
            Some(c) => decode_cursor::<Cursor>(c)?,
            None => Cursor {
                page: 1,
                limit: req.page_size.clamp(1, MAX_LIMIT),
                since: req
                    .updated_since
                    .as_deref()
                    .map(|s| {
                        time::normalize_utc(s).map_err(|e| {
                            ConnectorError::invalid_request(format!("invalid updated-since: {e}"))
                        })
                    })
                    .transpose()?,
            },
        };
        if cursor.page == 0 || cursor.limit == 0 || cursor.limit > MAX_LIMIT {
            return Err(ConnectorError::invalid_request(
                "invalid cursor: page and limit out of range",
            ));
        }
        let since = match cursor.since.as_deref() {
            Some(s) => Some(
                time::parse_utc(s)
                    .map_err(|e| ConnectorError::invalid_request(format!("invalid cursor: {e}")))?,
            ),
            None => None,
        };
        let (orders, more) = self.page(cursor.page, cursor.limit)?;
        let mut entities = Vec::with_capacity(orders.len());
        for raw in orders {
            let order = mapping::from_bugalou(raw.get())?;
            let keep = match since {
                Some(s) => {
                    time::parse_utc(&order.modified_at).map_err(|e| e.into_upstream(200))? >= s
                }
                None => true,
            };
            if keep {
                entities.push(Entity::Order(order));
            }
        }
        let next_cursor = if more {
            Some(encode_cursor(&Cursor {
                page: cursor.page + 1,
                ..cursor
            })?)
        } else {
            None
        };
        Ok(Page::of(entities, next_cursor))
    }

    /// One order by its Bugalou id (or its order number on the configured platform).
    pub fn get(&self, resource: ResourceKind, id: &str) -> Result<Entity, ConnectorError> {
        if resource != ResourceKind::Orders {
            return Err(ConnectorError::unsupported("Bugalou serves orders only"));
        }
        let wanted = id.trim();
        for page in 1..=MAX_GET_PAGES {
            let (orders, more) = self.page(page, MAX_LIMIT)?;
            for raw in orders {
                let order = mapping::from_bugalou(raw.get())?;
                let platform_matches = serde_json::from_str::<serde_json::Value>(raw.get())
                    .ok()
                    .and_then(|v| {
                        v.get("platform")
                            .and_then(|p| p.as_str())
                            .map(str::to_owned)
                    })
                    .is_some_and(|p| p == self.config.platform());
                if order.external_id == wanted
                    || (platform_matches && order.order_number.as_deref() == Some(wanted))
                {
                    return Ok(Entity::Order(order));
                }
            }
            if !more {
                break;
            }
        }
        Err(ConnectorError::not_found(format!(
            "no Bugalou order with id or order number {wanted:?}"
        )))
    }

    /// Performs one write.
    pub fn write(&self, op: &WriteOp) -> Result<WriteOutcome, ConnectorError> {
        let WriteOp::UpsertOrder(up) = op else {
            return Err(ConnectorError::unsupported(
                "Bugalou takes upsert-order writes only",
            ));
        };
        let body = mapping::to_bugalou(&up.order, self.config.platform(), &self.config.status_map)?;
        let answer: UpsertAnswer = self
            .client
            .request_url(Method::Post, self.config.write_url()?)
            .json(&body)?
            .send_ok()?
            .json()?;
        let order = mapping::from_bugalou(answer.order.get())?;
        Ok(WriteOutcome {
            external_id: order.external_id.clone(),
            entity: Some(Entity::Order(order)),
        })
    }
}
