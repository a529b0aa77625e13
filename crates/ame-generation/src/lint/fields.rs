//! The fields of each asset type as the lint reads them: prose, line or post, which variant
//! (reading) they belong to, and the scope they are read in.

use crate::copy::AssetCopy;

/// How a field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Sentences: must end properly.
    Prose,
    /// A headline, label or line: may end without a full stop.
    Line,
    /// A social post: lines, hashtags and links; its last prose line must end properly.
    Post,
}

/// One field's text as the lint sees it.
pub(super) struct Item<'a> {
    pub(super) field: String,
    pub(super) text: &'a str,
    pub(super) kind: Kind,
    /// Which reading the text belongs to (`None`: every reading).
    pub(super) variant: Option<usize>,
    /// The variant group the text belongs to, for the distinctness check.
    pub(super) group: Option<String>,
    /// What is read together: the whole asset, or one platform's post or one network's ad.
    pub(super) scope: &'static str,
}

/// The scope a field is read in: a social platform's posts and each network's ads are read
/// apart from the others.
fn scope_of(field: &str) -> &'static str {
    for (prefix, scope) in [
        ("linkedin", "linkedin"),
        ("x[", "x"),
        ("facebook", "facebook"),
        ("instagram", "instagram"),
        ("rsa_", "google"),
        ("meta_", "meta"),
    ] {
        if field.starts_with(prefix) {
            return scope;
        }
    }
    "asset"
}

fn push_variants<'a>(items: &mut Vec<Item<'a>>, field: &str, texts: &'a [String], kind: Kind) {
    for (i, text) in texts.iter().enumerate() {
        items.push(Item {
            field: format!("{field}[{i}]"),
            text,
            kind,
            variant: Some(i),
            group: Some(field.to_owned()),
            scope: scope_of(field),
        });
    }
}

fn push_one<'a>(items: &mut Vec<Item<'a>>, field: String, text: &'a str, kind: Kind) {
    items.push(Item {
        scope: scope_of(&field),
        field,
        text,
        kind,
        variant: None,
        group: None,
    });
}

pub(super) fn items(copy: &AssetCopy) -> Vec<Item<'_>> {
    let mut out = Vec::new();
    match copy {
        AssetCopy::Landing(p) => {
            push_variants(&mut out, "headline", &p.headline, Kind::Line);
            push_variants(&mut out, "subheadline", &p.subheadline, Kind::Prose);
            push_variants(&mut out, "cta_label", &p.cta_label, Kind::Line);
            for (i, b) in p.benefits.iter().enumerate() {
                push_one(
                    &mut out,
                    format!("benefits[{i}].title"),
                    &b.title,
                    Kind::Line,
                );
                push_one(
                    &mut out,
                    format!("benefits[{i}].body"),
                    &b.body,
                    Kind::Prose,
                );
            }
            for (i, f) in p.faq.iter().enumerate() {
                push_one(
                    &mut out,
                    format!("faq[{i}].question"),
                    &f.question,
                    Kind::Prose,
                );
                push_one(&mut out, format!("faq[{i}].answer"), &f.answer, Kind::Prose);
            }
            push_one(&mut out, "form_intro".into(), &p.form_intro, Kind::Prose);
            push_one(&mut out, "closing".into(), &p.closing, Kind::Prose);
            push_one(
                &mut out,
                "meta_description".into(),
                &p.meta_description,
                Kind::Prose,
            );
        }
        AssetCopy::Emails(s) => {
            for (i, e) in s.emails.iter().enumerate() {
                push_variants(
                    &mut out,
                    &format!("emails[{i}].subject"),
                    &e.subject,
                    Kind::Line,
                );
                push_variants(
                    &mut out,
                    &format!("emails[{i}].preheader"),
                    &e.preheader,
                    Kind::Line,
                );
                for (j, p) in e.body.iter().enumerate() {
                    push_one(&mut out, format!("emails[{i}].body[{j}]"), p, Kind::Prose);
                }
                push_one(
                    &mut out,
                    format!("emails[{i}].cta_label"),
                    &e.cta_label,
                    Kind::Line,
                );
            }
        }
        AssetCopy::Social(s) => {
            push_variants(&mut out, "linkedin", &s.linkedin, Kind::Post);
            push_variants(&mut out, "x", &s.x, Kind::Post);
            push_variants(&mut out, "facebook", &s.facebook, Kind::Post);
            push_variants(&mut out, "instagram", &s.instagram, Kind::Post);
        }
        AssetCopy::Video(v) => {
            push_variants(&mut out, "title", &v.title, Kind::Line);
            for (i, scene) in v.scenes.iter().enumerate() {
                push_one(
                    &mut out,
                    format!("scenes[{i}].voice_over"),
                    &scene.voice_over,
                    Kind::Prose,
                );
                push_one(
                    &mut out,
                    format!("scenes[{i}].on_screen_text"),
                    &scene.on_screen_text,
                    Kind::Line,
                );
            }
        }
        AssetCopy::Ads(a) => {
            for (i, h) in a.rsa_headlines.iter().enumerate() {
                push_one(&mut out, format!("rsa_headlines[{i}]"), h, Kind::Line);
            }
            for (i, d) in a.rsa_descriptions.iter().enumerate() {
                push_one(&mut out, format!("rsa_descriptions[{i}]"), d, Kind::Prose);
            }
            for (i, p) in a.rsa_paths.iter().enumerate() {
                push_one(&mut out, format!("rsa_paths[{i}]"), p, Kind::Line);
            }
            push_variants(
                &mut out,
                "meta_primary_text",
                &a.meta_primary_text,
                Kind::Prose,
            );
            push_variants(&mut out, "meta_headline", &a.meta_headline, Kind::Line);
            push_variants(
                &mut out,
                "meta_description",
                &a.meta_description,
                Kind::Line,
            );
        }
        AssetCopy::Voice(v) => push_variants(&mut out, "script", &v.script, Kind::Prose),
        AssetCopy::Image(i) => {
            push_variants(&mut out, "headline", &i.headline, Kind::Line);
            push_variants(&mut out, "subline", &i.subline, Kind::Line);
            push_one(&mut out, "cta_label".into(), &i.cta_label, Kind::Line);
            push_one(&mut out, "alt_text".into(), &i.alt_text, Kind::Prose);
        }
    }
    out
}
