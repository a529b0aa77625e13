//! Variant tests: which variant of a tested field a send or a landing-page visitor gets, the
//! Thompson-sampling weights behind that choice, and the report of every test of a campaign.
//!
//! Email subjects are tested per step (`email_subject_step_N`, success = the contact clicked),
//! landing-page headlines and buttons per page (`landing_headline`, `landing_cta`, success =
//! the visitor became a lead). Counts come from the outcome records and the page's visitors;
//! weights are refreshed every [`REFRESH_EVERY`] exposures or [`REFRESH_AFTER`] (by default;
//! [`TestSettings`] changes them), whichever comes first, and a promoted winner takes every
//! later exposure.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::AppResult;
use ame_domain::{
    ArmReport, CampaignId, ContactId, ExperimentEvent, ExperimentReport, ExperimentState, Group,
    MAX_WEIGHT_HISTORY, OrgId, WeightSnapshot, holdout_seed, seeded_unit,
};
use ame_prediction::bandit::{ArmCounts, Assessment, TestPhase, assess, pick};
use ame_storage::ExperimentRow;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Whether a field is tested on the landing page (success = a lead) rather than in email
/// (success = a click).
fn is_page_field(field: &str) -> bool {
    field.starts_with("landing_")
}

fn metric(field: &str) -> &'static str {
    if is_page_field(field) {
        "leads"
    } else {
        "clicks"
    }
}

fn phase_state(phase: TestPhase) -> ExperimentState {
    match phase {
        TestPhase::BurnIn => ExperimentState::BurnIn,
        TestPhase::Optimising => ExperimentState::Optimising,
        TestPhase::Promoted => ExperimentState::Promoted,
    }
}

/// A stable 64-bit hash of a text (FNV-1a), to derive per-field seeds.
fn text_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Arm counts of `field` from (variants, success) pairs.
fn counts<'a>(
    field: &str,
    arms: u32,
    observations: impl Iterator<Item = (&'a BTreeMap<String, u32>, bool)>,
) -> Vec<ArmCounts> {
    let mut out = vec![ArmCounts::default(); arms as usize];
    for (variants, success) in observations {
        if let Some(v) = variants.get(field)
            && let Some(arm) = out.get_mut(*v as usize)
        {
            arm.exposures += 1;
            arm.successes += u64::from(success);
        }
    }
    out
}

/// Arm counts of `field` from a campaign's outcome records (email fields: treated contacts a
/// message reached, success = a click) or its page visitors (page fields: success = a lead).
fn counts_from(
    field: &str,
    arms: u32,
    outcomes: &[ame_domain::Outcome],
    visitors: &[(BTreeMap<String, u32>, bool)],
) -> Vec<ArmCounts> {
    if is_page_field(field) {
        counts(field, arms, visitors.iter().map(|(v, lead)| (v, *lead)))
    } else {
        counts(
            field,
            arms,
            outcomes
                .iter()
                .filter(|o| o.group == Group::Treatment && o.delivered)
                .map(|o| (&o.variants, o.clicked)),
        )
    }
}

impl Engine {
    /// Arm counts of one field of a campaign.
    async fn arm_counts(
        &self,
        org: OrgId,
        campaign: CampaignId,
        field: &str,
        arms: u32,
    ) -> AppResult<Vec<ArmCounts>> {
        let repos = self.service_repos();
        if is_page_field(field) {
            let visitors = repos.optimisation.visitors(org, campaign).await?;
            Ok(counts_from(field, arms, &[], &visitors))
        } else {
            let outcomes = repos.optimisation.outcomes(org, campaign).await?;
            Ok(counts_from(field, arms, &outcomes, &[]))
        }
    }

    /// The test's weights, refreshed first when enough exposures or time have passed.
    pub(crate) async fn experiment_weights(
        &self,
        org: OrgId,
        campaign: CampaignId,
        field: &str,
        arms: u32,
    ) -> AppResult<Vec<f64>> {
        let repos = self.service_repos();
        let now = self.now();
        let existing = repos
            .optimisation
            .experiments(org, campaign)
            .await?
            .into_iter()
            .find(|e| e.field == field && e.arms == arms);
        if let Some(row) = &existing {
            if row.state == ExperimentState::Promoted {
                return Ok(row.weights.clone());
            }
            let settings = self.execution().tests;
            let fresh = row
                .refreshed_at
                .is_some_and(|at| now - at < settings.refresh_after);
            if fresh {
                // A cheap count decides; the full counts are read only to refresh.
                let total = repos
                    .optimisation
                    .exposure_count(org, campaign, is_page_field(field))
                    .await?;
                if total < row.exposures_at_refresh + settings.refresh_every {
                    return Ok(row.weights.clone());
                }
            }
        }
        let row = self
            .refresh_experiment(org, campaign, field, arms, existing, now)
            .await?;
        Ok(row.weights)
    }

