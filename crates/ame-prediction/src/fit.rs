//! Beta-Binomial estimation: the between-campaign dispersion by maximum likelihood and the
//! prior strength of a pooling level by empirical Bayes (method of moments across groups).
//!
//! A campaign's stage rate is `p ~ Beta(μκ, (1−μ)κ)` around its group's mean `μ`, and its count
//! is `k ~ Binomial(n, p)`. `κ` (the dispersion) says how much campaigns differ from each other;
//! a group mean `μ_g ~ Beta(τμ_parent, τ(1−μ_parent))` says how much groups differ from their parent.

/// Smallest and largest dispersion `κ` considered (a `κ` at the top is practically binomial).
pub const KAPPA_RANGE: (f64, f64) = (0.05, 1.0e8);
/// Prior strength used when groups show no excess variation (their means equal the parent's).
pub const TAU_CAP: f64 = 1.0e8;

/// One campaign's successes out of trials at one funnel stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trial {
    /// Successes (e.g. clicks).
    pub successes: f64,
    /// Trials (e.g. reach).
    pub trials: f64,
}

impl Trial {
    /// The observed rate.
    pub fn rate(&self) -> f64 {
        self.successes / self.trials
    }
}

/// How much a campaign's observed rate says about its group's mean, in "effective trials":
/// `1 / (1/n + 1/(κ+1))`. A campaign never counts for more than `κ+1`, because even with
/// infinite reach its own rate differs from the group's by the between-campaign spread.
pub fn evidence_weight(trials: f64, kappa: f64) -> f64 {
    1.0 / (1.0 / trials + 1.0 / (kappa + 1.0))
}

/// Weighted evidence about a group mean: pseudo-successes and pseudo-failures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pool {
    /// Σ wᵢ·rᵢ.
    pub successes: f64,
    /// Σ wᵢ·(1−rᵢ).
    pub failures: f64,
}

impl Pool {
    /// The pool of `trials` under dispersion `kappa`.
    pub fn of<'a>(trials: impl IntoIterator<Item = &'a Trial>, kappa: f64) -> Self {
        let mut pool = Pool::default();
        for t in trials {
            pool.add(t, kappa);
        }
        pool
    }

    /// Adds one campaign's evidence.
    pub fn add(&mut self, trial: &Trial, kappa: f64) {
        let w = evidence_weight(trial.trials, kappa);
        let r = trial.rate();
        self.successes += w * r;
        self.failures += w * (1.0 - r);
    }

    /// Removes one campaign's evidence (never below zero).
    pub fn remove(&mut self, trial: &Trial, kappa: f64) {
        self.remove_scaled(trial, kappa, 1.0);
    }

    /// Removes one campaign's evidence taken at `scale` of its weight (never below zero).
    pub fn remove_scaled(&mut self, trial: &Trial, kappa: f64, scale: f64) {
        let w = evidence_weight(trial.trials, kappa) * scale;
        let r = trial.rate();
        self.successes = (self.successes - w * r).max(0.0);
        self.failures = (self.failures - w * (1.0 - r)).max(0.0);
    }

    /// This pool's and `other`'s evidence together.
    pub fn plus(&self, other: &Pool) -> Pool {
        Pool {
            successes: self.successes + other.successes,
            failures: self.failures + other.failures,
        }
    }

    /// This pool without `other`'s evidence (never below zero).
    pub fn minus(&self, other: &Pool) -> Pool {
        Pool {
            successes: (self.successes - other.successes).max(0.0),
            failures: (self.failures - other.failures).max(0.0),
        }
    }

    /// Total weight.
    pub fn weight(&self) -> f64 {
        self.successes + self.failures
    }

    /// Weighted mean rate, `None` for an empty pool.
    pub fn mean(&self) -> Option<f64> {
        (self.weight() > 0.0).then(|| self.successes / self.weight())
    }
}

fn ln_beta(a: f64, b: f64) -> f64 {
    libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b)
}

