//! Security monitoring: failed logins lock an account out for a while at
//! the address they came from (growing with each further failure), every
//! bearer token is rate limited
//! (a token bucket per token, in memory), and both leave security events
//! that platform admins and auditors read at `GET /api/security/events`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::Db;
use crate::problem::{ApiResult, Problem};
use crate::store::login_failures;

/// Failures in a row before an account locks.
pub const FREE_FAILURES: i64 = 5;
/// The first lockout; each failure past it doubles, up to an hour.
const FIRST_LOCK_SECS: i64 = 30;
const MAX_LOCK_SECS: i64 = 3600;
/// A failure this long after the previous one counts from one again.
const FORGET_AFTER_MS: i64 = 3600 * 1000;

/// How long an account with `failures` failed logins in a row stays locked
/// after the last of them (0: not locked).
pub fn lock_secs(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(16) as u32;
    (FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS)
}

pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Refuses a login for an account locked at `source` before its password
/// is checked. Lockouts are per username *and* source address: failures
/// from elsewhere cannot lock the account's owner out.
pub async fn check_locked(db: &Db, username: &str, source: &str) -> ApiResult<()> {
    let Some((failures, last)) = login_failures::of(db, username, source).await? else { return Ok(()) };
    let until = last.saturating_add(lock_secs(failures) * 1000);
    let left = until - now_ms();
    if left > 0 {
        let secs = (left + 999) / 1000;
        return Err(Problem::too_many(
            format!(
                "{username} is locked for logins from {source} after {failures} failed logins in a row; try again \
                 in {secs} s (each further failure doubles the wait; an admin can unlock the account or reset its \
                 password)"
            ),
            secs as u64,
        ));
    }
    Ok(())
}

/// Counts a failed login from `source`; records the event, and the lockout
/// it causes.
pub async fn record_failure(db: &Db, username: &str, source: &str) -> ApiResult<()> {
    let now = now_ms();
    // Failures an hour apart are not "in a row": the count starts again.
    let failures = login_failures::count_failure(db, username, source, now, now - FORGET_AFTER_MS).await?;
    event(db, "failed-login", username, &format!("failure {failures} in a row from {source}")).await?;
    let lock = lock_secs(failures);
    if lock > 0 {
        tracing::warn!(%username, %source, failures, lock_secs = lock, "account locked for a source after failed logins");
        event(db, "lockout", username, &format!("locked for {lock} s at {source} after {failures} failures in a row"))
            .await?;
    }
    Ok(())
}

/// An admin lifts a lockout (every source's count for the username).
pub async fn unlock(db: &Db, username: &str) -> ApiResult<()> {
    login_failures::clear_user(db, username).await?;
    Ok(())
}

/// A successful login clears its source's count.
pub async fn reset(db: &Db, username: &str, source: &str) -> ApiResult<()> {
    login_failures::clear(db, username, source).await?;
    Ok(())
}

pub async fn event(db: &Db, kind: &str, subject: &str, detail: &str) -> ApiResult<()> {
    crate::store::security_events::insert(db, now_ms(), kind, subject, detail).await?;
    Ok(())
}

/// Requests per second and burst allowed to one bearer token.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub per_sec: f64,
    pub burst: f64,
}

impl Default for RateLimit {
    fn default() -> RateLimit {
        RateLimit { per_sec: 100.0, burst: 200.0 }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
    /// When this token's limiting was last recorded as an event.
    reported: Option<Instant>,
}

/// A token bucket per bearer token (by its hash). In memory: a restart
/// forgives everyone.
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Most buckets kept; past it idle ones are dropped.
const MAX_BUCKETS: usize = 100_000;

impl RateLimiter {
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter { limit, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from `key`'s bucket at `now`; Err(wait, report)
    /// when it is empty, `report` once a minute per key.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), (Duration, bool)> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            let full = self.limit.burst;
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * self.limit.per_sec < full);
        }
        let b = buckets.entry(key.to_string()).or_insert(Bucket { tokens: self.limit.burst, at: now, reported: None });
        let refill = now.saturating_duration_since(b.at).as_secs_f64() * self.limit.per_sec;
        b.tokens = (b.tokens + refill).min(self.limit.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Ok(());
        }
        let wait = Duration::from_secs_f64((1.0 - b.tokens) / self.limit.per_sec.max(1e-9));
        let report = b.reported.is_none_or(|r| now.duration_since(r) >= Duration::from_secs(60));
        if report {
            b.reported = Some(now);
        }
        Err((wait, report))
    }
}

pub use crate::store::security_events::{events_since, SecurityEvent};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// From (ms since the epoch; default: the last 24 hours).
    pub from_ms: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_start_at_the_fifth_failure_and_double_to_an_hour() {
        let locks: Vec<i64> = (0..=13).map(lock_secs).collect();
        assert_eq!(&locks[..8], [0, 0, 0, 0, 0, 30, 60, 120]);
        assert_eq!(locks[12], 3600);
        assert_eq!(lock_secs(1_000), 3600);
    }

    #[test]
    fn a_token_bucket_allows_its_burst_then_its_rate() {
        let limiter = RateLimiter::new(RateLimit { per_sec: 2.0, burst: 3.0 });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take("a", t0).is_ok());
        }
        let (wait, report) = limiter.take("a", t0).unwrap_err();
        assert!(report && (wait.as_secs_f64() - 0.5).abs() < 1e-6, "{wait:?}");
        assert!(!limiter.take("a", t0).unwrap_err().1, "reported once a minute");
        assert!(limiter.take("b", t0).is_ok(), "buckets are per token");
        assert!(limiter.take("a", t0 + Duration::from_millis(500)).is_ok(), "refilled at 2/s");
        assert!(limiter.take("a", t0 + Duration::from_millis(500)).is_err());
    }
}
