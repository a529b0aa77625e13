//! What every request handler shares: the application engine and the JWT verifier.

use crate::jwt::JwtVerifier;
use ame_app::Engine;
use ame_storage::Storage;

/// Shared application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Every use case.
    pub engine: Engine,
    /// Verifier for user JWTs; `None` when only API keys are accepted.
    pub jwt: Option<JwtVerifier>,
}

impl AppState {
    /// State over `engine`, accepting API keys only.
    pub fn from_engine(engine: Engine) -> Self {
        Self { engine, jwt: None }
    }

    /// State over the database `storage` with the engine's defaults (see [`Engine::new`]),
    /// accepting API keys only.
    pub fn new(storage: Storage) -> Self {
        Self::from_engine(Engine::new(storage))
    }

    /// Also accepts user JWTs checked by `verifier`.
    pub fn with_jwt(mut self, verifier: JwtVerifier) -> Self {
        self.jwt = Some(verifier);
        self
    }
}
