//! Optimisation: per-contact outcomes (recorded by the scheduler and imported from outside), a
//! campaign's lift over its holdout, variant tests by Thompson sampling, and predictive
//! audience targeting.

mod experiments;
mod import;
mod targeting;

pub use crate::execution::{REFRESH_AFTER, REFRESH_EVERY, TestSettings};
pub use ame_domain::subject_field;
pub use import::OutcomeFileReport;
pub use targeting::{
    FeatureWeight, HeldOutQuality, ModelSummary, ScorePage, TARGETING_RETRAIN_DELAY,
};

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use ame_domain::{
    CampaignId, FieldError, Goal, Group, GroupCounts, IntervalEstimate, JobSpec, LiftReport,
    MetricLift, NewJob, NewOutcome, OrgId, Outcome, OutcomeEvent, validate_outcomes,
};
use ame_prediction::lift::{self, Estimate};
use ame_storage::ImportedOutcome;

/// What an outcome import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeImport {
    /// Records written (new or replaced).
    pub recorded: u64,
}

fn estimate(e: Estimate) -> IntervalEstimate {
    IntervalEstimate {
        value: e.value,
        low: e.low,
        high: e.high,
    }
}

fn metric_lift(treated: (u64, u64), control: (u64, u64)) -> Option<MetricLift> {
    let t = lift::GroupCounts {
        size: treated.0,
        successes: treated.1,
    };
    let c = lift::GroupCounts {
        size: control.0,
        successes: control.1,
    };
    lift::lift(t, c).map(|l| MetricLift {
        treatment_rate: t.rate(),
        control_rate: c.rate(),
        absolute: estimate(l.absolute),
        relative: estimate(l.relative),
    })
}

/// Counts of the treated contacts a message reached and of the whole control group.
pub(crate) fn group_counts(outcomes: &[Outcome]) -> (GroupCounts, GroupCounts) {
    let mut treatment = GroupCounts::default();
    let mut control = GroupCounts::default();
    for o in outcomes {
        let group = match o.group {
            Group::Treatment if o.delivered => &mut treatment,
            Group::Treatment => continue,
            Group::Control => &mut control,
        };
        group.contacts += 1;
        group.clicked += u64::from(o.clicked);
        group.converted += u64::from(o.converted);
    }
    (treatment, control)
}

impl Engine {
    /// Records outcomes of a campaign's contacts from outside, all or nothing: every address
    /// must name a contact of the organization (else 422 naming each `[i].email`).
    pub async fn record_outcomes(
        &self,
        caller: &Caller,
        campaign: CampaignId,
        rows: Vec<NewOutcome>,
    ) -> AppResult<OutcomeImport> {
        caller.require_write()?;
        validate_outcomes(&rows).map_err(|e| AppError::Validation(e.errors))?;
        let repos = self.repos(caller);
        repos.campaigns.get(caller.org, campaign).await?;
        let mut resolved = Vec::with_capacity(rows.len());
        let mut errors = Vec::new();
        for (i, row) in rows.into_iter().enumerate() {
            match repos.contacts.find_by_email(caller.org, &row.email).await? {
                Some(contact) => resolved.push(ImportedOutcome {
                    contact: contact.id,
                    group: row.group,
                    variants: row.variants,
                    clicked: row.clicked,
                    converted: row.converted,
                    value: row.value,
                }),
                None => errors.push(FieldError::new(
                    format!("[{i}].email"),
                    format!(
                        "`{}` names no contact of this organization; add the contact first",
                        row.email
                    ),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let now = self.now();
        let recorded = repos
            .optimisation
            .import_outcomes(caller.org, campaign, resolved, now)
            .await?;
        self.schedule_retraining(caller.org).await?;
        Ok(OutcomeImport { recorded })
    }

    /// Applies what the engine saw (a send, a click, a conversion) to a contact's outcome.
    pub(crate) async fn observe_outcome(
        &self,
        org: OrgId,
        campaign: CampaignId,
        contact: ame_domain::ContactId,
        event: OutcomeEvent,
    ) -> AppResult<()> {
        let changed = self
            .service_repos()
            .optimisation
            .observe(org, campaign, contact, event.clone(), self.now())
            .await?;
        if changed && !matches!(event, OutcomeEvent::Delivered(_)) {
            self.schedule_retraining(org).await?;
        }
        Ok(())
    }

    /// Makes sure the organization's targeting models are retrained soon (one job per goal
    /// and ten-minute window).
    pub(crate) async fn schedule_retraining(&self, org: OrgId) -> AppResult<()> {
        let now = self.now();
        let bucket = now.timestamp() / 600;
        let jobs = Goal::ALL
            .iter()
            .map(|goal| {
                NewJob::new(
                    JobSpec::TargetingTrain { goal: *goal },
                    format!("{goal}:{bucket}"),
                    now + TARGETING_RETRAIN_DELAY,
                )
            })
            .collect();
        self.service_repos().jobs.enqueue(org, jobs, now).await?;
        Ok(())
    }

    /// A campaign's incremental lift over its holdout group, for clicks and conversions.
    pub async fn campaign_lift(
        &self,
        caller: &Caller,
        campaign: CampaignId,
    ) -> AppResult<LiftReport> {
        let repos = self.repos(caller);
        let found = repos.campaigns.get(caller.org, campaign).await?;
        let outcomes = repos.optimisation.outcomes(caller.org, campaign).await?;
        let (treatment, control) = group_counts(&outcomes);
        Ok(LiftReport {
            campaign_id: campaign,
            holdout_fraction: found.plan.holdout(),
            clicks: metric_lift(
                (treatment.contacts, treatment.clicked),
                (control.contacts, control.clicked),
            ),
            conversions: metric_lift(
                (treatment.contacts, treatment.converted),
                (control.contacts, control.converted),
            ),
            treatment,
            control,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ame_domain::ContactId;
    use chrono::Utc;

    fn outcome(group: Group, delivered: bool, clicked: bool, converted: bool) -> Outcome {
        Outcome {
            campaign_id: CampaignId::new(),
            contact_id: ContactId::new(),
            group,
            variants: Default::default(),
            delivered,
            clicked,
            converted,
            value: None,
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn treated_contacts_count_once_reached_and_control_contacts_always() {
        let rows = vec![
            outcome(Group::Treatment, true, true, true),
            outcome(Group::Treatment, true, false, false),
            outcome(Group::Treatment, false, false, false),
            outcome(Group::Control, false, false, true),
            outcome(Group::Control, false, false, false),
        ];
        let (t, c) = group_counts(&rows);
        assert_eq!((t.contacts, t.clicked, t.converted), (2, 1, 1));
        assert_eq!((c.contacts, c.clicked, c.converted), (2, 0, 1));
        let l = metric_lift((t.contacts, t.converted), (c.contacts, c.converted)).unwrap();
        assert_eq!(l.absolute.value, 0.0);
        assert!(metric_lift((5, 1), (0, 0)).is_none());
    }
}
