//! A short-lived in-process cache of resolved API keys, so a busy client does not cost a database
//! round trip per request just to be recognised.
//!
//! Entries live for the cache's time to live (5 s by default, measured on the engine's
//! [`Clock`]) and are keyed by the SHA-256 of the
//! secret, never the secret. Unknown keys are not cached. Revoking through this process evicts
//! the key at once; another process running against the same database stops accepting it within
//! the TTL.

use crate::clock::Clock;
use ame_domain::ApiKeyId;
use ame_storage::KeyPrincipal;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most entries kept; past this the cache is cleared (keys are re-resolved on next use).
const MAX_ENTRIES: usize = 10_000;

/// Resolved keys by the SHA-256 of their secret, with the instant they expire.
type Entries = HashMap<[u8; 32], (KeyPrincipal, DateTime<Utc>)>;

/// Resolved API keys with their expiry.
#[derive(Debug)]
pub struct KeyCache {
    ttl: TimeDelta,
    clock: Arc<dyn Clock>,
    entries: Mutex<Entries>,
}

impl KeyCache {
    /// A cache whose entries live for `ttl` on `clock` (zero disables caching).
    pub fn new(ttl: Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            ttl: TimeDelta::from_std(ttl).unwrap_or(TimeDelta::MAX),
            clock,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// How long an entry lives.
    pub fn ttl(&self) -> Duration {
        self.ttl.to_std().unwrap_or(Duration::MAX)
    }

    fn digest(secret: &str) -> [u8; 32] {
        Sha256::digest(secret.as_bytes()).into()
    }

    /// The cached principal of `secret`, if fresh.
    pub fn get(&self, secret: &str) -> Option<KeyPrincipal> {
        let digest = Self::digest(secret);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(&digest) {
            Some((principal, expires)) if *expires > self.clock.now() => Some(*principal),
            Some(_) => {
                entries.remove(&digest);
                None
            }
            None => None,
        }
    }

    /// Remembers what `secret` resolved to.
    pub fn insert(&self, secret: &str, principal: KeyPrincipal) {
        if self.ttl <= TimeDelta::zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let expires = self
            .clock
            .now()
            .checked_add_signed(self.ttl)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        entries.insert(Self::digest(secret), (principal, expires));
    }

    /// Forgets every key (after a membership changed: the keys its user issued must be resolved
    /// again).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Forgets a key (after it was revoked).
    pub fn evict(&self, key: ApiKeyId) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (principal, _)| principal.key_id != key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{ManualClock, SystemClock};
    use ame_domain::{MemberRole, OrgId};

    fn principal() -> KeyPrincipal {
        KeyPrincipal {
            key_id: ApiKeyId::new(),
            org: OrgId::new(),
            role: MemberRole::Member,
            issued_by_user: None,
            expires_at: None,
        }
    }

    #[test]
    fn entries_expire_and_can_be_evicted() {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let cache = KeyCache::new(Duration::from_secs(5), clock.clone());
        let p = principal();
        cache.insert("ame_a", p);
        assert_eq!(cache.get("ame_a"), Some(p));
        assert_eq!(cache.get("ame_b"), None);
        cache.evict(p.key_id);
        assert_eq!(cache.get("ame_a"), None);
        cache.insert("ame_a", p);
        clock.advance(Duration::from_millis(4_999));
        assert_eq!(cache.get("ame_a"), Some(p));
        clock.advance(Duration::from_millis(1));
        assert_eq!(cache.get("ame_a"), None);
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = KeyCache::new(Duration::ZERO, Arc::new(SystemClock));
        cache.insert("ame_a", principal());
        assert_eq!(cache.get("ame_a"), None);
    }
}
