//! Copy lint: what a reader catches that a length check cannot. Truncated or unfinished
//! sentences, a sentence said twice, a phrase worn out by repetition, the internal brief leaking
//! into customer-facing copy, unfilled placeholders, list items run together, and variants that
//! differ only in word order. Every model's words go through it; a finding makes the pipeline
//! fall back to another writer.

use crate::copy::AssetCopy;
use ame_domain::Brand;
use fields::{Item, Kind, items};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

mod claims;
mod context;
mod fields;
mod junk;
mod rule;

pub use context::{BUSINESS_WORDS, LintContext, PUBLIC_PLACEHOLDERS, sentence_starters};
pub use rule::Rule;

/// One problem a reader would see.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule broken.
    pub rule: Rule,
    /// The field, e.g. `emails[1].body[0]`.
    pub field: String,
    /// What was seen.
    pub detail: String,
}

/// The most word-trigram overlap (Jaccard) allowed between two variants of a field.
pub const MAX_VARIANT_SIMILARITY: f64 = 0.5;
/// Merge tags the renderers fill per recipient; anything else in braces is an unfilled slot.
pub const MERGE_TAGS: [&str; 3] = ["{{first_name}}", "{{referral_url}}", "{{unsubscribe_url}}"];

/// Words a finished sentence does not end on.
const DANGLING: [&str; 15] = [
    "a", "an", "the", "and", "or", "but", "of", "with", "your", "our", "their", "from", "into",
    "than", "instead",
];

/// Numbers written in `text` as words of their own (digits, with `,`/`.` inside and an optional
/// `%`): `40`, `50,000`, `95%`, not the `3` of `Q3`.
fn numbers(text: &str) -> Vec<String> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, '(' | ')' | '"' | '\'' | ':' | ';' | '/' | '-')
    })
    .map(|w| w.trim_matches([',', '.', '!', '?', '£', '$', '€', '¥']))
    .filter(|w| {
        w.chars().any(|c| c.is_ascii_digit())
            && w.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '%'))
    })
    .map(str::to_owned)
    .collect()
}

