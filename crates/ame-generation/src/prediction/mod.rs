//! Funnel performance prediction from recorded results.
//!
//! The funnel is reach → clicks → leads → conversions (+ revenue). Each stage's rate is a
//! hierarchical Beta-Binomial: a campaign's rate varies around its organization's mean for the
//! campaign type and channel, which varies around the segment's (type × channel) mean across
//! organizations, which varies around the global mean. The dispersion `κ` comes from maximum
//! likelihood, the prior strengths `τ` of the segment and organization levels from the variation
//! between groups (empirical Bayes), so a new organization starts from the pooled history and its
//! own campaigns take over as they accumulate. Predictions are Monte Carlo draws through that
//! chain, so the intervals hold the uncertainty of every mean, the between-campaign spread and
//! the binomial noise. `docs/prediction.md` describes the model and its cold-start priors.
//!
//! Everything here is pure and deterministic for a given history, request and seed.

pub mod backtest;
mod fit;

pub use fit::{
    KAPPA_RANGE, Pool, TAU_CAP, Trial, evidence_weight, fit_dispersion, fit_group,
    fit_grouped_dispersion, prior_strength,
};

use ame_domain::{CampaignType, Channel, FunnelMetrics};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Binomial, Distribution, Normal};
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, DefaultHasher};

/// A hash map whose iteration order depends only on its contents, so sums over it are
/// reproducible bit for bit.
type DetMap<K, V> = HashMap<K, V, BuildHasherDefault<DefaultHasher>>;
use uuid::Uuid;

/// Default number of Monte Carlo draws.
pub const DEFAULT_DRAWS: usize = 4000;
/// Prior strength used for a level whose variation cannot be estimated (fewer than two groups):
/// weak, so the level's own data soon dominates.
pub const DEFAULT_TAU: f64 = 20.0;
/// Strength, in campaigns' worth of evidence, of the cold-start benchmark priors.
pub const COLD_START_STRENGTH: f64 = 2.0;
/// Between-campaign dispersion assumed at cold start: wide (a campaign's rate may easily be a
/// few times the benchmark or a fraction of it).
pub const COLD_START_KAPPA: f64 = 20.0;

/// A funnel stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// People or impressions reached.
    Reach,
    /// Clicks.
    Clicks,
    /// Leads.
    Leads,
    /// Conversions.
    Conversions,
}

impl Stage {
    /// Every stage in funnel order.
    pub const ALL: [Stage; 4] = [
        Stage::Reach,
        Stage::Clicks,
        Stage::Leads,
        Stage::Conversions,
    ];

    /// The stage's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Reach => "reach",
            Stage::Clicks => "clicks",
            Stage::Leads => "leads",
            Stage::Conversions => "conversions",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The sum of `stage` over `outcomes`, `None` when none of them measured it.
pub fn total_count(outcomes: &[Outcome], stage: Stage) -> Option<f64> {
    outcomes
        .iter()
        .filter_map(|o| o.count(stage))
        .fold(None, |sum, v| Some(sum.unwrap_or(0.0) + v))
}

/// One history unit (a campaign's totals on one channel), as numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Opaque key of the organization.
    pub org_group: Uuid,
    /// Opaque key of the campaign.
    pub campaign: Uuid,
    /// Campaign type.
    pub campaign_type: CampaignType,
    /// Channel.
    pub channel: Channel,
    /// Records summed.
    pub records: u32,
    /// Counts in funnel order (`None` = not measured).
    pub counts: [Option<f64>; 4],
    /// Spend.
    pub spend: Option<f64>,
    /// Revenue.
    pub revenue: Option<f64>,
}

impl Outcome {
    /// An outcome from measured totals.
    pub fn new(
        org_group: Uuid,
        campaign: Uuid,
        campaign_type: CampaignType,
        channel: Channel,
        records: u32,
        metrics: &FunnelMetrics,
    ) -> Self {
        let count = |v: Option<i64>| v.map(|v| v as f64);
        let money = |v: Option<rust_decimal::Decimal>| v.and_then(|v| v.to_f64());
        Outcome {
            org_group,
            campaign,
            campaign_type,
            channel,
            records,
            counts: [
                count(metrics.reach),
                count(metrics.clicks),
                count(metrics.leads),
                count(metrics.conversions),
            ],
            spend: money(metrics.spend),
            revenue: money(metrics.revenue),
        }
    }

    /// The count of `stage`.
    pub fn count(&self, stage: Stage) -> Option<f64> {
        self.counts[stage.index()]
    }

