//! Optimisation records: per-contact outcomes, variant tests, landing-page visitors and the
//! organization's targeting models. Outcomes are here; tests and visitors in `experiments.rs`,
//! models in `models.rs`.

mod experiments;
mod models;

use crate::entity::{experiment, outcome, page_visitor, tracking_event};
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::scope::{Scope, parse_stored};
use crate::{StorageError, StorageResult};
use ame_domain::{
    CampaignId, ContactId, ExperimentEvent, ExperimentState, Goal, Group, OrgId, Outcome,
    OutcomeEvent, TrackingKind,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::BTreeMap;

/// Outcome rows written per statement.
const OUTCOME_CHUNK: usize = 500;

/// One outcome from outside, resolved to its contact.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedOutcome {
    /// The contact.
    pub contact: ContactId,
    /// Treated or held out.
    pub group: Group,
    /// Variant per tested field.
    pub variants: BTreeMap<String, u32>,
    /// Whether the contact clicked.
    pub clicked: bool,
    /// Whether the contact converted.
    pub converted: bool,
    /// What the conversion was worth.
    pub value: Option<Decimal>,
    /// Whether the contact had converted before its assignment to a group.
    pub converted_before: bool,
}

/// The stored state of one variant test.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentRow {
    /// The tested field.
    pub field: String,
    /// How many arms it has.
    pub arms: u32,
    /// Where it stands.
    pub state: ExperimentState,
    /// The current weights, one per arm.
    pub weights: Vec<f64>,
    /// The promoted arm.
    pub winner: Option<u32>,
    /// Total exposures when the weights were last refreshed.
    pub exposures_at_refresh: u64,
    /// When the weights were last refreshed.
    pub refreshed_at: Option<DateTime<Utc>>,
    /// Recorded events (promotions).
    pub events: Vec<ExperimentEvent>,
    /// The weights at each refresh, oldest first (stored beside the events, as `refreshed`).
    pub history: Vec<ame_domain::WeightSnapshot>,
}

/// The `kind` a weight snapshot is stored under among a test's events.
const REFRESHED: &str = "refreshed";

/// A test's events and weight history as the one JSON array they are stored in.
pub(crate) fn events_json(row: &ExperimentRow) -> StorageResult<serde_json::Value> {
    let mut items = Vec::with_capacity(row.events.len() + row.history.len());
    for event in &row.events {
        items.push(serde_json::to_value(event).map_err(|e| StorageError::Database(e.to_string()))?);
    }
    for snapshot in &row.history {
        let mut value =
            serde_json::to_value(snapshot).map_err(|e| StorageError::Database(e.to_string()))?;
        value["kind"] = serde_json::Value::from(REFRESHED);
        items.push(value);
    }
    Ok(serde_json::Value::Array(items))
}

/// Splits the stored array back into events and weight history.
fn split_events(
    value: serde_json::Value,
) -> StorageResult<(Vec<ExperimentEvent>, Vec<ame_domain::WeightSnapshot>)> {
    let items: Vec<serde_json::Value> = serde_json::from_value(value)
        .map_err(|e| StorageError::Database(format!("unexpected events: {e}")))?;
    let (mut events, mut history) = (Vec::new(), Vec::new());
    for item in items {
        let bad = |e: serde_json::Error| StorageError::Database(format!("unexpected event: {e}"));
        if item["kind"] == REFRESHED {
            history.push(serde_json::from_value(item).map_err(bad)?);
        } else {
            events.push(serde_json::from_value(item).map_err(bad)?);
        }
    }
    Ok((events, history))
}

/// A fitted targeting model as stored (its content belongs to the prediction crate).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredModel {
    /// What it predicts.
    pub goal: Goal,
    /// The model.
    pub model: serde_json::Value,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
    /// The organization's outcome records when it was trained.
    pub outcomes_seen: u64,
}

