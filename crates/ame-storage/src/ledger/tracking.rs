//! Tracking events: clicks, page views, leads and conversions, and what happened to a
//! campaign's email after it left (unsubscribes, bounces, complaints), counted into its health.

use super::SqlExecution;
use crate::entity::{delivery, tracking_event};
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::scope::parse_stored;
use crate::{StorageError, StorageResult};
use ame_domain::{
    AssetId, CampaignId, Channel, ContactId, DeliveryState, EmailHealth, OrgId, RequestVerdict,
    TrackedRequests, TrackingKind,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

/// A tracking event to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTrackingEvent {
    /// The campaign.
    pub campaign: CampaignId,
    /// The asset, if known.
    pub asset: Option<AssetId>,
    /// The variant shown, if known.
    pub variant: Option<u32>,
    /// The contact, if known.
    pub contact: Option<ContactId>,
    /// What happened.
    pub kind: TrackingKind,
    /// The channel it happened on.
    pub channel: Channel,
    /// A conversion's value.
    pub value: Option<Decimal>,
    /// When.
    pub at: DateTime<Utc>,
    /// Events with the same key in one campaign are recorded once (the visitor, the link and
    /// the hour of a public click or page view); `None` records every event.
    pub dedupe_key: Option<String>,
}

/// A recorded tracking event.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingEvent {
    /// The asset, if known.
    pub asset: Option<AssetId>,
    /// The contact, if known.
    pub contact: Option<ContactId>,
    /// What happened.
    pub kind: TrackingKind,
    /// The channel.
    pub channel: Channel,
    /// A conversion's value.
    pub value: Option<Decimal>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Inserts a tracking event within `conn`'s transaction, with the notices of the connectors
