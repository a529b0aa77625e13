//! Predictive audience targeting: who is likely to respond, what a response is worth, and
//! whom a message changes.
//!
//! The response model is an L2-regularised logistic regression on the standardised columns of
//! [`Encoder`], trained on the treated contacts' outcomes. When control outcomes exist a second
//! model is trained on them and the uplift is the difference of the two predictions (a two-model
//! or "T-learner"). Quality is measured on a held-out share of the rows (chosen by each row's
//! `split_key`, so the split is stable): AUC, top-decile lift, a reliability table with its
//! expected calibration error, the Qini coefficient of the uplift, and the value captured by the
//! best-ranked shares when a value model is fitted ([`ValueModel`]). The model that is served
//! is then refitted on every row.

mod features;
pub mod metrics;
mod value;

pub use features::{AttributeValue, Column, ContactInputs, Encoder, Engagement, Source};
pub use metrics::{
    QINI_RESAMPLES, ReliabilityBin, UpliftRow, auc, qini, qini_interval, reliability,
    top_decile_lift,
};
pub use value::{CAPTURE_SHARES, CapturedValue, MIN_VALUE_ROWS, ValueModel, captured_value};

use crate::logistic::{FitError, LogisticFit, fit_logistic, sigmoid};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One contact's inputs and outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingRow {
    /// Attributes and engagement.
    pub inputs: ContactInputs,
    /// Whether the contact was treated (false: held out as control).
    pub treated: bool,
    /// Whether the contact responded (clicked or converted, by the goal).
    pub responded: bool,
    /// What the response was worth, when known.
    pub value: Option<f64>,
    /// A stable number per contact deciding the held-out split.
    pub split_key: u64,
}

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainOptions {
    /// The L2 penalty λ on standardised coefficients.
    pub l2: f64,
    /// Share of the rows held out to measure quality.
    pub held_out_share: f64,
    /// Treated rows needed to train.
    pub min_rows: usize,
    /// Responders (and non-responders) needed among them.
    pub min_responders: usize,
    /// Control rows needed before uplift is modelled.
    pub min_control_rows: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            l2: 1.0,
            held_out_share: 0.3,
            min_rows: 50,
            min_responders: 10,
            min_control_rows: 50,
        }
    }
}

/// Why no model could be trained.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TrainError {
    /// Too few outcomes.
    #[error(
        "{rows} treated outcomes with {responders} responses and {non_responders} non-responses; \
         training needs at least {needed_rows} outcomes with {needed_responders} of each"
    )]
    NotEnoughOutcomes {
        /// Treated rows found.
        rows: usize,
        /// Responders among them.
        responders: usize,
        /// Non-responders among them.
        non_responders: usize,
        /// Rows needed.
        needed_rows: usize,
        /// Responders and non-responders needed.
        needed_responders: usize,
    },
    /// The fit failed.
    #[error("the model could not be fitted: {0}")]
    Fit(#[from] FitError),
}

/// A fitted logistic model as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFit {
    /// The intercept.
    pub intercept: f64,
    /// One coefficient per encoder column.
    pub coefficients: Vec<f64>,
}

impl From<LogisticFit> for StoredFit {
    fn from(fit: LogisticFit) -> Self {
        Self {
            intercept: fit.intercept,
            coefficients: fit.coefficients,
        }
    }
}

impl StoredFit {
    fn probability(&self, row: &[f64]) -> f64 {
        sigmoid(
            self.intercept
                + self
                    .coefficients
                    .iter()
                    .zip(row)
                    .map(|(b, x)| b * x)
                    .sum::<f64>(),
        )
    }
}

/// Quality measured on the held-out rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelQuality {
    /// Held-out treated rows.
    pub held_out_rows: usize,
    /// Area under the ROC curve.
    pub auc: Option<f64>,
    /// Response rate of the top tenth over the overall rate.
    pub top_decile_lift: Option<f64>,
    /// Expected calibration error over ten equal-count bins.
    pub calibration_error: f64,
    /// The reliability table.
    pub reliability: Vec<ReliabilityBin>,
    /// Qini coefficient of the uplift ranking (when uplift is modelled).
    pub qini: Option<f64>,
    /// Its 95% bootstrap interval on the held-out rows.
    #[serde(default)]
    pub qini_interval: Option<[f64; 2]>,
    /// Share of the held-out value captured by the top of the ranking, by expected value and
    /// by probability alone (when a value model could be fitted and someone gave a value).
    #[serde(default)]
    pub captured_value: Option<Vec<CapturedValue>>,
}

