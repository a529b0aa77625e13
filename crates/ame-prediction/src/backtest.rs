//! Leave-one-out backtests: each campaign is predicted from all the others (the model is
//! refitted without it), or from the other groups only (its whole organization held out, as a
//! newcomer would be), given its actual reach and spend, then compared with what it recorded.

use crate::{
    DEFAULT_DRAWS, FunnelPerformancePredictor, HistoryModel, Pooling, PredictionRequest, Stage,
    amount, total_count,
};
use ame_domain::ChannelOutcome;
use serde::Serialize;

/// The seed's constant prediction (`estimatedReach: 5000`, `estimatedConversions: 250`), where it
/// gives one.
pub fn seed_constant(stage: Stage) -> Option<f64> {
    match stage {
        Stage::Reach => Some(5000.0),
        Stage::Conversions => Some(250.0),
        Stage::Clicks | Stage::Leads => None,
    }
}

/// Fewest groups a group backtest pools across: the groups of one file belong to one owner, so
/// the production minimum (which keeps organizations' results apart) does not apply.
const GROUP_POOLING_MIN: usize = 2;

/// What a backtest holds out when it predicts a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldOut {
    /// The campaign alone: its organization's other campaigns stay in the history.
    Campaign,
    /// Its whole group (every campaign with the same group label): the campaign is predicted
    /// from the other groups only.
    Group,
}

impl HoldOut {
    /// How the report names it.
    pub fn describe(self) -> &'static str {
        match self {
            HoldOut::Campaign => "leave-one-campaign-out",
            HoldOut::Group => "leave-one-group-out",
        }
    }
}

/// Backtest figures of one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageBacktest {
    /// The stage.
    pub stage: Stage,
    /// Campaigns whose actual count of this stage was measured and predicted.
    pub campaigns: usize,
    /// Share of those whose actual count fell in the 80% interval.
    pub coverage_80: f64,
    /// Share of those whose actual count fell in the 95% interval.
    pub coverage_95: f64,
    /// The 80% coverage a discrete count can be held to: the mean probability that the
    /// randomized probability integral transform of the actual count falls in [0.1, 0.9]
    /// (0.80 for a calibrated model, whereas integer intervals hold more than 80%).
    pub pit_coverage_80: f64,
    /// Campaigns with an actual count above 0 (percentage errors are undefined at 0).
    pub error_campaigns: usize,
    /// Median absolute percentage error of the point forecast.
    pub mdape: Option<f64>,
    /// The same for the seed's constants (none where the seed gives no number).
    pub mdape_seed_constant: Option<f64>,
    /// The same for the historical mean rate (Σ stage / Σ reach of the other campaigns) × reach.
    pub mdape_mean_rate: Option<f64>,
    /// Mean absolute error of the point forecast over every campaign of the stage.
    pub mae: f64,
    /// The same for the historical mean rate.
    pub mae_mean_rate: Option<f64>,
}

/// A backtest's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestReport {
    /// What each prediction held out.
    pub hold_out: HoldOut,
    /// Campaigns in the file.
    pub campaigns: usize,
    /// Campaigns predicted (those with a measured reach).
    pub predicted: usize,
    /// Per stage after reach.
    pub stages: Vec<StageBacktest>,
    /// Monte Carlo draws per prediction.
    pub draws: usize,
    /// The seed.
    pub seed: u64,
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// How one held-out campaign's stage compared with its prediction.
#[derive(Debug, Clone)]
struct HeldStage {
    stage: Stage,
    actual: f64,
    forecast: f64,
    in_80: bool,
    in_95: bool,
    pit_80: f64,
    mean_rate: Option<f64>,
}

/// The probability that the randomized PIT of `actual` under `draws` lies in
/// `[low, 1 − low]`: its uniform range `[F(actual − 1), F(actual)]` overlapping the band.
fn pit_inside(draws: &[f64], actual: f64, low: f64) -> f64 {
    let n = draws.len().max(1) as f64;
    let below = draws.iter().filter(|d| **d < actual).count() as f64 / n;
    let at_most = draws.iter().filter(|d| **d <= actual).count() as f64 / n;
    let high = 1.0 - low;
    if at_most - below <= f64::EPSILON {
        return f64::from(u8::from((low..=high).contains(&at_most)));
    }
    (at_most.min(high) - below.max(low)).max(0.0) / (at_most - below)
}

