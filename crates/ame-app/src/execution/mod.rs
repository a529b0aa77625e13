//! Running campaigns: the `Execution` service that does the scheduler's jobs (start and end
//! campaigns, enrol audiences, send each message through the outbound seam, publish posts
//! through webhooks, roll results up), and the settings it runs with. It owns its
//! dependencies and knows nothing of the engine: what it needs of optimisation (a variant, an
//! audience's selection) it asks through `Decisions`.
//!
//! Everything time-dependent reads the injected [`Clock`], so tests move
//! time and call [`Worker::run_once`](crate::Worker::run_once) instead of sleeping.

mod confirm;
mod links;
mod mail;
mod outbound;
mod render;
mod rollup;
mod scheduler;
mod send;
mod sending;
mod throttle;
mod webhooks;

pub use links::{ClickClaim, LinkSigner, MAX_TOKEN_LEN, ReferralClaim, UnsubscribeClaim};
pub use mail::{
    DkimSettings, MailError, Mailer, OutboxMailer, OutgoingEmail, SIGNED_HEADERS, SmtpMailer,
    SmtpSecurity, SmtpSettings, build_message, check_sender, dkim_public_key, generate_dkim_key,
};
pub(crate) use outbound::Outbounds;
pub use render::TemplateCache;
pub(crate) use scheduler::Handled;
pub use sending::SenderCache;
pub(crate) use webhooks::new_webhook_secret;
pub use webhooks::{WEBHOOK_SECRET_PREFIX, sign_webhook};

use crate::clock::Clock;
use crate::error::AppResult;
use crate::repos::Repositories;
use ame_domain::{Campaign, CampaignId, Contact, ContactId, Group, OrgId};
use ame_prediction::bandit::BanditPolicy;
use ame_storage::BlobStore;
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use std::fmt;
use std::sync::Arc;

/// Default messages per minute per organization.
pub const DEFAULT_SEND_RATE: u32 = 600;

/// Default fewest local days between two steps of a sequence to one contact.
pub const DEFAULT_MIN_STEP_GAP_DAYS: u32 = 1;

/// How campaigns run: where links point, how messages leave, and how fast.
#[derive(Clone)]
pub struct ExecutionSettings {
    /// Signs click and unsubscribe links.
    pub signer: LinkSigner,
    /// Sends email; `None` writes `.eml` files to the blob store's `outbox/`.
    pub mailer: Option<Arc<dyn Mailer>>,
    /// The public base URL of this deployment (links in emails point here), without a
    /// trailing slash.
    pub public_url: String,
    /// The sender of campaign email, e.g. `Ledgerly <news@ledgerly.example>`.
    pub from: String,
    /// Messages per minute per organization, paced evenly (0: unlimited).
    pub send_rate_per_minute: u32,
    /// The fewest local days between two steps of a sequence to one contact, whatever the
    /// plan says (steps a late start or a pause found overdue keep at least this apart).
    pub min_step_gap_days: u32,
    /// Sending-side failures in a row after which an organization's sending pauses (0: never).
    pub pause_after_failures: u32,
    /// How often a triggered campaign looks for contacts who entered its audience.
    pub sweep_every: chrono::TimeDelta,
    /// How long a webhook receiver may take to answer.
    pub webhook_timeout: std::time::Duration,
    /// Where webhook calls may go (public addresses, plus what `AME_EGRESS_ALLOW` opens).
    pub egress: Arc<crate::egress::EgressPolicy>,
    /// How variant tests weigh and promote their arms.
    pub tests: TestSettings,
    /// Per-receiving-domain rates (the big mailbox providers by default).
    pub domain_rates: ame_domain::DomainRates,
}

impl fmt::Debug for ExecutionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutionSettings")
            .field("mailer", &self.mailer)
            .field("public_url", &self.public_url)
            .field("from", &self.from)
            .field("send_rate_per_minute", &self.send_rate_per_minute)
            .finish_non_exhaustive()
    }
}