/// A trained targeting model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetingModel {
    /// The columns.
    pub encoder: Encoder,
    /// The response model on treated contacts.
    pub response: StoredFit,
    /// The response model on control contacts, when uplift is modelled.
    pub control: Option<StoredFit>,
    /// Mean value of a response over every responder (0 for those without a value), when any
    /// value was recorded.
    pub value_per_response: Option<f64>,
    /// The value of a response contact by contact, when enough responders gave a value.
    #[serde(default)]
    pub value_model: Option<ValueModel>,
    /// Treated rows trained on.
    pub rows: usize,
    /// Responders among them.
    pub responders: usize,
    /// Control rows trained on.
    pub control_rows: usize,
    /// Held-out quality.
    pub quality: ModelQuality,
}

/// A contact's score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Probability of a response if treated.
    pub p_response: f64,
    /// `p_response ×` the value of a response: the contact's own from the value model, else
    /// the mean value per response (`p_response` when no values are known).
    pub expected_value: f64,
    /// Treated minus control probability, when uplift is modelled.
    pub uplift: Option<f64>,
}

fn held_out(row: &TrainingRow, share: f64) -> bool {
    (row.split_key % 10_000) < (share.clamp(0.0, 0.9) * 10_000.0) as u64
}

fn fit_on(encoder: &Encoder, rows: &[&TrainingRow], l2: f64) -> Result<StoredFit, FitError> {
    let inputs: Vec<&ContactInputs> = rows.iter().map(|r| &r.inputs).collect();
    let x = encoder.encode(&inputs);
    let y: Vec<bool> = rows.iter().map(|r| r.responded).collect();
    fit_logistic(&x, encoder.columns.len(), &y, l2).map(StoredFit::from)
}

fn has_both_classes(rows: &[&TrainingRow]) -> bool {
    rows.iter().any(|r| r.responded) && rows.iter().any(|r| !r.responded)
}

