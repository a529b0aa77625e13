//! Project automation, run as `cargo xtask <command>`.
//!
//! * `test` — formatting check, clippy with warnings denied, then the whole test suite on
//!   SQLite and PostgreSQL (making sure a PostgreSQL server is reachable first), ending with a
//!   one-line summary. The layering rules of docs/ARCHITECTURE.md are checked first.
//! * `bench [SUITE] [FILTER]` — criterion benchmarks on SQLite and PostgreSQL.
//! * `e2e` — the real binary against fresh databases, checked by schemathesis and a generated
//!   Python client (also the last step of `test`).
//! * `openapi` — regenerate the committed `docs/openapi.json`.
//! * `backtest` — the predictor on the shared Facebook ads dataset (also a step of `test`).
//! * `postgres` — only make sure the PostgreSQL test server is reachable.
//! * `dashboard` — the dashboard in headless Chromium (Playwright, axe-core; also a step of
//!   `test`); `screenshots` runs it and keeps the screenshots in `docs/screenshots`.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod backtest;
mod bench_api;
mod bench_api_sqlite;
mod bench_dashboard;
mod bench_scheduler;
mod browser;
mod cpu;
mod dashboard;
mod e2e;
mod exactly_once;
mod layers;
mod llm;
mod llm_e2e;
mod packages;
mod pg_server;
mod s3;
mod summary;
mod targeting_backtest;
mod timing;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Parser)]
#[command(about = "AME project automation")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Lint and run every test on SQLite and PostgreSQL.
    Test {
        /// Extra arguments passed to `cargo test` after `--` (e.g. a test name filter).
        #[arg(last = true)]
        test_args: Vec<String>,
    },
    /// Run the real binary against fresh databases under schemathesis and a generated client.
    E2e,
    /// Send 9,000 emails into a local SMTP sink while the senders are killed (both backends);
    /// also part of `e2e`.
    ExactlyOnce,
    /// Regenerate docs/openapi.json from the code.
    Openapi,
    /// Regenerate the golden sample asset sets in docs/samples/.
    Samples,
    /// Generate a campaign's assets through a real local model server (SmolLM2 on llama.cpp).
    Llm,
    /// Lay out the sample landing page in headless Chromium and check it.
    Browser,
    /// Drive the dashboard in headless Chromium (Playwright): journeys, security, axe-core,
    /// phone width, keyboard only; screenshots into target/dashboard/screenshots.
    Dashboard,
    /// Run the dashboard journey and keep its screenshots in docs/screenshots.
    Screenshots,
    /// Store rendered files in S3 (moto's S3 server on loopback) and serve them back.
    S3,
    /// Backtest on the shared datasets (when present): `predictor` (the Facebook ads data,
    /// also imported), `targeting` (the charity mailing: held-out AUC, and the coefficients
    /// against scikit-learn), or both when left out.
    Backtest {
        /// `predictor` or `targeting`.
        which: Option<String>,
    },
    /// Make sure the PostgreSQL server used by the tests is reachable (start or install it).
    Postgres,
    /// Run the benchmarks (criterion) on SQLite and PostgreSQL.
    Bench {
        /// Which suite: `storage` (repository latency with 10,000 campaigns per organization),
        /// `generation` (asset rendering), `prediction` (predict latency with 10,000 historical
        /// campaigns, database reads included) or `api` (HTTP load with wrk against the release
        /// binary on PostgreSQL, beside pgbench) or `scheduler` (queue throughput beside a raw
        /// SKIP LOCKED loop, and emails per second into a local SMTP sink) or `optimisation`
        /// (training and scoring the targeting model on 100,000 contacts, a test's weight
        /// refresh) or `audience` (a campaign's audience of 100,000 contacts ranked, stored and
        /// paged) or `dashboard` (server time and size of the dashboard's pages with 10,000
        /// campaigns, SQLite and PostgreSQL).
        #[arg(default_value = "storage")]
        suite: String,
        /// Only benchmarks whose name contains this (e.g. `postgres/list`).
        filter: Option<String>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = workspace_root()?;
    match cli.command {
        Task::Test { test_args } => test(&root, &test_args),
        Task::Bench { suite, filter } => bench(&root, &suite, filter.as_deref()),
        Task::E2e => e2e::run_all(&root),
        Task::ExactlyOnce => exactly_once::exactly_once_only(&root),
        Task::Openapi => openapi(&root),
        Task::Samples => samples(&root),
        Task::Llm => llm_e2e::end_to_end(&root),
        Task::S3 => s3::end_to_end(&root),
        Task::Backtest { which } => match which.as_deref() {
            None => {
                backtest::run_on_shared_data(&root)?;
                targeting_backtest::run_on_shared_data(&root)
            }
            Some("predictor") => backtest::run_on_shared_data(&root),
            Some("targeting") => targeting_backtest::run_on_shared_data(&root),
            Some(other) => bail!("no backtest `{other}`; choose predictor or targeting"),
        },
        Task::Browser => browser::check_landing_page(&root, &root.join(SAMPLE_PAGE)),
        Task::Dashboard => dashboard::journey(&root, &root.join(DASHBOARD_SCREENSHOTS)),
        Task::Screenshots => dashboard::journey(&root, &root.join("docs/screenshots")),
        Task::Postgres => {
            let server = pg_server::ensure_reachable()?;
            println!("PostgreSQL reachable at {}", server.address);
            Ok(())
        }
    }
}

