//! Signing in: checking a user's email and password or the operator's admin token, and
//! throttling attempts against password guessing, the way OWASP's authentication cheat
//! sheet recommends, without letting anyone lock an account out:
//!
//! - each client address has a budget over every account (a guesser trying many accounts);
//! - each (account, address) pair has a tight budget: a guesser at one address is held to a
//!   few tries a minute at that account, while the account's owner at another address is
//!   not touched by it;
//! - each user account also has a looser budget over every address, so guessing spread
//!   over many addresses is still bounded; it refills faster than one address may guess,
//!   so a single guesser can never drain it. The operator's account has none: the admin
//!   token carries 192 random bits, so there is nothing to guess and nothing to lock;
//! - a refused user password waits longer the more attempts its pair has made recently
//!   (exponential, capped), which slows guessing without refusing the right password.
//!
//! Budgets are GCRA cells in the database (`Store::take_sign_in_attempt`), so every host
//! sharing it counts the same attempts and a restart forgets nothing; behind a reverse
//! proxy every client shares the proxy's address, so the per-address budget is generous.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::password::{Password, verify_off_thread};
use junction_store::users::User;
use junction_store::{Store, StoreError, now_ms};

/// Attempts one client address may make at once (any accounts), and how fast they come back.
const PER_ADDRESS_BURST: u32 = 30;
const PER_ADDRESS_REFILL: Duration = Duration::from_secs(4);
/// Attempts at one account from one address, and how fast they come back.
const PER_PAIR_BURST: u32 = 8;
const PER_PAIR_REFILL: Duration = Duration::from_secs(30);
/// Attempts at one user account from every address together: looser, and refilled faster
/// than one address may try (`PER_PAIR_REFILL`), so one guesser cannot drain it.
const PER_ACCOUNT_BURST: u32 = 60;
const PER_ACCOUNT_REFILL: Duration = Duration::from_secs(10);
/// A refused password's delay: this, doubled for each earlier recent attempt of its pair.
const BASE_REFUSAL_DELAY: Duration = Duration::from_millis(300);
const MAX_REFUSAL_DELAY: Duration = Duration::from_secs(4);
/// Forget refilled budgets every this many attempts, so the table stays small.
const SWEEP_EVERY: u64 = 256;

/// A budget: `burst` attempts at once, one more every `refill`.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub burst: u32,
    pub refill: Duration,
}

/// The budgets of the three kinds of cell.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    pub per_address: Budget,
    pub per_pair: Budget,
    pub per_account: Budget,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            per_address: Budget {
                burst: PER_ADDRESS_BURST,
                refill: PER_ADDRESS_REFILL,
            },
            per_pair: Budget {
                burst: PER_PAIR_BURST,
                refill: PER_PAIR_REFILL,
            },
            per_account: Budget {
                burst: PER_ACCOUNT_BURST,
                refill: PER_ACCOUNT_REFILL,
            },
        }
    }
}

/// Whose sign-in is attempted.
#[derive(Debug, Clone, Copy)]
pub enum Account<'a> {
    /// A tenant user, by normalised email (or what was typed, lower-cased).
    User(&'a str),
    /// The operator (admin token): no account-wide budget.
    Operator,
}

impl Account<'_> {
    fn key(&self) -> String {
        match self {
            Account::User(email) => format!("user:{email}"),
            Account::Operator => "operator".into(),
        }
    }
}

/// The throttle's answer to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Check the password; if it is wrong, wait this long before answering.
    Allowed { delay_if_refused: Duration },
    /// Too many attempts: refuse without checking the password.
    Throttled,
}

/// The sign-in limiter, backed by the shared database.
pub struct LoginThrottle {
    store: Store,
    budgets: Budgets,
    attempts: AtomicU64,
}

impl LoginThrottle {
    /// The portal's limits.
    pub fn new(store: Store) -> Self {
        Self::with_budgets(store, Budgets::default())
    }

    pub fn with_budgets(store: Store, budgets: Budgets) -> Self {
        Self {
            store,
            budgets,
            attempts: AtomicU64::new(0),
        }
    }

