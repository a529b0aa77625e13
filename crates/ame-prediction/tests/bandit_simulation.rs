//! Seeded simulations of a variant test run by Thompson sampling against a uniform split.

use ame_prediction::bandit::{ArmCounts, BanditPolicy, TestPhase, assess, pick};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const EXPOSURES: u64 = 20_000;
const RUNS: u64 = 50;
/// Weights are refreshed every this many exposures.
const CADENCE: u64 = 250;

struct Run {
    /// Expected successes given up against always showing the best arm.
    regret: f64,
    /// The promoted arm.
    winner: Option<usize>,
    /// Every refresh where the leader's probability of being best was ≥ 0.95: was it the
    /// truly best arm?
    confident_calls: Vec<bool>,
}

fn simulate(rates: &[f64], seed: u64, bandit: bool) -> Run {
    let policy = BanditPolicy::default();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let best_rate = rates.iter().copied().fold(f64::MIN, f64::max);
    let mut arms = vec![ArmCounts::default(); rates.len()];
    let mut weights = vec![1.0 / rates.len() as f64; rates.len()];
    let mut winner = None;
    let mut regret = 0.0;
    let mut confident_calls = Vec::new();
    for exposure in 0..EXPOSURES {
        if bandit && exposure % CADENCE == 0 && exposure > 0 && winner.is_none() {
            let a = assess(&arms, &policy, None, seed * 1_000_003 + exposure);
            let (leader, top) = a
                .arms
                .iter()
                .enumerate()
                .map(|(i, p)| (i, p.probability_best))
                .fold((0, f64::MIN), |acc, x| if x.1 > acc.1 { x } else { acc });
            if a.phase != TestPhase::BurnIn && top >= 0.95 {
                confident_calls.push(rates[leader] == best_rate);
            }
            weights = a.weights;
            winner = a.winner;
        }
        let arm = pick(&weights, rng.random::<f64>());
        arms[arm].exposures += 1;
        arms[arm].successes += u64::from(rng.random::<f64>() < rates[arm]);
        regret += best_rate - rates[arm];
    }
    Run {
        regret,
        winner,
        confident_calls,
    }
}

#[test]
fn thompson_sampling_cuts_regret_by_at_least_forty_percent_and_its_confidence_is_calibrated() {
    let rates = [0.020, 0.025, 0.030];
    let mut bandit_regret = 0.0;
    let mut uniform_regret = 0.0;
    let mut calls = Vec::new();
    let mut right_winners = 0;
    for run in 0..RUNS {
        let b = simulate(&rates, run, true);
        bandit_regret += b.regret;
        calls.extend(b.confident_calls);
        right_winners += u32::from(b.winner == Some(2));
        assert!(
            b.winner.is_none_or(|w| w == 2),
            "run {run} promoted arm {:?}",
            b.winner
        );
        uniform_regret += simulate(&rates, run, false).regret;
    }
    let cut = 1.0 - bandit_regret / uniform_regret;
    let right = calls.iter().filter(|c| **c).count();
    println!(
        "regret {:.1} (Thompson) vs {:.1} (uniform), {:.0}% lower; {right_winners} of {RUNS} runs \
         promoted the best arm; P(best) ≥ 0.95 right {right} of {} times",
        bandit_regret / RUNS as f64,
        uniform_regret / RUNS as f64,
        cut * 100.0,
        calls.len()
    );
    assert!(
        cut >= 0.40,
        "mean regret {:.1} against {:.1} uniform: {:.0}% lower",
        bandit_regret / RUNS as f64,
        uniform_regret / RUNS as f64,
        cut * 100.0
    );
    assert!(!calls.is_empty());
    assert!(
        right as f64 >= 0.95 * calls.len() as f64,
        "P(best) ≥ 0.95 was right {right} of {} times",
        calls.len()
    );
    assert!(right_winners > 0);
}

#[test]
fn identical_arms_rarely_produce_a_winner() {
    let rates = [0.025, 0.025, 0.025];
    let promoted = (0..RUNS)
        .filter(|run| simulate(&rates, 1_000 + run, true).winner.is_some())
        .count();
    println!("identical arms: {promoted} of {RUNS} runs promoted a winner");
    assert!(
        promoted as f64 <= 0.05 * RUNS as f64,
        "{promoted} of {RUNS} runs promoted a winner among identical arms"
    );
}
