//! Installing the Debian packages that tests need (e.g. `espeak-ng` for speech synthesis).

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::{Command, Stdio};

/// Makes sure each command is available, installing the Debian packages of the missing ones.
///
/// `packages` pairs a command to look for on `PATH` with the Debian package that provides it.
/// Nothing is installed when every command is present, so this can run before every test run.
/// Installing runs `apt-get update` and `apt-get install` as root: directly when this process
/// is root, otherwise through `sudo -n` (which fails instead of asking for a password).
pub(crate) fn ensure_debian_packages(packages: &[(&str, &str)]) -> Result<()> {
    let mut missing: Vec<&str> = packages
        .iter()
        .filter(|(command, _)| !on_path(command))
        .map(|(_, package)| *package)
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !on_path("apt-get") {
        bail!(
            "missing Debian package(s) {list}, and apt-get is not available to install them; \
             install them with this system's package manager"
        );
    }
    run_as_root("apt-get update", &["apt-get", "update", "-q"])?;
    let mut install = vec!["apt-get", "install", "-y", "-q"];
    install.extend(&missing);
    run_as_root(&format!("apt-get install {list}"), &install)?;
    let still_missing: Vec<&str> = packages
        .iter()
        .filter(|(command, _)| !on_path(command))
        .map(|(command, _)| *command)
        .collect();
    if !still_missing.is_empty() {
        bail!(
            "installed {list}, but these commands are still not on PATH: {}",
            still_missing.join(", ")
        );
    }
    Ok(())
}

/// Whether `command` names an executable file, directly or in a directory of `PATH`.
fn on_path(command: &str) -> bool {
    if command.contains('/') {
        return is_executable(Path::new(command));
    }
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| is_executable(&dir.join(command)))
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

fn is_root() -> Result<bool> {
    let output = Command::new("id")
        .arg("-u")
        .stderr(Stdio::inherit())
        .output()
        .context("could not run `id -u` to find out whether this is root")?;
    Ok(output.status.success() && String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// Runs `argv` as root with a non-interactive Debian frontend.
fn run_as_root(step: &str, argv: &[&str]) -> Result<()> {
    let mut command = if is_root()? {
        Command::new(argv[0])
    } else {
        if !on_path("sudo") {
            bail!(
                "{step} needs root, and sudo is not available; run it as root: {}",
                argv.join(" ")
            );
        }
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", "env", "DEBIAN_FRONTEND=noninteractive", argv[0]]);
        sudo
    };
    command
        .args(&argv[1..])
        .env("DEBIAN_FRONTEND", "noninteractive");
    crate::run(step, &mut command).with_context(|| {
        format!(
            "could not install packages; run `sudo {}` yourself and retry",
            argv.join(" ")
        )
    })
}
