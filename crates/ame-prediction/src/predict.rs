//! One campaign's prediction: the request, the segments and history it rests on, and the steps
//! from the Monte Carlo's draws to what it reports.

use crate::history::{HistoryModel, SegmentKey, SkippedStage, StageModel, cold_start_stages};
use crate::monte_carlo::{ReachPlan, Samples, Simulation, request_pools};
use crate::report::{
    HistoryUsed, Interval, LevelHistory, Prediction, ReachSource, StagePrediction,
};
use crate::{Stage, amount, total_count};
use ame_domain::{CampaignType, Channel, ChannelOutcome};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;
use uuid::Uuid;

/// What to predict.
#[derive(Debug, Clone)]
pub struct PredictionRequest {
    /// The campaign's type.
    pub campaign_type: CampaignType,
    /// Its planned channels (empty: every channel of its type).
    pub channels: Vec<Channel>,
    /// Opaque key of the campaign's organization.
    pub org_group: Uuid,
    /// Planned reach.
    pub planned_reach: Option<f64>,
    /// Planned budget.
    pub budget: Option<f64>,
    /// The campaign's own results so far, per channel (empty before it runs).
    pub own_results: Vec<ChannelOutcome>,
    /// Whether `own_results` are part of the history the model was fitted on (they are then
    /// taken out of the pools, so the campaign is not its own prior).
    pub own_results_in_history: bool,
    /// Random seed.
    pub seed: u64,
    /// Monte Carlo draws.
    pub draws: usize,
}

/// Why a prediction cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PredictionError {
    /// Nothing says how many people the campaign will reach.
    #[error("{0}")]
    ReachUnknown(String),
}

/// The funnel performance predictor: a fitted history and the Monte Carlo that draws from it.
#[derive(Debug, Clone)]
pub struct FunnelPerformancePredictor<'a> {
    model: &'a HistoryModel,
}

impl<'a> FunnelPerformancePredictor<'a> {
    /// A predictor over a fitted history.
    pub fn new(model: &'a HistoryModel) -> Self {
        Self { model }
    }

    fn segment_keys(&self, request: &PredictionRequest) -> Vec<SegmentKey> {
        if request.channels.is_empty() {
            let channels: BTreeSet<Channel> = self
                .model
                .outcomes
                .iter()
                .filter(|o| o.campaign_type == request.campaign_type)
                .map(|o| o.channel)
                .collect();
            channels
                .into_iter()
                .map(|c| (request.campaign_type, c))
                .collect()
        } else {
            request
                .channels
                .iter()
                .map(|c| (request.campaign_type, *c))
                .collect()
        }
    }

    /// The asking organization's history behind the prediction, and how many organizations
    /// were pooled in when that is at least the pooling minimum (other organizations' campaign
    /// and record counts are never reported).
    fn history_used(&self, keys: &[SegmentKey], request: &PredictionRequest) -> HistoryUsed {
        let own: BTreeSet<Uuid> = if request.own_results_in_history {
            request
                .own_results
                .iter()
                .map(|o| o.campaign_group)
                .collect()
        } else {
            BTreeSet::new()
        };
        let mut levels: [(BTreeSet<Uuid>, u64); 2] = Default::default();
        for o in self
            .model
            .outcomes
            .iter()
            .filter(|o| o.org_group == request.org_group && !own.contains(&o.campaign_group))
        {
            let in_segment = keys.contains(&(o.campaign_type, o.channel));
            for (level, applies) in levels.iter_mut().zip([true, in_segment]) {
                if applies {
                    level.0.insert(o.campaign_group);
                    level.1 += u64::from(o.records);
                }
            }
        }
        let level = |i: usize| LevelHistory {
            campaigns: levels[i].0.len() as u64,
            records: levels[i].1,
        };
        let pooled_organizations = self
            .model
            .stages
            .iter()
            .filter(|m| m.min_orgs > 0 && m.global.orgs >= m.min_orgs)
            .map(|m| m.global.orgs as u64)
            .max();
        HistoryUsed {
            organization: level(1),
            organization_all: level(0),
            pooled_organizations,
        }
    }

