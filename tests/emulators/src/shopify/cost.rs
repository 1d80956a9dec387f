//! Calculated query cost and the leaky bucket, as Shopify documents them for the GraphQL
//! Admin API ("GraphQL Admin API rate limits", shopify.dev):
//!
//! - Requested cost, computed from the query before it runs: a scalar or enum field costs
//!   0, an object field 1 plus its selection, a connection (a field given `first` or
//!   `last`) 2 plus `first` times the cost of one node (1 plus the node's selection; a
//!   connection's `pageInfo` is included in its 2), so nested connections multiply. Of
//!   the type-conditioned fragments of one selection the dearest counts (an interface
//!   costs the maximum of its possible selections). A mutation field costs 10.
//! - Actual cost, after the query ran: the same, with the number of nodes actually
//!   returned (see `execute`).
//! - A single query may not request more than 1000 points (`MAX_COST_EXCEEDED`).
//! - The bucket (per shop and app): `maximumAvailable` points (Standard plan: 1000),
//!   refilled at `restoreRate` points per second (Standard: 100). A query needs its
//!   requested cost available, which is taken before it runs; the difference to the actual
//!   cost is refunded after. Otherwise it is answered `THROTTLED` and nothing is taken.

use std::time::Instant;

use graphql_parser::query::{Field, Selection, SelectionSet};
use serde_json::Value;

use super::document::{Kind, Request};

/// A mutation field's cost.
pub const MUTATION_COST: u64 = 10;
/// The most a single query may request.
pub const SINGLE_QUERY_MAX: u64 = 1000;

fn page_size(req: &Request<'_>, field: &Field<'_, String>) -> Option<u64> {
    let args = req.args(field);
    ["first", "last"]
        .iter()
        .find_map(|name| args.get(*name).and_then(Value::as_u64))
}

