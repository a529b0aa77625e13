//! Each email provider's event webhook, signed as the provider signs it, reaches the contact
//! and the campaign's rates: a Mailgun and a SendGrid hard bounce, a Postmark and an Amazon SES
//! (SNS) complaint about messages of a running campaign. On both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_app::Clock;
use ame_app::feedback::providers::{Provider, ProviderWebhooks, SnsCertificates, WebhookCall};
use ame_domain::Consent;
use ame_storage::ContactRepository;
use ame_test_support::{TestDb, backend_tests};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use hmac::{Hmac, Mac};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use std::process::Command;
use std::sync::Arc;

mod support;

use support::{Harness, at};

backend_tests!(every_providers_signed_event_reaches_contacts_and_rates);

const MAILGUN_KEY: &str = "mailgun-signing-key";
const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:ame-feedback";

/// An RSA key and self-signed certificate, made by `openssl`, standing in for AWS's.
struct SnsSigner(tempfile::TempDir);

impl SnsSigner {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "800",
            ])
            .args([
                "-subj",
                "/CN=sns.amazonaws.com",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
            ])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(made.status.success(), "{made:?}");
        Self(dir)
    }

    fn sign(&self, text: &str) -> String {
        std::fs::write(self.0.path().join("input"), text).unwrap();
        let out = Command::new("openssl")
            .args(["dgst", "-sha256", "-sign", "key.pem", "-binary", "input"])
            .current_dir(self.0.path())
            .output()
            .unwrap();
        STANDARD.encode(out.stdout)
    }
}

struct FixedCertificate(Vec<u8>);

#[async_trait::async_trait]
impl SnsCertificates for FixedCertificate {
    async fn certificate_pem(&self, _url: &str) -> Result<Vec<u8>, String> {
        Ok(self.0.clone())
    }
    async fn confirm_subscription(&self, _url: &str) -> Result<(), String> {
        Ok(())
    }
}

fn call(headers: &[(&str, String)], body: String) -> WebhookCall {
    WebhookCall {
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        body: body.into_bytes(),
    }
}

fn mailgun_bounce(now: i64, recipient: &str, message_id: &str) -> WebhookCall {
    let timestamp = now.to_string();
    let token = "0b7a9c5e1f2d3c4b5a6978877665544332211000ffeeddccbb";
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(MAILGUN_KEY.as_bytes()).unwrap();
    mac.update(format!("{timestamp}{token}").as_bytes());
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let body = serde_json::json!({
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": "failed", "severity": "permanent", "recipient": recipient,
            "delivery-status": {"code": 550, "message": "5.1.1 mailbox unavailable"},
            "message": {"headers": {"message-id": message_id.trim_matches(['<', '>'])}}
        }
    });
    call(&[], body.to_string())
}

fn sendgrid_bounce(pair: &EcdsaKeyPair, recipient: &str, message_id: &str) -> WebhookCall {
    let body = serde_json::json!([{
        "email": recipient, "timestamp": 1_796_000_000, "event": "bounce", "type": "bounce",
        "status": "5.0.0", "reason": "550 no such user", "smtp-id": message_id
    }])
    .to_string();
    let timestamp = "1796000000".to_owned();
    let signature = pair
        .sign(
            &SystemRandom::new(),
            format!("{timestamp}{body}").as_bytes(),
        )
        .unwrap();
    call(
        &[
            (
                "x-twilio-email-event-webhook-signature",
                STANDARD.encode(signature.as_ref()),
            ),
            ("x-twilio-email-event-webhook-timestamp", timestamp),
        ],
        body,
    )
}

fn postmark_complaint(recipient: &str, message_id: &str) -> WebhookCall {
    let body = serde_json::json!({
        "RecordType": "SpamComplaint", "Type": "SpamComplaint", "TypeCode": 512,
        "Email": recipient, "Metadata": {"ame-message-id": message_id}
    });
    call(
        &[(
            "authorization",
            format!("Basic {}", STANDARD.encode("postmark:hook-secret")),
        )],
        body.to_string(),
    )
}

