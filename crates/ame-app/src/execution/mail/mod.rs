//! Sending email: the [`Mailer`] trait, the message as built and DKIM-signed (`mod.rs`), an SMTP
//! client over pooled connections that tells which stage of the transaction failed
//! (`smtp.rs`), and the default outbox that writes RFC 5322 `.eml` files to the blob store, so
//! the embedded default runs a whole campaign offline (`outbox.rs`).

mod dkim;
mod outbox;
mod smtp;
#[cfg(test)]
mod tests;

pub use dkim::{DkimSettings, DkimSigner, SIGNED_HEADERS, dkim_public_key, generate_dkim_key};
pub use outbox::OutboxMailer;
pub use smtp::{SmtpMailer, SmtpSecurity, SmtpSettings};

use async_trait::async_trait;
use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use std::fmt::Debug;
use std::time::SystemTime;

/// One personalised message, ready to go.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    /// The sender, e.g. `Ledgerly <news@ledgerly.example>`.
    pub from: String,
    /// Where replies go, when not to the sender.
    pub reply_to: Option<String>,
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
    /// The one-click unsubscribe URL (`List-Unsubscribe`, RFC 8058); empty for a message that
    /// is not a mailing (a sign-up's confirmation request), which carries no such header.
    pub unsubscribe_url: String,
    /// The `Date` header.
    pub date: SystemTime,
    /// The `Feedback-ID` header (campaign, type and sender), so mailbox providers' feedback
    /// loops can report complaints per campaign.
    pub feedback_id: Option<String>,
    /// The key of the organization's own sending domain, signing in place of the mailer's.
    pub dkim: Option<std::sync::Arc<DkimSigner>>,
}

/// Why a message was not accepted, by who is at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MailError {
    /// The recipient was refused for good: a 5xx answer to RCPT TO, a 5xx answer to the
    /// message whose enhanced status (5.1.x or 5.2.x) is about the mailbox, or an address that
    /// can never be written to. The contact bounced; do not retry.
    #[error("the recipient was refused: {0}")]
    Rejected(String),
    /// This message failed this time (a 4xx answer to RCPT TO or to the message): retry later.
    #[error("temporarily refused: {0}")]
    Transient(String),
    /// The sending side failed, whoever the recipient: connecting, TLS, logging in, MAIL FROM,
    /// a sender or DKIM key that cannot be used, or a refusal not about the recipient. Retry
    /// later, leave the contact alone; many of these in a row pause the organization's sending.
    #[error("the sending server failed: {0}")]
    Sender(String),
}

/// Hands messages to a mail system.
#[async_trait]
pub trait Mailer: Send + Sync + Debug {
    /// Sends one message.
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError>;
    /// Where messages go, for the log (`smtp://host:port` or the outbox location).
    fn describe(&self) -> String;
    /// Whether messages reach real inboxes (the outbox keeps them in files instead).
    fn delivers(&self) -> bool {
        true
    }
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

#[derive(Clone)]
struct FeedbackId(String);

impl Header for FeedbackId {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Feedback-ID")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The original Message-ID again, as Postmark metadata: Postmark's bounce and complaint
/// webhooks return metadata but not the Message-ID.
#[derive(Clone)]
struct PostmarkMessageId(String);

impl Header for PostmarkMessageId {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-PM-Metadata-ame-message-id")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Builds the MIME message: multipart/alternative text and HTML, `Message-ID`, `Reply-To` and
/// `Feedback-ID` when given, `List-Unsubscribe` and `List-Unsubscribe-Post`.
pub fn build_message(email: &OutgoingEmail) -> Result<Message, MailError> {
    let from: Mailbox = email
        .from
        .parse()
        .map_err(|e| MailError::Sender(format!("sender `{}`: {e}", email.from)))?;
    let address = email
        .to
        .parse()
        .map_err(|e| MailError::Rejected(format!("recipient `{}`: {e}", email.to)))?;
    let to = Mailbox::new(email.to_name.clone(), address);
    let mut builder = Message::builder().from(from).to(to);
    if let Some(reply_to) = &email.reply_to {
        let reply_to: Mailbox = reply_to
            .parse()
            .map_err(|e| MailError::Sender(format!("reply-to `{reply_to}`: {e}")))?;
        builder = builder.reply_to(reply_to);
    }
    if let Some(id) = &email.feedback_id {
        builder = builder.header(FeedbackId(id.clone()));
    }
    if !email.unsubscribe_url.is_empty() {
        builder = builder
            .header(ListUnsubscribe(format!("<{}>", email.unsubscribe_url)))
            .header(ListUnsubscribePost);
    }
    builder
        .subject(email.subject.clone())
        .message_id(Some(email.message_id.clone()))
        .header(PostmarkMessageId(email.message_id.clone()))
        .date(email.date)
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
        .map_err(|e| MailError::Sender(format!("building the message: {e}")))
}

/// Checks a sender such as `Ledgerly <news@ledgerly.com>`: a mailbox lettre can write, with a
/// domain. Returns what is wrong otherwise.
pub fn check_sender(text: &str) -> Result<(), String> {
    let mailbox: Mailbox = text.parse().map_err(|e| {
        format!("`{text}` is not a sender address such as `Ledgerly <news@ledgerly.com>`: {e}")
    })?;
    if !mailbox.email.domain().contains('.') && mailbox.email.domain() != "localhost" {
        return Err(format!(
            "`{text}` has no domain a receiver could resolve (`{}`)",
            mailbox.email.domain()
        ));
    }
    Ok(())
}

/// The message's envelope and its bytes as sent, signed when a signer is given.
pub(crate) fn signed_message(
    email: &OutgoingEmail,
    dkim: Option<&DkimSigner>,
) -> Result<(lettre::address::Envelope, Vec<u8>), MailError> {
    let message = build_message(email)?;
    let bytes = message.formatted();
    let bytes = match dkim {
        Some(signer) => signer.sign(&bytes)?,
        None => bytes,
    };
    Ok((message.envelope().clone(), bytes))
}
