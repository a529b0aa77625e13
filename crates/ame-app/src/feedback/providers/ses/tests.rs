use super::*;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

/// A key and a self-signed certificate made by `openssl`, standing in for AWS's.
struct Signer {
    dir: tempfile::TempDir,
}

impl Signer {
    fn new(days: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=sns.amazonaws.com",
            ])
            .args(["-days", days, "-keyout", "key.pem", "-out", "cert.pem"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(status.status.success(), "{status:?}");
        Self { dir }
    }

    fn pem(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("cert.pem")).unwrap()
    }

    fn sign(&self, digest: &str, text: &str) -> String {
        let input = self.dir.path().join("input");
        std::fs::write(&input, text).unwrap();
        let out = Command::new("openssl")
            .args(["dgst", digest, "-sign", "key.pem", "-binary"])
            .arg(Path::new("input"))
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
        STANDARD.encode(out.stdout)
    }
}

#[derive(Default)]
struct FixedCertificates {
    pem: Vec<u8>,
    confirmed: Mutex<Vec<String>>,
}

#[async_trait]
impl SnsCertificates for FixedCertificates {
    async fn certificate_pem(&self, _url: &str) -> Result<Vec<u8>, String> {
        Ok(self.pem.clone())
    }
    async fn confirm_subscription(&self, url: &str) -> Result<(), String> {
        self.confirmed.lock().unwrap().push(url.to_owned());
        Ok(())
    }
}

const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:ame-ses-feedback";
const CERT_URL: &str = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123.pem";

fn bounce_message() -> String {
    serde_json::json!({
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent", "bounceSubType": "General",
            "bouncedRecipients": [
                {"emailAddress": "ada@example.com", "status": "5.1.1", "action": "failed",
                 "diagnosticCode": "smtp; 550 5.1.1 user unknown"},
                {"emailAddress": "bob@example.com"}
            ],
            "timestamp": "2026-12-06T10:00:00.000Z"
        },
        "mail": {
            "messageId": "0102018c-ses-id",
            "headers": [{"name": "Message-ID", "value": "<c.1.a@mail.example>"}],
            "commonHeaders": {"messageId": "<0102018c-ses-id@eu-west-1.amazonses.com>"}
        }
    })
    .to_string()
}

/// A signed SNS envelope of `kind` carrying `message`.
fn envelope(signer: &Signer, version: &str, kind: &str, message: &str) -> serde_json::Value {
    let mut fields = serde_json::json!({
        "Type": kind,
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "TopicArn": TOPIC,
        "Message": message,
        "Timestamp": "2026-12-06T10:00:01.000Z",
        "SignatureVersion": version,
        "SigningCertURL": CERT_URL,
    });
    if kind == "SubscriptionConfirmation" {
        fields["SubscribeURL"] =
            "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336".into();
        fields["Token"] = "2336412f37".into();
    } else {
        fields["Subject"] = "Amazon SES Email Event Notification".into();
    }
    let parsed: Envelope = serde_json::from_value({
        let mut unsigned = fields.clone();
        unsigned["Signature"] = "".into();
        unsigned
    })
    .unwrap();
    let digest = if version == "1" { "-sha1" } else { "-sha256" };
    fields["Signature"] = signer
        .sign(digest, &parsed.string_to_sign().unwrap())
        .into();
    fields
}

fn webhooks(signer: &Signer) -> (ProviderWebhooks, Arc<FixedCertificates>) {
    let certificates = Arc::new(FixedCertificates {
        pem: signer.pem(),
        ..FixedCertificates::default()
    });
    (
        ProviderWebhooks {
            ses_topics: vec![TOPIC.into()],
            sns: Some(certificates.clone()),
            ..ProviderWebhooks::default()
        },
        certificates,
    )
}

fn call(body: &serde_json::Value) -> WebhookCall {
    WebhookCall {
        body: body.to_string().into_bytes(),
        ..WebhookCall::default()
    }
}

