//! Whose words an asset holds: the text model's, mended field by field where it can be, or the
//! built-in copywriter's. The fields the limit checks or the copy lint reject are taken from the
//! built-in copywriter's words for the same asset, and the rest of the model's words stay. A
//! rejection that names no single field (a count, a phrase repeated across a whole reading)
//! cannot be mended this way, and the built-in copywriter writes the whole asset.

use crate::brief::Brief;
use crate::copy::{AssetCopy, CopySpec};
use crate::limits::Checks;
use crate::lint::{Finding, LintContext, lint};
use crate::text_model::{BuiltInModel, TextModel, Written};
use ame_domain::AssetType;
use serde_json::{Value, json};

/// The text model's words, mended field by field where it can be, or the built-in
/// copywriter's with the reason it stepped in; with the limit checks and the copy lint of the
/// words kept. A model's words are kept only when they meet every limit and the lint finds
/// nothing a reader would reject.
pub(crate) async fn words(
    text: &dyn TextModel,
    brief: &Brief,
    spec: &CopySpec,
) -> (Written, Source, Checks, Vec<Finding>) {
    let ctx = LintContext::new(brief);
    let (builtin, reason) = match text.write(brief, spec).await {
        Ok(written) => {
            let checks = written.copy.check(spec);
            let findings = lint(&written.copy, &ctx);
            if checks.failures().is_empty() && findings.is_empty() {
                return (written, Source::Model, checks, findings);
            }
            let builtin = BuiltInModel.write_now(brief, spec);
            if let Some((mended, note)) =
                mend_rejected(spec, &written.copy, &builtin.copy, &checks, &findings, &ctx)
            {
                let checks = mended.check(spec);
                let copy = Written {
                    copy: mended,
                    ..written
                };
                return (copy, Source::Mended(note), checks, Vec::new());
            }
            let failed: Vec<String> = checks
                .failures()
                .iter()
                .map(|c| {
                    format!(
                        "{} is {} (allowed {}..={})",
                        c.field, c.length, c.min, c.max
                    )
                })
                .collect();
            let (reason, detail) = if failed.is_empty() {
                ("quality", described(&findings))
            } else {
                ("limits", failed)
            };
            let reason = json!({
                "reason": reason,
                "lint_by_rule": by_rule(&findings),
                "rejected_model": written.model,
                "rejected_latency_ms": written.latency_ms,
                "detail": detail.into_iter().take(10).collect::<Vec<_>>(),
            });
            (builtin, reason)
        }
        Err(e) => (
            BuiltInModel.write_now(brief, spec),
            json!({"reason": "error", "detail": e.to_string()}),
        ),
    };
    let checks = builtin.copy.check(spec);
    let findings = lint(&builtin.copy, &ctx);
    (builtin, Source::BuiltIn(reason), checks, findings)
}

/// How many of `findings` each rule made.
fn by_rule(findings: &[Finding]) -> serde_json::Map<String, Value> {
    let mut counts = serde_json::Map::new();
    for f in findings {
        let seen = counts.entry(f.rule.as_str()).or_insert(json!(0));
        *seen = json!(seen.as_u64().unwrap_or(0) + 1);
    }
    counts
}

/// Each of `findings` as one line: rule, field and what was wrong.
fn described(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| format!("{} {}: {}", f.rule.as_str(), f.field, f.detail))
        .collect()
}

/// Whose words an asset holds.
pub(crate) enum Source {
    /// The text model's, as written.
    Model,
    /// The text model's, with the fields it got wrong written by the built-in copywriter
    /// (what was rejected and which fields were replaced).
    Mended(Value),
    /// The built-in copywriter's, with the reason the model's were rejected.
    BuiltIn(Value),
}

/// One step of a field's path: a key of an object or an index into a list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The steps of a field name as the limit checks and the lint write it (`headline[1]`,
/// `emails[0].body[2]`, `scenes[3].voice_over`, `alt_text`); `None` for a name that is not a
/// single field (`faq.count`, `asset reading 0`).
fn path(field: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    for part in field.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        if key.is_empty()
            || key == "count"
            || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            return None;
        }
        steps.push(Step::Key(key.to_owned()));
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']')?;
            steps.push(Step::Index(inner[..close].parse().ok()?));
            rest = &inner[close + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    (!steps.is_empty()).then_some(steps)
}

