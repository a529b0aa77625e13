//! `cargo xtask backtest targeting`: the targeting model on the shared charity direct-mail data
//! (`xtask/e2e/targeting_backtest.py`): contacts and outcomes imported with `ame contacts import`
//! and `ame outcomes import`, the model trained and the held-out 40% scored through the API, the
//! held-out AUC checked (≥ 0.77) and the coefficients checked against scikit-learn (to 1e-4).

use crate::e2e::{RunningServer, fresh_sqlite_engine, org_with_owner_key};
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

/// A virtual environment with scikit-learn, created once.
fn reference_venv(work: &Path) -> Result<PathBuf> {
    let venv = work.join("venv");
    let marker = venv.join("ame-requirements.txt");
    let wanted = REQUIREMENTS.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(venv);
    }
    run(
        "create the reference fit's Python virtual environment",
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    )?;
    run(
        "install scikit-learn from PyPI",
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(REQUIREMENTS),
    )?;
    std::fs::write(&marker, wanted)?;
    Ok(venv)
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
    let venv = reference_venv(&work)?;
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
