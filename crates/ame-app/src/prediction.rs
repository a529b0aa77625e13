//! Predicting a campaign's performance: the fitted history is shared by every organization and
//! refitted (off the async runtime) only when any organization's results change.

use crate::assets::default_seed;
use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppResult, within};
use ame_domain::{CampaignId, ChannelOutcome};
use ame_prediction::{
    DEFAULT_DRAWS, FunnelPerformancePredictor, HistoryModel, Prediction, PredictionRequest,
};
use ame_storage::{StorageError, campaign_group, org_group};
use rust_decimal::prelude::ToPrimitive;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The fewest and most Monte Carlo draws a prediction may ask for.
pub const DRAWS_RANGE: (u64, u64) = (100, 20_000);

/// A fitted history and the history revision `(revision, units)` it was fitted at.
type CachedModel = ((i64, i64), Arc<HistoryModel>);

/// The fitted history, shared by every organization until any organization records results.
#[derive(Debug, Default)]
pub struct PredictionCache {
    slot: Mutex<Option<CachedModel>>,
}

impl PredictionCache {
    /// The model for history revision `key`, fitting it from `load` on a miss. Concurrent misses
    /// wait for one fit instead of fitting in parallel.
    pub async fn model<F>(&self, key: (i64, i64), load: F) -> AppResult<Arc<HistoryModel>>
    where
        F: Future<Output = Result<Vec<ChannelOutcome>, StorageError>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some((cached, model)) = slot.as_ref()
            && *cached == key
        {
            return Ok(model.clone());
        }
        let outcomes = load.await?;
        let model =
            Arc::new(tokio::task::spawn_blocking(move || HistoryModel::fit(outcomes)).await?);
        *slot = Some((key, model.clone()));
        Ok(model)
    }
}

impl Engine {
    /// Predicts a campaign's funnel: reads the campaign and the history's revision (refitting
    /// the shared model when it changed; the model holds the campaign's own results too), then
    /// runs the Monte Carlo with `seed` (default [`default_seed`]) and `draws` (default
    /// [`DEFAULT_DRAWS`], within [`DRAWS_RANGE`]).
    pub async fn predict(
        &self,
        caller: &Caller,
        id: CampaignId,
        seed: Option<u64>,
        draws: Option<usize>,
    ) -> AppResult<Prediction> {
        let draws = within("draws", draws, DRAWS_RANGE)?;
        let repos = self.repos(caller);
        let campaign = repos.campaigns.get(caller.org, id).await?;
        let revision = repos.results.history_revision(caller.org).await?;
        let model = self
            .predictions()
            .model(revision, repos.results.history(caller.org, None))
            .await?;
        let own_results = model.outcomes_of(campaign_group(id));
        let request = PredictionRequest {
            campaign_type: campaign.campaign_type,
            channels: campaign.plan.channels.clone(),
            org_group: org_group(caller.org),
            planned_reach: campaign.plan.planned_reach.map(|r| r as f64),
            budget: campaign.plan.budget.and_then(|b| b.to_f64()),
            own_results_in_history: !own_results.is_empty(),
            own_results,
            seed: seed.unwrap_or_else(|| default_seed(id)),
            draws: draws.unwrap_or(DEFAULT_DRAWS),
        };
        let prediction = tokio::task::spawn_blocking(move || {
            FunnelPerformancePredictor::new(&model).predict(&request)
        })
        .await??;
        Ok(prediction)
    }
}

#[cfg(test)]
mod tests {
    use crate::fakes::*;

    #[tokio::test]
    async fn the_prediction_history_is_refitted_only_when_its_revision_changes() {
        let caller = caller(MemberRole::Viewer);
        let mut target = campaign(CampaignType::LeadGen, caller.org);
        target.plan.planned_reach = Some(10_000);
        let mut mocks = Mocks::default();
        mocks
            .campaigns
            .expect_get()
            .returning(move |_, _| Ok(target.clone()));
        let revisions = Arc::new(Mutex::new(vec![(2, 1), (1, 0), (1, 0)]));
        mocks
            .results
            .expect_history_revision()
            .times(3)
            .returning(move |_| Ok(revisions.lock().unwrap().pop().unwrap()));
        mocks
            .results
            .expect_history()
            .times(2)
            .returning(|_, _| Ok(Vec::new()));
        let engine = mocks.engine();
        let id = ame_domain::CampaignId::new();
        let first = engine
            .predict(&caller, id, Some(1), Some(200))
            .await
            .unwrap();
        let again = engine
            .predict(&caller, id, Some(1), Some(200))
            .await
            .unwrap();
        assert_eq!(first, again);
        assert!(first.cold_start);
        engine
            .predict(&caller, id, Some(1), Some(200))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_prediction_without_reach_says_what_is_missing() {
        let caller = caller(MemberRole::Viewer);
        let mut target = campaign(CampaignType::LeadGen, caller.org);
        target.plan.planned_reach = None;
        target.plan.budget = None;
        let mut mocks = Mocks::default();
        mocks
            .campaigns
            .expect_get()
            .returning(move |_, _| Ok(target.clone()));
        mocks
            .results
            .expect_history_revision()
            .returning(|_| Ok((0, 0)));
        mocks
            .results
            .expect_history()
            .returning(|_, _| Ok(Vec::new()));
        let error = mocks
            .engine()
            .predict(&caller, ame_domain::CampaignId::new(), None, None)
            .await
            .unwrap_err();
        assert!(matches!(error, AppError::ReachUnknown(ref d) if d.contains("planned_reach")));
    }
}
