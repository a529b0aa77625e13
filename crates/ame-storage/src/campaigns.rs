//! The sea-orm campaign repository.

use crate::entity::campaign::{self, Column};
use crate::error::{DbResultExt, from_db};
use crate::queue;
use crate::repository::CampaignRepository;
use crate::scope::{Scope, now, parse_stored};
use crate::statements::StatementPool;
use crate::{StorageError, StorageResult};
use ame_domain::{
    Campaign, CampaignFilter, CampaignId, CampaignPlan, CampaignStatus, Channel, Cursor, OrgId,
    Page, PageRequest, PlanPatch, ValidCampaign, transition_effects,
};
use async_trait::async_trait;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, SqlErr,
};

/// Campaigns stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlCampaigns {
    scope: Scope,
}

impl SqlCampaigns {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

/// Budgets always carry two decimals, whichever backend stored them.
pub(crate) fn money(value: Decimal) -> Decimal {
    let mut v = value.round_dp(2);
    v.rescale(2);
    v
}

pub(crate) fn to_domain(m: campaign::Model) -> StorageResult<Campaign> {
    let channels: Vec<Channel> = serde_json::from_value(m.channels)
        .map_err(|e| StorageError::Database(format!("unexpected channels in the database: {e}")))?;
    let optimisation: Optimisation = m
        .optimisation
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| StorageError::Database(format!("unexpected optimisation: {e}")))?
        .unwrap_or_default();
    Ok(Campaign {
        id: CampaignId::from_uuid(m.id),
        org_id: OrgId::from_uuid(m.org_id),
        campaign_type: parse_stored("campaign_type", &m.campaign_type)?,
        objective: m.objective,
        status: parse_stored("status", &m.status)?,
        performance: m.performance,
        plan: CampaignPlan {
            name: m.name,
            planned_reach: m.planned_reach,
            budget: m.budget.map(money),
            channels,
            start_at: m.start_at,
            end_at: m.end_at,
            timezone: m.timezone,
            audience: m
                .audience
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| StorageError::Database(format!("unexpected audience: {e}")))?,
            send_window: m
                .send_window
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| StorageError::Database(format!("unexpected send window: {e}")))?,
            holdout_fraction: optimisation.holdout_fraction,
            targeting: optimisation.targeting,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// The plan's optimisation settings, stored together in one JSON column.
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Optimisation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    holdout_fraction: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    targeting: Option<ame_domain::Targeting>,
}

fn optimisation_json(plan: &CampaignPlan) -> StorageResult<Option<serde_json::Value>> {
    if plan.holdout_fraction.is_none() && plan.targeting.is_none() {
        return Ok(None);
    }
    json_of(&Some(Optimisation {
        holdout_fraction: plan.holdout_fraction,
        targeting: plan.targeting.clone(),
    }))
}

fn json_of<T: serde::Serialize>(value: &Option<T>) -> StorageResult<Option<serde_json::Value>> {
    value
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(|e| StorageError::Invalid(e.to_string()))
}

fn channels_json(channels: &[Channel]) -> serde_json::Value {
    serde_json::Value::Array(
        channels
            .iter()
            .map(|c| serde_json::Value::from(c.as_str()))
            .collect(),
    )
}

async fn find(
    txn: &DatabaseTransaction,
    org: OrgId,
    id: CampaignId,
) -> StorageResult<Option<campaign::Model>> {
    campaign::Entity::find()
        .filter(Column::Id.eq(id.as_uuid()))
        .filter(Column::OrgId.eq(org.as_uuid()))
        .one(txn)
        .await
        .db()
}

/// What an insert's failure means: the organization foreign key is the only one, and on
/// PostgreSQL row-level security refuses first (no membership); both mean the organization is
/// unknown.
fn insert_error(e: sea_orm::DbErr) -> StorageError {
    match e.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => StorageError::not_found("organization"),
        _ => match from_db(e) {
            StorageError::NotFound { .. } => StorageError::not_found("organization"),
            other => other,
        },
    }
}

