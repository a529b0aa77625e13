//! The `ame` command line: its commands, flags and `AME_*` variables.

use ame_api::LimitSettings;
use ame_domain::MemberRole;
use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;

/// Default database: an SQLite file in the working directory, created on first use.
pub(crate) const DEFAULT_DATABASE_URL: &str = "sqlite://ame.db?mode=rwc";

#[derive(Parser)]
#[command(name = "ame", version, about = "AME, the Autonomous Marketing Engine")]
pub(crate) struct Cli {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "AME_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub(crate) database_url: String,

    /// Log format.
    #[arg(long, env = "AME_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub(crate) log_format: LogFormat,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// How `serve` listens and authenticates.
#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "AME_BIND", default_value = "127.0.0.1:8080")]
    pub(crate) bind: SocketAddr,
    /// Worker threads (default: one per CPU).
    #[arg(long, env = "AME_WORKERS")]
    pub(crate) workers: Option<usize>,
    /// HS256 secret for user JWTs (Supabase's JWT secret); without it only API keys work.
    #[arg(long, env = "AME_JWT_SECRET", hide_env_values = true)]
    pub(crate) jwt_secret: Option<String>,
    /// Expected `aud` of user JWTs.
    #[arg(long, env = "AME_JWT_AUDIENCE", default_value = "authenticated")]
    pub(crate) jwt_audience: String,
    /// Seconds a resolved API key is trusted without asking the database again (a key revoked
    /// through another AME process stops working within this time; 0 disables the cache).
    #[arg(long, env = "AME_API_KEY_CACHE_SECONDS", default_value_t = 5)]
    pub(crate) api_key_cache_seconds: u64,
    /// Seconds in-flight requests get to finish after SIGTERM.
    #[arg(long, env = "AME_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub(crate) shutdown_timeout: u64,
    /// Whether predictions pool results across organizations (`true`/`false`). Off, each
    /// organization learns from its own results and published benchmarks only, which is all a
    /// single-organization install has anyway; turn it on for a multi-tenant instance whose
    /// tenants agreed to share.
    #[arg(long, env = "AME_SHARED_BENCHMARKS", default_value = "false", action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) shared_benchmarks: bool,
    /// With shared benchmarks, the fewest organizations a campaign type on a channel (or the
    /// whole history) must hold before it is pooled into anyone's predictions.
    #[arg(long, env = "AME_SHARED_BENCHMARKS_MIN_ORGS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..=1000))]
    pub(crate) shared_benchmarks_min_orgs: u64,
    /// Seconds a request's `Idempotency-Key` claim lasts between the running attempt's
    /// heartbeats (one every third of it): a retry takes over a crashed attempt's work within
    /// this (default 15).
    #[arg(long, env = "AME_IDEMPOTENCY_LEASE_SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) idempotency_lease_seconds: Option<u64>,
    /// Lead form posts per minute from one client address (0: no limit).
    #[arg(long, env = "AME_RATE_LIMIT_LEADS", default_value_t = LimitSettings::default().leads_per_minute)]
    pub(crate) rate_limit_leads: u32,
    /// Unknown API keys and bad tokens per minute from one client address before its bad ones
    /// are answered 429 for a while; valid ones always work (0: no limit).
    #[arg(long, env = "AME_RATE_LIMIT_AUTH_FAILURES", default_value_t = LimitSettings::default().auth_failures_per_minute)]
    pub(crate) rate_limit_auth_failures: u32,
    /// Writes per minute with one API key or user (0: no limit).
    #[arg(long, env = "AME_RATE_LIMIT_WRITES", default_value_t = LimitSettings::default().writes_per_minute)]
    pub(crate) rate_limit_writes: u32,
    /// Asset generations and predictions with more than the default draws, per minute with one
    /// API key or user (0: no limit).
    #[arg(long, env = "AME_RATE_LIMIT_EXPENSIVE", default_value_t = LimitSettings::default().expensive_per_minute)]
    pub(crate) rate_limit_expensive: u32,
    /// Counted public tracking requests (tracked links, landing pages) per minute from one
    /// client address; past it visitors are sent on but not counted (0: no limit).
    #[arg(long, env = "AME_RATE_LIMIT_TRACKING", default_value_t = LimitSettings::default().tracking_per_minute)]
    pub(crate) rate_limit_tracking: u32,
    /// Serve Prometheus metrics at `/metrics` to requests bearing this token
    /// (`Authorization: Bearer <token>`); without it `/metrics` is off.
    #[arg(long, env = "AME_METRICS_TOKEN", hide_env_values = true)]
    pub(crate) metrics_token: Option<String>,
    /// Serve the API only: run no embedded worker (run `ame worker` processes instead).
    #[arg(long, env = "AME_NO_WORKER", default_value_t = false)]
    pub(crate) no_worker: bool,
    /// PostgreSQL connections kept open while idle, opened at start so that no request waits
    /// for a connection to be set up (a new one costs tens of milliseconds).
    #[arg(long, env = "AME_DB_MIN_CONNECTIONS", default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub(crate) db_min_connections: u32,
    /// Most PostgreSQL connections open at once.
    #[arg(long, env = "AME_DB_MAX_CONNECTIONS", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) db_max_connections: u32,
    /// Most PostgreSQL connections open at once for writes that are one statement (creating a
    /// campaign with an API key), on top of --db-max-connections.
    #[arg(long, env = "AME_DB_STATEMENT_CONNECTIONS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) db_statement_connections: u32,
}