/// Lower-case words of `text`, without punctuation.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '%'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The sentences of `text` (split after `.`, `!`, `?` and at line breaks).
pub fn sentences(text: &str) -> Vec<String> {
    /// Words whose full stop does not end a sentence mid-line ("Crumb & Co. bakes…").
    const ABBREVIATIONS: [&str; 10] = [
        "Co.", "Ltd.", "Inc.", "Corp.", "St.", "Dr.", "Mr.", "Mrs.", "Ms.", "e.g.",
    ];
    let mut out = Vec::new();
    for line in text.lines() {
        let mut current = String::new();
        let chars: Vec<char> = line.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            current.push(c);
            let next = chars.get(i + 1).copied();
            let abbreviation = c == '.'
                && next.is_some()
                && current
                    .split_whitespace()
                    .last()
                    .is_some_and(|w| ABBREVIATIONS.contains(&w));
            if matches!(c, '.' | '!' | '?') && next.is_none_or(char::is_whitespace) && !abbreviation
            {
                out.push(current.trim().to_owned());
                current.clear();
            }
        }
        if !current.trim().is_empty() {
            out.push(current.trim().to_owned());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn ends_properly(sentence: &str) -> bool {
    let trimmed = sentence.trim_end_matches(['"', '\'', '”', '’', ')', ' ']);
    trimmed.ends_with(['.', '!', '?'])
        || trimmed
            .split_whitespace()
            .last()
            .is_some_and(|w| w.starts_with("{{") || w.starts_with("http"))
}

/// The last word before the end punctuation, when it leaves the sentence hanging.
fn dangling_end(text: &str) -> Option<String> {
    let last = words(text).pop()?;
    DANGLING.contains(&last.as_str()).then_some(last)
}

/// Whether a post line is prose (not hashtags, a link or an emoji-only line).
fn is_prose_line(line: &str) -> bool {
    let line = line.trim();
    !line.is_empty()
        && !line.split_whitespace().all(|w| w.starts_with('#'))
        && !line.starts_with("http")
        && line.chars().any(char::is_alphabetic)
}

/// Word trigrams of `text`.
fn trigrams(text: &str) -> HashSet<String> {
    let w = words(text);
    w.windows(3).map(|t| t.join(" ")).collect()
}

/// Each field of the first reading of `copy` (every field a reader of variant 0 sees) with its
/// text, in field order.
pub fn first_reading(copy: &AssetCopy) -> Vec<(String, String)> {
    items(copy)
        .into_iter()
        .filter(|item| item.variant.is_none_or(|v| v == 0))
        .map(|item| (item.field, item.text.to_owned()))
        .collect()
}

/// Every sentence a reader of `copy` reads, in field order.
pub fn copy_sentences(copy: &AssetCopy) -> Vec<String> {
    items(copy)
        .iter()
        .flat_map(|item| sentences(item.text))
        .collect()
}

/// Every finding in `copy` for a campaign described by `ctx`.
pub fn lint(copy: &AssetCopy, ctx: &LintContext) -> Vec<Finding> {
    let items = items(copy);
    let mut out = Vec::new();
    let mut find = |rule: Rule, field: &str, detail: String| {
        out.push(Finding {
            rule,
            field: field.to_owned(),
            detail,
        })
    };
    for item in &items {
        let text = item.text.trim();
        if text.ends_with('…') || text.ends_with("...") {
            find(
                Rule::Truncated,
                &item.field,
                format!("ends with an ellipsis: {text:?}"),
            );
        }
        let checked: Vec<&str> = match item.kind {
            Kind::Post => text.lines().filter(|l| is_prose_line(l)).collect(),
            _ => vec![text],
        };
        for part in checked {
            for sentence in sentences(part) {
                let cut = sentence.ends_with('…') || sentence.ends_with("...");
                if !cut
                    && let Some(word) = dangling_end(&sentence)
                    && (item.kind != Kind::Line || sentence.ends_with(['.', '!', '?']))
                {
                    find(
                        Rule::Truncated,
                        &item.field,
                        format!("ends on {word:?}: {sentence:?}"),
                    );
                }
            }
        }
        let unfinished = match item.kind {
            Kind::Prose => sentences(text).last().is_some_and(|s| !ends_properly(s)),
            Kind::Post => text.lines().rfind(|l| is_prose_line(l)).is_some_and(|l| {
                let l = l.trim();
                !ends_properly(l)
                    && !l.ends_with(|c: char| !c.is_ascii())
                    && !l.split_whitespace().last().is_some_and(|w| {
                        w.starts_with('#') || w.starts_with("http") || w.starts_with("{{")
                    })
            }),
            Kind::Line => false,
        };
        if unfinished {
            find(
                Rule::UnfinishedSentence,
                &item.field,
                format!("does not end with . ! or ?: {text:?}"),
            );
        }
        let lower = text.to_lowercase();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let tail = &rest[start..];
            let tag_end = tail.find('}').map(|e| {
                if tail[e..].starts_with("}}") {
                    e + 2
                } else {
                    e + 1
                }
            });
            let tag = &tail[..tag_end.unwrap_or(tail.len()).min(tail.len())];
            if !MERGE_TAGS.contains(&tag) {
                find(Rule::Placeholder, &item.field, format!("unfilled {tag:?}"));
            }
            rest = &tail[tag.len().max(1)..];
        }
        if ctx.brand_complete && lower.contains(&Brand::PLACEHOLDER_MARK.to_lowercase()) {
            find(
                Rule::Placeholder,
                &item.field,
                "the brand placeholder in a complete brand".into(),
            );
        }
        for phrase in &ctx.brief_phrases {
            if lower.contains(phrase.as_str()) {
                find(
                    Rule::BriefLeak,
                    &item.field,
                    format!("says the brief's {phrase:?}"),
                );
            }
        }
        if ctx.consumer {
            for phrase in BUSINESS_WORDS.iter().filter(|w| lower.contains(*w)) {
                find(
                    Rule::BusinessWords,
                    &item.field,
                    format!("says {phrase:?} to consumers"),
                );
            }
        }
        for mistake in crate::grammar::article_mistakes(text) {
            find(Rule::Article, &item.field, format!("says {mistake:?}"));
        }
        if let Some((said, what)) = junk::junk(text)
            && !ctx.brand_text.contains(&said.to_lowercase())
        {
            find(Rule::Junk, &item.field, what);
        }
        // The objective's own numbers are reported as a leak, not twice.
        for claim in claims::unsupported_claims(text, &ctx.brand_text, &ctx.brand_numbers)
            .into_iter()
            .filter(|c| !ctx.brief_numbers.contains(c))
        {
            find(
                Rule::UnsupportedClaim,
                &item.field,
                format!("claims {claim:?}, which the brand never said"),
            );
        }
        for word in claims::banned_words(text, &ctx.banned, &ctx.brand_text) {
            find(
                Rule::Vocabulary,
                &item.field,
                format!("says {word:?}, a word this brand's world does not use"),
            );
        }
        if PUBLIC_PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
            find(
                Rule::PublicPlaceholder,
                &item.field,
                format!("shows operator text to the public: {text:?}"),
            );
        }
        if crate::grammar::has_doubled_punctuation(text) {
            find(
                Rule::DoubledPunctuation,
                &item.field,
                format!("doubles punctuation: {text:?}"),
            );
        }
        let copy_numbers: HashSet<String> = numbers(&lower).into_iter().collect();
        for number in &ctx.brief_numbers {
            if copy_numbers.contains(number) {
                find(
                    Rule::BriefLeak,
                    &item.field,
                    format!("says the brief's number {number}"),
                );
            }
        }
        for line in text.lines() {
            let body = line
                .trim_start()
                .trim_start_matches(['→', '•', '✓', '✔', '-', '*']);
            if body.contains(['→', '•', '✓', '✔']) {
                find(
                    Rule::RunTogether,
                    &item.field,
                    format!("a list marker inside a line: {line:?}"),
                );
            }
        }
        for sentence in sentences(text)
            .into_iter()
            .filter(|_| item.kind != Kind::Line)
        {
            let w: Vec<&str> = sentence.split_whitespace().collect();
            for pair in w.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let joined = a.chars().last().is_some_and(char::is_lowercase)
                    && b.chars().next().is_some_and(char::is_uppercase)
                    && b.chars().nth(1).is_some_and(char::is_lowercase)
                    && ctx.sentence_starters.iter().any(|w| w == b)
                    && !ctx.company.split_whitespace().any(|w| w == b);
                if joined {
                    find(
                        Rule::RunTogether,
                        &item.field,
                        format!("a sentence starts mid-sentence at {b:?}: {sentence:?}"),
                    );
                }
            }
        }
    }
    readings(&items, &ctx.company, &mut out);
    distinct_variants(&items, &mut out);
    brand_named(copy, ctx, &mut out);
    out
}