    /// Reassesses a test from its counts and stores the new weights (and a promotion).
    async fn refresh_experiment(
        &self,
        org: OrgId,
        campaign: CampaignId,
        field: &str,
        arms: u32,
        existing: Option<ExperimentRow>,
        now: DateTime<Utc>,
    ) -> AppResult<ExperimentRow> {
        let counts = self.arm_counts(org, campaign, field, arms).await?;
        // Exposures as [`exposure_count`] counts them (every delivery or visitor), so the
        // refresh cadence compares like with like.
        let total = self
            .service_repos()
            .optimisation
            .exposure_count(org, campaign, is_page_field(field))
            .await?;
        let promoted = existing.as_ref().and_then(|e| e.winner).map(|w| w as usize);
        let seed = holdout_seed(campaign) ^ text_hash(field) ^ total;
        let assessment = assess(&counts, &self.execution().tests.policy, promoted, seed);
        let (mut events, existing_history) =
            existing.map(|e| (e.events, e.history)).unwrap_or_default();
        if promoted.is_none()
            && let Some(w) = assessment.winner
        {
            events.push(ExperimentEvent {
                at: now,
                kind: "promoted".into(),
                variant: w as u32,
                probability_best: assessment.arms[w].probability_best,
                expected_loss: assessment.arms[w].expected_loss,
            });
            tracing::info!(%campaign, field, winner = w, "variant promoted");
        }
        let mut history = existing_history;
        history.push(WeightSnapshot {
            at: now,
            exposures: total,
            weights: assessment.weights.clone(),
            probability_best: assessment.arms.iter().map(|a| a.probability_best).collect(),
        });
        let excess = history.len().saturating_sub(MAX_WEIGHT_HISTORY);
        history.drain(..excess);
        let row = ExperimentRow {
            history,
            field: field.to_owned(),
            arms,
            state: phase_state(assessment.phase),
            weights: assessment.weights,
            winner: assessment.winner.map(|w| w as u32),
            exposures_at_refresh: total,
            refreshed_at: Some(now),
            events,
        };
        self.service_repos()
            .optimisation
            .save_experiment(org, campaign, row.clone())
            .await?;
        Ok(row)
    }

    /// The variant of `field` a contact gets now: a draw from the test's current weights that
    /// is the same for the same contact under the same weights.
    pub(crate) async fn choose_variant(
        &self,
        org: OrgId,
        campaign: CampaignId,
        field: &str,
        arms: u32,
        contact: ContactId,
    ) -> AppResult<u32> {
        if arms <= 1 {
            return Ok(0);
        }
        let weights = self.experiment_weights(org, campaign, field, arms).await?;
        let u = seeded_unit(holdout_seed(campaign) ^ text_hash(field), contact);
        Ok(pick(&weights, u) as u32)
    }

    /// The variant of each page field a landing-page visitor gets: drawn from the current
    /// weights on the first visit and kept (stored under the visitor's id) afterwards.
    pub(crate) async fn visitor_variants(
        &self,
        org: OrgId,
        campaign: CampaignId,
        visitor: uuid::Uuid,
        fields: &[(&str, u32)],
        counted: bool,
    ) -> AppResult<BTreeMap<String, u32>> {
        let repos = self.service_repos();
        if let Some(known) = repos.optimisation.visitor(org, campaign, visitor).await? {
            return Ok(known);
        }
        let mut chosen = BTreeMap::new();
        for (field, arms) in fields {
            if *arms > 1 {
                let weights = self.experiment_weights(org, campaign, field, *arms).await?;
                chosen.insert(
                    (*field).to_owned(),
                    pick(&weights, rand::random::<f64>()) as u32,
                );
            }
        }
        if !counted {
            // Shown a variant, but not enrolled in the test: it would count as a visitor who
            // never converts.
            return Ok(chosen);
        }
        Ok(repos
            .optimisation
            .add_visitor(org, campaign, visitor, chosen, self.now())
            .await?)
    }

