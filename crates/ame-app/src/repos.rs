//! The repositories a use case works with, as trait objects: the database's in production, mocks
//! in the unit tests of the orchestration rules.

use ame_domain::UserId;
use ame_storage::{
    AccountRepository, ApiKeyRepository, AssetRepository, AudienceScoreRepository, AuditRepository,
    BrandRepository, CampaignRepository, ContactRepository, ExecutionRepository,
    IdempotencyRepository, JobQueue, LeadRepository, OptimisationRepository,
    OrganizationRepository, PublicPageRepository, ResultRepository, Storage, StorageResult,
};
use async_trait::async_trait;
use std::fmt::Debug;
use std::sync::Arc;

/// One of each repository, all acting as the same principal.
#[derive(Clone)]
pub struct Repositories {
    /// Organizations and members.
    pub organizations: Arc<dyn OrganizationRepository>,
    /// Campaigns.
    pub campaigns: Arc<dyn CampaignRepository>,
    /// Asset sets.
    pub assets: Arc<dyn AssetRepository>,
    /// Brand profiles.
    pub brands: Arc<dyn BrandRepository>,
    /// Recorded results and the prediction history.
    pub results: Arc<dyn ResultRepository>,
    /// Leads of landing pages.
    pub leads: Arc<dyn LeadRepository>,
    /// Published pages and their lead forms (no organization).
    pub public_pages: Arc<dyn PublicPageRepository>,
    /// API keys.
    pub api_keys: Arc<dyn ApiKeyRepository>,
    /// `Idempotency-Key` records.
    pub idempotency: Arc<dyn IdempotencyRepository>,
    /// The audit log.
    pub audit: Arc<dyn AuditRepository>,
    /// Contacts and segments.
    pub contacts: Arc<dyn ContactRepository>,
    /// The job queue.
    pub jobs: Arc<dyn JobQueue>,
    /// The delivery ledger, tracking events and connectors.
    pub execution: Arc<dyn ExecutionRepository>,
    /// Outcomes, variant tests, landing-page visitors and targeting models.
    pub optimisation: Arc<dyn OptimisationRepository>,
    /// Stored rankings of campaigns' audiences.
    pub scores: Arc<dyn AudienceScoreRepository>,
    /// Dashboard passwords and sessions.
    pub accounts: Arc<dyn AccountRepository>,
}

impl Debug for Repositories {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repositories").finish_non_exhaustive()
    }
}

impl Repositories {
    /// The database's repositories, acting as `storage`'s principal.
    pub fn sql(storage: &Storage) -> Self {
        Self {
            organizations: Arc::new(storage.organizations()),
            campaigns: Arc::new(storage.campaigns()),
            assets: Arc::new(storage.assets()),
            brands: Arc::new(storage.brands()),
            results: Arc::new(storage.results()),
            leads: Arc::new(storage.leads()),
            public_pages: Arc::new(storage.public_pages()),
            api_keys: Arc::new(storage.api_keys()),
            idempotency: Arc::new(storage.idempotency()),
            audit: Arc::new(storage.audit()),
            contacts: Arc::new(storage.contacts()),
            jobs: Arc::new(storage.jobs()),
            execution: Arc::new(storage.execution()),
            optimisation: Arc::new(storage.optimisation()),
            scores: Arc::new(storage.audience_scores()),
            accounts: Arc::new(storage.accounts()),
        }
    }
}

/// Where the engine gets repositories for a caller.
#[async_trait]
pub trait RepositorySource: Send + Sync + Debug {
    /// Whether the database answers.
    async fn ping(&self) -> StorageResult<()>;
    /// Repositories acting as the organization's service principal (API keys, the command line,
    /// visitors of public pages).
    fn service(&self) -> Repositories;
    /// Repositories acting as `user`, so row-level security checks the user's own membership.
    fn acting_as(&self, user: UserId) -> Repositories;
}

/// The database as a repository source.
#[derive(Debug, Clone)]
pub struct SqlRepositories {
    storage: Storage,
    service: Repositories,
}

impl SqlRepositories {
    /// Repositories over `storage`.
    pub fn new(storage: Storage) -> Self {
        let service = Repositories::sql(&storage);
        Self { storage, service }
    }
}

#[async_trait]
impl RepositorySource for SqlRepositories {
    async fn ping(&self) -> StorageResult<()> {
        self.storage.ping().await
    }

    fn service(&self) -> Repositories {
        self.service.clone()
    }

    fn acting_as(&self, user: UserId) -> Repositories {
        Repositories::sql(&self.storage.acting_as(user))
    }
}
