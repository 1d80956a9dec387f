//! The error check: refused credentials and faults injected by the proxy (401, 429 with
//! `Retry-After`, 500, a stalled answer) map to the right contract errors, and the
//! connector works again once they clear.

use std::time::Duration;

use junction_fault_proxy::ProxyFaultKind;
use junction_runtime::types::ConnectorError;
use junction_runtime::{CallError, LoadedConnector};

use crate::ctx::{Ctx, describe, stall_limits};
use crate::report::{CheckResult, Done, Failure, ensure, failure};

/// How long the stall fault holds a request: far beyond the stall runtime's first-byte
/// timeout, so only a client that gives up on time sees the answer it deserves.
const STALL_MS: u64 = 10_000;
/// The `Retry-After` the rate-limit fault sends, in seconds.
const RETRY_AFTER_SECS: u64 = 3;

fn is_unauthorized<T>(result: &Result<T, CallError>) -> bool {
    matches!(
        result,
        Err(CallError::Connector(ConnectorError::Unauthorized(_)))
    )
}

impl Ctx {
    /// Refused credentials and injected faults map to the right contract errors.
    pub(crate) async fn errors(&self) -> CheckResult {
        let name = &self.name;
        let probe = self.probe_name();
        let result = self.connector.check(&self.options).await.value;
        ensure!(
            result.is_ok(),
            "[{name}] errors: check with the working config must succeed, got {}",
            describe(&result)
        );
        if let Some(bad) = &self.subject.bad_credentials {
            let config = bad(&self.proxy.url());
            let options = self.connector.prepare(&config).map_err(|problems| {
                failure!("[{name}] errors: the schema refuses the bad-credentials config {config}: {problems:?}")
            })?;
            let result = self.connector.check(&options).await.value;
            ensure!(
                is_unauthorized(&result),
                "[{name}] errors: check with bad credentials must be unauthorized, got {}",
                describe(&result)
            );
            let result = self.probe(&self.connector, &options).await;
            ensure!(
                is_unauthorized(&result),
                "[{name}] errors: {probe} with bad credentials must be unauthorized, got {}",
                describe(&result)
            );
        } else {
            self.note("no refused credentials to try: the system has no auth".into());
        }

        let result = self.faulted_probe(ProxyFaultKind::Unauthorized).await?;
        ensure!(
            is_unauthorized(&result),
            "[{name}] errors: {probe} answered 401 must be unauthorized, got {}",
            describe(&result)
        );

        let result = self
            .faulted_probe(ProxyFaultKind::RateLimited {
                retry_after_secs: RETRY_AFTER_SECS,
            })
            .await?;
        let wanted = RETRY_AFTER_SECS * 1000;
        match &result {
            Err(CallError::Connector(ConnectorError::RateLimited(info))) => ensure!(
                info.retry_after_ms.abs_diff(wanted) <= 500,
                "[{name}] errors: 429 with Retry-After: {RETRY_AFTER_SECS} must ask to wait about {wanted} ms, got {} ms",
                info.retry_after_ms
            ),
            other => {
                return Err(failure!(
                    "[{name}] errors: {probe} answered 429 must be rate-limited, got {}",
                    describe(other)
                ));
            }
        }

        let result = self.faulted_probe(ProxyFaultKind::ServerError).await?;
        ensure!(
            matches!(&result, Err(CallError::Connector(ConnectorError::Upstream(u))) if u.status == 500),
            "[{name}] errors: {probe} answered 500 must be upstream with status 500, got {}",
            describe(&result)
        );

        self.stall().await?;

        let result = self.probe(&self.connector, &self.options).await;
        ensure!(
            result.is_ok(),
            "[{name}] errors: with the faults cleared, {probe} must work again, got {}",
            describe(&result)
        );
        Ok(Done::Passed)
    }

    /// A stalled answer is `transport` (the runtime's first-byte timeout), not a call
    /// timeout or a crash. Runs in a second runtime whose only difference is that timeout.
    async fn stall(&self) -> Result<(), Failure> {
        let name = &self.name;
        let probe = self.probe_name();
        let runtime = self.runtime(stall_limits())?;
        let connector = LoadedConnector::load_file(&runtime, &self.connector.source)
            .await
            .map_err(|e| failure!("[{name}] errors: loading into the stall runtime: {e}"))?;
        self.proxy.set_fault(ProxyFaultKind::Stall { ms: STALL_MS });
        let started = std::time::Instant::now();
        let result = self.probe(&connector, &self.options).await;
        self.proxy.clear_faults();
        ensure!(
            matches!(
                result,
                Err(CallError::Connector(ConnectorError::Transport(_)))
            ),
            "[{name}] errors: {probe} with a stalled answer must be transport, got {}",
            describe(&result)
        );
        ensure!(
            started.elapsed() < Duration::from_millis(STALL_MS),
            "[{name}] errors: the stalled call took {:?}: the connector waited for the stall to end",
            started.elapsed()
        );
        Ok(())
    }
}
