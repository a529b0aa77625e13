//! The [`Engine`]: the one service object every entry point (the HTTP handlers, the command
//! line) calls. It holds the repositories, blob storage, the generator, the
//! fitted prediction history, the API key cache and the clock; the use cases are its methods,
//! one module per area.

use crate::caller::Caller;
use crate::clock::{Clock, SystemClock};
use crate::execution::{Execution, ExecutionSettings};
use crate::feedback::providers::ProviderWebhooks;
use crate::key_cache::KeyCache;
use crate::prediction::{BenchmarkSharing, PredictionCache};
use crate::repos::{Repositories, RepositorySource, SqlRepositories};
use crate::worker::JobMetrics;
use ame_generation::speech::EspeakNg;
use ame_generation::{BuiltInModel, Generator};
use ame_storage::{BlobStore, ObjectBlobs, Storage, StorageResult};
use std::sync::Arc;
use std::time::Duration;

/// How long an unfinished idempotent request's claim on its key lasts without a heartbeat: the
/// running attempt renews it every third of it, so a crashed attempt's key is free again
/// within this.
pub const DEFAULT_IDEMPOTENCY_LEASE: Duration = Duration::from_secs(15);
/// How long a resolved API key is trusted without asking the database again, by default.
pub const DEFAULT_KEY_CACHE_TTL: Duration = Duration::from_secs(5);

/// The application: every use case, over injected storage, generator, blob store and clock.
#[derive(Debug, Clone)]
pub struct Engine {
    source: Arc<dyn RepositorySource>,
    blobs: Arc<dyn BlobStore>,
    generator: Generator,
    predictions: Arc<PredictionCache>,
    sharing: BenchmarkSharing,
    lease: Option<Duration>,
    clock: Arc<dyn Clock>,
    key_cache: Arc<KeyCache>,
    executor: Execution,
    provider_webhooks: Arc<ProviderWebhooks>,
    job_metrics: Arc<JobMetrics>,
    sign_in_throttle: crate::accounts::SharedThrottle,
}

impl Engine {
    /// An engine over the database `storage`, with the built-in copywriter, espeak-ng, rendered
    /// files kept in memory, the system clock and API keys cached for 5 seconds.
    pub fn new(storage: Storage) -> Self {
        Self::with_repositories(Arc::new(SqlRepositories::new(storage)))
    }

