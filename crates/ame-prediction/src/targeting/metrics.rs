//! How well scores rank and how honest their probabilities are.

use serde::{Deserialize, Serialize};

/// Area under the ROC curve (the probability that a random responder outscores a random
/// non-responder, ties counting half); `None` without both classes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let positives = labels.iter().filter(|l| **l).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Mid-ranks over runs of equal scores.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += mid * order[i..=j].iter().filter(|k| labels[**k]).count() as f64;
        i = j + 1;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// Response rate among the top tenth by score over the overall rate; `None` without responders.
pub fn top_decile_lift(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let n = scores.len();
    let overall = labels.iter().filter(|l| **l).count() as f64 / n.max(1) as f64;
    if overall == 0.0 {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    let top = (n / 10).max(1);
    let hits = order[..top].iter().filter(|i| labels[**i]).count() as f64;
    Some(hits / top as f64 / overall)
}

/// One bin of a reliability table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Rows in the bin.
    pub rows: usize,
    /// Mean predicted probability.
    pub predicted: f64,
    /// Observed response rate.
    pub observed: f64,
}

/// Ten equal-count bins by predicted probability and the expected calibration error (the
/// row-weighted mean gap between predicted and observed rates).
pub fn reliability(probabilities: &[f64], labels: &[bool]) -> (Vec<ReliabilityBin>, f64) {
    let n = probabilities.len();
    if n == 0 {
        return (Vec::new(), 0.0);
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| probabilities[*a].total_cmp(&probabilities[*b]));
    let bins = 10.min(n);
    let mut table = Vec::with_capacity(bins);
    let mut error = 0.0;
    for b in 0..bins {
        let slice = &order[b * n / bins..(b + 1) * n / bins];
        if slice.is_empty() {
            continue;
        }
        let rows = slice.len();
        let predicted = slice.iter().map(|i| probabilities[*i]).sum::<f64>() / rows as f64;
        let observed = slice.iter().filter(|i| labels[**i]).count() as f64 / rows as f64;
        error += rows as f64 / n as f64 * (predicted - observed).abs();
        table.push(ReliabilityBin {
            rows,
            predicted,
            observed,
        });
    }
    (table, error)
}

/// One row of an uplift evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpliftRow {
    /// Predicted uplift.
    pub score: f64,
    /// Whether the contact was treated (false: control).
    pub treated: bool,
    /// Whether the contact responded.
    pub responded: bool,
}

/// The Qini coefficient: the area between the Qini curve of contacts ranked by predicted uplift
/// and the straight line of a random ranking, over `N²` (so it is scale-free; 0 is random,
/// positive is better than random). The curve at `k` is the treated responders among the top `k`
/// minus the control responders scaled to the treated count. `None` without both groups.
pub fn qini(rows: &[UpliftRow]) -> Option<f64> {
    let n = rows.len();
    if !rows.iter().any(|r| r.treated) || !rows.iter().any(|r| !r.treated) {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| rows[*b].score.total_cmp(&rows[*a].score));
    let mut curve = Vec::with_capacity(n);
    let (mut nt, mut nc, mut rt, mut rc) = (0.0, 0.0, 0.0, 0.0);
    for i in order {
        let r = rows[i];
        if r.treated {
            nt += 1.0;
            rt += f64::from(u8::from(r.responded));
        } else {
            nc += 1.0;
            rc += f64::from(u8::from(r.responded));
        }
        curve.push(if nc > 0.0 { rt - rc * nt / nc } else { rt });
    }
    let last = curve[n - 1];
    let area: f64 = curve
        .iter()
        .enumerate()
        .map(|(k, q)| q - last * (k + 1) as f64 / n as f64)
        .sum();
    Some(area / (n as f64 * n as f64))
}

/// Resamples of the Qini bootstrap.
pub const QINI_RESAMPLES: u32 = 200;

/// A 95% percentile bootstrap interval of the Qini coefficient: the held-out rows resampled
/// with replacement `resamples` times (drawn from `seed`, so the same rows give the same
/// interval). An interval that includes 0 says the ranking may be no better than random.
pub fn qini_interval(rows: &[UpliftRow], resamples: u32, seed: u64) -> Option<[f64; 2]> {
    use rand::{Rng, SeedableRng};
    qini(rows)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut sample = Vec::with_capacity(rows.len());
    let mut values: Vec<f64> = (0..resamples)
        .filter_map(|_| {
            sample.clear();
            sample.extend((0..rows.len()).map(|_| rows[rng.random_range(0..rows.len())]));
            qini(&sample)
        })
        .collect();
    if values.len() < 20 {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let at =
        |q: f64| values[((q * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)];
    Some([at(0.025), at(0.975)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(
            auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
            Some(0.75)
        );
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(auc(&[0.5, 0.5], &[true, true]), None);
    }

    #[test]
    fn top_decile_lift_compares_the_best_tenth_with_the_whole() {
        let scores: Vec<f64> = (0..100).map(f64::from).collect();
        let labels: Vec<bool> = (0..100).map(|i| i >= 90 || i == 3).collect();
        // The top 10 all respond; 11 of 100 overall.
        let lift = top_decile_lift(&scores, &labels).unwrap();
        assert!((lift - 1.0 / 0.11).abs() < 1e-12);
    }

    #[test]
    fn perfectly_calibrated_bins_have_no_error() {
        let probabilities = vec![0.5; 20];
        let labels: Vec<bool> = (0..20).map(|i| i % 2 == 0).collect();
        let (bins, error) = reliability(&probabilities, &labels);
        assert_eq!(bins.len(), 10);
        assert!(error < 1e-12, "{error}");
        let (_, off) = reliability(&[0.9; 20], &labels);
        assert!((off - 0.4).abs() < 1e-12);
    }

    #[test]
    fn qini_is_positive_when_the_ranking_puts_persuadables_first() {
        let mut rows = Vec::new();
        for i in 0..200 {
            let helped = i < 100;
            let treated = i % 2 == 0;
            rows.push(UpliftRow {
                score: if helped { 1.0 } else { 0.0 } + f64::from(i) * 1e-6,
                treated,
                responded: treated && helped && i % 4 == 0,
            });
        }
        assert!(qini(&rows).unwrap() > 0.01);
        for r in &mut rows {
            r.score = -r.score;
        }
        assert!(qini(&rows).unwrap() < 0.0);
        let interval = qini_interval(&rows, QINI_RESAMPLES, 1).unwrap();
        assert!(interval[1] < 0.0, "a clearly wrong ranking: {interval:?}");
    }
}