/// Log-likelihood of dispersion `kappa` for trials whose group means are given.
fn log_likelihood(units: &[(Trial, f64)], kappa: f64) -> f64 {
    units
        .iter()
        .map(|(t, mean)| {
            let m = mean.clamp(1e-12, 1.0 - 1e-12);
            let a = (kappa * m).max(1e-12);
            let b = (kappa * (1.0 - m)).max(1e-12);
            ln_beta(t.successes + a, t.trials - t.successes + b) - ln_beta(a, b)
        })
        .sum()
}

/// Maximises `f` over `ln κ` by golden-section search (60 steps: far finer than the data resolve).
fn golden_max(f: impl Fn(f64) -> f64) -> f64 {
    let (mut lo, mut hi) = (KAPPA_RANGE.0.ln(), KAPPA_RANGE.1.ln());
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let mut x1 = hi - ratio * (hi - lo);
    let mut x2 = lo + ratio * (hi - lo);
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..60 {
        if f1 < f2 {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + ratio * (hi - lo);
            f2 = f(x2);
        } else {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - ratio * (hi - lo);
            f1 = f(x1);
        }
        if hi - lo < 1e-3 {
            break;
        }
    }
    ((lo + hi) / 2.0).exp()
}

/// The maximum-likelihood dispersion for trials with known group means.
pub fn fit_dispersion(units: &[(Trial, f64)]) -> f64 {
    golden_max(|ln_kappa| log_likelihood(units, ln_kappa.exp()))
}

/// The maximum-likelihood within-group dispersion of several groups of trials, each group's mean
/// profiled out as its evidence-weighted mean. Groups of one campaign say nothing about the
/// spread within a group and are left out; `None` when no group has two campaigns.
pub fn fit_grouped_dispersion(groups: &[Vec<Trial>]) -> Option<f64> {
    let groups: Vec<&Vec<Trial>> = groups.iter().filter(|g| g.len() >= 2).collect();
    if groups.is_empty() {
        return None;
    }
    Some(golden_max(|ln_kappa| {
        let kappa = ln_kappa.exp();
        groups
            .iter()
            .map(|g| {
                let m = Pool::of(g.iter(), kappa).mean().unwrap_or(0.0);
                let units: Vec<(Trial, f64)> = g.iter().map(|t| (*t, m)).collect();
                log_likelihood(&units, kappa)
            })
            .sum()
    }))
}

/// The maximum-likelihood `(mean, κ)` of one group of trials (the mean profiled out as the
/// evidence-weighted mean under each `κ`). `None` without any trial.
pub fn fit_group(trials: &[Trial]) -> Option<(f64, f64)> {
    if trials.is_empty() {
        return None;
    }
    let mean_at = |kappa: f64| Pool::of(trials, kappa).mean().unwrap_or(0.0);
    let kappa = golden_max(|ln_kappa| {
        let kappa = ln_kappa.exp();
        let m = mean_at(kappa);
        let units: Vec<(Trial, f64)> = trials.iter().map(|t| (*t, m)).collect();
        log_likelihood(&units, kappa)
    });
    Some((mean_at(kappa), kappa))
}

