//! The sea-orm asset repository.

use crate::entity::{asset, campaign, published_page};
use crate::error::DbResultExt;
use crate::repository::{AssetRepository, PageToPublish, PublishedPage};
use crate::scope::{Scope, now, parse_stored};
use crate::{StorageError, StorageResult};
use ame_domain::{Asset, AssetId, AssetSetVersion, AssetType, CampaignId, NewAsset, OrgId};
use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// Converts a stored page row.
pub(crate) fn page_to_domain(m: published_page::Model) -> PublishedPage {
    PublishedPage {
        slug: m.slug,
        org: OrgId::from_uuid(m.org_id),
        campaign: CampaignId::from_uuid(m.campaign_id),
        asset: AssetId::from_uuid(m.asset_id),
        file_key: m.file_key,
    }
}

/// Assets stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlAssets {
    scope: Scope,
}

impl SqlAssets {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }

    /// The campaign's assets matching `condition`, in generation order (`NotFound` when the
    /// campaign is not the organization's).
    async fn list_where(
        &self,
        org: OrgId,
        campaign_id: CampaignId,
        condition: sea_orm::sea_query::SimpleExpr,
    ) -> StorageResult<Vec<Asset>> {
        let txn = self.scope.begin(org).await?;
        ensure_campaign(&txn, org, campaign_id, false).await?;
        let rows = asset::Entity::find()
            .filter(asset::Column::CampaignId.eq(campaign_id.as_uuid()))
            .filter(asset::Column::OrgId.eq(org.as_uuid()))
            .filter(condition)
            .order_by_asc(asset::Column::CreatedAt)
            .order_by_asc(asset::Column::Id)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter().map(to_domain).collect()
    }
}