type Held = Vec<HeldStage>;

fn hold_out(
    campaigns: &[Vec<ChannelOutcome>],
    index: usize,
    groups: Option<&[u128]>,
    draws: usize,
    seed: u64,
) -> Option<Held> {
    let target = &campaigns[index];
    let first = target.first()?;
    let reach = total_count(target, Stage::Reach).filter(|r| *r > 0.0)?;
    let kept = |i: usize| match groups {
        None => i != index,
        Some(labels) => labels.get(i) != labels.get(index),
    };
    let history: Vec<ChannelOutcome> = campaigns
        .iter()
        .enumerate()
        .filter(|(i, _)| kept(*i))
        .flat_map(|(_, c)| c.iter().cloned())
        .collect();
    let mean_rate = |stage: Stage| {
        let (k, n) = history
            .iter()
            .filter_map(|o| Some((stage.count(o)?, Stage::Reach.count(o)?)))
            .fold((0.0, 0.0), |(k, n), (a, b)| (k + a, n + b));
        (n > 0.0).then(|| k / n * reach)
    };
    // A group held out is a newcomer predicted from the file's other groups: one owner's file,
    // so its groups are pooled however few (a level between the file and its campaigns).
    let pooling = match groups {
        Some(_) => Pooling {
            min_orgs: GROUP_POOLING_MIN,
        },
        None => Pooling::default(),
    };
    let model = HistoryModel::fit_with(history.clone(), pooling);
    let spend: f64 = target.iter().filter_map(|o| amount(o.metrics.spend)).sum();
    let request = PredictionRequest {
        campaign_type: first.campaign_type,
        channels: target.iter().map(|o| o.channel).collect(),
        org_group: first.org_group,
        planned_reach: Some(reach),
        budget: (spend > 0.0).then_some(spend),
        own_results: Vec::new(),
        own_results_in_history: false,
        seed: seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        draws,
    };
    let (prediction, draws) = FunnelPerformancePredictor::new(&model)
        .predict_drawing(&request, true)
        .ok()?;
    Some(
        Stage::ALL[1..]
            .iter()
            .filter_map(|stage| {
                let actual = total_count(target, *stage)?;
                let p = prediction.stage(*stage)?;
                Some(HeldStage {
                    stage: *stage,
                    actual,
                    forecast: p.expected,
                    in_80: p.count.covers_80(actual),
                    in_95: p.count.covers_95(actual),
                    pit_80: pit_inside(&draws[stage.index()], actual, 0.1),
                    mean_rate: mean_rate(*stage),
                })
            })
            .collect(),
    )
}

/// Runs the leave-one-campaign-out backtest over `campaigns` (each a campaign's outcomes per
/// channel), on all available cores; the result does not depend on how many.
pub fn leave_one_campaign_out(
    campaigns: &[Vec<ChannelOutcome>],
    draws: usize,
    seed: u64,
) -> BacktestReport {
    leave_one_out(campaigns, None, draws, seed)
}

