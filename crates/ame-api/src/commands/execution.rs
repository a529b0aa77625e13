//! `ame worker` (claims and runs jobs until stopped), `ame contacts import`, and the execution
//! settings `serve` and `worker` share.

use super::{connect, ready_storage, say};
use crate::cli::{
    ContactsCommand, ExecutionArgs, GenerationArgs, OutcomesCommand, SmtpSecurityArg,
};
use ame_app::Engine;
use ame_app::execution::{
    DkimSettings, ExecutionSettings, LinkSigner, Mailer, OutboxMailer, SmtpMailer, SmtpSecurity,
    SmtpSettings,
};
use ame_app::feedback::mailbox::{MailboxSettings, watch_mailbox};
use ame_app::feedback::providers::{AwsSnsCertificates, ProviderWebhooks, SnsCertificates};
use ame_app::{Worker, WorkerSettings};
use ame_storage::BlobStore;
use anyhow::{Context, Result, bail};
use std::sync::Arc;
use std::time::Duration;

/// Where the generated link secret is kept in the file store.
const LINK_SECRET_KEY: &str = "secrets/link-signing.key";

/// The link secret: `AME_LINK_SECRET`, else the one kept in the file store (created on first
/// use), so every process sharing the store signs alike and links survive restarts.
async fn link_signer(args: &ExecutionArgs, blobs: &Arc<dyn BlobStore>) -> Result<LinkSigner> {
    if let Some(secret) = &args.link_secret {
        if secret.len() < 32 {
            bail!("AME_LINK_SECRET must be at least 32 characters");
        }
        return Ok(LinkSigner::new(secret.as_bytes().to_vec()));
    }
    let read = || async {
        use futures::TryStreamExt;
        match blobs.open(LINK_SECRET_KEY).await? {
            Some((_, stream)) => {
                let chunks: Vec<bytes::Bytes> = stream.try_collect().await?;
                Ok::<_, ame_storage::BlobError>(Some(chunks.concat()))
            }
            None => Ok(None),
        }
    };
    if let Some(key) = read().await.context("reading the link secret")? {
        return Ok(LinkSigner::new(key));
    }
    let mut key = vec![0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    blobs
        .put(LINK_SECRET_KEY, bytes::Bytes::from(key))
        .await
        .context("storing the link secret")?;
    let stored = read().await.context("reading the link secret")?;
    Ok(LinkSigner::new(stored.unwrap_or_default()))
}

/// The mailer the settings describe: SMTP when a host is set, else the outbox.
fn mailer(args: &ExecutionArgs, blobs: &Arc<dyn BlobStore>) -> Result<Arc<dyn Mailer>> {
    let dkim = match (&args.dkim_selector, &args.dkim_domain, &args.dkim_key_file) {
        (Some(selector), Some(domain), Some(file)) => Some(DkimSettings {
            selector: selector.clone(),
            domain: domain.clone(),
            private_key: std::fs::read_to_string(file)
                .with_context(|| format!("reading the DKIM key {}", file.display()))?,
            ed25519: args.dkim_ed25519,
        }),
        _ => None,
    };
    Ok(match &args.smtp_host {
        Some(host) => Arc::new(
            SmtpMailer::new(SmtpSettings {
                host: host.clone(),
                port: args.smtp_port,
                security: match args.smtp_security {
                    SmtpSecurityArg::Starttls => SmtpSecurity::StartTls,
                    SmtpSecurityArg::Tls => SmtpSecurity::Tls,
                    SmtpSecurityArg::None => SmtpSecurity::None,
                },
                username: args.smtp_username.clone(),
                password: args.smtp_password.clone(),
                timeout: Duration::from_secs(args.smtp_timeout_seconds),
                dkim,
            })
            .map_err(|e| anyhow::anyhow!("configuring SMTP: {e}"))?,
        ),
        None => Arc::new(
            OutboxMailer::new(blobs.clone())
                .with_dkim(dkim)
                .map_err(|e| anyhow::anyhow!("configuring DKIM: {e}"))?,
        ),
    })
}

/// The execution settings of `args` over the file store `blobs`; `default_url` serves when no
/// public URL is set.
pub(super) async fn execution_settings(
    args: &ExecutionArgs,
    blobs: &Arc<dyn BlobStore>,
    default_url: String,
) -> Result<ExecutionSettings> {
    Ok(ExecutionSettings {
        signer: link_signer(args, blobs).await?,
        mailer: Some(mailer(args, blobs)?),
        public_url: args
            .public_url
            .clone()
            .unwrap_or(default_url)
            .trim_end_matches('/')
            .to_owned(),
        from: args.mail_from.clone(),
        send_rate_per_minute: args.send_rate,
        domain_rates: args.domain_rates.clone(),
        egress: Arc::new(args.egress_allow.clone()),
        min_step_gap_days: args.min_step_gap_days,
        pause_after_failures: args.pause_after_failures,
        tests: ame_app::optimisation::TestSettings {
            policy: ame_prediction::bandit::BanditPolicy {
                burn_in: args.test_burn_in,
                ..ame_prediction::bandit::BanditPolicy::default()
            },
            refresh_every: args.test_refresh_exposures,
            refresh_after: chrono::TimeDelta::minutes(args.test_refresh_minutes as i64),
        },
        ..ExecutionSettings::default()
    })
}

/// The email providers' webhook credentials the operator set.
pub(super) fn provider_webhooks(args: &ExecutionArgs) -> Result<ProviderWebhooks> {
    let postmark_credentials = match &args.postmark_webhook_credentials {
        Some(pair) => {
            let Some((user, password)) = pair
                .split_once(':')
                .filter(|(u, p)| !u.is_empty() && !p.is_empty())
            else {
                bail!("AME_POSTMARK_WEBHOOK_CREDENTIALS must be `user:password`");
            };
            Some((user.to_owned(), password.to_owned()))
        }
        None => None,
    };
    let ses_topics: Vec<String> = args
        .ses_topic_arns
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if let Some(bad) = ses_topics.iter().find(|t| !t.starts_with("arn:aws")) {
        bail!(
            "AME_SES_TOPIC_ARNS: `{bad}` is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
        );
    }
    Ok(ProviderWebhooks {
        sendgrid_public_key: args.sendgrid_webhook_key.clone(),
        mailgun_signing_key: args.mailgun_webhook_signing_key.clone(),
        postmark_credentials,
        sns: (!ses_topics.is_empty())
            .then(|| Arc::new(AwsSnsCertificates::new()) as Arc<dyn SnsCertificates>),
        ses_topics,
    })
}

/// A worker named after this host and process.
pub(super) fn worker_for(engine: Engine, args: &ExecutionArgs, role: &str) -> Worker {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
    let mut settings = WorkerSettings::named(format!("{host}:{}:{role}", std::process::id()));
    settings.concurrency = args.concurrency as usize;
    settings.lease = Duration::from_secs(args.job_lease_seconds);
    Worker::new(engine, settings)
}

/// Starts reading the bounce mailbox, when one is configured, until `shutdown` turns true.
pub(super) fn watch_bounce_mailbox(
    engine: &Engine,
    args: &ExecutionArgs,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(url) = &args.bounce_mailbox else {
        return Ok(None);
    };
    let settings = MailboxSettings::parse(url).context("AME_BOUNCE_MAILBOX")?;
    say(format!(
        "Bounce and complaint reports are read from {} every {} s",
        settings.describe(),
        args.bounce_mailbox_interval_seconds
    ));
    let interval = Duration::from_secs(args.bounce_mailbox_interval_seconds);
    Ok(Some(tokio::spawn(watch_mailbox(
        engine.clone(),
        settings,
        interval,
        shutdown,
    ))))
}

/// A watch that turns true on SIGINT or SIGTERM.
pub(super) fn stop_signal() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let interrupt = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(t) => t,
                    Err(_) => {
                        let _ = interrupt.await;
                        let _ = tx.send(true);
                        return;
                    }
                };
            tokio::select! {
                _ = interrupt => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = interrupt.await;
        }
        let _ = tx.send(true);
    });
    rx
}