impl Default for ExecutionSettings {
    fn default() -> Self {
        Self {
            signer: LinkSigner::random(),
            mailer: None,
            public_url: "http://127.0.0.1:8080".to_owned(),
            from: "AME <campaigns@ame.invalid>".to_owned(),
            send_rate_per_minute: DEFAULT_SEND_RATE,
            min_step_gap_days: DEFAULT_MIN_STEP_GAP_DAYS,
            pause_after_failures: ame_domain::DEFAULT_PAUSE_AFTER_FAILURES,
            sweep_every: chrono::TimeDelta::minutes(5),
            webhook_timeout: std::time::Duration::from_secs(10),
            egress: Arc::default(),
            tests: TestSettings::default(),
            domain_rates: ame_domain::DomainRates::default(),
        }
    }
}

impl ExecutionSettings {
    /// The domain of the sender address (Message-IDs end in it).
    pub fn sender_domain(&self) -> &str {
        self.from
            .rsplit_once('@')
            .map(|(_, d)| d.trim_end_matches('>').trim())
            .filter(|d| !d.is_empty())
            .unwrap_or("ame.invalid")
    }
}

/// Exposures between weight refreshes, by default.
pub const REFRESH_EVERY: u64 = 100;
/// Longest time between weight refreshes while exposures arrive, by default.
pub const REFRESH_AFTER: TimeDelta = TimeDelta::minutes(10);

/// How variant tests run: the bandit's policy (burn-in, floor, promotion) and the refresh
/// cadence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestSettings {
    /// Burn-in, floor and promotion thresholds.
    pub policy: BanditPolicy,
    /// New exposures that make the weights due for a refresh.
    pub refresh_every: u64,
    /// Time after which the weights are due for a refresh.
    pub refresh_after: TimeDelta,
}

impl Default for TestSettings {
    fn default() -> Self {
        Self {
            policy: BanditPolicy::default(),
            refresh_every: REFRESH_EVERY,
            refresh_after: REFRESH_AFTER,
        }
    }
}

/// What execution asks of optimisation while it runs a job: which variant a contact is shown,
/// and who of an audience is held out or left out by targeting.
#[async_trait]
pub(crate) trait Decisions: Send + Sync {
    /// The variant of `field` (out of `arms`) `contact` is shown, from the test's weights.
    async fn choose_variant(
        &self,
        org: OrgId,
        campaign: CampaignId,
        field: &str,
        arms: u32,
        contact: ContactId,
    ) -> AppResult<u32>;
    /// The contacts of `campaign`'s audience it writes to or holds out, each with its group.
    async fn select_audience(
        &self,
        campaign: &Campaign,
        contacts: Vec<Contact>,
    ) -> AppResult<Vec<(Contact, Group)>>;
}

/// Runs the scheduler's jobs: owns what sending needs (the service principal's repositories,
/// the execution settings, the transports, the blob store templates are read from, the
/// template and sender caches, and the clock). The [`Engine`](crate::Engine) holds one and hands
/// its jobs over; the use cases people call stay on the engine.
#[derive(Clone)]
pub(crate) struct Execution {
    repos: Repositories,
    settings: Arc<ExecutionSettings>,
    blobs: Arc<dyn BlobStore>,
    outbounds: Outbounds,
    templates: Arc<TemplateCache>,
    senders: Arc<SenderCache>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Execution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Execution")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Execution {
    /// Execution over `repos` (the service principal's) with `settings`, reading templates
    /// from `blobs` (where the outbox is too, without a mailer), telling time by `clock`.
    pub(crate) fn new(
        repos: Repositories,
        settings: Arc<ExecutionSettings>,
        blobs: Arc<dyn BlobStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let outbounds = Outbounds::new(
            settings.mailer.clone(),
            blobs.clone(),
            settings.webhook_timeout,
            settings.egress.clone(),
        );
        Self {
            repos,
            settings,
            blobs,
            outbounds,
            templates: Arc::default(),
            senders: Arc::default(),
            clock,
        }
    }

    /// The settings it runs with.
    pub(crate) fn settings(&self) -> &ExecutionSettings {
        &self.settings
    }

    /// The settings it runs with, shared.
    pub(crate) fn settings_shared(&self) -> Arc<ExecutionSettings> {
        self.settings.clone()
    }

    /// The clock's current time.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