    /// Prices `prediction` again from `conversions` (draws of the campaign's total
    /// conversions, e.g. a targeted funnel's): revenue at a drawn value per conversion, and
    /// against the budget, cost per conversion and ROI. Seeded like the prediction.
    pub fn reprice(
        &self,
        request: &PredictionRequest,
        conversions: &[f64],
        prediction: &mut Prediction,
    ) {
        if let Some(own) = self.model.own_model(request.org_group) {
            return FunnelPerformancePredictor::new(own).reprice(request, conversions, prediction);
        }
        let keys = self.segment_keys(request);
        let value = self
            .model
            .value_per_conversion
            .predictive(&keys, request.org_group, self.model.pooling.min_orgs)
            .map(|(dist, _)| dist);
        let mut rng = ChaCha8Rng::seed_from_u64(request.seed ^ 0x0070_7269_6365);
        let revenue: Option<Vec<f64>> = value.map(|dist| {
            conversions
                .iter()
                .map(|c| c * rand_distr::Distribution::sample(&dist, &mut rng).exp())
                .collect()
        });
        let budget = request.budget.filter(|b| *b > 0.0);
        prediction.cost_per_conversion =
            budget.and_then(|b| Interval::of(conversions.iter().map(|c| b / c.max(1.0)).collect()));
        prediction.roi = budget
            .zip(revenue.as_ref())
            .and_then(|(b, r)| Interval::of(r.iter().map(|r| (r - b) / b).collect()));
        prediction.revenue = revenue.and_then(Interval::of);
    }

    /// Predicts the campaign's funnel. Fails only when its reach cannot be known.
    pub fn predict(&self, request: &PredictionRequest) -> Result<Prediction, PredictionError> {
        self.predict_drawing(request, false).map(|(p, _)| p)
    }

    /// The prediction and, with `keep_draws`, every stage's drawn counts (funnel order; for
    /// backtests that score the whole predictive distribution).
    pub(crate) fn predict_drawing(
        &self,
        request: &PredictionRequest,
        keep_draws: bool,
    ) -> Result<(Prediction, [Vec<f64>; 4]), PredictionError> {
        let keys = self.segment_keys(request);
        if let Some(own) = self.model.own_model(request.org_group) {
            return FunnelPerformancePredictor::new(own).predict_drawing(request, keep_draws);
        }
        // Organizations too few to pool and none of the history this organization's: benchmarks.
        let cold_start = self.model.is_empty() || self.model.per_org.is_some();
        let cold_stages;
        let stages: &[StageModel] = if cold_start {
            cold_stages = cold_start_stages(&request.channels);
            &cold_stages
        } else {
            &self.model.stages
        };
        // The campaign's recorded totals per stage, read once (the draws below use them).
        let observed = Stage::ALL.map(|stage| total_count(&request.own_results, stage));
        let own_spend: f64 = request
            .own_results
            .iter()
            .filter_map(|o| amount(o.metrics.spend))
            .sum();
        let simulation = Simulation {
            request,
            stages,
            pools: stages
                .iter()
                .map(|m| request_pools(m, &keys, request))
                .collect(),
            observed,
            own_reach: observed[Stage::Reach.index()].unwrap_or(0.0),
            own_revenue: request
                .own_results
                .iter()
                .filter_map(|o| amount(o.metrics.revenue))
                .sum(),
            reach: self.reach_plan(request, &keys, own_spend, observed)?,
            value_per_conversion: self
                .model
                .value_per_conversion
                .predictive(&keys, request.org_group, self.model.pooling.min_orgs)
                .map(|(dist, _)| dist),
            predicts_conversions: stages.iter().any(|m| m.stage == Stage::Conversions),
        };
        let draws = request.draws.max(1);
        let mut rng = ChaCha8Rng::seed_from_u64(request.seed);
        let mut samples = Samples::with_capacity(draws);
        for _ in 0..draws {
            simulation.draw(&mut rng, &mut samples);
        }
        let draws_kept = if keep_draws {
            samples.totals.clone()
        } else {
            Default::default()
        };
        let predicted = samples.stage_predictions(stages, &observed);
        let history = self.history_used(&keys, request);
        let skipped = self.model.skipped.clone();
        let reach_source = simulation.reach.source();
        let explanation = explain(
            request,
            &history,
            reach_source,
            &predicted,
            &skipped,
            cold_start,
        );
        let prediction = Prediction {
            confidence: confidence(&predicted),
            stages: predicted,
            skipped,
            reach_source,
            revenue: Interval::of(samples.revenue),
            cost_per_conversion: Interval::of(samples.cost),
            roi: Interval::of(samples.roi),
            history,
            cold_start,
            explanation,
            draws,
            seed: request.seed,
            targeting: None,
            sources: Vec::new(),
        };
        Ok((prediction, draws_kept))
    }