/// subscribed to it (about the message `message_id`, when known); a campaign that is not the
/// organization's is "not found".
pub(crate) async fn insert_event_in(
    conn: &impl ConnectionTrait,
    org: OrgId,
    event: NewTrackingEvent,
    message_id: Option<&str>,
) -> StorageResult<bool> {
    let inserted = tracking_event::Entity::insert(tracking_event::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        org_id: Set(org.as_uuid()),
        campaign_id: Set(event.campaign.as_uuid()),
        asset_id: Set(event.asset.map(|a| a.as_uuid())),
        variant: Set(event.variant.map(|v| v as i32)),
        contact_id: Set(event.contact.map(|c| c.as_uuid())),
        kind: Set(event.kind.as_str().to_owned()),
        channel: Set(event.channel.as_str().to_owned()),
        value: Set(event.value),
        occurred_at: Set(micros(event.at)),
        dedupe_key: Set(event.dedupe_key.clone()),
    })
    .on_conflict(
        OnConflict::columns([
            tracking_event::Column::CampaignId,
            tracking_event::Column::DedupeKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await
    .map_err(|e| match crate::error::from_db(e) {
        StorageError::Invalid(_) => StorageError::not_found("campaign"),
        other => other,
    })?;
    if inserted == 0 {
        return Ok(false);
    }
    if let Some(email_event) = event.kind.email_event() {
        super::notify_in(
            conn,
            org,
            email_event,
            super::EventFacts {
                campaign: event.campaign,
                contact: event.contact,
                message_id: message_id.map(str::to_owned),
                channel: event.channel,
                at: event.at,
            },
        )
        .await?;
    }
    Ok(true)
}

/// The distinct contacts with an event of `kind` in `campaign`.
async fn distinct_contacts(
    conn: &impl ConnectionTrait,
    org: OrgId,
    campaign: CampaignId,
    kind: TrackingKind,
) -> StorageResult<Vec<ContactId>> {
    let rows: Vec<Option<uuid::Uuid>> = tracking_event::Entity::find()
        .select_only()
        .column(tracking_event::Column::ContactId)
        .distinct()
        .filter(tracking_event::Column::OrgId.eq(org.as_uuid()))
        .filter(tracking_event::Column::CampaignId.eq(campaign.as_uuid()))
        .filter(tracking_event::Column::Kind.eq(kind.as_str()))
        .filter(tracking_event::Column::ContactId.is_not_null())
        .into_tuple()
        .all(conn)
        .await
        .db()?;
    Ok(rows
        .into_iter()
        .flatten()
        .map(ContactId::from_uuid)
        .collect())
}

impl SqlExecution {
    pub(crate) async fn record_event_stored(
        &self,
        org: OrgId,
        event: NewTrackingEvent,
    ) -> StorageResult<bool> {
        let txn = self.scope.begin_write(org).await?;
        let recorded = insert_event_in(&txn, org, event, None).await?;
        txn.commit().await.db()?;
        Ok(recorded)
    }

    /// Adds one to the campaign's tally of `kind` requests with `verdict` (one upsert).
    pub(crate) async fn tally_request_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
        kind: TrackingKind,
        verdict: RequestVerdict,
    ) -> StorageResult<()> {
        let table_kind = match kind {
            TrackingKind::Click => "click",
            TrackingKind::View => "view",
            other => {
                return Err(StorageError::Invalid(format!(
                    "only clicks and views are tallied, not {}",
                    other.as_str()
                )));
            }
        };
        let backend = self.scope.db.get_database_backend();
        let txn = self.scope.begin_write(org).await?;
        txn.execute_raw(crate::queue::statement(
            backend,
            "INSERT INTO tracking_requests (org_id, campaign_id, kind, verdict, total) \
             VALUES (?, ?, ?, ?, 1) ON CONFLICT (campaign_id, kind, verdict) \
             DO UPDATE SET total = tracking_requests.total + 1",
            vec![
                org.as_uuid().into(),
                campaign.as_uuid().into(),
                table_kind.into(),
                verdict.as_str().into(),
            ],
        ))
        .await
        .db()?;
        txn.commit().await.db()?;
        Ok(())
    }

    /// The campaign's tallies of public requests.
    pub(crate) async fn tracked_requests_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<TrackedRequests> {
        let backend = self.scope.db.get_database_backend();
        let txn = self.scope.begin(org).await?;
        let rows = txn
            .query_all_raw(crate::queue::statement(
                backend,
                "SELECT kind, verdict, total FROM tracking_requests \
                 WHERE org_id = ? AND campaign_id = ?",
                vec![org.as_uuid().into(), campaign.as_uuid().into()],
            ))
            .await
            .db()?;
        txn.commit().await.db()?;
        let mut requests = TrackedRequests::default();
        for row in rows {
            let kind: String = row.try_get_by_index(0).db()?;
            let verdict: String = row.try_get_by_index(1).db()?;
            let total: i64 = row.try_get_by_index(2).db()?;
            let verdict = RequestVerdict::parse(&verdict).ok_or_else(|| {
                StorageError::Database(format!("unknown tracking verdict `{verdict}`"))
            })?;
            let counts = if kind == "click" {
                &mut requests.clicks
            } else {
                &mut requests.page_views
            };
            counts.add(verdict, u64::try_from(total).unwrap_or(0));
        }
        Ok(requests)
    }

    /// Messages accepted, and the distinct recipients who bounced, complained or unsubscribed,
    /// of one campaign.
    pub(crate) async fn email_health_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<EmailHealth> {
        let txn = self.scope.begin(org).await?;
        let delivered = delivery::Entity::find()
            .filter(delivery::Column::OrgId.eq(org.as_uuid()))
            .filter(delivery::Column::CampaignId.eq(campaign.as_uuid()))
            .filter(delivery::Column::State.eq(DeliveryState::Sent.as_str()))
            .count(&txn)
            .await
            .db()?;
        let kinds = [
            TrackingKind::Bounce,
            TrackingKind::Complaint,
            TrackingKind::Unsubscribe,
        ];
        let counted: Vec<(String, i64)> = tracking_event::Entity::find()
            .select_only()
            .column(tracking_event::Column::Kind)
            .column_as(
                Expr::expr(Func::count_distinct(Expr::col(
                    tracking_event::Column::ContactId,
                ))),
                "contacts",
            )
            .filter(tracking_event::Column::OrgId.eq(org.as_uuid()))
            .filter(tracking_event::Column::CampaignId.eq(campaign.as_uuid()))
            .filter(tracking_event::Column::Kind.is_in(kinds.map(TrackingKind::as_str)))
            .filter(tracking_event::Column::ContactId.is_not_null())
            .group_by(tracking_event::Column::Kind)
            .into_tuple()
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        let count = |kind: TrackingKind| {
            counted
                .iter()
                .find(|(k, _)| k == kind.as_str())
                .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0))
        };
        let [bounced, complained, unsubscribed] = kinds.map(count);
        Ok(EmailHealth::from_counts(
            delivered,
            bounced,
            complained,
            unsubscribed,
        ))
    }

    pub(crate) async fn events_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<TrackingEvent>> {
        let txn = self.scope.begin(org).await?;
        let rows = tracking_event::Entity::find()
            .filter(tracking_event::Column::OrgId.eq(org.as_uuid()))
            .filter(tracking_event::Column::CampaignId.eq(campaign.as_uuid()))
            .order_by_asc(tracking_event::Column::OccurredAt)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter()
            .map(|m| {
                Ok(TrackingEvent {
                    asset: m.asset_id.map(AssetId::from_uuid),
                    contact: m.contact_id.map(ContactId::from_uuid),
                    kind: parse_stored("kind", &m.kind)?,
                    channel: parse_stored("channel", &m.channel)?,
                    value: m.value,
                    at: m.occurred_at,
                })
            })
            .collect()
    }

    pub(crate) async fn has_converted_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
        contact: ContactId,
    ) -> StorageResult<bool> {
        let txn = self.scope.begin(org).await?;
        let n = tracking_event::Entity::find()
            .filter(tracking_event::Column::OrgId.eq(org.as_uuid()))
            .filter(tracking_event::Column::CampaignId.eq(campaign.as_uuid()))
            .filter(tracking_event::Column::ContactId.eq(contact.as_uuid()))
            .filter(tracking_event::Column::Kind.eq(TrackingKind::Conversion.as_str()))
            .count(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(n > 0)
    }

    pub(crate) async fn lead_contacts_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<ContactId>> {
        let txn = self.scope.begin(org).await?;
        let contacts = distinct_contacts(&txn, org, campaign, TrackingKind::Lead).await?;
        txn.commit().await.db()?;
        Ok(contacts)
    }
}
