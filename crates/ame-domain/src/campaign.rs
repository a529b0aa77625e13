//! Campaigns: what is stored, what a client may submit, and how submissions are validated.

use crate::audience::Audience;
use crate::enums::{CampaignType, Channel};
use crate::ids::{CampaignId, OrgId};
use crate::lifecycle::CampaignStatus;
use crate::optimisation::{Targeting, validate_holdout};
use crate::schedule::SendWindow;
use crate::validation::{Collector, FieldError, ValidationError, text};
use chrono::{DateTime, Datelike, Timelike, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Objective length bounds, in characters after trimming.
pub const OBJECTIVE_CHARS: (usize, usize) = (3, 500);
/// Campaign name length bounds, in characters after trimming.
pub const NAME_CHARS: (usize, usize) = (1, 200);
/// Largest accepted budget (the database column is NUMERIC(14,2)).
pub const MAX_BUDGET: Decimal = Decimal::from_parts(276_447_231, 23_283, 0, false, 2);
/// Largest accepted planned reach.
pub const MAX_PLANNED_REACH: i64 = 1_000_000_000_000;
/// Earliest and latest years a plan's start or end may fall in.
pub const PLAN_YEARS: (i32, i32) = (1970, 9999);

/// The plan of a campaign: everything a marketer sets before it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignPlan {
    /// Human-readable name; `None` shows the objective instead.
    pub name: Option<String>,
    /// How many people the campaign is planned to reach.
    pub planned_reach: Option<i64>,
    /// Planned spend in the organization's currency, two decimals.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "2500.00"))]
    pub budget: Option<Decimal>,
    /// Channels the campaign will run on.
    pub channels: Vec<Channel>,
    /// When the campaign should start.
    pub start_at: Option<DateTime<Utc>>,
    /// When the campaign should end.
    pub end_at: Option<DateTime<Utc>>,
    /// IANA time zone the schedule is expressed in, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Who the campaign's emails go to; `None` sends none.
    #[serde(default)]
    pub audience: Option<Audience>,
    /// The days and local hours emails go out in; `None` means Monday to Friday, 09:00–17:00.
    #[serde(default)]
    pub send_window: Option<SendWindow>,
    /// Share of the audience held out at random as a control group (`None`: 0.1).
    #[serde(default)]
    pub holdout_fraction: Option<f64>,
    /// Whom to send to among the audience, by the targeting model; `None` sends to everyone.
    #[serde(default)]
    pub targeting: Option<Targeting>,
}

impl CampaignPlan {
    /// The share of the audience held out.
    pub fn holdout(&self) -> f64 {
        self.holdout_fraction
            .unwrap_or(crate::optimisation::DEFAULT_HOLDOUT_FRACTION)
    }
}

impl Default for CampaignPlan {
    fn default() -> Self {
        Self {
            name: None,
            planned_reach: None,
            budget: None,
            channels: Vec::new(),
            start_at: None,
            end_at: None,
            timezone: "UTC".to_owned(),
            audience: None,
            send_window: None,
            holdout_fraction: None,
            targeting: None,
        }
    }
}

/// A stored marketing campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Campaign {
    /// The campaign's id.
    pub id: CampaignId,
    /// The organization that owns it.
    pub org_id: OrgId,
    /// What kind of campaign it is.
    pub campaign_type: CampaignType,
    /// What the campaign should achieve, in the marketer's words.
    pub objective: String,
    /// Where it is in its lifecycle.
    pub status: CampaignStatus,
    /// Running performance totals (free-form JSON, `{}` until results are recorded).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub performance: serde_json::Value,
    /// The plan.
    #[serde(flatten)]
    pub plan: CampaignPlan,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// Which campaigns a listing returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignFilter {
    /// Only campaigns in this status.
    pub status: Option<CampaignStatus>,
    /// Only campaigns of this type.
    pub campaign_type: Option<CampaignType>,
    /// Only campaigns whose name or objective contains this text (case-insensitive).
    pub search: Option<String>,
}

/// The longest search text a campaign listing takes, in characters.
pub const MAX_SEARCH_LEN: usize = 200;

