//! Public landing pages and the leads their forms collect.

use crate::assets::page_to_domain;
use crate::entity::{campaign, lead, published_page};
use crate::error::DbResultExt;
use crate::repository::{
    LeadRecording, LeadRepository, PublicPage, PublicPageRepository, PublishedPage,
};
use crate::scope::{Scope, now};
use crate::{StorageError, StorageResult};
use ame_domain::{CampaignId, Lead, OrgId};
use async_trait::async_trait;
use sea_orm::sea_query::Expr;
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
    async fn find(&self, slug: &str) -> StorageResult<Option<PublicPage>> {
        if self.scope.is_postgres() {
            // Visitors belong to no organization: the one public read runs through the
            // security-definer function, which returns only this page.
            let row = self
                .scope
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT org_id, campaign_id, asset_id, file_key, campaign_status FROM ame_published_page($1)",
                    [slug.into()],
                ))
                .await
                .db()?;
            return row
                .map(|row| {
                    Ok(PublicPage {
                        page: PublishedPage {
                            slug: slug.to_owned(),
                            org: OrgId::from_uuid(row.try_get::<Uuid>("", "org_id").db()?),
                            campaign: CampaignId::from_uuid(
                                row.try_get::<Uuid>("", "campaign_id").db()?,
                            ),
                            asset: ame_domain::AssetId::from_uuid(
                                row.try_get::<Uuid>("", "asset_id").db()?,
                            ),
                            file_key: row.try_get::<String>("", "file_key").db()?,
                        },
                        campaign_status: status_of(
                            &row.try_get::<String>("", "campaign_status").db()?,
                        )?,
                    })
                })
                .transpose();
        }
        find_sqlite(&self.scope.db, slug).await
    }

    async fn record_lead(
        &self,
        slug: &str,
        fields: serde_json::Value,
    ) -> StorageResult<LeadRecording> {
        if !fields.is_object() {
            return Err(StorageError::Invalid(
                "lead fields must be a JSON object".into(),
            ));
        }
        let email = fields
            .get("email")
            .and_then(|e| e.as_str())
            .unwrap_or_default()
            .to_lowercase();
        let id = Uuid::now_v7();
        if self.scope.is_postgres() {
            let row = self
                .scope
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT campaign_id, campaign_status, outcome FROM ame_record_lead_once($1, $2, $3)",
                    [slug.into(), id.into(), fields.clone().into()],
                ))
                .await
                .db()?;
            let Some(row) = row else {
                return Ok(LeadRecording::NoPage);
            };
            let campaign: Uuid = row.try_get("", "campaign_id").db()?;
            let status = status_of(&row.try_get::<String>("", "campaign_status").db()?)?;
            let outcome: String = row.try_get("", "outcome").db()?;
            return Ok(match outcome.as_str() {
                "closed" => LeadRecording::Closed(status),
                "duplicate" => LeadRecording::Duplicate,
                _ => LeadRecording::Stored(Lead {
                    id,
                    campaign_id: CampaignId::from_uuid(campaign),
                    fields,
                    created_at: now(),
                }),
            });
        }
        let txn = self.scope.begin_writing().await?;
        let Some(found) = find_sqlite(&txn, slug).await? else {
            return Ok(LeadRecording::NoPage);
        };
        if !found.campaign_status.takes_leads() {
            return Ok(LeadRecording::Closed(found.campaign_status));
        }
        let at = now();
        let since = at - chrono::TimeDelta::days(1);
        let earlier = lead::Entity::find()
            .filter(lead::Column::CampaignId.eq(found.page.campaign.as_uuid()))
            .filter(Expr::cust_with_values(
                "lower(json_extract(fields, '$.email')) = ?",
                [email],
            ))
            .filter(lead::Column::CreatedAt.gt(since))
            .one(&txn)
            .await
            .db()?;
        if earlier.is_some() {
            return Ok(LeadRecording::Duplicate);
        }
        let model = lead::Entity::insert(lead::ActiveModel {
            id: Set(id),
            org_id: Set(found.page.org.as_uuid()),
            campaign_id: Set(found.page.campaign.as_uuid()),
            fields: Set(fields),
            created_at: Set(at),
        })
        .exec_with_returning(&txn)
        .await
        .db()?;
        txn.commit().await.db()?;
        Ok(LeadRecording::Stored(lead_to_domain(model)))
    }
}

/// A campaign status as stored.
fn status_of(text: &str) -> StorageResult<ame_domain::CampaignStatus> {
    text.parse()
        .map_err(|_| StorageError::Invalid(format!("unknown campaign status `{text}` stored")))
}

/// The page under `slug` and its campaign's status (SQLite, where no row-level security hides
/// the campaign).
async fn find_sqlite<C: ConnectionTrait>(db: &C, slug: &str) -> StorageResult<Option<PublicPage>> {
    let Some(row) = published_page::Entity::find_by_id(slug.to_owned())
        .one(db)
        .await
        .db()?
    else {
        return Ok(None);
    };
    let status: Option<String> = campaign::Entity::find_by_id(row.campaign_id)
        .select_only()
        .column(campaign::Column::Status)
        .into_tuple()
        .one(db)
        .await
        .db()?;
    let Some(status) = status else {
        return Ok(None);
    };
    Ok(Some(PublicPage {
        page: page_to_domain(row),
        campaign_status: status_of(&status)?,
    }))
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

    async fn has_referred(
        &self,
        org: OrgId,
        campaign_id: CampaignId,
        contact: ame_domain::ContactId,
    ) -> StorageResult<bool> {
        let referred_by = Expr::cust(if self.scope.is_postgres() {
            "fields->>'referred_by'"
        } else {
            "json_extract(fields, '$.referred_by')"
        });
        let txn = self.scope.begin(org).await?;
        let found = lead::Entity::find()
            .filter(lead::Column::OrgId.eq(org.as_uuid()))
            .filter(lead::Column::CampaignId.eq(campaign_id.as_uuid()))
            .filter(sea_orm::sea_query::ExprTrait::eq(
                referred_by,
                contact.to_string(),
            ))
            .one(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(found.is_some())
    }
}
