//! How much each organization may weigh in a pooled level, so that no single organization can
//! drag every other organization's predictions: its evidence is capped at a few times the
//! typical organization's, and an organization whose rate is implausible under the others'
//! (a robust centre and spread across organizations) is down-weighted by its likelihood there.

use crate::fit::Pool;

/// An organization weighs at most this many times the median organization in a pooled level.
pub const ORG_WEIGHT_CAP: f64 = 2.0;
/// Organizations whose rate lies within this many robust standard deviations of the others'
/// keep their full weight; beyond it their weight falls with their Gaussian likelihood.
pub const OUTLIER_Z: f64 = 3.0;
/// Fewest organizations in a level before outliers can be told from the rest.
const OUTLIER_MIN_ORGS: usize = 3;

/// The median of `values` weighted by `weights` (both non-empty, weights non-negative).
pub(crate) fn weighted_median(values: &[f64], weights: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
    let total: f64 = weights.iter().sum();
    let mut seen = 0.0;
    for i in &order {
        seen += weights[*i];
        if seen >= total / 2.0 {
            return values[*i];
        }
    }
    values[order[order.len() - 1]]
}

/// How much of one organization's evidence a pooled level takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrgWeight {
    /// The weight cap's factor (1 unless the organization outweighs [`ORG_WEIGHT_CAP`] times
    /// the median organization).
    pub cap: f64,
    /// The outlier factor: 1 within [`OUTLIER_Z`] robust standard deviations of the other
    /// organizations' centre, falling with the Gaussian likelihood beyond it.
    pub plausibility: f64,
}

impl OrgWeight {
    /// The factor the organization's pool is multiplied by.
    pub fn scale(&self) -> f64 {
        self.cap * self.plausibility
    }
}

/// Each pool's weight-cap factor: at most [`ORG_WEIGHT_CAP`] times the median positive weight.
pub fn capped_scales(pools: &[Pool]) -> Vec<f64> {
    let weights: Vec<f64> = pools.iter().map(Pool::weight).collect();
    let positive: Vec<f64> = weights.iter().copied().filter(|w| *w > 0.0).collect();
    if positive.is_empty() {
        return vec![1.0; pools.len()];
    }
    let cap = ORG_WEIGHT_CAP * weighted_median(&positive, &vec![1.0; positive.len()]);
    weights
        .iter()
        .map(|w| if *w > cap { cap / w } else { 1.0 })
        .collect()
}

/// How much of each organization's pool (one per organization) joins a pooled level.
pub fn org_weights(pools: &[Pool]) -> Vec<OrgWeight> {
    let caps = capped_scales(pools);
    let weights: Vec<f64> = pools.iter().map(Pool::weight).collect();
    // Rates with half a success and half a failure added: an organization with few trials and
    // no success yet is not taken for a rate of exactly 0 (with most of the evidence in such
    // organizations the median would be 0, the spread 0, and every organization that did
    // convert an "outlier").
    let rate = |p: &Pool| (p.successes + 0.5) / (p.weight() + 1.0);
    let rated: Vec<(usize, f64)> = pools
        .iter()
        .enumerate()
        .filter(|(_, p)| p.weight() > 0.0)
        .map(|(i, p)| (i, rate(p)))
        .collect();
    let full = |i: usize| OrgWeight {
        cap: caps[i],
        plausibility: 1.0,
    };
    if rated.len() < OUTLIER_MIN_ORGS {
        return (0..pools.len()).map(full).collect();
    }
    let means: Vec<f64> = rated.iter().map(|(_, m)| *m).collect();
    let rated_weights: Vec<f64> = rated.iter().map(|(i, _)| weights[*i] * caps[*i]).collect();
    let centre = weighted_median(&means, &rated_weights);
    let deviations: Vec<f64> = means.iter().map(|m| (m - centre).abs()).collect();
    let spread = 1.4826 * weighted_median(&deviations, &rated_weights);
    let bounded = centre.clamp(1e-9, 1.0 - 1e-9);
    let binomial = bounded * (1.0 - bounded);
    (0..pools.len())
        .map(|i| {
            if weights[i] <= 0.0 {
                return full(i);
            }
            let mean = rate(&pools[i]);
            let sd = (spread.powi(2) + binomial / weights[i]).sqrt().max(1e-12);
            let z = (mean - centre).abs() / sd;
            let plausibility = if z <= OUTLIER_Z {
                1.0
            } else {
                (-(z * z - OUTLIER_Z * OUTLIER_Z) / 2.0).exp()
            };
            OrgWeight {
                cap: caps[i],
                plausibility,
            }
        })
        .collect()
}

/// `pool` with its evidence multiplied by `scale`.
pub fn scaled(pool: &Pool, scale: f64) -> Pool {
    Pool {
        successes: pool.successes * scale,
        failures: pool.failures * scale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(rate: f64, weight: f64) -> Pool {
        Pool {
            successes: rate * weight,
            failures: (1.0 - rate) * weight,
        }
    }

    #[test]
    fn alike_organizations_keep_their_weight() {
        let pools = [
            pool(0.020, 500.0),
            pool(0.024, 400.0),
            pool(0.018, 600.0),
            pool(0.022, 450.0),
            pool(0.019, 550.0),
        ];
        assert!(org_weights(&pools).iter().all(|w| w.scale() == 1.0));
    }

    #[test]
    fn a_heavy_organization_is_capped_at_twice_the_median() {
        let pools = [
            pool(0.020, 500.0),
            pool(0.024, 500.0),
            pool(0.021, 500.0),
            pool(0.022, 50_000.0),
        ];
        let scales: Vec<f64> = org_weights(&pools).iter().map(OrgWeight::scale).collect();
        assert_eq!(&scales[..3], &[1.0, 1.0, 1.0]);
        assert!((scales[3] * 50_000.0 - 1000.0).abs() < 1e-6, "{scales:?}");
    }

    #[test]
    fn an_implausible_organization_is_all_but_dropped() {
        let pools = [
            pool(0.020, 500.0),
            pool(0.030, 400.0),
            pool(0.015, 600.0),
            pool(0.025, 450.0),
            pool(0.018, 550.0),
            pool(1.0, 5_000_000.0),
        ];
        let scales: Vec<f64> = org_weights(&pools).iter().map(OrgWeight::scale).collect();
        assert!(scales[..5].iter().all(|s| *s == 1.0), "{scales:?}");
        assert!(scales[5] * 5_000_000.0 < 1e-6, "{scales:?}");
    }

    #[test]
    fn two_organizations_are_only_capped() {
        let weights = org_weights(&[pool(0.02, 100.0), pool(0.9, 100.0)]);
        assert!(weights.iter().all(|w| w.scale() == 1.0));
        assert!(org_weights(&[]).is_empty());
    }
}
