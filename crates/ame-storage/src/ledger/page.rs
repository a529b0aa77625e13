//! One page of a campaign's delivery ledger, filtered and ordered by step then contact id: the
//! order of the `(campaign_id, step, contact_id)` unique key, so a page is an index range scan
//! however large the campaign.

use super::SqlExecution;
use super::rows::to_delivery;
use crate::StorageResult;
use crate::entity::delivery;
use crate::error::DbResultExt;
use ame_domain::{CampaignId, Delivery, LedgerCursor, LedgerFilter, OrgId};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

impl SqlExecution {
    pub(crate) async fn ledger_page_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
        filter: LedgerFilter,
        after: Option<LedgerCursor>,
        limit: u64,
    ) -> StorageResult<Vec<Delivery>> {
        let mut query = delivery::Entity::find()
            .filter(delivery::Column::OrgId.eq(org.as_uuid()))
            .filter(delivery::Column::CampaignId.eq(campaign.as_uuid()));
        if let Some(state) = filter.state {
            query = query.filter(delivery::Column::State.eq(state.as_str()));
        }
        if let Some(contact) = filter.contact {
            query = query.filter(delivery::Column::ContactId.eq(contact.as_uuid()));
        }
        if let Some(step) = filter.step {
            query = query.filter(delivery::Column::Step.eq(step as i32));
        }
        if let Some(channel) = filter.channel {
            query = query.filter(delivery::Column::Channel.eq(channel.as_str()));
        }
        if let Some(after) = after {
            let step = after.step as i32;
            query = query.filter(
                Condition::any().add(delivery::Column::Step.gt(step)).add(
                    Condition::all()
                        .add(delivery::Column::Step.eq(step))
                        .add(delivery::Column::ContactId.gt(after.contact.as_uuid())),
                ),
            );
        }
        let txn = self.scope.begin(org).await?;
        let rows = query
            .order_by_asc(delivery::Column::Step)
            .order_by_asc(delivery::Column::ContactId)
            .limit(limit)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter().map(to_delivery).collect()
    }
}
