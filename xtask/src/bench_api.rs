//! `cargo xtask bench api`: HTTP throughput and latency of the release binary on PostgreSQL
//! (wrk, from Debian), next to the raw PostgreSQL ceiling measured in the same run (pgbench with
//! the equivalent single-row INSERT and keyset SELECT).
//!
//! The organization holds 100,000 campaigns before the runs. Each run lasts
//! `AME_BENCH_SECONDS` (default 10) seconds at concurrency 1, 16 and 64, after a 2-second
//! warm-up that is not measured; each measurement is repeated `AME_BENCH_ROUNDS` (default 3)
//! times, interleaved, and the round with the median throughput is reported. PostgreSQL writes a
//! checkpoint before every run, so that no run pays for the previous one's dirty pages. Every
//! run also records where the machine's CPU went per operation ([`crate::cpu`]). The same runs
//! on SQLite follow (`bench_api_sqlite`).

use crate::cpu::{CpuPerOperation, CpuSnapshot};
use crate::e2e::{
    RunningServer, ScratchDatabase, database_url, migrate_with_role, org_with_owner_key, output_of,
    psql,
};
use crate::pg_server;
use crate::{cargo, run};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Concurrency levels measured.
pub(crate) const CONCURRENCY: &[u32] = &[1, 16, 64];
/// Campaigns in the organization before the runs.
pub(crate) const SEEDED_CAMPAIGNS: u32 = 100_000;
const APP_ROLE: &str = "ame_bench";
const APP_ROLE_PASSWORD: &str = "ame_bench_password";
/// The body of every create request.
pub(crate) const CREATE_BODY: &str = r#"{"campaign_type":"lead_gen","objective":"Book 40 demos with finance teams by March","channels":["email","linkedin"]}"#;

/// One measured run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Measurement {
    /// Completed requests (or transactions) per second.
    pub(crate) throughput: f64,
    /// Median latency, milliseconds.
    pub(crate) p50_ms: f64,
    /// 99th-percentile latency, milliseconds.
    pub(crate) p99_ms: f64,
    /// Responses that were not 2xx (wrk) or failed transactions (pgbench).
    pub(crate) errors: u64,
    /// CPU per operation during the run.
    pub(crate) cpu: CpuPerOperation,
}

