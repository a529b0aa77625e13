//! Predicting a campaign's performance: the fitted history is refitted (off the async runtime)
//! only when any organization's results change. Each organization learns from its own results
//! unless the instance shares benchmarks, and then only from levels at least
//! [`BenchmarkSharing::min_orgs`] organizations contribute to.

use crate::assets::default_seed;
use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult, within};
use crate::retry::read_twice;
use ame_domain::OrgId;
use ame_domain::{CampaignId, ChannelOutcome};
use ame_prediction::{
    DEFAULT_DRAWS, DEFAULT_MIN_ORGS, FunnelPerformancePredictor, HistoryModel, Pooling, Prediction,
    PredictionRequest,
};
use ame_storage::{StorageError, campaign_group, org_group};
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The fewest and most Monte Carlo draws a prediction may ask for.
pub const DRAWS_RANGE: (u64, u64) = (100, 20_000);

/// Whether organizations learn from each other's results, and from how many on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchmarkSharing {
    /// Whether results are pooled across organizations at all. Off, every organization's
    /// predictions rest on its own results and published benchmarks only (which is all a
    /// single-organization install has to pool anyway).
    pub shared: bool,
    /// With sharing on, the fewest organizations a level (a campaign type on a channel, or
    /// everything) must hold before it is pooled into any organization's predictions.
    pub min_orgs: usize,
}

impl Default for BenchmarkSharing {
    fn default() -> Self {
        BenchmarkSharing {
            shared: false,
            min_orgs: DEFAULT_MIN_ORGS,
        }
    }
}

/// A fitted history and the history revision `(revision, units)` it was fitted at.
type CachedModel = ((i64, i64), Arc<HistoryModel>);

/// Most organizations' own models kept at once when benchmarks are not shared.
const CACHED_MODELS: usize = 256;

/// The fitted histories: one shared by every organization (benchmarks shared) or one per
/// organization, each kept until any organization records results.
#[derive(Debug, Default)]
pub struct PredictionCache {
    slots: Mutex<HashMap<Option<OrgId>, CachedModel>>,
}

impl PredictionCache {
    /// The model of `scope` (`None`: the shared one) for history revision `key`, fitting it
    /// from `load` under `pooling` on a miss. Concurrent misses wait for one fit instead of
    /// fitting in parallel.
    pub async fn model<F>(
        &self,
        scope: Option<OrgId>,
        key: (i64, i64),
        pooling: Pooling,
        load: F,
    ) -> AppResult<Arc<HistoryModel>>
    where
        F: Future<Output = Result<Vec<ChannelOutcome>, StorageError>>,
    {
        let mut slots = self.slots.lock().await;
        if let Some((cached, model)) = slots.get(&scope)
            && *cached == key
        {
            return Ok(model.clone());
        }
        let outcomes = load.await?;
        let model = Arc::new(
            tokio::task::spawn_blocking(move || HistoryModel::fit_with(outcomes, pooling)).await?,
        );
        slots.retain(|_, (cached, _)| *cached == key);
        if slots.len() >= CACHED_MODELS {
            slots.clear();
        }
        slots.insert(scope, (key, model.clone()));
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
        let campaign = read_twice(|| repos.campaigns.get(caller.org, id)).await?;
        let revision = read_twice(|| repos.results.history_revision(caller.org)).await?;
        let sharing = self.benchmark_sharing();
        let load = async {
            let mut history = repos.results.history(caller.org, None).await?;
            if !sharing.shared {
                history.retain(|o| o.own_org);
            }
            Ok(history)
        };
        let model = self
            .predictions()
            .model(
                (!sharing.shared).then_some(caller.org),
                revision,
                Pooling {
                    min_orgs: sharing.min_orgs,
                },
                load,
            )
            .await?;
        let own_results = model.outcomes_of(campaign_group(id));
        let targeted = self.targeted_probabilities(&campaign).await?;
        let request = PredictionRequest {
            campaign_type: campaign.campaign_type,
            channels: campaign.plan.channels.clone(),
            org_group: org_group(caller.org),
            // A targeted campaign reaches the contacts its model selected.
            planned_reach: match &targeted {
                Some((_, p, _)) => Some(p.len() as f64),
                None => campaign.plan.planned_reach.map(|r| r as f64),
            },
            budget: campaign.plan.budget.and_then(|b| b.to_f64()),
            own_results_in_history: !own_results.is_empty(),
            own_results,
            seed: seed.unwrap_or_else(|| default_seed(id)),
            draws: draws.unwrap_or(DEFAULT_DRAWS),
        };
        let targeted = match targeted.and_then(|(stage, probabilities, responders)| {
            ame_prediction::targeted_responses(stage, &probabilities, responders)
        }) {
            Some(t) => Some((t, self.outcome_counts(caller.org, id).await?)),
            None => None,
        };
        Ok(tokio::task::spawn_blocking(move || {
            let predictor = FunnelPerformancePredictor::new(&model);
            let mut prediction = predictor.predict(&request)?;
            if let Some((responses, records)) = targeted
                && let Some(conversions) = prediction.apply_targeted_funnel(responses, records)
            {
                predictor.reprice(&request, &conversions, &mut prediction);
            }
            Ok::<_, ame_prediction::PredictionError>(prediction)
        })
        .await??)
    }

