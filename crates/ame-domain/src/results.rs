//! Recorded campaign results: what a client submits per day and channel, how it is validated,
//! and the totals the dashboard and the predictor read.
//!
//! A measurement left out (or `null`) means "not measured", which is different from a measured 0:
//! totals keep a field `None` until at least one record measured it.

use crate::campaign::{MAX_BUDGET, money_text};
use crate::enums::{CampaignType, Channel};
use crate::ids::{AssetId, CampaignId};
use crate::validation::{Collector, FieldError, ValidationError};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Largest accepted count in one record, which is one day on one channel (reach, clicks,
/// leads, conversions): ten billion, more people than there are.
pub const MAX_COUNT: i64 = 10_000_000_000;
/// Most records accepted in one submission.
pub const MAX_RECORDS_PER_REQUEST: usize = 1_000;
/// Earliest and latest accepted record years.
pub const RECORD_YEARS: (i32, i32) = (2000, 2100);

/// The funnel's measurements; each is `None` when it was not measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunnelMetrics {
    /// People (or impressions) reached.
    #[serde(default)]
    pub reach: Option<i64>,
    /// Clicks.
    #[serde(default)]
    pub clicks: Option<i64>,
    /// Leads (sign-ups, enquiries).
    #[serde(default)]
    pub leads: Option<i64>,
    /// Conversions (purchases, closed deals).
    #[serde(default)]
    pub conversions: Option<i64>,
    /// Money spent, a decimal string with at most two decimals.
    #[serde(default, deserialize_with = "money_text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "120.50"))]
    pub spend: Option<Decimal>,
    /// Revenue attributed, a decimal string with at most two decimals.
    #[serde(default, deserialize_with = "money_text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "900.00"))]
    pub revenue: Option<Decimal>,
}

impl FunnelMetrics {
    /// The counts in funnel order, with their names.
    pub fn counts(&self) -> [(&'static str, Option<i64>); 4] {
        [
            ("reach", self.reach),
            ("clicks", self.clicks),
            ("leads", self.leads),
            ("conversions", self.conversions),
        ]
    }

    /// Adds `other` to these totals; a field stays `None` only if neither side measured it.
    pub fn accumulate(&mut self, other: &FunnelMetrics) {
        fn add<T: std::ops::Add<Output = T> + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
            match (a, b) {
                (Some(x), Some(y)) => Some(x + y),
                (x, None) => x,
                (None, y) => y,
            }
        }
        self.reach = add(self.reach, other.reach);
        self.clicks = add(self.clicks, other.clicks);
        self.leads = add(self.leads, other.leads);
        self.conversions = add(self.conversions, other.conversions);
        self.spend = add(self.spend, other.spend);
        self.revenue = add(self.revenue, other.revenue);
    }

    /// The funnel's impossibilities: `(stage, its base, stage count, base count)` for every
    /// measured stage larger than its measured base. Every stage is bounded by reach (nobody
    /// clicks, signs up or buys without being reached) and conversions by leads; leads may
    /// exceed clicks (view-through sign-ups).
    pub fn funnel_violations(&self) -> Vec<(&'static str, &'static str, i64, i64)> {
        let mut found = Vec::new();
        let pairs = [
            ("clicks", self.clicks, "reach", self.reach),
            ("leads", self.leads, "reach", self.reach),
            ("conversions", self.conversions, "reach", self.reach),
            ("conversions", self.conversions, "leads", self.leads),
        ];
        for (stage, count, base, bound) in pairs {
            if let (Some(k), Some(n)) = (count, bound)
                && k > n
            {
                found.push((stage, base, k, n));
            }
        }
        found
    }

    /// Whether nothing was measured.
    pub fn is_empty(&self) -> bool {
        *self == FunnelMetrics::default()
    }

