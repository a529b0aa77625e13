//! The bounce mailbox: an IMAP mailbox where delivery status notifications and abuse reports
//! arrive (the address the envelope sender and the feedback loop point at). A worker reads it
//! at an interval: each unread message is parsed, its reports applied, and the message deleted
//! once they are, so a crash part-way reads it again (applying a report twice changes nothing).

use super::{FeedbackSummary, ReportError, parse_report};
use crate::Engine;
use async_imap::Session;
use futures::TryStreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Where the bounce mailbox is and how to log in, from an `imap://` or `imaps://` URL
/// (`imaps://user:password@imap.example.com/INBOX`; the path names the folder, INBOX by
/// default).
#[derive(Clone, PartialEq, Eq)]
pub struct MailboxSettings {
    host: String,
    port: u16,
    tls: bool,
    user: String,
    password: String,
    folder: String,
}

impl std::fmt::Debug for MailboxSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.describe())
    }
}

/// Why a mailbox URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailboxUrlError {
    /// Not a URL.
    #[error("the bounce mailbox is not a URL: {0}")]
    NotAUrl(String),
    /// A scheme other than `imap` and `imaps`.
    #[error("the bounce mailbox URL must start with imap:// or imaps://, not {0}://")]
    Scheme(String),
    /// No host, user or password.
    #[error(
        "the bounce mailbox URL needs a host, a user and a password (imaps://user:password@host/INBOX)"
    )]
    Incomplete,
    /// Plain `imap://` to anything but a loopback address would send the password in clear.
    #[error("imap:// (no TLS) is allowed only to a loopback address; use imaps:// for {0}")]
    Cleartext(String),
}

impl MailboxSettings {
    /// Reads and checks a mailbox URL.
    pub fn parse(raw: &str) -> Result<Self, MailboxUrlError> {
        let url = url::Url::parse(raw).map_err(|e| MailboxUrlError::NotAUrl(e.to_string()))?;
        let tls = match url.scheme() {
            "imaps" => true,
            "imap" => false,
            other => return Err(MailboxUrlError::Scheme(other.to_owned())),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(MailboxUrlError::Incomplete)?
            .trim_matches(['[', ']'])
            .to_owned();
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let user = decode(url.username());
        let password = url.password().map(decode).unwrap_or_default();
        if user.is_empty() || password.is_empty() {
            return Err(MailboxUrlError::Incomplete);
        }
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !tls && !loopback {
            return Err(MailboxUrlError::Cleartext(host));
        }
        let folder = decode(url.path().trim_start_matches('/'));
        Ok(Self {
            port: url.port().unwrap_or(if tls { 993 } else { 143 }),
            host,
            tls,
            user,
            password,
            folder: if folder.is_empty() {
                "INBOX".to_owned()
            } else {
                folder
            },
        })
    }

    /// The mailbox without its password, for logs.
    pub fn describe(&self) -> String {
        let scheme = if self.tls { "imaps" } else { "imap" };
        format!(
            "{scheme}://{}@{}:{}/{}",
            self.user, self.host, self.port, self.folder
        )
    }
}

/// Why reading the mailbox failed (it is read again at the next interval).
#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    /// Connecting, TLS or the IMAP conversation failed.
    #[error("the bounce mailbox {mailbox}: {detail}")]
    Imap {
        /// Which mailbox.
        mailbox: String,
        /// What went wrong.
        detail: String,
    },
    /// Applying a report failed (the database); the message stays for the next read.
    #[error(transparent)]
    Apply(#[from] crate::AppError),
}

/// What one read of the mailbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailboxRead {
    /// Messages read and deleted.
    pub messages: u32,
    /// Messages that were not reports (deleted too: the mailbox is for reports only).
    pub not_reports: u32,
    /// What their reports did.
    pub reports: FeedbackSummary,
}

/// Reads every unread message of the mailbox once, applies its reports and deletes it.
pub async fn read_mailbox(
    engine: &Engine,
    settings: &MailboxSettings,
) -> Result<MailboxRead, MailboxError> {
    let imap = |detail: String| MailboxError::Imap {
        mailbox: settings.describe(),
        detail,
    };
    let tcp = tokio::time::timeout(
        Duration::from_secs(30),
        TcpStream::connect((settings.host.as_str(), settings.port)),
    )
    .await
    .map_err(|_| imap("connecting timed out after 30 s".into()))?
    .map_err(|e| imap(format!("connecting failed: {e}")))?;
    if settings.tls {
        let connector = tokio_rustls::TlsConnector::from(Arc::new(tls_config()));
        let name = rustls::pki_types::ServerName::try_from(settings.host.clone())
            .map_err(|e| imap(format!("not a TLS server name: {e}")))?;
        let stream = connector
            .connect(name, tcp)
            .await
            .map_err(|e| imap(format!("TLS failed: {e}")))?;
        read_over(engine, settings, stream).await
    } else {
        read_over(engine, settings, tcp).await
    }
}

fn tls_config() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
        .unwrap_or_else(|_| unreachable!("ring supports the default protocol versions"))
}

