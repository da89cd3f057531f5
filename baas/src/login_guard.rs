//! What stands in front of Argon2 at login: a rate limit per source
//! address (governor's GCRA, keyed by IP), and a bound on password hashes
//! running at once, so that a flood of logins costs the attacker more than
//! the server and cannot starve the API of CPU.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::problem::Problem;

/// Logins allowed per source address: a burst, then one per `every`.
#[derive(Debug, Clone, Copy)]
pub struct LoginRate {
    pub burst: u32,
    pub every: Duration,
}

impl Default for LoginRate {
    /// Twenty at once, then one a second: a person or a script signing in
    /// never notices; a password guesser gets 3,600 tries an hour from an
    /// address, each of which the per-address lockout also counts.
    fn default() -> LoginRate {
        LoginRate { burst: 20, every: Duration::from_secs(1) }
    }
}

/// Password hashes (login, password change, new user) running at once.
/// Argon2 takes tens of milliseconds of one core each.
const HASHES_AT_ONCE: usize = 4;
/// How long a request waits for its turn to hash before it is refused.
const HASH_WAIT: Duration = Duration::from_secs(10);

static HASHING: Semaphore = Semaphore::const_new(HASHES_AT_ONCE);

/// A turn to hash a password, waited for at most `HASH_WAIT`.
pub async fn hashing_turn() -> Result<SemaphorePermit<'static>, Problem> {
    match tokio::time::timeout(HASH_WAIT, HASHING.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(Problem::too_many("the server is busy checking passwords; retry in a few seconds", 5)),
    }
}

/// The per-address login limiter.
#[derive(Clone)]
pub struct LoginGuard {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl LoginGuard {
    pub fn new(rate: LoginRate) -> LoginGuard {
        let burst = NonZeroU32::new(rate.burst.max(1)).expect("at least 1");
        let quota = Quota::with_period(rate.every.max(Duration::from_millis(1)))
            .expect("a period of at least a millisecond")
            .allow_burst(burst);
        LoginGuard { limiter: Arc::new(DefaultKeyedRateLimiter::keyed(quota)) }
    }

    /// Takes one login from `source`'s allowance, or says how long to wait.
    pub fn admit(&self, source: IpAddr) -> Result<(), Problem> {
        // Forget addresses that are full again, so a scan of many sources
        // does not grow the map for good.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&source).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            let secs = wait.as_secs().max(1);
            Problem::too_many(format!("too many logins from {source}; retry in {secs} s"), secs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_gets_its_burst_then_waits() {
        let guard = LoginGuard::new(LoginRate { burst: 3, every: Duration::from_secs(60) });
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            guard.admit(a).unwrap();
        }
        let refused = guard.admit(a).unwrap_err();
        assert_eq!(refused.status, 429);
        assert!(refused.retry_after_secs.unwrap() >= 59, "{refused:?}");
        assert!(refused.detail.contains("10.0.0.1"), "{}", refused.detail);
        guard.admit(b).expect("another address has its own allowance");
    }
}
