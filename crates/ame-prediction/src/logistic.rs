//! L2-regularised logistic regression fitted by iteratively reweighted least squares.
//!
//! The objective is the negative log-likelihood plus `λ/2 · ‖β‖²` over the coefficients (the
//! intercept is not penalised), the same as scikit-learn's `LogisticRegression(C = 1/λ)`. Each
//! Newton step solves `(XᵀWX + λI) Δ = Xᵀ(y − μ) − λβ` by Cholesky; a step that does not lower
//! the objective is halved. The fit stops when no coefficient moves by more than 1e-10.

use thiserror::Error;

/// Why a logistic regression could not be fitted.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FitError {
    /// There are no rows.
    #[error("no rows to fit")]
    Empty,
    /// Every row has the same outcome.
    #[error("every row has the same outcome ({0} responders of {1})")]
    SingleClass(usize, usize),
    /// The Newton system could not be solved (a singular design without regularisation).
    #[error("the design matrix is singular")]
    Singular,
}

/// A fitted model: `P(y = 1 | x) = σ(intercept + coefficients · x)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// The intercept.
    pub intercept: f64,
    /// One coefficient per column.
    pub coefficients: Vec<f64>,
    /// Newton iterations used.
    pub iterations: u32,
}

/// The logistic function.
pub fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

impl LogisticFit {
    /// The linear predictor for one row.
    pub fn linear(&self, row: &[f64]) -> f64 {
        self.intercept
            + self
                .coefficients
                .iter()
                .zip(row)
                .map(|(b, x)| b * x)
                .sum::<f64>()
    }

    /// The probability of a response for one row.
    pub fn probability(&self, row: &[f64]) -> f64 {
        sigmoid(self.linear(row))
    }
}

const MAX_ITERATIONS: u32 = 100;
const TOLERANCE: f64 = 1e-10;

/// `log(1 + e^η) − yη`, the negative log-likelihood of one row, computed stably.
fn row_loss(eta: f64, y: bool) -> f64 {
    let softplus = if eta > 0.0 {
        eta + (-eta).exp().ln_1p()
    } else {
        eta.exp().ln_1p()
    };
    softplus - if y { eta } else { 0.0 }
}

fn objective(x: &[f64], cols: usize, y: &[bool], l2: f64, beta: &[f64]) -> f64 {
    let fit = LogisticFit {
        intercept: beta[0],
        coefficients: beta[1..].to_vec(),
        iterations: 0,
    };
    let loss: f64 = x
        .chunks_exact(cols.max(1))
        .zip(y)
        .map(|(row, &label)| row_loss(fit.linear(if cols == 0 { &[] } else { row }), label))
        .sum();
    loss + 0.5 * l2 * beta[1..].iter().map(|b| b * b).sum::<f64>()
}

/// Solves `a · x = b` for a symmetric positive definite `a` (row-major `n × n`) by Cholesky.
pub(crate) fn cholesky_solve(mut a: Vec<f64>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 1e-300 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * n + k] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= a[k * n + i] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    Some(b)
}

