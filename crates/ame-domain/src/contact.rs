//! Contacts: the people an organization writes to, their consent, and how a client submits them.

use crate::enums::Consent;
use crate::ids::{ContactId, OrgId};
use crate::validation::{FieldError, ValidationError, text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most contacts one bulk request may carry.
pub const MAX_CONTACTS_PER_REQUEST: usize = 1000;
/// Most attributes one contact may carry.
pub const MAX_ATTRIBUTES: usize = 50;
/// Longest attribute name, in characters.
pub const MAX_ATTRIBUTE_NAME_CHARS: usize = 64;
/// Longest text attribute value, in characters.
pub const MAX_ATTRIBUTE_TEXT_CHARS: usize = 500;
/// Longest first name, in characters.
pub const MAX_FIRST_NAME_CHARS: usize = 100;

/// A stored contact. An erased contact keeps its id and counts, and nothing personal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    /// The contact's id.
    pub id: ContactId,
    /// The organization it belongs to.
    pub org_id: OrgId,
    /// The email address as submitted; `None` once erased.
    pub email: Option<String>,
    /// First name, used for `{{first_name}}`.
    pub first_name: Option<String>,
    /// IANA time zone messages are timed in (else the campaign's).
    pub time_zone: Option<String>,
    /// Preferred locale, e.g. `en-GB`.
    pub locale: Option<String>,
    /// Free attributes (text, numbers, booleans) segments filter on.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub attributes: Map<String, Value>,
    /// Whether the contact may be written to.
    pub consent: Consent,
    /// Where the consent status came from (`api`, `import`, `landing_page`, `unsubscribe_link`,
    /// `smtp_bounce`, …).
    pub consent_source: String,
    /// When the consent status last changed.
    pub consent_at: DateTime<Utc>,
    /// When the contact was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When its personal data was erased, if it was.
    pub erased_at: Option<DateTime<Utc>>,
}

impl Contact {
    /// Whether messages may go to this contact.
    pub fn is_reachable(&self) -> bool {
        self.consent == Consent::Subscribed && self.email.is_some()
    }
}

/// A contact as submitted (created, or updated when its email exists), not yet validated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// Email address (unique per organization, compared case-insensitively).
    #[cfg_attr(
        feature = "openapi",
        schema(example = "ada@example.com", max_length = 254)
    )]
    pub email: String,
    /// First name (1 to 100 characters).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub first_name: Option<String>,
    /// IANA time zone, e.g. `Europe/London`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Europe/London"))]
    pub time_zone: Option<String>,
    /// Locale such as `en` or `en-GB`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "en-GB", max_length = 35))]
    pub locale: Option<String>,
    /// Attributes: names of 1 to 64 letters, digits or `_`; values text (≤ 500 characters),
    /// finite numbers or booleans. Replaces the stored attributes when given.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Map<String, Value>>,
    /// Consent status for a new contact (default `subscribed`). An upsert never re-subscribes
    /// a contact who unsubscribed, bounced or complained.
    #[serde(default)]
    pub consent: Option<Consent>,
}

/// A validated contact submission.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidContact {
    /// The address as submitted (trimmed).
    pub email: String,
    /// The address lower-cased: what uniqueness compares.
    pub email_key: String,
    /// First name.
    pub first_name: Option<String>,
    /// Time zone.
    pub time_zone: Option<String>,
    /// Locale.
    pub locale: Option<String>,
    /// Attributes, when given.
    pub attributes: Option<Map<String, Value>>,
    /// Consent for a new contact.
    pub consent: Option<Consent>,
}

/// Whether `text` is an email address AME will write to: `local@domain.tld`, at most 254
/// visible ASCII characters, without characters that need quoting in a mail header.
pub fn is_email_address(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    text.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && text
            .chars()
            .all(|c| c.is_ascii_graphic() && !"<>()[]\\,;:\"@".contains(c) || c == '@')
        && !local.contains('@')
}

/// Checks an IANA time-zone name.
pub fn validate_time_zone(field: &str, zone: &str) -> Result<String, FieldError> {
    zone.parse::<chrono_tz::Tz>()
        .map(|_| zone.to_owned())
        .map_err(|_| {
            FieldError::new(
                field,
                format!("must be an IANA time zone name such as `Europe/London` or `America/Los_Angeles`; got `{zone}`"),
            )
        })
}

