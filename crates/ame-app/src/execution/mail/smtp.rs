//! The SMTP client: pooled connections with `TCP_NODELAY`, STARTTLS or implicit TLS, login, and
//! a transaction driven one command at a time so a failure is classified by the stage that
//! answered it (see [`MailError`]).

use super::{DkimSettings, DkimSigner, MailError, Mailer, OutgoingEmail, signed_message};
use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use std::fmt::Debug;
use std::time::{Duration, Instant};

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

/// The stage of an SMTP transaction an answer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Connecting, greeting, EHLO, STARTTLS or TLS, and logging in.
    Session,
    /// MAIL FROM.
    Sender,
    /// RCPT TO.
    Recipient,
    /// DATA and the message itself.
    Message,
}

/// Sends through an SMTP server over pooled connections.
///
/// Connections are opened here with `TCP_NODELAY`: lettre writes the message and its final `.`
/// in two writes, and with Nagle's algorithm the second waits for the server's delayed
/// acknowledgement (40 ms on Linux) on every message.
pub struct SmtpMailer {
    settings: SmtpSettings,
    dkim: Option<DkimSigner>,
    idle: tokio::sync::Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A client for the server `settings` name; a DKIM key that cannot be read is refused here.
    pub fn new(settings: SmtpSettings) -> Result<Self, MailError> {
        if settings.security != SmtpSecurity::None {
            TlsParameters::new(settings.host.clone())
                .map_err(|e| MailError::Sender(format!("TLS for {}: {e}", settings.host)))?;
        }
        let dkim = settings.dkim.as_ref().map(DkimSigner::new).transpose()?;
        Ok(Self {
            settings,
            dkim,
            idle: tokio::sync::Mutex::new(Vec::new()),
        })
    }

    /// A new connection: TLS from the first byte when asked, else TCP with `TCP_NODELAY` and
    /// STARTTLS when asked; then login.
    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let session = |e| classify(Stage::Session, e);
        let address = format!("{}:{}", self.settings.host, self.settings.port);
        let hello = ClientId::default();
        let tls = || TlsParameters::new(self.settings.host.clone()).map_err(session);
        let mut connection = if self.settings.security == SmtpSecurity::Tls {
            AsyncSmtpConnection::connect_tokio1(
                (self.settings.host.as_str(), self.settings.port),
                Some(self.settings.timeout),
                &hello,
                Some(tls()?),
                None,
            )
            .await
            .map_err(session)?
        } else {
            let stream = tokio::time::timeout(
                self.settings.timeout,
                tokio::net::TcpStream::connect((self.settings.host.as_str(), self.settings.port)),
            )
            .await
            .map_err(|_| MailError::Sender(format!("connecting to {address} timed out")))?
            .map_err(|e| MailError::Sender(format!("connecting to {address}: {e}")))?;
            stream
                .set_nodelay(true)
                .map_err(|e| MailError::Sender(format!("connecting to {address}: {e}")))?;
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello)
                .await
                .map_err(session)?
        };
        if self.settings.security == SmtpSecurity::StartTls {
            connection.starttls(tls()?, &hello).await.map_err(session)?;
        }
        if let (Some(user), Some(password)) = (&self.settings.username, &self.settings.password) {
            connection
                .auth(
                    &[Mechanism::Plain, Mechanism::Login],
                    &Credentials::new(user.clone(), password.clone()),
                )
                .await
                .map_err(session)?;
        }
        Ok(connection)
    }

    /// One transaction on an open connection, each command classified by its stage. After a
    /// refused recipient the connection is reset and stays usable.
    async fn transact(
        connection: &mut AsyncSmtpConnection,
        envelope: &Envelope,
        bytes: &[u8],
    ) -> Result<(), (Stage, lettre::transport::smtp::Error)> {
        let mut options = Vec::new();
        let info = connection.server_info();
        let non_ascii = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii && info.supports_feature(Extension::SmtpUtfEight) {
            options.push(MailParameter::SmtpUtfEight);
        }
        if !bytes.is_ascii() && info.supports_feature(Extension::EightBitMime) {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        connection
            .command(Mail::new(envelope.from().cloned(), options))
            .await
            .map_err(|e| (Stage::Sender, e))?;
        for to in envelope.to() {
            if let Err(e) = connection.command(Rcpt::new(to.clone(), Vec::new())).await {
                if connection.command(Rset).await.is_err() {
                    connection.abort().await;
                }
                return Err((Stage::Recipient, e));
            }
        }
        connection
            .command(Data)
            .await
            .map_err(|e| (Stage::Message, e))?;
        connection
            .message(bytes)
            .await
            .map_err(|e| (Stage::Message, e))?;
        Ok(())
    }

    /// Sends over a pooled connection (a fresh one when a reused one turns out closed).
    async fn send_pooled(&self, envelope: &Envelope, bytes: &[u8]) -> Result<(), MailError> {
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
        let mut result = Self::transact(&mut connection, envelope, bytes).await;
        if was_reused && matches!(&result, Err((_, e)) if !e.is_permanent() && !e.is_transient()) {
            // The server closed the idle connection: once more on a new one.
            connection = self.connect().await?;
            result = Self::transact(&mut connection, envelope, bytes).await;
        }
        if result.is_err() && !matches!(&result, Err((Stage::Recipient, _))) {
            // Mid-transaction after a refused sender or message: start clean next time.
            connection.abort().await;
        }
        if !connection.has_broken() {
            let mut idle = self.idle.lock().await;
            if idle.len() < MAX_IDLE_CONNECTIONS {
                idle.push((connection, Instant::now()));
            }
        }
        result.map_err(|(stage, e)| classify(stage, e))
    }
}

