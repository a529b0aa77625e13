//! What every request handler shares.

use crate::auth::JwtVerifier;
use crate::key_cache::KeyCache;
use ame_storage::Storage;
use std::sync::Arc;
use std::time::Duration;

/// Shared application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub storage: Storage,
    /// Verifier for user JWTs; `None` when only API keys are accepted.
    pub jwt: Option<JwtVerifier>,
    /// How long an unfinished idempotent request holds its key before a retry may take over.
    pub idempotency_lease: Duration,
    /// Recently resolved API keys.
    pub key_cache: Arc<KeyCache>,
}

impl AppState {
    /// State with API-key authentication only, a 60-second idempotency lease and resolved API
    /// keys cached for 5 seconds.
    pub fn new(storage: Storage) -> Self {
        Self {
            storage,
            jwt: None,
            idempotency_lease: Duration::from_secs(60),
            key_cache: Arc::new(KeyCache::new(Duration::from_secs(5))),
        }
    }

    /// Caches resolved API keys for `ttl` instead (zero: resolve every request).
    pub fn with_key_cache_ttl(mut self, ttl: Duration) -> Self {
        self.key_cache = Arc::new(KeyCache::new(ttl));
        self
    }

    /// Also accepts user JWTs checked by `verifier`.
    pub fn with_jwt(mut self, verifier: JwtVerifier) -> Self {
        self.jwt = Some(verifier);
        self
    }
}
