//! A real IMAP server for tests: Debian's dovecot (2.3), started in a temporary directory on a
//! loopback port with one user and a Maildir, stopped when dropped. When the tests run as root
//! (as in CI) dovecot runs as `nobody`, since its login process refuses to run as root.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The dovecot binary `cargo xtask test` installs (package `dovecot-imapd`).
pub const DOVECOT: &str = "/usr/sbin/dovecot";

/// The login the server accepts.
pub const IMAP_USER: &str = "bounces";
/// Its password.
pub const IMAP_PASSWORD: &str = "bounce-secret";

/// A running dovecot; killed (SIGTERM) and its directory removed when dropped.
pub struct Dovecot {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    owner: Option<(u32, u32)>,
    delivered: u32,
}

impl Dovecot {
    /// Starts a server and waits for its greeting. Panics (failing the test) when dovecot is
    /// missing or does not start: the IMAP tests must not skip silently.
    pub fn start() -> Self {
        assert!(
            Path::new(DOVECOT).exists(),
            "{DOVECOT} is missing: `cargo xtask test` installs it (Debian package dovecot-imapd)"
        );
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = std::fs::metadata("/proc/self")
            .map(|m| m.uid())
            .unwrap_or(1)
            == 0;
        let (uid, gid, user, group) = if root {
            (65534, 65534, "nobody".to_owned(), "nogroup".to_owned())
        } else {
            let id = |flag: &str| {
                let out = Command::new("id").arg(flag).output().expect("`id` runs");
                String::from_utf8_lossy(&out.stdout).trim().to_owned()
            };
            (
                id("-u").parse().expect("a uid"),
                id("-g").parse().expect("a gid"),
                id("-un"),
                id("-gn"),
            )
        };
        let port = free_port();
        let base = dir.path();
        let home = base.join("home");
        for sub in [
            "run",
            "state",
            "home/Maildir/cur",
            "home/Maildir/new",
            "home/Maildir/tmp",
        ] {
            std::fs::create_dir_all(base.join(sub)).expect("dovecot directories");
        }
        std::fs::write(
            base.join("users"),
            format!(
                "{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}:{uid}:{gid}::{}\n",
                home.display()
            ),
        )
        .expect("the users file");
        let conf = base.join("dovecot.conf");
        std::fs::write(&conf, config(base, port, &user, &group)).expect("dovecot.conf");
        if root {
            chown_tree(base, uid, gid);
        }
        let mut command = Command::new(DOVECOT);
        command
            .arg("-F")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if root {
            command.uid(uid).gid(gid);
        }
        let child = command.spawn().expect("dovecot starts");
        let mut server = Self {
            child,
            dir,
            port,
            owner: root.then_some((uid, gid)),
            delivered: 0,
        };
        server.wait_ready();
        server
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// An `imap://` URL that logs in as the test user.
    pub fn url(&self) -> String {
        format!(
            "imap://{IMAP_USER}:{IMAP_PASSWORD}@127.0.0.1:{}/INBOX",
            self.port
        )
    }

    /// Delivers a message into the inbox the Maildir way (written to `tmp/`, renamed into
    /// `new/`).
    pub fn deliver(&mut self, message: &[u8]) {
        self.delivered += 1;
        let name = format!(
            "{}.M{}P{}.ame-test",
            1_800_000_000 + self.delivered,
            self.delivered,
            std::process::id()
        );
        let maildir = self.maildir();
        let tmp = maildir.join("tmp").join(&name);
        let mut file = std::fs::File::create(&tmp).expect("a Maildir file");
        file.write_all(message).expect("the message is written");
        drop(file);
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(&tmp, Some(uid), Some(gid)).expect("chown");
        }
        std::fs::rename(&tmp, maildir.join("new").join(&name)).expect("delivered into new/");
    }

    /// Messages still in the inbox (new or seen, not deleted and expunged).
    pub fn messages_left(&self) -> usize {
        let maildir = self.maildir();
        ["new", "cur"]
            .iter()
            .map(|sub| {
                std::fs::read_dir(maildir.join(sub))
                    .map(|entries| entries.count())
                    .unwrap_or(0)
            })
            .sum()
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("home/Maildir")
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut err) = self.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut err, &mut stderr);
                }
                panic!("dovecot exited ({status}) before it was ready: {stderr}");
            }
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut line = String::new();
                if BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("* OK") {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "dovecot did not greet within 20 s"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its children; SIGKILL would leave them behind.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn chown_tree(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown");
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("read_dir").flatten() {
            chown_tree(&entry.path(), uid, gid);
        }
    }
}

/// A dovecot 2.3 configuration confined to `base`: IMAP on one loopback port, no TLS (plain
/// login allowed, loopback only), a passwd-file user with a Maildir, no chroots.
fn config(base: &Path, port: u16, user: &str, group: &str) -> String {
    let base = base.display();
    format!(
        "protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
default_internal_user = {user}
default_login_user = {user}
default_internal_group = {group}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = {base}/users
}}
userdb {{
  driver = passwd-file
  args = {base}/users
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service ipc {{
  chroot =
}}
service imap-urlauth-login {{
  chroot =
}}
"
    )
}
