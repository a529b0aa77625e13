//! Reading the reports a bounce mailbox receives: delivery status notifications (RFC 3464) and
//! abuse reports (ARF, RFC 5965). Both are `multipart/report` messages whose machine-readable
//! part is a block of header-like fields, followed by the original message or its headers,
//! which carry the Message-ID the report is about.

use ame_domain::{FeedbackKind, FeedbackReport, FeedbackSource, MessageId};
use mail_parser::{MessageParser, MimeHeaders, PartType};

/// Why a message from the bounce mailbox was not read as a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// Not a MIME message at all.
    #[error("the message could not be parsed as MIME")]
    Unparseable,
    /// A message, but not a delivery status notification or an abuse report (an auto-reply,
    /// a person's mail).
    #[error("not a delivery status notification or an abuse report")]
    NotAReport,
}

/// The reports in one message: one per failed or delayed recipient of a delivery status
/// notification, or the one complaint of an abuse report.
pub fn parse_report(raw: &[u8]) -> Result<Vec<FeedbackReport>, ReportError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(ReportError::Unparseable)?;
    let mut status_fields = None;
    let mut feedback_fields = None;
    let mut original = None;
    for part in &message.parts {
        let text = match &part.body {
            PartType::Text(text) | PartType::Html(text) => Some(text.as_bytes().to_vec()),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => Some(bytes.to_vec()),
            PartType::Message(inner) => {
                original = inner.message_id().and_then(MessageId::parse).or(original);
                None
            }
            PartType::Multipart(_) => None,
        };
        let Some(text) = text else { continue };
        let text = String::from_utf8_lossy(&text).into_owned();
        if part.is_content_type("message", "delivery-status")
            || part.is_content_type("message", "global-delivery-status")
        {
            status_fields = Some(text);
        } else if part.is_content_type("message", "feedback-report") {
            feedback_fields = Some(text);
        } else if part.is_content_type("text", "rfc822-headers")
            || part.is_content_type("message", "rfc822-headers")
        {
            original = original.or_else(|| message_id_in_headers(&text));
        }
    }
    if let Some(fields) = feedback_fields {
        return Ok(vec![abuse_report(&fields, original)]);
    }
    if let Some(fields) = status_fields {
        return Ok(status_reports(&fields, original));
    }
    Err(ReportError::NotAReport)
}

/// The Message-ID in a block of original headers.
fn message_id_in_headers(headers: &str) -> Option<MessageId> {
    fields(headers)
        .find(|(name, _)| name.eq_ignore_ascii_case("message-id"))
        .and_then(|(_, value)| MessageId::parse(&value))
}

/// The fields of a header-like block (`Name: value`, continuation lines folded in), in order.
fn fields(block: &str) -> impl Iterator<Item = (String, String)> + '_ {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    out.into_iter()
}

/// The address in a recipient field (`rfc822; ada@example.com`).
fn address(value: &str) -> String {
    value
        .split_once(';')
        .map_or(value, |(_, address)| address)
        .trim()
        .trim_matches(['<', '>'])
        .to_owned()
}

/// One report per recipient block of a delivery status notification: `failed` with a 5.x.x
/// status is a hard bounce, anything else failing or `delayed` a soft one; `delivered`,
/// `relayed` and `expanded` are deliveries.
fn status_reports(block: &str, original: Option<MessageId>) -> Vec<FeedbackReport> {
    let normalised = block.replace("\r\n", "\n");
    normalised
        .split("\n\n")
        .skip(1)
        .filter_map(|recipient_block| {
            let mut recipient = None;
            let mut action = None;
            let mut status = String::new();
            let mut diagnostic = None;
            for (name, value) in fields(recipient_block) {
                match name.to_ascii_lowercase().as_str() {
                    "final-recipient" => recipient = Some(address(&value)),
                    "original-recipient" if recipient.is_none() => {
                        recipient = Some(address(&value));
                    }
                    "action" => action = Some(value.to_ascii_lowercase()),
                    "status" => status = value,
                    "diagnostic-code" => {
                        let text = value.split_once(';').map_or(value.as_str(), |(_, d)| d);
                        diagnostic = Some(text.trim().to_owned());
                    }
                    _ => {}
                }
            }
            let action = action?;
            let kind = match action.as_str() {
                "failed" if status.starts_with('5') => FeedbackKind::HardBounce,
                "failed" | "delayed" => FeedbackKind::SoftBounce,
                _ => FeedbackKind::Delivered,
            };
            let reason = match diagnostic {
                Some(diagnostic) => format!("{status} {diagnostic}"),
                None => format!("{status} {action}"),
            };
            Some(FeedbackReport {
                message_id: original.clone(),
                recipient,
                kind,
                reason: reason.trim().to_owned(),
                source: FeedbackSource::Dsn,
            })
        })
        .collect()
}

