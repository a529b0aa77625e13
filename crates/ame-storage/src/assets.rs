//! The sea-orm asset repository.

use crate::entity::{asset, campaign};
use crate::error::DbResultExt;
use crate::repository::AssetRepository;
use crate::scope::{Scope, now, parse_stored};
use crate::{StorageError, StorageResult};
use ame_domain::{Asset, AssetId, CampaignId, NewAsset, OrgId};
use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// Assets stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlAssets {
    scope: Scope,
}

impl SqlAssets {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

fn to_domain(m: asset::Model) -> StorageResult<Asset> {
    Ok(Asset {
        id: AssetId::from_uuid(m.id),
        org_id: OrgId::from_uuid(m.org_id),
        campaign_id: CampaignId::from_uuid(m.campaign_id),
        asset_type: parse_stored("asset_type", &m.asset_type)?,
        content: m.content,
        metadata: m.metadata,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// Fails with `NotFound` unless `org` owns the campaign. With `lock`, on PostgreSQL also locks
/// the campaign row until the transaction ends, so concurrent replacements of its asset set run
/// one after another.
async fn ensure_campaign(
    txn: &DatabaseTransaction,
    org: OrgId,
    campaign_id: CampaignId,
    lock: bool,
) -> StorageResult<()> {
    let mut query = campaign::Entity::find()
        .filter(campaign::Column::Id.eq(campaign_id.as_uuid()))
        .filter(campaign::Column::OrgId.eq(org.as_uuid()));
    if lock {
        query = query.lock_exclusive();
    }
    query
        .one(txn)
        .await
        .db()?
        .map(|_| ())
        .ok_or(StorageError::not_found("campaign"))
}

#[async_trait]
impl AssetRepository for SqlAssets {
    async fn replace_set(
        &self,
        org: OrgId,
        campaign_id: CampaignId,
        assets: Vec<NewAsset>,
    ) -> StorageResult<Vec<Asset>> {
        let txn = self.scope.begin_write(org).await?;
        ensure_campaign(&txn, org, campaign_id, true).await?;
        asset::Entity::delete_many()
            .filter(asset::Column::CampaignId.eq(campaign_id.as_uuid()))
            .filter(asset::Column::OrgId.eq(org.as_uuid()))
            .exec(&txn)
            .await
            .db()?;
        let at = now();
        let mut stored = Vec::with_capacity(assets.len());
        // One row at a time inside the transaction: a failure on any row rolls back the whole
        // set (the transaction is dropped without commit).
        for new in assets {
            let model = asset::Entity::insert(asset::ActiveModel {
                id: Set(AssetId::new().as_uuid()),
                campaign_id: Set(campaign_id.as_uuid()),
                org_id: Set(org.as_uuid()),
                asset_type: Set(new.asset_type.as_str().to_owned()),
                content: Set(new.content),
                metadata: Set(new.metadata),
                created_at: Set(at),
                updated_at: Set(at),
            })
            .exec_with_returning(&txn)
            .await
            .db()?;
            stored.push(to_domain(model)?);
        }
        txn.commit().await.db()?;
        Ok(stored)
    }

    async fn list_for_campaign(
        &self,
        org: OrgId,
        campaign_id: CampaignId,
    ) -> StorageResult<Vec<Asset>> {
        let txn = self.scope.begin(org).await?;
        ensure_campaign(&txn, org, campaign_id, false).await?;
        let rows = asset::Entity::find()
            .filter(asset::Column::CampaignId.eq(campaign_id.as_uuid()))
            .filter(asset::Column::OrgId.eq(org.as_uuid()))
            .order_by_asc(asset::Column::CreatedAt)
            .order_by_asc(asset::Column::Id)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter().map(to_domain).collect()
    }

    async fn get(&self, org: OrgId, id: AssetId) -> StorageResult<Asset> {
        let txn = self.scope.begin(org).await?;
        let found = asset::Entity::find()
            .filter(asset::Column::Id.eq(id.as_uuid()))
            .filter(asset::Column::OrgId.eq(org.as_uuid()))
            .one(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        to_domain(found.ok_or(StorageError::not_found("asset"))?)
    }
}
