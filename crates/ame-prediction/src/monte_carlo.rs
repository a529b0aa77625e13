//! The Monte Carlo of one prediction: the evidence pools of each level for the request, where
//! each draw's reach comes from, one draw down the levels (global, segment, organization,
//! campaign) through every stage, and the draws collected into intervals.

use crate::fit::{Pool, TAU_CAP, Trial};
use crate::history::{SegmentKey, StageModel, cold_start_pool};
use crate::predict::PredictionRequest;
use crate::report::{Interval, ReachSource, StagePrediction};
use crate::scale::Scale;
use crate::{DEFAULT_TAU, Stage, trial};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Binomial, Distribution, Normal};

fn sum_pools<'a>(pools: impl Iterator<Item = &'a Pool>) -> Pool {
    pools.fold(Pool::default(), |acc, p| acc.plus(p))
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

/// A count of `n` trials at rate `p` whose deviation from `n·p` is `spread` times a binomial
/// one (a quasi-binomial count: `spread` below 1 for counts that vary less than binomial).
fn count(rng: &mut ChaCha8Rng, n: f64, p: f64, spread: f64) -> f64 {
    let drawn = binomial(rng, n, p);
    if spread >= 1.0 {
        return drawn;
    }
    let expected = n.max(0.0).round() * p.clamp(0.0, 1.0);
    (expected + spread * (drawn - expected))
        .round()
        .clamp(0.0, n.max(0.0).round())
}

fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    rand_distr::StandardNormal.sample(rng)
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
pub(crate) struct RequestPools {
    /// The organization level's prior strength for this organization: the fitted one, or a
    /// weak one when the organization's own results are implausible under the others' (its
    /// own results then speak for it).
    tau_org: f64,
    global: Pool,
    segment_others: Pool,
    org: Pool,
    own: Option<Trial>,
}

pub(crate) fn request_pools(
    model: &StageModel,
    keys: &[SegmentKey],
    request: &PredictionRequest,
) -> RequestPools {
    let asker = request.org_group;
    let own_share = model.global_shares.get(&asker).copied().unwrap_or_default();
    let mut global = if model.global.orgs >= model.min_orgs {
        model.global.pool
    } else {
        // Too few organizations to pool: the benchmarks and the organization's own results.
        let cold = cold_start_pool(model.stage, model.base, &request.channels, model.kappa);
        cold.plus(&own_share.pool)
    };
    let segment_others = keys
        .iter()
        .filter_map(|k| {
            let level = model.segments.get(k)?;
            (level.orgs >= model.min_orgs).then(|| {
                let own = model
                    .segment_shares
                    .get(&(*k, asker))
                    .map(|c| c.pool)
                    .unwrap_or_default();
                level.pool.minus(&own)
            })
        })
        .fold(Pool::default(), |acc, p| acc.plus(&p));
    let mut org = sum_pools(keys.iter().filter_map(|k| model.orgs.get(&(*k, asker))));
    let mut own_successes = 0.0;
    let mut own_trials = 0.0;
    for o in &request.own_results {
        if let Some(t) = trial(o, model.stage, model.base) {
            let t = model.scale.adjust(t, Scale::of_outcome(o));
            own_successes += t.successes;
            own_trials += t.trials;
            if request.own_results_in_history {
                global.remove_scaled(&t, model.kappa, own_share.scale);
                // A channel outside the segment was never in the segment's or the org's pool.
                if keys.contains(&(o.campaign_type, o.channel)) {
                    org.remove(&t, model.kappa);
                }
            }
        }
    }
    let outlying = keys.iter().any(|k| {
        model
            .segment_shares
            .get(&(*k, asker))
            .is_some_and(|c| c.plausibility < 0.5)
    });
    RequestPools {
        tau_org: if outlying {
            model.tau_org.min(DEFAULT_TAU)
        } else {
            model.tau_org
        },
        global,
        segment_others,
        org,
        own: (own_trials > 0.0).then_some(Trial {
            successes: own_successes,
            trials: own_trials,
        }),
    }
}

/// Where each draw's reach still to come is taken from.
pub(crate) enum ReachPlan {
    /// The planned reach not reached yet.
    Planned(f64),
    /// The budget not spent yet, at a drawn reach per unit of spend.
    Budget {
        remaining: f64,
        reach_per_spend: Normal<f64>,
    },
}

impl ReachPlan {
    /// Where the reach comes from, as reported.
    pub(crate) fn source(&self) -> ReachSource {
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
pub(crate) struct Simulation<'r> {
    pub(crate) request: &'r PredictionRequest,
    pub(crate) stages: &'r [StageModel],
    pub(crate) pools: Vec<RequestPools>,
    /// The campaign's recorded totals, in funnel order.
    pub(crate) observed: [Option<f64>; 4],
    pub(crate) own_reach: f64,
    pub(crate) own_revenue: f64,
    pub(crate) reach: ReachPlan,
    pub(crate) value_per_conversion: Option<Normal<f64>>,
    pub(crate) predicts_conversions: bool,
}

/// Per stage of one draw: (total count, remaining count, expected total, expected remaining).
type DrawnStage = (f64, f64, f64, f64);

impl Simulation<'_> {
    /// One draw: the reach still to come, every stage's rate down the levels (global, segment,
    /// organization, campaign) and its count, then revenue, cost per conversion and ROI.
    pub(crate) fn draw(&self, rng: &mut ChaCha8Rng, samples: &mut Samples) {
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
        let scale = Scale::of(Some(state[0].0), self.request.budget);
        for (model, pool) in self.stages.iter().zip(&self.pools) {
            let factor = if model.scale.is_used() {
                model
                    .scale
                    .drawn_factor(scale, [standard_normal(rng), standard_normal(rng)])
            } else {
                1.0
            };
            let (drawn, p) = self.draw_stage(rng, model, pool, state[model.base.index()], factor);
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

    /// One stage's rate and counts, given its base stage's draw and the factor the campaign's
    /// scale puts on the typical rate (the rate returned is the campaign's own).
    fn draw_stage(
        &self,
        rng: &mut ChaCha8Rng,
        model: &StageModel,
        pool: &RequestPools,
        base: DrawnStage,
        factor: f64,
    ) -> (DrawnStage, f64) {
        let mu_global = beta(rng, 0.5 + pool.global.successes, 0.5 + pool.global.failures);
        let mu_segment = draw_level(rng, mu_global, model.tau_segment, &pool.segment_others);
        let mu_org = draw_level(rng, mu_segment, pool.tau_org, &pool.org);
        let (successes, trials) = pool.own.map_or((0.0, 0.0), |t| (t.successes, t.trials));
        let p = beta(
            rng,
            model.kappa * mu_org + successes,
            model.kappa * (1.0 - mu_org) + trials - successes,
        );
        let p = (p * factor).min(1.0);
        let spread = model.scale.count_spread();
        let drawn = match (pool.own, self.observed[model.stage.index()]) {
            (Some(_), Some(k)) => {
                let remaining = count(rng, base.1, p, spread);
                (k + remaining, remaining, k + base.3 * p, base.3 * p)
            }
            _ => {
                let total = count(rng, base.0, p, spread);
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
            // A draw that converts nobody spent the whole budget without a conversion: it
            // counts as the whole budget for one, so the interval stays bounded.
            samples.cost.push(budget / conversions.0.max(1.0));
            if let Some(r) = revenue {
                samples.roi.push((r - budget) / budget);
            }
        }
    }
}

/// The draws of one prediction: per stage (funnel order) and for the money figures.
pub(crate) struct Samples {
    pub(crate) totals: [Vec<f64>; 4],
    pub(crate) expected: [Vec<f64>; 4],
    pub(crate) rates: [Vec<f64>; 4],
    pub(crate) revenue: Vec<f64>,
    pub(crate) cost: Vec<f64>,
    pub(crate) roi: Vec<f64>,
}

impl Samples {
    /// Room for `draws` draws.
    pub(crate) fn with_capacity(draws: usize) -> Self {
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
    pub(crate) fn stage_predictions(
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

#[cfg(test)]
mod tests {
    use super::count;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn variance(spread: f64) -> (f64, f64) {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let draws: Vec<f64> = (0..20_000)
            .map(|_| count(&mut rng, 10_000.0, 0.01, spread))
            .collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        (mean, var)
    }

    #[test]
    fn a_quasi_binomial_count_keeps_its_mean_and_scales_its_variance() {
        let binomial = 10_000.0 * 0.01 * 0.99;
        let (mean, var) = variance(1.0);
        assert!((mean - 100.0).abs() < 0.5 && (var / binomial - 1.0).abs() < 0.05);
        let (mean, var) = variance(0.5);
        assert!((mean - 100.0).abs() < 0.5, "{mean}");
        assert!((var / binomial - 0.25).abs() < 0.03, "{var}");
    }
}
