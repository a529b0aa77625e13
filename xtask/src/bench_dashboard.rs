//! `cargo xtask bench dashboard`: server time and size of the dashboard's main pages with 10,000
//! campaigns in the organization, on the embedded SQLite default and on PostgreSQL (release
//! binary, wrk from Debian, one connection so the latencies are per request, not queueing).
//!
//! The campaigns are created through the API (a wrk script that stops after the count), one of
//! them gets a generated asset set, and a dashboard user signs in through the form.

use crate::bench_api::{Measurement, ensure_wrk, parse_wrk};
use crate::e2e::{
    RunningServer, ScratchDatabase, database_url, migrate_with_role, org_with_owner_key, output_of,
};
use crate::pg_server;
use crate::{cargo, run};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

const CAMPAIGNS: u32 = 10_000;
const PASSWORD: &str = "bench password of sufficient length";
const EMAIL: &str = "bench@example.com";
const APP_ROLE: &str = "ame_bench_dashboard";
const APP_ROLE_PASSWORD: &str = "ame_bench_dashboard_password";

/// One page's figures.
struct PageRow {
    name: &'static str,
    latency: Measurement,
    html_bytes: u64,
}

fn seconds() -> u32 {
    std::env::var("AME_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
}

fn curl(args: &[&str]) -> Result<String> {
    output_of(
        Command::new("curl")
            .args(["-s", "--noproxy", "*"])
            .args(args),
        "curl",
    )
}

/// Creates `count` campaigns through the API with wrk (the script stops after the count).
fn seed(work: &Path, base: &str, key: &str, count: u32) -> Result<()> {
    let script = work.join("seed.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\n\
             wrk.body = '{{\"campaign_type\":\"lead_gen\",\"objective\":\"Grow sign-ups with finance teams this quarter\",\"channels\":[\"email\"],\"planned_reach\":5000}}'\n\
             wrk.headers[\"Content-Type\"] = \"application/json\"\n\
             wrk.headers[\"Authorization\"] = \"Bearer {key}\"\n\
             local done = 0\n\
             function response(status, headers, body)\n  if status ~= 201 then\n    io.stderr:write(\"seeding failed: \" .. status .. \" \" .. body .. \"\\n\")\n    os.exit(1)\n  end\n  done = done + 1\n  if done >= {count} then os.exit(0) end\nend\n"
        ),
    )?;
    output_of(
        Command::new("wrk")
            .args(["-t1", "-c1", "-d600s"])
            .arg("-s")
            .arg(&script)
            .arg(format!("{base}/api/marketing/campaign")),
        "wrk (seeding campaigns)",
    )?;
    Ok(())
}

/// Waits (up to a minute) until the campaign's generated assets are stored.
fn wait_for_assets(base: &str, key: &str, id: &str) -> Result<()> {
    for _ in 0..120 {
        let listed = curl(&[
            "-H",
            &format!("Authorization: Bearer {key}"),
            &format!("{base}/api/marketing/campaigns/{id}/assets"),
        ])?;
        let value: serde_json::Value = serde_json::from_str(&listed).unwrap_or_default();
        let items = value
            .get("items")
            .or(Some(&value))
            .and_then(|v| v.as_array());
        if items.is_some_and(|a| !a.is_empty()) {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    anyhow::bail!("the campaign's assets were not generated within a minute")
}

/// Signs in through the form; returns the session cookie's value.
fn sign_in(work: &Path, base: &str) -> Result<String> {
    let jar = work.join("cookies.txt");
    let _ = std::fs::remove_file(&jar);
    let jar_text = jar.to_string_lossy().into_owned();
    let page = curl(&["-c", &jar_text, &format!("{base}/login")])?;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("no csrf field on the sign-in page")?
        .to_owned();
    curl(&[
        "-b",
        &jar_text,
        "-c",
        &jar_text,
        "-o",
        "/dev/null",
        "--data-urlencode",
        &format!("csrf={csrf}"),
        "--data-urlencode",
        &format!("email={EMAIL}"),
        "--data-urlencode",
        &format!("password={PASSWORD}"),
        &format!("{base}/login"),
    ])?;
    let jar = std::fs::read_to_string(&jar)?;
    jar.lines()
        .find_map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            (fields.len() == 7 && fields[5] == "ame_session").then(|| fields[6].to_owned())
        })
        .context("signing in gave no session cookie")
}

fn measure(base: &str, cookie: &str, path: &str) -> Result<Measurement> {
    let output = output_of(
        Command::new("wrk")
            .args(["-t1", "-c1", &format!("-d{}s", seconds()), "--latency"])
            .args(["-H", &format!("Cookie: ame_session={cookie}")])
            .arg(format!("{base}{path}")),
        "wrk",
    )?;
    let m = parse_wrk(&output).with_context(|| format!("reading wrk output:\n{output}"))?;
    if m.errors > 0 {
        bail!("{path}: {} responses were not 2xx", m.errors);
    }
    Ok(m)
}

fn size(base: &str, cookie: &str, path: &str) -> Result<u64> {
    let text = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{size_download}",
        "-H",
        &format!("Cookie: ame_session={cookie}"),
        &format!("{base}{path}"),
    ])?;
    text.trim()
        .parse()
        .with_context(|| format!("size of {path}: {text}"))
}

/// Everything the campaign page pulls in when every preview loads (the frames and pictures are
/// lazy, so a first view loads less).
fn page_weight(base: &str, cookie: &str, path: &str) -> Result<u64> {
    let html = curl(&[
        "-H",
        &format!("Cookie: ame_session={cookie}"),
        &format!("{base}{path}"),
    ])?;
    let mut total = html.len() as u64;
    let mut sources: Vec<String> = html
        .split(['"'])
        .filter(|s| {
            s.starts_with("/app/") && (s.contains("/files/") || s.starts_with("/app/static/"))
        })
        .map(str::to_owned)
        .collect();
    sources.sort();
    sources.dedup();
    for source in &sources {
        total += size(base, cookie, &source.replace("&amp;", "&"))?;
    }
    Ok(total)
}

