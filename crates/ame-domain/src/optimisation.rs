//! Optimisation: per-contact outcomes, the holdout group, variant tests and audience targeting.

use crate::enums::{ExperimentState, Goal, Group, TargetingMode};
use crate::ids::{CampaignId, ContactId};
use crate::validation::{FieldError, ValidationError};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The tested field of an email step's subject.
pub fn subject_field(step: u32) -> String {
    format!("email_subject_step_{step}")
}

/// Share of a campaign's audience held out when its plan names none.
pub const DEFAULT_HOLDOUT_FRACTION: f64 = 0.1;
/// Largest holdout share a plan may ask for.
pub const MAX_HOLDOUT_FRACTION: f64 = 0.5;
/// Outcome records per request.
pub const MAX_OUTCOMES_PER_REQUEST: usize = 1_000;
/// Largest value one outcome may carry.
pub const MAX_OUTCOME_VALUE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// Whom a campaign sends to among its audience, decided by the targeting model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Targeting {
    /// How contacts are chosen.
    pub mode: TargetingMode,
    /// For `top_fraction`: the share sent to, in (0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    /// For `budget`: how many contacts may be sent to (at least 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<u64>,
    /// The goal the model predicts (`conversions` when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<Goal>,
}

impl Targeting {
    /// Checks that the mode has what it needs and nothing it ignores.
    pub fn validate(&self) -> Result<(), FieldError> {
        match self.mode {
            TargetingMode::TopFraction => match self.fraction {
                Some(f) if f > 0.0 && f <= 1.0 => {}
                other => {
                    return Err(FieldError::new(
                        "targeting.fraction",
                        format!(
                            "top_fraction needs a fraction greater than 0 and at most 1; got {}",
                            other.map_or("none".to_owned(), |f| f.to_string())
                        ),
                    ));
                }
            },
            TargetingMode::Budget => {
                if self.budget.is_none_or(|b| b < 1) {
                    return Err(FieldError::new(
                        "targeting.budget",
                        "budget mode needs a budget of at least 1 contact",
                    ));
                }
            }
            TargetingMode::All | TargetingMode::UpliftPositive => {}
        }
        if self.fraction.is_some() && self.mode != TargetingMode::TopFraction {
            return Err(FieldError::new(
                "targeting.fraction",
                format!("applies only to mode top_fraction; mode is {}", self.mode),
            ));
        }
        if self.budget.is_some() && self.mode != TargetingMode::Budget {
            return Err(FieldError::new(
                "targeting.budget",
                format!("applies only to mode budget; mode is {}", self.mode),
            ));
        }
        Ok(())
    }

    /// The goal predicted.
    pub fn goal(&self) -> Goal {
        self.goal.unwrap_or(Goal::Conversions)
    }
}

/// Checks a plan's holdout share.
pub fn validate_holdout(fraction: f64) -> Result<(), FieldError> {
    if (0.0..=MAX_HOLDOUT_FRACTION).contains(&fraction) {
        Ok(())
    } else {
        Err(FieldError::new(
            "holdout_fraction",
            format!("must be between 0 and {MAX_HOLDOUT_FRACTION}; got {fraction}"),
        ))
    }
}

/// SplitMix64: a well-mixed 64-bit hash step.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in [0, 1) drawn from a seed and a contact: the same pair always gives the
/// same number, different seeds give independent ones.
pub fn seeded_unit(seed: u64, contact: ContactId) -> f64 {
    let id = contact.as_uuid().as_u128();
    let h = mix(seed ^ mix(id as u64) ^ mix((id >> 64) as u64).rotate_left(17));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The holdout seed of a campaign.
pub fn holdout_seed(campaign: CampaignId) -> u64 {
    let id = campaign.as_uuid().as_u128();
    mix(id as u64 ^ mix((id >> 64) as u64))
}

/// The group a contact is drawn into for a campaign holding out `fraction` of its audience.
pub fn draw_group(seed: u64, contact: ContactId, fraction: f64) -> Group {
    if seeded_unit(seed, contact) < fraction {
        Group::Control
    } else {
        Group::Treatment
    }
}

/// One outcome record submitted from outside (history of an earlier send).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOutcome {
    /// The contact's email address (the contact must exist).
    pub email: String,
    /// Treated or held out.
    pub group: Group,
    /// The variant each tested field showed, by field name.
    #[serde(default)]
    pub variants: BTreeMap<String, u32>,
    /// Whether the contact clicked.
    #[serde(default)]
    pub clicked: bool,
    /// Whether the contact converted.
    #[serde(default)]
    pub converted: bool,
    /// What the conversion was worth, as a decimal string.
    #[serde(default, deserialize_with = "crate::campaign::money_text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "25.00"))]
    pub value: Option<Decimal>,
    /// Whether the contact had already converted before being assigned to a group: such a
    /// contact counts in neither group's lift.
    #[serde(default)]
    pub converted_before_assignment: bool,
}

