//! Variant tests' stored state and landing-page visitors.

use super::{ExperimentRow, SqlOptimisation, json, to_experiment, variants_of};
use crate::entity::{experiment, page_visitor};
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::{StorageError, StorageResult};
use ame_domain::{CampaignId, OrgId};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::BTreeMap;

impl SqlOptimisation {
    pub(crate) async fn experiments_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<ExperimentRow>> {
        let txn = self.scope.begin(org).await?;
        let rows = experiment::Entity::find()
            .filter(experiment::Column::OrgId.eq(org.as_uuid()))
            .filter(experiment::Column::CampaignId.eq(campaign.as_uuid()))
            .order_by_asc(experiment::Column::Field)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter().map(to_experiment).collect()
    }

    pub(crate) async fn save_experiment_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
        row: ExperimentRow,
    ) -> StorageResult<()> {
        let events = super::events_json(&row)?;
        let txn = self.scope.begin_write(org).await?;
        experiment::Entity::insert(experiment::ActiveModel {
            org_id: Set(org.as_uuid()),
            campaign_id: Set(campaign.as_uuid()),
            field: Set(row.field),
            arms: Set(row.arms as i32),
            state: Set(row.state.as_str().to_owned()),
            weights: Set(json(&row.weights)?),
            winner: Set(row.winner.map(|w| w as i32)),
            exposures_at_refresh: Set(row.exposures_at_refresh as i64),
            refreshed_at: Set(row.refreshed_at.map(micros)),
            events: Set(events),
        })
        .on_conflict(
            OnConflict::columns([experiment::Column::CampaignId, experiment::Column::Field])
                .update_columns([
                    experiment::Column::Arms,
                    experiment::Column::State,
                    experiment::Column::Weights,
                    experiment::Column::Winner,
                    experiment::Column::ExposuresAtRefresh,
                    experiment::Column::RefreshedAt,
                    experiment::Column::Events,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
        .db()?;
        txn.commit().await.db()?;
        Ok(())
    }

    pub(crate) async fn visitor_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
        visitor: uuid::Uuid,
    ) -> StorageResult<Option<BTreeMap<String, u32>>> {
        let txn = self.scope.begin(org).await?;
        let found = page_visitor::Entity::find()
            .filter(page_visitor::Column::OrgId.eq(org.as_uuid()))
            .filter(page_visitor::Column::CampaignId.eq(campaign.as_uuid()))
            .filter(page_visitor::Column::VisitorId.eq(visitor))
            .one(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        found.map(|m| variants_of(m.variants)).transpose()
    }

    pub(crate) async fn add_visitor_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
        visitor: uuid::Uuid,
        variants: BTreeMap<String, u32>,
        now: DateTime<Utc>,
    ) -> StorageResult<BTreeMap<String, u32>> {
        let txn = self.scope.begin_write(org).await?;
        page_visitor::Entity::insert(page_visitor::ActiveModel {
            org_id: Set(org.as_uuid()),
            campaign_id: Set(campaign.as_uuid()),
            visitor_id: Set(visitor),
            variants: Set(json(&variants)?),
            converted: Set(false),
            created_at: Set(micros(now)),
        })
        .on_conflict(
            OnConflict::columns([
                page_visitor::Column::CampaignId,
                page_visitor::Column::VisitorId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
        .db()?;
        let stored = page_visitor::Entity::find()
            .filter(page_visitor::Column::CampaignId.eq(campaign.as_uuid()))
            .filter(page_visitor::Column::VisitorId.eq(visitor))
            .one(&txn)
            .await
            .db()?
            .ok_or(StorageError::not_found("visitor"))?;
        txn.commit().await.db()?;
        variants_of(stored.variants)
    }

    pub(crate) async fn visitor_converted_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
        visitor: uuid::Uuid,
    ) -> StorageResult<bool> {
        let txn = self.scope.begin_write(org).await?;
        let changed = page_visitor::Entity::update_many()
            .col_expr(page_visitor::Column::Converted, Expr::value(true))
            .filter(page_visitor::Column::OrgId.eq(org.as_uuid()))
            .filter(page_visitor::Column::CampaignId.eq(campaign.as_uuid()))
            .filter(page_visitor::Column::VisitorId.eq(visitor))
            .exec(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(changed.rows_affected > 0)
    }

    pub(crate) async fn visitors_stored(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<(BTreeMap<String, u32>, bool)>> {
        let txn = self.scope.begin(org).await?;
        let rows = page_visitor::Entity::find()
            .filter(page_visitor::Column::OrgId.eq(org.as_uuid()))
            .filter(page_visitor::Column::CampaignId.eq(campaign.as_uuid()))
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter()
            .map(|m| Ok((variants_of(m.variants)?, m.converted)))
            .collect()
    }
}
