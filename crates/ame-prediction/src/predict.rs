//! One campaign's prediction: the request, the Monte Carlo through the fitted history's levels,
//! and what it reports (every stage's intervals, the money figures, the history behind it).

use crate::fit::{Pool, TAU_CAP, Trial};
use crate::history::{HistoryModel, SegmentKey, SkippedStage, StageModel, cold_start_stages};
use crate::{Measured, Stage, total_count, trial};
use ame_domain::{CampaignType, Channel, ChannelOutcome};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Binomial, Distribution, Normal};
use serde::Serialize;
use std::collections::BTreeSet;
use uuid::Uuid;

/// How much history stands behind one level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelHistory {
    /// Distinct campaigns.
    pub campaigns: u64,
    /// Result records summed into them.
    pub records: u64,
}

/// The history behind a prediction, per pooling level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryUsed {
    /// Every organization's campaigns.
    pub global: LevelHistory,
    /// Campaigns of the same type on the same channels (every organization).
    pub segment: LevelHistory,
    /// This organization's campaigns of the same type on the same channels.
    pub organization: LevelHistory,
    /// Organizations contributing.
    pub organizations: u64,
}

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

/// Median and intervals of a predicted quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Interval {
    /// Median.
    pub median: f64,
    /// 10th percentile.
    pub low_80: f64,
    /// 90th percentile.
    pub high_80: f64,
    /// 2.5th percentile.
    pub low_95: f64,
    /// 97.5th percentile.
    pub high_95: f64,
}

impl Interval {
    fn of(mut values: Vec<f64>) -> Option<Self> {
        values.retain(|v| !v.is_nan());
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let q = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
        Some(Interval {
            median: q(0.5),
            low_80: q(0.1),
            high_80: q(0.9),
            low_95: q(0.025),
            high_95: q(0.975),
        })
    }

    /// Whether `value` lies in the 80% interval.
    pub fn covers_80(&self, value: f64) -> bool {
        self.low_80 <= value && value <= self.high_80
    }

    /// Whether `value` lies in the 95% interval.
    pub fn covers_95(&self, value: f64) -> bool {
        self.low_95 <= value && value <= self.high_95
    }
}

/// One predicted stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StagePrediction {
    /// The stage.
    pub stage: Stage,
    /// The stage its rate is relative to (`null` for reach).
    pub base: Option<Stage>,
    /// The predicted count: median and intervals of the campaign's total.
    #[serde(flatten)]
    pub count: Interval,
    /// Point forecast: the median of the campaign's expected count (base × rate, without the
    /// binomial noise of the count itself).
    pub expected: f64,
    /// The campaign's rate relative to `base` (median and intervals).
    pub rate: Option<Interval>,
    /// What the campaign has recorded so far, when it has results.
    pub observed: Option<f64>,
}

/// Where the reach of a prediction comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReachSource {
    /// The plan's `planned_reach`.
    PlannedReach,
    /// The plan's `budget` times the historical reach per unit of spend.
    Budget,
}

/// A funnel prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Prediction {
    /// Every predicted stage, reach first.
    pub stages: Vec<StagePrediction>,
    /// Stages left out, and why.
    pub skipped: Vec<SkippedStage>,
    /// Where reach comes from.
    pub reach_source: ReachSource,
    /// Revenue, when the history measured revenue per conversion.
    pub revenue: Option<Interval>,
    /// Budget per conversion, when a budget is planned and conversions are predicted.
    pub cost_per_conversion: Option<Interval>,
    /// Return on the budget, `(revenue − budget) / budget`, when both exist.
    pub roi: Option<Interval>,
    /// 0–100 from the relative width of the 80% interval of the last predicted stage
    /// (conversions when predicted): `100 / (1 + (high_80 − low_80) / max(expected, 1))`.
    pub confidence: u8,
    /// The history behind it.
    pub history: HistoryUsed,
    /// Whether the prediction rests on cold-start benchmark priors (no history at all).
    pub cold_start: bool,
    /// One line on what the prediction is based on.
    pub explanation: String,
    /// Monte Carlo draws.
    pub draws: usize,
    /// The seed.
    pub seed: u64,
}

