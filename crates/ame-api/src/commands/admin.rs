//! `ame migrate`, `ame gc`, `ame org`, `ame apikey` and `ame user`: administration of a database and its
//! organizations.

use super::{connect, ready_storage, redact};
use crate::cli::{ApiKeyCommand, OrgCommand, UserCommand};
use ame_app::Engine;
use ame_domain::{ApiKeyId, OrgId, UserId};
use ame_storage::{Backend, ObjectBlobs};
use anyhow::{Context, Result, bail};
use std::sync::Arc;
use std::time::Duration;

/// Applies pending migrations and, on PostgreSQL, provisions the application's login role.
pub(super) async fn migrate(
    url: &str,
    app_role: Option<String>,
    app_role_password: Option<String>,
) -> Result<()> {
    let storage = connect(url).await?;
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
    println!("{} migrations applied to {}", applied.len(), redact(url));
    storage.close().await?;
    Ok(())
}

/// `ame gc`.
pub(super) async fn gc(url: &str, blob_store: &str, min_age_minutes: u64) -> Result<()> {
    let blobs = ObjectBlobs::from_location(blob_store)
        .with_context(|| format!("opening the blob store `{blob_store}`"))?;
    let engine = Engine::new(ready_storage(url).await?).with_blobs(Arc::new(blobs));
    let report = engine
        .collect_garbage(Duration::from_secs(min_age_minutes.saturating_mul(60)))
        .await?;
    let applied = report.min_age.as_secs() / 60;
    if applied > min_age_minutes {
        eprintln!(
            "note: files younger than {applied} min are always kept (a generation may take that long to store its set)"
        );
    }
    println!(
        "scanned {} files: removed {} unreferenced ({} bytes), kept {} younger than {applied} min, left {} not AME's",
        report.scanned, report.removed, report.removed_bytes, report.too_young, report.foreign
    );
    Ok(())
}

/// `ame org create`.
pub(super) async fn org(url: &str, command: OrgCommand) -> Result<()> {
    let engine = Engine::new(ready_storage(url).await?);
    let OrgCommand::Create { name } = command;
    println!("{}", engine.create_organization(&name).await?.id);
    Ok(())
}

/// `ame apikey create|revoke`.
pub(super) async fn api_key(url: &str, command: ApiKeyCommand) -> Result<()> {
    let engine = Engine::new(ready_storage(url).await?);
    match command {
        ApiKeyCommand::Create { org, role, name } => {
            let issued = engine
                .admin_issue_key(OrgId::from_uuid(org), &name, role)
                .await?;
            eprintln!(
                "key {} ({role}); the secret is shown only now:",
                issued.key.id
            );
            println!("{}", issued.secret);
        }
        ApiKeyCommand::Revoke { org, key } => {
            let revoked = engine
                .admin_revoke_key(OrgId::from_uuid(org), ApiKeyId::from_uuid(key))
                .await?;
            println!("revoked key {} ({})", revoked.id, revoked.display_prefix);
        }
    }
    Ok(())
}

/// `ame user add|remove`.
pub(super) async fn user(url: &str, command: UserCommand) -> Result<()> {
    let engine = Engine::new(ready_storage(url).await?);
    match command {
        UserCommand::Add {
            org,
            user: Some(user),
            role,
            ..
        } => {
            engine
                .set_member(OrgId::from_uuid(org), UserId::from_uuid(user), role)
                .await?;
            println!("{user} is now {role} of {org}");
        }
        UserCommand::Add {
            org,
            email: Some(email),
            role,
            password_stdin,
            ..
        } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let user = engine
                .add_user(OrgId::from_uuid(org), &email, role, password)
                .await?;
            eprintln!("{email} is now {role} of {org}");
            println!("{user}");
        }
        UserCommand::Remove {
            org,
            user: Some(user),
            ..
        } => {
            engine
                .remove_member(OrgId::from_uuid(org), UserId::from_uuid(user))
                .await?;
            println!("{user} is no longer a member of {org}; the keys they issued stop working");
        }
        UserCommand::Remove {
            org,
            email: Some(email),
            ..
        } => {
            engine.remove_user(OrgId::from_uuid(org), &email).await?;
            println!("{email} is no longer a member of {org}; their sessions there have ended");
        }
        UserCommand::Add { .. } | UserCommand::Remove { .. } => {
            bail!("name the person with --email or --user")
        }
    }
    Ok(())
}
