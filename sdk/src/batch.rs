//! Batches of writes (the contract's `write-batch`): the default that performs the ops one
//! by one, and the bookkeeping a connector with batch endpoints needs.
//!
//! The rules every batch follows (see `write-batch` in `wit/connector.wit`):
//! - one outcome per op, in the order of the ops, whatever order the requests went in;
//! - one op failing does not stop the others, except `rate-limited`: once the system asked
//!   to slow down, the ops not yet sent are not sent, and each gets that same error;
//! - the call as a whole fails only when nothing could be attempted.
//!
//! A connector with batch endpoints sends its requests through [`Requests`] (which keeps
//! the rate-limit and whole-call rules) and collects results in [`Outcomes`] (which hands
//! them back in op order, whatever order the requests went in); [`write_each`], the
//! one-by-one default of [`crate::Connector::write_batch`], is built from the two.

use crate::types::{ConnectorError, WriteOp, WriteOutcome};

/// The result of one op of a batch.
pub type WriteResult = Result<WriteOutcome, ConnectorError>;

/// The outcomes of a batch, filled in any order and handed back in the ops' order.
#[derive(Debug)]
pub struct Outcomes {
    slots: Vec<Option<WriteResult>>,
}

impl Outcomes {
    /// Room for the outcomes of `len` ops.
    pub fn new(len: usize) -> Self {
        Self {
            slots: (0..len).map(|_| None).collect(),
        }
    }

    /// Records the result of op `index` (an index outside the batch is ignored: there is no
    /// op to give it to).
    pub fn record(&mut self, index: usize, result: WriteResult) {
        if let Some(slot) = self.slots.get_mut(index) {
            *slot = Some(result);
        }
    }

    /// Gives every op in `indexes` the same result (a failed batch request, say).
    pub fn record_all(&mut self, indexes: &[usize], result: &WriteResult) {
        for &index in indexes {
            self.record(index, result.clone());
        }
    }

    /// The outcomes in the ops' order. An op that got none gets an `internal` error: the
    /// connector forgot it, which is a bug, but the host still gets one answer per op.
    pub fn finish(self) -> Vec<WriteResult> {
        self.slots
            .into_iter()
            .enumerate()
            .map(|(index, slot)| {
                slot.unwrap_or_else(|| {
                    Err(ConnectorError::internal(format!(
                        "the connector produced no outcome for op {index} of the batch"
                    )))
                })
            })
            .collect()
    }
}

/// Whether an error on the first request of a batch means that no op can be attempted: the
/// config is wrong or the credentials are refused, so every other request would fail the
/// same way. The batch then fails as a whole with that error.
pub fn stops_whole_batch(error: &ConnectorError) -> bool {
    matches!(
        error,
        ConnectorError::InvalidConfig(_) | ConnectorError::Unauthorized(_)
    )
}

/// The requests a batch sends, one after the other, under the batch rules: once one is
/// answered `rate-limited`, no other is sent (each gets that error instead); when the
/// first one fails with an error that [`stops_whole_batch`], the whole call fails with it.
#[derive(Debug, Default)]
pub struct Requests {
    sent_any: bool,
    halted: Option<ConnectorError>,
}

impl Requests {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends one request (or performs one op) with `send`, unless the batch is halted.
    ///
    /// The outer error fails the whole batch (return it from `write-batch`); the inner
    /// result is the request's, for the ops it carried: the halting `rate-limited` error
    /// when nothing was sent.
    pub fn send<T>(
        &mut self,
        send: impl FnOnce() -> Result<T, ConnectorError>,
    ) -> Result<Result<T, ConnectorError>, ConnectorError> {
        if let Some(error) = &self.halted {
            return Ok(Err(error.clone()));
        }
        let first = !self.sent_any;
        self.sent_any = true;
        let result = send();
        match &result {
            Err(error) if first && stops_whole_batch(error) => return Err(error.clone()),
            Err(error @ ConnectorError::RateLimited(_)) => self.halted = Some(error.clone()),
            _ => {}
        }
        Ok(result)
    }

    /// The `rate-limited` error that halted the batch, if the system sent one.
    pub fn halted(&self) -> Option<&ConnectorError> {
        self.halted.as_ref()
    }
}