    fn trial(&self, stage: Stage, base: Stage) -> Option<Trial> {
        let successes = self.count(stage)?;
        let trials = self.count(base)?;
        (trials > 0.0 && successes <= trials).then_some(Trial { successes, trials })
    }
}

type SegmentKey = (CampaignType, Channel);

/// A fitted stage: its base, dispersion, prior strengths and the evidence pools per level.
#[derive(Debug, Clone)]
struct StageModel {
    stage: Stage,
    base: Stage,
    kappa: f64,
    tau_segment: f64,
    tau_org: f64,
    global: Pool,
    segments: DetMap<SegmentKey, Pool>,
    orgs: DetMap<(SegmentKey, Uuid), Pool>,
}

/// A stage the predictor leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkippedStage {
    /// The stage.
    pub stage: Stage,
    /// Why it is not predicted.
    pub reason: String,
}

/// Logarithms of a ratio (reach per spend, revenue per conversion) by segment and overall.
#[derive(Debug, Clone, Default)]
struct LogRatios {
    global: Vec<f64>,
    segments: DetMap<SegmentKey, Vec<f64>>,
}

impl LogRatios {
    fn push(&mut self, key: SegmentKey, value: f64) {
        self.global.push(value);
        self.segments.entry(key).or_default().push(value);
    }

    /// A normal predictive distribution for a new campaign's log ratio: the target's segments if
    /// they hold at least 3 campaigns, else everything; `None` without data.
    fn predictive(&self, keys: &[SegmentKey]) -> Option<(Normal<f64>, usize)> {
        let segment: Vec<f64> = keys
            .iter()
            .filter_map(|k| self.segments.get(k))
            .flatten()
            .copied()
            .collect();
        let values = if segment.len() >= 3 {
            &segment
        } else {
            &self.global
        };
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n >= 2 {
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            var.sqrt().max(0.05)
        } else {
            1.0
        };
        let spread = sd * (1.0 + 1.0 / n as f64).sqrt();
        Normal::new(mean, spread).ok().map(|d| (d, n))
    }
}

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

/// The fitted history: what the predictor learned from every organization's results.
/// Fitting is the expensive part; one model serves every organization and campaign.
#[derive(Debug, Clone)]
pub struct HistoryModel {
    outcomes: Vec<Outcome>,
    stages: Vec<StageModel>,
    skipped: Vec<SkippedStage>,
    reach_per_spend: LogRatios,
    value_per_conversion: LogRatios,
}

/// The earlier stage a stage is a rate of: the nearest earlier stage measured together with it
/// that bounds it in every history unit (leads that exceed clicks — view-through leads — are a
/// rate of reach instead). `Err` explains why the stage cannot be predicted.
fn choose_base(outcomes: &[Outcome], stage: Stage) -> Result<Stage, String> {
    let earlier = &Stage::ALL[..stage.index()];
    let mut measured_any = false;
    for base in earlier.iter().rev() {
        let pairs: Vec<(f64, f64)> = outcomes
            .iter()
            .filter_map(|o| Some((o.count(stage)?, o.count(*base)?)))
            .filter(|(_, n)| *n > 0.0)
            .collect();
        if pairs.is_empty() {
            continue;
        }
        measured_any = true;
        if pairs.iter().all(|(k, n)| k <= n) {
            return Ok(*base);
        }
    }
    Err(if measured_any {
        format!(
            "{} exceed every earlier stage in some history records, so no rate can be formed",
            stage.as_str()
        )
    } else {
        format!(
            "{} were never measured together with an earlier stage in the history",
            stage.as_str()
        )
    })
}

/// Evidence pools of one stage: overall, per segment and per organization within a segment.
type LevelPools = (
    Pool,
    DetMap<SegmentKey, Pool>,
    DetMap<(SegmentKey, Uuid), Pool>,
);

fn pools(units: &[(usize, SegmentKey, Uuid, Trial)], kappa: f64) -> LevelPools {
    let mut global = Pool::default();
    let mut segments: DetMap<SegmentKey, Pool> = DetMap::default();
    let mut orgs: DetMap<(SegmentKey, Uuid), Pool> = DetMap::default();
    for (_, key, org, t) in units {
        global.add(t, kappa);
        segments.entry(*key).or_default().add(t, kappa);
        orgs.entry((*key, *org)).or_default().add(t, kappa);
    }
    (global, segments, orgs)
}

