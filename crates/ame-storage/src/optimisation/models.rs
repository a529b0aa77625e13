//! The organization's fitted targeting models.

use super::{SqlOptimisation, StoredModel};
use crate::StorageResult;
use crate::entity::targeting_model;
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::scope::parse_stored;
use ame_domain::{Goal, OrgId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

impl SqlOptimisation {
    pub(crate) async fn save_model_stored(
        &self,
        org: OrgId,
        model: StoredModel,
    ) -> StorageResult<()> {
        let txn = self.scope.begin_write(org).await?;
        targeting_model::Entity::insert(targeting_model::ActiveModel {
            org_id: Set(org.as_uuid()),
            goal: Set(model.goal.as_str().to_owned()),
            model: Set(model.model),
            trained_at: Set(micros(model.trained_at)),
            outcomes_seen: Set(model.outcomes_seen as i64),
        })
        .on_conflict(
            OnConflict::columns([
                targeting_model::Column::OrgId,
                targeting_model::Column::Goal,
            ])
            .update_columns([
                targeting_model::Column::Model,
                targeting_model::Column::TrainedAt,
                targeting_model::Column::OutcomesSeen,
            ])
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
        .db()?;
        txn.commit().await.db()?;
        Ok(())
    }

    pub(crate) async fn model_stored(
        &self,
        org: OrgId,
        goal: Goal,
    ) -> StorageResult<Option<StoredModel>> {
        let txn = self.scope.begin(org).await?;
        let found = targeting_model::Entity::find()
            .filter(targeting_model::Column::OrgId.eq(org.as_uuid()))
            .filter(targeting_model::Column::Goal.eq(goal.as_str()))
            .one(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        found
            .map(|m| {
                Ok(StoredModel {
                    goal: parse_stored("goal", &m.goal)?,
                    model: m.model,
                    trained_at: m.trained_at,
                    outcomes_seen: Ord::max(m.outcomes_seen, 0) as u64,
                })
            })
            .transpose()
    }
}
