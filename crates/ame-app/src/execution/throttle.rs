//! Pacing sends with token buckets: a send draws a token from its recipient's mailbox
//! provider's bucket (when that provider has a rate) and from its organization's bucket, each
//! shared by every worker through the database. Without one, the send waits about as long as
//! the bucket takes to refill a token, spread so that waiting sends do not all return at once.

use crate::engine::Engine;
use crate::error::AppResult;
use ame_domain::{BucketRate, ORGANIZATION_BUCKET, OrgId};
use chrono::{DateTime, TimeDelta, Utc};

impl Engine {
    /// When a send to `address` may go, if not now: `None` once it holds a token of every
    /// bucket it draws from.
    pub(crate) async fn throttle(
        &self,
        org: OrgId,
        address: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Option<DateTime<Utc>>> {
        let settings = self.execution();
        let mut buckets = Vec::with_capacity(2);
        if let Some(domain) = settings.domain_rates.bucket_for(address) {
            buckets.push(domain);
        }
        if settings.send_rate_per_minute > 0 {
            buckets.push((
                ORGANIZATION_BUCKET.to_owned(),
                BucketRate::per_minute(settings.send_rate_per_minute),
            ));
        }
        let execution = self.service_repos().execution;
        for (bucket, rate) in buckets {
            if !execution.take_send_token(org, &bucket, rate, now).await? {
                let token_ms = 1000.0 / rate.per_second();
                let spread = rand::random_range(1.0..4.0);
                let wait = TimeDelta::milliseconds((token_ms * spread).ceil() as i64);
                return Ok(Some(now + wait));
            }
        }
        Ok(None)
    }
}