/// `ame worker`: claims and runs jobs until SIGINT or SIGTERM, then finishes what it holds.
pub(super) async fn worker(
    url: &str,
    generation: &GenerationArgs,
    execution: &ExecutionArgs,
) -> Result<()> {
    let storage = ready_storage(url).await?;
    let (generator, blobs) = generation.build()?;
    let settings =
        execution_settings(execution, &blobs, "http://127.0.0.1:8080".to_owned()).await?;
    let mail = settings
        .mailer
        .as_ref()
        .map_or_else(|| "the outbox".to_owned(), |m| m.describe());
    let engine = Engine::new(storage)
        .with_generator(generator)
        .with_blobs(blobs)
        .with_execution(settings);
    let worker = worker_for(engine, execution, "worker");
    say(format!(
        "AME worker {} runs {} jobs at once; email goes to {mail}",
        worker.settings().id,
        worker.settings().concurrency
    ));
    let stop = stop_signal();
    let mailbox = watch_bounce_mailbox(worker.engine(), execution, stop.clone())?;
    let report = worker.run(stop).await;
    if let Some(mailbox) = mailbox {
        let _ = mailbox.await;
    }
    say(format!(
        "AME worker stopped: {} jobs done, {} postponed, {} retried, {} dead",
        report.done, report.postponed, report.retried, report.dead
    ));
    Ok(())
}

/// `ame contacts import FILE --org ID`.
pub(super) async fn contacts(url: &str, command: ContactsCommand) -> Result<()> {
    match command {
        ContactsCommand::Import { file, org } => {
            let storage = connect(url).await?;
            let engine = Engine::new(storage);
            let report = engine
                .import_contacts_file(ame_domain::OrgId::from_uuid(org), &file)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if !report.errors.is_empty() {
                for e in &report.errors {
                    eprintln!("{}: {}", e.field, e.message);
                }
                bail!(
                    "{} of {} rows are wrong (first {} shown); nothing was imported",
                    if report.errors.len() >= ame_app::contacts::MAX_IMPORT_ERRORS {
                        format!("at least {}", report.errors.len())
                    } else {
                        report.errors.len().to_string()
                    },
                    report.rows,
                    report.errors.len()
                );
            }
            say(format!(
                "Imported {} rows: {} contacts created, {} updated, {} kept unsubscribed",
                report.rows, report.created, report.updated, report.kept_suppressed
            ));
            Ok(())
        }
    }
}

/// `ame outcomes import`.
pub(super) async fn outcomes(url: &str, command: OutcomesCommand) -> Result<()> {
    match command {
        OutcomesCommand::Import {
            file,
            campaign,
            org,
        } => {
            let storage = connect(url).await?;
            let engine = Engine::new(storage);
            let report = engine
                .import_outcomes_file(
                    ame_domain::OrgId::from_uuid(org),
                    ame_domain::CampaignId::from_uuid(campaign),
                    &file,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if !report.errors.is_empty() {
                for e in &report.errors {
                    eprintln!("{}: {}", e.field, e.message);
                }
                bail!(
                    "{} of {} rows are wrong (first {} shown at most); nothing was imported",
                    report.errors.len(),
                    report.rows,
                    ame_app::contacts::MAX_IMPORT_ERRORS
                );
            }
            println!(
                "{} outcome records imported from {} rows",
                report.recorded, report.rows
            );
            Ok(())
        }
    }
}