/// Trains the response model (and the uplift model when control outcomes allow it).
pub fn train(rows: &[TrainingRow], options: &TrainOptions) -> Result<TargetingModel, TrainError> {
    let treated: Vec<&TrainingRow> = rows.iter().filter(|r| r.treated).collect();
    let control: Vec<&TrainingRow> = rows.iter().filter(|r| !r.treated).collect();
    let responders = treated.iter().filter(|r| r.responded).count();
    let non_responders = treated.len() - responders;
    if treated.len() < options.min_rows
        || responders < options.min_responders
        || non_responders < options.min_responders
    {
        return Err(TrainError::NotEnoughOutcomes {
            rows: treated.len(),
            responders,
            non_responders,
            needed_rows: options.min_rows,
            needed_responders: options.min_responders,
        });
    }
    let all: Vec<&ContactInputs> = rows.iter().map(|r| &r.inputs).collect();
    let encoder = Encoder::learn(&all);
    let share = options.held_out_share;
    fn split<'a>(
        group: &[&'a TrainingRow],
        share: f64,
    ) -> (Vec<&'a TrainingRow>, Vec<&'a TrainingRow>) {
        group.iter().partition(|r| !held_out(r, share))
    }
    let (treated_train, treated_test) = split(&treated, share);
    let uplift_possible = control.len() >= options.min_control_rows && has_both_classes(&control);

    // Quality on the held-out share, from models that never saw it.
    let quality = {
        let response = if has_both_classes(&treated_train) {
            Some(fit_on(&encoder, &treated_train, options.l2)?)
        } else {
            None
        };
        let mut row = Vec::with_capacity(encoder.columns.len());
        let mut score = |r: &TrainingRow, fit: &StoredFit| {
            row.clear();
            encoder.encode_into(&r.inputs, &mut row);
            fit.probability(&row)
        };
        let labels: Vec<bool> = treated_test.iter().map(|r| r.responded).collect();
        let probabilities: Vec<f64> = match &response {
            Some(fit) => treated_test.iter().map(|r| score(r, fit)).collect(),
            None => Vec::new(),
        };
        let (reliability, calibration_error) = reliability(&probabilities, &labels);
        let captured_value = response.as_ref().and_then(|fit| {
            let value = ValueModel::fit(&encoder, &treated_train, options.l2)?;
            let mut scratch = Vec::with_capacity(encoder.columns.len());
            let rows: Vec<(f64, f64, f64)> = treated_test
                .iter()
                .map(|r| {
                    scratch.clear();
                    encoder.encode_into(&r.inputs, &mut scratch);
                    let p = fit.probability(&scratch);
                    let actual = if r.responded {
                        r.value.unwrap_or(0.0)
                    } else {
                        0.0
                    };
                    (p * value.value_of_response(&scratch), p, actual)
                })
                .collect();
            captured_value(&rows)
        });
        let (qini, qini_interval) = match (&response, uplift_possible) {
            (Some(response), true) => {
                let (control_train, control_test) = split(&control, share);
                if has_both_classes(&control_train) {
                    let control_fit = fit_on(&encoder, &control_train, options.l2)?;
                    let rows: Vec<UpliftRow> = treated_test
                        .iter()
                        .map(|r| (r, true))
                        .chain(control_test.iter().map(|r| (r, false)))
                        .map(|(r, treated)| UpliftRow {
                            score: score(r, response) - score(r, &control_fit),
                            treated,
                            responded: r.responded,
                        })
                        .collect();
                    let seed = rows.len() as u64 ^ 0x51_4E_49;
                    (qini(&rows), qini_interval(&rows, QINI_RESAMPLES, seed))
                } else {
                    (None, None)
                }
            }
            _ => (None, None),
        };
        ModelQuality {
            held_out_rows: treated_test.len(),
            auc: auc(&probabilities, &labels),
            top_decile_lift: top_decile_lift(&probabilities, &labels),
            calibration_error,
            reliability,
            qini,
            qini_interval,
            captured_value,
        }
    };

    let response = fit_on(&encoder, &treated, options.l2)?;
    let control_fit = if uplift_possible {
        Some(fit_on(&encoder, &control, options.l2)?)
    } else {
        None
    };
    // The value of a response averages over every responder: a clicker who bought nothing
    // is worth 0, not left out (which would price every click at a buyer's value).
    let responder_values: Vec<Option<f64>> = treated
        .iter()
        .filter(|r| r.responded)
        .map(|r| r.value)
        .collect();
    let any_value = responder_values.iter().any(Option::is_some);
    Ok(TargetingModel {
        value_model: ValueModel::fit(&encoder, &treated, options.l2),
        value_per_response: any_value.then(|| {
            responder_values
                .iter()
                .map(|v| v.unwrap_or(0.0))
                .sum::<f64>()
                / responder_values.len() as f64
        }),
        rows: treated.len(),
        responders,
        control_rows: control.len(),
        encoder,
        response,
        control: control_fit,
        quality,
    })
}

impl TargetingModel {
    /// Whether its uplift ranking is better than random with 95% confidence: uplift is
    /// modelled and the held-out Qini's bootstrap interval lies above 0.
    pub fn uplift_qualified(&self) -> bool {
        self.control.is_some() && self.quality.qini_interval.is_some_and(|[low, _]| low > 0.0)
    }

    /// Scores one contact, reusing `row` as scratch space.
    pub fn score_with(&self, inputs: &ContactInputs, row: &mut Vec<f64>) -> Score {
        row.clear();
        self.encoder.encode_into(inputs, row);
        let p_response = self.response.probability(row);
        let value = match &self.value_model {
            Some(model) => model.value_of_response(row),
            None => self.value_per_response.unwrap_or(1.0),
        };
        Score {
            p_response,
            expected_value: p_response * value,
            uplift: self
                .control
                .as_ref()
                .map(|c| p_response - c.probability(row)),
        }
    }

    /// Scores one contact.
    pub fn score(&self, inputs: &ContactInputs) -> Score {
        self.score_with(inputs, &mut Vec::new())
    }
}

#[cfg(test)]
mod tests;
