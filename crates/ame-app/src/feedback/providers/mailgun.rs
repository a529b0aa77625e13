//! Mailgun's webhooks: each body carries `signature {timestamp, token, signature}`, the
//! signature being the lower-case hex HMAC-SHA256 of the timestamp followed by the token under
//! the webhook signing key. The signature does not cover the event, so a call whose timestamp
//! is more than [`MAX_SKEW_SECONDS`] from the clock is refused as a possible replay.

use super::{Provider, ProviderWebhooks, WebhookCall, WebhookError, malformed, same_secret};
use ame_domain::{FeedbackKind, FeedbackReport, FeedbackSource, MessageId};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// How far a call's timestamp may be from the clock, either way.
pub const MAX_SKEW_SECONDS: i64 = 600;

#[derive(Deserialize)]
struct Body {
    signature: Signature,
    #[serde(rename = "event-data")]
    event: Event,
}

#[derive(Deserialize)]
struct Signature {
    timestamp: String,
    token: String,
    signature: String,
}

#[derive(Deserialize)]
struct Event {
    event: String,
    severity: Option<String>,
    recipient: Option<String>,
    reason: Option<String>,
    #[serde(rename = "delivery-status", default)]
    status: Option<DeliveryStatus>,
    #[serde(default)]
    message: Option<Message>,
}

#[derive(Deserialize)]
struct DeliveryStatus {
    code: Option<serde_json::Value>,
    description: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    headers: std::collections::HashMap<String, serde_json::Value>,
}

/// The hex signature Mailgun writes for `timestamp` and `token`.
fn signature(key: &str, timestamp: &str, token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn reports(
    webhooks: &ProviderWebhooks,
    call: &WebhookCall,
    now: DateTime<Utc>,
) -> Result<Vec<FeedbackReport>, WebhookError> {
    let key = webhooks.mailgun_signing_key.as_deref().unwrap_or_default();
    let body: Body =
        serde_json::from_slice(&call.body).map_err(|e| malformed(Provider::Mailgun, e))?;
    let expected = signature(key, &body.signature.timestamp, &body.signature.token);
    if !same_secret(
        expected.as_bytes(),
        body.signature.signature.to_ascii_lowercase().as_bytes(),
    ) {
        return Err(WebhookError::Unauthenticated(
            "the Mailgun signature does not verify with the configured signing key".into(),
        ));
    }
    let sent_at: i64 = body
        .signature
        .timestamp
        .parse()
        .map_err(|_| malformed(Provider::Mailgun, "signature.timestamp is not a number"))?;
    if (now.timestamp() - sent_at).abs() > MAX_SKEW_SECONDS {
        return Err(WebhookError::Unauthenticated(format!(
            "the Mailgun signature's timestamp is more than {MAX_SKEW_SECONDS} s from now"
        )));
    }
    Ok(report(body.event).into_iter().collect())
}

/// `failed` is a hard bounce when its severity is `permanent`, soft otherwise; `complained` is
/// a complaint; `delivered` a delivery; opens, clicks and the rest are not delivery reports.
fn report(event: Event) -> Option<FeedbackReport> {
    let kind = match event.event.as_str() {
        "failed" if event.severity.as_deref() == Some("permanent") => FeedbackKind::HardBounce,
        "failed" => FeedbackKind::SoftBounce,
        "complained" => FeedbackKind::Complaint,
        "delivered" => FeedbackKind::Delivered,
        _ => return None,
    };
    let message_id = event
        .message
        .as_ref()
        .and_then(|m| m.headers.get("message-id"))
        .and_then(serde_json::Value::as_str)
        .and_then(MessageId::parse);
    let status = event.status.as_ref();
    let reason = [
        status
            .and_then(|s| s.code.as_ref())
            .map(ToString::to_string),
        status
            .and_then(|s| s.description.clone().filter(|d| !d.is_empty()))
            .or_else(|| status.and_then(|s| s.message.clone().filter(|m| !m.is_empty()))),
        event.reason,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    Some(FeedbackReport {
        message_id,
        recipient: event.recipient,
        kind,
        reason: if reason.is_empty() {
            event.event
        } else {
            reason
        },
        source: FeedbackSource::Mailgun,
    })
}

/// A signed Mailgun body around `event_data`, for tests.
#[cfg(test)]
pub(crate) fn signed_body(key: &str, timestamp: i64, event_data: &serde_json::Value) -> Vec<u8> {
    let timestamp = timestamp.to_string();
    let token = "6f1c2f0b0b6a4e0f9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f60";
    serde_json::to_vec(&serde_json::json!({
        "signature": {
            "timestamp": timestamp,
            "token": token,
            "signature": signature(key, &timestamp, token),
        },
        "event-data": event_data,
    }))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";

    fn webhooks() -> ProviderWebhooks {
        ProviderWebhooks {
            mailgun_signing_key: Some(KEY.into()),
            ..ProviderWebhooks::default()
        }
    }

    fn failed(severity: &str) -> serde_json::Value {
        serde_json::json!({
            "event": "failed", "severity": severity, "recipient": "ada@example.com",
            "reason": "bounce",
            "delivery-status": {"code": 550, "description": "", "message": "5.1.1 user unknown"},
            "message": {"headers": {"message-id": "c.1.a@mail.example", "to": "ada@example.com"}}
        })
    }

    #[test]
    fn a_signed_permanent_failure_is_a_hard_bounce() {
        let now = Utc::now();
        let call = WebhookCall {
            body: signed_body(KEY, now.timestamp(), &failed("permanent")),
            ..WebhookCall::default()
        };
        let got = reports(&webhooks(), &call, now).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind, FeedbackKind::HardBounce);
        assert_eq!(got[0].message_id, MessageId::parse("<c.1.a@mail.example>"));
        assert_eq!(got[0].reason, "550 5.1.1 user unknown bounce");
        let soft = WebhookCall {
            body: signed_body(KEY, now.timestamp(), &failed("temporary")),
            ..WebhookCall::default()
        };
        assert_eq!(
            reports(&webhooks(), &soft, now).unwrap()[0].kind,
            FeedbackKind::SoftBounce
        );
    }

    #[test]
    fn a_wrong_key_or_an_old_timestamp_is_refused() {
        let now = Utc::now();
        for body in [
            signed_body("another-key", now.timestamp(), &failed("permanent")),
            signed_body(
                KEY,
                now.timestamp() - MAX_SKEW_SECONDS - 1,
                &failed("permanent"),
            ),
        ] {
            let call = WebhookCall {
                body,
                ..WebhookCall::default()
            };
            assert!(matches!(
                reports(&webhooks(), &call, now),
                Err(WebhookError::Unauthenticated(_))
            ));
        }
    }

    #[test]
    fn a_body_without_a_signature_is_malformed() {
        let call = WebhookCall {
            body: br#"{"event-data": {"event": "failed"}}"#.to_vec(),
            ..WebhookCall::default()
        };
        assert!(matches!(
            reports(&webhooks(), &call, Utc::now()),
            Err(WebhookError::Malformed { .. })
        ));
    }
}
