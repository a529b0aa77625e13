//! Settling a send: recording how it ended together with its job (and, for a bounce, the
//! contact's consent and the bounce event) in one transaction, and the per-minute send quota.

use super::rows::set_delivery;
use super::tracking::insert_event_in;
use super::{NewTrackingEvent, SendOutcome, SqlExecution};
use crate::StorageResult;
use crate::entity::contact;
use crate::error::DbResultExt;
use crate::queue::{self, micros};
use ame_domain::{Channel, Consent, Delivery, DeliveryState, Job, OrgId};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

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
                },
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
        }
        txn.commit().await.db()?;
        Ok(true)
    }

    pub(crate) async fn take_send_slot_stored(
        &self,
        org: OrgId,
        minute: DateTime<Utc>,
        limit: u32,
    ) -> StorageResult<bool> {
        let minute = micros(minute);
        let txn = self.scope.begin(org).await?;
        let backend = txn.get_database_backend();
        let row = txn
            .query_one_raw(crate::queue::statement(
                backend,
                "INSERT INTO send_quota (org_id, minute, taken) VALUES (?, ?, 1) \
                 ON CONFLICT (org_id, minute) DO UPDATE SET taken = send_quota.taken + 1 \
                 RETURNING taken",
                vec![org.as_uuid().into(), minute.into()],
            ))
            .await
            .db()?;
        let taken: i64 = row
            .map(|r| r.try_get::<i32>("", "taken").map(i64::from))
            .transpose()
            .db()?
            .unwrap_or(i64::MAX);
        if taken == 1 {
            // A new minute: forget the old ones.
            txn.execute_raw(crate::queue::statement(
                backend,
                "DELETE FROM send_quota WHERE org_id = ? AND minute < ?",
                vec![
                    org.as_uuid().into(),
                    (minute - chrono::TimeDelta::hours(1)).into(),
                ],
            ))
            .await
            .db()?;
        }
        txn.commit().await.db()?;
        Ok(taken <= i64::from(limit))
    }
}