impl ServeArgs {
    /// The abuse limits these settings ask for.
    pub(crate) fn limits(&self) -> LimitSettings {
        LimitSettings {
            leads_per_minute: self.rate_limit_leads,
            auth_failures_per_minute: self.rate_limit_auth_failures,
            writes_per_minute: self.rate_limit_writes,
            expensive_per_minute: self.rate_limit_expensive,
            tracking_per_minute: self.rate_limit_tracking,
        }
    }
}

/// Where rendered files go and who writes and speaks the assets.
/// How campaigns run: links, mail, signing and speed (for `serve` and `worker`).
#[derive(clap::Args, Clone)]
pub(crate) struct ExecutionArgs {
    /// The public base URL links in emails point to (default: `http://` and the bind address).
    #[arg(long, env = "AME_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// The sender of campaign email, e.g. `Ledgerly <news@ledgerly.com>` (checked at start;
    /// the placeholder default keeps campaigns from launching while mail goes over SMTP).
    #[arg(
        long,
        env = "AME_MAIL_FROM",
        default_value = "AME <campaigns@ame.invalid>",
        value_parser = parse_mail_from
    )]
    pub(crate) mail_from: String,
    /// The SMTP server; without it, email is written as .eml files to the file store's outbox/.
    #[arg(long, env = "AME_SMTP_HOST")]
    pub(crate) smtp_host: Option<String>,
    #[arg(long, env = "AME_SMTP_PORT", default_value_t = 587)]
    pub(crate) smtp_port: u16,
    #[arg(long, env = "AME_SMTP_SECURITY", value_enum, default_value_t = SmtpSecurityArg::Starttls)]
    pub(crate) smtp_security: SmtpSecurityArg,
    #[arg(long, env = "AME_SMTP_USERNAME")]
    pub(crate) smtp_username: Option<String>,
    #[arg(long, env = "AME_SMTP_PASSWORD", hide_env_values = true)]
    pub(crate) smtp_password: Option<String>,
    #[arg(long, env = "AME_SMTP_TIMEOUT_SECONDS", default_value_t = 30)]
    pub(crate) smtp_timeout_seconds: u64,
    /// DKIM: the selector, the signing domain and the private key file (PKCS#1 PEM for RSA,
    /// base64 for Ed25519).
    #[arg(long, env = "AME_DKIM_SELECTOR", requires_all = ["dkim_domain", "dkim_key_file"])]
    pub(crate) dkim_selector: Option<String>,
    #[arg(long, env = "AME_DKIM_DOMAIN")]
    pub(crate) dkim_domain: Option<String>,
    #[arg(long, env = "AME_DKIM_KEY_FILE")]
    pub(crate) dkim_key_file: Option<std::path::PathBuf>,
    #[arg(long, env = "AME_DKIM_ED25519", default_value_t = false)]
    pub(crate) dkim_ed25519: bool,
    /// The secret signing tracked and unsubscribe links (every process of a deployment needs
    /// the same); default: one kept in the file store at secrets/link-signing.key.
    #[arg(long, env = "AME_LINK_SECRET", hide_env_values = true)]
    pub(crate) link_secret: Option<String>,
    /// Messages per minute per organization, paced evenly (a second's worth at most at once);
    /// 0 lifts the limit.
    #[arg(long, env = "AME_SEND_RATE", default_value_t = 600)]
    pub(crate) send_rate: u32,
    /// Messages per minute per organization to each big mailbox provider (google, microsoft,
    /// yahoo, apple: 300 each by default) or named domain, e.g. `google=120,example.org=30`;
    /// 0 lifts a limit.
    #[arg(long, env = "AME_DOMAIN_RATES", default_value = "", value_parser = parse_domain_rates)]
    pub(crate) domain_rates: ame_domain::DomainRates,
    /// Networks (CIDR), addresses and host names webhook connectors may reach although they
    /// are private or internal, e.g. `10.20.0.0/16,hooks.corp.example` (empty: public
    /// addresses only, https:// only).
    #[arg(long, env = "AME_EGRESS_ALLOW", default_value = "", value_parser = ame_app::egress::EgressPolicy::parse)]
    pub(crate) egress_allow: ame_app::egress::EgressPolicy,
    /// The fewest local days between two steps of a sequence to one contact: steps a late
    /// start, a pause or retries found overdue go one at a time, at least this far apart (and
    /// never closer than the plan's own gap).
    #[arg(long, env = "AME_MIN_STEP_GAP_DAYS", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=365))]
    pub(crate) min_step_gap_days: u32,
    /// Sending-side failures in a row (connecting, TLS, logging in, a refused sender) after
    /// which an organization's sending pauses until an owner or admin resumes it; 0 never pauses.
    #[arg(long, env = "AME_PAUSE_AFTER_FAILURES", default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub(crate) pause_after_failures: u32,
    /// Variant tests: exposures every arm gets before the weights move from an equal split.
    #[arg(long, env = "AME_TEST_BURN_IN", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub(crate) test_burn_in: u64,
    /// Variant tests: the weights are refreshed after this many new exposures...
    #[arg(long, env = "AME_TEST_REFRESH_EXPOSURES", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub(crate) test_refresh_exposures: u64,
    /// ...or after this many minutes, whichever comes first.
    #[arg(long, env = "AME_TEST_REFRESH_MINUTES", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_080))]
    pub(crate) test_refresh_minutes: u64,
    /// Jobs one worker runs at once.
    #[arg(long = "concurrency", env = "AME_WORKER_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub(crate) concurrency: u64,
    /// How long a claimed job is held before another worker may take it over (renewed every
    /// third of it while the job runs): how long a worker's death delays what it held.
    #[arg(long, env = "AME_JOB_LEASE_SECONDS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(5..=3600))]
    pub(crate) job_lease_seconds: u64,
    /// The bounce mailbox, read for delivery status notifications and abuse reports:
    /// `imaps://user:password@imap.example.com/INBOX` (plain `imap://` only to loopback).
    #[arg(long, env = "AME_BOUNCE_MAILBOX", hide_env_values = true)]
    pub(crate) bounce_mailbox: Option<String>,
    /// SendGrid's event webhook verification key (base64), to take its signed events at
    /// /webhooks/email-events/sendgrid.
    #[arg(long, env = "AME_SENDGRID_WEBHOOK_KEY")]
    pub(crate) sendgrid_webhook_key: Option<String>,
    /// Mailgun's webhook signing key, to take its events at /webhooks/email-events/mailgun.
    #[arg(long, env = "AME_MAILGUN_WEBHOOK_SIGNING_KEY", hide_env_values = true)]
    pub(crate) mailgun_webhook_signing_key: Option<String>,
    /// `user:password` that Postmark's webhook URL carries (basic authentication), to take its
    /// events at /webhooks/email-events/postmark.
    #[arg(long, env = "AME_POSTMARK_WEBHOOK_CREDENTIALS", hide_env_values = true)]
    pub(crate) postmark_webhook_credentials: Option<String>,
    /// SNS topic ARNs (comma-separated) whose Amazon SES notifications are taken at
    /// /webhooks/email-events/amazon-ses.
    #[arg(long, env = "AME_SES_TOPIC_ARNS", value_delimiter = ',')]
    pub(crate) ses_topic_arns: Vec<String>,
    /// Seconds between two reads of the bounce mailbox.
    #[arg(long, env = "AME_BOUNCE_MAILBOX_INTERVAL_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(5..=86_400))]
    pub(crate) bounce_mailbox_interval_seconds: u64,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SmtpSecurityArg {
    Starttls,
    Tls,
    None,
}

