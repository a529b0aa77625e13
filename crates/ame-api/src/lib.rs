//! The AME HTTP API: actix-web handlers over the storage and generation crates, with OpenAPI
//! (utoipa), API-key and JWT authentication, problem-details errors, idempotent creation,
//! health probes and Prometheus metrics.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod auth;
pub mod body;
pub mod idempotency;
pub mod key_cache;
pub mod openapi;
pub mod problem;
pub mod results_csv;
pub mod routes;
pub mod server;
pub mod state;

pub use app::{api_doc, build_app, metrics};
pub use auth::{JwtVerifier, Principal};
pub use problem::Problem;
pub use server::serve;
pub use state::AppState;