impl SqlCampaigns {
    /// Creates a campaign acting as the organization itself in one statement and one round
    /// trip: `ame_insert_campaign` sets the principal for the statement's own transaction and
    /// inserts under the same row-level-security policies (see its migration). The statement
    /// runs on the single-statement connections, so no second round trip tests the connection
    /// afterwards (see [`crate::statements`]).
    async fn create_in_one_statement(
        &self,
        statements: &StatementPool,
        org: OrgId,
        id: CampaignId,
        campaign: &ValidCampaign,
        at: chrono::DateTime<chrono::Utc>,
    ) -> StorageResult<Campaign> {
        let plan = campaign.plan();
        let query = sea_orm::sqlx::query(
            "SELECT * FROM ame_insert_campaign($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18, $19)",
        )
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .bind(org.as_uuid())
        .bind(campaign.campaign_type().as_str())
        .bind(campaign.objective())
        .bind(CampaignStatus::Draft.as_str())
        .bind(serde_json::json!({}))
        .bind(at)
        .bind(at)
        .bind(plan.name.clone())
        .bind(plan.planned_reach)
        .bind(plan.budget)
        .bind(channels_json(&plan.channels))
        .bind(plan.start_at)
        .bind(plan.end_at)
        .bind(plan.timezone.clone())
        .bind(json_of(&plan.audience)?)
        .bind(json_of(&plan.send_window)?)
        .bind(optimisation_json(plan)?);
        let row = statements
            .fetch_optional(query, insert_error)
            .await?
            .ok_or_else(|| StorageError::not_found("organization"))?;
        let model = campaign::Model::from_query_result(&sea_orm::QueryResult::from(row), "")
            .map_err(from_db)?;
        to_domain(model)
    }
}

#[async_trait]
impl CampaignRepository for SqlCampaigns {
    async fn create(&self, org: OrgId, campaign: ValidCampaign) -> StorageResult<Campaign> {
        self.create_with_id(org, CampaignId::new(), campaign).await
    }

    async fn create_with_id(
        &self,
        org: OrgId,
        id: CampaignId,
        campaign: ValidCampaign,
    ) -> StorageResult<Campaign> {
        let at = now();
        let plan = campaign.plan();
        if let (Some(statements), None) = (&self.scope.statements, self.scope.acting_user) {
            return self
                .create_in_one_statement(statements, org, id, &campaign, at)
                .await;
        }
        let txn = self.scope.begin_write(org).await?;
        let model = campaign::Entity::insert(campaign::ActiveModel {
            id: Set(id.as_uuid()),
            org_id: Set(org.as_uuid()),
            campaign_type: Set(campaign.campaign_type().as_str().to_owned()),
            objective: Set(campaign.objective().to_owned()),
            status: Set(CampaignStatus::Draft.as_str().to_owned()),
            performance: Set(serde_json::json!({})),
            created_at: Set(at),
            updated_at: Set(at),
            name: Set(plan.name.clone()),
            planned_reach: Set(plan.planned_reach),
            budget: Set(plan.budget),
            channels: Set(channels_json(&plan.channels)),
            start_at: Set(plan.start_at),
            end_at: Set(plan.end_at),
            timezone: Set(plan.timezone.clone()),
            audience: Set(json_of(&plan.audience)?),
            send_window: Set(json_of(&plan.send_window)?),
            optimisation: Set(optimisation_json(plan)?),
        })
        .exec_with_returning(&txn)
        .await
        .map_err(insert_error)?;
        txn.commit().await.db()?;
        to_domain(model)
    }

    async fn get(&self, org: OrgId, id: CampaignId) -> StorageResult<Campaign> {
        let txn = self.scope.begin(org).await?;
        let found = find(&txn, org, id).await?;
        txn.commit().await.db()?;
        to_domain(found.ok_or(StorageError::not_found("campaign"))?)
    }

    async fn list(
        &self,
        org: OrgId,
        filter: CampaignFilter,
        page: PageRequest,
    ) -> StorageResult<Page<Campaign>> {
        let mut query = campaign::Entity::find().filter(Column::OrgId.eq(org.as_uuid()));
        if let Some(status) = filter.status {
            query = query.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(campaign_type) = filter.campaign_type {
            query = query.filter(Column::CampaignType.eq(campaign_type.as_str()));
        }
        if let Some(search) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let pattern = format!(
                "%{}%",
                search
                    .to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            let lower =
                |column: Column| Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(column)));
            query = query.filter(
                sea_orm::Condition::any()
                    .add(
                        lower(Column::Name)
                            .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
                    )
                    .add(
                        lower(Column::Objective)
                            .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
                    ),
            );
        }
        if let Some(after) = page.after {
            // A row-value comparison, so both engines walk the (org_id, created_at, id) index
            // from the cursor instead of filtering rows before it.
            query = query.filter(
                Expr::tuple([Expr::col(Column::CreatedAt), Expr::col(Column::Id)]).lt(Expr::tuple(
                    [Expr::value(after.created_at), Expr::value(after.id)],
                )),
            );
        }
        let limit = page.limit() as usize;
        let txn = self.scope.begin(org).await?;
        let mut rows = query
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .limit(limit as u64 + 1)
            .all(&txn)
            .await
            .db()?;
        Scope::end_read(txn);
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if has_more {
            rows.last().map(|last| {
                Cursor {
                    created_at: last.created_at,
                    id: last.id,
                }
                .encode()
            })
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(to_domain)
            .collect::<StorageResult<Vec<_>>>()?;
        Ok(Page { items, next_cursor })
    }

