//! The predictor on real data: the shared Facebook ads dataset converted to AME's results CSV,
//! backtested with `ame backtest` (thresholds checked) and imported twice with
//! `ame results import` into a fresh SQLite database (the second import changes nothing).

use crate::e2e::{fresh_sqlite_engine, org_with_owner_key, output_of};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the shared datasets live: `AME_DATASETS_DIR`, else `../shared/datasets` beside the
/// checkout.
fn dataset(root: &Path) -> PathBuf {
    std::env::var_os("AME_DATASETS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/datasets"))
        .join("facebook_ads_conversions.csv")
}

/// Converts the Facebook export: one campaign per ad set (`fb_campaign_id`), summed over its
/// ads; reach = Impressions, clicks = Clicks, leads = Total_Conversion, conversions =
/// Approved_Conversion, spend = Spent; the advertiser's campaign (`xyz_campaign_id`) as `org`.
fn convert(source: &Path, target: &Path) -> Result<usize> {
    let text =
        std::fs::read_to_string(source).with_context(|| format!("reading {}", source.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().context("empty dataset")?.split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .with_context(|| format!("the dataset has no `{name}` column"))
    };
    let (set, group) = (col("fb_campaign_id")?, col("xyz_campaign_id")?);
    let columns = [
        col("Impressions")?,
        col("Clicks")?,
        col("Total_Conversion")?,
        col("Approved_Conversion")?,
    ];
    let spent = col("Spent")?;
    let mut sets: BTreeMap<String, (String, [u64; 4], f64)> = BTreeMap::new();
    for (n, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let entry = sets
            .entry(cells[set].to_owned())
            .or_insert_with(|| (cells[group].to_owned(), [0; 4], 0.0));
        for (total, i) in entry.1.iter_mut().zip(columns) {
            *total += cells[i]
                .parse::<u64>()
                .with_context(|| format!("line {}: `{}` is not a count", n + 2, cells[i]))?;
        }
        entry.2 += cells[spent]
            .parse::<f64>()
            .with_context(|| format!("line {}: `{}` is not an amount", n + 2, cells[spent]))?;
    }
    let mut out = String::from(
        "campaign,campaign_type,channel,date,org,reach,clicks,leads,conversions,spend\n",
    );
    for (id, (org, [reach, clicks, leads, conversions], spend)) in &sets {
        out.push_str(&format!(
            "ad set {id},lead_gen,facebook,2017-08-17,campaign {org},{reach},{clicks},{leads},{conversions},{spend:.2}\n"
        ));
    }
    std::fs::write(target, out)?;
    Ok(sets.len())
}

/// Runs the backtest and the import when the dataset is present; says so either way.
pub fn run_on_shared_data(root: &Path) -> Result<()> {
    let source = dataset(root);
    if !source.exists() {
        println!(
            "backtest: {} not found; the real-data backtest did not run",
            source.display()
        );
        return Ok(());
    }
    let work = root.join("target/backtest");
    std::fs::create_dir_all(&work)?;
    let converted = work.join("facebook_ad_sets.csv");
    let campaigns = convert(&source, &converted)?;
    let (binary, database_url, _) = fresh_sqlite_engine(root, &work.join("import"), "Backtest")?;
    let (org_id, _) = org_with_owner_key(&binary, &database_url, "Imported results")?;
    eprintln!("==> ame backtest on {campaigns} Facebook ad sets");
    let report_file = work.join("report.json");
    let table = output_of(
        Command::new(&binary)
            .arg("backtest")
            .arg(&converted)
            .arg("--report")
            .arg(&report_file),
        "ame backtest",
    )?;
    println!("{table}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report_file)?)
        .context("reading the backtest report")?;
    for stage in ["clicks", "leads", "conversions"] {
        let figures = report["stages"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["stage"] == stage))
            .with_context(|| format!("the report has no {stage}"))?;
        let number = |field: &str| {
            figures[field]
                .as_f64()
                .with_context(|| format!("{stage}: no {field}"))
        };
        let coverage = number("coverage_80")?;
        if !(0.75..=0.97).contains(&coverage) {
            bail!(
                "{stage}: the 80% interval covered {coverage:.3} of campaigns (wanted 0.75–0.97)"
            );
        }
        let (mae, mae_mean_rate) = (number("mae")?, number("mae_mean_rate")?);
        if mae >= mae_mean_rate {
            bail!(
                "{stage}: MAE {mae:.2} is not below the historical mean rate's {mae_mean_rate:.2}"
            );
        }
        let error = number("mdape")?;
        let mean_rate = number("mdape_mean_rate")?;
        if error >= mean_rate {
            bail!(
                "{stage}: MdAPE {error:.3} is not below the historical mean rate's {mean_rate:.3}"
            );
        }
        if let Some(seed) = figures["mdape_seed_constant"].as_f64()
            && error >= seed
        {
            bail!("{stage}: MdAPE {error:.3} is not below the seed constants' {seed:.3}");
        }
    }

    let import = |label: &str| -> Result<String> {
        eprintln!("==> ame results import ({label})");
        output_of(
            Command::new(&binary)
                .env("AME_DATABASE_URL", &database_url)
                .args(["results", "import"])
                .arg(&converted)
                .args(["--org", &org_id]),
            "ame results import",
        )
    };
    let first = import("first")?;
    let again = import("again")?;
    let created = first.lines().filter(|l| l.starts_with("created")).count();
    let updated = again.lines().filter(|l| l.starts_with("updated")).count();
    if created != campaigns || updated != campaigns {
        bail!(
            "importing {campaigns} campaigns created {created}, and importing again updated {updated} (wanted {campaigns} each)"
        );
    }
    println!(
        "backtest: ran on {} ({campaigns} ad sets; thresholds met); imported them as {campaigns} campaigns, and again without duplicates",
        source.display()
    );
    Ok(())
}