fn bench_backend(
    binary: &Path,
    work: &Path,
    label: &str,
    admin_url: &str,
    app_url: &str,
) -> Result<String> {
    let (org, key) = org_with_owner_key(binary, admin_url, "Dashboard bench")?;
    let mut add = Command::new(binary);
    add.args([
        "user",
        "add",
        "--email",
        EMAIL,
        "--org",
        &org,
        "--role",
        "owner",
        "--password-stdin",
    ])
    .env("AME_DATABASE_URL", admin_url)
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::null());
    let mut child = add.spawn().context("ame user add")?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().context("stdin of ame user add")?;
        writeln!(stdin, "{PASSWORD}")?;
    }
    if !child.wait()?.success() {
        bail!("ame user add failed");
    }
    let log = work.join(format!("{label}-server.log"));
    let blobs = work.join(format!("{label}-blobs"));
    let server = RunningServer::start_with(
        binary,
        app_url,
        &log,
        &[("AME_BLOB_STORE", &blobs.to_string_lossy())],
    )?;
    seed(work, &server.base, &key, CAMPAIGNS)?;
    let created = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("Authorization: Bearer {key}"),
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"campaign_type":"lead_gen","objective":"Book 40 demos with finance teams by March","channels":["email","linkedin"],"planned_reach":5000,"budget":"2500.00"}"#,
        &format!("{}/api/marketing/campaign", server.base),
    ])?;
    let id = serde_json::from_str::<serde_json::Value>(&created)?["id"]
        .as_str()
        .context("no campaign id")?
        .to_owned();
    curl(&[
        "-X",
        "POST",
        "-o",
        "/dev/null",
        "-H",
        &format!("Authorization: Bearer {key}"),
        &format!("{}/api/marketing/generate-assets/{id}", server.base),
    ])?;
    wait_for_assets(&server.base, &key, &id)?;
    let cookie = sign_in(work, &server.base)?;
    let detail = format!("/app/campaigns/{id}");
    let forecast = format!("{detail}/forecast");
    let pages: [(&'static str, &str); 5] = [
        ("campaign list", "/app/campaigns"),
        (
            "list, filtered and searched",
            "/app/campaigns?status=draft&type=lead_gen&q=finance",
        ),
        ("list, page 200", ""),
        ("campaign detail (with assets)", &detail),
        ("forecast", &forecast),
    ];
    let deep_cursor = {
        let mut path = "/app/campaigns".to_owned();
        for _ in 0..199 {
            let html = curl(&[
                "-H",
                &format!("Cookie: ame_session={cookie}"),
                &format!("{}{path}", server.base),
            ])?;
            let next = html
                .split("rel=\"next\" href=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .context("no next page")?
                .replace("&amp;", "&");
            path = next;
        }
        path
    };
    let mut rows = Vec::new();
    for (name, path) in pages {
        let path = if path.is_empty() {
            deep_cursor.as_str()
        } else {
            path
        };
        rows.push(PageRow {
            name,
            latency: measure(&server.base, &cookie, path)?,
            html_bytes: size(&server.base, &cookie, path)?,
        });
    }
    let weight = page_weight(&server.base, &cookie, &detail)?;
    server.stop()?;
    let mut out = format!(
        "**{label}** ({CAMPAIGNS} campaigns, release binary, 1 connection, {} s per page)\n\n\
         | page | req/s | p50 ms | p99 ms | HTML bytes |\n|---|---:|---:|---:|---:|\n",
        seconds()
    );
    for row in &rows {
        out.push_str(&format!(
            "| {} | {:.0} | {:.2} | {:.2} | {} |\n",
            row.name,
            row.latency.throughput,
            row.latency.p50_ms,
            row.latency.p99_ms,
            row.html_bytes
        ));
    }
    out.push_str(&format!(
        "\nCampaign page with every preview loaded (HTML, stylesheet, script, frames, pictures): {weight} bytes ({:.0} KB)\n\n",
        weight as f64 / 1024.0
    ));
    Ok(out)
}

/// Runs the dashboard benchmark on SQLite and PostgreSQL and prints the report.
pub(crate) fn run_dashboard_bench(root: &Path) -> Result<()> {
    ensure_wrk()?;
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
    let work = root.join("target/bench-dashboard");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;

    let sqlite_url = format!("sqlite://{}?mode=rwc", work.join("ame.db").display());
    run(
        "ame migrate (SQLite)",
        Command::new(&binary)
            .arg("migrate")
            .env("AME_DATABASE_URL", &sqlite_url),
    )?;
    let mut report = bench_backend(
        &binary,
        &work,
        "SQLite (embedded default)",
        &sqlite_url,
        &sqlite_url,
    )?;

    let server = pg_server::ensure_reachable()?;
    let database = ScratchDatabase::create(&server, "ame_bench_dashboard")?;
    let admin_url = database_url(&server, &database.name, None)?;
    migrate_with_role(&binary, &admin_url, APP_ROLE, APP_ROLE_PASSWORD)?;
    let app_url = database_url(&server, &database.name, Some((APP_ROLE, APP_ROLE_PASSWORD)))?;
    report.push_str(&bench_backend(
        &binary,
        &work,
        "PostgreSQL",
        &admin_url,
        &app_url,
    )?);
    println!("{report}");
    std::fs::write(work.join("report.md"), &report)?;
    eprintln!("(also written to {})", work.join("report.md").display());
    Ok(())
}
