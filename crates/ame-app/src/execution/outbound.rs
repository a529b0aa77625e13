//! The outbound seam: how a rendered message leaves, one [`Outbound`] per transport, with one
//! vocabulary of failure ([`OutboundError`]) so the jobs that hand messages over settle them the
//! same way whatever the channel. Email leaves through the [`Mailer`] (SMTP, or the outbox
//! files by default); posts, ads and event notices through a signed webhook POST to the
//! organization's connector.
//!
//! Which transport a channel uses is [`Outbounds`]'s business: a new direct-to-contact channel
//! adds its message type, an implementation of [`Outbound`] for it and a field here.

use crate::egress::{EgressPolicy, PolicedResolver, call_allowed};
use crate::execution::mail::{MailError, Mailer, OutboxMailer, OutgoingEmail};
use ame_storage::BlobStore;
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Why a message was not accepted, by who is at fault and when to try again.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum OutboundError {
    /// The recipient refused this message for good (a mailbox that does not exist, a receiver
    /// that rejected the call): do not retry.
    #[error("{0}")]
    Refused(String),
    /// The recipient cannot take it now: retry, at the time given when the receiver said.
    #[error("{reason}")]
    Transient {
        /// What the receiver said.
        reason: String,
        /// When the receiver asked to be called again, if it did.
        retry_at: Option<DateTime<Utc>>,
    },
    /// The sending side failed whoever the recipient (a mail server, credentials, a sender
    /// address): retry, and count it towards pausing the organization's sending.
    #[error("{0}")]
    SendingSide(String),
    /// The receiving endpoint is gone for good (HTTP 410): stop using it.
    #[error("{0}")]
    Gone(String),
}

impl From<MailError> for OutboundError {
    fn from(error: MailError) -> Self {
        match error {
            MailError::Rejected(e) => Self::Refused(e),
            MailError::Transient(e) => Self::Transient {
                reason: e,
                retry_at: None,
            },
            MailError::Sender(e) => Self::SendingSide(e),
        }
    }
}

/// Hands rendered messages of type `M` to the system that carries them.
#[async_trait]
pub(crate) trait Outbound<M: Sync>: Send + Sync {
    /// Delivers one message; `Ok` once the receiving system accepted it.
    async fn deliver(&self, message: &M) -> Result<(), OutboundError>;
}

/// Email through a [`Mailer`].
#[derive(Debug, Clone)]
pub(crate) struct EmailOutbound {
    mailer: Arc<dyn Mailer>,
}

#[async_trait]
impl Outbound<OutgoingEmail> for EmailOutbound {
    async fn deliver(&self, message: &OutgoingEmail) -> Result<(), OutboundError> {
        self.mailer.send(message).await.map_err(OutboundError::from)
    }
}

/// One signed call to a webhook connector (Standard Webhooks headers).
#[derive(Debug, Clone)]
pub(crate) struct WebhookPost {
    /// The receiver's URL.
    pub url: String,
    /// The `webhook-id` (the same on every retry of one delivery).
    pub id: String,
    /// The `webhook-timestamp`, in seconds.
    pub timestamp: i64,
    /// The `webhook-signature`.
    pub signature: String,
    /// The JSON body.
    pub body: String,
    /// The time of the call, from which a `Retry-After` in seconds counts.
    pub now: DateTime<Utc>,
}

/// Webhook calls over HTTP: one client (and its connection pool) for every call, no
/// redirects followed, connecting only where the egress policy allows (names resolved through
/// [`PolicedResolver`], literal addresses checked before the call).
#[derive(Debug, Clone)]
pub(crate) struct WebhookOutbound {
    client: reqwest::Client,
    egress: Arc<EgressPolicy>,
}

/// What a webhook call that reached no receiver says, whatever the reason (a refused
/// address, a closed port, a timeout): telling them apart would make connectors a port
/// scanner.
pub(crate) const UNDELIVERABLE: &str = "could not deliver to the receiver";

impl WebhookOutbound {
    /// A client whose calls give up after `timeout` and go only where `egress` allows.
    fn new(timeout: Duration, egress: Arc<EgressPolicy>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(PolicedResolver::new(egress.clone())))
            .build()
            .unwrap_or_default();
        Self { client, egress }
    }
}

/// Reads `Retry-After` (seconds or an HTTP date).
pub(crate) fn retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if let Ok(seconds) = value.trim().parse::<i64>() {
        return Some(now + TimeDelta::seconds(seconds.clamp(0, 86_400)));
    }
    DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[async_trait]
