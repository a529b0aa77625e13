//! The layering rules of docs/ARCHITECTURE.md, checked against `cargo metadata`:
//! dependencies point inward and each outside concern lives in exactly one crate.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::Path;

/// Crates a workspace member must not depend on (normal dependencies), with the reason.
const RULES: &[(&str, &[&str], &str)] = &[
    (
        "ame-domain",
        &[
            "ame-storage",
            "ame-generation",
            "ame-prediction",
            "ame-app",
            "ame-api",
            "ame-migration",
            "sea-orm",
            "sea-orm-migration",
            "sqlx",
            "actix-web",
            "tokio",
            "reqwest",
            "hyper",
        ],
        "the domain is pure: no I/O, no database or web crates",
    ),
    (
        "ame-migration",
        &[
            "ame-domain",
            "ame-storage",
            "ame-generation",
            "ame-prediction",
            "ame-app",
            "ame-api",
        ],
        "migrations import no workspace crate",
    ),
    (
        "ame-generation",
        &[
            "ame-storage",
            "ame-prediction",
            "ame-app",
            "ame-api",
            "ame-migration",
            "sea-orm",
            "sqlx",
            "actix-web",
        ],
        "generation depends only inward, on the domain",
    ),
    (
        "ame-prediction",
        &[
            "ame-storage",
            "ame-generation",
            "ame-app",
            "ame-api",
            "ame-migration",
            "sea-orm",
            "sqlx",
            "actix-web",
            "tokio",
            "reqwest",
            "hyper",
        ],
        "the predictor knows only the domain: pure functions of the history, no I/O",
    ),
    (
        "ame-storage",
        &[
            "ame-api",
            "ame-app",
            "ame-generation",
            "ame-prediction",
            "actix-web",
            "hyper",
        ],
        "storage knows the database, never HTTP",
    ),
    (
        "ame-app",
        &[
            "ame-api",
            "ame-web",
            "actix-web",
            "actix-http",
            "hyper",
            "utoipa-actix-web",
        ],
        "the application layer knows no HTTP; every entry point calls it alike",
    ),
    (
        "ame-web",
        &["ame-api", "ame-storage", "ame-migration", "sea-orm", "sqlx"],
        "the dashboard is an entry point over the application layer; it never reaches storage",
    ),
];

/// Only these crates may use sea-orm directly.
const SEA_ORM_USERS: &[&str] = &["ame-storage", "ame-migration"];

/// Checks `metadata` (the JSON of `cargo metadata --no-deps`), returning every violation.
pub fn violations(metadata: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    for package in &packages {
        let name = package["name"].as_str().unwrap_or_default();
        let normal_deps: Vec<&str> = package["dependencies"]
            .as_array()
            .map(|deps| {
                deps.iter()
                    .filter(|d| d["kind"].is_null())
                    .filter_map(|d| d["name"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        for (crate_name, forbidden, reason) in RULES {
            if name == *crate_name {
                for dep in normal_deps.iter().filter(|d| forbidden.contains(d)) {
                    found.push(format!("{name} depends on {dep}: {reason}"));
                }
            }
        }
        if !SEA_ORM_USERS.contains(&name) && normal_deps.iter().any(|d| d.starts_with("sea-orm")) {
            found.push(format!(
                "{name} depends on sea-orm: only {} may",
                SEA_ORM_USERS.join(" and ")
            ));
        }
    }
    found
}

/// Runs `cargo metadata` in `root` and fails on any layering violation.
pub fn check(root: &Path) -> Result<()> {
    eprintln!("==> layering rules");
    let output = crate::cargo()
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("could not run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: Value =
        serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;
    let found = violations(&metadata);
    if !found.is_empty() {
        bail!("layering rules broken:\n  {}", found.join("\n  "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn package(name: &str, deps: &[(&str, Option<&str>)]) -> Value {
        json!({
            "name": name,
            "dependencies": deps.iter().map(|(d, kind)| json!({"name": d, "kind": kind})).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn inward_dependencies_pass() {
        let metadata = json!({"packages": [
            package("ame-domain", &[("serde", None), ("tokio", Some("dev"))]),
            package("ame-storage", &[("ame-domain", None), ("sea-orm", None)]),
            package("ame-api", &[("ame-storage", None), ("actix-web", None)]),
        ]});
        assert!(
            violations(&metadata).is_empty(),
            "{:?}",
            violations(&metadata)
        );
    }

    #[test]
    fn the_application_layer_knows_no_http_and_the_predictor_no_io() {
        let metadata = json!({"packages": [
            package("ame-app", &[("ame-storage", None), ("actix-web", None)]),
            package("ame-prediction", &[("ame-domain", None), ("tokio", None), ("ame-storage", None)]),
            package("ame-api", &[("ame-app", None), ("sea-orm-migration", None)]),
        ]});
        let found = violations(&metadata);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(
            found
                .iter()
                .any(|v| v.starts_with("ame-app depends on actix-web"))
        );
        assert!(
            found
                .iter()
                .any(|v| v.starts_with("ame-prediction depends on tokio"))
        );
        assert!(
            found
                .iter()
                .any(|v| v.starts_with("ame-api depends on sea-orm"))
        );
    }

    #[test]
    fn outward_or_misplaced_dependencies_fail() {
        let metadata = json!({"packages": [
            package("ame-domain", &[("sqlx", None), ("ame-storage", None)]),
            package("ame-migration", &[("ame-domain", None)]),
            package("ame-api", &[("sea-orm", None)]),
        ]});
        let found = violations(&metadata);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(
            found
                .iter()
                .any(|v| v.starts_with("ame-domain depends on sqlx"))
        );
        assert!(
            found
                .iter()
                .any(|v| v.starts_with("ame-api depends on sea-orm"))
        );
    }
}