/// Repetition within what one reader reads: variant `k` of every field, with every shared field.
fn readings(items: &[Item<'_>], company: &str, out: &mut Vec<Finding>) {
    let company = company.to_lowercase();
    let readings = items
        .iter()
        .filter_map(|i| i.variant)
        .max()
        .map_or(1, |m| m + 1);
    let mut seen_sentence: HashSet<(String, String)> = HashSet::new();
    let mut seen_phrase: HashSet<String> = HashSet::new();
    let mut scopes: Vec<&str> = items.iter().map(|i| i.scope).collect();
    scopes.sort_unstable();
    scopes.dedup();
    for (scope, k) in scopes
        .iter()
        .flat_map(|s| (0..readings).map(move |k| (*s, k)))
    {
        let read: Vec<&Item<'_>> = items
            .iter()
            .filter(|i| i.scope == scope && i.variant.is_none_or(|v| v == k))
            .collect();
        let mut sentences_seen: HashMap<Vec<String>, &str> = HashMap::new();
        let mut grams: HashMap<Vec<String>, usize> = HashMap::new();
        for item in read
            .iter()
            .filter(|i| !i.field.ends_with("cta_label") && !i.field.starts_with("rsa_paths"))
        {
            for sentence in sentences(item.text) {
                let w = words(&sentence);
                if w.len() >= 4
                    && let Some(first) = sentences_seen.insert(w.clone(), &item.field)
                    && seen_sentence.insert((item.field.clone(), sentence.clone()))
                {
                    out.push(Finding {
                        rule: Rule::RepeatedSentence,
                        field: item.field.clone(),
                        detail: format!("{sentence:?} is also in {first}"),
                    });
                }
            }
            // The brand's name counts as one word: saying it often is not a worn phrase.
            let w = words(&item.text.to_lowercase().replace(&company, " brand "));
            for gram in w.windows(6) {
                *grams.entry(gram.to_vec()).or_default() += 1;
            }
        }
        let mut worn: Vec<(Vec<String>, usize)> =
            grams.into_iter().filter(|(_, n)| *n > 2).collect();
        worn.sort();
        for (gram, n) in worn {
            let phrase = gram.join(" ");
            if seen_phrase.insert(phrase.clone()) {
                out.push(Finding {
                    rule: Rule::RepeatedPhrase,
                    field: format!("{scope} reading {k}"),
                    detail: format!("{phrase:?} {n} times"),
                });
            }
        }
    }
}

/// Variants of a field must say different things, not the same words reordered.
fn distinct_variants(items: &[Item<'_>], out: &mut Vec<Finding>) {
    let mut groups: HashMap<&str, Vec<&Item<'_>>> = HashMap::new();
    for item in items {
        if let Some(group) = &item.group {
            groups.entry(group).or_default().push(item);
        }
    }
    let mut names: Vec<&&str> = groups.keys().collect();
    names.sort();
    for name in names {
        let group = &groups[*name];
        for (i, a) in group.iter().enumerate() {
            for b in &group[i + 1..] {
                let s = jaccard(a.text, b.text);
                if s > MAX_VARIANT_SIMILARITY {
                    out.push(Finding {
                        rule: Rule::SimilarVariants,
                        field: (*name).to_owned(),
                        detail: format!("{} and {} overlap {s:.2}", a.field, b.field),
                    });
                }
            }
        }
    }
}

/// The word-trigram Jaccard similarity of two texts (texts under three words compare whole).
pub fn jaccard(a: &str, b: &str) -> f64 {
    let (ta, tb) = (trigrams(a), trigrams(b));
    if ta.is_empty() || tb.is_empty() {
        return if words(a) == words(b) { 1.0 } else { 0.0 };
    }
    let shared = ta.intersection(&tb).count();
    shared as f64 / ta.union(&tb).count() as f64
}

/// The formats that must name the brand: every voice script, the video's narration, each Meta
/// primary text, the ads' headlines, and the landing page's hero or closing.
fn brand_named(copy: &AssetCopy, ctx: &LintContext, out: &mut Vec<Finding>) {
    let name = ctx.company.to_lowercase();
    let has = |t: &str| t.to_lowercase().contains(&name);
    let mut missing = |field: String| {
        out.push(Finding {
            rule: Rule::MissingBrand,
            field,
            detail: format!("{} is not named", ctx.company),
        })
    };
    match copy {
        AssetCopy::Voice(v) => {
            for (i, s) in v.script.iter().enumerate() {
                if !has(s) {
                    missing(format!("script[{i}]"));
                }
            }
        }
        AssetCopy::Video(v)
            if !v
                .scenes
                .iter()
                .any(|s| has(&s.voice_over) || has(&s.on_screen_text)) =>
        {
            missing("scenes".into());
        }
        AssetCopy::Ads(a) => {
            let fits = ctx.company.chars().count() <= crate::limits::RSA_HEADLINE;
            if fits && !a.rsa_headlines.iter().any(|h| has(h)) {
                missing("rsa_headlines".into());
            }
            for (i, t) in a.meta_primary_text.iter().enumerate() {
                if !has(t) {
                    missing(format!("meta_primary_text[{i}]"));
                }
            }
        }
        AssetCopy::Landing(p) => {
            let hero = p.headline.iter().chain(&p.subheadline).any(|t| has(t));
            if !hero && !has(&p.closing) && !has(&p.meta_description) {
                missing("headline".into());
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copy::{EmailCopy, EmailSequenceCopy, ImageCopy, VoiceCopy};

    fn ctx() -> LintContext {
        LintContext {
            company: "Ledgerly".into(),
            brand_complete: true,
            brief_phrases: vec!["40 demos".into(), "by march".into()],
            brief_numbers: vec!["40".into()],
            sentence_starters: sentence_starters("Book a demo"),
            consumer: false,
            brand_text: "ledgerly automated month-end close software".into(),
            brand_numbers: Vec::new(),
            banned: vec!["donor".into()],
        }
    }

    #[test]
    fn claims_the_brand_never_made_and_words_of_another_world_are_found() {
        let copy = voice([
            "Ledgerly answers within a working day, the best in the business.",
            "Ledgerly keeps every donor happy.",
            "Ledgerly stories will appear here once you add testimonials.",
        ]);
        let found: Vec<(Rule, String)> = lint(&copy, &ctx())
            .into_iter()
            .map(|f| (f.rule, f.field))
            .collect();
        assert!(found.contains(&(Rule::UnsupportedClaim, "script[0]".into())));
        assert!(found.contains(&(Rule::Vocabulary, "script[1]".into())));
        assert!(found.contains(&(Rule::PublicPlaceholder, "script[2]".into())));
    }

    fn voice(scripts: [&str; 3]) -> AssetCopy {
        AssetCopy::Voice(VoiceCopy {
            script: scripts.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    fn rules(copy: &AssetCopy) -> Vec<Rule> {
        let mut r: Vec<Rule> = lint(copy, &ctx()).into_iter().map(|f| f.rule).collect();
        r.sort();
        r.dedup();
        r
    }

    fn banner(headline: &str, subline: &str) -> AssetCopy {
        AssetCopy::Image(ImageCopy {
            headline: vec![
                headline.into(),
                "Month-end without the overtime".into(),
                "Numbers you can trust on day one".into(),
            ],
            subline: vec![
                subline.into(),
                "Reconciliations match before the auditors arrive.".into(),
                "Finance teams get their evenings back.".into(),
            ],
            cta_label: "Book a demo".into(),
            alt_text: "A Ledgerly banner about closing the books faster.".into(),
        })
    }

    #[test]
    fn clean_copy_has_no_findings() {
        let copy = voice([
            "Month-end eats your team's week. Ledgerly closes the books in three days. Book a demo at ledgerly dot example.",
            "Auditors find fewer surprises when reconciliations run every night. That is what Ledgerly does. See it for yourself today.",
            "Controllers at mid-sized firms trust Ledgerly with the numbers they sign. Ask us for a walkthrough this week.",
        ]);
        assert_eq!(lint(&copy, &ctx()), vec![]);
    }

    #[test]
    fn cut_copy_is_truncated() {
        let copy = banner(
            "CFOs at mid-sized firms: close the…",
            "Close the books in 3 days instead.",
        );
        let findings = lint(&copy, &ctx());
        assert_eq!(
            findings
                .iter()
                .filter(|f| f.rule == Rule::Truncated)
                .count(),
            2,
            "{findings:?}"
        );
    }

    #[test]
    fn prose_must_end_with_punctuation_but_headlines_need_not() {
        let copy = voice([
            "Ledgerly closes the books in three days and your team goes home on time",
            "Ledgerly catches reconciliation errors early. Ask for a walkthrough today.",
            "Ledgerly is trusted by finance teams everywhere. Talk to us this week!",
        ]);
        assert_eq!(rules(&copy), vec![Rule::UnfinishedSentence]);
        assert_eq!(
            rules(&banner(
                "Month-end, minus the overtime",
                "Close faster with every entry matched."
            )),
            vec![]
        );
    }

    #[test]
    fn the_brief_stays_internal() {
        let copy = voice([
            "You told us you want to book 40 demos, and Ledgerly wants to help you get there by March.",
            "Ledgerly catches reconciliation errors early. Ask for a walkthrough today.",
            "Ledgerly is trusted by finance teams everywhere. Talk to us this week!",
        ]);
        let findings = lint(&copy, &ctx());
        assert!(
            findings
                .iter()
                .all(|f| f.rule == Rule::BriefLeak && f.field == "script[0]"),
            "{findings:?}"
        );
        assert_eq!(
            findings.len(),
            3,
            "phrase, deadline and number: {findings:?}"
        );
    }

    #[test]
    fn unfilled_slots_are_placeholders_but_merge_tags_are_not() {
        let copy = AssetCopy::Emails(EmailSequenceCopy {
            emails: vec![EmailCopy {
                subject: vec![
                    "{{key}}, {{value}]{}".into(),
                    "Your invite, {{first_name}}".into(),
                    "A gift for a friend".into(),
                ],
                preheader: vec![
                    "Share {{referral_url}} with a colleague".into(),
                    "Both of you get a month free".into(),
                    "It takes a minute to invite someone".into(),
                ],
                body: vec![
                    "Send your link to a colleague who closes the books.".into(),
                    "When they join, you both get a month on us.".into(),
                ],
                cta_label: "{cta}".into(),
            }],
        });
        let findings: Vec<Finding> = lint(&copy, &ctx())
            .into_iter()
            .filter(|f| f.rule == Rule::Placeholder)
            .collect();
        let fields: Vec<&str> = findings.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "emails[0].subject[0]",
                "emails[0].subject[0]",
                "emails[0].subject[0]",
                "emails[0].cta_label"
            ],
            "{findings:?}"
        );
    }

    #[test]
    fn repetition_within_one_reading_is_found() {
        let copy = voice([
            "Ledgerly closes the books in three days. Ledgerly closes the books in three days. Book a demo.",
            "Ledgerly catches reconciliation errors early. Ask for a walkthrough today.",
            "Ledgerly is trusted by finance teams everywhere. Talk to us this week!",
        ]);
        assert!(rules(&copy).contains(&Rule::RepeatedSentence));
        let worn = voice([
            "Ledgerly helps you close the books in three days. Teams close the books in three days now. Yes, close the books in three days every month.",
            "Ledgerly catches reconciliation errors early. Ask for a walkthrough today.",
            "Ledgerly is trusted by finance teams everywhere. Talk to us this week!",
        ]);
        assert_eq!(rules(&worn), vec![Rule::RepeatedPhrase]);
    }

    #[test]
    fn variants_that_share_most_words_are_too_similar() {
        let copy = voice([
            "Ledgerly closes the books in three days, so your team can focus on analysis. Book a demo today.",
            "Ledgerly closes the books in three days, so your team can focus on planning. Book a demo today.",
            "Controllers at mid-sized firms trust Ledgerly with the numbers they sign. Ask us for a walkthrough this week.",
        ]);
        let findings: Vec<Finding> = lint(&copy, &ctx())
            .into_iter()
            .filter(|f| f.rule == Rule::SimilarVariants)
            .collect();
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].detail.starts_with("script[0] and script[1]"));
        assert!(jaccard("a b c d", "a b c d") == 1.0 && jaccard("a b c d", "e f g h") == 0.0);
    }

    #[test]
    fn seams_and_run_together_lists_are_found() {
        let copy = voice([
            "Ledgerly closes the books faster. Link in bio to Book a demo.",
            "Ledgerly gives you → faster closes → fewer errors.",
            "Ledgerly is trusted by finance teams everywhere. Talk to us this week!",
        ]);
        let findings: Vec<Finding> = lint(&copy, &ctx())
            .into_iter()
            .filter(|f| f.rule == Rule::RunTogether)
            .collect();
        let fields: Vec<&str> = findings.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["script[0]", "script[1]"], "{findings:?}");
    }

    #[test]
    fn radio_scripts_must_name_the_brand() {
        let copy = voice([
            "Month-end eats your team's week. We close the books in three days. Book a demo today.",
            "Ledgerly catches reconciliation errors early. Ask for a walkthrough today.",
            "Ledgerly is trusted by finance teams everywhere. Talk to us this week!",
        ]);
        let findings = lint(&copy, &ctx());
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(
            (findings[0].rule, findings[0].field.as_str()),
            (Rule::MissingBrand, "script[0]")
        );
    }

    #[test]
    fn consumers_are_not_spoken_to_as_businesses() {
        let copy = voice([
            "Ledgerly frees up your team every month. Ask for a walkthrough today.",
            "Ledgerly catches reconciliation errors early. Ask your colleague about it.",
            "Ledgerly is trusted by people everywhere. Talk to us this week!",
        ]);
        assert!(lint(&copy, &ctx()).is_empty());
        let consumer = LintContext {
            consumer: true,
            ..ctx()
        };
        let fields: Vec<String> = lint(&copy, &consumer)
            .into_iter()
            .filter(|f| f.rule == Rule::BusinessWords)
            .map(|f| f.field)
            .collect();
        assert_eq!(fields, ["script[0]", "script[1]"]);
    }

    #[test]
    fn sentences_split_at_end_marks_and_lines() {
        assert_eq!(
            sentences("One two. Three? Four!\nFive 3.5 six"),
            ["One two.", "Three?", "Four!", "Five 3.5 six"]
        );
    }
}