/// Outcomes, tests, visitors and models of one organization.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait OptimisationRepository: Send + Sync {
    /// Records the holdout group of newly enrolled contacts; contacts already recorded keep
    /// their group.
    async fn enrol(
        &self,
        org: OrgId,
        campaign: CampaignId,
        groups: Vec<(ContactId, Group)>,
        now: DateTime<Utc>,
    ) -> StorageResult<()>;
    /// Writes outcomes from outside in one transaction, replacing each contact's record.
    async fn import_outcomes(
        &self,
        org: OrgId,
        campaign: CampaignId,
        rows: Vec<ImportedOutcome>,
        now: DateTime<Utc>,
    ) -> StorageResult<u64>;
    /// Applies what the engine observed to a contact's record; a contact outside the
    /// campaign's audience has none and nothing changes. Returns whether a record changed.
    async fn observe(
        &self,
        org: OrgId,
        campaign: CampaignId,
        contact: ContactId,
        event: OutcomeEvent,
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;
    /// A campaign's outcome records.
    async fn outcomes(&self, org: OrgId, campaign: CampaignId) -> StorageResult<Vec<Outcome>>;
    /// How many treated contacts of a campaign a message reached (`page`: how many visitors its
    /// landing page had): the exposures of its tests, counted cheaply.
    async fn exposure_count(
        &self,
        org: OrgId,
        campaign: CampaignId,
        page: bool,
    ) -> StorageResult<u64>;
    /// Every outcome record of the organization.
    async fn all_outcomes(&self, org: OrgId) -> StorageResult<Vec<Outcome>>;
    /// How many outcome records the organization has.
    async fn outcome_count(&self, org: OrgId) -> StorageResult<u64>;
    /// A campaign's variant tests.
    async fn experiments(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<ExperimentRow>>;
    /// Creates or replaces a variant test's state.
    async fn save_experiment(
        &self,
        org: OrgId,
        campaign: CampaignId,
        row: ExperimentRow,
    ) -> StorageResult<()>;
    /// The variants a landing-page visitor was given, if the visitor is known.
    async fn visitor(
        &self,
        org: OrgId,
        campaign: CampaignId,
        visitor: uuid::Uuid,
    ) -> StorageResult<Option<BTreeMap<String, u32>>>;
    /// Stores a new visitor's variants; a visitor stored first (a concurrent visit) keeps
    /// theirs, which are returned.
    async fn add_visitor(
        &self,
        org: OrgId,
        campaign: CampaignId,
        visitor: uuid::Uuid,
        variants: BTreeMap<String, u32>,
        now: DateTime<Utc>,
    ) -> StorageResult<BTreeMap<String, u32>>;
    /// Marks a visitor as having become a lead.
    async fn visitor_converted(
        &self,
        org: OrgId,
        campaign: CampaignId,
        visitor: uuid::Uuid,
    ) -> StorageResult<bool>;
    /// Every visitor's variants and whether they became a lead.
    async fn visitors(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<(BTreeMap<String, u32>, bool)>>;
    /// Stores a trained model, replacing the previous one for its goal.
    async fn save_model(&self, org: OrgId, model: StoredModel) -> StorageResult<()>;
    /// The organization's model for a goal.
    async fn model(&self, org: OrgId, goal: Goal) -> StorageResult<Option<StoredModel>>;
}

/// The sea-orm implementation of [`OptimisationRepository`].
#[derive(Clone)]
pub struct SqlOptimisation {
    scope: Scope,
}

impl SqlOptimisation {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

fn variants_of(value: serde_json::Value) -> StorageResult<BTreeMap<String, u32>> {
    serde_json::from_value(value)
        .map_err(|e| StorageError::Database(format!("unexpected variants: {e}")))
}

fn json<T: serde::Serialize>(value: &T) -> StorageResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| StorageError::Invalid(e.to_string()))
}

fn to_outcome(m: outcome::Model) -> StorageResult<Outcome> {
    Ok(Outcome {
        campaign_id: CampaignId::from_uuid(m.campaign_id),
        contact_id: ContactId::from_uuid(m.contact_id),
        group: parse_stored("grp", &m.grp)?,
        variants: variants_of(m.variants)?,
        delivered: m.delivered,
        clicked: m.clicked,
        converted: m.converted,
        converted_before: m.converted_before,
        value: m.value,
        updated_at: m.updated_at,
    })
}

fn to_experiment(m: experiment::Model) -> StorageResult<ExperimentRow> {
    let (events, history) = split_events(m.events)?;
    Ok(ExperimentRow {
        field: m.field,
        arms: Ord::max(m.arms, 1) as u32,
        state: parse_stored("state", &m.state)?,
        weights: serde_json::from_value(m.weights)
            .map_err(|e| StorageError::Database(format!("unexpected weights: {e}")))?,
        winner: m.winner.map(|w| Ord::max(w, 0) as u32),
        exposures_at_refresh: Ord::max(m.exposures_at_refresh, 0) as u64,
        refreshed_at: m.refreshed_at,
        events,
        history,
    })
}

/// Applies what the engine saw to a contact's outcome record inside the caller's transaction
/// (a send records it together with settling its job); false when the contact has no record.
pub(crate) async fn observe_in<C: ConnectionTrait>(
    txn: &C,
    org: OrgId,
    campaign: CampaignId,
    contact: ContactId,
    event: OutcomeEvent,
    now: DateTime<Utc>,
) -> StorageResult<bool> {
    let now = micros(now);
    let key = |q: sea_orm::UpdateMany<outcome::Entity>| {
        q.filter(outcome::Column::CampaignId.eq(campaign.as_uuid()))
            .filter(outcome::Column::ContactId.eq(contact.as_uuid()))
            .filter(outcome::Column::OrgId.eq(org.as_uuid()))
    };
    let changed = match event {
        OutcomeEvent::Delivered(seen) => {
            let Some(found) = outcome::Entity::find()
                .filter(outcome::Column::CampaignId.eq(campaign.as_uuid()))
                .filter(outcome::Column::ContactId.eq(contact.as_uuid()))
                .filter(outcome::Column::OrgId.eq(org.as_uuid()))
                .one(txn)
                .await
                .db()?
            else {
                return Ok(false);
            };
            let mut variants = variants_of(found.variants)?;
            // A field keeps the variant first shown (a repeated send shows the same one).
            for (field, variant) in seen {
                variants.entry(field).or_insert(variant);
            }
            key(outcome::Entity::update_many())
                .col_expr(outcome::Column::Variants, Expr::value(json(&variants)?))
                .col_expr(outcome::Column::Delivered, Expr::value(true))
                .col_expr(outcome::Column::UpdatedAt, Expr::value(now))
                .exec(txn)
                .await
                .db()?
        }
        OutcomeEvent::Clicked => key(outcome::Entity::update_many())
            .col_expr(outcome::Column::Clicked, Expr::value(true))
            .col_expr(outcome::Column::UpdatedAt, Expr::value(now))
            .filter(outcome::Column::Clicked.eq(false))
            .exec(txn)
            .await
            .db()?,
        OutcomeEvent::Converted(value) => {
            let mut update = key(outcome::Entity::update_many())
                .col_expr(outcome::Column::Converted, Expr::value(true))
                .col_expr(outcome::Column::UpdatedAt, Expr::value(now));
            if let Some(v) = value {
                update = update.col_expr(
                    outcome::Column::Value,
                    Expr::col(outcome::Column::Value)
                        .if_null(Decimal::ZERO)
                        .add(v),
                );
            }
            update.exec(txn).await.db()?
        }
    };
    Ok(changed.rows_affected > 0)
}

#[async_trait]
impl OptimisationRepository for SqlOptimisation {
    async fn enrol(
        &self,
        org: OrgId,
        campaign: CampaignId,
        groups: Vec<(ContactId, Group)>,
        now: DateTime<Utc>,
    ) -> StorageResult<()> {
        let now = micros(now);
        let txn = self.scope.begin_write(org).await?;
        for chunk in groups.chunks(OUTCOME_CHUNK) {
            // Who converted in this campaign before being assigned counts in neither group.
            let converted_before: std::collections::HashSet<uuid::Uuid> =
                tracking_event::Entity::find()
                    .select_only()
                    .column(tracking_event::Column::ContactId)
                    .filter(tracking_event::Column::OrgId.eq(org.as_uuid()))
                    .filter(tracking_event::Column::CampaignId.eq(campaign.as_uuid()))
                    .filter(tracking_event::Column::Kind.eq(TrackingKind::Conversion.as_str()))
                    .filter(tracking_event::Column::OccurredAt.lte(now))
                    .filter(
                        tracking_event::Column::ContactId
                            .is_in(chunk.iter().map(|(c, _)| c.as_uuid())),
                    )
                    .into_tuple::<Option<uuid::Uuid>>()
                    .all(&txn)
                    .await
                    .db()?
                    .into_iter()
                    .flatten()
                    .collect();
            let rows = chunk.iter().map(|(contact, group)| outcome::ActiveModel {
                org_id: Set(org.as_uuid()),
                campaign_id: Set(campaign.as_uuid()),
                contact_id: Set(contact.as_uuid()),
                grp: Set(group.as_str().to_owned()),
                variants: Set(serde_json::json!({})),
                delivered: Set(false),
                clicked: Set(false),
                converted: Set(false),
                value: Set(None),
                converted_before: Set(converted_before.contains(&contact.as_uuid())),
                updated_at: Set(now),
            });
            outcome::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([outcome::Column::CampaignId, outcome::Column::ContactId])
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .db()?;
        }
        txn.commit().await.db()?;
        Ok(())
    }

    async fn import_outcomes(
        &self,
        org: OrgId,
        campaign: CampaignId,
        rows: Vec<ImportedOutcome>,
        now: DateTime<Utc>,
    ) -> StorageResult<u64> {
        let now = micros(now);
        let txn = self.scope.begin_write(org).await?;
        let mut written = 0;
        for chunk in rows.chunks(OUTCOME_CHUNK) {
            let models = chunk
                .iter()
                .map(|r| {
                    Ok(outcome::ActiveModel {
                        org_id: Set(org.as_uuid()),
                        campaign_id: Set(campaign.as_uuid()),
                        contact_id: Set(r.contact.as_uuid()),
                        grp: Set(r.group.as_str().to_owned()),
                        variants: Set(json(&r.variants)?),
                        delivered: Set(r.group == Group::Treatment),
                        clicked: Set(r.clicked),
                        converted: Set(r.converted),
                        value: Set(r.value),
                        converted_before: Set(r.converted_before),
                        updated_at: Set(now),
                    })
                })
                .collect::<StorageResult<Vec<_>>>()?;
            written += models.len() as u64;
            outcome::Entity::insert_many(models)
                .on_conflict(
                    OnConflict::columns([outcome::Column::CampaignId, outcome::Column::ContactId])
                        .update_columns([
                            outcome::Column::Grp,
                            outcome::Column::Variants,
                            outcome::Column::Delivered,
                            outcome::Column::Clicked,
                            outcome::Column::Converted,
                            outcome::Column::Value,
                            outcome::Column::ConvertedBefore,
                            outcome::Column::UpdatedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .db()?;
        }
        txn.commit().await.db()?;
        Ok(written)
    }

    async fn observe(
        &self,
        org: OrgId,
        campaign: CampaignId,
        contact: ContactId,
        event: OutcomeEvent,
        now: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let txn = self.scope.begin_write(org).await?;
        let changed = observe_in(&txn, org, campaign, contact, event, now).await?;
        txn.commit().await.db()?;
        Ok(changed)
    }

    async fn outcomes(&self, org: OrgId, campaign: CampaignId) -> StorageResult<Vec<Outcome>> {
        let txn = self.scope.begin(org).await?;
        let rows = outcome::Entity::find()
            .filter(outcome::Column::OrgId.eq(org.as_uuid()))
            .filter(outcome::Column::CampaignId.eq(campaign.as_uuid()))
            .order_by_asc(outcome::Column::ContactId)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter().map(to_outcome).collect()
    }

    async fn exposure_count(
        &self,
        org: OrgId,
        campaign: CampaignId,
        page: bool,
    ) -> StorageResult<u64> {
        let txn = self.scope.begin(org).await?;
        let n = if page {
            page_visitor::Entity::find()
                .filter(page_visitor::Column::OrgId.eq(org.as_uuid()))
                .filter(page_visitor::Column::CampaignId.eq(campaign.as_uuid()))
                .count(&txn)
                .await
        } else {
            outcome::Entity::find()
                .filter(outcome::Column::OrgId.eq(org.as_uuid()))
                .filter(outcome::Column::CampaignId.eq(campaign.as_uuid()))
                .filter(outcome::Column::Delivered.eq(true))
                .count(&txn)
                .await
        }
        .db()?;
        txn.commit().await.db()?;
        Ok(n)
    }

    async fn all_outcomes(&self, org: OrgId) -> StorageResult<Vec<Outcome>> {
        let txn = self.scope.begin(org).await?;
        let rows = outcome::Entity::find()
            .filter(outcome::Column::OrgId.eq(org.as_uuid()))
            .order_by_asc(outcome::Column::CampaignId)
            .order_by_asc(outcome::Column::ContactId)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter().map(to_outcome).collect()
    }

    async fn outcome_count(&self, org: OrgId) -> StorageResult<u64> {
        let txn = self.scope.begin(org).await?;
        let n = outcome::Entity::find()
            .filter(outcome::Column::OrgId.eq(org.as_uuid()))
            .count(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(n)
    }

    async fn experiments(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<ExperimentRow>> {
        self.experiments_stored(org, campaign).await
    }

    async fn save_experiment(
        &self,
        org: OrgId,
        campaign: CampaignId,
        row: ExperimentRow,
    ) -> StorageResult<()> {
        self.save_experiment_stored(org, campaign, row).await
    }

    async fn visitor(
        &self,
        org: OrgId,
        campaign: CampaignId,
        visitor: uuid::Uuid,
    ) -> StorageResult<Option<BTreeMap<String, u32>>> {
        self.visitor_stored(org, campaign, visitor).await
    }

    async fn add_visitor(
        &self,
        org: OrgId,
        campaign: CampaignId,
        visitor: uuid::Uuid,
        variants: BTreeMap<String, u32>,
        now: DateTime<Utc>,
    ) -> StorageResult<BTreeMap<String, u32>> {
        self.add_visitor_stored(org, campaign, visitor, variants, now)
            .await
    }

    async fn visitor_converted(
        &self,
        org: OrgId,
        campaign: CampaignId,
        visitor: uuid::Uuid,
    ) -> StorageResult<bool> {
        self.visitor_converted_stored(org, campaign, visitor).await
    }

    async fn visitors(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<(BTreeMap<String, u32>, bool)>> {
        self.visitors_stored(org, campaign).await
    }

    async fn save_model(&self, org: OrgId, model: StoredModel) -> StorageResult<()> {
        self.save_model_stored(org, model).await
    }

    async fn model(&self, org: OrgId, goal: Goal) -> StorageResult<Option<StoredModel>> {
        self.model_stored(org, goal).await
    }
}
