//! `cargo xtask bench scheduler`: the job queue's claim-and-complete throughput for no-op jobs
//! with 1, 2 and 4 workers on SQLite and PostgreSQL (`ame-storage`'s `queue` bench), next to a
//! raw `FOR UPDATE SKIP LOCKED` loop run by pgbench in the same run, and the end-to-end rate of
//! emails into a local SMTP sink (release binary, one and three `ame worker` processes) beside
//! the sink's own ceiling (a plain Python sender, same sink and message size, 1 and 8
//! connections).

use crate::bench_api::pgbench;
use crate::e2e::{
    ScratchDatabase, database_url, ensure_venv, migrate_with_role, org_with_owner_key, psql,
};
use crate::{cargo, pg_server, run};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

const WORKERS: &[u32] = &[1, 2, 4];
const APP_ROLE: &str = "ame_bench";
const APP_ROLE_PASSWORD: &str = "ame_bench_password";

/// The raw loop: claim the oldest queued row with SKIP LOCKED, then mark it done.
const RAW_LOOP: &str = "WITH c AS (SELECT id FROM bench_jobs WHERE state = 'queued' ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
UPDATE bench_jobs j SET state = 'running', attempts = j.attempts + 1 FROM c WHERE j.id = c.id RETURNING j.id AS job \\gset\n\
UPDATE bench_jobs SET state = 'done' WHERE id = :job;\n";

