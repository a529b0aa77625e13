//! Audiences: saved segments (filters over consent and attributes) and who a campaign writes to.

use crate::contact::{Contact, is_attribute_name};
use crate::enums::Consent;
use crate::ids::{OrgId, SegmentId};
use crate::validation::{FieldError, ValidationError, text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most conditions one segment may hold.
pub const MAX_CONDITIONS: usize = 20;
/// Most values an `in` condition may list.
pub const MAX_IN_VALUES: usize = 100;

/// One test of a contact attribute: exactly one of `equals`, `in`, or a range (`min` and/or
/// `max`, inclusive, numbers only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The attribute tested.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "plan", pattern = "^[A-Za-z][A-Za-z0-9_]{0,63}$")
    )]
    pub attribute: String,
    /// Matches when the attribute equals this value (text, number or boolean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<serde_json::Value>))]
    pub equals: Option<Value>,
    /// Matches when the attribute equals one of these values.
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<serde_json::Value>>, min_items = 1, max_items = 100))]
    pub one_of: Option<Vec<Value>>,
    /// Matches numbers at least this large.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Matches numbers at most this large.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

fn is_scalar(value: &Value) -> bool {
    matches!(value, Value::Bool(_) | Value::Number(_) | Value::String(_))
}

impl Condition {
    fn validate(&self, field: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if !is_attribute_name(&self.attribute) {
            errors.push(FieldError::new(
                format!("{field}.attribute"),
                "must be an attribute name: 1 to 64 letters, digits or `_`, starting with a letter",
            ));
        }
        let range = self.min.is_some() || self.max.is_some();
        let kinds = [self.equals.is_some(), self.one_of.is_some(), range]
            .iter()
            .filter(|k| **k)
            .count();
        if kinds != 1 {
            errors.push(FieldError::new(
                field,
                "must test exactly one way: `equals`, `in`, or a range with `min` and/or `max`",
            ));
        }
        if let Some(v) = &self.equals
            && !is_scalar(v)
        {
            errors.push(FieldError::new(
                format!("{field}.equals"),
                "must be text, a number or a boolean",
            ));
        }
        if let Some(values) = &self.one_of
            && (values.is_empty() || values.len() > MAX_IN_VALUES || !values.iter().all(is_scalar))
        {
            errors.push(FieldError::new(
                format!("{field}.in"),
                format!("must list 1 to {MAX_IN_VALUES} values, each text, a number or a boolean"),
            ));
        }
        for (name, bound) in [("min", self.min), ("max", self.max)] {
            if bound.is_some_and(|b| !b.is_finite()) {
                errors.push(FieldError::new(
                    format!("{field}.{name}"),
                    "must be a finite number",
                ));
            }
        }
        if let (Some(min), Some(max)) = (self.min, self.max)
            && min > max
        {
            errors.push(FieldError::new(
                format!("{field}.max"),
                format!("must be at least min ({min}); got {max}"),
            ));
        }
        errors
    }

    /// Whether `contact`'s attribute passes the test.
    pub fn matches(&self, contact: &Contact) -> bool {
        let Some(value) = contact.attributes.get(&self.attribute) else {
            return false;
        };
        if let Some(expected) = &self.equals {
            return same_value(expected, value);
        }
        if let Some(values) = &self.one_of {
            return values.iter().any(|v| same_value(v, value));
        }
        let Some(number) = value.as_f64() else {
            return false;
        };
        self.min.is_none_or(|min| number >= min) && self.max.is_none_or(|max| number <= max)
    }
}

/// Equality that treats `3` and `3.0` as the same number.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// A filter over consent and attributes; every condition must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SegmentFilter {
    /// Only contacts with one of these consent statuses (default: any). Messages only ever go
    /// to subscribed contacts, whatever the segment says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 4))]
    pub consent: Option<Vec<Consent>>,
    /// Conditions on attributes, all of which must hold.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub conditions: Vec<Condition>,
}

impl SegmentFilter {
    /// Whether `contact` belongs to the segment.
    pub fn matches(&self, contact: &Contact) -> bool {
        self.consent
            .as_ref()
            .is_none_or(|allowed| allowed.contains(&contact.consent))
            && self.conditions.iter().all(|c| c.matches(contact))
    }

