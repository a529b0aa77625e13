//! Amazon SES bounce and complaint notifications, delivered by SNS. An SNS message is signed
//! with RSA (SignatureVersion 1: SHA-1, 2: SHA-256) over a fixed list of its fields, with the
//! key of the certificate at `SigningCertURL`, which must be AWS's (https, host
//! `sns.<region>.amazonaws.com`). Only configured topics are taken; a subscription is confirmed
//! by fetching its `SubscribeURL` once the confirmation's own signature verifies.

use super::{Provider, ProviderWebhooks, WebhookCall, WebhookError, malformed};
use ame_domain::{FeedbackKind, FeedbackReport, FeedbackSource, MessageId};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ring::signature::{
    RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;
use x509_cert::Certificate;
use x509_cert::der::DecodePem;

/// Where SNS signing certificates come from, and how a subscription is confirmed.
#[async_trait]
pub trait SnsCertificates: Send + Sync {
    /// The PEM certificate at `url` (already checked with [`check_sns_url`]).
    async fn certificate_pem(&self, url: &str) -> Result<Vec<u8>, String>;
    /// Confirms a subscription by fetching its `SubscribeURL` (already checked).
    async fn confirm_subscription(&self, url: &str) -> Result<(), String>;
}

/// Checks that `url` is one of AWS's SNS endpoints: https, host
/// `sns.<region>.amazonaws.com` (or `.com.cn`), and, for a certificate, a `.pem` path. Nothing
/// else is ever fetched, so a forged message cannot make AME call an address of its choosing.
pub fn check_sns_url(url: &str, certificate: bool) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    if parsed.scheme() != "https" {
        return Err(format!("`{url}` is not https"));
    }
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    let region = host
        .strip_prefix("sns.")
        .and_then(|rest| {
            rest.strip_suffix(".amazonaws.com")
                .or_else(|| rest.strip_suffix(".amazonaws.com.cn"))
        })
        .unwrap_or_default();
    let region_ok = region.len() >= 3
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !region_ok || parsed.port().is_some() || !parsed.username().is_empty() {
        return Err(format!("`{url}` is not an SNS endpoint of AWS"));
    }
    if certificate && !parsed.path().ends_with(".pem") {
        return Err(format!("`{url}` is not a certificate (.pem)"));
    }
    Ok(())
}

/// Fetches certificates from AWS over verified TLS, keeping each by URL.
pub struct AwsSnsCertificates {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Vec<u8>>>,
}

impl AwsSnsCertificates {
    /// A fetcher with its own HTTP client (10-second timeout).
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            cache: Mutex::new(HashMap::new()),
        }
    }
}

impl Default for AwsSnsCertificates {
    fn default() -> Self {
        Self::new()
    }
}

/// Certificates are a few kilobytes; anything much larger is not one.
const MAX_CERTIFICATE_BYTES: usize = 16 * 1024;

#[async_trait]
impl SnsCertificates for AwsSnsCertificates {
    async fn certificate_pem(&self, url: &str) -> Result<Vec<u8>, String> {
        if let Some(pem) = self.cache.lock().ok().and_then(|c| c.get(url).cloned()) {
            return Ok(pem);
        }
        let response = self
            .http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("fetching the SNS certificate failed: {e}"))?;
        let pem = response
            .bytes()
            .await
            .map_err(|e| format!("reading the SNS certificate failed: {e}"))?;
        if pem.len() > MAX_CERTIFICATE_BYTES {
            return Err("the SNS certificate is implausibly large".into());
        }
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(url.to_owned(), pem.to_vec());
        }
        Ok(pem.to_vec())
    }

    async fn confirm_subscription(&self, url: &str) -> Result<(), String> {
        self.http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map(|_| ())
            .map_err(|e| format!("confirming the SNS subscription failed: {e}"))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    #[serde(rename = "Type")]
    kind: String,
    message_id: String,
    topic_arn: String,
    subject: Option<String>,
    message: String,
    timestamp: String,
    signature_version: String,
    signature: String,
    #[serde(rename = "SigningCertURL")]
    signing_cert_url: String,
    #[serde(rename = "SubscribeURL")]
    subscribe_url: Option<String>,
    token: Option<String>,
}

impl Envelope {
    /// The bytes SNS signs: `Key\nValue\n` for each field of the message's type, in order.
    fn string_to_sign(&self) -> Result<String, String> {
        let mut fields: Vec<(&str, &str)> =
            vec![("Message", &self.message), ("MessageId", &self.message_id)];
        if self.kind == "Notification" {
            if let Some(subject) = &self.subject {
                fields.push(("Subject", subject));
            }
        } else {
            let subscribe = self.subscribe_url.as_deref().ok_or("no SubscribeURL")?;
            fields.push(("SubscribeURL", subscribe));
        }
        fields.push(("Timestamp", &self.timestamp));
        if self.kind != "Notification" {
            fields.push(("Token", self.token.as_deref().ok_or("no Token")?));
        }
        fields.push(("TopicArn", &self.topic_arn));
        fields.push(("Type", &self.kind));
        Ok(fields
            .into_iter()
            .map(|(k, v)| format!("{k}\n{v}\n"))
            .collect())
    }
}