/// The enhanced status code (RFC 3463) at the start of a reply's text, as `(class, subject)`.
fn enhanced_status(text: &str) -> Option<(u8, u16)> {
    text.split(|c: char| c.is_whitespace() || c == ':' || c == '(' || c == ')')
        .find_map(|word| {
            let mut parts = word.split('.');
            let class = parts.next()?.parse::<u8>().ok()?;
            let subject = parts.next()?.parse::<u16>().ok()?;
            parts.next()?.parse::<u16>().ok()?;
            (parts.next().is_none() && matches!(class, 2 | 4 | 5)).then_some((class, subject))
        })
}

/// Who is at fault for an error at `stage`: only a permanent refusal of the recipient (at RCPT
/// TO, or of the message with a 5.1.x/5.2.x mailbox status) is the recipient's; a 4xx at those
/// stages is this message's, to retry; everything else is the sending side's.
fn classify(stage: Stage, e: lettre::transport::smtp::Error) -> MailError {
    let text = e.to_string();
    match stage {
        Stage::Recipient if e.is_permanent() => MailError::Rejected(text),
        Stage::Message
            if e.is_permanent() && matches!(enhanced_status(&text), Some((5, 1 | 2))) =>
        {
            MailError::Rejected(text)
        }
        Stage::Recipient | Stage::Message if e.is_transient() => MailError::Transient(text),
        Stage::Session => MailError::Sender(format!("connecting: {text}")),
        Stage::Sender => MailError::Sender(format!("MAIL FROM: {text}")),
        Stage::Recipient | Stage::Message => MailError::Sender(text),
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let (envelope, bytes) =
            signed_message(email, email.dkim.as_deref().or(self.dkim.as_ref()))?;
        self.send_pooled(&envelope, &bytes).await
    }

    fn describe(&self) -> String {
        format!("smtp://{}:{}", self.settings.host, self.settings.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_status_codes_are_read_from_the_reply() {
        assert_eq!(
            enhanced_status("permanent error (550): 5.1.1 no such user"),
            Some((5, 1))
        );
        assert_eq!(enhanced_status("552 5.2.2 mailbox full"), Some((5, 2)));
        assert_eq!(enhanced_status("554 5.7.1 spam"), Some((5, 7)));
        assert_eq!(enhanced_status("550 version 1.2 rejected"), None);
        assert_eq!(enhanced_status("550 no code here"), None);
    }
}