    fn validate(&self, errors: &mut Vec<FieldError>) {
        if let Some(c) = &self.consent {
            if c.is_empty() {
                errors.push(FieldError::with_allowed(
                    "filter.consent",
                    "must list at least one consent status, or be left out",
                    Consent::NAMES,
                ));
            }
            if (1..c.len()).any(|i| c[..i].contains(&c[i])) {
                errors.push(FieldError::with_allowed(
                    "filter.consent",
                    "names a consent status more than once; name each once",
                    Consent::NAMES,
                ));
            }
        }
        if self.conditions.len() > MAX_CONDITIONS {
            errors.push(FieldError::new(
                "filter.conditions",
                format!(
                    "may hold at most {MAX_CONDITIONS} conditions; got {}",
                    self.conditions.len()
                ),
            ));
        }
        for (i, c) in self.conditions.iter().enumerate() {
            errors.extend(c.validate(&format!("filter.conditions[{i}]")));
        }
    }
}

/// A segment as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSegment {
    /// Name (1 to 200 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Pro plan, UK", max_length = 200)
    )]
    pub name: String,
    /// Who belongs to it.
    #[serde(default)]
    pub filter: SegmentFilter,
}

impl NewSegment {
    /// Checks the name and every condition.
    pub fn validate(mut self) -> Result<NewSegment, ValidationError> {
        let mut errors = Vec::new();
        match text("name", &self.name, 1, 200) {
            Ok(n) => self.name = n,
            Err(e) => errors.push(e),
        }
        self.filter.validate(&mut errors);
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(ValidationError { errors })
        }
    }
}

/// A stored segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Segment {
    /// The segment's id.
    pub id: SegmentId,
    /// The organization it belongs to.
    pub org_id: OrgId,
    /// Its name.
    pub name: String,
    /// Who belongs to it.
    pub filter: SegmentFilter,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// When contacts join a campaign's sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// The audience as it is when the campaign starts; day offsets count from the start.
    Broadcast,
    /// Also anyone who enters the audience while the campaign is active, starting at step 1
    /// when they enter.
    Triggered,
}

/// Who a campaign writes to: exactly one of `segment_id`, `all_subscribed: true` or
/// `campaign_leads: true` (a lead_gen campaign nurturing its own landing page's leads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// A saved segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<SegmentId>,
    /// Every subscribed contact of the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_subscribed: Option<bool>,
    /// The leads of this campaign's own landing page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_leads: Option<bool>,
    /// When contacts join (default `broadcast`, and `triggered` for `campaign_leads`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<Entry>,
}

/// Where an audience's contacts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudienceSource {
    /// The contacts matching a segment.
    Segment(SegmentId),
    /// Every subscribed contact.
    AllSubscribed,
    /// The campaign's own leads.
    CampaignLeads,
}

impl Audience {
    /// Every subscribed contact, as a broadcast.
    pub fn all_subscribed() -> Self {
        Self {
            all_subscribed: Some(true),
            ..Self::default()
        }
    }

    /// The contacts of `segment`, as a broadcast.
    pub fn segment(segment: SegmentId) -> Self {
        Self {
            segment_id: Some(segment),
            ..Self::default()
        }
    }

    /// Checks that exactly one source is named.
    pub fn validate(&self) -> Result<(), FieldError> {
        self.source().map(|_| ()).ok_or_else(|| {
            FieldError::new(
                "audience",
                "must name exactly one source: `segment_id`, `all_subscribed: true` or `campaign_leads: true`",
            )
        })
    }

    /// The one source named, if exactly one is.
    pub fn source(&self) -> Option<AudienceSource> {
        match (self.segment_id, self.all_subscribed, self.campaign_leads) {
            (Some(s), None | Some(false), None | Some(false)) => Some(AudienceSource::Segment(s)),
            (None, Some(true), None | Some(false)) => Some(AudienceSource::AllSubscribed),
            (None, None | Some(false), Some(true)) => Some(AudienceSource::CampaignLeads),
            _ => None,
        }
    }

