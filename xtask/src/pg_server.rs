//! Making sure the PostgreSQL server the tests use is reachable: start it when it is installed
//! but stopped, install it with apt-get when it is missing, and fail loudly otherwise.

use crate::run;
use anyhow::{Context, Result, bail};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Environment variable naming the administrative connection used by PostgreSQL tests.
pub const DATABASE_URL_ENV: &str = "AME_TEST_DATABASE_URL";
const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Password set for `postgres` only on a server this task installed itself (Debian's default
/// `pg_hba.conf` asks for a password on TCP connections).
const INSTALLED_SERVER_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";

/// A reachable server.
pub struct Server {
    /// Connection URL for the tests.
    pub url: String,
    /// `host:port`, for messages.
    pub address: String,
}

/// Host and port of a `postgres://` URL.
fn address_of(url: &str) -> Result<String> {
    let rest = url
        .split_once("://")
        .map(|(_, r)| r)
        .context("database URL must look like postgres://...")?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.is_empty() {
        bail!("database URL {url} names no host");
    }
    Ok(if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    })
}

fn reachable(address: &str) -> bool {
    address
        .to_socket_addrs()
        .map(|mut addrs| {
            addrs.any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
        })
        .unwrap_or(false)
}

fn wait_until_reachable(address: &str, within: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if reachable(address) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    false
}

/// Whether a query over `url` succeeds (`None` when `psql` is not available to check).
fn can_log_in(url: &str) -> Option<bool> {
    Command::new("psql")
        .args(["-w", url, "-tAc", "SELECT 1"])
        .output()
        .ok()
        .map(|out| out.status.success())
}

fn installed_versions() -> Vec<String> {
    let mut versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    versions.sort_by_key(|v| v.parse::<u32>().unwrap_or(0));
    versions
}

fn as_root(program: &str, args: &[&str]) -> Command {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    if is_root {
        let mut c = Command::new(program);
        c.args(args);
        c
    } else {
        let mut c = Command::new("sudo");
        c.arg("-n").arg(program).args(args);
        c
    }
}

fn install_postgres() -> Result<()> {
    if !Path::new("/usr/bin/apt-get").exists() {
        bail!(
            "PostgreSQL is missing and this is not a Debian-like machine; install it and set {DATABASE_URL_ENV}"
        );
    }
    run("apt-get update", &mut as_root("apt-get", &["update", "-q"]))?;
    run(
        "apt-get install postgresql",
        as_root("apt-get", &["install", "-y", "-q", "postgresql"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

fn start_clusters() -> Result<()> {
    let versions = installed_versions();
    if versions.is_empty() {
        bail!("PostgreSQL is installed but has no cluster under /etc/postgresql");
    }
    for version in versions {
        if Path::new(&format!("/etc/postgresql/{version}/main")).exists() {
            let _ = run(
                &format!("pg_ctlcluster {version} main start"),
                &mut as_root(
                    "pg_ctlcluster",
                    &["--skip-systemctl-redirect", &version, "main", "start"],
                ),
            );
        }
    }
    Ok(())
}

/// Makes sure the test server is reachable and can be logged into, or fails explicitly.
pub fn ensure_reachable() -> Result<Server> {
    let configured = std::env::var(DATABASE_URL_ENV).ok();
    let mut url = configured.clone().unwrap_or_else(|| DEFAULT_URL.to_owned());
    let address = address_of(&url)?;
    if !reachable(&address) {
        let local = address.starts_with("127.0.0.1:") || address.starts_with("localhost:");
        if !local {
            bail!("PostgreSQL at {address} (from {DATABASE_URL_ENV}) is not reachable");
        }
        let installed_now =
            if Path::new("/usr/bin/pg_ctlcluster").exists() && !installed_versions().is_empty() {
                false
            } else {
                install_postgres()?;
                true
            };
        start_clusters()?;
        if !wait_until_reachable(&address, Duration::from_secs(30)) {
            bail!(
                "PostgreSQL at {address} is still not reachable after starting it; PostgreSQL tests cannot run"
            );
        }
        if installed_now && configured.is_none() {
            run(
                "set a password for the postgres role of the new server",
                &mut as_root(
                    "runuser",
                    &[
                        "-u",
                        "postgres",
                        "--",
                        "psql",
                        "-qc",
                        "ALTER ROLE postgres PASSWORD 'postgres'",
                    ],
                ),
            )?;
            url = INSTALLED_SERVER_URL.to_owned();
        }
    }
    match can_log_in(&url) {
        Some(true) => {}
        // A server this task installed on an earlier run has the password set then.
        Some(false) if configured.is_none() && can_log_in(INSTALLED_SERVER_URL) == Some(true) => {
            url = INSTALLED_SERVER_URL.to_owned();
        }
        Some(false) => bail!(
            "PostgreSQL at {address} is reachable but `psql {url}` cannot log in; set {DATABASE_URL_ENV} to a superuser URL"
        ),
        None => eprintln!(
            "warning: psql is not installed, so the login to {address} is not checked here; the tests will report it"
        ),
    }
    Ok(Server { url, address })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_come_from_urls() {
        assert_eq!(
            address_of("postgres://postgres@127.0.0.1:5432/postgres").unwrap(),
            "127.0.0.1:5432"
        );
        assert_eq!(
            address_of("postgres://u:p@db.internal/x?sslmode=require").unwrap(),
            "db.internal:5432"
        );
        assert_eq!(
            address_of("postgresql://localhost:6543").unwrap(),
            "localhost:6543"
        );
        assert!(address_of("not a url").is_err());
    }
}
