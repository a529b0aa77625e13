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

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod backtest;
pub mod bandit;
mod fit;
mod history;
pub mod lift;
pub mod logistic;
mod monte_carlo;
mod predict;
mod report;
pub mod robust;
mod scale;
pub mod targeted;
pub mod targeting;

pub use fit::{
    KAPPA_RANGE, Pool, TAU_CAP, Trial, evidence_weight, fit_dispersion, fit_group,
    fit_grouped_dispersion, prior_strength,
};
pub use history::{DEFAULT_MIN_ORGS, HistoryModel, Pooling, SkippedStage};
pub use predict::{FunnelPerformancePredictor, PredictionError, PredictionRequest};
pub use report::{
    HistoryUsed, Interval, LevelHistory, Prediction, ReachSource, StagePrediction,
    TargetedResponses, targeted_responses,
};
pub use scale::{MIN_SCALE_CAMPAIGNS, ScaleEffect};

use ame_domain::ChannelOutcome;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// Default number of Monte Carlo draws.
pub const DEFAULT_DRAWS: usize = 4000;
/// Prior strength used for a level whose variation cannot be estimated (fewer than two groups):
/// weak, so the level's own data soon dominates.
pub const DEFAULT_TAU: f64 = 20.0;
/// Strength, in campaigns' worth of evidence, of the cold-start benchmark priors.
pub const COLD_START_STRENGTH: f64 = 2.0;
/// Shape of the between-campaign spread assumed at cold start: each campaign's rate is drawn
/// from a Beta whose first shape is this (κ·μ), whatever the benchmark μ, so the spread is
/// relative to the benchmark (a campaign's rate may easily be a few times it or a fraction of
/// it) and the median stays near it, for a 0.4% rate as for a 6% one.
pub const COLD_START_SHAPE: f64 = 4.0;

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

    /// This stage's count in `outcome` (`None`: not measured).
    pub fn count(self, outcome: &ChannelOutcome) -> Option<f64> {
        let m = &outcome.metrics;
        let count = match self {
            Stage::Reach => m.reach,
            Stage::Clicks => m.clicks,
            Stage::Leads => m.leads,
            Stage::Conversions => m.conversions,
        };
        count.map(|c| c as f64)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The sum of `stage` over `outcomes`, `None` when none of them measured it.
pub fn total_count(outcomes: &[ChannelOutcome], stage: Stage) -> Option<f64> {
    outcomes
        .iter()
        .filter_map(|o| stage.count(o))
        .fold(None, |sum, v| Some(sum.unwrap_or(0.0) + v))
}

/// A measured amount as a number (`None`: not measured).
pub fn amount(value: Option<rust_decimal::Decimal>) -> Option<f64> {
    value.and_then(|v| v.to_f64())
}

/// `stage` as a binomial trial over `base` in `outcome`: `None` unless both are measured, the
/// base is positive and bounds the stage.
pub(crate) fn trial(outcome: &ChannelOutcome, stage: Stage, base: Stage) -> Option<Trial> {
    let successes = stage.count(outcome)?;
    let trials = base.count(outcome)?;
    (trials > 0.0 && successes <= trials).then_some(Trial { successes, trials })
}

#[cfg(test)]
mod tests;
