//! `cargo xtask dashboard`: the dashboard in a real browser. The real `ame serve` on a fresh
//! SQLite file, with an owner, a viewer and a third person of one organization (signed in with
//! passwords) and a campaign of another organization; Playwright for Python drives Debian's
//! Chromium through `xtask/e2e/dashboard_journey.py` (sign-in, brand, campaigns, generation,
//! results, forecast; viewer, CSRF, tenant, cookie, throttle, escaping and CSP checks; axe-core
//! on every page; a phone width; a keyboard-only journey) and takes screenshots.
//!
//! `cargo xtask screenshots` runs the same journey and keeps its screenshots in
//! `docs/screenshots`. Playwright lives in a virtual environment under `target/dashboard/venv`
//! and axe-core under `target/dashboard/node_modules`, both installed on first use and reused
//! while the pinned versions stay the same. No browser is downloaded: Playwright's bundled driver
//! launches `/usr/bin/chromium`.

use crate::e2e::{RunningServer, fresh_sqlite_engine, org_with_owner_key, python_venv};
use crate::packages::ensure_debian_packages;
use crate::run;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Playwright for Python. 1.65.2 expects Chromium 159, the nearest to Debian's; 1.49.1 also
/// drives Debian's Chromium, but its `wait_for_function` evaluates with `eval`, which the
/// dashboard's Content-Security-Policy refuses.
const REQUIREMENTS: &[&str] = &["playwright==1.65.2"];
/// The axe-core release injected into every page.
const AXE_CORE: &str = "4.10.2";
/// Commands the journey needs: the browser, npm for axe-core, and espeak-ng for the voice ad.
const PACKAGES: &[(&str, &str)] = &[
    ("chromium", "chromium"),
    ("npm", "npm"),
    ("espeak-ng", "espeak-ng"),
];
/// Every person's password (the throttled account's too: its sixth attempt, with the right
/// password, must still be refused).
const PASSWORD: &str = "correct horse battery staple";
const OWNER: &str = "owner@ledgerly.example";
const VIEWER: &str = "viewer@ledgerly.example";
const THROTTLED: &str = "throttled@ledgerly.example";

/// Runs the browser journey against a fresh server, writing its screenshots into `screenshots`.
pub(crate) fn journey(root: &Path, screenshots: &Path) -> Result<()> {
    ensure_debian_packages(PACKAGES)?;
    let work = root.join("target/dashboard");
    std::fs::create_dir_all(&work)?;
    let venv = python_venv(&work, REQUIREMENTS, "Playwright")?;
    let axe = ensure_axe_core(&work)?;

    // The engine's own organization is the other tenant: its key creates the campaign the
    // journey must not see.
    let (binary, url, other_key) =
        fresh_sqlite_engine(root, &work.join("db"), "Another organization")?;
    let (org, _) = org_with_owner_key(&binary, &url, "Ledgerly")?;
    for (email, role) in [(OWNER, "owner"), (VIEWER, "viewer"), (THROTTLED, "member")] {
        add_user(&binary, &url, &org, email, role)?;
    }

    std::fs::create_dir_all(screenshots)?;
    let blobs = work.join("db/blobs").display().to_string();
    let log = work.join("server.log");
    let server = RunningServer::start_with(
        &binary,
        &url,
        &log,
        &[
            ("AME_BLOB_STORE", blobs.as_str()),
            // The API's default, back on: the journey checks that sign-ins are throttled.
            ("AME_RATE_LIMIT_AUTH_FAILURES", "20"),
        ],
    )?;
    let outcome = run(
        "the dashboard in Chromium (Playwright, axe-core)",
        Command::new(venv.join("bin/python"))
            .current_dir(root)
            .arg("xtask/e2e/dashboard_journey.py")
            .env("AME_BASE", &server.base)
            .env("AME_OWNER_EMAIL", OWNER)
            .env("AME_OWNER_PASSWORD", PASSWORD)
            .env("AME_VIEWER_EMAIL", VIEWER)
            .env("AME_VIEWER_PASSWORD", PASSWORD)
            .env("AME_THROTTLE_EMAIL", THROTTLED)
            .env("AME_OTHER_KEY", &other_key)
            .env("AME_AXE_JS", &axe)
            .env("AME_SCREENSHOTS", screenshots)
            // Loopback only: a proxy configured for the machine must not see these requests.
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost"),
    );
    let stopped = server.stop();
    outcome.with_context(|| format!("the server's log is {}", log.display()))?;
    stopped
}

/// Installs the pinned axe-core with npm under `work/node_modules` unless it is already there;
/// returns the path of `axe.min.js`.
fn ensure_axe_core(work: &Path) -> Result<PathBuf> {
    let package = work.join("node_modules/axe-core");
    let installed = std::fs::read_to_string(package.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|manifest| manifest["version"].as_str().map(str::to_owned));
    if installed.as_deref() != Some(AXE_CORE) {
        run(
            &format!("install axe-core {AXE_CORE} from npm"),
            Command::new("npm")
                .arg("install")
                .arg("--prefix")
                .arg(work)
                .arg(format!("axe-core@{AXE_CORE}"))
                .args(["--no-save", "--no-audit", "--no-fund"]),
        )?;
    }
    let script = package.join("axe.min.js");
    if !script.is_file() {
        bail!("npm installed axe-core without {}", script.display());
    }
    Ok(script)
}

/// Adds a person to `org` with `ame user add`, the password written on its standard input (no
/// newline, then end of input: right whether the command reads a line or everything).
fn add_user(binary: &Path, url: &str, org: &str, email: &str, role: &str) -> Result<()> {
    let mut child = Command::new(binary)
        .args([
            "user", "add", "--email", email, "--org", org, "--role", role,
        ])
        .arg("--password-stdin")
        .env("AME_DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting ame user add")?;
    child
        .stdin
        .take()
        .context("ame user add's standard input")?
        .write_all(PASSWORD.as_bytes())
        .context("writing the password to ame user add")?;
    let out = child
        .wait_with_output()
        .context("waiting for ame user add")?;
    if !out.status.success() {
        bail!(
            "ame user add --email {email} --role {role} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}