    fn check(&self, prefix: &str, errors: &mut Collector) {
        let mut in_range = true;
        for (name, value) in self.counts() {
            if let Some(v) = value
                && !(0..=MAX_COUNT).contains(&v)
            {
                in_range = false;
                errors.push(FieldError::new(
                    format!("{prefix}{name}"),
                    format!("must be a whole number between 0 and {MAX_COUNT} (one day on one channel), or null when not measured; got {v}"),
                ));
            }
        }
        if in_range {
            for (stage, base, k, n) in self.funnel_violations() {
                errors.push(FieldError::new(
                    format!("{prefix}{stage}"),
                    format!("must not exceed {base} ({n}) measured in the same record; got {k}"),
                ));
            }
        }
        for (name, value) in [("spend", self.spend), ("revenue", self.revenue)] {
            if let Some(v) = value
                && (v.is_sign_negative() || v > MAX_BUDGET || v.normalize().scale() > 2)
            {
                errors.push(FieldError::new(
                    format!("{prefix}{name}"),
                    format!(
                        "must be an amount between 0 and {MAX_BUDGET} with at most two decimals, or null when not measured; got {v}"
                    ),
                ));
            }
        }
    }
}

/// One day's results of a campaign on one channel (optionally for one asset), as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResultRecordInput {
    /// The day the results are for (`YYYY-MM-DD`).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "2026-11-20", pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub date: NaiveDate,
    /// The channel the results were measured on.
    pub channel: Channel,
    /// The asset the results belong to, when they are measured per asset.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub asset_id: Option<AssetId>,
    /// People (or impressions) reached; leave out or `null` when not measured.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10_000_000_000_i64))]
    pub reach: Option<i64>,
    /// Clicks; leave out or `null` when not measured.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10_000_000_000_i64))]
    pub clicks: Option<i64>,
    /// Leads (sign-ups, enquiries); leave out or `null` when not measured.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10_000_000_000_i64))]
    pub leads: Option<i64>,
    /// Conversions (purchases, closed deals); leave out or `null` when not measured.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10_000_000_000_i64))]
    pub conversions: Option<i64>,
    /// Money spent, a decimal string with at most two decimals; `null` when not measured.
    #[serde(default, deserialize_with = "money_text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "120.50", pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"))]
    pub spend: Option<Decimal>,
    /// Revenue attributed, a decimal string with at most two decimals; `null` when not measured.
    #[serde(default, deserialize_with = "money_text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "900.00", pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"))]
    pub revenue: Option<Decimal>,
}

/// The key a record is upserted by: re-sending a key replaces its record.
pub type ResultKey = (NaiveDate, Channel, Option<AssetId>);

impl ResultRecordInput {
    /// The record's upsert key.
    pub fn key(&self) -> ResultKey {
        (self.date, self.channel, self.asset_id)
    }

    /// The record's measurements.
    pub fn metrics(&self) -> FunnelMetrics {
        FunnelMetrics {
            reach: self.reach,
            clicks: self.clicks,
            leads: self.leads,
            conversions: self.conversions,
            spend: self.spend,
            revenue: self.revenue,
        }
    }
}

/// Checks a submission: 1 to [`MAX_RECORDS_PER_REQUEST`] records, every count and amount in range,
/// dates within [`RECORD_YEARS`], and no key twice. Reports every problem, with the record's index.
pub fn validate_result_records(records: &[ResultRecordInput]) -> Result<(), ValidationError> {
    let mut errors = Collector::default();
    if records.is_empty() || records.len() > MAX_RECORDS_PER_REQUEST {
        errors.push(FieldError::new(
            "records",
            format!(
                "must hold between 1 and {MAX_RECORDS_PER_REQUEST} records; got {}",
                records.len()
            ),
        ));
    }
    let mut seen: Vec<(ResultKey, usize)> = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let prefix = format!("[{i}].");
        let year = record.date.year();
        if !(RECORD_YEARS.0..=RECORD_YEARS.1).contains(&year) {
            errors.push(FieldError::new(
                format!("{prefix}date"),
                format!(
                    "must be a day between {}-01-01 and {}-12-31; got {}",
                    RECORD_YEARS.0, RECORD_YEARS.1, record.date
                ),
            ));
        }
        record.metrics().check(&prefix, &mut errors);
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == record.key()) {
            errors.push(FieldError::new(
                format!("{prefix}date"),
                format!(
                    "repeats record {first} (same date, channel and asset); send each day, channel and asset once"
                ),
            ));
        } else {
            seen.push((record.key(), i));
        }
    }
    errors.finish()
}