/// The cost of one node of a connection: 1 plus the dearest of its node selections
/// (`edges { node }` or `nodes`); of a list given `first` (no `edges`/`nodes`), 1 plus the
/// list item's selection.
fn node_cost(req: &Request<'_>, set: &SelectionSet<'_, String>) -> u64 {
    let is_connection = set.items.iter().any(
        |i| matches!(i, Selection::Field(f) if f.name == "nodes" || f.name == "edges" || f.name == "pageInfo"),
    );
    if !is_connection {
        return 1u64.saturating_add(selection_cost(req, set));
    }
    let mut dearest = 0;
    for item in &set.items {
        if let Selection::Field(f) = item {
            match f.name.as_str() {
                "nodes" => dearest = dearest.max(selection_cost(req, &f.selection_set)),
                "edges" => {
                    for e in &f.selection_set.items {
                        if let Selection::Field(n) = e
                            && n.name == "node"
                        {
                            dearest = dearest.max(selection_cost(req, &n.selection_set));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    1 + dearest
}

fn field_cost(req: &Request<'_>, field: &Field<'_, String>) -> u64 {
    if let Some(n) = page_size(req, field) {
        return 2u64.saturating_add(n.saturating_mul(node_cost(req, &field.selection_set)));
    }
    if field.selection_set.items.is_empty() {
        return 0;
    }
    1u64.saturating_add(selection_cost(req, &field.selection_set))
}

fn selection_cost(req: &Request<'_>, set: &SelectionSet<'_, String>) -> u64 {
    let mut plain = 0u64;
    let mut dearest_fragment = 0u64;
    for item in &set.items {
        match item {
            Selection::Field(f) => plain = plain.saturating_add(field_cost(req, f)),
            Selection::InlineFragment(f) => {
                dearest_fragment = dearest_fragment.max(selection_cost(req, &f.selection_set));
            }
            Selection::FragmentSpread(s) => {
                if let Some(frag) = req.fragments.get(s.fragment_name.as_str()) {
                    dearest_fragment =
                        dearest_fragment.max(selection_cost(req, &frag.selection_set));
                }
            }
        }
    }
    plain.saturating_add(dearest_fragment)
}

/// The requested cost of a request's operation.
pub fn requested(req: &Request<'_>) -> u64 {
    match req.kind {
        Kind::Mutation => {
            let fields = req.fields(req.selection, None).map_or(0, |f| f.len());
            MUTATION_COST * fields as u64
        }
        Kind::Query => selection_cost(req, req.selection),
    }
}

/// The bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketConfig {
    /// `maximumAvailable`: the bucket's size in points.
    pub maximum: f64,
    /// `restoreRate`: points restored per second.
    pub restore_rate: f64,
}

impl Default for BucketConfig {
    /// The Standard plan: 1000 points, 100 points per second.
    fn default() -> Self {
        Self {
            maximum: 1000.0,
            restore_rate: 100.0,
        }
    }
}

/// The leaky bucket of one shop and app.
#[derive(Debug)]
pub struct Bucket {
    config: BucketConfig,
    available: f64,
    at: Instant,
}

/// The bucket's state as `throttleStatus` reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

impl ThrottleStatus {
    /// `{maximumAvailable, currentlyAvailable, restoreRate}`.
    pub fn to_json(self) -> Value {
        serde_json::json!({
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": self.currently_available.floor(),
            "restoreRate": self.restore_rate,
        })
    }
}

impl Bucket {
    /// A full bucket.
    pub fn new(config: BucketConfig) -> Self {
        Self {
            config,
            available: config.maximum,
            at: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.available =
            (self.available + elapsed * self.config.restore_rate).min(self.config.maximum);
        self.at = now;
    }

    /// Takes `cost` points if they are available now; false (nothing taken) otherwise.
    pub fn try_take(&mut self, cost: u64, now: Instant) -> bool {
        self.refill(now);
        let cost = cost as f64;
        if cost > self.available {
            return false;
        }
        self.available -= cost;
        true
    }

    /// Gives back points taken but not spent.
    pub fn refund(&mut self, points: u64) {
        self.available = (self.available + points as f64).min(self.config.maximum);
    }

    /// The state now.
    pub fn status(&mut self, now: Instant) -> ThrottleStatus {
        self.refill(now);
        ThrottleStatus {
            maximum_available: self.config.maximum,
            currently_available: self.available,
            restore_rate: self.config.restore_rate,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::shopify::document::parse;
    use serde_json::Map;

    fn cost_of(query: &str) -> u64 {
        let doc = parse(query).unwrap();
        requested(&Request::new(&doc, None, Map::new()).unwrap())
    }

    #[test]
    fn connections_are_sized_by_first_and_multiply() {
        // 2 + 250 nodes of cost 1 (scalars are free).
        assert_eq!(
            cost_of("{ orders(first: 250) { pageInfo { hasNextPage } nodes { id name } } }"),
            252
        );
        // Objects cost 1: 2 + 10 * (1 + customer 1 + totalPriceSet 1 + shopMoney 1).
        assert_eq!(
            cost_of(
                "{ orders(first: 10) { edges { cursor node { id customer { id } totalPriceSet { shopMoney { amount } } } } } }"
            ),
            42
        );
        // Nested: 2 + 10 * (1 + (2 + 5 * 1)).
        assert_eq!(
            cost_of(
                "{ products(first: 10) { nodes { title variants(first: 5) { nodes { price } } } } }"
            ),
            82
        );
        assert_eq!(cost_of("{ shop { name } }"), 1);
        // A list given `first`: 2 + 5 * (1 + trackingInfo (2 + 3 * 1)).
        assert_eq!(
            cost_of(
                "{ order(id: \"x\") { fulfillments(first: 5) { trackingInfo(first: 3) { number } } } }"
            ),
            1 + 2 + 5 * 6
        );
        assert_eq!(
            cost_of(
                "mutation { orderClose(input: {id: \"x\"}) { order { id } userErrors { message } } }"
            ),
            10
        );
        // Fragments on different types: the dearest counts.
        assert_eq!(
            cost_of(
                "{ node(id: \"x\") { id ... on Order { customer { id } } ... on Product { title } } }"
            ),
            2
        );
    }

    #[test]
    fn bucket_takes_refunds_and_restores() {
        let start = Instant::now();
        let mut b = Bucket::new(BucketConfig {
            maximum: 100.0,
            restore_rate: 10.0,
        });
        assert!(b.try_take(80, start));
        assert!(!b.try_take(30, start));
        b.refund(5);
        assert_eq!(b.status(start).currently_available, 25.0);
        let later = start + Duration::from_secs(2);
        assert!(b.try_take(45, later));
        let much_later = later + Duration::from_secs(60);
        assert_eq!(b.status(much_later).currently_available, 100.0);
    }
}
