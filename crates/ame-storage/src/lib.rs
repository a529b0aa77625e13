//! AME storage.
//!
//! Organization-scoped repositories (one async trait per aggregate) with one sea-orm
//! implementation that serves both SQLite (the embedded default) and PostgreSQL (production).
//! Every call takes the acting [`OrgId`](ame_domain::OrgId); there is no unscoped read or write.
//! On PostgreSQL each call's transaction also sets the acting principal, so the row-level-security
//! policies created by the migrations enforce the same tenant rule a second time.
//!
//! sea-orm types never leave this crate: callers see domain types and [`StorageError`].

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod accounts;
mod api_keys;
mod assets;
mod audit;
mod blobs;
mod brands;
mod campaigns;
mod consent_log;
mod contact_records;
mod contacts;
mod contacts_upsert;
mod entity;
mod error;
mod idempotency;
mod ledger;
mod opt_in;
mod optimisation;
mod organizations;
mod pages;
mod queue;
mod repository;
mod results;
mod scope;
mod scores;
mod segments;
mod statements;
mod storage;

#[cfg(any(test, feature = "mock"))]
pub use accounts::MockAccountRepository;
pub use accounts::{
    AccountRepository, LoginRecord, Membership, NewWebSession, SqlAccounts, WebSession,
};
pub use api_keys::{API_KEY_PREFIX, SqlApiKeys};
pub use assets::SqlAssets;
pub use audit::SqlAudit;
pub use blobs::{BlobError, BlobStore, BlobStream, ObjectBlobs, StoredBlob, blob_key};
pub use brands::SqlBrands;
pub use campaigns::SqlCampaigns;
pub use contacts::{ContactRepository, SqlContacts};
pub use error::{StorageError, StorageResult};
pub use idempotency::{MAX_IDEMPOTENCY_KEY_LEN, SqlIdempotency};
pub use ledger::{
    EventFacts, ExecutionRepository, NewConnectorRecord, NewTrackingEvent, PlannedSend,
    SendOutcome, SqlExecution, StoredSendingDomain, TrackingEvent,
};
pub use opt_in::DOUBLE_OPT_IN;
#[cfg(any(test, feature = "mock"))]
pub use optimisation::MockOptimisationRepository;
pub use optimisation::{
    ExperimentRow, ImportedOutcome, OptimisationRepository, SqlOptimisation, StoredModel,
};
pub use organizations::SqlOrganizations;
pub use pages::{SqlLeads, SqlPublicPages};
pub use queue::{JobQueue, SqlJobs};
pub use repository::{
    ApiKeyRepository, AssetRepository, AuditRepository, BrandRepository, CampaignRepository,
    IdempotencyClaim, IdempotencyRepository, IssuedApiKey, KeyPrincipal, LeadRecording,
    LeadRepository, NewApiKey, NewAuditEvent, OrganizationRepository, PageToPublish, PublicPage,
    PublicPageRepository, PublishedPage, ResultRepository,
};
#[cfg(any(test, feature = "mock"))]
pub use repository::{
    MockApiKeyRepository, MockAssetRepository, MockAuditRepository, MockBrandRepository,
    MockCampaignRepository, MockIdempotencyRepository, MockLeadRepository,
    MockOrganizationRepository, MockPublicPageRepository, MockResultRepository,
};
pub use results::{MAX_TOTAL_AMOUNT, SqlResults, campaign_group, org_group};
#[cfg(any(test, feature = "mock"))]
pub use scores::MockAudienceScoreRepository;
pub use scores::{AudienceScoreRepository, RankedPage, ScoreSet, SqlAudienceScores};
pub use storage::{Backend, PoolSize, Storage};
#[cfg(any(test, feature = "mock"))]
pub use {contacts::MockContactRepository, ledger::MockExecutionRepository, queue::MockJobQueue};
