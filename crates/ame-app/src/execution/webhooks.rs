//! Publishing posts and ads, and telling of email events, through webhook connectors, signed as the Standard Webhooks
//! specification says: `webhook-id` (the same on every retry of one delivery),
//! `webhook-timestamp` (seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">` under the endpoint's `whsec_` secret. A 410 disables the
//! endpoint; `Retry-After` is honoured.

use crate::error::{AppError, AppResult};
use crate::execution::Execution;
use crate::execution::links::ClickClaim;
use crate::execution::outbound::{OutboundError, WebhookPost};
use crate::execution::scheduler::Handled;
use ame_domain::{
    AssetType, Campaign, Channel, Connector, ConnectorId, Job, JobSpec, NewJob, NotifySpec, OrgId,
    PublishSpec, SocialPostsView,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// How every connector secret starts.
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";

/// A new random connector secret: `whsec_` and 32 random bytes in base64.
pub(crate) fn new_webhook_secret() -> String {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).unwrap_or_default();
    format!("{WEBHOOK_SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The `webhook-signature` header value of `body` sent as message `id` at `timestamp`
/// (seconds), under `secret` (`whsec_` and base64). `None` for a malformed secret.
pub fn sign_webhook(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD
        .decode(secret.strip_prefix(WEBHOOK_SECRET_PREFIX)?)
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

impl Execution {
    /// Enqueues, for every connector that publishes a channel, the campaign's posts and ads on
    /// that channel, each at its posting time.
    pub(crate) async fn enqueue_publishing(
        &self,
        campaign: &Campaign,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let repos = &self.repos;
        let org = campaign.org_id;
        let connectors: Vec<_> = repos
            .execution
            .list_connectors(org)
            .await?
            .into_iter()
            .filter(|c| c.disabled_at.is_none())
            .collect();
        if connectors.is_empty() {
            return Ok(());
        }
        let assets = repos.assets.list_for_campaign(org, campaign.id).await?;
        let mut jobs = Vec::new();
        for asset in assets.iter().filter(|a| a.current) {
            let items: Vec<(Channel, DateTime<Utc>, Value)> = match asset.asset_type {
                AssetType::SocialPost => SocialPostsView::read(&asset.content)
                    .into_iter()
                    .filter_map(|(post, json)| {
                        let channel: Channel = post.platform.parse().ok()?;
                        let at = post
                            .posting_time
                            .and_then(|t| t.suggested_at)
                            .map_or(now, |t| t.max(now));
                        Some((channel, at, json))
                    })
                    .collect(),
                AssetType::AdCreative => [
                    (Channel::Facebook, "meta"),
                    (Channel::GoogleSearch, "google_rsa"),
                ]
                .into_iter()
                .filter(|(_, key)| !asset.content[*key].is_null())
                .map(|(channel, key)| (channel, now, asset.content[key].clone()))
                .collect(),
                _ => Vec::new(),
            };
            for (channel, at, item) in items {
                for connector in connectors.iter().filter(|c| c.channels.contains(&channel)) {
                    jobs.push(
                        NewJob::new(
                            JobSpec::Publish(PublishSpec {
                                connector: connector.id,
                                asset: asset.id,
                                asset_type: asset.asset_type,
                                channel,
                                content: item.clone(),
                            }),
                            format!("{}:{}:{channel}:{}", campaign.id, asset.id, connector.id),
                            at,
                        )
                        .for_campaign(campaign.id),
                    );
                }
            }
        }
        repos.jobs.enqueue(org, jobs, now).await?;
        Ok(())
    }

    /// Delivers one post or ad to one connector.
    pub(crate) async fn publish_job(&self, job: &Job, publish: PublishSpec) -> AppResult<Handled> {
        let repos = &self.repos;
        let org = job.org_id;
        let campaign_id = job
            .campaign_id
            .ok_or_else(|| AppError::Internal("a publish job names no campaign".into()))?;
        let connector_id = publish.connector;
        let campaign = repos.campaigns.get(org, campaign_id).await?;
        if campaign.status.has_ended() {
            return Ok(Handled::Done);
        }
        if campaign.status == ame_domain::CampaignStatus::Paused {
            return Ok(Handled::Postpone(ame_domain::parked_until()));
        }
        let connector = match self.live_connector(org, connector_id).await? {
            Ok(c) => c,
            Err(ended) => return Ok(ended),
        };
        let now = self.now();
        let PublishSpec {
            mut content,
            channel,
            asset,
            asset_type,
            ..
        } = publish;
        for key in ["link", "final_url"] {
            if let Some(url) = content[key].as_str() {
                let token = self.settings.signer.click_token(&ClickClaim {
                    org,
                    campaign: campaign_id,
                    asset,
                    variant: 0,
                    contact: None,
                    channel,
                    destination: url.to_owned(),
                });
                content[key] = json!(format!("{}/t/{token}", self.settings.public_url));
            }
        }
        let body = json!({
            "type": "campaign.publish",
            "timestamp": now.to_rfc3339(),
            "data": {
                "campaign_id": campaign_id,
                "asset_id": asset,
                "asset_type": asset_type,
                "channel": channel,
                "content": content,
            }
        })
        .to_string();
        self.post_to_connector(job, &connector, body, now).await
    }

    /// Tells one connector of one email event, signed like a post; a deleted or disabled
    /// connector ends the job.
    pub(crate) async fn notify_job(&self, job: &Job, notice: NotifySpec) -> AppResult<Handled> {
        let connector = match self.live_connector(job.org_id, notice.connector).await? {
            Ok(c) => c,
            Err(ended) => return Ok(ended),
        };
        let now = self.now();
        let body = json!({
            "type": format!("email.{}", notice.event),
            "timestamp": notice.occurred_at.to_rfc3339(),
            "data": {
                "event_id": notice.event_id,
                "event": notice.event,
                "campaign_id": notice.campaign,
                "contact_id": notice.contact,
                "message_id": notice.message_id,
                "channel": notice.channel,
                "occurred_at": notice.occurred_at.to_rfc3339(),
            }
        })
        .to_string();
        self.post_to_connector(job, &connector, body, now).await
    }

    /// The connector a job posts to, with its secret; or how the job ends when the connector
    /// was deleted or disabled.
    async fn live_connector(
        &self,
        org: OrgId,
        id: ConnectorId,
    ) -> AppResult<Result<Connector, Handled>> {
        let connector = match self.repos.execution.get_connector(org, id).await {
            Ok(c) => c,
            Err(ame_storage::StorageError::NotFound { .. }) => {
                return Ok(Err(Handled::Fatal("the connector was deleted".into())));
            }
            Err(e) => return Err(e.into()),
        };
        if connector.disabled_at.is_some() {
            return Ok(Err(Handled::Fatal(format!(
                "the connector is disabled: {}",
                connector.disabled_reason.unwrap_or_default()
            ))));
        }
        Ok(Ok(connector))
    }

    /// Posts `body` to `connector` under Standard Webhooks headers (the `webhook-id` is the
    /// job's, so every retry carries the same one) and says how the job ends: done on 2xx, a
    /// retry on 429 and 5xx (at `Retry-After` when given), the connector disabled on 410.
    async fn post_to_connector(
        &self,
        job: &Job,
        connector: &Connector,
        body: String,
        now: DateTime<Utc>,
    ) -> AppResult<Handled> {
        let id = format!("msg_{}", job.id.as_uuid().simple());
        let timestamp = now.timestamp();
        let signature = sign_webhook(
            connector.secret.as_deref().unwrap_or_default(),
            &id,
            timestamp,
            &body,
        )
        .ok_or_else(|| AppError::Internal("the connector's secret is malformed".into()))?;
        let post = WebhookPost {
            url: connector.url.clone(),
            id,
            timestamp,
            signature,
            body,
            now,
        };
        Ok(match self.outbounds.webhook.deliver(&post).await {
            Ok(()) => Handled::Done,
            Err(OutboundError::Gone(reason)) => {
                self.repos
                    .execution
                    .disable_connector(job.org_id, connector.id, &reason, now)
                    .await?;
                Handled::Fatal(format!("{reason}; the connector is disabled"))
            }
            Err(OutboundError::Transient {
                reason,
                retry_at: Some(at),
            }) => Handled::RetryAt(reason, at),
            Err(e @ (OutboundError::Transient { .. } | OutboundError::SendingSide(_))) => {
                Handled::Retry(e.to_string())
            }
            Err(OutboundError::Refused(reason)) => Handled::Fatal(reason),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The example from the Standard Webhooks specification.
        let signature = sign_webhook(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            signature.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign_webhook("nope", "id", 1, "{}"), None);
        assert!(new_webhook_secret().starts_with(WEBHOOK_SECRET_PREFIX));
    }
}