fn fit_stage(outcomes: &[Outcome], stage: Stage, base: Stage) -> Option<StageModel> {
    let units: Vec<(usize, SegmentKey, Uuid, Trial)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            Some((
                i,
                (o.campaign_type, o.channel),
                o.org_group,
                o.trial(stage, base)?,
            ))
        })
        .collect();
    let trials: Vec<Trial> = units.iter().map(|u| u.3).collect();
    let (_, global_kappa) = fit_group(&trials)?;
    let mut groups: DetMap<(SegmentKey, Uuid), Vec<Trial>> = DetMap::default();
    for (_, key, org, t) in &units {
        groups.entry((*key, *org)).or_default().push(*t);
    }
    let groups: Vec<Vec<Trial>> = groups.into_values().collect();
    let kappa = fit_grouped_dispersion(&groups).unwrap_or(global_kappa);
    let (global, segments, orgs) = pools(&units, kappa);
    let global_mean = global.mean().unwrap_or(0.0);
    let segment_groups: Vec<(Pool, f64)> = segments.values().map(|p| (*p, global_mean)).collect();
    let org_groups: Vec<(Pool, f64)> = orgs
        .iter()
        .map(|((key, _), p)| {
            let seg_mean = segments
                .get(key)
                .and_then(Pool::mean)
                .unwrap_or(global_mean);
            (*p, seg_mean)
        })
        .collect();
    Some(StageModel {
        stage,
        base,
        kappa,
        tau_segment: prior_strength(&segment_groups).unwrap_or(DEFAULT_TAU),
        tau_org: prior_strength(&org_groups).unwrap_or(DEFAULT_TAU),
        global,
        segments,
        orgs,
    })
}

impl HistoryModel {
    /// Fits the model to every organization's outcomes.
    pub fn fit(outcomes: Vec<Outcome>) -> Self {
        let mut stages = Vec::new();
        let mut skipped = Vec::new();
        if !outcomes.is_empty() {
            for stage in &Stage::ALL[1..] {
                match choose_base(&outcomes, *stage) {
                    Ok(base) => match fit_stage(&outcomes, *stage, base) {
                        Some(model) => stages.push(model),
                        None => skipped.push(SkippedStage {
                            stage: *stage,
                            reason: format!("no history unit measured {}", stage.as_str()),
                        }),
                    },
                    Err(reason) => skipped.push(SkippedStage {
                        stage: *stage,
                        reason,
                    }),
                }
            }
        }
        let mut reach_per_spend = LogRatios::default();
        let mut value_per_conversion = LogRatios::default();
        for o in &outcomes {
            let key = (o.campaign_type, o.channel);
            if let (Some(reach), Some(spend)) = (o.count(Stage::Reach), o.spend)
                && reach > 0.0
                && spend > 0.0
            {
                reach_per_spend.push(key, (reach / spend).ln());
            }
            if let (Some(conversions), Some(revenue)) = (o.count(Stage::Conversions), o.revenue)
                && conversions > 0.0
                && revenue > 0.0
            {
                value_per_conversion.push(key, (revenue / conversions).ln());
            }
        }
        HistoryModel {
            outcomes,
            stages,
            skipped,
            reach_per_spend,
            value_per_conversion,
        }
    }

    /// The outcomes (one per channel) of the campaign with opaque key `campaign`: its results so
    /// far, exactly as the model holds them.
    pub fn outcomes_of(&self, campaign: Uuid) -> Vec<Outcome> {
        self.outcomes
            .iter()
            .filter(|o| o.campaign == campaign)
            .cloned()
            .collect()
    }

