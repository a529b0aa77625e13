//! Fitting the history: every organization's per-channel outcomes turned into per-stage
//! evidence pools (overall, per segment, per organization within a segment) with their fitted
//! dispersion and prior strengths. The expensive part, shared by every prediction.

use crate::fit::{Pool, TAU_CAP, Trial, fit_group, fit_grouped_dispersion, prior_strength};
use crate::{COLD_START_KAPPA, COLD_START_STRENGTH, DEFAULT_TAU, Stage, amount, trial};
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

/// A fitted stage: its base, dispersion, prior strengths and the evidence pools per level.
#[derive(Debug, Clone)]
pub(crate) struct StageModel {
    pub(crate) stage: Stage,
    pub(crate) base: Stage,
    pub(crate) kappa: f64,
    pub(crate) tau_segment: f64,
    pub(crate) tau_org: f64,
    pub(crate) global: Pool,
    pub(crate) segments: DetMap<SegmentKey, Pool>,
    pub(crate) orgs: DetMap<(SegmentKey, Uuid), Pool>,
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
pub(crate) struct LogRatios {
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
    pub(crate) fn predictive(&self, keys: &[SegmentKey]) -> Option<(Normal<f64>, usize)> {
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

/// Fitting is the expensive part; one model serves every organization and campaign.
#[derive(Debug, Clone)]
pub struct HistoryModel {
    pub(crate) outcomes: Vec<ChannelOutcome>,
    pub(crate) stages: Vec<StageModel>,
    pub(crate) skipped: Vec<SkippedStage>,
    pub(crate) reach_per_spend: LogRatios,
    pub(crate) value_per_conversion: LogRatios,
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

fn fit_stage(outcomes: &[ChannelOutcome], stage: Stage, base: Stage) -> Option<StageModel> {
    let units: Vec<(usize, SegmentKey, Uuid, Trial)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            Some((
                i,
                (o.campaign_type, o.channel),
                o.org_group,
                trial(o, stage, base)?,
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
    pub fn fit(outcomes: Vec<ChannelOutcome>) -> Self {
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
            if let (Some(reach), Some(spend)) = (Stage::Reach.count(o), amount(o.metrics.spend))
                && reach > 0.0
                && spend > 0.0
            {
                reach_per_spend.push(key, (reach / spend).ln());
            }
            if let (Some(conversions), Some(revenue)) =
                (Stage::Conversions.count(o), amount(o.metrics.revenue))
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

pub(crate) fn cold_start_stages(channels: &[Channel]) -> Vec<StageModel> {
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