fn validate_locale(field: &str, locale: &str) -> Result<String, FieldError> {
    let ok = (2..=35).contains(&locale.len())
        && locale
            .split(['-', '_'])
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(locale.to_owned())
    } else {
        Err(FieldError::new(
            field,
            format!("must be a language tag such as `en` or `en-GB`; got `{locale}`"),
        ))
    }
}

/// Checks attribute names and values.
pub fn validate_attributes(
    field: &str,
    attributes: &Map<String, Value>,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if attributes.len() > MAX_ATTRIBUTES {
        errors.push(FieldError::new(
            field,
            format!(
                "may carry at most {MAX_ATTRIBUTES} attributes; got {}",
                attributes.len()
            ),
        ));
    }
    for (name, value) in attributes {
        if !is_attribute_name(name) {
            errors.push(FieldError::new(
                format!("{field}.{name}"),
                format!("attribute names are 1 to {MAX_ATTRIBUTE_NAME_CHARS} letters, digits or `_`, starting with a letter"),
            ));
            continue;
        }
        let problem = match value {
            Value::Bool(_) => None,
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => None,
            Value::String(s)
                if s.chars().count() <= MAX_ATTRIBUTE_TEXT_CHARS
                    && !s.chars().any(char::is_control) =>
            {
                None
            }
            Value::String(_) => Some(format!(
                "text values are at most {MAX_ATTRIBUTE_TEXT_CHARS} characters without control characters"
            )),
            Value::Number(_) => Some("numbers must be finite".to_owned()),
            Value::Null => Some("must be text, a number or a boolean; got null".to_owned()),
            Value::Array(_) => Some("must be text, a number or a boolean; got a list".to_owned()),
            Value::Object(_) => {
                Some("must be text, a number or a boolean; got an object".to_owned())
            }
        };
        if let Some(message) = problem {
            errors.push(FieldError::new(format!("{field}.{name}"), message));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Whether `name` may name an attribute.
pub fn is_attribute_name(name: &str) -> bool {
    (1..=MAX_ATTRIBUTE_NAME_CHARS).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl NewContact {
    /// A submission with only an email address.
    pub fn email(email: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            ..Self::default()
        }
    }

    /// Validates the submission, naming fields with `prefix` (e.g. `[3].`).
    pub fn validate_as(&self, prefix: &str) -> Result<ValidContact, Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = self.email.trim();
        if !is_email_address(email) {
            errors.push(FieldError::new(
                format!("{prefix}email"),
                format!("must be an email address such as ada@example.com (at most 254 characters); got `{}`", self.email.chars().take(60).collect::<String>()),
            ));
        }
        let first_name = match self.first_name.as_deref() {
            None => None,
            Some(n) => match text(&format!("{prefix}first_name"), n, 1, MAX_FIRST_NAME_CHARS) {
                Ok(n) => Some(n),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        let time_zone = match self.time_zone.as_deref() {
            None => None,
            Some(z) => match validate_time_zone(&format!("{prefix}time_zone"), z) {
                Ok(z) => Some(z),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        let locale = match self.locale.as_deref() {
            None => None,
            Some(l) => match validate_locale(&format!("{prefix}locale"), l) {
                Ok(l) => Some(l),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        if let Some(attributes) = &self.attributes
            && let Err(mut e) = validate_attributes(&format!("{prefix}attributes"), attributes)
        {
            errors.append(&mut e);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidContact {
            email: email.to_owned(),
            email_key: email.to_ascii_lowercase(),
            first_name,
            time_zone,
            locale,
            attributes: self.attributes.clone(),
            consent: self.consent,
        })
    }
}

/// Validates a bulk submission: 1 to [`MAX_CONTACTS_PER_REQUEST`] rows, each valid, no address
/// twice. Errors name rows as `[i].field`.
pub fn validate_contacts(rows: &[NewContact]) -> Result<Vec<ValidContact>, ValidationError> {
    if rows.is_empty() || rows.len() > MAX_CONTACTS_PER_REQUEST {
        return Err(ValidationError::single(FieldError::new(
            "contacts",
            format!(
                "must hold 1 to {MAX_CONTACTS_PER_REQUEST} contacts; got {} (import larger lists with `ame contacts import`)",
                rows.len()
            ),
        )));
    }
    let mut errors = Vec::new();
    let mut valid = Vec::with_capacity(rows.len());
    let mut seen = std::collections::HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        match row.validate_as(&format!("[{i}].")) {
            Ok(v) => {
                if let Some(first) = seen.insert(v.email_key.clone(), i) {
                    errors.push(FieldError::new(
                        format!("[{i}].email"),
                        format!("repeats the address of row {first}; send each address once"),
                    ));
                }
                valid.push(v);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(valid)
    } else {
        Err(ValidationError { errors })
    }
}

/// A change to one contact: fields left out stay as they are; `Some(None)` clears one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactPatch {
    /// New first name, or `Some(None)` to clear it.
    pub first_name: Option<Option<String>>,
    /// New time zone, or `Some(None)` to clear it.
    pub time_zone: Option<Option<String>>,
    /// New locale, or `Some(None)` to clear it.
    pub locale: Option<Option<String>>,
    /// New attributes (replacing the stored ones).
    pub attributes: Option<Map<String, Value>>,
    /// New consent status (an explicit change, so it may re-subscribe).
    pub consent: Option<Consent>,
}

impl ContactPatch {
    /// Checks every field the patch sets.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let mut errors = Vec::new();
        if let Some(Some(n)) = &self.first_name
            && let Err(e) = text("first_name", n, 1, MAX_FIRST_NAME_CHARS)
        {
            errors.push(e);
        }
        if let Some(Some(z)) = &self.time_zone
            && let Err(e) = validate_time_zone("time_zone", z)
        {
            errors.push(e);
        }
        if let Some(Some(l)) = &self.locale
            && let Err(e) = validate_locale("locale", l)
        {
            errors.push(e);
        }
        if let Some(a) = &self.attributes
            && let Err(mut e) = validate_attributes("attributes", a)
        {
            errors.append(&mut e);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationError { errors })
        }
    }
}

/// Which contacts a listing returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactFilter {
    /// Only contacts with this consent status.
    pub consent: Option<Consent>,
    /// Only contacts whose attribute equals this value.
    pub attribute: Option<(String, Value)>,
}

impl ContactFilter {
    /// Whether `contact` passes the filter.
    pub fn matches(&self, contact: &Contact) -> bool {
        self.consent.is_none_or(|c| c == contact.consent)
            && self
                .attribute
                .as_ref()
                .is_none_or(|(name, value)| contact.attributes.get(name) == Some(value))
    }
}

/// The outcome of a bulk upsert.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpsertSummary {
    /// Contacts created.
    pub created: u64,
    /// Existing contacts updated.
    pub updated: u64,
    /// Existing contacts who stayed unsubscribed, bounced or complained although the
    /// submission said `subscribed`.
    pub kept_suppressed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn addresses_are_checked_for_shape_and_header_safety() {
        for good in ["ada@example.com", "a.b+tag@mail.example.co.uk"] {
            assert!(is_email_address(good), "{good}");
        }
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@example.com>",
            "\"ada\"@example.com",
            "ada@.example.com",
            "ada..b@example.com",
            "ada@example..com",
        ] {
            assert!(!is_email_address(bad), "{bad}");
        }
    }

    #[test]
    fn a_bad_row_is_named_by_its_index_and_field() {
        let rows = vec![
            NewContact::email("ada@example.com"),
            NewContact {
                email: "not-an-address".into(),
                time_zone: Some("Mars/Olympus".into()),
                attributes: Some(
                    json!({"plan": ["a"], "seats": 12, "vip": true, "9bad": 1})
                        .as_object()
                        .unwrap()
                        .clone(),
                ),
                ..NewContact::default()
            },
            NewContact::email("ADA@example.com"),
        ];
        let fields: Vec<String> = validate_contacts(&rows)
            .unwrap_err()
            .errors
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "[1].email",
                "[1].time_zone",
                "[1].attributes.9bad",
                "[1].attributes.plan",
                "[2].email"
            ]
        );
    }

    #[test]
    fn batches_are_bounded_and_addresses_compare_case_insensitively() {
        assert!(validate_contacts(&[]).is_err());
        let too_many = vec![NewContact::email("a@example.com"); MAX_CONTACTS_PER_REQUEST + 1];
        assert!(validate_contacts(&too_many).is_err());
        let valid = validate_contacts(&[NewContact::email(" Ada@Example.COM ")]).unwrap();
        assert_eq!(valid[0].email, "Ada@Example.COM");
        assert_eq!(valid[0].email_key, "ada@example.com");
    }

    #[test]
    fn patches_check_what_they_set() {
        assert!(ContactPatch::default().validate().is_ok());
        let bad = ContactPatch {
            locale: Some(Some("english please".into())),
            time_zone: Some(Some("Nowhere".into())),
            ..ContactPatch::default()
        };
        assert_eq!(bad.validate().unwrap_err().errors.len(), 2);
    }
}