    /// Reassesses and stores every test whose field the campaign's outcomes name, as a send
    /// would: imported outcomes move a test's weights, state and promotion (an event, kept)
    /// exactly as the engine's own sends do, so reading a test never decides anything.
    pub(crate) async fn refresh_tested_fields(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> AppResult<()> {
        let repos = self.service_repos();
        let rows = repos.optimisation.experiments(org, campaign).await?;
        let outcomes = repos.optimisation.outcomes(org, campaign).await?;
        let mut existing: BTreeMap<String, ExperimentRow> =
            rows.into_iter().map(|r| (r.field.clone(), r)).collect();
        // Stored tests keep their arms; a field only imports name has as many as it shows.
        let mut fields: BTreeMap<String, u32> =
            existing.iter().map(|(f, r)| (f.clone(), r.arms)).collect();
        for o in &outcomes {
            for (field, v) in o
                .variants
                .iter()
                .filter(|(f, _)| !existing.contains_key(*f))
            {
                let arms = fields.entry(field.clone()).or_insert(0);
                *arms = (*arms).max(v + 1);
            }
        }
        for (field, arms) in fields.into_iter().filter(|(_, arms)| *arms > 1) {
            let row = existing.remove(&field);
            if row
                .as_ref()
                .is_some_and(|r| r.state == ExperimentState::Promoted)
            {
                continue;
            }
            self.refresh_experiment(org, campaign, &field, arms, row, self.now())
                .await?;
        }
        Ok(())
    }

    /// Every variant test of a campaign: the engine's own tests and any field that imported
    /// outcomes name. Reading writes nothing: the state, winner and weights are the stored
    /// ones; a field no send or import has assessed yet shows its assessment now.
    pub async fn experiments(
        &self,
        caller: &Caller,
        campaign: CampaignId,
    ) -> AppResult<Vec<ExperimentReport>> {
        let repos = self.repos(caller);
        repos.campaigns.get(caller.org, campaign).await?;
        let org = caller.org;
        let rows = repos.optimisation.experiments(org, campaign).await?;
        let outcomes = repos.optimisation.outcomes(org, campaign).await?;
        let visitors = repos.optimisation.visitors(org, campaign).await?;
        let mut fields: BTreeMap<String, (u32, Option<ExperimentRow>)> = BTreeMap::new();
        for row in rows {
            fields.insert(row.field.clone(), (row.arms, Some(row)));
        }
        for o in &outcomes {
            for (field, v) in &o.variants {
                let entry = fields.entry(field.clone()).or_insert((0, None));
                if entry.1.is_none() {
                    entry.0 = entry.0.max(v + 1);
                }
            }
        }
        let mut reports = Vec::with_capacity(fields.len());
        for (field, (arms, row)) in fields {
            let counts = counts_from(&field, arms, &outcomes, &visitors);
            let total: u64 = counts.iter().map(|c| c.exposures).sum();
            let promoted = row.as_ref().and_then(|r| r.winner).map(|w| w as usize);
            let seed = holdout_seed(campaign) ^ text_hash(&field) ^ total;
            let a: Assessment = assess(&counts, &self.execution().tests.policy, promoted, seed);
            // The weights in use are the stored ones (until the next refresh).
            let weights = row
                .as_ref()
                .map_or(a.weights.clone(), |r| r.weights.clone());
            let arms_report = counts
                .iter()
                .zip(&a.arms)
                .enumerate()
                .map(|(i, (c, p))| ArmReport {
                    variant: i as u32,
                    text: None,
                    exposures: c.exposures,
                    successes: c.successes,
                    posterior_mean: p.mean,
                    interval: [p.low, p.high],
                    probability_best: p.probability_best,
                    expected_loss: p.expected_loss,
                    weight: weights.get(i).copied().unwrap_or(0.0),
                })
                .collect();
            reports.push(ExperimentReport {
                metric: metric(&field).to_owned(),
                state: row.as_ref().map_or(phase_state(a.phase), |r| r.state),
                winner: match &row {
                    Some(r) => r.winner,
                    None => a.winner.map(|w| w as u32),
                },
                refreshed_at: row.as_ref().and_then(|r| r.refreshed_at),
                history: row.as_ref().map(|r| r.history.clone()).unwrap_or_default(),
                events: row.map(|r| r.events).unwrap_or_default(),
                arms: arms_report,
                field,
            });
        }
        Ok(reports)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_each_fields_variant_and_ignore_unknown_arms() {
        let a: BTreeMap<String, u32> = [("f".to_owned(), 0)].into();
        let b: BTreeMap<String, u32> = [("f".to_owned(), 1)].into();
        let c: BTreeMap<String, u32> = [("f".to_owned(), 7)].into();
        let none = BTreeMap::new();
        let rows = [
            (&a, true),
            (&a, false),
            (&b, true),
            (&c, true),
            (&none, true),
        ];
        let got = counts("f", 2, rows.iter().map(|(v, s)| (*v, *s)));
        assert_eq!(
            got,
            vec![
                ArmCounts {
                    exposures: 2,
                    successes: 1
                },
                ArmCounts {
                    exposures: 1,
                    successes: 1
                }
            ]
        );
        assert_eq!(metric("landing_headline"), "leads");
        assert_eq!(metric(&ame_domain::subject_field(2)), "clicks");
    }
}
