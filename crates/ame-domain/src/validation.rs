//! Validation errors that say what was wrong and what is allowed.

use serde::Serialize;
use std::fmt;

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field's name as it appears in requests, e.g. `objective`.
    pub field: String,
    /// What was wrong and what is allowed.
    pub message: String,
    /// The accepted values, for fields with a closed set of values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

impl FieldError {
    /// A field error with a message.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            allowed: None,
        }
    }

    /// A field error listing the accepted values.
    pub fn with_allowed(
        field: impl Into<String>,
        message: impl Into<String>,
        allowed: &[&str],
    ) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            allowed: Some(allowed.iter().map(|s| (*s).to_owned()).collect()),
        }
    }
}

/// One or more invalid fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// Every invalid field found (validation does not stop at the first).
    pub errors: Vec<FieldError>,
}

impl ValidationError {
    /// A validation error for a single field.
    pub fn single(error: FieldError) -> Self {
        Self {
            errors: vec![error],
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        write!(f, "invalid input: {}", parts.join("; "))
    }
}

/// Collects field errors during validation.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    errors: Vec<FieldError>,
}

impl Collector {
    pub(crate) fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Records the error of a field check, returning the valid value if there was none.
    pub(crate) fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.errors.len()
    }

    pub(crate) fn finish(self) -> Result<(), ValidationError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationError {
                errors: self.errors,
            })
        }
    }
}

/// Whether `c` reorders or hides text without showing itself: bidirectional embeddings,
/// overrides and isolates, zero-width spaces and the byte-order mark. Text shown to customers
/// must read the way it looks in the editor, so these are removed.
pub fn is_invisible_formatting(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{FEFF}')
}

/// `value` made safe to pass into copy templates: invisible formatting characters removed
/// ([`is_invisible_formatting`]) and curly braces removed, so no merge tag (`{{first_name}}`,
/// `{{unsubscribe_url}}`) or other template syntax can come from user text.
pub fn neutralise(value: &str) -> String {
    value
        .chars()
        .filter(|c| !is_invisible_formatting(*c) && *c != '{' && *c != '}')
        .collect()
}

/// Neutralises `value` ([`neutralise`]), trims it and checks it is `min..=max` characters long
/// with no control characters.
pub(crate) fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let cleaned = neutralise(value);
    let trimmed = cleaned.trim();
    let len = trimmed.chars().count();
    let raw_len = value.chars().count();
    if len < min || raw_len > max {
        return Err(FieldError::new(
            field,
            format!(
                "must be at most {max} characters with at least {min} left after trimming spaces; got {raw_len} ({len} after trimming)"
            ),
        ));
    }
    if let Some(c) = trimmed.chars().find(|c| c.is_control()) {
        return Err(FieldError::new(
            field,
            format!(
                "must not contain control characters such as line breaks or tabs (found U+{:04X})",
                c as u32
            ),
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_tags_and_bidi_overrides_never_reach_templates() {
        assert_eq!(
            text(
                "objective",
                "Win {{first_name}} back {{unsubscribe_url}}",
                3,
                500
            )
            .unwrap(),
            "Win first_name back unsubscribe_url"
        );
        assert_eq!(
            text(
                "name",
                "Spring \u{202E}elas\u{202C} \u{2066}x\u{2069}\u{200B}",
                1,
                120
            )
            .unwrap(),
            "Spring elas x"
        );
        assert!(text("name", "{{}}", 1, 120).is_err());
        assert_eq!(neutralise("Zoë 👩‍💻 café"), "Zoë 👩‍💻 café");
    }

    #[test]
    fn errors_name_every_field_and_the_allowed_values() {
        let err = ValidationError {
            errors: vec![
                FieldError::new("objective", "must be 3 to 500 characters"),
                FieldError::with_allowed("status", "unknown status", &["draft", "active"]),
            ],
        };
        assert_eq!(
            err.to_string(),
            "invalid input: objective: must be 3 to 500 characters; status: unknown status"
        );
        let json = serde_json::to_value(&err.errors).unwrap();
        assert_eq!(
            json[0],
            serde_json::json!({"field": "objective", "message": "must be 3 to 500 characters"})
        );
        assert_eq!(json[1]["allowed"], serde_json::json!(["draft", "active"]));
    }
}
