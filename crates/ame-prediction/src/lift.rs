//! Incremental lift of a treated group over a randomly held-out control group.
//!
//! The absolute lift is the difference of the two groups' rates with Newcombe's hybrid score
//! interval (built from each group's Wilson interval, which keeps its coverage for small counts
//! and rates near 0). The relative lift is the ratio of the rates minus one with the Katz
//! log-ratio interval; a group with no successes gets half a success added on both sides of
//! that ratio so the interval stays finite.
//!
//! A per-contact amount (revenue) is compared by the difference of the two groups' means with
//! Welch's interval (Student's t with the Welch–Satterthwaite degrees of freedom, as
//! `scipy.stats.ttest_ind(equal_var=False)` and statsmodels' `CompareMeans` compute it), or by
//! a seeded percentile bootstrap when the amounts are too skewed to trust the t.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Size of a group and its successes (clicks, conversions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCounts {
    /// Contacts in the group with an outcome.
    pub size: u64,
    /// Contacts among them who succeeded.
    pub successes: u64,
}

impl GroupCounts {
    /// The group's rate (0 for an empty group).
    pub fn rate(&self) -> f64 {
        if self.size == 0 {
            0.0
        } else {
            self.successes as f64 / self.size as f64
        }
    }
}

/// An estimate with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Point estimate.
    pub value: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
}

impl Estimate {
    /// Whether the interval contains `value`.
    pub fn covers(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }
}

/// Lift of treatment over control.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Lift {
    /// Treated rate minus control rate.
    pub absolute: Estimate,
    /// Treated rate over control rate, minus one.
    pub relative: Estimate,
}

/// The normal quantile of a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score interval of `successes` in `size` at the normal quantile `z`.
pub fn wilson_at(successes: u64, size: u64, z: f64) -> (f64, f64) {
    if size == 0 {
        return (0.0, 1.0);
    }
    let n = size as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Wilson score interval of a proportion (95%).
pub fn wilson(group: GroupCounts) -> (f64, f64) {
    wilson_at(group.successes, group.size, Z95)
}

/// The lift of `treatment` over `control`; `None` unless both groups have outcomes.
pub fn lift(treatment: GroupCounts, control: GroupCounts) -> Option<Lift> {
    if treatment.size == 0 || control.size == 0 {
        return None;
    }
    let (pt, pc) = (treatment.rate(), control.rate());
    let (lt, ut) = wilson(treatment);
    let (lc, uc) = wilson(control);
    let difference = pt - pc;
    let absolute = Estimate {
        value: difference,
        low: difference - ((pt - lt).powi(2) + (uc - pc).powi(2)).sqrt(),
        high: difference + ((ut - pt).powi(2) + (pc - lc).powi(2)).sqrt(),
    };
    let corrected = treatment.successes == 0 || control.successes == 0;
    let half = if corrected { 0.5 } else { 0.0 };
    let (xt, nt) = (
        treatment.successes as f64 + half,
        treatment.size as f64 + half,
    );
    let (xc, nc) = (control.successes as f64 + half, control.size as f64 + half);
    let log_ratio = (xt / nt).ln() - (xc / nc).ln();
    let se = (1.0 / xt - 1.0 / nt + 1.0 / xc - 1.0 / nc).max(0.0).sqrt();
    let relative = Estimate {
        value: if pc > 0.0 {
            pt / pc - 1.0
        } else {
            log_ratio.exp() - 1.0
        },
        low: (log_ratio - Z95 * se).exp() - 1.0,
        high: (log_ratio + Z95 * se).exp() - 1.0,
    };
    Some(Lift { absolute, relative })
}

/// Size, mean and sample variance of a per-contact amount in one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Contacts in the group.
    pub size: u64,
    /// Mean amount per contact.
    pub mean: f64,
    /// Sample variance (divided by `size - 1`).
    pub variance: f64,
}

impl Sample {
    /// The summary of `amounts` (Welford's one-pass mean and variance).
    pub fn of(amounts: &[f64]) -> Self {
        let (mut mean, mut squares) = (0.0, 0.0);
        for (i, x) in amounts.iter().enumerate() {
            let delta = x - mean;
            mean += delta / (i + 1) as f64;
            squares += delta * (x - mean);
        }
        let size = amounts.len() as u64;
        Self {
            size,
            mean,
            variance: if size > 1 {
                squares / (size - 1) as f64
            } else {
                0.0
            },
        }
    }
}