/// Fits the model to the row-major matrix `x` (`y.len()` rows of `cols` columns).
pub fn fit_logistic(x: &[f64], cols: usize, y: &[bool], l2: f64) -> Result<LogisticFit, FitError> {
    let rows = y.len();
    if rows == 0 {
        return Err(FitError::Empty);
    }
    let responders = y.iter().filter(|v| **v).count();
    if responders == 0 || responders == rows {
        return Err(FitError::SingleClass(responders, rows));
    }
    let p = cols + 1;
    let rate = responders as f64 / rows as f64;
    let mut beta = vec![0.0; p];
    beta[0] = (rate / (1.0 - rate)).ln();
    let mut current = objective(x, cols, y, l2, &beta);
    let mut iterations = 0;
    let mut row_ext = vec![0.0; p];
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        let mut hessian = vec![0.0; p * p];
        let mut gradient = vec![0.0; p];
        for (r, &label) in y.iter().enumerate() {
            row_ext[0] = 1.0;
            row_ext[1..].copy_from_slice(&x[r * cols..(r + 1) * cols]);
            let eta: f64 = beta.iter().zip(&row_ext).map(|(b, v)| b * v).sum();
            let mu = sigmoid(eta);
            let w = (mu * (1.0 - mu)).max(1e-12);
            let residual = f64::from(u8::from(label)) - mu;
            for i in 0..p {
                let wi = w * row_ext[i];
                gradient[i] += residual * row_ext[i];
                let line = &mut hessian[i * p..i * p + i + 1];
                for (cell, xj) in line.iter_mut().zip(&row_ext[..=i]) {
                    *cell += wi * xj;
                }
            }
        }
        for i in 1..p {
            hessian[i * p + i] += l2;
            gradient[i] -= l2 * beta[i];
        }
        for i in 0..p {
            for j in 0..i {
                hessian[j * p + i] = hessian[i * p + j];
            }
        }
        let step = cholesky_solve(hessian, gradient).ok_or(FitError::Singular)?;
        let mut scale = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + scale * s).collect();
            let value = objective(x, cols, y, l2, &trial);
            if value <= current + 1e-12 * current.abs().max(1.0) {
                beta = trial;
                current = value;
                accepted = true;
                break;
            }
            scale /= 2.0;
        }
        let moved = step.iter().fold(0.0_f64, |m, s| m.max((s * scale).abs()));
        if !accepted || moved < TOLERANCE {
            break;
        }
    }
    Ok(LogisticFit {
        intercept: beta[0],
        coefficients: beta[1..].to_vec(),
        iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_binary_column_recovers_the_log_odds_ratio_without_a_penalty() {
        // x = 0: 10 of 40 respond; x = 1: 30 of 60 respond.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..40 {
            x.push(0.0);
            y.push(i < 10);
        }
        for i in 0..60 {
            x.push(1.0);
            y.push(i < 30);
        }
        let fit = fit_logistic(&x, 1, &y, 0.0).unwrap();
        let base: f64 = (10.0_f64 / 30.0).ln();
        let ratio: f64 = (30.0_f64 / 30.0).ln() - base;
        assert!((fit.intercept - base).abs() < 1e-8, "{fit:?}");
        assert!((fit.coefficients[0] - ratio).abs() < 1e-8, "{fit:?}");
    }

    #[test]
    fn the_penalty_shrinks_coefficients_and_keeps_separated_data_finite() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [false, false, true, true];
        let loose = fit_logistic(&x, 1, &y, 0.01).unwrap();
        let tight = fit_logistic(&x, 1, &y, 1.0).unwrap();
        assert!(loose.coefficients[0].is_finite());
        assert!(tight.coefficients[0] < loose.coefficients[0]);
        assert!(tight.coefficients[0] > 0.0);
    }

    #[test]
    fn one_class_is_refused() {
        assert_eq!(
            fit_logistic(&[1.0, 2.0], 1, &[true, true], 1.0),
            Err(FitError::SingleClass(2, 2))
        );
        assert_eq!(fit_logistic(&[], 1, &[], 1.0), Err(FitError::Empty));
    }

    #[test]
    fn the_gradient_vanishes_at_the_fit() {
        let x = [
            0.5, -1.0, 1.5, 0.2, -0.3, 2.0, 1.0, 1.0, -2.0, 0.1, 0.0, 0.7,
        ];
        let y = [true, false, true, false, false, true];
        let l2 = 0.5;
        let fit = fit_logistic(&x, 2, &y, l2).unwrap();
        let mut gradient = [0.0; 3];
        for (row, &label) in x.chunks_exact(2).zip(&y) {
            let r = f64::from(u8::from(label)) - fit.probability(row);
            gradient[0] += r;
            gradient[1] += r * row[0];
            gradient[2] += r * row[1];
        }
        gradient[1] -= l2 * fit.coefficients[0];
        gradient[2] -= l2 * fit.coefficients[1];
        assert!(gradient.iter().all(|g| g.abs() < 1e-9), "{gradient:?}");
    }
}