/// Times each measurement is repeated (`AME_BENCH_ROUNDS`, default 3).
pub(crate) fn rounds() -> usize {
    std::env::var("AME_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(3)
}

/// Runs `measurement` and adds the CPU each of its operations took; `server` is the AME process
/// measured, if any.
fn with_cpu(
    server: Option<u32>,
    seconds: u32,
    measurement: impl FnOnce() -> Result<Measurement>,
) -> Result<Measurement> {
    let before = CpuSnapshot::take(server)?;
    let mut measured = measurement()?;
    let after = CpuSnapshot::take(server)?;
    measured.cpu = before.per_operation(&after, measured.throughput * f64::from(seconds));
    Ok(measured)
}

/// The round with the median throughput (the upper median of an even count).
pub(crate) fn median(mut rounds: Vec<Measurement>) -> Result<Measurement> {
    rounds.sort_by(|a, b| a.throughput.total_cmp(&b.throughput));
    rounds
        .get(rounds.len() / 2)
        .copied()
        .context("no rounds were measured")
}

pub(crate) fn run_api_bench(root: &Path) -> Result<()> {
    let seconds: u32 = std::env::var("AME_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    ensure_wrk()?;
    let server = pg_server::ensure_reachable()?;
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
    let binary = root.join("target/release/ame");
    let work = root.join("target/bench-api");
    std::fs::create_dir_all(&work)?;

    let database = ScratchDatabase::create(&server, "ame_bench")?;
    let admin_url = database_url(&server, &database.name, None)?;
    let report = {
        migrate_with_role(&binary, &admin_url, APP_ROLE, APP_ROLE_PASSWORD)?;
        let (org, key) = org_with_owner_key(&binary, &admin_url, "Bench")?;
        psql(&admin_url, &seed_sql(&org))?;

        let app_url = database_url(&server, &database.name, Some((APP_ROLE, APP_ROLE_PASSWORD)))?;
        let ame = RunningServer::start(&binary, &app_url, &work.join("server.log"))?;
        let runs = ApiRuns::new(&ame, &key, &work)?;
        // Warm-up, not measured: every connection of the pool opened and every statement
        // prepared, as on a server that has been up for a while.
        runs.create(16, 2)?;
        runs.list(16, 2)?;
        let mut rows = Vec::new();
        for &c in CONCURRENCY {
            let (mut create, mut list, mut insert, mut select) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for _ in 0..rounds() {
                psql(&admin_url, "CHECKPOINT")?;
                create.push(runs.create(c, seconds)?);
                psql(&admin_url, "CHECKPOINT")?;
                list.push(runs.list(c, seconds)?);
                psql(&admin_url, "CHECKPOINT")?;
                insert.push(with_cpu(None, seconds, || {
                    pgbench(&admin_url, &work, "insert", &insert_sql(&org), c, seconds)
                })?);
                psql(&admin_url, "CHECKPOINT")?;
                select.push(with_cpu(None, seconds, || {
                    pgbench(&admin_url, &work, "select", &select_sql(&org), c, seconds)
                })?);
            }
            rows.push((
                c,
                median(create)?,
                median(insert)?,
                median(list)?,
                median(select)?,
            ));
        }
        let peak_rss = peak_rss_mib(ame.pid());
        ame.stop()?;
        report(&rows, seconds, peak_rss)
    };
    let (sqlite_rows, ceiling, sqlite_rss) = crate::bench_api_sqlite::run(&binary, &work, seconds)?;
    let report =
        report + &crate::bench_api_sqlite::report(&sqlite_rows, &ceiling, seconds, sqlite_rss);
    println!("{report}");
    std::fs::write(work.join("report.md"), &report)?;
    eprintln!("(also written to {})", work.join("report.md").display());
    Ok(())
}

pub(crate) fn ensure_wrk() -> Result<()> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    let apt = |args: &[&str]| {
        let mut c = Command::new("apt-get");
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    run("apt-get update", &mut apt(&["update", "-q"]))?;
    run(
        "install wrk (load generator)",
        &mut apt(&["install", "-y", "-q", "wrk"]),
    )
}

fn seed_sql(org: &str) -> String {
    format!(
        "INSERT INTO marketing_campaigns (id, org_id, campaign_type, objective, status, created_at, updated_at) \
         SELECT gen_random_uuid(), '{org}', \
           (ARRAY['lead_gen','brand_awareness','client_retention','re_engagement','upsell','referral'])[1 + i % 6], \
           'Seeded campaign number ' || i, \
           (ARRAY['draft','scheduled','active','paused','completed','archived'])[1 + i % 6], \
           now() - make_interval(secs => i), now() \
         FROM generate_series(1, {SEEDED_CAMPAIGNS}) AS i; ANALYZE marketing_campaigns;"
    )
}

fn insert_sql(org: &str) -> String {
    format!(
        "INSERT INTO marketing_campaigns (id, org_id, campaign_type, objective, status, channels) \
         VALUES (gen_random_uuid(), '{org}', 'lead_gen', 'Book 40 demos with finance teams by March', 'draft', '[\"email\",\"linkedin\"]') \
         RETURNING *;\n"
    )
}

fn select_sql(org: &str) -> String {
    format!(
        "SELECT * FROM marketing_campaigns WHERE org_id = '{org}' ORDER BY created_at DESC, id DESC LIMIT 21;\n"
    )
}

/// The create and list runs against one server, each with the CPU it took.
pub(crate) struct ApiRuns<'a> {
    server: &'a RunningServer,
    key: &'a str,
    create_script: PathBuf,
}

impl<'a> ApiRuns<'a> {
    /// Runs against `server` with `key`; the create script is written into `work`.
    pub(crate) fn new(server: &'a RunningServer, key: &'a str, work: &Path) -> Result<Self> {
        let create_script = work.join("create.lua");
        std::fs::write(&create_script, wrk_create_script(key))?;
        Ok(Self {
            server,
            key,
            create_script,
        })
    }

    /// `POST /api/marketing/campaign` from `connections` clients for `seconds`.
    pub(crate) fn create(&self, connections: u32, seconds: u32) -> Result<Measurement> {
        self.run(
            "/api/marketing/campaign",
            Some(&self.create_script),
            connections,
            seconds,
        )
    }

    /// `GET /api/marketing/campaigns?limit=20` from `connections` clients for `seconds`.
    pub(crate) fn list(&self, connections: u32, seconds: u32) -> Result<Measurement> {
        self.run(
            "/api/marketing/campaigns?limit=20",
            None,
            connections,
            seconds,
        )
    }

    fn run(
        &self,
        path: &str,
        script: Option<&PathBuf>,
        connections: u32,
        seconds: u32,
    ) -> Result<Measurement> {
        with_cpu(Some(self.server.pid()), seconds, || {
            wrk(
                &self.server.base,
                path,
                self.key,
                connections,
                seconds,
                script,
            )
        })
    }
}

/// The wrk script that posts [`CREATE_BODY`] with `key`.
fn wrk_create_script(key: &str) -> String {
    format!(
        "wrk.method = \"POST\"\nwrk.body = '{CREATE_BODY}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Authorization\"] = \"Bearer {key}\"\n"
    )
}

fn wrk(
    base: &str,
    path: &str,
    key: &str,
    connections: u32,
    seconds: u32,
    script: Option<&PathBuf>,
) -> Result<Measurement> {
    let mut command = Command::new("wrk");
    command
        .arg(format!("-t{}", connections.min(2)))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .args(["-H", &format!("Authorization: Bearer {key}")]);
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    command.arg(format!("{base}{path}"));
    let output = output_of(&mut command, "wrk")?;
    parse_wrk(&output).with_context(|| format!("reading wrk output:\n{output}"))
}

/// Reads requests/sec, the 50% and 99% latencies and the non-2xx count from wrk's report.
pub(crate) fn parse_wrk(output: &str) -> Result<Measurement> {
    let mut throughput = None;
    let (mut p50, mut p99) = (None, None);
    let mut errors = 0;
    for line in output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", value] => throughput = value.parse().ok(),
            ["50%", value] => p50 = parse_duration_ms(value),
            ["99%", value] => p99 = parse_duration_ms(value),
            ["Non-2xx", "or", "3xx", "responses:", n] => errors += n.parse::<u64>().unwrap_or(0),
            ["Socket", "errors:", ..] => errors += 1,
            _ => {}
        }
    }
    match (throughput, p50, p99) {
        (Some(throughput), Some(p50_ms), Some(p99_ms)) => Ok(Measurement {
            throughput,
            p50_ms,
            p99_ms,
            errors,
            cpu: CpuPerOperation::default(),
        }),
        _ => bail!("no throughput or latency in the wrk report"),
    }
}

