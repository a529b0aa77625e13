//! What a campaign's scale says about its rates. Larger campaigns reach colder audiences, so
//! their rates per impression fall (on the shared Facebook file leads per impression fall
//! seventy-fold from the smallest ad sets to the largest), and where each impression costs more
//! the bid is for a likelier click. A stage's expected count is modelled as
//!
//! `E[k] = μ · n · exp(β_size·(ln reach − c_size) + β_cost·(ln spend per reach − c_cost))`,
//!
//! so a campaign's rate is `μ` (the rate of a campaign of the history's typical scale) times a
//! factor of its own scale. The slopes are the Poisson maximum-likelihood estimates with a
//! separate mean per organization and segment (the profile likelihood is concave; Newton's
//! method), each used only where enough campaigns vary in it. The rest of the model then works
//! on scale-adjusted trials, `n` times the factor: the Beta-Binomial pooling, dispersion and
//! draws are unchanged.

use crate::fit::Trial;
use ame_domain::ChannelOutcome;

/// Fewest campaigns measuring a covariate before its slope is estimated.
pub const MIN_SCALE_CAMPAIGNS: usize = 20;
/// Smallest spread (variance of the logarithm) of a covariate before its slope is estimated.
const MIN_SCALE_VARIANCE: f64 = 0.01;
/// The slopes are kept within ±1: beyond, a count would fall as its campaign grows, or grow
/// faster than the campaign.
const MAX_SLOPE: f64 = 1.0;

/// The smallest dispersion a count is drawn with, so a handful of campaigns that happen to lie
/// on their fitted line never collapse an interval to a point.
const MIN_COUNT_DISPERSION: f64 = 0.05;

/// Per group, each unit's successes, trials and centred covariates.
type Grouped<G> = std::collections::BTreeMap<G, Vec<(f64, f64, [f64; 2])>>;

/// A campaign's scale: the logarithms of its reach and of its spend per reach, where known.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Scale {
    ln_reach: Option<f64>,
    ln_cost: Option<f64>,
}

impl Scale {
    /// The scale of a reach and a spend (either may be unknown or zero).
    pub(crate) fn of(reach: Option<f64>, spend: Option<f64>) -> Self {
        let reach = reach.filter(|r| *r > 0.0);
        Scale {
            ln_reach: reach.map(f64::ln),
            ln_cost: reach
                .zip(spend.filter(|s| *s > 0.0))
                .map(|(r, s)| (s / r).ln()),
        }
    }

    /// The scale of a recorded result.
    pub(crate) fn of_outcome(outcome: &ChannelOutcome) -> Self {
        Self::of(
            crate::Stage::Reach.count(outcome),
            crate::amount(outcome.metrics.spend),
        )
    }
}

/// The fitted slopes of one stage's rate on scale, with the centres they are measured from.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScaleEffect {
    /// Change in the log rate per unit of log reach (0: not used).
    pub size: f64,
    /// Change in the log rate per unit of log spend per reach (0: not used).
    pub cost: f64,
    size_centre: f64,
    cost_centre: f64,
    /// Lower-triangular square root of the slopes' sampling covariance (the inverse Fisher
    /// information, scaled by the Pearson dispersion of the fit), so a prediction far from the
    /// history's typical scale carries the slopes' uncertainty.
    spread: [[f64; 2]; 2],
    /// The Pearson dispersion of the fit, Σ (k − λ)²/λ per residual degree of freedom (none
    /// when no slope was fitted): below 1, counts vary less around their expectation than a
    /// Poisson count would (on the Facebook file, clicks given spend vary a fifth as much).
    pearson: Option<f64>,
}

impl ScaleEffect {
    /// The factor a campaign of `scale` multiplies the typical rate by (1 for an unknown
    /// covariate: it is taken at the centre).
    pub(crate) fn factor(&self, scale: Scale) -> f64 {
        let [size, cost] = self.centred(scale);
        (self.size * size + self.cost * cost).exp()
    }

    /// The factor with the slopes drawn from their sampling distribution (`z`: two standard
    /// normal draws).
    pub(crate) fn drawn_factor(&self, scale: Scale, z: [f64; 2]) -> f64 {
        let [size, cost] = self.centred(scale);
        let l = &self.spread;
        let slope_size = self.size + l[0][0] * z[0];
        let slope_cost = self.cost + l[1][0] * z[0] + l[1][1] * z[1];
        (slope_size * size + slope_cost * cost).exp()
    }

