//! `cargo xtask backtest targeting`: the targeting model on the shared charity direct-mail data
//! (`xtask/e2e/targeting_backtest.py`): contacts and outcomes imported with `ame contacts import`
//! and `ame outcomes import`, the model trained and the held-out 40% scored through the API, the
//! held-out AUC checked (≥ 0.77) and the coefficients checked against scikit-learn (to 1e-4).

use crate::e2e::{RunningServer, fresh_sqlite_engine, org_with_owner_key, python_venv};
use crate::run;
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The reference fit's Python packages, pinned.
const REQUIREMENTS: &[&str] = &["scikit-learn==1.6.1", "numpy==2.2.6"];

fn dataset(root: &Path) -> PathBuf {
    std::env::var_os("AME_DATASETS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/datasets"))
        .join("charity_direct_mail.csv")
}

/// Runs the targeting backtest when the dataset is present; says so either way.
pub(crate) fn run_on_shared_data(root: &Path) -> Result<()> {
    let source = dataset(root);
    if !source.exists() {
        println!(
            "targeting backtest: {} not found; it did not run",
            source.display()
        );
        return Ok(());
    }
    let work = root.join("target/targeting");
    std::fs::create_dir_all(&work)?;
    let venv = python_venv(&work, REQUIREMENTS, "scikit-learn")?;
    let (binary, url, _) = fresh_sqlite_engine(root, &work.join("run"), "Targeting")?;
    let (org, key) = org_with_owner_key(&binary, &url, "Charity")?;
    let server = RunningServer::start(&binary, &url, &work.join("run/ame.log"))?;
    run(
        "targeting backtest on the charity direct-mail data",
        Command::new(venv.join("bin/python"))
            .arg(root.join("xtask/e2e/targeting_backtest.py"))
            .args([&server.base, &key, &org])
            .arg(&binary)
            .arg(&url)
            .arg(&source)
            .arg(work.join("files")),
    )?;
    server.stop()?;
    println!("targeting backtest: held-out AUC and the reference fit checked");
    Ok(())
}
