//! `ame results import` and `ame backtest`: results files into a database, and the predictor
//! measured on a file.

use super::ready_storage;
use crate::cli::{HoldOutArg, ReportFormat, ResultsCommand};
use ame_app::Engine;
use ame_app::results_csv::{self, CsvCampaign};
use ame_domain::OrgId;
use ame_prediction::backtest::HoldOut;
use anyhow::{Context, Result};
use std::path::Path;

/// Imports a results file into an organization.
pub(super) async fn import(url: &str, command: ResultsCommand) -> Result<()> {
    let ResultsCommand::Import { file, org } = command;
    let campaigns = read_results_file(&file)?;
    let engine = Engine::new(ready_storage(url).await?);
    let imported = engine
        .import_results(OrgId::from_uuid(org), &campaigns)
        .await?;
    for i in &imported {
        let verb = if i.created { "created" } else { "updated" };
        println!(
            "{verb} campaign {} ({}): {} records",
            i.id, i.name, i.records
        );
    }
    println!(
        "imported {} campaigns, {} records",
        imported.len(),
        imported.iter().map(|i| i.records).sum::<usize>()
    );
    Ok(())
}

/// Runs a leave-one-out backtest on a results file and prints its report.
pub(super) async fn backtest(
    file: &Path,
    hold_out: HoldOutArg,
    draws: usize,
    seed: u64,
    format: ReportFormat,
    report_file: Option<&Path>,
) -> Result<()> {
    let campaigns = read_results_file(file)?;
    let held = match hold_out {
        HoldOutArg::Campaign => HoldOut::Campaign,
        HoldOutArg::Group => HoldOut::Group,
    };
    let report = results_csv::backtest(&campaigns, held, draws, seed)
        .await
        .context("running the backtest")?;
    match format {
        ReportFormat::Table => {
            println!(
                "{} backtest of {} ({} campaigns, {} predicted, {} draws, seed {}):",
                capitalised(report.hold_out.describe()),
                file.display(),
                report.campaigns,
                report.predicted,
                report.draws,
                report.seed
            );
            print!("{}", report.table());
        }
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    if let Some(path) = report_file {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Reads a results CSV, naming the file in any error.
fn read_results_file(file: &Path) -> Result<Vec<CsvCampaign>> {
    let reader =
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    results_csv::read(reader).with_context(|| format!("reading {}", file.display()))
}