async fn read_over<S>(
    engine: &Engine,
    settings: &MailboxSettings,
    stream: S,
) -> Result<MailboxRead, MailboxError>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let imap = |detail: String| MailboxError::Imap {
        mailbox: settings.describe(),
        detail,
    };
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .map_err(|e| imap(format!("no greeting: {e}")))?;
    let mut session = client
        .login(&settings.user, &settings.password)
        .await
        .map_err(|(e, _)| imap(format!("logging in failed: {e}")))?;
    let read = read_session(engine, &mut session, &settings.folder)
        .await
        .map_err(|e| match e {
            Step::Imap(detail) => imap(detail),
            Step::Apply(e) => MailboxError::Apply(e),
        });
    // A failed logout loses nothing: what was applied is deleted, the rest is read again.
    let _ = session.logout().await;
    read
}

enum Step {
    Imap(String),
    Apply(crate::AppError),
}

async fn read_session<S>(
    engine: &Engine,
    session: &mut Session<S>,
    folder: &str,
) -> Result<MailboxRead, Step>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let imap = |what: &str, e: async_imap::error::Error| Step::Imap(format!("{what}: {e}"));
    session
        .select(folder)
        .await
        .map_err(|e| imap("selecting the folder failed", e))?;
    let mut unread: Vec<u32> = session
        .uid_search("UNDELETED")
        .await
        .map_err(|e| imap("searching failed", e))?
        .into_iter()
        .collect();
    unread.sort_unstable();
    let mut read = MailboxRead::default();
    // A few at a time, so one huge mailbox is not held in memory at once.
    for chunk in unread.chunks(50) {
        let set = chunk
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let fetched: Vec<(u32, Vec<u8>)> = session
            .uid_fetch(&set, "(UID BODY.PEEK[])")
            .await
            .map_err(|e| imap("fetching failed", e))?
            .map_ok(|fetch| {
                (
                    fetch.uid.unwrap_or(0),
                    fetch.body().unwrap_or_default().to_vec(),
                )
            })
            .try_collect()
            .await
            .map_err(|e| imap("fetching failed", e))?;
        let mut done = Vec::new();
        for (uid, raw) in fetched {
            match parse_report(&raw) {
                Ok(reports) => {
                    read.reports += engine.apply_feedback(&reports).await.map_err(Step::Apply)?;
                }
                Err(ReportError::NotAReport | ReportError::Unparseable) => read.not_reports += 1,
            }
            read.messages += 1;
            done.push(uid.to_string());
        }
        if done.is_empty() {
            continue;
        }
        session
            .uid_store(done.join(","), "+FLAGS.SILENT (\\Deleted)")
            .await
            .map_err(|e| imap("marking read messages failed", e))?
            .try_collect::<Vec<_>>()
            .await
            .map_err(|e| imap("marking read messages failed", e))?;
        session
            .expunge()
            .await
            .map_err(|e| imap("deleting read messages failed", e))?
            .try_collect::<Vec<_>>()
            .await
            .map_err(|e| imap("deleting read messages failed", e))?;
    }
    Ok(read)
}

/// Reads the mailbox every `interval` until `shutdown` turns true; a failed read is logged
/// and tried again at the next interval.
pub async fn watch_mailbox(
    engine: Engine,
    settings: MailboxSettings,
    interval: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    while !*shutdown.borrow() {
        match read_mailbox(&engine, &settings).await {
            Ok(read) if read.messages > 0 => {
                tracing::info!(mailbox = %settings.describe(), ?read, "bounce mailbox read");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reading the bounce mailbox failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_urls_name_host_port_folder_and_credentials() {
        let s = MailboxSettings::parse(
            "imaps://bounces%40mail.example:p%40ss@imap.example.com/Reports",
        )
        .unwrap();
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.tls,
                s.user.as_str(),
                s.password.as_str(),
                s.folder.as_str()
            ),
            (
                "imap.example.com",
                993,
                true,
                "bounces@mail.example",
                "p@ss",
                "Reports"
            )
        );
        assert_eq!(
            s.describe(),
            "imaps://bounces@mail.example@imap.example.com:993/Reports"
        );
        assert!(
            !format!("{s:?}").contains("p@ss"),
            "the password stays out of logs"
        );
        let local = MailboxSettings::parse("imap://ame:secret@127.0.0.1:1143").unwrap();
        assert_eq!(
            (local.port, local.tls, local.folder.as_str()),
            (1143, false, "INBOX")
        );
    }

    #[test]
    fn unsafe_or_incomplete_mailbox_urls_are_refused() {
        assert_eq!(
            MailboxSettings::parse("imap://ame:secret@imap.example.com"),
            Err(MailboxUrlError::Cleartext("imap.example.com".into()))
        );
        assert_eq!(
            MailboxSettings::parse("pop3://ame:secret@127.0.0.1"),
            Err(MailboxUrlError::Scheme("pop3".into()))
        );
        assert_eq!(
            MailboxSettings::parse("imaps://imap.example.com"),
            Err(MailboxUrlError::Incomplete)
        );
        assert!(matches!(
            MailboxSettings::parse("not a url"),
            Err(MailboxUrlError::NotAUrl(_))
        ));
    }
}
