//! Sending email: the [`Mailer`] trait, an SMTP client (lettre, with STARTTLS or TLS, login and
//! optional DKIM signing) and the default outbox that writes RFC 5322 `.eml` files to the blob
//! store, so the embedded default runs a whole campaign offline.

use ame_storage::BlobStore;
use async_trait::async_trait;
use bytes::Bytes;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// One personalised message, ready to go.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingEmail {
    /// The sender, e.g. `Ledgerly <news@ledgerly.example>`.
    pub from: String,
    /// The recipient's address.
    pub to: String,
    /// The recipient's display name, if known.
    pub to_name: Option<String>,
    /// The subject line.
    pub subject: String,
    /// The HTML part.
    pub html: String,
    /// The plain-text part.
    pub text: String,
    /// The `Message-ID`, with angle brackets; the same for every attempt of one message.
    pub message_id: String,
    /// The one-click unsubscribe URL (`List-Unsubscribe`, RFC 8058).
    pub unsubscribe_url: String,
    /// The `Date` header.
    pub date: SystemTime,
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MailError {
    /// Refused for good (SMTP 5xx, or an address the server can never accept): do not retry.
    #[error("permanently refused: {0}")]
    Permanent(String),
    /// Failed this time (SMTP 4xx, connection trouble): retry later.
    #[error("temporarily refused: {0}")]
    Transient(String),
}

/// Hands messages to a mail system.
#[async_trait]
pub trait Mailer: Send + Sync + Debug {
    /// Sends one message.
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError>;
    /// Where messages go, for the log (`smtp://host:port` or the outbox location).
    fn describe(&self) -> String;
}

#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// Builds the MIME message: multipart/alternative text and HTML, `Message-ID`,
/// `List-Unsubscribe` and `List-Unsubscribe-Post`.
pub fn build_message(email: &OutgoingEmail) -> Result<Message, MailError> {
    let from: Mailbox = email
        .from
        .parse()
        .map_err(|e| MailError::Permanent(format!("sender `{}`: {e}", email.from)))?;
    let address = email
        .to
        .parse()
        .map_err(|e| MailError::Permanent(format!("recipient `{}`: {e}", email.to)))?;
    let to = Mailbox::new(email.to_name.clone(), address);
    Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(email.message_id.clone()))
        .date(email.date)
        .header(ListUnsubscribe(format!("<{}>", email.unsubscribe_url)))
        .header(ListUnsubscribePost)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(email.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(email.html.clone()),
                ),
        )
        .map_err(|e| MailError::Permanent(format!("building the message: {e}")))
}

/// The headers a DKIM signature covers: the ones a receiver shows or acts on, including both
/// one-click unsubscribe headers (RFC 8058 §4 requires them signed).
pub const SIGNED_HEADERS: [&str; 11] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Feedback-ID",
];

/// DKIM signing settings.
#[derive(Clone)]
pub struct DkimSettings {
    /// The selector published in DNS (`selector._domainkey.domain`).
    pub selector: String,
    /// The signing domain.
    pub domain: String,
    /// The private key: PKCS#1 PEM for RSA, base64 for Ed25519.
    pub private_key: String,
    /// Whether the key is Ed25519 (else RSA).
    pub ed25519: bool,
}

impl Debug for DkimSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimSettings")
            .field("selector", &self.selector)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