fn workspace_root() -> Result<PathBuf> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").context("run through `cargo xtask`")?;
    PathBuf::from(manifest_dir)
        .parent()
        .map(PathBuf::from)
        .context("xtask lives one level below the workspace root")
}

/// A `cargo` command (the one running this task), without the variables `cargo run` set for
/// this task: build scripts that watch them (ring's, through the cc crate, watches
/// `CARGO_MANIFEST_DIR` and `CARGO_PKG_*`) would otherwise rerun, and everything above them
/// rebuild, each time a developer alternates between plain `cargo` and `cargo xtask`.
pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    for (name, _) in std::env::vars_os() {
        if task_variable(&name.to_string_lossy()) {
            command.env_remove(name);
        }
    }
    command
}

/// Whether `name` is a variable cargo sets for the binary it runs (not one a user set).
fn task_variable(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
        )
}

/// Runs `command`, announcing it as `step`, and fails unless it succeeds.
pub(crate) fn run(step: &str, command: &mut Command) -> Result<()> {
    eprintln!("==> {step}");
    let status = command
        .status()
        .with_context(|| format!("could not start {step}"))?;
    if !status.success() {
        bail!("{step} failed ({status})");
    }
    Ok(())
}

/// Benchmark suites: name, package, bench target.
const BENCH_SUITES: &[(&str, &str, &str)] = &[
    ("storage", "ame-storage", "repositories"),
    ("generation", "ame-generation", "generation"),
    ("prediction", "ame-app", "prediction"),
    ("audience", "ame-app", "audience"),
    ("optimisation", "ame-prediction", "optimisation"),
];

fn bench(root: &Path, suite: &str, filter: Option<&str>) -> Result<()> {
    if suite == "api" {
        return bench_api::run_api_bench(root);
    }
    if suite == "scheduler" {
        return bench_scheduler::run_scheduler_bench(root);
    }
    if suite == "dashboard" {
        return bench_dashboard::run_dashboard_bench(root);
    }
    let Some((_, package, target)) = BENCH_SUITES.iter().find(|(name, _, _)| *name == suite) else {
        let names: Vec<&str> = BENCH_SUITES
            .iter()
            .map(|(name, _, _)| *name)
            .chain(["api", "scheduler", "dashboard"])
            .collect();
        bail!(
            "unknown benchmark suite `{suite}`; available: {}",
            names.join(", ")
        );
    };
    let server = pg_server::ensure_reachable()?;
    let mut command = cargo();
    command
        .current_dir(root)
        .args(["bench", "-p", package, "--bench", target, "--"])
        .args(filter)
        .env(pg_server::DATABASE_URL_ENV, &server.url);
    run(&format!("cargo bench ({suite})"), &mut command)
}

/// The golden sample's landing page, checked in a browser.
const SAMPLE_PAGE: &str = "docs/samples/lead_gen/landing_page/index.html";
/// Where `dashboard` (and `test`) put the journey's screenshots.
const DASHBOARD_SCREENSHOTS: &str = "target/dashboard/screenshots";

/// Debian packages the tests and the engine's defaults need: espeak-ng speaks voice ads.
pub(crate) const TEST_PACKAGES: &[(&str, &str)] = &[
    ("espeak-ng", "espeak-ng"),
    // The bounce-mailbox tests read DSN and ARF reports from a real IMAP server.
    ("/usr/lib/dovecot/imap-login", "dovecot-imapd"),
    // The SNS signature tests make a key and certificate standing in for AWS's.
    ("openssl", "openssl"),
];

