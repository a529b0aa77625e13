//! Abuse limits: in-process token buckets (the `governor` crate, GCRA) per client address for
//! the public lead form and for unknown API keys and tokens, and per credential for writes and for expensive
//! calls (generation, large predictions). A request over its limit gets `429 Too Many Requests`
//! with `Retry-After` and a problem body saying which limit and when to come back.
//!
//! The client address is the TCP peer (an IPv6 client by its /64): behind a reverse proxy every visitor shares the proxy's
//! address, so set the per-address limits with that in mind.

use crate::problem::{ErrorCode, Problem};
use actix_web::HttpRequest;
use actix_web::http::{StatusCode, header};
use ame_app::{Actor, Caller};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many requests each limit lets through per minute (bursts up to the same number); 0
/// turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSettings {
    /// Lead form posts per client address.
    pub leads_per_minute: u32,
    /// Unknown API keys and bad tokens per client address; past it, the address's bad ones
    /// are answered 429 until the bucket refills (valid ones are never refused).
    pub auth_failures_per_minute: u32,
    /// Writes (every method but GET and HEAD) per API key or user.
    pub writes_per_minute: u32,
    /// Expensive calls (asset generation, predictions with more than the default draws) per
    /// API key or user.
    pub expensive_per_minute: u32,
    /// Counted public tracking requests (tracked links, landing pages) per client address;
    /// past it a visitor is still sent on or shown the page, but not counted.
    pub tracking_per_minute: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            leads_per_minute: 10,
            auth_failures_per_minute: 20,
            writes_per_minute: 600,
            expensive_per_minute: 30,
            tracking_per_minute: 120,
        }
    }
}

impl LimitSettings {
    /// Every limit off (tests and benchmarks that measure something else).
    pub const OFF: LimitSettings = LimitSettings {
        leads_per_minute: 0,
        auth_failures_per_minute: 0,
        writes_per_minute: 0,
        expensive_per_minute: 0,
        tracking_per_minute: 0,
    };
}

/// One keyed token bucket, forgetting idle keys now and then so memory stays bounded.
#[derive(Debug)]
struct Bucket<K: Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    checks: AtomicU64,
    name: &'static str,
}

impl<K: Hash + Eq + Clone> Bucket<K> {
    fn new(name: &'static str, per_minute: u32) -> Self {
        Self {
            limiter: NonZeroU32::new(per_minute)
                .map(|n| RateLimiter::keyed(Quota::per_minute(n).allow_burst(n))),
            checks: AtomicU64::new(0),
            name,
        }
    }

    /// Takes one token for `key`; how long to wait when there is none.
    fn take(&self, key: &K) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Who a per-credential limit counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum CallerKey {
    ApiKey(uuid::Uuid),
    User(uuid::Uuid),
}

fn caller_key(caller: &Caller) -> CallerKey {
    match caller.actor {
        Actor::ApiKey(id) => CallerKey::ApiKey(id.as_uuid()),
        Actor::User(id) => CallerKey::User(id.as_uuid()),
    }
}

/// Every limit of one server process (shared by its workers).
#[derive(Debug, Clone)]
pub struct Limits {
    leads: Arc<Bucket<IpAddr>>,
    auth_failures: Arc<Bucket<IpAddr>>,
    blocked: Arc<Mutex<HashMap<IpAddr, Instant>>>,
    /// How many addresses are in `blocked`, read without the lock so the common case (nobody
    /// blocked) costs one atomic load.
    blocked_count: Arc<AtomicU64>,
    writes: Arc<Bucket<CallerKey>>,
    expensive: Arc<Bucket<CallerKey>>,
    tracking: Arc<Bucket<IpAddr>>,
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(LimitSettings::default())
    }
}

/// The address a request came from (the TCP peer).
pub fn client_address(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip())
}

/// The network an address is limited as: an IPv4 address itself, an IPv6 address its /64 (one
/// subscriber's usual allocation, so rotating addresses inside it gains nothing).
pub fn network_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from_bits(
                v6.to_bits() & !u128::from(u64::MAX),
            )),
        },
    }
}

fn too_many(what: &str, wait: Duration) -> Problem {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        format!("too many {what}; try again in {seconds} s"),
    )
    .with_header(header::RETRY_AFTER, seconds.to_string())
}

impl Limits {
    /// Limits as `settings` say.
    pub fn new(settings: LimitSettings) -> Self {
        Self {
            leads: Arc::new(Bucket::new(
                "lead form posts from this address",
                settings.leads_per_minute,
            )),
            auth_failures: Arc::new(Bucket::new(
                "unknown API keys and tokens from this address",
                settings.auth_failures_per_minute,
            )),
            blocked: Arc::default(),
            blocked_count: Arc::default(),
            writes: Arc::new(Bucket::new(
                "writes with this credential",
                settings.writes_per_minute,
            )),
            expensive: Arc::new(Bucket::new(
                "generations and large predictions with this credential",
                settings.expensive_per_minute,
            )),
            tracking: Arc::new(Bucket::new(
                "counted tracking requests from this address",
                settings.tracking_per_minute,
            )),
        }
    }

    /// Counts a lead form post from `address` (its network, see [`network_of`]).
    pub fn lead_post(&self, address: IpAddr) -> Result<(), Problem> {
        self.leads
            .take(&network_of(address))
            .map_err(|wait| too_many(self.leads.name, wait))
    }

