//! Delivery rows: reading and writing one, the send job that goes with it, and what erasing a
//! contact or ending a campaign does to the rows not yet sent.

use crate::StorageResult;
use crate::entity::{delivery, job};
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::scope::parse_stored;
use ame_domain::{AssetId, CampaignId, ContactId, Delivery, DeliveryState, JobState, OrgId, kinds};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};

pub(crate) fn to_delivery(m: delivery::Model) -> StorageResult<Delivery> {
    Ok(Delivery {
        id: m.id,
        campaign_id: CampaignId::from_uuid(m.campaign_id),
        asset_id: AssetId::from_uuid(m.asset_id),
        step: Ord::max(m.step, 0) as u32,
        contact_id: ContactId::from_uuid(m.contact_id),
        channel: parse_stored("channel", &m.channel)?,
        message_id: m.message_id,
        state: parse_stored("delivery state", &m.state)?,
        due_at: m.due_at,
        subject_variant: Ord::max(m.subject_variant, 0) as u32,
        attempts: Ord::max(m.attempts, 0) as u32,
        last_error: m.last_error,
        sent_at: m.sent_at,
    })
}

/// Cancels a campaign's unsent rows (it ended).
pub(crate) async fn cancel_pending(
    txn: &DatabaseTransaction,
    org: OrgId,
    campaign: CampaignId,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::State,
            Expr::value(DeliveryState::Cancelled.as_str()),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(micros(now)))
        .filter(delivery::Column::OrgId.eq(org.as_uuid()))
        .filter(delivery::Column::CampaignId.eq(campaign.as_uuid()))
        .filter(delivery::Column::State.eq(DeliveryState::Pending.as_str()))
        .exec(txn)
        .await
        .db()?;
    Ok(())
}

/// Suppresses a contact's unsent rows and cancels their jobs (it was erased).
pub(crate) async fn suppress_contact(
    txn: &DatabaseTransaction,
    org: OrgId,
    contact: ContactId,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    let now = micros(now);
    let pending = delivery::Entity::find()
        .filter(delivery::Column::OrgId.eq(org.as_uuid()))
        .filter(delivery::Column::ContactId.eq(contact.as_uuid()))
        .filter(delivery::Column::State.eq(DeliveryState::Pending.as_str()))
        .all(txn)
        .await
        .db()?;
    for d in &pending {
        job::Entity::update_many()
            .col_expr(
                job::Column::State,
                Expr::value(JobState::Cancelled.as_str()),
            )
            .col_expr(job::Column::FinishedAt, Expr::value(now))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::OrgId.eq(org.as_uuid()))
            .filter(job::Column::Kind.eq(kinds::SEND_EMAIL))
            .filter(job::Column::DedupeKey.eq(ame_domain::send_dedupe_key(
                CampaignId::from_uuid(d.campaign_id),
                d.step as u32,
                contact,
            )))
            .filter(
                job::Column::State.is_in([JobState::Queued.as_str(), JobState::Failed.as_str()]),
            )
            .exec(txn)
            .await
            .db()?;
    }
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::State,
            Expr::value(DeliveryState::Suppressed.as_str()),
        )
        .col_expr(
            delivery::Column::LastError,
            Expr::value("the contact was erased"),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::OrgId.eq(org.as_uuid()))
        .filter(delivery::Column::ContactId.eq(contact.as_uuid()))
        .filter(delivery::Column::State.eq(DeliveryState::Pending.as_str()))
        .exec(txn)
        .await
        .db()?;
    Ok(())
}

pub(super) async fn find_delivery<C: ConnectionTrait>(
    txn: &C,
    org: OrgId,
    campaign: CampaignId,
    step: u32,
    contact: ContactId,
) -> StorageResult<Option<delivery::Model>> {
    delivery::Entity::find()
        .filter(delivery::Column::OrgId.eq(org.as_uuid()))
        .filter(delivery::Column::CampaignId.eq(campaign.as_uuid()))
        .filter(delivery::Column::Step.eq(step as i32))
        .filter(delivery::Column::ContactId.eq(contact.as_uuid()))
        .one(txn)
        .await
        .db()
}

pub(super) fn set_delivery(
    id: uuid::Uuid,
    state: DeliveryState,
    error: Option<String>,
    sent_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> sea_orm::UpdateMany<delivery::Entity> {
    let mut update = delivery::Entity::update_many()
        .col_expr(delivery::Column::State, Expr::value(state.as_str()))
        .col_expr(delivery::Column::LastError, Expr::value(error))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now));
    if let Some(at) = sent_at {
        update = update.col_expr(delivery::Column::SentAt, Expr::value(at));
    }
    update.filter(delivery::Column::Id.eq(id))
}