    /// An engine over any repository source (the database, or fakes in tests).
    pub fn with_repositories(source: Arc<dyn RepositorySource>) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let blobs: Arc<dyn BlobStore> = Arc::new(ObjectBlobs::in_memory());
        let executor = Execution::new(
            source.service(),
            Arc::new(ExecutionSettings::default()),
            blobs.clone(),
            clock.clone(),
        );
        Self {
            source,
            blobs,
            generator: Generator::new(Arc::new(BuiltInModel), Arc::new(EspeakNg::new())),
            predictions: Arc::default(),
            sharing: BenchmarkSharing::default(),
            lease: None,
            key_cache: Arc::new(KeyCache::new(DEFAULT_KEY_CACHE_TTL, clock.clone())),
            clock,
            executor,
            provider_webhooks: Arc::default(),
            job_metrics: Arc::default(),
            sign_in_throttle: Arc::default(),
        }
    }

    /// Keeps rendered files in `blobs`.
    pub fn with_blobs(mut self, blobs: Arc<dyn BlobStore>) -> Self {
        self.blobs = blobs;
        self.with_executor(None)
    }

    /// Rebuilds the execution service after its settings (`Some`), the blob store or the clock
    /// changed.
    fn with_executor(mut self, settings: Option<ExecutionSettings>) -> Self {
        let settings = settings.map_or_else(|| self.executor.settings_shared(), Arc::new);
        self.executor = Execution::new(
            self.source.service(),
            settings,
            self.blobs.clone(),
            self.clock.clone(),
        );
        self
    }

    /// Generates assets with `generator`.
    pub fn with_generator(mut self, generator: Generator) -> Self {
        self.generator = generator;
        self
    }

    /// Tells time by `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.key_cache = Arc::new(KeyCache::new(self.key_cache.ttl(), clock.clone()));
        self.clock = clock;
        self.with_executor(None)
    }

    /// Caches resolved API keys for `ttl` (zero: resolve every request).
    pub fn with_key_cache_ttl(mut self, ttl: Duration) -> Self {
        self.key_cache = Arc::new(KeyCache::new(ttl, self.clock.clone()));
        self
    }

    /// The generator's text model: provider and model names.
    pub fn text_model(&self) -> (&str, &str) {
        self.generator.text_model()
    }

    /// How long an unfinished idempotent request's claim lasts between heartbeats: a live
    /// attempt renews it every third of it however long the work takes, and a crashed
    /// attempt's key is taken over by a retry within it.
    pub fn idempotency_lease(&self) -> Duration {
        self.lease.unwrap_or(DEFAULT_IDEMPOTENCY_LEASE)
    }

    /// Sets the idempotency lease: how long a claimed key is held between heartbeats before a
    /// retry may take over a crashed attempt's work.
    pub fn with_idempotency_lease(mut self, lease: Duration) -> Self {
        self.lease = Some(lease);
        self
    }

    /// Runs campaigns with `settings` (link secret, mailer, public URL, sender, send rate).
    pub fn with_execution(self, settings: ExecutionSettings) -> Self {
        self.with_executor(Some(settings))
    }

    /// With credentials for email providers' event webhooks.
    pub fn with_provider_webhooks(mut self, webhooks: ProviderWebhooks) -> Self {
        self.provider_webhooks = Arc::new(webhooks);
        self
    }

    /// The credentials of email providers' event webhooks.
    pub(crate) fn provider_webhooks(&self) -> &ProviderWebhooks {
        &self.provider_webhooks
    }

    /// The execution settings.
    pub fn execution(&self) -> &ExecutionSettings {
        self.executor.settings()
    }

    /// The service that runs the scheduler's jobs.
    pub(crate) fn executor(&self) -> &Execution {
        &self.executor
    }

    /// Jobs this process settled, by kind and outcome.
    pub fn job_metrics(&self) -> &JobMetrics {
        &self.job_metrics
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> StorageResult<()> {
        self.source.ping().await
    }

    /// Repositories acting for `caller`: API keys through the organization's service principal,
    /// users as themselves.
    pub(crate) fn repos(&self, caller: &Caller) -> Repositories {
        match caller.user() {
            Some(user) => self.source.acting_as(user),
            None => self.source.service(),
        }
    }

    /// Repositories acting as the service principal (command line, visitors of public pages).
    /// The engine clock's current time.
    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Throttles dashboard sign-ins with `throttle` (shared by this engine's clones).
    pub fn with_sign_in_throttle(
        mut self,
        throttle: crate::sign_in_throttle::SignInThrottle,
    ) -> Self {
        self.sign_in_throttle = Arc::new(throttle);
        self
    }

    pub(crate) fn sign_in_throttle(&self) -> &crate::sign_in_throttle::SignInThrottle {
        &self.sign_in_throttle
    }

    pub(crate) fn service_repos(&self) -> Repositories {
        self.source.service()
    }

    pub(crate) fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.blobs
    }

    pub(crate) fn generator(&self) -> &Generator {
        &self.generator
    }

    /// Sets how far predictions pool results across organizations.
    pub fn with_benchmark_sharing(mut self, sharing: BenchmarkSharing) -> Self {
        self.sharing = sharing;
        self
    }

    /// How far predictions pool results across organizations.
    pub fn benchmark_sharing(&self) -> BenchmarkSharing {
        self.sharing
    }

    pub(crate) fn predictions(&self) -> &PredictionCache {
        &self.predictions
    }

    pub(crate) fn key_cache(&self) -> &KeyCache {
        &self.key_cache
    }

    /// Repositories acting as `user` (authentication, before a caller exists).
    pub(crate) fn repos_acting_as(&self, user: ame_domain::UserId) -> Repositories {
        self.source.acting_as(user)
    }
}