    /// Counts a public tracking request from `address` (its network, see [`network_of`]):
    /// whether it may still be counted (past the limit the visitor is sent on, not refused).
    pub fn tracking_counted(&self, address: IpAddr) -> bool {
        self.tracking.take(&network_of(address)).is_ok()
    }

    /// Refuses another bad key or token from `address` while it is blocked for sending too
    /// many (a valid one is never checked against this).
    pub fn check_sign_in(&self, address: IpAddr) -> Result<(), Problem> {
        if self.blocked_count.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
        match blocked.get(&address) {
            Some(until) if *until > Instant::now() => {
                Err(too_many(self.auth_failures.name, *until - Instant::now()))
            }
            Some(_) => {
                blocked.remove(&address);
                self.blocked_count
                    .store(blocked.len() as u64, Ordering::Release);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in from `address`, blocking it once its bucket is empty. Returns the
    /// refusal to answer with instead of the 401 once it is blocked.
    pub fn sign_in_failed(&self, address: IpAddr) -> Option<Problem> {
        let wait = self.auth_failures.take(&address).err()?;
        let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
        if blocked.len() > 100_000 {
            let now = Instant::now();
            blocked.retain(|_, until| *until > now);
            self.blocked_count
                .store(blocked.len() as u64, Ordering::Release);
        }
        blocked.insert(address, Instant::now() + wait);
        self.blocked_count
            .store(blocked.len() as u64, Ordering::Release);
        Some(too_many(self.auth_failures.name, wait))
    }

    /// Counts a write by `caller`.
    pub fn write(&self, caller: &Caller) -> Result<(), Problem> {
        self.writes
            .take(&caller_key(caller))
            .map_err(|wait| too_many(self.writes.name, wait))
    }

    /// Counts an expensive call by `caller`.
    pub fn expensive(&self, caller: &Caller) -> Result<(), Problem> {
        self.expensive
            .take(&caller_key(caller))
            .map_err(|wait| too_many(self.expensive.name, wait))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ame_domain::{ApiKeyId, MemberRole, OrgId};

    fn caller() -> Caller {
        Caller {
            org: OrgId::new(),
            role: MemberRole::Owner,
            actor: Actor::ApiKey(ApiKeyId::new()),
        }
    }

    #[test]
    fn a_bucket_lets_its_burst_through_then_says_when_to_return() {
        let limits = Limits::new(LimitSettings {
            leads_per_minute: 3,
            ..LimitSettings::OFF
        });
        let here = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let there = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        for _ in 0..3 {
            limits.lead_post(here).unwrap();
        }
        let refused = limits.lead_post(here).unwrap_err();
        assert_eq!(refused.status, 429);
        assert!(
            refused.detail.contains("try again in"),
            "{}",
            refused.detail
        );
        limits.lead_post(there).unwrap();
    }

    #[test]
    fn tracking_requests_past_an_address_limit_are_not_counted() {
        let limits = Limits::new(LimitSettings {
            tracking_per_minute: 5,
            ..LimitSettings::OFF
        });
        let here = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
        let counted = (0..50).filter(|_| limits.tracking_counted(here)).count();
        assert_eq!(counted, 5);
        assert!(limits.tracking_counted(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 8))));
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_64_not_by_each_address() {
        let limits = Limits::new(LimitSettings {
            tracking_per_minute: 5,
            ..LimitSettings::OFF
        });
        let rotating = (0..50u16)
            .map(|i| IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, i, 0, 0, i)));
        assert_eq!(rotating.filter(|a| limits.tracking_counted(*a)).count(), 5);
        let next_network = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1));
        assert!(limits.tracking_counted(next_network));
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(
            network_of(mapped),
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))
        );
    }

    #[test]
    fn an_address_failing_to_sign_in_is_blocked_until_its_bucket_refills() {
        let limits = Limits::new(LimitSettings {
            auth_failures_per_minute: 2,
            ..LimitSettings::OFF
        });
        let here = IpAddr::V4(Ipv4Addr::LOCALHOST);
        limits.check_sign_in(here).unwrap();
        assert!(limits.sign_in_failed(here).is_none());
        assert!(limits.sign_in_failed(here).is_none());
        assert_eq!(limits.sign_in_failed(here).unwrap().status, 429);
        assert_eq!(limits.check_sign_in(here).unwrap_err().status, 429);
        limits
            .check_sign_in(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)))
            .unwrap();
    }

    #[test]
    fn credentials_have_their_own_write_and_expensive_buckets_and_zero_is_off() {
        let limits = Limits::new(LimitSettings {
            writes_per_minute: 1,
            expensive_per_minute: 1,
            ..LimitSettings::OFF
        });
        let (a, b) = (caller(), caller());
        limits.write(&a).unwrap();
        assert_eq!(limits.write(&a).unwrap_err().status, 429);
        limits.write(&b).unwrap();
        limits.expensive(&a).unwrap();
        assert_eq!(limits.expensive(&a).unwrap_err().status, 429);
        let off = Limits::new(LimitSettings::OFF);
        assert!((0..1000).all(|_| off.tracking_counted(IpAddr::V4(Ipv4Addr::LOCALHOST))));
        for _ in 0..1000 {
            off.lead_post(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
        }
    }
}
