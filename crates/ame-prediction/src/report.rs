//! What a prediction reports: every stage's count and rate intervals, the money figures, where
//! reach came from and the history behind it.

use crate::Stage;
use crate::history::SkippedStage;
use serde::Serialize;

/// How much history stands behind one level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelHistory {
    /// Distinct campaigns.
    pub campaigns: u64,
    /// Result records summed into them.
    pub records: u64,
}

/// The history behind a prediction. Only the asking organization's own counts are reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryUsed {
    /// This organization's campaigns of the same type on the same channels.
    pub organization: LevelHistory,
    /// All of this organization's campaigns with results.
    pub organization_all: LevelHistory,
    /// How many organizations' results the rates are pooled from; `null` when fewer than the
    /// instance's pooling minimum share results (only the organization's own results and
    /// published benchmarks are used then).
    pub pooled_organizations: Option<u64>,
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
    /// The median and intervals of `values`: `None` when none is a number or a bound is
    /// infinite (JSON has no number for it).
    pub(crate) fn of(mut values: Vec<f64>) -> Option<Self> {
        values.retain(|v| !v.is_nan());
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let q = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
        let interval = Interval {
            median: q(0.5),
            low_80: q(0.1),
            high_80: q(0.9),
            low_95: q(0.025),
            high_95: q(0.975),
        };
        (interval.low_95.is_finite() && interval.high_95.is_finite()).then_some(interval)
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
    /// Budget per conversion, when a budget is planned and conversions are predicted (a draw
    /// that converts nobody counts as the whole budget for one conversion).
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
    /// For a targeted campaign: the responses its scored audience is expected to give, which
    /// replace the history's prediction of that stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targeting: Option<TargetedResponses>,
    /// For a targeted campaign: where each stage comes from (the selected audience, the
    /// targeting model, the organization's outcome records or the history).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<crate::targeted::StageOrigin>,
}

/// A targeted campaign's expected responses, from the targeting model's probabilities for the
/// contacts it will send to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetedResponses {
    /// The stage the model predicts (clicks or conversions).
    pub stage: Stage,
    /// Contacts the campaign will send to.
    pub contacts: u64,
    /// The sum of their response probabilities.
    pub expected: f64,
    /// The count's intervals.
    pub count: Interval,
}

/// The normal quantiles of the 80% and 95% two-sided intervals.
const Z80: f64 = 1.281_551_565_545;
const Z95: f64 = 1.959_963_984_540;

/// The responses `probabilities` (one per contact sent to) add up to, with intervals: the count
/// is a sum of independent Bernoulli draws (variance `Σ p(1 − p)`), and the model's overall
/// level is itself uncertain, by one over the square root of the responders it was checked on
/// (relative), so the variance adds `(expected² / held_out_responders)`. Normal quantiles,
/// cut at 0. `None` without contacts.
pub fn targeted_responses(
    stage: Stage,
    probabilities: &[f64],
    held_out_responders: f64,
) -> Option<TargetedResponses> {
    if probabilities.is_empty() {
        return None;
    }
    let expected: f64 = probabilities.iter().sum();
    let binomial: f64 = probabilities.iter().map(|p| p * (1.0 - p)).sum();
    let level = expected * expected / held_out_responders.max(1.0);
    let sd = (binomial + level).sqrt();
    let at = |z: f64| (expected + z * sd).max(0.0);
    Some(TargetedResponses {
        stage,
        contacts: probabilities.len() as u64,
        expected,
        count: Interval {
            median: expected,
            low_80: at(-Z80),
            high_80: at(Z80),
            low_95: at(-Z95),
            high_95: at(Z95),
        },
    })
}

impl Prediction {
    /// The prediction of `stage`, if it was predicted.
    pub fn stage(&self, stage: Stage) -> Option<&StagePrediction> {
        self.stages.iter().find(|s| s.stage == stage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targeted_responses_sum_the_probabilities_and_widen_with_the_models_uncertainty() {
        let p = vec![0.1; 1000];
        let sure = targeted_responses(Stage::Conversions, &p, 1e9).unwrap();
        assert!((sure.expected - 100.0).abs() < 1e-9);
        assert_eq!(sure.contacts, 1000);
        // Only the binomial spread: sd = sqrt(1000 · 0.1 · 0.9) = 9.49.
        assert!((sure.count.high_95 - (100.0 + 1.96 * 90f64.sqrt())).abs() < 1e-3);
        let unsure = targeted_responses(Stage::Conversions, &p, 25.0).unwrap();
        assert!(
            unsure.count.high_95 - unsure.count.low_95 > sure.count.high_95 - sure.count.low_95
        );
        assert!(unsure.count.low_95 >= 0.0 && unsure.count.low_80 <= unsure.count.median);
        assert!(targeted_responses(Stage::Clicks, &[], 10.0).is_none());
    }
}
