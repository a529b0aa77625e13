//! What every request handler shares: the application engine, the JWT verifier and the abuse
//! limits.

use crate::jwt::JwtVerifier;
use crate::limits::{LimitSettings, Limits};
use ame_app::Engine;
use ame_storage::Storage;

/// Shared application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Every use case.
    pub engine: Engine,
    /// Verifier for user JWTs; `None` when only API keys are accepted.
    pub jwt: Option<JwtVerifier>,
    /// Abuse limits (token buckets shared by every worker).
    pub limits: Limits,
    /// The bearer token `/metrics` asks for; `None` turns `/metrics` off.
    pub metrics_token: Option<String>,
}

impl AppState {
    /// State over `engine`, accepting API keys only.
    pub fn from_engine(engine: Engine) -> Self {
        Self {
            engine,
            jwt: None,
            limits: Limits::default(),
            metrics_token: None,
        }
    }

    /// State over the database `storage` with the engine's defaults (see [`Engine::new`]),
    /// accepting API keys only.
    pub fn new(storage: Storage) -> Self {
        Self::from_engine(Engine::new(storage))
    }

    /// Applies `settings` as the abuse limits.
    pub fn with_limits(mut self, settings: LimitSettings) -> Self {
        self.limits = Limits::new(settings);
        self
    }

    /// Serves `/metrics` to requests bearing `token`.
    pub fn with_metrics_token(mut self, token: impl Into<String>) -> Self {
        self.metrics_token = Some(token.into());
        self
    }

    /// Also accepts user JWTs checked by `verifier`.
    pub fn with_jwt(mut self, verifier: JwtVerifier) -> Self {
        self.jwt = Some(verifier);
        self
    }
}
