//! Variant tests by Thompson sampling.
//!
//! Each arm's success rate has a Beta(1 + successes, 1 + failures) posterior. Monte Carlo draws
//! from the posteriors give every arm's probability of being the best and its expected loss
//! (how much rate is given up, on average, by choosing it over the best arm of each draw). Until
//! every arm has its burn-in of exposures the split stays equal; after that each arm's weight is
//! its probability of being best, with a floor so no arm is starved. An arm is promoted when its
//! probability of being best reaches the threshold and its expected loss, relative to its own
//! rate, is below the tolerance: the test then stops and the winner takes every exposure.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::monte_carlo::beta;

/// Exposures and successes of one arm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmCounts {
    /// Times the arm was shown.
    pub exposures: u64,
    /// Times it succeeded (a click, a lead).
    pub successes: u64,
}

/// How a test assigns weights and when it promotes a winner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BanditPolicy {
    /// Exposures every arm needs before weights move away from an equal split.
    pub burn_in: u64,
    /// The least weight any arm keeps while the test runs.
    pub floor: f64,
    /// Probability of being best that a winner needs.
    pub promote_probability: f64,
    /// Largest expected loss a winner may carry, as a share of its own posterior mean rate.
    pub max_relative_loss: f64,
    /// Monte Carlo draws per assessment.
    pub draws: usize,
}

impl Default for BanditPolicy {
    fn default() -> Self {
        Self {
            burn_in: 100,
            floor: 0.01,
            promote_probability: 0.95,
            max_relative_loss: 0.001,
            draws: 4_000,
        }
    }
}

/// Where a test stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestPhase {
    /// Some arm has fewer exposures than the burn-in: equal weights.
    BurnIn,
    /// Weights follow each arm's probability of being best.
    Optimising,
    /// A winner was promoted.
    Promoted,
}

/// What the posterior says about one arm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ArmPosterior {
    /// Posterior mean rate.
    pub mean: f64,
    /// Lower end of the 95% credible interval.
    pub low: f64,
    /// Upper end of the 95% credible interval.
    pub high: f64,
    /// Probability that this arm has the highest rate.
    pub probability_best: f64,
    /// Expected rate given up by choosing this arm.
    pub expected_loss: f64,
}

/// A test's assessment: every arm's posterior, the weights to use next, the phase and the
/// winner (when promoted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// One entry per arm, in arm order.
    pub arms: Vec<ArmPosterior>,
    /// Share of the next exposures each arm should get (sums to 1).
    pub weights: Vec<f64>,
    /// Where the test stands.
    pub phase: TestPhase,
    /// The promoted arm.
    pub winner: Option<usize>,
}

/// Posterior summaries of every arm from `draws` Monte Carlo draws.
pub fn posteriors(arms: &[ArmCounts], draws: usize, seed: u64) -> Vec<ArmPosterior> {
    let k = arms.len();
    if k == 0 {
        return Vec::new();
    }
    let draws = draws.max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut samples = vec![Vec::with_capacity(draws); k];
    let mut wins = vec![0u64; k];
    let mut loss = vec![0.0; k];
    let mut round = vec![0.0; k];
    for _ in 0..draws {
        for (slot, arm) in round.iter_mut().zip(arms) {
            let failures = arm.exposures.saturating_sub(arm.successes);
            *slot = beta(&mut rng, 1.0 + arm.successes as f64, 1.0 + failures as f64);
        }
        let (best, top) = round
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, f64::MIN),
                |acc, (i, v)| if v > acc.1 { (i, v) } else { acc },
            );
        wins[best] += 1;
        for i in 0..k {
            loss[i] += top - round[i];
            samples[i].push(round[i]);
        }
    }
    samples
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            s.sort_by(f64::total_cmp);
            let at = |q: f64| s[((q * (draws - 1) as f64).round() as usize).min(draws - 1)];
            ArmPosterior {
                mean: (1.0 + arms[i].successes as f64) / (2.0 + arms[i].exposures as f64),
                low: at(0.025),
                high: at(0.975),
                probability_best: wins[i] as f64 / draws as f64,
                expected_loss: loss[i] / draws as f64,
            }
        })
        .collect()
}

/// Weights proportional to the probabilities of being best, lifted so every arm keeps at least
/// `floor` (when `floor × arms ≤ 1`).
pub fn floored_weights(probabilities: &[f64], floor: f64) -> Vec<f64> {
    let k = probabilities.len();
    if k == 0 {
        return Vec::new();
    }
    let floor = floor.clamp(0.0, 1.0 / k as f64);
    let total: f64 = probabilities.iter().sum();
    probabilities
        .iter()
        .map(|p| {
            let share = if total > 0.0 {
                p / total
            } else {
                1.0 / k as f64
            };
            floor + (1.0 - floor * k as f64) * share
        })
        .collect()
}

