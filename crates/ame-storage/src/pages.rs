//! Public landing pages and the leads their forms collect.

use crate::assets::page_to_domain;
use crate::entity::{campaign, lead, published_page};
use crate::error::DbResultExt;
use crate::repository::{LeadRepository, PublicPageRepository, PublishedPage};
use crate::scope::{Scope, now};
use crate::{StorageError, StorageResult};
use ame_domain::{CampaignId, Lead, OrgId};
use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

/// Public page lookups and lead submissions (not scoped by an organization).
#[derive(Debug, Clone)]
pub struct SqlPublicPages {
    scope: Scope,
}

impl SqlPublicPages {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

fn lead_to_domain(m: lead::Model) -> Lead {
    Lead {
        id: m.id,
        campaign_id: CampaignId::from_uuid(m.campaign_id),
        fields: m.fields,
        created_at: m.created_at,
    }
}

#[async_trait]
impl PublicPageRepository for SqlPublicPages {
    async fn find(&self, slug: &str) -> StorageResult<Option<PublishedPage>> {
        if self.scope.is_postgres() {
            // Visitors belong to no organization: the one public read runs through the
            // security-definer function, which returns only this page.
            let row = self
                .scope
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT org_id, campaign_id, asset_id, file_key FROM ame_published_page($1)",
                    [slug.into()],
                ))
                .await
                .db()?;
            return row
                .map(|row| {
                    Ok(PublishedPage {
                        slug: slug.to_owned(),
                        org: OrgId::from_uuid(row.try_get::<Uuid>("", "org_id").db()?),
                        campaign: CampaignId::from_uuid(
                            row.try_get::<Uuid>("", "campaign_id").db()?,
                        ),
                        asset: ame_domain::AssetId::from_uuid(
                            row.try_get::<Uuid>("", "asset_id").db()?,
                        ),
                        file_key: row.try_get::<String>("", "file_key").db()?,
                    })
                })
                .transpose();
        }
        let row = published_page::Entity::find_by_id(slug.to_owned())
            .one(&self.scope.db)
            .await
            .db()?;
        Ok(row.map(page_to_domain))
    }

    async fn record_lead(
        &self,
        slug: &str,
        fields: serde_json::Value,
    ) -> StorageResult<Option<Lead>> {
        if !fields.is_object() {
            return Err(StorageError::Invalid(
                "lead fields must be a JSON object".into(),
            ));
        }
        let id = Uuid::now_v7();
        if self.scope.is_postgres() {
            let row = self
                .scope
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT ame_record_lead($1, $2, $3) AS campaign_id",
                    [slug.into(), id.into(), fields.clone().into()],
                ))
                .await
                .db()?;
            let campaign: Option<Uuid> = match row {
                Some(row) => row.try_get("", "campaign_id").db()?,
                None => None,
            };
            return Ok(campaign.map(|campaign| Lead {
                id,
                campaign_id: CampaignId::from_uuid(campaign),
                fields,
                created_at: now(),
            }));
        }
        let Some(page) = self.find(slug).await? else {
            return Ok(None);
        };
        let model = lead::Entity::insert(lead::ActiveModel {
            id: Set(id),
            org_id: Set(page.org.as_uuid()),
            campaign_id: Set(page.campaign.as_uuid()),
            fields: Set(fields),
            created_at: Set(now()),
        })
        .exec_with_returning(&self.scope.db)
        .await
        .db()?;
        Ok(Some(lead_to_domain(model)))
    }
}

/// Leads of one organization's campaigns.
#[derive(Debug, Clone)]
pub struct SqlLeads {
    scope: Scope,
}

impl SqlLeads {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

#[async_trait]
impl LeadRepository for SqlLeads {
    async fn list(
        &self,
        org: OrgId,
        campaign_id: CampaignId,
        limit: u64,
    ) -> StorageResult<Vec<Lead>> {
        let txn = self.scope.begin(org).await?;
        campaign::Entity::find()
            .filter(campaign::Column::Id.eq(campaign_id.as_uuid()))
            .filter(campaign::Column::OrgId.eq(org.as_uuid()))
            .one(&txn)
            .await
            .db()?
            .ok_or(StorageError::not_found("campaign"))?;
        let rows = lead::Entity::find()
            .filter(lead::Column::CampaignId.eq(campaign_id.as_uuid()))
            .filter(lead::Column::OrgId.eq(org.as_uuid()))
            .order_by_desc(lead::Column::CreatedAt)
            .order_by_desc(lead::Column::Id)
            .limit(limit)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(rows.into_iter().map(lead_to_domain).collect())
    }
}