    async fn change_status(
        &self,
        org: OrgId,
        id: CampaignId,
        target: CampaignStatus,
        expected: Option<CampaignStatus>,
    ) -> StorageResult<Campaign> {
        self.change_status_at(org, id, target, expected, now())
            .await
    }

    async fn change_status_at(
        &self,
        org: OrgId,
        id: CampaignId,
        target: CampaignStatus,
        expected: Option<CampaignStatus>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> StorageResult<Campaign> {
        let at = crate::queue::micros(at);
        let txn = self.scope.begin_write(org).await?;
        let seen = to_domain(
            find(&txn, org, id)
                .await?
                .ok_or(StorageError::not_found("campaign"))?,
        )?;
        if let Some(expected) = expected
            && expected != seen.status
        {
            return Err(StorageError::Conflict(format!(
                "the campaign is {}, not {expected} as expected; read it again and retry",
                seen.status
            )));
        }
        seen.status.transition_to(target)?;
        // Compare-and-set on the status just read: if another change landed in between, this
        // update matches no row and the caller gets a conflict instead of a second win.
        let changed_at = now();
        let updated = campaign::Entity::update_many()
            .col_expr(Column::Status, Expr::value(target.as_str()))
            .col_expr(Column::UpdatedAt, Expr::value(changed_at))
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(Column::OrgId.eq(org.as_uuid()))
            .filter(Column::Status.eq(seen.status.as_str()))
            .exec(&txn)
            .await
            .db()?;
        if updated.rows_affected != 1 {
            return Err(StorageError::Conflict(format!(
                "the campaign changed while it was moving from {} to {target}; read it again and retry",
                seen.status
            )));
        }
        // The jobs the change starts, parks, wakes or cancels commit with it, or not at all.
        let effects = transition_effects(&seen, target, at);
        queue::apply_effects(&txn, org, id, &effects, at).await?;
        txn.commit().await.db()?;
        // The update changed exactly these two columns of the row just read.
        Ok(Campaign {
            status: target,
            updated_at: changed_at,
            ..seen
        })
    }

    async fn update_plan(
        &self,
        org: OrgId,
        id: CampaignId,
        patch: PlanPatch,
    ) -> StorageResult<Campaign> {
        let txn = self.scope.begin_write(org).await?;
        let current = to_domain(
            find(&txn, org, id)
                .await?
                .ok_or(StorageError::not_found("campaign"))?,
        )?;
        if !current.status.plan_is_editable() {
            return Err(StorageError::Conflict(format!(
                "only draft campaigns can be edited; this one is {} (move it back to draft from scheduled, or create a new campaign)",
                current.status
            )));
        }
        let (objective, plan) = patch.apply(&current.objective, &current.plan)?;
        let at = now();
        let updated = campaign::Entity::update_many()
            .col_expr(Column::Objective, Expr::value(objective.clone()))
            .col_expr(Column::Name, Expr::value(plan.name.clone()))
            .col_expr(Column::PlannedReach, Expr::value(plan.planned_reach))
            .col_expr(Column::Budget, Expr::value(plan.budget))
            .col_expr(Column::Channels, Expr::value(channels_json(&plan.channels)))
            .col_expr(Column::StartAt, Expr::value(plan.start_at))
            .col_expr(Column::EndAt, Expr::value(plan.end_at))
            .col_expr(Column::Timezone, Expr::value(plan.timezone.clone()))
            .col_expr(Column::Audience, Expr::value(json_of(&plan.audience)?))
            .col_expr(Column::SendWindow, Expr::value(json_of(&plan.send_window)?))
            .col_expr(Column::Optimisation, Expr::value(optimisation_json(&plan)?))
            .col_expr(Column::UpdatedAt, Expr::value(at))
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(Column::OrgId.eq(org.as_uuid()))
            .filter(Column::Status.eq(CampaignStatus::Draft.as_str()))
            .filter(Column::UpdatedAt.eq(current.updated_at))
            .exec(&txn)
            .await
            .db()?;
        if updated.rows_affected != 1 {
            return Err(StorageError::Conflict(
                "the campaign changed while it was being edited; read it again and retry".into(),
            ));
        }
        txn.commit().await.db()?;
        Ok(Campaign {
            objective,
            plan: CampaignPlan {
                budget: plan.budget.map(money),
                ..plan
            },
            updated_at: at,
            ..current
        })
    }

    async fn delete(&self, org: OrgId, id: CampaignId) -> StorageResult<()> {
        let txn = self.scope.begin_write(org).await?;
        let deleted = campaign::Entity::delete_many()
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(Column::OrgId.eq(org.as_uuid()))
            .exec(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        if deleted.rows_affected == 0 {
            return Err(StorageError::not_found("campaign"));
        }
        Ok(())
    }
}
