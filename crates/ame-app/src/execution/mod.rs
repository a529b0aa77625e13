//! Running campaigns: contacts and segments, the scheduler's jobs, sending email, publishing
//! posts through webhooks, tracking and the results rollup, and the worker that claims jobs.
//!
//! Everything time-dependent reads the engine's [`Clock`](crate::Clock), so tests move time
//! and call [`Worker::run_once`] instead of sleeping.

mod audience;
mod links;
mod mail;
mod outbound;
mod render;
mod rollup;
mod scheduler;
mod send;
mod sending;
mod throttle;
mod tracking;
mod webhooks;
mod worker;

pub(crate) use audience::open_email_csv;
pub use audience::{ImportReport, MAX_IMPORT_ERRORS};
pub use links::{ClickClaim, LinkSigner, MAX_TOKEN_LEN, UnsubscribeClaim};
pub use mail::{
    DkimSettings, MailError, Mailer, OutboxMailer, OutgoingEmail, SIGNED_HEADERS, SmtpMailer,
    SmtpSecurity, SmtpSettings, build_message, check_sender, dkim_public_key, generate_dkim_key,
};
pub(crate) use outbound::Outbounds;
pub use render::TemplateCache;
pub use sending::SenderCache;
pub use tracking::{ConversionInput, NewConnector, UnsubscribeOutcome};
pub use webhooks::{WEBHOOK_SECRET_PREFIX, sign_webhook};
pub use worker::{JobMetrics, JobReport, Worker, WorkerSettings};

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
    /// How variant tests weigh and promote their arms.
    pub tests: crate::optimisation::TestSettings,
    /// Per-receiving-domain rates (the big mailbox providers by default).
    pub domain_rates: ame_domain::DomainRates,
    /// Credentials for email service providers' event webhooks (bounces, complaints).
    pub provider_webhooks: crate::feedback::providers::ProviderWebhooks,
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
            tests: crate::optimisation::TestSettings::default(),
            domain_rates: ame_domain::DomainRates::default(),
            provider_webhooks: crate::feedback::providers::ProviderWebhooks::default(),
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