/// The empirical-Bayes prior strength `τ` of a pooling level: how strongly group means are
/// pulled to their parent's mean. From groups' pools and their parents' means, by the method of
/// moments: `E[(r̄_g − m)² / (m(1−m))] = 1/(τ+1) + 1/W_g`. Returns [`TAU_CAP`] when the groups
/// vary no more than their sampling noise explains, and `None` with fewer than two groups.
pub fn prior_strength(groups: &[(Pool, f64)]) -> Option<f64> {
    let usable: Vec<(f64, f64, f64)> = groups
        .iter()
        .filter_map(|(pool, parent)| {
            let mean = pool.mean()?;
            let m = parent.clamp(1e-12, 1.0 - 1e-12);
            Some((mean, m, pool.weight()))
        })
        .collect();
    if usable.len() < 2 {
        return None;
    }
    // Each group weighs by its evidence: `Σ W_g (r̄_g − m)² / (m(1−m)) = Σ W_g / (τ+1) + G`,
    // so one group of a single trial cannot claim that groups vary wildly.
    let total: f64 = usable.iter().map(|u| u.2).sum();
    let excess: f64 = (usable
        .iter()
        .map(|(mean, m, weight)| weight * (mean - m).powi(2) / (m * (1.0 - m)))
        .sum::<f64>()
        - usable.len() as f64)
        / total;
    if excess <= 1.0 / (TAU_CAP + 1.0) {
        return Some(TAU_CAP);
    }
    Some((1.0 / excess - 1.0).clamp(0.5, TAU_CAP))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Beta, Binomial, Distribution};

    fn simulate(mean: f64, kappa: f64, campaigns: usize, trials: u64, seed: u64) -> Vec<Trial> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let beta = Beta::new(mean * kappa, (1.0 - mean) * kappa).unwrap();
        (0..campaigns)
            .map(|_| {
                let p = beta.sample(&mut rng);
                let k = Binomial::new(trials, p).unwrap().sample(&mut rng);
                Trial {
                    successes: k as f64,
                    trials: trials as f64,
                }
            })
            .collect()
    }

    #[test]
    fn the_dispersion_and_mean_are_recovered_from_simulated_campaigns() {
        for (mean, kappa) in [(0.02, 200.0), (0.3, 20.0), (0.001, 5000.0)] {
            let trials = simulate(mean, kappa, 2000, 20_000, 7);
            let (m, k) = fit_group(&trials).unwrap();
            assert!((m / mean - 1.0).abs() < 0.08, "mean {m} vs {mean}");
            assert!((k / kappa - 1.0).abs() < 0.25, "kappa {k} vs {kappa}");
        }
    }

    #[test]
    fn binomial_data_gets_a_large_dispersion() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let trials: Vec<Trial> = (0..500)
            .map(|_| Trial {
                successes: Binomial::new(1000, 0.1).unwrap().sample(&mut rng) as f64,
                trials: 1000.0,
            })
            .collect();
        let (_, k) = fit_group(&trials).unwrap();
        assert!(k > 5_000.0, "{k}");
    }

    #[test]
    fn evidence_of_one_campaign_is_capped_by_the_dispersion() {
        assert!((evidence_weight(10.0, 1e9) - 10.0).abs() < 1e-6);
        assert!(evidence_weight(1e12, 99.0) < 100.0);
        assert!(evidence_weight(1e12, 99.0) > 99.9);
    }

    #[test]
    fn prior_strength_detects_differing_groups() {
        let alike: Vec<(Pool, f64)> = (0..8)
            .map(|g| (Pool::of(&simulate(0.1, 1e6, 50, 1000, g), 1e6), 0.1))
            .collect();
        assert_eq!(prior_strength(&alike), Some(TAU_CAP));
        let differing: Vec<(Pool, f64)> = [0.02, 0.05, 0.1, 0.2, 0.3, 0.15, 0.08, 0.04]
            .iter()
            .zip(0..)
            .map(|(m, g)| (Pool::of(&simulate(*m, 1e6, 50, 1000, g), 1e6), 0.1))
            .collect();
        let tau = prior_strength(&differing).unwrap();
        assert!(tau < 50.0, "{tau}");
        assert_eq!(prior_strength(&alike[..1]), None);
    }

    #[test]
    fn pools_add_and_remove_symmetrically() {
        let trials = simulate(0.1, 50.0, 10, 500, 1);
        let mut pool = Pool::of(&trials, 50.0);
        let before = pool;
        let extra = Trial {
            successes: 30.0,
            trials: 100.0,
        };
        pool.add(&extra, 50.0);
        assert!(pool.mean().unwrap() > before.mean().unwrap());
        pool.remove(&extra, 50.0);
        assert!((pool.weight() - before.weight()).abs() < 1e-9);
        assert_eq!(Pool::default().mean(), None);
    }
}