impl CampaignFilter {
    /// Checks a search text: trimmed, blank means no search, at most [`MAX_SEARCH_LEN`]
    /// characters.
    pub fn search_text(text: &str) -> Result<Option<String>, FieldError> {
        let text = text.trim();
        if text.chars().count() > MAX_SEARCH_LEN {
            return Err(FieldError::new(
                "q",
                format!("must be at most {MAX_SEARCH_LEN} characters"),
            ));
        }
        Ok((!text.is_empty()).then(|| text.to_owned()))
    }
}

/// A campaign as submitted by a client, not yet validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// What kind of campaign it is.
    pub campaign_type: CampaignType,
    /// What it should achieve (3 to 500 characters, no control characters).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 500,
            pattern = r"^[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000\ufeff{}][^\u0000-\u001f\u007f-\u009f\u200b\u202a-\u202e\u2066-\u2069\ufeff{}]+[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000\ufeff{}][\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
            example = "Book 40 demos with finance teams by March"
        )
    )]
    pub objective: String,
    /// Optional name (1 to 200 characters).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000\ufeff{}]([^\u0000-\u001f\u007f-\u009f\u200b\u202a-\u202e\u2066-\u2069\ufeff{}]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000\ufeff{}])?[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
        )
    )]
    pub name: Option<String>,
    /// Optional planned reach (0 or more people).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0, maximum = 1_000_000_000_000_i64)
    )]
    pub planned_reach: Option<i64>,
    /// Optional budget as a decimal string (0 or more, at most two decimals), e.g. `"2500.00"`;
    /// a JSON number is refused, so no amount passes through binary floating point.
    #[serde(default, deserialize_with = "money_text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "2500.00", pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"))]
    pub budget: Option<Decimal>,
    /// Channels (no duplicates).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 16))]
    pub channels: Vec<Channel>,
    /// Optional planned start (RFC 3339).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
            example = "2027-01-05T09:00:00Z"
        )
    )]
    pub start_at: Option<DateTime<Utc>>,
    /// Optional planned end (RFC 3339, after the start).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
            example = "2027-03-31T17:00:00Z"
        )
    )]
    pub end_at: Option<DateTime<Utc>>,
    /// IANA time zone; `UTC` when left out.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Europe/Berlin"))]
    pub timezone: Option<String>,
    /// Who the campaign's emails go to.
    #[serde(default)]
    pub audience: Option<Audience>,
    /// The days and local hours emails go out in (default Monday to Friday, 09:00–17:00).
    #[serde(default)]
    pub send_window: Option<SendWindow>,
    /// Share of the audience held out at random as a control group, 0 to 0.5 (default 0.1).
    #[serde(default)]
    pub holdout_fraction: Option<f64>,
    /// Whom to send to among the audience, by the targeting model.
    #[serde(default)]
    pub targeting: Option<Targeting>,
}

impl NewCampaign {
    /// A submission with just a type and an objective.
    pub fn new(campaign_type: CampaignType, objective: impl Into<String>) -> Self {
        Self {
            campaign_type,
            objective: objective.into(),
            name: None,
            planned_reach: None,
            budget: None,
            channels: Vec::new(),
            start_at: None,
            end_at: None,
            timezone: None,
            audience: None,
            send_window: None,
            holdout_fraction: None,
            targeting: None,
        }
    }

    /// Validates every field, reporting all problems at once.
    pub fn validate(self) -> Result<ValidCampaign, ValidationError> {
        let mut errors = Collector::default();
        let objective = errors.check(validate_objective(&self.objective));
        let plan = PlanPatch {
            name: Some(self.name),
            planned_reach: Some(self.planned_reach),
            budget: Some(self.budget),
            channels: Some(self.channels),
            start_at: Some(self.start_at),
            end_at: Some(self.end_at),
            timezone: self.timezone,
            audience: Some(self.audience),
            send_window: Some(self.send_window),
            holdout_fraction: Some(self.holdout_fraction),
            targeting: Some(self.targeting),
            objective: None,
        }
        .apply_to_plan(&CampaignPlan::default(), &mut errors);
        errors.finish()?;
        match (objective, plan) {
            (Some(objective), Some(plan)) => Ok(ValidCampaign {
                campaign_type: self.campaign_type,
                objective,
                plan,
            }),
            _ => Err(ValidationError::single(FieldError::new(
                "campaign",
                "invalid campaign",
            ))),
        }
    }
}

