//! `ame serve`: the HTTP API over the engine, with the demo organization on a fresh embedded
//! database.

use super::{ready_storage_with, say};
use crate::cli::{ExecutionArgs, GenerationArgs, ServeArgs};
use ame_api::{AppState, JwtVerifier};
use ame_app::{BenchmarkSharing, Engine};
use ame_generation::openai::{OpenAiClient, OpenAiConfig};
use ame_generation::speech::{EspeakNg, Piper, SpeechSynthesizer};
use ame_generation::{BuiltInModel, Generator, RemoteModel, TextModel};
use ame_storage::{BlobStore, ObjectBlobs};
use anyhow::{Context, Result};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// Serves the API until SIGINT or SIGTERM.
pub(super) async fn serve(
    url: &str,
    settings: ServeArgs,
    generation: &GenerationArgs,
    execution: &ExecutionArgs,
) -> Result<()> {
    if settings.db_min_connections > settings.db_max_connections {
        anyhow::bail!(
            "--db-min-connections ({}) must not exceed --db-max-connections ({})",
            settings.db_min_connections,
            settings.db_max_connections
        );
    }
    let pool = ame_storage::PoolSize {
        min: settings.db_min_connections,
        max: settings.db_max_connections,
        statements: settings.db_statement_connections,
    };
    let storage = ready_storage_with(url, pool).await?;
    let listener = TcpListener::bind(settings.bind)
        .with_context(|| format!("listening on {}", settings.bind))?;
    let address = listener.local_addr()?;
    let (generator, blobs) = generation.build()?;
    let execution_settings =
        super::execution::execution_settings(execution, &blobs, format!("http://{address}"))
            .await?;
    let mail = execution_settings
        .mailer
        .as_ref()
        .map_or_else(|| "the outbox".to_owned(), |m| m.describe());
    let mut engine = Engine::new(storage.clone())
        .with_execution(execution_settings)
        .with_provider_webhooks(super::execution::provider_webhooks(execution)?)
        .with_key_cache_ttl(Duration::from_secs(settings.api_key_cache_seconds))
        .with_generator(generator)
        .with_blobs(blobs)
        .with_benchmark_sharing(BenchmarkSharing {
            shared: settings.shared_benchmarks,
            min_orgs: settings.shared_benchmarks_min_orgs as usize,
        });
    if let Some(seconds) = settings.idempotency_lease_seconds {
        engine = engine.with_idempotency_lease(Duration::from_secs(seconds));
    }
    if let Some(demo) = engine.bootstrap_demo(&storage).await? {
        say(format!("Created the demo organization {}.", demo.org.id));
        say(format!(
            "Its owner API key (shown only now): {}",
            demo.secret
        ));
        say(format!(
            "  curl -H 'Authorization: Bearer {}' http://{address}/api/marketing/campaigns",
            demo.secret
        ));
        say(format!(
            "Sign in to the dashboard at http://{address}/ as {} with the password (shown only now): {}",
            demo.owner_email, demo.owner_password
        ));
    }
    say(format!("AME listens on http://{address}"));
    say(format!(
        "API documentation: http://{address}/docs/ (OpenAPI: http://{address}/api-docs/openapi.json)"
    ));
    let (provider, model) = engine.text_model();
    say(format!(
        "Assets are written by {provider} ({model}); files go to {}",
        generation.blob_store
    ));
    let worker = (!settings.no_worker)
        .then(|| super::execution::worker_for(engine.clone(), execution, "embedded"));
    match &worker {
        Some(w) => say(format!(
            "An embedded worker runs campaigns ({} jobs at once); email goes to {mail}",
            w.settings().concurrency
        )),
        None => say("No embedded worker: run `ame worker` processes to run campaigns".to_owned()),
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mailbox = match &worker {
        Some(w) => super::execution::watch_bounce_mailbox(w.engine(), execution, stopped.clone())?,
        None => None,
    };
    let running = worker.map(|w| tokio::spawn(async move { w.run(stopped).await }));
    let mut state = AppState::from_engine(engine).with_limits(settings.limits());
    if let Some(token) = settings.metrics_token {
        state = state.with_metrics_token(token);
    }
    if let Some(secret) = settings.jwt_secret {
        state = state.with_jwt(JwtVerifier::hs256(
            secret.as_bytes(),
            &settings.jwt_audience,
        ));
    }
    let workers = settings
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZero::get));
    let served = ame_api::serve(state, listener, workers, settings.shutdown_timeout)
        .await
        .context("serving HTTP");
    // The server stops on SIGINT or SIGTERM; the worker finishes what it holds, then stops.
    let _ = stop.send(true);
    if let Some(running) = running {
        let _ = running.await;
    }
    if let Some(mailbox) = mailbox {
        let _ = mailbox.await;
    }
    served?;
    say("AME stopped".to_owned());
    Ok(())
}

impl GenerationArgs {
    /// The generator and blob store these settings describe.
    pub(super) fn build(&self) -> Result<(Generator, Arc<dyn BlobStore>)> {
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