pub(crate) fn run_scheduler_bench(root: &Path) -> Result<()> {
    let seconds: u32 = std::env::var("AME_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let server = pg_server::ensure_reachable()?;
    let work = root.join("target/bench-scheduler");
    std::fs::create_dir_all(&work)?;

    // The queue through AME's storage layer.
    eprintln!("==> cargo bench -p ame-storage --bench queue");
    let out = cargo()
        .current_dir(root)
        .args(["bench", "-q", "-p", "ame-storage", "--bench", "queue"])
        .env(pg_server::DATABASE_URL_ENV, &server.url)
        .stderr(Stdio::inherit())
        .output()
        .context("running the queue bench")?;
    if !out.status.success() {
        anyhow::bail!("the queue bench failed");
    }
    std::fs::write(work.join("queue.txt"), &out.stdout)?;
    let mut queue: BTreeMap<(String, u32), f64> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut parts = line.split_whitespace();
        if parts.next() != Some("queue") {
            continue;
        }
        let backend = parts.next().unwrap_or_default().to_owned();
        let mut workers = 0;
        let mut rate = 0.0;
        for part in parts {
            if let Some(v) = part.strip_prefix("workers=") {
                workers = v.parse().unwrap_or(0);
            }
            if let Some(v) = part.strip_prefix("jobs_per_second=") {
                rate = v.parse().unwrap_or(0.0);
            }
        }
        queue.insert((backend, workers), rate);
    }

    // The raw ceiling: pgbench on a plain table, no row-level security, no framework.
    let database = ScratchDatabase::create(&server, "ame_bench_queue")?;
    let admin_url = database_url(&server, &database.name, None)?;
    psql(
        &admin_url,
        "CREATE TABLE bench_jobs (id bigserial PRIMARY KEY, state text NOT NULL, \
         run_at timestamptz NOT NULL, attempts int NOT NULL DEFAULT 0); \
         INSERT INTO bench_jobs (state, run_at) \
           SELECT 'queued', now() - (g || ' microseconds')::interval FROM generate_series(1, 600000) g; \
         CREATE INDEX bench_jobs_due ON bench_jobs (run_at) WHERE state = 'queued';",
    )?;
    psql(&admin_url, "VACUUM ANALYZE bench_jobs")?;
    let mut raw = BTreeMap::new();
    for &w in WORKERS {
        let m = pgbench(&admin_url, &work, "skip-locked", RAW_LOOP, w, seconds)?;
        raw.insert(w, m.throughput);
    }
    drop(database);

    // End to end: 9,000 emails into the sink from release `ame worker` processes.
    run(
        "build the release binary",
        cargo().current_dir(root).args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "ame-api",
            "--bin",
            "ame",
        ]),
    )?;
    let venv = ensure_venv(&root.join("target/e2e"))?;
    let binary = root.join("target/release/ame");
    // One worker process, then three, each handling 8 jobs at once, each on a fresh database.
    let mut sink_lines = Vec::new();
    let mut message_bytes = None;
    for workers in [1, 3] {
        let database = ScratchDatabase::create(&server, &format!("ame_bench_sink_{workers}"))?;
        let admin_url = database_url(&server, &database.name, None)?;
        migrate_with_role(&binary, &admin_url, APP_ROLE, APP_ROLE_PASSWORD)?;
        let app_url = database_url(&server, &database.name, Some((APP_ROLE, APP_ROLE_PASSWORD)))?;
        let blobs = work.join(format!("blobs-{workers}"));
        let _ = std::fs::remove_dir_all(&blobs);
        let (_, key) = org_with_owner_key(&binary, &admin_url, "Bench")?;
        eprintln!(
            "==> 9,000 emails into the SMTP sink (release, {workers} worker(s) x 8 jobs, no kills)"
        );
        let out = Command::new(venv.join("bin/python"))
            .current_dir(root)
            .arg("xtask/e2e/exactly_once.py")
            .env("AME_BINARY", &binary)
            .env("AME_DATABASE_URL", &app_url)
            .env("AME_API_KEY", &key)
            .env("AME_BLOB_STORE", &blobs)
            .env("AME_MODE", "workers")
            .env("AME_WORKERS", workers.to_string())
            .env("AME_KILLS", "0")
            .env("AME_SEND_CONCURRENCY", "8")
            .env("AME_LOG_FILE", work.join("sink.log"))
            .output()
            .context("running the sink run")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            anyhow::bail!(
                "the sink run failed: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let line = stdout
            .lines()
            .find(|l| l.starts_with("workers:"))
            .unwrap_or("workers: no result");
        sink_lines.push(format!(
            "{workers} worker(s): {}",
            line.trim_start_matches("workers: ")
        ));
        message_bytes = stdout
            .lines()
            .find_map(|l| l.strip_prefix("mean message size: "))
            .and_then(|l| l.trim_end_matches(" bytes").parse::<u64>().ok())
            .or(message_bytes);
    }

    // The sink's own ceiling: a plain sender, same sink, same message size, 1 and 8 connections.
    let message_bytes = message_bytes.unwrap_or(5_000);
    eprintln!("==> the sink's ceiling: plain smtplib, {message_bytes}-byte messages");
    let out = Command::new(venv.join("bin/python"))
        .current_dir(root.join("xtask/e2e"))
        .arg("smtp_ceiling.py")
        .env("AME_MESSAGE_BYTES", message_bytes.to_string())
        .output()
        .context("running the sink's ceiling")?;
    if !out.status.success() {
        anyhow::bail!(
            "the ceiling run failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let ceiling_lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("ceiling:"))
        .map(str::to_owned)
        .collect();
    let sink_line = format!(
        "{}\n\nThe sink's ceiling in the same run (a plain sender, same sink and message size):\n{}",
        sink_lines.join("\n"),
        ceiling_lines.join("\n")
    );

    let mut table = String::from(
        "| workers | PostgreSQL jobs/s | pgbench SKIP LOCKED tps | AME / raw | jobs/s per worker | SQLite jobs/s |\n\
         |---:|---:|---:|---:|---:|---:|\n",
    );
    for &w in WORKERS {
        let pg = queue.get(&("postgres".into(), w)).copied().unwrap_or(0.0);
        let sqlite = queue.get(&("sqlite".into(), w)).copied().unwrap_or(0.0);
        let ceiling = raw.get(&w).copied().unwrap_or(0.0);
        let _ = writeln!(
            table,
            "| {w} | {pg:.0} | {ceiling:.0} | {:.0}% | {:.0} | {sqlite:.0} |",
            if ceiling > 0.0 {
                100.0 * pg / ceiling
            } else {
                0.0
            },
            pg / f64::from(w)
        );
    }
    let _ = writeln!(table, "\nEnd to end: {sink_line}");
    println!("{table}");
    std::fs::write(work.join("report.md"), &table)?;
    Ok(())
}