    /// The factor a count's deviation from its expectation is scaled by: √φ for a fit whose
    /// Pearson dispersion φ is below 1 (at least [`MIN_COUNT_DISPERSION`]), else 1 (variation
    /// beyond a binomial count is the Beta-Binomial dispersion's to carry).
    pub(crate) fn count_spread(&self) -> f64 {
        self.pearson
            .map_or(1.0, |phi| phi.clamp(MIN_COUNT_DISPERSION, 1.0).sqrt())
    }

    /// Whether any slope is in use.
    pub(crate) fn is_used(&self) -> bool {
        self.size != 0.0 || self.cost != 0.0
    }

    fn centred(&self, scale: Scale) -> [f64; 2] {
        [
            scale.ln_reach.map_or(0.0, |x| x - self.size_centre),
            scale.ln_cost.map_or(0.0, |x| x - self.cost_centre),
        ]
    }

    /// `trial` as scale-adjusted evidence about the typical rate: its trials times the factor
    /// (never fewer than its successes).
    pub(crate) fn adjust(&self, trial: Trial, scale: Scale) -> Trial {
        Trial {
            successes: trial.successes,
            trials: (trial.trials * self.factor(scale)).max(trial.successes),
        }
    }

    /// Fits the slopes to `units` (each a group label, its trial and its scale): each covariate
    /// measured by at least [`MIN_SCALE_CAMPAIGNS`] campaigns that vary enough in it, by
    /// Poisson maximum likelihood with one mean per group.
    pub(crate) fn fit<G: Ord + Copy>(units: &[(G, Trial, Scale)]) -> Self {
        let centre = |pick: fn(&Scale) -> Option<f64>| -> Option<f64> {
            let values: Vec<f64> = units.iter().filter_map(|(_, _, s)| pick(s)).collect();
            if values.len() < MIN_SCALE_CAMPAIGNS {
                return None;
            }
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let variance =
                values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
            (variance >= MIN_SCALE_VARIANCE).then_some(mean)
        };
        let size_centre = centre(|s| s.ln_reach);
        let cost_centre = centre(|s| s.ln_cost);
        let mut effect = ScaleEffect {
            size: 0.0,
            cost: 0.0,
            size_centre: size_centre.unwrap_or(0.0),
            cost_centre: cost_centre.unwrap_or(0.0),
            spread: [[0.0; 2]; 2],
            pearson: None,
        };
        if size_centre.is_none() && cost_centre.is_none() {
            return effect;
        }
        // Centred covariates (0 where unknown or unused), grouped.
        let mut groups: Grouped<G> = Grouped::new();
        for (group, trial, scale) in units {
            let x = [
                size_centre
                    .and_then(|c| scale.ln_reach.map(|v| v - c))
                    .unwrap_or(0.0),
                cost_centre
                    .and_then(|c| scale.ln_cost.map(|v| v - c))
                    .unwrap_or(0.0),
            ];
            groups
                .entry(*group)
                .or_default()
                .push((trial.successes, trial.trials, x));
        }
        let used = [size_centre.is_some(), cost_centre.is_some()];
        let (beta, information) = newton(groups.values(), used);
        effect.size = beta[0];
        effect.cost = beta[1];
        let dispersion = pearson_dispersion(&groups, beta);
        effect.pearson =
            Some(central_dispersion(&groups, beta).map_or(dispersion, |c| c.min(dispersion)));
        // Less variation than Poisson never narrows the slopes' uncertainty.
        let mut covariance = covariance(information, used, dispersion.max(1.0));
        let between = between_group_variance(&groups, used);
        for a in 0..2 {
            covariance[a][a] += between[a];
        }
        effect.spread = cholesky(covariance);
        effect
    }
}

