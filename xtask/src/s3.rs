//! `cargo xtask s3`: the S3 blob store against a real S3 protocol server on loopback (moto's
//! server, from PyPI, in `target/s3/venv`): the engine stores a campaign's banners in a bucket and
//! serves them back (`xtask/e2e/s3_flow.py`).

use crate::e2e::{RunningServer, fresh_sqlite_engine};
use crate::run;
use anyhow::{Context, Result, bail};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MOTO: &str = "moto[server]==5.2.5";
const BUCKET: &str = "ame-e2e";
const PREFIX: &str = "assets";

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ensure_venv(root: &Path) -> Result<PathBuf> {
    let dir = root.join("target/s3");
    let python = dir.join("venv/bin/python");
    let marker = dir.join("venv/ame-installed.txt");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == MOTO) {
        return Ok(python);
    }
    std::fs::create_dir_all(&dir)?;
    run(
        "create the moto virtual environment",
        Command::new("python3")
            .args(["-m", "venv"])
            .arg(dir.join("venv")),
    )?;
    run(
        "install moto's S3 server from PyPI",
        Command::new(&python).args(["-m", "pip", "install", "-q", MOTO]),
    )?;
    std::fs::write(&marker, MOTO)?;
    Ok(python)
}

pub(crate) fn end_to_end(root: &Path) -> Result<()> {
    let python = ensure_venv(root)?;
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(root.join("target/s3/moto.log"))?;
    let moto = Moto(
        Command::new(python.with_file_name("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(log.try_clone()?)
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .context("starting moto_server")?,
    );
    let started = Instant::now();
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("moto_server did not listen within 30 s; see target/s3/moto.log");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    run(
        "create the bucket",
        Command::new(&python).args([
            "-c",
            &format!(
                "import boto3; boto3.client('s3', endpoint_url='{endpoint}', aws_access_key_id='test', \
                 aws_secret_access_key='test', region_name='us-east-1').create_bucket(Bucket='{BUCKET}')"
            ),
        ]),
    )?;
    let work = root.join("target/s3/run");
    let (binary, url, key) = fresh_sqlite_engine(root, &work, "S3 e2e")?;
    let store = format!("s3://{BUCKET}/{PREFIX}");
    let server = RunningServer::start_with(
        &binary,
        &url,
        &work.join("ame.log"),
        &[
            ("AME_BLOB_STORE", store.as_str()),
            ("AWS_ENDPOINT", endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
        ],
    )?;
    run(
        "store and serve a campaign's banners through S3",
        Command::new(&python)
            .arg(root.join("xtask/e2e/s3_flow.py"))
            .args([server.base.as_str(), &key, &endpoint, BUCKET, PREFIX]),
    )?;
    server.stop()?;
    drop(moto);
    Ok(())
}
