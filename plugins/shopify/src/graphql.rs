//! One GraphQL call: `POST {"query", "variables"}` to the pinned endpoint, the answer
//! turned into its `data` or an error the host can act on.
//!
//! HTTP errors go through the SDK's mapping (401/403 → unauthorized, 429 → rate-limited
//! with `Retry-After`, 5xx → upstream, malformed JSON → upstream). An HTTP 200 answer with
//! `errors`: `THROTTLED` → rate-limited with the wait the bucket implies ([`crate::cost`]);
//! any other → upstream 200 with the messages. Mutation payload `userErrors` are read by
//! [`user_errors`]. Every answer's `extensions.cost` goes to the host
//! (`junction_sdk::budget`), which paces the connection's queries by the bucket.

use junction_sdk::http::Client;
use junction_sdk::types::ConnectorError;
use serde_json::{Value, json};

use crate::cost;

/// Sends `query` with `variables`; the answer's `data`.
pub fn run(client: &Client, query: &str, variables: Value) -> Result<Value, ConnectorError> {
    let resp = client
        .post(Vec::<String>::new())
        .json(&json!({"query": query, "variables": variables}))?
        .send()?;
    if !resp.is_success() {
        return Err(resp.to_error());
    }
    let answer: Value = resp.json()?;
    report_bucket(&answer);
    data_of(answer)
}

/// Tell the host where the bucket stands after this answer (it paces the connection's next
/// requests by it, expecting each to cost what this one asked for).
fn report_bucket(answer: &Value) {
    if let Some(cost) = cost::Cost::parse(answer) {
        let bucket = cost.bucket();
        junction_sdk::budget::report_points(
            bucket.maximum_available,
            bucket.currently_available,
            bucket.restore_rate,
            cost.requested_query_cost as f64,
        );
    }
}

/// The `data` of an answer, or the error its `errors` describe.
pub fn data_of(mut answer: Value) -> Result<Value, ConnectorError> {
    if cost::is_throttled(&answer) {
        return Err(cost::throttled_error(&answer));
    }
    let messages: Vec<String> = answer
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            e.get("message")
                .and_then(Value::as_str)
                .unwrap_or("unknown error")
                .to_owned()
        })
        .collect();
    if !messages.is_empty() {
        return Err(ConnectorError::upstream(
            200,
            format!("Shopify GraphQL error: {}", messages.join("; ")),
        ));
    }
    match answer.get_mut("data").map(Value::take) {
        Some(data) if data.is_object() => Ok(data),
        _ => Err(ConnectorError::upstream(
            200,
            "Shopify answered without data or errors",
        )),
    }
}

/// The error for a mutation payload's `userErrors` (or `orderCancelUserErrors`), if any:
/// `not-found` when Shopify says the record does not exist, else `invalid-request` with
/// each error's field path and message (Shopify refused the input and changed nothing).
pub fn user_errors(what: &str, payload: &Value, key: &str) -> Result<(), ConnectorError> {
    let errors = payload
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if errors.is_empty() {
        return Ok(());
    }
    let described: Vec<String> = errors
        .iter()
        .map(|e| {
            let field = e
                .get("field")
                .and_then(Value::as_array)
                .map(|f| {
                    f.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(".")
                })
                .unwrap_or_default();
            let message = e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("refused");
            if field.is_empty() {
                message.to_owned()
            } else {
                format!("{field}: {message}")
            }
        })
        .collect();
    let text = format!("{what}: Shopify refused it: {}", described.join("; "));
    if described.iter().any(|d| d.contains("does not exist")) {
        Err(ConnectorError::not_found(text))
    } else {
        Err(ConnectorError::invalid_request(text))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn answers_become_data_or_errors() {
        assert_eq!(
            data_of(json!({"data": {"shop": {}}})).unwrap(),
            json!({"shop": {}})
        );
        match data_of(json!({"errors": [{"message": "Field 'x' doesn't exist on type 'Order'"}]})) {
            Err(ConnectorError::Upstream(e)) => assert!(e.message.contains("Field 'x'")),
            other => panic!("{other:?}"),
        }
        let throttled =
            json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]});
        assert!(matches!(
            data_of(throttled),
            Err(ConnectorError::RateLimited(_))
        ));
        assert!(data_of(json!({})).is_err());
    }

    #[test]
    fn user_errors_name_the_field() {
        let ok = json!({"userErrors": []});
        assert!(user_errors("x", &ok, "userErrors").is_ok());
        let bad = json!({"userErrors": [{"field": ["variants", "0", "price"], "message": "Price must be a non-negative decimal"}]});
        match user_errors("price", &bad, "userErrors") {
            Err(ConnectorError::InvalidRequest(m)) => {
                assert!(m.contains("variants.0.price: Price"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        let missing = json!({"userErrors": [{"field": ["id"], "message": "Order does not exist"}]});
        assert!(matches!(
            user_errors("close", &missing, "userErrors"),
            Err(ConnectorError::NotFound(_))
        ));
    }
}