/// A campaign submission that passed validation; the only way to create a campaign in storage.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCampaign {
    campaign_type: CampaignType,
    objective: String,
    plan: CampaignPlan,
}

impl ValidCampaign {
    /// The campaign type.
    pub fn campaign_type(&self) -> CampaignType {
        self.campaign_type
    }

    /// The trimmed objective.
    pub fn objective(&self) -> &str {
        &self.objective
    }

    /// The validated plan.
    pub fn plan(&self) -> &CampaignPlan {
        &self.plan
    }
}

/// A partial update of a draft campaign's objective and plan. `None` leaves a field as it is;
/// `Some(None)` clears a nullable field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanPatch {
    /// New objective.
    pub objective: Option<String>,
    /// New name, or `Some(None)` to clear it.
    pub name: Option<Option<String>>,
    /// New planned reach, or `Some(None)` to clear it.
    pub planned_reach: Option<Option<i64>>,
    /// New budget, or `Some(None)` to clear it.
    pub budget: Option<Option<Decimal>>,
    /// New channel list.
    pub channels: Option<Vec<Channel>>,
    /// New start, or `Some(None)` to clear it.
    pub start_at: Option<Option<DateTime<Utc>>>,
    /// New end, or `Some(None)` to clear it.
    pub end_at: Option<Option<DateTime<Utc>>>,
    /// New time zone.
    pub timezone: Option<String>,
    /// New audience, or `Some(None)` to clear it.
    pub audience: Option<Option<Audience>>,
    /// New send window, or `Some(None)` for the default.
    pub send_window: Option<Option<SendWindow>>,
    /// New holdout share, or `Some(None)` for the default.
    pub holdout_fraction: Option<Option<f64>>,
    /// New targeting, or `Some(None)` to send to everyone.
    pub targeting: Option<Option<Targeting>>,
}

impl PlanPatch {
    /// Applies the patch to a campaign's objective and plan, validating the result as a whole.
    pub fn apply(
        self,
        objective: &str,
        plan: &CampaignPlan,
    ) -> Result<(String, CampaignPlan), ValidationError> {
        let mut errors = Collector::default();
        let objective = match &self.objective {
            Some(o) => errors.check(validate_objective(o)),
            None => Some(objective.to_owned()),
        };
        let plan = self.apply_to_plan(plan, &mut errors);
        errors.finish()?;
        match (objective, plan) {
            (Some(o), Some(p)) => Ok((o, p)),
            _ => Err(ValidationError::single(FieldError::new(
                "campaign",
                "invalid campaign",
            ))),
        }
    }

