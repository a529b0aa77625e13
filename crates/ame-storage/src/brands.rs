//! The sea-orm brand profile repository.

use crate::entity::brand_profile;
use crate::error::DbResultExt;
use crate::repository::BrandRepository;
use crate::scope::{Scope, now};
use crate::{StorageError, StorageResult};
use ame_domain::{Brand, BrandProfile, OrgId};
use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};

/// Brand profiles stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlBrands {
    scope: Scope,
}

impl SqlBrands {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

fn to_domain(m: brand_profile::Model) -> StorageResult<BrandProfile> {
    let brand: Brand = serde_json::from_value(m.profile)
        .map_err(|e| StorageError::Invalid(format!("stored brand profile is unreadable: {e}")))?;
    Ok(BrandProfile {
        org_id: OrgId::from_uuid(m.org_id),
        brand,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

#[async_trait]
impl BrandRepository for SqlBrands {
    async fn get(&self, org: OrgId) -> StorageResult<Option<BrandProfile>> {
        let txn = self.scope.begin(org).await?;
        let row = brand_profile::Entity::find_by_id(org.as_uuid())
            .one(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        row.map(to_domain).transpose()
    }

    async fn put(&self, org: OrgId, brand: Brand) -> StorageResult<BrandProfile> {
        let profile = serde_json::to_value(&brand)
            .map_err(|e| StorageError::Invalid(format!("brand profile: {e}")))?;
        let txn = self.scope.begin_write(org).await?;
        let at = now();
        brand_profile::Entity::insert(brand_profile::ActiveModel {
            org_id: Set(org.as_uuid()),
            profile: Set(profile),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .on_conflict(
            OnConflict::column(brand_profile::Column::OrgId)
                .update_columns([
                    brand_profile::Column::Profile,
                    brand_profile::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
        .db()?;
        let row = brand_profile::Entity::find_by_id(org.as_uuid())
            .one(&txn)
            .await
            .db()?
            .ok_or(StorageError::not_found("brand profile"))?;
        txn.commit().await.db()?;
        to_domain(row)
    }
}