/// The value at `steps` in `value`, to be replaced.
fn at<'a>(value: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    steps.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// `model`'s words with each of `fields` taken from `builtin`, or `None` when a field names no
/// single value present in both.
pub fn mend(
    asset_type: AssetType,
    model: &AssetCopy,
    builtin: &AssetCopy,
    fields: &[String],
) -> Option<AssetCopy> {
    let mut mended = serde_json::to_value(model).ok()?;
    let mut source = serde_json::to_value(builtin).ok()?;
    for field in fields {
        let steps = path(field)?;
        let replacement = at(&mut source, &steps)?.clone();
        *at(&mut mended, &steps)? = replacement;
    }
    AssetCopy::from_json(asset_type, mended).ok()
}

/// The model's `words` with every field the limit `checks` or the lint `findings` reject taken
/// from `builtin`, and a note of which; `None` when a rejection names no single field or the
/// mended words still fail.
fn mend_rejected(
    spec: &CopySpec,
    words: &AssetCopy,
    builtin: &AssetCopy,
    checks: &Checks,
    findings: &[Finding],
    ctx: &LintContext,
) -> Option<(AssetCopy, Value)> {
    let mut fields: Vec<String> = checks
        .failures()
        .iter()
        .map(|c| c.field.clone())
        .chain(findings.iter().map(|f| f.field.clone()))
        .collect();
    fields.sort();
    fields.dedup();
    let mended = mend(spec.asset_type, words, builtin, &fields)?;
    if !mended.check(spec).failures().is_empty() || !lint(&mended, ctx).is_empty() {
        return None;
    }
    Some((
        mended,
        json!({
            "fields_from_builtin": fields,
            "lint_by_rule": by_rule(findings),
            "limits_failed": checks.failures().len(),
            "detail": described(findings).into_iter().take(10).collect::<Vec<_>>(),
        }),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{Step, mend, path};
    use crate::copy::{AssetCopy, ImageCopy};
    use ame_domain::AssetType;

    fn banner(headline: &[&str], alt: &str) -> AssetCopy {
        AssetCopy::Image(ImageCopy {
            headline: headline.iter().map(|h| (*h).to_owned()).collect(),
            subline: vec!["Fresh every morning.".into()],
            cta_label: "Order now".into(),
            alt_text: alt.into(),
        })
    }

    #[test]
    fn field_names_become_paths_and_whole_asset_names_do_not() {
        assert_eq!(
            path("emails[0].body[2]"),
            Some(vec![
                Step::Key("emails".into()),
                Step::Index(0),
                Step::Key("body".into()),
                Step::Index(2),
            ])
        );
        assert_eq!(path("alt_text"), Some(vec![Step::Key("alt_text".into())]));
        for not_a_field in ["faq.count", "asset reading 0", "x[one]", "", "headline[0"] {
            assert_eq!(path(not_a_field), None, "{not_a_field}");
        }
    }

    #[test]
    fn only_the_named_fields_come_from_the_builtin_words() {
        let model = banner(&["Fresh bread", "undefined", "Warm loaves"], "Lorem ipsum.");
        let builtin = banner(&["Bread, baked", "Baked tonight", "Loaves"], "A banner.");
        let fields = ["headline[1]".to_owned(), "alt_text".to_owned()];
        let mended = mend(AssetType::ImageAsset, &model, &builtin, &fields).unwrap();
        assert_eq!(
            mended,
            banner(
                &["Fresh bread", "Baked tonight", "Warm loaves"],
                "A banner."
            )
        );
    }

    #[test]
    fn a_field_missing_from_either_side_cannot_be_mended() {
        let model = banner(&["Fresh bread"], "A banner.");
        let builtin = banner(&["Bread", "Baked tonight"], "A banner.");
        let missing = ["headline[1]".to_owned()];
        assert_eq!(
            mend(AssetType::ImageAsset, &model, &builtin, &missing),
            None
        );
        let count = ["headline.count".to_owned()];
        assert_eq!(mend(AssetType::ImageAsset, &builtin, &model, &count), None);
    }
}
