//! A short-lived in-process cache of resolved API keys, so a busy client does not cost a database
//! round trip per request just to be recognised.
//!
//! Entries live for [`KeyCache::ttl`] (5 s by default) and are keyed by the SHA-256 of the
//! secret, never the secret. Unknown keys are not cached. Revoking through this process evicts
//! the key at once; another process running against the same database stops accepting it within
//! the TTL.

use ame_domain::ApiKeyId;
use ame_storage::KeyPrincipal;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most entries kept; past this the cache is cleared (keys are re-resolved on next use).
const MAX_ENTRIES: usize = 10_000;

/// Resolved API keys with their expiry.
#[derive(Debug)]
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], (KeyPrincipal, Instant)>>,
}

impl KeyCache {
    /// A cache whose entries live for `ttl` (zero disables caching).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn digest(secret: &str) -> [u8; 32] {
        Sha256::digest(secret.as_bytes()).into()
    }

    /// The cached principal of `secret`, if fresh.
    pub fn get(&self, secret: &str) -> Option<KeyPrincipal> {
        let digest = Self::digest(secret);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(&digest) {
            Some((principal, expires)) if *expires > Instant::now() => Some(*principal),
            Some(_) => {
                entries.remove(&digest);
                None
            }
            None => None,
        }
    }

    /// Remembers what `secret` resolved to.
    pub fn insert(&self, secret: &str, principal: KeyPrincipal) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(Self::digest(secret), (principal, Instant::now() + self.ttl));
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
    use ame_domain::{MemberRole, OrgId};

    fn principal() -> KeyPrincipal {
        KeyPrincipal {
            key_id: ApiKeyId::new(),
            org: OrgId::new(),
            role: MemberRole::Member,
        }
    }

    #[test]
    fn entries_expire_and_can_be_evicted() {
        let cache = KeyCache::new(Duration::from_millis(30));
        let p = principal();
        cache.insert("ame_a", p);
        assert_eq!(cache.get("ame_a"), Some(p));
        assert_eq!(cache.get("ame_b"), None);
        cache.evict(p.key_id);
        assert_eq!(cache.get("ame_a"), None);
        cache.insert("ame_a", p);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get("ame_a"), None);
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = KeyCache::new(Duration::ZERO);
        cache.insert("ame_a", principal());
        assert_eq!(cache.get("ame_a"), None);
    }
}