#[tokio::test]
async fn signed_bounces_under_both_signature_versions_become_reports() {
    let signer = Signer::new("2");
    let (webhooks, _) = webhooks(&signer);
    for version in ["1", "2"] {
        let body = envelope(&signer, version, "Notification", &bounce_message());
        let reports = reports(&webhooks, &call(&body), Utc::now()).await.unwrap();
        assert_eq!(reports.len(), 2, "one per bounced recipient");
        assert!(reports.iter().all(|r| r.kind == FeedbackKind::HardBounce));
        assert_eq!(
            reports[0].message_id,
            MessageId::parse("<c.1.a@mail.example>"),
            "the original Message-ID, not SES's own"
        );
        assert_eq!(
            reports[0].reason,
            "Permanent General: 5.1.1: smtp; 550 5.1.1 user unknown"
        );
    }
}

#[tokio::test]
async fn forged_altered_or_foreign_messages_are_refused() {
    let signer = Signer::new("2");
    let (webhooks, _) = webhooks(&signer);
    let good = envelope(&signer, "2", "Notification", &bounce_message());
    let mut altered = good.clone();
    altered["Message"] = bounce_message().replace("Permanent", "Transient").into();
    let mut foreign_topic = good.clone();
    foreign_topic["TopicArn"] = "arn:aws:sns:eu-west-1:999999999999:other".into();
    let mut elsewhere = good.clone();
    elsewhere["SigningCertURL"] = "https://attacker.example/sns.eu-west-1.amazonaws.com.pem".into();
    let other_signer = Signer::new("2");
    let forged = envelope(&other_signer, "2", "Notification", &bounce_message());
    for body in [altered, foreign_topic, elsewhere, forged] {
        let refused = reports(&webhooks, &call(&body), Utc::now()).await;
        assert!(
            matches!(refused, Err(WebhookError::Unauthenticated(_))),
            "{body}"
        );
    }
    let raw = WebhookCall {
        headers: [("x-amz-sns-rawdelivery".to_owned(), "true".to_owned())].into(),
        body: bounce_message().into_bytes(),
    };
    assert!(matches!(
        reports(&webhooks, &raw, Utc::now()).await,
        Err(WebhookError::Malformed { .. })
    ));
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let signer = Signer::new("1");
    let (webhooks, _) = webhooks(&signer);
    let body = envelope(&signer, "2", "Notification", &bounce_message());
    let later = Utc::now() + chrono::TimeDelta::days(3);
    assert!(matches!(
        reports(&webhooks, &call(&body), later).await,
        Err(WebhookError::Unauthenticated(e)) if e.contains("not valid now")
    ));
}

#[tokio::test]
async fn a_signed_subscription_confirmation_is_confirmed() {
    let signer = Signer::new("2");
    let (webhooks, certificates) = webhooks(&signer);
    let body = envelope(
        &signer,
        "1",
        "SubscriptionConfirmation",
        "You have chosen to subscribe.",
    );
    assert!(
        reports(&webhooks, &call(&body), Utc::now())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        certificates.confirmed.lock().unwrap().as_slice(),
        ["https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336"]
    );
}

#[test]
fn complaints_setup_messages_and_not_spam() {
    let complaint = serde_json::json!({
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": "bob@example.com"}],
                      "complaintFeedbackType": "abuse"},
        "mail": {"commonHeaders": {"messageId": "<c.1.b@mail.example>"}}
    })
    .to_string();
    let reports = ses_reports(&complaint);
    assert_eq!(reports[0].kind, FeedbackKind::Complaint);
    assert_eq!(
        reports[0].message_id,
        MessageId::parse("<c.1.b@mail.example>")
    );
    let not_spam = complaint.replace("\"abuse\"", "\"not-spam\"");
    assert_eq!(ses_reports(&not_spam)[0].kind, FeedbackKind::Delivered);
    assert!(
        ses_reports("Successfully validated SNS topic for Amazon SES event publishing.").is_empty()
    );
    assert!(ses_reports(r#"{"notificationType":"AmazonSnsSubscriptionSucceeded"}"#).is_empty());
}

#[test]
fn only_aws_sns_endpoints_are_fetched() {
    for good in [CERT_URL, "https://sns.cn-north-1.amazonaws.com.cn/cert.pem"] {
        assert_eq!(check_sns_url(good, true), Ok(()), "{good}");
    }
    for bad in [
        "http://sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com.attacker.example/cert.pem",
        "https://attacker.example/sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
        "https://sns.eu.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com/cert.txt",
        "https://127.0.0.1/cert.pem",
    ] {
        assert!(check_sns_url(bad, true).is_err(), "{bad}");
    }
}