    /// When contacts join.
    pub fn entry(&self) -> Entry {
        self.entry.unwrap_or(match self.source() {
            Some(AudienceSource::CampaignLeads) => Entry::Triggered,
            _ => Entry::Broadcast,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ContactId;
    use serde_json::json;

    fn contact(attributes: Value, consent: Consent) -> Contact {
        Contact {
            id: ContactId::new(),
            org_id: OrgId::new(),
            email: Some("ada@example.com".into()),
            first_name: None,
            time_zone: None,
            locale: None,
            attributes: attributes.as_object().cloned().unwrap_or_default(),
            consent,
            consent_source: "api".into(),
            consent_at: Utc::now(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            erased_at: None,
        }
    }

    fn filter(value: Value) -> SegmentFilter {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn conditions_test_equality_ranges_and_lists() {
        let ada = contact(
            json!({"plan": "pro", "seats": 12, "country": "GB", "vip": true}),
            Consent::Subscribed,
        );
        for (f, expected) in [
            (
                json!({"conditions": [{"attribute": "plan", "equals": "pro"}]}),
                true,
            ),
            (
                json!({"conditions": [{"attribute": "plan", "equals": "free"}]}),
                false,
            ),
            (
                json!({"conditions": [{"attribute": "seats", "min": 10, "max": 12}]}),
                true,
            ),
            (
                json!({"conditions": [{"attribute": "seats", "min": 12.5}]}),
                false,
            ),
            (
                json!({"conditions": [{"attribute": "seats", "equals": 12.0}]}),
                true,
            ),
            (
                json!({"conditions": [{"attribute": "country", "in": ["IE", "GB"]}]}),
                true,
            ),
            (
                json!({"conditions": [{"attribute": "plan", "min": 1}]}),
                false,
            ),
            (
                json!({"conditions": [{"attribute": "missing", "equals": 1}]}),
                false,
            ),
            (json!({"consent": ["unsubscribed"]}), false),
            (
                json!({"consent": ["subscribed"], "conditions": [{"attribute": "vip", "equals": true}]}),
                true,
            ),
        ] {
            assert_eq!(filter(f.clone()).matches(&ada), expected, "{f}");
        }
    }

    #[test]
    fn segments_refuse_conditions_that_test_nothing_or_two_things() {
        let bad = NewSegment {
            name: "  ".into(),
            filter: filter(json!({"conditions": [
                {"attribute": "plan"},
                {"attribute": "seats", "equals": 1, "min": 0},
                {"attribute": "seats", "min": 5, "max": 1},
                {"attribute": "tags", "in": [[1]]},
                {"attribute": "1x", "equals": {"a": 1}},
            ]})),
        };
        let fields: Vec<String> = bad
            .validate()
            .unwrap_err()
            .errors
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "name",
                "filter.conditions[0]",
                "filter.conditions[1]",
                "filter.conditions[2].max",
                "filter.conditions[3].in",
                "filter.conditions[4].attribute",
                "filter.conditions[4].equals",
            ]
        );
        let repeated = NewSegment {
            name: "Bounced".into(),
            filter: filter(json!({"consent": ["bounced", "bounced"]})),
        };
        assert_eq!(
            repeated.validate().unwrap_err().errors[0].field,
            "filter.consent"
        );
        let unknown = serde_json::from_value::<SegmentFilter>(
            json!({"conditions": [{"attribute": "a", "like": "x"}]}),
        );
        assert!(unknown.is_err());
    }

    #[test]
    fn an_audience_names_exactly_one_source() {
        assert_eq!(
            Audience::all_subscribed().source(),
            Some(AudienceSource::AllSubscribed)
        );
        let leads: Audience = serde_json::from_value(json!({"campaign_leads": true})).unwrap();
        assert_eq!(leads.entry(), Entry::Triggered);
        assert_eq!(Audience::all_subscribed().entry(), Entry::Broadcast);
        let both: Audience =
            serde_json::from_value(json!({"all_subscribed": true, "segment_id": SegmentId::new()}))
                .unwrap();
        assert!(both.validate().is_err());
        assert!(Audience::default().validate().is_err());
    }
}
