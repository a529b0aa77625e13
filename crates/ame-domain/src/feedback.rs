//! Reports of what happened to a message after a mail server accepted it: a later bounce (a
//! delivery status notification, RFC 3464, or an email service provider's bounce event) or a
//! recipient's spam complaint (an abuse report, RFC 5965, or a provider's complaint event).
//! A report names the message by its `Message-ID`, which ties it to one delivery.

use std::fmt;

/// A `Message-ID` in its angle-bracketed form (`<left@right>`), the way AME writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageId(String);

impl MessageId {
    /// Reads a Message-ID as headers and providers write it: with or without angle brackets,
    /// with surrounding white space. `None` when it is not `left@right` without white space.
    pub fn parse(raw: &str) -> Option<Self> {
        let trimmed = raw.trim();
        let inner = trimmed
            .strip_prefix('<')
            .and_then(|s| s.strip_suffix('>'))
            .unwrap_or(trimmed);
        let (left, right) = inner.split_once('@')?;
        let valid = !left.is_empty()
            && !right.is_empty()
            && !right.contains('@')
            && inner.len() <= 995
            && inner
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '<' && c != '>');
        valid.then(|| Self(format!("<{inner}>")))
    }

    /// The bracketed form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a report says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackKind {
    /// The recipient's server refused the message for good (a 5.x.x status).
    HardBounce,
    /// A temporary refusal or a delay (a 4.x.x status); the sender retries, nothing changes.
    SoftBounce,
    /// The recipient reported the message as spam.
    Complaint,
    /// The recipient's server accepted the message.
    Delivered,
}

impl FeedbackKind {
    /// Whether the report changes the contact and the campaign's rates (a hard bounce or a
    /// complaint); the others are acknowledged and left alone.
    pub fn is_actionable(self) -> bool {
        matches!(self, Self::HardBounce | Self::Complaint)
    }
}

/// Where a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackSource {
    /// A delivery status notification read from the bounce mailbox.
    Dsn,
    /// An abuse (feedback loop) report read from the bounce mailbox.
    Arf,
    /// Amazon SES, through an SNS notification.
    AmazonSes,
    /// SendGrid's event webhook.
    SendGrid,
    /// Postmark's bounce and spam-complaint webhooks.
    Postmark,
    /// Mailgun's webhooks.
    Mailgun,
}

impl FeedbackSource {
    /// The name recorded as the source of a consent change.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dsn => "dsn",
            Self::Arf => "arf",
            Self::AmazonSes => "amazon_ses",
            Self::SendGrid => "sendgrid",
            Self::Postmark => "postmark",
            Self::Mailgun => "mailgun",
        }
    }
}

/// One report about one message.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackReport {
    /// The message it is about; `None` when the report does not say.
    pub message_id: Option<MessageId>,
    /// The recipient it names, if any (for the record; the Message-ID decides).
    pub recipient: Option<String>,
    /// What happened.
    pub kind: FeedbackKind,
    /// The reason given (a status code and diagnostic, a feedback type), for the ledger.
    pub reason: String,
    /// Where it came from.
    pub source: FeedbackSource,
}

/// What applying one report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackOutcome {
    /// The bounce or complaint was recorded and the contact's consent changed.
    Applied,
    /// The same kind of report for this campaign and contact was recorded before.
    AlreadyRecorded,
    /// No message AME sent carries this Message-ID (or the report named none).
    UnknownMessage,
    /// A delivery or a temporary failure: acknowledged, nothing to change.
    Ignored,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_read_with_or_without_brackets() {
        let bracketed = MessageId::parse(" <a.1.b@mail.example> ").unwrap();
        assert_eq!(bracketed.as_str(), "<a.1.b@mail.example>");
        assert_eq!(MessageId::parse("a.1.b@mail.example"), Some(bracketed));
    }

    #[test]
    fn malformed_message_ids_are_refused() {
        for raw in [
            "",
            "<>",
            "no-at-sign",
            "@right",
            "left@",
            "a b@c",
            "<a@b@c>",
            "<a@b",
        ] {
            assert_eq!(MessageId::parse(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn only_hard_bounces_and_complaints_change_anything() {
        assert!(FeedbackKind::HardBounce.is_actionable());
        assert!(FeedbackKind::Complaint.is_actionable());
        assert!(!FeedbackKind::SoftBounce.is_actionable());
        assert!(!FeedbackKind::Delivered.is_actionable());
    }
}