    /// The organization's outcome records of its other campaigns, summed over treated contacts
    /// who were sent to: what a targeted funnel's other stages come from.
    async fn outcome_counts(
        &self,
        org: ame_domain::OrgId,
        campaign: ame_domain::CampaignId,
    ) -> AppResult<ame_prediction::targeted::OutcomeCounts> {
        let outcomes = self.service_repos().optimisation.all_outcomes(org).await?;
        let mut counts = ame_prediction::targeted::OutcomeCounts::default();
        for o in outcomes.iter().filter(|o| {
            o.campaign_id != campaign && o.group == ame_domain::Group::Treatment && o.delivered
        }) {
            counts.delivered += 1;
            counts.clicked += u64::from(o.clicked);
            counts.converted += u64::from(o.converted);
            counts.clicked_and_converted += u64::from(o.clicked && o.converted);
        }
        Ok(counts)
    }

    /// For a campaign that targets its audience with a trained model: the predicted stage, the
    /// response probability of every treated contact it will send to, and the responders the
    /// model was checked on. `None` when it sends to everyone or no model is trained yet.
    async fn targeted_probabilities(
        &self,
        campaign: &ame_domain::Campaign,
    ) -> AppResult<Option<(ame_prediction::Stage, Vec<f64>, f64)>> {
        let Some(targeting) = campaign
            .plan
            .targeting
            .clone()
            .filter(|t| t.mode != ame_domain::TargetingMode::All)
        else {
            return Ok(None);
        };
        let goal = targeting.goal();
        let Some((_, _, model)) = self.stored_model(campaign.org_id, goal).await? else {
            return Ok(None);
        };
        let contacts = self.executor().audience_contacts(campaign).await?;
        let selected = match self.select_audience(campaign, contacts).await {
            Ok(selected) => selected,
            Err(AppError::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let treated: Vec<ame_domain::Contact> = selected
            .into_iter()
            .filter(|(_, g)| *g == ame_domain::Group::Treatment)
            .map(|(c, _)| c)
            .collect();
        let probabilities: Vec<f64> = self
            .score_for_campaign(campaign, &treated, &model)
            .await?
            .iter()
            .map(|s| s.p_response)
            .collect();
        let responders: f64 = model
            .quality
            .reliability
            .iter()
            .map(|b| b.rows as f64 * b.observed)
            .sum();
        let stage = match goal {
            ame_domain::Goal::Clicks => ame_prediction::Stage::Clicks,
            ame_domain::Goal::Conversions => ame_prediction::Stage::Conversions,
        };
        Ok(Some((stage, probabilities, responders)))
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
