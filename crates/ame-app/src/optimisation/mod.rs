//! Optimisation: per-contact outcomes (recorded by the scheduler and imported from outside), a
//! campaign's lift over its holdout, variant tests by Thompson sampling, and predictive
//! audience targeting.

mod experiments;
mod import;
mod ranking;
mod targeting;

pub use crate::execution::{REFRESH_AFTER, REFRESH_EVERY, TestSettings};
pub use ame_domain::subject_field;
pub use import::OutcomeFileReport;
pub use ranking::RANKING_MAX_AGE;
pub use targeting::{
    FeatureWeight, HeldOutQuality, ModelSummary, ScorePage, TARGETING_RETRAIN_DELAY,
};

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use ame_domain::{
    CampaignId, FieldError, Goal, Group, GroupCounts, IntervalEstimate, JobSpec, LiftReport,
    MeanLift, MetricLift, NewJob, NewOutcome, OrgId, Outcome, OutcomeEvent, validate_outcomes,
};
use ame_prediction::lift::{self, Estimate, Sample};
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

/// Bootstrap resamples a lift may ask for.
pub const BOOTSTRAP_RANGE: std::ops::RangeInclusive<u32> = 100..=10_000;

/// The lift of one rate, `None` until both groups have contacts and a success was recorded in
/// either (a metric nobody recorded has no lift, not a lift of zero).
fn metric_lift(treated: (u64, u64), control: (u64, u64)) -> Option<MetricLift> {
    if treated.1 + control.1 == 0 {
        return None;
    }
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

/// Both groups of a campaign, intention to treat, with each contact's revenue.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AssignedGroups {
    /// Counts of the treated contacts.
    pub treatment: GroupCounts,
    /// Counts of the held-out contacts.
    pub control: GroupCounts,
    /// Revenue per treated contact (0 for those without a value).
    pub treatment_revenue: Vec<f64>,
    /// Revenue per held-out contact.
    pub control_revenue: Vec<f64>,
    /// Contacts left out because they converted before their assignment.
    pub converted_before: u64,
    /// Whether any contact carries a value.
    pub any_value: bool,
}

/// Every contact counts in the group it was assigned to, whatever happened to its messages
/// (a bounce, an unsubscribe, a send suppressed because it had converted): leaving out treated
/// contacts the mail did not reach would compare the reachable treated with the whole control.
/// Contacts who converted before their assignment are left out of both groups.
pub(crate) fn assigned_groups(outcomes: &[Outcome]) -> AssignedGroups {
    let mut groups = AssignedGroups::default();
    for o in outcomes {
        if o.converted_before {
            groups.converted_before += 1;
            continue;
        }
        let value = o
            .value
            .filter(|_| o.converted)
            .and_then(|v| v.to_string().parse::<f64>().ok())
            .unwrap_or(0.0);
        groups.any_value |= o.value.is_some();
        let (counts, revenue) = match o.group {
            Group::Treatment => (&mut groups.treatment, &mut groups.treatment_revenue),
            Group::Control => (&mut groups.control, &mut groups.control_revenue),
        };
        counts.contacts += 1;
        counts.delivered += u64::from(o.delivered);
        counts.clicked += u64::from(o.clicked);
        counts.converted += u64::from(o.converted);
        counts.revenue += value;
        revenue.push(value);
    }
    groups
}

/// The lift in revenue per contact, Welch's interval and, when asked, a bootstrap one.
fn revenue_lift(groups: &AssignedGroups, bootstrap: Option<(u32, u64)>) -> Option<MeanLift> {
    if !groups.any_value {
        return None;
    }
    let (t, c) = (
        Sample::of(&groups.treatment_revenue),
        Sample::of(&groups.control_revenue),
    );
    let welch = lift::welch(t, c)?;
    Some(MeanLift {
        treatment_mean: t.mean,
        control_mean: c.mean,
        absolute: estimate(welch),
        relative: (c.mean > 0.0).then(|| t.mean / c.mean - 1.0),
        bootstrap: bootstrap.and_then(|(resamples, seed)| {
            lift::bootstrap(
                &groups.treatment_revenue,
                &groups.control_revenue,
                resamples,
                seed,
            )
            .map(estimate)
        }),
    })
}

