//! Fitting the history: every organization's per-channel outcomes turned into per-stage
//! evidence pools (overall, per segment, per organization within a segment) with their fitted
//! dispersion and prior strengths. The expensive part, shared by every prediction.

use crate::fit::{Pool, TAU_CAP, Trial, fit_group, fit_grouped_dispersion, prior_strength};
use crate::robust::{capped_scales, org_weights, scaled};
use crate::scale::{Scale, ScaleEffect};
use crate::{COLD_START_SHAPE, COLD_START_STRENGTH, DEFAULT_TAU, Stage, amount, trial};
use ame_domain::{CampaignType, Channel, ChannelOutcome};
use rand_distr::Normal;
use serde::Serialize;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher};
use uuid::Uuid;

/// A hash map whose iteration order depends only on its contents, so sums over it are
/// reproducible bit for bit.
pub(crate) type DetMap<K, V> = HashMap<K, V, BuildHasherDefault<DefaultHasher>>;

/// A campaign type on a channel: the level between an organization and the whole history.
pub(crate) type SegmentKey = (CampaignType, Channel);

/// Default fewest organizations a pooled level must hold before other organizations' results
/// are pooled into anyone's prediction.
pub const DEFAULT_MIN_ORGS: usize = 5;

/// How far results are pooled across organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pooling {
    /// Fewest organizations a level (a segment, or the whole history) must hold before other
    /// organizations' results are pooled into it; below that a level holds only the asking
    /// organization's own results and the published benchmarks.
    pub min_orgs: usize,
}

impl Default for Pooling {
    fn default() -> Self {
        Pooling {
            min_orgs: DEFAULT_MIN_ORGS,
        }
    }
}

/// One organization's evidence in a pooled level: what it contributes after the weight cap and
/// outlier down-weighting, and that contribution's share of its raw evidence.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Contribution {
    pub(crate) pool: Pool,
    pub(crate) scale: f64,
    pub(crate) plausibility: f64,
}

/// A pooled level: the organizations' contributions summed, and how many organizations there are.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct PooledLevel {
    pub(crate) pool: Pool,
    pub(crate) orgs: usize,
}

/// A fitted stage: its base, dispersion, prior strengths and the evidence pools per level.
#[derive(Debug, Clone)]
pub(crate) struct StageModel {
    pub(crate) stage: Stage,
    pub(crate) base: Stage,
    /// How the stage's rate moves with a campaign's scale; the pools hold scale-adjusted
    /// evidence about the rate of a campaign of typical scale.
    pub(crate) scale: ScaleEffect,
    pub(crate) kappa: f64,
    pub(crate) tau_segment: f64,
    pub(crate) tau_org: f64,
    /// Every organization's contributions.
    pub(crate) global: PooledLevel,
    /// Each organization's contribution to `global`.
    pub(crate) global_shares: DetMap<Uuid, Contribution>,
    /// Per segment, its organizations' contributions.
    pub(crate) segments: DetMap<SegmentKey, PooledLevel>,
    /// Each organization's contribution to its segments.
    pub(crate) segment_shares: DetMap<(SegmentKey, Uuid), Contribution>,
    /// Each organization's own evidence per segment, unscaled.
    pub(crate) orgs: DetMap<(SegmentKey, Uuid), Pool>,
    /// Fewest organizations a level needs before it is pooled across organizations.
    pub(crate) min_orgs: usize,
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

/// Logarithms of a ratio (reach per spend, revenue per conversion), one per campaign, with the
/// organization and segment each came from.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogRatios {
    values: Vec<(Uuid, SegmentKey, f64)>,
}

impl LogRatios {
    fn push(&mut self, org: Uuid, key: SegmentKey, value: f64) {
        self.values.push((org, key, value));
    }

    /// The values `org` may learn from: its own, and everyone's when at least `min_orgs`
    /// organizations measured the ratio.
    fn visible(&self, org: Uuid, min_orgs: usize) -> Vec<&(Uuid, SegmentKey, f64)> {
        let orgs: std::collections::BTreeSet<Uuid> = self.values.iter().map(|v| v.0).collect();
        let shared = orgs.len() >= min_orgs;
        self.values
            .iter()
            .filter(|v| shared || v.0 == org)
            .collect()
    }