    /// Take one attempt at `account` from `address` (unknown when the server cannot tell).
    /// The address is charged first, so one address cannot spend many accounts' budgets
    /// faster than its own allows; then the (account, address) pair; then, for users, the
    /// account over every address. When the database cannot be asked the attempt is
    /// refused: no password is checked without a budget.
    pub async fn allow(&self, address: Option<IpAddr>, account: Account<'_>) -> Attempt {
        let now = now_ms();
        if self.attempts.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1
            && let Err(e) = self.store.sweep_sign_in_attempts(now).await
        {
            tracing::warn!(error = %e, "portal: cannot sweep the sign-in budgets");
        }
        let address_key = address.map_or_else(|| "unknown".to_string(), |a| a.to_string());
        if address.is_some()
            && self
                .take(
                    &format!("addr:{address_key}"),
                    self.budgets.per_address,
                    now,
                )
                .await
                .is_none()
        {
            return Attempt::Throttled;
        }
        let pair = format!("pair:{}@{address_key}", account.key());
        let Some(recent) = self.take(&pair, self.budgets.per_pair, now).await else {
            return Attempt::Throttled;
        };
        if let Account::User(_) = account
            && self
                .take(
                    &format!("account:{}", account.key()),
                    self.budgets.per_account,
                    now,
                )
                .await
                .is_none()
        {
            return Attempt::Throttled;
        }
        // The operator's token cannot be guessed: slowing its refusals gains nothing.
        let delay_if_refused = match account {
            Account::User(_) => refusal_delay(recent),
            Account::Operator => BASE_REFUSAL_DELAY,
        };
        Attempt::Allowed { delay_if_refused }
    }

    /// Take one attempt from a cell: the number of attempts it now holds (this one
    /// included), or `None` when its budget is spent.
    async fn take(&self, key: &str, budget: Budget, now: i64) -> Option<u32> {
        let refill_ms = i64::try_from(budget.refill.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        match self
            .store
            .take_sign_in_attempt(key, now, refill_ms, i64::from(budget.burst))
            .await
        {
            Ok(Some(tat_ms)) => {
                let held = (tat_ms - now + refill_ms - 1) / refill_ms;
                Some(u32::try_from(held.max(1)).unwrap_or(u32::MAX))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "portal: cannot read the sign-in budget; refusing the attempt");
                None
            }
        }
    }
}

/// The user whose email and password these are (argon2id; an unknown email costs the
/// same work as a wrong password), with the sign-in recorded; `None` when they do not match.
pub async fn check_user(
    store: &Store,
    email: Option<&str>,
    password: Password,
) -> Result<Option<User>, StoreError> {
    let credentials = match email {
        Some(email) => store.user_credentials(email).await?,
        None => None,
    };
    let stored = credentials.as_ref().map(|c| c.password_hash.clone());
    let verified = verify_off_thread(password, stored).await;
    let Some(user) = credentials.map(|c| c.user).filter(|_| verified) else {
        return Ok(None);
    };
    store.record_sign_in(&user.id).await?;
    Ok(Some(user))
}

/// Is `given` the admin token? Digests are compared in constant time, so the time taken
/// says nothing about the token.
pub fn is_admin_token(given: &Password, admin_token: &str) -> bool {
    let given = Sha256::digest(given.expose().trim().as_bytes());
    let expected = Sha256::digest(admin_token.as_bytes());
    bool::from(given.ct_eq(&expected))
}

