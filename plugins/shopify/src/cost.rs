//! Shopify's calculated query cost as answers report it, and what it means for the caller.
//!
//! Every GraphQL answer carries `extensions.cost`: `requestedQueryCost`,
//! `actualQueryCost` (null when the query did not run) and `throttleStatus`
//! `{maximumAvailable, currentlyAvailable, restoreRate}` — the leaky bucket of this shop
//! and app. [`Cost::parse`] reads it; [`Cost::bucket`] tells the bucket's state, so the host
//! can later pace requests by points; [`Cost::wait_ms`] is how long until `points` are
//! available again (`(points - currentlyAvailable) / restoreRate` seconds, rounded up).
//!
//! A query over budget is answered HTTP 200 with `errors[].extensions.code = "THROTTLED"`;
//! [`throttled_error`] turns it into the SDK's `rate-limited` error with that wait for the
//! query's requested cost (at least one second, the bucket's refill granularity, when the
//! answer carries no cost).

use junction_sdk::types::ConnectorError;
use serde::Deserialize;
use serde_json::Value;

/// The bucket's state after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

/// `extensions.cost` of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    pub requested_query_cost: u64,
    pub actual_query_cost: Option<u64>,
    pub throttle_status: Bucket,
}

/// The wait when an answer says "throttled" but not by how much.
const DEFAULT_WAIT_MS: u64 = 1000;

impl Cost {
    /// Reads `extensions.cost` from a whole answer; `None` when absent or malformed.
    pub fn parse(answer: &Value) -> Option<Self> {
        serde_json::from_value(answer.get("extensions")?.get("cost")?.clone()).ok()
    }

    /// The bucket's state.
    pub fn bucket(&self) -> Bucket {
        self.throttle_status
    }

    /// Milliseconds until `points` are available.
    pub fn wait_ms(&self, points: u64) -> u64 {
        let b = self.throttle_status;
        let missing = points as f64 - b.currently_available;
        if missing <= 0.0 {
            return 0;
        }
        if b.restore_rate <= 0.0 {
            return DEFAULT_WAIT_MS;
        }
        (missing / b.restore_rate * 1000.0).ceil() as u64
    }
}

/// Whether an answer's errors include Shopify's `THROTTLED`.
pub fn is_throttled(answer: &Value) -> bool {
    answer
        .get("errors")
        .and_then(Value::as_array)
        .is_some_and(|errors| {
            errors
                .iter()
                .any(|e| e.pointer("/extensions/code").and_then(Value::as_str) == Some("THROTTLED"))
        })
}

/// The `rate-limited` error for a throttled answer.
pub fn throttled_error(answer: &Value) -> ConnectorError {
    match Cost::parse(answer) {
        Some(cost) => {
            let b = cost.bucket();
            ConnectorError::rate_limited(
                cost.wait_ms(cost.requested_query_cost).max(1),
                format!(
                    "Shopify throttled a query of cost {} with {} of {} points available (restoring {}/s)",
                    cost.requested_query_cost,
                    b.currently_available,
                    b.maximum_available,
                    b.restore_rate
                ),
            )
        }
        None => ConnectorError::rate_limited(DEFAULT_WAIT_MS, "Shopify throttled the query"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(available: f64, requested: u64, actual: Value) -> Value {
        json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
               "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                 "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": available, "restoreRate": 100.0}}}})
    }

    #[test]
    fn reads_the_cost_and_the_bucket() {
        let a = answer(40.0, 252, json!(null));
        let cost = Cost::parse(&a).unwrap();
        assert_eq!(cost.requested_query_cost, 252);
        assert_eq!(cost.actual_query_cost, None);
        assert_eq!(cost.bucket().currently_available, 40.0);
        assert_eq!(cost.wait_ms(252), 2120);
        assert_eq!(cost.wait_ms(10), 0);
        assert!(Cost::parse(&json!({"data": {}})).is_none());
    }

    #[test]
    fn throttled_is_rate_limited_with_the_wait_for_the_missing_points() {
        let a = answer(2.0, 102, json!(null));
        assert!(is_throttled(&a));
        match throttled_error(&a) {
            ConnectorError::RateLimited(info) => assert_eq!(info.retry_after_ms, 1000),
            other => panic!("{other:?}"),
        }
        let bare =
            json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]});
        match throttled_error(&bare) {
            ConnectorError::RateLimited(info) => assert_eq!(info.retry_after_ms, 1000),
            other => panic!("{other:?}"),
        }
        assert!(!is_throttled(
            &json!({"errors": [{"message": "Field 'x' doesn't exist"}]})
        ));
    }
}
