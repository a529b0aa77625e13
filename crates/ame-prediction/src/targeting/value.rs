//! What a response is worth, contact by contact: a ridge regression of the log value on the
//! same standardised columns as the response model, fitted on the responders who paid, with
//! Duan's smearing estimate turning the mean log back into a mean value. A contact's expected
//! value is then `P(response) × share of responders who paid × E[value | paid, features]`, so
//! a likely small giver and an unlikely large one are ranked by what each is worth.

use super::{Encoder, TrainingRow};
use crate::logistic::cholesky_solve;
use serde::{Deserialize, Serialize};

/// Fewest responders with a value above 0 before the value model is fitted.
pub const MIN_VALUE_ROWS: usize = 30;

/// Shares of the audience at which captured value is reported.
pub const CAPTURE_SHARES: [f64; 4] = [0.1, 0.2, 0.3, 0.5];

/// The value model as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueModel {
    /// Intercept of the log value.
    pub intercept: f64,
    /// One coefficient per encoder column.
    pub coefficients: Vec<f64>,
    /// Duan's smearing factor: the mean of `exp(residual)`.
    pub smearing: f64,
    /// Share of responders whose value was above 0.
    pub paying_share: f64,
    /// Smallest and largest log value fitted on (predictions are kept inside them).
    pub log_range: [f64; 2],
    /// Responders with a value the model was fitted on.
    pub rows: usize,
}

impl ValueModel {
    /// Fits the model to the responders among `rows` (those without a value count as paying
    /// nothing); `None` with fewer than [`MIN_VALUE_ROWS`] paying responders.
    pub fn fit(encoder: &Encoder, rows: &[&TrainingRow], l2: f64) -> Option<Self> {
        let responders: Vec<&&TrainingRow> = rows.iter().filter(|r| r.responded).collect();
        let paying: Vec<(&TrainingRow, f64)> = responders
            .iter()
            .filter_map(|r| r.value.filter(|v| *v > 0.0).map(|v| (**r, v.ln())))
            .collect();
        if paying.len() < MIN_VALUE_ROWS {
            return None;
        }
        let cols = encoder.columns.len();
        let p = cols + 1;
        let mut normal = vec![0.0; p * p];
        let mut target = vec![0.0; p];
        let mut row = Vec::with_capacity(cols);
        let mut extended = vec![0.0; p];
        let mut encoded = Vec::with_capacity(paying.len());
        for (r, y) in &paying {
            row.clear();
            encoder.encode_into(&r.inputs, &mut row);
            extended[0] = 1.0;
            extended[1..].copy_from_slice(&row);
            for i in 0..p {
                target[i] += extended[i] * y;
                for j in 0..p {
                    normal[i * p + j] += extended[i] * extended[j];
                }
            }
            encoded.push(row.clone());
        }
        for i in 1..p {
            normal[i * p + i] += l2;
        }
        let beta = cholesky_solve(normal, target)?;
        let mut model = ValueModel {
            intercept: beta[0],
            coefficients: beta[1..].to_vec(),
            smearing: 1.0,
            paying_share: paying.len() as f64 / responders.len() as f64,
            log_range: paying
                .iter()
                .fold([f64::INFINITY, f64::NEG_INFINITY], |r, (_, y)| {
                    [r[0].min(*y), r[1].max(*y)]
                }),
            rows: paying.len(),
        };
        model.smearing = paying
            .iter()
            .zip(&encoded)
            .map(|((_, y), x)| (y - model.log_value(x)).exp())
            .sum::<f64>()
            / paying.len() as f64;
        Some(model)
    }

    fn log_value(&self, row: &[f64]) -> f64 {
        let linear = self.intercept
            + self
                .coefficients
                .iter()
                .zip(row)
                .map(|(b, x)| b * x)
                .sum::<f64>();
        linear.clamp(self.log_range[0], self.log_range[1])
    }

    /// The expected value of a response from a contact with encoded `row`.
    pub fn value_of_response(&self, row: &[f64]) -> f64 {
        self.paying_share * self.log_value(row).exp() * self.smearing
    }
}

/// Value captured by the best-ranked share of an audience, ranked two ways.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CapturedValue {
    /// Share of the audience taken from the top.
    pub share: f64,
    /// Share of the total value those contacts gave, ranked by expected value.
    pub by_expected_value: f64,
    /// The same, ranked by the probability of a response alone.
    pub by_probability: f64,
}

/// The captured-value curve of held-out contacts: each row's `(expected value, probability,
/// actual value)`; `None` when they gave nothing.
pub fn captured_value(rows: &[(f64, f64, f64)]) -> Option<Vec<CapturedValue>> {
    let total: f64 = rows.iter().map(|r| r.2).sum();
    if total <= 0.0 {
        return None;
    }
    let captured = |key: fn(&(f64, f64, f64)) -> f64, share: f64| {
        let mut order: Vec<&(f64, f64, f64)> = rows.iter().collect();
        order.sort_by(|a, b| key(b).total_cmp(&key(a)));
        let take = ((share * rows.len() as f64).round() as usize).min(rows.len());
        order[..take].iter().map(|r| r.2).sum::<f64>() / total
    };
    Some(
        CAPTURE_SHARES
            .iter()
            .map(|share| CapturedValue {
                share: *share,
                by_expected_value: captured(|r| r.0, *share),
                by_probability: captured(|r| r.1, *share),
            })
            .collect(),
    )
}