/// Checks a batch of outcome records (the contacts are looked up later).
pub fn validate_outcomes(rows: &[NewOutcome]) -> Result<(), ValidationError> {
    if rows.is_empty() || rows.len() > MAX_OUTCOMES_PER_REQUEST {
        return Err(ValidationError::single(FieldError::new(
            "outcomes",
            format!(
                "must hold 1 to {MAX_OUTCOMES_PER_REQUEST} records; got {} (import larger files with `ame outcomes import`)",
                rows.len()
            ),
        )));
    }
    let mut errors = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let key = row.email.trim().to_lowercase();
        if !crate::contact::is_email_address(&key) {
            errors.push(FieldError::new(
                format!("[{i}].email"),
                format!("must be an email address; got `{}`", row.email),
            ));
        } else if let Some(first) = seen.insert(key, i) {
            errors.push(FieldError::new(
                format!("[{i}].email"),
                format!("repeats the address of record {first}; send each contact once"),
            ));
        }
        if let Some(v) = row.value
            && (v.is_sign_negative() || v > MAX_OUTCOME_VALUE || v.normalize().scale() > 4)
        {
            errors.push(FieldError::new(
                format!("[{i}].value"),
                format!(
                    "must be between 0 and {MAX_OUTCOME_VALUE} with at most four decimals; got {v}"
                ),
            ));
        }
        if row.value.is_some_and(|v| !v.is_zero()) && !row.converted {
            errors.push(FieldError::new(
                format!("[{i}].value"),
                "a value above 0 needs `converted: true` (a contact who did not buy is worth 0)",
            ));
        }
        if row.group == Group::Control && !row.variants.is_empty() {
            errors.push(FieldError::new(
                format!("[{i}].variants"),
                "a control contact received nothing, so it saw no variant",
            ));
        }
        for (field, _) in row.variants.iter() {
            if field.is_empty() || field.len() > 64 {
                errors.push(FieldError::new(
                    format!("[{i}].variants"),
                    format!("field names have 1 to 64 characters; got `{field}`"),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ValidationError { errors })
    }
}

/// What happened to one contact in one campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outcome {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The contact.
    pub contact_id: ContactId,
    /// Treated or held out.
    pub group: Group,
    /// The variant each tested field showed.
    pub variants: BTreeMap<String, u32>,
    /// Whether a message reached the contact.
    pub delivered: bool,
    /// Whether the contact clicked.
    pub clicked: bool,
    /// Whether the contact converted.
    pub converted: bool,
    /// What the conversion was worth.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub value: Option<Decimal>,
    /// Whether the contact had converted before being assigned to a group.
    pub converted_before: bool,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
}

/// A change to an outcome the engine observed.
#[derive(Debug, Clone, PartialEq)]
pub enum OutcomeEvent {
    /// A message was accepted for delivery showing these variants.
    Delivered(BTreeMap<String, u32>),
    /// The contact clicked.
    Clicked,
    /// The contact converted, worth the value when known.
    Converted(Option<Decimal>),
}

/// A value with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntervalEstimate {
    /// Point estimate.
    pub value: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
}

impl IntervalEstimate {
    /// Whether the interval contains `value`.
    pub fn covers(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }
}

/// Incremental lift on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricLift {
    /// Treated rate.
    pub treatment_rate: f64,
    /// Control rate.
    pub control_rate: f64,
    /// Treated rate minus control rate.
    pub absolute: IntervalEstimate,
    /// Treated rate over control rate, minus one.
    pub relative: IntervalEstimate,
}

/// Incremental lift in a per-contact amount (revenue).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeanLift {
    /// Mean amount per treated contact (contacts without a value count as 0).
    pub treatment_mean: f64,
    /// Mean amount per control contact.
    pub control_mean: f64,
    /// Treated mean minus control mean, with Welch's 95% interval.
    pub absolute: IntervalEstimate,
    /// Treated mean over control mean, minus one (a point estimate; `null` when the control
    /// mean is 0).
    pub relative: Option<f64>,
    /// The same difference with a percentile bootstrap 95% interval, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<IntervalEstimate>,
}

/// Counts of one group, intention to treat: every contact assigned to it, whatever happened
/// to their messages, except those who had converted before the assignment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupCounts {
    /// Contacts assigned to the group.
    pub contacts: u64,
    /// Of them, those a message reached.
    pub delivered: u64,
    /// Of them, who clicked.
    pub clicked: u64,
    /// Of them, who converted.
    pub converted: u64,
    /// The value of their conversions, summed.
    pub revenue: f64,
}

/// A campaign's incremental lift over its holdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiftReport {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The share held out.
    pub holdout_fraction: f64,
    /// Treated contacts.
    pub treatment: GroupCounts,
    /// Held-out contacts.
    pub control: GroupCounts,
    /// Contacts who had converted before they were assigned, left out of both groups.
    pub converted_before_assignment: u64,
    /// Lift in clicks (`null` until both groups have contacts and a click was recorded).
    pub clicks: Option<MetricLift>,
    /// Lift in conversions (`null` until both groups have contacts and a conversion was
    /// recorded).
    pub conversions: Option<MetricLift>,
    /// Lift in revenue per contact (`null` until both groups have two contacts and a
    /// conversion value was recorded).
    pub revenue: Option<MeanLift>,
}

