//! Submitted forms (`application/x-www-form-urlencoded`, repeated names kept) and the inline
//! field errors they come back with.

use ame_domain::FieldError;
use maud::{Markup, html};

/// A submitted form: every `(name, value)` pair in order.
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// Parses an urlencoded body.
    pub fn parse(body: &[u8]) -> Result<Self, crate::WebError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map(FormData)
            .map_err(|e| crate::WebError::BadRequest(format!("the form could not be read: {e}")))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Field errors by form field name (a field may have several).
#[derive(Debug, Clone, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    /// The messages for `field` (matching `field` itself or `field[...]`/`field.…`).
    pub fn for_field(&self, field: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|e| {
                e.field == field
                    || e.field.starts_with(&format!("{field}["))
                    || e.field.starts_with(&format!("{field}."))
            })
            .map(|e| e.message.as_str())
            .collect()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The summary shown above a form that came back with errors, linking each field.
    pub fn summary(&self) -> Markup {
        if self.0.is_empty() {
            return html! {};
        }
        html! {
            div #error-summary .error-summary role="alert" tabindex="-1" {
                h2 { "Please correct " (self.0.len()) " " (if self.0.len() == 1 { "field" } else { "fields" }) }
                ul {
                    @for e in &self.0 {
                        li { a href={ "#" (field_id(&e.field)) } { (e.field) } ": " (e.message) }
                    }
                }
            }
        }
    }
}

/// The element id of a form field (`[0].email` and `a.b` become `a_b`-style ids).
pub fn field_id(field: &str) -> String {
    let base: String = field
        .split(['[', '.'])
        .next()
        .unwrap_or(field)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if base.is_empty() {
        "field".into()
    } else {
        base
    }
}

/// What kind of control a field is.
pub enum Control<'a> {
    /// `<input type=…>` with its value.
    Input(&'a str, &'a str),
    /// `<textarea>` with its text.
    Textarea(&'a str),
    /// `<select>` with `(value, label)` options and the selected value.
    Select(Vec<(String, String)>, &'a str),
}

/// A labelled field with its hint and inline errors (`aria-invalid`, `aria-describedby`).
pub fn field(
    name: &str,
    label: &str,
    hint: Option<&str>,
    control: Control<'_>,
    errors: &Errors,
    required: bool,
) -> Markup {
    let id = field_id(name);
    let messages = errors.for_field(name);
    let invalid = !messages.is_empty();
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described: Vec<&str> = [
        hint.map(|_| hint_id.as_str()),
        invalid.then_some(error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let described = (!described.is_empty()).then(|| described.join(" "));
    let invalid_attr = invalid.then_some("true");
    html! {
        div .field .invalid[invalid] {
            label for=(id) { (label) @if required { " " span .required aria-hidden="true" { "*" } } }
            @if let Some(hint) = hint { p .hint id=(hint_id) { (hint) } }
            @if invalid {
                p .field-error id=(error_id) {
                    @for (i, m) in messages.iter().enumerate() { @if i > 0 { br; } (m) }
                }
            }
            @match control {
                Control::Input(kind, value) => {
                    input type=(kind) id=(id) name=(name) value=(value)
                        aria-invalid=[invalid_attr] aria-describedby=[described.as_deref()]
                        required[required];
                }
                Control::Textarea(text) => {
                    textarea id=(id) name=(name) rows="4"
                        aria-invalid=[invalid_attr] aria-describedby=[described.as_deref()]
                        required[required] { (text) }
                }
                Control::Select(options, selected) => {
                    select id=(id) name=(name)
                        aria-invalid=[invalid_attr] aria-describedby=[described.as_deref()] {
                        @for (value, text) in &options {
                            option value=(value) selected[value == selected] { (text) }
                        }
                    }
                }
            }
        }
    }
}

/// The hidden CSRF field of a session's forms.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_are_kept_in_order() {
        let form = FormData::parse(b"channels=email&channels=x&name=+Spring+&empty=").unwrap();
        assert_eq!(form.all("channels"), vec!["email", "x"]);
        assert_eq!(form.get("name"), Some(" Spring "));
        assert_eq!(form.get("empty"), Some(""));
    }

    #[test]
    fn a_field_with_an_error_says_so_to_assistive_technology() {
        let errors = Errors(vec![FieldError::new(
            "objective",
            "must be 3 to 500 characters",
        )]);
        let html = field(
            "objective",
            "Objective",
            None,
            Control::Textarea("ab"),
            &errors,
            true,
        )
        .into_string();
        assert!(html.contains(r#"aria-invalid="true""#));
        assert!(html.contains(r#"aria-describedby="objective-error""#));
        assert!(html.contains(r#"<p class="field-error" id="objective-error">must be 3 to 500"#));
    }

    #[test]
    fn field_ids_drop_indexes() {
        assert_eq!(field_id("[3].email"), "field");
        assert_eq!(field_id("channels[1]"), "channels");
        assert_eq!(field_id("send_window.days"), "send_window");
    }
}
