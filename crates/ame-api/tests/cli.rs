//! The `ame` binary, run as a user would run it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn ame(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ame"))
        .current_dir(dir)
        .env_remove("AME_DATABASE_URL")
        .env("AME_LOG", "warn")
        .args(args)
        .output()
        .expect("run ame")
}

#[test]
fn migrate_creates_the_embedded_database_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = ame(dir.path(), &["migrate"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("3 migrations applied to sqlite://ame.db"),
            "{stdout}"
        );
    }
    assert!(dir.path().join("ame.db").is_file());
}

#[test]
fn app_role_is_refused_on_sqlite_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = ame(dir.path(), &["migrate", "--app-role", "ame_app"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--app-role applies to PostgreSQL only"),
        "{stderr}"
    );
}

#[test]
fn unreachable_database_fails_without_leaking_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let out = ame(
        dir.path(),
        &[
            "--database-url",
            "postgres://ame:hunter2@127.0.0.1:1/ame",
            "migrate",
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("postgres://ame:***@127.0.0.1:1/ame"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