fn parse_duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => value / 1000.0,
        "ms" => value,
        "s" => value * 1000.0,
        "m" => value * 60_000.0,
        _ => return None,
    })
}

pub(crate) fn pgbench(
    url: &str,
    work: &Path,
    name: &str,
    sql: &str,
    clients: u32,
    seconds: u32,
) -> Result<Measurement> {
    let script = work.join(format!("{name}.sql"));
    std::fs::write(&script, sql)?;
    let log_dir = work.join(format!("pgbench-{name}-{clients}"));
    let _ = std::fs::remove_dir_all(&log_dir);
    std::fs::create_dir_all(&log_dir)?;
    let output = output_of(
        Command::new("pgbench")
            .current_dir(&log_dir)
            .args(["-n", "-M", "prepared", "-l", "--log-prefix", "tx"])
            .arg(format!("-c{clients}"))
            .arg(format!("-j{}", clients.min(2)))
            .arg(format!("-T{seconds}"))
            .arg("-f")
            .arg(&script)
            .arg(url),
        "pgbench",
    )?;
    let throughput = output
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
        .with_context(|| format!("no tps in pgbench output:\n{output}"))?;
    let mut latencies_us: Vec<f64> = Vec::new();
    for entry in std::fs::read_dir(&log_dir)? {
        let text = std::fs::read_to_string(entry?.path())?;
        latencies_us.extend(
            text.lines()
                .filter_map(|l| l.split_whitespace().nth(2))
                .filter_map(|v| v.parse::<f64>().ok()),
        );
    }
    let failed = output
        .lines()
        .find_map(|l| l.strip_prefix("number of failed transactions: "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Ok(Measurement {
        throughput,
        p50_ms: percentile(&mut latencies_us, 0.50) / 1000.0,
        p99_ms: percentile(&mut latencies_us, 0.99) / 1000.0,
        errors: failed,
        cpu: CpuPerOperation::default(),
    })
}

/// The `q` quantile (nearest rank) of `values`; 0 when empty.
pub(crate) fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

pub(crate) fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

fn report(
    rows: &[(u32, Measurement, Measurement, Measurement, Measurement)],
    seconds: u32,
    peak_rss: Option<f64>,
) -> String {
    let mut out = format!(
        "AME API on PostgreSQL, {SEEDED_CAMPAIGNS} campaigns in the organization, {seconds} s per run, median of {} rounds, 2 server workers\n\n\
         | concurrency | create req/s | create p50 / p99 ms | pgbench INSERT tps | create / INSERT | list req/s | list p50 / p99 ms | pgbench SELECT tps | errors |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        rounds()
    );
    for (c, create, insert, list, select) in rows {
        out.push_str(&format!(
            "| {c} | {:.0} | {:.2} / {:.2} | {:.0} (p99 {:.2} ms) | {:.0}% | {:.0} | {:.2} / {:.2} | {:.0} (p99 {:.2} ms) | {} |\n",
            create.throughput,
            create.p50_ms,
            create.p99_ms,
            insert.throughput,
            insert.p99_ms,
            100.0 * create.throughput / insert.throughput.max(f64::EPSILON),
            list.throughput,
            list.p50_ms,
            list.p99_ms,
            select.throughput,
            select.p99_ms,
            create.errors + list.errors + insert.errors + select.errors,
        ));
    }
    out.push_str(&format!(
        "\n{CPU_TABLE_LEGEND}\n\n\
         | concurrency | create | pgbench INSERT | list | pgbench SELECT |\n\
         |---:|---:|---:|---:|---:|\n"
    ));
    for (c, create, insert, list, select) in rows {
        out.push_str(&format!(
            "| {c} | {} | {} | {} | {} |\n",
            cpu_cell(create),
            cpu_cell(insert),
            cpu_cell(list),
            cpu_cell(select),
        ));
    }
    if let Some(rss) = peak_rss {
        out.push_str(&format!("\nServer peak resident memory: {rss:.0} MiB\n"));
    }
    out
}

/// What the CPU tables' cells hold.
pub(crate) const CPU_TABLE_LEGEND: &str = "CPU per operation, microseconds: AME server + database and the rest of the machine + load \
     generator (wrk or pgbench) = total; in brackets, the share of the two cores left idle";

/// One cell of a CPU table: `server + rest + load = total (idle %)`.
pub(crate) fn cpu_cell(measurement: &Measurement) -> String {
    let cpu = measurement.cpu;
    format!(
        "{:.0} + {:.0} + {:.0} = {:.0} ({:.0}%)",
        cpu.server_us,
        cpu.rest_us,
        cpu.load_us,
        cpu.total_us(),
        100.0 * cpu.idle_share
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_reports_are_read() {
        let sample = "Running 10s test @ http://127.0.0.1:1/x\n  2 threads and 16 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     2.10ms    1.00ms  20.00ms   90.00%\n  Latency Distribution\n     50%    1.95ms\n     75%    2.40ms\n     90%    3.10ms\n     99%  850.00us\n  71234 requests in 10.00s, 50.00MB read\n  Non-2xx or 3xx responses: 3\nRequests/sec:   7123.40\nTransfer/sec:      5.00MB\n";
        let m = parse_wrk(sample).unwrap();
        assert_eq!(m.throughput, 7123.40);
        assert_eq!(m.p50_ms, 1.95);
        assert!((m.p99_ms - 0.85).abs() < 1e-9);
        assert_eq!(m.errors, 3);
        assert!(parse_wrk("nothing").is_err());
    }

    #[test]
    fn the_median_round_is_reported_whole() {
        let round = |throughput: f64, p99_ms: f64| Measurement {
            throughput,
            p50_ms: 1.0,
            p99_ms,
            errors: 0,
            cpu: CpuPerOperation::default(),
        };
        let median_round = median(vec![
            round(300.0, 9.0),
            round(100.0, 1.0),
            round(200.0, 5.0),
        ])
        .expect("three rounds");
        assert_eq!(median_round, round(200.0, 5.0));
        assert_eq!(
            median(vec![round(1.0, 1.0), round(2.0, 2.0)]).unwrap(),
            round(2.0, 2.0)
        );
        assert!(median(Vec::new()).is_err());
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 0.5), 50.0);
        assert_eq!(percentile(&mut v, 0.99), 99.0);
        assert_eq!(percentile(&mut [], 0.5), 0.0);
    }
}