#[derive(clap::Args)]
pub(crate) struct GenerationArgs {
    /// Where rendered files (HTML, PNG, WAV) are stored: a directory, or `s3://bucket/prefix`
    /// (credentials and endpoint from the `AWS_*` variables).
    #[arg(long, env = "AME_BLOB_STORE", default_value = "./ame-data")]
    pub(crate) blob_store: String,
    /// Base URL of an OpenAI-compatible chat-completions API (e.g. `http://127.0.0.1:8000/v1`);
    /// without it the built-in copywriter writes every asset.
    #[arg(long, env = "AME_TEXT_MODEL_URL")]
    pub(crate) text_model_url: Option<String>,
    /// Model name sent to the text model API.
    #[arg(long, env = "AME_TEXT_MODEL", default_value = "gpt-4o-mini")]
    pub(crate) text_model: String,
    /// Bearer token for the text model API.
    #[arg(long, env = "AME_TEXT_MODEL_API_KEY", hide_env_values = true)]
    pub(crate) text_model_api_key: Option<String>,
    /// Seconds each text model request may take before it is retried (then the built-in
    /// copywriter steps in).
    #[arg(long, env = "AME_TEXT_MODEL_TIMEOUT", default_value_t = 60)]
    pub(crate) text_model_timeout: u64,
    /// Most tokens the text model may write for one asset.
    #[arg(long, env = "AME_TEXT_MODEL_MAX_TOKENS", default_value_t = 1536)]
    pub(crate) text_model_max_tokens: u32,
    /// Text model requests in flight at once.
    #[arg(long, env = "AME_TEXT_MODEL_CONCURRENCY", default_value_t = 4)]
    pub(crate) text_model_concurrency: usize,
    /// espeak-ng voice for voice ads.
    #[arg(long, env = "AME_ESPEAK_VOICE", default_value = "en-us")]
    pub(crate) espeak_voice: String,
    /// Piper voice model (`.onnx`); when set, voice ads are spoken by Piper instead of espeak-ng.
    #[arg(long, env = "AME_PIPER_MODEL")]
    pub(crate) piper_model: Option<std::path::PathBuf>,
    /// The `piper` program (PyPI `piper-tts`).
    #[arg(long, env = "AME_PIPER_PROGRAM", default_value = "piper")]
    pub(crate) piper_program: std::path::PathBuf,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run the HTTP API (migrates an SQLite database first; on an empty one, creates a demo
    /// organization and prints an API key for it).
    Serve {
        #[command(flatten)]
        settings: ServeArgs,
        #[command(flatten)]
        generation: Box<GenerationArgs>,
        #[command(flatten)]
        execution: Box<ExecutionArgs>,
    },
    /// Run campaigns without serving the API: claim due jobs (starts, launches, sends, posts,
    /// rollups, retraining) from the shared database and run them, as many processes as you
    /// like beside `ame serve --no-worker`; stops cleanly on SIGTERM or Ctrl-C.
    Worker {
        #[command(flatten)]
        generation: Box<GenerationArgs>,
        #[command(flatten)]
        execution: Box<ExecutionArgs>,
    },
    /// Manage contacts from files.
    Contacts {
        #[command(subcommand)]
        command: ContactsCommand,
    },
    /// Import a campaign's outcome records (who was treated or held out, who clicked and
    /// converted, which variants they saw) from a CSV file.
    Outcomes {
        #[command(subcommand)]
        command: OutcomesCommand,
    },
    /// Apply pending database migrations.
    Migrate {
        /// On PostgreSQL, also create or update this ordinary login role for the application to
        /// connect as (not superuser, not BYPASSRLS, member of `authenticated`).
        #[arg(long, env = "AME_APP_ROLE")]
        app_role: Option<String>,
        /// Password for `--app-role`.
        #[arg(long, env = "AME_APP_ROLE_PASSWORD", requires = "app_role")]
        app_role_password: Option<String>,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Remove rendered files no asset or published page refers to any more (those of deleted
    /// campaigns, or of generations that crashed before storing their set).
    Gc {
        /// Where rendered files are stored (as for `serve`).
        #[arg(long, env = "AME_BLOB_STORE", default_value = "./ame-data")]
        blob_store: String,
        /// Leave unreferenced files younger than this many minutes (a generation in flight may be
        /// about to refer to them).
        #[arg(long, default_value_t = 60)]
        min_age_minutes: u64,
    },
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage organization API keys.
    Apikey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Manage organization members.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import recorded campaign results.
    Results {
        #[command(subcommand)]
        command: ResultsCommand,
    },
    /// Leave-one-out backtest of the predictor on a results file (no database needed):
    /// interval coverage and median absolute percentage error per stage, against two baselines.
    Backtest {
        /// A results CSV (the import format; an `org` column groups campaigns into organizations).
        file: std::path::PathBuf,
        /// Monte Carlo draws per prediction.
        #[arg(long, default_value_t = 2000)]
        draws: usize,
        /// Random seed.
        #[arg(long, default_value_t = 20261126)]
        seed: u64,
        /// Output: a Markdown table, or JSON.
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        report: Option<std::path::PathBuf>,
        /// What each prediction holds out: the campaign alone, or its whole group (the `org`
        /// column), predicting it as a newcomer's.
        #[arg(long, value_enum, default_value = "campaign")]
        hold_out: HoldOutArg,
    },
}

/// What `ame backtest` holds out for each prediction.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum HoldOutArg {
    /// The campaign alone.
    Campaign,
    /// The campaign's whole group (organization).
    Group,
}

/// How `ame backtest` prints its report.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ReportFormat {
    /// A Markdown table.
    Table,
    /// JSON.
    Json,
}

#[derive(Subcommand)]
pub(crate) enum ResultsCommand {
    /// Import a results CSV into an organization: one completed campaign per distinct
    /// `campaign` value (reused when imported before), records upserted (importing twice changes
    /// nothing).
    Import {
        /// The CSV file (columns in docs/prediction.md).
        file: std::path::PathBuf,
        /// Organization id.
        #[arg(long)]
        org: uuid::Uuid,
    },
}

#[derive(Subcommand)]
pub(crate) enum ContactsCommand {
    /// Import contacts from a CSV file with a header row: `email` (required), `first_name`,
    /// `time_zone` (an IANA name such as `Europe/London`), `locale`, `consent` (`subscribed`,
    /// `unsubscribed`, `bounced` or `complained`); every other column is an attribute (numbers
    /// and `true`/`false` typed, empty cells left out). Every row is checked first and nothing
    /// is written if any is wrong; a contact who unsubscribed is never subscribed again.
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
        /// The organization the contacts belong to.
        #[arg(long)]
        org: uuid::Uuid,
    },
}