    /// A normal predictive distribution for a new campaign's log ratio: the target's segments if
    /// they hold at least 3 campaigns, else everything visible to `org`; `None` without data.
    /// Every organization weighs the same in the centre and spread (a weighted median and
    /// median absolute deviation), so no single organization can move them far.
    pub(crate) fn predictive(
        &self,
        keys: &[SegmentKey],
        org: Uuid,
        min_orgs: usize,
    ) -> Option<(Normal<f64>, usize)> {
        let visible = self.visible(org, min_orgs);
        let segment: Vec<&(Uuid, SegmentKey, f64)> = visible
            .iter()
            .filter(|v| keys.contains(&v.1))
            .copied()
            .collect();
        let values = if segment.len() >= 3 { segment } else { visible };
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mut per_org: DetMap<Uuid, f64> = DetMap::default();
        for v in &values {
            *per_org.entry(v.0).or_default() += 1.0;
        }
        let ratios: Vec<f64> = values.iter().map(|v| v.2).collect();
        let weights: Vec<f64> = values.iter().map(|v| 1.0 / per_org[&v.0]).collect();
        let centre = crate::robust::weighted_median(&ratios, &weights);
        let sd = if n >= 2 {
            let deviations: Vec<f64> = ratios.iter().map(|r| (r - centre).abs()).collect();
            (1.4826 * crate::robust::weighted_median(&deviations, &weights)).max(0.05)
        } else {
            1.0
        };
        let spread = sd * (1.0 + 1.0 / n as f64).sqrt();
        Normal::new(centre, spread).ok().map(|d| (d, n))
    }
}

/// Fitting is the expensive part; one model serves every organization and campaign.
#[derive(Debug, Clone)]
pub struct HistoryModel {
    pub(crate) outcomes: Vec<ChannelOutcome>,
    pub(crate) stages: Vec<StageModel>,
    pub(crate) skipped: Vec<SkippedStage>,
    pub(crate) reach_per_spend: LogRatios,
    pub(crate) value_per_conversion: LogRatios,
    pub(crate) pooling: Pooling,
    /// With fewer organizations than [`Pooling::min_orgs`], one model per organization fitted
    /// on its own results alone (nothing, not even the dispersion, is learnt across them).
    pub(crate) per_org: Option<DetMap<Uuid, HistoryModel>>,
}