/// Performs `ops` one by one with `write`, in order: the default `write-batch` for systems
/// without batch endpoints.
///
/// After a `rate-limited` answer the remaining ops are not sent; each gets that same error.
/// When the first op fails with `invalid-config` or `unauthorized` (see
/// [`stops_whole_batch`]), nothing else is attempted and the whole call fails with it.
pub fn write_each(
    ops: Vec<WriteOp>,
    mut write: impl FnMut(WriteOp) -> WriteResult,
) -> Result<Vec<WriteResult>, ConnectorError> {
    let mut requests = Requests::new();
    let mut outcomes = Outcomes::new(ops.len());
    for (index, op) in ops.into_iter().enumerate() {
        let result = requests.send(|| write(op))?;
        outcomes.record(index, result);
    }
    Ok(outcomes.finish())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::types::ProductStockChange;

    fn stock(product: &str) -> WriteOp {
        WriteOp::ProductStock(ProductStockChange {
            product_id: product.into(),
            quantity: 1,
        })
    }

    fn product_of(op: &WriteOp) -> String {
        match op {
            WriteOp::ProductStock(c) => c.product_id.clone(),
            _ => unreachable!(),
        }
    }

    fn done(id: &str) -> WriteResult {
        Ok(WriteOutcome {
            external_id: id.into(),
            entity: None,
        })
    }

    fn ids(results: &[WriteResult]) -> Vec<String> {
        results
            .iter()
            .map(|r| match r {
                Ok(o) => o.external_id.clone(),
                Err(e) => e.kind().to_owned(),
            })
            .collect()
    }

    #[test]
    fn one_by_one_in_order_and_failures_stay_per_op() {
        let mut sent = Vec::new();
        let results = write_each(vec![stock("1"), stock("2"), stock("3")], |op| {
            let id = product_of(&op);
            sent.push(id.clone());
            if id == "2" {
                Err(ConnectorError::not_found("no product 2"))
            } else {
                done(&id)
            }
        })
        .unwrap();
        assert_eq!(sent, ["1", "2", "3"]);
        assert_eq!(ids(&results), ["1", "not-found", "3"]);
    }

    #[test]
    fn rate_limited_stops_sending_and_repeats_the_error() {
        let mut sent = Vec::new();
        let results = write_each(vec![stock("1"), stock("2"), stock("3"), stock("4")], |op| {
            let id = product_of(&op);
            sent.push(id.clone());
            if id == "2" {
                Err(ConnectorError::rate_limited(1500, "slow down"))
            } else {
                done(&id)
            }
        })
        .unwrap();
        assert_eq!(sent, ["1", "2"], "nothing is sent after the 429");
        assert_eq!(
            ids(&results),
            ["1", "rate-limited", "rate-limited", "rate-limited"]
        );
        for r in &results[1..] {
            assert_eq!(
                r.as_ref().unwrap_err(),
                &ConnectorError::rate_limited(1500, "slow down")
            );
        }
    }

    #[test]
    fn bad_config_or_credentials_on_the_first_op_fail_the_whole_batch() {
        let mut calls = 0;
        let result = write_each(vec![stock("1"), stock("2")], |_| {
            calls += 1;
            Err(ConnectorError::unauthorized("HTTP 401: bad key"))
        });
        assert_eq!(
            result.unwrap_err(),
            ConnectorError::unauthorized("HTTP 401: bad key")
        );
        assert_eq!(calls, 1);
        let result = write_each(vec![stock("1")], |_| {
            Err(ConnectorError::invalid_config(
                Some("base_url"),
                "not a URL",
            ))
        });
        assert!(matches!(result, Err(ConnectorError::InvalidConfig(_))));
        // Later in the batch, the same errors are per op.
        let results = write_each(vec![stock("1"), stock("2")], |op| {
            if product_of(&op) == "2" {
                Err(ConnectorError::unauthorized("HTTP 403: not this one"))
            } else {
                done("1")
            }
        })
        .unwrap();
        assert_eq!(ids(&results), ["1", "unauthorized"]);
    }

    #[test]
    fn an_empty_batch_has_no_outcomes() {
        assert!(write_each(Vec::new(), |_| done("x")).unwrap().is_empty());
    }

    #[test]
    fn outcomes_come_back_in_op_order_whatever_the_fill_order() {
        let mut outcomes = Outcomes::new(4);
        outcomes.record(2, done("c"));
        outcomes.record(0, done("a"));
        outcomes.record_all(&[1, 3], &Err(ConnectorError::upstream(500, "boom")));
        outcomes.record(9, done("ignored"));
        assert_eq!(ids(&outcomes.finish()), ["a", "upstream", "c", "upstream"]);
    }

    #[test]
    fn forgotten_ops_are_internal_errors() {
        let mut outcomes = Outcomes::new(2);
        outcomes.record(0, done("a"));
        let results = outcomes.finish();
        assert!(
            matches!(&results[1], Err(ConnectorError::Internal(m)) if m.contains("op 1")),
            "{results:?}"
        );
    }

    #[test]
    fn requests_halt_after_rate_limited_and_fail_whole_only_first() {
        let mut requests = Requests::new();
        assert_eq!(requests.send(|| Ok(1)).unwrap(), Ok(1));
        // Not the first request: unauthorized is that request's error only.
        let r: Result<i32, _> = requests
            .send(|| Err(ConnectorError::unauthorized("no")))
            .unwrap();
        assert!(matches!(r, Err(ConnectorError::Unauthorized(_))));
        let r: Result<i32, _> = requests
            .send(|| Err(ConnectorError::rate_limited(10, "later")))
            .unwrap();
        assert!(matches!(r, Err(ConnectorError::RateLimited(_))));
        let mut ran = false;
        let r = requests
            .send(|| {
                ran = true;
                Ok(2)
            })
            .unwrap();
        assert!(!ran, "a halted batch sends nothing");
        assert_eq!(r, Err(ConnectorError::rate_limited(10, "later")));
        assert!(requests.halted().is_some());

        let mut requests = Requests::new();
        let whole = requests.send(|| Err::<(), _>(ConnectorError::invalid_config(None, "x")));
        assert!(matches!(whole, Err(ConnectorError::InvalidConfig(_))));
    }
}
