//! The sea-orm brand profile repository.

use crate::entity::brand_profile;
use crate::error::DbResultExt;
use crate::repository::BrandRepository;
use crate::scope::{Scope, now};
use crate::{StorageError, StorageResult};
use ame_domain::{Brand, BrandLogo, BrandProfile, OrgId};
use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

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
    let logo = m
        .logo
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| StorageError::Invalid(format!("stored brand logo is unreadable: {e}")))?;
    Ok(BrandProfile {
        org_id: OrgId::from_uuid(m.org_id),
        brand,
        created_at: m.created_at,
        updated_at: m.updated_at,
        logo,
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
            logo: Set(None),
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

    async fn set_logo(
        &self,
        org: OrgId,
        logo: Option<BrandLogo>,
    ) -> StorageResult<Option<BrandProfile>> {
        let logo = logo
            .map(|l| serde_json::to_value(&l))
            .transpose()
            .map_err(|e| StorageError::Invalid(format!("brand logo: {e}")))?;
        let txn = self.scope.begin_write(org).await?;
        let updated = brand_profile::Entity::update_many()
            .col_expr(brand_profile::Column::Logo, Expr::value(logo))
            .col_expr(brand_profile::Column::UpdatedAt, Expr::value(now()))
            .filter(brand_profile::Column::OrgId.eq(org.as_uuid()))
            .exec(&txn)
            .await
            .db()?;
        if updated.rows_affected == 0 {
            txn.commit().await.db()?;
            return Ok(None);
        }
        let row = brand_profile::Entity::find_by_id(org.as_uuid())
            .one(&txn)
            .await
            .db()?
            .ok_or(StorageError::not_found("brand profile"))?;
        txn.commit().await.db()?;
        to_domain(row).map(Some)
    }
}
