//! SendGrid's signed event webhook: an ECDSA P-256 / SHA-256 signature (base64 DER, header
//! `X-Twilio-Email-Event-Webhook-Signature`) over the timestamp header's value followed by the
//! raw body, checked with the account's verification key (base64 DER SubjectPublicKeyInfo).

use super::{Provider, ProviderWebhooks, WebhookCall, WebhookError, malformed};
use ame_domain::{FeedbackKind, FeedbackReport, FeedbackSource, MessageId};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use serde::Deserialize;
use spki::SubjectPublicKeyInfoRef;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-twilio-email-event-webhook-signature";
/// The header carrying the signed timestamp.
pub const TIMESTAMP_HEADER: &str = "x-twilio-email-event-webhook-timestamp";

#[derive(Deserialize)]
struct Event {
    email: Option<String>,
    event: String,
    #[serde(rename = "type")]
    bounce_type: Option<String>,
    reason: Option<String>,
    status: Option<String>,
    #[serde(rename = "smtp-id")]
    smtp_id: Option<String>,
}

/// Whether `signature` (base64 DER) is SendGrid's over `timestamp` and `body`.
fn verified(public_key_b64: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let (Ok(key_der), Ok(signature)) = (
        STANDARD.decode(public_key_b64.trim()),
        STANDARD.decode(signature.trim()),
    ) else {
        return false;
    };
    let Ok(info) = SubjectPublicKeyInfoRef::try_from(key_der.as_slice()) else {
        return false;
    };
    let Some(point) = info.subject_public_key.as_bytes() else {
        return false;
    };
    let mut signed = Vec::with_capacity(timestamp.len() + body.len());
    signed.extend_from_slice(timestamp.as_bytes());
    signed.extend_from_slice(body);
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)
        .verify(&signed, &signature)
        .is_ok()
}

pub(super) fn reports(
    webhooks: &ProviderWebhooks,
    call: &WebhookCall,
    _now: DateTime<Utc>,
) -> Result<Vec<FeedbackReport>, WebhookError> {
    let key = webhooks.sendgrid_public_key.as_deref().unwrap_or_default();
    let (Some(signature), Some(timestamp)) =
        (call.header(SIGNATURE_HEADER), call.header(TIMESTAMP_HEADER))
    else {
        return Err(WebhookError::Unauthenticated(format!(
            "SendGrid calls carry the {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} headers"
        )));
    };
    if !verified(key, timestamp, &call.body, signature) {
        return Err(WebhookError::Unauthenticated(
            "the SendGrid signature does not verify with the configured key".into(),
        ));
    }
    let events: Vec<Event> =
        serde_json::from_slice(&call.body).map_err(|e| malformed(Provider::SendGrid, e))?;
    Ok(events.into_iter().filter_map(report).collect())
}

/// `bounce` is a hard bounce unless its type is `blocked` (a temporary refusal); `deferred` is
/// soft; `spamreport` a complaint; `delivered` a delivery. Opens, clicks and the rest are not
/// reports about delivery.
fn report(event: Event) -> Option<FeedbackReport> {
    let kind = match event.event.as_str() {
        "bounce" if event.bounce_type.as_deref() == Some("blocked") => FeedbackKind::SoftBounce,
        "bounce" => FeedbackKind::HardBounce,
        "deferred" => FeedbackKind::SoftBounce,
        "spamreport" => FeedbackKind::Complaint,
        "delivered" => FeedbackKind::Delivered,
        _ => return None,
    };
    let reason = [event.status.as_deref(), event.reason.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Some(FeedbackReport {
        message_id: event.smtp_id.as_deref().and_then(MessageId::parse),
        recipient: event.email,
        kind,
        reason: if reason.is_empty() {
            event.event
        } else {
            reason
        },
        source: FeedbackSource::SendGrid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

    /// A key pair and the verification key as SendGrid shows it (base64 SPKI DER).
    fn key() -> (EcdsaKeyPair, String) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        // SubjectPublicKeyInfo for id-ecPublicKey / prime256v1, then the 65-byte point.
        let mut spki = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        spki.extend_from_slice(pair.public_key().as_ref());
        (pair, STANDARD.encode(spki))
    }

    fn signed_call(pair: &EcdsaKeyPair, body: &str) -> WebhookCall {
        let timestamp = "1796000000";
        let signature = pair
            .sign(
                &SystemRandom::new(),
                format!("{timestamp}{body}").as_bytes(),
            )
            .unwrap();
        WebhookCall {
            headers: [
                (
                    SIGNATURE_HEADER.to_owned(),
                    STANDARD.encode(signature.as_ref()),
                ),
                (TIMESTAMP_HEADER.to_owned(), timestamp.to_owned()),
            ]
            .into(),
            body: body.as_bytes().to_vec(),
        }
    }

    const EVENTS: &str = r#"[
      {"email":"ada@example.com","timestamp":1796000000,"event":"bounce","type":"bounce","status":"5.1.1","reason":"550 5.1.1 unknown user","smtp-id":"<c.1.a@mail.example>","sg_event_id":"e1"},
      {"email":"bob@example.com","timestamp":1796000001,"event":"spamreport","smtp-id":"<c.1.b@mail.example>","sg_event_id":"e2"},
      {"email":"cy@example.com","timestamp":1796000002,"event":"bounce","type":"blocked","status":"4.0.0","reason":"throttled","smtp-id":"<c.1.c@mail.example>"},
      {"email":"cy@example.com","timestamp":1796000003,"event":"open","smtp-id":"<c.1.c@mail.example>"}
    ]"#;

    #[test]
    fn signed_events_become_reports() {
        let (pair, public) = key();
        let webhooks = ProviderWebhooks {
            sendgrid_public_key: Some(public),
            ..ProviderWebhooks::default()
        };
        let got = reports(&webhooks, &signed_call(&pair, EVENTS), Utc::now()).unwrap();
        let kinds: Vec<_> = got.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                FeedbackKind::HardBounce,
                FeedbackKind::Complaint,
                FeedbackKind::SoftBounce
            ]
        );
        assert_eq!(got[0].message_id, MessageId::parse("<c.1.a@mail.example>"));
        assert_eq!(got[0].reason, "5.1.1 550 5.1.1 unknown user");
        assert_eq!(got[1].recipient.as_deref(), Some("bob@example.com"));
    }

    #[test]
    fn a_changed_body_or_another_key_does_not_verify() {
        let (pair, public) = key();
        let (_, other_public) = key();
        let mut tampered = signed_call(&pair, EVENTS);
        tampered.body = EVENTS.replace("spamreport", "delivered").into_bytes();
        for (key, call) in [
            (public.clone(), tampered),
            (other_public, signed_call(&pair, EVENTS)),
            (
                public,
                WebhookCall {
                    body: EVENTS.as_bytes().to_vec(),
                    ..WebhookCall::default()
                },
            ),
        ] {
            let webhooks = ProviderWebhooks {
                sendgrid_public_key: Some(key),
                ..ProviderWebhooks::default()
            };
            assert!(matches!(
                reports(&webhooks, &call, Utc::now()),
                Err(WebhookError::Unauthenticated(_))
            ));
        }
    }
}
