//! What each command of the `ame` binary does; the work itself is the application layer's.

mod admin;
mod execution;
mod results;
mod serve;

use crate::cli::{Cli, Command};
use ame_storage::Storage;
use anyhow::{Context, Result};

/// Runs the command `cli` names.
pub(crate) async fn run(cli: Cli) -> Result<()> {
    let url = cli.database_url;
    match cli.command {
        Command::Serve {
            settings,
            generation,
            execution,
        } => serve::serve(&url, settings, &generation, &execution).await,
        Command::Worker {
            generation,
            execution,
        } => execution::worker(&url, &generation, &execution).await,
        Command::Contacts { command } => execution::contacts(&url, command).await,
        Command::Outcomes { command } => execution::outcomes(&url, command).await,
        Command::Migrate {
            app_role,
            app_role_password,
        } => admin::migrate(&url, app_role, app_role_password).await,
        Command::Openapi => {
            let doc = ame_api::api_doc()
                .to_pretty_json()
                .context("rendering the OpenAPI document")?;
            println!("{doc}");
            Ok(())
        }
        Command::Gc {
            blob_store,
            min_age_minutes,
        } => admin::gc(&url, &blob_store, min_age_minutes).await,
        Command::Org { command } => admin::org(&url, command).await,
        Command::Apikey { command } => admin::api_key(&url, command).await,
        Command::User { command } => admin::user(&url, command).await,
        Command::Results { command } => results::import(&url, command).await,
        Command::Backtest {
            file,
            draws,
            seed,
            format,
            report,
            hold_out,
        } => results::backtest(&file, hold_out, draws, seed, format, report.as_deref()).await,
    }
}

/// Connects to the database at `url`.
async fn connect(url: &str) -> Result<Storage> {
    Storage::connect(url)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))
}

/// Connects and makes sure the schema is current.
async fn ready_storage(url: &str) -> Result<Storage> {
    ready_storage_with(url, ame_storage::PoolSize::default()).await
}

/// Connects with a pool of `size` and makes sure the schema is current.
async fn ready_storage_with(url: &str, size: ame_storage::PoolSize) -> Result<Storage> {
    let storage = Storage::connect_with(url, size)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    ame_app::prepare_database(&storage)
        .await
        .context("preparing the database")?;
    Ok(storage)
}

/// Prints a status line; a closed standard output (a detached service) is not an error.
fn say(line: String) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
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
    use crate::cli::DEFAULT_DATABASE_URL;

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