impl Prediction {
    /// The prediction of `stage`, if it was predicted.
    pub fn stage(&self, stage: Stage) -> Option<&StagePrediction> {
        self.stages.iter().find(|s| s.stage == stage)
    }
}

/// Why a prediction cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PredictionError {
    /// Nothing says how many people the campaign will reach.
    #[error("{0}")]
    ReachUnknown(String),
}

fn sum_pools<'a>(pools: impl Iterator<Item = &'a Pool>) -> Pool {
    pools.fold(Pool::default(), |mut acc, p| {
        acc.successes += p.successes;
        acc.failures += p.failures;
        acc
    })
}

pub(crate) fn beta(rng: &mut ChaCha8Rng, a: f64, b: f64) -> f64 {
    let a = a.max(1e-6);
    let b = b.max(1e-6);
    match Beta::new(a, b) {
        Ok(d) => d.sample(rng).clamp(0.0, 1.0),
        Err(_) => a / (a + b),
    }
}

pub(crate) fn binomial(rng: &mut ChaCha8Rng, n: f64, p: f64) -> f64 {
    let n = n.max(0.0).round() as u64;
    match Binomial::new(n, p.clamp(0.0, 1.0)) {
        Ok(d) => d.sample(rng) as f64,
        Err(_) => n as f64 * p,
    }
}

/// A group mean drawn around its parent's: `Beta(τ·parent + s, τ·(1−parent) + f)`; the parent
/// itself when the level's strength is capped (groups do not differ) and it has no own evidence.
fn draw_level(rng: &mut ChaCha8Rng, parent: f64, tau: f64, pool: &Pool) -> f64 {
    if tau >= TAU_CAP && pool.weight() == 0.0 {
        return parent;
    }
    let tau = tau.min(TAU_CAP);
    beta(
        rng,
        tau * parent + pool.successes,
        tau * (1.0 - parent) + pool.failures,
    )
}

/// The stage's evidence pools for a request: every unit, the segment's other organizations,
/// and this organization — with the campaign's own results taken out when the model holds them.
struct RequestPools {
    global: Pool,
    segment_others: Pool,
    org: Pool,
    own: Option<Trial>,
}

