//! The SQLite half of `cargo xtask bench api`: the release binary on the embedded default (an
//! SQLite file in WAL mode), with 100,000 campaigns in the organization, beside SQLite's own
//! ceiling measured with the `sqlite3` shell on a copy of the same file: the same row inserted
//! one transaction at a time, and the list's query, with the engine's settings (WAL,
//! `synchronous = NORMAL`).

use crate::bench_api::{
    ApiRuns, CONCURRENCY, CPU_TABLE_LEGEND, Measurement, SEEDED_CAMPAIGNS, cpu_cell, median, rounds,
};
use crate::e2e::{RunningServer, org_with_owner_key, output_of};
use crate::packages;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Statements the `sqlite3` ceiling runs per measurement.
const CEILING_STATEMENTS: u32 = 20_000;

/// One concurrency level: create and list through AME.
pub(crate) struct SqliteRow {
    pub(crate) concurrency: u32,
    pub(crate) create: Measurement,
    pub(crate) list: Measurement,
}

/// SQLite's own rates on the same file: single-row inserts and list queries per second.
pub(crate) struct SqliteCeiling {
    pub(crate) inserts_per_second: f64,
    pub(crate) selects_per_second: f64,
}

/// Runs the SQLite bench with `binary` in `work`; returns the rows and the ceiling.
pub(crate) fn run(
    binary: &Path,
    work: &Path,
    seconds: u32,
) -> Result<(Vec<SqliteRow>, SqliteCeiling, Option<f64>)> {
    packages::ensure_debian_packages(&[("sqlite3", "sqlite3")])?;
    let dir = work.join("sqlite");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("ame.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    output_of(
        Command::new(binary)
            .arg("migrate")
            .env("AME_DATABASE_URL", &url),
        "ame migrate (SQLite)",
    )?;
    let (org, key) = org_with_owner_key(binary, &url, "Bench")?;
    let org_hex = org.replace('-', "");
    sqlite3(&file, &seed_sql(&org_hex))?;

    let ceiling_file = dir.join("ceiling.db");
    std::fs::copy(&file, &ceiling_file)?;
    let ceiling = SqliteCeiling {
        inserts_per_second: timed_rate(&ceiling_file, &insert_script(&org_hex))?,
        selects_per_second: timed_rate(&ceiling_file, &select_script(&org_hex))?,
    };

    let ame = RunningServer::start(binary, &url, &dir.join("server.log"))?;
    let runs = ApiRuns::new(&ame, &key, &dir)?;
    let mut rows = Vec::new();
    for &c in CONCURRENCY {
        let (mut create, mut list) = (Vec::new(), Vec::new());
        for _ in 0..rounds() {
            create.push(runs.create(c, seconds)?);
            list.push(runs.list(c, seconds)?);
        }
        rows.push(SqliteRow {
            concurrency: c,
            create: median(create)?,
            list: median(list)?,
        });
    }
    let rss = crate::bench_api::peak_rss_mib(ame.pid());
    ame.stop()?;
    Ok((rows, ceiling, rss))
}

fn seed_sql(org_hex: &str) -> String {
    format!(
        "PRAGMA journal_mode = WAL;\n\
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {SEEDED_CAMPAIGNS}) \
         INSERT INTO marketing_campaigns (id, org_id, campaign_type, objective, status, created_at, updated_at) \
         SELECT randomblob(16), X'{org_hex}', \
           CASE i % 6 WHEN 0 THEN 'lead_gen' WHEN 1 THEN 'brand_awareness' WHEN 2 THEN 'client_retention' \
             WHEN 3 THEN 're_engagement' WHEN 4 THEN 'upsell' ELSE 'referral' END, \
           'Seeded campaign number ' || i, \
           CASE i % 6 WHEN 0 THEN 'draft' WHEN 1 THEN 'scheduled' WHEN 2 THEN 'active' \
             WHEN 3 THEN 'paused' WHEN 4 THEN 'completed' ELSE 'archived' END, \
           strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-' || i || ' seconds'), \
           strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') \
         FROM n;\nANALYZE;\n"
    )
}