fn samples(root: &Path) -> Result<()> {
    packages::ensure_debian_packages(TEST_PACKAGES)?;
    let readme = root.join("docs/samples/README.md");
    let kept_readme = std::fs::read(&readme).ok();
    run(
        "generate docs/samples",
        cargo().current_dir(root).args([
            "run",
            "-q",
            "-p",
            "ame-generation",
            "--example",
            "samples",
            "--",
            "docs/samples",
        ]),
    )?;
    if let Some(text) = kept_readme {
        std::fs::write(readme, text)?;
        return Ok(());
    }
    std::fs::write(
        readme,
        "# Golden sample\n\nOne campaign of each type for the brand `Ledgerly`, generated by the built-in copywriter with\nseed 20261125 (`crates/ame-generation/src/samples.rs`). Each asset has its `asset.json` (content and\nmetadata) and its rendered files. `cargo xtask samples` regenerates this folder; the test\n`the_golden_sample_has_not_drifted` fails when the generator's output changes without it.\n",
    )?;
    Ok(())
}

fn openapi(root: &Path) -> Result<()> {
    let out = cargo()
        .current_dir(root)
        .args([
            "run", "--quiet", "-p", "ame-api", "--bin", "ame", "--", "openapi",
        ])
        .output()
        .context("running ame openapi")?;
    if !out.status.success() {
        bail!(
            "ame openapi failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::write(root.join("docs/openapi.json"), &out.stdout)?;
    eprintln!("wrote docs/openapi.json");
    Ok(())
}

fn test(root: &Path, test_args: &[String]) -> Result<()> {
    let mut clock = timing::StageClock::start();
    let outcome = test_stages(root, test_args, &mut clock);
    eprintln!("{}", clock.report());
    outcome
}

/// The stages of `cargo xtask test`, each timed by `clock`.
fn test_stages(root: &Path, test_args: &[String], clock: &mut timing::StageClock) -> Result<()> {
    run(
        "cargo fmt --check",
        cargo()
            .current_dir(root)
            .args(["fmt", "--all", "--", "--check"]),
    )?;
    run(
        "cargo clippy -D warnings",
        cargo().current_dir(root).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    clock.lap("fmt and clippy");
    layers::check(root)?;
    packages::ensure_debian_packages(TEST_PACKAGES)?;
    let server = pg_server::ensure_reachable()?;
    clock.lap("layers, Debian packages, PostgreSQL");

    eprintln!(
        "==> cargo test (SQLite and PostgreSQL at {})",
        server.address
    );
    let mut child = cargo()
        .current_dir(root)
        .args(["test", "--workspace"])
        .args(if test_args.is_empty() {
            vec![]
        } else {
            std::iter::once("--".to_owned())
                .chain(test_args.iter().cloned())
                .collect()
        })
        .env(pg_server::DATABASE_URL_ENV, &server.url)
        .stdout(Stdio::piped())
        .spawn()
        .context("could not start cargo test")?;
    let mut counts = summary::Counts::default();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.context("reading cargo test output")?;
            counts.record(&line);
            println!("{line}");
        }
    }
    let status = child.wait().context("waiting for cargo test")?;
    clock.lap("cargo test (build and run)");
    println!("{}", counts.summary_line(&server.address, status.success()));
    if !status.success() || counts.failed > 0 {
        bail!("tests failed");
    }
    // A filtered run may select one backend; the full run must exercise both.
    if test_args.is_empty() && (counts.postgres.passed == 0 || counts.sqlite.passed == 0) {
        bail!("no SQLite or no PostgreSQL test ran; both backends must be tested");
    }
    if test_args.is_empty() {
        e2e::run_all(root)?;
        println!("e2e: schemathesis and the generated client passed on SQLite and PostgreSQL");
        clock.lap("e2e (schemathesis, client, exactly-once)");
        browser::check_landing_page(root, &root.join(SAMPLE_PAGE))?;
        dashboard::journey(root, &root.join(DASHBOARD_SCREENSHOTS))?;
        println!("dashboard: the journeys, security checks and axe-core passed in Chromium");
        clock.lap("browser and dashboard");
        backtest::run_on_shared_data(root)?;
        targeting_backtest::run_on_shared_data(root)?;
        clock.lap("backtests");
        s3::end_to_end(root)?;
        println!("s3: rendered files stored in and served from an S3 bucket");
        clock.lap("s3");
        llm_e2e::end_to_end(root)?;
        println!("llm: a campaign's assets were generated through a real local model server");
        clock.lap("llm");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::task_variable;

    #[test]
    fn only_what_cargo_sets_for_a_running_binary_is_dropped_from_child_cargos() {
        for set_by_cargo_run in ["CARGO_PKG_NAME", "CARGO_PKG_VERSION", "CARGO_MANIFEST_DIR"] {
            assert!(task_variable(set_by_cargo_run), "{set_by_cargo_run}");
        }
        for chosen_by_the_user in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_TERM_COLOR",
        ] {
            assert!(!task_variable(chosen_by_the_user), "{chosen_by_the_user}");
        }
    }
}