    /// Where the reach still to come is taken from: the planned reach, else the budget still to
    /// spend at the history's reach per unit of spend.
    fn reach_plan(
        &self,
        request: &PredictionRequest,
        keys: &[SegmentKey],
        own_spend: f64,
        observed: [Option<f64>; 4],
    ) -> Result<ReachPlan, PredictionError> {
        let own_reach = observed[Stage::Reach.index()].unwrap_or(0.0);
        match (request.planned_reach, request.budget) {
            (Some(planned), _) => Ok(ReachPlan::Planned((planned - own_reach).max(0.0))),
            (None, Some(budget)) => {
                let Some((reach_per_spend, _)) = self
                    .model
                    .reach_per_spend
                    .predictive(keys, request.org_group, self.model.pooling.min_orgs)
                else {
                    return Err(PredictionError::ReachUnknown(
                        "reach is unknown: the history holds no campaign with both reach and spend, so the budget cannot be turned into reach; set the plan's planned_reach".to_owned(),
                    ));
                };
                Ok(ReachPlan::Budget {
                    remaining: (budget - own_spend).max(0.0),
                    reach_per_spend,
                })
            }
            (None, None) => Err(PredictionError::ReachUnknown(
                "reach is unknown: set the plan's planned_reach, or its budget when the history holds campaigns with reach and spend".to_owned(),
            )),
        }
    }
}

/// 0–100 from the relative width of the last predicted stage's 80% interval.
fn confidence(predicted: &[StagePrediction]) -> u8 {
    predicted
        .last()
        .map(|s| {
            let width = (s.count.high_80 - s.count.low_80) / s.expected.max(1.0);
            (100.0 / (1.0 + width)).round().clamp(0.0, 100.0) as u8
        })
        .unwrap_or(0)
}

fn explain(
    request: &PredictionRequest,
    history: &HistoryUsed,
    reach_source: ReachSource,
    stages: &[StagePrediction],
    skipped: &[SkippedStage],
    cold_start: bool,
) -> String {
    let basis = if cold_start {
        "No recorded results yet: rates start from published industry benchmarks (weak priors)"
            .to_owned()
    } else {
        let pooled = match history.pooled_organizations {
            Some(n) => format!("pooled from the results of {n} organizations"),
            None => "your own results and published benchmarks (too few organizations to pool)"
                .to_owned(),
        };
        format!(
            "Rates {pooled}; {} of your campaigns have results, {} of them {} campaigns on the same channels",
            history.organization_all.campaigns,
            history.organization.campaigns,
            request.campaign_type,
        )
    };
    let reach = match reach_source {
        ReachSource::PlannedReach => "reach from the planned reach",
        ReachSource::Budget => "reach from the budget at the historical reach per unit of spend",
    };
    let own = stages
        .iter()
        .find_map(|s| s.observed.filter(|_| s.stage == Stage::Reach))
        .map(|r| format!("; conditioned on the {r:.0} people reached so far"))
        .unwrap_or_default();
    let left_out = if skipped.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = skipped.iter().map(|s| s.stage.as_str()).collect();
        format!("; not predicted: {}", names.join(", "))
    };
    format!("{basis}; {reach}{own}{left_out}.")
}