impl DkimSettings {
    fn config(&self) -> Result<lettre::message::dkim::DkimConfig, MailError> {
        use lettre::message::dkim::{
            DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
            DkimSigningKey,
        };
        let algorithm = if self.ed25519 {
            DkimSigningAlgorithm::Ed25519
        } else {
            DkimSigningAlgorithm::Rsa
        };
        let key = DkimSigningKey::new(&self.private_key, algorithm)
            .map_err(|e| MailError::Permanent(format!("the DKIM key cannot be read: {e:?}")))?;
        // Relaxed header canonicalization: the signed header is folded after signing, which a
        // receiver's simple canonicalization would see as a change.
        Ok(DkimConfig::new(
            self.selector.clone(),
            self.domain.clone(),
            key,
            SIGNED_HEADERS
                .iter()
                .map(|name| HeaderName::new_from_ascii_str(name))
                .collect(),
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        ))
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text (a local relay or a test sink only).
    None,
    /// STARTTLS upgrade (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// SMTP connection settings.
#[derive(Clone)]
pub struct SmtpSettings {
    /// Server host name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// How the connection is secured.
    pub security: SmtpSecurity,
    /// Login, if the server wants one.
    pub username: Option<String>,
    /// Password for the login.
    pub password: Option<String>,
    /// How long one message may take.
    pub timeout: Duration,
    /// DKIM signing, when configured.
    pub dkim: Option<DkimSettings>,
}

impl Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Most idle connections kept open to the server.
const MAX_IDLE_CONNECTIONS: usize = 16;
/// An idle connection older than this is closed rather than reused (servers drop them).
const MAX_IDLE: Duration = Duration::from_secs(30);

/// Sends through an SMTP server over pooled connections.
///
/// Plain and STARTTLS connections are opened here with `TCP_NODELAY`: lettre writes the
/// message and its final `.` in two writes, and with Nagle's algorithm the second waits for the
/// server's delayed acknowledgement (40 ms on Linux) on every message. Implicit TLS (port 465)
/// goes through lettre's own pooled transport.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    settings: SmtpSettings,
    dkim: Option<lettre::message::dkim::DkimConfig>,
    idle: tokio::sync::Mutex<Vec<(AsyncSmtpConnection, std::time::Instant)>>,
}

impl Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A client for the server `settings` name.
    pub fn new(settings: SmtpSettings) -> Result<Self, MailError> {
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned())
                .map_err(|e| MailError::Permanent(format!("TLS for {host}: {e}")))
        };
        let tls = match settings.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls(&settings.host)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls(&settings.host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(settings.timeout));
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let dkim = settings
            .dkim
            .as_ref()
            .map(DkimSettings::config)
            .transpose()?;
        Ok(Self {
            transport: builder.build(),
            settings,
            dkim,
            idle: tokio::sync::Mutex::new(Vec::new()),
        })
    }

    /// A new connection: TCP with `TCP_NODELAY`, EHLO, STARTTLS when asked, then login.
    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let address = format!("{}:{}", self.settings.host, self.settings.port);
        let stream = tokio::time::timeout(
            self.settings.timeout,
            tokio::net::TcpStream::connect((self.settings.host.as_str(), self.settings.port)),
        )
        .await
        .map_err(|_| MailError::Transient(format!("connecting to {address} timed out")))?
        .map_err(|e| MailError::Transient(format!("connecting to {address}: {e}")))?;
        stream
            .set_nodelay(true)
            .map_err(|e| MailError::Transient(format!("connecting to {address}: {e}")))?;
        let hello = ClientId::default();
        let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello)
            .await
            .map_err(classify)?;
        if self.settings.security == SmtpSecurity::StartTls {
            let tls = TlsParameters::new(self.settings.host.clone()).map_err(classify)?;
            connection.starttls(tls, &hello).await.map_err(classify)?;
        }
        if let (Some(user), Some(password)) = (&self.settings.username, &self.settings.password) {
            connection
                .auth(
                    &[Mechanism::Plain, Mechanism::Login],
                    &Credentials::new(user.clone(), password.clone()),
                )
                .await
                .map_err(classify)?;
        }
        Ok(connection)
    }

    /// Sends over a pooled connection (a fresh one when a reused one turns out closed).
    async fn send_pooled(
        &self,
        envelope: &lettre::address::Envelope,
        bytes: &[u8],
    ) -> Result<(), MailError> {
        let reused = {
            let mut idle = self.idle.lock().await;
            let mut found = None;
            while let Some((connection, since)) = idle.pop() {
                if since.elapsed() < MAX_IDLE {
                    found = Some(connection);
                    break;
                }
            }
            found
        };
        let was_reused = reused.is_some();
        let mut connection = match reused {
            Some(c) => c,
            None => self.connect().await?,
        };
        let mut result = connection.send(envelope, bytes).await;
        if was_reused && matches!(&result, Err(e) if !e.is_permanent() && !e.is_transient()) {
            // The server closed the idle connection: once more on a new one.
            connection = self.connect().await?;
            result = connection.send(envelope, bytes).await;
        }
        if !connection.has_broken() {
            let mut idle = self.idle.lock().await;
            if idle.len() < MAX_IDLE_CONNECTIONS {
                idle.push((connection, std::time::Instant::now()));
            }
        }
        result.map(|_| ()).map_err(classify)
    }
}

