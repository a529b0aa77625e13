//! A targeted campaign's funnel: its audience is the contacts the targeting selected, the
//! stage the model predicts comes from their scores, and the stages after or before it from the
//! organization's own outcome records (sends, clicks and conversions per contact) where they
//! exist, the pooled history otherwise. Each stage says where it came from; a stage the outcome
//! records do not measure (leads) is not invented.

use crate::history::SkippedStage;
use crate::report::{Interval, Prediction, StagePrediction, TargetedResponses};
use crate::{DEFAULT_DRAWS, Stage};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Normal};
use serde::Serialize;

/// The organization's own outcome records, summed over treated contacts who were sent to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeCounts {
    /// Treated contacts sent to.
    pub delivered: u64,
    /// Those who clicked.
    pub clicked: u64,
    /// Those who converted.
    pub converted: u64,
    /// Those who clicked and converted.
    pub clicked_and_converted: u64,
}

/// Where one stage of a prediction comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StageSource {
    /// The contacts the targeting selected.
    SelectedAudience,
    /// The targeting model's scores of those contacts.
    TargetingModel,
    /// The organization's own outcome records.
    OutcomeRecords,
    /// The fitted history of campaign results (and benchmarks where it is thin).
    History,
}

/// One stage and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageOrigin {
    /// The stage.
    pub stage: Stage,
    /// Its source.
    pub source: StageSource,
}

/// Fewest trials (contacts sent to, or clickers) behind an outcome-record rate before it
/// replaces the history for a stage.
pub const MIN_OUTCOME_RECORDS: u64 = 30;

impl Prediction {
    /// Turns the history's prediction into a targeted campaign's: the model's expected
    /// responses for their stage, the outcome records' rate for the other of clicks and
    /// conversions (when that rate rests on at least [`MIN_OUTCOME_RECORDS`] trials; leads, which
    /// the records do not measure, are then left out), the history for the rest; the
    /// explanation names each stage's source.
    ///
    /// Returns the conversions' draws when this replaced the history's conversions, so the
    /// money figures can be priced again from them
    /// ([`crate::FunnelPerformancePredictor::reprice`]).
    #[must_use = "replaced conversions leave the money figures to be priced again"]
    pub fn apply_targeted_funnel(
        &mut self,
        targeted: TargetedResponses,
        records: OutcomeCounts,
    ) -> Option<Vec<f64>> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x7a67_6574_6564);
        let draws = if self.draws == 0 {
            DEFAULT_DRAWS
        } else {
            self.draws
        };
        let contacts = targeted.contacts as f64;
        let mut origins = vec![StageOrigin {
            stage: Stage::Reach,
            source: StageSource::SelectedAudience,
        }];
        let model_stage = targeted.stage;
        let model_draws = normal_draws(&targeted.count, targeted.expected, draws, &mut rng);
        let mut conversions = (model_stage == Stage::Conversions).then(|| model_draws.clone());
        self.put(StagePrediction {
            stage: model_stage,
            base: Some(Stage::Reach),
            count: targeted.count,
            expected: targeted.expected,
            rate: Interval::of(model_draws.iter().map(|c| c / contacts).collect()),
            observed: None,
        });
        origins.push(StageOrigin {
            stage: model_stage,
            source: StageSource::TargetingModel,
        });
        let mut notes = vec![format!(
            "reach is the {} contacts the targeting selected; {} come from the targeting \
             model's scores of them ({:.1} expected)",
            targeted.contacts,
            model_stage.as_str(),
            targeted.expected
        )];
        let (other, base, base_draws, successes, trials) = match model_stage {
            Stage::Clicks => (
                Stage::Conversions,
                Stage::Clicks,
                model_draws,
                records.clicked_and_converted,
                records.clicked,
            ),
            _ => (
                Stage::Clicks,
                Stage::Reach,
                vec![contacts; draws],
                records.clicked,
                records.delivered,
            ),
        };
        // The rate's own trials decide: 5,000 contacts sent to with 3 clickers say little about
        // how clickers convert.
        let rate = (trials >= MIN_OUTCOME_RECORDS)
            .then(|| {
                Beta::new(
                    successes as f64 + 0.5,
                    (trials - successes.min(trials)) as f64 + 0.5,
                )
                .ok()
            })
            .flatten();
        if let Some(rate) = rate {
            let rates: Vec<f64> = base_draws.iter().map(|_| rate.sample(&mut rng)).collect();
            let expected: Vec<f64> = base_draws.iter().zip(&rates).map(|(b, r)| b * r).collect();
            let counts: Vec<f64> = expected
                .iter()
                .map(|e| poisson_like(*e, &mut rng))
                .collect();
            if other == Stage::Conversions {
                conversions = Some(counts.clone());
            }
            if let (Some(count), Some(point)) = (Interval::of(counts), Interval::of(expected)) {
                self.put(StagePrediction {
                    stage: other,
                    base: Some(base),
                    count,
                    expected: point.median,
                    rate: Interval::of(rates),
                    observed: None,
                });
                origins.push(StageOrigin {
                    stage: other,
                    source: StageSource::OutcomeRecords,
                });
                notes.push(format!(
                    "{} come from the organization's outcome records ({successes} of {trials} {})",
                    other.as_str(),
                    if base == Stage::Clicks {
                        "clickers converted"
                    } else {
                        "contacts sent to clicked"
                    }
                ));
                // The funnel is now the outcome records', which have no leads stage.
                if self.stages.iter().any(|s| s.stage == Stage::Leads) {
                    self.stages.retain(|s| s.stage != Stage::Leads);
                    self.skipped.push(SkippedStage {
                        stage: Stage::Leads,
                        reason: "a targeted campaign's outcome records measure sends, clicks \
                                 and conversions, not leads"
                            .into(),
                    });
                }
            }
        }
        for s in &self.stages {
            if !origins.iter().any(|o| o.stage == s.stage) {
                origins.push(StageOrigin {
                    stage: s.stage,
                    source: StageSource::History,
                });
                notes.push(format!("{} come from the history", s.stage.as_str()));
            }
        }
        origins.sort_by_key(|o| Stage::ALL.iter().position(|s| *s == o.stage));
        self.explanation
            .push_str(&format!(" Targeted: {}.", notes.join("; ")));
        self.sources = origins;
        self.targeting = Some(targeted);
        conversions
    }

    /// Replaces the prediction of `stage` (or adds it in funnel order).
    fn put(&mut self, prediction: StagePrediction) {
        match self.stages.iter_mut().find(|s| s.stage == prediction.stage) {
            Some(existing) => *existing = prediction,
            None => {
                self.stages.push(prediction);
                self.stages
                    .sort_by_key(|s| Stage::ALL.iter().position(|x| *x == s.stage));
            }
        }
    }
}

