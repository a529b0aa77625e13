//! `ame`: the Autonomous Marketing Engine command-line binary.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use ame_storage::{Backend, Storage};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

/// Default database: an SQLite file in the working directory, created on first use.
const DEFAULT_DATABASE_URL: &str = "sqlite://ame.db?mode=rwc";

#[derive(Parser)]
#[command(name = "ame", version, about = "AME, the Autonomous Marketing Engine")]
struct Cli {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "AME_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    database_url: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AME_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Migrate {
            app_role,
            app_role_password,
        } => {
            let storage = Storage::connect(&cli.database_url)
                .await
                .with_context(|| format!("connecting to {}", redact(&cli.database_url)))?;
            storage.migrate().await.context("applying migrations")?;
            if let Some(role) = app_role {
                if storage.backend() != Backend::Postgres {
                    anyhow::bail!("--app-role applies to PostgreSQL only");
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
