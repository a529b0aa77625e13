//! What every request handler shares.

use crate::auth::JwtVerifier;
use ame_storage::Storage;
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
}

impl AppState {
    /// State with API-key authentication only and a 60-second idempotency lease.
    pub fn new(storage: Storage) -> Self {
        Self {
            storage,
            jwt: None,
            idempotency_lease: Duration::from_secs(60),
        }
    }

    /// Also accepts user JWTs checked by `verifier`.
    pub fn with_jwt(mut self, verifier: JwtVerifier) -> Self {
        self.jwt = Some(verifier);
        self
    }
}
