//! Applying a report of what happened to a message after it left: a later bounce or a spam
//! complaint, found by the message's Message-ID across organizations and then recorded inside
//! the owning organization's scope.

use super::tracking::insert_event_in;
use super::{NewTrackingEvent, SqlExecution};
use crate::StorageResult;
use crate::entity::{contact, delivery, tracking_event};
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::scope::Scope;
use ame_domain::{
    AssetId, CampaignId, Channel, Consent, ContactId, DeliveryState, FeedbackKind, FeedbackOutcome,
    FeedbackReport, MessageId, OrgId, TrackingKind,
};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QuerySelect,
    Statement,
};

#[derive(Debug, FromQueryResult)]
struct Located {
    org_id: uuid::Uuid,
    delivery_id: uuid::Uuid,
}

/// The organization and delivery a Message-ID belongs to. On PostgreSQL through
/// `ame_locate_delivery`, which returns ids only, since no organization is acting yet.
async fn locate(scope: &Scope, message_id: &MessageId) -> StorageResult<Option<Located>> {
    if scope.is_postgres() {
        Located::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT org_id, delivery_id FROM ame_locate_delivery($1)",
            [message_id.as_str().into()],
        ))
        .one(&scope.db)
        .await
        .db()
    } else {
        let row: Option<(uuid::Uuid, uuid::Uuid)> = delivery::Entity::find()
            .select_only()
            .column(delivery::Column::OrgId)
            .column(delivery::Column::Id)
            .filter(delivery::Column::MessageId.eq(message_id.as_str()))
            .into_tuple()
            .one(&scope.db)
            .await
            .db()?;
        Ok(row.map(|(org_id, delivery_id)| Located {
            org_id,
            delivery_id,
        }))
    }
}

impl SqlExecution {
    pub(crate) async fn apply_feedback_stored(
        &self,
        report: &FeedbackReport,
        now: DateTime<Utc>,
    ) -> StorageResult<FeedbackOutcome> {
        let tracking_kind = match report.kind {
            FeedbackKind::HardBounce => Some(TrackingKind::Bounce),
            FeedbackKind::Complaint => Some(TrackingKind::Complaint),
            // A delivery changes nothing here; the connectors subscribed are told of it.
            FeedbackKind::Delivered => None,
            FeedbackKind::SoftBounce => return Ok(FeedbackOutcome::Ignored),
        };
        let Some(message_id) = &report.message_id else {
            return Ok(FeedbackOutcome::UnknownMessage);
        };
        let Some(located) = locate(&self.scope, message_id).await? else {
            return Ok(FeedbackOutcome::UnknownMessage);
        };
        let now = micros(now);
        let org = OrgId::from_uuid(located.org_id);
        let txn = self.scope.begin(org).await?;
        let Some(row) = delivery::Entity::find_by_id(located.delivery_id)
            .filter(delivery::Column::OrgId.eq(org.as_uuid()))
            .one(&txn)
            .await
            .db()?
        else {
            Scope::end_read(txn);
            return Ok(FeedbackOutcome::UnknownMessage);
        };
        let Some(tracking_kind) = tracking_kind else {
            super::notify_in(
                &txn,
                org,
                ame_domain::EmailEvent::Delivered,
                super::EventFacts {
                    campaign: CampaignId::from_uuid(row.campaign_id),
                    contact: Some(ContactId::from_uuid(row.contact_id)),
                    message_id: Some(row.message_id.clone()),
                    channel: Channel::Email,
                    at: now,
                },
            )
            .await?;
            txn.commit().await.db()?;
            return Ok(FeedbackOutcome::Ignored);
        };
        let recorded = tracking_event::Entity::find()
            .filter(tracking_event::Column::OrgId.eq(org.as_uuid()))
            .filter(tracking_event::Column::CampaignId.eq(row.campaign_id))
            .filter(tracking_event::Column::ContactId.eq(row.contact_id))
            .filter(tracking_event::Column::Kind.eq(tracking_kind.as_str()))
            .count(&txn)
            .await
            .db()?;
        if recorded > 0 {
            Scope::end_read(txn);
            return Ok(FeedbackOutcome::AlreadyRecorded);
        }
        insert_event_in(
            &txn,
            org,
            NewTrackingEvent {
                campaign: CampaignId::from_uuid(row.campaign_id),
                asset: Some(AssetId::from_uuid(row.asset_id)),
                variant: None,
                contact: Some(ContactId::from_uuid(row.contact_id)),
                kind: tracking_kind,
                channel: Channel::Email,
                value: None,
                at: now,
                dedupe_key: None,
            },
            Some(&row.message_id),
        )
        .await?;
        let (consent, replaces) = match report.kind {
            // A later bounce turns an accepted message into a refused one, so the campaign's
            // delivered count and bounce rate agree with a bounce at the time of sending.
            FeedbackKind::HardBounce => {
                delivery::Entity::update_many()
                    .col_expr(
                        delivery::Column::State,
                        Expr::value(DeliveryState::Failed.as_str()),
                    )
                    .col_expr(
                        delivery::Column::LastError,
                        Expr::value(format!("bounced after it was accepted: {}", report.reason)),
                    )
                    .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
                    .filter(delivery::Column::Id.eq(row.id))
                    .filter(delivery::Column::OrgId.eq(org.as_uuid()))
                    .filter(delivery::Column::State.eq(DeliveryState::Sent.as_str()))
                    .exec(&txn)
                    .await
                    .db()?;
                (Consent::Bounced, vec![Consent::Subscribed])
            }
            _ => (
                Consent::Complained,
                vec![Consent::Subscribed, Consent::Unsubscribed, Consent::Bounced],
            ),
        };
        let changed = contact::Entity::update_many()
            .col_expr(contact::Column::Consent, Expr::value(consent.as_str()))
            .col_expr(
                contact::Column::ConsentSource,
                Expr::value(report.source.as_str()),
            )
            .col_expr(contact::Column::ConsentAt, Expr::value(now))
            .col_expr(contact::Column::UpdatedAt, Expr::value(now))
            .filter(contact::Column::Id.eq(row.contact_id))
            .filter(contact::Column::OrgId.eq(org.as_uuid()))
            .filter(contact::Column::ErasedAt.is_null())
            .filter(contact::Column::Consent.is_in(replaces.iter().map(|c| c.as_str())))
            .exec(&txn)
            .await
            .db()?;
        if changed.rows_affected == 1 {
            crate::consent_log::record_one(
                &txn,
                org,
                row.contact_id,
                consent,
                report.source.as_str(),
                now,
            )
            .await?;
        }
        super::suppress_contact(&txn, org, ContactId::from_uuid(row.contact_id), now).await?;
        txn.commit().await.db()?;
        Ok(FeedbackOutcome::Applied)
    }
}
