//! The exactly-once runs: one campaign of 9,000 emails into a local SMTP sink while the sending
//! processes are killed, each on a database of its own (`cargo xtask exactly-once`, and a stage
//! of `cargo xtask test`).

use crate::e2e::{
    APP_ROLE, APP_ROLE_PASSWORD, ScratchDatabase, database_url, migrate_with_role,
    org_with_owner_key, tempfile_dir,
};
use crate::pg_server;
use crate::run;
use anyhow::Result;
use std::path::Path;
use std::process::Command;

/// Only the exactly-once runs, on a fresh SQLite file and a fresh PostgreSQL database.
pub fn exactly_once_only(root: &Path) -> Result<()> {
    let (work, venv, binary) = crate::e2e::prepare(root)?;
    fresh(root, &work, &venv, &binary)
}

/// The exactly-once runs, each on a fresh database: a PostgreSQL database with the application
/// role, then a migrated SQLite file.
pub(crate) fn fresh(root: &Path, work: &Path, venv: &Path, binary: &Path) -> Result<()> {
    let server = pg_server::ensure_reachable()?;
    let database = ScratchDatabase::create(&server, "ame_once")?;
    let admin_url = database_url(&server, &database.name, None)?;
    migrate_with_role(binary, &admin_url, APP_ROLE, APP_ROLE_PASSWORD)?;
    let app_url = database_url(&server, &database.name, Some((APP_ROLE, APP_ROLE_PASSWORD)))?;
    exactly_once(
        root, venv, binary, "postgres", &admin_url, &app_url, "workers",
    )?;
    let sqlite_dir = tempfile_dir(work, "sqlite-once")?;
    let sqlite_url = format!("sqlite://{}?mode=rwc", sqlite_dir.join("ame.db").display());
    run(
        "ame migrate (SQLite)",
        Command::new(binary)
            .arg("migrate")
            .env("AME_DATABASE_URL", &sqlite_url),
    )?;
    exactly_once(
        root,
        venv,
        binary,
        "sqlite",
        &sqlite_url,
        &sqlite_url,
        "embedded",
    )?;
    let _ = std::fs::remove_dir_all(&sqlite_dir);
    Ok(())
}

/// One campaign of 9,000 emails into a local SMTP sink while the sending processes are killed
/// with SIGKILL and restarted: three `ame worker` processes on PostgreSQL, the embedded worker
/// of `ame serve` on SQLite (`xtask/e2e/exactly_once.py`). Nothing may be lost, and no kill may
/// repeat more than one message.
pub(crate) fn exactly_once(
    root: &Path,
    venv: &Path,
    binary: &Path,
    backend: &str,
    admin_url: &str,
    app_url: &str,
    mode: &str,
) -> Result<()> {
    let (_, key) = org_with_owner_key(binary, admin_url, "Exactly once")?;
    let blobs = root.join(format!("target/e2e/{backend}-exactly-once-blobs"));
    let _ = std::fs::remove_dir_all(&blobs);
    let log = root.join(format!("target/e2e/{backend}-exactly-once.log"));
    let _ = std::fs::remove_file(&log);
    run(
        &format!("9,000 emails while the senders are killed ({backend}, {mode})"),
        Command::new(venv.join("bin/python"))
            .current_dir(root)
            .arg("xtask/e2e/exactly_once.py")
            .env("AME_BINARY", binary)
            .env("AME_DATABASE_URL", app_url)
            .env("AME_API_KEY", &key)
            .env("AME_BLOB_STORE", &blobs)
            .env("AME_MODE", mode)
            .env("AME_LOG_FILE", &log),
    )
}