/// One arm of a variant test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArmReport {
    /// The variant index.
    pub variant: u32,
    /// What the variant says, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Times shown.
    pub exposures: u64,
    /// Successes (clicks or leads).
    pub successes: u64,
    /// Posterior mean rate.
    pub posterior_mean: f64,
    /// 95% credible interval of the rate.
    pub interval: [f64; 2],
    /// Probability that this arm is the best.
    pub probability_best: f64,
    /// Expected rate given up by choosing it.
    pub expected_loss: f64,
    /// Share of new exposures it gets now.
    pub weight: f64,
}

/// A recorded moment in a test's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExperimentEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// `promoted`.
    pub kind: String,
    /// The arm concerned.
    pub variant: u32,
    /// Its probability of being best then.
    pub probability_best: f64,
    /// Its expected loss then.
    pub expected_loss: f64,
}

/// A variant test of one field of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExperimentReport {
    /// The tested field (`email_subject_step_1`, `landing_headline`, `landing_cta`).
    pub field: String,
    /// What counts as a success: `clicks` or `leads`.
    pub metric: String,
    /// Where the test stands.
    pub state: ExperimentState,
    /// The arms.
    pub arms: Vec<ArmReport>,
    /// The promoted arm.
    pub winner: Option<u32>,
    /// When the weights were last refreshed.
    pub refreshed_at: Option<DateTime<Utc>>,
    /// Promotions and other recorded events.
    pub events: Vec<ExperimentEvent>,
    /// The arms' weights and chances at each refresh, oldest first (the last
    /// [`MAX_WEIGHT_HISTORY`]).
    pub history: Vec<WeightSnapshot>,
}

/// How many refreshes a test's history keeps.
pub const MAX_WEIGHT_HISTORY: usize = 100;

/// A test's arms at one refresh of its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeightSnapshot {
    /// When the weights were refreshed.
    pub at: DateTime<Utc>,
    /// Exposures counted then.
    pub exposures: u64,
    /// Each arm's share of new exposures from then on.
    pub weights: Vec<f64>,
    /// Each arm's probability of being the best then.
    pub probability_best: Vec<f64>,
}

/// A contact of a campaign's audience with its scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoredContact {
    /// The contact.
    pub contact_id: ContactId,
    /// Its address.
    pub email: Option<String>,
    /// Probability of a response if sent to.
    pub p_response: f64,
    /// Probability times the value of a response.
    pub expected_value: f64,
    /// Predicted change in response probability from sending (when control outcomes exist).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uplift: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holdout_draw_is_stable_and_close_to_its_fraction() {
        let seed = holdout_seed(CampaignId::new());
        let contacts: Vec<ContactId> = (0..20_000).map(|_| ContactId::new()).collect();
        let control = contacts
            .iter()
            .filter(|c| draw_group(seed, **c, 0.1) == Group::Control)
            .count();
        assert!((1_800..=2_200).contains(&control), "{control}");
        for c in &contacts[..100] {
            assert_eq!(draw_group(seed, *c, 0.1), draw_group(seed, *c, 0.1));
        }
        assert!(
            contacts
                .iter()
                .all(|c| draw_group(seed, *c, 0.0) == Group::Treatment)
        );
    }

    #[test]
    fn targeting_modes_need_their_own_settings() {
        let t = |mode, fraction, budget| Targeting {
            mode,
            fraction,
            budget,
            goal: None,
        };
        assert!(
            t(TargetingMode::TopFraction, Some(0.3), None)
                .validate()
                .is_ok()
        );
        assert!(
            t(TargetingMode::TopFraction, Some(1.0), None)
                .validate()
                .is_ok()
        );
        for bad in [None, Some(0.0), Some(1.5), Some(-0.1)] {
            let e = t(TargetingMode::TopFraction, bad, None)
                .validate()
                .unwrap_err();
            assert_eq!(e.field, "targeting.fraction");
        }
        assert_eq!(
            t(TargetingMode::Budget, None, Some(0))
                .validate()
                .unwrap_err()
                .field,
            "targeting.budget"
        );
        assert!(t(TargetingMode::All, Some(0.5), None).validate().is_err());
    }

    #[test]
    fn outcome_records_name_each_bad_field() {
        let row = |email: &str, group, value: Option<&str>, converted| NewOutcome {
            email: email.into(),
            group,
            variants: BTreeMap::new(),
            clicked: false,
            converted,
            value: value.map(|v| v.parse().unwrap()),
            converted_before_assignment: false,
        };
        // A non-buyer worth nothing is a record, not a mistake.
        validate_outcomes(&[row("z@example.com", Group::Control, Some("0.00"), false)]).unwrap();
        let err = validate_outcomes(&[
            row("a@example.com", Group::Treatment, Some("10.5"), true),
            row("nope", Group::Control, None, false),
            row("A@example.com", Group::Control, None, false),
            row("b@example.com", Group::Treatment, Some("-1"), true),
            row("c@example.com", Group::Treatment, Some("3"), false),
        ])
        .unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["[1].email", "[2].email", "[3].value", "[4].value"]);
        assert!(validate_outcomes(&[]).is_err());
    }
}