/// The Poisson maximum-likelihood slopes of `groups` (one mean each, profiled out) by Newton's
/// method, with the Fisher information at them.
fn newton<'a>(
    groups: impl Iterator<Item = &'a Vec<(f64, f64, [f64; 2])>> + Clone,
    used: [bool; 2],
) -> ([f64; 2], [[f64; 2]; 2]) {
    let mut beta = [0.0f64; 2];
    let mut information = [[0.0f64; 2]; 2];
    for _ in 0..50 {
        // Gradient and (negated) Hessian of the profile log-likelihood
        // Σ k·βx − Σ_g K_g ln Σ_{i∈g} n·exp(βx).
        let mut gradient = [0.0f64; 2];
        information = [[0.0f64; 2]; 2];
        for members in groups.clone() {
            let successes: f64 = members.iter().map(|m| m.0).sum();
            if successes <= 0.0 {
                continue;
            }
            let weights: Vec<f64> = members
                .iter()
                .map(|(_, n, x)| n * (beta[0] * x[0] + beta[1] * x[1]).exp())
                .collect();
            let total: f64 = weights.iter().sum();
            if total <= 0.0 {
                continue;
            }
            let mut mean = [0.0f64; 2];
            let mut second = [[0.0f64; 2]; 2];
            for ((k, _, x), w) in members.iter().zip(&weights) {
                for a in 0..2 {
                    gradient[a] += k * x[a];
                    mean[a] += w * x[a] / total;
                    for b in 0..2 {
                        second[a][b] += w * x[a] * x[b] / total;
                    }
                }
            }
            for a in 0..2 {
                gradient[a] -= successes * mean[a];
                for b in 0..2 {
                    information[a][b] += successes * (second[a][b] - mean[a] * mean[b]);
                }
            }
        }
        let step = solve(information, gradient, used);
        for a in 0..2 {
            beta[a] = (beta[a] + step[a]).clamp(-MAX_SLOPE, MAX_SLOPE);
        }
        if step.iter().all(|s| s.abs() < 1e-9) {
            break;
        }
    }
    (beta, information)
}

/// How much the slopes differ between groups beyond their sampling noise (a random slope per
/// group, by the method of moments): each group of at least [`MIN_SCALE_CAMPAIGNS`] campaigns is
/// fitted alone, and the variance of its slopes less their mean sampling variance is the
/// between-group variance, 0 with fewer than two such groups. A campaign of a new group draws
/// its slopes with this added spread, so predicting far from the scales a group was seen at
/// carries how differently groups respond to scale.
fn between_group_variance<G>(groups: &Grouped<G>, used: [bool; 2]) -> [f64; 2] {
    let fitted: Vec<([f64; 2], [[f64; 2]; 2])> = groups
        .values()
        .filter(|members| members.len() >= MIN_SCALE_CAMPAIGNS)
        .map(|members| {
            let single = std::iter::once(members);
            let (beta, information) = newton(single, used);
            let alone: Grouped<u8> = std::iter::once((0, members.clone())).collect();
            (
                beta,
                covariance(information, used, pearson_dispersion(&alone, beta).max(1.0)),
            )
        })
        .collect();
    if fitted.len() < 2 {
        return [0.0; 2];
    }
    let count = fitted.len() as f64;
    std::array::from_fn(|a| {
        if !used[a] {
            return 0.0;
        }
        let mean = fitted.iter().map(|(b, _)| b[a]).sum::<f64>() / count;
        let spread = fitted
            .iter()
            .map(|(b, _)| (b[a] - mean).powi(2))
            .sum::<f64>()
            / (count - 1.0);
        let noise = fitted.iter().map(|(_, c)| c[a][a]).sum::<f64>() / count;
        (spread - noise).max(0.0)
    })
}

/// Each unit's count and its expectation under the fitted slopes (its group's total spread
/// over the group in proportion to scale-adjusted trials), for units expecting more than 0.
fn fitted<G>(groups: &Grouped<G>, beta: [f64; 2]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for members in groups.values() {
        let successes: f64 = members.iter().map(|m| m.0).sum();
        let weights: Vec<f64> = members
            .iter()
            .map(|(_, n, x)| n * (beta[0] * x[0] + beta[1] * x[1]).exp())
            .collect();
        let total: f64 = weights.iter().sum();
        if total <= 0.0 || successes <= 0.0 {
            continue;
        }
        for ((k, _, _), w) in members.iter().zip(&weights) {
            let expected = successes * w / total;
            if expected > 0.0 {
                out.push((*k, expected));
            }
        }
    }
    out
}

/// The Pearson dispersion of the fitted Poisson model: Σ (k − λ)²/λ over the residual degrees
/// of freedom.
fn pearson_dispersion<G>(groups: &Grouped<G>, beta: [f64; 2]) -> f64 {
    let units = fitted(groups, beta);
    let chi2: f64 = units.iter().map(|(k, e)| (k - e).powi(2) / e).sum();
    let freedom = units.len().saturating_sub(groups.len() + 2).max(1);
    chi2 / freedom as f64
}

/// Median of a χ² variable of one degree of freedom.
const CHI2_1_MEDIAN: f64 = 0.454_936_4;

/// Expected count from which a Pearson residual is close enough to normal to read a dispersion
/// from its median.
const CENTRAL_MIN_EXPECTED: f64 = 5.0;

