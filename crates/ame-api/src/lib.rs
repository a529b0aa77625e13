//! The AME HTTP API: thin actix-web adapters over the application layer (`ame-app`), with
//! OpenAPI (utoipa), API-key and JWT authentication, problem-details errors, idempotent
//! creation, health probes and Prometheus metrics. Every handler authenticates, parses, calls one
//! use case of the [`ame_app::Engine`] and maps the result.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod auth;
pub mod body;
pub mod extract;
pub mod files;
pub mod idempotency;
pub mod job_metrics;
pub mod jwt;
pub mod limits;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod server;
pub mod state;
pub mod upload;

pub use app::{api_doc, build_app, metrics};
pub use auth::Principal;
pub use jwt::JwtVerifier;
pub use limits::{LimitSettings, Limits};
pub use problem::Problem;
pub use server::serve;
pub use state::AppState;
