//! Sending email: the [`Mailer`] trait, an SMTP client (lettre, with STARTTLS or TLS, login and
//! optional DKIM signing) and the default outbox that writes RFC 5322 `.eml` files to the blob
//! store, so the embedded default runs a whole campaign offline.

use ame_storage::BlobStore;
use async_trait::async_trait;
use bytes::Bytes;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
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
        use lettre::message::dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey};
        let algorithm = if self.ed25519 {
            DkimSigningAlgorithm::Ed25519
        } else {
            DkimSigningAlgorithm::Rsa
        };
        let key = DkimSigningKey::new(&self.private_key, algorithm)
            .map_err(|e| MailError::Permanent(format!("the DKIM key cannot be read: {e:?}")))?;
        Ok(DkimConfig::default_config(
            self.selector.clone(),
            self.domain.clone(),
            key,
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

/// Sends through an SMTP server with a pooled connection.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    settings: SmtpSettings,
    dkim: Option<lettre::message::dkim::DkimConfig>,
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
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let mut message = build_message(email)?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            Err(e) => Err(MailError::Transient(e.to_string())),
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

    #[test]
    fn bad_addresses_are_permanent_failures() {
        let mut bad = email();
        bad.to = "not an address".into();
        assert!(matches!(build_message(&bad), Err(MailError::Permanent(_))));
    }
}