    fn apply_to_plan(self, current: &CampaignPlan, errors: &mut Collector) -> Option<CampaignPlan> {
        let before = errors.len();
        let name = match self.name {
            Some(Some(n)) => errors
                .check(text("name", &n, NAME_CHARS.0, NAME_CHARS.1).map(Some))
                .flatten(),
            Some(None) => None,
            None => current.name.clone(),
        };
        let planned_reach = self.planned_reach.unwrap_or(current.planned_reach);
        if let Some(r) = planned_reach
            && !(0..=MAX_PLANNED_REACH).contains(&r)
        {
            errors.push(FieldError::new(
                "planned_reach",
                format!("must be between 0 and {MAX_PLANNED_REACH} people; got {r}"),
            ));
        }
        let budget = self.budget.unwrap_or(current.budget);
        if let Some(b) = budget
            && (b.is_sign_negative() || b > MAX_BUDGET || b.normalize().scale() > 2)
        {
            errors.push(FieldError::new(
                "budget",
                format!("must be between 0 and {MAX_BUDGET} with at most two decimals; got {b}"),
            ));
        }
        let channels = self.channels.unwrap_or_else(|| current.channels.clone());
        let mut seen = Vec::with_capacity(channels.len());
        for c in &channels {
            if seen.contains(c) {
                errors.push(FieldError::new(
                    "channels",
                    format!("lists `{c}` more than once; each channel may appear once"),
                ));
            }
            seen.push(*c);
        }
        let start_at = self.start_at.unwrap_or(current.start_at);
        let end_at = self.end_at.unwrap_or(current.end_at);
        for (field, moment) in [("start_at", start_at), ("end_at", end_at)] {
            if let Some(t) = moment
                && (!(PLAN_YEARS.0..=PLAN_YEARS.1).contains(&t.year())
                    || t.nanosecond() >= 1_000_000_000)
            {
                errors.push(FieldError::new(
                    field,
                    format!(
                        "must be a moment between {}-01-01T00:00:00Z and {}-12-31T23:59:59Z, without a leap second; got {t}",
                        PLAN_YEARS.0, PLAN_YEARS.1
                    ),
                ));
            }
        }
        if let (Some(s), Some(e)) = (start_at, end_at)
            && e <= s
        {
            errors.push(FieldError::new(
                "end_at",
                format!("must be after start_at ({s}); got {e}"),
            ));
        }
        let timezone = self.timezone.unwrap_or_else(|| current.timezone.clone());
        if timezone.parse::<chrono_tz::Tz>().is_err() {
            errors.push(FieldError::new(
                "timezone",
                format!("must be an IANA time zone name such as `UTC`, `Europe/Berlin` or `America/New_York`; got `{timezone}`"),
            ));
        }
        let audience = self.audience.unwrap_or(current.audience);
        if let Some(a) = &audience
            && let Err(e) = a.validate()
        {
            errors.push(e);
        }
        let send_window = self
            .send_window
            .unwrap_or_else(|| current.send_window.clone());
        if let Some(w) = &send_window
            && let Err(e) = w.validate()
        {
            errors.push(e);
        }
        let holdout_fraction = self.holdout_fraction.unwrap_or(current.holdout_fraction);
        if let Some(h) = holdout_fraction
            && let Err(e) = validate_holdout(h)
        {
            errors.push(e);
        }
        let targeting = self.targeting.unwrap_or_else(|| current.targeting.clone());
        if let Some(t) = &targeting
            && let Err(e) = t.validate()
        {
            errors.push(e);
        }
        if errors.len() > before {
            return None;
        }
        Some(CampaignPlan {
            name,
            planned_reach,
            budget: budget.map(|b| b.round_dp(2)),
            channels,
            start_at,
            end_at,
            timezone,
            audience,
            send_window,
            holdout_fraction,
            targeting,
        })
    }
}

/// Reads an optional amount of money written as a decimal string; numbers are refused.
pub fn money_text<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    text.map(|t| {
        t.trim().parse::<Decimal>().map_err(|_| {
            serde::de::Error::custom(format!(
                "`{t}` is not an amount; write it as a decimal string such as \"2500.00\""
            ))
        })
    })
    .transpose()
}

/// Every accepted IANA time-zone name.
pub fn time_zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