/// A stored result record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultRecord {
    /// The campaign the results belong to.
    pub campaign_id: CampaignId,
    /// The day the results are for.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: NaiveDate,
    /// The channel.
    pub channel: Channel,
    /// The asset, when measured per asset.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub asset_id: Option<AssetId>,
    /// The measurements (`null` = not measured).
    #[serde(flatten)]
    pub metrics: FunnelMetrics,
    /// When this record was last written.
    pub updated_at: DateTime<Utc>,
}

/// Totals over a campaign's result records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultTotals {
    /// How many records were summed.
    pub records: u64,
    /// The earliest day with a record.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub first_date: Option<NaiveDate>,
    /// The latest day with a record.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub last_date: Option<NaiveDate>,
    /// The summed measurements; a field is `null` when no record measured it.
    #[serde(flatten)]
    pub metrics: FunnelMetrics,
}

impl ResultTotals {
    /// Sums `records`.
    pub fn of<'a>(records: impl IntoIterator<Item = &'a ResultRecord>) -> Self {
        let mut totals = ResultTotals::default();
        for r in records {
            totals.records += 1;
            totals.metrics.accumulate(&r.metrics);
            totals.first_date = Some(totals.first_date.map_or(r.date, |d| d.min(r.date)));
            totals.last_date = Some(totals.last_date.map_or(r.date, |d| d.max(r.date)));
        }
        totals
    }
}