/// SMTP 5xx is permanent; everything else (4xx, connection trouble) may pass later.
fn classify(e: lettre::transport::smtp::Error) -> MailError {
    if e.is_permanent() {
        MailError::Permanent(e.to_string())
    } else {
        MailError::Transient(e.to_string())
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let mut message = build_message(email)?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        if self.settings.security == SmtpSecurity::Tls {
            self.transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(classify)
        } else {
            self.send_pooled(message.envelope(), &message.formatted())
                .await
        }
    }

    fn describe(&self) -> String {
        format!("smtp://{}:{}", self.settings.host, self.settings.port)
    }
}

/// Writes each message as an `.eml` file under `outbox/` in the blob store, named by its
/// Message-ID with every character but letters, digits, `-`, `.` and `_` written as `_` (a
/// retry overwrites the same file).
#[derive(Debug, Clone)]
pub struct OutboxMailer {
    blobs: Arc<dyn BlobStore>,
    dkim: Option<DkimSettings>,
}

impl OutboxMailer {
    /// An outbox in `blobs`.
    pub fn new(blobs: Arc<dyn BlobStore>) -> Self {
        Self { blobs, dkim: None }
    }

    /// Signs messages with DKIM as the SMTP client would.
    pub fn with_dkim(mut self, dkim: Option<DkimSettings>) -> Self {
        self.dkim = dkim;
        self
    }

    /// The outbox key of a message.
    pub fn key(message_id: &str) -> String {
        let name: String = message_id
            .trim_matches(['<', '>'])
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-._".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("outbox/{name}.eml")
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let mut message = build_message(email)?;
        if let Some(dkim) = &self.dkim {
            message.sign(&dkim.config()?);
        }
        self.blobs
            .put(
                &Self::key(&email.message_id),
                Bytes::from(message.formatted()),
            )
            .await
            .map_err(|e| MailError::Transient(format!("writing the outbox: {e}")))
    }

    fn describe(&self) -> String {
        "the outbox/ folder of the file store".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ame_storage::ObjectBlobs;

    fn email() -> OutgoingEmail {
        OutgoingEmail {
            from: "Ledgerly <news@ledgerly.example>".into(),
            to: "ada@example.com".into(),
            to_name: Some("Ada".into()),
            subject: "Close the books in 3 days — here's how".into(),
            html: "<p>Hello Ada</p>".into(),
            text: "Hello Ada".into(),
            message_id: "<c.1.k@ledgerly.example>".into(),
            unsubscribe_url: "https://ame.example/u/abc.def".into(),
            date: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        }
    }

    #[tokio::test]
    async fn the_outbox_holds_a_complete_rfc5322_message() {
        let blobs = Arc::new(ObjectBlobs::in_memory());
        let outbox = OutboxMailer::new(blobs.clone());
        outbox.send(&email()).await.unwrap();
        let (_, stream) = blobs
            .open("outbox/c.1.k_ledgerly.example.eml")
            .await
            .unwrap()
            .unwrap();
        let chunks: Vec<Bytes> = futures::TryStreamExt::try_collect(stream).await.unwrap();
        let bytes = chunks.concat();
        let text = String::from_utf8(bytes).unwrap();
        for needle in [
            "Message-ID: <c.1.k@ledgerly.example>",
            "List-Unsubscribe: <https://ame.example/u/abc.def>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            "Content-Type: multipart/alternative",
            "Content-Type: text/plain",
            "Content-Type: text/html",
            "To: Ada <ada@example.com>",
            "Subject: Close the books in 3 days =?utf-8?b?4oCU?= here's how",
        ] {
            assert!(text.contains(needle), "missing {needle} in\n{text}");
        }
    }

    /// A scripted SMTP server on a loopback port: 550 for `gone@`, 451 for `slow@`, accepts the
    /// rest; counts connections and keeps what it accepted.
    async fn smtp_server() -> (u16, Arc<std::sync::Mutex<(usize, Vec<String>)>>) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<std::sync::Mutex<(usize, Vec<String>)>> = Arc::default();
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                log.lock().unwrap().0 += 1;
                let log = log.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 sink ready\r\n").await.unwrap();
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(body) = data.as_mut() {
                            if line == "." {
                                log.lock().unwrap().1.push(data.take().unwrap_or_default());
                                write.write_all(b"250 2.0.0 queued\r\n").await.unwrap();
                            } else {
                                body.push_str(&line);
                                body.push('\n');
                            }
                            continue;
                        }
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") {
                            b"250-sink\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("RCPT") && line.contains("gone@") {
                            b"550 5.1.1 no such user\r\n"
                        } else if upper.starts_with("RCPT") && line.contains("slow@") {
                            b"451 4.7.1 try again later\r\n"
                        } else if upper.starts_with("DATA") {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        } else if upper.starts_with("QUIT") {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        (port, seen)
    }