/// `CEILING_STATEMENTS` single-row inserts, each its own transaction, as the engine writes.
fn insert_script(org_hex: &str) -> String {
    let mut script = String::from("PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\n");
    for _ in 0..CEILING_STATEMENTS {
        script.push_str(&format!(
            "INSERT INTO marketing_campaigns (id, org_id, campaign_type, objective, status, channels, created_at, updated_at) \
             VALUES (randomblob(16), X'{org_hex}', 'lead_gen', 'Book 40 demos with finance teams by March', 'draft', \
             '[\"email\",\"linkedin\"]', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')) \
             RETURNING *;\n"
        ));
    }
    script
}

/// `CEILING_STATEMENTS` runs of the list's query (the newest 21 of the organization).
fn select_script(org_hex: &str) -> String {
    let mut script = String::from("PRAGMA journal_mode = WAL;\n");
    for _ in 0..CEILING_STATEMENTS {
        script.push_str(&format!(
            "SELECT * FROM marketing_campaigns WHERE org_id = X'{org_hex}' ORDER BY created_at DESC, id DESC LIMIT 21;\n"
        ));
    }
    script
}

fn sqlite3(file: &Path, sql: &str) -> Result<()> {
    let script = file.with_extension("sql");
    std::fs::write(&script, sql)?;
    let status = Command::new("sqlite3")
        .arg(file)
        .arg(format!(".read {}", script.display()))
        .stdout(std::process::Stdio::null())
        .status()
        .context("running sqlite3")?;
    anyhow::ensure!(status.success(), "sqlite3 failed on {}", script.display());
    Ok(())
}

/// Statements per second of `script` through the `sqlite3` shell.
fn timed_rate(file: &Path, script: &str) -> Result<f64> {
    let started = Instant::now();
    sqlite3(file, script)?;
    Ok(f64::from(CEILING_STATEMENTS) / started.elapsed().as_secs_f64())
}

/// The SQLite table of the report.
pub(crate) fn report(
    rows: &[SqliteRow],
    ceiling: &SqliteCeiling,
    seconds: u32,
    rss: Option<f64>,
) -> String {
    let mut out = format!(
        "\nAME API on SQLite (embedded default, WAL), {SEEDED_CAMPAIGNS} campaigns in the organization, {seconds} s per run, 2 server workers; \
         ceiling: the sqlite3 shell on the same file, {CEILING_STATEMENTS} statements each: \
         {:.0} single-row INSERT transactions/s, {:.0} list SELECTs/s; median of {} rounds\n\n\
         | concurrency | create req/s | create p50 / p99 ms | create / sqlite3 INSERT | list req/s | list p50 / p99 ms | list / sqlite3 SELECT | errors |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|\n",
        ceiling.inserts_per_second,
        ceiling.selects_per_second,
        rounds()
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {:.0} | {:.2} / {:.2} | {:.0}% | {:.0} | {:.2} / {:.2} | {:.0}% | {} |\n",
            row.concurrency,
            row.create.throughput,
            row.create.p50_ms,
            row.create.p99_ms,
            100.0 * row.create.throughput / ceiling.inserts_per_second.max(f64::EPSILON),
            row.list.throughput,
            row.list.p50_ms,
            row.list.p99_ms,
            100.0 * row.list.throughput / ceiling.selects_per_second.max(f64::EPSILON),
            row.create.errors + row.list.errors,
        ));
    }
    out.push_str(&format!(
        "\n{CPU_TABLE_LEGEND} (SQLite runs inside the server)\n\n\
         | concurrency | create | list |\n|---:|---:|---:|\n"
    ));
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            row.concurrency,
            cpu_cell(&row.create),
            cpu_cell(&row.list)
        ));
    }
    if let Some(rss) = rss {
        out.push_str(&format!(
            "\nServer peak resident memory (SQLite): {rss:.0} MiB\n"
        ));
    }
    out
}