/// One campaign's totals on one channel: the unit the predictor learns from.
///
/// Outcomes carry only opaque group keys of their organization and campaign, never their ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelOutcome {
    /// An opaque key shared by all outcomes of one organization.
    pub org_group: Uuid,
    /// An opaque key shared by all outcomes (channels) of one campaign.
    pub campaign_group: Uuid,
    /// Whether the outcome belongs to the organization asking.
    pub own_org: bool,
    /// The campaign's type.
    pub campaign_type: CampaignType,
    /// The channel.
    pub channel: Channel,
    /// How many records were summed.
    pub records: u32,
    /// The summed measurements.
    pub metrics: FunnelMetrics,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(date: &str, channel: Channel) -> ResultRecordInput {
        ResultRecordInput {
            date: date.parse().unwrap(),
            channel,
            asset_id: None,
            reach: Some(1000),
            clicks: Some(20),
            leads: None,
            conversions: None,
            spend: None,
            revenue: None,
        }
    }

    fn fields(err: &ValidationError) -> Vec<&str> {
        err.errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn absent_and_null_mean_not_measured_and_zero_is_kept() {
        let r: ResultRecordInput = serde_json::from_str(
            r#"{"date":"2026-11-20","channel":"email","reach":0,"clicks":null,"spend":"0"}"#,
        )
        .unwrap();
        assert_eq!(r.reach, Some(0));
        assert_eq!(r.clicks, None);
        assert_eq!(r.leads, None);
        assert_eq!(r.spend, Some(Decimal::ZERO));
        assert_eq!(r.revenue, None);
        let typo = serde_json::from_str::<ResultRecordInput>(
            r#"{"date":"2026-11-20","channel":"email","impressions":5}"#,
        );
        assert!(typo.unwrap_err().to_string().contains("impressions"));
    }

    #[test]
    fn every_bad_field_is_reported_with_its_record_index() {
        let mut bad = record("2026-11-20", Channel::Email);
        bad.clicks = Some(-1);
        bad.spend = Some(Decimal::new(1005, 3));
        let mut old = record("1999-12-31", Channel::X);
        old.revenue = Some(Decimal::new(-5, 0));
        let err =
            validate_result_records(&[record("2026-11-19", Channel::Email), bad, old]).unwrap_err();
        assert_eq!(
            fields(&err),
            ["[1].clicks", "[1].spend", "[2].date", "[2].revenue"]
        );
    }

    #[test]
    fn a_stage_larger_than_its_measured_base_is_refused() {
        let mut impossible = record("2026-11-20", Channel::Email);
        impossible.reach = Some(0);
        impossible.clicks = Some(MAX_COUNT);
        impossible.leads = Some(MAX_COUNT);
        impossible.conversions = Some(5);
        let err = validate_result_records(&[impossible]).unwrap_err();
        assert_eq!(fields(&err), ["[0].clicks", "[0].leads", "[0].conversions"]);
        assert!(err.errors[0].message.contains("reach (0)"));
        let mut view_through = record("2026-11-20", Channel::Email);
        view_through.clicks = Some(3);
        view_through.leads = Some(9);
        view_through.conversions = Some(9);
        validate_result_records(&[view_through.clone()]).unwrap();
        view_through.reach = None;
        view_through.conversions = Some(10);
        let err = validate_result_records(&[view_through]).unwrap_err();
        assert_eq!(fields(&err), ["[0].conversions"]);
        assert!(err.errors[0].message.contains("leads (9)"));
        let mut huge = record("2026-11-20", Channel::Email);
        huge.reach = Some(MAX_COUNT + 1);
        assert_eq!(
            fields(&validate_result_records(&[huge]).unwrap_err()),
            ["[0].reach"]
        );
    }

    #[test]
    fn a_key_twice_in_one_submission_is_refused() {
        let err = validate_result_records(&[
            record("2026-11-20", Channel::Email),
            record("2026-11-20", Channel::X),
            record("2026-11-20", Channel::Email),
        ])
        .unwrap_err();
        assert_eq!(fields(&err), ["[2].date"]);
        assert!(err.errors[0].message.contains("record 0"));
    }

    #[test]
    fn empty_and_oversized_submissions_are_refused() {
        assert_eq!(
            fields(&validate_result_records(&[]).unwrap_err()),
            ["records"]
        );
        let many: Vec<_> = (0..=MAX_RECORDS_PER_REQUEST)
            .map(|i| {
                let mut r = record("2026-01-01", Channel::Email);
                r.date += chrono::TimeDelta::days(i as i64);
                r
            })
            .collect();
        assert_eq!(
            fields(&validate_result_records(&many).unwrap_err()),
            ["records"]
        );
    }

    #[test]
    fn totals_keep_unmeasured_fields_empty() {
        let at = Utc::now();
        let make = |date: &str, clicks: Option<i64>, revenue: Option<i64>| ResultRecord {
            campaign_id: CampaignId::new(),
            date: date.parse().unwrap(),
            channel: Channel::Email,
            asset_id: None,
            metrics: FunnelMetrics {
                reach: Some(100),
                clicks,
                revenue: revenue.map(Decimal::from),
                ..FunnelMetrics::default()
            },
            updated_at: at,
        };
        let records = [
            make("2026-11-02", Some(5), None),
            make("2026-11-01", None, None),
            make("2026-11-03", Some(0), None),
        ];
        let totals = ResultTotals::of(&records);
        assert_eq!(totals.records, 3);
        assert_eq!(totals.metrics.reach, Some(300));
        assert_eq!(totals.metrics.clicks, Some(5));
        assert_eq!(totals.metrics.leads, None);
        assert_eq!(totals.metrics.revenue, None);
        assert_eq!(totals.first_date, Some("2026-11-01".parse().unwrap()));
        assert_eq!(totals.last_date, Some("2026-11-03".parse().unwrap()));
    }
}