    /// Whether the model was fitted without any history.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// The fitted dispersion and prior strengths per stage: `(stage, base, κ, τ_segment, τ_org)`.
    pub fn hyperparameters(&self) -> Vec<(Stage, Stage, f64, f64, f64)> {
        self.stages
            .iter()
            .map(|s| (s.stage, s.base, s.kappa, s.tau_segment, s.tau_org))
            .collect()
    }
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
    pub own_results: Vec<Outcome>,
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

/// Published benchmarks used as weak priors when there is no history at all
/// (sources in `docs/prediction.md`).
fn cold_start_rate(stage: Stage, channels: &[Channel]) -> f64 {
    match stage {
        Stage::Reach => 1.0,
        Stage::Clicks => {
            let rate = |c: &Channel| match c {
                Channel::GoogleSearch => 0.0642,
                Channel::GoogleDisplay => 0.0046,
                Channel::Facebook | Channel::Instagram => 0.0090,
                Channel::Linkedin => 0.0044,
                Channel::Email => 0.0262,
                _ => 0.0090,
            };
            if channels.is_empty() {
                0.0090
            } else {
                channels.iter().map(rate).sum::<f64>() / channels.len() as f64
            }
        }
        Stage::Leads => 0.066,
        Stage::Conversions => 0.025,
    }
}

fn cold_start_stages(channels: &[Channel]) -> Vec<StageModel> {
    let mut base = Stage::Reach;
    Stage::ALL[1..]
        .iter()
        .map(|stage| {
            let mean = cold_start_rate(*stage, channels);
            let model = StageModel {
                stage: *stage,
                base,
                kappa: COLD_START_KAPPA,
                tau_segment: TAU_CAP,
                tau_org: TAU_CAP,
                global: Pool {
                    successes: mean * COLD_START_STRENGTH,
                    failures: (1.0 - mean) * COLD_START_STRENGTH,
                },
                segments: DetMap::default(),
                orgs: DetMap::default(),
            };
            base = *stage;
            model
        })
        .collect()
}

fn sum_pools<'a>(pools: impl Iterator<Item = &'a Pool>) -> Pool {
    pools.fold(Pool::default(), |mut acc, p| {
        acc.successes += p.successes;
        acc.failures += p.failures;
        acc
    })
}

fn beta(rng: &mut ChaCha8Rng, a: f64, b: f64) -> f64 {
    let a = a.max(1e-6);
    let b = b.max(1e-6);
    match Beta::new(a, b) {
        Ok(d) => d.sample(rng).clamp(0.0, 1.0),
        Err(_) => a / (a + b),
    }
}

