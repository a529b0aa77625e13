//! Postmark's bounce, spam-complaint and delivery webhooks. Postmark signs nothing: its
//! documented protection is HTTP basic credentials written into the webhook's URL, checked
//! here against the configured pair. The original Message-ID comes back in `Metadata`, from the
//! `X-PM-Metadata-ame-message-id` header every message carries.

use super::{Provider, ProviderWebhooks, WebhookCall, WebhookError, malformed, same_secret};
use ame_domain::{FeedbackKind, FeedbackReport, FeedbackSource, MessageId};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use std::collections::HashMap;

/// The metadata key (and `X-PM-Metadata-` header suffix) carrying the original Message-ID.
pub const MESSAGE_ID_METADATA: &str = "ame-message-id";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Record {
    record_type: String,
    #[serde(rename = "Type")]
    bounce_type: Option<String>,
    email: Option<String>,
    recipient: Option<String>,
    description: Option<String>,
    details: Option<String>,
    #[serde(default)]
    metadata: HashMap<String, serde_json::Value>,
}

/// Whether the call's `Authorization: Basic …` names the configured user and password.
fn authorized(call: &WebhookCall, user: &str, password: &str) -> bool {
    let Some(encoded) = call.header("authorization").and_then(|v| {
        v.strip_prefix("Basic ")
            .or_else(|| v.strip_prefix("basic "))
    }) else {
        return false;
    };
    let Ok(given) = STANDARD.decode(encoded.trim()) else {
        return false;
    };
    same_secret(&given, format!("{user}:{password}").as_bytes())
}

pub(super) fn reports(
    webhooks: &ProviderWebhooks,
    call: &WebhookCall,
) -> Result<Vec<FeedbackReport>, WebhookError> {
    let (user, password) = webhooks
        .postmark_credentials
        .as_ref()
        .map(|(u, p)| (u.as_str(), p.as_str()))
        .unwrap_or_default();
    if !authorized(call, user, password) {
        return Err(WebhookError::Unauthenticated(
            "Postmark calls carry the basic credentials of the webhook's URL".into(),
        ));
    }
    let record: Record =
        serde_json::from_slice(&call.body).map_err(|e| malformed(Provider::Postmark, e))?;
    Ok(report(record).into_iter().collect())
}

/// `Bounce` is hard for the types that mean the address is gone (`HardBounce`,
/// `BadEmailAddress`), soft otherwise; `SpamComplaint` is a complaint; `Delivery` a delivery.
fn report(record: Record) -> Option<FeedbackReport> {
    let bounce_type = record.bounce_type.as_deref().unwrap_or_default();
    let kind = match record.record_type.as_str() {
        "Bounce" if matches!(bounce_type, "HardBounce" | "BadEmailAddress") => {
            FeedbackKind::HardBounce
        }
        "Bounce" => FeedbackKind::SoftBounce,
        "SpamComplaint" => FeedbackKind::Complaint,
        "Delivery" => FeedbackKind::Delivered,
        _ => return None,
    };
    let message_id = record
        .metadata
        .get(MESSAGE_ID_METADATA)
        .and_then(serde_json::Value::as_str)
        .and_then(MessageId::parse);
    let reason = [
        Some(bounce_type.to_owned()),
        record.details,
        record.description,
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(": ");
    Some(FeedbackReport {
        message_id,
        recipient: record.email.or(record.recipient),
        kind,
        reason: if reason.is_empty() {
            record.record_type
        } else {
            reason
        },
        source: FeedbackSource::Postmark,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webhooks() -> ProviderWebhooks {
        ProviderWebhooks {
            postmark_credentials: Some(("postmark".into(), "s3cret-hook".into())),
            ..ProviderWebhooks::default()
        }
    }

    fn call(credentials: &str, body: &str) -> WebhookCall {
        WebhookCall {
            headers: [(
                "authorization".to_owned(),
                format!("Basic {}", STANDARD.encode(credentials)),
            )]
            .into(),
            body: body.as_bytes().to_vec(),
        }
    }

    const BOUNCE: &str = r#"{"RecordType":"Bounce","ID":4323372036854775807,"Type":"HardBounce",
      "TypeCode":1,"MessageID":"883953f4-6105-42a2-a16a-77a8eac79483",
      "Metadata":{"ame-message-id":"<c.1.a@mail.example>"},"Description":"Unknown user",
      "Details":"smtp;550 5.1.1 no such user","Email":"ada@example.com",
      "BouncedAt":"2026-12-05T16:33:54.9070259Z"}"#;

    #[test]
    fn an_authenticated_hard_bounce_names_the_original_message() {
        let got = reports(&webhooks(), &call("postmark:s3cret-hook", BOUNCE)).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind, FeedbackKind::HardBounce);
        assert_eq!(got[0].message_id, MessageId::parse("<c.1.a@mail.example>"));
        assert_eq!(
            got[0].reason,
            "HardBounce: smtp;550 5.1.1 no such user: Unknown user"
        );
        let spam = r#"{"RecordType":"SpamComplaint","Type":"SpamComplaint","Email":"bob@example.com",
          "Metadata":{"ame-message-id":"<c.1.b@mail.example>"}}"#;
        let complaint = reports(&webhooks(), &call("postmark:s3cret-hook", spam)).unwrap();
        assert_eq!(complaint[0].kind, FeedbackKind::Complaint);
    }

    #[test]
    fn wrong_or_missing_credentials_are_refused() {
        for call in [
            call("postmark:guess", BOUNCE),
            WebhookCall {
                body: BOUNCE.as_bytes().to_vec(),
                ..WebhookCall::default()
            },
        ] {
            assert!(matches!(
                reports(&webhooks(), &call),
                Err(WebhookError::Unauthenticated(_))
            ));
        }
    }
}
