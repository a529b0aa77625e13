//! Pacing sends with token buckets. A send reserves a slot in its recipient's mailbox
//! provider's bucket (when that provider has a rate) and in its organization's bucket, each
//! shared by every worker through the database: while a bucket holds tokens the slot is now;
//! when it is empty the bucket goes into debt and the slot is when the debt is paid, so a
//! backlog leaves one message after another at the rate, each job waking once at its own slot.
//! A backlog deeper than [`MAX_PACE_WAIT`] reserves nothing and looks again that much later.

use crate::error::AppResult;
use crate::execution::Execution;
use ame_domain::{BucketRate, ORGANIZATION_BUCKET, OrgId};
use chrono::{DateTime, TimeDelta, Utc};

/// The furthest ahead a send reserves its slot.
pub(crate) const MAX_PACE_WAIT: TimeDelta = TimeDelta::minutes(10);

/// How late a send may still use its reserved slot; later, it reserves a new one. Workers
/// that fell behind (or were down) thus send at most this long's worth of slots at once when
/// they catch up, never the whole backlog.
pub(crate) const PACE_GRACE: TimeDelta = TimeDelta::minutes(1);

/// When a send may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pace {
    /// Now: every bucket held a token.
    Now,
    /// At its reserved slot.
    Reserved(DateTime<Utc>),
    /// No slot within [`MAX_PACE_WAIT`]: look again then.
    Later(DateTime<Utc>),
}

impl Execution {
    /// Reserves the slot of a send to `address`.
    pub(crate) async fn pace(
        &self,
        org: OrgId,
        address: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Pace> {
        let settings = &self.settings;
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
        let execution = &self.repos.execution;
        let mut slot = now;
        for (bucket, rate) in buckets {
            match execution
                .reserve_send_slot(org, &bucket, rate, MAX_PACE_WAIT, now)
                .await?
            {
                Some(at) => slot = slot.max(at),
                None => {
                    let jitter = TimeDelta::milliseconds(rand::random_range(0..30_000));
                    return Ok(Pace::Later(now + MAX_PACE_WAIT + jitter));
                }
            }
        }
        Ok(if slot <= now {
            Pace::Now
        } else {
            Pace::Reserved(slot)
        })
    }
}
