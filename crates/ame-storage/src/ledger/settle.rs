//! Settling a send: recording how it ended together with its job (and, for a bounce, the
//! contact's consent and the bounce event) in one transaction, and the token buckets that
//! pace sending.

use super::rows::set_delivery;
use super::tracking::insert_event_in;
use super::{NewTrackingEvent, SendOutcome, SqlExecution};
use crate::StorageResult;
use crate::entity::contact;
use crate::error::DbResultExt;
use crate::queue::{self, micros};
use ame_domain::{BucketRate, Channel, Consent, Delivery, DeliveryState, Job, OrgId};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};

impl SqlExecution {
    pub(crate) async fn finish_send_stored(
        &self,
        job: &Job,
        delivery: &Delivery,
        outcome: SendOutcome,
        now: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let now = micros(now);
        let org = job.org_id;
        let txn = self.scope.begin(org).await?;
        let (state, error, sent_at) = match &outcome {
            SendOutcome::Sent => (DeliveryState::Sent, None, Some(now)),
            SendOutcome::Bounced(e) => (DeliveryState::Failed, Some(e.clone()), None),
            SendOutcome::Suppressed(e) => (DeliveryState::Suppressed, Some(e.clone()), None),
            SendOutcome::Cancelled => (DeliveryState::Cancelled, None, None),
            SendOutcome::Retry { error, .. } => {
                let last = job.attempts >= job.max_attempts;
                let state = if last {
                    DeliveryState::Failed
                } else {
                    DeliveryState::Pending
                };
                (state, Some(error.clone()), None)
            }
        };
        let settled = match &outcome {
            SendOutcome::Retry { error, at } => queue::fail_in(&txn, job, error, Some(*at), now)
                .await?
                .is_some(),
            _ => queue::complete_in(&txn, job, now).await?,
        };
        if !settled {
            return Ok(false);
        }
        set_delivery(delivery.id, state, error, sent_at, now)
            .exec(&txn)
            .await
            .db()?;
        if outcome == SendOutcome::Sent {
            // The contact's outcome record learns of the send, and of the subject it showed,
            // in the same transaction (a held-out contact has no send; a contact outside any
            // outcome record changes nothing).
            crate::optimisation::observe_in(
                &txn,
                org,
                delivery.campaign_id,
                delivery.contact_id,
                ame_domain::OutcomeEvent::Delivered(
                    [(
                        ame_domain::subject_field(delivery.step),
                        delivery.subject_variant,
                    )]
                    .into(),
                ),
                now,
            )
            .await?;
            super::notify_in(
                &txn,
                org,
                ame_domain::EmailEvent::Sent,
                super::EventFacts {
                    campaign: delivery.campaign_id,
                    contact: Some(delivery.contact_id),
                    message_id: Some(delivery.message_id.clone()),
                    channel: Channel::Email,
                    at: now,
                },
            )
            .await?;
        }
        if let SendOutcome::Bounced(_) = outcome {
            insert_event_in(
                &txn,
                org,
                NewTrackingEvent {
                    campaign: delivery.campaign_id,
                    asset: Some(delivery.asset_id),
                    variant: None,
                    contact: Some(delivery.contact_id),
                    kind: ame_domain::TrackingKind::Bounce,
                    channel: Channel::Email,
                    value: None,
                    at: now,
                    dedupe_key: None,
                },
                Some(&delivery.message_id),
            )
            .await?;
            contact::Entity::update_many()
                .col_expr(
                    contact::Column::Consent,
                    Expr::value(Consent::Bounced.as_str()),
                )
                .col_expr(contact::Column::ConsentSource, Expr::value("smtp_bounce"))
                .col_expr(contact::Column::ConsentAt, Expr::value(now))
                .col_expr(contact::Column::UpdatedAt, Expr::value(now))
                .filter(contact::Column::Id.eq(delivery.contact_id.as_uuid()))
                .filter(contact::Column::OrgId.eq(org.as_uuid()))
                .exec(&txn)
                .await
                .db()?;
            crate::consent_log::record_one(
                &txn,
                org,
                delivery.contact_id.as_uuid(),
                Consent::Bounced,
                "smtp_bounce",
                now,
            )
            .await?;
        }
        txn.commit().await.db()?;
        Ok(true)
    }

    pub(crate) async fn reserve_send_slot_stored(
        &self,
        org: OrgId,
        bucket: &str,
        rate: BucketRate,
        max_wait: TimeDelta,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<DateTime<Utc>>> {
        let txn = self.scope.begin(org).await?;
        let backend = txn.get_database_backend();
        // One statement, atomic on both backends. A new bucket starts full and gives a token;
        // an existing one refills for the time since it was last drawn from (up to its burst)
        // and gives one, going into debt when empty: the debt says how long this send waits
        // for its slot. A debt beyond `max_wait` reserves nothing (no row back).
        let (least, greatest) = match backend {
            DbBackend::Postgres => ("LEAST", "GREATEST"),
            _ => ("MIN", "MAX"),
        };
        let refilled = format!(
            "{least}($3, send_buckets.tokens + $4 * {greatest}(0, $5 - send_buckets.drawn_at_us) / 1000000.0)"
        );
        let sql = format!(
            "INSERT INTO send_buckets (org_id, bucket, tokens, drawn_at_us) VALUES ($1, $2, $3 - 1, $5) \
             ON CONFLICT (org_id, bucket) DO UPDATE SET tokens = {refilled} - 1, \
             drawn_at_us = {greatest}(send_buckets.drawn_at_us, $5) \
             WHERE {refilled} - 1 >= -$6 \
             RETURNING tokens"
        );
        let max_debt = rate.per_second() * max_wait.as_seconds_f64();
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                vec![
                    org.as_uuid().into(),
                    bucket.into(),
                    f64::from(rate.burst).into(),
                    rate.per_second().into(),
                    now.timestamp_micros().into(),
                    max_debt.into(),
                ],
            ))
            .await
            .db()?;
        txn.commit().await.db()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let tokens: f64 = row.try_get("", "tokens").db()?;
        if tokens > -1e-9 {
            return Ok(Some(now));
        }
        let wait_us = (-tokens / rate.per_second() * 1e6).ceil() as i64;
        Ok(Some(now + TimeDelta::microseconds(wait_us)))
    }
}