/// Runs the backtest on all available cores (the result does not depend on how many): with
/// `groups` (one label per campaign) each campaign is predicted from the campaigns of other
/// groups only, without them from every other campaign.
pub fn leave_one_out(
    campaigns: &[Vec<ChannelOutcome>],
    groups: Option<&[u128]>,
    draws: usize,
    seed: u64,
) -> BacktestReport {
    let draws = if draws == 0 { DEFAULT_DRAWS } else { draws };
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(campaigns.len().max(1));
    let mut held: Vec<Option<Held>> = vec![None; campaigns.len()];
    std::thread::scope(|scope| {
        let chunks: Vec<_> = held
            .chunks_mut(campaigns.len().div_ceil(workers).max(1))
            .enumerate()
            .map(|(c, chunk)| {
                let start = c * campaigns.len().div_ceil(workers).max(1);
                scope.spawn(move || {
                    for (offset, slot) in chunk.iter_mut().enumerate() {
                        *slot = hold_out(campaigns, start + offset, groups, draws, seed);
                    }
                })
            })
            .collect();
        for handle in chunks {
            let _ = handle.join();
        }
    });
    let predicted = held.iter().filter(|h| h.is_some()).count();
    let rows: Vec<_> = held.into_iter().flatten().flatten().collect();
    let stages = Stage::ALL[1..]
        .iter()
        .filter_map(|stage| {
            let of_stage: Vec<&HeldStage> = rows.iter().filter(|r| r.stage == *stage).collect();
            if of_stage.is_empty() {
                return None;
            }
            let n = of_stage.len() as f64;
            let positive: Vec<&HeldStage> = of_stage
                .iter()
                .copied()
                .filter(|r| r.actual > 0.0)
                .collect();
            let ape = |forecast: &dyn Fn(&HeldStage) -> Option<f64>| {
                median(
                    positive
                        .iter()
                        .map(|r| forecast(r).map(|f| (f - r.actual).abs() / r.actual))
                        .collect::<Option<Vec<f64>>>()?,
                )
            };
            Some(StageBacktest {
                stage: *stage,
                campaigns: of_stage.len(),
                coverage_80: of_stage.iter().filter(|r| r.in_80).count() as f64 / n,
                coverage_95: of_stage.iter().filter(|r| r.in_95).count() as f64 / n,
                pit_coverage_80: of_stage.iter().map(|r| r.pit_80).sum::<f64>() / n,
                error_campaigns: positive.len(),
                mdape: ape(&|r| Some(r.forecast)),
                mdape_seed_constant: seed_constant(*stage).and_then(|c| ape(&|_| Some(c))),
                mdape_mean_rate: ape(&|r| r.mean_rate),
                mae: of_stage
                    .iter()
                    .map(|r| (r.forecast - r.actual).abs())
                    .sum::<f64>()
                    / n,
                mae_mean_rate: of_stage
                    .iter()
                    .map(|r| r.mean_rate.map(|m| (m - r.actual).abs()))
                    .sum::<Option<f64>>()
                    .map(|total| total / n),
            })
        })
        .collect();
    BacktestReport {
        hold_out: if groups.is_some() {
            HoldOut::Group
        } else {
            HoldOut::Campaign
        },
        campaigns: campaigns.len(),
        predicted,
        stages,
        draws,
        seed,
    }
}

impl BacktestReport {
    /// The figures of `stage`.
    pub fn stage(&self, stage: Stage) -> Option<&StageBacktest> {
        self.stages.iter().find(|s| s.stage == stage)
    }

    /// A plain-text table (Markdown) of the figures.
    pub fn table(&self) -> String {
        let pct = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{:.1}%", v * 100.0));
        let mut out = String::from(
            "| stage | campaigns | 80% coverage | 80% PIT coverage | 95% coverage | MdAPE (n > 0) | MdAPE seed constants | MdAPE historical mean rate | MAE | MAE historical mean rate |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        let count = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.1}"));
        for s in &self.stages {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} (n = {}) | {} | {} | {} | {} |\n",
                s.stage.as_str(),
                s.campaigns,
                pct(Some(s.coverage_80)),
                pct(Some(s.pit_coverage_80)),
                pct(Some(s.coverage_95)),
                pct(s.mdape),
                s.error_campaigns,
                pct(s.mdape_seed_constant),
                pct(s.mdape_mean_rate),
                count(Some(s.mae)),
                count(s.mae_mean_rate),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::pit_inside;

    #[test]
    fn the_pit_band_of_a_count_is_its_share_of_the_central_mass() {
        // A forecast certain of 2 and right: its PIT is uniform on [0, 1], 80% inside.
        assert!((pit_inside(&[2.0; 100], 2.0, 0.1) - 0.8).abs() < 1e-12);
        // Ten equally likely counts: the lowest lies wholly below the band, a middle one
        // wholly inside, and an actual never drawn sits at its CDF.
        let draws: Vec<f64> = (0..1000).map(|i| f64::from(i % 10)).collect();
        assert_eq!(pit_inside(&draws, 0.0, 0.1), 0.0);
        assert!((pit_inside(&draws, 5.0, 0.1) - 1.0).abs() < 1e-12);
        assert_eq!(pit_inside(&draws, 20.0, 0.1), 0.0);
        assert_eq!(pit_inside(&draws, 4.5, 0.1), 1.0);
    }
}