fn to_domain(m: asset::Model) -> StorageResult<Asset> {
    Ok(Asset {
        id: AssetId::from_uuid(m.id),
        org_id: OrgId::from_uuid(m.org_id),
        campaign_id: CampaignId::from_uuid(m.campaign_id),
        asset_type: parse_stored("asset_type", &m.asset_type)?,
        version: m.version,
        current: m.is_current,
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
    async fn replace_set_publishing(
        &self,
        org: OrgId,
        campaign_id: CampaignId,
        reserved: Option<AssetId>,
        assets: Vec<NewAsset>,
        page: Option<PageToPublish>,
    ) -> StorageResult<Vec<Asset>> {
        if let Some(page) = &page
            && assets
                .get(page.asset_index)
                .is_none_or(|a| a.asset_type != AssetType::LandingPage)
        {
            return Err(StorageError::Invalid(format!(
                "asset {} of the new set is not a landing page",
                page.asset_index
            )));
        }
        let txn = self.scope.begin_write(org).await?;
        ensure_campaign(&txn, org, campaign_id, true).await?;
        if let Some(reserved) = reserved
            && let Some(existing) = asset::Entity::find_by_id(reserved.as_uuid())
                .filter(asset::Column::OrgId.eq(org.as_uuid()))
                .one(&txn)
                .await
                .db()?
        {
            if existing.campaign_id != campaign_id.as_uuid() {
                return Err(StorageError::Invalid(format!(
                    "the reserved asset id {reserved} belongs to another campaign"
                )));
            }
            let rows = asset::Entity::find()
                .filter(asset::Column::CampaignId.eq(campaign_id.as_uuid()))
                .filter(asset::Column::OrgId.eq(org.as_uuid()))
                .filter(asset::Column::Version.eq(existing.version))
                .order_by_asc(asset::Column::CreatedAt)
                .order_by_asc(asset::Column::Id)
                .all(&txn)
                .await
                .db()?;
            txn.commit().await.db()?;
            return rows.into_iter().map(to_domain).collect();
        }
        let latest: Option<i32> = asset::Entity::find()
            .select_only()
            .column_as(asset::Column::Version.max(), "latest")
            .filter(asset::Column::CampaignId.eq(campaign_id.as_uuid()))
            .filter(asset::Column::OrgId.eq(org.as_uuid()))
            .into_tuple::<Option<i32>>()
            .one(&txn)
            .await
            .db()?
            .flatten();
        let version = latest.unwrap_or(0) + 1;
        asset::Entity::update_many()
            .col_expr(asset::Column::IsCurrent, Expr::value(false))
            .filter(asset::Column::CampaignId.eq(campaign_id.as_uuid()))
            .filter(asset::Column::OrgId.eq(org.as_uuid()))
            .filter(asset::Column::IsCurrent.eq(true))
            .exec(&txn)
            .await
            .db()?;
        let at = now();
        let mut stored = Vec::with_capacity(assets.len());
        // One row at a time inside the transaction: a failure on any row rolls back the whole
        // set (the transaction is dropped without commit).
        for (index, new) in assets.into_iter().enumerate() {
            let id = match (index, reserved) {
                (0, Some(reserved)) => reserved,
                _ => AssetId::new(),
            };
            let model = asset::Entity::insert(asset::ActiveModel {
                id: Set(id.as_uuid()),
                campaign_id: Set(campaign_id.as_uuid()),
                org_id: Set(org.as_uuid()),
                asset_type: Set(new.asset_type.as_str().to_owned()),
                version: Set(version),
                is_current: Set(true),
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
        if let Some(page) = page {
            let asset_id = stored[page.asset_index].id;
            published_page::Entity::delete_many()
                .filter(published_page::Column::CampaignId.eq(campaign_id.as_uuid()))
                .exec(&txn)
                .await
                .db()?;
            published_page::Entity::insert(published_page::ActiveModel {
                slug: Set(page.slug),
                org_id: Set(org.as_uuid()),
                campaign_id: Set(campaign_id.as_uuid()),
                asset_id: Set(asset_id.as_uuid()),
                file_key: Set(page.file_key),
                updated_at: Set(at),
            })
            .exec_without_returning(&txn)
            .await
            .db()?;
        }
        txn.commit().await.db()?;
        Ok(stored)
    }

    async fn list_for_campaign(
        &self,
        org: OrgId,
        campaign_id: CampaignId,
    ) -> StorageResult<Vec<Asset>> {
        self.list_where(org, campaign_id, asset::Column::IsCurrent.eq(true))
            .await
    }

    async fn list_version(
        &self,
        org: OrgId,
        campaign_id: CampaignId,
        version: i32,
    ) -> StorageResult<Vec<Asset>> {
        let rows = self
            .list_where(org, campaign_id, asset::Column::Version.eq(version))
            .await?;
        if rows.is_empty() {
            return Err(StorageError::not_found("asset set version"));
        }
        Ok(rows)
    }

    async fn versions(
        &self,
        org: OrgId,
        campaign_id: CampaignId,
    ) -> StorageResult<Vec<AssetSetVersion>> {
        let txn = self.scope.begin(org).await?;
        ensure_campaign(&txn, org, campaign_id, false).await?;
        let rows: Vec<(i32, bool, i64, chrono::DateTime<chrono::Utc>)> = asset::Entity::find()
            .select_only()
            .column(asset::Column::Version)
            .column(asset::Column::IsCurrent)
            .column_as(asset::Column::Id.count(), "assets")
            .column_as(asset::Column::CreatedAt.min(), "created_at")
            .filter(asset::Column::CampaignId.eq(campaign_id.as_uuid()))
            .filter(asset::Column::OrgId.eq(org.as_uuid()))
            .group_by(asset::Column::Version)
            .group_by(asset::Column::IsCurrent)
            .order_by_desc(asset::Column::Version)
            .into_tuple()
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(rows
            .into_iter()
            .map(|(version, current, assets, created_at)| AssetSetVersion {
                version,
                current,
                assets: u64::try_from(assets).unwrap_or_default(),
                created_at,
            })
            .collect())
    }

    async fn published_page(
        &self,
        org: OrgId,
        campaign_id: CampaignId,
    ) -> StorageResult<Option<PublishedPage>> {
        let txn = self.scope.begin(org).await?;
        ensure_campaign(&txn, org, campaign_id, false).await?;
        let row = published_page::Entity::find()
            .filter(published_page::Column::CampaignId.eq(campaign_id.as_uuid()))
            .filter(published_page::Column::OrgId.eq(org.as_uuid()))
            .one(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(row.map(page_to_domain))
    }

    async fn referenced_files(
        &self,
        org: OrgId,
    ) -> StorageResult<std::collections::HashSet<String>> {
        let txn = self.scope.begin(org).await?;
        let metadata: Vec<serde_json::Value> = asset::Entity::find()
            .select_only()
            .column(asset::Column::Metadata)
            .filter(asset::Column::OrgId.eq(org.as_uuid()))
            .into_tuple()
            .all(&txn)
            .await
            .db()?;
        let pages: Vec<String> = published_page::Entity::find()
            .select_only()
            .column(published_page::Column::FileKey)
            .filter(published_page::Column::OrgId.eq(org.as_uuid()))
            .into_tuple()
            .all(&txn)
            .await
            .db()?;
        let logos: Vec<Option<serde_json::Value>> = crate::entity::brand_profile::Entity::find()
            .select_only()
            .column(crate::entity::brand_profile::Column::Logo)
            .filter(crate::entity::brand_profile::Column::OrgId.eq(org.as_uuid()))
            .into_tuple()
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        let mut keys: std::collections::HashSet<String> = pages.into_iter().collect();
        keys.extend(
            logos
                .into_iter()
                .flatten()
                .filter_map(|logo| logo.get("key").and_then(|k| k.as_str()).map(str::to_owned)),
        );
        for m in metadata {
            keys.extend(
                ame_domain::AssetFile::listed_in(&m)
                    .into_iter()
                    .map(|f| f.key),
            );
        }
        Ok(keys)
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
