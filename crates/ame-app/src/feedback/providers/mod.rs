//! Email service providers' event webhooks: Amazon SES (through SNS), SendGrid, Postmark and
//! Mailgun. Each call is authenticated the way its provider documents (an RSA signature over
//! the SNS message with AWS's certificate, an ECDSA signature, HTTP basic credentials, an HMAC)
//! before its bounce and complaint events are read and applied.

mod mailgun;
mod postmark;
mod sendgrid;
mod ses;

pub use ses::{AwsSnsCertificates, SnsCertificates, check_sns_url};

use super::FeedbackSummary;
use crate::Engine;
use ame_domain::FeedbackReport;
use std::collections::HashMap;
use std::sync::Arc;

/// A provider whose event webhook AME takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Amazon SES bounce and complaint notifications, delivered by SNS.
    AmazonSes,
    /// SendGrid's signed event webhook.
    SendGrid,
    /// Postmark's bounce and spam-complaint webhooks.
    Postmark,
    /// Mailgun's webhooks.
    Mailgun,
}

impl Provider {
    /// The names used in the webhook's path.
    pub const NAMES: [&'static str; 4] = ["amazon-ses", "sendgrid", "postmark", "mailgun"];

    /// The provider a path segment names.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "amazon-ses" => Some(Self::AmazonSes),
            "sendgrid" => Some(Self::SendGrid),
            "postmark" => Some(Self::Postmark),
            "mailgun" => Some(Self::Mailgun),
            _ => None,
        }
    }

    /// Its name in the webhook's path.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AmazonSes => "amazon-ses",
            Self::SendGrid => "sendgrid",
            Self::Postmark => "postmark",
            Self::Mailgun => "mailgun",
        }
    }
}

/// The operator's credentials for each provider's webhook. A provider without them refuses
/// every call: nothing unauthenticated changes a contact.
#[derive(Clone, Default)]
pub struct ProviderWebhooks {
    /// SendGrid's verification key (base64 DER of the ECDSA P-256 public key).
    pub sendgrid_public_key: Option<String>,
    /// Mailgun's webhook signing key.
    pub mailgun_signing_key: Option<String>,
    /// The user and password Postmark's webhook URL carries (HTTP basic authentication).
    pub postmark_credentials: Option<(String, String)>,
    /// The SNS topics (ARNs) whose SES notifications are taken; empty turns SES off.
    pub ses_topics: Vec<String>,
    /// Where SNS signing certificates come from, and how subscriptions are confirmed.
    pub sns: Option<Arc<dyn SnsCertificates>>,
}

impl std::fmt::Debug for ProviderWebhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderWebhooks")
            .field("sendgrid", &self.sendgrid_public_key.is_some())
            .field("mailgun", &self.mailgun_signing_key.is_some())
            .field("postmark", &self.postmark_credentials.is_some())
            .field("ses_topics", &self.ses_topics)
            .finish()
    }
}

impl ProviderWebhooks {
    /// Whether `provider`'s webhook has credentials.
    pub fn is_configured(&self, provider: Provider) -> bool {
        match provider {
            Provider::AmazonSes => !self.ses_topics.is_empty() && self.sns.is_some(),
            Provider::SendGrid => self.sendgrid_public_key.is_some(),
            Provider::Postmark => self.postmark_credentials.is_some(),
            Provider::Mailgun => self.mailgun_signing_key.is_some(),
        }
    }
}

/// One call of a provider's webhook: its headers (names in lower case) and its body, as sent.
#[derive(Debug, Clone, Default)]
pub struct WebhookCall {
    /// Header names in lower case, with their values.
    pub headers: HashMap<String, String>,
    /// The raw body (signatures cover these exact bytes).
    pub body: Vec<u8>,
}

impl WebhookCall {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// Why a webhook call was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The provider has no credentials configured.
    #[error("the {0} webhook is not configured on this server")]
    NotConfigured(&'static str),
    /// The call's signature or credentials did not verify.
    #[error("the call is not authenticated: {0}")]
    Unauthenticated(String),
    /// The body is not what the provider sends.
    #[error("the body is not a {provider} event: {detail}")]
    Malformed {
        /// Which provider.
        provider: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A certificate or subscription confirmation could not be fetched; the provider retries.
    #[error("{0}")]
    Unavailable(String),
    /// Applying the events failed.
    #[error(transparent)]
    Apply(#[from] crate::AppError),
}

fn malformed(provider: Provider, detail: impl std::fmt::Display) -> WebhookError {
    WebhookError::Malformed {
        provider: provider.as_str(),
        detail: detail.to_string(),
    }
}

/// Compares secrets in time that does not depend on where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Engine {
    /// Authenticates one call of `provider`'s event webhook and applies the bounces and
    /// complaints it reports. SNS subscription confirmations are confirmed.
    pub async fn receive_provider_events(
        &self,
        provider: Provider,
        call: &WebhookCall,
    ) -> Result<FeedbackSummary, WebhookError> {
        let webhooks = self.provider_webhooks();
        if !webhooks.is_configured(provider) {
            return Err(WebhookError::NotConfigured(provider.as_str()));
        }
        let now = self.now();
        let reports: Vec<FeedbackReport> = match provider {
            Provider::SendGrid => sendgrid::reports(webhooks, call, now)?,
            Provider::Mailgun => mailgun::reports(webhooks, call, now)?,
            Provider::Postmark => postmark::reports(webhooks, call)?,
            Provider::AmazonSes => ses::reports(webhooks, call, now).await?,
        };
        Ok(self.apply_feedback(&reports).await?)
    }
}
