//! The AME application layer: every use case, in one place, under every entry point.
//!
//! Every entry point (the HTTP API and the `ame` command line) calls the [`Engine`]'s methods;
//! none of them repeats a rule. A use case takes the [`Caller`] it acts
//! for (organization, role, credential), checks what the role allows, and works through the
//! repository traits of `ame-storage`, the generator of `ame-generation` and the predictor of
//! `ame-prediction`. Failures are typed ([`AppError`]); each entry point maps them once. Time
//! comes from an injected [`Clock`], so tests move it instead of sleeping.
//!
//! This crate knows no HTTP: nothing here depends on actix-web.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod accounts;
mod admin;
mod assets;
mod audit;
pub mod brand;
mod caller;
mod campaigns;
mod clock;
pub mod contacts;
pub mod egress;
mod engine;
mod error;
pub mod execution;
pub mod feedback;
mod gc;
mod idempotency;
mod jobs;
mod key_cache;
mod keys;
mod opt_in;
pub mod optimisation;
mod prediction;
mod public;
mod readiness;
mod repos;
mod results;
pub mod results_csv;
pub mod results_upload;
mod retry;
mod sending;
pub mod sign_in_throttle;
pub mod tracking;
pub mod worker;

pub use accounts::{
    DashboardSession, PASSWORD_LENGTH, SESSION_LIFETIME, SignInError, SignedIn, session_hash,
};
pub use admin::{DEMO_OWNER_EMAIL, DemoOrganization, prepare_database};
pub use assets::{
    DEFAULT_LEADS_LIMIT, GENERATION_STORE_WINDOW, LEADS_LIMIT_RANGE, MAX_SEED, OpenedFile,
    default_seed,
};
pub use audit::{AUDIT_LIMIT_RANGE, DEFAULT_AUDIT_LIMIT, in_request};
pub use caller::{Actor, Caller};
pub use clock::{Clock, ManualClock, SystemClock};
pub use engine::{DEFAULT_IDEMPOTENCY_LEASE, DEFAULT_KEY_CACHE_TTL, Engine};
pub use error::{AppError, AppResult};
pub use gc::{DEFAULT_GC_MIN_AGE, GcReport};
pub use idempotency::{Idempotent, IdempotentRequest, StoredReply};
pub use opt_in::ConfirmationPage;
pub use prediction::{BenchmarkSharing, DRAWS_RANGE};
pub use public::{LeadOutcome, LeadSubmission, PageView, is_page_slug};
pub use repos::{Repositories, RepositorySource, SqlRepositories};
pub use worker::{JobMetrics, JobReport, Worker, WorkerSettings};

#[cfg(test)]
mod fakes;
