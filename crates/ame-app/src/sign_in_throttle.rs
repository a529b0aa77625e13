//! Throttling dashboard sign-ins so that guessing slows down and the account's owner does not
//! get locked out (OWASP's credential-stuffing and authentication guidance: throttle by account
//! and address together, never lock an account for everyone).
//!
//! - **Account and address together**: after the third failure the next attempt from that
//!   address on that account waits 1 s, and each later failure doubles the wait (2 s, 4 s …
//!   at most 15 minutes). Someone guessing one password from one address is slowed down
//!   exponentially; the owner at another address is not touched by it.
//! - **An account under attack** (20 failures from anywhere within 15 minutes): addresses that
//!   have not failed on it are let through one at a time, one every 2 seconds. A guesser
//!   rotating addresses gets one guess every 2 seconds; the owner, at an address of their own,
//!   waits at most a moment.
//! - **An address failing across accounts** (20 failures): its attempts on accounts it has not
//!   failed on also go one at a time, one every 2 seconds, so stuffing a list of accounts is
//!   slowed while a person behind the same address still signs in to their own.
//!
//! Failures are forgotten 15 minutes after the last one, and a successful sign-in clears its
//! account-and-address record. Time comes from the engine's clock.

use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Failures of one account from one address before waits start.
pub const FREE_FAILURES: u32 = 3;
/// Failures of an account (from anywhere) or of an address (on any account) after which
/// attempts that have not failed before are let through one at a time.
pub const CEILING_FAILURES: u32 = 20;
/// The longest wait between two attempts.
pub const MAX_WAIT: TimeDelta = TimeDelta::minutes(15);
/// How often one fresh attempt is let through past a ceiling.
pub const FRESH_EVERY: TimeDelta = TimeDelta::seconds(2);
/// How long failures are remembered after the last one.
pub const FORGET_AFTER: TimeDelta = TimeDelta::minutes(15);
/// Records kept before old ones are swept out.
const MAX_RECORDS: usize = 100_000;

/// What a throttled attempt was held back by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    /// Failures of this account from this address.
    AccountFromAddress,
    /// Failures of this account from many addresses.
    Account,
    /// Failures from this address on many accounts.
    Address,
}

impl Throttled {
    /// What was throttled, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Throttled::AccountFromAddress => "failed sign-ins to this account from this address",
            Throttled::Account => "failed sign-ins to this account",
            Throttled::Address => "failed sign-ins from this address",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct State {
    pairs: HashMap<(String, Option<IpAddr>), Failures>,
    accounts: HashMap<String, Failures>,
    addresses: HashMap<IpAddr, Failures>,
    /// When a fresh attempt was last let through past an account's or an address's ceiling.
    account_slots: HashMap<String, DateTime<Utc>>,
    address_slots: HashMap<IpAddr, DateTime<Utc>>,
}

/// The sign-in throttle, in memory, shared by an engine's clones.
#[derive(Debug, Default)]
pub struct SignInThrottle {
    state: Mutex<State>,
}

fn live(failures: Option<&Failures>, now: DateTime<Utc>) -> Option<Failures> {
    failures.copied().filter(|f| now - f.last < FORGET_AFTER)
}

/// The wait after `count` failures, the last at `last`.
fn wait_after(count: u32, last: DateTime<Utc>, now: DateTime<Utc>) -> Option<TimeDelta> {
    let extra = count.checked_sub(FREE_FAILURES)?;
    let wait = TimeDelta::seconds(1i64 << extra.min(20)).min(MAX_WAIT);
    let left = last + wait - now;
    (left > TimeDelta::zero()).then_some(left)
}

/// Takes the slot at `key` if it is free at `now`, else says how long until it is.
fn take_slot<K: std::hash::Hash + Eq + Clone>(
    slots: &mut HashMap<K, DateTime<Utc>>,
    key: &K,
    now: DateTime<Utc>,
) -> Result<(), TimeDelta> {
    if let Some(last) = slots.get(key) {
        let left = *last + FRESH_EVERY - now;
        if left > TimeDelta::zero() {
            return Err(left);
        }
    }
    slots.insert(key.clone(), now);
    Ok(())
}

impl SignInThrottle {
    /// Whether an attempt on `email` from `address` may be checked at `now`; `Err` says what
    /// holds it back and for how long.
    pub fn admit(
        &self,
        email: &str,
        address: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<(), (Throttled, TimeDelta)> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let pair = (email.to_owned(), address);
        let own = live(state.pairs.get(&pair), now);
        if let Some(f) = own
            && let Some(left) = wait_after(f.count, f.last, now)
        {
            return Err((Throttled::AccountFromAddress, left));
        }
        if own.is_some() {
            // An address that has failed on this account waits its own turn, above.
            return Ok(());
        }
        let account_attacked =
            live(state.accounts.get(email), now).is_some_and(|f| f.count >= CEILING_FAILURES);
        let address_failing = address.is_some_and(|a| {
            live(state.addresses.get(&a), now).is_some_and(|f| f.count >= CEILING_FAILURES)
        });
        if account_attacked {
            take_slot(&mut state.account_slots, &email.to_owned(), now)
                .map_err(|left| (Throttled::Account, left))?;
        }
        if address_failing && let Some(a) = address {
            take_slot(&mut state.address_slots, &a, now)
                .map_err(|left| (Throttled::Address, left))?;
        }
        Ok(())
    }