/// The complaint an abuse report makes. Every feedback type is a complaint (`abuse`, `fraud`,
/// `virus`, `other`) except `not-spam`, a recipient taking a spam verdict back, and
/// `auth-failure`, a receiver's note about authentication rather than about the recipient.
fn abuse_report(block: &str, original: Option<MessageId>) -> FeedbackReport {
    let mut feedback_type = String::from("abuse");
    let mut recipient = None;
    for (name, value) in fields(block) {
        match name.to_ascii_lowercase().as_str() {
            "feedback-type" => feedback_type = value.to_ascii_lowercase(),
            "original-rcpt-to" => recipient = Some(address(&value)),
            _ => {}
        }
    }
    let kind = match feedback_type.as_str() {
        "not-spam" | "auth-failure" => FeedbackKind::Delivered,
        _ => FeedbackKind::Complaint,
    };
    FeedbackReport {
        message_id: original,
        recipient,
        kind,
        reason: format!("feedback type {feedback_type}"),
        source: FeedbackSource::Arf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE_ID: &str = "<c1.1.k9@mail.example>";

    fn dsn(action: &str, status: &str) -> String {
        format!(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n\
             To: bounces@mail.example\r\n\
             Subject: Undelivered Mail Returned to Sender\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\
             \r\n\
             --b1\r\n\
             Content-Type: text/plain\r\n\
             \r\n\
             Your message could not be delivered.\r\n\
             --b1\r\n\
             Content-Type: message/delivery-status\r\n\
             \r\n\
             Reporting-MTA: dns; mx.example.net\r\n\
             Arrival-Date: Sun, 6 Dec 2026 10:00:00 +0000\r\n\
             \r\n\
             Final-Recipient: rfc822; ada@example.com\r\n\
             Action: {action}\r\n\
             Status: {status}\r\n\
             Diagnostic-Code: smtp; 550 5.1.1 <ada@example.com>:\r\n \
             Recipient address rejected: User unknown\r\n\
             \r\n\
             --b1\r\n\
             Content-Type: text/rfc822-headers\r\n\
             \r\n\
             From: Acme <news@mail.example>\r\n\
             To: ada@example.com\r\n\
             Message-ID: {MESSAGE_ID}\r\n\
             Subject: Winter menu\r\n\
             \r\n\
             --b1--\r\n"
        )
    }

    #[test]
    fn a_permanent_failure_is_a_hard_bounce_of_the_original_message() {
        let reports = parse_report(dsn("failed", "5.1.1").as_bytes()).unwrap();
        assert_eq!(reports.len(), 1);
        let report = &reports[0];
        assert_eq!(report.kind, FeedbackKind::HardBounce);
        assert_eq!(report.message_id, MessageId::parse(MESSAGE_ID));
        assert_eq!(report.recipient.as_deref(), Some("ada@example.com"));
        assert_eq!(
            report.reason,
            "5.1.1 550 5.1.1 <ada@example.com>: Recipient address rejected: User unknown"
        );
        assert_eq!(report.source, FeedbackSource::Dsn);
    }

    #[test]
    fn delays_and_temporary_failures_are_soft() {
        for (action, status) in [("delayed", "4.4.7"), ("failed", "4.2.2")] {
            let reports = parse_report(dsn(action, status).as_bytes()).unwrap();
            assert_eq!(
                reports[0].kind,
                FeedbackKind::SoftBounce,
                "{action} {status}"
            );
        }
        let delivered = parse_report(dsn("delivered", "2.0.0").as_bytes()).unwrap();
        assert_eq!(delivered[0].kind, FeedbackKind::Delivered);
    }

    fn arf(feedback_type: &str) -> String {
        format!(
            "From: <abuse@isp.example>\r\n\
             To: fbl@mail.example\r\n\
             Subject: FW: Winter menu\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=feedback-report; boundary=\"part\"\r\n\
             \r\n\
             --part\r\n\
             Content-Type: text/plain; charset=\"US-ASCII\"\r\n\
             \r\n\
             This is an email abuse report.\r\n\
             --part\r\n\
             Content-Type: message/feedback-report\r\n\
             \r\n\
             Feedback-Type: {feedback_type}\r\n\
             User-Agent: SomeGenerator/1.0\r\n\
             Version: 1\r\n\
             Original-Rcpt-To: <bob@example.com>\r\n\
             \r\n\
             --part\r\n\
             Content-Type: message/rfc822\r\n\
             Content-Disposition: inline\r\n\
             \r\n\
             From: Acme <news@mail.example>\r\n\
             To: bob@example.com\r\n\
             Message-ID: {MESSAGE_ID}\r\n\
             Subject: Winter menu\r\n\
             \r\n\
             Our winter menu is here.\r\n\
             --part--\r\n"
        )
    }

    #[test]
    fn an_abuse_report_is_a_complaint_about_the_enclosed_message() {
        let reports = parse_report(arf("abuse").as_bytes()).unwrap();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].kind, FeedbackKind::Complaint);
        assert_eq!(reports[0].message_id, MessageId::parse(MESSAGE_ID));
        assert_eq!(reports[0].recipient.as_deref(), Some("bob@example.com"));
        assert_eq!(reports[0].source, FeedbackSource::Arf);
        let taken_back = parse_report(arf("not-spam").as_bytes()).unwrap();
        assert_eq!(taken_back[0].kind, FeedbackKind::Delivered);
    }

    #[test]
    fn ordinary_mail_is_not_a_report() {
        let reply = b"From: ada@example.com\r\nTo: news@mail.example\r\nSubject: Re: Winter menu\r\n\r\nSounds lovely!\r\n";
        assert_eq!(parse_report(reply), Err(ReportError::NotAReport));
    }
}