fn binomial(rng: &mut ChaCha8Rng, n: f64, p: f64) -> f64 {
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
        if let Some(t) = o.trial(model.stage, model.base) {
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
            request.own_results.iter().map(|o| o.campaign).collect()
        } else {
            BTreeSet::new()
        };
        let mut levels: [(BTreeSet<Uuid>, u64); 3] = Default::default();
        let mut orgs = BTreeSet::new();
        for o in self
            .model
            .outcomes
            .iter()
            .filter(|o| !own.contains(&o.campaign))
        {
            orgs.insert(o.org_group);
            let in_segment = keys.contains(&(o.campaign_type, o.channel));
            let in_org = in_segment && o.org_group == request.org_group;
            for (level, applies) in levels.iter_mut().zip([true, in_segment, in_org]) {
                if applies {
                    level.0.insert(o.campaign);
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
        let observed_totals = Stage::ALL.map(|stage| total_count(&request.own_results, stage));
        let own_total = |stage: Stage| observed_totals[stage.index()];
        let own_spend: f64 = request.own_results.iter().filter_map(|o| o.spend).sum();
        let own_revenue: f64 = request.own_results.iter().filter_map(|o| o.revenue).sum();
        let own_reach = own_total(Stage::Reach).unwrap_or(0.0);

        let (reach_source, remaining_budget_reach) = match (request.planned_reach, request.budget) {
            (Some(_), _) => (ReachSource::PlannedReach, None),
            (None, Some(budget)) => {
                let Some((dist, _)) = self.model.reach_per_spend.predictive(&keys) else {
                    return Err(PredictionError::ReachUnknown(
                        "reach is unknown: the history holds no campaign with both reach and spend, so the budget cannot be turned into reach; set the plan's planned_reach".to_owned(),
                    ));
                };
                (
                    ReachSource::Budget,
                    Some(((budget - own_spend).max(0.0), dist)),
                )
            }
            (None, None) => {
                return Err(PredictionError::ReachUnknown(
                    "reach is unknown: set the plan's planned_reach, or its budget when the history holds campaigns with reach and spend".to_owned(),
                ));
            }
        };
        let planned_remaining = request.planned_reach.map(|p| (p - own_reach).max(0.0));

        let pools: Vec<RequestPools> = stages
            .iter()
            .map(|m| request_pools(m, &keys, request))
            .collect();
        let value_dist = self.model.value_per_conversion.predictive(&keys);

        let draws = request.draws.max(1);
        let mut rng = ChaCha8Rng::seed_from_u64(request.seed);
        let fresh = || -> Vec<Vec<f64>> { (0..4).map(|_| Vec::with_capacity(draws)).collect() };
        let mut totals = fresh();
        let mut expected = fresh();
        let mut rates = fresh();
        let mut revenue_draws = Vec::with_capacity(draws);
        let mut cost_draws = Vec::with_capacity(draws);
        let mut roi_draws = Vec::with_capacity(draws);
        for _ in 0..draws {
            let remaining_reach = match (&planned_remaining, &remaining_budget_reach) {
                (Some(r), _) => *r,
                (None, Some((budget, dist))) => (budget * dist.sample(&mut rng).exp()).round(),
                (None, None) => 0.0,
            };
            // Per stage: (total count, remaining count, expected total, expected remaining).
            let mut state = [(0.0f64, 0.0f64, 0.0f64, 0.0f64); 4];
            state[0] = (
                own_reach + remaining_reach,
                remaining_reach,
                own_reach + remaining_reach,
                remaining_reach,
            );
            totals[0].push(state[0].0);
            expected[0].push(state[0].2);
            for (model, pool) in stages.iter().zip(&pools) {
                let mu_global = beta(
                    &mut rng,
                    0.5 + pool.global.successes,
                    0.5 + pool.global.failures,
                );
                let mu_segment =
                    draw_level(&mut rng, mu_global, model.tau_segment, &pool.segment_others);
                let mu_org = draw_level(&mut rng, mu_segment, model.tau_org, &pool.org);
                let base = state[model.base.index()];
                let (successes, trials) = pool.own.map_or((0.0, 0.0), |t| (t.successes, t.trials));
                let p = beta(
                    &mut rng,
                    model.kappa * mu_org + successes,
                    model.kappa * (1.0 - mu_org) + trials - successes,
                );
                let observed = own_total(model.stage);
                let s = match (pool.own, observed) {
                    (Some(_), Some(k)) => {
                        let remaining = binomial(&mut rng, base.1, p);
                        (k + remaining, remaining, k + base.3 * p, base.3 * p)
                    }
                    _ => {
                        let total = binomial(&mut rng, base.0, p);
                        (total, total, base.2 * p, base.2 * p)
                    }
                };
                state[model.stage.index()] = s;
                totals[model.stage.index()].push(s.0);
                expected[model.stage.index()].push(s.2);
                rates[model.stage.index()].push(p);
            }
            let conversions = state[Stage::Conversions.index()];
            let predicted_conversions = stages.iter().any(|m| m.stage == Stage::Conversions);
            if predicted_conversions {
                let revenue = value_dist.as_ref().map(|(dist, _)| {
                    let new = conversions.1 * dist.sample(&mut rng).exp();
                    own_revenue + new
                });
                if let Some(r) = revenue {
                    revenue_draws.push(r);
                }
                if let Some(budget) = request.budget.filter(|b| *b > 0.0) {
                    cost_draws.push(if conversions.0 > 0.0 {
                        budget / conversions.0
                    } else {
                        f64::INFINITY
                    });
                    if let Some(r) = revenue {
                        roi_draws.push((r - budget) / budget);
                    }
                }
            }
        }

        let mut predicted = Vec::new();
        for stage in Stage::ALL {
            let i = stage.index();
            if totals[i].is_empty() {
                continue;
            }
            let Some(count) = Interval::of(std::mem::take(&mut totals[i])) else {
                continue;
            };
            let point =
                Interval::of(std::mem::take(&mut expected[i])).map_or(count.median, |e| e.median);
            predicted.push(StagePrediction {
                stage,
                base: stages.iter().find(|m| m.stage == stage).map(|m| m.base),
                count,
                expected: point,
                rate: Interval::of(std::mem::take(&mut rates[i])),
                observed: own_total(stage),
            });
        }
        let confidence = predicted
            .last()
            .map(|s| {
                let width = (s.count.high_80 - s.count.low_80) / s.expected.max(1.0);
                (100.0 / (1.0 + width)).round().clamp(0.0, 100.0) as u8
            })
            .unwrap_or(0);
        let history = self.history_used(&keys, request);
        let skipped = self.model.skipped.clone();
        let explanation = explain(
            request,
            &history,
            reach_source,
            &predicted,
            &skipped,
            cold_start,
        );
        Ok(Prediction {
            stages: predicted,
            skipped,
            reach_source,
            revenue: Interval::of(revenue_draws),
            cost_per_conversion: Interval::of(cost_draws),
            roi: Interval::of(roi_draws),
            confidence,
            history,
            cold_start,
            explanation,
            draws,
            seed: request.seed,
        })
    }
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

#[cfg(test)]
mod tests;