    /// Records a failed attempt on `email` from `address` at `now`.
    pub fn failed(&self, email: &str, address: Option<IpAddr>, now: DateTime<Utc>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.pairs.len() > MAX_RECORDS {
            state.pairs.retain(|_, f| now - f.last < FORGET_AFTER);
            state.accounts.retain(|_, f| now - f.last < FORGET_AFTER);
            state.addresses.retain(|_, f| now - f.last < FORGET_AFTER);
            state.account_slots.retain(|_, t| now - *t < FRESH_EVERY);
            state.address_slots.retain(|_, t| now - *t < FRESH_EVERY);
        }
        fn bump(entry: Option<Failures>, now: DateTime<Utc>) -> Failures {
            Failures {
                count: entry.map_or(0, |f| f.count) + 1,
                last: now,
            }
        }
        let pair = (email.to_owned(), address);
        let next = bump(live(state.pairs.get(&pair), now), now);
        state.pairs.insert(pair, next);
        let next = bump(live(state.accounts.get(email), now), now);
        state.accounts.insert(email.to_owned(), next);
        if let Some(a) = address {
            let next = bump(live(state.addresses.get(&a), now), now);
            state.addresses.insert(a, next);
        }
    }

    /// Records a successful sign-in: its account-and-address record is cleared.
    pub fn succeeded(&self, email: &str, address: Option<IpAddr>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.pairs.remove(&(email.to_owned(), address));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap()
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn a_guesser_is_slowed_exponentially_and_the_owner_elsewhere_is_not() {
        let throttle = SignInThrottle::default();
        let mut now = start();
        let attacker = ip("203.0.113.9");
        for _ in 0..FREE_FAILURES {
            throttle.admit("ana@example.com", attacker, now).unwrap();
            throttle.failed("ana@example.com", attacker, now);
        }
        // From the third failure on: 1 s, then 2 s, 4 s, 8 s before the next guess.
        let mut waits = Vec::new();
        for _ in 0..4 {
            let (why, left) = throttle
                .admit("ana@example.com", attacker, now)
                .unwrap_err();
            assert_eq!(why, Throttled::AccountFromAddress);
            waits.push(left.num_seconds());
            now += left;
            throttle.admit("ana@example.com", attacker, now).unwrap();
            throttle.failed("ana@example.com", attacker, now);
        }
        assert_eq!(waits, [1, 2, 4, 8]);
        // Meanwhile the owner at home signs in at once.
        throttle
            .admit("ana@example.com", ip("198.51.100.7"), now)
            .unwrap();
        // A success clears the guesser's record only for its own pair.
        throttle.succeeded("ana@example.com", ip("198.51.100.7"));
        assert!(throttle.admit("ana@example.com", attacker, now).is_err());
        // Failures are forgotten after a quiet quarter of an hour.
        assert!(
            throttle
                .admit("ana@example.com", attacker, now + FORGET_AFTER)
                .is_ok()
        );
    }

    #[test]
    fn an_account_under_attack_still_lets_its_owner_in_after_a_moment() {
        let throttle = SignInThrottle::default();
        let now = start();
        // 20 addresses, one wrong guess each: the account's ceiling.
        for i in 0..CEILING_FAILURES {
            let address = ip(&format!("203.0.113.{i}"));
            throttle.admit("ana@example.com", address, now).unwrap();
            throttle.failed("ana@example.com", address, now);
        }
        // A fresh address goes through (the slot is free), the next one waits its turn.
        let owner = ip("198.51.100.7");
        throttle
            .admit("ana@example.com", ip("192.0.2.1"), now)
            .unwrap();
        let (why, left) = throttle.admit("ana@example.com", owner, now).unwrap_err();
        assert_eq!(why, Throttled::Account);
        assert!(left <= FRESH_EVERY);
        assert!(throttle.admit("ana@example.com", owner, now + left).is_ok());
        // Other accounts are untouched.
        assert!(throttle.admit("bo@example.com", owner, now).is_ok());
    }

    #[test]
    fn an_address_stuffing_accounts_is_slowed_but_its_people_still_sign_in() {
        let throttle = SignInThrottle::default();
        let now = start();
        let proxy = ip("203.0.113.50");
        for i in 0..100 {
            let email = format!("u{i}@example.com");
            if throttle.admit(&email, proxy, now).is_ok() {
                throttle.failed(&email, proxy, now);
            }
        }
        // Past 20 failures the address's attempts on new accounts go one every 2 seconds.
        let (why, _) = throttle.admit("u100@example.com", proxy, now).unwrap_err();
        assert_eq!(why, Throttled::Address);
        // A person behind the same address signs in to their own account within a moment.
        assert!(
            throttle
                .admit("ana@example.com", proxy, now + FRESH_EVERY)
                .is_ok()
        );
    }
}
