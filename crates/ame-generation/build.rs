//! Checks every copy playbook (`playbooks/*.toml`) when the crate is built: a file that does not
//! parse, lacks a vertical, or breaks a rule in `src/playbook/schema.rs` stops the build with
//! what is wrong and where.

#[path = "src/playbook/schema.rs"]
#[allow(dead_code)]
mod schema;

use std::path::Path;

/// The vertical every file stands for (file stem), in the order of the domain's `Vertical`.
const VERTICALS: [&str; 10] = [
    "food_drink",
    "retail",
    "local_services",
    "health",
    "fitness",
    "nonprofit",
    "education",
    "hospitality",
    "b2b_software",
    "professional_services",
];

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let dir = Path::new(&manifest).join("playbooks");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut problems = Vec::new();
    for vertical in VERTICALS {
        let path = dir.join(format!("{vertical}.toml"));
        println!("cargo::rerun-if-changed={}", path.display());
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) => {
                problems.push(format!("{}: {error}", path.display()));
                continue;
            }
        };
        match toml::from_str::<schema::PlaybookFile>(&text) {
            Ok(file) => problems.extend(
                file.problems()
                    .into_iter()
                    .map(|p| format!("{vertical}.toml: {p}")),
            ),
            Err(error) => problems.push(format!("{vertical}.toml: {error}")),
        }
    }
    if !problems.is_empty() {
        panic!("copy playbooks have problems:\n{}", problems.join("\n"));
    }
}