/// Checks an objective: 3 to 500 characters after trimming, no control characters.
pub fn validate_objective(objective: &str) -> Result<String, FieldError> {
    text("objective", objective, OBJECTIVE_CHARS.0, OBJECTIVE_CHARS.1)
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_search_text_is_trimmed_bounded_and_blank_means_none() {
        assert_eq!(
            CampaignFilter::search_text("  spring ").unwrap().as_deref(),
            Some("spring")
        );
        assert_eq!(CampaignFilter::search_text("   ").unwrap(), None);
        let long = "x".repeat(MAX_SEARCH_LEN + 1);
        assert_eq!(CampaignFilter::search_text(&long).unwrap_err().field, "q");
    }

    use super::*;
    use chrono::TimeZone;

    fn fields(err: &ValidationError) -> Vec<&str> {
        err.errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn objective_is_trimmed_and_bounded() {
        let ok = NewCampaign::new(CampaignType::LeadGen, "  Book 40 demos by March  ")
            .validate()
            .unwrap();
        assert_eq!(ok.objective(), "Book 40 demos by March");
        assert_eq!(ok.plan().timezone, "UTC");

        let short = NewCampaign::new(CampaignType::LeadGen, "  ab ")
            .validate()
            .unwrap_err();
        assert_eq!(fields(&short), ["objective"]);
        assert!(
            short.errors[0]
                .message
                .contains("at most 500 characters with at least 3"),
            "{}",
            short.errors[0].message
        );

        assert!(
            NewCampaign::new(CampaignType::LeadGen, "x".repeat(500))
                .validate()
                .is_ok()
        );
        assert!(
            NewCampaign::new(CampaignType::LeadGen, "x".repeat(501))
                .validate()
                .is_err()
        );
        // The untrimmed text is bounded too, as the API schema's maxLength says.
        assert!(
            NewCampaign::new(CampaignType::LeadGen, format!("{}  ", "x".repeat(499)))
                .validate()
                .is_err()
        );
        // Length counts characters, not bytes.
        assert!(
            NewCampaign::new(CampaignType::LeadGen, "é".repeat(500))
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn control_characters_are_rejected() {
        for bad in ["line\nbreak", "tab\there", "nul\0byte", "esc\u{1b}[31m"] {
            let err = NewCampaign::new(CampaignType::Upsell, bad)
                .validate()
                .unwrap_err();
            assert_eq!(fields(&err), ["objective"], "{bad:?}");
            assert!(err.errors[0].message.contains("control characters"));
        }
        assert!(
            NewCampaign::new(CampaignType::Upsell, "Emoji 🚀 and \"quotes\" are fine")
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn every_plan_problem_is_reported_at_once() {
        let mut c = NewCampaign::new(CampaignType::Referral, "no");
        c.name = Some("   ".into());
        c.planned_reach = Some(-5);
        c.budget = Some(Decimal::new(-1, 0));
        c.channels = vec![Channel::Email, Channel::Email];
        c.start_at = Some(Utc.with_ymd_and_hms(2027, 1, 2, 0, 0, 0).unwrap());
        c.end_at = Some(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
        c.timezone = Some("Mars/Olympus".into());
        let err = c.validate().unwrap_err();
        assert_eq!(
            fields(&err),
            [
                "objective",
                "name",
                "planned_reach",
                "budget",
                "channels",
                "end_at",
                "timezone"
            ]
        );
        assert!(err.errors[6].message.contains("Europe/Berlin"));
    }

    #[test]
    fn budget_allows_two_decimals_only() {
        let mut c = NewCampaign::new(CampaignType::LeadGen, "Fill the spring webinar");
        c.budget = Some(Decimal::new(250050, 2));
        assert_eq!(
            c.clone().validate().unwrap().plan().budget,
            Some(Decimal::new(250050, 2))
        );
        c.budget = Some(Decimal::new(2500501, 3));
        assert_eq!(fields(&c.validate().unwrap_err()), ["budget"]);
    }

    #[test]
    fn patch_changes_only_what_it_names_and_revalidates() {
        let valid = NewCampaign {
            planned_reach: Some(1000),
            timezone: Some("Europe/Berlin".into()),
            ..NewCampaign::new(CampaignType::LeadGen, "Grow trial sign-ups")
        }
        .validate()
        .unwrap();
        let patch = PlanPatch {
            name: Some(Some("Spring push".into())),
            planned_reach: Some(None),
            ..PlanPatch::default()
        };
        let (objective, plan) = patch.apply(valid.objective(), valid.plan()).unwrap();
        assert_eq!(objective, "Grow trial sign-ups");
        assert_eq!(plan.name.as_deref(), Some("Spring push"));
        assert_eq!(plan.planned_reach, None);
        assert_eq!(plan.timezone, "Europe/Berlin");

        let bad = PlanPatch {
            objective: Some("\u{7}".into()),
            timezone: Some("Nowhere".into()),
            ..PlanPatch::default()
        };
        assert_eq!(
            fields(&bad.apply(valid.objective(), valid.plan()).unwrap_err()),
            ["objective", "timezone"]
        );
    }

    #[test]
    fn max_budget_matches_the_column() {
        assert_eq!(MAX_BUDGET.to_string(), "999999999999.99");
    }
}
