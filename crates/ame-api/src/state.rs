//! What every request handler shares.

use crate::auth::JwtVerifier;
use crate::key_cache::KeyCache;
use crate::routes::results::PredictionCache;
use ame_generation::speech::EspeakNg;
use ame_generation::{BuiltInModel, Generator};
use ame_storage::{BlobStore, ObjectBlobs, Storage};
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
    /// Writes campaign assets.
    pub generator: Generator,
    /// Where rendered files live.
    pub blobs: Arc<dyn BlobStore>,
    /// The fitted prediction history.
    pub prediction_cache: Arc<PredictionCache>,
}

impl AppState {
    /// State with API-key authentication only, a 60-second idempotency lease, resolved API
    /// keys cached for 5 seconds, the built-in generator and rendered files kept in memory.
    pub fn new(storage: Storage) -> Self {
        Self {
            storage,
            jwt: None,
            idempotency_lease: Duration::from_secs(60),
            key_cache: Arc::new(KeyCache::new(Duration::from_secs(5))),
            generator: Generator::new(Arc::new(BuiltInModel), Arc::new(EspeakNg::new())),
            blobs: Arc::new(ObjectBlobs::in_memory()),
            prediction_cache: Arc::default(),
        }
    }

    /// Keeps rendered files in `blobs` (the default keeps them in memory).
    pub fn with_blobs(mut self, blobs: Arc<dyn BlobStore>) -> Self {
        self.blobs = blobs;
        self
    }

    /// Generates assets with `generator` (the default: built-in copywriter and espeak-ng).
    pub fn with_generator(mut self, generator: Generator) -> Self {
        self.generator = generator;
        self
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