/// Whether `signature` is the certificate's key's over `signed`, and the certificate is valid
/// at `now`.
fn verify(
    pem: &[u8],
    version: &str,
    signed: &[u8],
    signature: &str,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let algorithm = match version {
        "1" => &RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        "2" => &RSA_PKCS1_2048_8192_SHA256,
        other => return Err(format!("SignatureVersion {other} is not 1 or 2")),
    };
    let certificate =
        Certificate::from_pem(pem).map_err(|e| format!("the SNS certificate: {e}"))?;
    let validity = &certificate.tbs_certificate.validity;
    let seconds = |t: x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    let now_seconds = now.timestamp();
    if now_seconds < seconds(validity.not_before) || now_seconds > seconds(validity.not_after) {
        return Err("the SNS certificate is not valid now".into());
    }
    let key = certificate
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .as_bytes()
        .ok_or("the SNS certificate's key is malformed")?;
    let signature = STANDARD
        .decode(signature.trim())
        .map_err(|_| "the signature is not base64".to_owned())?;
    UnparsedPublicKey::new(algorithm, key)
        .verify(signed, &signature)
        .map_err(|_| "the SNS signature does not verify".to_owned())
}

pub(super) async fn reports(
    webhooks: &ProviderWebhooks,
    call: &WebhookCall,
    now: DateTime<Utc>,
) -> Result<Vec<FeedbackReport>, WebhookError> {
    let Some(sns) = &webhooks.sns else {
        return Err(WebhookError::NotConfigured(Provider::AmazonSes.as_str()));
    };
    if call
        .header("x-amz-sns-rawdelivery")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Err(malformed(
            Provider::AmazonSes,
            "raw message delivery carries no signature; turn it off for this subscription",
        ));
    }
    let envelope: Envelope =
        serde_json::from_slice(&call.body).map_err(|e| malformed(Provider::AmazonSes, e))?;
    if !webhooks.ses_topics.contains(&envelope.topic_arn) {
        return Err(WebhookError::Unauthenticated(format!(
            "topic {} is not one this server takes",
            envelope.topic_arn
        )));
    }
    check_sns_url(&envelope.signing_cert_url, true).map_err(WebhookError::Unauthenticated)?;
    let signed = envelope
        .string_to_sign()
        .map_err(|e| malformed(Provider::AmazonSes, e))?;
    let pem = sns
        .certificate_pem(&envelope.signing_cert_url)
        .await
        .map_err(WebhookError::Unavailable)?;
    verify(
        &pem,
        &envelope.signature_version,
        signed.as_bytes(),
        &envelope.signature,
        now,
    )
    .map_err(WebhookError::Unauthenticated)?;
    match envelope.kind.as_str() {
        "SubscriptionConfirmation" => {
            let url = envelope.subscribe_url.unwrap_or_default();
            check_sns_url(&url, false).map_err(WebhookError::Unauthenticated)?;
            sns.confirm_subscription(&url)
                .await
                .map_err(WebhookError::Unavailable)?;
            tracing::info!(topic = %envelope.topic_arn, "SNS subscription confirmed");
            Ok(Vec::new())
        }
        "Notification" => Ok(ses_reports(&envelope.message)),
        _ => Ok(Vec::new()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesMessage {
    notification_type: Option<String>,
    event_type: Option<String>,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
    mail: Option<Mail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    bounce_sub_type: Option<String>,
    #[serde(default)]
    bounced_recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complaint_feedback_type: Option<String>,
    #[serde(default)]
    complained_recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
    status: Option<String>,
    diagnostic_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    #[serde(default)]
    headers: Vec<Header>,
    common_headers: Option<CommonHeaders>,
}

#[derive(Deserialize)]
struct Header {
    name: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommonHeaders {
    message_id: Option<String>,
}

/// One report per recipient of an SES bounce or complaint; setup messages and other event
/// types (and a Message that is not JSON) give none.
fn ses_reports(message: &str) -> Vec<FeedbackReport> {
    let Ok(ses) = serde_json::from_str::<SesMessage>(message) else {
        return Vec::new();
    };
    let message_id = ses.mail.as_ref().and_then(|mail| {
        mail.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("message-id"))
            .map(|h| h.value.as_str())
            .or_else(|| mail.common_headers.as_ref()?.message_id.as_deref())
            .and_then(MessageId::parse)
    });
    let report = |recipient: String, kind, reason: String| FeedbackReport {
        message_id: message_id.clone(),
        recipient: Some(recipient),
        kind,
        reason,
        source: FeedbackSource::AmazonSes,
    };
    match ses.notification_type.or(ses.event_type).as_deref() {
        Some("Bounce") => {
            let Some(bounce) = ses.bounce else {
                return Vec::new();
            };
            let kind = if bounce.bounce_type == "Permanent" {
                FeedbackKind::HardBounce
            } else {
                FeedbackKind::SoftBounce
            };
            let sub_type = bounce.bounce_sub_type.unwrap_or_default();
            bounce
                .bounced_recipients
                .into_iter()
                .map(|r| {
                    let reason = [
                        Some(format!("{} {sub_type}", bounce.bounce_type)),
                        r.status,
                        r.diagnostic_code,
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ");
                    report(r.email_address, kind, reason)
                })
                .collect()
        }
        Some("Complaint") => {
            let Some(complaint) = ses.complaint else {
                return Vec::new();
            };
            let feedback = complaint
                .complaint_feedback_type
                .unwrap_or_else(|| "abuse".into());
            let kind = if feedback == "not-spam" {
                FeedbackKind::Delivered
            } else {
                FeedbackKind::Complaint
            };
            complaint
                .complained_recipients
                .into_iter()
                .map(|r| report(r.email_address, kind, format!("complaint: {feedback}")))
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