#[derive(Subcommand)]
pub(crate) enum OutcomesCommand {
    /// Read FILE (columns `email`, `group`, `clicked`, `converted`, `value`, `variant:FIELD`),
    /// check every row, then write them all in one transaction or none.
    Import {
        file: std::path::PathBuf,
        /// The campaign the outcomes belong to.
        #[arg(long)]
        campaign: uuid::Uuid,
        /// The campaign's organization.
        #[arg(long)]
        org: uuid::Uuid,
    },
}

#[derive(Subcommand)]
pub(crate) enum OrgCommand {
    /// Create an organization and print its id.
    Create {
        /// Display name.
        name: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum ApiKeyCommand {
    /// Issue an API key and print its secret (shown only once).
    Create {
        /// Organization id.
        #[arg(long)]
        org: uuid::Uuid,
        /// What the key may do: owner, admin, member or viewer.
        #[arg(long, default_value = "member")]
        role: MemberRole,
        /// What the key is for.
        #[arg(long, default_value = "command line")]
        name: String,
    },
    /// Revoke an API key.
    Revoke {
        /// Organization id.
        #[arg(long)]
        org: uuid::Uuid,
        /// Key id.
        #[arg(long)]
        key: uuid::Uuid,
    },
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Add a person to an organization, or change their role: a dashboard account by email
    /// (with a password read from standard input), or an identity-provider user by id.
    Add {
        /// Organization id.
        #[arg(long)]
        org: uuid::Uuid,
        /// User id (the JWT `sub`), for people who sign in through your identity provider.
        #[arg(long, required_unless_present = "email", conflicts_with = "email")]
        user: Option<uuid::Uuid>,
        /// Email address of a dashboard account (created if new).
        #[arg(long)]
        email: Option<String>,
        /// owner, admin, member or viewer.
        #[arg(long)]
        role: MemberRole,
        /// Read the account's password (12 to 256 characters) from standard input; this also
        /// signs the person out everywhere.
        #[arg(long, requires = "email")]
        password_stdin: bool,
    },
    /// Remove a person from an organization: the API keys they issued stop working and their
    /// dashboard sessions there end.
    Remove {
        /// Organization id.
        #[arg(long)]
        org: uuid::Uuid,
        /// User id (the JWT `sub`).
        #[arg(long, required_unless_present = "email", conflicts_with = "email")]
        user: Option<uuid::Uuid>,
        /// Email address of a dashboard account.
        #[arg(long)]
        email: Option<String>,
    },
}

/// Accepts only a sender lettre can write, with a domain.
fn parse_mail_from(text: &str) -> Result<String, String> {
    ame_app::execution::check_sender(text).map(|()| text.to_owned())
}

/// Reads `AME_DOMAIN_RATES` over the built-in provider rates.
fn parse_domain_rates(spec: &str) -> Result<ame_domain::DomainRates, String> {
    ame_domain::DomainRates::parse(spec).map_err(|e| e.to_string())
}