/// The difference of the means of `treatment` and `control` with Welch's 95% interval; `None`
/// unless each group has at least two contacts. When both variances are zero the interval is
/// the point itself.
pub fn welch(treatment: Sample, control: Sample) -> Option<Estimate> {
    if treatment.size < 2 || control.size < 2 {
        return None;
    }
    let difference = treatment.mean - control.mean;
    let (vt, vc) = (
        treatment.variance / treatment.size as f64,
        control.variance / control.size as f64,
    );
    let se = (vt + vc).sqrt();
    if se == 0.0 {
        return Some(Estimate {
            value: difference,
            low: difference,
            high: difference,
        });
    }
    let df = (vt + vc).powi(2)
        / (vt.powi(2) / (treatment.size - 1) as f64 + vc.powi(2) / (control.size - 1) as f64);
    let t = StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(0.975);
    Some(Estimate {
        value: difference,
        low: difference - t * se,
        high: difference + t * se,
    })
}

/// The difference of the means of `treatment` and `control` with a percentile bootstrap 95%
/// interval over `resamples` resamples (each group resampled within itself), drawn from
/// `seed` so the same data always give the same interval; `None` unless both groups have
/// contacts and `resamples` is at least 100.
pub fn bootstrap(
    treatment: &[f64],
    control: &[f64],
    resamples: u32,
    seed: u64,
) -> Option<Estimate> {
    if treatment.is_empty() || control.is_empty() || resamples < 100 {
        return None;
    }
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut resample = |xs: &[f64]| {
        let total: f64 = (0..xs.len())
            .map(|_| xs[rng.random_range(0..xs.len())])
            .sum();
        total / xs.len() as f64
    };
    let mut differences: Vec<f64> = (0..resamples)
        .map(|_| resample(treatment) - resample(control))
        .collect();
    differences.sort_by(f64::total_cmp);
    let at = |q: f64| {
        differences[((q * (resamples - 1) as f64).round() as usize).min(differences.len() - 1)]
    };
    Some(Estimate {
        value: mean(treatment) - mean(control),
        low: at(0.025),
        high: at(0.975),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(size: u64, successes: u64) -> GroupCounts {
        GroupCounts { size, successes }
    }

    #[test]
    fn wilson_matches_a_published_value() {
        // 81 of 263: Wilson 95% interval 0.2553 – 0.3662 (Newcombe 1998, example).
        let (low, high) = wilson(counts(263, 81));
        assert!((low - 0.2553).abs() < 5e-4, "{low}");
        assert!((high - 0.3662).abs() < 5e-4, "{high}");
    }

    #[test]
    fn newcombe_matches_a_published_difference() {
        // Newcombe (1998) example: 56/70 vs 48/80 → difference 0.2000, 95% CI 0.0524 – 0.3339.
        let l = lift(counts(70, 56), counts(80, 48)).unwrap();
        assert!((l.absolute.value - 0.2).abs() < 1e-9);
        assert!((l.absolute.low - 0.0524).abs() < 5e-4, "{:?}", l.absolute);
        assert!((l.absolute.high - 0.3339).abs() < 5e-4, "{:?}", l.absolute);
        assert!((l.relative.value - (0.8 / 0.6 - 1.0)).abs() < 1e-9);
        assert!(l.relative.low > 0.0 && l.relative.high > l.relative.value);
    }

    #[test]
    fn no_lift_without_both_groups() {
        assert!(lift(counts(0, 0), counts(10, 1)).is_none());
        assert!(lift(counts(10, 1), counts(0, 0)).is_none());
    }

    #[test]
    fn zero_successes_keep_the_interval_finite() {
        let l = lift(counts(500, 7), counts(60, 0)).unwrap();
        assert!(l.relative.low.is_finite() && l.relative.high.is_finite());
        assert!(l.absolute.low < l.absolute.value && l.absolute.value < l.absolute.high);
    }

    #[test]
    fn a_true_twenty_percent_effect_is_covered_in_at_least_ninety_of_a_hundred_runs() {
        let (control_rate, treated_rate) = (0.05, 0.06);
        let mut covered_relative = 0;
        let mut covered_absolute = 0;
        for run in 0..100u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(run);
            let (mut treated, mut control) = (counts(0, 0), counts(0, 0));
            // A 10% holdout of 20,000 contacts.
            for _ in 0..20_000 {
                let (group, rate) = if rng.random::<f64>() < 0.1 {
                    (&mut control, control_rate)
                } else {
                    (&mut treated, treated_rate)
                };
                group.size += 1;
                group.successes += u64::from(rng.random::<f64>() < rate);
            }
            let l = lift(treated, control).unwrap();
            covered_relative += u32::from(l.relative.covers(0.2));
            covered_absolute += u32::from(l.absolute.covers(0.01));
        }
        assert!(
            covered_relative >= 90,
            "relative covered {covered_relative} of 100"
        );
        assert!(
            covered_absolute >= 90,
            "absolute covered {covered_absolute} of 100"
        );
    }
}
