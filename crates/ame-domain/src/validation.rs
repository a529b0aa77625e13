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
/// must read the way it looks in the editor.
pub fn is_invisible_formatting(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{FEFF}')
}

/// Trims `value` and checks it is `min..=max` characters long with no control characters, no
/// invisible formatting characters ([`is_invisible_formatting`]) and no curly braces: copy
/// templates reserve braces for merge tags (`{{first_name}}`, `{{unsubscribe_url}}`), so user
/// text can never form one.
pub(crate) fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
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
    if let Some(c) = trimmed.chars().find(|c| is_invisible_formatting(*c)) {
        return Err(FieldError::new(
            field,
            format!(
                "must not contain invisible formatting characters that reorder or hide text (found U+{:04X})",
                c as u32
            ),
        ));
    }
    if trimmed.contains(['{', '}']) {
        return Err(FieldError::new(
            field,
            "must not contain curly braces: copy templates reserve them for merge tags such as {{first_name}}",
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_tags_and_bidi_overrides_never_reach_templates() {
        let braces = text("objective", "Win {{first_name}} back", 3, 500).unwrap_err();
        assert!(braces.message.contains("merge tags"), "{}", braces.message);
        for sneaky in [
            "Spring \u{202E}elas",
            "x\u{2066}y",
            "zero\u{200B}width",
            "\u{FEFF}bom",
        ] {
            let refused = text("name", sneaky, 1, 120).unwrap_err();
            assert!(
                refused.message.contains("invisible"),
                "{sneaky:?}: {}",
                refused.message
            );
        }
        let emoji = "Zo\u{eb} \u{1F469}\u{200D}\u{1F4BB} caf\u{e9}";
        assert_eq!(text("name", &format!(" {emoji} "), 1, 120).unwrap(), emoji);
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