impl Outbound<WebhookPost> for WebhookOutbound {
    async fn deliver(&self, post: &WebhookPost) -> Result<(), OutboundError> {
        if !call_allowed(&self.egress, &post.url) {
            return Err(OutboundError::Refused(UNDELIVERABLE.into()));
        }
        let response = self
            .client
            .post(&post.url)
            .header("content-type", "application/json")
            .header("webhook-id", &post.id)
            .header("webhook-timestamp", post.timestamp.to_string())
            .header("webhook-signature", &post.signature)
            .body(post.body.clone())
            .send()
            .await
            .map_err(|e| {
                tracing::debug!(error = %e, "a webhook call reached no receiver");
                OutboundError::Transient {
                    reason: UNDELIVERABLE.into(),
                    retry_at: None,
                }
            })?;
        let status = response.status().as_u16();
        let retry_at = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, post.now));
        match status {
            200..=299 => Ok(()),
            410 => Err(OutboundError::Gone("the receiver answered 410 Gone".into())),
            429 | 500..=599 => Err(OutboundError::Transient {
                reason: format!("the receiver answered {status}"),
                retry_at,
            }),
            _ => Err(OutboundError::Refused(format!(
                "the receiver refused the call with {status}"
            ))),
        }
    }
}

/// The transports of every channel: email (the configured mailer, or the outbox in the blob
/// store) and webhook calls to connectors.
#[derive(Clone)]
pub(crate) struct Outbounds {
    /// Email.
    pub email: Arc<dyn Outbound<OutgoingEmail>>,
    /// Posts, ads and event notices to connectors.
    pub webhook: Arc<dyn Outbound<WebhookPost>>,
}

impl fmt::Debug for Outbounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbounds").finish_non_exhaustive()
    }
}

impl Outbounds {
    /// Email through `mailer` (the outbox in `blobs` when there is none), webhook calls that
    /// give up after `webhook_timeout`.
    pub(crate) fn new(
        mailer: Option<Arc<dyn Mailer>>,
        blobs: Arc<dyn BlobStore>,
        webhook_timeout: Duration,
        egress: Arc<EgressPolicy>,
    ) -> Self {
        let mailer = mailer.unwrap_or_else(|| Arc::new(OutboxMailer::new(blobs)));
        Self {
            email: Arc::new(EmailOutbound { mailer }),
            webhook: Arc::new(WebhookOutbound::new(webhook_timeout, egress)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = Utc::now();
        assert_eq!(retry_after("120", now), Some(now + TimeDelta::seconds(120)));
        assert!(retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now).is_some());
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn mail_failures_keep_who_is_at_fault() {
        assert_eq!(
            OutboundError::from(MailError::Rejected("550".into())),
            OutboundError::Refused("550".into())
        );
        assert!(matches!(
            OutboundError::from(MailError::Transient("451".into())),
            OutboundError::Transient { retry_at: None, .. }
        ));
        assert_eq!(
            OutboundError::from(MailError::Sender("530".into())),
            OutboundError::SendingSide("530".into())
        );
    }

    /// A loopback server answering every request with `response` (raw HTTP), and its URL.
    async fn answering(response: &'static str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = vec![0u8; 8192];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(response.as_bytes()).await;
            }
        });
        url
    }

    fn post(url: String, now: DateTime<Utc>) -> WebhookPost {
        WebhookPost {
            url,
            id: "msg_1".into(),
            timestamp: now.timestamp(),
            signature: "v1,x".into(),
            body: "{}".into(),
            now,
        }
    }

    #[tokio::test]
    async fn webhook_answers_map_to_who_is_at_fault() {
        let now = Utc::now();
        let outbound = WebhookOutbound::new(
            Duration::from_secs(5),
            Arc::new(EgressPolicy::parse("127.0.0.1").unwrap()),
        );
        let ok = answering("HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n").await;
        assert_eq!(outbound.deliver(&post(ok, now)).await, Ok(()));
        let gone = answering("HTTP/1.1 410 Gone\r\ncontent-length: 0\r\n\r\n").await;
        assert!(matches!(
            outbound.deliver(&post(gone, now)).await,
            Err(OutboundError::Gone(_))
        ));
        let busy = answering(
            "HTTP/1.1 503 Service Unavailable\r\nretry-after: 90\r\ncontent-length: 0\r\n\r\n",
        )
        .await;
        assert_eq!(
            outbound.deliver(&post(busy, now)).await,
            Err(OutboundError::Transient {
                reason: "the receiver answered 503".into(),
                retry_at: Some(now + TimeDelta::seconds(90)),
            })
        );
        let bad = answering("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await;
        assert!(matches!(
            outbound.deliver(&post(bad, now)).await,
            Err(OutboundError::Refused(e)) if e.contains("400")
        ));
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/hook", listener.local_addr().unwrap())
        };
        // A closed port and a refused address read alike: no port scanning through
        // connectors.
        assert_eq!(
            outbound.deliver(&post(closed.clone(), now)).await,
            Err(OutboundError::Transient {
                reason: UNDELIVERABLE.into(),
                retry_at: None
            })
        );
        let strict = WebhookOutbound::new(Duration::from_secs(5), Arc::default());
        let open = answering("HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n").await;
        for url in [
            open.clone(),
            open.replace("127.0.0.1", "localhost"),
            open.replace("127.0.0.1", "[::ffff:127.0.0.1]"),
        ] {
            let refused = strict.deliver(&post(url.clone(), now)).await.unwrap_err();
            assert_eq!(refused.to_string(), UNDELIVERABLE, "{url}");
        }
    }
}