/// Assesses a test: posteriors, next weights, phase and winner. A test that `already_promoted`
/// an arm keeps it.
pub fn assess(
    arms: &[ArmCounts],
    policy: &BanditPolicy,
    already_promoted: Option<usize>,
    seed: u64,
) -> Assessment {
    let posteriors = posteriors(arms, policy.draws, seed);
    let k = arms.len();
    if let Some(winner) = already_promoted.filter(|w| *w < k) {
        let weights = (0..k).map(|i| f64::from(u8::from(i == winner))).collect();
        return Assessment {
            arms: posteriors,
            weights,
            phase: TestPhase::Promoted,
            winner: Some(winner),
        };
    }
    if k < 2 || arms.iter().any(|a| a.exposures < policy.burn_in) {
        return Assessment {
            arms: posteriors,
            weights: vec![1.0 / k.max(1) as f64; k],
            phase: TestPhase::BurnIn,
            winner: None,
        };
    }
    let probabilities: Vec<f64> = posteriors.iter().map(|p| p.probability_best).collect();
    let leader = probabilities
        .iter()
        .copied()
        .enumerate()
        .fold(
            (0, f64::MIN),
            |acc, (i, v)| if v > acc.1 { (i, v) } else { acc },
        )
        .0;
    let best = posteriors[leader];
    if best.probability_best >= policy.promote_probability
        && best.expected_loss <= policy.max_relative_loss * best.mean
    {
        let weights = (0..k).map(|i| f64::from(u8::from(i == leader))).collect();
        return Assessment {
            arms: posteriors,
            weights,
            phase: TestPhase::Promoted,
            winner: Some(leader),
        };
    }
    Assessment {
        weights: floored_weights(&probabilities, policy.floor),
        arms: posteriors,
        phase: TestPhase::Optimising,
        winner: None,
    }
}

/// The arm for a draw `u` in [0, 1) under `weights` (the last arm takes any rounding rest).
pub fn pick(weights: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return i;
        }
    }
    weights.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn floored_weights_keep_every_arm_above_the_floor_and_sum_to_one() {
        let w = floored_weights(&[1.0, 0.0, 0.0], 0.01);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((w[1] - 0.01).abs() < 1e-12 && (w[2] - 0.01).abs() < 1e-12);
        assert!((w[0] - 0.98).abs() < 1e-12);
    }

    #[test]
    fn burn_in_keeps_equal_weights_until_every_arm_has_its_exposures() {
        let policy = BanditPolicy::default();
        let arms = [
            ArmCounts {
                exposures: 5_000,
                successes: 500,
            },
            ArmCounts {
                exposures: 99,
                successes: 0,
            },
        ];
        let a = assess(&arms, &policy, None, 1);
        assert_eq!(a.phase, TestPhase::BurnIn);
        assert_eq!(a.weights, vec![0.5, 0.5]);
    }

    #[test]
    fn a_clearly_better_arm_is_promoted_and_keeps_every_exposure() {
        let policy = BanditPolicy::default();
        let arms = [
            ArmCounts {
                exposures: 10_000,
                successes: 200,
            },
            ArmCounts {
                exposures: 10_000,
                successes: 400,
            },
        ];
        let a = assess(&arms, &policy, None, 7);
        assert_eq!(a.phase, TestPhase::Promoted);
        assert_eq!(a.winner, Some(1));
        assert_eq!(a.weights, vec![0.0, 1.0]);
        assert!(a.arms[1].probability_best > 0.99);
        assert!(a.arms[1].low < 0.04 && a.arms[1].high > 0.04);
    }

    #[test]
    fn an_uncertain_lead_moves_weights_without_promoting() {
        let policy = BanditPolicy::default();
        let arms = [
            ArmCounts {
                exposures: 400,
                successes: 10,
            },
            ArmCounts {
                exposures: 400,
                successes: 14,
            },
        ];
        let a = assess(&arms, &policy, None, 3);
        assert_eq!(a.phase, TestPhase::Optimising);
        assert!(a.weights[1] > a.weights[0]);
        assert!(a.weights[0] >= 0.01);
    }

    #[test]
    fn pick_follows_the_weights() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let weights = [0.2, 0.5, 0.3];
        let mut counts = [0u32; 3];
        for _ in 0..100_000 {
            counts[pick(&weights, rng.random::<f64>())] += 1;
        }
        for (c, w) in counts.iter().zip(weights) {
            assert!((f64::from(*c) / 100_000.0 - w).abs() < 0.01);
        }
    }
}
