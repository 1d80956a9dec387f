//! Sign-in throttling against password guessing: every attempt (user or operator) takes a
//! permit from its client address's budget and from its account's (the email, or
//! "operator"), both GCRA limiters from `governor` held in memory. Spent budgets refill
//! over time, so a person who mistyped waits a little, while a guesser is held to a few
//! tries a minute per account and per address. In memory means per process and reset by a
//! restart, which is enough to make online guessing slow; behind a reverse proxy every
//! client shares the proxy's address, so the per-address budget is generous.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota};

/// Attempts one client address may make at once, and how fast they come back.
const PER_ADDRESS_BURST: u32 = 30;
const PER_ADDRESS_REFILL: Duration = Duration::from_secs(4);
/// Attempts one account may see at once, and how fast they come back.
const PER_ACCOUNT_BURST: u32 = 8;
const PER_ACCOUNT_REFILL: Duration = Duration::from_secs(30);
/// Forget idle keys every this many attempts, so the maps stay small.
const SWEEP_EVERY: u64 = 256;

/// The sign-in limiter of one server.
pub struct LoginThrottle {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<String>,
    attempts: AtomicU64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(
            quota(PER_ADDRESS_BURST, PER_ADDRESS_REFILL),
            quota(PER_ACCOUNT_BURST, PER_ACCOUNT_REFILL),
        )
    }
}

fn quota(burst: u32, refill: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(refill)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl LoginThrottle {
    pub fn new(per_address: Quota, per_account: Quota) -> Self {
        Self {
            per_address: DefaultKeyedRateLimiter::keyed(per_address),
            per_account: DefaultKeyedRateLimiter::keyed(per_account),
            attempts: AtomicU64::new(0),
        }
    }

    /// Take one attempt for `account` (a normalised email, or "operator") from `address`
    /// (unknown when the server cannot tell). False: too many attempts, refuse without
    /// checking the password. The address is charged first, so one address cannot spend
    /// the budgets of many accounts faster than its own allows.
    pub fn allow(&self, address: Option<IpAddr>, account: &str) -> bool {
        if self.attempts.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.per_address.retain_recent();
            self.per_account.retain_recent();
        }
        if let Some(address) = address
            && self.per_address.check_key(&address).is_err()
        {
            return false;
        }
        self.per_account.check_key(&account.to_string()).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_gets_its_burst_then_is_refused_while_others_are_not() {
        let throttle = LoginThrottle::default();
        let address: IpAddr = [192, 0, 2, 1].into();
        for _ in 0..PER_ACCOUNT_BURST {
            assert!(throttle.allow(Some(address), "ada@example.com"));
        }
        assert!(!throttle.allow(Some(address), "ada@example.com"));
        assert!(!throttle.allow(None, "ada@example.com"));
        // Another account from the same address still has its attempts.
        assert!(throttle.allow(Some(address), "bob@example.com"));
    }

    #[test]
    fn an_address_trying_many_accounts_is_refused_after_its_burst() {
        let throttle = LoginThrottle::default();
        let address: IpAddr = [192, 0, 2, 2].into();
        for i in 0..PER_ADDRESS_BURST {
            assert!(throttle.allow(Some(address), &format!("user{i}@example.com")));
        }
        assert!(!throttle.allow(Some(address), "fresh@example.com"));
        assert!(throttle.allow(Some([192, 0, 2, 3].into()), "fresh@example.com"));
    }
}
