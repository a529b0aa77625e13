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
        let mut beta = [0.0f64; 2];
        let mut information = [[0.0f64; 2]; 2];
        for _ in 0..50 {
            // Gradient and (negated) Hessian of the profile log-likelihood
            // Σ k·βx − Σ_g K_g ln Σ_{i∈g} n·exp(βx).
            let mut gradient = [0.0f64; 2];
            information = [[0.0f64; 2]; 2];
            for members in groups.values() {
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
        effect.size = beta[0];
        effect.cost = beta[1];
        effect.spread = spread(information, used, pearson_dispersion(&groups, beta));
        effect
    }
}

/// The Pearson dispersion of the fitted Poisson model: Σ (k − λ)²/λ over the residual degrees
/// of freedom, at least 1 (variation beyond Poisson widens the slopes' uncertainty; none
/// narrows it).
fn pearson_dispersion<G>(groups: &Grouped<G>, beta: [f64; 2]) -> f64 {
    let mut chi2 = 0.0;
    let mut units = 0usize;
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
                chi2 += (k - expected).powi(2) / expected;
                units += 1;
            }
        }
    }
    let freedom = units.saturating_sub(groups.len() + 2).max(1);
    (chi2 / freedom as f64).max(1.0)
}

/// The Cholesky factor of `dispersion × information⁻¹` over the used coordinates.
fn spread(information: [[f64; 2]; 2], used: [bool; 2], dispersion: f64) -> [[f64; 2]; 2] {
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
    let c = inverse.map(|row| row.map(|v| v * dispersion));
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
}