/// How long a refused password waits when its pair holds `recent` attempts: the base
/// delay for the first, doubled for each one before it, capped.
fn refusal_delay(recent: u32) -> Duration {
    let doublings = recent.saturating_sub(1).min(16);
    BASE_REFUSAL_DELAY
        .saturating_mul(1 << doublings)
        .min(MAX_REFUSAL_DELAY)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use junction_store::sqlite_url;

    async fn throttle() -> (LoginThrottle, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&sqlite_url(dir.path())).await.unwrap();
        (LoginThrottle::new(store), dir)
    }

    fn allowed(attempt: Attempt) -> bool {
        matches!(attempt, Attempt::Allowed { .. })
    }

    const ADA: Account<'static> = Account::User("ada@example.com");

    #[tokio::test]
    async fn a_pair_gets_its_burst_then_is_refused_while_the_owner_elsewhere_is_not() {
        let (throttle, _dir) = throttle().await;
        let guesser: IpAddr = [192, 0, 2, 1].into();
        for _ in 0..PER_PAIR_BURST {
            assert!(allowed(throttle.allow(Some(guesser), ADA).await));
        }
        assert_eq!(throttle.allow(Some(guesser), ADA).await, Attempt::Throttled);
        // The account's owner, from another address, is not locked out by the guesser.
        assert!(allowed(
            throttle.allow(Some([198, 51, 100, 7].into()), ADA).await
        ));
        // Another account from the guesser's address still has its attempts.
        let bob = Account::User("bob@example.com");
        assert!(allowed(throttle.allow(Some(guesser), bob).await));
    }

    #[tokio::test]
    async fn an_address_trying_many_accounts_is_refused_after_its_burst() {
        let (throttle, _dir) = throttle().await;
        let address: IpAddr = [192, 0, 2, 2].into();
        for i in 0..PER_ADDRESS_BURST {
            let email = format!("user{i}@example.com");
            assert!(allowed(
                throttle.allow(Some(address), Account::User(&email)).await
            ));
        }
        let fresh = Account::User("fresh@example.com");
        assert_eq!(
            throttle.allow(Some(address), fresh).await,
            Attempt::Throttled
        );
        assert!(allowed(
            throttle.allow(Some([192, 0, 2, 3].into()), fresh).await
        ));
    }

    #[tokio::test]
    async fn guessing_spread_over_many_addresses_is_bounded_per_user_but_not_for_the_operator() {
        let (throttle, _dir) = throttle().await;
        let address = |i: u32| -> IpAddr { [10, 0, (i / 250) as u8, (i % 250) as u8 + 1].into() };
        for i in 0..PER_ACCOUNT_BURST {
            assert!(allowed(throttle.allow(Some(address(i)), ADA).await));
        }
        assert_eq!(
            throttle.allow(Some(address(PER_ACCOUNT_BURST)), ADA).await,
            Attempt::Throttled
        );
        // The operator token cannot be guessed: no account-wide lock.
        for i in 0..PER_ACCOUNT_BURST + 10 {
            assert!(allowed(
                throttle.allow(Some(address(i)), Account::Operator).await
            ));
        }
    }

    #[tokio::test]
    async fn refusals_wait_longer_the_more_a_pair_has_tried() {
        let (throttle, _dir) = throttle().await;
        let address: IpAddr = [192, 0, 2, 9].into();
        let mut delays = Vec::new();
        for _ in 0..PER_PAIR_BURST {
            match throttle.allow(Some(address), ADA).await {
                Attempt::Allowed { delay_if_refused } => delays.push(delay_if_refused),
                Attempt::Throttled => panic!("within the burst"),
            }
        }
        assert_eq!(delays[0], BASE_REFUSAL_DELAY);
        assert_eq!(delays[1], BASE_REFUSAL_DELAY * 2);
        assert_eq!(delays[2], BASE_REFUSAL_DELAY * 4);
        assert_eq!(*delays.last().unwrap(), MAX_REFUSAL_DELAY);
        assert!(delays.windows(2).all(|w| w[0] <= w[1]), "{delays:?}");
    }

    /// Two hosts on one database share the budgets; a spent budget refills with time.
    #[tokio::test]
    async fn hosts_share_the_budgets_and_they_refill() {
        let dir = tempfile::tempdir().unwrap();
        let url = sqlite_url(dir.path());
        let tight = Budget {
            burst: 3,
            refill: Duration::from_millis(150),
        };
        let wide = Budget {
            burst: 100,
            refill: Duration::from_millis(1),
        };
        let budgets = Budgets {
            per_address: wide,
            per_pair: tight,
            per_account: wide,
        };
        let a = LoginThrottle::with_budgets(Store::open(&url).await.unwrap(), budgets);
        let b = LoginThrottle::with_budgets(Store::open(&url).await.unwrap(), budgets);
        let ada = Account::User("ada");
        assert!(allowed(a.allow(None, ada).await));
        assert!(allowed(b.allow(None, ada).await));
        assert!(allowed(a.allow(None, ada).await));
        assert_eq!(
            b.allow(None, ada).await,
            Attempt::Throttled,
            "the third attempt spent the burst"
        );
        assert_eq!(a.allow(None, ada).await, Attempt::Throttled);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(allowed(b.allow(None, ada).await), "one attempt came back");
        assert_eq!(a.allow(None, ada).await, Attempt::Throttled);
        // A swept table forgets only what has refilled.
        a.store.sweep_sign_in_attempts(now_ms()).await.unwrap();
        assert_eq!(b.allow(None, ada).await, Attempt::Throttled);
    }
}
