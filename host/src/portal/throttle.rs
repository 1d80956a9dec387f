//! Sign-in throttling against password guessing: every attempt (user or operator) takes a
//! permit from its client address's budget and from its account's (the email, or
//! "operator"). Spent budgets refill over time, so a person who mistyped waits a little,
//! while a guesser is held to a few tries a minute per account and per address. The budgets
//! are GCRA cells in the database (`Store::take_sign_in_attempt`), so every host sharing it
//! counts the same attempts and a restart forgets nothing; behind a reverse proxy every
//! client shares the proxy's address, so the per-address budget is generous.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::store::{Store, now_ms};

/// Attempts one client address may make at once, and how fast they come back.
const PER_ADDRESS_BURST: u32 = 30;
const PER_ADDRESS_REFILL: Duration = Duration::from_secs(4);
/// Attempts one account may see at once, and how fast they come back.
const PER_ACCOUNT_BURST: u32 = 8;
const PER_ACCOUNT_REFILL: Duration = Duration::from_secs(30);
/// Forget refilled budgets every this many attempts, so the table stays small.
const SWEEP_EVERY: u64 = 256;

/// A budget: `burst` attempts at once, one more every `refill`.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub burst: u32,
    pub refill: Duration,
}

/// The sign-in limiter, backed by the shared database.
pub struct LoginThrottle {
    store: Store,
    per_address: Budget,
    per_account: Budget,
    attempts: AtomicU64,
}

impl LoginThrottle {
    /// The portal's limits.
    pub fn new(store: Store) -> Self {
        Self::with_budgets(
            store,
            Budget {
                burst: PER_ADDRESS_BURST,
                refill: PER_ADDRESS_REFILL,
            },
            Budget {
                burst: PER_ACCOUNT_BURST,
                refill: PER_ACCOUNT_REFILL,
            },
        )
    }

    pub fn with_budgets(store: Store, per_address: Budget, per_account: Budget) -> Self {
        Self {
            store,
            per_address,
            per_account,
            attempts: AtomicU64::new(0),
        }
    }

    /// Take one attempt for `account` (a normalised email, or "operator") from `address`
    /// (unknown when the server cannot tell). False: too many attempts, refuse without
    /// checking the password. The address is charged first, so one address cannot spend
    /// the budgets of many accounts faster than its own allows. When the database cannot
    /// be asked the attempt is refused: no password is checked without a budget.
    pub async fn allow(&self, address: Option<IpAddr>, account: &str) -> bool {
        let now = now_ms();
        if self.attempts.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1
            && let Err(e) = self.store.sweep_sign_in_attempts(now).await
        {
            tracing::warn!(error = %e, "portal: cannot sweep the sign-in budgets");
        }
        if let Some(address) = address
            && !self
                .take(&format!("addr:{address}"), self.per_address, now)
                .await
        {
            return false;
        }
        self.take(&format!("account:{account}"), self.per_account, now)
            .await
    }

    async fn take(&self, key: &str, budget: Budget, now: i64) -> bool {
        let refill_ms = i64::try_from(budget.refill.as_millis()).unwrap_or(i64::MAX);
        match self
            .store
            .take_sign_in_attempt(key, now, refill_ms, i64::from(budget.burst))
            .await
        {
            Ok(allowed) => allowed,
            Err(e) => {
                tracing::error!(error = %e, "portal: cannot read the sign-in budget; refusing the attempt");
                false
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::sqlite_url;

    async fn throttle() -> (LoginThrottle, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&sqlite_url(dir.path())).await.unwrap();
        (LoginThrottle::new(store), dir)
    }

    #[tokio::test]
    async fn an_account_gets_its_burst_then_is_refused_while_others_are_not() {
        let (throttle, _dir) = throttle().await;
        let address: IpAddr = [192, 0, 2, 1].into();
        for _ in 0..PER_ACCOUNT_BURST {
            assert!(throttle.allow(Some(address), "ada@example.com").await);
        }
        assert!(!throttle.allow(Some(address), "ada@example.com").await);
        assert!(!throttle.allow(None, "ada@example.com").await);
        // Another account from the same address still has its attempts.
        assert!(throttle.allow(Some(address), "bob@example.com").await);
    }

    #[tokio::test]
    async fn an_address_trying_many_accounts_is_refused_after_its_burst() {
        let (throttle, _dir) = throttle().await;
        let address: IpAddr = [192, 0, 2, 2].into();
        for i in 0..PER_ADDRESS_BURST {
            assert!(
                throttle
                    .allow(Some(address), &format!("user{i}@example.com"))
                    .await
            );
        }
        assert!(!throttle.allow(Some(address), "fresh@example.com").await);
        assert!(
            throttle
                .allow(Some([192, 0, 2, 3].into()), "fresh@example.com")
                .await
        );
    }

    /// Two hosts on one database share the budgets; a spent budget refills with time.
    #[tokio::test]
    async fn hosts_share_the_budgets_and_they_refill() {
        let dir = tempfile::tempdir().unwrap();
        let url = sqlite_url(dir.path());
        let budget = Budget {
            burst: 3,
            refill: Duration::from_millis(150),
        };
        let wide = Budget {
            burst: 100,
            refill: Duration::from_millis(1),
        };
        let a = LoginThrottle::with_budgets(Store::open(&url).await.unwrap(), wide, budget);
        let b = LoginThrottle::with_budgets(Store::open(&url).await.unwrap(), wide, budget);
        assert!(a.allow(None, "ada").await);
        assert!(b.allow(None, "ada").await);
        assert!(a.allow(None, "ada").await);
        assert!(
            !b.allow(None, "ada").await,
            "the third attempt spent the burst"
        );
        assert!(!a.allow(None, "ada").await);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(b.allow(None, "ada").await, "one attempt came back");
        assert!(!a.allow(None, "ada").await);
        // A swept table forgets only what has refilled.
        a.store.sweep_sign_in_attempts(now_ms()).await.unwrap();
        assert!(!b.allow(None, "ada").await);
    }
}