    #[tokio::test]
    async fn smtp_replies_are_classified_and_connections_reused() {
        let (port, seen) = smtp_server().await;
        let mailer = SmtpMailer::new(SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            timeout: Duration::from_secs(5),
            dkim: None,
        })
        .unwrap();
        for n in 0..3 {
            let mut e = email();
            e.message_id = format!("<m{n}@ledgerly.example>");
            mailer.send(&e).await.unwrap();
        }
        let mut gone = email();
        gone.to = "gone@example.com".into();
        assert!(
            matches!(mailer.send(&gone).await, Err(MailError::Permanent(m)) if m.contains("550"))
        );
        let mut slow = email();
        slow.to = "slow@example.com".into();
        assert!(
            matches!(mailer.send(&slow).await, Err(MailError::Transient(m)) if m.contains("451"))
        );
        let (connections, accepted) = seen.lock().unwrap().clone();
        assert_eq!(accepted.len(), 3);
        assert!(accepted[2].contains("Message-ID: <m2@ledgerly.example>"));
        assert!(connections <= 2, "connections are pooled: {connections}");
        // Nobody listening: a transient failure.
        let closed = SmtpMailer::new(SmtpSettings {
            host: "127.0.0.1".into(),
            port: 1,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            timeout: Duration::from_secs(2),
            dkim: None,
        })
        .unwrap();
        assert!(matches!(
            closed.send(&email()).await,
            Err(MailError::Transient(_))
        ));
    }

    #[tokio::test]
    async fn messages_are_dkim_signed_when_a_key_is_configured() {
        use base64::Engine as _;
        let blobs = Arc::new(ObjectBlobs::in_memory());
        let outbox = OutboxMailer::new(blobs.clone()).with_dkim(Some(DkimSettings {
            selector: "ame2027".into(),
            domain: "ledgerly.example".into(),
            private_key: base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
            ed25519: true,
        }));
        outbox.send(&email()).await.unwrap();
        let (_, stream) = blobs
            .open("outbox/c.1.k_ledgerly.example.eml")
            .await
            .unwrap()
            .unwrap();
        let chunks: Vec<Bytes> = futures::TryStreamExt::try_collect(stream).await.unwrap();
        let text = String::from_utf8(chunks.concat()).unwrap();
        let signature = text
            .lines()
            .find(|l| l.starts_with("DKIM-Signature:"))
            .unwrap_or_else(|| panic!("no DKIM-Signature in\n{text}"));
        assert!(signature.contains("a=ed25519-sha256"), "{signature}");
        assert!(text.contains("d=ledgerly.example"), "{text}");
        assert!(text.contains("s=ame2027"), "{text}");
        // A key that cannot be read is refused, not ignored.
        let broken = OutboxMailer::new(blobs).with_dkim(Some(DkimSettings {
            selector: "x".into(),
            domain: "ledgerly.example".into(),
            private_key: "not a key".into(),
            ed25519: false,
        }));
        assert!(matches!(
            broken.send(&email()).await,
            Err(MailError::Permanent(_))
        ));
    }

    #[test]
    fn bad_addresses_are_permanent_failures() {
        let mut bad = email();
        bad.to = "not an address".into();
        assert!(matches!(build_message(&bad), Err(MailError::Permanent(_))));
    }
}