/// The earlier stage a stage is a rate of: the nearest earlier stage measured together with it
/// that bounds it in every history unit (leads that exceed clicks — view-through leads — are a
/// rate of reach instead). `Err` explains why the stage cannot be predicted.
fn choose_base(outcomes: &[ChannelOutcome], stage: Stage) -> Result<Stage, String> {
    let earlier = &Stage::ALL[..stage.index()];
    let mut measured_any = false;
    for base in earlier.iter().rev() {
        let pairs: Vec<(f64, f64)> = outcomes
            .iter()
            .filter_map(|o| Some((stage.count(o)?, base.count(o)?)))
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

/// One stage's pooled levels: per segment, each organization's contribution to its segments,
/// overall, and each organization's contribution overall.
type Levels = (
    DetMap<SegmentKey, PooledLevel>,
    DetMap<(SegmentKey, Uuid), Contribution>,
    PooledLevel,
    DetMap<Uuid, Contribution>,
);

/// The pooled levels of one stage from each organization's raw evidence per segment: within
/// each segment the organizations are weighed by [`org_scales`], and across segments each
/// organization's total contribution is capped again.
fn pooled_levels(orgs: &DetMap<(SegmentKey, Uuid), Pool>) -> Levels {
    let mut by_segment: DetMap<SegmentKey, Vec<(Uuid, Pool)>> = DetMap::default();
    for ((key, org), pool) in orgs {
        by_segment.entry(*key).or_default().push((*org, *pool));
    }
    let mut segments = DetMap::default();
    let mut segment_shares = DetMap::default();
    let mut raw_totals: DetMap<Uuid, (Pool, Pool)> = DetMap::default();
    for (key, mut members) in by_segment {
        members.sort_by_key(|(org, _)| *org);
        let pools: Vec<Pool> = members.iter().map(|(_, p)| *p).collect();
        let mut level = PooledLevel {
            pool: Pool::default(),
            orgs: members.len(),
        };
        for ((org, raw), weight) in members.iter().zip(org_weights(&pools)) {
            let pool = scaled(raw, weight.scale());
            level.pool = level.pool.plus(&pool);
            segment_shares.insert(
                (key, *org),
                Contribution {
                    pool,
                    scale: weight.scale(),
                    plausibility: weight.plausibility,
                },
            );
            let totals = raw_totals.entry(*org).or_default();
            totals.0 = totals.0.plus(raw);
            totals.1 = totals.1.plus(&pool);
        }
        segments.insert(key, level);
    }
    let mut members: Vec<(Uuid, (Pool, Pool))> = raw_totals.into_iter().collect();
    members.sort_by_key(|(org, _)| *org);
    let contributed: Vec<Pool> = members.iter().map(|(_, (_, c))| *c).collect();
    let caps = capped_scales(&contributed);
    let mut global = PooledLevel {
        pool: Pool::default(),
        orgs: members.len(),
    };
    let mut global_shares = DetMap::default();
    for ((org, (raw, contribution)), cap) in members.iter().zip(caps) {
        let pool = scaled(contribution, cap);
        global.pool = global.pool.plus(&pool);
        let scale = if raw.weight() > 0.0 {
            pool.weight() / raw.weight()
        } else {
            1.0
        };
        global_shares.insert(
            *org,
            Contribution {
                pool,
                scale,
                plausibility: 1.0,
            },
        );
    }
    (segments, segment_shares, global, global_shares)
}

fn fit_stage(
    outcomes: &[ChannelOutcome],
    stage: Stage,
    base: Stage,
    pooling: Pooling,
) -> Option<StageModel> {
    let raw: Vec<(SegmentKey, Uuid, Trial, Scale)> = outcomes
        .iter()
        .filter_map(|o| {
            Some((
                (o.campaign_type, o.channel),
                o.org_group,
                trial(o, stage, base)?,
                Scale::of_outcome(o),
            ))
        })
        .collect();
    // One mean per organization and segment while the scale slopes are fitted.
    let mut labels: DetMap<(SegmentKey, Uuid), usize> = DetMap::default();
    let labelled: Vec<(usize, Trial, Scale)> = raw
        .iter()
        .map(|(key, org, t, scale)| {
            let next = labels.len();
            (*labels.entry((*key, *org)).or_insert(next), *t, *scale)
        })
        .collect();
    let scale = ScaleEffect::fit(&labelled);
    let units: Vec<(SegmentKey, Uuid, Trial)> = raw
        .iter()
        .map(|(key, org, t, s)| (*key, *org, scale.adjust(*t, *s)))
        .collect();
    let trials: Vec<Trial> = units.iter().map(|u| u.2).collect();
    let (_, global_kappa) = fit_group(&trials)?;
    let mut groups: DetMap<(SegmentKey, Uuid), Vec<Trial>> = DetMap::default();
    for (key, org, t) in &units {
        groups.entry((*key, *org)).or_default().push(*t);
    }
    let groups: Vec<Vec<Trial>> = groups.into_values().collect();
    let kappa = fit_grouped_dispersion(&groups).unwrap_or(global_kappa);
    let mut orgs: DetMap<(SegmentKey, Uuid), Pool> = DetMap::default();
    for (key, org, t) in &units {
        orgs.entry((*key, *org)).or_default().add(t, kappa);
    }
    let (segments, segment_shares, global, global_shares) = pooled_levels(&orgs);
    let global_mean = global.pool.mean().unwrap_or(0.0);
    let segment_groups: Vec<(Pool, f64)> =
        segments.values().map(|l| (l.pool, global_mean)).collect();
    // Organizations all but dropped as implausible do not widen the spread between organizations.
    let org_groups: Vec<(Pool, f64)> = orgs
        .iter()
        .filter(|(k, _)| {
            segment_shares
                .get(*k)
                .is_some_and(|c| c.plausibility >= 0.5)
        })
        .map(|((key, _), p)| {
            let seg_mean = segments
                .get(key)
                .and_then(|l| l.pool.mean())
                .unwrap_or(global_mean);
            (*p, seg_mean)
        })
        .collect();
    Some(StageModel {
        stage,
        base,
        scale,
        kappa,
        tau_segment: prior_strength(&segment_groups).unwrap_or(DEFAULT_TAU),
        tau_org: prior_strength(&org_groups).unwrap_or(DEFAULT_TAU),
        global,
        global_shares,
        segments,
        segment_shares,
        orgs,
        min_orgs: pooling.min_orgs,
    })
}

impl HistoryModel {
    /// Fits the model to every organization's outcomes under the default [`Pooling`].
    pub fn fit(outcomes: Vec<ChannelOutcome>) -> Self {
        Self::fit_with(outcomes, Pooling::default())
    }

    /// Fits the model to every organization's outcomes, pooling across organizations only as
    /// far as `pooling` allows.
    pub fn fit_with(outcomes: Vec<ChannelOutcome>, pooling: Pooling) -> Self {
        let orgs: std::collections::BTreeSet<Uuid> = outcomes.iter().map(|o| o.org_group).collect();
        if orgs.len() > 1 && orgs.len() < pooling.min_orgs {
            let per_org = orgs
                .iter()
                .map(|org| {
                    let own = outcomes
                        .iter()
                        .filter(|o| o.org_group == *org)
                        .cloned()
                        .collect();
                    (*org, Self::fit_with(own, pooling))
                })
                .collect();
            let mut model = Self::fit_with(Vec::new(), pooling);
            model.outcomes = outcomes;
            model.per_org = Some(per_org);
            return model;
        }
        let mut stages = Vec::new();
        let mut skipped = Vec::new();
        if !outcomes.is_empty() {
            for stage in &Stage::ALL[1..] {
                match choose_base(&outcomes, *stage) {
                    Ok(base) => match fit_stage(&outcomes, *stage, base, pooling) {
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
            if let (Some(reach), Some(spend)) = (Stage::Reach.count(o), amount(o.metrics.spend))
                && reach > 0.0
                && spend > 0.0
            {
                reach_per_spend.push(o.org_group, key, (reach / spend).ln());
            }
            if let (Some(conversions), Some(revenue)) =
                (Stage::Conversions.count(o), amount(o.metrics.revenue))
                && conversions > 0.0
                && revenue > 0.0
            {
                value_per_conversion.push(o.org_group, key, (revenue / conversions).ln());
            }
        }
        HistoryModel {
            outcomes,
            stages,
            skipped,
            reach_per_spend,
            value_per_conversion,
            pooling,
            per_org: None,
        }
    }

    /// The model fitted on `org`'s results alone, when organizations are too few to pool.
    pub(crate) fn own_model(&self, org: Uuid) -> Option<&HistoryModel> {
        self.per_org.as_ref().and_then(|models| models.get(&org))
    }

    /// The outcomes (one per channel) of the campaign with opaque key `campaign`: its results so
    /// far, exactly as the model holds them.
    pub fn outcomes_of(&self, campaign: Uuid) -> Vec<ChannelOutcome> {
        self.outcomes
            .iter()
            .filter(|o| o.campaign_group == campaign)
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

/// The benchmark rate of `stage` as a rate of `base` (the product of the benchmark rates in
/// between).
fn cold_start_mean(stage: Stage, base: Stage, channels: &[Channel]) -> f64 {
    Stage::ALL[base.index() + 1..=stage.index()]
        .iter()
        .map(|s| cold_start_rate(*s, channels))
        .product()
}

/// The between-campaign dispersion assumed at cold start: [`COLD_START_SHAPE`] over the
/// benchmark rate.
pub(crate) fn cold_start_kappa(stage: Stage, base: Stage, channels: &[Channel]) -> f64 {
    COLD_START_SHAPE / cold_start_mean(stage, base, channels)
}

/// The benchmark prior of `stage` as a rate of `base`, worth [`COLD_START_STRENGTH`]
/// campaigns: a campaign counts as `κ + 1` trials of evidence about the mean (at most the
/// cold-start κ, so the benchmark never outweighs as many real campaigns).
pub(crate) fn cold_start_pool(stage: Stage, base: Stage, channels: &[Channel], kappa: f64) -> Pool {
    let mean = cold_start_mean(stage, base, channels);
    let weight = COLD_START_STRENGTH * (kappa.min(cold_start_kappa(stage, base, channels)) + 1.0);
    Pool {
        successes: mean * weight,
        failures: (1.0 - mean) * weight,
    }
}

pub(crate) fn cold_start_stages(channels: &[Channel]) -> Vec<StageModel> {
    let mut base = Stage::Reach;
    Stage::ALL[1..]
        .iter()
        .map(|stage| {
            let kappa = cold_start_kappa(*stage, base, channels);
            let model = StageModel {
                stage: *stage,
                base,
                scale: ScaleEffect::default(),
                kappa,
                tau_segment: TAU_CAP,
                tau_org: TAU_CAP,
                global: PooledLevel {
                    pool: cold_start_pool(*stage, base, channels, kappa),
                    orgs: 0,
                },
                global_shares: DetMap::default(),
                segments: DetMap::default(),
                segment_shares: DetMap::default(),
                orgs: DetMap::default(),
                min_orgs: 0,
            };
            base = *stage;
            model
        })
        .collect()
}