fn request_pools(
    model: &StageModel,
    keys: &[SegmentKey],
    request: &PredictionRequest,
) -> RequestPools {
    let mut global = model.global;
    let segment = sum_pools(keys.iter().filter_map(|k| model.segments.get(k)));
    let mut org = sum_pools(
        keys.iter()
            .filter_map(|k| model.orgs.get(&(*k, request.org_group))),
    );
    let segment_others = Pool {
        successes: (segment.successes - org.successes).max(0.0),
        failures: (segment.failures - org.failures).max(0.0),
    };
    let mut own_successes = 0.0;
    let mut own_trials = 0.0;
    for o in &request.own_results {
        if let Some(t) = trial(o, model.stage, model.base) {
            own_successes += t.successes;
            own_trials += t.trials;
            if request.own_results_in_history {
                global.remove(&t, model.kappa);
                // A channel outside the segment was never in the segment's or the org's pool.
                if keys.contains(&(o.campaign_type, o.channel)) {
                    org.remove(&t, model.kappa);
                }
            }
        }
    }
    RequestPools {
        global,
        segment_others,
        org,
        own: (own_trials > 0.0).then_some(Trial {
            successes: own_successes,
            trials: own_trials,
        }),
    }
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
        let mut levels: [(BTreeSet<Uuid>, u64); 3] = Default::default();
        let mut orgs = BTreeSet::new();
        for o in self
            .model
            .outcomes
            .iter()
            .filter(|o| !own.contains(&o.campaign_group))
        {
            orgs.insert(o.org_group);
            let in_segment = keys.contains(&(o.campaign_type, o.channel));
            let in_org = in_segment && o.org_group == request.org_group;
            for (level, applies) in levels.iter_mut().zip([true, in_segment, in_org]) {
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
        HistoryUsed {
            global: level(0),
            segment: level(1),
            organization: level(2),
            organizations: orgs.len() as u64,
        }
    }

    /// Predicts the campaign's funnel. Fails only when its reach cannot be known.
    pub fn predict(&self, request: &PredictionRequest) -> Result<Prediction, PredictionError> {
        let keys = self.segment_keys(request);
        let cold_start = self.model.is_empty();
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
            .filter_map(Measured::spend_amount)
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
                .filter_map(Measured::revenue_amount)
                .sum(),
            reach: self.reach_plan(request, &keys, own_spend, observed)?,
            value_per_conversion: self
                .model
                .value_per_conversion
                .predictive(&keys)
                .map(|(dist, _)| dist),
            predicts_conversions: stages.iter().any(|m| m.stage == Stage::Conversions),
        };
        let draws = request.draws.max(1);
        let mut rng = ChaCha8Rng::seed_from_u64(request.seed);
        let mut samples = Samples::with_capacity(draws);
        for _ in 0..draws {
            simulation.draw(&mut rng, &mut samples);
        }
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
        Ok(Prediction {
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
        })
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
                let Some((reach_per_spend, _)) = self.model.reach_per_spend.predictive(keys) else {
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

/// Where each draw's reach still to come is taken from.
enum ReachPlan {
    /// The planned reach not reached yet.
    Planned(f64),
    /// The budget not spent yet, at a drawn reach per unit of spend.
    Budget {
        remaining: f64,
        reach_per_spend: Normal<f64>,
    },
}

impl ReachPlan {
    fn source(&self) -> ReachSource {
        match self {
            ReachPlan::Planned(_) => ReachSource::PlannedReach,
            ReachPlan::Budget { .. } => ReachSource::Budget,
        }
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> f64 {
        match self {
            ReachPlan::Planned(remaining) => *remaining,
            ReachPlan::Budget {
                remaining,
                reach_per_spend,
            } => (remaining * reach_per_spend.sample(rng).exp()).round(),
        }
    }
}

/// Everything one Monte Carlo draw needs, fixed for the whole prediction.
struct Simulation<'r> {
    request: &'r PredictionRequest,
    stages: &'r [StageModel],
    pools: Vec<RequestPools>,
    /// The campaign's recorded totals, in funnel order.
    observed: [Option<f64>; 4],
    own_reach: f64,
    own_revenue: f64,
    reach: ReachPlan,
    value_per_conversion: Option<Normal<f64>>,
    predicts_conversions: bool,
}

/// Per stage of one draw: (total count, remaining count, expected total, expected remaining).
type DrawnStage = (f64, f64, f64, f64);

impl Simulation<'_> {
    /// One draw: the reach still to come, every stage's rate down the levels (global, segment,
    /// organization, campaign) and its count, then revenue, cost per conversion and ROI.
    fn draw(&self, rng: &mut ChaCha8Rng, samples: &mut Samples) {
        let remaining_reach = self.reach.draw(rng);
        let mut state: [DrawnStage; 4] = [(0.0, 0.0, 0.0, 0.0); 4];
        state[0] = (
            self.own_reach + remaining_reach,
            remaining_reach,
            self.own_reach + remaining_reach,
            remaining_reach,
        );
        samples.totals[0].push(state[0].0);
        samples.expected[0].push(state[0].2);
        for (model, pool) in self.stages.iter().zip(&self.pools) {
            let (drawn, p) = self.draw_stage(rng, model, pool, state[model.base.index()]);
            let i = model.stage.index();
            state[i] = drawn;
            samples.totals[i].push(drawn.0);
            samples.expected[i].push(drawn.2);
            samples.rates[i].push(p);
        }
        if self.predicts_conversions {
            self.draw_money(rng, state[Stage::Conversions.index()], samples);
        }
    }

    /// One stage's rate and counts, given its base stage's draw.
    fn draw_stage(
        &self,
        rng: &mut ChaCha8Rng,
        model: &StageModel,
        pool: &RequestPools,
        base: DrawnStage,
    ) -> (DrawnStage, f64) {
        let mu_global = beta(rng, 0.5 + pool.global.successes, 0.5 + pool.global.failures);
        let mu_segment = draw_level(rng, mu_global, model.tau_segment, &pool.segment_others);
        let mu_org = draw_level(rng, mu_segment, model.tau_org, &pool.org);
        let (successes, trials) = pool.own.map_or((0.0, 0.0), |t| (t.successes, t.trials));
        let p = beta(
            rng,
            model.kappa * mu_org + successes,
            model.kappa * (1.0 - mu_org) + trials - successes,
        );
        let drawn = match (pool.own, self.observed[model.stage.index()]) {
            (Some(_), Some(k)) => {
                let remaining = binomial(rng, base.1, p);
                (k + remaining, remaining, k + base.3 * p, base.3 * p)
            }
            _ => {
                let total = binomial(rng, base.0, p);
                (total, total, base.2 * p, base.2 * p)
            }
        };
        (drawn, p)
    }

    /// Revenue (recorded plus the new conversions at a drawn value each), and against the
    /// budget, cost per conversion and ROI.
    fn draw_money(&self, rng: &mut ChaCha8Rng, conversions: DrawnStage, samples: &mut Samples) {
        let revenue = self
            .value_per_conversion
            .as_ref()
            .map(|dist| self.own_revenue + conversions.1 * dist.sample(rng).exp());
        if let Some(r) = revenue {
            samples.revenue.push(r);
        }
        if let Some(budget) = self.request.budget.filter(|b| *b > 0.0) {
            samples.cost.push(if conversions.0 > 0.0 {
                budget / conversions.0
            } else {
                f64::INFINITY
            });
            if let Some(r) = revenue {
                samples.roi.push((r - budget) / budget);
            }
        }
    }
}

/// The draws of one prediction: per stage (funnel order) and for the money figures.
struct Samples {
    totals: [Vec<f64>; 4],
    expected: [Vec<f64>; 4],
    rates: [Vec<f64>; 4],
    revenue: Vec<f64>,
    cost: Vec<f64>,
    roi: Vec<f64>,
}

impl Samples {
    fn with_capacity(draws: usize) -> Self {
        let per_stage = || std::array::from_fn(|_| Vec::with_capacity(draws));
        Samples {
            totals: per_stage(),
            expected: per_stage(),
            rates: per_stage(),
            revenue: Vec::with_capacity(draws),
            cost: Vec::with_capacity(draws),
            roi: Vec::with_capacity(draws),
        }
    }

    /// Every drawn stage's count, point forecast and rate intervals.
    fn stage_predictions(
        &mut self,
        stages: &[StageModel],
        observed: &[Option<f64>; 4],
    ) -> Vec<StagePrediction> {
        let mut predicted = Vec::new();
        for stage in Stage::ALL {
            let i = stage.index();
            if self.totals[i].is_empty() {
                continue;
            }
            let Some(count) = Interval::of(std::mem::take(&mut self.totals[i])) else {
                continue;
            };
            let point = Interval::of(std::mem::take(&mut self.expected[i]))
                .map_or(count.median, |e| e.median);
            predicted.push(StagePrediction {
                stage,
                base: stages.iter().find(|m| m.stage == stage).map(|m| m.base),
                count,
                expected: point,
                rate: Interval::of(std::mem::take(&mut self.rates[i])),
                observed: observed[i],
            });
        }
        predicted
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
        format!(
            "Pooled from {} campaigns of {} organizations, {} of them {} campaigns on the same channels, {} yours",
            history.global.campaigns,
            history.organizations,
            history.segment.campaigns,
            request.campaign_type,
            history.organization.campaigns
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
