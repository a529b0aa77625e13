//! The `ame` binary, run as a user would run it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn ame(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ame"))
        .current_dir(dir)
        .env_remove("AME_DATABASE_URL")
        .env("AME_LOG", "warn")
        .args(args)
        .output()
        .expect("run ame")
}

#[test]
fn migrate_creates_the_embedded_database_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = ame(dir.path(), &["migrate"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("27 migrations applied to sqlite://ame.db"),
            "{stdout}"
        );
    }
    assert!(dir.path().join("ame.db").is_file());
}

#[test]
fn app_role_is_refused_on_sqlite_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = ame(dir.path(), &["migrate", "--app-role", "ame_app"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--app-role applies to PostgreSQL only"),
        "{stderr}"
    );
}

#[test]
fn unreachable_database_fails_without_leaking_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let out = ame(
        dir.path(),
        &[
            "--database-url",
            "postgres://ame:hunter2@127.0.0.1:1/ame",
            "migrate",
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("postgres://ame:***@127.0.0.1:1/ame"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

fn stdout_of(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn openapi_prints_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let spec: serde_json::Value =
        serde_json::from_str(&stdout_of(&ame(dir.path(), &["openapi"]))).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(spec["paths"]["/api/marketing/generate-assets/{id}"]["post"].is_object());
}

#[test]
fn administration_commands_manage_organizations_keys_and_members() {
    let dir = tempfile::tempdir().unwrap();
    let org = stdout_of(&ame(dir.path(), &["org", "create", "Acme"]));
    assert!(uuid::Uuid::parse_str(&org).is_ok(), "{org}");
    let out = ame(
        dir.path(),
        &["apikey", "create", "--org", &org, "--role", "viewer"],
    );
    let secret = stdout_of(&out);
    assert!(secret.starts_with("ame_") && secret.len() == 47, "{secret}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let key_id = stderr.split_whitespace().nth(1).unwrap();
    let revoked = stdout_of(&ame(
        dir.path(),
        &["apikey", "revoke", "--org", &org, "--key", key_id],
    ));
    assert!(revoked.starts_with("revoked key"), "{revoked}");
    let user = uuid::Uuid::now_v7().to_string();
    let added = stdout_of(&ame(
        dir.path(),
        &[
            "user", "add", "--org", &org, "--user", &user, "--role", "admin",
        ],
    ));
    assert!(added.contains("is now admin"), "{added}");
    let bad_role = ame(
        dir.path(),
        &[
            "user", "add", "--org", &org, "--user", &user, "--role", "king",
        ],
    );
    assert!(!bad_role.status.success());
    assert!(
        String::from_utf8_lossy(&bad_role.stderr).contains("allowed: owner, admin, member, viewer")
    );
    let unknown_org = ame(dir.path(), &["apikey", "create", "--org", &user]);
    assert!(!unknown_org.status.success());
}

#[test]
fn results_import_is_repeatable_and_backtest_reports_every_stage() {
    let dir = tempfile::tempdir().unwrap();
    let org = stdout_of(&ame(dir.path(), &["org", "create", "Acme"]));
    let mut csv = String::from(
        "campaign,campaign_type,channel,date,planned_reach,budget,reach,clicks,leads,conversions,spend\n",
    );
    for c in 0..12 {
        for day in 1..=3 {
            let reach = 1000 + 97 * c + 13 * day;
            csv.push_str(&format!(
                "spring {c},lead_gen,email,2026-03-0{day},9000,300,{reach},{},{},{},{}.25\n",
                reach / 25,
                reach / 250,
                if day == 3 {
                    String::new()
                } else {
                    (reach / 1000).to_string()
                },
                10 + c
            ));
        }
    }
    let file = dir.path().join("results.csv");
    std::fs::write(&file, csv).unwrap();
    let path = file.to_str().unwrap();
    let first = stdout_of(&ame(
        dir.path(),
        &["results", "import", path, "--org", &org],
    ));
    assert_eq!(
        first.lines().filter(|l| l.starts_with("created")).count(),
        12,
        "{first}"
    );
    assert!(
        first.ends_with("imported 12 campaigns, 36 records"),
        "{first}"
    );
    let again = stdout_of(&ame(
        dir.path(),
        &["results", "import", path, "--org", &org],
    ));
    assert_eq!(
        again.lines().filter(|l| l.starts_with("updated")).count(),
        12,
        "{again}"
    );

    let report: serde_json::Value = serde_json::from_str(&stdout_of(&ame(
        dir.path(),
        &["backtest", path, "--draws", "500", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(report["campaigns"], 12);
    assert_eq!(report["predicted"], 12);
    let stages: Vec<&str> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["clicks", "leads", "conversions"]);
    assert_eq!(
        report["stages"][2]["mdape_seed_constant"]
            .as_f64()
            .map(|v| v > 10.0),
        Some(true)
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "campaign,campaign_type,channel,date\na,lead_gen,fax,2026-01-01\n",
    )
    .unwrap();
    let out = ame(
        dir.path(),
        &["results", "import", bad.to_str().unwrap(), "--org", &org],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 2") && stderr.contains("fax"),
        "{stderr}"
    );
}

/// Starts `ame serve` on a free port; returns the process, the lines it printed up to the
/// address, the base URL and the rest of its output.
fn start_serve(
    dir: &std::path::Path,
    env: &[(&str, &str)],
) -> (
    std::process::Child,
    Vec<String>,
    String,
    std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_ame"))
        .current_dir(dir)
        .env_remove("AME_DATABASE_URL")
        .env("AME_LOG", "warn")
        .args(["serve", "--bind", "127.0.0.1:0", "--workers", "1"])
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(dir.join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        printed.push(line.clone());
        if let Some(base) = line.strip_prefix("AME listens on ") {
            return (child, printed, base.to_owned(), lines);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("ame serve printed no address: {printed:?}");
}

fn terminate(child: &mut std::process::Child) {
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn serve_starts_with_a_demo_key_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, printed, base, rest) = start_serve(dir.path(), &[]);
    let key = printed
        .iter()
        .find_map(|l| l.strip_prefix("Its owner API key (shown only now): "))
        .expect("demo key printed")
        .to_owned();
    let http = reqwest::Client::new();
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let created = http
        .post(format!("{base}/api/marketing/campaign"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"campaign_type": "lead_gen", "objective": "Fill the March webinar"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    terminate(&mut child);
    let rest: Vec<String> = rest.map(Result::unwrap).collect();
    assert!(rest.iter().any(|l| l == "AME stopped"), "{rest:?}");

    // A restart keeps the data and creates no second demo organization; logs can be JSON.
    let (mut child, printed, base, _rest) = start_serve(
        dir.path(),
        &[("AME_LOG_FORMAT", "json"), ("AME_LOG", "info")],
    );
    assert!(
        !printed.iter().any(|l| l.contains("demo organization")),
        "{printed:?}"
    );
    let listed: serde_json::Value = http
        .get(format!("{base}/api/marketing/campaigns"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    terminate(&mut child);
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let handled = records
        .iter()
        .find(|r| {
            r["message"] == "request handled" && r["span"]["path"] == "/api/marketing/campaigns"
        })
        .unwrap_or_else(|| panic!("no request record in {log}"));
    assert_eq!(handled["status"], 200);
    assert!(
        handled["span"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
}

#[test]
fn sigterm_lets_an_in_flight_request_finish() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (mut child, printed, base, _rest) = start_serve(dir.path(), &[]);
    let key = printed
        .iter()
        .find_map(|l| l.strip_prefix("Its owner API key (shown only now): "))
        .expect("demo key printed")
        .to_owned();
    let address = base.strip_prefix("http://").unwrap().to_owned();
    let body = r#"{"campaign_type":"upsell","objective":"Finish what was started"}"#;
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /api/marketing/campaign HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    // Half the body now; the rest only after the server was told to stop.
    stream.write_all(&body.as_bytes()[..20]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    std::thread::sleep(std::time::Duration::from_millis(1500));
    stream.write_all(&body.as_bytes()[20..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("Finish what was started"), "{response}");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    // New connections are refused once it has stopped.
    assert!(std::net::TcpStream::connect(&address).is_err());
}

#[test]
fn contacts_import_checks_every_row_first_then_streams_them_in() {
    let dir = tempfile::tempdir().unwrap();
    stdout_of(&ame(dir.path(), &["migrate"]));
    let org = stdout_of(&ame(dir.path(), &["org", "create", "Importers"]));
    // A file with two bad rows among good ones: both named by line, nothing imported.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "email,first_name,time_zone,plan\nada@example.com,Ada,Europe/London,pro\nnot-an-address,Bob,UTC,free\ngrace@example.com,Grace,Mars/Olympus,pro\n",
    )
    .unwrap();
    let out = ame(
        dir.path(),
        &["contacts", "import", bad.to_str().unwrap(), "--org", &org],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 3.email"), "{stderr}");
    assert!(stderr.contains("line 4.time_zone"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");

    // 20,000 rows go in a thousand at a time; importing again updates them.
    let good = dir.path().join("good.csv");
    let mut text = String::from("email,first_name,time_zone,seats,vip\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "p{i}@example.com,P{i},Europe/London,{i},{}\n",
            i % 2 == 0
        ));
    }
    std::fs::write(&good, text).unwrap();
    let first = stdout_of(&ame(
        dir.path(),
        &["contacts", "import", good.to_str().unwrap(), "--org", &org],
    ));
    assert!(
        first.contains("Imported 20000 rows: 20000 contacts created, 0 updated"),
        "{first}"
    );
    let again = stdout_of(&ame(
        dir.path(),
        &["contacts", "import", good.to_str().unwrap(), "--org", &org],
    ));
    assert!(
        again.contains("0 contacts created, 20000 updated"),
        "{again}"
    );
}

fn ame_with_stdin(dir: &std::path::Path, args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ame"))
        .current_dir(dir)
        .env_remove("AME_DATABASE_URL")
        .env("AME_LOG", "warn")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run ame");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().expect("wait for ame")
}

#[test]
fn dashboard_accounts_are_added_with_a_password_from_stdin_and_removed_by_email() {
    let dir = tempfile::tempdir().unwrap();
    let org = stdout_of(&ame(dir.path(), &["org", "create", "Acme"]));
    let add = [
        "user",
        "add",
        "--email",
        "Ana@Example.com",
        "--org",
        &org,
        "--role",
        "member",
        "--password-stdin",
    ];
    let short = ame_with_stdin(dir.path(), &add, "short\n");
    assert!(!short.status.success());
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("password: must be 12 to 256 characters"),
        "{}",
        String::from_utf8_lossy(&short.stderr)
    );
    let added = ame_with_stdin(dir.path(), &add, "correct horse battery staple\n");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let user = String::from_utf8_lossy(&added.stdout).trim().to_owned();
    assert!(uuid::Uuid::parse_str(&user).is_ok(), "{user}");
    let without_person = ame(
        dir.path(),
        &["user", "add", "--org", &org, "--role", "member"],
    );
    assert!(!without_person.status.success());
    let removed = stdout_of(&ame(
        dir.path(),
        &[
            "user",
            "remove",
            "--email",
            "ana@example.com",
            "--org",
            &org,
        ],
    ));
    assert!(removed.contains("sessions there have ended"), "{removed}");
    let again = ame(
        dir.path(),
        &[
            "user",
            "remove",
            "--email",
            "ana@example.com",
            "--org",
            &org,
        ],
    );
    assert!(!again.status.success(), "no longer a member");
}

/// `ame results import`, `ame contacts import` and `ame outcomes import` beside a running
/// `ame serve` on the same SQLite file, with requests writing all the while: every import
/// succeeds (ten rounds of the three), and so does every request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_beside_a_busy_server_on_sqlite_never_fail() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from(
        "campaign,campaign_type,channel,date,planned_reach,budget,reach,clicks,leads,conversions,spend\n",
    );
    for c in 0..60 {
        for day in 1..=3 {
            let reach = 2000 + 31 * c + 7 * day;
            csv.push_str(&format!(
                "autumn {c},re_engagement,email,2026-10-0{day},9000,300,{reach},{},{},{},12.50\n",
                reach / 20,
                reach / 200,
                reach / 900,
            ));
        }
    }
    let file = dir.path().join("results.csv");
    std::fs::write(&file, csv).unwrap();
    let mut contacts = String::from("email,first_name,time_zone,seats\n");
    let mut outcomes = String::from("email,group,clicked,converted,value\n");
    for i in 0..2000 {
        contacts.push_str(&format!("p{i}@example.com,P{i},Europe/London,{i}\n"));
        let group = if i % 5 == 0 { "control" } else { "treatment" };
        let (clicked, converted) = (i % 7 == 0, i % 21 == 0);
        let value = if converted { "49.00" } else { "" };
        outcomes.push_str(&format!(
            "p{i}@example.com,{group},{clicked},{converted},{value}\n"
        ));
    }
    let contacts_file = dir.path().join("contacts.csv");
    std::fs::write(&contacts_file, contacts).unwrap();
    let outcomes_file = dir.path().join("outcomes.csv");
    std::fs::write(&outcomes_file, outcomes).unwrap();
    let (mut child, printed, base, _rest) = start_serve(dir.path(), &[]);
    let key = printed
        .iter()
        .find_map(|l| l.strip_prefix("Its owner API key (shown only now): "))
        .expect("demo key printed")
        .to_owned();
    let org = stdout_of(&ame(dir.path(), &["org", "create", "Acme"]));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let (stop, base, key) = (stop.clone(), base.clone(), key.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut statuses = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let created = http
                    .post(format!("{base}/api/marketing/campaign"))
                    .bearer_auth(&key)
                    .json(&serde_json::json!({"campaign_type": "lead_gen", "objective": "Fill the March webinar"}))
                    .send()
                    .await
                    .unwrap();
                statuses.push(created.status().as_u16());
                // Under the default limit of 600 writes a minute per key, however long the
                // imports take.
                tokio::time::sleep(std::time::Duration::from_millis(120)).await;
            }
            statuses
        })
    };
    let root = dir.path().to_owned();
    let run_ame = |args: Vec<String>| {
        let root = root.clone();
        async move {
            let out = tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                ame(&root, &args)
            })
            .await
            .unwrap();
            assert!(
                out.status.success(),
                "import failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            stdout_of(&out)
        }
    };
    let text = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let mut campaign = None;
    for _ in 0..10 {
        let results = run_ame(
            ["results", "import", &text(&file), "--org", &org]
                .map(String::from)
                .to_vec(),
        )
        .await;
        assert!(
            results.ends_with("imported 60 campaigns, 180 records"),
            "{results}"
        );
        let first = campaign.get_or_insert_with(|| {
            results
                .split_whitespace()
                .nth(2)
                .expect("a campaign id after `created campaign`")
                .to_owned()
        });
        let imported = run_ame(
            ["contacts", "import", &text(&contacts_file), "--org", &org]
                .map(String::from)
                .to_vec(),
        )
        .await;
        assert!(imported.contains("Imported 2000 rows"), "{imported}");
        let recorded = run_ame(
            [
                "outcomes",
                "import",
                &text(&outcomes_file),
                "--campaign",
                first,
                "--org",
                &org,
            ]
            .map(String::from)
            .to_vec(),
        )
        .await;
        assert!(
            recorded.contains("2000 outcome records imported from 2000 rows"),
            "{recorded}"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let statuses = load.await.unwrap();
    assert!(
        statuses.len() > 10,
        "the server was busy: {} requests",
        statuses.len()
    );
    let refused: Vec<&u16> = statuses.iter().filter(|s| **s != 201).collect();
    assert!(
        refused.is_empty(),
        "{} of {} requests failed: {refused:?}",
        refused.len(),
        statuses.len()
    );
    terminate(&mut child);
}