/// The dispersion the middle of the residuals shows: the median squared Pearson residual over
/// that of a χ²₁ variable, from campaigns expecting at least [`CENTRAL_MIN_EXPECTED`]; `None`
/// with fewer than [`MIN_SCALE_CAMPAIGNS`] of them. An 80% interval is set by the central
/// residuals, which a few outlying campaigns would otherwise widen for everyone.
fn central_dispersion<G>(groups: &Grouped<G>, beta: [f64; 2]) -> Option<f64> {
    let mut squares: Vec<f64> = fitted(groups, beta)
        .into_iter()
        .filter(|(_, e)| *e >= CENTRAL_MIN_EXPECTED)
        .map(|(k, e)| (k - e).powi(2) / e)
        .collect();
    if squares.len() < MIN_SCALE_CAMPAIGNS {
        return None;
    }
    squares.sort_by(f64::total_cmp);
    Some(squares[squares.len() / 2] / CHI2_1_MEDIAN)
}

/// `dispersion × information⁻¹` over the used coordinates (0 where singular or unused).
fn covariance(information: [[f64; 2]; 2], used: [bool; 2], dispersion: f64) -> [[f64; 2]; 2] {
    let inverse = match used {
        [true, true] => {
            let det = information[0][0] * information[1][1] - information[0][1] * information[1][0];
            if det <= 1e-12 {
                return [[0.0; 2]; 2];
            }
            [
                [information[1][1] / det, -information[0][1] / det],
                [-information[1][0] / det, information[0][0] / det],
            ]
        }
        [true, false] if information[0][0] > 1e-12 => [[1.0 / information[0][0], 0.0], [0.0; 2]],
        [false, true] if information[1][1] > 1e-12 => [[0.0; 2], [0.0, 1.0 / information[1][1]]],
        _ => return [[0.0; 2]; 2],
    };
    inverse.map(|row| row.map(|v| v * dispersion))
}

/// The lower-triangular square root of a 2×2 covariance.
fn cholesky(c: [[f64; 2]; 2]) -> [[f64; 2]; 2] {
    let l00 = c[0][0].max(0.0).sqrt();
    let l10 = if l00 > 0.0 { c[1][0] / l00 } else { 0.0 };
    let l11 = (c[1][1] - l10 * l10).max(0.0).sqrt();
    [[l00, 0.0], [l10, l11]]
}