fn ses_complaint(signer: &SnsSigner, recipient: &str, message_id: &str) -> WebhookCall {
    let message = serde_json::json!({
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": recipient}],
                      "complaintFeedbackType": "abuse"},
        "mail": {"headers": [{"name": "Message-ID", "value": message_id}]}
    })
    .to_string();
    let (id, timestamp) = (
        "9a1f0c1e-5b7d-4b8e-9d3c-1f2e3d4c5b6a",
        "2026-12-06T10:00:00.000Z",
    );
    let signed = format!(
        "Message\n{message}\nMessageId\n{id}\nTimestamp\n{timestamp}\nTopicArn\n{TOPIC}\nType\nNotification\n"
    );
    let body = serde_json::json!({
        "Type": "Notification", "MessageId": id, "TopicArn": TOPIC, "Message": message,
        "Timestamp": timestamp, "SignatureVersion": "2", "Signature": signer.sign(&signed),
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem"
    });
    call(&[], body.to_string())
}

async fn every_providers_signed_event_reaches_contacts_and_rates(db: TestDb) {
    let start = at(2027, 3, 2, 15, 0);
    let mut h = Harness::new(db, start - TimeDelta::hours(1)).await;
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let sendgrid =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let mut spki = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    spki.extend_from_slice(sendgrid.public_key().as_ref());
    let sns = SnsSigner::new();
    h.engine = h.engine.clone().with_provider_webhooks(ProviderWebhooks {
        sendgrid_public_key: Some(STANDARD.encode(&spki)),
        mailgun_signing_key: Some(MAILGUN_KEY.into()),
        postmark_credentials: Some(("postmark".into(), "hook-secret".into())),
        ses_topics: vec![TOPIC.into()],
        sns: Some(Arc::new(FixedCertificate(
            std::fs::read(sns.0.path().join("cert.pem")).unwrap(),
        ))),
    });
    let chicago = Some("America/Chicago");
    let people = [
        "ada@example.com",
        "bob@example.com",
        "cy@example.com",
        "dee@example.com",
        "eve@example.com",
    ];
    h.contacts(&people.map(|p| (p, chicago))).await;
    let campaign = h.campaign(start).await;
    h.run_until(start + TimeDelta::days(1), TimeDelta::minutes(30))
        .await;
    let first = |to: &str| h.mailer.to(to)[0].0.message_id.clone();

    let now = h.clock.now().timestamp();
    let calls = [
        (
            Provider::Mailgun,
            mailgun_bounce(now, people[0], &first(people[0])),
        ),
        (
            Provider::SendGrid,
            sendgrid_bounce(&sendgrid, people[1], &first(people[1])),
        ),
        (
            Provider::Postmark,
            postmark_complaint(people[2], &first(people[2])),
        ),
        (
            Provider::AmazonSes,
            ses_complaint(&sns, people[3], &first(people[3])),
        ),
    ];
    for (provider, call) in &calls {
        let summary = h
            .engine
            .receive_provider_events(*provider, call)
            .await
            .unwrap_or_else(|e| panic!("{provider:?}: {e}"));
        assert_eq!(summary.applied, 1, "{provider:?}: {summary:?}");
        // Providers retry: the same event again changes nothing.
        let again = h
            .engine
            .receive_provider_events(*provider, call)
            .await
            .unwrap();
        assert_eq!(again.already_recorded, 1, "{provider:?}: {again:?}");
    }

    let contacts = h._db.storage.contacts();
    let mut consent = Vec::new();
    for person in people {
        let c = contacts
            .find_by_email(h.caller.org, person)
            .await
            .unwrap()
            .unwrap();
        consent.push((c.consent, c.consent_source));
    }
    assert_eq!(
        consent,
        [
            (Consent::Bounced, "mailgun".to_owned()),
            (Consent::Bounced, "sendgrid".to_owned()),
            (Consent::Complained, "postmark".to_owned()),
            (Consent::Complained, "amazon_ses".to_owned()),
            (Consent::Subscribed, "api".to_owned()),
        ]
    );
    let health = h.engine.email_health(&h.caller, campaign).await.unwrap();
    assert_eq!(
        (health.delivered, health.bounced, health.complained),
        (3, 2, 2),
        "{health:?}"
    );
    assert_eq!(health.bounce_rate, Some(0.4));
}