/// Draws of a count from its normal approximation (its median and 95% interval), cut at 0.
fn normal_draws(count: &Interval, expected: f64, draws: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let sd = ((count.high_95 - count.low_95) / (2.0 * 1.959_963_984_540)).max(0.0);
    match Normal::new(expected, sd) {
        Ok(normal) if sd > 0.0 => (0..draws).map(|_| normal.sample(rng).max(0.0)).collect(),
        _ => vec![expected.max(0.0); draws],
    }
}

/// A count with mean `mean`: Poisson noise by its normal approximation (exact enough for the
/// intervals of a forecast), cut at 0.
fn poisson_like(mean: f64, rng: &mut ChaCha8Rng) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    let z: f64 = rng.sample(rand_distr::StandardNormal);
    (mean + z * mean.sqrt()).round().max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ReachSource, targeted_responses};

    fn interval(v: f64) -> Interval {
        Interval {
            median: v,
            low_80: v,
            high_80: v,
            low_95: v,
            high_95: v,
        }
    }

    fn history_prediction() -> Prediction {
        let stage = |stage, count: f64| StagePrediction {
            stage,
            base: None,
            count: interval(count),
            expected: count,
            rate: None,
            observed: None,
        };
        Prediction {
            stages: vec![
                stage(Stage::Reach, 3000.0),
                stage(Stage::Clicks, 60.0),
                stage(Stage::Leads, 6.0),
                stage(Stage::Conversions, 4.0),
            ],
            skipped: Vec::new(),
            reach_source: ReachSource::PlannedReach,
            revenue: None,
            cost_per_conversion: None,
            roi: None,
            confidence: 50,
            history: Default::default(),
            cold_start: true,
            explanation: "From published industry benchmarks.".into(),
            draws: 2000,
            seed: 7,
            targeting: None,
            sources: Vec::new(),
        }
    }

    #[test]
    fn the_model_and_the_outcome_records_replace_the_history_stage_by_stage() {
        // 3,000 selected contacts, each 9% likely to convert per the model; the organization's
        // records: 38,000 sent, 3,800 clicked, 2,660 converted (2,280 of them after a click).
        let targeted = targeted_responses(Stage::Conversions, &[0.09; 3000], 2000.0).unwrap();
        let records = OutcomeCounts {
            delivered: 38_000,
            clicked: 3_800,
            converted: 2_660,
            clicked_and_converted: 2_280,
        };
        let mut p = history_prediction();
        let conversions = p.apply_targeted_funnel(targeted, records);
        assert_eq!(
            conversions.map(|d| d.len()),
            Some(2000),
            "the model's draws"
        );
        let stages: Vec<Stage> = p.stages.iter().map(|s| s.stage).collect();
        assert_eq!(stages, [Stage::Reach, Stage::Clicks, Stage::Conversions]);
        assert_eq!(p.skipped[0].stage, Stage::Leads);
        let conversions = p.stage(Stage::Conversions).unwrap();
        assert!((conversions.expected - 270.0).abs() < 1e-9);
        assert!(conversions.count.covers_80(270.0));
        // Clicks: 10% of the 3,000 selected, from the records.
        let clicks = p.stage(Stage::Clicks).unwrap();
        assert!((clicks.expected - 300.0).abs() < 5.0, "{clicks:?}");
        assert!(clicks.count.low_95 < 300.0 && 300.0 < clicks.count.high_95);
        assert_eq!(
            p.sources,
            [
                StageOrigin {
                    stage: Stage::Reach,
                    source: StageSource::SelectedAudience
                },
                StageOrigin {
                    stage: Stage::Clicks,
                    source: StageSource::OutcomeRecords
                },
                StageOrigin {
                    stage: Stage::Conversions,
                    source: StageSource::TargetingModel
                },
            ]
        );
        assert!(
            p.explanation.contains("outcome records (3800 of 38000"),
            "{}",
            p.explanation
        );
    }

    #[test]
    fn a_clicks_model_takes_conversions_from_the_clickers_records() {
        let targeted = targeted_responses(Stage::Clicks, &[0.2; 1000], 500.0).unwrap();
        let records = OutcomeCounts {
            delivered: 5_000,
            clicked: 1_000,
            converted: 260,
            clicked_and_converted: 250,
        };
        let mut p = history_prediction();
        let _ = p.apply_targeted_funnel(targeted, records);
        // 200 clicks expected, a quarter of clickers convert: about 50.
        let conversions = p.stage(Stage::Conversions).unwrap();
        assert!((conversions.expected - 50.0).abs() < 3.0, "{conversions:?}");
        assert_eq!(conversions.base, Some(Stage::Clicks));
        assert!(conversions.count.high_95 > conversions.count.low_95);
    }

    #[test]
    fn without_enough_records_the_history_keeps_every_other_stage() {
        let targeted = targeted_responses(Stage::Conversions, &[0.05; 400], 100.0).unwrap();
        let mut p = history_prediction();
        let _ = p.apply_targeted_funnel(
            targeted,
            OutcomeCounts {
                delivered: 10,
                clicked: 2,
                converted: 1,
                clicked_and_converted: 1,
            },
        );
        assert_eq!(
            p.stages.len(),
            4,
            "leads kept: nothing measured them either way"
        );
        assert_eq!(p.stage(Stage::Clicks).unwrap().expected, 60.0);
        assert!(
            p.sources
                .iter()
                .any(|o| o.stage == Stage::Clicks && o.source == StageSource::History)
        );
        assert!((p.stage(Stage::Conversions).unwrap().expected - 20.0).abs() < 1e-9);
    }

    #[test]
    fn many_sends_with_few_clickers_say_nothing_about_how_clickers_convert() {
        let targeted = targeted_responses(Stage::Clicks, &[0.2; 1000], 500.0).unwrap();
        let mut p = history_prediction();
        let history_conversions = p.stage(Stage::Conversions).unwrap().expected;
        let replaced = p.apply_targeted_funnel(
            targeted,
            OutcomeCounts {
                delivered: 5_000,
                clicked: 4,
                converted: 3,
                clicked_and_converted: 3,
            },
        );
        let conversions = p.stage(Stage::Conversions).unwrap();
        assert_eq!(conversions.expected, history_conversions);
        assert!(
            p.sources
                .iter()
                .any(|o| o.stage == Stage::Conversions && o.source == StageSource::History)
        );
        assert!(p.stage(Stage::Leads).is_some(), "no stage was replaced");
        assert!(replaced.is_none(), "the history's conversions stay");
    }
}