/// The Newton step `information⁻¹ · gradient` over the used coordinates (0 for the others, and
/// for a singular system).
fn solve(information: [[f64; 2]; 2], gradient: [f64; 2], used: [bool; 2]) -> [f64; 2] {
    let single = |a: usize| {
        let mut step = [0.0; 2];
        if information[a][a] > 1e-12 {
            step[a] = gradient[a] / information[a][a];
        }
        step
    };
    match used {
        [true, true] => {
            let det = information[0][0] * information[1][1] - information[0][1] * information[1][0];
            if det.abs() <= 1e-12 {
                return [0.0; 2];
            }
            [
                (information[1][1] * gradient[0] - information[0][1] * gradient[1]) / det,
                (information[0][0] * gradient[1] - information[1][0] * gradient[0]) / det,
            ]
        }
        [true, false] => single(0),
        [false, true] => single(1),
        [false, false] => [0.0; 2],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, LogNormal, Poisson};

    /// Campaigns whose rate falls as reach^-0.6 and rises as cost^0.8 around two group means.
    fn simulated(seed: u64) -> Vec<(u8, Trial, Scale)> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let reach: LogNormal<f64> = LogNormal::new(10.0, 1.5).unwrap();
        let cost: LogNormal<f64> = LogNormal::new(-6.0, 0.4).unwrap();
        (0..400)
            .map(|i| {
                let group = (i % 2) as u8;
                let n = reach.sample(&mut rng).round().max(10.0);
                let spend_per_reach = cost.sample(&mut rng);
                let mean = if group == 0 { 2e-3 } else { 6e-3 };
                let rate = mean * (n / 22_000.0).powf(-0.6) * (spend_per_reach / 0.0025).powf(0.8);
                let k = Poisson::new(n * rate.min(1.0))
                    .map_or(0.0, |d| d.sample(&mut rng))
                    .min(n);
                (
                    group,
                    Trial {
                        successes: k,
                        trials: n,
                    },
                    Scale::of(Some(n), Some(n * spend_per_reach)),
                )
            })
            .collect()
    }

    #[test]
    fn the_slopes_of_a_simulated_history_are_recovered() {
        let effect = ScaleEffect::fit(&simulated(5));
        assert!((effect.size + 0.6).abs() < 0.05, "{effect:?}");
        assert!((effect.cost - 0.8).abs() < 0.1, "{effect:?}");
        // A campaign e times the typical reach: its rate is e^-0.6 of the typical one.
        let typical = Scale {
            ln_reach: Some(effect.size_centre),
            ln_cost: Some(effect.cost_centre),
        };
        assert!((effect.factor(typical) - 1.0).abs() < 1e-12);
        let bigger = Scale {
            ln_reach: Some(effect.size_centre + 1.0),
            ..typical
        };
        assert!((effect.factor(bigger) - effect.size.exp()).abs() < 1e-12);
        assert_eq!(effect.factor(Scale::default()), 1.0, "unknown is typical");
    }

    #[test]
    fn few_or_alike_campaigns_get_no_slope() {
        let few: Vec<_> = simulated(6)
            .into_iter()
            .take(MIN_SCALE_CAMPAIGNS - 1)
            .collect();
        assert_eq!(ScaleEffect::fit(&few).size, 0.0);
        let alike: Vec<(u8, Trial, Scale)> = (0..100)
            .map(|i| {
                (
                    0,
                    Trial {
                        successes: f64::from(i % 7),
                        trials: 1000.0,
                    },
                    Scale::of(Some(1000.0 + f64::from(i)), None),
                )
            })
            .collect();
        let effect = ScaleEffect::fit(&alike);
        assert_eq!((effect.size, effect.cost), (0.0, 0.0));
        let adjusted = effect.adjust(alike[3].1, alike[3].2);
        assert_eq!(adjusted, alike[3].1);
    }

    /// Ungrouped campaigns around one rate whose counts deviate from their Poisson expectation
    /// by `shrink` times a Poisson deviation.
    fn quasi_poisson(shrink: f64, seed: u64) -> Vec<(u8, Trial, Scale)> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let reach: LogNormal<f64> = LogNormal::new(10.0, 1.0).unwrap();
        (0..400)
            .map(|_| {
                let n = reach.sample(&mut rng).round().max(100.0);
                let rate = 2e-3 * (n / 22_000.0).powf(-0.3);
                let expected = n * rate;
                let poisson = Poisson::new(expected).unwrap().sample(&mut rng);
                let k = (expected + shrink * (poisson - expected)).round().max(0.0);
                (
                    0,
                    Trial {
                        successes: k,
                        trials: n,
                    },
                    Scale::of(Some(n), None),
                )
            })
            .collect()
    }

    #[test]
    fn counts_that_vary_less_than_poisson_are_drawn_narrower() {
        let tight = ScaleEffect::fit(&quasi_poisson(0.4, 11));
        assert!(
            (tight.count_spread() - 0.4).abs() < 0.1,
            "{}",
            tight.count_spread()
        );
        let poisson = ScaleEffect::fit(&quasi_poisson(1.0, 11));
        assert!(poisson.count_spread() > 0.9, "{}", poisson.count_spread());
        assert_eq!(
            ScaleEffect::default().count_spread(),
            1.0,
            "no fit, binomial"
        );
    }

    /// Two groups of campaigns whose rates fall with reach at `slopes` each.
    fn two_groups(slopes: [f64; 2], seed: u64) -> Vec<(u8, Trial, Scale)> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let reach: LogNormal<f64> = LogNormal::new(10.0, 1.0).unwrap();
        (0..600)
            .map(|i| {
                let group = (i % 2) as u8;
                let n = reach.sample(&mut rng).round().max(100.0);
                let rate = 5e-3 * (n / 22_000.0).powf(slopes[usize::from(group)]);
                let k = Poisson::new(n * rate).unwrap().sample(&mut rng);
                (
                    group,
                    Trial {
                        successes: k,
                        trials: n,
                    },
                    Scale::of(Some(n), None),
                )
            })
            .collect()
    }

    #[test]
    fn slopes_that_differ_between_groups_widen_a_newcomers_slope() {
        let alike = ScaleEffect::fit(&two_groups([-0.5, -0.5], 3));
        let differing = ScaleEffect::fit(&two_groups([-0.9, -0.1], 3));
        // The pooled slope lies between the groups'; its spread now holds their difference.
        assert!((differing.size + 0.5).abs() < 0.15, "{differing:?}");
        assert!(alike.spread[0][0] < 0.05, "{alike:?}");
        assert!(differing.spread[0][0] > 0.3, "{differing:?}");
    }
}
