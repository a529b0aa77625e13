//! `ame`: the Autonomous Marketing Engine server and administration commands.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use ame_api::{AppState, JwtVerifier};
use ame_domain::{ApiKeyId, MemberRole, OrgId, UserId};
use ame_generation::openai::{OpenAiClient, OpenAiConfig};
use ame_generation::speech::{EspeakNg, Piper, SpeechSynthesizer};
use ame_generation::{BuiltInModel, Generator, RemoteModel, TextModel};
use ame_storage::{
    ApiKeyRepository, Backend, BlobStore, ObjectBlobs, OrganizationRepository, Storage,
};
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

/// Default database: an SQLite file in the working directory, created on first use.
const DEFAULT_DATABASE_URL: &str = "sqlite://ame.db?mode=rwc";

#[derive(Parser)]
#[command(name = "ame", version, about = "AME, the Autonomous Marketing Engine")]
struct Cli {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "AME_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    database_url: String,

    /// Log format.
    #[arg(long, env = "AME_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Where rendered files go and who writes and speaks the assets.
#[derive(clap::Args)]
struct GenerationArgs {
    /// Where rendered files (HTML, PNG, WAV) are stored: a directory, or `s3://bucket/prefix`
    /// (credentials and endpoint from the `AWS_*` variables).
    #[arg(long, env = "AME_BLOB_STORE", default_value = "./ame-data")]
    blob_store: String,
    /// Base URL of an OpenAI-compatible chat-completions API (e.g. `http://127.0.0.1:8000/v1`);
    /// without it the built-in copywriter writes every asset.
    #[arg(long, env = "AME_TEXT_MODEL_URL")]
    text_model_url: Option<String>,
    /// Model name sent to the text model API.
    #[arg(long, env = "AME_TEXT_MODEL", default_value = "gpt-4o-mini")]
    text_model: String,
    /// Bearer token for the text model API.
    #[arg(long, env = "AME_TEXT_MODEL_API_KEY", hide_env_values = true)]
    text_model_api_key: Option<String>,
    /// Seconds each text model request may take before it is retried (then the built-in
    /// copywriter steps in).
    #[arg(long, env = "AME_TEXT_MODEL_TIMEOUT", default_value_t = 60)]
    text_model_timeout: u64,
    /// Most tokens the text model may write for one asset.
    #[arg(long, env = "AME_TEXT_MODEL_MAX_TOKENS", default_value_t = 1536)]
    text_model_max_tokens: u32,
    /// Text model requests in flight at once.
    #[arg(long, env = "AME_TEXT_MODEL_CONCURRENCY", default_value_t = 4)]
    text_model_concurrency: usize,
    /// espeak-ng voice for voice ads.
    #[arg(long, env = "AME_ESPEAK_VOICE", default_value = "en-us")]
    espeak_voice: String,
    /// Piper voice model (`.onnx`); when set, voice ads are spoken by Piper instead of espeak-ng.
    #[arg(long, env = "AME_PIPER_MODEL")]
    piper_model: Option<std::path::PathBuf>,
    /// The `piper` program (PyPI `piper-tts`).
    #[arg(long, env = "AME_PIPER_PROGRAM", default_value = "piper")]
    piper_program: std::path::PathBuf,
}

impl GenerationArgs {
    /// The generator and blob store these settings describe.
    fn build(&self) -> Result<(Generator, Arc<dyn BlobStore>)> {
        let blobs = ObjectBlobs::from_location(&self.blob_store)
            .with_context(|| format!("opening the blob store `{}`", self.blob_store))?;
        let text: Arc<dyn TextModel> = match &self.text_model_url {
            None => Arc::new(BuiltInModel),
            Some(url) => {
                let mut config = OpenAiConfig::new(
                    url.parse()
                        .with_context(|| format!("AME_TEXT_MODEL_URL `{url}` is not a URL"))?,
                    self.text_model.clone(),
                );
                config.api_key = self.text_model_api_key.clone();
                config.timeout = std::time::Duration::from_secs(self.text_model_timeout);
                config.max_concurrency = self.text_model_concurrency;
                config.max_tokens = self.text_model_max_tokens;
                Arc::new(RemoteModel::new(
                    OpenAiClient::new(config).context("configuring the text model")?,
                ))
            }
        };
        let speech: Arc<dyn SpeechSynthesizer> = match &self.piper_model {
            Some(model) => Arc::new(Piper::new(self.piper_program.clone(), model.clone())),
            None => Arc::new(EspeakNg::new().with_voice(self.espeak_voice.clone())),
        };
        Ok((Generator::new(text, speech), Arc::new(blobs)))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API (migrates an SQLite database first; on an empty one, creates a demo
    /// organization and prints an API key for it).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "AME_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Worker threads (default: one per CPU).
        #[arg(long, env = "AME_WORKERS")]
        workers: Option<usize>,
        /// HS256 secret for user JWTs (Supabase's JWT secret); without it only API keys work.
        #[arg(long, env = "AME_JWT_SECRET", hide_env_values = true)]
        jwt_secret: Option<String>,
        /// Expected `aud` of user JWTs.
        #[arg(long, env = "AME_JWT_AUDIENCE", default_value = "authenticated")]
        jwt_audience: String,
        /// Seconds a resolved API key is trusted without asking the database again (a key revoked
        /// through another AME process stops working within this time; 0 disables the cache).
        #[arg(long, env = "AME_API_KEY_CACHE_SECONDS", default_value_t = 5)]
        api_key_cache_seconds: u64,
        /// Seconds in-flight requests get to finish after SIGTERM.
        #[arg(long, env = "AME_SHUTDOWN_TIMEOUT", default_value_t = 30)]
        shutdown_timeout: u64,
        #[command(flatten)]
        generation: Box<GenerationArgs>,
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
    /// Leave-one-campaign-out backtest of the predictor on a results file (no database needed):
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
    },
}

/// How `ame backtest` prints its report.
#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    /// A Markdown table.
    Table,
    /// JSON.
    Json,
}

#[derive(Subcommand)]
enum ResultsCommand {
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
enum OrgCommand {
    /// Create an organization and print its id.
    Create {
        /// Display name.
        name: String,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
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
enum UserCommand {
    /// Add a user (by identity-provider id) to an organization, or change their role.
    Add {
        /// Organization id.
        #[arg(long)]
        org: uuid::Uuid,
        /// User id (the JWT `sub`).
        #[arg(long)]
        user: uuid::Uuid,
        /// owner, admin, member or viewer.
        #[arg(long)]
        role: MemberRole,
    },
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AME_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

async fn connect(url: &str) -> Result<Storage> {
    Storage::connect(url)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match cli.command {
        Command::Serve {
            bind,
            workers,
            jwt_secret,
            jwt_audience,
            api_key_cache_seconds,
            shutdown_timeout,
            generation,
        } => {
            let storage = connect(&cli.database_url).await?;
            prepare_database(&storage).await?;
            let listener =
                TcpListener::bind(bind).with_context(|| format!("listening on {bind}"))?;
            let address = listener.local_addr()?;
            if storage.backend() == Backend::Sqlite && storage.has_no_organizations().await? {
                let org = storage.organizations().create("Demo organization").await?;
                let key = storage
                    .api_keys()
                    .create(org.id, "demo", MemberRole::Owner)
                    .await?;
                say(format!("Created the demo organization {}.", org.id));
                say(format!(
                    "Its owner API key (shown only now): {}",
                    key.secret
                ));
                say(format!(
                    "  curl -H 'Authorization: Bearer {}' http://{address}/api/marketing/campaigns",
                    key.secret
                ));
            }
            say(format!("AME listens on http://{address}"));
            say(format!(
                "API documentation: http://{address}/docs/ (OpenAPI: http://{address}/api-docs/openapi.json)"
            ));
            let (generator, blobs) = generation.build()?;
            let (provider, model) = generator.text_model();
            say(format!(
                "Assets are written by {provider} ({model}); files go to {}",
                generation.blob_store
            ));
            let mut state = AppState::new(storage)
                .with_key_cache_ttl(std::time::Duration::from_secs(api_key_cache_seconds))
                .with_generator(generator)
                .with_blobs(blobs);
            // A generation through a remote model can outlast the default lease (each attempt
            // may take the whole timeout, with retries); the lease must cover it, or a client's
            // retry would take the key over and generate a second time.
            if generation.text_model_url.is_some() {
                let attempts = 3;
                let longest =
                    std::time::Duration::from_secs(generation.text_model_timeout * attempts + 60);
                state.idempotency_lease = state.idempotency_lease.max(longest);
            }
            if let Some(secret) = jwt_secret {
                state = state.with_jwt(JwtVerifier::hs256(secret.as_bytes(), &jwt_audience));
            }
            let workers = workers.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
            });
            ame_api::serve(state, listener, workers, shutdown_timeout)
                .await
                .context("serving HTTP")?;
            say("AME stopped".to_owned());
        }
        Command::Migrate {
            app_role,
            app_role_password,
        } => {
            let storage = connect(&cli.database_url).await?;
            storage.migrate().await.context("applying migrations")?;
            if let Some(role) = app_role {
                if storage.backend() != Backend::Postgres {
                    bail!("--app-role applies to PostgreSQL only");
                }
                storage
                    .provision_app_role(&role, app_role_password.as_deref())
                    .await
                    .context("setting up the application role")?;
                println!("application role `{role}` is ready");
            }
            let applied = storage.applied_migrations().await?;
            println!(
                "{} migrations applied to {}",
                applied.len(),
                redact(&cli.database_url)
            );
            storage.close().await?;
        }
        Command::Openapi => {
            let doc = ame_api::api_doc()
                .to_pretty_json()
                .context("rendering the OpenAPI document")?;
            println!("{doc}");
        }
        Command::Org {
            command: OrgCommand::Create { name },
        } => {
            let storage = ready_storage(&cli.database_url).await?;
            let org = storage.organizations().create(&name).await?;
            println!("{}", org.id);
        }
        Command::Apikey { command } => {
            let storage = ready_storage(&cli.database_url).await?;
            match command {
                ApiKeyCommand::Create { org, role, name } => {
                    let issued = storage
                        .api_keys()
                        .create(OrgId::from_uuid(org), &name, role)
                        .await?;
                    eprintln!(
                        "key {} ({role}); the secret is shown only now:",
                        issued.key.id
                    );
                    println!("{}", issued.secret);
                }
                ApiKeyCommand::Revoke { org, key } => {
                    let revoked = storage
                        .api_keys()
                        .revoke(OrgId::from_uuid(org), ApiKeyId::from_uuid(key))
                        .await?;
                    println!("revoked key {} ({})", revoked.id, revoked.display_prefix);
                }
            }
        }
        Command::User {
            command: UserCommand::Add { org, user, role },
        } => {
            let storage = ready_storage(&cli.database_url).await?;
            storage
                .organizations()
                .set_member(OrgId::from_uuid(org), UserId::from_uuid(user), role)
                .await?;
            println!("{user} is now {role} of {org}");
        }
        Command::Results {
            command: ResultsCommand::Import { file, org },
        } => {
            let campaigns = read_results_file(&file)?;
            let storage = ready_storage(&cli.database_url).await?;
            let imported =
                ame_api::results_csv::import(&storage, OrgId::from_uuid(org), &campaigns).await?;
            for i in &imported {
                let verb = if i.created { "created" } else { "updated" };
                println!(
                    "{verb} campaign {} ({}): {} records",
                    i.id, i.name, i.records
                );
            }
            println!(
                "imported {} campaigns, {} records",
                imported.len(),
                imported.iter().map(|i| i.records).sum::<usize>()
            );
        }
        Command::Backtest {
            file,
            draws,
            seed,
            format,
            report: report_file,
        } => {
            let campaigns = read_results_file(&file)?;
            let outcomes: Vec<_> = campaigns.iter().map(|c| c.outcomes()).collect();
            let report = tokio::task::spawn_blocking(move || {
                ame_prediction::backtest::leave_one_campaign_out(&outcomes, draws, seed)
            })
            .await
            .context("running the backtest")?;
            match format {
                ReportFormat::Table => {
                    println!(
                        "Leave-one-campaign-out backtest of {} ({} campaigns, {} predicted, {} draws, seed {}):",
                        file.display(),
                        report.campaigns,
                        report.predicted,
                        report.draws,
                        report.seed
                    );
                    print!("{}", report.table());
                }
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            }
            if let Some(path) = report_file {
                std::fs::write(&path, serde_json::to_vec_pretty(&report)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
    }
    Ok(())
}

/// Reads a results CSV, naming the file in any error.
fn read_results_file(file: &std::path::Path) -> Result<Vec<ame_api::results_csv::CsvCampaign>> {
    let reader =
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    ame_api::results_csv::read(reader).with_context(|| format!("reading {}", file.display()))
}

/// Prints a status line; a closed standard output (a detached service) is not an error.
fn say(line: String) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Connects and makes sure the schema is current.
async fn ready_storage(url: &str) -> Result<Storage> {
    let storage = connect(url).await?;
    prepare_database(&storage).await?;
    Ok(storage)
}

/// SQLite databases are migrated on start; a PostgreSQL database must already be migrated by an
/// administrator (`ame migrate`), since the application role may not change the schema.
async fn prepare_database(storage: &Storage) -> Result<()> {
    if storage.backend() == Backend::Sqlite {
        storage.migrate().await.context("applying migrations")?;
        return Ok(());
    }
    let pending = storage.pending_migrations().await?;
    if !pending.is_empty() {
        bail!(
            "the database lacks {} migration(s) ({}); run `ame migrate --app-role ...` as a database administrator first",
            pending.len(),
            pending.join(", ")
        );
    }
    Ok(())
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://ame:secret@db:5432/ame"),
            "postgres://ame:***@db:5432/ame"
        );
        assert_eq!(redact("postgres://ame@db/ame"), "postgres://ame@db/ame");
        assert_eq!(redact(DEFAULT_DATABASE_URL), DEFAULT_DATABASE_URL);
    }
}