/// The lift report of `outcomes` for `campaign`.
pub(crate) fn lift_report(
    campaign: CampaignId,
    holdout_fraction: f64,
    outcomes: &[Outcome],
    bootstrap: Option<u32>,
) -> LiftReport {
    let groups = assigned_groups(outcomes);
    let (treatment, control) = (groups.treatment, groups.control);
    let seed = ame_domain::holdout_seed(campaign);
    LiftReport {
        campaign_id: campaign,
        holdout_fraction,
        clicks: metric_lift(
            (treatment.contacts, treatment.clicked),
            (control.contacts, control.clicked),
        ),
        conversions: metric_lift(
            (treatment.contacts, treatment.converted),
            (control.contacts, control.converted),
        ),
        revenue: revenue_lift(&groups, bootstrap.map(|b| (b, seed))),
        converted_before_assignment: groups.converted_before,
        treatment,
        control,
    }
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
                    converted_before: row.converted_before_assignment,
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
        self.refresh_tested_fields(caller.org, campaign).await?;
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

    /// A campaign's incremental lift over its holdout group, intention to treat, for clicks,
    /// conversions and revenue per contact.
    pub async fn campaign_lift(
        &self,
        caller: &Caller,
        campaign: CampaignId,
    ) -> AppResult<LiftReport> {
        self.campaign_lift_with(caller, campaign, None).await
    }

    /// [`campaign_lift`](Self::campaign_lift), with a percentile bootstrap interval of the
    /// revenue lift over `bootstrap` resamples (within [`BOOTSTRAP_RANGE`]) when asked.
    pub async fn campaign_lift_with(
        &self,
        caller: &Caller,
        campaign: CampaignId,
        bootstrap: Option<u32>,
    ) -> AppResult<LiftReport> {
        if let Some(b) = bootstrap
            && !BOOTSTRAP_RANGE.contains(&b)
        {
            return Err(AppError::Validation(vec![FieldError::new(
                "bootstrap",
                format!(
                    "must be between {} and {} resamples; got {b}",
                    BOOTSTRAP_RANGE.start(),
                    BOOTSTRAP_RANGE.end()
                ),
            )]));
        }
        let repos = self.repos(caller);
        let found = repos.campaigns.get(caller.org, campaign).await?;
        let outcomes = repos.optimisation.outcomes(caller.org, campaign).await?;
        let holdout = found.plan.holdout();
        tokio::task::spawn_blocking(move || lift_report(campaign, holdout, &outcomes, bootstrap))
            .await
            .map_err(|e| AppError::Internal(format!("computing the lift: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ame_domain::ContactId;
    use chrono::Utc;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

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
            converted_before: false,
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn every_assigned_contact_counts_in_its_group_except_earlier_converters() {
        let mut early = outcome(Group::Control, false, false, true);
        early.converted_before = true;
        let rows = vec![
            outcome(Group::Treatment, true, true, true),
            outcome(Group::Treatment, true, false, false),
            // Bounced, or suppressed because it had converted: still treated.
            outcome(Group::Treatment, false, false, true),
            outcome(Group::Control, false, false, true),
            outcome(Group::Control, false, false, false),
            early,
        ];
        let groups = assigned_groups(&rows);
        let (t, c) = (groups.treatment, groups.control);
        assert_eq!(
            (t.contacts, t.delivered, t.clicked, t.converted),
            (3, 2, 1, 2)
        );
        assert_eq!(
            (c.contacts, c.delivered, c.clicked, c.converted),
            (2, 0, 0, 1)
        );
        assert_eq!(groups.converted_before, 1);
        let report = lift_report(CampaignId::new(), 0.5, &rows, None);
        let conversions = report.conversions.unwrap();
        assert!((conversions.absolute.value - (2.0 / 3.0 - 0.5)).abs() < 1e-12);
        assert_eq!(report.converted_before_assignment, 1);
        // Nobody in the control group clicked and a treated contact did: a clicks lift exists.
        assert!(report.clicks.is_some());
        // No value anywhere: no revenue lift.
        assert!(report.revenue.is_none());
    }

    #[test]
    fn metrics_nobody_recorded_have_no_lift() {
        let rows = vec![
            outcome(Group::Treatment, true, false, true),
            outcome(Group::Treatment, true, false, false),
            outcome(Group::Control, false, false, false),
            outcome(Group::Control, false, false, false),
        ];
        let report = lift_report(CampaignId::new(), 0.5, &rows, None);
        assert!(report.clicks.is_none(), "no click was ever recorded");
        assert!(report.conversions.is_some());
        assert!(metric_lift((5, 1), (0, 0)).is_none());
    }

    /// One synthetic campaign of `contacts` contacts, half held out: a tenth convert after
    /// their assignment but before any email (their sends are suppressed), 3% had converted
    /// before it, 5% of the rest bounce; a reached treated contact converts with `treated`,
    /// everyone else with `baseline`; a converter's value is exponential with mean 50.
    fn campaign(seed: u64, contacts: usize, baseline: f64, treated: f64) -> Vec<Outcome> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..contacts)
            .map(|_| {
                let group = if rng.random::<f64>() < 0.5 {
                    Group::Control
                } else {
                    Group::Treatment
                };
                let mut o = outcome(group, false, false, false);
                if rng.random::<f64>() < 0.03 {
                    o.converted_before = true;
                    o.converted = true;
                    return o;
                }
                if rng.random::<f64>() < 0.10 {
                    o.converted = true;
                } else {
                    let reached = group == Group::Treatment && rng.random::<f64>() >= 0.05;
                    o.delivered = reached;
                    let p = if reached { treated } else { baseline };
                    o.converted = rng.random::<f64>() < p;
                    o.clicked = o.converted || rng.random::<f64>() < 0.05;
                }
                if o.converted {
                    let value = -50.0 * (1.0 - rng.random::<f64>()).ln();
                    o.value = Some(
                        rust_decimal::Decimal::from_f64_retain(value)
                            .unwrap()
                            .round_dp(2),
                    );
                }
                o
            })
            .collect()
    }

    #[test]
    fn with_no_effect_the_interval_excludes_zero_in_five_percent_of_campaigns() {
        let runs = 1_000;
        let (mut conversions, mut revenue) = (0, 0);
        for seed in 0..runs {
            let report = lift_report(
                CampaignId::new(),
                0.5,
                &campaign(seed, 2_000, 0.04, 0.04),
                None,
            );
            conversions += u32::from(!report.conversions.unwrap().absolute.covers(0.0));
            revenue += u32::from(!report.revenue.unwrap().absolute.covers(0.0));
        }
        eprintln!("A/A: conversions excluded 0 in {conversions}, revenue in {revenue} of {runs}");
        let share = |n: u32| f64::from(n) / runs as f64;
        assert!(
            (0.035..=0.065).contains(&share(conversions)),
            "conversion intervals excluded 0 in {conversions} of {runs}"
        );
        assert!(
            (0.035..=0.065).contains(&share(revenue)),
            "revenue intervals excluded 0 in {revenue} of {runs}"
        );
    }

    #[test]
    fn a_known_effect_is_covered_in_at_least_ninety_three_percent_of_campaigns() {
        let (baseline, treated) = (0.04, 0.06);
        // Intention to treat: the effect reaches only treated contacts who were neither early
        // converters nor bounced.
        let effect = 0.90 * 0.95 * (treated - baseline);
        let runs = 1_000;
        let (mut conversions, mut revenue) = (0, 0);
        for seed in 0..runs {
            let report = lift_report(
                CampaignId::new(),
                0.5,
                &campaign(10_000 + seed, 2_000, baseline, treated),
                None,
            );
            conversions += u32::from(report.conversions.unwrap().absolute.covers(effect));
            revenue += u32::from(report.revenue.unwrap().absolute.covers(50.0 * effect));
        }
        eprintln!(
            "known effect: conversions covered in {conversions}, revenue in {revenue} of {runs}"
        );
        assert!(
            conversions >= 930,
            "conversions covered {conversions} of {runs}"
        );
        assert!(revenue >= 930, "revenue covered {revenue} of {runs}");
    }

    #[test]
    fn a_bootstrap_interval_is_given_when_asked_and_is_repeatable() {
        let rows = campaign(7, 2_000, 0.05, 0.07);
        let id = CampaignId::new();
        let first = lift_report(id, 0.5, &rows, Some(1_000)).revenue.unwrap();
        let again = lift_report(id, 0.5, &rows, Some(1_000)).revenue.unwrap();
        assert_eq!(
            first, again,
            "the same campaign's data give the same interval"
        );
        let b = first.bootstrap.unwrap();
        assert!(b.low < b.value && b.value < b.high);
        assert!((b.value - first.absolute.value).abs() < 1e-9);
        // Both intervals describe the same difference: they overlap and are of similar width.
        let (w_boot, w_welch) = (b.high - b.low, first.absolute.high - first.absolute.low);
        assert!(
            (w_boot / w_welch - 1.0).abs() < 0.25,
            "{w_boot} vs {w_welch}"
        );
        assert!(
            lift_report(CampaignId::new(), 0.5, &rows, None)
                .revenue
                .unwrap()
                .bootstrap
                .is_none()
        );
    }

    /// A group of `size` contacts whose first `converters` converted, the i-th worth
    /// `10 + ((i * step) % 97) * 1.25`.
    fn reference_group(group: Group, size: usize, converters: usize, step: usize) -> Vec<Outcome> {
        (0..size)
            .map(|i| {
                let mut o = outcome(group, true, false, i < converters);
                if i < converters {
                    let value = 10.0 + ((i * step) % 97) as f64 * 1.25;
                    o.value = Some(rust_decimal::Decimal::from_f64_retain(value).unwrap());
                }
                o
            })
            .collect()
    }

    /// The reference figures come from statsmodels 0.15 on the same data:
    ///
    /// ```python
    /// v = lambda n, k, s: np.array([10 + ((i * s) % 97) * 1.25 if i < k else 0 for i in range(n)])
    /// t, c = v(2500, 311, 37), v(2400, 254, 53)
    /// confint_proportions_2indep(311, 2500, 254, 2400, method="newcomb", compare="diff")
    /// confint_proportions_2indep(311, 2500, 254, 2400, method="log", compare="ratio")
    /// CompareMeans(DescrStatsW(t), DescrStatsW(c)).tconfint_diff(usevar="unequal")
    /// ```
    #[test]
    fn the_lift_equals_statsmodels_on_the_same_data() {
        let mut rows = reference_group(Group::Treatment, 2500, 311, 37);
        rows.extend(reference_group(Group::Control, 2400, 254, 53));
        let report = lift_report(CampaignId::new(), 0.5, &rows, None);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        let conversions = report.conversions.unwrap();
        assert!(
            close(conversions.absolute.low, 0.000_666_963_874_596_443_5),
            "{conversions:?}"
        );
        assert!(
            close(conversions.absolute.high, 0.036_432_875_697_239_894),
            "{conversions:?}"
        );
        assert!(
            close(conversions.relative.low, 1.005_644_122_200_614_7 - 1.0),
            "{conversions:?}"
        );
        assert!(
            close(conversions.relative.high, 1.373_888_509_448_461 - 1.0),
            "{conversions:?}"
        );
        let revenue = report.revenue.unwrap();
        assert!(close(revenue.treatment_mean, 8.6875));
        assert!(close(revenue.control_mean, 7.328_645_833_333_334));
        assert!(close(revenue.absolute.value, 1.358_854_166_666_666_3));
        assert!(
            close(revenue.absolute.low, -0.050_795_372_524_264_47),
            "{revenue:?}"
        );
        assert!(
            close(revenue.absolute.high, 2.768_503_705_857_597),
            "{revenue:?}"
        );
    }
}
